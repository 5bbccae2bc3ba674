// Contract of the CloudWatch Logs and EventBridge emulators through the real SDK clients: the calls are accepted and
// parse, the documented limits and errors come back with their codes, and event patterns match as the EventBridge
// user guide documents them.
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorServer } from './emulators/aws-wire.ts';
import { CloudWatchLogsEmulator } from './emulators/cloudwatch-logs.ts';
import { OffsetClock } from './emulators/emulator-clock.ts';
import { matchesEventPattern } from './emulators/event-pattern.ts';
import { EventBridgeEmulator } from './emulators/eventbridge.ts';
import { nextFireTime, parseScheduleExpression } from './emulators/schedule-expression.ts';
import { eventually, sdkConfig } from './support/sdk-config.ts';

let servers: EmulatorServer[];
let logs: CloudWatchLogsClient;
let events: EventBridgeClient;
let bus: EventBridgeEmulator;
const clock = new OffsetClock();
const invoked: Array<{ arn: string; payload: unknown }> = [];

beforeAll(async () => {
  bus = new EventBridgeEmulator({
    clock,
    invokeLambda: async (arn, payload) => void invoked.push({ arn, payload: JSON.parse(payload) }),
  });
  servers = [await new CloudWatchLogsEmulator().listen(), await bus.listen()];
  logs = new CloudWatchLogsClient(sdkConfig(servers[0]!.url));
  events = new EventBridgeClient(sdkConfig(servers[1]!.url));
});

afterAll(async () => {
  bus.close();
  clock.clear();
  logs.destroy();
  events.destroy();
  await Promise.all(servers.map((s) => s.close()));
});

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { name: string; message: string }) => e,
  );

describe('CloudWatch Logs', () => {
  beforeAll(async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'g' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 'pods/app/t1' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 'pods/side/t1' }));
    const t0 = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: 'g',
        logStreamName: 'pods/app/t1',
        logEvents: Array.from({ length: 5 }, (_, i) => ({ timestamp: t0 + i, message: `line ${i}` })),
      }),
    );
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: 'g',
        logStreamName: 'pods/side/t1',
        logEvents: [{ timestamp: t0 + 2, message: 'side ERROR boom' }],
      }),
    );
  });

  it('GetLogEvents reads from the head with forward tokens, or the tail by default', async () => {
    const page1 = await logs.send(
      new GetLogEventsCommand({
        logGroupName: 'g',
        logStreamName: 'pods/app/t1',
        startFromHead: true,
        limit: 2,
      }),
    );
    expect(page1.events!.map((e) => e.message)).toEqual(['line 0', 'line 1']);
    const page2 = await logs.send(
      new GetLogEventsCommand({
        logGroupName: 'g',
        logStreamName: 'pods/app/t1',
        nextToken: page1.nextForwardToken,
        limit: 2,
      }),
    );
    expect(page2.events!.map((e) => e.message)).toEqual(['line 2', 'line 3']);
    const tail = await logs.send(
      new GetLogEventsCommand({ logGroupName: 'g', logStreamName: 'pods/app/t1', limit: 2 }),
    );
    expect(tail.events!.map((e) => e.message)).toEqual(['line 3', 'line 4']);
    const end = await logs.send(
      new GetLogEventsCommand({ logGroupName: 'g', logStreamName: 'pods/app/t1', startFromHead: true }),
    );
    const again = await logs.send(
      new GetLogEventsCommand({
        logGroupName: 'g',
        logStreamName: 'pods/app/t1',
        nextToken: end.nextForwardToken,
      }),
    );
    expect(again.events).toEqual([]);
    expect(again.nextForwardToken).toBe(end.nextForwardToken);
  });

  it('FilterLogEvents filters by stream prefix and terms, and pages with nextToken', async () => {
    const all = await logs.send(
      new FilterLogEventsCommand({ logGroupName: 'g', logStreamNamePrefix: 'pods/' }),
    );
    expect(all.events).toHaveLength(6);
    const errors = await logs.send(new FilterLogEventsCommand({ logGroupName: 'g', filterPattern: 'ERROR' }));
    expect(errors.events!.map((e) => [e.logStreamName, e.message])).toEqual([
      ['pods/side/t1', 'side ERROR boom'],
    ]);
    const first = await logs.send(
      new FilterLogEventsCommand({ logGroupName: 'g', logStreamNames: ['pods/app/t1'], limit: 3 }),
    );
    expect(first.events).toHaveLength(3);
    const rest = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: 'g',
        logStreamNames: ['pods/app/t1'],
        nextToken: first.nextToken,
      }),
    );
    expect(rest.events!.map((e) => e.message)).toEqual(['line 3', 'line 4']);
    expect(rest.nextToken).toBeUndefined();
    const streams = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: 'g', logStreamNamePrefix: 'pods/app' }),
    );
    expect(streams.logStreams!.map((s) => s.logStreamName)).toEqual(['pods/app/t1']);
  });

  it('reports events too old or too new in rejectedLogEventsInfo instead of failing the batch', async () => {
    const now = Date.now();
    const out = await logs.send(
      new PutLogEventsCommand({
        logGroupName: 'g',
        logStreamName: 'pods/side/t1',
        logEvents: [
          { timestamp: now, message: 'fine' },
          { timestamp: now + 3 * 3_600_000, message: 'from the future' },
        ],
      }),
    );
    expect(out.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
  });

  it.each([
    {
      name: 'a stream in a group that does not exist',
      send: () => logs.send(new CreateLogStreamCommand({ logGroupName: 'nope', logStreamName: 's' })),
      code: 'ResourceNotFoundException',
    },
    {
      name: 'a stream that exists',
      send: () => logs.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 'pods/app/t1' })),
      code: 'ResourceAlreadyExistsException',
    },
    {
      name: 'events out of chronological order',
      send: () =>
        logs.send(
          new PutLogEventsCommand({
            logGroupName: 'g',
            logStreamName: 'pods/app/t1',
            logEvents: [
              { timestamp: Date.now(), message: 'b' },
              { timestamp: Date.now() - 1000, message: 'a' },
            ],
          }),
        ),
      code: 'InvalidParameterException',
    },
    {
      name: 'a batch over 1,048,576 bytes',
      send: () =>
        logs.send(
          new PutLogEventsCommand({
            logGroupName: 'g',
            logStreamName: 'pods/app/t1',
            logEvents: Array.from({ length: 5 }, () => ({
              timestamp: Date.now(),
              message: 'x'.repeat(250_000),
            })),
          }),
        ),
      code: 'InvalidParameterException',
    },
    {
      name: 'reading a stream that does not exist',
      send: () => logs.send(new GetLogEventsCommand({ logGroupName: 'g', logStreamName: 'nope' })),
      code: 'ResourceNotFoundException',
    },
  ])('refuses $name with $code', async ({ send, code }) => {
    expect((await errorOf(send()))?.name).toBe(code);
  });
});

