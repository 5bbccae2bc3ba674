// The Job controller's decision for one Job, from the Job and the pods it controls, at `now` — pure, replayable:
// pkg/controller/job/job_controller.go syncJob and manageJob, backoff_utils.go (the pod re-creation back-off),
// indexed_job_utils.go (completion indexes, backoffLimitPerIndex), pod_failure_policy.go and success_policy.go.
// The engine carries the decision out (engine/job-controller.ts): it writes the status, creates and deletes pods,
// records the events and syncs the Job again at `requeueAt`.
//
// Counting: podflow counts from the pods themselves (a Succeeded pod, a Failed pod that was not deleted), never
// below what the status already counts. Upstream tracks each pod with the batch.kubernetes.io/job-tracking finalizer
// so that a finished pod removed by hand stays counted; podflow adds no finalizer (docs/decisions/0011-jobs.md).
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { toRfc3339 } from '../time.ts';
import { formatIndexes, parseIndexes } from './indexes.ts';
import { completionIndexOf, isControlledBy } from './job-pod.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';

/** job_controller.go DefaultJobPodFailureBackOff: the first re-creation delay after a failure. */
export const DEFAULT_JOB_POD_FAILURE_BACKOFF_MS = 10_000;
/** The cap of the doubling delay: "capped at six minutes" (Job concepts, "Pod backoff failure policy"). */
export const MAX_JOB_POD_FAILURE_BACKOFF_MS = 360_000;

export interface JobBackoffSettings {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_JOB_BACKOFF: JobBackoffSettings = {
  initialMs: DEFAULT_JOB_POD_FAILURE_BACKOFF_MS,
  maxMs: MAX_JOB_POD_FAILURE_BACKOFF_MS,
};

/** batch/v1 condition types and the controller's reasons (pkg/apis/batch/types.go JobReason*). */
export const JOB_REASONS = {
  backoffLimitExceeded: 'BackoffLimitExceeded',
  deadlineExceeded: 'DeadlineExceeded',
  podFailurePolicy: 'PodFailurePolicy',
  failedIndexes: 'FailedIndexes',
  maxFailedIndexesExceeded: 'MaxFailedIndexesExceeded',
  successPolicy: 'SuccessPolicy',
  completionsReached: 'CompletionsReached',
} as const;

export interface JobEventIntent {
  eventType: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobSync {
  /** The status to store (equal to the current one when nothing changed). */
  status: JobStatus;
  /** Pods to create: one entry per pod, with its completion index in Indexed mode. */
  create: Array<{ index?: number }>;
  /** Names of active pods to delete (a finished or suspended Job, parallelism lowered). */
  remove: string[];
  /** When the Job must be synced again (the end of a back-off, the active deadline, the TTL). */
  requeueAt?: number;
  /** ttlSecondsAfterFinished has passed: the Job is to be deleted with its pods. */
  expired: boolean;
  events: JobEventIntent[];
}

const isFinishedPod = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const isDeleting = (p: Pod): boolean => p.metadata?.deletionTimestamp !== undefined;
const isActivePod = (p: Pod): boolean => !isFinishedPod(p) && !isDeleting(p);
const isReadyPod = (p: Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

const parseTime = (s: string | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

/** backoff_utils.go getFinishedTime: the latest container finish, else the Ready condition's change, else creation. */
export function podFinishedAt(pod: Pod): number {
  let latest: number | undefined;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const t = parseTime(s.state?.terminated?.finishedAt);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  if (latest !== undefined) return latest;
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return parseTime(ready?.lastTransitionTime) ?? parseTime(pod.metadata?.creationTimestamp) ?? 0;
}

/**
 * backoff_utils.go newBackoffRecord + getRemainingTimeForFailuresCount: the failures since the last success (by
 * finish time) make the delay `initial · 2^(n-1)`, capped; what is left of it since the last failure.
 */
export function remainingBackoffMs(
  finished: ReadonlyArray<{ at: number; failed: boolean }>,
  now: number,
  settings: JobBackoffSettings,
): number {
  const sorted = [...finished].sort((a, b) => a.at - b.at);
  let failures = 0;
  let lastFailure: number | undefined;
  for (const f of sorted) {
    if (f.failed) {
      failures++;
      lastFailure = f.at;
    } else {
      failures = 0;
      lastFailure = undefined;
    }
  }
  if (failures === 0 || lastFailure === undefined) return 0;
  let delay = settings.initialMs;
  for (let i = 1; i < failures; i++) {
    delay *= 2;
    if (delay >= settings.maxMs) {
      delay = settings.maxMs;
      break;
    }
  }
  delay = Math.min(delay, settings.maxMs);
  const elapsed = now - lastFailure;
  return delay < elapsed ? 0 : delay - elapsed;
}

const findCondition = (status: JobStatus, type: string): JobCondition | undefined =>
  (status.conditions ?? []).find((c) => c.type === type);

const isTrue = (status: JobStatus, type: string): boolean => findCondition(status, type)?.status === 'True';

/** A Job is finished once it has a Complete or Failed condition that is True (IsJobFinished). */
export const isJobFinished = (job: Job): boolean =>
  isTrue(job.status ?? {}, 'Complete') || isTrue(job.status ?? {}, 'Failed');

const newCondition = (type: string, reason: string, message: string, now: number): JobCondition => ({
  type,
  status: 'True',
  reason,
  message,
  lastProbeTime: toRfc3339(now),
  lastTransitionTime: toRfc3339(now),
});

/**
 * ensureJobConditionStatus: sets a condition's status (a new transition time when it changes, a new probe time when
 * only the reason or message does); a False condition that does not exist is not added. True when it changed.
 */
function ensureCondition(
  status: JobStatus,
  type: string,
  value: 'True' | 'False',
  reason: string,
  message: string,
  now: number,
): boolean {
  const conditions = status.conditions ?? [];
  const existing = conditions.find((c) => c.type === type);
  if (!existing) {
    if (value === 'False') return false;
    status.conditions = [...conditions, newCondition(type, reason, message, now)];
    return true;
  }
  if (existing.status === value && existing.reason === reason && existing.message === message) return false;
  const updated: JobCondition = {
    ...existing,
    status: value,
    reason,
    message,
    lastProbeTime: toRfc3339(now),
    ...(existing.status !== value ? { lastTransitionTime: toRfc3339(now) } : {}),
  };
  status.conditions = conditions.map((c) => (c === existing ? updated : c));
  return true;
}

/** success_policy.go matchSuccessPolicy: the first rule the succeeded indexes satisfy. */
export function matchSuccessPolicy(
  job: Job,
  succeeded: ReadonlySet<number>,
): { message: string } | undefined {
  const completions = job.spec?.completions ?? 0;
  for (const [index, rule] of (job.spec?.successPolicy?.rules ?? []).entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      if (required.size === 0) continue;
      const matched = [...required].filter((i) => succeeded.has(i)).length;
      if (matched === 0) continue;
      if (
        (rule.succeededCount === undefined && matched === required.size) ||
        (rule.succeededCount !== undefined && matched >= rule.succeededCount)
      )
        return { message: `Matched rules at index ${index}` };
    } else if (rule.succeededCount !== undefined && succeeded.size >= rule.succeededCount) {
      return { message: `Matched rules at index ${index}` };
    }
  }
  return undefined;
}

/** pastBackoffLimitOnFailure: with restartPolicy OnFailure, container restarts of running pods count. */
function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])])
      restarts += s.restartCount;
  }
  const limit = job.spec.backoffLimit ?? 0;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

