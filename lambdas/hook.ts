// The hook Lambda: runs one postStart or preStop hook to its end and delivers its outcome to the pod's inbox
// (src/engine/in-process-hook-runner.ts `complete`). Invoked asynchronously by the worker step that starts the hook
// (src/adapters/lambda/lambda-hook-runner.ts), in the pods' VPC so that an httpGet hook reaches the pod IP.
//
// A throw makes Lambda retry the invocation (twice); the outcome's event id is per (instance, hook), so a hook
// that ran again is delivered once.
import type { HookRequest } from '../src/ports/hook-runner.ts';

export class InvalidHookRequestError extends Error {
  override name = 'InvalidHookRequestError';
}

/** The request the engine sent: a pod, a container instance, which hook, and its handler. */
export function decodeHookRequest(event: unknown): HookRequest {
  const r = (event ?? {}) as Partial<HookRequest>;
  const key = r.ref?.key;
  if (
    typeof key?.namespace !== 'string' ||
    typeof key.name !== 'string' ||
    typeof r.ref?.podUid !== 'string' ||
    typeof r.ref.container !== 'string' ||
    !Number.isSafeInteger(r.ref.instance) ||
    (r.hook !== 'postStart' && r.hook !== 'preStop') ||
    typeof r.handler !== 'object' ||
    r.handler === null ||
    typeof r.container !== 'object' ||
    typeof r.podDescription !== 'string' ||
    typeof r.podIP !== 'string'
  ) {
    throw new InvalidHookRequestError(
      `hook request must name a pod, a container instance, postStart or preStop and a handler, got ${String(JSON.stringify(event)).slice(0, 200)}`,
    );
  }
  return r as HookRequest;
}

export function createHookHandler(
  complete: (request: HookRequest) => Promise<void>,
): (event: unknown) => Promise<void> {
  return async (event) => complete(decodeHookRequest(event));
}

let wired: ((event: unknown) => Promise<void>) | undefined;

/** Lambda entry point: the wiring module is imported on first use, so unit tests of the factory need no AWS env. */
export const handler = async (event: unknown): Promise<void> => {
  if (!wired) {
    const { cloudHooks } = await import('./wiring.ts');
    const hooks = cloudHooks();
    wired = createHookHandler((request) => hooks.complete(request));
  }
  await wired(event);
};
