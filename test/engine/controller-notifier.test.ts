// The store decorators that tell the cloud's controllers function what changed (src/engine/controller-notifier.ts):
// a write of a Job's pod tells the Job only when something the Job controller counts changed, compared with the
// version this process read; a Job or CronJob written or removed tells its controller (and a Job's CronJob).
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.ts';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
import type { PodState } from '../../src/core/pod-state.ts';
import { newPodState } from '../../src/core/reconcile.ts';
import {
  ControllerNotifyingObjectStore,
  ControllerNotifyingPodStore,
} from '../../src/engine/controller-notifier.ts';

const T0 = Date.parse('2026-12-04T00:00:00Z');

function setup() {
  const told: string[] = [];
  const notify = async (kind: string, namespace: string, name: string): Promise<void> => {
    told.push(`${kind} ${namespace}/${name}`);
  };
  const inner = new MemoryPodStore({ clock: { now: () => T0 } });
  return {
    told,
    inner,
    pods: new ControllerNotifyingPodStore(inner, notify),
    objects: new ControllerNotifyingObjectStore(new MemoryObjectStore(), notify),
  };
}

const jobPod = (name: string, owner = 'nightly'): PodState =>
  newPodState({
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: owner, uid: 'job-uid', controller: true },
      ],
    },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] },
  });

/** The state with its pod changed by `f`. */
const changed = (state: PodState, f: (pod: Pod) => Pod): PodState => ({
  ...state,
  pod: f(state.pod as Pod) as PodState['pod'],
});

describe('ControllerNotifyingPodStore', () => {
  it('a Job’s pod created or removed tells the Job; a pod without a Job tells nobody', async () => {
    const t = setup();
    await t.pods.create(jobPod('nightly-a'));
    await t.pods.create(
      newPodState({
        metadata: { name: 'lone', namespace: 'default', uid: 'u' },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      }),
    );
    await t.pods.remove({ namespace: 'default', name: 'nightly-a' });
    await t.pods.remove({ namespace: 'default', name: 'lone' });
    expect(t.told).toEqual(['Job default/nightly', 'Job default/nightly']);
  });

  it('a step that changes nothing the Job counts tells nobody; a phase or readiness change tells the Job', async () => {
    const t = setup();
    const key = { namespace: 'default', name: 'nightly-a' };
    await t.inner.create(jobPod('nightly-a'));
    let read = (await t.pods.get(key))!;
    // An engine-only change (a step's bookkeeping): nothing counted changed.
    await t.pods.update(key, read.resourceVersion, {
      ...read.state,
      engine: { ...read.state.engine, removedFromApi: false },
    });
    expect(t.told).toEqual([]);
    read = (await t.pods.get(key))!;
    await t.pods.update(
      key,
      read.resourceVersion,
      changed(read.state, (p) => ({
        ...p,
        status: { ...p.status, conditions: [{ type: 'Ready', status: 'True' }] },
      })),
    );
    expect(t.told).toEqual(['Job default/nightly']);
    read = (await t.pods.get(key))!;
    await t.pods.update(
      key,
      read.resourceVersion,
      changed(read.state, (p) => ({ ...p, status: { ...p.status, phase: 'Succeeded' } })),
    );
    expect(t.told).toEqual(['Job default/nightly', 'Job default/nightly']);
  });

  it('a write whose predecessor this process did not read tells the Job (it cannot know what changed)', async () => {
    const t = setup();
    const key = { namespace: 'default', name: 'nightly-a' };
    const created = await t.inner.create(jobPod('nightly-a'));
    // Read through the inner store: the decorator never saw this version.
    await t.pods.update(key, created.resourceVersion, created.state);
    expect(t.told).toEqual(['Job default/nightly']);
  });
});

describe('ControllerNotifyingObjectStore', () => {
  const job = (name: string, cronJob?: string) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'default',
      ...(cronJob && {
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob, uid: 'cj', controller: true },
        ],
      }),
    },
  });

  it('a Job written or removed tells the Job controller, and its CronJob’s; a ConfigMap tells nobody', async () => {
    const t = setup();
    const created = await t.objects.create(job('hourly-29000000', 'hourly'));
    await t.objects.update(created.key, created.resourceVersion, created.object);
    await t.objects.remove(created.key);
    await t.objects.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'default' },
    });
    const pair = ['Job default/hourly-29000000', 'CronJob default/hourly'];
    expect(t.told).toEqual([...pair, ...pair, ...pair]);
  });

  it('a CronJob written tells the CronJob controller', async () => {
    const t = setup();
    await t.objects.create({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'hourly', namespace: 'default' },
    });
    expect(t.told).toEqual(['CronJob default/hourly']);
  });
});
