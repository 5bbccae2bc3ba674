// DynamoDbPodStore: the PodStore on one DynamoDB table (docs/architecture.md §3 inbox protocol, §7 store). In the
// cloud it talks to DynamoDB; locally the very same code talks to dynalite (local/dynalite.ts), which has no
// transactions, TTL or streams — so every operation below is a single-item (conditional) write, which both implement
// identically.
//
// Single-table layout (PK and SK are strings; see ensureTable and the CDK PodTable construct):
//
//   pod      PK = ns#<namespace>  SK = pod#<name>
//              state      S  JSON of the PodState without metadata.resourceVersion (the rv attribute is the truth;
//                            reads put it back into pod.metadata.resourceVersion)
//              rv         N  the pod's resourceVersion
//              inbox      M  event id → S (JSON of the PodEvent). Always present ({} on create), so a delivery can
//                            SET inbox.#id and a commit can REMOVE exactly the consumed inbox.#id paths.
//              waitToken  S  the registered waiter's task token; absent when nobody waits
//              sweepAt    N  core/reconcile.ts sweepAt of the state (epoch ms); absent when the worker sweep has
//                            nothing to check on the pod — the key of the sparse index `sweep` (SWEEP_INDEX)
//   event    PK = ns#<namespace>  SK = event#<involvedName>#<reason>#<hash of the rest of the aggregation key>
//              name S, body S (JSON: involvedObject, type, reason, message, source), count N,
//              firstAt N, lastAt N (epoch ms), rv N, expiresAt N (epoch seconds: the table's TTL attribute)
//   counter  PK = meta            SK = resourceVersion
//              rv         N  the table's resourceVersion; every object write first takes the next one (ADD rv 1)
//
// The index `sweep` (hash key sweepAt, keys only) holds only the pods not yet admitted or with a pending timer, so
// the worker sweep (engine/worker-recovery.ts) reads a few small index entries instead of Scanning the table — every
// idle pod, every Event and the change log — every few minutes. Its hash key spreads the index's writes over
// partitions; the sweep Scans it (every entry is a candidate) and reads each candidate's item before acting.
// An index is eventually consistent: an entry may lag its item by a fraction of a second, which the sweep's
// thresholds (seconds to minutes) absorb. Items written before the index existed enter it at their next write.
//
// The state is stored as a JSON string, not as a native DynamoDB map, because
//  - it is always replaced whole under the rv condition: nested update or filter expressions would buy nothing;
//  - Kubernetes objects are JSON, and a string gives them back exactly as written (nulls, "", {}, [], key order,
//    numbers), where a native map needs marshalling options (removeUndefinedValues, wrapNumbers for integers beyond
//    2^53), loses key order, and costs a walk over every nested name and value to marshal and to size;
//  - the 400 KB guard is then the UTF-8 length of one string instead of an estimate over thousands of attributes.
// The price — the console shows the state as one string, and nested attributes cannot be projected or filtered
// server-side — is paid by nobody: reads need the whole state and label selectors are evaluated in the API.
// Inbox events are JSON strings for the same reason (they are opaque to the store beyond id and at).
//
// Concurrency, all single-item and atomic on the pod item:
//  - create/update/remove(expectedRv) are conditional on the item's absence/rv: a lost race is a ConflictError
//    (AlreadyExistsError for create), and the caller re-reads and re-applies.
//  - deliver (SET inbox.#id, REMOVE waitToken) and registerWait (SET waitToken IF size(inbox) = 0) serialize on the
//    item: either registerWait runs first and deliver takes the token, or deliver runs first and registerWait fails
//    its condition and reports the pending events. No wakeup is lost and a token is taken at most once.
//  - update REMOVEs exactly the consumed event ids in the same conditional write that stores the new state, so an
//    event is consumed if and only if the reconcile that applied it committed; events delivered since the read stay.
// Resource versions may have gaps (a write that loses its condition has used up its number): they are opaque and
// only need to grow, as Kubernetes API conventions tell clients (api-conventions.md "Concurrency Control").
import { CONDITION_FAILED, readTranslated, sendTranslated } from './dynamodb-errors.ts';
import { recordChange, type ChangeLogWriting, type ChangeRecord } from './change-log-writer.ts';
import { readResourceVersion, takeResourceVersion } from './resource-version-counter.ts';
import { createHash } from 'node:crypto';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { eventName } from '../../core/event-name.ts';
import type { PodEvent } from '../../core/pod-events.ts';
import { readPodState, type PodState } from '../../core/pod-state.ts';
import { sweepAt } from '../../core/reconcile.ts';
import type { Clock } from '../../ports/clock.ts';
import { AlreadyExistsError, ConflictError, NotFoundError, TooLargeError } from '../../ports/errors.ts';
import { podKeyString, type PodKey } from '../../ports/pod-key.ts';
import {
  pageOf,
  type EventRecord,
  type ListPage,
  type PodList,
  type PodStore,
  type StoredEvent,
  type StoredPod,
} from '../../ports/pod-store.ts';
import { estimateItemSize, MAX_ITEM_BYTES, MAX_NUMBER_BYTES } from './item-size.ts';

