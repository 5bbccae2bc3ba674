// `kubectl get pods` columns. Cases follow kubectl's server-side printer, kubernetes
// pkg/printers/internalversion/printers.go printPod (the version with native-sidecar and SchedulingGated handling),
// and apimachinery pkg/util/duration HumanDuration for AGE and `(… ago)`.
import type { Container, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import {
  formatColumns,
  humanDuration,
  podStatusText,
  podTableRow,
  renderPodTable,
} from '../../src/printers/pod-table.ts';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const CREATED = '2026-01-01T00:00:00Z';

interface PodShape {
  phase?: string;
  reason?: string;
  initSpecs?: Container[];
  containerNames?: string[];
  init?: ContainerStatus[];
  containers?: ContainerStatus[];
  conditions?: PodCondition[];
  deleting?: boolean;
}

function pod(s: PodShape): Pod {
  const names = s.containerNames ?? s.containers?.map((c) => c.name) ?? ['app'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      creationTimestamp: CREATED,
      ...(s.deleting ? { deletionTimestamp: '2026-01-01T00:10:30Z', deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      containers: names.map((name) => ({ name })),
      ...(s.initSpecs ? { initContainers: s.initSpecs } : {}),
    },
    status: {
      ...(s.phase ? { phase: s.phase } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.conditions ? { conditions: s.conditions } : {}),
      ...(s.init ? { initContainerStatuses: s.init } : {}),
      ...(s.containers ? { containerStatuses: s.containers } : {}),
    },
  };
}

const cs = (
  name: string,
  state: ContainerStatus['state'],
  extra: Partial<ContainerStatus> = {},
): ContainerStatus => ({
  name,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
  state,
  ...extra,
});
const waiting = (name: string, reason: string, extra: Partial<ContainerStatus> = {}) =>
  cs(name, { waiting: { reason } }, extra);
const running = (name: string, ready: boolean, extra: Partial<ContainerStatus> = {}) =>
  cs(name, { running: { startedAt: CREATED } }, { ready, started: true, ...extra });
const exited = (name: string, exitCode: number, reason?: string, signal?: number) =>
  cs(name, {
    terminated: {
      exitCode,
      finishedAt: CREATED,
      ...(reason !== undefined ? { reason } : {}),
      ...(signal !== undefined ? { signal } : {}),
    },
  });
const condition = (type: string, status: 'True' | 'False', reason?: string): PodCondition => ({
  type,
  status,
  ...(reason ? { reason } : {}),
});
const twoInits: Container[] = [{ name: 'init-myservice' }, { name: 'init-mydb' }];

describe('podStatusText (printPod reason) and READY', () => {
  it.each<{ name: string; pod: PodShape; status: string; ready: string }>([
    { name: 'no status yet: the phase', pod: { phase: 'Pending' }, status: 'Pending', ready: '0/1' },
    {
      name: 'scheduling gated: the PodScheduled reason replaces Pending',
      pod: { phase: 'Pending', conditions: [condition('PodScheduled', 'False', 'SchedulingGated')] },
      status: 'SchedulingGated',
      ready: '0/1',
    },
    {
      name: 'first init container running → Init:0/2',
      pod: {
        phase: 'Pending',
        initSpecs: twoInits,
        init: [running('init-myservice', false), waiting('init-mydb', 'PodInitializing')],
        containers: [waiting('app', 'PodInitializing')],
      },
      status: 'Init:0/2',
      ready: '0/1',
    },
    {
      name: 'first init container done, second running → Init:1/2',
      pod: {
        phase: 'Pending',
        initSpecs: twoInits,
        init: [exited('init-myservice', 0, 'Completed'), running('init-mydb', false)],
        containers: [waiting('app', 'PodInitializing')],
      },
      status: 'Init:1/2',
      ready: '0/1',
    },
    {
      name: 'init container in back-off → Init:CrashLoopBackOff',
      pod: {
        phase: 'Pending',
        initSpecs: twoInits,
        init: [waiting('init-myservice', 'CrashLoopBackOff'), waiting('init-mydb', 'PodInitializing')],
      },
      status: 'Init:CrashLoopBackOff',
      ready: '0/1',
    },
    {
      name: 'init container failed with a reason → Init:Error',
      pod: { phase: 'Failed', initSpecs: twoInits, init: [exited('init-myservice', 1, 'Error')] },
      status: 'Init:Error',
      ready: '0/1',
    },
    {
      name: 'init container failed without a reason → Init:ExitCode:N',
      pod: { phase: 'Pending', initSpecs: twoInits, init: [exited('init-myservice', 3)] },
      status: 'Init:ExitCode:3',
      ready: '0/1',
    },
    {
      name: 'init container killed by a signal without a reason → Init:Signal:N',
      pod: { phase: 'Pending', initSpecs: twoInits, init: [exited('init-myservice', 137, undefined, 9)] },
      status: 'Init:Signal:9',
      ready: '0/1',
    },
    {
      name: 'init done, app not created yet (kubelet default waiting reason with init containers) → PodInitializing',
      pod: {
        phase: 'Pending',
        initSpecs: twoInits,
        init: [exited('init-myservice', 0, 'Completed'), exited('init-mydb', 0, 'Completed')],
        containers: [waiting('app', 'PodInitializing')],
        conditions: [condition('Initialized', 'True')],
      },
      status: 'PodInitializing',
      ready: '0/1',
    },
    {
      name: 'no init containers, app being created → ContainerCreating',
      pod: { phase: 'Pending', containers: [waiting('app', 'ContainerCreating')] },
      status: 'ContainerCreating',
      ready: '0/1',
    },
    {
      name: 'running and ready → Running 1/1',
      pod: { phase: 'Running', containers: [running('app', true)], conditions: [condition('Ready', 'True')] },
      status: 'Running',
      ready: '1/1',
    },
    {
      name: 'running, not ready (readiness probe pending) → Running 0/1',
      pod: { phase: 'Running', containers: [running('app', false)] },
      status: 'Running',
      ready: '0/1',
    },
    {
      name: 'the first container with something to say wins',
      pod: {
        phase: 'Running',
        containers: [waiting('app', 'CrashLoopBackOff'), running('helper', true)],
      },
      status: 'CrashLoopBackOff',
      ready: '1/2',
    },
    {
      name: 'Succeeded → Completed',
      pod: { phase: 'Succeeded', containers: [exited('app', 0, 'Completed')] },
      status: 'Completed',
      ready: '0/1',
    },
    {
      name: 'Failed → Error',
      pod: { phase: 'Failed', containers: [exited('app', 1, 'Error')] },
      status: 'Error',
      ready: '0/1',
    },
    {
      name: 'exited without a reason → ExitCode:N',
      pod: { phase: 'Failed', containers: [exited('app', 2)] },
      status: 'ExitCode:2',
      ready: '0/1',
    },
    {
      name: 'one container completed while another runs, pod Ready → Running',
      pod: {
        phase: 'Running',
        containers: [exited('app', 0, 'Completed'), running('helper', true)],
        conditions: [condition('Ready', 'True')],
      },
      status: 'Running',
      ready: '1/2',
    },
    {
      name: 'one container completed while another runs, pod not Ready → NotReady',
      pod: {
        phase: 'Running',
        containers: [exited('app', 0, 'Completed'), running('helper', true)],
        conditions: [condition('Ready', 'False')],
      },
      status: 'NotReady',
      ready: '1/2',
    },
    {
      name: 'OOMKilled',
      pod: { phase: 'Running', containers: [exited('app', 137, 'OOMKilled')] },
      status: 'OOMKilled',
      ready: '0/1',
    },
    {
      name: 'being deleted while running → Terminating',
      pod: { phase: 'Running', containers: [running('app', true)], deleting: true },
      status: 'Terminating',
      ready: '1/1',
    },
    {
      name: 'being deleted after it finished: the terminal status stays',
      pod: { phase: 'Succeeded', containers: [exited('app', 0, 'Completed')], deleting: true },
      status: 'Completed',
      ready: '0/1',
    },
    {
      name: 'being deleted on a lost node → Unknown',
      pod: { phase: 'Running', reason: 'NodeLost', containers: [running('app', true)], deleting: true },
      status: 'Unknown',
      ready: '1/1',
    },
    {
      name: 'status.reason (Evicted) names a pod without container statuses',
      pod: { phase: 'Failed', reason: 'Evicted' },
      status: 'Evicted',
      ready: '0/1',
    },
    {
      name: 'a started native sidecar counts among the containers and is skipped for the status',
      pod: {
        phase: 'Running',
        initSpecs: [{ name: 'proxy', restartPolicy: 'Always' }],
        init: [running('proxy', true)],
        containers: [running('app', true)],
        conditions: [condition('Initialized', 'True'), condition('Ready', 'True')],
      },
      status: 'Running',
      ready: '2/2',
    },
    {
      name: 'a native sidecar not started yet holds initialization → Init:0/1',
      pod: {
        phase: 'Pending',
        initSpecs: [{ name: 'proxy', restartPolicy: 'Always' }],
        init: [running('proxy', false, { started: false })],
        containers: [waiting('app', 'PodInitializing')],
      },
      status: 'Init:0/1',
      ready: '0/2',
    },
  ])('$name', ({ pod: shape, status, ready }) => {
    const p = pod(shape);
    expect(podStatusText(p)).toBe(status);
    expect(podTableRow(p, NOW).ready).toBe(ready);
  });
});

describe('RESTARTS', () => {
  const lastExit = (finishedAt: string) => ({
    terminated: { exitCode: 1, reason: 'Error', finishedAt },
  });
  it.each<{ name: string; pod: PodShape; restarts: string }>([
    { name: 'never restarted', pod: { phase: 'Running', containers: [running('app', true)] }, restarts: '0' },
    {
      name: 'restarted: the count and how long ago the last instance ended',
      pod: {
        phase: 'Running',
        containers: [
          running('app', true, { restartCount: 2, lastState: lastExit('2026-01-01T00:09:45Z') }),
          running('helper', true, { restartCount: 1, lastState: lastExit('2026-01-01T00:05:00Z') }),
        ],
      },
      restarts: '3 (15s ago)',
    },
    {
      name: 'while initializing, init container restarts count',
      pod: {
        phase: 'Pending',
        initSpecs: twoInits,
        init: [
          waiting('init-myservice', 'CrashLoopBackOff', {
            restartCount: 4,
            lastState: lastExit('2026-01-01T00:08:00Z'),
          }),
        ],
        containers: [waiting('app', 'PodInitializing')],
      },
      restarts: '4 (2m ago)',
    },
    {
      name: 'once initialized, only sidecars and app containers count',
      pod: {
        phase: 'Running',
        initSpecs: [{ name: 'setup' }],
        init: [exited('setup', 0, 'Completed')].map((c) => ({ ...c, restartCount: 5 })),
        containers: [running('app', true)],
        conditions: [condition('Initialized', 'True')],
      },
      restarts: '0',
    },
  ])('$name', ({ pod: shape, restarts }) => {
    expect(podTableRow(pod(shape), NOW).restarts).toBe(restarts);
  });
});

describe('humanDuration (AGE)', () => {
  it.each([
    { ms: -5_000, text: '<invalid>' },
    { ms: -1_500, text: '0s' },
    { ms: 0, text: '0s' },
    { ms: 59_999, text: '59s' },
    { ms: 119_000, text: '119s' },
    { ms: 120_000, text: '2m' },
    { ms: 125_000, text: '2m5s' },
    { ms: 10 * 60_000, text: '10m' },
    { ms: 179 * 60_000, text: '179m' },
    { ms: 3 * 3_600_000, text: '3h' },
    { ms: 3 * 3_600_000 + 20 * 60_000, text: '3h20m' },
    { ms: 47 * 3_600_000, text: '47h' },
    { ms: 53 * 3_600_000, text: '2d5h' },
    { ms: 3 * 86_400_000, text: '3d' },
    { ms: 400 * 86_400_000, text: '400d' },
    { ms: (3 * 365 + 20) * 86_400_000, text: '3y20d' },
    { ms: 9 * 365 * 86_400_000, text: '9y' },
  ])('$ms ms → $text', ({ ms, text }) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('table layout (kubectl tabwriter: min width 6, padding 3)', () => {
  it('pads every column but the last to its widest cell plus 3, at least 6', () => {
    expect(
      formatColumns([
        ['A', 'B', 'X'],
        ['longer-name', '1', 'y'],
      ]),
    ).toEqual(['A             B     X', 'longer-name   1     y']);
  });

  it('renders the kubectl get pods columns', () => {
    const p = pod({
      phase: 'Running',
      containers: [running('app', true)],
      conditions: [condition('Ready', 'True')],
    });
    expect(renderPodTable([p], NOW)).toBe(
      'NAME   READY   STATUS    RESTARTS   AGE\n' + 'web    1/1     Running   0          10m\n',
    );
  });
});
