// aws-local-stepfunctions, loaded without the modules local mode never calls (state-machine-lean-deps.ts): while it
// loads, its imports of the Lambda client, the Cognito credential provider and asl-validator resolve to stand-ins
// that throw if used, and its JSONPath to jsonpath-plus's called without an exception per scalar result
// (state-machine-jsonpath.ts). Anything else importing those packages gets the real ones (the hook only answers
// imports made by the library's own file, and is removed once it has loaded).
import { registerHooks } from 'node:module';

const LEAN = new Set(['@aws-sdk/client-lambda', '@aws-sdk/credential-providers', 'asl-validator']);
const leanDeps = new URL('./state-machine-lean-deps.ts', import.meta.url).href;
const jsonPath = new URL('./state-machine-jsonpath.ts', import.meta.url).href;

/** The library file that imported jsonpath-plus: where the stand-in resolves the real one from. */
let libraryFile: string | undefined;
const hooks = registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (parent?.includes('/aws-local-stepfunctions/build/') === true) {
      if (LEAN.has(specifier)) return { url: leanDeps, shortCircuit: true };
      if (specifier === 'jsonpath-plus') {
        libraryFile = parent;
        return { url: jsonPath, shortCircuit: true };
      }
    }
    // The stand-in's own import: the jsonpath-plus the library would have had.
    if (parent === jsonPath && specifier === 'jsonpath-plus' && libraryFile !== undefined)
      return nextResolve(specifier, { ...context, parentURL: libraryFile });
    return nextResolve(specifier, context);
  },
});
const library = await import('aws-local-stepfunctions').finally(() => hooks.deregister());

export const StateMachine = library.StateMachine;
export type StateMachine = InstanceType<typeof library.StateMachine>;
