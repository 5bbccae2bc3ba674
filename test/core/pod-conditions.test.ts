import { describe, expect, it } from 'vitest';
import type { Container, ContainerStatus, PodCondition, PodSpec } from 'kubernetes-types/core/v1';
import { computePodConditions, isPodReady, setPodCondition } from '../../src/core/pod-conditions.ts';
import type { PodPhase } from '../../src/core/pod-phase.ts';

const T0 = '2025-01-01T00:00:00Z';
const NOW = '2025-01-01T00:05:00Z';

const app = (name: string): Container => ({ name, image: 'busybox' });
const sidecar = (name: string): Container => ({ name, image: 'busybox', restartPolicy: 'Always' });
const base = (name: string): ContainerStatus => ({
  name,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
});

/** Running; `ready` and `started` as given (a readiness probe may still be failing). */
const running = (name: string, ready = true, started = true): ContainerStatus => ({
  ...base(name),
  state: { running: { startedAt: T0 } },
  started,
  ready,
});
/** Terminated; for a regular init container the kubelet reports ready = exited 0. */
const exited = (name: string, exitCode: number, ready = false): ContainerStatus => ({
  ...base(name),
  state: { terminated: { exitCode } },
  started: false,
  ready,
});
const initDone = (name: string): ContainerStatus => exited(name, 0, true);
const waiting = (name: string, reason = 'ContainerCreating'): ContainerStatus => ({
  ...base(name),
  state: { waiting: { reason } },
});
const backOff = (name: string): ContainerStatus => ({
  ...base(name),
  restartCount: 2,
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode: 1 } },
});

type Expected = Pick<PodCondition, 'status' | 'reason' | 'message'>;
const TRUE: Expected = { status: 'True' };
const gate = (type: string, status: string): PodCondition => ({ type, status, lastTransitionTime: T0 });

interface ConditionsCase {
  name: string;
  init?: Container[];
  containers?: Container[];
  readinessGates?: string[];
  phase?: PodPhase;
  scheduled?: boolean;
  sandboxReady?: boolean;
  initStatuses?: ContainerStatus[];
  statuses?: ContainerStatus[];
  existing?: PodCondition[];
  /** Only the listed condition types are checked (status, reason and message exactly). */
  expected: Partial<Record<string, Expected>>;
}

