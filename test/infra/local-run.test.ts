// The committed ASL runs in aws-local-stepfunctions, the way local mode runs it (docs/architecture.md §9): every Task
// state is overridden by name — inside Map iterators too — by a scripted fake of the lifecycle handler; await tasks
// return a promise the test settles itself (the local SendTaskSuccess), or let time out.
//
// What local mode must mirror from the Lambda integration: a handler receives the state's Parameters
// ({ FunctionName, Payload }) and returns what lambda:invoke returns ({ Payload: <summary> }), because
// ResultSelector reads $.Payload.
import { readFile } from 'node:fs/promises';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Asl } from '../../infra/extract-asl.ts';
import { allStates } from './asl-walk.ts';

interface Summary {
  stage: 'Pending' | 'Initializing' | 'Running' | 'Terminating' | 'Finished' | 'Gone';
  phase: string;
  deleting: boolean;
  steps: number;
  continueAsNew: boolean;
  hasInitContainers: boolean;
  initContainers: { name: string }[];
  appContainers: { name: string }[];
  outcome?: 'done' | 'waiting' | 'backoff' | 'winding';
  graceSeconds?: number;
}

const summary = (fields: Partial<Summary>): Summary => ({
  stage: 'Pending',
  phase: 'Pending',
  deleting: false,
  steps: 0,
  continueAsNew: false,
  hasInitContainers: false,
  initContainers: [],
  appContainers: [{ name: 'app' }],
  ...fields,
});

/** How a scripted await ends: an inbox event completes the token, or the await times out. */
type AwaitEnd =
  | 'woken' // SendTaskSuccess, asynchronously (as the API or the wakeup Lambda would), before any timer
  | 'timeout' // never settled: the interpreter's own TimeoutSeconds timer fires (the run moves fake time)
  | 'hang'; // never settled by the test: the interpreter's own timer (TimeoutSeconds) fires, or the test wakes it

interface Scenario {
  name: string;
  input: Record<string, unknown>;
  /** Responses of the lifecycle Tasks, per state, in call order; `fail` throws (a handler error: States.TaskFailed). */
  lifecycle: Record<string, (Summary | 'fail')[]>;
  /** How each await ends, per state, in call order. */
  awaits?: Record<string, AwaitEnd[]>;
  /** StateEntered, in order (Map iterations included). */
  visited: string[];
}

/** The file local mode runs (written by scripts/gen-asl.ts; asl.test.ts keeps it current). */
const ASL_FILE = new URL('../../infra/generated/pod-worker.asl.json', import.meta.url);
const TOKEN = 'local-task-token';
const POD = { namespace: 'default', name: 'web', uid: 'uid-1' };

let asl: Asl;
let machine: StateMachine;
let taskStates: string[];
let awaitStates: string[];

beforeAll(async () => {
  asl = JSON.parse(await readFile(ASL_FILE, 'utf8')) as Asl;
  // Default validation: the interpreter checks the definition, its JSONPaths and ARNs, as local mode will. Built
  // once, like local mode does: validating costs a few hundred milliseconds.
  machine = new StateMachine(asl as unknown as StateMachineDefinition);
  const tasks = allStates(asl).filter(([, s]) => s.Type === 'Task');
  taskStates = tasks.map(([name]) => name);
  awaitStates = tasks
    .filter(([, s]) => String(s.Resource).endsWith('.waitForTaskToken'))
    .map(([name]) => name);
});

interface Call {
  state: string;
  payload: Record<string, unknown>;
  /** Date.now() when the handler was called. */
  at: number;
}

/** Awaits left hanging, with what completes their task token. */
type Hanging = { state: string; wake: () => void }[];

