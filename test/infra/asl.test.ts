// The pod worker definition (docs/decisions/0002-pod-worker-state-machine.md): the committed ASL and picture are what
// the stack synthesizes, the ASL is valid, and its shape is the one the decision describes.
import aslValidator from 'asl-validator';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthPodWorkerAsl, type Asl } from '../../infra/extract-asl.ts';
import { describeRule, renderStateMachineDoc } from '../../infra/render-state-diagram.ts';
import { allStates, edges, valuesOfKey, type AslState } from './asl-walk.ts';

const ASL_FILE = new URL('../../infra/generated/pod-worker.asl.json', import.meta.url);
const DOC_FILE = new URL('../../docs/state-machine.md', import.meta.url);

let asl: Asl;
const states = (): Map<string, AslState> => new Map(allStates(asl));
const state = (name: string): AslState => {
  const found = states().get(name);
  if (!found) throw new Error(`no state ${name}`);
  return found;
};

beforeAll(() => {
  asl = synthPodWorkerAsl();
});

describe('generated files', () => {
  it('infra/generated/pod-worker.asl.json is the synthesized definition', async () => {
    const committed: unknown = JSON.parse(await readFile(ASL_FILE, 'utf8'));
    expect(asl, 'infra/generated/pod-worker.asl.json is stale: run npm run gen:asl').toEqual(committed);
  });

  it('docs/state-machine.md is drawn from it', async () => {
    const committed = await readFile(DOC_FILE, 'utf8');
    expect(renderStateMachineDoc(asl), 'docs/state-machine.md is stale: run npm run gen:asl').toBe(committed);
  });
});

