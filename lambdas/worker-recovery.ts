// The worker recovery Lambda (docs/decisions/0002-pod-worker-state-machine.md, "Failures"). Target of the EventBridge
// rule on `Step Functions Execution Status Change` events of the pod worker state machine with status FAILED,
// TIMED_OUT or ABORTED (infra/pod-worker-state-machine.ts). Thin: decode the failed execution's input, start the
// next worker from the store (src/engine/restart-failed-worker.ts).
//
// A throw makes EventBridge retry the event; a retry starts the same execution name, which starts nothing twice.
import { decodeExecutionFailure } from '../src/adapters/stepfunctions/execution-status-change.ts';
import type { RecoveryOutcome } from '../src/engine/restart-failed-worker.ts';
import type { WorkerInput } from '../src/ports/workflow-client.ts';

export function createWorkerRecoveryHandler(
  restart: (failed: WorkerInput, status: string) => Promise<RecoveryOutcome>,
): (event: unknown) => Promise<{ outcome: RecoveryOutcome }> {
  return async (event) => {
    const { input, status } = decodeExecutionFailure(event);
    return { outcome: await restart(input, status) };
  };
}

let wired: ((event: unknown) => Promise<{ outcome: RecoveryOutcome }>) | undefined;

/** Lambda entry point: the wiring module is imported on first use, so unit tests of the factory need no AWS env. */
export const handler = async (event: unknown): Promise<{ outcome: RecoveryOutcome }> => {
  if (!wired) {
    const { cloudRecovery } = await import('./wiring.ts');
    wired = createWorkerRecoveryHandler(cloudRecovery());
  }
  return wired(event);
};
