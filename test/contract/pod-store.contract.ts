// The PodStore contract (ports/pod-store.ts), as one suite every adapter must pass.
//
// What the contract guarantees to the engine:
//  - Objects: create refuses an existing key (AlreadyExistsError); get/list are strongly consistent; every object
//    write takes a new, table-wide increasing resourceVersion (a decimal string, also in metadata.resourceVersion);
//    update/remove at a stale resourceVersion change nothing and throw ConflictError, so read-modify-write loops
//    that retry on conflict never lose an update; update of a missing pod is NotFoundError; remove is idempotent.
//  - Inbox (docs/architecture.md §3): deliver appends an event (idempotent per id while pending) without changing the
//    resourceVersion and hands out the registered wait token to exactly one producer; registerWait registers only
//    on an empty inbox, so either the waiter sees the event or a producer gets its token — no lost wakeup; update
//    removes exactly the consumed events in the same conditional write, so every event reaches one committed
//    reconcile exactly once, and events delivered meanwhile stay. The inbox reads back ordered by (at, id).
//  - Size: a state whose item would pass DynamoDB's 400 KB limit is refused with TooLargeError, writing nothing.
//  - Events: recordEvent aggregates by involved object + reason + message (count, lastTimestamp), listEvents
//    returns a namespace's (or one object's) events oldest first.
//  - Events expire after the store's event TTL (kube-apiserver --event-ttl); checked when the fixture offers
//    `expireEvents`.
//  - Durability (only for adapters whose fixture offers `reopen`): data survives closing and reopening the store.
//
// How an adapter author uses it: in a `*.test.ts` next to the others (test/contract/pod-store.test.ts), call
//     describePodStoreContract('MyPodStore', async () => ({ store, close, reopen?, expireEvents? }), options?)
// with a factory that builds a fresh, empty store for each case (each case calls it once and always calls
// `close`). Give `reopen` if the store is durable: it closes the store's connection and returns a new store on the
// same data (the fixture's `close` must then release that one). Give `expireEvents` if the store runs on a manual
// clock: it moves that clock past the store's event TTL. Cases whose capability the fixture lacks are reported
// as skipped, with the reason. `options.groups` runs a subset (e.g. a second backend of an adapter already tested).
// No behaviour is waited for on the wall clock; only the two race cases use short real delays, to spread callers
// out, and they race many callers against one pod, so an adapter that is only "usually" atomic fails them.
import { describe, expect, it } from 'vitest';
import type { PodState } from '../../src/core/pod-state.ts';
import { isAlreadyExists, isConflict, isNotFound, TooLargeError } from '../../src/ports/errors.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import type { EventRecord, PodStore, StoredEvent, StoredPod } from '../../src/ports/pod-store.ts';
import type { PodEvent } from '../../src/core/pod-events.ts';

/** A fresh occurrence id: every recording here is a distinct occurrence unless a case says otherwise. */
let occurrences = 0;
const nextOccurrence = (): string => `occurrence-${++occurrences}`;

export interface PodStoreFixture {
  store: PodStore;
  close(): Promise<void>;
  /** Durable stores only: close and reopen on the same data; returns the new store. */
  reopen?(): Promise<PodStore>;
  /** Moves the store's clock past its event TTL (stores built on a manual clock); the expiry case needs it. */
  expireEvents?(): void;
}

interface ContractCase {
  name: string;
  run(fixture: PodStoreFixture, skip: (reason: string) => void): Promise<void>;
}

export type ContractGroup = 'objects' | 'inbox' | 'races' | 'events' | 'limits' | 'durability';

export interface ContractOptions {
  /** Run only these groups (default: all). E.g. a second backend of the same adapter may skip the slow races. */
  groups?: readonly ContractGroup[];
}

/** The race cases make thousands of requests; on a loaded CI machine they may need far longer than one case. */
const RACE_TIMEOUT_MS = 60_000;

/** 2025-01-01T00:00:00Z */
const T0 = Date.UTC(2025, 0, 1);

export function podState(name: string, namespace = 'default'): PodState {
  return {
    schemaVersion: 1,
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, uid: `uid-${namespace}-${name}`, labels: { app: name } },
      spec: {
        restartPolicy: 'Always',
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      },
      status: { phase: 'Pending', conditions: [] },
    },
    engine: {
      stage: 'Pending',
      scheduled: false,
      sandboxReady: false,
      containers: {},
      initialized: false,
      recentEventIds: [],
    },
  };
}

const keyOf = (name: string, namespace = 'default'): PodKey => ({ namespace, name });

/** A Scheduled event about pod `name`: a distinct occurrence (unless `occurrence` is given) at `at`. */
export const scheduledEvent = (
  name: string,
  namespace = 'default',
  at = T0,
  occurrence = nextOccurrence(),
): EventRecord => ({
  occurrence,
  namespace,
  involvedObject: { kind: 'Pod', namespace, name },
  type: 'Normal',
  reason: 'Scheduled',
  message: 'ok',
  at,
});
/**
 * An inbox event as the store sees it: only `id` and `at` mean anything to a store, the rest is carried unread —
 * so these cases deliver payloads no producer sends, to prove the store does not look at them.
 */
export const opaqueEvent = (event: {
  id: string;
  type: string;
  at: number;
  [field: string]: unknown;
}): PodEvent => event as unknown as PodEvent;
const inboxEvent = (id: string, at = T0, extra: Record<string, unknown> = {}): PodEvent =>
  opaqueEvent({ id, type: 'probeResult', at, ...extra });

