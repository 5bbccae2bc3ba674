// The worker recovery Lambda (docs/decisions/0002-pod-worker-state-machine.md, "Failures"): pods whose worker is
// missing get one (src/engine/worker-recovery.ts). Thin: decode the event, run one use case.
//   a `Step Functions Execution Status Change` event, status FAILED, TIMED_OUT or ABORTED (the EventBridge rule of
//   infra/pod-worker-state-machine.ts) → restartFailedWorker: the next worker, resuming the pod from the store
//   { "sweep": true } (a schedule) → startMissingWorkers: the first worker of pods whose worker could not be
//   started at create; deliverOverdueTimers: the timers whose wake-up never came
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

/**
 * A timer still pending this long after it was due lost its wake-up: EventBridge Scheduler fires within the due
 * minute and the direct path within seconds, and Lambda's asynchronous retries of a failed wake-up come one and two
 * minutes after. The sweep's period (5 minutes) adds to the delay of a lost timer; a wake-up merely late is
 * dropped as a duplicate. Stacks set it through OVERDUE_TIMER_MS (tests: seconds).
 */
export const DEFAULT_OVERDUE_TIMER_MS = 4 * 60_000;

export interface WorkerRecoveryUseCases {
  restartFailedWorker(failed: WorkerInput, status: string): Promise<RecoveryOutcome>;
  startMissingWorkers(olderThanMs: number): Promise<number>;
  deliverOverdueTimers(overdueAfterMs: number): Promise<number>;
}

export type WorkerRecoveryResult = { outcome: RecoveryOutcome } | { started: number; timers: number };

/** OVERDUE_TIMER_MS, a whole number of milliseconds; else the default. */
export function overdueTimerMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env.OVERDUE_TIMER_MS;
  if (raw === undefined || raw === '') return DEFAULT_OVERDUE_TIMER_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0)
    throw new Error(`OVERDUE_TIMER_MS must be a whole number of milliseconds, got ${JSON.stringify(raw)}`);
  return ms;
}

export function createWorkerRecoveryHandler(
  wire: () => WorkerRecoveryUseCases,
): (event: unknown) => Promise<WorkerRecoveryResult> {
  return async (event) => {
    if ((event as { sweep?: unknown } | null)?.sweep === true) {
      const useCases = wire();
      const started = await useCases.startMissingWorkers(SWEEP_AFTER_MS);
      return { started, timers: await useCases.deliverOverdueTimers(overdueTimerMs()) };
    }
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
