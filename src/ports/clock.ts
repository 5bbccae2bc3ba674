/** The only way the engine reads time. Tests pass a manual clock and move it; production uses `systemClock`. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