async function mustGet(store: PodStore, key: PodKey): Promise<StoredPod> {
  const pod = await store.get(key);
  if (!pod) throw new Error(`pod ${key.namespace}/${key.name} is missing`);
  return pod;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

/** ~`bytes` of state: one annotation of ASCII filler. */
function paddedState(name: string, bytes: number, namespace = 'default'): PodState {
  const state = podState(name, namespace);
  state.pod.metadata!.annotations = { 'test.podflow.io/padding': 'x'.repeat(bytes) };
  return state;
}

/** The waiter's side of SendTaskSuccess: a promise per task token, settled at most once. */
class TaskTokens {
  readonly #waiting = new Map<string, { resolve(): void; settled: boolean }>();
  completions = 0;

  expect(token: string): { promise: Promise<void>; settled(): boolean } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const entry = { resolve, settled: false };
    this.#waiting.set(token, entry);
    return { promise, settled: () => entry.settled };
  }

  /** A producer completing a token; Step Functions rejects a second completion (TaskTimedOut), so do we. */
  complete(token: string): void {
    const entry = this.#waiting.get(token);
    if (!entry) throw new Error(`unknown task token ${token}`);
    if (entry.settled) throw new Error(`task token ${token} completed twice`);
    entry.settled = true;
    this.completions++;
    entry.resolve();
  }
}

/**
 * Reads, applies and commits until it wins the race (`apply` re-runs on every fresh read), like client-go's
 * retry.RetryOnConflict. With `backoff`, a writer that lost waits a random time in a window that starts at one
 * second and doubles ("full jitter"), so that fifty losers spread out instead of re-reading and colliding again in
 * lockstep: every request to a store behind HTTP costs milliseconds of CPU, and lockstep retries cost thousands.
 * Returns the number of attempts.
 */
