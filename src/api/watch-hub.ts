// Watches (`?watch=true`): one hub per watched kind and API process turns the store's committed changes into ADDED /
// MODIFIED / DELETED events for every open watch, and keeps a window of recent changes so that a watch can start from
// a resourceVersion (what `kubectl get -w`, `kubectl wait`, `kubectl delete` and informers do after a list).
// WatchHub is that, for any kind; PodWatchHub feeds it the pods of the PodStore's changes (and passes Events on to
// the events watches); ObjectWatchSource (object-watch.ts) feeds it ConfigMaps, Secrets or Namespaces.
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

/** An object as a watch serves it: its metadata carries the version. */
export interface Watched {
  metadata?: { resourceVersion?: string; namespace?: string; name?: string };
}

/** A committed change as a hub sees it: an object written (served form) or removed, at a resourceVersion. */
export type HubChange<T> =
  | { type: 'put'; key: string; resourceVersion: string; object: T; created: boolean }
  /** `object`: the form it had, where the source knows it (the change log). */
  | { type: 'removed'; key: string; resourceVersion: string; object?: T };

/** Where a hub's objects come from: a listing (for a starting point and relists) and the changes after it. */
export interface HubSource<T> {
  list(namespace?: string): Promise<{
    items: Array<{ key: string; resourceVersion: string; object: T }>;
    resourceVersion: string;
  }>;
  subscribe(listener: (change: HubChange<T>) => void): () => void;
}

/** What one watch wants to see. */
export interface WatchFilter<T> {
  namespace?: string;
  matches(object: T): boolean;
}

export type PodFilter = WatchFilter<Pod>;

export type RecordedEvent = Extract<StoreChange, { type: 'event' }>['event'];

interface Entry<T> {
  seq: number;
  rv: bigint;
  type: WatchEventType;
  object: T;
  /** The object before this change, for selector transitions. */
  prev?: T;
  key: string;
}

interface Watcher<T> {
  filter: WatchFilter<T>;
  emit: (type: WatchEventType, object: T) => void;
  close: () => void;
}

/** Changes kept for watches that resume from a resourceVersion. */
export const DEFAULT_WATCH_WINDOW = 10_000;

function parseResourceVersion(rv: string | undefined): bigint | undefined {
  if (rv === undefined || rv === '' || rv === '0') return undefined;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return BigInt(rv);
}

export interface WatchHandle {
  stop(): void;
}

export interface WatchHubOptions<T> {
  source: HubSource<T>;
  /** Keep listening while no watch is open (a push source costs nothing idle; a poller does). */
  keepAlive: boolean;
  window?: number;
}

