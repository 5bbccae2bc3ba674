// The CronJob controller's decision (core/cron/sync-cronjob.ts) against pkg/controller/cronjob/
// cronjob_controllerv2.go and utils.go, with time a parameter: a small world carries the decisions out (Jobs created
// with a uid, finished when the case says so) and syncs again at each requeue instant, as the engine's timer does.
import type { CronJob, CronJobSpec, Job } from 'kubernetes-types/batch/v1';
import { describe, expect, it } from 'vitest';
import {
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  jobNameFor,
  recordCreatedJob,
  syncCronJob,
  type CronJobSync,
} from '../../../src/core/cron/sync-cronjob.ts';
import { toRfc3339 } from '../../../src/core/time.ts';

const T = (iso: string): number => Date.parse(iso);

function cronJob(spec: Partial<CronJobSpec>, created = '2026-03-01T00:00:00Z', status = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'check', namespace: 'default', uid: 'cj-uid', creationTimestamp: created },
    spec: {
      schedule: '* * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { app: 'check' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
      },
      ...spec,
    },
    status,
  };
}

function job(
  name: string,
  state: 'running' | 'Complete' | 'Failed',
  start: string,
  end?: string,
  owner = 'cj-uid',
): Job {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: 'check', uid: owner, controller: true },
      ],
    },
    spec: { template: {} },
    status: {
      startTime: start,
      ...(state !== 'running' && {
        conditions: [{ type: state, status: 'True' }],
        ...(state === 'Complete' && { completionTime: end ?? start }),
      }),
    },
  };
}

const activeRef = (j: Job) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  name: j.metadata!.name!,
  namespace: 'default',
  uid: j.metadata!.uid!,
});

/** The world after a decision: the created Job (uid from its name) in status.active, the removed Jobs gone. */
function apply(cj: CronJob, jobs: Job[], d: CronJobSync): { cj: CronJob; jobs: Job[] } {
  let status = d.status;
  let next = jobs.filter((j) => !d.remove.some((r) => r.uid === j.metadata?.uid));
  if (d.create) {
    const created: Job = {
      ...d.create.job,
      metadata: { ...d.create.job.metadata, uid: `uid-${d.create.job.metadata!.name}` },
    };
    next = [...next, created];
    status = recordCreatedJob(status, created, d.create.scheduledTime);
  }
  return { cj: { ...cj, status }, jobs: next };
}

/**
 * Runs the controller from `from` to `until`, syncing at each requeue instant; every Job it creates completes at
 * once (`finish`) or keeps running. Returns the scheduled times of the Jobs created, as their annotation says.
 */
function simulate(cj0: CronJob, from: number, until: number, finish = true): string[] {
  let world = { cj: cj0, jobs: [] as Job[] };
  const created: string[] = [];
  for (let now = from, guard = 0; now <= until && guard < 10_000; guard++) {
    const d = syncCronJob(world.cj, world.jobs, now);
    if (d.create) created.push(d.create.job.metadata!.annotations![CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]!);
    world = apply(world.cj, world.jobs, d);
    if (finish)
      world.jobs = world.jobs.map((j) =>
        j.status?.conditions ? j : job(j.metadata!.name!, 'Complete', toRfc3339(now), toRfc3339(now)),
      );
    if (d.requeueAt === undefined) break;
    now = d.requeueAt;
  }
  return created;
}

