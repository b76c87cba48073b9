// Placeholder until the function is written.
export const handler = async (): Promise<never> => {
  throw new Error('heartbeat: not implemented yet');
};