/** kube-apiserver --event-ttl default (cmd/kube-apiserver/app/options/options.go: EventTTL 1h). */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

/** Step Functions task tokens are at most 2048 characters (API reference, SendTaskSuccess `taskToken`). */
export const MAX_WAIT_TOKEN_BYTES = 2048;

/**
 * Most inbox events one commit can consume: each costs ~14 characters of the UpdateExpression (`#inbox.#c123, `),
 * and DynamoDB caps an expression at 4 KB ("Expression parameters" quota).
 */
export const MAX_CONSUMED_EVENTS_PER_UPDATE = 250;

export interface DynamoDbPodStoreOptions {
  /** A plain client or a document client: the store sends only low-level commands with attribute values it builds. */
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** How long an Event item lives after its last occurrence (the `expiresAt` TTL attribute). */
  eventTtlSeconds?: number;
  /** Time for Event expiry; the Event timestamps themselves come from `recordEvent`'s `at`. */
  clock: Clock;
  /**
   * Write the change log beside every commit (the cloud's watches: change-log-writer.ts). Without it (local mode,
   * whose watches follow the ObservablePodStore) nothing more is written.
   */
  changeLog?: ChangeLogWriting;
}

type Item = Record<string, AttributeValue>;

/** The worker sweep's sparse index (see the layout above): its name and its hash key, a number. */
export const SWEEP_INDEX = 'sweep';
export const SWEEP_AT_ATTRIBUTE = 'sweepAt';

const POD_PREFIX = 'pod#';
const EVENT_PREFIX = 'event#';
const DECIMAL = /^\d{1,38}$/;

/** Returned by `#send` instead of throwing when a ConditionExpression did not hold. */

const EVENT_NAMES = {
  '#occurrence': 'occurrence',
  '#name': 'name',
  '#firstAt': 'firstAt',
  '#lastAt': 'lastAt',
  '#body': 'body',
  '#rv': 'rv',
  '#expiresAt': 'expiresAt',
  '#count': 'count',
};

const pkOf = (namespace: string): AttributeValue => ({ S: `ns#${namespace}` });
const podItemKey = (key: PodKey): Item => ({
  PK: pkOf(key.namespace),
  SK: { S: `${POD_PREFIX}${key.name}` },
});

// Kubernetes' wording (k8s.io/apimachinery/pkg/api/errors: NewNotFound, NewAlreadyExists, NewConflict), plus the
// namespace.
const notFound = (key: PodKey) =>
  new NotFoundError(`pods "${key.name}" not found (namespace ${key.namespace})`);
const conflict = (key: PodKey) =>
  new ConflictError(
    `Operation cannot be fulfilled on pods "${key.name}" (namespace ${key.namespace}): the object has been modified; please apply your changes to the latest version and try again`,
  );

