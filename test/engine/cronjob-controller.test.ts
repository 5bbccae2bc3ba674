// The CronJob controller on the engine (engine/cronjob-controller.ts) over an in-memory ObjectStore behind the
// ObservableObjectStore feed the local composition wires: time is a ManualClock with injected timers, Jobs are
// finished by the test (no Job controller runs here: a Job's status is written as its controller would). Shown: the
// wake-up at the scheduled instant, Forbid and Replace, history pruning, and an engine stopped across several
// scheduled times that catches up once — only the most recent time, and only within startingDeadlineSeconds — as
// cronjob_controllerv2.go does at its resync.
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.ts';
import { admitCronJob } from '../../src/core/cron/admit-cronjob.ts';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION } from '../../src/core/cron/sync-cronjob.ts';
import { toRfc3339 } from '../../src/core/time.ts';
import { createCronJobController, type CronJobController } from '../../src/engine/cronjob-controller.ts';
import { ObservableObjectStore } from '../../src/engine/observable-object-store.ts';
import type { ApiObject } from '../../src/ports/object-store.ts';
import type { EventRecord } from '../../src/ports/pod-store.ts';
import { ManualClock } from '../support/manual-clock.ts';

const T = (iso: string): number => Date.parse(iso);

let clock: ManualClock;
let objects: ObservableObjectStore;
let events: EventRecord[];
let timers: Array<{ at: number; fn: () => void; cancelled: boolean }>;
let deleted: string[];
let uid = 0;
let controller: CronJobController;
let stopFeed: () => void;

function start(): CronJobController {
  const c = createCronJobController({
    store: {
      recordEvent: async (e: EventRecord) => {
        events.push(e);
        return {} as never;
      },
    },
    objects,
    jobs: {
      // The Job controller's Background deletion: the Job goes (its pods after it).
      deleteJob: async (namespace, name) => {
        deleted.push(name);
        await objects.remove({ kind: 'Job', namespace, name });
      },
    },
    clock,
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
  });
  stopFeed = objects.subscribe((change) => {
    const key = change.type === 'removed' ? change.key : change.object.key;
    if (key.kind === 'Job') c.onJobChange(change);
    if (key.kind === 'CronJob') c.enqueue(key.namespace, key.name);
  });
  return c;
}

/** Moves the clock to `iso` and fires the timers due, letting each sync finish. */
async function advanceTo(iso: string): Promise<void> {
  clock.set(T(iso));
  for (;;) {
    const due = timers.filter((t) => !t.cancelled && t.at <= clock.now());
    if (due.length === 0) break;
    for (const t of due) {
      t.cancelled = true;
      t.fn();
    }
    await controller.idle();
  }
  await controller.idle();
}

async function createCronJob(spec: Record<string, unknown>): Promise<void> {
  const admitted = admitCronJob(
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'check', namespace: 'default' },
      spec: {
        schedule: '* * * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['true'] }] },
            },
          },
        },
        ...spec,
      },
    } as CronJob,
    { now: clock.now(), newUid: () => 'cj-uid' },
  );
  if (!admitted.ok) throw new Error(JSON.stringify(admitted.errors));
  await objects.create(admitted.object as unknown as ApiObject);
  await controller.idle();
}

const jobs = async (): Promise<Job[]> =>
  (await objects.list('Job', 'default')).items.map((s) => s.object as Job);
const jobNames = async (): Promise<string[]> => (await jobs()).map((j) => j.metadata!.name!);
const readCronJob = async (): Promise<CronJob> =>
  (await objects.get({ kind: 'CronJob', namespace: 'default', name: 'check' }))!.object as CronJob;
const reasons = (): string[] => events.map((e) => e.reason);
const minuteName = (iso: string): string => `check-${T(iso) / 60_000}`;

/** Writes a Job's status as the Job controller would on completion or failure. */
async function finishJob(name: string, type: 'Complete' | 'Failed'): Promise<void> {
  const s = (await objects.get({ kind: 'Job', namespace: 'default', name }))!;
  const job = s.object as Job;
  const now = toRfc3339(clock.now());
  await objects.update(s.key, s.resourceVersion, {
    ...job,
    status: {
      startTime: job.status?.startTime ?? now,
      ...(type === 'Complete' && { completionTime: now, succeeded: 1 }),
      ...(type === 'Failed' && { failed: 1 }),
      conditions: [{ type, status: 'True' }],
    },
  } as unknown as ApiObject);
  await controller.idle();
}

