// The `Step Functions Execution Status Change` event Standard workflows send to EventBridge's default bus on every
// status change of an execution ("Automating Step Functions event delivery with EventBridge"): source `aws.states`,
// detail {executionArn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause, …}, with
// `input` the execution input as a JSON string.
import type { WorkerInput } from '../../ports/workflow-client.ts';

export const STATES_EVENT_SOURCE = 'aws.states';
export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';
/** The statuses of an execution that ended without succeeding. */
export const FAILED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export class InvalidRecoveryEventError extends Error {
  override name = 'InvalidRecoveryEventError';
}

/** The failed worker's input and status, from the event's detail (its `input` is the execution input as JSON). */
export function decodeExecutionFailure(event: unknown): { input: WorkerInput; status: string } {
  const e = (event ?? {}) as { 'detail-type'?: unknown; detail?: Record<string, unknown> };
  const status = String(e.detail?.status);
  if (
    e['detail-type'] !== EXECUTION_STATUS_CHANGE ||
    !(FAILED_STATUSES as readonly string[]).includes(status)
  ) {
    throw new InvalidRecoveryEventError(
      `expected a ${EXECUTION_STATUS_CHANGE} event with status ${FAILED_STATUSES.join(', ')}, got ${String(JSON.stringify(event)).slice(0, 200)}`,
    );
  }
  let input: WorkerInput;
  try {
    input = JSON.parse(String(e.detail!.input)) as WorkerInput;
  } catch {
    throw new InvalidRecoveryEventError(`execution ${String(e.detail!.name)}: its input is not JSON`);
  }
  const { pod, seq } = input ?? {};
  if (
    typeof pod?.namespace !== 'string' ||
    typeof pod.name !== 'string' ||
    typeof pod.uid !== 'string' ||
    !Number.isSafeInteger(seq)
  ) {
    throw new InvalidRecoveryEventError(
      `execution ${String(e.detail!.name)}: its input is not a worker input`,
    );
  }
  return { input, status };
}
