// Placeholder until the function is written.
export const handler = async (): Promise<never> => {
  throw new Error('fence-primary: not implemented yet');
};
