// Watches (`?watch=true`): one hub per API process turns the store's committed changes into ADDED / MODIFIED /
// DELETED events for every open watch, and keeps a window of recent changes so that a watch can start from a
// resourceVersion (what `kubectl get -w`, `kubectl wait`, `kubectl delete` and informers do after a list).
//
// Where changes come from:
// - local mode: the ObservablePodStore tells about every commit, in commit order (push, always on);
// - the cloud: nothing pushes (the writers are separate Lambdas and DynamoDB Streams are not used), so a poller lists
//   the table while at least one watch is open and diffs it (PollingChangeSource); the hub lets go of it when the
//   last watch ends.
//
// Semantics (docs/decisions/0004-api.md):
// - no resourceVersion, or "0": the current objects as ADDED, then changes (the API server's "any" semantics);
// - a resourceVersion inside the window: every change after it, in commit order, then live changes. A removal has
//   a resourceVersion of its own (PodStore.remove), which the DELETED object carries, as the API server's does: a
//   watch from a list's version gets the DELETED exactly when the list still had the pod;
// - a resourceVersion older than the window (the API restarted, or the window moved past it): the current objects
//   as ADDED, then changes — where the API server would answer 410 Gone and make the client relist, podflow relists
//   for it;
// - an object that starts or stops matching the watch's selectors arrives as ADDED or DELETED (the cacher's rule).
import type { Pod } from 'kubernetes-types/core/v1';
import type { StoreChange } from '../engine/observable-pod-store.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { PodStore, StoredPod } from '../ports/pod-store.ts';
import { podKeyText, servedPod } from './objects.ts';
import { isServed } from './served-store.ts';
import { badRequest } from './status.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Tells about committed store changes. */
export interface ChangeSource {
  subscribe(listener: (change: StoreChange) => void): () => void;
}

/** What one watch wants to see. */
export interface PodFilter {
  namespace?: string;
  matches(pod: Pod): boolean;
}

export type RecordedEvent = Extract<StoreChange, { type: 'event' }>['event'];

interface Entry {
  seq: number;
  rv: bigint;
  type: WatchEventType;
  pod: Pod;
  /** The object before this change, for selector transitions. */
  prev?: Pod;
  key: string;
}

interface Watcher {
  filter: PodFilter;
  emit: (type: WatchEventType, pod: Pod) => void;
  close: () => void;
}

/** Changes kept for watches that resume from a resourceVersion. */
export const DEFAULT_WATCH_WINDOW = 10_000;

export interface PodWatchHubOptions {
  store: Pick<PodStore, 'list'>;
  source: ChangeSource;
  /** Keep listening while no watch is open (a push source costs nothing idle; a poller does). */
  keepAlive: boolean;
  window?: number;
}

function parseResourceVersion(rv: string | undefined): bigint | undefined {
  if (rv === undefined || rv === '' || rv === '0') return undefined;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return BigInt(rv);
}

export interface WatchHandle {
  stop(): void;
}

