// Runs the PodStore contract against every adapter: DynamoDbPodStore on dynalite in memory (the whole suite),
// DynamoDbPodStore on dynalite's LevelDB (what `podflow serve` uses; the durable fixture, so the durability case
// runs there; the slow race cases, which exercise the adapter and not the backend, are not repeated), and
// MemoryPodStore (the whole suite).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbPodStore } from '../../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
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
