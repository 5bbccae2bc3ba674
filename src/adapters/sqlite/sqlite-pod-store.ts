// SqlitePodStore: the PodStore on SQLite through node:sqlite (docs/architecture.md §3 inbox protocol, §7 store) — local mode's
// default. Tables: sqlite-database.ts. It passes the same contract suite as DynamoDbPodStore
// (test/contract/pod-store.contract.ts), including the DynamoDB item limit, so a pod accepted here fits in the cloud.
//
// Concurrency. node:sqlite is synchronous: every method does all its SQL before it returns (a resolved promise), so
// in this process no two store calls ever interleave — writes are serialised, and that alone makes the inbox
// protocol race-free here: deliver (append + take the token) and registerWait (register only on an empty inbox) each
// run whole, one before the other. Each write that takes more than one statement is one `BEGIN IMMEDIATE`
// transaction (https://www.sqlite.org/lang_transaction.html), which takes the write lock at BEGIN: against another
// connection on the same file it is atomic as well, and its reads and checks see what it then writes.
//  - create/update/remove read the pod's rv and decide (AlreadyExists, NotFound, Conflict) inside that transaction;
//    the resourceVersion comes from the counter row, bumped in the same transaction (UPDATE … RETURNING), so it is
//    gap-free and never taken by a write that failed.
//  - update deletes exactly the consumed inbox rows in the transaction that stores the new state, so an event is
//    consumed if and only if the reconcile that applied it committed; events delivered since the read stay.
//  - reads are one statement (a consistent snapshot by itself), or, for list, a read transaction.
// The cost: a call blocks the event loop for its SQL — tens of microseconds for a pod, a few milliseconds for the
// largest (400 KB) states, against the loopback HTTP request and the SDK's (de)serialisation of a DynamoDB call.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { eventName } from '../../core/event-name.ts';
import { readPodState, type PodState } from '../../core/pod-state.ts';
import type { Clock } from '../../ports/clock.ts';
import { AlreadyExistsError, ConflictError, NotFoundError, TooLargeError } from '../../ports/errors.ts';
import { podKeyString, type PodKey } from '../../ports/pod-key.ts';
import type { PodEvent } from '../../core/pod-events.ts';
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

/** kube-apiserver --event-ttl default (cmd/kube-apiserver/app/options/options.go: EventTTL 1h). */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

/** DynamoDB's item size limit ("Service, account, and table quotas": 400 KB), which the port's contract carries. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Expired Events are deleted at most this often (by the next recordEvent): DynamoDB's TTL deletes them in the
 * background; here the table would otherwise only grow. Readers hide an expired Event at once either way.
 */
export const EVENT_PURGE_INTERVAL_MS = 60_000;

/**
 * What the pod's DynamoDB item would weigh, counted as DynamoDbPodStore counts it before it writes (Developer
 * Guide, "Item sizes and formats": attribute names plus UTF-8 values): PK `ns#<namespace>`, SK `pod#<name>`, the
 * state string, an empty inbox map (3 bytes), rv at the widest number (21 bytes) and the largest Step Functions
 * task token (2048 characters) in waitToken — so a pod accepted once stays writable whoever waits on it.
 */
export function dynamoDbPodItemBytes(key: PodKey, stateJson: string): number {
  const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');
  return (
    'PK'.length +
    utf8(`ns#${key.namespace}`) +
    'SK'.length +
    utf8(`pod#${key.name}`) +
    'state'.length +
    utf8(stateJson) +
    ('inbox'.length + 3) +
    ('waitToken'.length + 2048) +
    ('rv'.length + 21)
  );
}

export interface SqlitePodStoreOptions {
  /** A connection from openSqliteDatabase (schema in place). The store never closes it. */
  db: DatabaseSync;
  /** Time for Event expiry; the Event timestamps themselves come from `recordEvent`'s `at`. */
  clock: Clock;
  /** How long an Event lives after its last occurrence (kube-apiserver --event-ttl). */
  eventTtlSeconds?: number;
}

interface PodRow {
  namespace: string;
  name: string;
  rv: number;
  state: string;
  /** The pending events' JSON, joined by '\n' (which JSON.stringify never writes raw), or null when none. */
  inbox: string | null;
}

interface EventRow {
  name: string;
  body: string;
  count: number;
  first_at: number;
  last_at: number;
  rv: number;
}

