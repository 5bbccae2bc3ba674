// What the PodStore contract cannot see of SqlitePodStore: the pragmas it runs under, the schema version guard, the
// 400 KB accounting (the same as DynamoDbPodStore's, byte for byte), the error translation at the edge, the purge of
// expired Events, and that no write leaves a transaction open behind it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbPodStore } from '../../../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { estimateItemSize, MAX_NUMBER_BYTES } from '../../../src/adapters/dynamodb/item-size.ts';
import {
  openSqliteDatabase,
  SQLITE_BUSY_TIMEOUT_MS,
  SQLITE_IN_MEMORY,
  SQLITE_SCHEMA_VERSION,
} from '../../../src/adapters/sqlite/sqlite-database.ts';
import {
  dynamoDbPodItemBytes,
  EVENT_PURGE_INTERVAL_MS,
  MAX_ITEM_BYTES,
  SqlitePodStore,
} from '../../../src/adapters/sqlite/sqlite-pod-store.ts';
import { ensureTable, startDynalite } from '../../../src/local/dynalite.ts';
import { TooLargeError } from '../../../src/ports/errors.ts';
import { podState, opaqueEvent } from '../../contract/pod-store.contract.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'podflow-sqlite-'));
  dirs.push(dir);
  return join(dir, 'podflow.db');
}

const pragma = (db: DatabaseSync, name: string): unknown =>
  Object.values(db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];

