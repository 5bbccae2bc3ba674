// MemoryPodStore: the PodStore in process memory, for fast unit tests of the layers above it. Nothing persists.
// It passes the same contract suite as DynamoDbPodStore (test/contract/pod-store.contract.ts): one table-wide
// resourceVersion counter, the same conditional semantics, the same 400 KB rule, and every state goes through
// JSON on the way in and out — so no caller can mutate what is stored, and `undefined` vanishes as it does in
// DynamoDB. Each operation is atomic (it runs to completion between two awaits), like a single-item write.
import { eventName } from '../../core/event-name.ts';
import type { PodEvent } from '../../core/pod-events.ts';
import { readPodState, type PodState } from '../../core/pod-state.ts';
import type { Clock } from '../../ports/clock.ts';
import { AlreadyExistsError, ConflictError, NotFoundError, TooLargeError } from '../../ports/errors.ts';
import { podKeyString, type PodKey } from '../../ports/pod-key.ts';
import {
  listSweepDueByListing,
  pageOf,
  type EventRecord,
  type ListPage,
  type PodList,
  type PodStore,
  type StoredEvent,
  type StoredPod,
} from '../../ports/pod-store.ts';
import { MemoryRevision } from './memory-revision.ts';

/** DynamoDB's item limit, which the port's contract carries (ports/pod-store.ts `update`). */
const MAX_ITEM_BYTES = 400 * 1024;
/** What DynamoDbPodStore adds to the state: keys, attribute names, rv, and room for a 2048-character wait token. */
const ITEM_OVERHEAD_BYTES = 2 * 1024 + 100;
/** kube-apiserver --event-ttl default (cmd/kube-apiserver/app/options/options.go: EventTTL 1h). */
const DEFAULT_EVENT_TTL_SECONDS = 3600;

interface PodRecord {
  rv: number;
  stateJson: string;
  inbox: Map<string, string>;
  waitToken?: string;
}

interface EventItem {
  event: StoredEvent;
  firstAt: number;
  expiresAtMs: number;
  /** The last occurrence counted: a retried write of it is not counted again. */
  occurrence: string;
}

export interface MemoryPodStoreOptions {
  clock: Clock;
  eventTtlSeconds?: number;
  /** The table-wide resourceVersion counter, shared with a MemoryObjectStore of the same "table" (default: own). */
  revision?: MemoryRevision;
}

export class MemoryPodStore implements PodStore {
  readonly #pods = new Map<string, PodRecord>();
  readonly #events = new Map<string, EventItem>();
  readonly #clock: Clock;
  readonly #eventTtlMs: number;
  readonly #revision: MemoryRevision;

  constructor(options: MemoryPodStoreOptions) {
    this.#clock = options.clock;
    this.#revision = options.revision ?? new MemoryRevision();
    this.#eventTtlMs = (options.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS) * 1000;
  }

