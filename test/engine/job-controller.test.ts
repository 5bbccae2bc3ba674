// The Job controller on the engine (engine/job-controller.ts) over an in-memory ObjectStore and a small pod store
// standing in for the engine's pod use cases: time is a ManualClock and timers are injected, so the back-off, the
// re-arming after a restart (a new controller over the same stores) and the propagation policies are shown without
// waiting. Pods "finish" when the test says so.
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.ts';
import { admitJob } from '../../src/core/jobs/admit-job.ts';
import { toRfc3339 } from '../../src/core/time.ts';
import { createJobController, type JobControllerDeps } from '../../src/engine/job-controller.ts';
import type { ApiObject } from '../../src/ports/object-store.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import type { EventRecord, StoredPod } from '../../src/ports/pod-store.ts';
import { ManualClock } from '../support/manual-clock.ts';

let clock: ManualClock;
let objects: MemoryObjectStore;
let pods: Map<string, StoredPod>;
let events: EventRecord[];
let timers: Array<{ at: number; fn: () => void; cancelled: boolean }>;
let uid = 0;
let rv = 0;
/** The committed-change feed of the pods, as the local composition wires ObservablePodStore to the controller. */
let feed: ((change: { type: 'created'; pod: StoredPod }) => void) | undefined;

const stored = (pod: Pod): StoredPod =>
  ({
    key: { namespace: pod.metadata!.namespace!, name: pod.metadata!.name! },
    resourceVersion: String(++rv),
    state: { pod, engine: {} },
    inbox: [],
  }) as unknown as StoredPod;

function deps(): JobControllerDeps {
  return {
    store: {
      list: async (namespace?: string) => ({
        items: [...pods.values()].filter((p) => namespace === undefined || p.key.namespace === namespace),
        resourceVersion: String(rv),
      }),
      get: async (key: PodKey) => pods.get(key.name),
      recordEvent: async (e: EventRecord) => {
        events.push(e);
        return {} as never;
      },
    },
    objects,
    pods: {
      createPod: async (pod) => {
        const s = stored({ ...pod, status: { phase: 'Running' } });
        pods.set(s.key.name, s);
        feed?.({ type: 'created', pod: s });
        return s;
      },
      // The engine's deletion is graceful: the pod is marked, and goes when the test removes it.
      deletePod: async (key) => {
        const s = pods.get(key.name)!;
        const pod = s.state.pod;
        pods.set(key.name, {
          ...s,
          state: {
            ...s.state,
            pod: { ...pod, metadata: { ...pod.metadata, deletionTimestamp: toRfc3339(clock.now()) } },
          },
        });
      },
      updatePod: async (key, next) => {
        const s = stored(next);
        pods.set(key.name, s);
        return s;
      },
    },
    clock,
    backoff: { initialMs: 10_000, maxMs: 360_000 },
    newUid: () => `uid-${++uid}`,
    setTimer: (fn, ms) => {
      const t = { at: clock.now() + ms, fn, cancelled: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => ((h as { cancelled: boolean }).cancelled = true),
    onError: (err) => {
      throw err;
    },
  };
}

/** Moves the clock and fires the timers that are due. */
function advance(ms: number): void {
  clock.advance(ms);
  for (const t of timers.filter((t) => !t.cancelled && t.at <= clock.now())) {
    t.cancelled = true;
    t.fn();
  }
}

function finish(name: string, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Failed' ? 1 : 0): void {
  const s = pods.get(name)!;
  const status: Pod['status'] = {
    phase,
    containerStatuses: [
      {
        name: 'main',
        image: 'x',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode, finishedAt: toRfc3339(clock.now()) } },
      },
    ],
  };
  pods.set(name, { ...s, state: { ...s.state, pod: { ...s.state.pod, status } } });
}

async function createJob(spec: Record<string, unknown>): Promise<Job> {
  const admitted = admitJob(
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'work', namespace: 'default' },
      spec: {
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x', command: ['true'] }] },
        },
        ...spec,
      },
    } as Job,
    { now: clock.now(), newUid: () => 'job-uid' },
  );
  if (!admitted.ok) throw new Error(JSON.stringify(admitted.errors));
  return (await objects.create(admitted.object as ApiObject)).object as Job;
}

const readJob = async (): Promise<Job | undefined> =>
  (await objects.get({ kind: 'Job', namespace: 'default', name: 'work' }))?.object as Job | undefined;

const names = (): string[] => [...pods.keys()].sort();

