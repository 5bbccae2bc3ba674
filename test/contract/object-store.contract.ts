// The ObjectStore contract (ports/object-store.ts), as one suite every adapter must pass.
//
// What the contract guarantees to the engine and the API:
//  - Objects: create refuses an existing key (AlreadyExistsError); get/list are strongly consistent and return what
//    was stored (the store keeps its own copy); ConfigMap, Secret and Namespace of the same name are three objects,
//    and so are objects of one name in two namespaces; list returns one kind, of one namespace or all, sorted, with
//    the store's current resourceVersion.
//  - Versions: every write takes a new resourceVersion from the table-wide sequence the PodStore uses (checked when
//    the fixture offers the PodStore of the same backend), also in metadata.resourceVersion; update/remove at a stale
//    version change nothing and throw ConflictError; update of a missing object is NotFoundError; remove is
//    idempotent and gives the removal a version of its own.
//  - Size: an object whose item would pass DynamoDB's 400 KB (objectItemBytes) is refused with TooLargeError, writing
//    nothing; one at exactly the limit is stored.
//  - Durability (only for adapters whose fixture offers `reopen`): objects and the sequence survive a reopen.
//
// How an adapter author uses it: in a `*.test.ts` next to the others (test/contract/object-store.test.ts), call
//     describeObjectStoreContract('MyObjectStore', async () => ({ objects, pods?, close, reopen? }))
// with a factory that builds a fresh, empty store for each case. Give `pods` (the PodStore on the same table or
// database) so the shared sequence is checked, and `reopen` if the store is durable. Cases whose capability the
// fixture lacks are reported as skipped, with the reason.
import { describe, expect, it } from 'vitest';
import { isAlreadyExists, isConflict, isNotFound, TooLargeError } from '../../src/ports/errors.ts';
import {
  MAX_OBJECT_ITEM_BYTES,
  objectItemBytes,
  type ApiObject,
  type ObjectKey,
  type ObjectKind,
  type ObjectStore,
  type StoredObject,
} from '../../src/ports/object-store.ts';
import type { PodStore } from '../../src/ports/pod-store.ts';
import { podState } from './pod-store.contract.ts';

export interface ObjectStoreFixture {
  objects: ObjectStore;
  /** The PodStore on the same backend (the shared resourceVersion sequence is checked when given). */
  pods?: PodStore;
  close(): Promise<void>;
  /** Durable stores only: close and reopen on the same data; returns the new stores. */
  reopen?(): Promise<{ objects: ObjectStore; pods?: PodStore }>;
}

interface ContractCase {
  name: string;
  run(fixture: ObjectStoreFixture, skip: (reason: string) => void): Promise<void>;
}

const configMap = (name: string, namespace = 'default', data: Record<string, string> = {}): ApiObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, uid: `uid-cm-${namespace}-${name}` },
  data,
});
const secret = (name: string, namespace = 'default', data: Record<string, string> = {}): ApiObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace, uid: `uid-secret-${namespace}-${name}` },
  type: 'Opaque',
  data,
});
const namespaceObject = (name: string): ApiObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, uid: `uid-ns-${name}` },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
});

const cmKey = (name: string, namespace = 'default'): ObjectKey => ({ kind: 'ConfigMap', namespace, name });
const secretKey = (name: string, namespace = 'default'): ObjectKey => ({ kind: 'Secret', namespace, name });
const nsKey = (name: string): ObjectKey => ({ kind: 'Namespace', namespace: '', name });

/** The object without the version the store adds, to compare with what went in. */
const withoutVersion = (object: ApiObject): ApiObject => {
  const { resourceVersion: _rv, ...metadata } = object.metadata ?? {};
  return { ...object, metadata };
};