describe('EventBridge', () => {
  it('delivers a matching event to a rule`s Lambda target, and not a non-matching one', async () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:sink';
    await events.send(
      new PutRuleCommand({
        Name: 'stopped-tasks',
        EventPattern: JSON.stringify({ source: ['podflow.test'], detail: { lastStatus: ['STOPPED'] } }),
      }),
    );
    await events.send(new PutTargetsCommand({ Rule: 'stopped-tasks', Targets: [{ Id: 'sink', Arn: fn }] }));
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'podflow.test', DetailType: 'T', Detail: JSON.stringify({ lastStatus: 'RUNNING' }) },
          { Source: 'podflow.test', DetailType: 'T', Detail: JSON.stringify({ lastStatus: 'STOPPED' }) },
          { Source: 'aws.ecs', DetailType: 'T', Detail: '{}' },
          { Source: 'podflow.test', DetailType: 'T', Detail: 'not json' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries![2]).toMatchObject({ ErrorCode: 'NotAuthorizedForSourceException' });
    expect(out.Entries![3]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    await eventually(() => invoked.length === 1);
    expect(invoked[0]).toMatchObject({
      arn: fn,
      payload: { source: 'podflow.test', detail: { lastStatus: 'STOPPED' } },
    });
    const rule = await events.send(new DescribeRuleCommand({ Name: 'stopped-tasks' }));
    expect(rule.Arn).toBe('arn:aws:events:us-east-1:123456789012:rule/stopped-tasks');
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: 'stopped-tasks' }));
    expect(targets.Targets).toEqual([{ Id: 'sink', Arn: fn }]);
  });

  it('fires a scheduled rule on the emulator clock with the target`s constant Input', async () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:tick';
    await events.send(new PutRuleCommand({ Name: 'tick', ScheduleExpression: 'rate(1 minute)' }));
    await events.send(
      new PutTargetsCommand({ Rule: 'tick', Targets: [{ Id: 't', Arn: fn, Input: '{"supervise":true}' }] }),
    );
    clock.advance(61_000);
    await eventually(() => invoked.some((i) => i.arn === fn));
    expect(invoked.find((i) => i.arn === fn)!.payload).toEqual({ supervise: true });
  });

  it('a rate(1 minute) rule fires once per minute: 60 times over an hour of one-minute advances', async () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:hourly';
    // Frozen, so that only the advances move the clock: exactly one period each.
    clock.freeze();
    try {
      await events.send(new PutRuleCommand({ Name: 'per-minute', ScheduleExpression: 'rate(1 minute)' }));
      await events.send(new PutTargetsCommand({ Rule: 'per-minute', Targets: [{ Id: 't', Arn: fn }] }));
      // The period counts from when the rule was armed, not from each firing (which would drift a millisecond a time
      // and miss every other advance).
      for (let minute = 0; minute < 60; minute++) clock.advance(60_000);
      await eventually(() => invoked.filter((i) => i.arn === fn).length >= 60);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(invoked.filter((i) => i.arn === fn)).toHaveLength(60);
    } finally {
      clock.thaw();
    }
  });

  it.each([
    {
      name: 'more than 10 entries',
      send: () =>
        events.send(
          new PutEventsCommand({
            Entries: Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'd', Detail: '{}' })),
          }),
        ),
      code: 'ValidationException',
    },
    {
      name: 'an invalid event pattern',
      send: () =>
        events.send(
          new PutRuleCommand({ Name: 'bad', EventPattern: JSON.stringify({ source: 'not-a-list' }) }),
        ),
      code: 'InvalidEventPatternException',
    },
    {
      name: 'targets on a rule that does not exist',
      send: () =>
        events.send(new PutTargetsCommand({ Rule: 'nope', Targets: [{ Id: 'a', Arn: 'arn:aws:lambda:x' }] })),
      code: 'ResourceNotFoundException',
    },
  ])('refuses $name with $code', async ({ send, code }) => {
    expect((await errorOf(send()))?.name).toBe(code);
  });

  it('refuses an entry over 1 MB', async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 's', DetailType: 'd', Detail: JSON.stringify({ x: 'y'.repeat(1024 * 1024) }) }],
      }),
    );
    expect(out.Entries![0]).toMatchObject({ ErrorCode: 'InvalidArgument' });
  });
});