async function retryOnConflict(
  store: PodStore,
  key: PodKey,
  apply: (pod: StoredPod) => { state: PodState; consumed?: string[] } | undefined,
  backoff = false,
): Promise<number> {
  for (let attempts = 1; ; attempts++) {
    const pod = await mustGet(store, key);
    const change = apply(pod);
    if (!change) return attempts;
    try {
      await store.update(key, pod.resourceVersion, change.state, change.consumed);
      return attempts;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    if (backoff) await delay(Math.random() * Math.min(4000, 1000 * 2 ** (attempts - 1)));
  }
}

/** A promise with its resolve function, to open a gate from outside. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const objectCases: ContractCase[] = [
  {
    name: 'create then get returns the state, a resourceVersion (also in metadata) and an empty inbox',
    async run({ store }) {
      const created = await store.create(podState('web'));
      expect(created.key).toEqual(keyOf('web'));
      expect(created.resourceVersion).toMatch(/^\d+$/);
      expect(created.state.pod.metadata?.resourceVersion).toBe(created.resourceVersion);
      expect(created.inbox).toEqual([]);
      const got = await mustGet(store, keyOf('web'));
      expect(got).toEqual(created);
      expect(got.state.pod.spec).toEqual(podState('web').pod.spec);
    },
  },
  {
    name: 'the state round-trips as JSON: nulls, empty strings, empty maps and lists, unicode, numbers',
    async run({ store }) {
      const state = podState('json');
      const odd = {
        nothing: null,
        empty: '',
        map: {},
        list: [],
        unicode: 'café ☃ 𝄞',
        float: 0.1,
        big: 2 ** 52,
        negative: -7,
      };
      (state.pod as unknown as Record<string, unknown>).extra = odd;
      state.pod.metadata!.annotations = { '': 'empty key', blank: '' };
      await store.create(state);
      const got = await mustGet(store, keyOf('json'));
      expect((got.state.pod as unknown as Record<string, unknown>).extra).toEqual(odd);
      expect(got.state.pod.metadata?.annotations).toEqual({ '': 'empty key', blank: '' });
      expect(got.state.engine).toEqual(state.engine);
    },
  },
  {
    name: 'the store keeps its own copy: mutating what went in or came out changes nothing stored',
    async run({ store }) {
      const state = podState('copy');
      const created = await store.create(state);
      state.pod.metadata!.labels!.app = 'changed-input';
      created.state.pod.metadata!.labels!.app = 'changed-output';
      expect((await mustGet(store, keyOf('copy'))).state.pod.metadata?.labels).toEqual({ app: 'copy' });
    },
  },
  {
    name: 'get of a missing pod is undefined',
    async run({ store }) {
      expect(await store.get(keyOf('nobody'))).toBeUndefined();
    },
  },
  {
    name: 'create of an existing key throws AlreadyExistsError and keeps the original',
    async run({ store }) {
      const first = await store.create(podState('web'));
      const second = podState('web');
      second.pod.metadata!.labels = { app: 'impostor' };
      expect(isAlreadyExists(await rejection(store.create(second)))).toBe(true);
      expect(await mustGet(store, keyOf('web'))).toEqual(first);
    },
  },
  {
    name: 'the same name in two namespaces is two pods',
    async run({ store }) {
      await store.create(podState('web', 'a'));
      await store.create(podState('web', 'b'));
      expect((await mustGet(store, keyOf('web', 'a'))).state.pod.metadata?.uid).toBe('uid-a-web');
      expect((await mustGet(store, keyOf('web', 'b'))).state.pod.metadata?.uid).toBe('uid-b-web');
    },
  },
  {
    name: 'list returns the pods of one namespace, or all, sorted, with the current resourceVersion (events are not pods)',
    async run({ store }) {
      for (const [ns, name] of [
        ['b', 'z'],
        ['a', 'y'],
        ['a', 'x'],
        ['c', 'w'],
      ] as const) {
        await store.create(podState(name, ns));
      }
      await store.recordEvent(scheduledEvent('x', 'a'));
      const last = await store.update(
        keyOf('w', 'c'),
        (await mustGet(store, keyOf('w', 'c'))).resourceVersion,
        podState('w', 'c'),
      );

      const inA = await store.list('a');
      expect(inA.items.map((p) => p.key)).toEqual([keyOf('x', 'a'), keyOf('y', 'a')]);
      const all = await store.list();
      expect(all.items.map((p) => `${p.key.namespace}/${p.key.name}`)).toEqual(['a/x', 'a/y', 'b/z', 'c/w']);
      expect(all.items[3]).toEqual(last);
      expect(BigInt(all.resourceVersion)).toBeGreaterThanOrEqual(BigInt(last.resourceVersion));
      expect(await store.list('empty')).toEqual({ items: [], resourceVersion: all.resourceVersion });
    },
  },
  {
    name: 'list returns every pod even when they span several result pages (over 1 MB)',
    async run({ store }) {
      const names = Array.from({ length: 14 }, (_, i) => `big-${String(i).padStart(2, '0')}`);
      await Promise.all(
        names.map((name, i) => store.create(paddedState(name, 100_000, i % 2 ? 'odd' : 'even'))),
      );
      expect((await store.list()).items.map((p) => p.key.name)).toEqual([
        ...names.filter((_, i) => i % 2 === 0),
        ...names.filter((_, i) => i % 2),
      ]);
      expect((await store.list('even')).items).toHaveLength(7);
      expect((await store.list('odd')).items).toHaveLength(7);
    },
  },
  {
    name: 'list pages: at most `limit` pods from after a key, in key order, continueAfter while pods follow; every pod once',
    async run({ store }) {
      const keys = [
        ...['a0', 'a1', 'a2', 'a3', 'a4'].map((n) => keyOf(n, 'a')),
        keyOf('b0', 'b'),
        ...['c0', 'c1'].map((n) => keyOf(n, 'c')),
      ];
      for (const k of keys) await store.create(podState(k.name, k.namespace));
      const text = (list: { items: StoredPod[] }) =>
        list.items.map((p) => `${p.key.namespace}/${p.key.name}`);
      // Every namespace, 3 at a time: the pages join up to the whole list, and the last has no continuation.
      const seen: string[] = [];
      let after: PodKey | undefined;
      for (let i = 0; ; i++) {
        const page = await store.list(undefined, { limit: 3, ...(after ? { after } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...text(page));
        if (!page.continueAfter) break;
        expect(page.continueAfter).toEqual(page.items.at(-1)!.key);
        after = page.continueAfter;
        expect(i).toBeLessThan(5);
      }
      expect(seen).toEqual(keys.map((k) => `${k.namespace}/${k.name}`));
      // One namespace, 2 at a time; a page that ends exactly at the last pod says nothing follows.
      const first = await store.list('a', { limit: 2 });
      expect(text(first)).toEqual(['a/a0', 'a/a1']);
      const second = await store.list('a', { limit: 2, after: first.continueAfter! });
      expect(text(second)).toEqual(['a/a2', 'a/a3']);
      const third = await store.list('a', { limit: 2, after: second.continueAfter! });
      expect(third).toMatchObject({ items: [expect.objectContaining({ key: keyOf('a4', 'a') })] });
      expect(third.continueAfter).toBeUndefined();
      expect((await store.list('c', { limit: 2 })).continueAfter).toBeUndefined();
      // A pod created behind the cursor is not in later pages; one created ahead of it is.
      await store.create(podState('a-late', 'a'));
      await store.create(podState('a5', 'a'));
      expect(text(await store.list('a', { limit: 10, after: second.continueAfter! }))).toEqual([
        'a/a4',
        'a/a5',
      ]);
      // An `after` in another namespace: before it, the whole namespace; after it, nothing.
      expect(text(await store.list('b', { limit: 5, after: keyOf('zz', 'a') }))).toEqual(['b/b0']);
      expect(text(await store.list('b', { limit: 5, after: keyOf('a', 'c') }))).toEqual([]);
    },
  },
  {
    name: 'update at the current resourceVersion replaces the state and takes a new resourceVersion',
    async run({ store }) {
      const created = await store.create(podState('web'));
      const next = structuredClone(created.state);
      next.pod = { ...next.pod, status: { phase: 'Running' } };
      next.engine.stage = 'Running';
      const updated = await store.update(keyOf('web'), created.resourceVersion, next);
      expect(BigInt(updated.resourceVersion)).toBeGreaterThan(BigInt(created.resourceVersion));
      expect(updated.state.pod.metadata?.resourceVersion).toBe(updated.resourceVersion);
      expect(updated.state.pod.status).toEqual({ phase: 'Running' });
      expect(await mustGet(store, keyOf('web'))).toEqual(updated);
    },
  },
  {
    name: 'update at a stale resourceVersion throws ConflictError and changes nothing',
    async run({ store }) {
      const created = await store.create(podState('web'));
      const winner = await store.update(keyOf('web'), created.resourceVersion, podState('web'));
      const loser = podState('web');
      loser.engine.stage = 'Finished';
      expect(isConflict(await rejection(store.update(keyOf('web'), created.resourceVersion, loser)))).toBe(
        true,
      );
      expect(isConflict(await rejection(store.update(keyOf('web'), 'not-a-version', loser)))).toBe(true);
      expect(await mustGet(store, keyOf('web'))).toEqual(winner);
    },
  },
  {
    name: 'update of a missing pod throws NotFoundError and creates nothing',
    async run({ store }) {
      expect(isNotFound(await rejection(store.update(keyOf('ghost'), '1', podState('ghost'))))).toBe(true);
      expect(await store.get(keyOf('ghost'))).toBeUndefined();
    },
  },
  {
    name: 'resourceVersions grow across all pods, and list reports at least the newest',
    async run({ store }) {
      const versions = [
        (await store.create(podState('a'))).resourceVersion,
        (await store.create(podState('b', 'other'))).resourceVersion,
      ];
      versions.push((await store.update(keyOf('a'), versions[0]!, podState('a'))).resourceVersion);
      versions.push((await store.create(podState('c'))).resourceVersion);
      versions.push(
        (await store.update(keyOf('b', 'other'), versions[1]!, podState('b', 'other'))).resourceVersion,
      );
      const numbers = versions.map((v) => BigInt(v));
      expect([...numbers].sort((x, y) => (x < y ? -1 : 1))).toEqual(numbers);
      expect(new Set(versions).size).toBe(versions.length);
      expect(BigInt((await store.list()).resourceVersion)).toBeGreaterThanOrEqual(numbers.at(-1)!);
    },
  },
  {
    name: 'remove deletes the pod; removing again (or a pod that never was) is a no-op',
    async run({ store }) {
      await store.create(podState('web'));
      expect(await store.remove(keyOf('web'))).toBeDefined();
      expect(await store.get(keyOf('web'))).toBeUndefined();
      expect(await store.remove(keyOf('web'))).toBeUndefined();
      expect(await store.remove(keyOf('never'), '12')).toBeUndefined();
      await store.create(podState('web')); // the name is free again
    },
  },
  {
    name: 'a removal takes a new resourceVersion: above the pod and every list before it, at most the next list',
    async run({ store }) {
      await store.create(podState('web'));
      const other = await store.create(podState('other'));
      const before = await store.list();
      const removed = await store.remove(keyOf('web'));
      expect(BigInt(removed!.resourceVersion)).toBeGreaterThan(BigInt(other.resourceVersion));
      expect(BigInt(removed!.resourceVersion)).toBeGreaterThan(BigInt(before.resourceVersion));
      const after = await store.list();
      expect(after.items.map((s) => s.key.name)).toEqual(['other']);
      expect(BigInt(after.resourceVersion)).toBeGreaterThanOrEqual(BigInt(removed!.resourceVersion));
    },
  },
  {
    name: 'remove at a stale resourceVersion throws ConflictError and keeps the pod; at the current one it deletes',
    async run({ store }) {
      const created = await store.create(podState('web'));
      const updated = await store.update(keyOf('web'), created.resourceVersion, podState('web'));
      expect(isConflict(await rejection(store.remove(keyOf('web'), created.resourceVersion)))).toBe(true);
      expect(await mustGet(store, keyOf('web'))).toEqual(updated);
      await store.remove(keyOf('web'), updated.resourceVersion);
      expect(await store.get(keyOf('web'))).toBeUndefined();
    },
  },
  {
    name: 'listSweepDue lists the pods not yet admitted (by creation) or with a pending timer (by the earliest), as they change',
    async run({ store }) {
      const at = (ms: number) => new Date(ms).toISOString();
      const base = podState('unadmitted');
      const unadmitted: PodState = {
        ...base,
        pod: { ...base.pod, metadata: { ...base.pod.metadata, creationTimestamp: at(T0) } },
      };
      const running = (name: string, namespace = 'default', timerAt?: number): PodState => {
        const state = podState(name, namespace);
        return {
          ...state,
          pod: {
            ...state.pod,
            metadata: { ...state.pod.metadata, creationTimestamp: at(T0 - 3_600_000) },
            status: { phase: 'Running', startTime: at(T0) },
          },
          engine: {
            ...state.engine,
            stage: 'Running',
            scheduled: true,
            sandboxReady: true,
            containers: {
              app: {
                name: 'app',
                kind: 'app',
                instance: 1,
                state: { type: 'waiting', reason: 'CrashLoopBackOff' },
                probes: {},
                ...(timerAt !== undefined && { restartTimer: { id: 'backoff-1', at: timerAt } }),
              },
            },
          },
        };
      };
      const backoff = running('backoff', 'other', T0 + 60_000);
      const withDeadline = running('deadline');
      const deadline: PodState = {
        ...withDeadline,
        pod: { ...withDeadline.pod, spec: { ...withDeadline.pod.spec, activeDeadlineSeconds: 100 } },
      };
      const pods = [unadmitted, running('idle'), backoff, deadline];
      const stored = await Promise.all(pods.map((p) => store.create(p)));
      await store.recordEvent(scheduledEvent('unadmitted'));
      const due = async (dueBy: number) =>
        (await store.listSweepDue(dueBy)).map((k) => `${k.namespace}/${k.name}`).sort();

      expect(await due(T0 - 1)).toEqual([]);
      expect(await due(T0)).toEqual(['default/unadmitted']);
      expect(await due(T0 + 60_000)).toEqual(['default/unadmitted', 'other/backoff']);
      expect(await due(T0 + 100_000)).toEqual(['default/deadline', 'default/unadmitted', 'other/backoff']);

      // Admitted, its timer handled, removed: each leaves the listing.
      const admitted = running('unadmitted');
      await store.update(keyOf('unadmitted'), stored[0]!.resourceVersion, admitted);
      await store.update(keyOf('backoff', 'other'), stored[2]!.resourceVersion, running('backoff', 'other'));
      await store.remove(keyOf('deadline'));
      expect(await due(T0 + 100_000)).toEqual([]);
      // A timer set by an update enters it.
      const again = await mustGet(store, keyOf('backoff', 'other'));
      await store.update(keyOf('backoff', 'other'), again.resourceVersion, backoff);
      expect(await due(T0 + 59_999)).toEqual([]);
      expect(await due(T0 + 60_000)).toEqual(['other/backoff']);
    },
  },
];

const inboxCases: ContractCase[] = [
  {
    name: 'deliver to a missing pod throws NotFoundError and creates nothing',
    async run({ store }) {
      expect(isNotFound(await rejection(store.deliver(keyOf('ghost'), inboxEvent('e1'))))).toBe(true);
      expect(await store.get(keyOf('ghost'))).toBeUndefined();
      expect((await store.list()).items).toEqual([]);
    },
  },
  {
    name: 'deliver keeps the resourceVersion; the inbox reads back ordered by (at, id) with every field',
    async run({ store }) {
      const created = await store.create(podState('web'));
      await store.deliver(keyOf('web'), inboxEvent('b', T0 + 2000));
      await store.deliver(
        keyOf('web'),
        inboxEvent('z', T0 + 1000, {
          container: 'app',
          instance: 3,
          detail: { exitCode: 137, reason: null },
        }),
      );
      await store.deliver(keyOf('web'), inboxEvent('a', T0 + 2000));
      const pod = await mustGet(store, keyOf('web'));
      expect(pod.resourceVersion).toBe(created.resourceVersion);
      expect(pod.inbox).toEqual([
        inboxEvent('z', T0 + 1000, {
          container: 'app',
          instance: 3,
          detail: { exitCode: 137, reason: null },
        }),
        inboxEvent('a', T0 + 2000),
        inboxEvent('b', T0 + 2000),
      ]);
    },
  },
  {
    name: 'deliver is idempotent per event id while the event is pending',
    async run({ store }) {
      await store.create(podState('web'));
      await store.deliver(keyOf('web'), inboxEvent('e1', T0, { attempt: 1 }));
      await store.deliver(keyOf('web'), inboxEvent('e1', T0, { attempt: 2 }));
      const pod = await mustGet(store, keyOf('web'));
      expect(pod.inbox.map((e) => e.id)).toEqual(['e1']);
    },
  },
  {
    name: 'deliver hands the registered token to exactly one of several concurrent producers',
    async run({ store }) {
      await store.create(podState('web'));
      expect(await store.registerWait(keyOf('web'), 'token-1')).toEqual({ registered: true, pending: 0 });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.deliver(keyOf('web'), inboxEvent(`e${i}`))),
      );
      expect(results.filter((r) => r.waitToken === 'token-1')).toHaveLength(1);
      expect(results.filter((r) => r.waitToken === undefined)).toHaveLength(7);
      expect(await store.deliver(keyOf('web'), inboxEvent('late'))).toEqual({});
    },
  },
  {
    name: 'registerWait with pending events registers nothing and reports how many are pending',
    async run({ store }) {
      await store.create(podState('web'));
      await store.deliver(keyOf('web'), inboxEvent('e1'));
      await store.deliver(keyOf('web'), inboxEvent('e2'));
      expect(await store.registerWait(keyOf('web'), 'token-1')).toEqual({ registered: false, pending: 2 });
      expect(await store.deliver(keyOf('web'), inboxEvent('e3'))).toEqual({}); // nobody is waiting
    },
  },
  {
    name: 'registerWait replaces the previous token (one waiter per pod)',
    async run({ store }) {
      await store.create(podState('web'));
      await store.registerWait(keyOf('web'), 'token-old');
      await store.registerWait(keyOf('web'), 'token-new');
      expect(await store.deliver(keyOf('web'), inboxEvent('e1'))).toEqual({ waitToken: 'token-new' });
    },
  },
  {
    name: 'restoreWait puts a handed-out token back: the same event delivered again hands it out once more',
    async run({ store }) {
      await store.create(podState('web'));
      await store.registerWait(keyOf('web'), 'token-1');
      expect(await store.deliver(keyOf('web'), inboxEvent('e1'))).toEqual({ waitToken: 'token-1' });
      await store.restoreWait(keyOf('web'), 'token-1');
      expect(await store.deliver(keyOf('web'), inboxEvent('e1'))).toEqual({ waitToken: 'token-1' });
      expect(await store.deliver(keyOf('web'), inboxEvent('e1'))).toEqual({});
      expect((await mustGet(store, keyOf('web'))).inbox.map((e) => e.id)).toEqual(['e1']);
    },
  },
  {
    name: 'restoreWait does not replace a token registered since, and is a no-op for a pod that is gone',
    async run({ store }) {
      await store.create(podState('web'));
      await store.registerWait(keyOf('web'), 'token-old');
      await store.deliver(keyOf('web'), inboxEvent('e1'));
      const read = await mustGet(store, keyOf('web'));
      await store.update(keyOf('web'), read.resourceVersion, read.state, ['e1']);
      await store.registerWait(keyOf('web'), 'token-new');
      await store.restoreWait(keyOf('web'), 'token-old');
      expect(await store.deliver(keyOf('web'), inboxEvent('e2'))).toEqual({ waitToken: 'token-new' });
      await store.restoreWait(keyOf('ghost'), 'token-1');
      expect(await store.get(keyOf('ghost'))).toBeUndefined();
    },
  },
  {
    name: 'registerWait on a missing pod throws NotFoundError',
    async run({ store }) {
      expect(isNotFound(await rejection(store.registerWait(keyOf('ghost'), 'token-1')))).toBe(true);
    },
  },
  {
    name: 'update removes exactly the consumed events; events delivered after the read stay',
    async run({ store }) {
      await store.create(podState('web'));
      await store.deliver(keyOf('web'), inboxEvent('e1', T0 + 1));
      await store.deliver(keyOf('web'), inboxEvent('e2', T0 + 2));
      const read = await mustGet(store, keyOf('web'));
      await store.deliver(keyOf('web'), inboxEvent('e3', T0 + 3));
      const committed = await store.update(keyOf('web'), read.resourceVersion, read.state, [
        ...read.inbox.map((e) => e.id),
        'never-delivered',
      ]);
      expect(committed.inbox.map((e) => e.id)).toEqual(['e3']);
      expect((await mustGet(store, keyOf('web'))).inbox.map((e) => e.id)).toEqual(['e3']);
      // Consumed and delivered again (ECS redelivers): it is a new pending event; reconcile drops the duplicate.
      await store.deliver(keyOf('web'), inboxEvent('e1', T0 + 1));
      expect((await mustGet(store, keyOf('web'))).inbox.map((e) => e.id)).toEqual(['e1', 'e3']);
    },
  },
  {
    name: 'an update that loses on resourceVersion consumes nothing',
    async run({ store }) {
      const created = await store.create(podState('web'));
      await store.deliver(keyOf('web'), inboxEvent('e1'));
      await store.update(keyOf('web'), created.resourceVersion, podState('web'));
      expect(
        isConflict(
          await rejection(store.update(keyOf('web'), created.resourceVersion, podState('web'), ['e1'])),
        ),
      ).toBe(true);
      expect((await mustGet(store, keyOf('web'))).inbox.map((e) => e.id)).toEqual(['e1']);
    },
  },
];

/** Many callers at once against one pod: slow on a store behind HTTP, hence their own group and time limit. */
const raceCases: ContractCase[] = [
  {
    name: '100 concurrent deliveries racing one waiter loop: every event reaches one committed reconcile, none is left',
    async run({ store }) {
      const key = keyOf('racer');
      await store.create(podState('racer'));
      const bursts = 10;
      const perBurst = 10;
      const total = bursts * perBurst;
      const tokens = new TaskTokens();
      let wakeups = 0;

      // Producers come in bursts of ten concurrent deliveries. The waiter opens the next burst each time it goes to
      // sleep — alternately just before and just after sending registerWait — so bursts race its registerWait as
      // well as its commits, whatever the speed of the store.
      const gates = Array.from({ length: bursts }, gate);
      let opened = 0;
      const openNextBurst = () => gates[opened++]?.open();
      const producers = Promise.all(
        Array.from({ length: total }, async (_, i) => {
          await gates[Math.floor(i / perBurst)]!.promise;
          // SendTaskSuccess: complete the token if this delivery took it.
          const { waitToken } = await store.deliver(
            key,
            inboxEvent(`e${String(i).padStart(3, '0')}`, T0 + (i % 7)),
          );
          if (waitToken) tokens.complete(waitToken);
        }),
      );

      // A status writer bumps the resourceVersion meanwhile, so the waiter's commits also lose races.
      const bumper = (async () => {
        for (let i = 0; i < 10; i++) {
          await retryOnConflict(store, key, (pod) => {
            const state = structuredClone(pod.state);
            state.pod.metadata!.annotations = {
              ...state.pod.metadata!.annotations,
              'test.podflow.io/bumps': String(i + 1),
            };
            return { state };
          });
          await delay(2);
        }
      })();

      // The worker: reconcile what is pending (consuming exactly what it applied), then Await: registerWait and
      // sleep until a producer completes the token — or, if events were pending, go round at once.
      const reconcile = () =>
        retryOnConflict(store, key, (pod) => {
          if (pod.inbox.length === 0) return undefined;
          const state = structuredClone(pod.state);
          const ids = pod.inbox.map((e) => e.id);
          state.engine.recentEventIds.push(...ids);
          return { state, consumed: ids };
        });
      openNextBurst();
      for (let seq = 1; ; seq++) {
        await reconcile();
        if ((await mustGet(store, key)).state.engine.recentEventIds.length >= total) break;
        const token = `token-${seq}`;
        const wait = tokens.expect(token);
        if (seq % 2) openNextBurst();
        const registering = store.registerWait(key, token);
        if (seq % 2 === 0) openNextBurst();
        if (!(await registering).registered) continue;
        // Registered: a delivery of the burst just opened must hand the token over (or every burst is done).
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)));
        await Promise.race([wait.promise, producers, timeout]);
        clearTimeout(timer);
        if (wait.settled()) {
          wakeups++;
          continue;
        }
        // Nobody took the token: then nothing may be pending, and every producer must be done.
        expect(
          (await mustGet(store, key)).inbox,
          'lost wakeup: events pending, token never handed out',
        ).toEqual([]);
        expect(opened, 'lost wakeup: the waiter slept through a burst').toBeGreaterThanOrEqual(bursts);
        break;
      }
      while (opened < bursts) openNextBurst(); // if the loop ended early (a bug), let every producer finish
      await Promise.all([producers, bumper]);

      const final = await mustGet(store, key);
      const expected = Array.from({ length: total }, (_, i) => `e${String(i).padStart(3, '0')}`);
      expect([...final.state.engine.recentEventIds].sort()).toEqual(expected); // each reached reconcile exactly once
      expect(final.inbox).toEqual([]);
      expect(final.state.pod.metadata?.annotations?.['test.podflow.io/bumps']).toBe('10');
      expect(wakeups).toBeGreaterThan(0); // the token path was exercised, not only the pending path
      expect(tokens.completions).toBe(wakeups);
    },
  },
  {
    name: '50 concurrent status writers that conflict: every condition lands (no lost update)',
    async run({ store }) {
      const key = keyOf('contended');
      await store.create(podState('contended'));
      const writers = 50;
      const attempts = await Promise.all(
        Array.from({ length: writers }, (_, i) =>
          retryOnConflict(
            store,
            key,
            (pod) => {
              const state = structuredClone(pod.state);
              state.pod.status!.conditions = [
                ...(state.pod.status!.conditions ?? []),
                {
                  type: `test.podflow.io/Writer${i}`,
                  status: 'True',
                  lastTransitionTime: new Date(T0 + i * 1000).toISOString(),
                },
              ];
              return { state };
            },
            true,
          ),
        ),
      );
      const final = await mustGet(store, key);
      const types = (final.state.pod.status?.conditions ?? []).map((c) => c.type).sort();
      expect(types).toEqual(Array.from({ length: writers }, (_, i) => `test.podflow.io/Writer${i}`).sort());
      expect(attempts.reduce((a, b) => a + b, 0)).toBeGreaterThan(writers); // they really raced
    },
  },
];