const cases: ConditionsCase[] = [
  // PodScheduled and PodReadyToStartContainers
  {
    name: 'admitted pod: PodScheduled True without reason',
    statuses: [running('a')],
    expected: { PodScheduled: TRUE },
  },
  {
    name: 'not admitted: PodScheduled False / Unschedulable',
    scheduled: false,
    sandboxReady: false,
    statuses: [waiting('a')],
    expected: { PodScheduled: { status: 'False', reason: 'Unschedulable' } },
  },
  {
    name: 'sandbox exists: PodReadyToStartContainers True',
    statuses: [running('a')],
    expected: { PodReadyToStartContainers: TRUE },
  },
  {
    name: 'no sandbox yet: PodReadyToStartContainers False without reason',
    sandboxReady: false,
    statuses: [waiting('a')],
    expected: { PodReadyToStartContainers: { status: 'False' } },
  },

  // Initialized
  {
    name: 'no init containers: Initialized True',
    statuses: [waiting('a')],
    expected: { Initialized: TRUE },
  },
  {
    name: 'init containers but no statuses at all: Initialized False / UnknownContainerStatuses',
    init: [app('i1')],
    expected: {
      Initialized: { status: 'False', reason: 'UnknownContainerStatuses' },
      ContainersReady: { status: 'False', reason: 'UnknownContainerStatuses' },
      Ready: { status: 'False', reason: 'UnknownContainerStatuses' },
    },
  },
  {
    name: 'init containers waiting: ContainersNotInitialized listing them in spec order',
    init: [app('i1'), app('i2')],
    initStatuses: [waiting('i1'), waiting('i2')],
    statuses: [waiting('a', 'PodInitializing')],
    expected: {
      Initialized: {
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: 'containers with incomplete status: [i1 i2]',
      },
    },
  },
  {
    name: 'first init done, second running: only the second is incomplete',
    init: [app('i1'), app('i2')],
    initStatuses: [initDone('i1'), running('i2', false)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: {
      Initialized: {
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: 'containers with incomplete status: [i2]',
      },
    },
  },
  {
    name: 'init container failed (exit 1, not ready) is incomplete',
    init: [app('i1')],
    initStatuses: [exited('i1', 1)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: {
      Initialized: {
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: 'containers with incomplete status: [i1]',
      },
    },
  },
  {
    name: 'init status missing next to an incomplete one: unknown and incomplete messages joined',
    init: [app('i1'), app('i2'), app('i3')],
    initStatuses: [initDone('i1'), waiting('i2')],
    statuses: [waiting('a', 'PodInitializing')],
    expected: {
      Initialized: {
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: 'containers with unknown status: [i3], containers with incomplete status: [i2]',
      },
    },
  },
  {
    name: 'all regular init containers exited 0 (ready): Initialized True',
    init: [app('i1'), app('i2')],
    initStatuses: [initDone('i1'), initDone('i2')],
    statuses: [waiting('a')],
    expected: { Initialized: TRUE },
  },
  {
    name: 'sidecar running but not started: incomplete',
    init: [sidecar('side')],
    initStatuses: [running('side', false, false)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: {
      Initialized: {
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: 'containers with incomplete status: [side]',
      },
    },
  },
  {
    name: 'sidecar started (readiness not required) and regular init done: Initialized True',
    init: [sidecar('side'), app('i1')],
    initStatuses: [running('side', false, true), initDone('i1')],
    statuses: [waiting('a')],
    expected: { Initialized: TRUE },
  },
  {
    name: 'sidecar restarting after an app container started: stays Initialized True',
    init: [sidecar('side')],
    initStatuses: [backOff('side')],
    statuses: [running('a')],
    expected: { Initialized: TRUE },
  },
  {
    name: 'phase Succeeded: Initialized True / PodCompleted, ContainersReady and Ready False / PodCompleted',
    phase: 'Succeeded',
    init: [app('i1')],
    initStatuses: [initDone('i1')],
    statuses: [exited('a', 0)],
    expected: {
      Initialized: { status: 'True', reason: 'PodCompleted' },
      ContainersReady: { status: 'False', reason: 'PodCompleted' },
      Ready: { status: 'False', reason: 'PodCompleted' },
    },
  },

  // ContainersReady and Ready from containers
  {
    name: 'all app containers ready: ContainersReady and Ready True',
    containers: [app('a'), app('b')],
    statuses: [running('a'), running('b')],
    expected: { ContainersReady: TRUE, Ready: TRUE },
  },
  {
    name: 'app containers unready: ContainersNotReady, Ready copies reason and message',
    containers: [app('a'), app('b'), app('c')],
    statuses: [running('a', false), running('b'), waiting('c')],
    expected: {
      ContainersReady: {
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [a c]',
      },
      Ready: {
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [a c]',
      },
    },
  },
  {
    name: 'unready sidecar is listed before the app containers',
    init: [sidecar('side'), app('i1')],
    initStatuses: [running('side', false), initDone('i1')],
    statuses: [running('a', false)],
    expected: {
      ContainersReady: {
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [side a]',
      },
    },
  },
  {
    name: 'regular init containers do not count for ContainersReady',
    init: [app('i1')],
    initStatuses: [initDone('i1')],
    statuses: [running('a')],
    expected: { ContainersReady: TRUE, Ready: TRUE },
  },
  {
    name: 'app status missing: unknown and unready messages joined',
    containers: [app('a'), app('b')],
    statuses: [running('a', false)],
    expected: {
      ContainersReady: {
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unknown status: [b], containers with unready status: [a]',
      },
    },
  },
  {
    name: 'phase Succeeded with an unknown container: not PodCompleted but ContainersNotReady',
    phase: 'Succeeded',
    containers: [app('a'), app('b')],
    statuses: [exited('a', 0)],
    expected: {
      ContainersReady: {
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unknown status: [b], containers with unready status: [a]',
      },
    },
  },
  {
    name: 'phase Failed: ContainersReady and Ready False / PodFailed even while a container is still ready',
    phase: 'Failed',
    containers: [app('a'), app('b')],
    statuses: [running('a'), exited('b', 1)],
    expected: {
      ContainersReady: { status: 'False', reason: 'PodFailed' },
      Ready: { status: 'False', reason: 'PodFailed' },
    },
  },
  {
    name: 'phase Failed after an init failure: Initialized still reports the incomplete init container',
    phase: 'Failed',
    init: [app('i1')],
    initStatuses: [exited('i1', 1)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: {
      Initialized: {
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: 'containers with incomplete status: [i1]',
      },
      ContainersReady: { status: 'False', reason: 'PodFailed' },
    },
  },

  // Readiness gates
  {
    name: 'readiness gate condition missing: Ready False / ReadinessGatesNotReady',
    readinessGates: ['example.com/lb'],
    statuses: [running('a')],
    expected: {
      ContainersReady: TRUE,
      Ready: {
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
      },
    },
  },
  {
    name: 'readiness gate condition False',
    readinessGates: ['example.com/lb'],
    statuses: [running('a')],
    existing: [gate('example.com/lb', 'False')],
    expected: {
      Ready: {
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message: 'the status of pod readiness gate "example.com/lb" is not "True", but False',
      },
    },
  },
  {
    name: 'readiness gate condition Unknown',
    readinessGates: ['example.com/lb'],
    statuses: [running('a')],
    existing: [gate('example.com/lb', 'Unknown')],
    expected: {
      Ready: {
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message: 'the status of pod readiness gate "example.com/lb" is not "True", but Unknown',
      },
    },
  },
  {
    name: 'several unready gates: messages joined with ", " in spec order',
    readinessGates: ['example.com/a', 'example.com/b', 'example.com/c'],
    statuses: [running('a')],
    existing: [gate('example.com/b', 'True'), gate('example.com/c', 'False')],
    expected: {
      Ready: {
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message:
          'corresponding condition of pod readiness gate "example.com/a" does not exist., ' +
          'the status of pod readiness gate "example.com/c" is not "True", but False',
      },
    },
  },
  {
    name: 'all readiness gates True: Ready True',
    readinessGates: ['example.com/a', 'example.com/b'],
    statuses: [running('a')],
    existing: [gate('example.com/a', 'True'), gate('example.com/b', 'True')],
    expected: { Ready: TRUE, ContainersReady: TRUE },
  },
  {
    name: 'containers not ready take precedence over readiness gates',
    readinessGates: ['example.com/lb'],
    statuses: [running('a', false)],
    expected: {
      Ready: {
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [a]',
      },
    },
  },
];

function run(c: ConditionsCase, now = NOW): PodCondition[] {
  const spec: PodSpec = {
    containers: c.containers ?? [app('a')],
    ...(c.init ? { initContainers: c.init } : {}),
    ...(c.readinessGates
      ? { readinessGates: c.readinessGates.map((conditionType) => ({ conditionType })) }
      : {}),
  };
  return computePodConditions({
    spec,
    phase: c.phase ?? 'Running',
    scheduled: c.scheduled ?? true,
    sandboxReady: c.sandboxReady ?? true,
    initContainerStatuses: c.initStatuses ?? [],
    containerStatuses: c.statuses ?? [],
    existing: c.existing ?? [],
    now,
  });
}

const KUBELET_ORDER = [
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
];

describe('computePodConditions: statuses, reasons and messages', () => {
  it.each(cases)('$name', (c) => {
    const conditions = run(c);
    expect(conditions.map((x) => x.type).slice(0, 5)).toEqual(KUBELET_ORDER);
    for (const [type, expected] of Object.entries(c.expected)) {
      const found = conditions.find((x) => x.type === type);
      expect(found, type).toBeDefined();
      const { status, reason, message } = found!;
      expect({ status, reason, message }, type).toEqual(expected);
    }
  });
});

// lastTransitionTime: status_manager.go updateLastTransitionTime.
interface TransitionCase {
  name: string;
  existing: PodCondition[];
  statuses: ContainerStatus[];
  readinessGates?: string[];
  /** Expected lastTransitionTime per condition type. */
  expected: Record<string, string>;
}

const transitionCases: TransitionCase[] = [
  {
    name: 'no existing conditions: every condition transitions now',
    existing: [],
    statuses: [running('a')],
    expected: Object.fromEntries(KUBELET_ORDER.map((t) => [t, NOW])),
  },
  {
    name: 'same status as before: lastTransitionTime kept',
    existing: KUBELET_ORDER.map((type) => ({ type, status: 'True', lastTransitionTime: T0 })),
    statuses: [running('a')],
    expected: Object.fromEntries(KUBELET_ORDER.map((t) => [t, T0])),
  },
  {
    name: 'Ready and ContainersReady flip to False: only those two transition now',
    existing: KUBELET_ORDER.map((type) => ({ type, status: 'True', lastTransitionTime: T0 })),
    statuses: [running('a', false)],
    expected: {
      PodReadyToStartContainers: T0,
      Initialized: T0,
      Ready: NOW,
      ContainersReady: NOW,
      PodScheduled: T0,
    },
  },
  {
    name: 'status unchanged but reason and message changed: lastTransitionTime kept',
    existing: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [a]',
        lastTransitionTime: T0,
      },
    ],
    readinessGates: ['example.com/lb'],
    statuses: [running('a')],
    expected: { Ready: T0, ContainersReady: NOW },
  },
  {
    name: 'existing condition without a lastTransitionTime: now',
    existing: [{ type: 'PodScheduled', status: 'True' }],
    statuses: [running('a')],
    expected: { PodScheduled: NOW },
  },
];

describe('computePodConditions: lastTransitionTime changes only with status', () => {
  it.each(transitionCases)('$name', (c) => {
    const conditions = run({
      name: c.name,
      statuses: c.statuses,
      existing: c.existing,
      ...(c.readinessGates ? { readinessGates: c.readinessGates } : {}),
      expected: {},
    });
    for (const [type, time] of Object.entries(c.expected)) {
      expect(conditions.find((x) => x.type === type)?.lastTransitionTime, type).toBe(time);
    }
  });
});

describe('computePodConditions: list shape', () => {
  it.each([
    {
      name: 'other existing conditions follow the five kubelet conditions, unchanged and in their order',
      existing: [
        { type: 'Ready', status: 'False', lastTransitionTime: T0 },
        {
          type: 'example.com/lb',
          status: 'True',
          lastTransitionTime: T0,
          lastProbeTime: T0,
          reason: 'Registered',
        },
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByTaintManager',
          lastTransitionTime: T0,
        },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 },
      ],
      expectedTypes: [...KUBELET_ORDER, 'example.com/lb', 'DisruptionTarget'],
    },
    {
      name: 'old kubelet conditions are replaced, never duplicated',
      existing: KUBELET_ORDER.map((type) => ({ type, status: 'False', lastTransitionTime: T0 })),
      expectedTypes: KUBELET_ORDER,
    },
  ])('$name', ({ existing, expectedTypes }) => {
    const conditions = run({ name: '', statuses: [running('a')], existing, expected: {} });
    expect(conditions.map((c) => c.type)).toEqual(expectedTypes);
    for (const old of existing.filter((c) => !KUBELET_ORDER.includes(c.type))) {
      expect(conditions.find((c) => c.type === old.type)).toBe(old);
    }
  });

  it('kubelet conditions carry no lastProbeTime and no empty reason/message keys', () => {
    const conditions = run({ name: '', statuses: [running('a')], expected: {} });
    for (const c of conditions) {
      expect(Object.keys(c).sort()).toEqual(['lastTransitionTime', 'status', 'type']);
    }
  });

  it('does not modify its input', () => {
    const existing = [{ type: 'Ready', status: 'False', lastTransitionTime: T0 }];
    const copy = structuredClone(existing);
    run({ name: '', statuses: [running('a')], existing, expected: {} });
    expect(existing).toEqual(copy);
  });
});

