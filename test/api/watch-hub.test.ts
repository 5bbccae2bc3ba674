// The watch hub: initial state, resuming from a resourceVersion, selector transitions, deletions, a version older than
// the window, and the cloud's polling source. Store changes are driven directly (an in-memory store, no worker).
import type { Pod } from 'kubernetes-types/core/v1';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
import { PodWatchHub, PollingChangeSource, type PodFilter } from '../../src/api/watch-hub.ts';
import { defaultPod } from '../../src/core/manifest/index.ts';
import { newPodState } from '../../src/core/reconcile.ts';
import { ObservablePodStore } from '../../src/engine/observable-pod-store.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import { ManualClock } from '../support/manual-clock.ts';

let store: ObservablePodStore;
let hub: PodWatchHub;
let seen: string[];
let stops: Array<() => void>;

const key = (name: string): PodKey => ({ namespace: 'default', name });
let uid = 0;
async function create(name: string, labels: Record<string, string> = {}): Promise<string> {
  const pod = defaultPod(
    { metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'i' }] } } as Pod,
    { now: 0, newUid: () => `uid-${++uid}` },
  );
  return (await store.create(newPodState(pod))).resourceVersion;
}
async function relabel(name: string, labels: Record<string, string>): Promise<string> {
  const s = (await store.get(key(name)))!;
  const pod = { ...s.state.pod, metadata: { ...s.state.pod.metadata, labels } };
  return (await store.update(key(name), s.resourceVersion, { ...s.state, pod })).resourceVersion;
}
const all: PodFilter = { matches: () => true };
const labelled = (value: string): PodFilter => ({ matches: (p) => p.metadata?.labels?.app === value });

async function watch(filter: PodFilter, rv?: string): Promise<void> {
  const handle = await hub.watch(
    filter,
    rv,
    (type, pod) => seen.push(`${type} ${pod.metadata?.name}`),
    () => seen.push('closed'),
  );
  stops.push(() => handle.stop());
}

beforeEach(async () => {
  store = new ObservablePodStore(new MemoryPodStore({ clock: new ManualClock() }));
  seen = [];
  stops = [];
  await create('before');
  hub = new PodWatchHub({ store, source: store, keepAlive: true });
  await hub.start();
});
afterEach(() => {
  stops.forEach((s) => s());
  hub.close();
});

describe('watch', () => {
  it('without a resourceVersion: the current objects as ADDED, then changes', async () => {
    await watch(all);
    await create('after');
    await relabel('before', { x: 'y' });
    await store.remove(key('after'));
    expect(seen).toEqual(['ADDED before', 'ADDED after', 'MODIFIED before', 'DELETED after']);
  });

  it('from a resourceVersion: every change after it, in order, then live ones', async () => {
    const rv = await create('a');
    await relabel('a', { v: '1' });
    await create('b');
    await watch(all, rv);
    await store.remove(key('a'));
    expect(seen).toEqual(['MODIFIED a', 'ADDED b', 'DELETED a']);
  });

  it('from the version of a deleted object: the DELETED again, never lost', async () => {
    const rv = await create('gone');
    await store.remove(key('gone'));
    await watch(all, rv);
    expect(seen).toEqual(['DELETED gone']);
  });

  it('from the version of a list taken after a removal: no DELETED for the pod the list no longer had', async () => {
    // The removed pod's last change is the newest write before the list: a removal without a version of its own
    // would sit at the list's version and be replayed.
    await create('gone');
    await store.remove(key('gone'));
    const { resourceVersion, items } = await store.list();
    expect(items.map((s) => s.key.name)).toEqual(['before']);
    await watch(all, resourceVersion);
    await create('next');
    expect(seen).toEqual(['ADDED next']);
  });

  it("a DELETED carries the removal's resourceVersion, above the pod's last one", async () => {
    const rv = await create('gone');
    const versions: string[] = [];
    const handle = await hub.watch(
      all,
      rv,
      (_type, pod) => versions.push(pod.metadata!.resourceVersion!),
      () => {},
    );
    stops.push(() => handle.stop());
    const removed = await store.remove(key('gone'));
    expect(versions).toEqual([removed!.resourceVersion]);
    expect(BigInt(versions[0]!)).toBeGreaterThan(BigInt(rv));
  });

  it('an object entering or leaving the selection arrives as ADDED or DELETED', async () => {
    await create('p', { app: 'x' });
    await watch(labelled('web'));
    await relabel('p', { app: 'web' });
    await relabel('p', { app: 'web', v: '2' });
    await relabel('p', { app: 'db' });
    expect(seen).toEqual(['ADDED p', 'MODIFIED p', 'DELETED p']);
  });

  it('a resourceVersion older than the window: the current objects as ADDED (podflow relists for the client)', async () => {
    const small = new PodWatchHub({ store, source: store, keepAlive: true, window: 2 });
    await small.start();
    const old = await create('x1');
    for (let i = 0; i < 6; i++) await relabel('x1', { n: String(i) });
    const handle = await small.watch(
      all,
      old,
      (type, pod) => seen.push(`${type} ${pod.metadata?.name}`),
      () => {},
    );
    expect(seen).toEqual(['ADDED before', 'ADDED x1']);
    handle.stop();
    small.close();
  });

  it('close() ends every watch', async () => {
    await watch(all);
    hub.close();
    expect(seen.at(-1)).toBe('closed');
  });

  it('a resourceVersion that is not a number is a 400', async () => {
    await expect(
      hub.watch(
        all,
        'abc',
        () => {},
        () => {},
      ),
    ).rejects.toMatchObject({ code: 400 });
  });
});

