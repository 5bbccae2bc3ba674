// SqliteObjectStore: the ObjectStore (ConfigMaps, Secrets, Namespaces) on SQLite through node:sqlite — local mode's
// default, on the same database as SqlitePodStore (table `objects`, sqlite-database.ts). Every write takes its
// resourceVersion from the same counter row as pods and events, in the transaction that writes the object, so the
// sequence is one and gap-free across kinds. It passes the same contract suite as DynamoDbObjectStore
// (test/contract/object-store.contract.ts), 400 KB rule included, so an object accepted here fits in the cloud.
//
// Concurrency: as SqlitePodStore's (see there) — node:sqlite is synchronous, so in this process no two calls
// interleave; each write that reads before it writes is one BEGIN IMMEDIATE transaction, atomic against another
// connection on the same file as well.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
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

export interface SqliteObjectStoreOptions {
  /** A connection from openSqliteDatabase (schema in place). The store never closes it. */
  db: DatabaseSync;
}

interface ObjectRow {
  kind: ObjectKind;
  namespace: string;
  name: string;
  rv: number;
  object: string;
}

export class SqliteObjectStore implements ObjectStore {
  readonly #db: DatabaseSync;
  readonly #where: string;
  readonly #begin: StatementSync;
  readonly #beginRead: StatementSync;
  readonly #commit: StatementSync;
  readonly #rollback: StatementSync;
  readonly #nextRv: StatementSync;
  readonly #currentRv: StatementSync;
  readonly #get: StatementSync;
  readonly #version: StatementSync;
  readonly #listKind: StatementSync;
  readonly #listNamespace: StatementSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #delete: StatementSync;

