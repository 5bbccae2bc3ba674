// A clock that runs `scale` times faster than real time from `start`, with timer functions that wait the
// correspondingly shorter real time: given to the CronJob controller of an in-process `podflow serve`, a schedule's
// minutes pass in fractions of a real second while kubectl, the API and the processes run for real. With `held`, it
// stays at `start` until `run()` (the test starts it once the server is up, so that start-up time does not count).
import type { Clock } from '../../src/ports/clock.ts';

export interface ScaledClock {
  clock: Clock;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  /** Starts a held clock (no effect on a running one). */
  run: () => void;
}

export function scaledClock(scale: number, start: number, options: { held?: boolean } = {}): ScaledClock {
  let real0 = options.held ? undefined : Date.now();
  const now = (): number => (real0 === undefined ? start : start + (Date.now() - real0) * scale);
  const pending = new Set<{ fn: () => void; at: number; handle?: ReturnType<typeof setTimeout> }>();
  const arm = (t: { fn: () => void; at: number; handle?: ReturnType<typeof setTimeout> }): void => {
    t.handle = setTimeout(
      () => {
        pending.delete(t);
        t.fn();
      },
      Math.ceil(Math.max(0, t.at - now()) / scale),
    );
  };
  return {
    clock: { now },
    setTimer: (fn, ms) => {
      const t = { fn, at: now() + ms };
      pending.add(t);
      // A held clock arms its timers when it starts.
      if (real0 !== undefined) arm(t);
      return t;
    },
    clearTimer: (h) => {
      const t = h as { handle?: ReturnType<typeof setTimeout> };
      clearTimeout(t.handle);
      pending.delete(t as never);
    },
    run: () => {
      if (real0 !== undefined) return;
      real0 = Date.now();
      for (const t of pending) arm(t);
    },
  };
}
