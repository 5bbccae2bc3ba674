// Pods whose worker is missing get one.
//  - A worker execution that failed — FAILED, TIMED_OUT or ABORTED: the workflow's own failure (a step that failed
// past its retries and its Recover path, a lost Lambda, an execution stopped by hand), never a pod's — is followed by
// a new one that resumes the pod from the store, as an engine restart resumes every pod. In the cloud the failure
// arrives as a `Step Functions Execution Status Change` event (lambdas/worker-recovery.ts); locally the workflow
// client reports it (src/local/local-engine.ts).
//  - A pod whose first worker could not be started at create (StartExecution failed after the pod was stored) is
//    found by a periodic sweep (`startMissingWorkers`; in the cloud every few minutes, lambdas/worker-recovery.ts).
//  - A timer whose wake-up never came (a schedule deleted or failed past its retries, an asynchronous invoke that
//    failed three times) is delivered by the same sweep once it is overdue (`deliverOverdueTimers`): the worker
//    waiting for it would otherwise sleep until its await times out.
import { pendingTimers } from '../core/reconcile.ts';
import type { PodStore, StoredPod } from '../ports/pod-store.ts';
import type { WorkerInput } from '../ports/workflow-client.ts';
import { deliverEvent } from './deliver-event.ts';
import type { EngineDeps } from './engine-deps.ts';
import { timerDueEvent } from './observation-events.ts';
import { recordEventWithRetry } from './record-event.ts';

/** Whether the pod needs a worker: not finished, or finished with events to handle or a removal to carry out. */
export function needsWorker(stored: StoredPod): boolean {
  const { stage, deletion } = stored.state.engine;
  return !(stage === 'Finished' && stored.inbox.length === 0 && !deletion);
}

/** The name and input of a pod's first worker, as createPod starts it. */
export function firstWorker(stored: StoredPod): [string, WorkerInput] {
  const { uid } = stored.state.pod.metadata;
  return [`${uid}-0`, { pod: { ...stored.key, uid }, seq: 0 }];
}

/**
 * The pods whose sweepAt (core/reconcile.ts) is at or before `dueBy`, each read again (consistently) — the listing
 * may lag or have moved on; idle pods are not read at all.
 */
async function* sweepCandidates(store: PodStore, dueBy: number): AsyncGenerator<StoredPod> {
  for (const key of await store.listSweepDue(dueBy)) {
    const stored = await store.get(key);
    if (stored) yield stored;
  }
}

/**
 * Starts the first worker of every pod not yet admitted whose creation is at least `olderThanMs` old. Its execution
 * has the name and input createPod gives it, so a worker that exists already is not started twice (StartExecution
 * of a running execution with the same input starts nothing; of a finished one, fails as ExecutionAlreadyExists,
 * which the port ignores).
 */
export async function startMissingWorkers(
  deps: Pick<EngineDeps, 'store' | 'workflow' | 'clock'>,
  olderThanMs: number,
): Promise<number> {
  const cutoff = deps.clock.now() - olderThanMs;
  let started = 0;
  for await (const stored of sweepCandidates(deps.store, cutoff)) {
    const { engine, pod } = stored.state;
    if (engine.stage !== 'Pending' || engine.scheduled) continue;
    const created = Date.parse(pod.metadata.creationTimestamp ?? '');
    if (!(created <= cutoff)) continue;
    await deps.workflow.startExecution(...firstWorker(stored));
    started++;
  }
  return started;
}

/**
 * Delivers every timer of every pod that was due at least `overdueAfterMs` ago and is still pending, as its
 * wake-up would have (the same event id: a wake-up that comes after all is dropped as a duplicate, and so is a
 * second sweep's delivery). Resolves with how many it delivered.
 */
export async function deliverOverdueTimers(
  deps: Pick<EngineDeps, 'store' | 'workflow' | 'clock'>,
  overdueAfterMs: number,
): Promise<number> {
  const now = deps.clock.now();
  let delivered = 0;
  for await (const stored of sweepCandidates(deps.store, now - overdueAfterMs)) {
    for (const timer of pendingTimers(stored.state)) {
      if (timer.at + overdueAfterMs > now) continue;
      const due = { key: stored.key, timerId: timer.timerId, dueAt: timer.at };
      await deliverEvent(deps, stored.key, timerDueEvent(due, now));
      delivered++;
    }
  }
  return delivered;
}

export type RecoveryOutcome = 'restarted' | 'not-needed' | 'gave-up';

/**
 * Starts `<uid>-<seq+1>` resuming the pod. The name is derived from the failed execution's, so a failure reported
 * twice starts one worker (StartExecution of an existing name starts nothing). After `maxWorkerRecoveries` failures
 * in a row the pod is left as it is, with a Warning event saying so: a worker that fails at once every time must
 * not loop forever.
 */
export async function restartFailedWorker(
  deps: Pick<EngineDeps, 'store' | 'workflow' | 'clock' | 'settings'>,
  failed: WorkerInput,
  status: string,
): Promise<RecoveryOutcome> {
  const { uid } = failed.pod;
  const key = { namespace: failed.pod.namespace, name: failed.pod.name };
  const stored = await deps.store.get(key);
  if (!stored || stored.state.pod.metadata.uid !== uid || !needsWorker(stored)) return 'not-needed';
  const recoveries = (failed.recoveries ?? 0) + 1;
  const failedName = `${uid}-${failed.seq}`;
  if (recoveries > deps.settings.maxWorkerRecoveries) {
    await recordEventWithRetry(
      deps.store,
      {
        namespace: key.namespace,
        involvedObject: { kind: 'Pod', ...key, uid },
        type: 'Warning',
        reason: 'FailedWorker',
        message: `worker ${failedName} ended ${status}: ${recoveries} workers of this pod failed in a row, so no new one is started until podflow resumes its pods`,
        source: { component: 'podflow', host: deps.settings.nodeName },
        at: deps.clock.now(),
        occurrence: `worker/${failedName}`,
      },
      deps.settings.eventRetry,
    );
    return 'gave-up';
  }
  const seq = failed.seq + 1;
  await deps.workflow.startExecution(`${uid}-${seq}`, { pod: failed.pod, seq, resume: true, recoveries });
  return 'restarted';
}