describe('isPodReady', () => {
  it.each([
    { name: 'undefined conditions', conditions: undefined, expected: false },
    {
      name: 'no Ready condition',
      conditions: [{ type: 'ContainersReady', status: 'True' }],
      expected: false,
    },
    { name: 'Ready False', conditions: [{ type: 'Ready', status: 'False' }], expected: false },
    { name: 'Ready Unknown', conditions: [{ type: 'Ready', status: 'Unknown' }], expected: false },
    {
      name: 'Ready True',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      expected: true,
    },
  ])('$name → $expected', ({ conditions, expected }) => {
    expect(isPodReady(conditions)).toBe(expected);
  });
});

describe('setPodCondition', () => {
  const existing: PodCondition[] = [
    { type: 'Ready', status: 'True', lastTransitionTime: T0 },
    { type: 'example.com/lb', status: 'False', reason: 'Pending', lastTransitionTime: T0 },
    { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 },
  ];

  it.each([
    {
      name: 'new condition type is appended with lastTransitionTime now',
      condition: { type: 'example.com/other', status: 'True' },
      expected: [...existing, { type: 'example.com/other', status: 'True', lastTransitionTime: NOW }],
    },
    {
      name: 'status change replaces in place with lastTransitionTime now',
      condition: { type: 'example.com/lb', status: 'True', reason: 'Registered' },
      expected: [
        existing[0],
        { type: 'example.com/lb', status: 'True', reason: 'Registered', lastTransitionTime: NOW },
        existing[2],
      ],
    },
    {
      name: 'same status with a new reason keeps the old lastTransitionTime',
      condition: { type: 'example.com/lb', status: 'False', reason: 'Draining', message: 'target draining' },
      expected: [
        existing[0],
        {
          type: 'example.com/lb',
          status: 'False',
          reason: 'Draining',
          message: 'target draining',
          lastTransitionTime: T0,
        },
        existing[2],
      ],
    },
    {
      name: 'a lastTransitionTime supplied with an unchanged status is ignored',
      condition: {
        type: 'example.com/lb',
        status: 'False',
        reason: 'Pending',
        lastTransitionTime: '2030-01-01T00:00:00Z',
      },
      expected: existing,
    },
    {
      name: 'a lastTransitionTime supplied with a changed status is replaced by now',
      condition: { type: 'example.com/lb', status: 'True', lastTransitionTime: '2020-01-01T00:00:00Z' },
      expected: [
        existing[0],
        { type: 'example.com/lb', status: 'True', lastTransitionTime: NOW },
        existing[2],
      ],
    },
    {
      name: 'lastProbeTime written by the caller is kept',
      condition: { type: 'example.com/other', status: 'False', lastProbeTime: T0 },
      expected: [
        ...existing,
        { type: 'example.com/other', status: 'False', lastProbeTime: T0, lastTransitionTime: NOW },
      ],
    },
  ])('$name', ({ condition, expected }) => {
    const before = structuredClone(existing);
    expect(setPodCondition(existing, condition, NOW)).toEqual(expected);
    expect(existing).toEqual(before);
  });

  it('a readiness gate written through setPodCondition turns Ready True on the next computation', () => {
    const spec: PodSpec = { containers: [app('a')], readinessGates: [{ conditionType: 'example.com/lb' }] };
    const input = {
      spec,
      phase: 'Running' as const,
      scheduled: true,
      sandboxReady: true,
      initContainerStatuses: [],
      containerStatuses: [running('a')],
      now: T0,
    };
    const first = computePodConditions({ ...input, existing: [] });
    expect(isPodReady(first)).toBe(false);
    const written = setPodCondition(first, { type: 'example.com/lb', status: 'True' }, NOW);
    const second = computePodConditions({ ...input, existing: written, now: NOW });
    expect(isPodReady(second)).toBe(true);
    expect(second.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe(NOW);
    expect(second.find((c) => c.type === 'ContainersReady')?.lastTransitionTime).toBe(T0);
    expect(second.at(-1)).toEqual({ type: 'example.com/lb', status: 'True', lastTransitionTime: NOW });
  });
});