async function mustGet(store: ObjectStore, key: ObjectKey): Promise<StoredObject> {
  const found = await store.get(key);
  if (!found) throw new Error(`${key.kind} ${key.namespace}/${key.name} is missing`);
  return found;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

/** A ConfigMap whose item weighs exactly `bytes` by objectItemBytes (ASCII filler in one value). */
function configMapOfItemBytes(name: string, bytes: number): ApiObject {
  const empty = configMap(name, 'default', { filler: '' });
  const base = objectItemBytes(cmKey(name), JSON.stringify(empty));
  return configMap(name, 'default', { filler: 'x'.repeat(bytes - base) });
}

const rv = (s: { resourceVersion: string }): bigint => BigInt(s.resourceVersion);

const objectCases: ContractCase[] = [
  {
    name: 'create then get returns the object with a resourceVersion, also in metadata',
    async run({ objects }) {
      const input = configMap('app', 'default', { greeting: 'hello' });
      const created = await objects.create(input);
      expect(created.key).toEqual(cmKey('app'));
      expect(created.resourceVersion).toMatch(/^\d+$/);
      expect(created.object.metadata?.resourceVersion).toBe(created.resourceVersion);
      expect(withoutVersion(created.object)).toEqual(input);
      expect(await mustGet(objects, cmKey('app'))).toEqual(created);
    },
  },
  {
    name: 'the object round-trips as JSON: unicode, empty strings and maps, nulls, numbers, nesting',
    async run({ objects }) {
      const input: ApiObject = {
        ...configMap('odd', 'default', { '': 'empty key', blank: '', unicode: 'café ☃ 𝄞', nl: 'a\nb' }),
        binaryData: { raw: 'AAEC/w==' },
        extra: { nothing: null, list: [], map: {}, float: 0.1, big: 2 ** 52, nested: { a: [{ b: 1 }] } },
      };
      await objects.create(input);
      expect(withoutVersion((await mustGet(objects, cmKey('odd'))).object)).toEqual(input);
    },
  },
  {
    name: 'the store keeps its own copy: mutating what went in or came out changes nothing stored',
    async run({ objects }) {
      const input = configMap('copy', 'default', { k: 'v' });
      const created = await objects.create(input);
      (input.data as Record<string, string>).k = 'changed-input';
      (created.object.data as Record<string, string>).k = 'changed-output';
      expect((await mustGet(objects, cmKey('copy'))).object.data).toEqual({ k: 'v' });
    },
  },
  {
    name: 'get of a missing object is undefined',
    async run({ objects }) {
      expect(await objects.get(cmKey('nobody'))).toBeUndefined();
      expect(await objects.get(nsKey('nowhere'))).toBeUndefined();
    },
  },
  {
    name: 'create of an existing key throws AlreadyExistsError in the API server wording and keeps the original',
    async run({ objects }) {
      const first = await objects.create(secret('token', 'team-a', { t: 'YQ==' }));
      const err = await rejection(objects.create(secret('token', 'team-a', { t: 'Yg==' })));
      expect(isAlreadyExists(err)).toBe(true);
      expect((err as Error).message).toBe('secrets "token" already exists (namespace team-a)');
      expect(await mustGet(objects, secretKey('token', 'team-a'))).toEqual(first);
      await objects.create(namespaceObject('x'));
      const ns = await rejection(objects.create(namespaceObject('x')));
      expect(isAlreadyExists(ns)).toBe(true);
      expect((ns as Error).message).toBe('namespaces "x" already exists');
    },
  },
  {
    name: 'one name is a different object per kind and per namespace',
    async run({ objects }) {
      await objects.create(configMap('x', 'a', { from: 'cm-a' }));
      await objects.create(configMap('x', 'b', { from: 'cm-b' }));
      await objects.create(secret('x', 'a', { from: 'c2VjcmV0' }));
      await objects.create(namespaceObject('x'));
      expect((await mustGet(objects, cmKey('x', 'a'))).object.data).toEqual({ from: 'cm-a' });
      expect((await mustGet(objects, cmKey('x', 'b'))).object.data).toEqual({ from: 'cm-b' });
      expect((await mustGet(objects, secretKey('x', 'a'))).object.data).toEqual({ from: 'c2VjcmV0' });
      expect((await mustGet(objects, nsKey('x'))).object.kind).toBe('Namespace');
    },
  },
  {
    name: 'the key comes from the object: an unknown kind, a missing name or namespace is refused (TypeError)',
    async run({ objects }) {
      const refused: ApiObject[] = [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'no-namespace' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scoped', namespace: 'default' } },
      ];
      for (const object of refused) expect(await rejection(objects.create(object))).toBeInstanceOf(TypeError);
      expect((await objects.list('ConfigMap')).items).toEqual([]);
      expect((await objects.list('Namespace')).items).toEqual([]);
    },
  },
  {
    name: 'list returns one kind, of one namespace or all, sorted, with the current resourceVersion',
    async run({ objects }) {
      for (const [ns, name] of [
        ['b', 'z'],
        ['a', 'y'],
        ['a', 'x'],
        ['c', 'w'],
      ] as const) {
        await objects.create(configMap(name, ns));
      }
      await objects.create(secret('s', 'a'));
      await objects.create(namespaceObject('b'));
      await objects.create(namespaceObject('a'));
      const last = await objects.update(
        cmKey('w', 'c'),
        (await mustGet(objects, cmKey('w', 'c'))).resourceVersion,
        {
          ...configMap('w', 'c'),
          data: { changed: 'yes' },
        },
      );

      const inA = await objects.list('ConfigMap', 'a');
      expect(inA.items.map((o) => o.key)).toEqual([cmKey('x', 'a'), cmKey('y', 'a')]);
      const all = await objects.list('ConfigMap');
      expect(all.items.map((o) => `${o.key.namespace}/${o.key.name}`)).toEqual(['a/x', 'a/y', 'b/z', 'c/w']);
      expect(all.items[3]).toEqual(last);
      expect(rv(all)).toBeGreaterThanOrEqual(rv(last));
      expect((await objects.list('Secret')).items.map((o) => o.key)).toEqual([secretKey('s', 'a')]);
      expect((await objects.list('Namespace')).items.map((o) => o.key.name)).toEqual(['a', 'b']);
      expect(await objects.list('ConfigMap', 'empty')).toEqual({
        items: [],
        resourceVersion: all.resourceVersion,
      });
    },
  },
  {
    name: 'list returns every object even when they span several result pages (over 1 MB)',
    async run({ objects }) {
      const names = Array.from({ length: 14 }, (_, i) => `big-${String(i).padStart(2, '0')}`);
      await Promise.all(
        names.map((name) =>
          objects.create({
            ...configMapOfItemBytes(name, 100_000),
            metadata: { name, namespace: 'default' },
          }),
        ),
      );
      expect((await objects.list('ConfigMap', 'default')).items.map((o) => o.key.name)).toEqual(names);
      expect((await objects.list('ConfigMap')).items).toHaveLength(14);
    },
  },
  {
    name: 'update at the current resourceVersion replaces the object and takes a new resourceVersion',
    async run({ objects }) {
      const created = await objects.create(configMap('app', 'default', { a: '1' }));
      const updated = await objects.update(
        cmKey('app'),
        created.resourceVersion,
        configMap('app', 'default', { a: '2' }),
      );
      expect(rv(updated)).toBeGreaterThan(rv(created));
      expect(updated.object.metadata?.resourceVersion).toBe(updated.resourceVersion);
      expect(updated.object.data).toEqual({ a: '2' });
      expect(await mustGet(objects, cmKey('app'))).toEqual(updated);
    },
  },
  {
    name: 'a stale resourceVersion on the object itself does not matter: the store writes the current one',
    async run({ objects }) {
      const created = await objects.create(namespaceObject('team-a'));
      const next = { ...created.object, metadata: { ...created.object.metadata, resourceVersion: '1' } };
      const updated = await objects.update(nsKey('team-a'), created.resourceVersion, next);
      expect(updated.object.metadata?.resourceVersion).toBe(updated.resourceVersion);
    },
  },
  {
    name: 'update at a stale or malformed resourceVersion throws ConflictError and changes nothing',
    async run({ objects }) {
      const created = await objects.create(configMap('app', 'default', { a: '1' }));
      const winner = await objects.update(
        cmKey('app'),
        created.resourceVersion,
        configMap('app', 'default', { a: '2' }),
      );
      for (const stale of [created.resourceVersion, 'not-a-version', '']) {
        const err = await rejection(
          objects.update(cmKey('app'), stale, configMap('app', 'default', { a: '3' })),
        );
        expect(isConflict(err), stale).toBe(true);
      }
      const err = await rejection(objects.update(cmKey('app'), created.resourceVersion, configMap('app')));
      expect((err as Error).message).toBe(
        'Operation cannot be fulfilled on configmaps "app" (namespace default): the object has been modified; please apply your changes to the latest version and try again',
      );
      expect(await mustGet(objects, cmKey('app'))).toEqual(winner);
    },
  },
  {
    name: 'update of a missing object throws NotFoundError and creates nothing',
    async run({ objects }) {
      const err = await rejection(objects.update(cmKey('ghost'), '1', configMap('ghost')));
      expect(isNotFound(err)).toBe(true);
      expect((err as Error).message).toBe('configmaps "ghost" not found (namespace default)');
      expect(await objects.get(cmKey('ghost'))).toBeUndefined();
    },
  },
  {
    name: 'update may not move an object to another key (TypeError)',
    async run({ objects }) {
      const created = await objects.create(configMap('app'));
      for (const moved of [configMap('other'), configMap('app', 'elsewhere'), secret('app')])
        expect(await rejection(objects.update(cmKey('app'), created.resourceVersion, moved))).toBeInstanceOf(
          TypeError,
        );
      expect(await mustGet(objects, cmKey('app'))).toEqual(created);
    },
  },
  {
    name: 'remove takes a version above the object’s, is idempotent, and honours an expected version',
    async run({ objects }) {
      const created = await objects.create(secret('token'));
      const err = await rejection(objects.remove(secretKey('token'), String(rv(created) + 100n)));
      expect(isConflict(err)).toBe(true);
      expect(await objects.get(secretKey('token'))).toEqual(created);
      const removed = await objects.remove(secretKey('token'), created.resourceVersion);
      expect(removed).toBeDefined();
      expect(BigInt(removed!.resourceVersion)).toBeGreaterThan(rv(created));
      expect(await objects.get(secretKey('token'))).toBeUndefined();
      expect(await objects.remove(secretKey('token'))).toBeUndefined();
      expect(await objects.remove(secretKey('token'), '5')).toBeUndefined();
      const listed = await objects.list('Secret');
      expect(listed.items).toEqual([]);
      expect(rv(listed)).toBeGreaterThanOrEqual(BigInt(removed!.resourceVersion));
    },
  },
  {
    name: 'every write takes a new, increasing resourceVersion; reads take none',
    async run({ objects }) {
      const versions: bigint[] = [];
      versions.push(rv(await objects.create(namespaceObject('a'))));
      versions.push(rv(await objects.create(configMap('c', 'a'))));
      await objects.get(cmKey('c', 'a'));
      await objects.list('ConfigMap');
      const c = await mustGet(objects, cmKey('c', 'a'));
      versions.push(
        rv(await objects.update(cmKey('c', 'a'), c.resourceVersion, configMap('c', 'a', { x: 'y' }))),
      );
      versions.push(BigInt((await objects.remove(cmKey('c', 'a')))!.resourceVersion));
      versions.push(rv(await objects.create(secret('s', 'a'))));
      expect([...versions].sort((x, y) => (x < y ? -1 : 1))).toEqual(versions);
      expect(new Set(versions).size).toBe(versions.length);
    },
  },
];

const versionCases: ContractCase[] = [
  {
    name: 'pods, events and objects share one resourceVersion sequence',
    async run({ objects, pods }, skip) {
      if (!pods) return skip('the fixture offers no PodStore on the same backend');
      const versions: bigint[] = [];
      const pod = await pods.create(podState('web'));
      versions.push(rv(pod));
      versions.push(rv(await objects.create(configMap('app'))));
      versions.push(
        rv(await pods.update({ namespace: 'default', name: 'web' }, pod.resourceVersion, podState('web'))),
      );
      const event = await pods.recordEvent({
        occurrence: 'object-store-contract-1',
        namespace: 'default',
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' },
        type: 'Normal',
        reason: 'Scheduled',
        message: 'ok',
        at: Date.UTC(2025, 0, 1),
      });
      versions.push(BigInt(event.resourceVersion!));
      versions.push(rv(await objects.create(namespaceObject('team-a'))));
      versions.push(BigInt((await pods.remove({ namespace: 'default', name: 'web' }))!.resourceVersion));
      versions.push(BigInt((await objects.remove(cmKey('app')))!.resourceVersion));
      for (let i = 1; i < versions.length; i++) expect(versions[i]!).toBeGreaterThan(versions[i - 1]!);
      // Each store's list reports the table's version: the same number, whichever kind was written last.
      expect((await objects.list('ConfigMap')).resourceVersion).toBe((await pods.list()).resourceVersion);
      expect(BigInt((await pods.list()).resourceVersion)).toBe(versions.at(-1));
    },
  },
  {
    name: 'objects are not pods: listing pods shows none of them, and a pod is no object',
    async run({ objects, pods }, skip) {
      if (!pods) return skip('the fixture offers no PodStore on the same backend');
      await objects.create(configMap('web'));
      await objects.create(secret('web'));
      await pods.create(podState('web'));
      expect((await pods.list('default')).items.map((p) => p.key.name)).toEqual(['web']);
      expect((await objects.list('ConfigMap', 'default')).items.map((o) => o.key.name)).toEqual(['web']);
      await pods.remove({ namespace: 'default', name: 'web' });
      expect(await objects.get(cmKey('web'))).toBeDefined();
    },
  },
  {
    name: 'concurrent read-modify-write loops that retry on conflict lose no update',
    async run({ objects }) {
      await objects.create(configMap('counter', 'default', { n: '0' }));
      const writers = 20;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          for (;;) {
            const current = await mustGet(objects, cmKey('counter'));
            const n = Number((current.object.data as Record<string, string>).n) + 1;
            try {
              await objects.update(
                cmKey('counter'),
                current.resourceVersion,
                configMap('counter', 'default', { n: String(n) }),
              );
              return;
            } catch (err) {
              if (!isConflict(err)) throw err;
            }
            await new Promise((r) => setTimeout(r, Math.random() * 10));
          }
        }),
      );
      expect((await mustGet(objects, cmKey('counter'))).object.data).toEqual({ n: String(writers) });
    },
  },
];

