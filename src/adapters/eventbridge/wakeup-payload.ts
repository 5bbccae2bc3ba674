// The event the wakeup Lambda receives — as the Scheduler target's `Input` (a templated Lambda target passes it as
// the invocation payload) and as the payload of a direct asynchronous invoke. One shape for both paths.
import type { TimerDue } from '../../ports/wakeup-scheduler.ts';

export interface WakeupPayload {
  namespace: string;
  name: string;
  timerId: string;
  /** The instant the timer was scheduled for (epoch ms); the Lambda waits until then before delivering. */
  dueAt: number;
}

/**
 * The timerIds that ask a controller to sync (the controllers function, lambdas/controllers.ts) rather than deliver a
 * pod's timer: the payload's namespace and name are then the Job's or the CronJob's.
 */
export const CONTROLLER_SYNC_TIMER_IDS = { Job: 'sync.Job', CronJob: 'sync.CronJob' } as const;

export type ControllerSyncKind = keyof typeof CONTROLLER_SYNC_TIMER_IDS;

/** The controller a timerId asks to sync, if it is one of CONTROLLER_SYNC_TIMER_IDS. */
export const controllerOfTimer = (timerId: string): ControllerSyncKind | undefined =>
  timerId === CONTROLLER_SYNC_TIMER_IDS.Job
    ? 'Job'
    : timerId === CONTROLLER_SYNC_TIMER_IDS.CronJob
      ? 'CronJob'
      : undefined;

export class InvalidWakeupPayloadError extends Error {
  override name = 'InvalidWakeupPayloadError';
}

export const wakeupPayloadOf = (due: TimerDue): WakeupPayload => ({
  namespace: due.key.namespace,
  name: due.key.name,
  timerId: due.timerId,
  dueAt: due.dueAt,
});

export const timerDueOf = (payload: WakeupPayload): TimerDue => ({
  key: { namespace: payload.namespace, name: payload.name },
  timerId: payload.timerId,
  dueAt: payload.dueAt,
});

/** Accepts the parsed object (how Lambda hands a JSON payload over) or its JSON text. Collects every problem. */
export function decodeWakeupPayload(event: unknown): WakeupPayload {
  let value = event;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new InvalidWakeupPayloadError('wakeup payload: not JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidWakeupPayloadError('wakeup payload: expected an object');
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ['namespace', 'name', 'timerId'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') problems.push(`${field}: Required value`);
  }
  if (typeof v.dueAt !== 'number' || !Number.isFinite(v.dueAt))
    problems.push('dueAt: Invalid value: epoch milliseconds');
  if (problems.length > 0) throw new InvalidWakeupPayloadError(`wakeup payload: ${problems.join(', ')}`);
  return {
    namespace: v.namespace as string,
    name: v.name as string,
    timerId: v.timerId as string,
    dueAt: v.dueAt as number,
  };
}