  constructor(options: SqliteObjectStoreOptions) {
    const db = options.db;
    this.#db = db;
    this.#where = `SQLite ${db.location() ?? 'in memory'}`;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#beginRead = db.prepare('BEGIN DEFERRED');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#nextRv = db.prepare(
      "UPDATE counter SET value = value + 1 WHERE name = 'resourceVersion' RETURNING value",
    );
    this.#currentRv = db.prepare("SELECT value FROM counter WHERE name = 'resourceVersion'");
    const columns = 'SELECT kind, namespace, name, rv, object FROM objects';
    this.#get = db.prepare(`${columns} WHERE kind = ? AND namespace = ? AND name = ?`);
    this.#version = db.prepare('SELECT rv FROM objects WHERE kind = ? AND namespace = ? AND name = ?');
    // BINARY collation: the code-unit order etcd lists in (names are ASCII).
    this.#listKind = db.prepare(`${columns} WHERE kind = ? ORDER BY namespace, name`);
    this.#listNamespace = db.prepare(`${columns} WHERE kind = ? AND namespace = ? ORDER BY name`);
    this.#insert = db.prepare(
      'INSERT INTO objects (kind, namespace, name, rv, object) VALUES (?, ?, ?, ?, ?)',
    );
    this.#update = db.prepare(
      'UPDATE objects SET object = ?, rv = ? WHERE kind = ? AND namespace = ? AND name = ?',
    );
    this.#delete = db.prepare('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?');
  }

  async create(object: ApiObject): Promise<StoredObject> {
    const key = objectKeyOf(object);
    const json = serialize(key, object);
    const rv = this.#write(`create ${objectKeyText(key)}`, () => {
      if (this.#version.get(key.kind, key.namespace, key.name))
        throw new AlreadyExistsError(objectAlreadyExistsMessage(key));
      const next = this.#takeResourceVersion();
      this.#insert.run(key.kind, key.namespace, key.name, next, json);
      return next;
    });
    return stored(key, rv, json);
  }

  async get(key: ObjectKey): Promise<StoredObject | undefined> {
    const row = this.#read(
      `get ${objectKeyText(key)}`,
      () => this.#get.get(key.kind, key.namespace, key.name) as ObjectRow | undefined,
    );
    return row && readRow(row);
  }

  async list(
    kind: ObjectKind,
    namespace?: string,
  ): Promise<{ items: StoredObject[]; resourceVersion: string }> {
    // One read transaction: the counter and the rows come from the same snapshot.
    const { rows, rv } = this.#read(
      `list ${kind}s${namespace !== undefined ? ` in ${namespace}` : ''}`,
      () => {
        this.#beginRead.run();
        try {
          const current = (this.#currentRv.get() as { value: number }).value;
          const found = (namespace === undefined
            ? this.#listKind.all(kind)
            : this.#listNamespace.all(kind, namespace)) as unknown as ObjectRow[];
          this.#commit.run();
          return { rows: found, rv: current };
        } catch (err) {
          if (this.#db.isTransaction) this.#rollback.run();
          throw err;
        }
      },
    );
    return { items: rows.map(readRow), resourceVersion: String(rv) };
  }

  async update(key: ObjectKey, expectedResourceVersion: string, object: ApiObject): Promise<StoredObject> {
    const own = objectKeyOf(object);
    if (!sameObjectKey(own, key))
      throw new TypeError(
        `${objectKeyText(key)}: the object names ${objectKeyText(own)}; the key cannot change`,
      );
    const json = serialize(key, object);
    const rv = this.#write(`update ${objectKeyText(key)}`, () => {
      const current = this.#version.get(key.kind, key.namespace, key.name) as { rv: number } | undefined;
      if (!current) throw new NotFoundError(objectNotFoundMessage(key));
      if (String(current.rv) !== expectedResourceVersion) throw new ConflictError(objectConflictMessage(key));
      const next = this.#takeResourceVersion();
      this.#update.run(json, next, key.kind, key.namespace, key.name);
      return next;
    });
    return stored(key, rv, json);
  }

  async remove(
    key: ObjectKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    return this.#write(`remove ${objectKeyText(key)}`, () => {
      const current = this.#version.get(key.kind, key.namespace, key.name) as { rv: number } | undefined;
      if (!current) return undefined;
      if (expectedResourceVersion !== undefined && String(current.rv) !== expectedResourceVersion)
        throw new ConflictError(objectConflictMessage(key));
      this.#delete.run(key.kind, key.namespace, key.name);
      return { resourceVersion: String(this.#takeResourceVersion()) };
    });
  }

  /** The next table-wide resourceVersion; only inside a write transaction, which a failure rolls back. */
  #takeResourceVersion(): number {
    return (this.#nextRv.get() as { value: number }).value;
  }

  /** Runs `body` in one BEGIN IMMEDIATE transaction: committed if it returns, rolled back if it throws. */
  #write<T>(what: string, body: () => T): T {
    return this.#read(what, () => {
      this.#begin.run();
      try {
        const result = body();
        this.#commit.run();
        return result;
      } catch (err) {
        if (this.#db.isTransaction) this.#rollback.run();
        throw err;
      }
    });
  }

  /** Errors translated at the edge, as SqlitePodStore translates them. */
  #read<T>(what: string, body: () => T): T {
    try {
      return body();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'ERR_SQLITE_ERROR' && code !== 'ERR_INVALID_STATE') throw err;
      throw new Error(`${this.#where}: ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** JSON without metadata.resourceVersion (the rv column is the truth), refused above DynamoDB's item limit. */
function serialize(key: ObjectKey, object: ApiObject): string {
  const { resourceVersion: _stale, ...metadata } = object.metadata ?? {};
  const json = JSON.stringify({ ...object, metadata });
  const bytes = objectItemBytes(key, json);
  if (bytes > MAX_OBJECT_ITEM_BYTES) throw new TooLargeError(objectTooLargeMessage(key, bytes));
  return json;
}

function stored(key: ObjectKey, rv: number, json: string): StoredObject {
  const resourceVersion = String(rv);
  const object = JSON.parse(json) as ApiObject;
  object.metadata = { ...object.metadata, resourceVersion };
  return { key: { ...key }, resourceVersion, object };
}

const readRow = (row: ObjectRow): StoredObject =>
  stored({ kind: row.kind, namespace: row.namespace, name: row.name }, row.rv, row.object);