describe('syncCronJob: schedules in a time zone, across a DST change', () => {
  it.each([
    {
      name: 'America/New_York 30 2 * * *: no run on 2026-03-08 (02:30 does not exist), EST before, EDT after',
      zone: 'America/New_York',
      schedule: '30 2 * * *',
      from: '2026-03-06T12:00:00Z',
      until: '2026-03-10T12:00:00Z',
      want: ['2026-03-07T02:30:00-05:00', '2026-03-09T02:30:00-04:00', '2026-03-10T02:30:00-04:00'],
    },
    {
      name: 'America/New_York 0 9 * * *: 09:00 local each day, 14:00Z then 13:00Z',
      zone: 'America/New_York',
      schedule: '0 9 * * *',
      from: '2026-03-07T00:00:00Z',
      until: '2026-03-09T23:00:00Z',
      want: ['2026-03-07T09:00:00-05:00', '2026-03-08T09:00:00-04:00', '2026-03-09T09:00:00-04:00'],
    },
    {
      name: 'Europe/Berlin 0 9 * * *: 09:00 local each day, 08:00Z then 07:00Z from 2026-03-29',
      zone: 'Europe/Berlin',
      schedule: '0 9 * * *',
      from: '2026-03-28T00:00:00Z',
      until: '2026-03-30T12:00:00Z',
      want: ['2026-03-28T09:00:00+01:00', '2026-03-29T09:00:00+02:00', '2026-03-30T09:00:00+02:00'],
    },
    {
      name: 'Europe/Berlin 0 * * * *: 01:00 CET, then 03:00 CEST one hour later',
      zone: 'Europe/Berlin',
      schedule: '0 * * * *',
      from: '2026-03-28T23:30:00Z',
      until: '2026-03-29T02:30:00Z',
      want: ['2026-03-29T01:00:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T04:00:00+02:00'],
    },
  ])('$name', ({ zone, schedule, from, until, want }) => {
    const cj = cronJob({ schedule, timeZone: zone }, from);
    expect(simulate(cj, T(from), T(until))).toEqual(want);
  });

  it('fires at the instant: the requeue is 100 ms after the scheduled time, the Job named by its minute', () => {
    const cj = cronJob({ schedule: '0 9 * * *', timeZone: 'Europe/Berlin' }, '2026-03-28T12:00:00Z');
    const first = syncCronJob(cj, [], T('2026-03-28T12:00:00Z'));
    expect(first.create).toBeUndefined();
    expect(first.requeueAt).toBe(T('2026-03-29T07:00:00.100Z'));
    const due = syncCronJob(cj, [], first.requeueAt!);
    expect(due.create?.scheduledTime).toBe(T('2026-03-29T07:00:00Z'));
    expect(due.create?.job.metadata?.name).toBe(`check-${T('2026-03-29T07:00:00Z') / 60_000}`);
    expect(due.create?.job.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'check',
        uid: 'cj-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(due.create?.job.metadata?.labels).toEqual({ app: 'check' });
    expect(due.requeueAt).toBe(T('2026-03-30T07:00:00.100Z'));
    expect(due.events).toEqual([]);
  });

  it('without timeZone the schedule is UTC and the annotation ends in Z', () => {
    const cj = cronJob({ schedule: '0 9 * * *' }, '2026-03-28T12:00:00Z');
    const d = syncCronJob(cj, [], T('2026-03-29T09:00:00.100Z'));
    expect(d.create?.job.metadata?.annotations).toEqual({
      [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: '2026-03-29T09:00:00Z',
    });
  });
});

describe('syncCronJob: concurrency policies', () => {
  const running = job(jobNameFor('check', T('2026-03-08T10:00:00Z')), 'running', '2026-03-08T10:00:01Z');
  const status = { active: [activeRef(running)], lastScheduleTime: '2026-03-08T10:00:00Z' };

  it('Forbid: a Job still running at the next time → no Job, JobAlreadyActive, requeued for the one after', () => {
    const cj = cronJob({ concurrencyPolicy: 'Forbid' }, '2026-03-08T09:00:00Z', status);
    const d = syncCronJob(cj, [running], T('2026-03-08T10:01:00.100Z'));
    expect(d.create).toBeUndefined();
    expect(d.remove).toEqual([]);
    expect(d.events).toEqual([
      {
        eventType: 'Normal',
        reason: 'JobAlreadyActive',
        message: 'Not starting job because prior execution is running and concurrency policy is Forbid',
      },
    ]);
    expect(d.status.lastScheduleTime).toBe('2026-03-08T10:00:00Z');
    expect(d.requeueAt).toBe(T('2026-03-08T10:02:00.100Z'));
  });

  it('Allow: a second Job runs beside the first', () => {
    const cj = cronJob({ concurrencyPolicy: 'Allow' }, '2026-03-08T09:00:00Z', status);
    const d = syncCronJob(cj, [running], T('2026-03-08T10:01:00.100Z'));
    expect(d.remove).toEqual([]);
    expect(d.create?.scheduledTime).toBe(T('2026-03-08T10:01:00Z'));
  });

  it('Replace: the running Job is deleted (SuccessfulDelete) and the new one created', () => {
    const cj = cronJob({ concurrencyPolicy: 'Replace' }, '2026-03-08T09:00:00Z', status);
    const d = syncCronJob(cj, [running], T('2026-03-08T10:01:00.100Z'));
    expect(d.remove).toEqual([
      {
        name: running.metadata!.name,
        uid: running.metadata!.uid,
        event: {
          eventType: 'Normal',
          reason: 'SuccessfulDelete',
          message: `Deleted job ${running.metadata!.name}`,
        },
      },
    ]);
    expect(d.status.active).toBeUndefined();
    expect(d.create?.scheduledTime).toBe(T('2026-03-08T10:01:00Z'));
  });
});

describe('syncCronJob: finished Jobs and history limits', () => {
  it('a finished active Job leaves the list (SawCompletedJob) and its completion time is lastSuccessfulTime', () => {
    const done = job('check-1', 'Complete', '2026-03-08T10:00:01Z', '2026-03-08T10:00:05Z');
    const cj = cronJob({}, '2026-03-08T09:00:00Z', {
      active: [activeRef(done)],
      lastScheduleTime: '2026-03-08T10:00:00Z',
    });
    const d = syncCronJob(cj, [done], T('2026-03-08T10:00:06Z'));
    expect(d.events).toEqual([
      {
        eventType: 'Normal',
        reason: 'SawCompletedJob',
        message: 'Saw completed job: check-1, condition: Complete',
      },
    ]);
    expect(d.status.active).toBeUndefined();
    expect(d.status.lastSuccessfulTime).toBe('2026-03-08T10:00:05Z');
  });

  it('a failed Job leaves the list (condition: Failed) and is no successful time', () => {
    const failed = job('check-2', 'Failed', '2026-03-08T10:01:01Z');
    const cj = cronJob({}, '2026-03-08T09:00:00Z', {
      active: [activeRef(failed)],
      lastScheduleTime: '2026-03-08T10:01:00Z',
      lastSuccessfulTime: '2026-03-08T10:00:05Z',
    });
    const d = syncCronJob(cj, [failed], T('2026-03-08T10:01:06Z'));
    expect(d.events.map((e) => e.message)).toEqual(['Saw completed job: check-2, condition: Failed']);
    expect(d.status.lastSuccessfulTime).toBe('2026-03-08T10:00:05Z');
  });

  it('an active Job that is gone leaves the list (MissingJob)', () => {
    const cj = cronJob({}, '2026-03-08T09:00:00Z', {
      active: [{ kind: 'Job', name: 'check-9', namespace: 'default', uid: 'uid-check-9' }],
      lastScheduleTime: '2026-03-08T10:00:00Z',
    });
    const d = syncCronJob(cj, [], T('2026-03-08T10:00:30Z'));
    expect(d.events.map((e) => `${e.reason}: ${e.message}`)).toEqual([
      'MissingJob: Active job went missing: check-9',
    ]);
    expect(d.status.active).toBeUndefined();
  });

  it('successfulJobsHistoryLimit 3 / failedJobsHistoryLimit 1: the oldest by start time are deleted', () => {
    const ok = [5, 1, 4, 2, 3].map((m) => job(`ok-${m}`, 'Complete', `2026-03-08T10:0${m}:00Z`));
    const failed = [1, 2].map((m) => job(`bad-${m}`, 'Failed', `2026-03-08T10:0${m}:30Z`));
    const cj = cronJob({}, '2026-03-08T09:00:00Z', { lastScheduleTime: '2026-03-08T10:05:00Z' });
    const d = syncCronJob(cj, [...ok, ...failed], T('2026-03-08T10:05:30Z'));
    expect(d.remove.map((r) => r.name)).toEqual(['ok-1', 'ok-2', 'bad-1']);
    expect(d.remove.every((r) => r.event.reason === 'SuccessfulDelete')).toBe(true);
  });

  it('limits of 0 keep no finished Job; running Jobs are never pruned', () => {
    const jobs = [job('a', 'Complete', '2026-03-08T10:01:00Z'), job('b', 'running', '2026-03-08T10:02:00Z')];
    const cj = cronJob({ successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 }, '2026-03-08T09:00:00Z', {
      active: [activeRef(jobs[1]!)],
      lastScheduleTime: '2026-03-08T10:02:00Z',
    });
    expect(syncCronJob(cj, jobs, T('2026-03-08T10:02:30Z')).remove.map((r) => r.name)).toEqual(['a']);
  });
});

describe('syncCronJob: missed schedules (a controller that was not running)', () => {
  const last = { lastScheduleTime: '2026-03-08T10:00:00Z' };

  it('five missed minutes, no deadline: one Job, for the most recent time only', () => {
    const cj = cronJob({}, '2026-03-08T09:00:00Z', last);
    const d = syncCronJob(cj, [], T('2026-03-08T10:05:30Z'));
    expect(d.create?.scheduledTime).toBe(T('2026-03-08T10:05:00Z'));
    expect(d.events).toEqual([]);
    // After it, nothing is due until 10:06: the earlier missed times are not run.
    const after = apply(cj, [], d);
    const next = syncCronJob(after.cj, after.jobs, T('2026-03-08T10:05:31Z'));
    expect(next.create).toBeUndefined();
    expect(next.requeueAt).toBe(T('2026-03-08T10:06:00.100Z'));
  });

  it('startingDeadlineSeconds 60: the most recent time is 30 s late, within the deadline: it runs', () => {
    const cj = cronJob({ startingDeadlineSeconds: 60 }, '2026-03-08T09:00:00Z', last);
    expect(syncCronJob(cj, [], T('2026-03-08T10:05:30Z')).create?.scheduledTime).toBe(
      T('2026-03-08T10:05:00Z'),
    );
  });

  it('startingDeadlineSeconds 20: 30 s late is too late: no Job, requeued for the next time', () => {
    // mostRecentScheduleTime starts its search at now − startingDeadlineSeconds (10:05:10): 10:05 is not even seen.
    const cj = cronJob(
      { schedule: '*/5 * * * *', startingDeadlineSeconds: 20 },
      '2026-03-08T09:00:00Z',
      last,
    );
    const d = syncCronJob(cj, [], T('2026-03-08T10:05:30Z'));
    expect(d.create).toBeUndefined();
    expect(d.status.lastScheduleTime).toBe('2026-03-08T10:00:00Z');
    expect(d.requeueAt).toBe(T('2026-03-08T10:10:00.100Z'));
  });

  it('more than 100 missed times: TooManyMissedTimes, and still only the most recent one runs', () => {
    const cj = cronJob({}, '2026-03-08T09:00:00Z', last);
    const d = syncCronJob(cj, [], T('2026-03-08T12:00:30Z'));
    expect(d.events).toEqual([
      {
        eventType: 'Warning',
        reason: 'TooManyMissedTimes',
        message:
          'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      },
    ]);
    expect(d.create?.scheduledTime).toBe(T('2026-03-08T12:00:00Z'));
  });

  it('a deadline bounds the count: 120 missed minutes with startingDeadlineSeconds 300 are not "too many"', () => {
    const cj = cronJob({ startingDeadlineSeconds: 300 }, '2026-03-08T09:00:00Z', last);
    const d = syncCronJob(cj, [], T('2026-03-08T12:00:30Z'));
    expect(d.events).toEqual([]);
    expect(d.create?.scheduledTime).toBe(T('2026-03-08T12:00:00Z'));
  });

  it('the time already scheduled is not scheduled again (lastScheduleTime is the lock)', () => {
    const cj = cronJob({}, '2026-03-08T09:00:00Z', last);
    const d = syncCronJob(cj, [], T('2026-03-08T10:00:40Z'));
    expect(d.create).toBeUndefined();
    expect(d.requeueAt).toBe(T('2026-03-08T10:01:00.100Z'));
  });
});

describe('syncCronJob: suspend, bad schedules, Jobs it did not make', () => {
  it('suspended: no Job and no requeue (an update resumes it)', () => {
    const cj = cronJob({ suspend: true }, '2026-03-08T09:00:00Z');
    const d = syncCronJob(cj, [], T('2026-03-08T10:05:30Z'));
    expect(d.create).toBeUndefined();
    expect(d.requeueAt).toBeUndefined();
  });

  it('a schedule that never fires: InvalidSchedule, no requeue', () => {
    const cj = cronJob({ schedule: '0 0 30 2 *' }, '2026-03-08T09:00:00Z');
    const d = syncCronJob(cj, [], T('2026-03-08T10:05:30Z'));
    expect(d.events.map((e) => e.reason)).toEqual(['InvalidSchedule']);
    expect(d.requeueAt).toBeUndefined();
  });

  it('a running Job it controls but does not list: UnexpectedJob (not adopted)', () => {
    const manual = job('manual', 'running', '2026-03-08T10:00:10Z');
    const cj = cronJob({}, '2026-03-08T09:00:00Z', { lastScheduleTime: '2026-03-08T10:00:00Z' });
    const d = syncCronJob(cj, [manual], T('2026-03-08T10:00:20Z'));
    expect(d.events.map((e) => `${e.reason}: ${e.message}`)).toEqual([
      'UnexpectedJob: Saw a job that the controller did not create or forgot: manual',
    ]);
    expect(d.status.active).toBeUndefined();
  });
});
