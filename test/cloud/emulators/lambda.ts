// TEST DOUBLE — not AWS. An AWS Lambda emulator speaking REST-JSON (`POST /2015-03-31/functions/{FunctionName}/
// invocations`) to the real @aws-sdk/client-lambda, for podflow's cloud tests. It runs the functions the harness
// registers from the synthesized template: the bundled module of the asset directory, its `Handler`, its
// environment, its timeout and memory setting.
//
// Each function runs in execution environments that are worker threads (lambda-runtime-worker.ts), one invocation
// at a time per environment, each with its own process.env; a busy function gets another environment (a cold
// start), an idle one is reused. Invoke (Lambda API reference, "Invoke"):
// - RequestResponse: 200 with the handler's result as JSON; a thrown error is 200 with `X-Amz-Function-Error:
//   Unhandled` and `{errorType, errorMessage, trace}`; a result over 6 MB is the error `Function.ResponseSizeTooLarge`
//   ("Response payload size exceeded maximum allowed payload size (6291556 bytes).").
// - Event: 202 at once; the invocation runs later and a function error is retried twice (Lambda developer guide,
//   "Asynchronous invocation": one minute before the first retry, two before the second — configurable here so
//   tests need not wait minutes).
// - DryRun: 204.
// - Reserved concurrency (`reservedConcurrency`, the template's ReservedConcurrentExecutions; Lambda developer guide,
//   "Configuring reserved concurrency"): at most N invocations of the function run at once, in at most N
//   environments; N = 0 throttles every invocation. A synchronous invocation (RequestResponse, and
//   InvokeWithResponseStream) while N run is refused: 429 TooManyRequestsException, Reason
//   ReservedFunctionConcurrentInvocationLimitExceeded, "Rate Exceeded.". An Event is still accepted (202) and waits in
//   the function's queue, first in first out, until an invocation ends (Lambda returns a throttled event to its queue
//   and retries it for up to six hours — "How Lambda handles errors and retries with asynchronous invocation"); the
//   emulator starts it as soon as an environment frees, ignores MaximumEventAgeInSeconds, and with N = 0 keeps it
//   queued until close(). A queued event counts in `inFlight`. Without a reserved concurrency nothing is limited.
// - The timeout: the environment is stopped and the error is `Sandbox.Timedout`, "RequestId: … Error: Task timed
//   out after N.00 seconds", as the Node.js runtime reports it; the next invocation starts a fresh environment.
// Errors: ResourceNotFoundException (404, unknown function), RequestTooLargeException (413: over 6 MB synchronous,
// over 1 MB asynchronous — the asynchronous limit AWS raised from 256 KB to 1 MB in October 2025),
// InvalidRequestContentException (400, a payload that is not JSON), InvalidParameterValueException (400, an unknown
// InvocationType).
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import {
  accessKeyOf,
  AwsError,
  DEFAULT_SCOPE,
  jsonResponse,
  restProtocol,
  startWireServer,
  type AwsScope,
  type EmulatorServer,
} from './aws-wire.ts';
import type { CloudWatchLogsEmulator } from './cloudwatch-logs.ts';
import type { UsageMeter } from './usage-meter.ts';
import type { EmulatorClock } from './emulator-clock.ts';
import type { IamAuthorizer } from './iam.ts';

/** Invoke: "6 MB each for request and response (synchronous)". */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Invoke: asynchronous request payload limit (1 MB since October 2025). */
export const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;
/** The response limit as Lambda reports it in Function.ResponseSizeTooLarge (6 MB plus 100 bytes). */
export const MAX_RESPONSE_BYTES = 6_291_556;
/** Asynchronous invocation: two retries, one and two minutes after the failure. */
export const DEFAULT_ASYNC_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

export interface LambdaFunctionConfig {
  name: string;
  arn: string;
  /** The directory holding the bundled module (the cloud assembly's `asset.<hash>`). */
  codeDir: string;
  /** `index.handler` */
  handler: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** CloudWatch Logs group of the function's output (LoggingConfig.LogGroup, else /aws/lambda/<name>). */
  logGroup: string;
  /** ReservedConcurrentExecutions: at most this many invocations at once (unset: no limit). */
  reservedConcurrency?: number;
}