describe('validity', () => {
  it('asl-validator accepts it, JSONPath and ARN checks included', () => {
    // The validator writes QueryLanguage into the states it checks: give it a copy.
    const result = aslValidator(structuredClone(asl), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('state names are unique across the definition, Map iterators included', () => {
    const names = allStates(asl).map(([name]) => name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('uses JSONPath only (the local interpreter does not run JSONata)', () => {
    expect(valuesOfKey(asl, 'QueryLanguage').filter((v) => v !== 'JSONPath')).toEqual([]);
    expect(valuesOfKey(asl, 'Arguments')).toEqual([]);
  });

  it('every .waitForTaskToken task has a timeout and catches States.Timeout', () => {
    const waiting = allStates(asl).filter(
      ([, s]) =>
        s.Type === 'Task' && typeof s.Resource === 'string' && s.Resource.endsWith('.waitForTaskToken'),
    );
    expect(waiting.map(([name]) => name).sort()).toEqual(
      [
        'AwaitContainerStart',
        'AwaitInitBackoff',
        'AwaitInitContainer',
        'SuperviseAwait',
        'TerminateAwait',
      ].sort(),
    );
    for (const [name, s] of waiting) {
      expect(s.TimeoutSeconds ?? s.TimeoutSecondsPath, `${name} timeout`).toBeDefined();
      const catchers = (s.Catch as { ErrorEquals: string[] }[] | undefined) ?? [];
      expect(
        catchers.some((c) => c.ErrorEquals.includes('States.Timeout')),
        `${name} catches States.Timeout`,
      ).toBe(true);
    }
  });

  it('every Task keeps the Retry for Lambda service errors and retries throttles and handler failures with full jitter', () => {
    for (const [name, s] of allStates(asl).filter(([, s]) => s.Type === 'Task')) {
      const retried = valuesOfKey(s.Retry, 'ErrorEquals').flat();
      expect(retried, name).toContain('Lambda.ServiceException');
      expect(s.Retry, name).toContainEqual({
        ErrorEquals: ['Lambda.TooManyRequestsException', 'States.TaskFailed'],
        IntervalSeconds: 1,
        BackoffRate: 2,
        MaxAttempts: 6,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      });
    }
  });

  it('every recoverable state catches States.ALL into Recover, last (after its own catchers)', () => {
    for (const name of RECOVERABLE) {
      const catchers = state(name).Catch as { ErrorEquals: string[]; Next: string; ResultPath: string }[];
      expect(catchers.at(-1), name).toEqual({
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.error',
        Next: 'Recover',
      });
    }
    // A Map lets a continue-as-new out before anything else.
    for (const name of ['InitContainers', 'StartContainers']) {
      expect((state(name).Catch as unknown[])[0], name).toEqual({
        ErrorEquals: ['Podflow.ContinueAsNew'],
        ResultPath: null,
        Next: 'ContinueAsNew',
      });
    }
  });
});

/** The states that catch States.ALL into Recover: every Task and Map outside the Map iterators but the resumes. */
const RECOVERABLE = [
  'Admit',
  'Sandbox',
  'InitContainers',
  'MarkInitialized',
  'StartContainers',
  'Supervise',
  'SuperviseAwait',
  'TerminateReconcile',
  'TerminateAwait',
  'ForceKill',
  'Finalize',
  'ContinueAsNew',
];

describe('the states of 0002', () => {
  const NAMES_IN_0002 = [
    'Entry',
    'Resume',
    'ResumeRoute',
    'Admit',
    'Sandbox',
    'AfterSandbox',
    'InitContainers',
    'StartInitContainer',
    'InitContainerOutcome',
    'InitContainerDone',
    'AwaitInitBackoff',
    'AwaitInitContainer',
    'ReconcileInitContainer',
    'MarkInitialized',
    'AfterInit',
    'StartContainers',
    'StartContainer',
    'ContainerStartOutcome',
    'ContainerStarted',
    'AwaitContainerStart',
    'Supervise',
    'SuperviseOutcome',
    'SuperviseAwait',
    'TerminateReconcile',
    'TerminateOutcome',
    'TerminateAwait',
    'ForceKill',
    'Finalize',
    'Done',
    'ContinueAsNew',
    'InitContainersContinueAsNew',
    'StartContainersContinueAsNew',
    'Recover',
    'RecoverResume',
  ];

  it('has exactly the states 0002 names, and starts at Entry', () => {
    expect([...states().keys()].sort()).toEqual([...NAMES_IN_0002].sort());
    expect(asl.StartAt).toBe('Entry');
  });

  it.each([
    { name: 'InitContainers', itemsPath: '$.last.summary.initContainers', first: 'StartInitContainer' },
    { name: 'StartContainers', itemsPath: '$.last.summary.appContainers', first: 'StartContainer' },
  ])('$name is a Map over $itemsPath, one container at a time', ({ name, itemsPath, first }) => {
    const map = state(name);
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: itemsPath,
      MaxConcurrency: 1,
      ResultPath: null,
      ItemSelector: {
        'pod.$': '$.pod',
        'seq.$': '$.seq',
        'container.$': '$$.Map.Item.Value.name',
        'last.$': '$.last',
      },
    });
    expect((map.ItemProcessor as { StartAt: string }).StartAt).toBe(first);
  });

  it('has the transitions of 0002 and no others', () => {
    const expected = [
      'Entry -choice-> Resume',
      'Entry -default-> Admit',
      'Resume -next-> ResumeRoute',
      'ResumeRoute -choice-> Sandbox',
      'ResumeRoute -choice-> InitContainers',
      'ResumeRoute -choice-> Supervise',
      'ResumeRoute -choice-> TerminateReconcile',
      'ResumeRoute -choice-> Finalize',
      'Admit -next-> Sandbox',
      'Sandbox -next-> AfterSandbox',
      'AfterSandbox -choice-> TerminateReconcile',
      'AfterSandbox -choice-> Finalize',
      'AfterSandbox -choice-> InitContainers',
      'AfterSandbox -default-> MarkInitialized',
      'InitContainers -next-> MarkInitialized',
      'StartInitContainer -next-> InitContainerOutcome',
      'InitContainerOutcome -choice-> InitContainerDone',
      'InitContainerOutcome -choice-> AwaitInitBackoff',
      'InitContainerOutcome -default-> AwaitInitContainer',
      'AwaitInitBackoff -next-> StartInitContainer',
      'AwaitInitBackoff -catch-> StartInitContainer',
      'AwaitInitContainer -next-> ReconcileInitContainer',
      'AwaitInitContainer -catch-> ReconcileInitContainer',
      'ReconcileInitContainer -next-> InitContainerOutcome',
      'MarkInitialized -next-> AfterInit',
      'AfterInit -choice-> TerminateReconcile',
      'AfterInit -choice-> Finalize',
      'AfterInit -default-> StartContainers',
      'StartContainers -next-> Supervise',
      'StartContainer -next-> ContainerStartOutcome',
      'ContainerStartOutcome -choice-> ContainerStarted',
      'ContainerStartOutcome -default-> AwaitContainerStart',
      'AwaitContainerStart -next-> StartContainer',
      'AwaitContainerStart -catch-> StartContainer',
      'Supervise -next-> SuperviseOutcome',
      'SuperviseOutcome -choice-> Finalize',
      'SuperviseOutcome -choice-> TerminateReconcile',
      'SuperviseOutcome -choice-> ContinueAsNew',
      'SuperviseOutcome -default-> SuperviseAwait',
      'SuperviseAwait -next-> Supervise',
      'SuperviseAwait -catch-> Supervise',
      'TerminateReconcile -next-> TerminateOutcome',
      'TerminateOutcome -choice-> Finalize',
      'TerminateOutcome -default-> TerminateAwait',
      'TerminateAwait -next-> TerminateReconcile',
      'TerminateAwait -catch-> ForceKill',
      'ForceKill -next-> TerminateReconcile',
      'Finalize -next-> Done',
      'ContinueAsNew -next-> Done',
      // Continue-as-new from inside a Map: the iteration fails, the Map catches it.
      'InitContainerOutcome -choice-> InitContainersContinueAsNew',
      'ContainerStartOutcome -choice-> StartContainersContinueAsNew',
      'InitContainers -catch-> ContinueAsNew',
      'StartContainers -catch-> ContinueAsNew',
      // Recovery: a step that failed after its retries resumes the pod from the store.
      ...RECOVERABLE.map((name) => `${name} -catch-> Recover`),
      'Recover -choice-> RecoverResume',
      'Recover -default-> Resume',
      'RecoverResume -next-> ResumeRoute',
    ];
    expect(edges(asl).sort()).toEqual(expected.sort());
  });

  // Choice rules are evaluated in order: the first match wins (SuperviseOutcome checks Finished before deleting).
  it.each([
    { choice: 'Entry', rules: ['resume → Resume'], otherwise: 'Admit' },
    {
      choice: 'ResumeRoute',
      rules: [
        'stage = Pending → Sandbox',
        'stage = Initializing → InitContainers',
        'stage = Running → Supervise',
        'stage = Terminating → TerminateReconcile',
        'stage = Finished or Gone → Finalize',
      ],
      otherwise: undefined,
    },
    {
      choice: 'AfterSandbox',
      rules: [
        'deleting → TerminateReconcile',
        'stage = Finished or Gone → Finalize',
        'hasInitContainers → InitContainers',
      ],
      otherwise: 'MarkInitialized',
    },
    {
      choice: 'InitContainerOutcome',
      rules: [
        'outcome = done or winding → InitContainerDone',
        'continueAsNew → InitContainersContinueAsNew',
        'outcome = backoff → AwaitInitBackoff',
      ],
      otherwise: 'AwaitInitContainer',
    },
    {
      choice: 'AfterInit',
      rules: ['deleting → TerminateReconcile', 'stage = Finished → Finalize'],
      otherwise: 'StartContainers',
    },
    {
      choice: 'ContainerStartOutcome',
      rules: ['outcome = done or winding → ContainerStarted', 'continueAsNew → StartContainersContinueAsNew'],
      otherwise: 'AwaitContainerStart',
    },
    {
      choice: 'SuperviseOutcome',
      rules: [
        'stage = Finished → Finalize',
        'deleting → TerminateReconcile',
        'continueAsNew → ContinueAsNew',
      ],
      otherwise: 'SuperviseAwait',
    },
    {
      choice: 'TerminateOutcome',
      rules: ['stage = Finished or Gone → Finalize'],
      otherwise: 'TerminateAwait',
    },
  ])('$choice routes in order: $rules', ({ choice, rules, otherwise }) => {
    const s = state(choice);
    const actual = (s.Choices as { Next: string }[]).map((rule) => `${describeRule(rule)} → ${rule.Next}`);
    expect(actual).toEqual(rules);
    expect(s.Default).toBe(otherwise);
  });

  it('reads the summary at $.last.summary (and the optional $.resume only after IsPresent)', () => {
    const variables = new Set(valuesOfKey(asl, 'Variable') as string[]);
    expect([...variables].filter((v) => !v.startsWith('$.last.summary.'))).toEqual(['$.resume']);
    expect(state('Entry').Choices).toEqual([
      {
        And: [
          { Variable: '$.resume', IsPresent: true },
          { Variable: '$.resume', BooleanEquals: true },
        ],
        Next: 'Resume',
      },
    ]);
  });

  it.each([
    { task: 'Admit', step: 'admit', steps: false, container: false },
    { task: 'Resume', step: 'resume', steps: false, container: false },
    { task: 'RecoverResume', step: 'resume', steps: true, container: false },
    { task: 'Sandbox', step: 'sandbox', steps: true, container: false },
    { task: 'StartInitContainer', step: 'reconcile', steps: true, container: true },
    { task: 'ReconcileInitContainer', step: 'reconcile', steps: true, container: true },
    { task: 'MarkInitialized', step: 'reconcile', steps: true, container: false },
    { task: 'StartContainer', step: 'reconcile', steps: true, container: true },
    { task: 'Supervise', step: 'reconcile', steps: true, container: false },
    { task: 'TerminateReconcile', step: 'reconcile', steps: true, container: false },
    { task: 'ForceKill', step: 'forceKill', steps: true, container: false },
    { task: 'Finalize', step: 'finalize', steps: true, container: false },
    { task: 'ContinueAsNew', step: 'continueAsNew', steps: true, container: false },
  ])('$task invokes the lifecycle handler with step $step', ({ task, step, steps, container }) => {
    const s = state(task);
    expect(s.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(s.Parameters).toEqual({
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:podflow-lifecycle',
      Payload: {
        step,
        'pod.$': '$.pod',
        'seq.$': '$.seq',
        'startedAt.$': '$$.Execution.StartTime',
        ...(steps ? { 'steps.$': '$.last.summary.steps' } : {}),
        ...(container ? { 'container.$': '$.container' } : {}),
      },
    });
    expect(s.ResultSelector).toEqual({ 'summary.$': '$.Payload' });
    expect(s.ResultPath).toBe('$.last');
  });

  it.each([
    {
      task: 'AwaitInitBackoff',
      waitFor: 'initBackoff',
      timeout: { TimeoutSeconds: 360 },
      onTimeout: 'StartInitContainer',
    },
    {
      task: 'AwaitInitContainer',
      waitFor: 'initContainer',
      timeout: { TimeoutSeconds: 900 },
      onTimeout: 'ReconcileInitContainer',
    },
    {
      task: 'AwaitContainerStart',
      waitFor: 'containerStart',
      timeout: { TimeoutSeconds: 300 },
      onTimeout: 'StartContainer',
    },
    { task: 'SuperviseAwait', waitFor: 'event', timeout: { TimeoutSeconds: 86_400 }, onTimeout: 'Supervise' },
    // 0002 says TimeoutSecondsPath $.last.summary.graceSeconds; see TERMINATE_AWAIT_TIMEOUT_SECONDS for why not.
    {
      task: 'TerminateAwait',
      waitFor: 'termination',
      timeout: { TimeoutSeconds: 30 },
      onTimeout: 'ForceKill',
    },
  ])(
    '$task waits for $waitFor and goes to $onTimeout on timeout',
    ({ task, waitFor, timeout, onTimeout }) => {
      const s = state(task);
      expect(s).toMatchObject({
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:podflow-lifecycle',
          Payload: { step: 'await', 'pod.$': '$.pod', 'token.$': '$$.Task.Token', waitFor },
        },
        ResultPath: null,
        ...timeout,
      });
      // States.Timeout first: catchers are tried in order, and States.ALL would match a timeout too.
      expect((s.Catch as { ErrorEquals: string[] }[])[0]).toEqual({
        ErrorEquals: ['States.Timeout'],
        ResultPath: null,
        Next: onTimeout,
      });
    },
  );
});
