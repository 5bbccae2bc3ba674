// DynamoDbObjectStore: the ObjectStore (ConfigMaps, Secrets, Namespaces) on the single table of DynamoDbPodStore
// (docs/architecture.md §7): in the cloud on DynamoDB, locally on dynalite with `--store dynamodb`. Items:
//
//   configmap  PK = ns#<namespace>  SK = configmap#<name>
//   secret     PK = ns#<namespace>  SK = secret#<name>
//   namespace  PK = cluster         SK = namespace#<name>
//                object  S  JSON of the object without metadata.resourceVersion (the rv attribute is the truth)
//                rv      N  its resourceVersion
//
// Namespaced objects share their namespace's partition with its pods and Events, each kind under its own sort-key
// prefix, so one Query reads one kind of one namespace; Namespaces live in one `cluster` partition, so one Query
// lists them. The object is one JSON string for the reasons DynamoDbPodStore gives for pod states. At rest the whole
// table, Secrets included, is KMS-encrypted with the AWS managed key for DynamoDB (infra/pod-table.ts,
// docs/decisions/0007-api-objects.md).
//
// resourceVersions come from the table's one counter item (PK = meta, SK = resourceVersion), the one DynamoDbPodStore
// takes its versions from: every write first takes the next number (ADD rv 1), so pods, Events and objects share one
// increasing sequence. As there, a write that loses its condition has used up its number (versions may have gaps),
// and a removal takes its version after the delete, so a list that still saw the object has a lower version.
// Every write is a single-item conditional write (dynalite has no transactions).
import { CONDITION_FAILED, readTranslated, sendTranslated } from './dynamodb-errors.ts';
import { readResourceVersion, takeResourceVersion } from './resource-version-counter.ts';
import { recordChange, type ChangeLogWriting, type ChangeRecord } from './change-log-writer.ts';
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
import { AlreadyExistsError, ConflictError, NotFoundError, TooLargeError } from '../../ports/errors.ts';
import {
  MAX_OBJECT_ITEM_BYTES,
  objectAlreadyExistsMessage,
  objectConflictMessage,
  objectItemBytes,
  objectKeyOf,
  objectKeyText,
  objectNotFoundMessage,
  objectPartitionKey,
  objectSortKey,
  objectSortPrefix,
  sameObjectKey,
  objectTooLargeMessage,
  OBJECT_KINDS,
  type ApiObject,
  type ObjectKey,
  type ObjectKind,
  type ObjectStore,
  type StoredObject,
} from '../../ports/object-store.ts';

export interface DynamoDbObjectStoreOptions {
  /** A plain client or a document client: only low-level commands with attribute values built here are sent. */
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** Write the change log beside every commit (the cloud's watches), as DynamoDbPodStore does. */
  changeLog?: ChangeLogWriting;
}

type Item = Record<string, AttributeValue>;

/** DynamoDbPodStore's counter item: one sequence for every object of the table. */
const DECIMAL = /^\d{1,38}$/;

const itemKey = (key: ObjectKey): Item => ({
  PK: { S: objectPartitionKey(key) },
  SK: { S: objectSortKey(key) },
});

export class DynamoDbObjectStore implements ObjectStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #changeLog: ChangeLogWriting | undefined;

  constructor(options: DynamoDbObjectStoreOptions) {
    this.#client = options.client as DynamoDBClient;
    this.#table = options.tableName;
    this.#changeLog = options.changeLog;
  }

  /** The change-log item of a version this store took (nothing without a change log). */
  async #logged(resourceVersion: string, record: ChangeRecord): Promise<void> {
    if (this.#changeLog)
      await recordChange(this.#client, this.#table, this.#changeLog, resourceVersion, record);
  }

  async create(object: ApiObject): Promise<StoredObject> {
    const key = objectKeyOf(object);
    const json = serialize(key, object);
    const rv = await this.#nextResourceVersion();
    const item: Item = { ...itemKey(key), object: { S: json }, rv: { N: rv } };
    const result = await this.#send(`create ${objectKeyText(key)}`, () =>
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
      throw new AlreadyExistsError(objectAlreadyExistsMessage(key));
    }
    await this.#logged(rv, { kind: key.kind, change: 'created', item });
    return stored(key, rv, json);
  }