describe('event patterns (EventBridge user guide, "Content filtering in event patterns")', () => {
  const event = {
    source: 'aws.ecs',
    'detail-type': 'ECS Task State Change',
    detail: {
      lastStatus: 'STOPPED',
      group: 'family:podflow-pod',
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'app', exitCode: 137 }, { name: 'side' }],
      version: 7,
    },
  };
  it.each([
    { name: 'exact value', pattern: { source: ['aws.ecs'] }, match: true },
    { name: 'exact value, another', pattern: { source: ['aws.ec2'] }, match: false },
    { name: 'OR within a list', pattern: { detail: { lastStatus: ['RUNNING', 'STOPPED'] } }, match: true },
    { name: 'prefix', pattern: { detail: { group: [{ prefix: 'family:podflow-' }] } }, match: true },
    { name: 'suffix', pattern: { detail: { group: [{ suffix: '-pod' }] } }, match: true },
    {
      name: 'anything-but value',
      pattern: { detail: { lastStatus: [{ 'anything-but': 'STOPPED' }] } },
      match: false,
    },
    {
      name: 'anything-but list',
      pattern: { detail: { lastStatus: [{ 'anything-but': ['RUNNING', 'PENDING'] }] } },
      match: true,
    },
    {
      name: 'anything-but prefix',
      pattern: { detail: { group: [{ 'anything-but': { prefix: 'service:' } }] } },
      match: true,
    },
    { name: 'exists true', pattern: { detail: { stopCode: [{ exists: true }] } }, match: true },
    { name: 'exists false', pattern: { detail: { stoppedReason: [{ exists: false }] } }, match: true },
    {
      name: 'exists false on a present field',
      pattern: { detail: { stopCode: [{ exists: false }] } },
      match: false,
    },
    {
      name: 'numeric range',
      pattern: { detail: { version: [{ numeric: ['>', 5, '<=', 7] }] } },
      match: true,
    },
    { name: 'numeric out of range', pattern: { detail: { version: [{ numeric: ['<', 5] }] } }, match: false },
    {
      name: 'array field: any element',
      pattern: { detail: { containers: { exitCode: [137] } } },
      match: true,
    },
    {
      name: 'equals-ignore-case',
      pattern: { detail: { lastStatus: [{ 'equals-ignore-case': 'stopped' }] } },
      match: true,
    },
    { name: 'wildcard', pattern: { detail: { group: [{ wildcard: 'family:*-pod' }] } }, match: true },
    {
      name: '$or',
      pattern: { detail: { $or: [{ lastStatus: ['RUNNING'] }, { stopCode: ['EssentialContainerExited'] }] } },
      match: true,
    },
    {
      name: 'AND across fields',
      pattern: { source: ['aws.ecs'], detail: { lastStatus: ['RUNNING'] } },
      match: false,
    },
  ])('$name → $match', ({ pattern, match }) => {
    expect(matchesEventPattern(pattern as never, event as never)).toBe(match);
  });
});

describe('schedule expressions', () => {
  const at = Date.UTC(2030, 0, 1, 12, 0, 0);
  it.each([
    { expression: 'at(2030-01-01T12:05:00)', after: at, expected: Date.UTC(2030, 0, 1, 12, 5) },
    { expression: 'rate(5 minutes)', after: at + 1, expected: at + 300_000 },
    { expression: 'cron(0/15 * * * ? *)', after: at + 1, expected: Date.UTC(2030, 0, 1, 12, 15) },
    { expression: 'cron(30 8 ? * MON-FRI *)', after: at, expected: Date.UTC(2030, 0, 2, 8, 30) },
    { expression: 'cron(0 0 1 JAN ? 2031)', after: at, expected: Date.UTC(2031, 0, 1) },
  ])('$expression', ({ expression, after, expected }) => {
    expect(nextFireTime(parseScheduleExpression(expression), after, at)).toBe(expected);
  });
  it.each([
    'rate(1 minutes)',
    'rate(0 minutes)',
    'cron(0 0 * * * *)',
    'at(2030-02-30T00:00:00)',
    'every minute',
  ])('refuses %s', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow();
  });
});
