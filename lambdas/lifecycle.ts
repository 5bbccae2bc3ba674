// Lifecycle handler: the entry point of every Task state of the pod worker state machine (docs/decisions/0002).
// Placeholder until the pod worker lands.
export const handler = async (): Promise<never> => {
  throw new Error('lifecycle handler not wired yet');
};
