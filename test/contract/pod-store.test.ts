// Runs the PodStore contract against every adapter:
//  - SqlitePodStore on a WAL file (local mode's default: the whole suite, durability included — reopen closes the
//    connection and opens the file again) and on `:memory:` (what `--in-memory` uses: the whole suite, durability
//    skipped, nothing to reopen);
//  - DynamoDbPodStore on dynalite in memory (the whole suite) and on dynalite's LevelDB (`--store dynamodb`; durable,
//    so the durability case runs there; the slow race cases, which exercise the adapter and not the backend, are not
//    repeated);
//  - MemoryPodStore (the whole suite).
// Durability across kill -9 of the SQLite store (a process killed mid-write, not a clean close) is checked by
// test/adapters/sqlite/sqlite-pod-store-kill.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbPodStore } from '../../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
import { openSqliteDatabase, SQLITE_IN_MEMORY } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqlitePodStore } from '../../src/adapters/sqlite/sqlite-pod-store.ts';
import { ensureTable, startDynalite } from '../../src/local/dynalite.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { describePodStoreContract, type PodStoreFixture } from './pod-store.contract.ts';

const TABLE = 'podflow';

/** Event TTL of the fixtures' stores; `expireEvents` moves their manual clock past it. */
const EVENT_TTL_SECONDS = 600;

async function dynamoStore(clock: ManualClock, path?: string) {
  const db = await startDynalite(path ? { path } : {});
  await ensureTable(db.client, TABLE);
  const store = new DynamoDbPodStore({
    client: db.client,
    tableName: TABLE,
    clock,
    eventTtlSeconds: EVENT_TTL_SECONDS,
  });
  return { db, store };
}

function sqliteStore(clock: ManualClock, location: string) {
  const db = openSqliteDatabase(location);
  return { db, store: new SqlitePodStore({ db, clock, eventTtlSeconds: EVENT_TTL_SECONDS }) };
}

describePodStoreContract('SqlitePodStore on a WAL file', async (): Promise<PodStoreFixture> => {
  const dir = await mkdtemp(join(tmpdir(), 'podflow-store-'));
  const file = join(dir, 'podflow.db');
  const clock = new ManualClock();
  let { db, store } = sqliteStore(clock, file);
  return {
    store,
    expireEvents: () => clock.advance((EVENT_TTL_SECONDS + 1) * 1000),
    async reopen() {
      db.close();
      ({ db, store } = sqliteStore(clock, file));
      return store;
    },
    async close() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describePodStoreContract('SqlitePodStore in memory', async (): Promise<PodStoreFixture> => {
  const clock = new ManualClock();
  const { db, store } = sqliteStore(clock, SQLITE_IN_MEMORY);
  return {
    store,
    close: async () => db.close(),
    expireEvents: () => clock.advance((EVENT_TTL_SECONDS + 1) * 1000),
  };
});

describePodStoreContract('DynamoDbPodStore on dynalite (memory)', async (): Promise<PodStoreFixture> => {
  const clock = new ManualClock();
  const { db, store } = await dynamoStore(clock);
  return {
    store,
    close: () => db.close(),
    expireEvents: () => clock.advance((EVENT_TTL_SECONDS + 1) * 1000),
  };
});

describePodStoreContract(
  'DynamoDbPodStore on dynalite (LevelDB)',
  async (): Promise<PodStoreFixture> => {
    const dir = await mkdtemp(join(tmpdir(), 'podflow-store-'));
    const clock = new ManualClock();
    let { db, store } = await dynamoStore(clock, dir);
    return {
      store,
      expireEvents: () => clock.advance((EVENT_TTL_SECONDS + 1) * 1000),
      async reopen() {
        await db.close();
        ({ db, store } = await dynamoStore(clock, dir));
        return store;
      },
      async close() {
        await db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { groups: ['objects', 'inbox', 'events', 'limits', 'durability'] },
);

describePodStoreContract('MemoryPodStore', async (): Promise<PodStoreFixture> => {
  const clock = new ManualClock();
  return {
    store: new MemoryPodStore({ clock, eventTtlSeconds: EVENT_TTL_SECONDS }),
    close: async () => {},
    expireEvents: () => clock.advance((EVENT_TTL_SECONDS + 1) * 1000),
  };
});
