// The worker recovery Lambda entry (lambdas/worker-recovery.ts) and the event it decodes
// (src/adapters/stepfunctions/execution-status-change.ts): the documented `Step Functions Execution Status Change`
// event of a failed execution becomes one restart of that execution's pod worker.
import { describe, expect, it } from 'vitest';
import {
  createWorkerRecoveryHandler,
  DEFAULT_OVERDUE_TIMER_MS,
  overdueTimerMs,
  SWEEP_AFTER_MS,
  SWEEP_EVENT,
  type WorkerRecoveryUseCases,
} from '../../lambdas/worker-recovery.ts';
import {
  decodeExecutionFailure,
  InvalidRecoveryEventError,
} from '../../src/adapters/stepfunctions/execution-status-change.ts';
import type { WorkerInput } from '../../src/ports/workflow-client.ts';

const input: WorkerInput = { pod: { namespace: 'default', name: 'web', uid: 'u-1' }, seq: 3, resume: true };

/** The shape of the documented example ("Step Functions events": Execution Status Change), for a worker. */
const statusChange = (status: string, overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: '315c1398-40ff-a850-213b-158f73e60175',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '123456789012',
  time: '2026-12-03T11:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:states:us-east-1:123456789012:execution:Podflow-pod-worker:u-1-3'],
  detail: {
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Podflow-pod-worker:u-1-3',
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Podflow-pod-worker',
    name: 'u-1-3',
    status,
    startDate: 1796295412090,
    stopDate: 1796295420298,
    input: JSON.stringify(input),
    inputDetails: { included: true },
    output: null,
    outputDetails: null,
    error: 'States.TaskFailed',
    cause: 'boom',
    ...overrides,
  },
});

describe('decodeExecutionFailure', () => {
  it.each(['FAILED', 'TIMED_OUT', 'ABORTED'])('%s: the execution input and the status', (status) => {
    expect(decodeExecutionFailure(statusChange(status))).toEqual({ input, status });
  });

  it.each([
    ['a succeeded execution', statusChange('SUCCEEDED'), /with status FAILED, TIMED_OUT, ABORTED, got/],
    ['another event', { 'detail-type': 'ECS Task State Change', detail: {} }, /expected a Step Functions/],
    [
      'input that is not JSON',
      statusChange('FAILED', { input: '{' }),
      /execution u-1-3: its input is not JSON/,
    ],
    [
      'input that is not a worker input',
      statusChange('FAILED', { input: '{"pod":{"name":"web"}}' }),
      /execution u-1-3: its input is not a worker input/,
    ],
    ['nothing', undefined, /expected a Step Functions/],
  ])('%s is refused with InvalidRecoveryEventError', (_name, event, message) => {
    expect(() => decodeExecutionFailure(event)).toThrow(InvalidRecoveryEventError);
    expect(() => decodeExecutionFailure(event)).toThrow(message);
  });
});

describe('the handler', () => {
  const useCases = (overrides: Partial<WorkerRecoveryUseCases> = {}) => {
    const calls: string[] = [];
    const cases: WorkerRecoveryUseCases = {
      restartFailedWorker: async (failed, status) => {
        calls.push(`restart ${failed.pod.uid}-${failed.seq} ${status}`);
        return 'restarted';
      },
      startMissingWorkers: async (olderThanMs) => {
        calls.push(`sweep ${olderThanMs}`);
        return 2;
      },
      deliverOverdueTimers: async (overdueAfterMs) => {
        calls.push(`timers ${overdueAfterMs}`);
        return 1;
      },
      ...overrides,
    };
    return { calls, wire: () => cases };
  };

  it('restarts the failed worker once per event and answers what happened', async () => {
    const { calls, wire } = useCases();
    expect(await createWorkerRecoveryHandler(wire)(statusChange('TIMED_OUT'))).toEqual({
      outcome: 'restarted',
    });
    expect(calls).toEqual(['restart u-1-3 TIMED_OUT']);
  });

  it('the scheduled sweep starts the missing first workers of pods created at least 10 s ago, then delivers the timers overdue by 4 minutes', async () => {
    const { calls, wire } = useCases();
    expect(await createWorkerRecoveryHandler(wire)(SWEEP_EVENT)).toEqual({ started: 2, timers: 1 });
    expect(calls).toEqual([`sweep ${SWEEP_AFTER_MS}`, `timers ${DEFAULT_OVERDUE_TIMER_MS}`]);
    expect(SWEEP_AFTER_MS).toBe(10_000);
    expect(DEFAULT_OVERDUE_TIMER_MS).toBe(240_000);
  });

  it('OVERDUE_TIMER_MS sets the margin; anything but a whole number of milliseconds is refused', () => {
    expect(overdueTimerMs({})).toBe(DEFAULT_OVERDUE_TIMER_MS);
    expect(overdueTimerMs({ OVERDUE_TIMER_MS: '5000' })).toBe(5_000);
    for (const bad of ['5s', '-1', '1.5'])
      expect(() => overdueTimerMs({ OVERDUE_TIMER_MS: bad })).toThrow(
        /OVERDUE_TIMER_MS must be a whole number/,
      );
  });

  it('a use case that throws makes the invocation fail (EventBridge retries it)', async () => {
    const { wire } = useCases({
      restartFailedWorker: async () => {
        throw new Error('table unavailable');
      },
    });
    await expect(createWorkerRecoveryHandler(wire)(statusChange('FAILED'))).rejects.toThrow(
      'table unavailable',
    );
  });
});
