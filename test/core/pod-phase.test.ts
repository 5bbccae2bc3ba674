import { describe, expect, it } from 'vitest';
import type { Container, ContainerStatus, PodSpec } from 'kubernetes-types/core/v1';
import {
  computePodPhase,
  isRestartableInitContainer,
  isTerminalPhase,
  type PodPhase,
} from '../../src/core/pod-phase.ts';
import { containerShouldRestart, willRestart } from '../../src/core/restart-policy.ts';

// Fixtures: containers and statuses in the shape the kubelet reports them.
const T = '2025-01-01T00:00:00Z';
const app = (name: string, restartPolicy?: string): Container => ({ name, image: 'busybox', restartPolicy });
const sidecar = (name: string): Container => ({ name, image: 'busybox', restartPolicy: 'Always' });
const base = (name: string): ContainerStatus => ({
  name,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
});

const running = (name: string, started = true): ContainerStatus => ({
  ...base(name),
  state: { running: { startedAt: T } },
  started,
  ready: started,
});
const exited = (name: string, exitCode: number): ContainerStatus => ({
  ...base(name),
  state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } },
  started: false,
  ready: false,
});
const waiting = (name: string, reason = 'ContainerCreating'): ContainerStatus => ({
  ...base(name),
  state: { waiting: { reason } },
});
/** Waiting to restart after a previous instance exited with `lastExit` (CrashLoopBackOff). */
const backOff = (name: string, lastExit: number): ContainerStatus => ({
  ...base(name),
  restartCount: 1,
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode: lastExit, reason: lastExit === 0 ? 'Completed' : 'Error' } },
});
/** A status present but with no state at all. */
const stateless = (name: string): ContainerStatus => base(name);
/** A running instance after a previous one exited with `lastExit`. */
const restarted = (name: string, lastExit: number, started = true): ContainerStatus => ({
  ...running(name, started),
  restartCount: 1,
  lastState: { terminated: { exitCode: lastExit, reason: 'Error' } },
});

interface PhaseCase {
  name: string;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  init?: Container[];
  containers?: Container[];
  initStatuses?: ContainerStatus[];
  statuses?: ContainerStatus[];
  deleting?: boolean;
  previousPhase?: PodPhase;
  podHasInitialized?: boolean;
  expected: PodPhase;
}