  async get(key: ObjectKey): Promise<StoredObject | undefined> {
    const out = await this.#read(`get ${objectKeyText(key)}`, () =>
      this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: itemKey(key), ConsistentRead: true }),
      ),
    );
    return out.Item ? readItem(out.Item) : undefined;
  }

  async list(
    kind: ObjectKind,
    namespace?: string,
  ): Promise<{ items: StoredObject[]; resourceVersion: string }> {
    // The counter first: every write numbered at or below it was allocated before the listing starts.
    const resourceVersion = await this.#currentResourceVersion();
    const prefix = objectSortPrefix(kind);
    // One partition holds what is asked for, except every namespace's objects of a namespaced kind.
    const partition =
      kind === 'Namespace' ? 'cluster' : namespace !== undefined ? `ns#${namespace}` : undefined;
    const items: StoredObject[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.#read(`list ${kind}s${namespace !== undefined ? ` in ${namespace}` : ''}`, () =>
        this.#client.send(
          partition !== undefined
            ? new QueryCommand({
                TableName: this.#table,
                KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
                ExpressionAttributeValues: { ':pk': { S: partition }, ':prefix': { S: prefix } },
                ConsistentRead: true,
                ExclusiveStartKey: startKey,
              })
            : // Every namespace's objects of a kind: a Scan, as DynamoDbPodStore lists every pod.
              new ScanCommand({
                TableName: this.#table,
                FilterExpression: 'begins_with(SK, :prefix) AND begins_with(PK, :ns)',
                ExpressionAttributeValues: { ':prefix': { S: prefix }, ':ns': { S: 'ns#' } },
                ConsistentRead: true,
                ExclusiveStartKey: startKey,
              }),
        ),
      );
      for (const item of page.Items ?? []) {
        const found = readItem(item);
        // A Namespace "in" a namespace is no namespace's: a namespaced list of a cluster-scoped kind is everything.
        if (kind === 'Namespace' || namespace === undefined || found.key.namespace === namespace)
          items.push(found);
      }
      startKey = page.LastEvaluatedKey; // pages stop at 1 MB
    } while (startKey);
    items.sort(
      (a, b) => compareStrings(a.key.namespace, b.key.namespace) || compareStrings(a.key.name, b.key.name),
    );
    return { items, resourceVersion };
  }

  async update(key: ObjectKey, expectedResourceVersion: string, object: ApiObject): Promise<StoredObject> {
    const own = objectKeyOf(object);
    if (!sameObjectKey(own, key))
      throw new TypeError(
        `${objectKeyText(key)}: the object names ${objectKeyText(own)}; the key cannot change`,
      );
    const json = serialize(key, object);
    if (!DECIMAL.test(expectedResourceVersion)) {
      if (!(await this.#exists(key))) throw new NotFoundError(objectNotFoundMessage(key));
      throw new ConflictError(objectConflictMessage(key));
    }
    const rv = await this.#nextResourceVersion();
    const result = await this.#send(`update ${objectKeyText(key)}`, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: itemKey(key),
          UpdateExpression: 'SET #object = :object, #rv = :rv',
          // Also false when the item is missing: an update never resurrects a removed object.
          ConditionExpression: '#rv = :expected',
          ExpressionAttributeNames: { '#object': 'object', '#rv': 'rv' },
          ExpressionAttributeValues: {
            ':object': { S: json },
            ':rv': { N: rv },
            ':expected': { N: expectedResourceVersion },
          },
        }),
      ),
    );
    if (result === CONDITION_FAILED) {
      await this.#logged(rv, { kind: 'none' });
      if (!(await this.#exists(key))) throw new NotFoundError(objectNotFoundMessage(key));
      throw new ConflictError(objectConflictMessage(key));
    }
    await this.#logged(rv, {
      kind: key.kind,
      change: 'updated',
      item: { ...itemKey(key), object: { S: json }, rv: { N: rv } },
    });
    return stored(key, rv, json);
  }

  async remove(
    key: ObjectKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    if (expectedResourceVersion !== undefined && !DECIMAL.test(expectedResourceVersion)) {
      if (await this.#exists(key)) throw new ConflictError(objectConflictMessage(key));
      return undefined;
    }
    const result = await this.#send(`remove ${objectKeyText(key)}`, () =>
      this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: itemKey(key),
          ...(expectedResourceVersion !== undefined && {
            ConditionExpression: 'attribute_not_exists(PK) OR #rv = :expected',
            ExpressionAttributeNames: { '#rv': 'rv' },
            ExpressionAttributeValues: { ':expected': { N: expectedResourceVersion } },
          }),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (result === CONDITION_FAILED) throw new ConflictError(objectConflictMessage(key));
    if (!result.Attributes) return undefined;
    // After the delete, as DynamoDbPodStore.remove: a list that saw the object read the counter before this.
    const resourceVersion = await this.#nextResourceVersion();
    await this.#logged(resourceVersion, { kind: key.kind, change: 'removed', item: result.Attributes });
    return { resourceVersion };
  }

  /** Takes the next table-wide resourceVersion (resource-version-counter.ts). */
  #nextResourceVersion(): Promise<string> {
    return this.#read('take the next resourceVersion', () => takeResourceVersion(this.#client, this.#table));
  }

  #currentResourceVersion(): Promise<string> {
    return this.#read('read the resourceVersion', () => readResourceVersion(this.#client, this.#table));
  }

  async #exists(key: ObjectKey): Promise<boolean> {
    const out = await this.#read(`read ${objectKeyText(key)}`, () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: itemKey(key),
          ConsistentRead: true,
          ProjectionExpression: 'PK',
        }),
      ),
    );
    return out.Item !== undefined;
  }

  #read<T>(what: string, run: () => Promise<T>): Promise<T> {
    return readTranslated(this.#table, what, run);
  }

  #send<T>(what: string, run: () => Promise<T>): Promise<T | typeof CONDITION_FAILED> {
    return sendTranslated(this.#table, what, run);
  }
}

