// MemoryObjectStore: the ObjectStore in process memory, for unit tests and the API's handler tests. Nothing persists.
// It passes the same contract suite as the DynamoDB and SQLite adapters (test/contract/object-store.contract.ts):
// versions from a MemoryRevision it can share with a MemoryPodStore, the same conditional semantics and the same
// 400 KB rule; objects go through JSON on the way in and out, so no caller aliases what is stored. Each operation is
// atomic (it runs to completion between two awaits), like a single-item write.
import { AlreadyExistsError, ConflictError, NotFoundError, TooLargeError } from '../../ports/errors.ts';
import {
  MAX_OBJECT_ITEM_BYTES,
  objectAlreadyExistsMessage,
  objectConflictMessage,
  objectItemBytes,
  objectKeyOf,
  objectKeyText,
  objectNotFoundMessage,
  objectTooLargeMessage,
  sameObjectKey,
  type ApiObject,
  type ObjectKey,
  type ObjectKind,
  type ObjectStore,
  type StoredObject,
} from '../../ports/object-store.ts';
import { MemoryRevision } from './memory-revision.ts';

interface ObjectRecord {
  key: ObjectKey;
  rv: number;
  json: string;
}

export interface MemoryObjectStoreOptions {
  /** The table-wide counter, shared with the MemoryPodStore of the same "table" (default: own). */
  revision?: MemoryRevision;
}

export class MemoryObjectStore implements ObjectStore {
  readonly #records = new Map<string, ObjectRecord>();
  readonly #revision: MemoryRevision;

  constructor(options: MemoryObjectStoreOptions = {}) {
    this.#revision = options.revision ?? new MemoryRevision();
  }

  async create(object: ApiObject): Promise<StoredObject> {
    await Promise.resolve();
    const key = objectKeyOf(object);
    const json = serialize(key, object);
    if (this.#records.has(mapKey(key))) throw new AlreadyExistsError(objectAlreadyExistsMessage(key));
    const record: ObjectRecord = { key, rv: this.#revision.next(), json };
    this.#records.set(mapKey(key), record);
    return toStored(record);
  }

  async get(key: ObjectKey): Promise<StoredObject | undefined> {
    await Promise.resolve();
    const record = this.#records.get(mapKey(key));
    return record && toStored(record);
  }

  async list(
    kind: ObjectKind,
    namespace?: string,
  ): Promise<{ items: StoredObject[]; resourceVersion: string }> {
    await Promise.resolve();
    const items = [...this.#records.values()]
      .filter((r) => r.key.kind === kind && (namespace === undefined || r.key.namespace === namespace))
      .sort(
        (a, b) => compareStrings(a.key.namespace, b.key.namespace) || compareStrings(a.key.name, b.key.name),
      )
      .map(toStored);
    return { items, resourceVersion: String(this.#revision.current) };
  }

  async update(key: ObjectKey, expectedResourceVersion: string, object: ApiObject): Promise<StoredObject> {
    await Promise.resolve();
    const own = objectKeyOf(object);
    if (!sameObjectKey(own, key))
      throw new TypeError(
        `${objectKeyText(key)}: the object names ${objectKeyText(own)}; the key cannot change`,
      );
    const json = serialize(key, object);
    const record = this.#records.get(mapKey(key));
    if (!record) throw new NotFoundError(objectNotFoundMessage(key));
    if (String(record.rv) !== expectedResourceVersion) throw new ConflictError(objectConflictMessage(key));
    record.rv = this.#revision.next();
    record.json = json;
    return toStored(record);
  }

  async remove(
    key: ObjectKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    await Promise.resolve();
    const record = this.#records.get(mapKey(key));
    if (!record) return undefined;
    if (expectedResourceVersion !== undefined && String(record.rv) !== expectedResourceVersion)
      throw new ConflictError(objectConflictMessage(key));
    this.#records.delete(mapKey(key));
    return { resourceVersion: String(this.#revision.next()) };
  }
}

const mapKey = (key: ObjectKey): string => `${key.kind}/${key.namespace}/${key.name}`;

/** JSON without metadata.resourceVersion (the record's rv is the truth), refused above DynamoDB's limit. */
function serialize(key: ObjectKey, object: ApiObject): string {
  const { resourceVersion: _stale, ...metadata } = object.metadata ?? {};
  const json = JSON.stringify({ ...object, metadata });
  const bytes = objectItemBytes(key, json);
  if (bytes > MAX_OBJECT_ITEM_BYTES) throw new TooLargeError(objectTooLargeMessage(key, bytes));
  return json;
}

function toStored(record: ObjectRecord): StoredObject {
  const resourceVersion = String(record.rv);
  const object = JSON.parse(record.json) as ApiObject;
  object.metadata = { ...object.metadata, resourceVersion };
  return { key: { ...record.key }, resourceVersion, object };
}

/** Code-unit order, as Go compares strings (not locale order). */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
