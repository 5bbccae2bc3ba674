// LocalWakeupScheduler: the WakeupScheduler of local mode (docs/architecture.md §4, §9) — durable timer rows in a TimerTable
// (SQLite by default, or items of the DynamoDB table) plus in-process timers, so pending back-off timers survive an
// engine restart.
//
// Life of a timer:
//   scheduleAt → table.put (unconditional: replaces the instant) → arm the in-process timer (if started)
//   due        → onDue(timerDue) → table.deleteIfAt(<the instant that fired>)
//                 (a scheduleAt that replaced the instant meanwhile keeps its row: the re-schedule is not lost)
//   onDue throws → keep the row, retry after 1 s, 2 s, 4 s … capped at 30 s (at-least-once)
//   cancel     → clear the in-process timer, table.delete (a missing row is fine)
//   stop       → clear the in-process timers; rows stay
//   start      → table.list and arm every timer, earliest first; an instant that passed while the engine was down
//                 fires right away.
// A crash after onDue succeeded but before the delete makes the timer fire again at the next start: duplicates
// are allowed by the port (the consumer drops them by timerId / dueAt).
import type { Clock } from '../../ports/clock.ts';
import type { PodKey } from '../../ports/pod-key.ts';
import type { TimerDue, WakeupScheduler } from '../../ports/wakeup-scheduler.ts';
import { MAX_TIMER_DELAY_MS, nodeTimers, type TimerFunctions } from './timer-functions.ts';
import type { TimerTable } from './timer-table.ts';

/** First retry delay after onDue threw; doubles per failed attempt (a transient inbox write failure heals fast). */
export const DELIVERY_RETRY_INITIAL_DELAY_MS = 1_000;

/** Cap of the retry delay: a store that stays down is polled twice a minute, not hammered. */
export const DELIVERY_RETRY_MAX_DELAY_MS = 30_000;

export interface LocalWakeupSchedulerOptions {
  /** Where the timers are kept durable. */
  table: TimerTable;
  clock: Clock;
  /**
   * Delivers the timer (the engine appends `timerDue` to the pod inbox). Called at or after `dueAt`; may be
   * called more than once for one instant (retry after a throw, or a crash before the row was deleted).
   */
  onDue: (due: TimerDue) => Promise<void> | void;
  /** Defaults to Node's timers; tests pass a manual clock's. */
  timers?: TimerFunctions;
  /** Where failures that cannot be thrown to a caller go (onDue threw, the delete after delivery failed). */
  onError?: (error: unknown, context: { operation: 'deliver' | 'delete'; due: TimerDue }) => void;
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
}

interface ArmedTimer {
  sk: string;
  key: PodKey;
  timerId: string;
  at: number;
  handle?: unknown;
  failedAttempts: number;
}

type State = 'idle' | 'running' | 'stopped';

const timerSortKey = (key: PodKey, timerId: string): string => `${key.namespace}/${key.name}/${timerId}`;

const defaultOnError: NonNullable<LocalWakeupSchedulerOptions['onError']> = (error, { operation, due }) => {
  console.error(
    `LocalWakeupScheduler: ${operation} of timer ${due.key.namespace}/${due.key.name}/${due.timerId} failed`,
    error,
  );
};

/**
 * Nothing fires before `start()`: scheduleAt before it only writes the row, and start arms everything that is
 * stored (including what an earlier process left). `stop()` clears the in-process timers and keeps the rows.
 */
export class LocalWakeupScheduler implements WakeupScheduler {
  readonly #table: TimerTable;
  readonly #clock: Clock;
  readonly #onDue: LocalWakeupSchedulerOptions['onDue'];
  readonly #timers: TimerFunctions;
  readonly #onError: NonNullable<LocalWakeupSchedulerOptions['onError']>;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;

