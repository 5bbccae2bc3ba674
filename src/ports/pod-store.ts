// PodStore: where pods, their inbox and the wait token live (docs/architecture.md §3, §7).
// Adapters: DynamoDbPodStore (DynamoDB API: the cloud, and `--store dynamodb` locally on dynalite or an endpoint),
// SqlitePodStore (node:sqlite: local mode's default), MemoryPodStore (unit tests). Contract suite:
// test/contract/pod-store.contract.ts.
import type { PodEvent } from '../core/pod-events.ts';
import type { PodState } from '../core/pod-state.ts';
import { sweepAt } from '../core/reconcile.ts';
import type { PodKey } from './pod-key.ts';

export interface StoredPod {
  key: PodKey;
  /** Decimal string, globally increasing across all objects of the table (like etcd's revision). */
  resourceVersion: string;
  state: PodState;
  /**
   * Events delivered but not yet consumed by a reconcile commit, ordered by (at, id). The store reads only an
   * event's `id` (unique per event; redelivery reuses it) and `at`; the rest is carried as it was delivered.
   */
  inbox: PodEvent[];
}

/** A Kubernetes Event object (core/v1 Event), stored as its own item with a TTL in the cloud. */
export interface StoredEvent {
  namespace: string;
  name: string;
  involvedObject: { kind: string; namespace: string; name: string; uid?: string; fieldPath?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source?: { component?: string; host?: string };
  resourceVersion?: string;
}

/** One occurrence of a Kubernetes Event, as a producer (the kubelet's recorder) reports it. */
export interface EventRecord {
  namespace: string;
  involvedObject: StoredEvent['involvedObject'];
  type: StoredEvent['type'];
  reason: string;
  message: string;
  source?: StoredEvent['source'];
  /** Epoch ms of the occurrence: the first one becomes firstTimestamp, each one lastTimestamp. */
  at: number;
  /**
   * Unique per occurrence and stable across retries of its write: recording the same occurrence again (a retried
   * write whose first attempt did land, a re-run step) counts it once.
   */
  occurrence: string;
}

/** A page of a list: at most `limit` (≥ 1) items, those after the key `after` in list order. */
export interface ListPage {
  limit: number;
  after?: PodKey;
}

export interface PodList {
  items: StoredPod[];
  resourceVersion: string;
  /** With a page, when pods follow: the next page's `after`. */
  continueAfter?: PodKey;
}

/** Whether `key` comes after `after` in list order (namespace, then name, by code unit as the stores sort). */
export const isAfter = (key: PodKey, after: PodKey): boolean =>
  key.namespace > after.namespace || (key.namespace === after.namespace && key.name > after.name);

/** The page of an ordered list: what follows `page.after`, at most `page.limit`, and whether more follow. */
export function pageOf<T extends { key: PodKey }>(
  sorted: readonly T[],
  page: ListPage | undefined,
): { items: T[]; continueAfter?: PodKey } {
  if (!page) return { items: [...sorted] };
  const after = page.after;
  const rest = after ? sorted.filter((p) => isAfter(p.key, after)) : sorted;
  return rest.length > page.limit
    ? { items: rest.slice(0, page.limit), continueAfter: rest[page.limit - 1]!.key }
    : { items: [...rest] };
}

/**
 * `listSweepDue` of a store whose whole list is cheap to read (one process's memory or database file): every pod
 * listed, by its state's sweepAt.
 */
export async function listSweepDueByListing(store: Pick<PodStore, 'list'>, dueBy: number): Promise<PodKey[]> {
  const keys: PodKey[] = [];
  for (const { key, state } of (await store.list()).items) {
    const at = sweepAt(state);
    if (at !== undefined && at <= dueBy) keys.push(key);
  }
  return keys;
}

export interface PodStore {
  /** Creates the pod. Throws AlreadyExistsError if the key exists. Assigns a new resourceVersion. */
  create(state: PodState): Promise<StoredPod>;

  /** The pod with its pending inbox, or undefined. Strongly consistent. */
  get(key: PodKey): Promise<StoredPod | undefined>;

  /**
   * The pods (of one namespace if given) in key order (namespace, then name) and the table's current
   * resourceVersion. With `page`: at most `page.limit` pods, those after `page.after`, and `continueAfter` when pods
   * follow: the key the next page starts after (the last pod read).
   */
  list(namespace?: string, page?: ListPage): Promise<PodList>;

  /**
   * The keys of the pods whose `sweepAt` (core/reconcile.ts) is at or before `dueBy` (epoch ms), for the worker sweep
   * (engine/worker-recovery.ts); idle pods are not read. May lag the newest commits by a few seconds (the DynamoDB
   * store reads an eventually consistent index) and may list a pod whose state has moved on: a caller reads each pod
   * before acting on it.
   */
  listSweepDue(dueBy: number): Promise<PodKey[]>;

  /**
   * Replaces the pod state if its resourceVersion is still `expectedResourceVersion` (else ConflictError; callers
   * re-read and re-apply). `consumedEventIds` are removed from the inbox in the same conditional write, so an event
   * reaches reconcile exactly once; events delivered meanwhile stay. Rejects a state whose item would exceed
   * DynamoDB's 400 KB limit with TooLargeError. Throws NotFoundError if the pod is gone.
   */
  update(
    key: PodKey,
    expectedResourceVersion: string,
    state: PodState,
    consumedEventIds?: readonly string[],
  ): Promise<StoredPod>;

  /**
   * Removes the pod (if `expectedResourceVersion` is given, only at that version: else ConflictError). Idempotent:
   * undefined when there was nothing to remove. A removal is a change like any other and takes a new
   * resourceVersion (etcd gives a delete a revision too), so that a watch resuming from a list's resourceVersion
   * sees the DELETED exactly when the list still had the pod.
   */
  remove(key: PodKey, expectedResourceVersion?: string): Promise<{ resourceVersion: string } | undefined>;

  /**
   * Appends an event to the pod's inbox (idempotent per event id while it is pending) and atomically takes the
   * registered wait token, if any: the caller must then complete that token (SendTaskSuccess). At most one caller
   * gets a given token. Does not change the resourceVersion (the inbox is not part of the object). NotFoundError if
   * the pod does not exist.
   */
  deliver(key: PodKey, event: PodEvent): Promise<{ waitToken?: string }>;

  /**
   * Registers `token` as the pod's waiter, unless events are pending: then nothing is registered and the caller
   * proceeds at once. Race-free with `deliver`: either this call sees the event, or the producer gets the token.
   */
  registerWait(key: PodKey, token: string): Promise<{ registered: boolean; pending: number }>;

  /**
   * Puts back a token that `deliver` handed out but the caller could not complete (SendTaskSuccess failed), unless
   * the pod registered another since: the producer's retry — the same event, delivered again — gets it once more.
   * Nothing happens if the pod is gone.
   */
  restoreWait(key: PodKey, token: string): Promise<void>;

  /**
   * Records an occurrence of a Kubernetes Event and returns the Event as stored. Occurrences with the same source,
   * involved object (uid and fieldPath included), type, reason and message aggregate into one Event whose count
   * and lastTimestamp grow (client-go tools/record/events_cache.go getEventKey); a repeated `occurrence` id is
   * counted once. Each recording takes a new resourceVersion.
   */
  recordEvent(event: EventRecord): Promise<StoredEvent>;

  /** Events of a namespace, optionally only those about one object name, oldest first. */
  listEvents(namespace: string, involvedName?: string): Promise<StoredEvent[]>;
}