// Kubernetes' wording (k8s.io/apimachinery/pkg/api/errors: NewNotFound, NewAlreadyExists, NewConflict), plus the
// namespace.
const notFound = (key: PodKey) =>
  new NotFoundError(`pods "${key.name}" not found (namespace ${key.namespace})`);
const alreadyExists = (key: PodKey) =>
  new AlreadyExistsError(`pods "${key.name}" already exists (namespace ${key.namespace})`);
const conflict = (key: PodKey) =>
  new ConflictError(
    `Operation cannot be fulfilled on pods "${key.name}" (namespace ${key.namespace}): the object has been modified; please apply your changes to the latest version and try again`,
  );

const POD_COLUMNS = `namespace, name, rv, state,
  (SELECT group_concat(event, char(10)) FROM inbox i WHERE i.namespace = p.namespace AND i.name = p.name) AS inbox`;

export class SqlitePodStore implements PodStore {
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  readonly #eventTtlMs: number;
  readonly #where: string;
  #lastPurgeAt = -Infinity;

  // Prepared once (https://www.sqlite.org/c3ref/stmt.html): each call only binds and steps.
  readonly #begin: StatementSync;
  readonly #beginRead: StatementSync;
  readonly #commit: StatementSync;
  readonly #rollback: StatementSync;
  readonly #nextRv: StatementSync;
  readonly #currentRv: StatementSync;
  readonly #getPod: StatementSync;
  readonly #listAll: StatementSync;
  readonly #listNamespace: StatementSync;
  readonly #pageAll: StatementSync;
  readonly #pageNamespace: StatementSync;
  readonly #podVersion: StatementSync;
  readonly #insertPod: StatementSync;
  readonly #updatePod: StatementSync;
  readonly #deletePod: StatementSync;
  readonly #inboxOf: StatementSync;
  readonly #consume: StatementSync;
  readonly #podWaiter: StatementSync;
  readonly #appendEvent: StatementSync;
  readonly #setWaitToken: StatementSync;
  readonly #restoreWaitToken: StatementSync;
  readonly #pendingCount: StatementSync;
  readonly #upsertEvent: StatementSync;
  readonly #getEvent: StatementSync;
  readonly #purgeEvents: StatementSync;
  readonly #listEvents: StatementSync;
  readonly #listObjectEvents: StatementSync;

  constructor(options: SqlitePodStoreOptions) {
    const db = options.db;
    this.#db = db;
    this.#clock = options.clock;
    this.#eventTtlMs = (options.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS) * 1000;
    this.#where = `SQLite ${db.location() ?? 'in memory'}`;

    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#beginRead = db.prepare('BEGIN DEFERRED');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#nextRv = db.prepare(
      "UPDATE counter SET value = value + 1 WHERE name = 'resourceVersion' RETURNING value",
    );
    this.#currentRv = db.prepare("SELECT value FROM counter WHERE name = 'resourceVersion'");

