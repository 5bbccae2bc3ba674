// TEST DOUBLE — not AWS. An AWS Step Functions (Standard) emulator speaking AWS JSON 1.0 (`X-Amz-Target:
// AWSStepFunctions.<Op>`) to the real @aws-sdk/client-sfn, for podflow's cloud tests. The harness registers the
// state machine the template defines (CreateStateMachine is not emulated); executions run that definition in
// aws-local-stepfunctions, with every Task state overridden by name — inside Map item processors too — to what
// the state's Resource names:
//   arn:aws:states:::lambda:invoke                    Invoke the function of Parameters.FunctionName through the
//                                                     Lambda emulator's API; the output is
//                                                     {ExecutedVersion, Payload, StatusCode, SdkHttpMetadata, …};
//                                                     a function error fails the state with Error = errorType and
//                                                     Cause = the error payload, a Lambda API error with
//                                                     `Lambda.<Exception>` (Step Functions developer guide, "Invoke
//                                                     an AWS Lambda function with Step Functions").
//   arn:aws:states:::lambda:invoke.waitForTaskToken   The same invoke, then the state waits until SendTaskSuccess /
//                                                     SendTaskFailure names its token (the output is the JSON
//                                                     given) or its TimeoutSeconds pass (States.Timeout; the token
//                                                     then answers TaskTimedOut).
// The interpreter's `$$.Task.Token` is one static value per run, so each wait gets a token of its own, put in place
// of the static one in the payload (as src/local/local-workflow-client.ts does). A Task without TimeoutSeconds is
// bounded by the interpreter's 60 s default, not AWS's 99999999 s — podflow's definition sets every wait's timeout
// and its plain tasks are bounded by the Lambda timeout.
//
// Implemented (Step Functions API reference): StartExecution (name idempotency: an open execution with the same name
// and input is returned again; any other reuse of a name is ExecutionAlreadyExists), DescribeExecution,
// StopExecution, ListExecutions, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, DescribeStateMachine.
// Errors: StateMachineDoesNotExist, ExecutionDoesNotExist, ExecutionAlreadyExists, InvalidArn, InvalidName,
// InvalidExecutionInput (not JSON), InvalidOutput (not JSON), InvalidToken (not a token), TaskDoesNotExist (a token
// no task had), TaskTimedOut (a task that timed out or was already completed: "Task Timed Out: 'Provided task does
// not exist anymore'"), ValidationException (input/output over 262,144 bytes, the 256 KB payload quota).
// Each status change of an execution (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED) is a `Step Functions Execution
// Status Change` event on the EventBridge emulator's default bus, with the documented detail.
import { randomUUID } from 'node:crypto';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import type { EventBridgeEmulator } from './eventbridge.ts';
import type { IamAuthorizer } from './iam.ts';
import type { UsageMeter } from './usage-meter.ts';
import {
  AwsError,
  checkShape,
  DEFAULT_SCOPE,
  epochSeconds,
  jsonProtocol,
  startWireServer,
  type AwsScope,
  type EmulatorServer,
} from './aws-wire.ts';

/** Step Functions quota: 256 KB for an execution's input, a task's output, any state's data. */
export const MAX_PAYLOAD_BYTES = 262_144;
/** The interpreter's default Task timeout (aws-local-stepfunctions TaskStateAction DEFAULT_TIMEOUT_SECONDS). */
const INTERPRETER_TASK_TIMEOUT_SECONDS = 60;

type Json = Record<string, unknown>;

interface TaskStateInfo {
  name: string;
  resource: string;
  timeoutSeconds: number;
}

interface Execution {
  arn: string;
  name: string;
  stateMachineArn: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  abort: () => void;
}

interface Wait {
  executionArn: string;
  stateName: string;
  state: 'waiting' | 'done';
  resolve: (output: unknown) => void;
  reject: (err: Error) => void;
}

interface RegisteredStateMachine {
  arn: string;
  name: string;
  definition: Json;
  roleArn: string;
  machine: StateMachine;
  tasks: TaskStateInfo[];
}