  #state: State = 'idle';
  /** The timers armed in this process, by SK. An entry is replaced (never mutated in place) on re-schedule. */
  readonly #armed = new Map<string, ArmedTimer>();
  /** Per-SK chains: the writes for one timer happen in call order, so the last call's instant wins in the table. */
  readonly #lanes = new Map<string, Promise<unknown>>();
  /** SKs touched by scheduleAt/cancel while start() was reading: its (older) snapshot must not re-arm them. */
  #touchedDuringStart: Set<string> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: LocalWakeupSchedulerOptions) {
    this.#table = options.table;
    this.#clock = options.clock;
    this.#onDue = options.onDue;
    this.#timers = options.timers ?? nodeTimers;
    this.#onError = options.onError ?? defaultOnError;
    this.#retryInitialMs = options.retry?.initialDelayMs ?? DELIVERY_RETRY_INITIAL_DELAY_MS;
    this.#retryMaxMs = options.retry?.maxDelayMs ?? DELIVERY_RETRY_MAX_DELAY_MS;
  }

  async scheduleAt(key: PodKey, timerId: string, at: number): Promise<void> {
    if (!Number.isFinite(at)) throw new TypeError(`scheduleAt: at must be epoch milliseconds, got ${at}`);
    const sk = timerSortKey(key, timerId);
    this.#touchedDuringStart?.add(sk);
    await this.#inLane(sk, async () => {
      // Durable first: once scheduleAt resolves, the timer survives a crash.
      await this.#table.put({ key: { ...key }, timerId, at });
      this.#disarm(sk);
      if (this.#state === 'running') this.#arm({ sk, key: { ...key }, timerId, at, failedAttempts: 0 });
    });
  }

  async cancel(key: PodKey, timerId: string): Promise<void> {
    const sk = timerSortKey(key, timerId);
    this.#touchedDuringStart?.add(sk);
    await this.#inLane(sk, async () => {
      this.#disarm(sk);
      await this.#table.delete(key, timerId);
    });
  }

  /** Arms every stored timer (earliest first). Idempotent while running; a stopped scheduler may start again. */
  async start(): Promise<void> {
    if (this.#state === 'running') return;
    const previous = this.#state;
    this.#state = 'running';
    const touched = new Set<string>();
    this.#touchedDuringStart = touched;
    try {
      let stored: ArmedTimer[];
      try {
        stored = await this.#readAll();
      } catch (err) {
        // Not started: a later start() must read again rather than return early with nothing armed.
        if (this.#state === 'running') this.#state = previous;
        for (const sk of [...this.#armed.keys()]) this.#disarm(sk);
        throw err;
      }
      stored.sort((a, b) => a.at - b.at);
      for (const timer of stored) {
        if (this.#state !== 'running') break;
        if (touched.has(timer.sk) || this.#armed.has(timer.sk)) continue;
        this.#arm(timer);
      }
    } finally {
      if (this.#touchedDuringStart === touched) this.#touchedDuringStart = undefined;
    }
  }

  /** Clears the in-process timers (rows stay) and waits for deliveries already in progress. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    for (const sk of [...this.#armed.keys()]) this.#disarm(sk);
    await this.drain();
  }

  /** Resolves once no delivery or write started so far is in progress (for shutdown and tests). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0 || this.#lanes.size > 0) {
      await Promise.allSettled([...this.#inFlight, ...this.#lanes.values()]);
    }
  }

  #arm(timer: ArmedTimer, delayMs?: number): void {
    this.#armed.set(timer.sk, timer);
    const delay = delayMs ?? Math.max(0, timer.at - this.#clock.now());
    timer.handle = this.#timers.setTimeout(() => this.#onTimer(timer), Math.min(delay, MAX_TIMER_DELAY_MS));
  }

  #disarm(sk: string): void {
    const timer = this.#armed.get(sk);
    if (!timer) return;
    if (timer.handle !== undefined) this.#timers.clearTimeout(timer.handle);
    timer.handle = undefined;
    this.#armed.delete(sk);
  }

  #onTimer(timer: ArmedTimer): void {
    timer.handle = undefined;
    if (this.#armed.get(timer.sk) !== timer || this.#state !== 'running') return;
    // A chunk of a long wait ended (or the timer woke a hair early): wait for the rest.
    if (this.#clock.now() < timer.at) {
      this.#arm(timer);
      return;
    }
    this.#track(this.#fire(timer));
  }

  async #fire(timer: ArmedTimer): Promise<void> {
    const due: TimerDue = { key: { ...timer.key }, timerId: timer.timerId, dueAt: timer.at };
    try {
      await this.#onDue(due);
    } catch (err) {
      this.#onError(err, { operation: 'deliver', due });
      // Still the current instant of this timer? Then try again later; the row stays, so a restart retries too.
      if (this.#armed.get(timer.sk) === timer && this.#state !== 'stopped') {
        timer.failedAttempts += 1;
        const delay = Math.min(this.#retryMaxMs, this.#retryInitialMs * 2 ** (timer.failedAttempts - 1));
        this.#arm(timer, delay);
      }
      return;
    }
    if (this.#armed.get(timer.sk) === timer) this.#armed.delete(timer.sk);
    try {
      await this.#inLane(timer.sk, () => this.#table.deleteIfAt(timer.key, timer.timerId, timer.at));
    } catch (err) {
      // The row stays and fires once more at the next start: a duplicate, which the consumer drops.
      this.#onError(err, { operation: 'delete', due });
    }
  }

  async #readAll(): Promise<ArmedTimer[]> {
    return (await this.#table.list()).map(({ key, timerId, at }) => ({
      sk: timerSortKey(key, timerId),
      key,
      timerId,
      at,
      failedAttempts: 0,
    }));
  }

  #inLane<T>(sk: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#lanes.get(sk) ?? Promise.resolve();
    const result = previous.then(operation, operation);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#lanes.set(sk, tail);
    void tail.then(() => {
      if (this.#lanes.get(sk) === tail) this.#lanes.delete(sk);
    });
    return result;
  }

  #track(operation: Promise<void>): void {
    this.#inFlight.add(operation);
    void operation.finally(() => this.#inFlight.delete(operation));
  }
}
