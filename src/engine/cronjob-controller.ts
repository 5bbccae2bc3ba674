// The CronJob controller on the engine (pkg/controller/cronjob/cronjob_controllerv2.go), with the part of the garbage
// collector CronJobs need: the Jobs it creates are ordinary batch/v1 Jobs with a controller ownerReference, admitted
// as the API admits a Job and run by the Job controller (job-controller.ts). The decisions are the core's
// (core/cron/sync-cronjob.ts); this file reads the CronJob and the Jobs of its namespace, carries the decision out —
// Jobs deleted (Background) and created, status written conditionally, events recorded — and syncs again when
// something changes or when the next scheduled time comes.
//
// Level-triggered and durable without state of its own, as upstream's controller: the next run is computed from the
// stored `status.lastScheduleTime` (or the creation time), the schedule and now, so an engine that was stopped across
// scheduled times starts, at its first sync, the most recent one still within startingDeadlineSeconds — one Job, not
// one per missed time — and reports a MissSchedule when even that one is too late. The wake-up for the next time is
// an in-process timer that `syncAll` re-arms at engine start. Syncs of one CronJob run one at a time; a change during
// a sync makes exactly one more.
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { admitJob } from '../core/jobs/admit-job.ts';
import {
  DEFAULT_CRON_ZONE,
  isControlledByCronJob,
  recordCreatedJob,
  syncCronJob,
  type CronJobEventIntent,
} from '../core/cron/sync-cronjob.ts';
import { formatManifestFieldError } from '../core/manifest/manifest-field-errors.ts';
import type { Clock } from '../ports/clock.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../ports/errors.ts';
import type { ApiObject, ObjectKey, ObjectStore, StoredObject } from '../ports/object-store.ts';
import type { PodStore } from '../ports/pod-store.ts';
import { ownerDeleter, removeIfNoDependents, type PropagationPolicy } from './owner-deletion.ts';
import { recordEventWithRetry } from './record-event.ts';
import { canonical, createSyncQueue, type DurableTimer } from './sync-queue.ts';

export interface CronJobControllerDeps {
  store: Pick<PodStore, 'recordEvent'>;
  objects: ObjectStore;
  /** The Job controller's deletion (Background removes the Job, then its pods). */
  jobs: {
    deleteJob(namespace: string, name: string, policy: PropagationPolicy): Promise<unknown>;
  };
  clock: Clock;
  newUid: () => string;
  /** The zone of a schedule without spec.timeZone (default UTC: DEFAULT_CRON_ZONE). */
  defaultZone?: string;
  /** Timer functions (default: the host's); a test with a manual or scaled clock passes its own. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** The cloud: a next run no recurring schedule covers, armed as a durable wake-up (sync-queue.ts). */
  durableTimer?: DurableTimer;
  /** The cloud: the recurring schedule that fires each CronJob's syncs (EventBridge Scheduler). */
  schedules?: CronJobSchedules;
  onError: (err: unknown, context: string) => void;
}

/** One recurring schedule (or two) per CronJob that makes it sync at its scheduled times. */
export interface CronJobSchedules {
  /**
   * Makes the CronJob's recurring schedule match its spec (expression, time zone, suspend). False when its schedule
   * has no recurring form (an `@every` interval, an expression too long): the controller then arms its next run.
   */
  put(cronJob: CronJob): Promise<boolean>;
  /** Deletes the CronJob's recurring schedule; nothing to delete is fine. */
  remove(namespace: string, name: string): Promise<void>;
}

export type CronJobController = ReturnType<typeof createCronJobController>;

export const cronJobKey = (namespace: string, name: string): ObjectKey => ({
  kind: 'CronJob',
  namespace,
  name,
});
const keyText = (namespace: string, name: string): string => `${namespace}/${name}`;