const minDefined = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/** The TTL-after-finished controller's part (pkg/controller/ttlafterfinished): expiry from the finish time. */
function ttlDecision(job: Job, now: number): { expired: boolean; requeueAt?: number } {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined) return { expired: false };
  const status = job.status ?? {};
  const finished = (status.conditions ?? []).find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  const at = parseTime(finished?.lastTransitionTime) ?? parseTime(status.completionTime);
  if (at === undefined) return { expired: false };
  const expireAt = at + ttl * 1000;
  return now >= expireAt ? { expired: true } : { expired: false, requeueAt: expireAt };
}

/** syncJob for one Job (not being deleted) and the pods of its namespace. */
export function syncJob(
  job: Job,
  namespacePods: readonly Pod[],
  now: number,
  backoff: JobBackoffSettings,
): JobSync {
  const spec = job.spec!;
  const prev: JobStatus = job.status ?? {};
  const pods = namespacePods.filter((p) => isControlledBy(p, job));
  const active = pods.filter(isActivePod);
  const terminating = pods.filter((p) => !isFinishedPod(p) && isDeleting(p));

  if (isJobFinished(job)) {
    // A finished Job keeps its status; pods still running (a restart mid-finish) are deleted; only the TTL is left.
    return {
      status: prev,
      create: [],
      remove: active.map((p) => p.metadata!.name!),
      events: [],
      ...ttlDecision(job, now),
    };
  }

  const status: JobStatus = structuredClone(prev);
  const events: JobEventIntent[] = [];
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions;
  const parallelism = spec.parallelism ?? 1;
  const suspended = spec.suspend === true;
  let requeueAt: number | undefined;

  // Counting, with the pod failure policy (ordered by finish time, as the controller meets them).
  const finished = pods
    .filter(isFinishedPod)
    .map((p) => ({ pod: p, at: podFinishedAt(p) }))
    .sort((a, b) => a.at - b.at);
  let failedCount = 0;
  let failJobMessage: string | undefined;
  const failuresByIndex = new Map<number, Array<{ at: number; failed: boolean }>>();
  const failIndexes = new Set<number>();
  const outcomes: Array<{ at: number; failed: boolean }> = [];
  const succeededIndexes = parseIndexes(prev.completedIndexes, completions ?? 0);
  let succeededCount = 0;
  for (const { pod, at } of finished) {
    const index = indexed ? completionIndexOf(pod) : undefined;
    if (pod.status?.phase === 'Succeeded') {
      succeededCount++;
      if (index !== undefined && index < (completions ?? 0)) succeededIndexes.add(index);
      outcomes.push({ at, failed: false });
      continue;
    }
    // A pod ended by its deletion (suspend, a parallelism decrease, a user's delete) is not the workload failing.
    if (isDeleting(pod)) continue;
    const match = matchPodFailurePolicy(spec.podFailurePolicy, pod);
    if (match.action === 'FailJob' && failJobMessage === undefined) failJobMessage = match.message;
    if (match.action === 'FailIndex' && index !== undefined) failIndexes.add(index);
    if (!match.countFailed) continue;
    failedCount++;
    outcomes.push({ at, failed: true });
    if (index !== undefined) {
      const list = failuresByIndex.get(index) ?? [];
      list.push({ at, failed: true });
      failuresByIndex.set(index, list);
    }
  }
  status.failed = Math.max(prev.failed ?? 0, failedCount);
  status.succeeded = indexed
    ? Math.max(prev.succeeded ?? 0, succeededIndexes.size)
    : Math.max(prev.succeeded ?? 0, succeededCount);
  if (indexed) status.completedIndexes = formatIndexes(succeededIndexes);

  // backoffLimitPerIndex: an index whose counted failures exceed the limit, or a FailIndex match, is failed.
  const perIndexLimit = spec.backoffLimitPerIndex;
  const failedIndexes = parseIndexes(prev.failedIndexes, completions ?? 0);
  if (indexed && perIndexLimit !== undefined) {
    for (const [index, list] of failuresByIndex) if (list.length > perIndexLimit) failedIndexes.add(index);
    for (const index of failIndexes) failedIndexes.add(index);
    for (const index of succeededIndexes) failedIndexes.delete(index);
    status.failedIndexes = formatIndexes(failedIndexes);
  }

  if (status.startTime === undefined && !suspended) status.startTime = toRfc3339(now);
  const startTime = parseTime(status.startTime);

  // The interim condition that decides the Job's end: FailureTarget or SuccessCriteriaMet (delayTerminalCondition).
  let finishing = (status.conditions ?? []).find(
    (c) => (c.type === 'FailureTarget' || c.type === 'SuccessCriteriaMet') && c.status === 'True',
  );
  const fail = (reason: string, message: string): void => {
    finishing = newCondition('FailureTarget', reason, message, now);
  };
  if (!finishing && failJobMessage !== undefined) fail(JOB_REASONS.podFailurePolicy, failJobMessage);
  if (!finishing) {
    if (status.failed > (spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
      fail(JOB_REASONS.backoffLimitExceeded, 'Job has reached the specified backoff limit');
    } else if (
      spec.activeDeadlineSeconds !== undefined &&
      !suspended &&
      startTime !== undefined &&
      now - startTime >= spec.activeDeadlineSeconds * 1000
    ) {
      fail(JOB_REASONS.deadlineExceeded, 'Job was active longer than specified deadline');
    } else if (spec.activeDeadlineSeconds !== undefined && !suspended && startTime !== undefined) {
      requeueAt = minDefined(requeueAt, startTime + spec.activeDeadlineSeconds * 1000);
    }
  }
  if (indexed && perIndexLimit !== undefined && !finishing) {
    if (spec.maxFailedIndexes !== undefined && failedIndexes.size > spec.maxFailedIndexes) {
      fail(
        JOB_REASONS.maxFailedIndexesExceeded,
        'Job has exceeded the specified maximal number of failed indexes',
      );
    } else if (failedIndexes.size > 0 && failedIndexes.size + succeededIndexes.size >= (completions ?? 0)) {
      fail(JOB_REASONS.failedIndexes, 'Job has failed indexes');
    }
  }
  if (indexed && !finishing) {
    const matched = matchSuccessPolicy(job, succeededIndexes);
    if (matched)
      finishing = newCondition('SuccessCriteriaMet', JOB_REASONS.successPolicy, matched.message, now);
  }

  const create: Array<{ index?: number }> = [];
  const remove: string[] = [];
  const names = (list: readonly Pod[]): string[] => list.map((p) => p.metadata!.name!);
  let activeCount = active.length;
  if (finishing) {
    // deleteActivePods: a Job that has met its end stops its running pods.
    remove.push(...names(active));
    activeCount = 0;
  } else {
    if (suspended) {
      remove.push(...names(active));
      activeCount = 0;
    } else {
      // manageJob.
      let wantActive: number;
      if (completions === undefined) wantActive = status.succeeded > 0 ? active.length : parallelism;
      else if (indexed)
        wantActive = Math.min(parallelism, completions - succeededIndexes.size - failedIndexes.size);
      else wantActive = Math.max(0, Math.min(parallelism, completions - status.succeeded));
      wantActive = Math.max(0, wantActive);
      if (active.length > wantActive) {
        // activePodsForRemoval: the newest go first.
        const byAge = [...active].sort(
          (a, b) =>
            (parseTime(b.metadata?.creationTimestamp) ?? 0) - (parseTime(a.metadata?.creationTimestamp) ?? 0),
        );
        remove.push(...names(byAge.slice(0, active.length - wantActive)));
        activeCount = wantActive;
      }
      // podReplacementPolicy Failed: a replacement waits until the pod it replaces is fully terminated.
      const waitingFor = spec.podReplacementPolicy === 'Failed' ? terminating.length : 0;
      const diff = wantActive - waitingFor - activeCount;
      if (diff > 0) {
        // The Job's back-off (newBackoffRecord), or with backoffLimitPerIndex each index's own.
        const remaining =
          indexed && perIndexLimit !== undefined ? 0 : remainingBackoffMs(outcomes, now, backoff);
        if (remaining > 0) requeueAt = minDefined(requeueAt, now + remaining);
        else if (!indexed) for (let i = 0; i < diff; i++) create.push({});
        else {
          // firstPendingIndexes: the lowest indexes with no success, no active pod, no failure verdict and no
          // back-off of their own still running.
          const busy = new Set(active.map(completionIndexOf).filter((i) => i !== undefined));
          for (let i = 0; i < (completions ?? 0) && create.length < diff; i++) {
            if (succeededIndexes.has(i) || failedIndexes.has(i) || busy.has(i)) continue;
            if (perIndexLimit !== undefined) {
              const own = remainingBackoffMs(failuresByIndex.get(i) ?? [], now, backoff);
              if (own > 0) {
                requeueAt = minDefined(requeueAt, now + own);
                continue;
              }
            }
            create.push({ index: i });
          }
        }
      }
      activeCount += create.length;
      const done =
        completions === undefined
          ? status.succeeded > 0 && activeCount === 0
          : (indexed ? succeededIndexes.size : status.succeeded) >= completions && activeCount === 0;
      if (done)
        finishing = newCondition(
          'SuccessCriteriaMet',
          JOB_REASONS.completionsReached,
          'Reached expected number of succeeded pods',
          now,
        );
    }
    if (!finishing) {
      if (suspended) {
        if (ensureCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
          events.push({ eventType: 'Normal', reason: 'Suspended', message: 'Job suspended' });
          // A suspended Job's clock stops: it restarts when the Job resumes.
          delete status.startTime;
        }
      } else if (ensureCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)) {
        events.push({ eventType: 'Normal', reason: 'Resumed', message: 'Job resumed' });
        status.startTime = toRfc3339(now);
      }
    }
  }

  status.active = activeCount;
  status.ready = active.filter((p) => isReadyPod(p) && !remove.includes(p.metadata!.name!)).length;
  status.terminating = terminating.length + remove.length;
  status.uncountedTerminatedPods = {};

  if (finishing) {
    if (!findCondition(status, finishing.type)) status.conditions = [...(status.conditions ?? []), finishing];
    // enactJobFinished: the terminal condition once no pod of the Job is left running or terminating.
    if (status.active === 0 && status.terminating === 0) {
      const success = finishing.type === 'SuccessCriteriaMet';
      const type = success ? 'Complete' : 'Failed';
      status.conditions = [
        ...(status.conditions ?? []),
        newCondition(type, finishing.reason ?? '', finishing.message ?? '', now),
      ];
      if (success) {
        status.completionTime = toRfc3339(now);
        events.push({ eventType: 'Normal', reason: 'Completed', message: 'Job completed' });
      } else {
        events.push({
          eventType: 'Warning',
          reason: finishing.reason ?? '',
          message: finishing.message ?? '',
        });
      }
      const ttl = ttlDecision({ ...job, status }, now);
      requeueAt = ttl.requeueAt;
      return { status, create: [], remove, requeueAt, expired: ttl.expired, events };
    }
  }
  return {
    status,
    create,
    remove,
    ...(requeueAt !== undefined ? { requeueAt } : {}),
    expired: false,
    events,
  };
}
