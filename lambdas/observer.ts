// The observer Lambda (docs/decisions/0006-fargate-runtime.md §4). Thin: decode the event, run one use case of the
// Fargate runtime.
//   an `ECS Task State Change` event (the EventBridge rule of infra/fargate-runtime.ts, this cluster's tasks only)
//                       → onTaskStateChange: what the task did that is news for its pod goes to the pod's inbox
//   { reconcile: true } (a schedule) → reconcile: every running and recently stopped task, for missed events
// A throw makes EventBridge retry the event (asynchronous invocation); deliveries are idempotent per observation.
import { TASK_STATE_CHANGE } from '../src/adapters/fargate/task-observations.ts';

export class InvalidObserverEventError extends Error {
  override name = 'InvalidObserverEventError';
}

export type ObserverEvent = { kind: 'reconcile' } | { kind: 'taskStateChange'; event: unknown };

export function decodeObserverEvent(event: unknown): ObserverEvent {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e.reconcile === true) return { kind: 'reconcile' };
  if (e['detail-type'] === TASK_STATE_CHANGE) return { kind: 'taskStateChange', event };
  throw new InvalidObserverEventError(
    `observer event must be an ECS Task State Change or { "reconcile": true }, got ${String(JSON.stringify(event)).slice(0, 200)}`,
  );
}

/** The part of the runtime the observer drives (FargateContainerRuntime). */
export interface ObserverUseCases {
  onTaskStateChange(event: unknown): Promise<void>;
  reconcile(): Promise<{ tasks: number }>;
}

export function createObserverHandler(wire: () => ObserverUseCases): (event: unknown) => Promise<unknown> {
  return async (event) => {
    const decoded = decodeObserverEvent(event);
    const runtime = wire();
    if (decoded.kind === 'reconcile') return runtime.reconcile();
    await runtime.onTaskStateChange(decoded.event);
    return {};
  };
}

let wired: ((event: unknown) => Promise<unknown>) | undefined;

/** Lambda entry point: the wiring module is imported on first use, so unit tests of the factory need no AWS env. */
export const handler = async (event: unknown): Promise<unknown> => {
  if (!wired) {
    const { cloudObserver } = await import('./wiring.ts');
    wired = createObserverHandler(cloudObserver);
  }
  return wired(event);
};
