// A pod worker execution that failed — FAILED, TIMED_OUT or ABORTED: the workflow's own failure (a step that failed
// past its retries and its Recover path, a lost Lambda, an execution stopped by hand), never a pod's — is followed by
// a new one that resumes the pod from the store, as an engine restart resumes every pod. In the cloud the failure
// arrives as a `Step Functions Execution Status Change` event (lambdas/worker-recovery.ts); locally the workflow
// client reports it (src/local/local-engine.ts).
import type { StoredPod } from '../ports/pod-store.ts';
import type { WorkerInput } from '../ports/workflow-client.ts';
import type { EngineDeps } from './engine-deps.ts';
import { recordEventWithRetry } from './record-event.ts';

/** Whether the pod needs a worker: not finished, or finished with events to handle or a removal to carry out. */
export function needsWorker(stored: StoredPod): boolean {
  const { stage, deletion } = stored.state.engine;
  return !(stage === 'Finished' && stored.inbox.length === 0 && !deletion);
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
