// The wakeup Lambda (docs/architecture.md §4): target of the EventBridge Scheduler one-time schedules and of the
// direct async invokes of EventBridgeWakeupScheduler. Thin: decode {namespace, name, timerId, dueAt}, sleep until
// dueAt (Scheduler fires at the start of the due minute; the direct path arrives up to directThresholdMs + 60 s
// early), deliver — a pod's timer to its inbox, a controller's (timerId sync.Job, sync.CronJob) as an invoke of the
// controllers function, which must not sleep itself (it runs one invocation at a time).
//
// Failure semantics: a throw makes Lambda retry the event (async invocations: up to two retries; Scheduler: its
// retry policy), i.e. at-least-once — the consumer drops duplicates by timerId/dueAt.
import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  controllerOfTimer,
  decodeWakeupPayload,
  timerDueOf,
} from '../src/adapters/eventbridge/wakeup-payload.ts';
import { MAX_DIRECT_WAIT_MS } from '../src/adapters/eventbridge/direct-wakeup.ts';
import { systemClock, type Clock } from '../src/ports/clock.ts';
import type { TimerDue } from '../src/ports/wakeup-scheduler.ts';

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

/** Real sleep: Node's timers (the waits are bounded by maxWaitMs, far below 2^31 ms). */
export const sleepMs = (ms: number): Promise<void> => sleepFor(ms);

let wired: ((event: unknown) => Promise<void>) | undefined;

/** Lambda entry point: the wiring module is imported on first use, so unit tests of the factory need no AWS env. */
export const handler = async (event: unknown): Promise<void> => {
  if (!wired) {
    const [{ cloudDelivery, controllersInvoker }, { deliverEvent }, { timerDueEvent }] = await Promise.all([
      import('./wiring.ts'),
      import('../src/engine/deliver-event.ts'),
      import('../src/engine/observation-events.ts'),
    ]);
    const deps = cloudDelivery();
    const syncController = controllersInvoker();
    wired = createWakeupHandler({
      clock: systemClock,
      sleep: sleepMs,
      // A controller's timer (a Job's back-off, deadline or TTL) is a sync of the controllers function; the others
      // are pods' timers.
      deliver: (due) => {
        const controller = controllerOfTimer(due.timerId);
        return controller
          ? syncController(controller, due.key.namespace, due.key.name)
          : deliverEvent(deps, due.key, timerDueEvent(due, systemClock.now()));
      },
    });
  }
  await wired(event);
};