const eventCases: ContractCase[] = [
  {
    name: 'recordEvent returns the Event as stored, and the same occurrence recorded twice counts once',
    async run({ store }) {
      const event = {
        namespace: 'default',
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'uid-default-web' },
        type: 'Normal' as const,
        reason: 'Started',
        message: 'Started container app',
        source: { component: 'kubelet', host: 'podflow' },
      };
      const first = await store.recordEvent({ ...event, at: T0, occurrence: 'o-1' });
      expect(first).toMatchObject({ ...event, count: 1, firstTimestamp: '2025-01-01T00:00:00Z' });
      expect(first.resourceVersion).toMatch(/^\d+$/);
      // A retried write of the same occurrence (its first attempt did land): not counted again.
      const again = await store.recordEvent({ ...event, at: T0 + 1000, occurrence: 'o-1' });
      expect(again).toEqual(first);
      const second = await store.recordEvent({ ...event, at: T0 + 2000, occurrence: 'o-2' });
      expect(second).toMatchObject({ name: first.name, count: 2, lastTimestamp: '2025-01-01T00:00:02Z' });
      expect(BigInt(second.resourceVersion!)).toBeGreaterThan(BigInt(first.resourceVersion!));
      expect(await store.listEvents('default')).toEqual([second]);
    },
  },
  {
    name: 'the same event twice is one Event with count 2: firstTimestamp kept, lastTimestamp moved',
    async run({ store }) {
      const event = {
        namespace: 'default',
        involvedObject: {
          kind: 'Pod',
          namespace: 'default',
          name: 'web',
          uid: 'uid-default-web',
          fieldPath: 'spec.containers{app}',
        },
        type: 'Warning' as const,
        reason: 'BackOff',
        message: 'Back-off restarting failed container app in pod web_default(uid-default-web)',
        source: { component: 'kubelet', host: 'podflow' },
      };
      await store.recordEvent({
        occurrence: nextOccurrence(),
        ...event,
        at: T0,
      });
      await store.recordEvent({
        occurrence: nextOccurrence(),
        ...event,
        at: T0 + 10_000,
      });
      await store.recordEvent({
        occurrence: nextOccurrence(),
        ...event,
        message: 'a different message',
        at: T0 + 20_000,
      });
      const [first, second, ...rest] = await store.listEvents('default');
      expect(rest).toEqual([]);
      expect(first).toMatchObject({
        ...event,
        count: 2,
        firstTimestamp: '2025-01-01T00:00:00Z',
        lastTimestamp: '2025-01-01T00:00:10Z',
      } satisfies Partial<StoredEvent>);
      expect(first!.name).toMatch(/^web\.[0-9a-f]+$/);
      expect(second).toMatchObject({
        message: 'a different message',
        count: 1,
        firstTimestamp: '2025-01-01T00:00:20Z',
      });
      expect(second!.name).not.toBe(first!.name);
    },
  },
  {
    name: 'an Event past its TTL is no longer listed, and its next occurrence starts over at count 1',
    async run(fixture, skip) {
      if (!fixture.expireEvents) return skip('the fixture cannot move the store clock (no expireEvents)');
      const { store } = fixture;
      const event = {
        namespace: 'default',
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' },
        type: 'Normal' as const,
        reason: 'Pulled',
        message: 'pulled',
      };
      await store.recordEvent({
        occurrence: nextOccurrence(),
        ...event,
        at: T0,
      });
      await store.recordEvent({
        occurrence: nextOccurrence(),
        ...event,
        at: T0 + 1000,
      });
      fixture.expireEvents();
      expect(await store.listEvents('default')).toEqual([]);
      await store.recordEvent({
        occurrence: nextOccurrence(),
        ...event,
        at: T0 + 7_200_000,
      });
      expect(await store.listEvents('default')).toMatchObject([
        { count: 1, firstTimestamp: '2025-01-01T02:00:00Z', lastTimestamp: '2025-01-01T02:00:00Z' },
      ]);
    },
  },
  {
    name: 'listEvents selects one object by exact name (not by prefix) and one namespace, oldest first',
    async run({ store }) {
      const record = (namespace: string, name: string, reason: string, at: number) =>
        store.recordEvent({
          occurrence: nextOccurrence(),
          namespace,
          involvedObject: { kind: 'Pod', namespace, name },
          type: 'Normal',
          reason,
          message: `${reason} ${name}`,
          at,
        });
      await record('default', 'web', 'Started', T0 + 3000);
      await record('default', 'web-1', 'Pulled', T0 + 1000);
      await record('default', 'web', 'Scheduled', T0 + 2000);
      await record('other', 'web', 'Killing', T0);
      expect((await store.listEvents('default', 'web')).map((e) => e.reason)).toEqual([
        'Scheduled',
        'Started',
      ]);
      expect((await store.listEvents('default')).map((e) => `${e.involvedObject.name}:${e.reason}`)).toEqual([
        'web-1:Pulled',
        'web:Scheduled',
        'web:Started',
      ]);
      expect((await store.listEvents('other')).map((e) => e.reason)).toEqual(['Killing']);
      expect(await store.listEvents('nowhere')).toEqual([]);
    },
  },
];

