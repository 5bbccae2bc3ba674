// EventBridgeWakeupScheduler: the exact Scheduler requests, the Scheduler/direct routing around the 60-second
// precision rule, replace and cancel error handling, and the fake's fidelity to the API's validation.
import {
  ConflictException,
  CreateScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DIRECT_THRESHOLD_MS,
  EventBridgeWakeupScheduler,
  MAX_DIRECT_WAIT_MS,
  type EventBridgeWakeupSchedulerOptions,
  type SchedulerSender,
} from '../../../src/adapters/eventbridge/eventbridge-wakeup-scheduler.ts';
import type { WakeupPayload } from '../../../src/adapters/eventbridge/wakeup-payload.ts';
import { createWakeupHandler } from '../../../lambdas/wakeup.ts';
import type { PodKey } from '../../../src/ports/pod-key.ts';
import type { TimerDue } from '../../../src/ports/wakeup-scheduler.ts';
import { ManualTimers } from '../local-timers/manual-timers.ts';
import { RecordingSchedulerClient } from './recording-scheduler-client.ts';

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:podflow-wakeup';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/podflow-scheduler';
const GROUP = 'podflow-timers';
/** 2030-01-01T12:00:07.250Z: seven seconds into a minute. */
const NOW = Date.UTC(2030, 0, 1, 12, 0, 7, 250);
const pod: PodKey = { namespace: 'default', name: 'web-0' };
const SECOND = 1_000;
const MINUTE = 60_000;

const meta = { $metadata: {} };
const errors = {
  conflict: () => new ConflictException({ message: 'exists', Message: 'exists', ...meta }),
  notFound: () => new ResourceNotFoundException({ message: 'missing', Message: 'missing', ...meta }),
  throttled: () => new ThrottlingException({ message: 'slow down', Message: 'slow down', ...meta }),
  invalid: () => new ValidationException({ message: 'bad', Message: 'bad', ...meta }),
};

function setup(options: Partial<EventBridgeWakeupSchedulerOptions> & { invocationLagMs?: number } = {}) {
  const timers = new ManualTimers(NOW);
  const direct: WakeupPayload[] = [];
  const delivered: (TimerDue & { deliveredAt: number })[] = [];
  const handler = createWakeupHandler({
    clock: timers,
    sleep: timers.sleep,
    deliver: async (due) => {
      delivered.push({ ...due, deliveredAt: timers.now() });
    },
  });
  const client = new RecordingSchedulerClient({
    timers,
    invokeTarget: (_arn, event) => handler(event),
    invocationLagMs: options.invocationLagMs ?? 0,
  });
  const scheduler = new EventBridgeWakeupScheduler({
    client,
    clock: timers,
    groupName: GROUP,
    wakeupFunctionArn: FUNCTION_ARN,
    schedulerRoleArn: ROLE_ARN,
    invokeWakeupAsync: async (payload) => {
      direct.push(payload);
      void handler(payload);
    },
    ...options,
  });
  return { timers, client, scheduler, direct, delivered };
}

