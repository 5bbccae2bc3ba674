// Contract of the Step Functions, Lambda, EventBridge Scheduler and DynamoDB (dynalite) emulators through the real SDK
// clients: the requests podflow's adapters send (src/adapters/stepfunctions, src/adapters/eventbridge,
// src/adapters/dynamodb, lambdas/wiring.ts) are accepted and their responses parse, and the documented error cases
// come back with the documented codes.
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import {
  CreateScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeWakeupScheduler } from '../../src/adapters/eventbridge/eventbridge-wakeup-scheduler.ts';
import { scheduleNameFor } from '../../src/adapters/eventbridge/schedule-name.ts';
import type { WakeupPayload } from '../../src/adapters/eventbridge/wakeup-payload.ts';
import { StepFunctionsWorkflowClient } from '../../src/adapters/stepfunctions/step-functions-workflow-client.ts';
import { ensureTable, startDynalite, type LocalDynamo } from '../../src/local/dynalite.ts';
import type { EmulatorServer } from './emulators/aws-wire.ts';
import { OffsetClock } from './emulators/emulator-clock.ts';
import { LambdaEmulator } from './emulators/lambda.ts';
import { SchedulerEmulator } from './emulators/scheduler.ts';
import { StepFunctionsEmulator } from './emulators/stepfunctions.ts';
import { eventually, sdkConfig } from './support/sdk-config.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/functions', import.meta.url));
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const SM = (name: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`;

const clock = new OffsetClock();
let lambda: LambdaEmulator;
let sfnEmulator: StepFunctionsEmulator;
let scheduler: SchedulerEmulator;
let dynamo: LocalDynamo;
let servers: EmulatorServer[] = [];
let lambdaClient: LambdaClient;
let sfn: SFNClient;
let schedulerClient: SchedulerClient;
const scheduledInvokes: Array<{ arn: string; payload: string; at: number }> = [];

/** The `gated` fixture's gate: an HTTP server holding each request until the test releases its id. */
interface Gate {
  url: string;
  /** Ids in the order their invocations reached the gate. */
  arrived: string[];
  /** Invocations waiting at the gate now. */
  holding: () => number;
  release: (id: string) => void;
  close: () => Promise<void>;
}

async function startGate(): Promise<Gate> {
  const held = new Map<string, ServerResponse>();
  const arrived: string[] = [];
  const server = createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://gate').searchParams.get('id') ?? '';
    arrived.push(id);
    held.set(id, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const release = (id: string) => {
    held.get(id)?.end('go');
    held.delete(id);
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    arrived,
    holding: () => held.size,
    release,
    close: async () => {
      for (const id of [...held.keys()]) release(id);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
let gate: Gate;

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { name: string; message: string }) => e,
  );

beforeAll(async () => {
  gate = await startGate();
  lambda = new LambdaEmulator({ clock, asyncRetryDelaysMs: [100, 200] });
  for (const [name, handler, timeoutSeconds, env, reservedConcurrency] of [
    ['echo', 'index.echo', 10, { GREETING: 'from echo' }],
    ['echo-other-env', 'index.echo', 10, { GREETING: 'from other' }],
    ['fail', 'index.fail', 10, {}],
    ['sleep', 'index.sleep', 1, {}],
    ['big', 'index.big', 10, {}],
    ['counter', 'index.counter', 10, {}],
    ['large', 'index.large', 10, {}],
    ['gated', 'index.gated', 10, {}],
    ['gated-one-at-a-time', 'index.gated', 10, {}, 1],
    ['disabled', 'index.echo', 10, {}, 0],
  ] as const) {
    lambda.register({
      name,
      arn: fnArn(name),
      codeDir: FIXTURES,
      handler,
      environment: env,
      timeoutSeconds,
      memoryMb: 256,
      logGroup: `/aws/lambda/${name}`,
      ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
    });
  }
  const lambdaServer = await lambda.listen();
  lambdaClient = new LambdaClient(sdkConfig(lambdaServer.url));
  sfnEmulator = new StepFunctionsEmulator({ lambda: lambdaClient });
  const wait = (timeoutSeconds: number) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: { FunctionName: fnArn('echo'), Payload: { 'token.$': '$$.Task.Token', 'input.$': '$' } },
    TimeoutSeconds: timeoutSeconds,
    ResultPath: '$.answer',
    Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Done' }],
    Next: 'Done',
  });
  sfnEmulator.registerStateMachine({
    name: 'echo-then-wait',
    roleArn: 'arn:aws:iam::123456789012:role/sm',
    definition: {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('echo'), 'Payload.$': '$' },
          ResultSelector: { 'greeting.$': '$.Payload.greeting', 'status.$': '$.StatusCode' },
          ResultPath: '$.call',
          Next: 'Wait',
        },
        Wait: wait(30),
        Done: { Type: 'Succeed' },
      },
    },
  });
  sfnEmulator.registerStateMachine({
    name: 'short-wait',
    roleArn: 'arn:aws:iam::123456789012:role/sm',
    definition: { StartAt: 'Wait', States: { Wait: wait(1), Done: { Type: 'Succeed' } } },
  });
  sfnEmulator.registerStateMachine({
    name: 'failing',
    roleArn: 'arn:aws:iam::123456789012:role/sm',
    definition: {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('fail') },
          End: true,
        },
      },
    },
  });
  sfnEmulator.registerStateMachine({
    name: 'too-large',
    roleArn: 'arn:aws:iam::123456789012:role/sm',
    definition: {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('large') },
          End: true,
        },
      },
    },
  });
  sfnEmulator.registerStateMachine({
    name: 'throttled',
    roleArn: 'arn:aws:iam::123456789012:role/sm',
    definition: {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('disabled') },
          End: true,
        },
      },
    },
  });
  scheduler = new SchedulerEmulator({
    clock,
    invokeLambda: async (arn, payload) => void scheduledInvokes.push({ arn, payload, at: clock.now() }),
  });
  scheduler.createGroup('podflow-timers');
  dynamo = await startDynalite();
  servers = [lambdaServer, await sfnEmulator.listen(), await scheduler.listen()];
  sfn = new SFNClient(sdkConfig(servers[1]!.url));
  schedulerClient = new SchedulerClient(sdkConfig(servers[2]!.url));
}, 30_000);

afterAll(async () => {
  sfnEmulator.close();
  scheduler.close();
  clock.clear();
  await gate.close();
  await lambda.close();
  for (const c of [lambdaClient, sfn, schedulerClient]) c.destroy();
  await Promise.all(servers.map((s) => s.close()));
  await dynamo.close();
});

/** The token the wait state handed its function (the Lambda emulator records each invocation's event). */
const tokenOf = (executionName: string) =>
  eventually(() => {
    const inv = lambda.invocations.find(
      (i) =>
        (i.event as { token?: string; input?: { id?: string } }).input?.id === executionName &&
        (i.event as { token?: string }).token,
    );
    return (inv?.event as { token?: string } | undefined)?.token;
  });

const describeExecution = (arn: string) => sfn.send(new DescribeExecutionCommand({ executionArn: arn }));

describe('Step Functions', () => {
  it('runs the definition: Lambda invoke output, a waitForTaskToken task completed by SendTaskSuccess', async () => {
    const { executionArn, startDate } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: SM('echo-then-wait'),
        name: 'run-1',
        input: JSON.stringify({ id: 'run-1' }),
      }),
    );
    expect(executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:echo-then-wait:run-1');
    expect(startDate).toBeInstanceOf(Date);
    const token = await tokenOf('run-1');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ ok: 1 }) }));
    const done = await eventually(async () => {
      const d = await describeExecution(executionArn!);
      return d.status === 'SUCCEEDED' ? d : undefined;
    });
    expect(JSON.parse(done.output!)).toEqual({
      id: 'run-1',
      call: { greeting: 'from echo', status: 200 },
      answer: { ok: 1 },
    });
    // A completed task's token: TaskTimedOut ("Provided task does not exist anymore").
    expect(
      await errorOf(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))),
    ).toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('StartExecution is idempotent for an open execution with the same name and input; otherwise ExecutionAlreadyExists', async () => {
    const input = JSON.stringify({ id: 'idem' });
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('echo-then-wait'), name: 'idem', input }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('echo-then-wait'), name: 'idem', input }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(
      await errorOf(
        sfn.send(
          new StartExecutionCommand({
            stateMachineArn: SM('echo-then-wait'),
            name: 'idem',
            input: '{"id":"other"}',
          }),
        ),
      ),
    ).toMatchObject({ name: 'ExecutionAlreadyExists' });
    // podflow's WorkflowClient treats both as "already started".
    const workflow = new StepFunctionsWorkflowClient({ client: sfn, stateMachineArn: SM('echo-then-wait') });
    await workflow.startExecution('idem', { id: 'idem' } as never);
    await workflow.startExecution('idem', { id: 'changed' } as never);
    await sfn.send(
      new StopExecutionCommand({ executionArn: first.executionArn, error: 'Test', cause: 'done' }),
    );
    const stopped = await describeExecution(first.executionArn!);
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Test', cause: 'done' });
    // A closed execution's name cannot be used again, whatever the input.
    expect(
      await errorOf(
        sfn.send(new StartExecutionCommand({ stateMachineArn: SM('echo-then-wait'), name: 'idem', input })),
      ),
    ).toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    // The stopped execution's token is gone: podflow's client ignores it.
    await workflow.sendTaskSuccess(await tokenOf('idem'));
  });

  it('SendTaskFailure fails the task, and with it an execution without a Catch for it', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: SM('echo-then-wait'),
        name: 'fails',
        input: JSON.stringify({ id: 'fails' }),
      }),
    );
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: await tokenOf('fails'), error: 'PodGone', cause: 'deleted' }),
    );
    const d = await eventually(async () => {
      const r = await describeExecution(executionArn!);
      return r.status === 'FAILED' ? r : undefined;
    });
    expect(d).toMatchObject({ error: 'PodGone', cause: 'deleted' });
  });

  it('a wait past its TimeoutSeconds is caught as States.Timeout; its token then answers TaskTimedOut', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: SM('short-wait'),
        name: 'slow',
        input: JSON.stringify({ id: 'slow' }),
      }),
    );
    const token = await tokenOf('slow');
    const d = await eventually(async () => {
      const r = await describeExecution(executionArn!);
      return r.status === 'SUCCEEDED' ? r : undefined;
    }, 5000);
    expect(JSON.parse(d.output!).timedOut).toMatchObject({ Error: 'States.Timeout' });
    expect(
      await errorOf(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))),
    ).toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  /** Starts an execution of the machine and waits for it to fail. */
  const failedExecution = async (machine: string, name: string) => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM(machine), name }),
    );
    return eventually(async () => {
      const r = await describeExecution(executionArn!);
      return r.status === 'FAILED' ? r : undefined;
    });
  };

  it('a function error fails the Task state with the errorType and the error payload as cause', async () => {
    const d = await failedExecution('failing', 'f1');
    expect(d.error).toBe('PodflowTestError');
    expect(JSON.parse(d.cause!)).toMatchObject({
      errorType: 'PodflowTestError',
      errorMessage: 'it went wrong',
    });
  });

  it('a throttled function (429) fails the Task state with Lambda.TooManyRequestsException', async () => {
    const d = await failedExecution('throttled', 't1');
    expect(d.error).toBe('Lambda.TooManyRequestsException');
    expect(d.cause).toContain('Rate Exceeded.');
  });

  it('a task result over 256 KB fails the execution with States.DataLimitExceeded', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: SM('too-large'), name: 'big' }),
    );
    const d = await eventually(async () => {
      const r = await describeExecution(executionArn!);
      return r.status === 'FAILED' ? r : undefined;
    });
    expect(d.error).toBe('States.DataLimitExceeded');
  });

  it.each([
    {
      name: 'an input over 256 KB',
      send: () =>
        sfn.send(
          new StartExecutionCommand({
            stateMachineArn: SM('failing'),
            input: JSON.stringify({ x: 'y'.repeat(262_144) }),
          }),
        ),
      code: 'ValidationException',
    },
    {
      name: 'a request without its required stateMachineArn (the SDK does not check; the service does)',
      send: () => sfn.send(new StartExecutionCommand({} as never)),
      code: 'ValidationException',
    },
    {
      name: 'a member the operation does not define',
      send: async () => {
        const res = await fetch(servers[1]!.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'AWSStepFunctions.StartExecution',
          },
          body: JSON.stringify({ stateMachineArn: SM('failing'), inputs: '{}' }),
        });
        const body = (await res.json()) as { __type: string; message: string };
        throw Object.assign(new Error(body.message), {
          name: res.headers.get('x-amzn-errortype'),
          $metadata: { httpStatusCode: res.status },
        });
      },
      code: 'SerializationException',
    },
    {
      name: 'an operation the service does not have',
      send: async () => {
        const res = await fetch(servers[1]!.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'AWSStepFunctions.StartSyncExecutionOfEverything',
          },
          body: '{}',
        });
        throw Object.assign(new Error(''), {
          name: res.headers.get('x-amzn-errortype'),
          $metadata: { httpStatusCode: res.status },
        });
      },
      code: 'UnknownOperationException',
    },
    {
      name: 'an input that is not JSON',
      send: () => sfn.send(new StartExecutionCommand({ stateMachineArn: SM('failing'), input: '{' })),
      code: 'InvalidExecutionInput',
    },
    {
      name: 'a state machine that does not exist',
      send: () => sfn.send(new StartExecutionCommand({ stateMachineArn: SM('nope') })),
      code: 'StateMachineDoesNotExist',
    },
    {
      name: 'an invalid execution name',
      send: () => sfn.send(new StartExecutionCommand({ stateMachineArn: SM('failing'), name: 'has space' })),
      code: 'InvalidName',
    },
    {
      name: 'an execution that does not exist',
      send: () => describeExecution('arn:aws:states:us-east-1:123456789012:execution:failing:nope'),
      code: 'ExecutionDoesNotExist',
    },
    {
      name: 'a malformed execution ARN',
      send: () => describeExecution('not-an-arn'),
      code: 'InvalidArn',
    },
    {
      name: 'a task token that is not one',
      send: () => sfn.send(new SendTaskSuccessCommand({ taskToken: 'garbage!', output: '{}' })),
      code: 'InvalidToken',
    },
    {
      name: 'a well-formed token no task had',
      send: () =>
        sfn.send(
          new SendTaskSuccessCommand({
            taskToken: Buffer.from(JSON.stringify({ e: 'arn:x', s: 'Wait', n: 'never' })).toString(
              'base64url',
            ),
            output: '{}',
          }),
        ),
      code: 'TaskDoesNotExist',
    },
    {
      name: 'a task output that is not JSON',
      send: async () => {
        await sfn.send(
          new StartExecutionCommand({
            stateMachineArn: SM('echo-then-wait'),
            name: 'badout',
            input: JSON.stringify({ id: 'badout' }),
          }),
        );
        return sfn.send(new SendTaskSuccessCommand({ taskToken: await tokenOf('badout'), output: 'nope' }));
      },
      code: 'InvalidOutput',
    },
  ])('refuses $name with $code', async ({ send, code }) => {
    const err = (await errorOf(send())) as
      { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
    expect(err?.name).toBe(code);
    expect(err?.$metadata?.httpStatusCode).toBe(400);
  });
});

describe('Lambda', () => {
  const invoke = (name: string, payload: unknown, type?: 'Event' | 'RequestResponse') =>
    lambdaClient.send(
      new InvokeCommand({
        FunctionName: name,
        Payload: Buffer.from(JSON.stringify(payload)),
        ...(type ? { InvocationType: type } : {}),
      }),
    );
  const payloadOf = (r: { Payload?: Uint8Array }) => JSON.parse(Buffer.from(r.Payload!).toString('utf8'));

  it('RequestResponse returns the handler`s result; each function has its own environment', async () => {
    const a = await invoke(fnArn('echo'), { hello: 1 });
    expect(a).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(a.FunctionError).toBeUndefined();
    expect(payloadOf(a)).toEqual({
      event: { hello: 1 },
      greeting: 'from echo',
      functionName: 'echo',
      remainingPositive: true,
    });
    expect(payloadOf(await invoke('echo-other-env', {})).greeting).toBe('from other');
  });

  it('reuses a warm execution environment', async () => {
    const first = payloadOf(await invoke('counter', {}));
    expect(payloadOf(await invoke('counter', {}))).toBe(first + 1);
  });

  it.each([
    {
      name: 'a handler that throws',
      fn: 'fail',
      error: { errorType: 'PodflowTestError', errorMessage: 'it went wrong' },
    },
    {
      name: 'a handler past its timeout',
      fn: 'sleep',
      error: {
        errorType: 'Sandbox.Timedout',
        errorMessage: expect.stringMatching(/^RequestId: \S+ Error: Task timed out after 1\.00 seconds$/),
      },
    },
    {
      name: 'a response over 6 MB',
      fn: 'big',
      error: {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
      },
    },
  ])('reports $name as FunctionError Unhandled', async ({ fn, error }) => {
    const r = await invoke(fn, {});
    expect(r.StatusCode).toBe(200);
    expect(r.FunctionError).toBe('Unhandled');
    expect(payloadOf(r)).toMatchObject(error);
  });

  it('Event: 202 at once; a failing function is retried twice', async () => {
    const before = lambda.invocations.filter((i) => i.function === 'fail').length;
    const r = await invoke('fail', { async: true }, 'Event');
    expect(r.StatusCode).toBe(202);
    await eventually(() => lambda.invocations.filter((i) => i.function === 'fail').length === before + 3);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(lambda.invocations.filter((i) => i.function === 'fail').length).toBe(before + 3);
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const throttle = {
    name: 'TooManyRequestsException',
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    message: 'Rate Exceeded.',
    $metadata: { httpStatusCode: 429 },
  };
  interface GatedRun {
    id: string;
    startedAt: number;
    endedAt: number;
  }

  it('reserved concurrency 1: a RequestResponse invoke while one runs is throttled with TooManyRequestsException', async () => {
    const first = invoke('gated-one-at-a-time', { gate: gate.url, id: 'sync-1' });
    await eventually(() => gate.arrived.includes('sync-1'));
    const err = await errorOf(invoke('gated-one-at-a-time', { gate: gate.url, id: 'sync-2' }));
    expect(err).toBeInstanceOf(TooManyRequestsException);
    expect(err).toMatchObject(throttle);
    gate.release('sync-1');
    expect(payloadOf(await first)).toMatchObject({ id: 'sync-1' });
    expect(gate.arrived).not.toContain('sync-2');
    // The environment is free again.
    const again = invoke('gated-one-at-a-time', { gate: gate.url, id: 'sync-3' });
    await eventually(() => gate.arrived.includes('sync-3'));
    gate.release('sync-3');
    expect(payloadOf(await again)).toMatchObject({ id: 'sync-3' });
  });

  it('reserved concurrency 1: Events are accepted (202), wait in the queue and run one at a time, in order', async () => {
    const ids = ['event-1', 'event-2', 'event-3'];
    for (const id of ids) {
      expect((await invoke('gated-one-at-a-time', { gate: gate.url, id }, 'Event')).StatusCode).toBe(202);
    }
    await eventually(() => gate.arrived.includes('event-1'));
    // One running, two queued: all three in flight.
    expect(lambda.inFlight).toBe(3);
    for (const [i, id] of ids.entries()) {
      await eventually(() => gate.arrived.includes(id));
      // Time enough for another environment to start, were one allowed.
      await sleep(300);
      expect(gate.arrived.filter((a) => a.startsWith('event-'))).toEqual(ids.slice(0, i + 1));
      expect(gate.holding()).toBe(1);
      gate.release(id);
    }
    const runs = await eventually(() => {
      const r = lambda.invocations.filter((i) => i.function === 'gated-one-at-a-time' && i.type === 'Event');
      return r.length === ids.length ? r : undefined;
    });
    expect(runs.every((r) => r.outcome === 'ok')).toBe(true);
    const results = runs.map((r) => JSON.parse(r.payload!) as GatedRun);
    expect(results.map((r) => r.id)).toEqual(ids);
    for (let i = 1; i < results.length; i++) {
      expect(results[i]!.startedAt).toBeGreaterThanOrEqual(results[i - 1]!.endedAt);
    }
    await eventually(() => lambda.inFlight === 0);
  });

  it('without reserved concurrency two invocations run at once', async () => {
    const a = invoke('gated', { gate: gate.url, id: 'free-1' });
    const b = invoke('gated', { gate: gate.url, id: 'free-2' });
    await eventually(() => gate.arrived.includes('free-1') && gate.arrived.includes('free-2'));
    expect(gate.holding()).toBe(2);
    gate.release('free-1');
    gate.release('free-2');
    const [ra, rb] = (await Promise.all([a, b])).map((r) => payloadOf(r) as GatedRun);
    expect(ra!.startedAt).toBeLessThan(rb!.endedAt);
    expect(rb!.startedAt).toBeLessThan(ra!.endedAt);
  });

  it('reserved concurrency 0 throttles every invocation; an Event is accepted and stays queued', async () => {
    const err = await errorOf(invoke('disabled', {}));
    expect(err).toMatchObject(throttle);
    const before = lambda.inFlight;
    expect((await invoke('disabled', { queued: true }, 'Event')).StatusCode).toBe(202);
    expect(lambda.inFlight).toBe(before + 1);
    await sleep(200);
    expect(lambda.invocations.filter((i) => i.function === 'disabled')).toEqual([]);
  });

  it.each([
    {
      name: 'a function that does not exist',
      send: () => invoke('nope', {}),
      code: 'ResourceNotFoundException',
      status: 404,
    },
    {
      name: 'a synchronous payload over 6 MB',
      send: () => invoke('echo', { x: 'y'.repeat(6 * 1024 * 1024) }),
      code: 'RequestTooLargeException',
      status: 413,
    },
    {
      name: 'an asynchronous payload over 1 MB',
      send: () => invoke('echo', { x: 'y'.repeat(1024 * 1024) }, 'Event'),
      code: 'RequestTooLargeException',
      status: 413,
    },
    {
      name: 'a payload that is not JSON',
      send: () => lambdaClient.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{') })),
      code: 'InvalidRequestContentException',
      status: 400,
    },
  ])('refuses $name with $code', async ({ send, code, status }) => {
    const err = (await errorOf(send())) as
      { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
    expect(err?.name).toBe(code);
    expect(err?.$metadata?.httpStatusCode).toBe(status);
  });
});

describe('EventBridge Scheduler', () => {
  const key = { namespace: 'default', name: 'crashy' };
  const wakeup = fnArn('wakeup');
  const direct: WakeupPayload[] = [];
  const adapter = () =>
    new EventBridgeWakeupScheduler({
      client: schedulerClient,
      clock: { now: () => clock.now() },
      groupName: 'podflow-timers',
      wakeupFunctionArn: wakeup,
      schedulerRoleArn: 'arn:aws:iam::123456789012:role/scheduler-invoke',
      invokeWakeupAsync: async (p) => void direct.push(p),
    });

  it('podflow`s adapter creates, replaces and deletes one-time schedules the emulator accepts', async () => {
    const due = Math.ceil(clock.now() / 60_000) * 60_000 + 5 * 60_000 + 12_345;
    await adapter().scheduleAt(key, 'restart/app/3', due);
    const name = scheduleNameFor(key, 'restart/app/3');
    const got = await schedulerClient.send(
      new GetScheduleCommand({ Name: name, GroupName: 'podflow-timers' }),
    );
    expect(got).toMatchObject({
      Name: name,
      GroupName: 'podflow-timers',
      ScheduleExpression: `at(${new Date(due - 12_345).toISOString().slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: wakeup,
        Input: JSON.stringify({ namespace: 'default', name: 'crashy', timerId: 'restart/app/3', dueAt: due }),
      },
    });
    expect(got.CreationDate).toBeInstanceOf(Date);
    // Again: CreateSchedule → ConflictException → UpdateSchedule, with the new instant.
    await adapter().scheduleAt(key, 'restart/app/3', due + 60_000);
    const replaced = await schedulerClient.send(
      new GetScheduleCommand({ Name: name, GroupName: 'podflow-timers' }),
    );
    expect(replaced.ScheduleExpression).toBe(
      `at(${new Date(due + 60_000 - 12_345).toISOString().slice(0, 19)})`,
    );
    await adapter().cancel(key, 'restart/app/3');
    expect(
      await errorOf(
        schedulerClient.send(new GetScheduleCommand({ Name: name, GroupName: 'podflow-timers' })),
      ),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await adapter().cancel(key, 'restart/app/3'); // already gone: fine
    // A wake-up under a minute away goes to the wakeup function directly, not to Scheduler.
    await adapter().scheduleAt(key, 'restart/app/4', clock.now() + 10_000);
    expect(direct.map((d) => d.timerId)).toEqual(['restart/app/4']);
  });

  it('fires a one-time schedule no earlier than its minute, invokes the target with its Input, then deletes it', async () => {
    const minute = Math.ceil(clock.now() / 60_000) * 60_000 + 3 * 60_000;
    await adapter().scheduleAt(key, 'restart/app/5', minute + 30_000);
    const name = scheduleNameFor(key, 'restart/app/5');
    // Two seconds before the minute (real time goes on while the test runs): nothing yet.
    clock.advance(minute - 2000 - clock.now());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(scheduledInvokes.filter((i) => i.payload.includes('restart/app/5'))).toEqual([]);
    clock.advance(2000);
    const fired = await eventually(() => scheduledInvokes.find((i) => i.payload.includes('restart/app/5')));
    expect(fired.arn).toBe(wakeup);
    expect(fired.at).toBeGreaterThanOrEqual(minute);
    expect(JSON.parse(fired.payload)).toMatchObject({ timerId: 'restart/app/5', dueAt: minute + 30_000 });
    expect(
      await errorOf(
        schedulerClient.send(new GetScheduleCommand({ Name: name, GroupName: 'podflow-timers' })),
      ),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  const base: CreateScheduleCommandInput = {
    Name: 'valid',
    GroupName: 'podflow-timers',
    ScheduleExpression: 'at(2030-01-01T00:00:00)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: wakeup, RoleArn: 'arn:aws:iam::123456789012:role/r', Input: '{}' },
  };
  it.each([
    {
      name: 'a group that does not exist',
      input: { ...base, GroupName: 'nope' },
      code: 'ResourceNotFoundException',
    },
    {
      name: 'a name outside [0-9a-zA-Z-_.]',
      input: { ...base, Name: 'bad/name' },
      code: 'ValidationException',
    },
    {
      name: 'an invalid expression',
      input: { ...base, ScheduleExpression: 'at(tomorrow)' },
      code: 'ValidationException',
    },
    {
      name: 'a FLEXIBLE window without its maximum',
      input: { ...base, FlexibleTimeWindow: { Mode: 'FLEXIBLE' as const } },
      code: 'ValidationException',
    },
    {
      name: 'a target input over 8192 characters',
      input: { ...base, Target: { ...base.Target!, Input: JSON.stringify({ x: 'y'.repeat(8192) }) } },
      code: 'ValidationException',
    },
  ])('refuses $name with $code', async ({ input, code }) => {
    expect((await errorOf(schedulerClient.send(new CreateScheduleCommand(input))))?.name).toBe(code);
  });

  it('fires a rate() schedule every period and a cron() schedule at its minutes, flexible window accepted', async () => {
    const start = clock.now();
    const target = (id: string) => ({
      Arn: wakeup,
      RoleArn: 'arn:aws:iam::123456789012:role/r',
      Input: JSON.stringify({ id }),
    });
    await schedulerClient.send(
      new CreateScheduleCommand({
        Name: 'every-5',
        GroupName: 'podflow-timers',
        ScheduleExpression: 'rate(5 minutes)',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 2 },
        Target: target('every-5'),
      }),
    );
    await schedulerClient.send(
      new CreateScheduleCommand({
        Name: 'quarter-hours',
        GroupName: 'podflow-timers',
        ScheduleExpression: 'cron(0/15 * * * ? *)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: target('quarter-hours'),
      }),
    );
    for (let i = 0; i < 30; i++) clock.advance(60_000); // half an hour, a minute at a time
    const firings = (id: string) =>
      scheduledInvokes.filter((f) => f.at >= start && JSON.parse(f.payload).id === id);
    expect(firings('every-5')).toHaveLength(6);
    expect(firings('quarter-hours').length).toBeGreaterThanOrEqual(2);
    for (const f of firings('quarter-hours')) expect(new Date(f.at).getUTCMinutes() % 15).toBe(0);
    // Recurring schedules stay after firing.
    const got = await schedulerClient.send(
      new GetScheduleCommand({ Name: 'every-5', GroupName: 'podflow-timers' }),
    );
    expect(got.FlexibleTimeWindow).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 2 });
  });

  it('refuses a second schedule with the same name (ConflictException, 409)', async () => {
    await schedulerClient.send(new CreateScheduleCommand({ ...base, Name: 'twice' }));
    const err = await errorOf(schedulerClient.send(new CreateScheduleCommand({ ...base, Name: 'twice' })));
    expect(err).toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
  });
});

describe('DynamoDB (dynalite)', () => {
  it('refuses a failed condition with ConditionalCheckFailedException and an item over 400 KB with ValidationException', async () => {
    const client = new DynamoDBClient(sdkConfig(dynamo.endpoint));
    await ensureTable(client, 'contract');
    const put = (extra: Record<string, unknown> = {}, big = 0) =>
      client.send(
        new PutItemCommand({
          TableName: 'contract',
          Item: { PK: { S: 'p' }, SK: { S: 's' }, ...(big ? { blob: { S: 'x'.repeat(big) } } : {}) },
          ...extra,
        }),
      );
    await put();
    const conflict = await errorOf(put({ ConditionExpression: 'attribute_not_exists(PK)' }));
    expect(conflict).toBeInstanceOf(ConditionalCheckFailedException);
    const tooBig = await errorOf(put({}, 400 * 1024));
    expect(tooBig).toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/Item size has exceeded the maximum allowed size/),
    });
    client.destroy();
  });
});
