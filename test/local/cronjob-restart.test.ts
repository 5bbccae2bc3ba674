// The local engine (SQLite store in a data directory) stopped across scheduled times: the next start syncs every
// CronJob and starts one Job, for the most recent missed time only, as cronjob_controllerv2.go does after a
// controller restart — and none when that time is older than startingDeadlineSeconds. The CronJob controller's clock
// is a manual one (the engine's own stays real); the Jobs are created suspended so that no process runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { afterAll, expect, it } from 'vitest';
import { admitCronJob } from '../../src/core/cron/admit-cronjob.ts';
import { startLocalEngine, type LocalEngine } from '../../src/local/local-engine.ts';
import type { ApiObject } from '../../src/ports/object-store.ts';
import { ManualClock } from '../support/manual-clock.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'podflow-cron-restart-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const T = (iso: string): number => Date.parse(iso);
const clock = new ManualClock(T('2026-03-08T09:59:30Z'));
/** Timers of the manual clock: fired by `advanceTo`. */
const timers = new Set<{ at: number; fn: () => void }>();

const open = (): Promise<LocalEngine> =>
  startLocalEngine({
    dataDir,
    onError: (err, context) => {
      throw new Error(`${context}: ${String(err)}`);
    },
    onWarning: () => {},
    cronClock: {
      clock,
      setTimer: (fn, ms) => {
        const t = { at: clock.now() + ms, fn };
        timers.add(t);
        return t;
      },
      clearTimer: (h) => void timers.delete(h as never),
    },
  });

async function advanceTo(engine: LocalEngine, iso: string): Promise<void> {
  clock.set(T(iso));
  for (const t of [...timers].filter((t) => t.at <= clock.now())) {
    timers.delete(t);
    t.fn();
  }
  await engine.cronJobs.idle();
}

const cronJob = (name: string, spec: Record<string, unknown>): ApiObject => {
  const admitted = admitCronJob(
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name, namespace: 'default' },
      spec: {
        jobTemplate: {
          spec: {
            suspend: true,
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['true'] }] },
            },
          },
        },
        ...spec,
      },
    } as CronJob,
    { now: clock.now(), newUid: () => `uid-${name}` },
  );
  if (!admitted.ok) throw new Error(JSON.stringify(admitted.errors));
  return admitted.object as unknown as ApiObject;
};

const jobsOf = async (engine: LocalEngine, owner: string): Promise<string[]> =>
  (await engine.objects.list('Job', 'default')).items
    .map((s) => s.object as Job)
    .filter((j) => j.metadata?.ownerReferences?.[0]?.name === owner)
    .map((j) => j.metadata!.name!)
    .sort();

const minute = (name: string, iso: string): string => `${name}-${T(iso) / 60_000}`;

it('an engine stopped from 10:00:30 to 10:06:30 starts one Job, for 10:06; with a 20 s deadline, none', async () => {
  let engine = await open();
  await engine.objects.create(cronJob('every-minute', { schedule: '* * * * *' }));
  await engine.objects.create(cronJob('deadline', { schedule: '* * * * *', startingDeadlineSeconds: 20 }));
  await engine.cronJobs.idle();
  await advanceTo(engine, '2026-03-08T10:00:00.100Z');
  expect(await jobsOf(engine, 'every-minute')).toEqual([minute('every-minute', '2026-03-08T10:00:00Z')]);
  expect(await jobsOf(engine, 'deadline')).toEqual([minute('deadline', '2026-03-08T10:00:00Z')]);
  await engine.close();

  timers.clear();
  clock.set(T('2026-03-08T10:06:30Z'));
  engine = await open();
  await engine.cronJobs.idle();
  expect(await jobsOf(engine, 'every-minute')).toEqual([
    minute('every-minute', '2026-03-08T10:00:00Z'),
    minute('every-minute', '2026-03-08T10:06:00Z'),
  ]);
  // 10:06 is 30 s old, beyond the 20 s deadline: nothing until 10:07.
  expect(await jobsOf(engine, 'deadline')).toEqual([minute('deadline', '2026-03-08T10:00:00Z')]);
  expect(engine.cronJobs.nextWakeup('default', 'deadline')).toBe(T('2026-03-08T10:07:00.100Z'));
  await advanceTo(engine, '2026-03-08T10:07:00.100Z');
  expect(await jobsOf(engine, 'deadline')).toEqual([
    minute('deadline', '2026-03-08T10:00:00Z'),
    minute('deadline', '2026-03-08T10:07:00Z'),
  ]);
  const stored = (await engine.objects.get({ kind: 'CronJob', namespace: 'default', name: 'every-minute' }))!;
  expect((stored.object as CronJob).status?.lastScheduleTime).toBe('2026-03-08T10:07:00Z');
  await engine.close();
}, 60_000);