describe('EventBridgeWakeupScheduler', () => {
  it('creates a one-time schedule at the start of the due minute, UTC, window OFF, deleted after completion', async () => {
    const { client, scheduler } = setup();
    const at = Date.UTC(2030, 0, 1, 12, 10, 42, 500);
    await scheduler.scheduleAt(pod, 'backoff-c1-3', at);

    expect(client.commands.map((c) => c.command)).toEqual(['CreateSchedule']);
    expect(client.commands[0]!.input).toEqual({
      Name: 'default.web-0.backoff-c1-3-404544219dded6b9dceb127d',
      GroupName: 'podflow-timers',
      ScheduleExpression: 'at(2030-01-01T12:10:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: 'podflow timer default/web-0 backoff-c1-3 due 2030-01-01T12:10:42.500Z',
      Target: {
        Arn: FUNCTION_ARN,
        RoleArn: ROLE_ARN,
        Input: '{"namespace":"default","name":"web-0","timerId":"backoff-c1-3","dueAt":1893499842500}',
      },
    } satisfies CreateScheduleCommandInput);
  });

  it('passes a configured retry policy in Target.RetryPolicy', async () => {
    const { client, scheduler } = setup({
      retryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3_600 },
    });
    await scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 10 * MINUTE);
    expect((client.commands[0]!.input.Target as Record<string, unknown>).RetryPolicy).toEqual({
      MaximumRetryAttempts: 10,
      MaximumEventAgeInSeconds: 3_600,
    });
  });

  it('names a configured dead-letter queue in Target.DeadLetterConfig; none without one', async () => {
    const arn = 'arn:aws:sqs:us-east-1:123456789012:podflow-timers-dlq';
    const configured = setup({ deadLetterQueueArn: arn });
    await configured.scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 10 * MINUTE);
    expect((configured.client.commands[0]!.input.Target as Record<string, unknown>).DeadLetterConfig).toEqual(
      {
        Arn: arn,
      },
    );
    const plain = setup();
    await plain.scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 10 * MINUTE);
    expect(plain.client.commands[0]!.input.Target).not.toHaveProperty('DeadLetterConfig');
  });

  it.each([
    {
      name: 'seconds into the minute',
      due: '2030-01-01T12:10:42.500Z',
      expression: 'at(2030-01-01T12:10:00)',
    },
    { name: 'exactly on the minute', due: '2030-01-01T12:10:00.000Z', expression: 'at(2030-01-01T12:10:00)' },
    {
      name: 'last millisecond of the minute',
      due: '2030-01-01T12:10:59.999Z',
      expression: 'at(2030-01-01T12:10:00)',
    },
    {
      name: 'last minute of the year',
      due: '2030-12-31T23:59:30.000Z',
      expression: 'at(2030-12-31T23:59:00)',
    },
    { name: 'leap day', due: '2032-02-29T00:00:01.000Z', expression: 'at(2032-02-29T00:00:00)' },
  ])(
    'at() names the start of the minute that contains the due instant: $name',
    async ({ due, expression }) => {
      const { client, scheduler, timers } = setup();
      const at = Date.parse(due);
      await timers.advance(at - 10 * MINUTE - NOW);
      await scheduler.scheduleAt(pod, 't', at);
      expect(client.commands.at(-1)!.input.ScheduleExpression).toBe(expression);
    },
  );

  // NOW is 12:00:07.250. Scheduler is used only if it would fire (start of the due minute) ≥ 60 s from now.
  it.each([
    { name: 'in the past', delay: -5 * SECOND, path: 'direct' },
    { name: 'now', delay: 0, path: 'direct' },
    { name: '20 s (a first back-off)', delay: 20 * SECOND, path: 'direct' },
    { name: 'due 12:01:00.000, Scheduler would fire in 52.75 s', delay: 52_750, path: 'direct' },
    {
      name: 'due 12:01:59.999, Scheduler would fire in 52.75 s (longest direct wait)',
      delay: 112_749,
      path: 'direct',
    },
    { name: 'due 12:02:00.000, Scheduler would fire in 112.75 s', delay: 112_750, path: 'scheduler' },
    { name: '5 min (max back-off)', delay: 5 * MINUTE, path: 'scheduler' },
    { name: '30 days (a CronJob run)', delay: 30 * 24 * 60 * MINUTE, path: 'scheduler' },
    { name: 'threshold 0: due 12:01:00.000', delay: 52_750, path: 'scheduler', threshold: 0 },
    { name: 'threshold 0: due in the current minute', delay: 20 * SECOND, path: 'direct', threshold: 0 },
    {
      name: 'threshold 5 min: due in 5 min 30 s',
      delay: 5 * MINUTE + 30 * SECOND,
      path: 'direct',
      threshold: 5 * MINUTE,
    },
  ])('routes $name → $path', async ({ delay, path, threshold }) => {
    const { client, scheduler, direct } = setup(
      threshold === undefined ? {} : { directThresholdMs: threshold },
    );
    const at = NOW + delay;
    await scheduler.scheduleAt(pod, 'backoff-c1-3', at);
    if (path === 'direct') {
      expect(direct).toEqual([{ namespace: 'default', name: 'web-0', timerId: 'backoff-c1-3', dueAt: at }]);
      expect(client.commands.map((c) => c.command)).toEqual(['DeleteSchedule']);
      expect(at - NOW).toBeLessThanOrEqual((threshold ?? DEFAULT_DIRECT_THRESHOLD_MS) + MINUTE); // fits a Lambda
    } else {
      expect(direct).toEqual([]);
      expect(client.commands.map((c) => c.command)).toEqual(['CreateSchedule']);
      // Scheduler never gets an at() closer than the threshold (or in the past).
      expect(client.schedules[0]!.fireAt - NOW).toBeGreaterThanOrEqual(
        threshold ?? DEFAULT_DIRECT_THRESHOLD_MS,
      );
    }
  });

  it('the direct path deletes a schedule left by an earlier instant of the same timer, then invokes', async () => {
    const { client, scheduler, direct, timers, delivered } = setup();
    await scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 5 * MINUTE);
    await scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 20 * SECOND);
    expect(client.commands.map((c) => [c.command, c.input.Name])).toEqual([
      ['CreateSchedule', 'default.web-0.backoff-c1-3-404544219dded6b9dceb127d'],
      ['DeleteSchedule', 'default.web-0.backoff-c1-3-404544219dded6b9dceb127d'],
    ]);
    expect(client.commands[1]!.input).toEqual({
      Name: 'default.web-0.backoff-c1-3-404544219dded6b9dceb127d',
      GroupName: GROUP,
    });
    expect(client.schedules).toEqual([]);
    expect(direct).toHaveLength(1);
    await timers.advance(10 * MINUTE);
    expect(delivered.map((d) => d.dueAt)).toEqual([NOW + 20 * SECOND]);
  });

  it('replaces in place: CreateSchedule → ConflictException → UpdateSchedule with the very same input', async () => {
    const { client, scheduler } = setup();
    await scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 5 * MINUTE);
    await scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 7 * MINUTE);
    expect(client.commands.map((c) => c.command)).toEqual([
      'CreateSchedule',
      'CreateSchedule',
      'UpdateSchedule',
    ]);
    expect(client.commands[2]!.input).toEqual(client.commands[1]!.input);
    expect(client.schedules.map((s) => s.input.ScheduleExpression)).toEqual(['at(2030-01-01T12:07:00)']);
  });

  it('creates again when the schedule completed between Create (conflict) and Update (not found)', async () => {
    const { client, scheduler } = setup();
    client.failNext('CreateSchedule', errors.conflict());
    await scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 5 * MINUTE);
    expect(client.commands.map((c) => c.command)).toEqual([
      'CreateSchedule',
      'UpdateSchedule',
      'CreateSchedule',
    ]);
    expect(client.schedules).toHaveLength(1);
  });

  it('gives up after three create/update rounds that keep racing', async () => {
    const { client, scheduler } = setup();
    for (let i = 0; i < 3; i++) client.failNext('CreateSchedule', errors.conflict());
    await expect(scheduler.scheduleAt(pod, 't', NOW + 5 * MINUTE)).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    expect(client.commands.map((c) => c.command)).toEqual([
      'CreateSchedule',
      'UpdateSchedule',
      'CreateSchedule',
      'UpdateSchedule',
      'CreateSchedule',
      'UpdateSchedule',
    ]);
  });

  it.each([
    { name: 'throttled create', command: 'CreateSchedule', error: errors.throttled, delay: 5 * MINUTE },
    { name: 'invalid create', command: 'CreateSchedule', error: errors.invalid, delay: 5 * MINUTE },
    {
      name: 'throttled delete on the direct path',
      command: 'DeleteSchedule',
      error: errors.throttled,
      delay: 10 * SECOND,
    },
  ] as const)('scheduleAt propagates other errors: $name', async ({ command, error, delay }) => {
    const { client, scheduler, direct } = setup();
    client.failNext(command, error());
    await expect(scheduler.scheduleAt(pod, 't', NOW + delay)).rejects.toThrow(
      error().constructor as new () => Error,
    );
    expect(direct).toEqual([]);
  });

  it('cancel deletes the schedule by name and group; a missing one (ran, or never existed) is fine', async () => {
    const { client, scheduler, timers, delivered } = setup();
    await scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 5 * MINUTE);
    await scheduler.cancel(pod, 'backoff-c1-3');
    await scheduler.cancel(pod, 'backoff-c1-3');
    expect(client.commands.slice(1).map((c) => c.input)).toEqual([
      { Name: 'default.web-0.backoff-c1-3-404544219dded6b9dceb127d', GroupName: GROUP },
      { Name: 'default.web-0.backoff-c1-3-404544219dded6b9dceb127d', GroupName: GROUP },
    ]);
    await timers.advance(10 * MINUTE);
    expect(delivered).toEqual([]);
  });

  it.each([
    { name: 'throttled', error: errors.throttled },
    { name: 'conflicting modification', error: errors.conflict },
  ])('cancel propagates other errors: $name', async ({ error }) => {
    const { client, scheduler } = setup();
    client.failNext('DeleteSchedule', error());
    await expect(scheduler.cancel(pod, 't')).rejects.toThrow();
  });

  it('after firing, Scheduler deletes the completed schedule (ActionAfterCompletion DELETE)', async () => {
    const { client, scheduler, timers, delivered } = setup();
    await scheduler.scheduleAt(pod, 'backoff-c1-3', NOW + 5 * MINUTE);
    await timers.advance(5 * MINUTE);
    expect(client.invocations.map((i) => i.at - NOW)).toEqual([5 * MINUTE - 7_250]); // 12:05:00
    expect(delivered.map((d) => d.deliveredAt - NOW)).toEqual([5 * MINUTE]); // 12:05:07.250
    expect(client.schedules).toEqual([]);
  });

  it.each([
    {
      name: 'due late in the minute: the Lambda still waits out the rest, exact',
      due: '2030-01-01T12:10:42.500Z',
      late: 0,
    },
    { name: 'due within the lag: late by lag − seconds', due: '2030-01-01T12:10:02.000Z', late: 3_000 },
  ])('precision when Scheduler invokes 5 s into the minute — $name', async ({ due, late }) => {
    const { scheduler, timers, delivered } = setup({ invocationLagMs: 5_000 });
    const at = Date.parse(due);
    await scheduler.scheduleAt(pod, 't', at);
    await timers.advance(at - NOW + 10 * SECOND);
    expect(delivered.map((d) => d.deliveredAt - at)).toEqual([late]);
  });

  it('cannot recall the direct path: cancel after the invoke still delivers once, with the original dueAt', async () => {
    const { scheduler, timers, delivered } = setup();
    const at = NOW + 20 * SECOND;
    await scheduler.scheduleAt(pod, 'backoff-c1-3', at);
    await scheduler.cancel(pod, 'backoff-c1-3');
    await timers.advance(MINUTE);
    expect(delivered.map((d) => [d.timerId, d.dueAt])).toEqual([['backoff-c1-3', at]]);
  });

  it.each([
    { name: 'negative', threshold: -1 },
    { name: 'so large a direct wait would outlive the Lambda', threshold: MAX_DIRECT_WAIT_MS - MINUTE + 1 },
    { name: 'NaN', threshold: Number.NaN },
  ])('rejects a direct threshold that is $name', ({ threshold }) => {
    expect(() => setup({ directThresholdMs: threshold })).toThrow(RangeError);
  });

  it('accepts the largest direct threshold that still fits the Lambda', () => {
    expect(() => setup({ directThresholdMs: MAX_DIRECT_WAIT_MS - MINUTE })).not.toThrow();
  });

  it('a real SchedulerClient fits the SchedulerSender port', () => {
    const real = new SchedulerClient({ region: 'eu-west-1' });
    const sender: SchedulerSender = real;
    expect(typeof sender.send).toBe('function');
    real.destroy();
  });
});