const limitCases: ContractCase[] = [
  {
    name: 'a pod over 400 KB is refused with TooLargeError on create, and nothing is written',
    async run({ store }) {
      const before = (await store.list()).resourceVersion;
      const err = await rejection(store.create(paddedState('huge', 420_000)));
      expect(err).toBeInstanceOf(TooLargeError);
      expect((err as Error).message).toMatch(
        /^pod default\/huge would be \d+ bytes; DynamoDB items are limited to 400 KB$/,
      );
      expect(await store.get(keyOf('huge'))).toBeUndefined();
      expect(await store.list()).toEqual({ items: [], resourceVersion: before });
    },
  },
  {
    name: 'an update over 400 KB is refused with TooLargeError and the pod stays as it was',
    async run({ store }) {
      const created = await store.create(paddedState('grows', 300_000));
      await store.deliver(keyOf('grows'), inboxEvent('e1'));
      const err = await rejection(
        store.update(keyOf('grows'), created.resourceVersion, paddedState('grows', 420_000), ['e1']),
      );
      expect(err).toBeInstanceOf(TooLargeError);
      const after = await mustGet(store, keyOf('grows'));
      expect(after.resourceVersion).toBe(created.resourceVersion);
      expect(after.state).toEqual(created.state);
      expect(after.inbox.map((e) => e.id)).toEqual(['e1']);
    },
  },
  {
    name: 'multi-byte characters count as their UTF-8 bytes',
    async run({ store }) {
      // 150 000 × '☃' is 150 000 UTF-16 units but 450 000 UTF-8 bytes.
      const state = podState('snowman');
      state.pod.metadata!.annotations = { 'test.podflow.io/padding': '☃'.repeat(150_000) };
      expect(await rejection(store.create(state))).toBeInstanceOf(TooLargeError);
    },
  },
];

