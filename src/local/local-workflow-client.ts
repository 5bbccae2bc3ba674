// Runs the pod worker's committed ASL (infra/generated/pod-worker.asl.json) in-process with
// aws-local-stepfunctions: the very definition CDK deploys, not a re-implementation (docs/architecture.md §9). Every
// Task state is overridden by name to the lifecycle step handler; `.waitForTaskToken` tasks get a token of their own
// per wait (the interpreter's `$$.Task.Token` is one static value per run) and settle when sendTaskSuccess receives
// it.
import { randomUUID } from 'node:crypto';
import { StateMachine } from './aws-local-stepfunctions.ts';
import type { WorkerInput, WorkflowClient } from '../ports/workflow-client.ts';
import type { StepPacer } from './step-pacer.ts';

type StepHandler = (input: Record<string, unknown>) => Promise<unknown>;

interface TaskStateInfo {
  name: string;
  waits: boolean;
}

/** All Task states of a definition, including those inside Map item processors and Parallel branches. */
export function taskStatesOf(definition: { States: Record<string, unknown> }): TaskStateInfo[] {
  const found: TaskStateInfo[] = [];
  const walk = (states: Record<string, unknown>) => {
    for (const [name, raw] of Object.entries(states)) {
      const s = raw as {
        Type: string;
        Resource?: string;
        ItemProcessor?: { States: Record<string, unknown> };
        Iterator?: { States: Record<string, unknown> };
        Branches?: Array<{ States: Record<string, unknown> }>;
      };
      if (s.Type === 'Task') found.push({ name, waits: (s.Resource ?? '').endsWith('.waitForTaskToken') });
      if (s.ItemProcessor) walk(s.ItemProcessor.States);
      if (s.Iterator) walk(s.Iterator.States);
      for (const b of s.Branches ?? []) walk(b.States);
    }
  };
  walk(definition.States);
  return found;
}

/**
 * The interpreter keeps every execution's history (each state entered and exited, with its input and output) in an
 * in-memory queue until someone reads `eventLogs`. Nothing here reads it, and a pod's worker lives as long as the pod —
 * a Supervise loop adds six entries, 2–4 KiB with the inputs and outputs they hold — so the queue is drained as it
 * fills.
 * The history that matters is the pod's own (the store's state and Events).
 */
async function discardEventLog(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events) {
    // dropped
  }
}

export interface LocalWorkflowClientOptions {
  definition: { States: Record<string, unknown> };
  /** The lifecycle handler: receives the Task's Payload, returns the Lambda's result. */
  step: StepHandler;
  /**
   * An execution that ended with an error (the worker's own failure, never a pod failure), with the input it was
   * started with: what a `Step Functions Execution Status Change` event says in the cloud. Not called for the
   * executions stop() aborts. stop() waits for what it returns.
   */
  onExecutionError?: (name: string, input: WorkerInput, err: unknown) => void | Promise<void>;
  /** Starts the steps in slices of the event loop's turns (step-pacer.ts); without it every step starts at once. */
  pacer?: StepPacer;
}

export class LocalWorkflowClient implements WorkflowClient {
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, (input: unknown) => Promise<unknown>>;
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();
  private readonly waiters = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  /** Lifecycle steps being carried out: stop() lets them finish before the store goes away. */
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly options: LocalWorkflowClientOptions;
  private stopping = false;

  constructor(options: LocalWorkflowClientOptions) {
    this.options = options;
    // The definition is validated where it is generated, not here: `test/infra/asl.test.ts` and `npm run gen:asl`
    // run asl-validator (JSONPath and ARN checks included) on the committed file. Validating at every engine start
    // compiles the validator's JSON schemas with ajv — about half a second of CPU before the first pod can run.
    this.machine = new StateMachine(options.definition as never, {
      validationOptions: { noValidate: true },
    });
    this.handlers = {};
    for (const task of taskStatesOf(options.definition)) {
      this.handlers[task.name] = task.waits
        ? (input) => this.awaitTask(input)
        : (input) => this.invoke(input);
    }
  }

  /** Names of the executions still running (for tests and shutdown). */
  get executions(): string[] {
    return [...this.running.keys()];
  }

  async startExecution(name: string, input: WorkerInput): Promise<void> {
    if (this.running.has(name)) return; // starting the same execution twice is harmless
    const execution = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.handlers as never },
      noThrowOnAbort: true,
      // `$$.Task.Token` must resolve; each await replaces it with a token of its own (see awaitTask).
      context: {
        Execution: {
          Id: `local:${name}`,
          Name: name,
          Input: input as never,
          StartTime: new Date().toISOString(),
        },
        Task: { Token: 'interpreter-static-token' },
      },
    });
    void discardEventLog(execution.eventLogs);
    const done = execution.result.then(
      () => undefined,
      async (err: unknown) => {
        if (!this.stopping) await this.options.onExecutionError?.(name, input, err);
      },
    );
    this.running.set(name, { abort: execution.abort, done });
    void done.finally(() => this.running.delete(name));
  }

  async sendTaskSuccess(token: string): Promise<void> {
    const waiter = this.waiters.get(token);
    if (!waiter) return; // unknown, completed or timed out: ignored, as the port allows
    this.waiters.delete(token);
    waiter.resolve();
  }

  /**
   * Shutdown: aborts every execution, fails the waits they were parked in (the interpreter keeps a task's
   * TimeoutSeconds timer armed until its handler settles — a day for SuperviseAwait), and lets steps in flight
   * finish before the store goes away. Pods are not affected: a restarted engine resumes them from the store.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const { abort } of this.running.values()) abort();
    for (const waiter of this.waiters.values()) waiter.reject(new Error('engine stopped'));
    this.waiters.clear();
    await Promise.allSettled([...this.inflight, ...[...this.running.values()].map((r) => r.done)]);
  }

  private track<T>(step: Promise<T>): Promise<T> {
    this.inflight.add(step);
    void step.then(
      () => this.inflight.delete(step),
      () => this.inflight.delete(step),
    );
    return step;
  }

  private payloadOf(parameters: unknown): Record<string, unknown> {
    // A Lambda invoke task's input is its Parameters ({ FunctionName, Payload }); its output is { Payload }.
    return (
      (parameters as { Payload?: Record<string, unknown> }).Payload ?? (parameters as Record<string, unknown>)
    );
  }

  private runStep(input: Record<string, unknown>): Promise<unknown> {
    const pacer = this.options.pacer;
    return this.track(pacer ? pacer.run(() => this.options.step(input)) : this.options.step(input));
  }

  private async invoke(parameters: unknown): Promise<unknown> {
    return { Payload: await this.runStep(this.payloadOf(parameters)) };
  }

  private async awaitTask(parameters: unknown): Promise<unknown> {
    const token = randomUUID();
    const woken = new Promise<void>((resolve, reject) => this.waiters.set(token, { resolve, reject }));
    // stop() may reject it while the step below still runs: handled here, awaited below.
    woken.catch(() => undefined);
    await this.runStep({ ...this.payloadOf(parameters), token });
    await woken;
    return {};
  }
}
