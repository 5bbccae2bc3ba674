// Paces the pods' lifecycle steps on the one event loop of local mode, so that the API's requests are read while
// hundreds of pods start.
//
// In a cluster the API server and the kubelet are separate processes: a burst of creates is accepted at the API
// server's pace and the kubelet starts the pods at its own. Here both share one thread, and the event loop reads
// new requests from their sockets only between runs of JavaScript. A step starts with a run of synchronous work
// (store writes, files, spawns) before its first await; started all at once — a burst of creates starts as many
// workers — they keep the loop from polling for as long as all of them take, and each create waits behind them.
//
// So steps start in slices: once steps have been starting for `sliceMs` within one turn of the loop, the next ones
// wait for the next turn (setImmediate: after the loop has polled for I/O), in the order they came. Nothing else
// is limited — a started step awaits its processes and files with no cap on how many do — so a pod waits at most a
// few turns longer to start, and an idle loop starts every step at once.
//
// A step waiting here holds nothing: the wait for a container event (a `.waitForTaskToken` task's token) is outside,
// so a step never waits for another step and the pacer cannot deadlock.
import { performance } from 'node:perf_hooks';

/** How long steps may keep starting in one turn of the event loop. */
export const DEFAULT_STEP_SLICE_MS = 4;

export class StepPacer {
  readonly #sliceMs: number;
  readonly #now: () => number;
  /** When the current slice began; undefined between slices. */
  #sliceStart: number | undefined;
  readonly #waiting: Array<() => void> = [];

  constructor(options: { sliceMs?: number; now?: () => number } = {}) {
    this.#sliceMs = options.sliceMs ?? DEFAULT_STEP_SLICE_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Starts `step` in this slice or a later one; resolves or rejects as it does. */
  async run<T>(step: () => Promise<T>): Promise<T> {
    if (this.#waiting.length > 0 || !this.#inSlice())
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return step(); // its synchronous part runs here
    } finally {
      this.#next();
    }
  }

  /** Steps waiting for a later slice (tests). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether a step may start now; the first start of a slice opens it and arranges its end. */
  #inSlice(): boolean {
    const now = this.#now();
    if (this.#sliceStart === undefined) {
      this.#sliceStart = now;
      setImmediate(() => {
        this.#sliceStart = undefined;
        this.#next();
      });
      return true;
    }
    return now - this.#sliceStart < this.#sliceMs;
  }

  /** Lets the first waiting step go if the slice has room (it calls #next again once it has started). */
  #next(): void {
    if (this.#waiting.length > 0 && this.#inSlice()) this.#waiting.shift()!();
  }
}