const durabilityCases: ContractCase[] = [
  {
    name: 'durable stores: pods, inbox, tokens, events and the resourceVersion survive a reopen',
    async run(fixture, skip) {
      if (!fixture.reopen) return skip('this store is not durable (its fixture has no reopen)');
      const { store } = fixture;
      const created = await store.create(podState('web'));
      await store.deliver(keyOf('web'), inboxEvent('e1'));
      await store.recordEvent(scheduledEvent('web'));
      const events = await store.listEvents('default');
      const before = await mustGet(store, keyOf('web'));
      const listed = await store.list();

      const reopened = await fixture.reopen();
      expect(await mustGet(reopened, keyOf('web'))).toEqual(before);
      expect(await reopened.listEvents('default')).toEqual(events);
      expect(await reopened.registerWait(keyOf('web'), 'token-1')).toEqual({ registered: false, pending: 1 });
      const next = await reopened.create(podState('after'));
      expect(BigInt(next.resourceVersion)).toBeGreaterThan(BigInt(listed.resourceVersion));
      expect(BigInt(next.resourceVersion)).toBeGreaterThan(BigInt(created.resourceVersion));
    },
  },
];

/** Registers the contract suite for one adapter. `makeStore` builds a fresh, empty store for each case. */
export function describePodStoreContract(
  name: string,
  makeStore: () => Promise<PodStoreFixture>,
  options: ContractOptions = {},
): void {
  const groups: [ContractGroup, ContractCase[]][] = [
    ['objects', objectCases],
    ['inbox', inboxCases],
    ['races', raceCases],
    ['events', eventCases],
    ['limits', limitCases],
    ['durability', durabilityCases],
  ];
  describe(`PodStore contract: ${name}`, () => {
    for (const [group, cases] of groups) {
      if (options.groups && !options.groups.includes(group)) continue;
      describe(group, () => {
        it.for(cases)(
          '$name',
          { timeout: group === 'races' ? RACE_TIMEOUT_MS : undefined },
          async (contractCase, ctx) => {
            const fixture = await makeStore();
            let skipReason: string | undefined;
            try {
              await contractCase.run(fixture, (reason) => (skipReason = reason));
            } finally {
              await fixture.close();
            }
            if (skipReason) ctx.skip(skipReason);
          },
        );
      });
    }
  });
}
