// Placeholder until the function is written.
export const handler = async (): Promise<never> => {
  throw new Error('switch-dns: not implemented yet');
};