export class PodWatchHub {
  readonly #store: Pick<PodStore, 'list'>;
  readonly #source: ChangeSource;
  readonly #keepAlive: boolean;
  readonly #window: number;
  #entries: Entry[] = [];
  #seq = 0;
  /** Every change with a resourceVersion above this one is in #entries. */
  #floor = 0n;
  readonly #last = new Map<string, Pod>();
  readonly #watchers = new Set<Watcher>();
  readonly #eventListeners = new Set<(e: RecordedEvent) => void>();
  #ready: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(options: PodWatchHubOptions) {
    this.#store = options.store;
    this.#source = options.source;
    this.#keepAlive = options.keepAlive;
    this.#window = options.window ?? DEFAULT_WATCH_WINDOW;
  }

  /** Starts listening (idempotent). Resolves once the window's starting point is known. */
  start(): Promise<void> {
    this.#ready ??= this.#start().catch((err: unknown) => {
      this.#reset();
      throw err;
    });
    return this.#ready;
  }

  async #start(): Promise<void> {
    const pending: StoreChange[] = [];
    let live = false;
    this.#unsubscribe = this.#source.subscribe((c) => (live ? this.#apply(c) : pending.push(c)));
    const { items, resourceVersion } = await this.#store.list();
    for (const s of items) this.#last.set(podKeyText(s.key), servedPod(s));
    this.#floor = BigInt(resourceVersion);
    live = true;
    for (const c of pending) this.#apply(c);
  }

  #reset(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#ready = undefined;
    this.#entries = [];
    this.#last.clear();
    this.#floor = 0n;
  }

  #apply(change: StoreChange): void {
    if (change.type === 'event') {
      for (const l of this.#eventListeners) l(change.event);
      return;
    }
    let entry: Omit<Entry, 'seq'>;
    if (change.type === 'removed') {
      const key = podKeyText(change.key);
      const prev = this.#last.get(key);
      if (!prev) return; // never seen: nobody can be watching it
      this.#last.delete(key);
      const pod = { ...prev, metadata: { ...prev.metadata, resourceVersion: change.resourceVersion } };
      entry = { rv: BigInt(change.resourceVersion), type: 'DELETED', pod, prev, key };
    } else if (!isServed(change.pod)) {
      // A force delete took it out of the API: a removal for watchers; its later changes are not served.
      const key = podKeyText(change.pod.key);
      const prev = this.#last.get(key);
      if (!prev) return;
      this.#last.delete(key);
      const pod = { ...prev, metadata: { ...prev.metadata, resourceVersion: change.pod.resourceVersion } };
      entry = { rv: BigInt(change.pod.resourceVersion), type: 'DELETED', pod, prev, key };
    } else {
      const pod = servedPod(change.pod);
      const key = podKeyText(change.pod.key);
      const prev = this.#last.get(key);
      this.#last.set(key, pod);
      entry = {
        rv: BigInt(change.pod.resourceVersion),
        type: change.type === 'created' || !prev ? 'ADDED' : 'MODIFIED',
        pod,
        ...(prev ? { prev } : {}),
        key,
      };
    }
    const full: Entry = { ...entry, seq: ++this.#seq };
    this.#entries.push(full);
    if (this.#entries.length > this.#window * 2) {
      const evicted = this.#entries.splice(0, this.#entries.length - this.#window);
      for (const e of evicted) if (e.rv > this.#floor) this.#floor = e.rv;
    }
    for (const w of this.#watchers) deliver(w, full);
  }

  /**
   * Opens a watch: `emit` gets the events (synchronously, in order); `close` is called when the hub shuts down.
   * Throws a 400 ApiError for a resourceVersion that is not a number.
   */
  async watch(
    filter: PodFilter,
    resourceVersion: string | undefined,
    emit: Watcher['emit'],
    close: () => void,
  ): Promise<WatchHandle> {
    const from = parseResourceVersion(resourceVersion);
    await this.start();
    const watcher: Watcher = { filter, emit, close };
    let backlog: Entry[];
    if (from === undefined || from < this.#floor) {
      const mark = this.#seq;
      const { items } = await this.#store.list(filter.namespace);
      const listed = new Map<string, bigint>();
      for (const s of items) {
        const pod = servedPod(s);
        if (!filter.matches(pod)) continue;
        listed.set(podKeyText(s.key), BigInt(s.resourceVersion));
        emit('ADDED', pod);
      }
      // What changed while listing; the listed version of an object is not sent twice.
      backlog = this.#entries.filter((e) => {
        if (e.seq <= mark) return false;
        const seen = listed.get(e.key);
        return seen === undefined || e.type === 'DELETED' || e.rv > seen;
      });
    } else {
      backlog = this.#entries.filter((e) => e.rv > from);
    }
    for (const e of backlog) deliver(watcher, e);
    this.#watchers.add(watcher);
    return {
      stop: () => {
        if (!this.#watchers.delete(watcher)) return;
        if (!this.#keepAlive && this.#watchers.size === 0 && this.#eventListeners.size === 0) this.#reset();
      },
    };
  }

  /** Recorded Kubernetes Events as they are committed (events watches). */
  async onEvent(listener: (e: RecordedEvent) => void): Promise<() => void> {
    await this.start();
    this.#eventListeners.add(listener);
    return () => {
      this.#eventListeners.delete(listener);
      if (!this.#keepAlive && this.#watchers.size === 0 && this.#eventListeners.size === 0) this.#reset();
    };
  }

  /** Number of open watches (tests, shutdown). */
  get size(): number {
    return this.#watchers.size;
  }

  /** Ends every watch (graceful shutdown) and stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of [...this.#watchers]) w.close();
    this.#watchers.clear();
    this.#eventListeners.clear();
    this.#reset();
  }
}

function deliver(w: Watcher, e: Entry): void {
  const now = w.filter.matches(e.pod);
  if (e.type === 'DELETED') {
    if (now) w.emit('DELETED', e.pod);
    return;
  }
  const before = e.prev !== undefined && w.filter.matches(e.prev);
  if (e.type === 'ADDED') {
    if (now) w.emit('ADDED', e.pod);
    else if (before) w.emit('DELETED', e.pod);
    return;
  }
  if (now && before) w.emit('MODIFIED', e.pod);
  else if (now) w.emit('ADDED', e.pod);
  else if (before) w.emit('DELETED', e.pod);
}

/** How often the cloud's poller lists the table while a watch is open. */
export const DEFAULT_POLL_INTERVAL_MS = 1000;

/**
 * A ChangeSource for a store nobody pushes changes from (the cloud until DynamoDB Streams are wired): lists the
 * pods every interval while subscribed and reports what differs from the previous listing. Changes between two
 * polls collapse into one MODIFIED. Events are not reported.
 */
export class PollingChangeSource implements ChangeSource {
  readonly #store: Pick<PodStore, 'list'>;
  readonly #intervalMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #listeners = new Set<(c: StoreChange) => void>();
  #snapshot: Map<string, StoredPod> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    store: Pick<PodStore, 'list'>,
    intervalMs = DEFAULT_POLL_INTERVAL_MS,
    onError: (err: unknown) => void = () => {},
  ) {
    this.#store = store;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#running) {
      this.#running = true;
      void this.#poll();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        this.#running = false;
        clearTimeout(this.#timer);
        this.#snapshot = undefined;
      }
    };
  }

  async #poll(): Promise<void> {
    if (!this.#running) return;
    try {
      const { items, resourceVersion } = await this.#store.list();
      const next = new Map(items.map((s) => [podKeyText(s.key), s]));
      const before = this.#snapshot;
      this.#snapshot = next;
      if (before && this.#running) {
        const emit = (c: StoreChange) => this.#listeners.forEach((l) => l(c));
        for (const [k, s] of next) {
          const old = before.get(k);
          if (!old) emit({ type: 'created', pod: s });
          else if (old.resourceVersion !== s.resourceVersion) emit({ type: 'updated', pod: s });
        }
        // The listing's version stands for a removal seen between two polls: above every listed change.
        for (const [k, s] of before)
          if (!next.has(k)) emit({ type: 'removed', key: s.key as PodKey, resourceVersion });
      }
    } catch (err) {
      this.#onError(err);
    }
    if (this.#running) this.#timer = setTimeout(() => void this.#poll(), this.#intervalMs);
  }
}
