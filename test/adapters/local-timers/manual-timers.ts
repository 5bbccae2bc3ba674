// A manual clock with timers: tests move time instead of sleeping (docs/CONVENTIONS.md). Implements both Clock and
// the TimerFunctions LocalWakeupScheduler takes, and `sleep` for the wakeup Lambda, so one object drives a whole
// chain.
import type { TimerFunctions } from '../../../src/adapters/local-timers/timer-functions.ts';
import type { Clock } from '../../../src/ports/clock.ts';

interface PendingTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** Lets queued promise callbacks (and anything they queue) run. */
export const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ManualTimers implements Clock, TimerFunctions {
  #now: number;
  #nextId = 1;
  readonly #pending = new Map<number, PendingTimer>();
  /** Every delay passed to setTimeout, in call order. */
  readonly requestedDelays: number[] = [];

  constructor(startAt: number) {
    this.#now = startAt;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    this.requestedDelays.push(ms);
    const id = this.#nextId++;
    this.#pending.set(id, { id, at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => this.setTimeout(resolve, ms));

  /** Number of timers armed and not yet fired or cleared. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Moves time forward by `ms`, running each timer at its instant in order (ties in arming order) and letting the
   * promise chains it starts settle before the next one, so timers armed by callbacks fire within the same advance.
   */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      let next: PendingTimer | undefined;
      for (const timer of this.#pending.values()) {
        if (timer.at <= until && (!next || timer.at < next.at)) next = timer;
      }
      if (!next) break;
      this.#pending.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
    }
    this.#now = until;
    await flushMicrotasks();
  }
}