export class DynamoDbPodStore implements PodStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #eventTtlSeconds: number;
  readonly #clock: Clock;
  readonly #changeLog: ChangeLogWriting | undefined;

  constructor(options: DynamoDbPodStoreOptions) {
    // A DynamoDBDocumentClient shares the wrapped client's middleware stack; low-level commands pass through it
    // untouched (its marshalling lives in the lib-dynamodb commands, which this store does not use).
    this.#client = options.client as DynamoDBClient;
    this.#table = options.tableName;
    this.#eventTtlSeconds = options.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS;
    this.#clock = options.clock;
    this.#changeLog = options.changeLog;
  }

  /** The change-log item of a version this store took (nothing without a change log). */
  async #logged(resourceVersion: string, record: ChangeRecord): Promise<void> {
    if (this.#changeLog)
      await recordChange(this.#client, this.#table, this.#changeLog, resourceVersion, record);
  }

  async create(state: PodState): Promise<StoredPod> {
    const key = keyOfState(state);
    const stateJson = serializeState(state);
    this.#guardSize(key, stateJson);
    const rv = await this.#nextResourceVersion();
    const due = sweepAt(state);
    const item: Item = {
      ...podItemKey(key),
      state: { S: stateJson },
      rv: { N: rv },
      inbox: { M: {} },
      ...(due !== undefined && { [SWEEP_AT_ATTRIBUTE]: { N: String(due) } }),
    };
    const result = await this.#send(`create pod ${podKeyString(key)}`, () =>
      this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    );
    if (result === CONDITION_FAILED) {
      await this.#logged(rv, { kind: 'none' });
      throw new AlreadyExistsError(`pods "${key.name}" already exists (namespace ${key.namespace})`);
    }
    await this.#logged(rv, { kind: 'Pod', change: 'created', item });
    return { key, resourceVersion: rv, state: parseState(stateJson, rv), inbox: [] };
  }

  async get(key: PodKey): Promise<StoredPod | undefined> {
    const out = await this.#read(`get pod ${podKeyString(key)}`, () =>
      this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: podItemKey(key), ConsistentRead: true }),
      ),
    );
    return out.Item ? readPod(out.Item) : undefined;
  }

  async list(namespace?: string, page?: ListPage): Promise<PodList> {
    // Read the counter first: every write numbered at or below it has been allocated before the listing starts,
    // so a watcher resuming from this version misses nothing (it may see some listed changes again).
    const resourceVersion = await this.#currentResourceVersion();
    // One namespace: a Query of its partition, in key order — a page starts after its last key and reads one pod
    // more than it returns, to know whether more follow (Limit counts evaluated items; the key condition selects
    // pods only). Every namespace: a Scan, in hash order, so every page of it reads the whole table and sorts it
    // (the partitions have no order of their own: a limit of this store, README "Limits").
    const paged = namespace !== undefined && page !== undefined;
    const after = paged && page.after?.namespace === namespace ? page.after.name : undefined;
    if (paged && page.after !== undefined && page.after.namespace > namespace)
      return { items: [], resourceVersion };
    const items: StoredPod[] = [];
    let startKey: Item | undefined =
      after !== undefined ? { PK: pkOf(namespace!), SK: { S: `${POD_PREFIX}${after}` } } : undefined;
    do {
      const out = await this.#read(`list pods${namespace ? ` in ${namespace}` : ''}`, () =>
        this.#client.send(
          namespace !== undefined
            ? new QueryCommand({
                TableName: this.#table,
                KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
                ExpressionAttributeValues: { ':pk': pkOf(namespace), ':prefix': { S: POD_PREFIX } },
                ConsistentRead: true,
                ...(paged ? { Limit: page.limit + 1 - items.length } : {}),
                ExclusiveStartKey: startKey,
              })
            : new ScanCommand({
                TableName: this.#table,
                FilterExpression: 'begins_with(SK, :prefix)',
                ExpressionAttributeValues: { ':prefix': { S: POD_PREFIX } },
                ConsistentRead: true,
                ExclusiveStartKey: startKey,
              }),
        ),
      );
      for (const item of out.Items ?? []) items.push(readPod(item));
      // A result stops at 1 MB of data (DynamoDB Query/Scan limit): go on from its LastEvaluatedKey.
      startKey = out.LastEvaluatedKey;
    } while (startKey && !(paged && items.length > page.limit));
    if (paged) return { ...pageOf(items, { limit: page.limit }), resourceVersion };
    items.sort(
      (a, b) => compareStrings(a.key.namespace, b.key.namespace) || compareStrings(a.key.name, b.key.name),
    );
    return { ...pageOf(items, page), resourceVersion };
  }

  async listSweepDue(dueBy: number): Promise<PodKey[]> {
    const keys: PodKey[] = [];
    let startKey: Item | undefined;
    do {
      // Index reads are eventually consistent (DynamoDB rejects ConsistentRead on a global secondary index).
      const out = await this.#read('list the pods due for the worker sweep', () =>
        this.#client.send(
          new ScanCommand({
            TableName: this.#table,
            IndexName: SWEEP_INDEX,
            FilterExpression: '#sweepAt <= :dueBy',
            ExpressionAttributeNames: { '#sweepAt': SWEEP_AT_ATTRIBUTE },
            ExpressionAttributeValues: { ':dueBy': { N: String(dueBy) } },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of out.Items ?? []) keys.push(podKeyOfItem(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return keys;
  }

  async update(
    key: PodKey,
    expectedResourceVersion: string,
    state: PodState,
    consumedEventIds: readonly string[] = [],
  ): Promise<StoredPod> {
    checkStateMatchesKey(key, state);
    // A version that is not a decimal number can never match the stored one.
    if (!DECIMAL.test(expectedResourceVersion)) {
      if (!(await this.get(key))) throw notFound(key);
      throw conflict(key);
    }
    const consumed = [...new Set(consumedEventIds)]; // DynamoDB rejects overlapping paths in one expression
    if (consumed.length > MAX_CONSUMED_EVENTS_PER_UPDATE) {
      throw new RangeError(
        `pod ${podKeyString(key)}: ${consumed.length} consumed events in one update; at most ${MAX_CONSUMED_EVENTS_PER_UPDATE} fit in one DynamoDB update expression`,
      );
    }
    const stateJson = serializeState(state);
    this.#guardSize(key, stateJson);
    const rv = await this.#nextResourceVersion();
    // DynamoDB rejects unused ExpressionAttributeNames, so #inbox is only named when something is consumed.
    const names: Record<string, string> = {
      '#state': 'state',
      '#rv': 'rv',
      '#sweepAt': SWEEP_AT_ATTRIBUTE,
      ...(consumed.length > 0 && { '#inbox': 'inbox' }),
    };
    consumed.forEach((id, i) => (names[`#c${i}`] = id));
    const due = sweepAt(state);
    const removed = [...(due === undefined ? ['#sweepAt'] : []), ...consumed.map((_, i) => `#inbox.#c${i}`)];
    const set = `SET #state = :state, #rv = :rv${due === undefined ? '' : ', #sweepAt = :sweepAt'}`;
    const remove = removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : '';
    const result = await this.#send(`update pod ${podKeyString(key)}`, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: podItemKey(key),
          UpdateExpression: `${set}${remove}`,
          // Also false when the item is missing, so an update never resurrects a removed pod.
          ConditionExpression: '#rv = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':state': { S: stateJson },
            ':rv': { N: rv },
            ':expected': { N: expectedResourceVersion },
            ...(due !== undefined && { ':sweepAt': { N: String(due) } }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result === CONDITION_FAILED) {
      await this.#logged(rv, { kind: 'none' });
      // dynalite does not implement ReturnValuesOnConditionCheckFailure: look at the item to tell the two apart.
      if (!(await this.#exists(key))) throw notFound(key);
      throw conflict(key);
    }
    await this.#logged(rv, { kind: 'Pod', change: 'updated', item: result.Attributes! });
    return readPod(result.Attributes!);
  }

  async remove(
    key: PodKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    if (expectedResourceVersion !== undefined && !DECIMAL.test(expectedResourceVersion)) {
      if (await this.#exists(key)) throw conflict(key);
      return undefined;
    }
    const result = await this.#send(`remove pod ${podKeyString(key)}`, () =>
      this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: podItemKey(key),
          // Already gone is success (remove is idempotent); present at another version is a conflict.
          ...(expectedResourceVersion !== undefined && {
            ConditionExpression: 'attribute_not_exists(PK) OR #rv = :expected',
            ExpressionAttributeNames: { '#rv': 'rv' },
            ExpressionAttributeValues: { ':expected': { N: expectedResourceVersion } },
          }),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (result === CONDITION_FAILED) throw conflict(key);
    if (!result.Attributes) return undefined;
    // The removal's resourceVersion is taken after the delete: a list that still saw the pod read the counter
    // before it (list reads the counter first), so the DELETED is above the list's version and a watch from that
    // version gets it. The other order could lose the DELETED for a pod the list returned.
    const resourceVersion = await this.#nextResourceVersion();
    await this.#logged(resourceVersion, { kind: 'Pod', change: 'removed', item: result.Attributes });
    return { resourceVersion };
  }

  async deliver(key: PodKey, event: PodEvent): Promise<{ waitToken?: string }> {
    if (typeof event.id !== 'string' || event.id === '')
      throw new TypeError(`pod ${podKeyString(key)}: an inbox event needs a non-empty id`);
    const result = await this.#send(`deliver ${event.id} to pod ${podKeyString(key)}`, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: podItemKey(key),
          // if_not_exists: a redelivery of a pending event leaves the first copy, which a reconcile may already
          // have read, so the event it consumes is the event it applied.
          UpdateExpression: 'SET #inbox.#id = if_not_exists(#inbox.#id, :event) REMOVE #waitToken',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#inbox': 'inbox', '#id': event.id, '#waitToken': 'waitToken' },
          ExpressionAttributeValues: { ':event': { S: JSON.stringify(event) } },
          // UPDATED_OLD, not ALL_OLD: the old waitToken is all we need, not the whole (up to 400 KB) pod back.
          ReturnValues: 'UPDATED_OLD',
        }),
      ),
    );
    if (result === CONDITION_FAILED) throw notFound(key);
    const waitToken = result.Attributes?.waitToken?.S;
    return waitToken === undefined ? {} : { waitToken };
  }

  async registerWait(key: PodKey, token: string): Promise<{ registered: boolean; pending: number }> {
    // A failed condition followed by an empty inbox means the pending events were consumed in between: try again.
    for (let attempt = 0; ; attempt++) {
      const result = await this.#send(`register a waiter on pod ${podKeyString(key)}`, () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: podItemKey(key),
            UpdateExpression: 'SET #waitToken = :token',
            ConditionExpression: 'attribute_exists(PK) AND size(#inbox) = :zero',
            ExpressionAttributeNames: { '#waitToken': 'waitToken', '#inbox': 'inbox' },
            ExpressionAttributeValues: { ':token': { S: token }, ':zero': { N: '0' } },
          }),
        ),
      );
      if (result !== CONDITION_FAILED) return { registered: true, pending: 0 };
      const out = await this.#read(`read the inbox of pod ${podKeyString(key)}`, () =>
        this.#client.send(
          new GetItemCommand({
            TableName: this.#table,
            Key: podItemKey(key),
            ConsistentRead: true,
            ProjectionExpression: '#inbox',
            ExpressionAttributeNames: { '#inbox': 'inbox' },
          }),
        ),
      );
      if (!out.Item) throw notFound(key);
      const pending = Object.keys(out.Item.inbox?.M ?? {}).length;
      // Not registering is always safe: the caller proceeds at once and at worst finds nothing to do.
      if (pending > 0 || attempt >= 2) return { registered: false, pending };
    }
  }

  async restoreWait(key: PodKey, token: string): Promise<void> {
    // Only onto a pod that has no waiter: one registered since is newer, and a pod that is gone stays gone.
    await this.#send(`restore the waiter of pod ${podKeyString(key)}`, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: podItemKey(key),
          UpdateExpression: 'SET #waitToken = :token',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#waitToken)',
          ExpressionAttributeNames: { '#waitToken': 'waitToken' },
          ExpressionAttributeValues: { ':token': { S: token } },
        }),
      ),
    );
  }

  async recordEvent(input: EventRecord): Promise<StoredEvent> {
    const { at, namespace, involvedObject, type, reason, message, source, occurrence } = input;
    const atMs = Math.trunc(at);
    // client-go tools/record/events_cache.go getEventKey aggregates on source, involved object (kind, namespace,
    // name, uid, fieldPath), type, reason and message. Name and reason stay readable in the sort key (so
    // listEvents can select one object's events by prefix); the rest is hashed to keep the key short.
    const aggregate = createHash('sha256')
      .update(
        JSON.stringify([
          source?.component,
          source?.host,
          involvedObject.kind,
          involvedObject.uid,
          involvedObject.fieldPath,
          type,
          message,
        ]),
      )
      .digest('hex')
      .slice(0, 16);
    const body = JSON.stringify({ involvedObject, type, reason, message, ...(source && { source }) });
    const rv = await this.#nextResourceVersion();
    const nowSeconds = Math.floor(this.#clock.now() / 1000);
    const key: Item = {
      PK: pkOf(namespace),
      SK: { S: `${EVENT_PREFIX}${involvedObject.name}#${reason}#${aggregate}` },
    };
    const what = `record event ${reason} for ${namespace}/${involvedObject.name}`;
    const values: Item = {
      ':name': { S: eventName(involvedObject.name, atMs, BigInt(rv)) },
      ':at': { N: String(atMs) },
      ':body': { S: body },
      ':rv': { N: rv },
      ':expiresAt': { N: String(nowSeconds + this.#eventTtlSeconds) },
      ':now': { N: String(nowSeconds) },
      ':occurrence': { S: occurrence },
    };
    // An item past its TTL is gone for readers (listEvents) even before DynamoDB deletes it: a new occurrence then
    // starts a new Event (count 1), as it would after kube-apiserver dropped the old one — hence two steps. The
    // last occurrence id rides on the item, so a retried write of the same occurrence is not counted again.
    // Whatever happens, the version taken gets its change-log item — the Event, or a bare one when nothing was
    // written at this version (a failed write, an occurrence already counted): watches need not wait for it.
    let logged: ChangeRecord = { kind: 'none' };
    try {
      const event = await this.#writeEvent(namespace, key, what, values, occurrence);
      if (event.resourceVersion === rv)
        logged = { kind: 'Event', change: event.count === 1 ? 'created' : 'updated', event };
      return event;
    } finally {
      await this.#logged(rv, logged);
    }
  }

  async #writeEvent(
    namespace: string,
    key: Item,
    what: string,
    values: Item,
    occurrence: string,
  ): Promise<StoredEvent> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const aggregated = await this.#send(what, () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: key,
            UpdateExpression:
              'SET #name = if_not_exists(#name, :name), #firstAt = if_not_exists(#firstAt, :at), #lastAt = :at, ' +
              '#body = :body, #rv = :rv, #expiresAt = :expiresAt, #occurrence = :occurrence ADD #count :one',
            ConditionExpression:
              '(attribute_not_exists(PK) OR #expiresAt > :now) AND ' +
              '(attribute_not_exists(#occurrence) OR #occurrence <> :occurrence)',
            ExpressionAttributeNames: EVENT_NAMES,
            ExpressionAttributeValues: { ...values, ':one': { N: '1' } },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (aggregated !== CONDITION_FAILED) return eventOfItem(namespace, aggregated.Attributes!);
      const current = await this.#read(what, () =>
        this.#client.send(new GetItemCommand({ TableName: this.#table, Key: key, ConsistentRead: true })),
      );
      if (current.Item && current.Item.occurrence?.S === occurrence)
        return eventOfItem(namespace, current.Item); // this occurrence is already counted
      const replaced = await this.#send(what, () =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              ...key,
              name: values[':name']!,
              firstAt: values[':at']!,
              lastAt: values[':at']!,
              body: values[':body']!,
              rv: values[':rv']!,
              expiresAt: values[':expiresAt']!,
              occurrence: values[':occurrence']!,
              count: { N: '1' },
            },
            ConditionExpression: '#expiresAt <= :now', // still expired: nobody restarted it meanwhile
            ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':now': values[':now']! },
            ReturnValues: 'NONE',
          }),
        ),
      );
      if (replaced !== CONDITION_FAILED)
        return eventOfItem(namespace, {
          ...key,
          name: values[':name']!,
          firstAt: values[':at']!,
          lastAt: values[':at']!,
          body: values[':body']!,
          rv: values[':rv']!,
          count: { N: '1' },
        });
    }
    throw new Error(`DynamoDB table ${this.#table}: ${what}: the event item kept changing`);
  }

  async listEvents(namespace: string, involvedName?: string): Promise<StoredEvent[]> {
    // `event#web#` does not select `event#web-1#…`: the name is closed by the separator ('#' is not valid in names).
    const prefix = involvedName === undefined ? EVENT_PREFIX : `${EVENT_PREFIX}${involvedName}#`;
    // DynamoDB deletes expired items only eventually (typically within days): hide them here.
    const nowSeconds = Math.floor(this.#clock.now() / 1000);
    const events: (StoredEvent & { firstAt: number })[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.#read(`list events in ${namespace}`, () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
            ExpressionAttributeValues: { ':pk': pkOf(namespace), ':prefix': { S: prefix } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        if (Number(item.expiresAt?.N ?? Infinity) <= nowSeconds) continue;
        events.push({ ...eventOfItem(namespace, item), firstAt: Number(item.firstAt!.N) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    events.sort((a, b) => a.firstAt - b.firstAt || compareStrings(a.name, b.name));
    return events.map(({ firstAt: _firstAt, ...event }) => event);
  }

  /** Takes the next table-wide resourceVersion (resource-version-counter.ts). */
  #nextResourceVersion(): Promise<string> {
    return this.#read('take the next resourceVersion', () => takeResourceVersion(this.#client, this.#table));
  }

  #currentResourceVersion(): Promise<string> {
    return this.#read('read the resourceVersion', () => readResourceVersion(this.#client, this.#table));
  }

  async #exists(key: PodKey): Promise<boolean> {
    const out = await this.#read(`read pod ${podKeyString(key)}`, () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: podItemKey(key),
          ConsistentRead: true,
          ProjectionExpression: 'PK',
        }),
      ),
    );
    return out.Item !== undefined;
  }

  /**
   * Refuses a state whose item could not be stored. Counted: key, state, rv (at its widest), the inbox attribute
   * and the largest possible wait token — so a pod accepted once stays writable whoever waits on it. Pending inbox
   * events are not known here; if they push the item over, DynamoDB's own ValidationException is translated too.
   */
  #guardSize(key: PodKey, stateJson: string): void {
    const bytes =
      estimateItemSize({
        ...podItemKey(key),
        state: { S: stateJson },
        inbox: { M: {} },
        waitToken: { S: '' },
      }) +
      'rv'.length +
      MAX_NUMBER_BYTES +
      MAX_WAIT_TOKEN_BYTES;
    if (bytes > MAX_ITEM_BYTES)
      throw new TooLargeError(
        `pod ${podKeyString(key)} would be ${bytes} bytes; DynamoDB items are limited to 400 KB`,
      );
  }

  #read<T>(what: string, run: () => Promise<T>): Promise<T> {
    return readTranslated(this.#table, what, run);
  }

  #send<T>(what: string, run: () => Promise<T>): Promise<T | typeof CONDITION_FAILED> {
    return sendTranslated(this.#table, what, run);
  }
}

