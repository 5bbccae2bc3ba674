// The in-process timer primitives LocalWakeupScheduler arms. Injectable so unit tests drive a manual clock instead
// of sleeping (time is a parameter: docs/CONVENTIONS.md); production passes nothing and gets Node's timers.

export interface TimerFunctions {
  /** Calls `callback` once after `ms` milliseconds; returns a handle for clearTimeout. `ms` ≤ MAX_TIMER_DELAY_MS. */
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Node.js: lib/internal/timers.js TIMEOUT_MAX = 2^31 - 1 ms (~24.8 days). A larger delay is not clamped but
 * replaced by 1 ms (with a TimeoutOverflowWarning), so longer waits must be re-armed in chunks of at most this.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export const nodeTimers: TimerFunctions = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
