// The static pod controller (engine/static-pod-controller.ts) on a MemoryPodStore, a directory given as data and
// timers it is handed: which pods it creates and deletes as files come, change and go, that a broken manifest is
// said once (a log line and a FailedValidation event on the Node), that an engine restart finds its pods and leaves
// them be, and that the periodic read and the change notifications each make a sync.
import { describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1';
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.ts';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
import type { ApiObject } from '../../src/ports/object-store.ts';
import { newPodState } from '../../src/core/reconcile.ts';
import { createStaticPodController, nodeUidOf } from '../../src/engine/static-pod-controller.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import type { StaticPodFile, StaticPodSource } from '../../src/ports/static-pod-source.ts';

const T0 = Date.UTC(2025, 0, 1);
const RESCAN_MS = 20_000;

const manifest = (name: string, image = 'busybox'): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'main', image, command: ['sleep', '3600'] }] },
  });

function setup(store = new MemoryPodStore({ clock: { now: () => T0 } }), objects = new MemoryObjectStore()) {
  const files = new Map<string, string>();
  let notify: (() => void) | undefined;
  let reads = 0;
  const source: StaticPodSource = {
    async read() {
      reads++;
      const list: StaticPodFile[] = [...files].sort().map(([path, text]) => ({ path, text }));
      return { files: list, unreadable: [] };
    },
    watch(onChange) {
      notify = onChange;
      return () => (notify = undefined);
    },
  };
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const logs: string[] = [];
  const created: string[] = [];
  const deleted: string[] = [];
  let uidSeq = 0;
  const controller = createStaticPodController({
    source,
    store,
    objects,
    pods: {
      async createPod(pod: Pod, options: { mirrorUid: string }) {
        created.push(pod.metadata!.name!);
        const state = newPodState(pod);
        return store.create({
          ...state,
          engine: { ...state.engine, mirror: { uid: options.mirrorUid, creationTimestamp: 'x' } },
        });
      },
      async deletePod(key: PodKey) {
        deleted.push(key.name);
        const s = (await store.get(key))!;
        await store.update(key, s.resourceVersion, {
          ...s.state,
          pod: { ...s.state.pod, metadata: { ...s.state.pod.metadata, deletionTimestamp: 'now' } },
        });
      },
    },
    clock: { now: () => T0 },
    nodeName: 'podflow-local',
    newUid: () => `mirror-${uidSeq++}`,
    rescanMs: RESCAN_MS,
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => ((h as { cleared: boolean }).cleared = true),
    onLog: (line) => logs.push(line),
    onError: (err) => {
      throw err;
    },
  });
  return {
    store,
    files,
    controller,
    timers,
    logs,
    created,
    deleted,
    reads: () => reads,
    notify: () => notify?.(),
    names: async () => (await store.list()).items.map((s) => s.key.name),
  };
}