/** Local handlers for every Task state: lifecycle tasks answer from the script, awaits end as scripted. */
function scriptedHandlers(scenario: Scenario, calls: Call[], hanging: Hanging = []) {
  const lifecycle = structuredClone(scenario.lifecycle);
  const awaits = structuredClone(scenario.awaits ?? {});
  const handlers: Record<string, (input: unknown) => Promise<Record<string, unknown>>> = {};
  for (const state of taskStates) {
    handlers[state] = async (input) => {
      const payload = (input as { Payload: Record<string, unknown> }).Payload;
      calls.push({ state, payload, at: Date.now() });
      if (awaitStates.includes(state)) {
        const end = awaits[state]?.shift();
        let resolve!: (value: Record<string, unknown>) => void;
        let reject!: (error: Error) => void;
        const promise = new Promise<Record<string, unknown>>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        if (end === 'woken') queueMicrotask(() => resolve({}));
        else if (end === 'hang') hanging.push({ state, wake: () => resolve({}) });
        else if (end === 'timeout') return promise;
        else reject(new Error(`unscripted await in ${state}`));
        return promise;
      }
      const next = lifecycle[state]?.shift();
      if (!next) throw new Error(`unscripted lifecycle call in ${state}`);
      if (next === 'fail') throw new Error(`${state}: the store is unavailable`);
      return { Payload: next as unknown as Record<string, unknown> };
    };
  }
  return handlers;
}

function start(scenario: Scenario) {
  const calls: Call[] = [];
  const hanging: Hanging = [];
  const execution = machine.run(scenario.input as never, {
    overrides: { taskResourceLocalHandlers: scriptedHandlers(scenario, calls, hanging) as never },
    context: { Task: { Token: TOKEN } },
  });
  const visited: string[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs)
      if (event.type === 'StateEntered') visited.push(event.state.name);
  })();
  const done = (async () => {
    const output = await execution.result;
    await logging;
    return { visited, calls, output };
  })();
  return { visited, calls, hanging, done };
}

/**
 * Runs a scenario to its end. Time is faked and moved a minute at a time: a `timeout` await waits for the
 * interpreter's own TimeoutSeconds timer (only the interpreter's timers make a States.Timeout; an error a handler
 * throws is a States.TaskFailed, which the Retry takes), and a failed task's retries wait their jittered delays.
 */
async function run(scenario: Scenario) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  try {
    const execution = start(scenario);
    let finished = false;
    void execution.done.finally(() => (finished = true)).catch(() => undefined);
    for (let minutes = 0; !finished && minutes <= 24 * 60; minutes++)
      await vi.advanceTimersByTimeAsync(60_000);
    return await execution.done;
  } finally {
    vi.useRealTimers();
  }
}