describe('RecordingSchedulerClient rejects what the real API rejects (ValidationException)', () => {
  const valid: CreateScheduleCommandInput = {
    Name: 'default.web-0.t-404544219dded6b9dceb127d',
    GroupName: GROUP,
    ScheduleExpression: 'at(2030-01-01T12:10:00)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: { Arn: FUNCTION_ARN, RoleArn: ROLE_ARN, Input: '{}' },
  };

  it('accepts a valid one-time schedule', async () => {
    const { client } = setup();
    await expect(client.send(new CreateScheduleCommand(valid))).resolves.toBeDefined();
  });

  it.each([
    { name: 'a name of 65 characters', input: { ...valid, Name: 'a'.repeat(65) } },
    { name: 'a name with ":"', input: { ...valid, Name: 'default:web-0' } },
    { name: 'a group name with ":"', input: { ...valid, GroupName: 'podflow:timers' } },
    {
      name: 'at() with a space instead of T',
      input: { ...valid, ScheduleExpression: 'at(2030-01-01 12:10:00)' },
    },
    {
      name: 'at() with milliseconds',
      input: { ...valid, ScheduleExpression: 'at(2030-01-01T12:10:00.000)' },
    },
    { name: 'at() on 30 February', input: { ...valid, ScheduleExpression: 'at(2030-02-30T12:10:00)' } },
    { name: 'at() at hour 24', input: { ...valid, ScheduleExpression: 'at(2030-01-01T24:00:00)' } },
    { name: 'no flexible time window', input: { ...valid, FlexibleTimeWindow: undefined } },
    { name: 'FLEXIBLE without a window', input: { ...valid, FlexibleTimeWindow: { Mode: 'FLEXIBLE' } } },
    {
      name: 'a role ARN that is not an IAM role',
      input: { ...valid, Target: { ...valid.Target!, RoleArn: FUNCTION_ARN } },
    },
    {
      name: 'non-JSON Input for a Lambda target',
      input: { ...valid, Target: { ...valid.Target!, Input: 'wake up' } },
    },
    {
      name: 'a retry age under 60 s',
      input: { ...valid, Target: { ...valid.Target!, RetryPolicy: { MaximumEventAgeInSeconds: 59 } } },
    },
    { name: 'a description over 512 characters', input: { ...valid, Description: 'x'.repeat(513) } },
  ] as { name: string; input: CreateScheduleCommandInput }[])('rejects $name', async ({ input }) => {
    const { client } = setup();
    await expect(client.send(new CreateScheduleCommand(input))).rejects.toBeInstanceOf(ValidationException);
  });
});