/** JSON without metadata.resourceVersion (the rv attribute is the truth), refused above the item limit. */
function serialize(key: ObjectKey, object: ApiObject): string {
  const { resourceVersion: _stale, ...metadata } = object.metadata ?? {};
  const json = JSON.stringify({ ...object, metadata });
  const bytes = objectItemBytes(key, json);
  if (bytes > MAX_OBJECT_ITEM_BYTES) throw new TooLargeError(objectTooLargeMessage(key, bytes));
  return json;
}

function stored(key: ObjectKey, rv: string, json: string): StoredObject {
  const object = JSON.parse(json) as ApiObject;
  object.metadata = { ...object.metadata, resourceVersion: rv };
  return { key: { ...key }, resourceVersion: rv, object };
}

/** An object item (or the copy a change-log item holds) as the store returns it. */
export function readItem(item: Item): StoredObject {
  const pk = item.PK!.S!;
  const sk = item.SK!.S!;
  const hash = sk.indexOf('#');
  const kindWord = sk.slice(0, hash);
  const kind = OBJECT_KINDS.find((k) => k.toLowerCase() === kindWord);
  if (!kind) throw new Error(`an item ${pk}/${sk} is no API object`);
  const key: ObjectKey = {
    kind,
    namespace: pk === 'cluster' ? '' : pk.slice('ns#'.length),
    name: sk.slice(hash + 1),
  };
  return stored(key, item.rv!.N!, item.object!.S!);
}

/** Code-unit order, as Go compares strings (not locale order). */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