const scenarios: Scenario[] = [
  {
    name: 'one init container that needs one await, then Supervise sees Finished → Finalize',
    input: { pod: POD, seq: 0, resume: false },
    lifecycle: {
      Admit: [summary({ hasInitContainers: true, initContainers: [{ name: 'init' }] })],
      Sandbox: [summary({ hasInitContainers: true, initContainers: [{ name: 'init' }] })],
      StartInitContainer: [summary({ stage: 'Initializing', outcome: 'waiting', steps: 1 })],
      ReconcileInitContainer: [summary({ stage: 'Initializing', outcome: 'done', steps: 2 })],
      MarkInitialized: [summary({ stage: 'Running', steps: 3 })],
      StartContainer: [summary({ stage: 'Running', outcome: 'done', steps: 4 })],
      Supervise: [summary({ stage: 'Finished', phase: 'Succeeded', steps: 5 })],
      Finalize: [summary({ stage: 'Finished', phase: 'Succeeded', steps: 6 })],
    },
    awaits: { AwaitInitContainer: ['woken'] },
    visited: [
      'Entry',
      'Admit',
      'Sandbox',
      'AfterSandbox',
      'InitContainers',
      'StartInitContainer',
      'InitContainerOutcome',
      'AwaitInitContainer',
      'ReconcileInitContainer',
      'InitContainerOutcome',
      'InitContainerDone',
      'MarkInitialized',
      'AfterInit',
      'StartContainers',
      'StartContainer',
      'ContainerStartOutcome',
      'ContainerStarted',
      'Supervise',
      'SuperviseOutcome',
      'Finalize',
      'Done',
    ],
  },
  {
    name: 'init container in back-off: AwaitInitBackoff, then StartInitContainer again',
    input: { pod: POD, seq: 0 }, // `resume` omitted (it is optional in WorkerInput)
    lifecycle: {
      Admit: [summary({ hasInitContainers: true, initContainers: [{ name: 'init' }] })],
      Sandbox: [summary({ hasInitContainers: true, initContainers: [{ name: 'init' }] })],
      StartInitContainer: [
        summary({ stage: 'Initializing', outcome: 'backoff' }),
        summary({ stage: 'Initializing', outcome: 'done' }),
      ],
      MarkInitialized: [summary({ stage: 'Finished', phase: 'Failed' })],
      Finalize: [summary({ stage: 'Finished', phase: 'Failed' })],
    },
    awaits: { AwaitInitBackoff: ['woken'] },
    visited: [
      'Entry',
      'Admit',
      'Sandbox',
      'AfterSandbox',
      'InitContainers',
      'StartInitContainer',
      'InitContainerOutcome',
      'AwaitInitBackoff',
      'StartInitContainer',
      'InitContainerOutcome',
      'InitContainerDone',
      'MarkInitialized',
      'AfterInit',
      'Finalize',
      'Done',
    ],
  },
  {
    name: 'lost wake-up: SuperviseAwait times out, the Catch routes to Supervise, which polls again',
    input: { pod: POD, seq: 0, resume: false },
    lifecycle: {
      Admit: [summary({})],
      Sandbox: [summary({})],
      MarkInitialized: [summary({ stage: 'Running' })],
      StartContainer: [summary({ stage: 'Running', outcome: 'done' })],
      Supervise: [summary({ stage: 'Running' }), summary({ stage: 'Finished', phase: 'Succeeded' })],
      Finalize: [summary({ stage: 'Finished' })],
    },
    awaits: { SuperviseAwait: ['timeout'] },
    visited: [
      'Entry',
      'Admit',
      'Sandbox',
      'AfterSandbox',
      'MarkInitialized',
      'AfterInit',
      'StartContainers',
      'StartContainer',
      'ContainerStartOutcome',
      'ContainerStarted',
      'Supervise',
      'SuperviseOutcome',
      'SuperviseAwait',
      'Supervise',
      'SuperviseOutcome',
      'Finalize',
      'Done',
    ],
  },
  {
    name: 'lost container exit: AwaitInitContainer times out, the Catch routes to ReconcileInitContainer',
    input: { pod: POD, seq: 0, resume: false },
    lifecycle: {
      Admit: [summary({ hasInitContainers: true, initContainers: [{ name: 'init' }] })],
      Sandbox: [summary({ hasInitContainers: true, initContainers: [{ name: 'init' }] })],
      StartInitContainer: [summary({ stage: 'Initializing', outcome: 'waiting' })],
      ReconcileInitContainer: [summary({ stage: 'Initializing', outcome: 'winding' })],
      MarkInitialized: [summary({ stage: 'Terminating', deleting: true })],
      TerminateReconcile: [summary({ stage: 'Gone', deleting: true })],
      Finalize: [summary({ stage: 'Gone' })],
    },
    awaits: { AwaitInitContainer: ['timeout'] },
    visited: [
      'Entry',
      'Admit',
      'Sandbox',
      'AfterSandbox',
      'InitContainers',
      'StartInitContainer',
      'InitContainerOutcome',
      'AwaitInitContainer',
      'ReconcileInitContainer',
      'InitContainerOutcome',
      'InitContainerDone',
      'MarkInitialized',
      'AfterInit',
      'TerminateReconcile',
      'TerminateOutcome',
      'Finalize',
      'Done',
    ],
  },
  {
    name: 'TerminateAwait times out: the Catch routes to ForceKill, then TerminateReconcile',
    input: { pod: POD, seq: 0, resume: false },
    lifecycle: {
      Admit: [summary({})],
      Sandbox: [summary({ stage: 'Terminating', deleting: true })],
      TerminateReconcile: [
        summary({ stage: 'Terminating', deleting: true, graceSeconds: 35 }),
        summary({ stage: 'Finished', phase: 'Failed', deleting: true }),
      ],
      ForceKill: [summary({ stage: 'Terminating', deleting: true })],
      Finalize: [summary({ stage: 'Finished' })],
    },
    awaits: { TerminateAwait: ['timeout'] },
    visited: [
      'Entry',
      'Admit',
      'Sandbox',
      'AfterSandbox',
      'TerminateReconcile',
      'TerminateOutcome',
      'TerminateAwait',
      'ForceKill',
      'TerminateReconcile',
      'TerminateOutcome',
      'Finalize',
      'Done',
    ],
  },
  {
    name: 'resume of a Running pod goes to Supervise; continueAsNew ends this execution',
    input: { pod: POD, seq: 3, resume: true },
    lifecycle: {
      Resume: [summary({ stage: 'Running', steps: 40 })],
      Supervise: [summary({ stage: 'Running', steps: 41, continueAsNew: true })],
      ContinueAsNew: [summary({ stage: 'Running', steps: 41 })],
    },
    visited: ['Entry', 'Resume', 'ResumeRoute', 'Supervise', 'SuperviseOutcome', 'ContinueAsNew', 'Done'],
  },
  {
    name: 'resume of an Initializing pod re-enters InitContainers',
    input: { pod: POD, seq: 1, resume: true },
    lifecycle: {
      Resume: [
        summary({ stage: 'Initializing', hasInitContainers: true, initContainers: [{ name: 'init' }] }),
      ],
      StartInitContainer: [summary({ stage: 'Initializing', outcome: 'done' })],
      MarkInitialized: [summary({ stage: 'Running' })],
      StartContainer: [
        summary({ stage: 'Running', outcome: 'waiting' }),
        summary({ stage: 'Running', outcome: 'done' }),
      ],
      Supervise: [summary({ stage: 'Terminating', deleting: true })],
      TerminateReconcile: [
        summary({ stage: 'Terminating', deleting: true, graceSeconds: 30 }),
        summary({ stage: 'Finished' }),
      ],
      Finalize: [summary({ stage: 'Finished' })],
    },
    awaits: { AwaitContainerStart: ['woken'], TerminateAwait: ['woken'] },
    visited: [
      'Entry',
      'Resume',
      'ResumeRoute',
      'InitContainers',
      'StartInitContainer',
      'InitContainerOutcome',
      'InitContainerDone',
      'MarkInitialized',
      'AfterInit',
      'StartContainers',
      'StartContainer',
      'ContainerStartOutcome',
      'AwaitContainerStart',
      'StartContainer',
      'ContainerStartOutcome',
      'ContainerStarted',
      'Supervise',
      'SuperviseOutcome',
      'TerminateReconcile',
      'TerminateOutcome',
      'TerminateAwait',
      'TerminateReconcile',
      'TerminateOutcome',
      'Finalize',
      'Done',
    ],
  },
  {
    name: 'a handler that fails once is retried: the run goes on as if nothing happened',
    input: { pod: POD, seq: 0 },
    lifecycle: {
      Admit: ['fail', summary({})],
      Sandbox: [summary({ stage: 'Finished', phase: 'Succeeded' })],
      Finalize: ['fail', 'fail', summary({ stage: 'Finished' })],
    },
    visited: ['Entry', 'Admit', 'Sandbox', 'AfterSandbox', 'Finalize', 'Done'],
  },
  {
    name: 'a step that fails past its retries is caught into Recover, which resumes the pod from the store',
    input: { pod: POD, seq: 0 },
    lifecycle: {
      Admit: [summary({})],
      Sandbox: [summary({ steps: 1 })],
      MarkInitialized: ['fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'fail'],
      RecoverResume: [summary({ stage: 'Finished', phase: 'Failed', steps: 2 })],
      Finalize: [summary({ stage: 'Finished' })],
    },
    visited: [
      'Entry',
      'Admit',
      'Sandbox',
      'AfterSandbox',
      'MarkInitialized',
      'Recover',
      'RecoverResume',
      'ResumeRoute',
      'Finalize',
      'Done',
    ],
  },
  {
    name: 'Admit failing past its retries has no step count yet: Recover goes to Resume',
    input: { pod: POD, seq: 0 },
    lifecycle: {
      Admit: ['fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'fail'],
      Resume: [summary({ stage: 'Gone', deleting: true })],
      Finalize: [summary({ stage: 'Gone' })],
    },
    visited: ['Entry', 'Admit', 'Recover', 'Resume', 'ResumeRoute', 'Finalize', 'Done'],
  },
  {
    name: 'an init container crash-looping inside its Map continues as new: the iteration fails out to ContinueAsNew',
    input: { pod: POD, seq: 2, resume: true },
    lifecycle: {
      Resume: [
        summary({ stage: 'Initializing', hasInitContainers: true, initContainers: [{ name: 'init' }] }),
      ],
      StartInitContainer: [
        summary({ stage: 'Initializing', outcome: 'backoff', steps: 1 }),
        summary({ stage: 'Initializing', outcome: 'backoff', steps: 2, continueAsNew: true }),
      ],
      ContinueAsNew: [summary({ stage: 'Initializing', steps: 1 })],
    },
    awaits: { AwaitInitBackoff: ['woken'] },
    visited: [
      'Entry',
      'Resume',
      'ResumeRoute',
      'InitContainers',
      'StartInitContainer',
      'InitContainerOutcome',
      'AwaitInitBackoff',
      'StartInitContainer',
      'InitContainerOutcome',
      'InitContainersContinueAsNew',
      'ContinueAsNew',
      'Done',
    ],
  },
  {
    name: 'an app container waiting to start continues as new from the StartContainers Map',
    input: { pod: POD, seq: 0 },
    lifecycle: {
      Admit: [summary({})],
      Sandbox: [summary({})],
      MarkInitialized: [summary({ stage: 'Running', steps: 3 })],
      StartContainer: [summary({ stage: 'Running', outcome: 'waiting', steps: 4, continueAsNew: true })],
      ContinueAsNew: [summary({ stage: 'Running', steps: 4 })],
    },
    visited: [
      'Entry',
      'Admit',
      'Sandbox',
      'AfterSandbox',
      'MarkInitialized',
      'AfterInit',
      'StartContainers',
      'StartContainer',
      'ContainerStartOutcome',
      'StartContainersContinueAsNew',
      'ContinueAsNew',
      'Done',
    ],
  },
];

describe('the generated ASL in aws-local-stepfunctions', () => {
  it('every Task state of the definition has a local handler (they are overridden by name)', () => {
    const handlers = scriptedHandlers(scenarios[0]!, []);
    expect(Object.keys(handlers).sort()).toEqual([...taskStates].sort());
    expect(taskStates).toHaveLength(18);
  });

  it.each(scenarios)('$name', async (scenario) => {
    const { visited, calls } = await run(scenario);
    expect(visited).toEqual(scenario.visited);
    // Every scripted response was used: the run took the path the script describes.
    for (const [state, left] of Object.entries(scenario.lifecycle)) {
      expect(
        calls.filter((c) => c.state === state),
        state,
      ).toHaveLength(left.length);
    }
    for (const call of calls) {
      expect(call.payload.pod, call.state).toEqual(POD);
      if (awaitStates.includes(call.state)) {
        expect(call.payload).toMatchObject({ step: 'await', token: TOKEN });
      } else {
        expect(call.payload.seq, call.state).toBe(scenario.input.seq);
      }
    }
  });

  it("passes the container name, the step count and the execution's start time, into Map iterations too", async () => {
    const { calls } = await run(scenarios[0]!);
    const byState = (state: string) => calls.filter((c) => c.state === state).map((c) => c.payload);
    // $$.Execution.StartTime: one value for the whole execution, Map iterations included.
    const startedAt = calls[0]!.payload.startedAt;
    expect(Date.parse(String(startedAt))).not.toBeNaN();
    expect(byState('StartInitContainer')).toEqual([
      { step: 'reconcile', pod: POD, seq: 0, startedAt, steps: 0, container: 'init' },
    ]);
    expect(byState('AwaitInitContainer')).toEqual([
      { step: 'await', pod: POD, token: TOKEN, waitFor: 'initContainer' },
    ]);
    expect(byState('ReconcileInitContainer')).toEqual([
      { step: 'reconcile', pod: POD, seq: 0, startedAt, steps: 1, container: 'init' },
    ]);
    expect(byState('StartContainer')).toEqual([
      { step: 'reconcile', pod: POD, seq: 0, startedAt, steps: 3, container: 'app' },
    ]);
    expect(byState('Admit')).toEqual([{ step: 'admit', pod: POD, seq: 0, startedAt }]);
  });

  describe("with the interpreter's own timers (faked: the test moves time, it does not sleep)", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Moves fake time forward one second at a time until `until()` holds. */
    async function advanceUntil(until: () => boolean, maxSeconds: number): Promise<void> {
      for (let seconds = 0; seconds <= maxSeconds; seconds++) {
        await vi.advanceTimersByTimeAsync(seconds === 0 ? 0 : 1000);
        if (until()) return;
      }
      throw new Error(`not reached within ${maxSeconds} s`);
    }
    const fakeTime = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });

    const untilRunning: Scenario['lifecycle'] = {
      Admit: [summary({})],
      Sandbox: [summary({})],
      MarkInitialized: [summary({ stage: 'Running' })],
      StartContainer: [summary({ stage: 'Running', outcome: 'done' })],
    };

    it("SuperviseAwait stays parked well past the interpreter's 60 s default task timeout", async () => {
      fakeTime();
      const execution = start({
        name: 'parked',
        input: { pod: POD, seq: 0 },
        lifecycle: {
          ...untilRunning,
          Supervise: [summary({ stage: 'Running' }), summary({ stage: 'Finished', phase: 'Succeeded' })],
          Finalize: [summary({ stage: 'Finished' })],
        },
        awaits: { SuperviseAwait: ['hang'] },
        visited: [],
      });
      await advanceUntil(() => execution.hanging.length === 1, 5);
      await vi.advanceTimersByTimeAsync(60 * 60 * 1000); // an hour without events
      expect(execution.calls.filter((c) => c.state === 'Supervise')).toHaveLength(1);
      execution.hanging[0]!.wake(); // an inbox event: SendTaskSuccess
      const { visited } = await execution.done;
      expect(visited.slice(-6)).toEqual([
        'SuperviseOutcome',
        'SuperviseAwait',
        'Supervise',
        'SuperviseOutcome',
        'Finalize',
        'Done',
      ]);
    });

    it('TerminateAwait is timed out by the interpreter after its TimeoutSeconds (30 s) → ForceKill', async () => {
      fakeTime();
      const execution = start({
        name: 'grace',
        input: { pod: POD, seq: 0 },
        lifecycle: {
          ...untilRunning,
          Supervise: [summary({ stage: 'Terminating', deleting: true })],
          TerminateReconcile: [
            summary({ stage: 'Terminating', deleting: true }),
            summary({ stage: 'Finished' }),
          ],
          ForceKill: [summary({ stage: 'Terminating', deleting: true })],
          Finalize: [summary({ stage: 'Finished' })],
        },
        awaits: { TerminateAwait: ['hang'] },
        visited: [],
      });
      await advanceUntil(() => execution.hanging.length === 1, 5);
      await advanceUntil(() => execution.calls.some((c) => c.state === 'ForceKill'), 120);
      const at = (state: string) => execution.calls.find((c) => c.state === state)!.at;
      expect(at('ForceKill') - at('TerminateAwait')).toBe(30_000);
      const { visited } = await execution.done;
      expect(visited.slice(-7)).toEqual([
        'TerminateOutcome',
        'TerminateAwait',
        'ForceKill',
        'TerminateReconcile',
        'TerminateOutcome',
        'Finalize',
        'Done',
      ]);
    });
  });

  // Why TerminateAwait has a fixed TimeoutSeconds instead of 0002's TimeoutSecondsPath: this interpreter resolves
  // the path against the input after Parameters, AWS against the state input. If this starts failing, the
  // interpreter changed and TimeoutSecondsPath may come back.
  it('(interpreter quirk) resolves TimeoutSecondsPath against the task input after Parameters', async () => {
    const definition = (path: string) =>
      ({
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'f', Payload: { 'grace.$': '$.grace' } },
            TimeoutSecondsPath: path,
            End: true,
          },
        },
      }) as unknown as StateMachineDefinition;
    const runWith = (path: string) =>
      new StateMachine(definition(path), { validationOptions: { checkArn: false } }).run(
        { grace: 5 },
        { overrides: { taskResourceLocalHandlers: { T: () => ({}) } } },
      ).result;
    await expect(runWith('$.grace')).rejects.toThrow(/does not point to a value/);
    await expect(runWith('$.Payload.grace')).resolves.toEqual({});
  });
});