/** The watches of one kind: the window of recent changes and the open watches. */
export class WatchHub<T extends Watched> {
  readonly #source: HubSource<T>;
  readonly #keepAlive: boolean;
  readonly #window: number;
  #entries: Entry<T>[] = [];
  #seq = 0;
  /** Every change with a resourceVersion above this one is in #entries. */
  #floor = 0n;
  readonly #last = new Map<string, T>();
  readonly #watchers = new Set<Watcher<T>>();
  /** Listeners other than watches that keep the hub subscribed (PodWatchHub's event watches). */
  #retained = 0;
  #ready: Promise<void> | undefined;
  /** Listed and following the source: #last is every object as of the last change applied. */
  #live = false;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(options: WatchHubOptions<T>) {
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
    const pending: HubChange<T>[] = [];
    let live = false;
    this.#unsubscribe = this.#source.subscribe((c) => (live ? this.#apply(c) : pending.push(c)));
    const { items, resourceVersion } = await this.#source.list();
    for (const item of items) this.#last.set(item.key, item.object);
    this.#floor = BigInt(resourceVersion);
    live = true;
    for (const c of pending) this.#apply(c);
    this.#live = true;
  }

  /**
   * The object as of the last committed change, from the hub's own copy — the API server's watch cache — when that
   * copy is the truth: the hub follows a source that pushes every commit as it happens (keepAlive: local mode's
   * ObservablePodStore, which tells before the writer's caller learns that its write succeeded, so a client that
   * got a write's answer reads that write here). `{ object: undefined }`: no such object. Undefined when the hub
   * cannot say (a poller's copy lags; not started yet): read the store.
   */
  current(key: string): { object: T | undefined } | undefined {
    if (!this.#keepAlive || !this.#live) return undefined;
    return { object: this.#last.get(key) };
  }

  #reset(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#ready = undefined;
    this.#entries = [];
    this.#last.clear();
    this.#live = false;
    this.#floor = 0n;
  }

  #apply(change: HubChange<T>): void {
    const prev = this.#last.get(change.key);
    let entry: Omit<Entry<T>, 'seq'>;
    if (change.type === 'removed') {
      if (!prev) return; // never seen: nobody can be watching it
      this.#last.delete(change.key);
      const object = withResourceVersion(prev, change.resourceVersion);
      entry = { rv: BigInt(change.resourceVersion), type: 'DELETED', object, prev, key: change.key };
    } else {
      this.#last.set(change.key, change.object);
      entry = {
        rv: BigInt(change.resourceVersion),
        type: change.created || !prev ? 'ADDED' : 'MODIFIED',
        object: change.object,
        ...(prev ? { prev } : {}),
        key: change.key,
      };
    }
    const full: Entry<T> = { ...entry, seq: ++this.#seq };
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
    filter: WatchFilter<T>,
    resourceVersion: string | undefined,
    emit: Watcher<T>['emit'],
    close: () => void,
  ): Promise<WatchHandle> {
    const from = parseResourceVersion(resourceVersion);
    await this.start();
    const watcher: Watcher<T> = { filter, emit, close };
    let backlog: Entry<T>[];
    if (from === undefined || from < this.#floor) {
      const mark = this.#seq;
      const { items } = await this.#source.list(filter.namespace);
      const listed = new Map<string, bigint>();
      for (const item of items) {
        if (!filter.matches(item.object)) continue;
        listed.set(item.key, BigInt(item.resourceVersion));
        emit('ADDED', item.object);
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
        this.#releaseIfIdle();
      },
    };
  }

  /** Keeps the hub subscribed for a listener that is not a watch; call the returned function to let go. */
  async retain(): Promise<() => void> {
    await this.start();
    this.#retained++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#retained--;
      this.#releaseIfIdle();
    };
  }

  #releaseIfIdle(): void {
    if (!this.#keepAlive && this.#watchers.size === 0 && this.#retained === 0) this.#reset();
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
    this.#retained = 0;
    this.#reset();
  }
}

function withResourceVersion<T extends Watched>(object: T, resourceVersion: string): T {
  return { ...object, metadata: { ...object.metadata, resourceVersion } };
}

function deliver<T>(w: Watcher<T>, e: Entry<T>): void {
  const now = w.filter.matches(e.object);
  if (e.type === 'DELETED') {
    if (now) w.emit('DELETED', e.object);
    return;
  }
  const before = e.prev !== undefined && w.filter.matches(e.prev);
  if (e.type === 'ADDED') {
    if (now) w.emit('ADDED', e.object);
    else if (before) w.emit('DELETED', e.object);
    return;
  }
  if (now && before) w.emit('MODIFIED', e.object);
  else if (now) w.emit('ADDED', e.object);
  else if (before) w.emit('DELETED', e.object);
}

export interface PodWatchHubOptions {
  store: Pick<PodStore, 'list'>;
  source: ChangeSource;
  /** Keep listening while no watch is open (a push source costs nothing idle; a poller does). */
  keepAlive: boolean;
  window?: number;
}

/**
 * The pods' watches: the PodStore's changes as served pods — a pod a force delete took out of the API
 * (served-store.ts) is a removal at that change's version, and its later changes are not served — and the recorded
 * Events passed on to the events watches.
 */