const limitCases: ContractCase[] = [
  {
    name: 'an object whose item is exactly 400 KB is stored; one byte more is refused with TooLargeError',
    async run({ objects }) {
      const fits = configMapOfItemBytes('fits', MAX_OBJECT_ITEM_BYTES);
      expect(objectItemBytes(cmKey('fits'), JSON.stringify(fits))).toBe(MAX_OBJECT_ITEM_BYTES);
      await objects.create(fits);
      const before = (await objects.list('ConfigMap')).resourceVersion;
      const err = await rejection(objects.create(configMapOfItemBytes('huge', MAX_OBJECT_ITEM_BYTES + 1)));
      expect(err).toBeInstanceOf(TooLargeError);
      expect((err as Error).message).toBe(
        `configmap default/huge would be ${MAX_OBJECT_ITEM_BYTES + 1} bytes; DynamoDB items are limited to 400 KB`,
      );
      expect(await objects.get(cmKey('huge'))).toBeUndefined();
      expect((await objects.list('ConfigMap')).resourceVersion).toBe(before);
    },
  },
  {
    name: 'an update over 400 KB is refused with TooLargeError and the object stays as it was',
    async run({ objects }) {
      const created = await objects.create(configMap('grows', 'default', { a: 'small' }));
      const err = await rejection(
        objects.update(
          cmKey('grows'),
          created.resourceVersion,
          configMapOfItemBytes('grows', MAX_OBJECT_ITEM_BYTES + 10),
        ),
      );
      expect(err).toBeInstanceOf(TooLargeError);
      expect(await mustGet(objects, cmKey('grows'))).toEqual(created);
    },
  },
  {
    name: 'multi-byte characters count as their UTF-8 bytes',
    async run({ objects }) {
      // 150 000 × '☃' is 150 000 UTF-16 units but 450 000 UTF-8 bytes.
      const err = await rejection(objects.create(secret('snowman', 'default', { s: '☃'.repeat(150_000) })));
      expect(err).toBeInstanceOf(TooLargeError);
    },
  },
];