function keyOfState(state: PodState): PodKey {
  const { namespace, name } = state.pod.metadata ?? {};
  if (!namespace || !name) throw new TypeError('a stored pod needs metadata.namespace and metadata.name');
  return { namespace, name };
}

function checkStateMatchesKey(key: PodKey, state: PodState): void {
  const { namespace, name } = keyOfState(state);
  if (namespace !== key.namespace || name !== key.name) {
    throw new TypeError(
      `pod ${podKeyString(key)}: the state names pod ${namespace}/${name}; the key cannot change`,
    );
  }
}

/** The state as stored: JSON without metadata.resourceVersion, which lives in the rv attribute. */
function serializeState(state: PodState): string {
  const { resourceVersion: _stale, ...metadata } = state.pod.metadata ?? {};
  return JSON.stringify({ ...state, pod: { ...state.pod, metadata } });
}

function parseState(stateJson: string, resourceVersion: string): PodState {
  const state = readPodState(stateJson);
  state.pod.metadata = { ...state.pod.metadata, resourceVersion };
  return state;
}

const podKeyOfItem = (item: Item): PodKey => ({
  namespace: item.PK!.S!.slice('ns#'.length),
  name: item.SK!.S!.slice(POD_PREFIX.length),
});

/** A pod item (or the copy a change-log item holds) as the store returns it. */
export function readPod(item: Item): StoredPod {
  const resourceVersion = item.rv!.N!;
  const inbox = Object.values(item.inbox?.M ?? {}).map((v) => JSON.parse(v.S!) as PodEvent);
  inbox.sort((a, b) => a.at - b.at || compareStrings(a.id, b.id));
  return {
    key: podKeyOfItem(item),
    resourceVersion,
    state: parseState(item.state!.S!, resourceVersion),
    inbox,
  };
}

/** Code-unit order, as Go compares strings (not locale order). */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** metav1.Time serializes as RFC 3339 with second precision (apimachinery/pkg/apis/meta/v1/time.go MarshalJSON). */
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Kubernetes Event an event item holds. */
function eventOfItem(namespace: string, item: Item): StoredEvent {
  const body = JSON.parse(item.body!.S!) as Pick<
    StoredEvent,
    'involvedObject' | 'type' | 'reason' | 'message' | 'source'
  >;
  return {
    namespace,
    name: item.name!.S!,
    ...body,
    count: Number(item.count!.N),
    firstTimestamp: rfc3339(Number(item.firstAt!.N)),
    lastTimestamp: rfc3339(Number(item.lastAt!.N)),
    resourceVersion: item.rv!.N!,
  };
}
