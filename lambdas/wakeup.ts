// The wakeup Lambda (DESIGN §4): target of the EventBridge Scheduler one-time schedules and of the direct async
// invokes of EventBridgeWakeupScheduler. Thin: decode {namespace, name, timerId, dueAt}, sleep until dueAt (Scheduler
// fires at the start of the due minute; the direct path arrives up to directThresholdMs + 60 s early), deliver.
//
// Failure semantics: a throw makes Lambda retry the event (async invocations: up to two retries; Scheduler: its
// retry policy), i.e. at-least-once — the consumer drops duplicates by timerId/dueAt.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { decodeWakeupPayload, timerDueOf } from '../adapters/eventbridge/wakeup-payload.ts';
import { MAX_DIRECT_WAIT_MS } from '../adapters/eventbridge/direct-wakeup.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import type { TimerDue } from '../ports/wakeup-scheduler.ts';

export interface WakeupHandlerDeps {
  clock: Clock;
  /** Resolves after about `ms` milliseconds (waking early is fine: the handler sleeps again). */
  sleep: (ms: number) => Promise<void>;
  /** Appends `timerDue` to the pod's inbox (the engine's delivery use case). */
  deliver: (due: TimerDue) => Promise<void>;
  /** Refuse to sleep longer than this (an invocation cannot outlive its timeout). Default MAX_DIRECT_WAIT_MS. */
  maxWaitMs?: number;
}

/** The event arrived further ahead of dueAt than the function can sleep: a routing or clock error, not a timer. */
export class WakeupTooEarlyError extends Error {
  override name = 'WakeupTooEarlyError';
}

export class WakeupNotWiredError extends Error {
  override name = 'WakeupNotWiredError';
}

export function createWakeupHandler(deps: WakeupHandlerDeps): (event: unknown) => Promise<void> {
  const maxWaitMs = deps.maxWaitMs ?? MAX_DIRECT_WAIT_MS;
  return async (event) => {
    const payload = decodeWakeupPayload(event);
    let remaining = payload.dueAt - deps.clock.now();
    if (remaining > maxWaitMs) {
      throw new WakeupTooEarlyError(
        `timer ${payload.namespace}/${payload.name}/${payload.timerId} is due in ${remaining} ms, more than the ${maxWaitMs} ms this function may wait`,
      );
    }
    while (remaining > 0) {
      await deps.sleep(remaining);
      remaining = payload.dueAt - deps.clock.now();
    }
    await deps.deliver(timerDueOf(payload));
  };
}

/**
 * Lambda entry point. Delivery into the pod inbox belongs to the engine's Lambda wiring module (not written yet);
 * until it passes the real `deliver`, the function fails loudly instead of sleeping and then dropping the timer.
 */
export const handler = async (_event: unknown): Promise<void> => {
  throw new WakeupNotWiredError(
    'wakeup Lambda: deliver is not wired yet (the engine wiring module passes it)',
  );
};

/** Real sleep for the wiring module: Node's timers (the waits are bounded by maxWaitMs, far below 2^31 ms). */
export const sleepMs = (ms: number): Promise<void> => sleepFor(ms);

/** Production dependencies except `deliver`, for the wiring module. */
export const wakeupRuntimeDeps: Pick<WakeupHandlerDeps, 'clock' | 'sleep'> = {
  clock: systemClock,
  sleep: sleepMs,
};
