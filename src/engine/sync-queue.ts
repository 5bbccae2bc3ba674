// What the engine's controllers (Jobs, CronJobs) share: the work queue of client-go (k8s.io/client-go/util/workqueue
// queue.go — an object is synced by one worker at a time, and a change while it syncs marks it dirty for one more
// pass) and its AddAfter (one timer per object for the sync the last decision asked for: the end of a back-off, a
// deadline, the next schedule). Level-triggered: a sync reads everything it needs, so coalescing changes loses none.
import type { Clock } from '../ports/clock.ts';

export interface SyncQueueOptions {
  /** One pass over one object. */
  sync: (namespace: string, name: string) => Promise<void>;
  clock: Clock;
  /** Timer functions (default: the host's); a test with a manual or scaled clock passes its own. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /**
   * Where the next sync is armed instead of an in-process timer, when the process does not outlive its work (a
   * Lambda function): a durable wake-up that makes another process sync the object at `at` (undefined: disarmed).
   * `idle()` waits for these calls.
   */
  durableTimer?: DurableTimer;
  /** A sync that throws: reported with `<what> <namespace>/<name>: sync`, and the object is synced again later. */
  onError: (err: unknown, context: string) => void;
  what: string;
}

/** Node's setTimeout takes at most 2^31-1 ms (a longer delay fires at once); a later instant is re-armed then. */
const MAX_TIMER_MS = 2_147_483_647;

const keyText = (namespace: string, name: string): string => `${namespace}/${name}`;

/** A wake-up that survives the process (the cloud: a schedule or a delayed invoke of the controllers function). */
export interface DurableTimer {
  arm(namespace: string, name: string, at: number | undefined): Promise<void>;
}

export function createSyncQueue(o: SyncQueueOptions) {
  const setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = o.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  /** Per object: the sync running now, and whether another one is due after it. */
  const running = new Map<string, { done: Promise<void>; again: boolean }>();
  const timers = new Map<string, { at: number; handle: unknown }>();
  /** Durable timer calls not finished yet. */
  const arming = new Set<Promise<void>>();
  let closed = false;

  /** Syncs the object soon; a sync already running is followed by one more. */
  function enqueue(namespace: string, name: string): void {
    if (closed) return;
    const k = keyText(namespace, name);
    const current = running.get(k);
    if (current) {
      current.again = true;
      return;
    }
    const entry = { done: Promise.resolve(), again: false };
    entry.done = (async () => {
      do {
        entry.again = false;
        // A durable timer that is due has fired or will fire into a sync that finds nothing due: forgotten, so
        // that the next decision's instant is armed even when it is the same one.
        const armed = timers.get(k);
        if (o.durableTimer && armed && armed.at <= o.clock.now()) timers.delete(k);
        try {
          await o.sync(namespace, name);
        } catch (err) {
          o.onError(err, `${o.what} ${k}: sync`);
        }
      } while (entry.again && !closed);
      running.delete(k);
    })();
    running.set(k, entry);
  }

  /** Syncs the object at `at` (replacing the instant armed before); undefined disarms it. */
  function arm(namespace: string, name: string, at: number | undefined): void {
    const k = keyText(namespace, name);
    const current = timers.get(k);
    if (current && current.at === at) return;
    if (o.durableTimer) {
      // A disarm is sent only for a timer this process armed: one armed elsewhere fires into a sync that finds
      // nothing due, which is harmless.
      if (at === undefined) timers.delete(k);
      else timers.set(k, { at, handle: undefined });
      if (at === undefined && !current) return;
      const call = o.durableTimer
        .arm(namespace, name, at)
        .catch((err: unknown) => o.onError(err, `${o.what} ${k}: arming the next sync`))
        .finally(() => arming.delete(call));
      arming.add(call);
      return;
    }
    if (current) clearTimer(current.handle);
    timers.delete(k);
    if (at === undefined || closed) return;
    const handle = setTimer(
      () => {
        timers.delete(k);
        enqueue(namespace, name);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - o.clock.now())),
    );
    timers.set(k, { at, handle });
  }

  return {
    enqueue,
    arm,
    /** The instant the object's next sync is armed for. */
    armedAt: (namespace: string, name: string): number | undefined =>
      timers.get(keyText(namespace, name))?.at,
    /** Whether a sync is running or a durable timer call has not finished. */
    busy: (): boolean => running.size > 0 || arming.size > 0,
    /** Resolves once no sync is running and every durable timer call has finished. */
    async idle(): Promise<void> {
      while (running.size > 0 || arming.size > 0)
        await Promise.all([...[...running.values()].map((r) => r.done), ...arming]);
    },
    /** Disarms every timer, takes no more work and waits for the syncs running. */
    async close(): Promise<void> {
      closed = true;
      if (!o.durableTimer) for (const t of timers.values()) clearTimer(t.handle);
      timers.clear();
      await Promise.all([...[...running.values()].map((r) => r.done), ...arming]);
    },
  };
}

/** Deterministic JSON (sorted keys): a controller writes a status only when it changed. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
