// The rules of the cloud's change log (docs/decisions/0017-cloud-watch.md): the table-wide resourceVersion counter
// hands out one number per committed write, and the writer puts one change-log item per number it took. A watch
// reads the log in resourceVersion order and must decide three things this module decides, without I/O:
//
// - when a version is missing from what it read (taken by a writer that has not put its item yet, or by one that
//   died between its write and its log item), how long to wait before going on without it (`advanceChangeLog`);
// - whether a watch may start from a version at all, or must be answered 410 Gone because the log no longer holds
//   every change after it (`watchStartVerdict`), as the API server answers a version etcd has compacted
//   (k8s.io/apiserver/pkg/storage/cacher/watch_cache.go getAllEventsSinceLocked: "too old resource version");
// - when a live watch has fallen behind the log's retention (`fellBehind`).

/** Digits of a change-log sort key: a resourceVersion zero-padded, so that string order is numeric order. */
export const CHANGE_LOG_KEY_DIGITS = 20;

/** The sort key of the change-log item of `resourceVersion`. */
export function changeLogSortKey(resourceVersion: string | bigint): string {
  return String(resourceVersion).padStart(CHANGE_LOG_KEY_DIGITS, '0');
}

/** What a watch needs of an item it read: the version and, for `fellBehind`, when the item expires. */
export interface ChangeLogPosition {
  resourceVersion: string;
  /** Epoch seconds (the table's TTL attribute). */
  expiresAtSeconds: number;
}

/** Where a watch stands in the log: every version up to `cursor` is delivered or given up. */
export interface ChangeLogCursor {
  cursor: bigint;
  /** When the watch first found the version after `cursor` missing while a later one was there (epoch ms). */
  gapSince?: number;
}

/**
 * Which of `entries` (versions above the cursor, ascending, as one read returned them) a watch delivers now.
 * Consecutive versions go out at once. A missing version holds back everything after it until it appears or
 * `gapWaitMs` has passed since the watch first saw it missing; then the watch gives it up and goes on. A writer
 * puts its item some milliseconds after taking the version, so a gap normally closes at the next read; one that
 * stays open belongs to a writer that failed in between, and its change reaches watches with the object's next
 * change.
 */
export function advanceChangeLog<E extends { resourceVersion: string }>(
  state: ChangeLogCursor,
  entries: readonly E[],
  now: number,
  gapWaitMs: number,
): { deliver: E[]; state: ChangeLogCursor } {
  const deliver: E[] = [];
  let cursor = state.cursor;
  let gapSince = state.gapSince;
  for (const entry of entries) {
    const rv = BigInt(entry.resourceVersion);
    if (rv <= cursor) continue; // a read that overlapped the previous one
    if (rv !== cursor + 1n) {
      gapSince ??= now;
      if (now - gapSince < gapWaitMs) break;
    }
    deliver.push(entry);
    cursor = rv;
    gapSince = undefined;
  }
  return { deliver, state: { cursor, ...(gapSince !== undefined ? { gapSince } : {}) } };
}

export type WatchStartVerdict = { ok: true } | { ok: false; message: string };

/**
 * Whether a watch may start after `from`. Nothing was written since (`from` at or above the counter): yes. Else the
 * latest item at or before `from` must still be held and unexpired — items are written in version order within
 * milliseconds and expire in that order, so every item after a held one is held too. When it is not, a change
 * after `from` may be gone: 410 Gone, and the client lists again. Conservative: after a long quiet spell a version
 * whose preceding item expired is refused even if nothing after it did.
 */
export function watchStartVerdict(o: {
  from: bigint;
  /** The counter's value now. */
  current: bigint;
  /** The latest item at or before `from`, if the log holds one. */
  atOrBefore: ChangeLogPosition | undefined;
  /** The oldest item the log still serves, for the message. */
  oldest?: string;
  nowSeconds: number;
}): WatchStartVerdict {
  if (o.from >= o.current) return { ok: true };
  if (o.atOrBefore && o.atOrBefore.expiresAtSeconds > o.nowSeconds) return { ok: true };
  return { ok: false, message: tooOldMessage(o.from, o.oldest) };
}

/**
 * k8s.io/apiserver/pkg/storage/cacher/watch_cache.go: `too old resource version: %d (%d)` — the requested version
 * and the oldest one still served, minus one.
 */
export function tooOldMessage(from: bigint, oldest: string | undefined): string {
  const floor = oldest !== undefined ? BigInt(oldest) - 1n : from + 1n;
  return `too old resource version: ${from} (${floor})`;
}

/** Whether a read handed a live watch an item already expired: the watch fell behind the log (410 as above). */
export function fellBehind(entries: readonly ChangeLogPosition[], nowSeconds: number): boolean {
  return entries.some((e) => e.expiresAtSeconds <= nowSeconds);
}
