// ChangeLog: the committed changes of the table in resourceVersion order, as the cloud's watches read them
// (docs/decisions/0017-cloud-watch.md). Written by the DynamoDB stores beside each commit, one item per version they
// take (the object's new form, a removal with the form it had, an Event as recorded, or a bare marker for a version
// that changed nothing: a write whose condition failed, an occurrence already counted); read here. Adapter:
// DynamoDbChangeLog.
//
// Guarantees:
//  - readAfter returns items above a version in ascending version order, strongly consistent; an item is written
//    once (a version is never reused) and never changed.
//  - A version may be missing for a while (its writer has not put the item yet) or for good (the writer failed
//    between its commit and its item): src/core/change-log.ts decides how a watch handles that.
//  - Items expire `retention` after they were written (the table's TTL attribute); the reader returns expired items
//    as they are, so that a watch can tell it fell behind (src/core/change-log.ts fellBehind).
import type { ObjectKind, StoredObject } from './object-store.ts';
import type { StoredEvent, StoredPod } from './pod-store.ts';

interface EntryBase {
  resourceVersion: string;
  /** Epoch seconds after which the item is no longer served (DynamoDB TTL deletes it some time later). */
  expiresAtSeconds: number;
}

/** One version of the log: what it changed, in the form the store reads it back. */
export type ChangeLogEntry =
  | (EntryBase & { kind: 'Pod'; change: 'created' | 'updated' | 'removed'; pod: StoredPod })
  | (EntryBase & { kind: ObjectKind; change: 'created' | 'updated' | 'removed'; object: StoredObject })
  /** An Event recorded: its first occurrence (created) or a later one aggregated into it (updated, count grown). */
  | (EntryBase & { kind: 'Event'; change: 'created' | 'updated'; event: StoredEvent })
  /** A version that changed nothing: a conditional write lost its race, an occurrence was already counted. */
  | (EntryBase & { kind: 'none' });

export interface ChangeLog {
  /** Items above `after`, ascending, at most `limit` (the first page: a watch reads again for more). */
  readAfter(after: string, limit: number): Promise<ChangeLogEntry[]>;
  /** The latest item at or before `resourceVersion`, expired or not; undefined if the log holds none. */
  latestAtOrBefore(resourceVersion: string): Promise<ChangeLogEntry | undefined>;
  /** The oldest item still held and unexpired, for the 410's message; undefined if none. */
  oldest(nowSeconds: number): Promise<string | undefined>;
  /** The table-wide resourceVersion now (the counter), strongly consistent. */
  currentResourceVersion(): Promise<string>;
}
