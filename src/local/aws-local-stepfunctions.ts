// aws-local-stepfunctions, loaded without the modules local mode never calls (state-machine-lean-deps.ts): while it
// loads, its imports of the Lambda client, the Cognito credential provider and asl-validator resolve to stand-ins
// that throw if used. Anything else importing those packages gets the real ones (the hook only answers imports
// made by the library's own file, and is removed once it has loaded).
import { registerHooks } from 'node:module';

const LEAN = new Set(['@aws-sdk/client-lambda', '@aws-sdk/credential-providers', 'asl-validator']);
const leanDeps = new URL('./state-machine-lean-deps.ts', import.meta.url).href;

const hooks = registerHooks({
  resolve(specifier, context, nextResolve) {
    if (LEAN.has(specifier) && context.parentURL?.includes('/aws-local-stepfunctions/build/') === true)
      return { url: leanDeps, shortCircuit: true };
    return nextResolve(specifier, context);
  },
});
const library = await import('aws-local-stepfunctions').finally(() => hooks.deregister());

export const StateMachine = library.StateMachine;
export type StateMachine = InstanceType<typeof library.StateMachine>;
