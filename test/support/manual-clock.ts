// A Clock that only moves when the test moves it (ports/clock.ts): no test waits for real time to pass.
import type { Clock } from '../../src/ports/clock.ts';

/** 2025-01-01T00:00:00Z: a fixed, readable start so timestamps in assertions are stable. */
export const MANUAL_CLOCK_START = Date.UTC(2025, 0, 1);

export class ManualClock implements Clock {
  #now: number;

  constructor(start: number = MANUAL_CLOCK_START) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (never backward: a Clock is monotonic for its readers). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`a manual clock only moves forward (advance ${ms})`);
    this.#now += ms;
  }

  set(epochMs: number): void {
    if (epochMs < this.#now)
      throw new RangeError(`a manual clock only moves forward (${epochMs} < ${this.#now})`);
    this.#now = epochMs;
  }
}
