// Test double support: the clock the emulators schedule by (Scheduler's one-time schedules, EventBridge's scheduled
// rules, Lambda's async retry delays). Real time plus an offset a test may advance, so a schedule due in three
// minutes fires after `advance(180_000)` instead of three real minutes. The Lambda functions themselves run on real
// time (each is a worker with the system clock), so an advanced emulator clock only moves *when the services act*,
// never what the functions read.
export interface EmulatorClock {
  now(): number;
  /** Calls `fn` once `now()` has reached `at`; returns a cancel function. */
  at(at: number, fn: () => void): () => void;
}

export class OffsetClock implements EmulatorClock {
  #offset = 0;
  #frozenAt: number | undefined;
  #timers = new Set<{ at: number; fn: () => void }>();
  #handle: NodeJS.Timeout | undefined;

  now(): number {
    return (this.#frozenAt ?? Date.now()) + this.#offset;
  }

  /**
   * Stops the clock following real time: from now on only `advance` moves it (a measurement that counts what
   * scheduled rules do per emulated hour must not see extra ticks while it runs).
   */
  freeze(): void {
    this.#frozenAt ??= Date.now();
    this.#arm();
  }

  /** Follows real time again, from where the frozen clock stands. */
  thaw(): void {
    if (this.#frozenAt === undefined) return;
    this.#offset += this.#frozenAt - Date.now();
    this.#frozenAt = undefined;
    this.#arm();
  }

  at(at: number, fn: () => void): () => void {
    const timer = { at, fn };
    this.#timers.add(timer);
    this.#arm();
    return () => {
      this.#timers.delete(timer);
      this.#arm();
    };
  }

  /** Moves the clock forward; whatever came due fires. */
  advance(ms: number): void {
    this.#offset += ms;
    this.#fire();
  }

  /** Drops every pending timer (harness shutdown). */
  clear(): void {
    this.#timers.clear();
    this.#arm();
  }

  #fire(): void {
    const now = this.now();
    for (const t of [...this.#timers]) {
      if (t.at <= now) {
        this.#timers.delete(t);
        t.fn();
      }
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#handle) clearTimeout(this.#handle);
    this.#handle = undefined;
    if (this.#timers.size === 0 || this.#frozenAt !== undefined) return;
    const next = Math.min(...[...this.#timers].map((t) => t.at));
    // Node timers take at most 2^31-1 ms; re-arming after that is enough for far timers.
    this.#handle = setTimeout(() => this.#fire(), Math.min(Math.max(0, next - this.now()), 2 ** 31 - 1));
    this.#handle.unref();
  }
}
