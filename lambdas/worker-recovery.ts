// The worker recovery Lambda (docs/decisions/0002-pod-worker-state-machine.md, "Failures"): pods whose worker is
// missing get one (src/engine/worker-recovery.ts). Thin: decode the event, run one use case.
//   a `Step Functions Execution Status Change` event, status FAILED, TIMED_OUT or ABORTED (the EventBridge rule of
//   infra/pod-worker-state-machine.ts) → restartFailedWorker: the next worker, resuming the pod from the store
//   { "sweep": true } (a schedule) → startMissingWorkers: the first worker of pods whose worker could not be
//   started at create
//
// A throw makes EventBridge retry the event; a retry starts the same execution names, which starts nothing twice.
import { decodeExecutionFailure } from '../src/adapters/stepfunctions/execution-status-change.ts';
import type { RecoveryOutcome } from '../src/engine/worker-recovery.ts';
import type { WorkerInput } from '../src/ports/workflow-client.ts';

/** The scheduled event of the sweep. */
export const SWEEP_EVENT = { sweep: true } as const;

/**
 * A pod unadmitted this long after its creation has no worker: its first step admits it within a second or two. A
 * pod the sweep takes for orphaned too early costs one StartExecution that starts nothing (same name and input).
 */
export const SWEEP_AFTER_MS = 10_000;

export interface WorkerRecoveryUseCases {
  restartFailedWorker(failed: WorkerInput, status: string): Promise<RecoveryOutcome>;
  startMissingWorkers(olderThanMs: number): Promise<number>;
}

export type WorkerRecoveryResult = { outcome: RecoveryOutcome } | { started: number };

export function createWorkerRecoveryHandler(
  wire: () => WorkerRecoveryUseCases,
): (event: unknown) => Promise<WorkerRecoveryResult> {
  return async (event) => {
    if ((event as { sweep?: unknown } | null)?.sweep === true)
      return { started: await wire().startMissingWorkers(SWEEP_AFTER_MS) };
    const { input, status } = decodeExecutionFailure(event);
    return { outcome: await wire().restartFailedWorker(input, status) };
  };
}

let wired: ((event: unknown) => Promise<WorkerRecoveryResult>) | undefined;

/** Lambda entry point: the wiring module is imported on first use, so unit tests of the factory need no AWS env. */
export const handler = async (event: unknown): Promise<WorkerRecoveryResult> => {
  if (!wired) {
    const { cloudRecovery } = await import('./wiring.ts');
    wired = createWorkerRecoveryHandler(cloudRecovery);
  }
  return wired(event);
};