    this.#getPod = db.prepare(`SELECT ${POD_COLUMNS} FROM pods p WHERE namespace = ? AND name = ?`);
    // Names are DNS labels and subdomains (ASCII), where SQLite's BINARY collation (memcmp of UTF-8) is the
    // code-unit order etcd lists in.
    this.#listAll = db.prepare(`SELECT ${POD_COLUMNS} FROM pods p ORDER BY namespace, name`);
    this.#listNamespace = db.prepare(`SELECT ${POD_COLUMNS} FROM pods p WHERE namespace = ? ORDER BY name`);
    // Pages in key order from after a key (row values: the primary key's order, read through its index).
    this.#pageAll = db.prepare(
      `SELECT ${POD_COLUMNS} FROM pods p WHERE (namespace, name) > (?, ?) ORDER BY namespace, name LIMIT ?`,
    );
    this.#pageNamespace = db.prepare(
      `SELECT ${POD_COLUMNS} FROM pods p WHERE namespace = ?1 AND (namespace, name) > (?2, ?3) ORDER BY name LIMIT ?4`,
    );
    this.#podVersion = db.prepare('SELECT rv FROM pods WHERE namespace = ? AND name = ?');
    this.#insertPod = db.prepare('INSERT INTO pods (namespace, name, rv, state) VALUES (?, ?, ?, ?)');
    this.#updatePod = db.prepare('UPDATE pods SET state = ?, rv = ? WHERE namespace = ? AND name = ?');
    this.#deletePod = db.prepare('DELETE FROM pods WHERE namespace = ? AND name = ?');

    this.#inboxOf = db.prepare('SELECT event FROM inbox WHERE namespace = ? AND name = ?');
    this.#consume = db.prepare(
      'DELETE FROM inbox WHERE namespace = ? AND name = ? AND event_id IN (SELECT value FROM json_each(?))',
    );
    this.#podWaiter = db.prepare('SELECT wait_token FROM pods WHERE namespace = ? AND name = ?');
    // DO NOTHING: a redelivery of a pending event leaves the first copy, which a reconcile may already have read,
    // so the event it consumes is the event it applied.
    this.#appendEvent = db.prepare(
      'INSERT INTO inbox (namespace, name, event_id, event) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.#setWaitToken = db.prepare('UPDATE pods SET wait_token = ? WHERE namespace = ? AND name = ?');
    this.#restoreWaitToken = db.prepare(
      'UPDATE pods SET wait_token = ? WHERE namespace = ? AND name = ? AND wait_token IS NULL',
    );
    this.#pendingCount = db.prepare(
      'SELECT (SELECT count(*) FROM inbox i WHERE i.namespace = p.namespace AND i.name = p.name) AS pending ' +
        'FROM pods p WHERE namespace = ? AND name = ?',
    );

    // One statement aggregates or restarts: every right-hand side reads the row as it was (an expired Event starts
    // over at count 1, as after kube-apiserver dropped it).
    this.#upsertEvent = db.prepare(`
      INSERT INTO events (namespace, involved_name, reason, aggregate, name, body, count, first_at, last_at, rv, expires_at, occurrence)
      VALUES (:namespace, :involved, :reason, :aggregate, :name, :body, 1, :at, :at, :rv, :expiresAt, :occurrence)
      ON CONFLICT (namespace, involved_name, reason, aggregate) DO UPDATE SET
        name = CASE WHEN expires_at > :now THEN name ELSE excluded.name END,
        first_at = CASE WHEN expires_at > :now THEN first_at ELSE excluded.first_at END,
        count = CASE WHEN expires_at > :now THEN count + 1 ELSE 1 END,
        last_at = excluded.last_at,
        body = excluded.body,
        rv = excluded.rv,
        expires_at = excluded.expires_at,
        occurrence = excluded.occurrence
      -- the same occurrence again (a retried write): counted once, the Event stays as it is
      WHERE occurrence <> excluded.occurrence OR expires_at <= :now`);
    this.#getEvent = db.prepare(
      'SELECT name, body, count, first_at, last_at, rv FROM events WHERE namespace = ? AND involved_name = ? AND reason = ? AND aggregate = ?',
    );
    this.#purgeEvents = db.prepare('DELETE FROM events WHERE expires_at <= ?');
    const eventColumns = 'SELECT name, body, count, first_at, last_at, rv FROM events';
    const eventOrder = 'ORDER BY first_at, name';
    this.#listEvents = db.prepare(`${eventColumns} WHERE namespace = ? AND expires_at > ? ${eventOrder}`);
    this.#listObjectEvents = db.prepare(
      `${eventColumns} WHERE namespace = ? AND involved_name = ? AND expires_at > ? ${eventOrder}`,
    );
  }

  async create(state: PodState): Promise<StoredPod> {
    const key = keyOfState(state);
    const stateJson = this.#serialize(key, state);
    const rv = this.#write(`create pod ${podKeyString(key)}`, () => {
      if (this.#podVersion.get(key.namespace, key.name)) throw alreadyExists(key);
      const next = this.#takeResourceVersion();
      this.#insertPod.run(key.namespace, key.name, next, stateJson);
      return next;
    });
    return { key, resourceVersion: String(rv), state: parseState(stateJson, String(rv)), inbox: [] };
  }

  async get(key: PodKey): Promise<StoredPod | undefined> {
    const row = this.#read(
      `get pod ${podKeyString(key)}`,
      () => this.#getPod.get(key.namespace, key.name) as PodRow | undefined,
    );
    return row && readPod(row);
  }

  async list(namespace?: string, page?: ListPage): Promise<PodList> {
    // One read transaction: the counter and the rows come from the same snapshot, so the listed version is the
    // newest of every listed pod, and a watcher resuming from it misses nothing.
    const { rows, rv } = this.#read(`list pods${namespace ? ` in ${namespace}` : ''}`, () => {
      this.#beginRead.run();
      try {
        const current = (this.#currentRv.get() as { value: number }).value;
        // A page reads one row more than it returns: whether more follow.
        const after = page?.after ?? { namespace: '', name: '' };
        const found = (page
          ? namespace === undefined
            ? this.#pageAll.all(after.namespace, after.name, page.limit + 1)
            : this.#pageNamespace.all(namespace, after.namespace, after.name, page.limit + 1)
          : namespace === undefined
            ? this.#listAll.all()
            : this.#listNamespace.all(namespace)) as unknown as PodRow[];
        this.#commit.run();
        return { rows: found, rv: current };
      } catch (err) {
        if (this.#db.isTransaction) this.#rollback.run();
        throw err;
      }
    });
    // The rows are the page already (one more than it returns, when more follow).
    return { ...pageOf(rows.map(readPod), page && { limit: page.limit }), resourceVersion: String(rv) };
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
    checkStateMatchesKey(key, state);
    const stateJson = this.#serialize(key, state);
    const { rv, inbox } = this.#write(`update pod ${podKeyString(key)}`, () => {
      const current = this.#podVersion.get(key.namespace, key.name) as { rv: number } | undefined;
      if (!current) throw notFound(key);
      // Compared as the decimal strings the API hands out: anything else ('', 'not-a-version') never matches.
      if (String(current.rv) !== expectedResourceVersion) throw conflict(key);
      const next = this.#takeResourceVersion();
      this.#updatePod.run(stateJson, next, key.namespace, key.name);
      if (consumedEventIds.length > 0)
        this.#consume.run(key.namespace, key.name, JSON.stringify(consumedEventIds));
      const left = this.#inboxOf.all(key.namespace, key.name) as unknown as { event: string }[];
      return { rv: next, inbox: left.map((r) => r.event) };
    });
    const resourceVersion = String(rv);
    return { key, resourceVersion, state: parseState(stateJson, resourceVersion), inbox: parseInbox(inbox) };
  }

  async remove(
    key: PodKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    return this.#write(`remove pod ${podKeyString(key)}`, () => {
      const current = this.#podVersion.get(key.namespace, key.name) as { rv: number } | undefined;
      if (!current) return undefined; // already gone: remove is idempotent
      if (expectedResourceVersion !== undefined && String(current.rv) !== expectedResourceVersion)
        throw conflict(key);
      this.#deletePod.run(key.namespace, key.name); // its inbox rows go with it (ON DELETE CASCADE)
      // The removal's version, in the same transaction: a list sees the pod exactly when its version is below it.
      return { resourceVersion: String(this.#takeResourceVersion()) };
    });
  }

  async deliver(key: PodKey, event: PodEvent): Promise<{ waitToken?: string }> {
    if (typeof event.id !== 'string' || event.id === '')
      throw new TypeError(`pod ${podKeyString(key)}: an inbox event needs a non-empty id`);
    const eventJson = JSON.stringify(event);
    const waitToken = this.#write(`deliver ${event.id} to pod ${podKeyString(key)}`, () => {
      const pod = this.#podWaiter.get(key.namespace, key.name) as { wait_token: string | null } | undefined;
      if (!pod) throw notFound(key);
      this.#appendEvent.run(key.namespace, key.name, event.id, eventJson);
      // Taken in the transaction that appended: at most one producer gets a given token.
      if (pod.wait_token !== null) this.#setWaitToken.run(null, key.namespace, key.name);
      return pod.wait_token;
    });
    return waitToken === null ? {} : { waitToken };
  }

  async registerWait(key: PodKey, token: string): Promise<{ registered: boolean; pending: number }> {
    return this.#write(`register a waiter on pod ${podKeyString(key)}`, () => {
      const pod = this.#pendingCount.get(key.namespace, key.name) as { pending: number } | undefined;
      if (!pod) throw notFound(key);
      if (pod.pending > 0) return { registered: false, pending: pod.pending };
      this.#setWaitToken.run(token, key.namespace, key.name);
      return { registered: true, pending: 0 };
    });
  }

  async restoreWait(key: PodKey, token: string): Promise<void> {
    this.#write(`restore the waiter of pod ${podKeyString(key)}`, () => {
      this.#restoreWaitToken.run(token, key.namespace, key.name);
    });
  }

  async recordEvent(input: EventRecord): Promise<StoredEvent> {
    const { at, namespace, involvedObject, type, reason, message, source, occurrence } = input;
    const atMs = Math.trunc(at);
    const now = Math.floor(this.#clock.now());
    // client-go tools/record/events_cache.go getEventKey aggregates on source, involved object (kind, namespace,
    // name, uid, fieldPath), type, reason and message; namespace, name and reason are columns of the key (so
    // listEvents selects one object's events by exact name), the rest is one JSON string.
    const aggregate = JSON.stringify([
      source?.component,
      source?.host,
      involvedObject.kind,
      involvedObject.namespace,
      involvedObject.uid,
      involvedObject.fieldPath,
      type,
      message,
    ]);
    const body = JSON.stringify({ involvedObject, type, reason, message, ...(source && { source }) });
    const row = this.#write(`record event ${reason} for ${namespace}/${involvedObject.name}`, () => {
      if (now - this.#lastPurgeAt >= EVENT_PURGE_INTERVAL_MS) {
        this.#purgeEvents.run(now);
        this.#lastPurgeAt = now;
      }
      const rv = this.#takeResourceVersion();
      this.#upsertEvent.run({
        namespace,
        involved: involvedObject.name,
        reason,
        aggregate,
        name: eventName(involvedObject.name, atMs, rv),
        body,
        at: atMs,
        rv,
        expiresAt: now + this.#eventTtlMs,
        now,
        occurrence,
      });
      return this.#getEvent.get(namespace, involvedObject.name, reason, aggregate) as unknown as EventRow;
    });
    return eventOf(namespace, row);
  }

  async listEvents(namespace: string, involvedName?: string): Promise<StoredEvent[]> {
    const now = Math.floor(this.#clock.now());
    const rows = this.#read(
      `list events in ${namespace}`,
      () =>
        (involvedName === undefined
          ? this.#listEvents.all(namespace, now)
          : this.#listObjectEvents.all(namespace, involvedName, now)) as unknown as EventRow[],
    );
    return rows.map((row) => eventOf(namespace, row));
  }

  /** The next table-wide resourceVersion; only inside a write transaction, which a failure rolls back. */
  #takeResourceVersion(): number {
    return (this.#nextRv.get() as { value: number }).value;
  }

  /** The state as stored, refused (before anything is written) if its DynamoDB item would pass 400 KB. */
  #serialize(key: PodKey, state: PodState): string {
    const stateJson = serializeState(state);
    const bytes = dynamoDbPodItemBytes(key, stateJson);
    if (bytes > MAX_ITEM_BYTES)
      throw new TooLargeError(
        `pod ${podKeyString(key)} would be ${bytes} bytes; DynamoDB items are limited to 400 KB`,
      );
    return stateJson;
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
        // A failed COMMIT may already have ended the transaction (https://www.sqlite.org/lang_transaction.html).
        if (this.#db.isTransaction) this.#rollback.run();
        throw err;
      }
    });
  }

  /**
   * Errors translated at the edge: an SQLite failure (ERR_SQLITE_ERROR), or a call on a closed connection
   * (ERR_INVALID_STATE: "statement has been finalized"), leaves as a plain Error naming the database and the call.
   */
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

/** The state as stored: JSON without metadata.resourceVersion, which lives in the rv column. */
function serializeState(state: PodState): string {
  const { resourceVersion: _stale, ...metadata } = state.pod.metadata ?? {};
  return JSON.stringify({ ...state, pod: { ...state.pod, metadata } });
}

function parseState(stateJson: string, resourceVersion: string): PodState {
  const state = readPodState(stateJson);
  state.pod.metadata = { ...state.pod.metadata, resourceVersion };
  return state;
}

function parseInbox(events: readonly string[]): PodEvent[] {
  const inbox = events.map((json) => JSON.parse(json) as PodEvent);
  inbox.sort((a, b) => a.at - b.at || compareStrings(a.id, b.id));
  return inbox;
}

function readPod(row: PodRow): StoredPod {
  const resourceVersion = String(row.rv);
  return {
    key: { namespace: row.namespace, name: row.name },
    resourceVersion,
    state: parseState(row.state, resourceVersion),
    inbox: parseInbox(row.inbox === null ? [] : row.inbox.split('\n')),
  };
}

/** Code-unit order, as Go compares strings (not locale order). */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** metav1.Time serializes as RFC 3339 with second precision (apimachinery/pkg/apis/meta/v1/time.go MarshalJSON). */
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Kubernetes Event an events row holds. */
function eventOf(namespace: string, row: EventRow): StoredEvent {
  return {
    namespace,
    name: row.name,
    ...(JSON.parse(row.body) as Pick<
      StoredEvent,
      'involvedObject' | 'type' | 'reason' | 'message' | 'source'
    >),
    count: row.count,
    firstTimestamp: rfc3339(row.first_at),
    lastTimestamp: rfc3339(row.last_at),
    resourceVersion: String(row.rv),
  };
}
