// One SQLite database file (node:sqlite, in Node itself: no native addon) holding what local mode keeps: the pod
// store's tables (SqlitePodStore) and the local timers (SqliteTimerTable). This file opens it, sets the pragmas and
// creates the schema; the adapters only prepare their statements on the connection it returns.
//
// Schema (version 1, kept in PRAGMA user_version):
//   counter  name TEXT PK, value INTEGER         one row, 'resourceVersion': the table-wide revision (like etcd's)
//   pods     namespace, name PK; rv INTEGER; state TEXT (JSON without metadata.resourceVersion); wait_token TEXT
//   inbox    namespace, name, event_id PK → pods ON DELETE CASCADE; event TEXT (JSON of the PodEvent)
//   events   namespace, involved_name, reason, aggregate PK; name, body (JSON), count, first_at, last_at (epoch ms),
//            rv, expires_at (epoch ms: the Event TTL, enforced by readers and purged by the store)
//   timers   namespace, name, timer_id PK; at REAL (epoch ms)
// Every table is STRICT (https://www.sqlite.org/stricttables.html): a value of the wrong type is an error, not a
// silent conversion. pods keeps its rowid: a pod's state is kilobytes, and WITHOUT ROWID suits rows below about
// 1/20 of a page (https://www.sqlite.org/withoutrowid.html §4); the small-row tables go without.
//
// Durability: WAL journal (https://www.sqlite.org/wal.html) with synchronous=NORMAL
// (https://www.sqlite.org/pragma.html#pragma_synchronous). A commit appends its pages to the WAL file with write()
// before the call returns, so once a store call has resolved its change is in the kernel's page cache and survives
// the process being killed (kill -9, a crash of Node): the next open replays the WAL. What NORMAL gives up against
// FULL is the fsync of the WAL at every commit, i.e. durability across a power loss or an OS crash: then the last
// transactions before it may roll back, but the database stays consistent ("WAL mode is always consistent with
// synchronous=NORMAL"). That is the guarantee the LevelDB backend of dynalite gave (it writes without sync), and an
// fsync per commit would cost more than the whole rest of a commit. A power loss also ends every container, so the
// engine restarts from an older but consistent state and the kubelet rules (restart, back-off) take it from there.
import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node:sqlite';
import type { DatabaseSync } from 'node:sqlite';

/** The schema version this code writes and reads (PRAGMA user_version). */
export const SQLITE_SCHEMA_VERSION = 1;

/**
 * How long a write waits for another connection's lock before SQLITE_BUSY (https://sqlite.org/c3ref/busy_timeout.html).
 * node:sqlite is synchronous, so the wait blocks the event loop; only another process on the same file can hold the
 * lock (the data-directory lock keeps a second podflow out; a `sqlite3` shell reading in WAL mode does not block).
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** In-memory database (tests, `--in-memory`): the same adapter code, nothing on disk. */
export const SQLITE_IN_MEMORY = ':memory:';

const SCHEMA = `
CREATE TABLE counter (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO counter (name, value) VALUES ('resourceVersion', 0);

CREATE TABLE pods (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  rv INTEGER NOT NULL,
  state TEXT NOT NULL,
  wait_token TEXT,
  PRIMARY KEY (namespace, name)
) STRICT;

CREATE TABLE inbox (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (namespace, name, event_id),
  FOREIGN KEY (namespace, name) REFERENCES pods (namespace, name) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
  namespace TEXT NOT NULL,
  involved_name TEXT NOT NULL,
  reason TEXT NOT NULL,
  aggregate TEXT NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  rv INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  occurrence TEXT NOT NULL,
  PRIMARY KEY (namespace, involved_name, reason, aggregate)
) STRICT;

CREATE TABLE timers (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  timer_id TEXT NOT NULL,
  at REAL NOT NULL,
  PRIMARY KEY (namespace, name, timer_id)
) STRICT, WITHOUT ROWID;
`;

/**
 * Opens (creating if needed) the database at `location` — a file path, or SQLITE_IN_MEMORY — in WAL mode with the
 * schema in place. The caller owns the connection and closes it (`db.close()`) after the adapters using it are done.
 * Throws if the file was written by a newer schema.
 */
export function openSqliteDatabase(location: string): DatabaseSync {
  const { DatabaseSync } = loadNodeSqlite();
  const db = new DatabaseSync(location, {
    timeout: SQLITE_BUSY_TIMEOUT_MS,
    // The inbox rows go with their pod (ON DELETE CASCADE); node:sqlite enables this by default, say it anyway.
    enableForeignKeyConstraints: true,
  });
  try {
    // Persistent in the file; an in-memory database answers 'memory' and has nothing to make durable.
    const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (location !== SQLITE_IN_MEMORY && mode !== 'wal')
      throw new Error(`SQLite ${location}: could not switch to WAL mode (journal_mode is ${mode})`);
    db.exec('PRAGMA synchronous = NORMAL');
    migrate(db, location);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function migrate(db: DatabaseSync, location: string): void {
  const version = (): number =>
    (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (version() === SQLITE_SCHEMA_VERSION) return;
  // IMMEDIATE: two processes opening a new file at once create the schema once.
  db.exec('BEGIN IMMEDIATE');
  try {
    const found = version();
    if (found === 0) {
      db.exec(SCHEMA);
      db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION}`);
    } else if (found !== SQLITE_SCHEMA_VERSION) {
      throw new Error(
        `SQLite ${location}: schema version ${found} was written by another podflow version (this one reads ${SQLITE_SCHEMA_VERSION})`,
      );
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

const require = createRequire(import.meta.url);

/**
 * node:sqlite is "Stability: 1.1 - Active development" in Node 22 (doc/api/sqlite.md) and emits an
 * ExperimentalWarning when it is first loaded, which would land on the stderr of every podflow command. podflow pins
 * its Node (22.23) and its store contract suite covers the part of the API it uses, so that one warning is dropped
 * while the module loads; every other warning passes through.
 */
function loadNodeSqlite(): typeof NodeSqlite {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const message = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && /\bSQLite\b/.test(message)) return;
    (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return require('node:sqlite') as typeof NodeSqlite;
  } finally {
    process.emitWarning = emitWarning;
  }
}