export interface LambdaInvokeResult {
  statusCode: number;
  functionError?: 'Unhandled';
  payload: string;
}

interface Environment {
  worker: Worker;
  ready: Promise<{ ok: true } | { ok: false; error: ErrorPayload }>;
  busy: boolean;
  logStream: string;
}

/** Where a response-streaming invocation's output goes. */
interface StreamSink {
  onChunk: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

interface ErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export interface LambdaEmulatorOptions {
  clock: EmulatorClock;
  scope?: AwsScope;
  logs?: Pick<CloudWatchLogsEmulator, 'groups' | 'createLogGroup' | 'createLogStream' | 'putLogEvents'>;
  asyncRetryDelaysMs?: readonly number[];
  /** Also copy function output to this process's stderr (PODFLOW_CLOUD_DEBUG=1). */
  echoLogs?: boolean;
  /** Checks callers' identity-based policies (iam.ts): Invoke needs lambda:InvokeFunction on the function. */
  iam?: IamAuthorizer;
  /** Requests and GB-seconds are recorded here by function name (usage-meter.ts). */
  meter?: UsageMeter;
}

const WORKER_FILE = new URL('./lambda-runtime-worker.ts', import.meta.url);

/** What Lambda answers an invocation of a function at its reserved concurrency (also an injected throttle). */
const throttled = (): AwsError =>
  new AwsError('TooManyRequestsException', 'Rate Exceeded.', 429, {
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    Type: 'User',
  });

export class LambdaEmulator {
  readonly #functions = new Map<string, LambdaFunctionConfig>();
  readonly #pools = new Map<string, Environment[]>();
  readonly #opts: LambdaEmulatorOptions;
  readonly #scope: AwsScope;
  readonly #pendingAsync = new Set<() => void>();
  /** Invocations running now by function ARN, each in its own environment (reserved concurrency counts these). */
  readonly #running = new Map<string, number>();
  /** Events waiting for a free environment of a function at its reserved concurrency, by ARN (first in first out). */
  readonly #queues = new Map<string, Array<() => void>>();
  #closed = false;
  #inFlight = 0;
  /** Every invocation and how it ended (tests). */
  readonly invocations: Array<{
    function: string;
    type: string;
    event: unknown;
    outcome: 'ok' | 'error';
    error?: ErrorPayload;
    /** What the function returned (JSON), when it did. */
    payload?: string;
  }> = [];

  readonly #faults: Array<{
    kind: 'throttle' | 'error';
    matches: (fn: LambdaFunctionConfig, event: unknown) => boolean;
    remaining: number;
  }> = [];

  /**
   * Fault injection for tests: the next `times` Invoke calls matching `matches` fail without running the handler —
   * `throttle`: 429 TooManyRequestsException (Reason ReservedFunctionConcurrentInvocationLimitExceeded), what a
   * function at its concurrency limit answers and Step Functions reports as `Lambda.TooManyRequestsException`;
   * `error`: a function error (Unhandled), what a handler that throws returns (`States.TaskFailed` to a Task).
   */
  injectFault(
    kind: 'throttle' | 'error',
    matches: (fn: LambdaFunctionConfig, event: unknown) => boolean,
    times = 1,
  ): void {
    this.#faults.push({ kind, matches, remaining: times });
  }