  async create(state: PodState): Promise<StoredPod> {
    await Promise.resolve();
    const key = keyOfState(state);
    const stateJson = serialize(key, state);
    if (this.#pods.has(podKeyString(key)))
      throw new AlreadyExistsError(`pods "${key.name}" already exists (namespace ${key.namespace})`);
    const record: PodRecord = { rv: this.#revision.next(), stateJson, inbox: new Map() };
    this.#pods.set(podKeyString(key), record);
    return toStored(key, record);
  }

  async get(key: PodKey): Promise<StoredPod | undefined> {
    await Promise.resolve();
    const record = this.#pods.get(podKeyString(key));
    return record && toStored(key, record);
  }

  async list(namespace?: string, page?: ListPage): Promise<PodList> {
    await Promise.resolve();
    const sorted = [...this.#pods.entries()]
      .map(([k, record]) => toStored(parseKey(k), record))
      .filter((p) => namespace === undefined || p.key.namespace === namespace)
      .sort(
        (a, b) => compareStrings(a.key.namespace, b.key.namespace) || compareStrings(a.key.name, b.key.name),
      );
    return { ...pageOf(sorted, page), resourceVersion: String(this.#revision.current) };
  }

  listSweepDue(dueBy: number): Promise<PodKey[]> {
    return listSweepDueByListing(this, dueBy);
  }

  async update(
    key: PodKey,
    expectedResourceVersion: string,
    state: PodState,
    consumedEventIds: readonly string[] = [],
  ): Promise<StoredPod> {
    await Promise.resolve();
    const own = keyOfState(state);
    if (own.namespace !== key.namespace || own.name !== key.name) {
      throw new TypeError(
        `pod ${podKeyString(key)}: the state names pod ${podKeyString(own)}; the key cannot change`,
      );
    }
    const stateJson = serialize(key, state);
    const record = this.#pods.get(podKeyString(key));
    if (!record) throw new NotFoundError(`pods "${key.name}" not found (namespace ${key.namespace})`);
    if (String(record.rv) !== expectedResourceVersion) throw conflict(key);
    record.rv = this.#revision.next();
    record.stateJson = stateJson;
    for (const id of consumedEventIds) record.inbox.delete(id);
    return toStored(key, record);
  }

  async remove(
    key: PodKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    await Promise.resolve();
    const record = this.#pods.get(podKeyString(key));
    if (!record) return undefined;
    if (expectedResourceVersion !== undefined && String(record.rv) !== expectedResourceVersion)
      throw conflict(key);
    this.#pods.delete(podKeyString(key));
    return { resourceVersion: String(this.#revision.next()) };
  }

  async deliver(key: PodKey, event: PodEvent): Promise<{ waitToken?: string }> {
    await Promise.resolve();
    if (typeof event.id !== 'string' || event.id === '')
      throw new TypeError(`pod ${podKeyString(key)}: an inbox event needs a non-empty id`);
    const record = this.#pods.get(podKeyString(key));
    if (!record) throw new NotFoundError(`pods "${key.name}" not found (namespace ${key.namespace})`);
    if (!record.inbox.has(event.id)) record.inbox.set(event.id, JSON.stringify(event));
    const waitToken = record.waitToken;
    delete record.waitToken;
    return waitToken === undefined ? {} : { waitToken };
  }

  async registerWait(key: PodKey, token: string): Promise<{ registered: boolean; pending: number }> {
    await Promise.resolve();
    const record = this.#pods.get(podKeyString(key));
    if (!record) throw new NotFoundError(`pods "${key.name}" not found (namespace ${key.namespace})`);
    if (record.inbox.size > 0) return { registered: false, pending: record.inbox.size };
    record.waitToken = token;
    return { registered: true, pending: 0 };
  }

  async restoreWait(key: PodKey, token: string): Promise<void> {
    await Promise.resolve();
    const record = this.#pods.get(podKeyString(key));
    if (record && record.waitToken === undefined) record.waitToken = token;
  }

  async recordEvent(input: EventRecord): Promise<StoredEvent> {
    await Promise.resolve();
    const { at, namespace, involvedObject, type, reason, message, source, occurrence } = input;
    const atMs = Math.trunc(at);
    // client-go tools/record/events_cache.go getEventKey: the aggregation key.
    const aggregationKey = JSON.stringify([
      namespace,
      involvedObject.name,
      reason,
      source?.component,
      source?.host,
      involvedObject.kind,
      involvedObject.uid,
      involvedObject.fieldPath,
      type,
      message,
    ]);
    const existing = this.#events.get(aggregationKey);
    const live = existing && existing.expiresAtMs > this.#clock.now() ? existing : undefined;
    if (live?.occurrence === occurrence) return copy(live.event);
    const rv = String(this.#revision.next());
    const event: StoredEvent = live
      ? { ...live.event, count: live.event.count + 1, lastTimestamp: rfc3339(atMs), resourceVersion: rv }
      : {
          namespace,
          name: eventName(involvedObject.name, atMs, Number(rv)),
          involvedObject,
          type,
          reason,
          message,
          ...(source && { source }),
          count: 1,
          firstTimestamp: rfc3339(atMs),
          lastTimestamp: rfc3339(atMs),
          resourceVersion: rv,
        };
    this.#events.set(aggregationKey, {
      event: copy(event),
      firstAt: live ? live.firstAt : atMs,
      expiresAtMs: this.#clock.now() + this.#eventTtlMs,
      occurrence,
    });
    return copy(event);
  }

  async listEvents(namespace: string, involvedName?: string): Promise<StoredEvent[]> {
    await Promise.resolve();
    const now = this.#clock.now();
    return [...this.#events.values()]
      .filter((r) => r.expiresAtMs > now && r.event.namespace === namespace)
      .filter((r) => involvedName === undefined || r.event.involvedObject.name === involvedName)
      .sort((a, b) => a.firstAt - b.firstAt || compareStrings(a.event.name, b.event.name))
      .map((r) => copy(r.event));
  }
}

const conflict = (key: PodKey) =>
  new ConflictError(
    `Operation cannot be fulfilled on pods "${key.name}" (namespace ${key.namespace}): the object has been modified; please apply your changes to the latest version and try again`,
  );

function keyOfState(state: PodState): PodKey {
  const { namespace, name } = state.pod.metadata ?? {};
  if (!namespace || !name) throw new TypeError('a stored pod needs metadata.namespace and metadata.name');
  return { namespace, name };
}

/** JSON without metadata.resourceVersion (the record's rv is the truth), refused above DynamoDB's limit. */
function serialize(key: PodKey, state: PodState): string {
  const { resourceVersion: _stale, ...metadata } = state.pod.metadata ?? {};
  const stateJson = JSON.stringify({ ...state, pod: { ...state.pod, metadata } });
  const bytes =
    Buffer.byteLength(stateJson, 'utf8') + Buffer.byteLength(podKeyString(key), 'utf8') + ITEM_OVERHEAD_BYTES;
  if (bytes > MAX_ITEM_BYTES)
    throw new TooLargeError(
      `pod ${podKeyString(key)} would be ${bytes} bytes; DynamoDB items are limited to 400 KB`,
    );
  return stateJson;
}

function toStored(key: PodKey, record: PodRecord): StoredPod {
  const resourceVersion = String(record.rv);
  const state = readPodState(record.stateJson);
  state.pod.metadata = { ...state.pod.metadata, resourceVersion };
  const inbox = [...record.inbox.values()].map((json) => JSON.parse(json) as PodEvent);
  inbox.sort((a, b) => a.at - b.at || compareStrings(a.id, b.id));
  return { key: { ...key }, resourceVersion, state, inbox };
}

function parseKey(k: string): PodKey {
  const slash = k.indexOf('/');
  return { namespace: k.slice(0, slash), name: k.slice(slash + 1) };
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** metav1.Time serializes as RFC 3339 with second precision (apimachinery/pkg/apis/meta/v1/time.go MarshalJSON). */
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A deep copy: nothing a caller holds aliases what is stored. */
const copy = (event: StoredEvent): StoredEvent => JSON.parse(JSON.stringify(event)) as StoredEvent;
