// Where local mode keeps pods, their inboxes, Events, the API objects (ConfigMaps, Secrets, Namespaces) and the
// durable timers: the choice of backend and the files it owns in the data directory.
//   sqlite    (default) SqlitePodStore + SqliteObjectStore + SqliteTimerTable on <dataDir>/podflow.db (WAL), or on
//             `:memory:` with inMemory — the same adapter code either way, so tests that run in memory exercise the
//             default store.
//   dynamodb  DynamoDbPodStore + DynamoDbObjectStore + DynamoDbTimerTable on the single table `podflow`: served in-process by dynalite
//             (LevelDB under <dataDir>/db, or memory with inMemory), or by a DynamoDB-compatible endpoint (LocalStack,
//             DynamoDB Local, DynamoDB itself) when one is given.
// The two stores write different files, and a data directory also holds the containers of the pods its store knows:
// opening one store on a directory written by the other would start from no pods while their containers live on. So
// that case is refused, with a message naming the directory and the way out, instead of being migrated: the other
// store still opens it as it is (nothing is lost), and a copy would have to carry resourceVersions, inboxes, wait
// tokens, timers and Events across, safely against a crash half-way, for a directory that starts afresh just as well.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TimerTable } from '../adapters/local-timers/timer-table.ts';
import { openSqliteDatabase, SQLITE_IN_MEMORY } from '../adapters/sqlite/sqlite-database.ts';
import { SqliteObjectStore } from '../adapters/sqlite/sqlite-object-store.ts';
import { SqlitePodStore } from '../adapters/sqlite/sqlite-pod-store.ts';
import { SqliteTimerTable } from '../adapters/sqlite/sqlite-timer-table.ts';
import type { Clock } from '../ports/clock.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { PodStore } from '../ports/pod-store.ts';

export const LOCAL_STORES = ['sqlite', 'dynamodb'] as const;
export type LocalStoreKind = (typeof LOCAL_STORES)[number];
export const DEFAULT_LOCAL_STORE: LocalStoreKind = 'sqlite';

/** The SQLite database in the data directory (with its `-wal` and `-shm` files next to it while open). */
export const SQLITE_FILE = 'podflow.db';
/** dynalite's LevelDB directory in the data directory. */
export const DYNALITE_DIR = 'db';
/** The DynamoDB table local mode uses (in dynalite, or at the endpoint). */
export const LOCAL_TABLE_NAME = 'podflow';

export interface LocalStoreOptions {
  kind: LocalStoreKind;
  dataDir: string;
  /** Nothing on disk: SQLite `:memory:`, or dynalite in memory. */
  inMemory: boolean;
  /** dynamodb only: a DynamoDB-compatible endpoint instead of in-process dynalite. */
  dynamodbEndpoint?: string;
  clock: Clock;
}

export interface LocalStore {
  store: PodStore;
  /** ConfigMaps, Secrets and Namespaces, on the same database or table (one resourceVersion sequence). */
  objects: ObjectStore;
  timers: TimerTable;
  /** For messages: `SQLite .podflow/podflow.db`, `dynalite (memory)`, … */
  description: string;
  close(): Promise<void>;
}

/** A data directory written by the other store (see the top of this file). */
export class DataDirStoreError extends Error {
  override name = 'DataDirStoreError';
}

/**
 * Throws DataDirStoreError if `dataDir` holds the files of the store that was not chosen. Nothing is read or
 * written: the check looks at which files exist.
 */
export function checkDataDirStore(dataDir: string, kind: LocalStoreKind): void {
  const sqliteFile = join(dataDir, SQLITE_FILE);
  const dynaliteDir = join(dataDir, DYNALITE_DIR);
  const found =
    kind === 'sqlite'
      ? existsSync(dynaliteDir) && {
          kind: 'dynamodb',
          what: `DynamoDB store (dynalite/LevelDB in ${dynaliteDir})`,
        }
      : existsSync(sqliteFile) && { kind: 'sqlite', what: `SQLite store (${sqliteFile})` };
  if (!found) return;
  throw new DataDirStoreError(
    `the data directory ${dataDir} holds the pods of the ${found.what}: use --store ${found.kind} to keep using ` +
      `it, or move or remove ${dataDir} to start afresh with the ${kind === 'sqlite' ? 'SQLite' : 'DynamoDB'} store`,
  );
}

export async function openLocalStore(options: LocalStoreOptions): Promise<LocalStore> {
  const { kind, dataDir, inMemory, dynamodbEndpoint, clock } = options;
  if (kind === 'sqlite' && dynamodbEndpoint !== undefined)
    throw new TypeError('a DynamoDB endpoint needs the dynamodb store');
  if (inMemory && dynamodbEndpoint !== undefined)
    throw new TypeError('a DynamoDB endpoint keeps the data at the endpoint, not in memory');
  if (!inMemory) checkDataDirStore(dataDir, kind);

  if (kind === 'sqlite') {
    if (!inMemory) mkdirSync(dataDir, { recursive: true });
    const location = inMemory ? SQLITE_IN_MEMORY : join(dataDir, SQLITE_FILE);
    const db = openSqliteDatabase(location);
    return {
      store: new SqlitePodStore({ db, clock }),
      objects: new SqliteObjectStore({ db }),
      timers: new SqliteTimerTable({ db }),
      description: inMemory ? 'SQLite (memory)' : `SQLite ${location}`,
      close: async () => db.close(),
    };
  }

  // The DynamoDB path (the SDK, dynalite and LevelDB) is loaded only when chosen: importing it costs the default
  // store's every engine start a few hundred milliseconds.
  const { openDynamoDbLocalStore } = await import('./local-store-dynamodb.ts');
  return openDynamoDbLocalStore({ dataDir, inMemory, dynamodbEndpoint, clock });
}
