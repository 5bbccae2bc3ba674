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
  /** A sync that throws: reported with `<what> <namespace>/<name>: sync`, and the object is synced again later. */
  onError: (err: unknown, context: string) => void;
  what: string;
}

/** Node's setTimeout takes at most 2^31-1 ms (a longer delay fires at once); a later instant is re-armed then. */
const MAX_TIMER_MS = 2_147_483_647;

const keyText = (namespace: string, name: string): string => `${namespace}/${name}`;

export function createSyncQueue(o: SyncQueueOptions) {
  const setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = o.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  /** Per object: the sync running now, and whether another one is due after it. */
  const running = new Map<string, { done: Promise<void>; again: boolean }>();
  const timers = new Map<string, { at: number; handle: unknown }>();
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
    /** Resolves once no sync is running. */
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.all([...running.values()].map((r) => r.done));
    },
    /** Disarms every timer, takes no more work and waits for the syncs running. */
    async close(): Promise<void> {
      closed = true;
      for (const t of timers.values()) clearTimer(t.handle);
      timers.clear();
      await Promise.all([...running.values()].map((r) => r.done));
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