describe('static pod controller', () => {
  it('creates a pod per manifest, served as a mirror with its own uid', async () => {
    const t = setup();
    t.files.set('/d/a.yaml', manifest('a'));
    t.files.set('/d/b.yaml', manifest('b'));
    await t.controller.start();
    expect(await t.names()).toEqual(['a-podflow-local', 'b-podflow-local']);
    const a = (await t.store.get({ namespace: 'default', name: 'a-podflow-local' }))!;
    expect(a.state.engine.mirror?.uid).toMatch(/^mirror-/);
    expect(a.state.pod.metadata.uid).toBe(a.state.pod.metadata.annotations?.['kubernetes.io/config.hash']);
    expect(a.state.pod.metadata.ownerReferences?.[0]?.uid).toBe(nodeUidOf('podflow-local'));
    await t.controller.close();
  });

  it('says a broken manifest once — a log line and a FailedValidation event on the Node — and again when it changes', async () => {
    const t = setup();
    t.files.set('/d/bad.yaml', 'kind: [');
    await t.controller.start();
    await t.controller.sync();
    await t.controller.sync();
    expect(t.logs.filter((l) => l.startsWith('static pod manifest /d/bad.yaml'))).toHaveLength(1);
    const events = await t.store.listEvents('default');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: 'FailedValidation',
      involvedObject: { kind: 'Node', name: 'podflow-local' },
    });
    t.files.set('/d/bad.yaml', manifest('ok'));
    await t.controller.sync();
    expect(await t.names()).toEqual(['ok-podflow-local']);
    t.files.set('/d/bad.yaml', '{}');
    await t.controller.sync();
    expect(t.logs.filter((l) => l.startsWith('static pod manifest /d/bad.yaml'))).toHaveLength(2);
    await t.controller.close();
  });

  it('a changed manifest kills the old pod and starts the new one once the old one is gone', async () => {
    const t = setup();
    t.files.set('/d/a.yaml', manifest('a'));
    await t.controller.start();
    const key = { namespace: 'default', name: 'a-podflow-local' };
    const oldUid = (await t.store.get(key))!.state.pod.metadata.uid;
    t.files.set('/d/a.yaml', manifest('a', 'busybox:2'));
    await t.controller.sync();
    await t.controller.sync(); // the deletion under way is not asked for twice
    expect(t.deleted).toEqual(['a-podflow-local']);
    expect(t.created).toEqual(['a-podflow-local']);
    // The worker removes the pod at the end of its termination; the removal triggers the next sync.
    await t.store.remove(key);
    t.controller.onPodChange({ type: 'removed', key });
    await t.controller.sync();
    expect(t.created).toEqual(['a-podflow-local', 'a-podflow-local']);
    const now = (await t.store.get(key))!;
    expect(now.state.pod.metadata.uid).not.toBe(oldUid);
    expect(now.state.pod.spec.containers[0]!.image).toBe('busybox:2');
    await t.controller.close();
  });

  it('a removed manifest deletes its pod; pods made through the API are left alone', async () => {
    const t = setup();
    await t.store.create(
      newPodState({
        metadata: { name: 'api-pod', namespace: 'default', uid: 'u1' },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      }),
    );
    t.files.set('/d/a.yaml', manifest('a'));
    await t.controller.start();
    t.files.delete('/d/a.yaml');
    await t.controller.sync();
    expect(t.deleted).toEqual(['a-podflow-local']);
    await t.controller.close();
  });

  it('after an engine restart its pods are found and left be (no duplicate, nothing run again)', async () => {
    const first = setup();
    first.files.set('/d/a.yaml', manifest('a'));
    await first.controller.start();
    await first.controller.close();
    const again = setup(first.store);
    again.files.set('/d/a.yaml', manifest('a'));
    await again.controller.start();
    expect(again.created).toEqual([]);
    expect(again.deleted).toEqual([]);
    expect(await again.names()).toEqual(['a-podflow-local']);
    await again.controller.close();
  });

  it('after an engine restart, a file changed or removed while no engine ran is caught up by the first sync', async () => {
    const first = setup();
    first.files.set('/d/a.yaml', manifest('a'));
    first.files.set('/d/b.yaml', manifest('b'));
    await first.controller.start();
    await first.controller.close();
    const again = setup(first.store);
    again.files.set('/d/a.yaml', manifest('a', 'busybox:2'));
    await again.controller.start();
    expect(again.deleted.sort()).toEqual(['a-podflow-local', 'b-podflow-local']);
    expect(again.created).toEqual([]);
    await again.controller.close();
  });

  it('keeps a static pod out of a namespace being deleted, and starts it once the namespace is gone', async () => {
    const objects = new MemoryObjectStore();
    const ns = await objects.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ops', uid: 'ns', deletionTimestamp: '2025-01-01T00:00:00Z' },
      status: { phase: 'Terminating' },
    } as ApiObject);
    const t = setup(undefined, objects);
    t.files.set(
      '/d/a.yaml',
      manifest('a').replace('"metadata":{"name":"a"}', '"metadata":{"name":"a","namespace":"ops"}'),
    );
    await t.controller.start();
    expect(t.created).toEqual([]);
    expect(t.logs).toEqual([
      'static pod manifest /d/a.yaml: namespace "ops" is being deleted: pod ops/a-podflow-local waits until it is gone',
    ]);
    await objects.remove(ns.key);
    await t.controller.sync();
    expect(t.created).toEqual(['a-podflow-local']);
    await t.controller.close();
  });

  it('reads the directory at every rescan interval and at every change notification', async () => {
    const t = setup();
    await t.controller.start();
    expect(t.reads()).toBe(1);
    expect(t.timers.map((x) => x.ms)).toEqual([RESCAN_MS]);
    t.files.set('/d/a.yaml', manifest('a'));
    t.timers[0]!.fn();
    await t.controller.sync();
    expect(await t.names()).toEqual(['a-podflow-local']);
    // Re-armed once the read is done.
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.timers.map((x) => x.ms)).toEqual([RESCAN_MS, RESCAN_MS]);
    const reads = t.reads();
    t.files.set('/d/b.yaml', manifest('b'));
    t.notify();
    await t.controller.sync();
    expect(t.reads()).toBeGreaterThan(reads);
    expect(await t.names()).toEqual(['a-podflow-local', 'b-podflow-local']);
    await t.controller.close();
    expect(t.timers[1]!.cleared).toBe(true);
  });
});
