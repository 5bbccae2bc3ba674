// Watches served from the change log (the cloud: docs/decisions/0017-cloud-watch.md, docs/architecture.md §8). The
// api Lambda holds no state between requests, so a watch cannot join a hub that has followed the store since it
// started (watch-hub.ts, local mode); it reads the table's change log (ports/change-log.ts) from its starting
// version, in version order, and writes each event as it reads it — through API Gateway's response streaming, so
// the client sees it at once.
//
// As the API server's watch (k8s.io/apiserver/pkg/storage/cacher/cacher.go Watch, watch_cache.go):
// - no resourceVersion, or "0": the current objects as ADDED, then every change after the listing's version;
// - a resourceVersion: every change after it, if the log still holds them all; else an ERROR event with a 410
//   Expired Status, "too old resource version" (src/core/change-log.ts watchStartVerdict) — the client lists again;
// - a watch that falls behind the log's retention ends the same way;
// - allowWatchBookmarks: a BOOKMARK carrying the latest version read, whenever nothing else was written for a
//   while (cacher.go sends one about every minute); without it, a bare newline, which client-go's JSON framer and
//   client-node's line reader skip. Either keeps API Gateway's 5-minute idle timeout and client-node's 30-second
//   request timeout from cutting a quiet watch;
// - the stream ends cleanly when the watch's time is up (timeoutSeconds, capped below API Gateway's 15 minutes);
//   clients watch again from the last version they saw.
// An object that starts or stops matching the watch's selectors arrives as ADDED or DELETED, judged against the
// last form of the object this watch saw (a watch that resumed has not seen an object before its first change:
// that change is judged on its new form alone).
import type { Pod } from 'kubernetes-types/core/v1';
import type { ChangeLog, ChangeLogEntry } from '../ports/change-log.ts';
import type { ApiObject, ObjectKind, ObjectStore, StoredObject } from '../ports/object-store.ts';
import type { PodStore } from '../ports/pod-store.ts';
import { servedObject } from './object-watch.ts';
import { podKeyText, servedPod } from './objects.ts';
import { isServed } from './served-store.ts';
import type { StreamWriter } from './stream.ts';
import type { Clock } from '../ports/clock.ts';
import {
  advanceChangeLog,
  fellBehind,
  tooOldMessage,
  watchStartVerdict,
  type ChangeLogCursor,
} from '../core/change-log.ts';
import { expired } from './status.ts';
import type { HubChange, Watched, WatchEventType, WatchFilter } from './watch-hub.ts';

export interface ChangeLogWatchSettings {
  /** How often the log is read while nothing new was found. */
  pollIntervalMs: number;
  /** How long a missing version holds later ones back (src/core/change-log.ts advanceChangeLog). */
  gapWaitMs: number;
  /** Longest time without a write: then a BOOKMARK (or a newline). */
  keepAliveMs: number;
  /** Items per read. */
  readLimit: number;
}

/**
 * Half a second between reads: a change reaches the client within about that (the acceptance bound is 2 s), at
 * two strongly consistent Query calls per second per watch — each 0.5 to 1 read request unit when nothing is new.
 * A second for a gap: a writer puts its item milliseconds after taking its version. Twenty seconds without a write:
 * under client-node's 30 s request timeout (@kubernetes/client-node watch.js requestTimeoutMs) and well under API
 * Gateway's 5-minute idle timeout on regional endpoints.
 */
export const DEFAULT_CHANGE_LOG_WATCH_SETTINGS: ChangeLogWatchSettings = {
  pollIntervalMs: 500,
  gapWaitMs: 1000,
  keepAliveMs: 20_000,
  readLimit: 100,
};

/** What a watched kind contributes: its listing and how a log entry changes it. */
export interface LogWatchedKind<T> {
  list(namespace?: string): Promise<{
    items: Array<{ key: string; resourceVersion: string; object: T }>;
    resourceVersion: string;
  }>;
  /** The change `entry` makes to objects of this kind, or undefined (another kind, a marker). */
  changeOf(entry: ChangeLogEntry): HubChange<T> | undefined;
}