export class PodWatchHub {
  readonly #hub: WatchHub<Pod>;
  readonly #eventListeners = new Set<(e: RecordedEvent) => void>();
  /** The mirror uid last served for each static pod (core/pod-state.ts `mirror`). */
  readonly #mirrorUids = new Map<string, string>();

  constructor(options: PodWatchHubOptions) {
    const { store, source } = options;
    const mirrors = this.#mirrorUids;
    /** Remembers a static pod's mirror uid; returns whether it replaced another one. */
    const mirrorReplaced = (key: string, pod: StoredPod): boolean => {
      const uid = pod.state.engine.mirror?.uid;
      const before = mirrors.get(key);
      if (uid === undefined) mirrors.delete(key);
      else mirrors.set(key, uid);
      return uid !== undefined && before !== undefined && before !== uid;
    };
    this.#hub = new WatchHub<Pod>({
      keepAlive: options.keepAlive,
      ...(options.window !== undefined ? { window: options.window } : {}),
      source: {
        async list(namespace) {
          const { items, resourceVersion } = await store.list(namespace);
          for (const s of items) if (isServed(s)) mirrorReplaced(podKeyText(s.key), s);
          return {
            items: items.filter(isServed).map((s) => ({
              key: podKeyText(s.key),
              resourceVersion: s.resourceVersion,
              object: servedPod(s),
            })),
            resourceVersion,
          };
        },
        subscribe: (listener) =>
          source.subscribe((change) => {
            if (change.type === 'event') {
              for (const l of this.#eventListeners) l(change.event);
              return;
            }
            if (change.type === 'removed') {
              mirrors.delete(podKeyText(change.key));
              listener({
                type: 'removed',
                key: podKeyText(change.key),
                resourceVersion: change.resourceVersion,
              });
              return;
            }
            const key = podKeyText(change.pod.key);
            // A force delete took it out of the API: a removal for watchers.
            if (!isServed(change.pod)) {
              mirrors.delete(key);
              listener({ type: 'removed', key, resourceVersion: change.pod.resourceVersion });
              return;
            }
            // A mirror pod deleted through the API and created again by the kubelet (kubelet.go syncPod): watchers
            // see the old mirror DELETED and the new one ADDED, as from an API server, at the one version.
            if (mirrorReplaced(key, change.pod) && change.type === 'updated')
              listener({ type: 'removed', key, resourceVersion: change.pod.resourceVersion });
            listener({
              type: 'put',
              key,
              resourceVersion: change.pod.resourceVersion,
              object: servedPod(change.pod),
              created: change.type === 'created',
            });
          }),
      },
    });
  }

  /** Starts listening (idempotent). Resolves once the window's starting point is known. */
  start(): Promise<void> {
    return this.#hub.start();
  }

  /** The served pod as of the last committed change (WatchHub.current). */
  current(key: PodKey): { object: Pod | undefined } | undefined {
    return this.#hub.current(podKeyText(key));
  }

  /** Opens a pod watch (WatchHub.watch). */
  watch(
    filter: PodFilter,
    resourceVersion: string | undefined,
    emit: (type: WatchEventType, pod: Pod) => void,
    close: () => void,
  ): Promise<WatchHandle> {
    return this.#hub.watch(filter, resourceVersion, emit, close);
  }

  /** Recorded Kubernetes Events as they are committed (events watches). */
  async onEvent(listener: (e: RecordedEvent) => void): Promise<() => void> {
    const release = await this.#hub.retain();
    this.#eventListeners.add(listener);
    return () => {
      this.#eventListeners.delete(listener);
      release();
    };
  }

  /** Number of open watches (tests, shutdown). */
  get size(): number {
    return this.#hub.size;
  }

  /** Ends every watch (graceful shutdown) and stops listening. */
  close(): void {
    this.#eventListeners.clear();
    this.#hub.close();
  }
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
