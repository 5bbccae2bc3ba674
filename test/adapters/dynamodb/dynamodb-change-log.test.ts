// The change log the DynamoDB stores write beside each commit when given one (the cloud), and DynamoDbChangeLog's
// reading of it (docs/decisions/0017-cloud-watch.md). On dynalite (memory); time is a manual clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbChangeLog } from '../../../src/adapters/dynamodb/dynamodb-change-log.ts';
import { DynamoDbObjectStore } from '../../../src/adapters/dynamodb/dynamodb-object-store.ts';
import { DynamoDbPodStore } from '../../../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { recordChange, type ChangeLogWriting } from '../../../src/adapters/dynamodb/change-log-writer.ts';
import { ensureTable, startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import type { ChangeLogEntry } from '../../../src/ports/change-log.ts';
import { podState } from '../../contract/pod-store.contract.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const TABLE = 'podflow';
const RETENTION = 600;
const key = { namespace: 'default', name: 'web' };

let db: LocalDynamo;
let clock: ManualClock;
let errors: string[];
let writing: ChangeLogWriting;
let store: DynamoDbPodStore;
let objects: DynamoDbObjectStore;
let log: DynamoDbChangeLog;

/** An entry as a comparable summary: version, kind, change, name and the version in the object it carries. */
const summary = (e: ChangeLogEntry) =>
  e.kind === 'none'
    ? [e.resourceVersion, 'none']
    : e.kind === 'Pod'
      ? [e.resourceVersion, 'Pod', e.change, e.pod.key.name, e.pod.state.pod.metadata?.resourceVersion]
      : e.kind === 'Event'
        ? [e.resourceVersion, 'Event', e.change, e.event.reason, e.event.resourceVersion, e.event.count]
        : [e.resourceVersion, e.kind, e.change, e.object.key.name, e.object.object.metadata?.resourceVersion];

beforeEach(async () => {
  db = await startDynalite();
  await ensureTable(db.client, TABLE);
  clock = new ManualClock();
  errors = [];
  writing = { retentionSeconds: RETENTION, clock, onError: (_err, what) => errors.push(what) };
  store = new DynamoDbPodStore({ client: db.client, tableName: TABLE, clock, changeLog: writing });
  objects = new DynamoDbObjectStore({ client: db.client, tableName: TABLE, changeLog: writing });
  log = new DynamoDbChangeLog({ client: db.client, tableName: TABLE });
});

afterEach(async () => {
  await db.close();
});

describe('the stores write one item per version they take', () => {
  it('pods: created, updated, removed (with the form it had), a lost condition as a bare item; Events as recorded', async () => {
    const created = await store.create(podState('web'));
    const updated = await store.update(key, created.resourceVersion, podState('web'));
    await expect(store.update(key, created.resourceVersion, podState('web'))).rejects.toThrow(/modified/);
    const occurrence = (id: string) =>
      store.recordEvent({
        occurrence: id,
        namespace: 'default',
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' },
        type: 'Normal',
        reason: 'Scheduled',
        message: 'ok',
        at: clock.now(),
      });
    const first = await occurrence('o1');
    const second = await occurrence('o2');
    await occurrence('o2'); // a retried write of an occurrence already counted: nothing changes at its version
    const removed = await store.remove(key);
    const entries = await log.readAfter('0', 100);
    expect(entries.map(summary)).toEqual([
      ['1', 'Pod', 'created', 'web', '1'],
      ['2', 'Pod', 'updated', 'web', '2'],
      ['3', 'none'],
      ['4', 'Event', 'created', 'Scheduled', '4', 1],
      ['5', 'Event', 'updated', 'Scheduled', '5', 2],
      ['6', 'none'],
      ['7', 'Pod', 'removed', 'web', removed!.resourceVersion],
    ]);
    // The Event's copy is what recordEvent returned.
    expect(entries[3]!.kind === 'Event' && entries[3]!.event).toEqual(first);
    expect(entries[4]!.kind === 'Event' && entries[4]!.event).toEqual(second);
    expect(updated.resourceVersion).toBe('2');
    // The copy is what the store reads back, without the inbox or a wait token.
    expect(entries[1]!.kind === 'Pod' && entries[1]!.pod).toEqual({ ...updated, inbox: [] });
    expect(entries.every((e) => e.expiresAtSeconds === Math.floor(clock.now() / 1000) + RETENTION)).toBe(
      true,
    );
    expect(errors).toEqual([]);
  });

  it('objects: a ConfigMap created, updated and removed', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app', namespace: 'default' },
      data: {},
    };
    const created = await objects.create(cm);
    await objects.update(created.key, created.resourceVersion, { ...cm, data: { a: '1' } });
    await objects.remove(created.key);
    expect((await log.readAfter('0', 100)).map(summary)).toEqual([
      ['1', 'ConfigMap', 'created', 'app', '1'],
      ['2', 'ConfigMap', 'updated', 'app', '2'],
      ['3', 'ConfigMap', 'removed', 'app', '3'],
    ]);
  });

  it('without a change log nothing more is written (local mode)', async () => {
    const plain = new DynamoDbPodStore({ client: db.client, tableName: TABLE, clock });
    await plain.create(podState('web'));
    expect(await log.readAfter('0', 100)).toEqual([]);
  });

  it('a log write that fails is reported, and the commit stands', async () => {
    // A client whose puts of change-log items fail (throttled, say); every other call goes through.
    const failing = {
      send: (command: { input: { Item?: { PK?: { S?: string } } } }) =>
        command.input.Item?.PK?.S === 'changelog'
          ? Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
          : (db.client.send as (c: unknown) => Promise<unknown>)(command),
    } as unknown as typeof db.client;
    const flaky = new DynamoDbPodStore({ client: failing, tableName: TABLE, clock, changeLog: writing });
    const created = await flaky.create(podState('web'));
    expect(created.resourceVersion).toBe('1');
    expect((await store.get(key))?.resourceVersion).toBe('1');
    expect(errors).toEqual(['record change 1']);
    expect(await log.readAfter('0', 10)).toEqual([]);
  });

  it('a version whose item exists already is not written again (a retried put changes nothing)', async () => {
    await store.create(podState('web'));
    const before = await log.readAfter('0', 10);
    await recordChange(db.client, TABLE, writing, '1', { kind: 'none' });
    expect(await log.readAfter('0', 10)).toEqual(before);
    expect(errors).toEqual([]);
  });
});

describe('reading the log', () => {
  it('reads after a version in order, a page at a time; finds the latest at or before a version; the oldest unexpired', async () => {
    for (const name of ['a', 'b', 'c', 'd']) await store.create(podState(name));
    expect((await log.readAfter('1', 2)).map((e) => e.resourceVersion)).toEqual(['2', '3']);
    expect((await log.readAfter('4', 10)).map((e) => e.resourceVersion)).toEqual([]);
    expect((await log.latestAtOrBefore('3'))?.resourceVersion).toBe('3');
    expect(await log.latestAtOrBefore('0')).toBeUndefined();
    expect(await log.currentResourceVersion()).toBe('4');
    const now = Math.floor(clock.now() / 1000);
    expect(await log.oldest(now)).toBe('1');
    clock.advance((RETENTION + 1) * 1000);
    await store.create(podState('e'));
    expect(await log.oldest(Math.floor(clock.now() / 1000))).toBe('5');
  });
});
