// The CronJob controller's decision for one CronJob, from the CronJob, the Jobs it controls and `now` — pure and
// replayable: pkg/controller/cronjob/cronjob_controllerv2.go sync (cleanupFinishedJobs, then syncCronJob) and
// utils.go (mostRecentScheduleTime, nextScheduleTime, nextScheduleTimeDuration, getJobFromTemplate2, getJobName).
// The engine carries it out (engine/cronjob-controller.ts): it deletes the Jobs named (Background propagation, as
// upstream's jobControl.DeleteJob), creates the Job, adds it to `status.active` (recordCreatedJob), writes the status
// conditionally, records the events and syncs again at `requeueAt`.
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1';
import type { ObjectReference } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { isKnownTimeZone, parseCronSchedule, type CronSchedule } from '../manifest/cron.ts';
import { toRfc3339 } from '../time.ts';
import { nextActivation } from './next-time.ts';
import { formatRfc3339InZone } from './zoned-time.ts';

/** batchv1.CronJobScheduledTimestampAnnotation: the scheduled time of a Job, RFC 3339 in the CronJob's zone. */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** utils.go nextScheduleDelta: the requeue lands this long after the scheduled time, so that it is in the past. */
export const NEXT_SCHEDULE_DELTA_MS = 100;

/** mostRecentScheduleTime: more missed start times than this is reported as TooManyMissedTimes. */
export const MANY_MISSED_SCHEDULES = 100;

/**
 * The zone of a schedule without `timeZone`: upstream uses the kube-controller-manager's local zone (time.Local),
 * which is UTC in the images clusters run; podflow fixes it to UTC so that a schedule means the same on every host.
 */
export const DEFAULT_CRON_ZONE = 'UTC';

export interface CronJobEventIntent {
  eventType: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface CronJobSync {
  /** The status to store (the created Job is added by recordCreatedJob once it exists). */
  status: CronJobStatus;
  /** Jobs to delete with Background propagation (Replace, history limits), each followed by its event. */
  remove: Array<{ name: string; uid: string; event: CronJobEventIntent }>;
  /** The Job to create for `scheduledTime`, if one is due. */
  create?: { job: Job; scheduledTime: number };
  /** When to sync again (the next scheduled time plus NEXT_SCHEDULE_DELTA_MS); none while suspended. */
  requeueAt?: number;
  events: CronJobEventIntent[];
}

const JOB_FINISHED_TYPES = new Set(['Complete', 'Failed']);

/** jobutil.FinishedCondition: the Job's Complete or Failed condition that is True. */
export function finishedConditionOf(job: Job): 'Complete' | 'Failed' | undefined {
  const c = (job.status?.conditions ?? []).find((c) => JOB_FINISHED_TYPES.has(c.type) && c.status === 'True');
  return c?.type as 'Complete' | 'Failed' | undefined;
}

/** metav1.NewControllerRef(cronJob, batch/v1 CronJob). */
export function cronJobControllerRef(cronJob: CronJob): OwnerReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    name: cronJob.metadata?.name ?? '',
    uid: cronJob.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether a Job's controller reference is this CronJob (by uid, as getJobsToBeReconciled filters). */
export function isControlledByCronJob(job: Job, cronJob: CronJob): boolean {
  const ref = (job.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  return ref !== undefined && ref.kind === 'CronJob' && ref.uid === cronJob.metadata?.uid;
}

/** utils.go getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`, the same for every retry. */
export const jobNameFor = (cronJobName: string, scheduledTime: number): string =>
  `${cronJobName}-${Math.floor(scheduledTime / 60_000)}`;

/**
 * getJobFromTemplate2: the template's labels and annotations, the scheduled-timestamp annotation (RFC 3339 in the
 * CronJob's time zone, UTC without one), the deterministic name, the controller reference, the template's spec.
 */
export function jobForSchedule(cronJob: CronJob, scheduledTime: number): Job {
  const template = cronJob.spec?.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cronJob.metadata?.name ?? '', scheduledTime),
      namespace: cronJob.metadata?.namespace ?? 'default',
      labels: { ...template?.metadata?.labels },
      annotations: {
        ...template?.metadata?.annotations,
        [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: formatRfc3339InZone(
          scheduledTime,
          cronJob.spec?.timeZone ?? 'UTC',
        ),
      },
      ownerReferences: [cronJobControllerRef(cronJob)],
    },
    spec: structuredClone(template?.spec ?? ({} as NonNullable<Job['spec']>)),
  };
}

