// The Job controller on the engine (pkg/controller/job/job_controller.go), with the parts of the garbage collector
// (pkg/controller/garbagecollector) and the TTL-after-finished controller a Job needs: each pod a Job runs is an
// ordinary podflow pod, created and deleted through the engine's own use cases, with a controller ownerReference.
// The decisions are the core's (core/jobs/sync-job.ts); this file reads the Job and its namespace's pods, carries the
// decision out — pods created and deleted, status written conditionally, events recorded — and syncs again when
// something changes.
//
// Level-triggered and durable without state of its own: everything a sync needs is in the store (the Job, its pods,
// their finish times), so a sync after an engine restart decides what the one before it would have. Syncs of one
// Job run one at a time; a change during a sync makes one more. What triggers a sync: a Job written, a pod the Job
// controls changed or removed, a timer the last decision asked for (the end of a back-off, the active deadline, the
// TTL) and, at engine start, `syncAll` — which also re-arms those timers, as the upstream controller's resync does.
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { controllerOf, isControlledBy, podForJob } from '../core/jobs/job-pod.ts';
import { syncJob, type JobBackoffSettings, type JobEventIntent } from '../core/jobs/sync-job.ts';
import { defaultPod } from '../core/manifest/default-pod.ts';
import { validatePod } from '../core/manifest/validate-pod.ts';
import { formatManifestFieldError } from '../core/manifest/manifest-field-errors.ts';
import type { Clock } from '../ports/clock.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../ports/errors.ts';
import type { ApiObject, ObjectKey, ObjectStore } from '../ports/object-store.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { PodStore, StoredPod } from '../ports/pod-store.ts';
import { ownerDeleter, removeIfNoDependents } from './owner-deletion.ts';
import { recordEventWithRetry } from './record-event.ts';
import { canonical, createSyncQueue, type DurableTimer } from './sync-queue.ts';

export interface JobControllerDeps {
  store: Pick<PodStore, 'list' | 'get' | 'recordEvent'>;
  objects: ObjectStore;
  /** The engine's pod use cases (create-engine.ts). */
  pods: {
    createPod(pod: Pod): Promise<StoredPod>;
    deletePod(key: PodKey, gracePeriodSeconds?: number): Promise<void>;
    updatePod(key: PodKey, next: Pod, expectedResourceVersion?: string): Promise<StoredPod>;
  };
  clock: Clock;
  /** The pod re-creation back-off (10 s doubling to 6 min; scaled down in tests). */
  backoff: JobBackoffSettings;
  newUid: () => string;
  /** Timer functions (default: the host's). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** The cloud: the end of a back-off, the deadline and the TTL armed as durable wake-ups (sync-queue.ts). */
  durableTimer?: DurableTimer;
  onError: (err: unknown, context: string) => void;
}

export type JobController = ReturnType<typeof createJobController>;

export const jobKey = (namespace: string, name: string): ObjectKey => ({ kind: 'Job', namespace, name });
const keyText = (namespace: string, name: string): string => `${namespace}/${name}`;

/** The pod object as the API serves it (its status included), for the core's decisions. */
const podOf = (s: StoredPod): Pod => s.state.pod as Pod;
const isServed = (s: StoredPod): boolean => s.state.engine.removedFromApi !== true;

/** The Job a pod names as owner: its controller, else its first Job owner. */
export const jobOwnerOf = (pod: Pod): OwnerReference | undefined => {
  const ref = controllerOf(pod);
  if (ref?.kind === 'Job') return ref;
  return (pod.metadata?.ownerReferences ?? []).find((r) => r.kind === 'Job');
};