/** Every Task state of a definition, Map item processors and Parallel branches included. */
export function taskStates(definition: Json): TaskStateInfo[] {
  const found: TaskStateInfo[] = [];
  const walk = (states: Record<string, Json>) => {
    for (const [name, s] of Object.entries(states)) {
      if (s.Type === 'Task') {
        found.push({
          name,
          resource: String(s.Resource),
          timeoutSeconds:
            typeof s.TimeoutSeconds === 'number' ? s.TimeoutSeconds : INTERPRETER_TASK_TIMEOUT_SECONDS,
        });
      }
      const proc = (s.ItemProcessor ?? s.Iterator) as { States: Record<string, Json> } | undefined;
      if (proc) walk(proc.States);
      for (const b of (s.Branches as Array<{ States: Record<string, Json> }> | undefined) ?? [])
        walk(b.States);
    }
  };
  walk(definition.States as Record<string, Json>);
  return found;
}

let timeoutError: Promise<Error> | undefined;

/**
 * The interpreter's own States.Timeout error, as its TimeoutSeconds raises it: the interpreter tells it from other
 * errors by its class (a `States.TaskFailed` retrier does not match a timeout, as on AWS), and does not export the
 * class — so one is taken from a throwaway run whose one Task times out after a second.
 */
function interpreterTimeoutError(): Promise<Error> {
  timeoutError ??= (async () => {
    const machine = new StateMachine(
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 1, End: true },
        },
      } as never,
      { validationOptions: { checkPaths: false, checkArn: false } },
    );
    const run = machine.run(
      {},
      { overrides: { taskResourceLocalHandlers: { T: () => new Promise(() => undefined) } } as never },
    );
    const err = (await run.result.then(
      () => undefined,
      (e: unknown) => e,
    )) as { cause?: unknown } | undefined;
    if (!(err?.cause instanceof Error) || err.cause.name !== 'States.Timeout')
      throw new Error('the interpreter did not time out its Task with States.Timeout');
    return err.cause;
  })();
  return timeoutError;
}

class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export interface StepFunctionsEmulatorOptions {
  /**
   * A Lambda client whose endpoint is the Lambda emulator: Task states invoke functions through its API (signing with
   * the state machine role's credentials, so the Lambda emulator checks that role's policy).
   */
  lambda: LambdaClient;
  scope?: AwsScope;
  /** Checks callers' identity-based policies (iam.ts). */
  iam?: IamAuthorizer;
  /**
   * Where `Step Functions Execution Status Change` events go (Standard workflows send one per status change to the
   * default bus: "Automating Step Functions event delivery with EventBridge").
   */
  eventBridge?: Pick<EventBridgeEmulator, 'deliverServiceEvent'>;
  /** State transitions (each state entered, each retry: what Standard bills) are recorded here as `states`. */
  meter?: UsageMeter;
}

export class StepFunctionsEmulator {
  readonly #opts: StepFunctionsEmulatorOptions;
  readonly #scope: AwsScope;
  readonly #machines = new Map<string, RegisteredStateMachine>();
  readonly #executions = new Map<string, Execution>();
  readonly #waits = new Map<string, Wait>();
  /** Tokens of waits that ended (completed or timed out): they answer TaskTimedOut. */
  readonly #ended = new Set<string>();

  constructor(opts: StepFunctionsEmulatorOptions) {
    this.#opts = opts;
    this.#scope = opts.scope ?? DEFAULT_SCOPE;
  }