export interface LogWatchOptions<T> {
  log: ChangeLog;
  kind: LogWatchedKind<T>;
  filter: WatchFilter<T>;
  resourceVersion: string | undefined;
  emit: (type: WatchEventType, object: T) => void;
  /** Writes a BOOKMARK at this version (allowWatchBookmarks), or a keep-alive when undefined. */
  keepAlive: (resourceVersion: string) => void;
  /** True once the stream has ended (timeout, disconnect): the loop stops. */
  closed: () => boolean;
  clock: Clock;
  /** Waits `ms` (or less, once the stream ends). */
  sleep: (ms: number) => Promise<void>;
  settings: ChangeLogWatchSettings;
}

/** Serves one watch until the stream closes. Throws `expired` (410) when the log no longer holds its versions. */
export async function serveLogWatch<T extends Watched>(o: LogWatchOptions<T>): Promise<void> {
  const { log, kind, filter, settings } = o;
  const last = new Map<string, T>();
  let state: ChangeLogCursor;
  /** Versions of listed objects: a change at or below one was already sent as ADDED. */
  const listed = new Map<string, bigint>();
  const from =
    o.resourceVersion === undefined || o.resourceVersion === '' || o.resourceVersion === '0'
      ? undefined
      : BigInt(o.resourceVersion);
  if (from === undefined) {
    const { items, resourceVersion } = await kind.list(filter.namespace);
    for (const item of items) {
      last.set(item.key, item.object);
      listed.set(item.key, BigInt(item.resourceVersion));
      if (filter.matches(item.object)) o.emit('ADDED', item.object);
    }
    state = { cursor: BigInt(resourceVersion) };
  } else {
    const [current, atOrBefore] = await Promise.all([
      log.currentResourceVersion(),
      log.latestAtOrBefore(String(from)),
    ]);
    const nowSeconds = Math.floor(o.clock.now() / 1000);
    const verdict = watchStartVerdict({ from, current: BigInt(current), atOrBefore, nowSeconds });
    if (!verdict.ok) throw expired(tooOldMessage(from, await log.oldest(nowSeconds)));
    state = { cursor: from };
  }
  let lastWrite = o.clock.now();
  while (!o.closed()) {
    const read = await log.readAfter(String(state.cursor), settings.readLimit);
    if (o.closed()) return;
    if (fellBehind(read, Math.floor(o.clock.now() / 1000))) {
      throw expired(tooOldMessage(state.cursor, await log.oldest(Math.floor(o.clock.now() / 1000))));
    }
    const step = advanceChangeLog(state, read, o.clock.now(), settings.gapWaitMs);
    state = step.state;
    let wrote = false;
    for (const entry of step.deliver) {
      const change = kind.changeOf(entry);
      if (!change) continue;
      const seen = listed.get(change.key);
      if (seen !== undefined) {
        listed.delete(change.key);
        if (change.type === 'put' && BigInt(change.resourceVersion) <= seen) continue;
      }
      const type = deliverChange(filter, last, change, o.emit);
      wrote ||= type !== undefined;
    }
    const now = o.clock.now();
    if (wrote) lastWrite = now;
    else if (now - lastWrite >= settings.keepAliveMs) {
      o.keepAlive(String(state.cursor));
      lastWrite = now;
    }
    // A full page: read on at once. A held gap: read again soon.
    if (read.length < settings.readLimit) await o.sleep(settings.pollIntervalMs);
  }
}

/** Emits what `change` is to a watch with `filter`, given the last form the watch saw; updates that form. */
function deliverChange<T extends Watched>(
  filter: WatchFilter<T>,
  last: Map<string, T>,
  change: HubChange<T>,
  emit: (type: WatchEventType, object: T) => void,
): WatchEventType | undefined {
  const prev = last.get(change.key);
  if (change.type === 'removed') {
    last.delete(change.key);
    const object = change.object ?? prev;
    if (object && filter.matches(object)) {
      emit('DELETED', withResourceVersion(object, change.resourceVersion));
      return 'DELETED';
    }
    return undefined;
  }
  last.set(change.key, change.object);
  const now = filter.matches(change.object);
  const before = prev !== undefined ? filter.matches(prev) : undefined;
  let type: WatchEventType | undefined;
  // Unknown before (a resumed watch's first sight of the object): an update is a MODIFIED.
  if (now) type = change.created || before === false ? 'ADDED' : 'MODIFIED';
  else if (before) type = 'DELETED';
  if (type) emit(type, change.object);
  return type;
}