describe('current: the watch cache GET reads', () => {
  it('answers every committed write as soon as its writer resumes, removals as no object', async () => {
    expect(hub.current(key('before'))?.object?.metadata?.name).toBe('before');
    const rv = await create('fresh');
    expect(hub.current(key('fresh'))?.object?.metadata?.resourceVersion).toBe(rv);
    const relabelled = await relabel('fresh', { app: 'x' });
    const pod = hub.current(key('fresh'))?.object;
    expect(pod?.metadata?.resourceVersion).toBe(relabelled);
    expect(pod?.metadata?.labels).toEqual({ app: 'x' });
    expect(pod?.kind).toBe('Pod');
    await store.remove(key('fresh'));
    expect(hub.current(key('fresh'))).toEqual({ object: undefined });
    expect(hub.current(key('never'))).toEqual({ object: undefined });
  });

  it('a hub that cannot vouch for its copy says so: not started, closed, or following a poller', async () => {
    const fresh = new PodWatchHub({ store, source: store, keepAlive: true });
    expect(fresh.current(key('before'))).toBeUndefined();
    await fresh.start();
    expect(fresh.current(key('before'))?.object?.metadata?.name).toBe('before');
    fresh.close();
    expect(fresh.current(key('before'))).toBeUndefined();
    const polled = new PodWatchHub({
      store,
      source: new PollingChangeSource(store, 10, () => undefined),
      keepAlive: false,
    });
    await polled.start();
    expect(polled.current(key('before'))).toBeUndefined();
    polled.close();
  });
});

describe('PollingChangeSource (the cloud: no pushed changes)', () => {
  it('reports creates, updates and removals between two listings, only while subscribed', async () => {
    const raw = new MemoryPodStore({ clock: new ManualClock() });
    store = new ObservablePodStore(raw);
    const source = new PollingChangeSource(raw, 20);
    const changes: string[] = [];
    const stop = source.subscribe((c) =>
      changes.push(
        c.type === 'removed'
          ? `removed ${c.key.name}`
          : c.type === 'event'
            ? 'event'
            : `${c.type} ${c.pod.key.name}`,
      ),
    );
    await new Promise((r) => setTimeout(r, 30));
    await create('p');
    await new Promise((r) => setTimeout(r, 50));
    await relabel('p', { a: 'b' });
    await new Promise((r) => setTimeout(r, 50));
    await store.remove(key('p'));
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(changes).toEqual(['created p', 'updated p', 'removed p']);
  });
});

describe('mirror pods', () => {
  /** A static pod served as its mirror (core/pod-state.ts `mirror`). */
  async function createStatic(name: string, mirrorUid: string): Promise<void> {
    const pod = defaultPod({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'i' }] } } as Pod, {
      now: 0,
      newUid: () => `hash-${name}`,
    });
    const state = newPodState(pod);
    await store.create({
      ...state,
      engine: { ...state.engine, mirror: { uid: mirrorUid, creationTimestamp: 'x' } },
    });
  }
  async function setMirror(name: string, mirrorUid: string): Promise<string> {
    const s = (await store.get(key(name)))!;
    const state = {
      ...s.state,
      engine: { ...s.state.engine, mirror: { uid: mirrorUid, creationTimestamp: 'y' } },
    };
    return (await store.update(key(name), s.resourceVersion, state)).resourceVersion;
  }
  const withUids = async (rv?: string): Promise<string[]> => {
    const out: string[] = [];
    const handle = await hub.watch(
      all,
      rv,
      (type, pod) => out.push(`${type} ${pod.metadata?.name} ${pod.metadata?.uid}`),
      () => {},
    );
    stops.push(() => handle.stop());
    return out;
  };

  it('a replaced mirror is DELETED with its old uid and ADDED with the new one (kubelet.go syncPod)', async () => {
    await createStatic('web-node', 'm1');
    const out = await withUids();
    await relabel('web-node', { a: 'b' });
    await setMirror('web-node', 'm2');
    expect(out.filter((l) => l.includes('web-node'))).toEqual([
      'ADDED web-node m1',
      'MODIFIED web-node m1',
      'DELETED web-node m1',
      'ADDED web-node m2',
    ]);
  });

  it('from the version before the replacement, both events come again', async () => {
    await createStatic('web-node', 'm1');
    const s = (await store.get(key('web-node')))!;
    await setMirror('web-node', 'm2');
    const out = await withUids(s.resourceVersion);
    expect(out).toEqual(['DELETED web-node m1', 'ADDED web-node m2']);
  });
});