  #fault(fn: LambdaFunctionConfig, payload: string): 'throttle' | 'error' | undefined {
    let event: unknown;
    try {
      event = JSON.parse(payload);
    } catch {
      return undefined;
    }
    const f = this.#faults.find((x) => x.remaining > 0 && x.matches(fn, event));
    if (!f) return undefined;
    f.remaining--;
    this.invocations.push({
      function: fn.name,
      type: 'injected',
      event,
      outcome: 'error',
      error: {
        errorType: f.kind === 'throttle' ? 'TooManyRequestsException' : 'InjectedFault',
        errorMessage: f.kind,
      },
    });
    return f.kind;
  }

  constructor(opts: LambdaEmulatorOptions) {
    this.#opts = opts;
    this.#scope = opts.scope ?? DEFAULT_SCOPE;
  }

  register(fn: LambdaFunctionConfig): void {
    this.#functions.set(fn.arn, fn);
    if (this.#opts.logs && !this.#opts.logs.groups.has(fn.logGroup))
      this.#opts.logs.createLogGroup(fn.logGroup);
  }

  /** A function by name, full or partial ARN (Invoke FunctionName), optionally qualified with `$LATEST`. */
  resolve(nameOrArn: string): LambdaFunctionConfig {
    const unqualified = nameOrArn.replace(/:\$LATEST$/, '');
    const name = unqualified.startsWith('arn:') ? unqualified.split(':')[6] : unqualified.split(':').pop();
    for (const fn of this.#functions.values()) {
      if (fn.arn === unqualified || fn.name === name) return fn;
    }
    throw new AwsError(
      'ResourceNotFoundException',
      `Function not found: arn:${this.#scope.partition}:lambda:${this.#scope.region}:${this.#scope.account}:function:${name}`,
      404,
      { Type: 'User' },
    );
  }

  get functions(): LambdaFunctionConfig[] {
    return [...this.#functions.values()];
  }

  async invoke(
    nameOrArn: string,
    payload: string,
    type: 'RequestResponse' | 'Event' | 'DryRun' = 'RequestResponse',
  ): Promise<LambdaInvokeResult> {
    const fn = this.resolve(nameOrArn);
    const size = Buffer.byteLength(payload);
    const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
    if (size > limit) {
      throw new AwsError(
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
        413,
        { Type: 'User' },
      );
    }
    let event: unknown = null;
    if (payload.length > 0) {
      try {
        event = JSON.parse(payload);
      } catch {
        throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json', 400, {
          Type: 'User',
        });
      }
    }
    if (type === 'DryRun') return { statusCode: 204, payload: '' };
    if (type === 'Event') {
      this.#runAsync(fn, event, 0);
      return { statusCode: 202, payload: '' };
    }
    return this.#run(fn, event, type);
  }

  /**
   * InvokeWithResponseStream (Lambda API reference), in process: the function's output reaches `onChunk` as it
   * writes it (a handler wrapped with `awslambda.streamifyResponse`; any other handler's result as one chunk). The
   * promise settles when the invocation ends: a function error, a timeout (`Sandbox.Timedout`) or success. Aborting
   * `signal` is the caller going away: the function's stream is destroyed (its next write fails), as when API
   * Gateway's connection to the function closes. Only API Gateway's streaming integration calls it; the emulator's
   * HTTP API does not serve the operation.
   */
  async invokeWithResponseStream(
    nameOrArn: string,
    payload: string,
    onChunk: (chunk: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<LambdaInvokeResult> {
    const fn = this.resolve(nameOrArn);
    if (Buffer.byteLength(payload) > MAX_SYNC_PAYLOAD_BYTES) {
      throw new AwsError(
        'RequestTooLargeException',
        `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeWithResponseStream operation`,
        413,
        { Type: 'User' },
      );
    }
    const event = JSON.parse(payload) as unknown;
    return this.#run(fn, event, 'ResponseStream', { onChunk, ...(signal ? { signal } : {}) });
  }

  #runAsync(fn: LambdaFunctionConfig, event: unknown, attempt: number): void {
    const start = () => {
      const run: Promise<LambdaInvokeResult> =
        this.#fault(fn, JSON.stringify(event)) !== undefined
          ? Promise.resolve({ statusCode: 200, functionError: 'Unhandled', payload: '' })
          : this.#run(fn, event, 'Event');
      void run.then(
        (r) => {
          const delays = this.#opts.asyncRetryDelaysMs ?? DEFAULT_ASYNC_RETRY_DELAYS_MS;
          if (r.functionError && attempt < delays.length && !this.#closed) {
            const cancel = this.#opts.clock.at(this.#opts.clock.now() + delays[attempt]!, () => {
              this.#pendingAsync.delete(cancel);
              this.#runAsync(fn, event, attempt + 1);
            });
            this.#pendingAsync.add(cancel);
          }
        },
        () => undefined, // the emulator closed
      );
    };
    // A function at its reserved concurrency: the event waits, behind any already waiting, for an environment.
    const queue = this.#queues.get(fn.arn) ?? [];
    if (queue.length > 0 || this.#atLimit(fn)) {
      this.#queues.set(fn.arn, queue);
      queue.push(start);
      this.#inFlight++;
      return;
    }
    start();
  }

  /** Whether the function runs as many invocations as its reserved concurrency allows. */
  #atLimit(fn: LambdaFunctionConfig): boolean {
    return fn.reservedConcurrency !== undefined && (this.#running.get(fn.arn) ?? 0) >= fn.reservedConcurrency;
  }

  /** Starts queued events while the function has a free environment. */
  #drain(fn: LambdaFunctionConfig): void {
    const queue = this.#queues.get(fn.arn);
    while (queue && queue.length > 0 && !this.#closed && !this.#atLimit(fn)) {
      this.#inFlight--;
      queue.shift()!();
    }
  }

  #environment(fn: LambdaFunctionConfig): Environment {
    const pool = this.#pools.get(fn.arn) ?? [];
    this.#pools.set(fn.arn, pool);
    const idle = pool.find((e) => !e.busy);
    if (idle) return idle;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const logStream = `${day}/[$LATEST]${randomUUID().replace(/-/g, '')}`;
    const worker = new Worker(WORKER_FILE, {
      env: { ...fn.environment, AWS_LAMBDA_LOG_STREAM_NAME: logStream },
      workerData: {
        codeDir: fn.codeDir,
        handler: fn.handler,
        functionName: fn.name,
        functionArn: fn.arn,
        memoryMb: fn.memoryMb,
        logGroup: fn.logGroup,
        logStream,
      },
      stdout: true,
      stderr: true,
      // Lambda's memory setting bounds the environment; a worker's old generation is the nearest knob.
      resourceLimits: { maxOldGenerationSizeMb: fn.memoryMb },
    });
    this.#captureLogs(fn, logStream, worker);
    const env: Environment = {
      worker,
      busy: false,
      logStream,
      ready: new Promise((resolve) => {
        worker.once('message', (m: { type: string; error?: ErrorPayload }) =>
          resolve(m.type === 'ready' ? { ok: true } : { ok: false, error: m.error! }),
        );
        worker.once('error', (err) =>
          resolve({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: String(err) } }),
        );
      }),
    };
    worker.unref();
    pool.push(env);
    return env;
  }

  #captureLogs(fn: LambdaFunctionConfig, stream: string, worker: Worker): void {
    const logs = this.#opts.logs;
    if (logs && !logs.groups.get(fn.logGroup)?.streams.has(stream)) {
      if (!logs.groups.has(fn.logGroup)) logs.createLogGroup(fn.logGroup);
      logs.createLogStream(fn.logGroup, stream);
    }
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (this.#opts.echoLogs) process.stderr.write(`[${fn.name}] ${text}`);
      const lines = text.split('\n').filter((l) => l.length > 0);
      if (logs && lines.length > 0) {
        try {
          logs.putLogEvents(
            fn.logGroup,
            stream,
            lines.map((message) => ({ timestamp: Date.now(), message })),
          );
        } catch {
          // A line CloudWatch refuses is lost, as it would be.
        }
      }
    };
    worker.stdout.on('data', onData);
    worker.stderr.on('data', onData);
  }

  /** The runtime's own START/END/REPORT lines, which Lambda writes to the function's log stream (text format). */
  #platformLog(fn: LambdaFunctionConfig, env: Environment, message: string): void {
    const logs = this.#opts.logs;
    if (!logs?.groups.get(fn.logGroup)?.streams.has(env.logStream)) return;
    try {
      logs.putLogEvents(fn.logGroup, env.logStream, [{ timestamp: Date.now(), message }]);
    } catch {
      // as #captureLogs
    }
  }

  #retire(fn: LambdaFunctionConfig, env: Environment): void {
    const pool = this.#pools.get(fn.arn) ?? [];
    pool.splice(pool.indexOf(env), 1);
    void env.worker.terminate();
  }

  /**
   * Invocations running now, and events queued for a function at its reserved concurrency (tests wait for 0 before
   * reading what a step cost).
   */
  get inFlight(): number {
    return this.#inFlight;
  }

  async #run(
    fn: LambdaFunctionConfig,
    event: unknown,
    type: string,
    stream?: StreamSink,
  ): Promise<LambdaInvokeResult> {
    if (this.#closed) throw new AwsError('ServiceException', 'the emulator is closed', 500);
    // Checked and taken in one step (no await between): a synchronous invocation over the limit is refused; an
    // asynchronous one only gets here with an environment free (#runAsync, #drain).
    if (this.#atLimit(fn)) throw throttled();
    this.#inFlight++;
    this.#running.set(fn.arn, (this.#running.get(fn.arn) ?? 0) + 1);
    try {
      return await this.#runIn(fn, event, type, stream);
    } finally {
      this.#inFlight--;
      this.#running.set(fn.arn, this.#running.get(fn.arn)! - 1);
      this.#drain(fn);
    }
  }

  async #runIn(
    fn: LambdaFunctionConfig,
    event: unknown,
    type: string,
    stream?: StreamSink,
  ): Promise<LambdaInvokeResult> {
    const env = this.#environment(fn);
    env.busy = true;
    const requestId = randomUUID();
    const record = (outcome: 'ok' | 'error', error?: ErrorPayload, payload?: string) =>
      this.invocations.push({
        function: fn.name,
        type,
        event,
        outcome,
        ...(error ? { error } : {}),
        ...(payload !== undefined ? { payload } : {}),
      });
    const fail = (error: ErrorPayload): LambdaInvokeResult => {
      record('error', error);
      return { statusCode: 200, functionError: 'Unhandled', payload: JSON.stringify(error) };
    };
    const init = await env.ready;
    if (!init.ok) {
      this.#retire(fn, env);
      return fail(init.error);
    }
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const startedAt = performance.now();
    this.#platformLog(fn, env, `START RequestId: ${requestId} Version: $LATEST`);
    const outcome = await new Promise<{ type: string; payload?: string; error?: ErrorPayload }>((resolve) => {
      const timer = setTimeout(() => {
        env.worker.off('message', onMessage);
        resolve({
          type: 'timeout',
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
      }, fn.timeoutSeconds * 1000);
      const onMessage = (m: {
        type: string;
        id?: number;
        payload?: string;
        error?: ErrorPayload;
        data?: Uint8Array;
      }) => {
        if (m.id !== id) return;
        if (m.type === 'chunk') {
          stream?.onChunk(Buffer.from(m.data!));
          return;
        }
        stream?.signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        env.worker.off('message', onMessage);
        env.worker.off('exit', onExit);
        resolve(m);
      };
      const onExit = () => {
        clearTimeout(timer);
        resolve({
          type: 'exit',
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: ${requestId} Error: Runtime exited`,
          },
        });
      };
      const id = Math.floor(Math.random() * 2 ** 31);
      const onAbort = () => env.worker.postMessage({ type: 'cancel', id });
      stream?.signal?.addEventListener('abort', onAbort, { once: true });
      env.worker.on('message', onMessage);
      env.worker.once('exit', onExit);
      env.worker.postMessage({ id, requestId, event, deadline, stream: stream !== undefined });
    });
    // Lambda bills the duration rounded up to the millisecond (at the configured memory), and writes END and REPORT
    // (the emulator does not measure a worker's memory: the limit stands in for Max Memory Used, same width).
    const billedMs = Math.max(1, Math.ceil(performance.now() - startedAt));
    this.#opts.meter?.record(fn.name, 'lambda.requests', 1);
    this.#opts.meter?.record(fn.name, 'lambda.seconds', billedMs / 1000);
    this.#platformLog(fn, env, `END RequestId: ${requestId}`);
    this.#platformLog(
      fn,
      env,
      `REPORT RequestId: ${requestId}\tDuration: ${billedMs.toFixed(2)} ms\tBilled Duration: ${billedMs} ms\tMemory Size: ${fn.memoryMb} MB\tMax Memory Used: ${fn.memoryMb} MB\t`,
    );
    if (outcome.type === 'timeout' || outcome.type === 'exit') {
      // A timed-out environment is not reused (Lambda resets it).
      this.#retire(fn, env);
      return fail(outcome.error!);
    }
    env.busy = false;
    if (outcome.type === 'error') return fail(outcome.error!);
    const payload = outcome.payload ?? 'null';
    if (Buffer.byteLength(payload) > MAX_RESPONSE_BYTES) {
      return fail({
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      });
    }
    record('ok', undefined, payload);
    return { statusCode: 200, payload };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const cancel of this.#pendingAsync) cancel();
    // Queued events are dropped, as the invocations still running end when their environments stop.
    for (const queue of this.#queues.values()) this.#inFlight -= queue.length;
    this.#queues.clear();
    await Promise.all([...this.#pools.values()].flat().map((e) => e.worker.terminate()));
    this.#pools.clear();
  }

  async listen(): Promise<EmulatorServer> {
    return startWireServer(
      restProtocol([
        {
          method: 'POST',
          path: '/2015-03-31/functions/{FunctionName}/invocations',
          handle: async (req, labels) => {
            const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
            if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
              throw new AwsError('InvalidParameterValueException', `Invalid InvocationType: ${type}`, 400, {
                Type: 'User',
              });
            }
            const qualifier = req.query.get('Qualifier');
            if (qualifier !== null && qualifier !== '$LATEST') {
              throw new AwsError(
                'ResourceNotFoundException',
                `Function not found: ${labels.FunctionName}:${qualifier}`,
                404,
                { Type: 'User' },
              );
            }
            this.#opts.iam?.authorize(
              accessKeyOf(req.headers.authorization),
              'lambda:InvokeFunction',
              this.resolve(labels.FunctionName!).arn,
              403,
            );
            const body = req.body.toString('utf8');
            // An asynchronous invocation is accepted (202) before it runs: an injected fault is its run's, and the
            // event is retried as after any failed run (#runAsync).
            const fault =
              type === 'Event' ? undefined : this.#fault(this.resolve(labels.FunctionName!), body);
            if (fault === 'throttle') throw throttled();
            const r =
              fault === 'error'
                ? {
                    statusCode: 200,
                    functionError: 'Unhandled',
                    payload: JSON.stringify({ errorType: 'InjectedFault', errorMessage: 'injected fault' }),
                  }
                : await this.invoke(labels.FunctionName!, body, type as 'Event');
            return {
              status: r.statusCode,
              headers: {
                'content-type': 'application/json',
                'x-amzn-requestid': randomUUID(),
                ...(r.statusCode === 200 ? { 'x-amz-executed-version': '$LATEST' } : {}),
                ...(r.functionError ? { 'x-amz-function-error': r.functionError } : {}),
              },
              body: r.payload,
            };
          },
        },
        {
          method: 'GET',
          path: '/2015-03-31/functions/{FunctionName}',
          handle: async (_req, labels) => {
            const fn = this.resolve(labels.FunctionName!);
            return jsonResponse(200, {
              Configuration: {
                FunctionName: fn.name,
                FunctionArn: fn.arn,
                Handler: fn.handler,
                Timeout: fn.timeoutSeconds,
                MemorySize: fn.memoryMb,
                Runtime: 'nodejs22.x',
                State: 'Active',
                Environment: { Variables: fn.environment },
              },
              ...(fn.reservedConcurrency !== undefined
                ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } }
                : {}),
            });
          },
        },
      ]),
    );
  }
}
