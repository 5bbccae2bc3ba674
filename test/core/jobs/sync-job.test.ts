// The Job controller's decisions (core/jobs/sync-job.ts), case by case from pkg/controller/job/job_controller.go,
// backoff_utils.go, indexed_job_utils.go, pod_failure_policy.go and success_policy.go. Time is a parameter.
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { formatIndexes, parseIndexes } from '../../../src/core/jobs/indexes.ts';
import { podForJob } from '../../../src/core/jobs/job-pod.ts';
import { remainingBackoffMs, syncJob, type JobBackoffSettings } from '../../../src/core/jobs/sync-job.ts';
import { defaultJob } from '../../../src/core/manifest/default-workloads.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const BACKOFF: JobBackoffSettings = { initialMs: 10_000, maxMs: 360_000 };
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function job(spec: Record<string, unknown> = {}, status: Job['status'] = {}): Job {
  const j = defaultJob(
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
    { now: T0, newUid: () => 'uid-1' },
  );
  return { ...j, status };
}

let seq = 0;
function pod(
  j: Job,
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed',
  o: { index?: number; exitCode?: number; finishedAt?: number; deleting?: boolean; ready?: boolean } = {},
): Pod {
  const p = podForJob(j, o.index);
  const terminated =
    phase === 'Succeeded' || phase === 'Failed'
      ? { exitCode: o.exitCode ?? (phase === 'Failed' ? 1 : 0), finishedAt: iso(o.finishedAt ?? T0) }
      : undefined;
  return {
    ...p,
    metadata: {
      ...p.metadata,
      name: `work-${seq++}`,
      creationTimestamp: iso(T0),
      ...(o.deleting ? { deletionTimestamp: iso(T0) } : {}),
    },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'main',
          image: 'x',
          imageID: '',
          ready: o.ready === true,
          restartCount: 0,
          state: terminated ? { terminated } : { running: {} },
        },
      ],
    },
  };
}