beforeEach(() => {
  clock = new ManualClock();
  objects = new MemoryObjectStore();
  pods = new Map();
  events = [];
  timers = [];
  feed = undefined;
});

/** A controller fed with the pods' changes. */
function controller() {
  const jobs = createJobController(deps());
  feed = (change) => jobs.onPodChange(change);
  return jobs;
}

describe('Job controller on the engine', () => {
  it('replaces a failed pod after the back-off timer, and completes', async () => {
    await createJob({ completions: 1 });
    const jobs = controller();
    jobs.enqueue('default', 'work');
    await jobs.idle();
    const [first] = names();
    expect(first).toMatch(/^work-[a-z0-9]{5}$/);
    expect(events.map((e) => e.reason)).toEqual(['SuccessfulCreate']);

    finish(first!, 'Failed');
    jobs.enqueue('default', 'work');
    await jobs.idle();
    expect(names()).toEqual([first]);
    advance(9_999);
    await jobs.idle();
    expect(names()).toEqual([first]);
    advance(1);
    await jobs.idle();
    const second = names().find((n) => n !== first)!;
    expect(second).toBeDefined();

    finish(second, 'Succeeded');
    jobs.enqueue('default', 'work');
    await jobs.idle();
    const job = await readJob();
    expect(job?.status).toMatchObject({ succeeded: 1, failed: 1, active: 0 });
    expect(job?.status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    await jobs.close();
  });

  it('a new controller over the same stores (an engine restart) re-arms the back-off from the pods', async () => {
    await createJob({ completions: 1 });
    const before = controller();
    before.enqueue('default', 'work');
    await before.idle();
    finish(names()[0]!, 'Failed');
    advance(4_000);
    await before.close(); // the engine stops during the back-off; its timer goes with it

    const after = controller();
    await after.syncAll();
    await after.idle();
    expect(names().length).toBe(1);
    advance(5_999);
    await after.idle();
    expect(names().length).toBe(1);
    advance(1);
    await after.idle();
    expect(names().length).toBe(2);
    await after.close();
  });

  it('activeDeadlineSeconds fires from its timer: the running pod is deleted, then Failed DeadlineExceeded', async () => {
    await createJob({ activeDeadlineSeconds: 30 });
    const jobs = controller();
    jobs.enqueue('default', 'work');
    await jobs.idle();
    const [pod] = names();
    advance(30_000);
    await jobs.idle();
    expect(pods.get(pod!)!.state.pod.metadata.deletionTimestamp).toBeDefined();
    expect((await readJob())?.status?.conditions?.map((c) => `${c.type}/${c.reason}`)).toEqual([
      'FailureTarget/DeadlineExceeded',
    ]);
    pods.delete(pod!);
    jobs.onPodChange({ type: 'removed', key: { namespace: 'default', name: pod! } });
    await jobs.idle();
    expect((await readJob())?.status?.conditions?.map((c) => `${c.type}/${c.reason}`)).toEqual([
      'FailureTarget/DeadlineExceeded',
      'Failed/DeadlineExceeded',
    ]);
    await jobs.close();
  });

  it.each([
    { policy: 'Background' as const, jobGone: true, podDeleted: true, ownerKept: true },
    { policy: 'Orphan' as const, jobGone: true, podDeleted: false, ownerKept: false },
    { policy: 'Foreground' as const, jobGone: false, podDeleted: true, ownerKept: true },
  ])('delete with $policy', async ({ policy, jobGone, podDeleted, ownerKept }) => {
    await createJob({ completions: 1 });
    const jobs = controller();
    jobs.enqueue('default', 'work');
    await jobs.idle();
    const [pod] = names();
    const marked = await jobs.deleteJob('default', 'work', policy);
    await jobs.idle();
    expect(marked === undefined).toBe(jobGone);
    expect((await readJob()) === undefined).toBe(jobGone);
    const p = pods.get(pod!)!.state.pod;
    expect(p.metadata.deletionTimestamp !== undefined).toBe(podDeleted);
    expect((p.metadata.ownerReferences ?? []).length > 0).toBe(ownerKept);
    if (policy === 'Foreground') {
      expect((await readJob())?.metadata?.finalizers).toEqual(['foregroundDeletion']);
      pods.delete(pod!);
      jobs.onPodChange({ type: 'removed', key: { namespace: 'default', name: pod! } });
      await jobs.idle();
      expect(await readJob()).toBeUndefined();
    }
    await jobs.close();
  });
});