/** The CronJob a Job names as controller, if any. */
export const cronJobOwnerOf = (job: Pick<Job, 'metadata'>): string | undefined => {
  const ref = (job.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  return ref?.kind === 'CronJob' ? ref.name : undefined;
};

export function createCronJobController(deps: CronJobControllerDeps) {
  const queue = createSyncQueue({
    sync: (namespace, name) => syncOnce(namespace, name),
    clock: deps.clock,
    ...(deps.setTimer && { setTimer: deps.setTimer }),
    ...(deps.clearTimer && { clearTimer: deps.clearTimer }),
    ...(deps.durableTimer && { durableTimer: deps.durableTimer }),
    onError: deps.onError,
    what: 'cronjob',
  });
  const { enqueue, arm } = queue;
  const zone = deps.defaultZone ?? DEFAULT_CRON_ZONE;
  /** The controlling CronJob's name of each Job seen, for its removal. */
  const jobOwners = new Map<string, string>();
  let eventSeq = 0;

  const recordEvent = async (cronJob: CronJob, e: CronJobEventIntent): Promise<void> => {
    const now = deps.clock.now();
    const namespace = cronJob.metadata?.namespace ?? 'default';
    await recordEventWithRetry(deps.store, {
      namespace,
      involvedObject: {
        kind: 'CronJob',
        namespace,
        name: cronJob.metadata?.name ?? '',
        ...(cronJob.metadata?.uid ? { uid: cronJob.metadata.uid } : {}),
      },
      type: e.eventType,
      reason: e.reason,
      message: e.message,
      source: { component: 'cronjob-controller' },
      at: now,
      occurrence: `cronjob/${cronJob.metadata?.uid ?? ''}/${now}/${eventSeq++}`,
    }).catch((err: unknown) => deps.onError(err, `cronjob ${cronJob.metadata?.name}: event ${e.reason}`));
  };

  /** The garbage collector for the Jobs whose controlling CronJob `name` (by uid) is gone: deleted, Background. */
  const collectOrphans = async (
    namespace: string,
    name: string,
    live: CronJob | undefined,
  ): Promise<void> => {
    const { items } = await deps.objects.list('Job', namespace);
    for (const s of items) {
      const job = s.object as Job;
      const ref = (job.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
      if (ref?.kind !== 'CronJob' || ref.name !== name || ref.uid === live?.metadata?.uid) continue;
      await deps.jobs
        .deleteJob(namespace, s.key.name, 'Background')
        .catch((err: unknown) => deps.onError(err, `deleting job ${namespace}/${s.key.name}`));
    }
  };

  /** Admits and stores the Job of a scheduled time; the stored Job, or undefined when none was made. */
  const createJob = async (cronJob: CronJob, job: Job): Promise<Job | undefined> => {
    const namespace = cronJob.metadata?.namespace ?? 'default';
    const admitted = admitJob(job, { now: deps.clock.now(), newUid: deps.newUid, namespace });
    if (!admitted.ok) {
      await recordEvent(cronJob, {
        eventType: 'Warning',
        reason: 'FailedCreate',
        message: `Error creating job: Job.batch "${job.metadata?.name}" is invalid: ${admitted.errors.map(formatManifestFieldError).join(', ')}`,
      });
      return undefined;
    }
    try {
      const created = await deps.objects.create(admitted.object as unknown as ApiObject);
      await recordEvent(cronJob, {
        eventType: 'Normal',
        reason: 'SuccessfulCreate',
        message: `Created job ${created.key.name}`,
      });
      return withVersion(created);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        await recordEvent(cronJob, {
          eventType: 'Warning',
          reason: 'FailedCreate',
          message: `Error creating job: ${err instanceof Error ? err.message : String(err)}`,
        });
        return undefined;
      }
      // Made by an earlier sync whose status write was lost: adopted only if this CronJob controls it.
      const existing = await deps.objects.get({ kind: 'Job', namespace, name: job.metadata?.name ?? '' });
      const found = existing ? withVersion(existing) : undefined;
      return found && isControlledByCronJob(found, cronJob) ? found : undefined;
    }
  };

  const withVersion = (s: StoredObject): Job =>
    ({ ...s.object, metadata: { ...s.object.metadata, resourceVersion: s.resourceVersion } }) as Job;

  /** One pass over one CronJob. */
  const syncOnce = async (namespace: string, name: string): Promise<void> => {
    const stored = await deps.objects.get(cronJobKey(namespace, name));
    const cronJob = stored?.object as CronJob | undefined;
    await collectOrphans(namespace, name, cronJob);
    if (!stored || !cronJob) {
      await deps.schedules?.remove(namespace, name);
      arm(namespace, name, undefined);
      return;
    }
    const { items } = await deps.objects.list('Job', namespace);
    const jobs = items.map(withVersion).filter((j) => isControlledByCronJob(j, cronJob));
    for (const j of jobs) jobOwners.set(keyText(namespace, j.metadata?.name ?? ''), name);
    if (cronJob.metadata?.deletionTimestamp !== undefined) {
      // Foreground deletion: no more runs; the Jobs first (each in the foreground too, as the garbage collector
      // deletes the dependents of an owner waiting for them), then the CronJob once the last one is gone.
      await deps.schedules?.remove(namespace, name);
      arm(namespace, name, undefined);
      for (const j of jobs)
        await deps.jobs
          .deleteJob(namespace, j.metadata?.name ?? '', 'Foreground')
          .catch((err: unknown) => deps.onError(err, `deleting job ${namespace}/${j.metadata?.name}`));
      await removeIfNoDependents(deps.objects, stored, jobs.length);
      return;
    }
    // First, so that a spec change reaches the schedule even when a later step fails.
    const recurring = deps.schedules ? await deps.schedules.put(cronJob) : false;
    const decision = syncCronJob(cronJob, jobs, deps.clock.now(), zone);
    let status = decision.status;
    for (const r of decision.remove) {
      try {
        await deps.jobs.deleteJob(namespace, r.name, 'Background');
        await recordEvent(cronJob, r.event);
      } catch (err) {
        await recordEvent(cronJob, {
          eventType: 'Warning',
          reason: 'FailedDelete',
          message: `Deleted job: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    for (const e of decision.events) await recordEvent(cronJob, e);
    if (decision.create) {
      const created = await createJob(cronJob, decision.create.job);
      if (created) {
        jobOwners.set(keyText(namespace, created.metadata?.name ?? ''), name);
        status = recordCreatedJob(status, created, decision.create.scheduledTime);
      }
    }
    if (canonical(status) !== canonical(cronJob.status ?? {})) {
      try {
        await deps.objects.update(stored.key, stored.resourceVersion, { ...cronJob, status } as ApiObject);
      } catch (err) {
        // Someone else wrote the CronJob meanwhile: its change triggers the next sync.
        if (isConflict(err) || isNotFound(err)) return;
        throw err;
      }
    }
    arm(namespace, name, recurring ? undefined : decision.requeueAt);
  };

  return {
    enqueue,

    /**
     * DELETE of a CronJob with a propagation policy (owner-deletion.ts). batch/v1 deletes the Jobs by default
     * (pkg/registry/batch/cronjob/strategy.go DefaultGarbageCollectionPolicy: DeleteDependents): Background, unless
     * the request says otherwise.
     */
    deleteCronJob: ownerDeleter({
      kind: 'CronJob',
      objects: deps.objects,
      clock: deps.clock,
      orphanDependents: async (cronJob) => {
        for (const name of await orphanCronJobJobs(deps.objects, cronJob as CronJob))
          jobOwners.delete(keyText(cronJob.metadata?.namespace ?? 'default', name));
      },
      queue,
    }),

    /** A Job was written or removed: its controlling CronJob (if any) syncs (addJob/updateJob/deleteJob upstream). */
    onJobChange(
      change: { type: 'created' | 'updated'; object: StoredObject } | { type: 'removed'; key: ObjectKey },
    ): void {
      if (change.type === 'removed') {
        const k = keyText(change.key.namespace, change.key.name);
        const owner = jobOwners.get(k);
        jobOwners.delete(k);
        if (owner) enqueue(change.key.namespace, owner);
        return;
      }
      const owner = cronJobOwnerOf(change.object.object as Job);
      if (!owner) return;
      jobOwners.set(keyText(change.object.key.namespace, change.object.key.name), owner);
      enqueue(change.object.key.namespace, owner);
    },

    /** At engine start: every CronJob syncs (a missed schedule caught up, the next wake-up armed). */
    async syncAll(): Promise<void> {
      const { items } = await deps.objects.list('CronJob');
      for (const c of items) enqueue(c.key.namespace, c.key.name);
      const { items: jobs } = await deps.objects.list('Job');
      const owners = new Set(items.map((c) => keyText(c.key.namespace, c.key.name)));
      for (const s of jobs) {
        const owner = cronJobOwnerOf(s.object as Job);
        if (!owner) continue;
        jobOwners.set(keyText(s.key.namespace, s.key.name), owner);
        // A CronJob deleted while no engine ran: its Jobs are collected.
        if (!owners.has(keyText(s.key.namespace, owner))) enqueue(s.key.namespace, owner);
      }
    },

    /** When the CronJob's next sync is armed for (tests). */
    nextWakeup(namespace: string, name: string): number | undefined {
      return queue.armedAt(namespace, name);
    },

    /** Resolves once no sync is running (tests, shutdown). */
    idle: queue.idle,

    busy: queue.busy,

    close: queue.close,
  };
}

/**
 * The garbage collector's orphaning of a CronJob's Jobs: its controller reference is taken off each of them; the
 * names of the Jobs orphaned. Also what the cloud API runs for a DELETE with propagationPolicy Orphan, where the
 * controller runs in another function.
 */
export async function orphanCronJobJobs(
  objects: Pick<ObjectStore, 'list' | 'update'>,
  cronJob: CronJob,
): Promise<string[]> {
  const namespace = cronJob.metadata?.namespace ?? 'default';
  const { items } = await objects.list('Job', namespace);
  const orphaned: string[] = [];
  for (const s of items) {
    if (!isControlledByCronJob(s.object as Job, cronJob)) continue;
    const refs = (s.object.metadata?.ownerReferences ?? []).filter((r) => r.uid !== cronJob.metadata?.uid);
    const { ownerReferences: _, ...rest } = s.object.metadata ?? {};
    const metadata = refs.length > 0 ? { ...rest, ownerReferences: refs } : rest;
    orphaned.push(s.key.name);
    // A Job changed or removed meanwhile is the caller's retry (a conflict), as a patch of the GC would be.
    await objects
      .update(s.key, s.resourceVersion, { ...s.object, metadata } as ApiObject)
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }
  return orphaned;
}
