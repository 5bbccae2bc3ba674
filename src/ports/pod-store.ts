// PodStore: where pods, their inbox and the wait token live (DESIGN §3, §7).
// Adapters: DynamoDbPodStore (DynamoDB API: the cloud, and `--store dynamodb` locally on dynalite or an endpoint),
// SqlitePodStore (node:sqlite: local mode's default), MemoryPodStore (unit tests). Contract suite:
// test/contract/pod-store.contract.ts.
import type { PodState } from '../core/pod-state.ts';
import type { PodKey } from './pod-key.ts';

/** An inbox event: opaque to the store except for its id (unique per event; redelivery reuses the id). */
export interface InboxEvent {
  id: string;
  type: string;
  /** Epoch ms at which the producer observed it; the inbox hands events back ordered by (at, id). */
  at: number;
  [field: string]: unknown;
}

export interface StoredPod {
  key: PodKey;
  /** Decimal string, globally increasing across all objects of the table (like etcd's revision). */
  resourceVersion: string;
  state: PodState;
  /** Events delivered but not yet consumed by a reconcile commit, ordered by (at, id). */
  inbox: InboxEvent[];
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

export interface PodStore {
  /** Creates the pod. Throws AlreadyExistsError if the key exists. Assigns a new resourceVersion. */
  create(state: PodState): Promise<StoredPod>;

  /** The pod with its pending inbox, or undefined. Strongly consistent. */
  get(key: PodKey): Promise<StoredPod | undefined>;

  /** All pods (of one namespace if given) and the table's current resourceVersion. */
  list(namespace?: string): Promise<{ items: StoredPod[]; resourceVersion: string }>;

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

  /** Removes the pod (if `expectedResourceVersion` is given, only at that version: else ConflictError). Idempotent. */
  remove(key: PodKey, expectedResourceVersion?: string): Promise<void>;

  /**
   * Appends an event to the pod's inbox (idempotent per event id while it is pending) and atomically takes the
   * registered wait token, if any: the caller must then complete that token (SendTaskSuccess). At most one caller
   * gets a given token. Does not change the resourceVersion (the inbox is not part of the object). NotFoundError if
   * the pod does not exist.
   */
  deliver(key: PodKey, event: InboxEvent): Promise<{ waitToken?: string }>;

  /**
   * Registers `token` as the pod's waiter, unless events are pending: then nothing is registered and the caller
   * proceeds at once. Race-free with `deliver`: either this call sees the event, or the producer gets the token.
   */
  registerWait(key: PodKey, token: string): Promise<{ registered: boolean; pending: number }>;

  /** Records a Kubernetes Event (aggregated by involved object + reason + message: count and lastTimestamp grow). */
  recordEvent(
    event: Omit<StoredEvent, 'name' | 'count' | 'firstTimestamp' | 'lastTimestamp' | 'resourceVersion'> & {
      at: number;
    },
  ): Promise<void>;

  /** Events of a namespace, optionally only those about one object name, oldest first. */
  listEvents(namespace: string, involvedName?: string): Promise<StoredEvent[]>;
}