const types = (j: { conditions?: Array<{ type: string; status: string; reason?: string }> }) =>
  (j.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}/${c.reason}`);

describe('syncJob', () => {
  it('a new Job creates parallelism pods, bounded by completions, and starts its clock', () => {
    const j = job({ completions: 3, parallelism: 2 });
    const r = syncJob(j, [], T0, BACKOFF);
    expect(r.create).toEqual([{}, {}]);
    expect(r.status).toMatchObject({ active: 2, succeeded: 0, failed: 0, startTime: iso(T0) });
  });

  it('a failure delays the replacement by the back-off (10 s, then 20 s), a success resets it', () => {
    const j = job({ completions: 1 }, { startTime: iso(T0) });
    const one = [pod(j, 'Failed', { finishedAt: T0 })];
    expect(syncJob(j, one, T0 + 4000, BACKOFF)).toMatchObject({ create: [], requeueAt: T0 + 10_000 });
    expect(syncJob(j, one, T0 + 10_000, BACKOFF).create).toEqual([{}]);
    const two = [...one, pod(j, 'Failed', { finishedAt: T0 + 10_000 })];
    expect(syncJob(j, two, T0 + 12_000, BACKOFF).requeueAt).toBe(T0 + 30_000);
    expect(
      remainingBackoffMs(
        [
          { at: 0, failed: true },
          { at: 1, failed: false },
        ],
        2,
        BACKOFF,
      ),
    ).toBe(0);
    // The cap: 10 s doubled seven times is past 6 min.
    const many = Array.from({ length: 8 }, (_, i) => ({ at: i, failed: true }));
    expect(remainingBackoffMs(many, 7, BACKOFF)).toBe(360_000);
  });

  it('reaches SuccessCriteriaMet then Complete with the counts, and records Completed', () => {
    const j = job({ completions: 2, parallelism: 2 }, { startTime: iso(T0) });
    const pods = [pod(j, 'Succeeded'), pod(j, 'Succeeded'), pod(j, 'Failed', { finishedAt: T0 - 1000 })];
    const r = syncJob(j, pods, T0 + 5000, BACKOFF);
    expect(types(r.status)).toEqual(['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    expect(r.status).toMatchObject({ succeeded: 2, failed: 1, active: 0, completionTime: iso(T0 + 5000) });
    expect(r.events).toEqual([{ eventType: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  });

  it('backoffLimit 1 with two failures → FailureTarget and Failed with BackoffLimitExceeded', () => {
    const j = job({ backoffLimit: 1 }, { startTime: iso(T0) });
    const r = syncJob(j, [pod(j, 'Failed'), pod(j, 'Failed')], T0 + 1000, BACKOFF);
    expect(types(r.status)).toEqual(['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    expect(r.status.failed).toBe(2);
    expect(r.events[0]).toMatchObject({ eventType: 'Warning', reason: 'BackoffLimitExceeded' });
  });

  it('a FailJob rule on exit code 42 fails the Job at once, deleting the running pods first', () => {
    const j = job(
      {
        completions: 2,
        parallelism: 2,
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
      },
      { startTime: iso(T0) },
    );
    const failed = pod(j, 'Failed', { exitCode: 42 });
    const running = pod(j, 'Running');
    const r = syncJob(j, [failed, running], T0, BACKOFF);
    expect(r.remove).toEqual([running.metadata!.name]);
    expect(types(r.status)).toEqual(['FailureTarget/PodFailurePolicy']);
    expect(r.status.conditions![0]!.message).toBe(
      `Container main for pod default/${failed.metadata!.name} failed with exit code 42 matching FailJob rule at index 0`,
    );
    // Once the running pod is gone: Failed.
    const after = syncJob({ ...j, status: r.status }, [failed], T0 + 1000, BACKOFF);
    expect(types(after.status)).toEqual(['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
  });

  it('an Ignore rule does not count the failure', () => {
    const j = job(
      {
        backoffLimit: 0,
        podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } }] },
      },
      { startTime: iso(T0) },
    );
    const r = syncJob(j, [pod(j, 'Failed', { exitCode: 3 })], T0, BACKOFF);
    expect(r.status.failed).toBe(0);
    expect(r.create).toEqual([{}]);
  });

  it('activeDeadlineSeconds: requeued at the deadline, then DeadlineExceeded', () => {
    const j = job({ activeDeadlineSeconds: 30 }, { startTime: iso(T0) });
    const running = pod(j, 'Running');
    expect(syncJob(j, [running], T0 + 1000, BACKOFF).requeueAt).toBe(T0 + 30_000);
    const r = syncJob(j, [running], T0 + 30_000, BACKOFF);
    expect(types(r.status)).toEqual(['FailureTarget/DeadlineExceeded']);
    expect(r.remove).toEqual([running.metadata!.name]);
  });

  it('Indexed: pods for the lowest pending indexes; completedIndexes as intervals', () => {
    const j = job({ completions: 5, parallelism: 2, completionMode: 'Indexed' }, { startTime: iso(T0) });
    const r = syncJob(j, [pod(j, 'Succeeded', { index: 0 }), pod(j, 'Running', { index: 1 })], T0, BACKOFF);
    expect(r.create).toEqual([{ index: 2 }]);
    expect(r.status.completedIndexes).toBe('0');
    const p = podForJob(j, 3);
    expect(p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index']).toBe('3');
    expect(p.metadata?.generateName).toBe('work-3-');
    expect(p.spec?.hostname).toBe('work-3');
    expect(p.spec?.containers[0]!.env).toContainEqual({
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: {
        fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
      },
    });
    expect(p.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: 'work',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('backoffLimitPerIndex: an index past its limit fails; all others done → Failed FailedIndexes', () => {
    const j = job(
      { completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 0 },
      { startTime: iso(T0) },
    );
    const r = syncJob(j, [pod(j, 'Failed', { index: 0 }), pod(j, 'Succeeded', { index: 1 })], T0, BACKOFF);
    expect(r.status.failedIndexes).toBe('0');
    expect(types(r.status)).toEqual(['FailureTarget/FailedIndexes', 'Failed/FailedIndexes']);
  });

  it('successPolicy: SuccessCriteriaMet (SuccessPolicy) stops the other indexes, then Complete', () => {
    const j = job(
      {
        completions: 3,
        parallelism: 3,
        completionMode: 'Indexed',
        successPolicy: { rules: [{ succeededIndexes: '0' }] },
      },
      { startTime: iso(T0) },
    );
    const running = pod(j, 'Running', { index: 1 });
    const r = syncJob(j, [pod(j, 'Succeeded', { index: 0 }), running], T0, BACKOFF);
    expect(types(r.status)).toEqual(['SuccessCriteriaMet/SuccessPolicy']);
    expect(r.status.conditions![0]!.message).toBe('Matched rules at index 0');
    expect(r.remove).toEqual([running.metadata!.name]);
    expect(r.create).toEqual([]);
  });

  it('suspend deletes the active pods and sets Suspended; resume restarts the clock', () => {
    const j = job({ suspend: true }, { startTime: iso(T0) });
    const running = pod(j, 'Running');
    const r = syncJob(j, [running], T0, BACKOFF);
    expect(r.remove).toEqual([running.metadata!.name]);
    expect(types(r.status)).toEqual(['Suspended/JobSuspended']);
    expect(r.status.startTime).toBeUndefined();
    const resumed = syncJob(
      { ...j, spec: { ...j.spec!, suspend: false }, status: r.status },
      [],
      T0 + 5000,
      BACKOFF,
    );
    expect(resumed.status.conditions).toMatchObject([
      { type: 'Suspended', status: 'False', reason: 'JobResumed' },
    ]);
    expect(resumed.status.startTime).toBe(iso(T0 + 5000));
    expect(resumed.create).toEqual([{}]);
  });

  it('ttlSecondsAfterFinished: requeued at expiry, then expired', () => {
    const j = job({ ttlSecondsAfterFinished: 60 }, { startTime: iso(T0) });
    const done = syncJob(j, [pod(j, 'Succeeded')], T0, BACKOFF);
    expect(done.requeueAt).toBe(T0 + 60_000);
    expect(syncJob({ ...j, status: done.status }, [], T0 + 60_000, BACKOFF).expired).toBe(true);
  });

  it('interval lists', () => {
    expect(formatIndexes([5, 0, 1, 2, 7, 8])).toBe('0-2,5,7-8');
    expect([...parseIndexes('0-2,5,x,9', 6)]).toEqual([0, 1, 2, 5]);
  });
});
