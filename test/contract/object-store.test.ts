// Runs the ObjectStore contract against every adapter, each beside the PodStore of the same backend (so the shared
// resourceVersion sequence is checked):
//  - SqliteObjectStore on a WAL file (local mode's default; durable: reopen closes the connection and opens the file
//    again) and on `:memory:` (`--in-memory`);
//  - DynamoDbObjectStore on dynalite in memory and on dynalite's LevelDB (`--store dynamodb`; durable);
//  - MemoryObjectStore with a MemoryPodStore on one MemoryRevision.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbObjectStore } from '../../src/adapters/dynamodb/dynamodb-object-store.ts';
import { DynamoDbPodStore } from '../../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.ts';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
import { MemoryRevision } from '../../src/adapters/memory/memory-revision.ts';
import { openSqliteDatabase, SQLITE_IN_MEMORY } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteObjectStore } from '../../src/adapters/sqlite/sqlite-object-store.ts';
import { SqlitePodStore } from '../../src/adapters/sqlite/sqlite-pod-store.ts';
import { ensureTable, startDynalite } from '../../src/local/dynalite.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { describeObjectStoreContract, type ObjectStoreFixture } from './object-store.contract.ts';

const TABLE = 'podflow';

function sqliteStores(location: string) {
  const db = openSqliteDatabase(location);
  return {
    db,
    objects: new SqliteObjectStore({ db }),
    pods: new SqlitePodStore({ db, clock: new ManualClock() }),
  };
}

async function dynamoStores(path?: string) {
  const db = await startDynalite(path ? { path } : {});
  await ensureTable(db.client, TABLE);
  return {
    db,
    objects: new DynamoDbObjectStore({ client: db.client, tableName: TABLE }),
    pods: new DynamoDbPodStore({ client: db.client, tableName: TABLE, clock: new ManualClock() }),
  };
}

describeObjectStoreContract('SqliteObjectStore on a WAL file', async (): Promise<ObjectStoreFixture> => {
  const dir = await mkdtemp(join(tmpdir(), 'podflow-objects-'));
  const file = join(dir, 'podflow.db');
  let stores = sqliteStores(file);
  return {
    objects: stores.objects,
    pods: stores.pods,
    async reopen() {
      stores.db.close();
      stores = sqliteStores(file);
      return { objects: stores.objects, pods: stores.pods };
    },
    async close() {
      stores.db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeObjectStoreContract('SqliteObjectStore in memory', async (): Promise<ObjectStoreFixture> => {
  const { db, objects, pods } = sqliteStores(SQLITE_IN_MEMORY);
  return { objects, pods, close: async () => db.close() };
});

describeObjectStoreContract(
  'DynamoDbObjectStore on dynalite (memory)',
  async (): Promise<ObjectStoreFixture> => {
    const { db, objects, pods } = await dynamoStores();
    return { objects, pods, close: () => db.close() };
  },
);

describeObjectStoreContract(
  'DynamoDbObjectStore on dynalite (LevelDB)',
  async (): Promise<ObjectStoreFixture> => {
    const dir = await mkdtemp(join(tmpdir(), 'podflow-objects-'));
    let stores = await dynamoStores(dir);
    return {
      objects: stores.objects,
      pods: stores.pods,
      async reopen() {
        await stores.db.close();
        stores = await dynamoStores(dir);
        return { objects: stores.objects, pods: stores.pods };
      },
      async close() {
        await stores.db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { groups: ['objects', 'durability'] },
);

describeObjectStoreContract('MemoryObjectStore', async (): Promise<ObjectStoreFixture> => {
  const revision = new MemoryRevision();
  return {
    objects: new MemoryObjectStore({ revision }),
    pods: new MemoryPodStore({ clock: new ManualClock(), revision }),
    close: async () => {},
  };
});