describe('openSqliteDatabase', () => {
  it('a file runs in WAL mode with synchronous NORMAL, a busy timeout and foreign keys', async () => {
    const db = openSqliteDatabase(await tempFile());
    try {
      expect(pragma(db, 'journal_mode')).toBe('wal');
      expect(pragma(db, 'synchronous')).toBe(1); // NORMAL
      expect(pragma(db, 'busy_timeout')).toBe(SQLITE_BUSY_TIMEOUT_MS);
      expect(pragma(db, 'foreign_keys')).toBe(1);
      expect(pragma(db, 'user_version')).toBe(SQLITE_SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('opening again keeps the data (the schema is created once)', async () => {
    const file = await tempFile();
    const first = openSqliteDatabase(file);
    await new SqlitePodStore({ db: first, clock: new ManualClock() }).create(podState('web'));
    first.close();
    const second = openSqliteDatabase(file);
    try {
      expect(
        await new SqlitePodStore({ db: second, clock: new ManualClock() }).get({
          namespace: 'default',
          name: 'web',
        }),
      ).toBeDefined();
    } finally {
      second.close();
    }
  });

  it('refuses a file of another schema version, and leaves it as it was', async () => {
    const file = await tempFile();
    const db = openSqliteDatabase(file);
    db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openSqliteDatabase(file)).toThrow(
      `SQLite ${file}: schema version ${SQLITE_SCHEMA_VERSION + 1} was written by another podflow version (this one reads ${SQLITE_SCHEMA_VERSION})`,
    );
  });
});

describe('SqlitePodStore', () => {
  let db: DatabaseSync;
  let clock: ManualClock;
  let store: SqlitePodStore;
  beforeEach(() => {
    db = openSqliteDatabase(SQLITE_IN_MEMORY);
    clock = new ManualClock();
    store = new SqlitePodStore({ db, clock, eventTtlSeconds: 600 });
  });
  afterEach(() => {
    if (db.isOpen) db.close();
  });

  it.each([
    { name: 'ASCII', namespace: 'default', podName: 'web', state: '{"a":1}' },
    { name: 'long names', namespace: 'n'.repeat(63), podName: 'p'.repeat(253), state: 'x'.repeat(1000) },
    { name: 'multi-byte state', namespace: 'default', podName: 'web', state: '"☃ 𝄞 café"' },
  ])('counts an item as DynamoDbPodStore does ($name)', ({ namespace, podName, state }) => {
    // DynamoDbPodStore's guard: the item with an empty inbox map and an empty waitToken, plus the widest rv and the
    // largest task token (src/adapters/dynamodb/dynamodb-pod-store.ts #guardSize).
    const dynamo =
      estimateItemSize({
        PK: { S: `ns#${namespace}` },
        SK: { S: `pod#${podName}` },
        state: { S: state },
        inbox: { M: {} },
        waitToken: { S: '' },
      }) +
      'rv'.length +
      MAX_NUMBER_BYTES +
      2048;
    expect(dynamoDbPodItemBytes({ namespace, name: podName }, state)).toBe(dynamo);
  });

  it('refuses at the same byte as DynamoDbPodStore on dynalite', async () => {
    const dynalite = await startDynalite();
    try {
      await ensureTable(dynalite.client, 'podflow');
      const dynamo = new DynamoDbPodStore({ client: dynalite.client, tableName: 'podflow', clock });
      // The padding that puts the item exactly at the limit, then one byte over.
      const probe = podState('edge');
      probe.pod.metadata!.annotations = { pad: '' };
      const base = dynamoDbPodItemBytes({ namespace: 'default', name: 'edge' }, JSON.stringify(probe));
      for (const [name, extra, fits] of [
        ['edge', 0, true],
        ['over', 1, false],
      ] as const) {
        const state = podState(name);
        state.pod.metadata!.annotations = { pad: 'x'.repeat(MAX_ITEM_BYTES - base + extra) };
        const outcomes = await Promise.all(
          [store, dynamo].map((s) =>
            s.create(state).then(
              () => 'stored',
              (err: unknown) => (err instanceof TooLargeError ? 'TooLarge' : String(err)),
            ),
          ),
        );
        expect(outcomes).toEqual(fits ? ['stored', 'stored'] : ['TooLarge', 'TooLarge']);
      }
    } finally {
      await dynalite.close();
    }
  });

  it('no call leaves a transaction open, whether it commits or throws', async () => {
    const key = { namespace: 'default', name: 'web' };
    const created = await store.create(podState('web'));
    const calls: [string, () => Promise<unknown>][] = [
      ['create of an existing pod', () => store.create(podState('web'))],
      ['update at a stale version', () => store.update(key, '0', podState('web'))],
      ['update of a missing pod', () => store.update({ ...key, name: 'ghost' }, '1', podState('ghost'))],
      [
        'deliver to a missing pod',
        () => store.deliver({ ...key, name: 'ghost' }, opaqueEvent({ id: 'e', type: 't', at: 0 })),
      ],
      ['registerWait on a missing pod', () => store.registerWait({ ...key, name: 'ghost' }, 't')],
      ['remove at a stale version', () => store.remove(key, '0')],
      ['deliver', () => store.deliver(key, opaqueEvent({ id: 'e1', type: 't', at: 0 }))],
      ['update', () => store.update(key, created.resourceVersion, podState('web'), ['e1'])],
      ['list', () => store.list()],
    ];
    for (const [what, call] of calls) {
      await call().catch(() => undefined);
      expect(db.isTransaction, what).toBe(false);
    }
  });

  it('a call on a closed database fails with an error naming the database and the call', async () => {
    db.close();
    await expect(store.get({ namespace: 'default', name: 'web' })).rejects.toThrow(
      /^SQLite in memory: get pod default\/web failed: /,
    );
  });

  it('deletes expired Events (DynamoDB TTL does so in the cloud), at most once per purge interval', async () => {
    const shortLived = new SqlitePodStore({ db, clock, eventTtlSeconds: 10 });
    const rows = () =>
      (db.prepare('SELECT body FROM events').all() as { body: string }[]).map(
        (r) => (JSON.parse(r.body) as { message: string }).message,
      );
    const record = (message: string) =>
      shortLived.recordEvent({
        occurrence: message,
        namespace: 'default',
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' },
        type: 'Normal',
        reason: 'Pulled',
        message,
        at: clock.now(),
      });
    await record('a'); // the first write purges (nothing yet)
    clock.advance(11_000);
    await record('b'); // 'a' expired, but the last purge was 11 s ago: it stays, hidden from readers
    expect(rows().sort()).toEqual(['a', 'b']);
    expect((await shortLived.listEvents('default')).map((e) => e.message)).toEqual(['b']);
    clock.advance(EVENT_PURGE_INTERVAL_MS - 11_000);
    await record('c'); // a purge interval after the first: 'a' and 'b' go
    expect(rows()).toEqual(['c']);
  });
});