export function createJobController(deps: JobControllerDeps) {
  const queue = createSyncQueue({
    sync: (namespace, name) => syncOnce(namespace, name),
    clock: deps.clock,
    ...(deps.setTimer && { setTimer: deps.setTimer }),
    ...(deps.clearTimer && { clearTimer: deps.clearTimer }),
    ...(deps.durableTimer && { durableTimer: deps.durableTimer }),
    onError: deps.onError,
    what: 'job',
  });
  const { enqueue, arm } = queue;
  /** The controlling Job's name of each pod seen, for its removal. */
  const podOwners = new Map<string, string>();
  let eventSeq = 0;

  const recordEvent = async (job: Job, e: JobEventIntent): Promise<void> => {
    const now = deps.clock.now();
    await recordEventWithRetry(deps.store, {
      namespace: job.metadata?.namespace ?? 'default',
      involvedObject: {
        kind: 'Job',
        namespace: job.metadata?.namespace ?? 'default',
        name: job.metadata?.name ?? '',
        ...(job.metadata?.uid ? { uid: job.metadata.uid } : {}),
      },
      type: e.eventType,
      reason: e.reason,
      message: e.message,
      source: { component: 'job-controller' },
      at: now,
      occurrence: `job/${job.metadata?.uid ?? ''}/${now}/${eventSeq++}`,
    }).catch((err: unknown) => deps.onError(err, `job ${job.metadata?.name}: event ${e.reason}`));
  };

  const deletePods = async (pods: readonly StoredPod[], job: Job | undefined): Promise<void> => {
    for (const p of pods) {
      if (p.state.pod.metadata.deletionTimestamp !== undefined) continue;
      try {
        await deps.pods.deletePod(p.key);
        if (job)
          await recordEvent(job, {
            eventType: 'Normal',
            reason: 'SuccessfulDelete',
            message: `Deleted pod: ${p.key.name}`,
          });
      } catch (err) {
        if (!isNotFound(err)) deps.onError(err, `deleting pod ${p.key.namespace}/${p.key.name}`);
      }
    }
  };

  /** Creates one pod of the Job (a generated name that is taken gets a new one). */
  const createPod = async (job: Job, index: number | undefined): Promise<void> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const pod = defaultPod(podForJob(job, index), { now: deps.clock.now(), newUid: deps.newUid });
      const errors = validatePod(pod);
      if (errors.length > 0) {
        await recordEvent(job, {
          eventType: 'Warning',
          reason: 'FailedCreate',
          message: `Error creating: Pod "${pod.metadata?.name}" is invalid: ${errors.map(formatManifestFieldError).join(', ')}`,
        });
        return;
      }
      try {
        const stored = await deps.pods.createPod(pod);
        await recordEvent(job, {
          eventType: 'Normal',
          reason: 'SuccessfulCreate',
          message: `Created pod: ${stored.key.name}`,
        });
        return;
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        await recordEvent(job, {
          eventType: 'Warning',
          reason: 'FailedCreate',
          message: `Error creating: ${err instanceof Error ? err.message : String(err)}`,
        });
        return;
      }
    }
  };

  /**
   * The garbage collector for the pods that name a Job `name` among their owners while that Job (by uid) is gone:
   * a pod all of whose owners are gone is deleted; one with an owner left loses the dangling reference
   * (pkg/controller/garbagecollector/garbagecollector.go attemptToDeleteItem). Owners of other kinds are taken to
   * exist: podflow cannot look them up.
   */
  const collectOrphans = async (namespace: string, name: string, live: Job | undefined): Promise<void> => {
    const { items } = await deps.store.list(namespace);
    const refersTo = (r: OwnerReference): boolean => r.kind === 'Job' && r.name === name;
    const candidates = items.filter(
      (s) =>
        isServed(s) &&
        (s.state.pod.metadata.ownerReferences ?? []).some(
          (r) => refersTo(r) && r.uid !== live?.metadata?.uid,
        ),
    );
    const gone = new Map<string, boolean>();
    const isGone = async (r: OwnerReference): Promise<boolean> => {
      if (r.kind !== 'Job') return false;
      if (!gone.has(r.uid)) {
        const found = await deps.objects.get(jobKey(namespace, r.name));
        gone.set(r.uid, found?.object.metadata?.uid !== r.uid);
      }
      return gone.get(r.uid)!;
    };
    for (const s of candidates) {
      const refs = s.state.pod.metadata.ownerReferences ?? [];
      const dangling: OwnerReference[] = [];
      for (const r of refs) if (await isGone(r)) dangling.push(r);
      if (dangling.length === 0) continue;
      if (dangling.length === refs.length) {
        await deletePods([s], undefined);
        continue;
      }
      const kept = refs.filter((r) => !dangling.includes(r));
      await deps.pods
        .updatePod(s.key, {
          ...s.state.pod,
          metadata: { ...s.state.pod.metadata, ownerReferences: kept },
        } as Pod)
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
  };

  /** One pass over one Job. */
  const syncOnce = async (namespace: string, name: string): Promise<void> => {
    const stored = await deps.objects.get(jobKey(namespace, name));
    const job = stored?.object as Job | undefined;
    await collectOrphans(namespace, name, job);
    if (!stored || !job) {
      arm(namespace, name, undefined);
      return;
    }
    const { items } = await deps.store.list(namespace);
    const owned = items.filter((s) => isServed(s) && isControlledBy(podOf(s), job));
    if (job.metadata?.deletionTimestamp !== undefined) {
      // Foreground deletion: the dependents first, then the owner.
      await deletePods(owned, job);
      await removeIfNoDependents(deps.objects, stored, owned.length);
      return;
    }
    const decision = syncJob(job, owned.map(podOf), deps.clock.now(), deps.backoff);
    const byName = new Map(owned.map((s) => [s.key.name, s]));
    await deletePods(
      decision.remove.map((n) => byName.get(n)).filter((s) => s !== undefined),
      job,
    );
    for (const c of decision.create) await createPod(job, c.index);
    if (canonical(decision.status) !== canonical(job.status ?? {})) {
      try {
        await deps.objects.update(stored.key, stored.resourceVersion, {
          ...job,
          status: decision.status,
        } as ApiObject);
      } catch (err) {
        // Someone else wrote the Job meanwhile: its change triggers the next sync.
        if (isConflict(err) || isNotFound(err)) return;
        throw err;
      }
    }
    for (const e of decision.events) await recordEvent(job, e);
    if (decision.expired) {
      await deleteJob(namespace, name, 'Foreground');
      return;
    }
    arm(namespace, name, decision.requeueAt);
  };

  /**
   * Deletes a Job with a propagation policy (owner-deletion.ts): Orphan takes its controller reference off its pods,
   * Background removes its pods after it, Foreground leaves it marked until its pods are gone (syncOnce).
   */
  const deleteJob = ownerDeleter({
    kind: 'Job',
    objects: deps.objects,
    clock: deps.clock,
    orphanDependents: (job) => orphanJobPods(deps, job as Job),
    queue,
  });

  return {
    enqueue,
    deleteJob,

    /**
     * A pod was written or removed: its controlling Job (if any) syncs. A removal names only the key, so the owner
     * of each pod seen is remembered.
     */
    onPodChange(
      change: { type: 'created' | 'updated'; pod: StoredPod } | { type: 'removed'; key: PodKey },
    ): void {
      if (change.type === 'removed') {
        const k = keyText(change.key.namespace, change.key.name);
        const owner = podOwners.get(k);
        podOwners.delete(k);
        if (owner) enqueue(change.key.namespace, owner);
        return;
      }
      const ref = jobOwnerOf(podOf(change.pod));
      if (!ref) return;
      podOwners.set(keyText(change.pod.key.namespace, change.pod.key.name), ref.name);
      enqueue(change.pod.key.namespace, ref.name);
    },

    /**
     * At engine start: every Job syncs (timers re-armed, pods that finished while no engine ran counted), and pods
     * whose Job is gone are collected (a Background deletion the last process did not finish).
     */
    async syncAll(): Promise<void> {
      const { items: jobs } = await deps.objects.list('Job');
      const owners = new Set(jobs.map((j) => keyText(j.key.namespace, j.key.name)));
      for (const j of jobs) enqueue(j.key.namespace, j.key.name);
      const { items: pods } = await deps.store.list();
      for (const s of pods) {
        const ref = jobOwnerOf(podOf(s));
        if (ref) podOwners.set(keyText(s.key.namespace, s.key.name), ref.name);
        if (ref && !owners.has(keyText(s.key.namespace, ref.name))) enqueue(s.key.namespace, ref.name);
      }
    },

    /** Resolves once no sync is running (tests, shutdown). */
    idle: queue.idle,

    busy: queue.busy,

    close: queue.close,
  };
}

/**
 * The garbage collector's orphaning of a Job's pods: the Job's ownerReference is taken off each of them. Also what
 * the cloud API runs for a DELETE with propagationPolicy Orphan, where the controller runs in another function.
 */
export async function orphanJobPods(
  deps: { store: Pick<PodStore, 'list'>; pods: Pick<JobControllerDeps['pods'], 'updatePod'> },
  job: Job,
): Promise<void> {
  const { items } = await deps.store.list(job.metadata?.namespace ?? 'default');
  for (const s of items) {
    if (!isServed(s) || !isControlledBy(podOf(s), job)) continue;
    const pod = s.state.pod;
    const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== job.metadata?.uid);
    const metadata = { ...pod.metadata, ownerReferences: refs.length > 0 ? refs : undefined };
    try {
      await deps.pods.updatePod(s.key, { ...pod, metadata } as Pod);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