/** Marks a Job started (status.startTime), as the Job controller does when it creates its first pod. */
async function startJob(name: string): Promise<void> {
  const s = (await objects.get({ kind: 'Job', namespace: 'default', name }))!;
  await objects.update(s.key, s.resourceVersion, {
    ...s.object,
    status: { startTime: toRfc3339(clock.now()), active: 1 },
  } as ApiObject);
  await controller.idle();
}

beforeEach(() => {
  clock = new ManualClock(T('2026-03-08T09:59:30Z'));
  objects = new ObservableObjectStore(new MemoryObjectStore());
  events = [];
  timers = [];
  deleted = [];
  uid = 0;
  controller = start();
});

describe('CronJob controller on the engine', () => {
  it('wakes at the scheduled instant and creates the Job: owner, annotation, status.active, lastScheduleTime', async () => {
    await createCronJob({ timeZone: 'America/New_York' });
    expect(controller.nextWakeup('default', 'check')).toBe(T('2026-03-08T10:00:00.100Z'));
    await advanceTo('2026-03-08T09:59:59Z');
    expect(await jobNames()).toEqual([]);
    await advanceTo('2026-03-08T10:00:00.100Z');
    const [job] = await jobs();
    expect(job!.metadata!.name).toBe(minuteName('2026-03-08T10:00:00Z'));
    expect(job!.metadata!.annotations![CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).toBe(
      '2026-03-08T06:00:00-04:00',
    );
    expect(job!.metadata!.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'check',
        uid: 'cj-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    // Admitted as the API admits a Job: the generated selector and labels.
    expect(job!.spec!.selector!.matchLabels!['batch.kubernetes.io/controller-uid']).toBe(job!.metadata!.uid);
    const cj = await readCronJob();
    expect(cj.status!.active!.map((r) => r.name)).toEqual([job!.metadata!.name]);
    expect(cj.status!.lastScheduleTime).toBe('2026-03-08T10:00:00Z');
    expect(events.map((e) => `${e.reason}: ${e.message} (${e.source?.component})`)).toEqual([
      `SuccessfulCreate: Created job ${job!.metadata!.name} (cronjob-controller)`,
    ]);
    expect(controller.nextWakeup('default', 'check')).toBe(T('2026-03-08T10:01:00.100Z'));
  });

  it('the finished Job leaves status.active (SawCompletedJob) and sets lastSuccessfulTime', async () => {
    await createCronJob({});
    await advanceTo('2026-03-08T10:00:00.100Z');
    await advanceTo('2026-03-08T10:00:05Z');
    await finishJob(minuteName('2026-03-08T10:00:00Z'), 'Complete');
    const cj = await readCronJob();
    expect(cj.status!.active).toBeUndefined();
    expect(cj.status!.lastSuccessfulTime).toBe('2026-03-08T10:00:05Z');
    expect(reasons()).toEqual(['SuccessfulCreate', 'SawCompletedJob']);
  });

  it('Forbid: no second Job while the first runs (JobAlreadyActive); the next time after it ends runs', async () => {
    await createCronJob({ concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 10 });
    await advanceTo('2026-03-08T10:00:00.100Z');
    await advanceTo('2026-03-08T10:01:00.100Z');
    await advanceTo('2026-03-08T10:02:00.100Z');
    expect(await jobNames()).toEqual([minuteName('2026-03-08T10:00:00Z')]);
    expect(reasons()).toEqual(['SuccessfulCreate', 'JobAlreadyActive', 'JobAlreadyActive']);
    await advanceTo('2026-03-08T10:02:30Z');
    await finishJob(minuteName('2026-03-08T10:00:00Z'), 'Complete');
    await advanceTo('2026-03-08T10:03:00.100Z');
    expect(await jobNames()).toEqual([
      minuteName('2026-03-08T10:00:00Z'),
      minuteName('2026-03-08T10:03:00Z'),
    ]);
  });

  it('Replace: the running Job is deleted at the next time and the new one created', async () => {
    await createCronJob({ concurrencyPolicy: 'Replace' });
    await advanceTo('2026-03-08T10:00:00.100Z');
    await advanceTo('2026-03-08T10:01:00.100Z');
    expect(deleted).toEqual([minuteName('2026-03-08T10:00:00Z')]);
    expect(await jobNames()).toEqual([minuteName('2026-03-08T10:01:00Z')]);
    expect((await readCronJob()).status!.active!.map((r) => r.name)).toEqual([
      minuteName('2026-03-08T10:01:00Z'),
    ]);
    expect(reasons()).toEqual(['SuccessfulCreate', 'SuccessfulDelete', 'SuccessfulCreate']);
  });

  it('history limits: 2 successful and 1 failed Job kept, the oldest deleted', async () => {
    await createCronJob({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    const outcomes: Array<'Complete' | 'Failed'> = ['Complete', 'Failed', 'Complete', 'Failed', 'Complete'];
    for (const [i, outcome] of outcomes.entries()) {
      const at = `2026-03-08T10:0${i}:00Z`;
      await advanceTo(`2026-03-08T10:0${i}:00.100Z`);
      await startJob(minuteName(at));
      await advanceTo(`2026-03-08T10:0${i}:10Z`);
      await finishJob(minuteName(at), outcome);
    }
    expect(deleted).toEqual([minuteName('2026-03-08T10:01:00Z'), minuteName('2026-03-08T10:00:00Z')]);
    expect(await jobNames()).toEqual([
      minuteName('2026-03-08T10:02:00Z'),
      minuteName('2026-03-08T10:03:00Z'),
      minuteName('2026-03-08T10:04:00Z'),
    ]);
  });

  it('a stopped engine catches up once: one Job for the most recent of six missed times', async () => {
    await createCronJob({});
    await advanceTo('2026-03-08T10:00:00.100Z');
    await finishJob(minuteName('2026-03-08T10:00:00Z'), 'Complete');
    stopFeed();
    await controller.close();
    // No engine from 10:00:30 to 10:06:30: 10:01 … 10:06 pass unseen.
    clock.set(T('2026-03-08T10:06:30Z'));
    timers = [];
    controller = start();
    await controller.syncAll();
    await controller.idle();
    expect(await jobNames()).toEqual([
      minuteName('2026-03-08T10:00:00Z'),
      minuteName('2026-03-08T10:06:00Z'),
    ]);
    expect((await readCronJob()).status!.lastScheduleTime).toBe('2026-03-08T10:06:00Z');
    expect(controller.nextWakeup('default', 'check')).toBe(T('2026-03-08T10:07:00.100Z'));
    // A second start at the same instant makes nothing more.
    await controller.close();
    controller = start();
    await controller.syncAll();
    await controller.idle();
    expect(await jobNames()).toHaveLength(2);
  });

  it('a stopped engine whose missed time is older than startingDeadlineSeconds starts nothing until the next time', async () => {
    await createCronJob({ schedule: '*/5 * * * *', startingDeadlineSeconds: 60 });
    stopFeed();
    await controller.close();
    clock.set(T('2026-03-08T10:07:00Z'));
    timers = [];
    controller = start();
    await controller.syncAll();
    await controller.idle();
    expect(await jobNames()).toEqual([]);
    expect(controller.nextWakeup('default', 'check')).toBe(T('2026-03-08T10:10:00.100Z'));
    await advanceTo('2026-03-08T10:10:00.100Z');
    expect(await jobNames()).toEqual([minuteName('2026-03-08T10:10:00Z')]);
  });

  it('suspend stops the schedule; resuming catches up the most recent time; deleting the CronJob deletes its Jobs', async () => {
    await createCronJob({ suspend: true });
    await advanceTo('2026-03-08T10:03:10Z');
    expect(await jobNames()).toEqual([]);
    expect(controller.nextWakeup('default', 'check')).toBeUndefined();
    const s = (await objects.get({ kind: 'CronJob', namespace: 'default', name: 'check' }))!;
    const cj = s.object as CronJob;
    await objects.update(s.key, s.resourceVersion, {
      ...cj,
      spec: { ...cj.spec!, suspend: false },
    } as unknown as ApiObject);
    await controller.idle();
    expect(await jobNames()).toEqual([minuteName('2026-03-08T10:03:00Z')]);
    await objects.remove(s.key);
    await controller.idle();
    expect(deleted).toEqual([minuteName('2026-03-08T10:03:00Z')]);
    expect(await jobNames()).toEqual([]);
  });
});
