// WakeupScheduler: arranges a `timerDue` event in a pod's inbox at a given instant (docs/architecture.md §4).
// Adapters: LocalWakeupScheduler (durable timer items + in-process timers), EventBridgeWakeupScheduler (cloud).
import type { PodKey } from './pod-key.ts';

export interface TimerDue {
  key: PodKey;
  timerId: string;
  /** The instant it was scheduled for (epoch ms). */
  dueAt: number;
}

export interface WakeupScheduler {
  /**
   * Delivers `timerDue(timerId)` to the pod at or after `at` (epoch ms; in the past = as soon as possible).
   * Idempotent per (key, timerId): scheduling the same id again replaces the instant. A timer may fire twice
   * (at-least-once); the consumer drops duplicates by timerId. Survives an engine restart.
   */
  scheduleAt(key: PodKey, timerId: string, at: number): Promise<void>;

  /** Cancels the timer if it has not fired. Idempotent; cancelling an unknown timer is not an error. */
  cancel(key: PodKey, timerId: string): Promise<void>;
}