const durabilityCases: ContractCase[] = [
  {
    name: 'durable stores: objects and the resourceVersion sequence survive a reopen',
    async run(fixture, skip) {
      if (!fixture.reopen) return skip('this store is not durable (its fixture has no reopen)');
      const { objects } = fixture;
      await objects.create(namespaceObject('team-a'));
      await objects.create(configMap('app', 'team-a', { k: 'v' }));
      const s = await objects.create(secret('token', 'team-a', { t: 'c2VjcmV0' }));
      await objects.remove(cmKey('app', 'team-a'));
      await objects.create({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'work', namespace: 'team-a', uid: 'job-uid' },
        spec: { completions: 2 },
        status: { succeeded: 1 },
      });
      // A CronJob's sort key (`cronjob#`) must not fall under the Jobs' prefix (`job#`), nor the other way round.
      await objects.create({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'work', namespace: 'team-a', uid: 'cronjob-uid' },
        spec: { schedule: '* * * * *' },
        status: { lastScheduleTime: '2026-03-08T07:00:00Z' },
      });
      const listed = {
        ConfigMap: await objects.list('ConfigMap'),
        Secret: await objects.list('Secret'),
        Namespace: await objects.list('Namespace'),
        Job: await objects.list('Job'),
        CronJob: await objects.list('CronJob'),
      };
      expect(listed.Job.items.map((o) => o.object.status)).toEqual([{ succeeded: 1 }]);
      expect(listed.CronJob.items.map((o) => o.object.status)).toEqual([
        { lastScheduleTime: '2026-03-08T07:00:00Z' },
      ]);

      const reopened = await fixture.reopen();
      for (const kind of ['ConfigMap', 'Secret', 'Namespace', 'Job', 'CronJob'] as ObjectKind[])
        expect(await reopened.objects.list(kind)).toEqual(listed[kind]);
      expect(await reopened.objects.get(secretKey('token', 'team-a'))).toEqual(s);
      const next = await reopened.objects.create(configMap('after', 'team-a'));
      expect(rv(next)).toBeGreaterThan(rv(listed.CronJob));
      if (reopened.pods) expect(rv(await reopened.pods.create(podState('after')))).toBeGreaterThan(rv(next));
    },
  },
];

export type ObjectContractGroup = 'objects' | 'versions' | 'limits' | 'durability';

/** Registers the contract suite for one adapter. `makeStore` builds a fresh, empty store for each case. */
export function describeObjectStoreContract(
  name: string,
  makeStore: () => Promise<ObjectStoreFixture>,
  options: { groups?: readonly ObjectContractGroup[] } = {},
): void {
  const groups: [ObjectContractGroup, ContractCase[]][] = [
    ['objects', objectCases],
    ['versions', versionCases],
    ['limits', limitCases],
    ['durability', durabilityCases],
  ];
  describe(`ObjectStore contract: ${name}`, () => {
    for (const [group, cases] of groups) {
      if (options.groups && !options.groups.includes(group)) continue;
      describe(group, () => {
        it.for(cases)('$name', { timeout: 30_000 }, async (contractCase, ctx) => {
          const fixture = await makeStore();
          let skipReason: string | undefined;
          try {
            await contractCase.run(fixture, (reason) => (skipReason = reason));
          } finally {
            await fixture.close();
          }
          if (skipReason) ctx.skip(skipReason);
        });
      });
    }
  });
}