const cases: PhaseCase[] = [
  // Rule 5 / unknown statuses
  { name: 'no container statuses yet → Pending', statuses: [], expected: 'Pending' },
  {
    name: 'one app container running, the other without a status (unknown) → Pending',
    containers: [app('a'), app('b')],
    statuses: [running('a')],
    expected: 'Pending',
  },
  {
    name: 'a status with no state counts as unknown → Pending',
    statuses: [stateless('a')],
    expected: 'Pending',
  },

  // Rule 2: waiting
  {
    name: 'app container waiting (ContainerCreating) → Pending',
    statuses: [waiting('a')],
    expected: 'Pending',
  },
  {
    name: 'one running, one still waiting to be created → Pending (waiting wins over running)',
    containers: [app('a'), app('b')],
    statuses: [running('a'), waiting('b')],
    expected: 'Pending',
  },

  // Rule 3: running
  { name: 'all app containers running → Running', statuses: [running('a')], expected: 'Running' },
  {
    name: 'one running, one exited 0 under Never → Running',
    restartPolicy: 'Never',
    containers: [app('a'), app('b')],
    statuses: [running('a'), exited('b', 0)],
    expected: 'Running',
  },
  {
    name: 'running but not yet started (startup probe pending) still counts as running → Running',
    statuses: [running('a', false)],
    expected: 'Running',
  },

  // Rule 4: all stopped, not deleting
  {
    name: 'Never, exited 0 → Succeeded',
    restartPolicy: 'Never',
    statuses: [exited('a', 0)],
    expected: 'Succeeded',
  },
  {
    name: 'Never, exited 1 → Failed',
    restartPolicy: 'Never',
    statuses: [exited('a', 1)],
    expected: 'Failed',
  },
  {
    name: 'Never, one exited 0 and one exited 2 → Failed',
    restartPolicy: 'Never',
    containers: [app('a'), app('b')],
    statuses: [exited('a', 0), exited('b', 2)],
    expected: 'Failed',
  },
  {
    name: 'OnFailure, exited 0 → Succeeded (nothing will restart)',
    restartPolicy: 'OnFailure',
    statuses: [exited('a', 0)],
    expected: 'Succeeded',
  },
  {
    name: 'OnFailure, exited 1 → Running (it will restart)',
    restartPolicy: 'OnFailure',
    statuses: [exited('a', 1)],
    expected: 'Running',
  },
  {
    name: 'OnFailure, one exited 0 and one exited 1 → Running (the failed one restarts)',
    restartPolicy: 'OnFailure',
    containers: [app('a'), app('b')],
    statuses: [exited('a', 0), exited('b', 1)],
    expected: 'Running',
  },
  {
    name: 'Always, exited 0 → Running',
    restartPolicy: 'Always',
    statuses: [exited('a', 0)],
    expected: 'Running',
  },
  {
    name: 'Always, exited 137 → Running',
    restartPolicy: 'Always',
    statuses: [exited('a', 137)],
    expected: 'Running',
  },
  {
    name: 'restartPolicy unset defaults to Always: exited 0 → Running',
    restartPolicy: undefined,
    statuses: [exited('a', 0)],
    expected: 'Running',
  },
  {
    name: 'container-level restartPolicy Never overrides pod Always (ContainerRestartRules): exited 1 → Failed',
    restartPolicy: 'Always',
    containers: [app('a', 'Never')],
    statuses: [exited('a', 1)],
    expected: 'Failed',
  },

  // CrashLoopBackOff: waiting with a lastState counts as stopped, not waiting
  {
    name: 'CrashLoopBackOff under Always, only container → Running (not Pending)',
    restartPolicy: 'Always',
    statuses: [backOff('a', 1)],
    expected: 'Running',
  },
  {
    name: 'CrashLoopBackOff under OnFailure → Running',
    restartPolicy: 'OnFailure',
    statuses: [backOff('a', 2)],
    expected: 'Running',
  },
  {
    name: 'CrashLoopBackOff next to a running container → Running',
    containers: [app('a'), app('b')],
    statuses: [running('a'), backOff('b', 1)],
    expected: 'Running',
  },
  {
    name: 'restart back-off after an exit 0 under Always → Running',
    restartPolicy: 'Always',
    statuses: [backOff('a', 0)],
    expected: 'Running',
  },
  {
    name: 'waiting after an exit-0 instance is stopped but never "succeeded" upstream: Never → Failed',
    restartPolicy: 'Never',
    statuses: [backOff('a', 0)],
    expected: 'Failed',
  },

  // Regular init containers
  {
    name: 'init container without a status → Pending',
    init: [app('init')],
    initStatuses: [],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'init container running → Pending',
    init: [app('init')],
    initStatuses: [running('init')],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'init container waiting for its first start → Pending',
    init: [app('init')],
    initStatuses: [waiting('init')],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'init container with a status but no state → Pending',
    init: [app('init')],
    initStatuses: [stateless('init')],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'init container failed under Never → Failed',
    restartPolicy: 'Never',
    init: [app('init')],
    initStatuses: [exited('init', 1)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Failed',
  },
  {
    name: 'init container failed under Never beats a pending second init container → Failed',
    restartPolicy: 'Never',
    init: [app('i1'), app('i2')],
    initStatuses: [exited('i1', 3)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Failed',
  },
  {
    name: 'init container failed under OnFailure (will be restarted) → Pending',
    restartPolicy: 'OnFailure',
    init: [app('init')],
    initStatuses: [exited('init', 1)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'init container failed under Always (will be restarted) → Pending',
    restartPolicy: 'Always',
    init: [app('init')],
    initStatuses: [exited('init', 1)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'init container in CrashLoopBackOff under OnFailure → Pending',
    restartPolicy: 'OnFailure',
    init: [app('init')],
    initStatuses: [backOff('init', 1)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'init container waiting with a failed last state under Never → Failed',
    restartPolicy: 'Never',
    init: [app('init')],
    initStatuses: [backOff('init', 1)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Failed',
  },
  {
    name: 'init container with restartPolicy Never under pod OnFailure fails → Failed (ContainerRestartRules)',
    restartPolicy: 'OnFailure',
    init: [app('init', 'Never')],
    initStatuses: [exited('init', 1)],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Failed',
  },
  {
    name: 'init containers done, app running → Running',
    init: [app('i1'), app('i2')],
    initStatuses: [exited('i1', 0), exited('i2', 0)],
    statuses: [running('a')],
    expected: 'Running',
  },
  {
    name: 'init containers done, app exited 0 under Never → Succeeded',
    restartPolicy: 'Never',
    init: [app('init')],
    initStatuses: [exited('init', 0)],
    statuses: [exited('a', 0)],
    expected: 'Succeeded',
  },
  {
    name: 'init container statuses may arrive in the app list too (kubelet looks in both)',
    init: [app('init')],
    initStatuses: [],
    statuses: [running('a'), exited('init', 0)],
    expected: 'Running',
  },

  // Sidecars (restartable init containers)
  {
    name: 'sidecar without a status (unknown) → Pending',
    init: [sidecar('side')],
    initStatuses: [],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'sidecar waiting for its first start → Pending',
    init: [sidecar('side')],
    initStatuses: [waiting('side')],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },
  {
    name: 'sidecar running but not started, app never ran → Pending',
    init: [sidecar('side')],
    initStatuses: [running('side', false)],
    statuses: [stateless('a')],
    expected: 'Pending',
  },
  {
    name: 'sidecar running but not started, app has no status → Pending (unknown)',
    init: [sidecar('side')],
    initStatuses: [running('side', false)],
    statuses: [],
    expected: 'Pending',
  },
  {
    name: 'sidecar started and app running → Running',
    init: [sidecar('side')],
    initStatuses: [running('side')],
    statuses: [running('a')],
    expected: 'Running',
  },
  {
    name: 'sidecar restarted and not started yet after the app ran → Running (not back to Pending)',
    init: [sidecar('side')],
    initStatuses: [restarted('side', 1, false)],
    statuses: [running('a')],
    expected: 'Running',
  },
  {
    name: 'sidecar in back-off after the app ran → Running',
    init: [sidecar('side')],
    initStatuses: [backOff('side', 1)],
    statuses: [running('a')],
    expected: 'Running',
  },
  {
    name: 'sidecar restarting while the only app container is in CrashLoopBackOff → Running (app was created)',
    init: [sidecar('side')],
    initStatuses: [restarted('side', 1, false)],
    statuses: [backOff('a', 1)],
    expected: 'Running',
  },
  {
    name: 'sidecar still running after the app exited 0 under Never → Running (until the sidecar is stopped)',
    restartPolicy: 'Never',
    init: [sidecar('side')],
    initStatuses: [running('side')],
    statuses: [exited('a', 0)],
    expected: 'Running',
  },
  {
    name: 'sidecar stopped (exit 137) after the app exited 0 under Never → Succeeded (sidecar exit ignored)',
    restartPolicy: 'Never',
    init: [sidecar('side')],
    initStatuses: [exited('side', 137)],
    statuses: [exited('a', 0)],
    expected: 'Succeeded',
  },
  {
    name: 'sidecar not started and no app container in the current sandbox (recreated) → Pending',
    init: [sidecar('side')],
    initStatuses: [restarted('side', 1, false)],
    statuses: [running('a')],
    podHasInitialized: false,
    expected: 'Pending',
  },
  {
    name: 'sidecar started, no app container in the current sandbox yet, app running per status → Running',
    init: [sidecar('side')],
    initStatuses: [running('side')],
    statuses: [running('a')],
    podHasInitialized: false,
    expected: 'Running',
  },
  {
    name: 'sidecar and regular init: regular init still running → Pending',
    init: [sidecar('side'), app('init')],
    initStatuses: [running('side'), running('init')],
    statuses: [waiting('a', 'PodInitializing')],
    expected: 'Pending',
  },

  // Deletion (podIsTerminal)
  {
    name: 'deleting, all exited 0 on SIGTERM under Always → Succeeded',
    restartPolicy: 'Always',
    deleting: true,
    containers: [app('a'), app('b')],
    statuses: [exited('a', 0), exited('b', 0)],
    expected: 'Succeeded',
  },
  {
    name: 'deleting, one exited 143 under Always → Failed',
    restartPolicy: 'Always',
    deleting: true,
    containers: [app('a'), app('b')],
    statuses: [exited('a', 0), exited('b', 143)],
    expected: 'Failed',
  },
  {
    name: 'deleting, exited 1 under OnFailure → Failed (no restart while terminating)',
    restartPolicy: 'OnFailure',
    deleting: true,
    statuses: [exited('a', 1)],
    expected: 'Failed',
  },
  {
    name: 'deleting, container in CrashLoopBackOff → Failed',
    restartPolicy: 'Always',
    deleting: true,
    statuses: [backOff('a', 1)],
    expected: 'Failed',
  },
  {
    name: 'deleting, containers still running → Running',
    deleting: true,
    statuses: [running('a')],
    expected: 'Running',
  },
  {
    name: 'deleting before any container started → Pending',
    deleting: true,
    statuses: [waiting('a')],
    expected: 'Pending',
  },

  // Terminal phases are sticky
  {
    name: 'previous Succeeded stays Succeeded even if a container looks running',
    previousPhase: 'Succeeded',
    statuses: [running('a')],
    expected: 'Succeeded',
  },
  {
    name: 'previous Failed stays Failed even if all containers now exited 0',
    previousPhase: 'Failed',
    restartPolicy: 'Never',
    statuses: [exited('a', 0)],
    expected: 'Failed',
  },
  {
    name: 'previous Failed stays Failed while pending',
    previousPhase: 'Failed',
    statuses: [waiting('a')],
    expected: 'Failed',
  },
  {
    name: 'previous Running is not sticky: exited 0 under Never → Succeeded',
    previousPhase: 'Running',
    restartPolicy: 'Never',
    statuses: [exited('a', 0)],
    expected: 'Succeeded',
  },
  {
    name: 'previous Unknown is not sticky: running → Running',
    previousPhase: 'Unknown',
    statuses: [running('a')],
    expected: 'Running',
  },
];

describe('computePodPhase', () => {
  it.each(cases)('$name', (c) => {
    const spec: PodSpec = {
      containers: c.containers ?? [app('a')],
      ...(c.init ? { initContainers: c.init } : {}),
      ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
    };
    const phase = computePodPhase({
      spec,
      initContainerStatuses: c.initStatuses ?? [],
      containerStatuses: c.statuses ?? [],
      deleting: c.deleting ?? false,
      ...(c.previousPhase ? { previousPhase: c.previousPhase } : {}),
      ...(c.podHasInitialized !== undefined ? { podHasInitialized: c.podHasInitialized } : {}),
    });
    expect(phase).toBe(c.expected);
  });
});

describe('willRestart', () => {
  it.each([
    { name: 'Always restarts after exit 0', policy: 'Always', exitCode: 0, expected: true },
    { name: 'Always restarts after exit 1', policy: 'Always', exitCode: 1, expected: true },
    { name: 'OnFailure does not restart after exit 0', policy: 'OnFailure', exitCode: 0, expected: false },
    { name: 'OnFailure restarts after exit 137', policy: 'OnFailure', exitCode: 137, expected: true },
    { name: 'Never does not restart after exit 0', policy: 'Never', exitCode: 0, expected: false },
    { name: 'Never does not restart after exit 1', policy: 'Never', exitCode: 1, expected: false },
    { name: 'unset policy is the default Always', policy: undefined, exitCode: 0, expected: true },
  ])('$name', ({ policy, exitCode, expected }) => {
    expect(willRestart(policy, exitCode)).toBe(expected);
  });
});

describe('containerShouldRestart', () => {
  it.each([
    {
      name: 'no container policy: pod OnFailure, exit 1 → restart',
      pod: 'OnFailure',
      ctr: undefined,
      exit: 1,
      expected: true,
    },
    { name: 'container Never overrides pod Always', pod: 'Always', ctr: 'Never', exit: 1, expected: false },
    {
      name: 'container OnFailure overrides pod Never on failure',
      pod: 'Never',
      ctr: 'OnFailure',
      exit: 2,
      expected: true,
    },
    {
      name: 'container OnFailure overrides pod Always on success',
      pod: 'Always',
      ctr: 'OnFailure',
      exit: 0,
      expected: false,
    },
  ])('$name', ({ pod, ctr, exit, expected }) => {
    expect(containerShouldRestart(app('a', ctr), { containers: [], restartPolicy: pod }, exit)).toBe(
      expected,
    );
  });
});

describe('isRestartableInitContainer', () => {
  it.each([
    { name: 'restartPolicy Always is a sidecar', container: sidecar('s'), expected: true },
    { name: 'no restartPolicy is a regular init container', container: app('i'), expected: false },
    { name: 'restartPolicy Never is not a sidecar', container: app('i', 'Never'), expected: false },
    { name: 'restartPolicy OnFailure is not a sidecar', container: app('i', 'OnFailure'), expected: false },
    { name: 'undefined is not a sidecar', container: undefined, expected: false },
  ])('$name', ({ container, expected }) => {
    expect(isRestartableInitContainer(container)).toBe(expected);
  });
});

describe('isTerminalPhase', () => {
  it.each([
    { phase: 'Succeeded' as const, expected: true },
    { phase: 'Failed' as const, expected: true },
    { phase: 'Running' as const, expected: false },
    { phase: 'Pending' as const, expected: false },
    { phase: 'Unknown' as const, expected: false },
  ])('$phase → $expected', ({ phase, expected }) => {
    expect(isTerminalPhase(phase)).toBe(expected);
  });
});