function withResourceVersion<T extends Watched>(object: T, resourceVersion: string): T {
  return { ...object, metadata: { ...object.metadata, resourceVersion } };
}

/** Pods as the change log gives them: served pods; a force-deleted pod's change is its removal (served-store.ts). */
export function podLogKind(store: Pick<PodStore, 'list'>): LogWatchedKind<Pod> {
  return {
    async list(namespace) {
      const { items, resourceVersion } = await store.list(namespace);
      return {
        items: items.filter(isServed).map((s) => ({
          key: podKeyText(s.key),
          resourceVersion: s.resourceVersion,
          object: servedPod(s),
        })),
        resourceVersion,
      };
    },
    changeOf(entry) {
      if (entry.kind !== 'Pod') return undefined;
      const key = podKeyText(entry.pod.key);
      if (entry.change === 'removed' || !isServed(entry.pod))
        return { type: 'removed', key, resourceVersion: entry.resourceVersion, object: servedPod(entry.pod) };
      return {
        type: 'put',
        key,
        resourceVersion: entry.resourceVersion,
        object: servedPod(entry.pod),
        created: entry.change === 'created',
      };
    },
  };
}

/** ConfigMaps, Secrets, Namespaces or Jobs of the change log. */
export function objectLogKind(
  objects: Pick<ObjectStore, 'list'>,
  kind: ObjectKind,
): LogWatchedKind<ApiObject> {
  const keyText = (s: StoredObject): string => `${s.key.namespace}/${s.key.name}`;
  return {
    async list(namespace) {
      const { items, resourceVersion } = await objects.list(kind, namespace);
      return {
        items: items.map((s) => ({
          key: keyText(s),
          resourceVersion: s.resourceVersion,
          object: servedObject(s),
        })),
        resourceVersion,
      };
    },
    changeOf(entry) {
      if (entry.kind !== kind) return undefined;
      const key = keyText(entry.object);
      const object = servedObject(entry.object);
      if (entry.change === 'removed')
        return { type: 'removed', key, resourceVersion: entry.resourceVersion, object };
      return {
        type: 'put',
        key,
        resourceVersion: entry.resourceVersion,
        object,
        created: entry.change === 'created',
      };
    },
  };
}

/**
 * The object of a BOOKMARK at a version: an empty Table on a Table watch, else a bare object of the watched kind
 * carrying only the version (apiserver watch_cache.go: a bookmark's object has only its resourceVersion set).
 */
export function bookmarkObject(
  table: boolean,
  kind: string,
  apiVersion: string,
): (resourceVersion: string) => unknown {
  return (resourceVersion) =>
    table
      ? { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion }, rows: [] }
      : { kind, apiVersion, metadata: { resourceVersion } };
}

/**
 * Runs a change-log watch on a streaming response: events and keep-alives go to `w`, the loop sleeps between reads
 * until the stream ends. `bookmark` is the BOOKMARK's object at a version (allowWatchBookmarks), or undefined for a
 * bare newline.
 */
export async function runLogWatch<T extends Watched>(
  w: StreamWriter,
  o: Omit<LogWatchOptions<T>, 'keepAlive' | 'closed' | 'sleep'> & {
    bookmark: ((resourceVersion: string) => unknown) | undefined;
  },
): Promise<void> {
  const ended = new Promise<void>((resolve) => w.onClose(resolve));
  const sleep = async (ms: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  };
  const { bookmark, ...rest } = o;
  await serveLogWatch({
    ...rest,
    keepAlive: (rv) =>
      w.write(bookmark ? `${JSON.stringify({ type: 'BOOKMARK', object: bookmark(rv) })}\n` : '\n'),
    closed: () => w.closed,
    sleep,
  });
}