  registerStateMachine(sm: { name: string; definition: Json; roleArn: string }): string {
    const arn = `arn:${this.#scope.partition}:states:${this.#scope.region}:${this.#scope.account}:stateMachine:${sm.name}`;
    const machine = new StateMachine(sm.definition as never, {
      validationOptions: { checkPaths: false, checkArn: false },
    });
    this.#machines.set(arn, {
      arn,
      name: sm.name,
      definition: sm.definition,
      roleArn: sm.roleArn,
      machine,
      tasks: taskStates(sm.definition),
    });
    return arn;
  }

  get executions(): ReadonlyMap<string, Readonly<Execution>> {
    return this.#executions;
  }

  #handlers(
    sm: RegisteredStateMachine,
    execution: () => Execution,
    staticToken: string,
  ): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const task of sm.tasks) {
      if (task.resource === 'arn:aws:states:::lambda:invoke') {
        handlers[task.name] = async (params) => this.#invoke(params as Json);
      } else if (task.resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        handlers[task.name] = async (params) =>
          this.#invokeAndWait(params as Json, task, execution(), staticToken);
      } else {
        handlers[task.name] = async () => {
          throw new TaskFailure('States.Runtime', `the emulator does not run Task resource ${task.resource}`);
        };
      }
    }
    return handlers;
  }

  async #invoke(params: Json): Promise<unknown> {
    const { FunctionName, Payload, InvocationType } = params;
    let out;
    try {
      out = await this.#opts.lambda.send(
        new InvokeCommand({
          FunctionName: String(FunctionName),
          Payload: Buffer.from(JSON.stringify(Payload ?? {})),
          ...(typeof InvocationType === 'string' ? { InvocationType: InvocationType as 'Event' } : {}),
        }),
      );
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'ServiceException';
      throw new TaskFailure(`Lambda.${name}`, (err as Error).message);
    }
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    if (out.FunctionError) {
      const error = JSON.parse(text || '{}') as { errorType?: string };
      throw new TaskFailure(error.errorType ?? 'Lambda.Unknown', text);
    }
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      throw new TaskFailure(
        'States.DataLimitExceeded',
        `The state/task returned a result with a size exceeding the maximum number of bytes service limit.`,
      );
    }
    return {
      ExecutedVersion: out.ExecutedVersion ?? '$LATEST',
      Payload: text ? (JSON.parse(text) as unknown) : null,
      SdkHttpMetadata: { HttpStatusCode: out.StatusCode ?? 200 },
      SdkResponseMetadata: { RequestId: out.$metadata.requestId ?? randomUUID() },
      StatusCode: out.StatusCode ?? 200,
    };
  }

  async #invokeAndWait(
    params: Json,
    task: TaskStateInfo,
    execution: Execution,
    staticToken: string,
  ): Promise<unknown> {
    const token = Buffer.from(JSON.stringify({ e: execution.arn, s: task.name, n: randomUUID() })).toString(
      'base64url',
    );
    const replaced = JSON.parse(JSON.stringify(params).split(staticToken).join(token)) as Json;
    const result = new Promise<unknown>((resolve, reject) =>
      this.#waits.set(token, {
        executionArn: execution.arn,
        stateName: task.name,
        state: 'waiting',
        resolve,
        reject,
      }),
    );
    result.catch(() => undefined);
    // The interpreter fails the state with States.Timeout after TimeoutSeconds; the token then answers TaskTimedOut.
    const timer = setTimeout(() => this.#endWait(token), task.timeoutSeconds * 1000);
    timer.unref();
    try {
      await this.#invoke(replaced);
      return await result;
    } finally {
      clearTimeout(timer);
      this.#endWait(token);
    }
  }

  /**
   * Test hook: every waiting task of state `stateName` fails with States.Timeout now, as when its TimeoutSeconds
   * pass (a day for the steady state's await) — the interpreter's own timer runs on real time. Resolves the count.
   */
  async timeOutWaits(stateName: string): Promise<number> {
    const timeout = await interpreterTimeoutError();
    let n = 0;
    for (const [token, wait] of [...this.#waits]) {
      if (wait.stateName !== stateName || wait.state !== 'waiting') continue;
      this.#endWait(token);
      wait.reject(timeout);
      n++;
    }
    return n;
  }

  /** How many tasks of state `stateName` wait for their token now. */
  /** The states in which an execution waits for its task token now. */
  waitsOf(executionArn: string): string[] {
    return [...this.#waits.values()]
      .filter((w) => w.executionArn === executionArn && w.state === 'waiting')
      .map((w) => w.stateName);
  }

  waitingIn(stateName: string): number {
    return [...this.#waits.values()].filter((w) => w.stateName === stateName && w.state === 'waiting').length;
  }

  #endWait(token: string): void {
    if (this.#waits.delete(token)) this.#ended.add(token);
  }

  startExecution(input: Json): Json {
    checkShape(input, {
      required: ['stateMachineArn'],
      optional: ['name', 'input', 'traceHeader'],
      maxLength: { input: MAX_PAYLOAD_BYTES },
    });
    const arnText = String(input.stateMachineArn);
    if (!/^arn:[^:]+:states:[^:]+:\d{12}:stateMachine:[^:]+$/.test(arnText))
      throw new AwsError('InvalidArn', `Invalid Arn: '${arnText}'`);
    const sm = this.#machines.get(arnText);
    if (!sm) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arnText}'`);
    const name = typeof input.name === 'string' ? input.name : randomUUID();
    // StartExecution name: 1–80 characters, no whitespace, brackets, wildcards, special characters or controls.
    if (
      name.length < 1 ||
      name.length > 80 ||
      /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name) ||
      [...name].some((c) => c.charCodeAt(0) <= 0x1f || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))
    ) {
      throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    }
    const text = typeof input.input === 'string' ? input.input : '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AwsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: 'Unexpected token'`,
      );
    }
    const arn = `arn:${this.#scope.partition}:states:${this.#scope.region}:${this.#scope.account}:execution:${sm.name}:${name}`;
    const existing = this.#executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn: arn, startDate: epochSeconds(existing.startDate) };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const staticToken = `emulator-static-token-${randomUUID()}`;
    const startDate = Date.now();
    const execution: Execution = {
      arn,
      name,
      stateMachineArn: sm.arn,
      input: text,
      status: 'RUNNING',
      startDate,
      abort: () => undefined,
    };
    this.#executions.set(arn, execution);
    const run = sm.machine.run(parsed as never, {
      overrides: { taskResourceLocalHandlers: this.#handlers(sm, () => execution, staticToken) as never },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: arn,
          Name: name,
          RoleArn: sm.roleArn,
          StartTime: new Date(startDate).toISOString(),
          Input: parsed as never,
        },
        StateMachine: { Id: sm.arn, Name: sm.name },
        Task: { Token: staticToken },
      } as never,
    });
    execution.abort = run.abort;
    const meter = this.#opts.meter;
    if (meter) {
      void (async () => {
        for await (const e of run.eventLogs as AsyncIterable<{ type: string }>) {
          if (process.env.SFN_DEBUG)
            console.error('SFN', e.type, (e as { state?: { name?: string } }).state?.name);
          if (e.type === 'StateEntered' || e.type === 'StateRetried')
            meter.record('states', 'sfn.transitions', 1);
        }
      })().catch(() => undefined);
    }
    this.#emitStatus(execution);
    run.result.then(
      (output: unknown) => {
        if (execution.status !== 'RUNNING') return;
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output ?? null);
        execution.stopDate = Date.now();
        this.#dropWaits(arn);
        this.#emitStatus(execution);
      },
      (err: Error) => {
        if (execution.status !== 'RUNNING') return;
        const cause = err.cause as Error | undefined;
        execution.status = err.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
        execution.error = cause?.name ?? err.name;
        execution.cause = cause?.message ?? err.message;
        execution.stopDate = Date.now();
        this.#dropWaits(arn);
        this.#emitStatus(execution);
      },
    );
    return { executionArn: arn, startDate: epochSeconds(startDate) };
  }

  /** The documented event: dates in epoch milliseconds, input and output as JSON strings. */
  #emitStatus(e: Execution): void {
    this.#opts.eventBridge?.deliverServiceEvent({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      resources: [e.arn],
      detail: {
        executionArn: e.arn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate ?? null,
        input: e.input,
        output: e.output ?? null,
        inputDetails: { included: true },
        outputDetails: e.output === undefined ? null : { included: true },
        error: e.error ?? null,
        cause: e.cause ?? null,
      },
    });
  }

  #dropWaits(executionArn: string): void {
    for (const [token, w] of this.#waits) {
      if (w.executionArn === executionArn) {
        w.reject(new TaskFailure('States.Runtime', 'execution ended'));
        this.#endWait(token);
      }
    }
  }

  #wait(token: unknown): [string, Wait] {
    const t = String(token ?? '');
    if (t.length < 1 || t.length > 2048) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length less than or equal to 2048`,
      );
    }
    let decoded: { e?: string; n?: string } | undefined;
    try {
      decoded = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { e?: string; n?: string };
    } catch {
      decoded = undefined;
    }
    if (!decoded?.e || !decoded.n) throw new AwsError('InvalidToken', "Invalid Token: 'Invalid token'");
    const w = this.#waits.get(t);
    if (w) return [t, w];
    if (this.#ended.has(t))
      throw new AwsError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    throw new AwsError('TaskDoesNotExist', 'Task does not exist');
  }

  /**
   * The IAM action and resource of a request (Service Authorization Reference, AWS Step Functions): executions for
   * the execution operations, the state machine for StartExecution and — through the execution the token belongs
   * to — for the task-token operations.
   */
  readonly #faults: Array<{ operation: string; remaining: number; executionArn?: string }> = [];

  /**
   * Fault injection for tests: the next `times` calls of `operation` fail with ThrottlingException ("Rate exceeded"),
   * as Step Functions answers a caller over its API quota, without doing anything. With `executionArn`, only calls
   * about that execution count (SendTaskSuccess/Failure: the execution whose task the token names).
   */
  injectFault(operation: string, times = 1, executionArn?: string): void {
    this.#faults.push({ operation, remaining: times, ...(executionArn ? { executionArn } : {}) });
  }

  /** Injected failures not yet used up (0 once every one has been answered). */
  get faultsLeft(): number {
    return this.#faults.reduce((n, f) => n + f.remaining, 0);
  }

  #authorize(operation: string, input: Record<string, unknown>, accessKeyId: string | undefined): void {
    const about = String(input.executionArn ?? this.#waits.get(String(input.taskToken))?.executionArn ?? '');
    const fault = this.#faults.find(
      (f) =>
        f.operation === operation &&
        f.remaining > 0 &&
        (f.executionArn === undefined || f.executionArn === about),
    );
    if (fault) {
      fault.remaining--;
      throw new AwsError('ThrottlingException', 'Rate exceeded');
    }
    const iam = this.#opts.iam;
    if (!iam) return;
    let resource = '*';
    if (typeof input.stateMachineArn === 'string') resource = input.stateMachineArn;
    else if (typeof input.executionArn === 'string') resource = input.executionArn;
    else if (typeof input.taskToken === 'string') {
      const execution = this.#waits.get(input.taskToken)?.executionArn ?? tokenExecution(input.taskToken);
      if (execution) resource = execution.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
    }
    iam.authorize(accessKeyId, `states:${operation}`, resource);
  }

  async listen(): Promise<EmulatorServer> {
    return startWireServer(
      jsonProtocol(
        'AWSStepFunctions',
        '1.0',
        {
          StartExecution: (i) => this.startExecution(i),
          DescribeExecution: (i) => {
            checkShape(i, { required: ['executionArn'], optional: ['includedData'] });
            const e = this.#execution(i.executionArn);
            return compact({
              executionArn: e.arn,
              stateMachineArn: e.stateMachineArn,
              name: e.name,
              status: e.status,
              startDate: epochSeconds(e.startDate),
              stopDate: e.stopDate === undefined ? undefined : epochSeconds(e.stopDate),
              input: e.input,
              inputDetails: { included: true },
              output: e.output,
              outputDetails: e.output === undefined ? undefined : { included: true },
              error: e.error,
              cause: e.cause,
            });
          },
          StopExecution: (i) => {
            checkShape(i, { required: ['executionArn'], optional: ['error', 'cause'] });
            const e = this.#execution(i.executionArn);
            if (e.status === 'RUNNING') {
              e.status = 'ABORTED';
              e.stopDate = Date.now();
              if (typeof i.error === 'string') e.error = i.error;
              if (typeof i.cause === 'string') e.cause = i.cause;
              e.abort();
              this.#dropWaits(e.arn);
              this.#emitStatus(e);
            }
            return { stopDate: epochSeconds(e.stopDate ?? Date.now()) };
          },
          ListExecutions: (i) => {
            checkShape(i, {
              optional: [
                'stateMachineArn',
                'statusFilter',
                'maxResults',
                'nextToken',
                'mapRunArn',
                'redriveFilter',
              ],
            });
            return {
              executions: [...this.#executions.values()]
                .filter(
                  (e) =>
                    (i.stateMachineArn === undefined || e.stateMachineArn === i.stateMachineArn) &&
                    (i.statusFilter === undefined || e.status === i.statusFilter),
                )
                .map((e) =>
                  compact({
                    executionArn: e.arn,
                    stateMachineArn: e.stateMachineArn,
                    name: e.name,
                    status: e.status,
                    startDate: epochSeconds(e.startDate),
                    stopDate: e.stopDate === undefined ? undefined : epochSeconds(e.stopDate),
                  }),
                ),
            };
          },
          DescribeStateMachine: (i) => {
            checkShape(i, { required: ['stateMachineArn'], optional: ['includedData'] });
            const sm = this.#machines.get(String(i.stateMachineArn));
            if (!sm)
              throw new AwsError(
                'StateMachineDoesNotExist',
                `State Machine Does Not Exist: '${String(i.stateMachineArn)}'`,
              );
            return {
              stateMachineArn: sm.arn,
              name: sm.name,
              status: 'ACTIVE',
              definition: JSON.stringify(sm.definition),
              roleArn: sm.roleArn,
              type: 'STANDARD',
              creationDate: epochSeconds(Date.now()),
            };
          },
          SendTaskSuccess: (i) => {
            checkShape(i, { required: ['taskToken', 'output'], maxLength: { output: MAX_PAYLOAD_BYTES } });
            const [token, w] = this.#wait(i.taskToken);
            let output: unknown;
            try {
              output = JSON.parse(String(i.output));
            } catch {
              throw new AwsError('InvalidOutput', "Invalid Output: 'the output is not valid JSON'");
            }
            this.#endWait(token);
            w.resolve(output);
            return {};
          },
          SendTaskFailure: (i) => {
            checkShape(i, {
              required: ['taskToken'],
              optional: ['error', 'cause'],
              maxLength: { error: 256, cause: 32_768 },
            });
            const [token, w] = this.#wait(i.taskToken);
            this.#endWait(token);
            w.reject(
              new TaskFailure(
                typeof i.error === 'string' ? i.error : '',
                typeof i.cause === 'string' ? i.cause : '',
              ),
            );
            return {};
          },
          SendTaskHeartbeat: (i) => {
            checkShape(i, { required: ['taskToken'] });
            this.#wait(i.taskToken);
            return {};
          },
        },
        (op, input, accessKeyId) => this.#authorize(op, input, accessKeyId),
      ),
    );
  }

  #execution(arn: unknown): Execution {
    const text = String(arn);
    if (!/^arn:[^:]+:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(text))
      throw new AwsError('InvalidArn', `Invalid Arn: '${text}'`);
    const e = this.#executions.get(text);
    if (!e) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${text}'`);
    return e;
  }

  /** Aborts every running execution (harness shutdown). */
  close(): void {
    for (const e of this.#executions.values()) {
      if (e.status === 'RUNNING') {
        e.status = 'ABORTED';
        e.stopDate = Date.now();
        e.abort();
        this.#dropWaits(e.arn);
      }
    }
  }
}

/** The execution ARN a task token of this emulator names, if it is one. */
function tokenExecution(token: string): string | undefined {
  try {
    return (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { e?: string }).e;
  } catch {
    return undefined;
  }
}

function compact(o: Json): Json {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