/** ref.GetReference of a created Job: what status.active lists. */
export function jobReference(job: Job): ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata?.name ?? '',
    namespace: job.metadata?.namespace ?? 'default',
    ...(job.metadata?.resourceVersion !== undefined && { resourceVersion: job.metadata.resourceVersion }),
    uid: job.metadata?.uid ?? '',
  };
}

/** syncCronJob after a create: the Job joins status.active and its time becomes lastScheduleTime. */
export function recordCreatedJob(status: CronJobStatus, job: Job, scheduledTime: number): CronJobStatus {
  const active = status.active ?? [];
  const uid = job.metadata?.uid;
  return {
    ...status,
    active: active.some((r) => r.uid === uid) ? active : [...active, jobReference(job)],
    lastScheduleTime: toRfc3339(scheduledTime),
  };
}

const parseTime = (s: string | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

type Missed = 'none' | 'few' | 'many';

interface RecentSchedule {
  earliest: number;
  mostRecent?: number;
  missed: Missed;
  error?: string;
}

/**
 * utils.go mostRecentScheduleTime: the latest scheduled time at or before `now` since the last one (or the
 * creation), counting — roughly, from the interval between the next two — how many were missed; with
 * `includeStartingDeadline`, nothing older than startingDeadlineSeconds counts.
 */
export function mostRecentScheduleTime(
  cronJob: CronJob,
  now: number,
  schedule: CronSchedule,
  zone: string,
  includeStartingDeadline: boolean,
): RecentSchedule {
  let earliest = parseTime(cronJob.metadata?.creationTimestamp) ?? 0;
  const last = parseTime(cronJob.status?.lastScheduleTime ?? undefined);
  if (last !== undefined) earliest = last;
  const deadline = cronJob.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined && deadline !== null) {
    const schedulingDeadline = now - deadline * 1000;
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const t1 = nextActivation(schedule, earliest, zone);
  const t2 = t1 === undefined ? undefined : nextActivation(schedule, t1, zone);
  if (t1 !== undefined && now < t1) return { earliest, missed: 'none' };
  if (t1 !== undefined && t2 !== undefined && now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = t1 !== undefined && t2 !== undefined ? Math.round((t2 - t1) / 1000) : 0;
  if (between < 1 || t1 === undefined)
    return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  const elapsed = Math.trunc((now - t1) / 1000);
  const missedCount = Math.floor(elapsed / between) + 1;
  // Start two intervals before the estimate and let the schedule walk forward: exact for irregular schedules
  // (`30 6-16/4 * * 1-5`) and for @every.
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  let mostRecent: number | undefined;
  for (let t = nextActivation(schedule, potentialEarliest, zone); t !== undefined && t <= now;) {
    mostRecent = t;
    t = nextActivation(schedule, t, zone);
  }
  const missed: Missed = missedCount > MANY_MISSED_SCHEDULES ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, missed, ...(mostRecent !== undefined && { mostRecent }) };
}

/** utils.go nextScheduleTimeDuration, as an instant: the next scheduled time after the most recent one, + delta. */
function nextRequeueAt(
  cronJob: CronJob,
  now: number,
  schedule: CronSchedule,
  zone: string,
): number | undefined {
  const r = mostRecentScheduleTime(cronJob, now, schedule, zone, false);
  const from = r.error !== undefined ? now : (r.mostRecent ?? r.earliest);
  const next = nextActivation(schedule, from, zone);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS;
}

/** Go's time.RFC1123Z of a UTC instant: `Sun, 08 Mar 2026 07:00:00 +0000`. */
function rfc1123z(at: number): string {
  const d = new Date(at);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** byJobStartTime: by status.startTime (none last), then by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = parseTime(a.status?.startTime);
  const sb = parseTime(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  return sa! - sb!;
}

const deletedEvent = (name: string): CronJobEventIntent => ({
  eventType: 'Normal',
  reason: 'SuccessfulDelete',
  message: `Deleted job ${name}`,
});

/**
 * One sync of a CronJob. `jobs` are the Jobs it controls (by uid). `now` is epoch ms; `defaultZone` is the zone of a
 * schedule without timeZone (DEFAULT_CRON_ZONE).
 */
export function syncCronJob(
  cronJob: CronJob,
  jobs: readonly Job[],
  now: number,
  defaultZone: string = DEFAULT_CRON_ZONE,
): CronJobSync {
  const status: CronJobStatus = structuredClone(cronJob.status ?? {});
  const events: CronJobEventIntent[] = [];
  const remove: CronJobSync['remove'] = [];
  const removed = new Set<string>();
  const dropActive = (uid: string | undefined): void => {
    if (!status.active) return;
    status.active = status.active.filter((r) => r.uid !== uid);
    if (status.active.length === 0) delete status.active;
  };
  const inActive = (uid: string | undefined): boolean => (status.active ?? []).some((r) => r.uid === uid);
  const removeJob = (job: Job): void => {
    const uid = job.metadata?.uid ?? '';
    if (removed.has(uid)) return;
    removed.add(uid);
    remove.push({ name: job.metadata?.name ?? '', uid, event: deletedEvent(job.metadata?.name ?? '') });
    dropActive(uid);
  };
  const done = (requeueAt?: number): CronJobSync => ({
    status,
    remove,
    events,
    ...(requeueAt !== undefined && { requeueAt }),
  });

  // cleanupFinishedJobs: the oldest finished Jobs beyond each history limit.
  const spec = cronJob.spec;
  if (
    spec &&
    (spec.successfulJobsHistoryLimit !== undefined || spec.failedJobsHistoryLimit !== undefined) &&
    cronJob.metadata?.deletionTimestamp === undefined
  ) {
    const prune = (finished: Job[], limit: number | undefined): void => {
      if (limit === undefined || limit === null) return;
      const excess = finished.length - limit;
      if (excess <= 0) return;
      [...finished].sort(byStartTime).slice(0, excess).forEach(removeJob);
    };
    prune(
      jobs.filter((j) => finishedConditionOf(j) === 'Complete'),
      spec.successfulJobsHistoryLimit,
    );
    prune(
      jobs.filter((j) => finishedConditionOf(j) === 'Failed'),
      spec.failedJobsHistoryLimit,
    );
  }

  // syncCronJob: the active list against the Jobs that exist.
  const present = new Set(jobs.map((j) => j.metadata?.uid));
  for (const j of jobs) {
    const uid = j.metadata?.uid;
    const finished = finishedConditionOf(j);
    const found = inActive(uid);
    if (!found && finished === undefined && !removed.has(uid ?? '')) {
      events.push({
        eventType: 'Warning',
        reason: 'UnexpectedJob',
        message: `Saw a job that the controller did not create or forgot: ${j.metadata?.name}`,
      });
    } else if (finished !== undefined) {
      if (found) {
        dropActive(uid);
        events.push({
          eventType: 'Normal',
          reason: 'SawCompletedJob',
          message: `Saw completed job: ${j.metadata?.name}, condition: ${finished}`,
        });
      }
      // A Job that succeeded need not be in the active list for its completion time to count.
      const completed = parseTime(j.status?.completionTime);
      const last = parseTime(status.lastSuccessfulTime);
      if (finished === 'Complete' && completed !== undefined && (last === undefined || completed > last))
        status.lastSuccessfulTime = j.status!.completionTime!;
    }
  }
  for (const ref of [...(status.active ?? [])]) {
    if (present.has(ref.uid)) continue;
    events.push({
      eventType: 'Normal',
      reason: 'MissingJob',
      message: `Active job went missing: ${ref.name}`,
    });
    dropActive(ref.uid);
  }

  if (cronJob.metadata?.deletionTimestamp !== undefined) return done();

  const zone = spec?.timeZone ?? defaultZone;
  if (spec?.timeZone !== undefined && !isKnownTimeZone(spec.timeZone)) {
    events.push({
      eventType: 'Warning',
      reason: 'UnknownTimeZone',
      message: `invalid timeZone: ${JSON.stringify(spec.timeZone)}: unknown time zone ${spec.timeZone}`,
    });
    return done();
  }
  if (spec?.suspend === true) return done();

  // formatSchedule: a TZ in the schedule wins (with a warning); otherwise the timeZone field's zone applies.
  const text = spec?.schedule ?? '';
  if (text.includes('TZ'))
    events.push({
      eventType: 'Warning',
      reason: 'UnsupportedSchedule',
      message: `CRON_TZ or TZ used in schedule ${JSON.stringify(text)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
    });
  const parsed = parseCronSchedule(text);
  if (!parsed.ok) {
    events.push({
      eventType: 'Warning',
      reason: 'UnparseableSchedule',
      message: `unparseable schedule: ${JSON.stringify(text)} : ${parsed.error}`,
    });
    return done();
  }
  const schedule = parsed.schedule;

  // nextScheduleTime.
  const recent = mostRecentScheduleTime(cronJob, now, schedule, zone, true);
  if (recent.error !== undefined && recent.mostRecent === undefined) {
    events.push({
      eventType: 'Warning',
      reason: 'InvalidSchedule',
      message: `invalid schedule: ${text} : ${recent.error}`,
    });
    return done();
  }
  const scheduledTime = recent.mostRecent;
  if (scheduledTime !== undefined && recent.missed === 'many')
    events.push({
      eventType: 'Warning',
      reason: 'TooManyMissedTimes',
      message:
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    });
  const withStatus = (): CronJob => ({ ...cronJob, status });
  if (scheduledTime === undefined || scheduledTime > now)
    return done(nextRequeueAt(withStatus(), now, schedule, zone));

  const deadline = spec?.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && scheduledTime + deadline * 1000 < now) {
    events.push({
      eventType: 'Warning',
      reason: 'MissSchedule',
      message: `Missed scheduled time to start a job: ${rfc1123z(scheduledTime)}`,
    });
    return done(nextRequeueAt(withStatus(), now, schedule, zone));
  }
  const name = jobNameFor(cronJob.metadata?.name ?? '', scheduledTime);
  if (
    (status.active ?? []).some((r) => r.name === name) ||
    parseTime(status.lastScheduleTime) === scheduledTime
  )
    return done(nextRequeueAt(withStatus(), now, schedule, zone));
  if (spec?.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
    events.push({
      eventType: 'Normal',
      reason: 'JobAlreadyActive',
      message: 'Not starting job because prior execution is running and concurrency policy is Forbid',
    });
    return done(nextRequeueAt(withStatus(), now, schedule, zone));
  }
  if (spec?.concurrencyPolicy === 'Replace') {
    const byUid = new Map(jobs.map((j) => [j.metadata?.uid, j]));
    for (const ref of [...(status.active ?? [])]) {
      const j = byUid.get(ref.uid);
      if (j) removeJob(j);
    }
  }
  const next = { ...withStatus(), status: { ...status, lastScheduleTime: toRfc3339(scheduledTime) } };
  return {
    ...done(nextRequeueAt(next, now, schedule, zone)),
    create: { job: jobForSchedule(cronJob, scheduledTime), scheduledTime },
  };
}
