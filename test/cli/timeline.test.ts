// The timeline `podflow run` prints: which differences between two snapshots of a pod become lines, and how.
import type { ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import {
  describeEvent,
  describePodChange,
  formatElapsed,
  formatTimelineLine,
} from '../../src/printers/timeline.ts';

interface PodShape {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: Record<string, 'True' | 'False'>;
  init?: ContainerStatus[];
  containers?: ContainerStatus[];
  deletionGrace?: number;
}

function pod(s: PodShape): Pod {
  const conditions: PodCondition[] = Object.entries(s.conditions ?? {}).map(([type, status]) => ({
    type,
    status,
    ...(status === 'False' ? { reason: type === 'Ready' ? 'ContainersNotReady' : 'Unknown' } : {}),
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'default',
      ...(s.deletionGrace !== undefined
        ? { deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: s.deletionGrace }
        : {}),
    },
    spec: { containers: [{ name: 'main' }] },
    status: {
      ...(s.phase ? { phase: s.phase } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.message ? { message: s.message } : {}),
      ...(s.conditions ? { conditions } : {}),
      ...(s.init ? { initContainerStatuses: s.init } : {}),
      ...(s.containers ? { containerStatuses: s.containers } : {}),
    },
  };
}

const status = (
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
const waiting = (name: string, reason: string, message?: string) =>
  status(name, { waiting: { reason, ...(message ? { message } : {}) } });
const running = (name: string, ready = false) =>
  status(name, { running: { startedAt: '2026-01-01T00:00:01Z' } }, { ready });
const terminated = (name: string, exitCode: number, reason: string, signal?: number) =>
  status(name, {
    terminated: { exitCode, reason, finishedAt: '2026-01-01T00:00:02Z', ...(signal ? { signal } : {}) },
  });

describe('describePodChange', () => {
  it.each<{ name: string; before?: PodShape; after: PodShape; lines: string[] }>([
    {
      name: 'a new Pending pod: only "created" (every pod starts Pending)',
      after: { phase: 'Pending' },
      lines: ['created'],
    },
    {
      name: 'a new pod that is already Running says so',
      after: { phase: 'Running' },
      lines: ['created', 'phase Running'],
    },
    {
      name: 'nothing changed → no line',
      before: { phase: 'Running', conditions: { Ready: 'True' }, containers: [running('main', true)] },
      after: { phase: 'Running', conditions: { Ready: 'True' }, containers: [running('main', true)] },
      lines: [],
    },
    {
      name: 'phase change',
      before: { phase: 'Pending' },
      after: { phase: 'Running' },
      lines: ['phase Running'],
    },
    {
      name: 'phase change with the reason and message of status',
      before: { phase: 'Running' },
      after: {
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      },
      lines: [
        'phase Failed (DeadlineExceeded: Pod was active on the node longer than the specified deadline)',
      ],
    },
    {
      name: 'conditions that first appear False are the initial state: not printed; True ones are',
      before: { phase: 'Pending' },
      after: { phase: 'Pending', conditions: { PodScheduled: 'True', Initialized: 'False', Ready: 'False' } },
      lines: ['condition PodScheduled=True'],
    },
    {
      name: 'condition flip False → True',
      before: { phase: 'Running', conditions: { Ready: 'False' } },
      after: { phase: 'Running', conditions: { Ready: 'True' } },
      lines: ['condition Ready=True'],
    },
    {
      name: 'condition flip True → False, with its reason',
      before: { phase: 'Running', conditions: { Ready: 'True' } },
      after: { phase: 'Running', conditions: { Ready: 'False' } },
      lines: ['condition Ready=False (ContainersNotReady)'],
    },
    {
      name: 'containers first seen not started (PodInitializing, ContainerCreating) are not listed',
      before: { phase: 'Pending' },
      after: {
        phase: 'Pending',
        init: [waiting('init-a', 'PodInitializing')],
        containers: [waiting('main', 'ContainerCreating')],
      },
      lines: [],
    },
    {
      name: 'container state changes: waiting → running, running → terminated',
      before: {
        phase: 'Pending',
        init: [running('init-a')],
        containers: [waiting('main', 'PodInitializing')],
      },
      after: {
        phase: 'Pending',
        init: [terminated('init-a', 0, 'Completed')],
        containers: [waiting('main', 'ContainerCreating')],
      },
      lines: ['init-a: terminated Completed (exit 0)', 'main: waiting ContainerCreating'],
    },
    {
      name: 'running → running and ready',
      before: { phase: 'Running', containers: [running('main')] },
      after: { phase: 'Running', containers: [running('main', true)] },
      lines: ['main: running, ready'],
    },
    {
      name: 'killed by a signal',
      before: { phase: 'Running', containers: [running('main', true)] },
      after: { phase: 'Running', containers: [terminated('main', 143, 'Error', 15)] },
      lines: ['main: terminated Error (exit 143, signal 15)'],
    },
    {
      name: 'a restart says how the last instance ended',
      before: { phase: 'Running', containers: [running('main', true)] },
      after: {
        phase: 'Running',
        containers: [
          status(
            'main',
            { waiting: { reason: 'ContainerCreating' } },
            {
              restartCount: 1,
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:02Z' } },
            },
          ),
        ],
      },
      lines: ['main: waiting ContainerCreating [restarts 1, last Error (exit 1)]'],
    },
    {
      name: 'CrashLoopBackOff with its message',
      before: { phase: 'Running', containers: [waiting('main', 'ContainerCreating')] },
      after: {
        phase: 'Running',
        containers: [
          waiting('main', 'CrashLoopBackOff', 'back-off 10s restarting failed container=main pod=p'),
        ],
      },
      lines: ['main: waiting CrashLoopBackOff: back-off 10s restarting failed container=main pod=p'],
    },
    {
      name: 'a multi-line message stays on one line',
      before: { phase: 'Running', containers: [running('main')] },
      after: {
        phase: 'Running',
        containers: [waiting('main', 'PostStartHookError', 'exit status 1\nline two\n')],
      },
      lines: ['main: waiting PostStartHookError: exit status 1 ⏎ line two'],
    },
    {
      name: 'graceful deletion starts',
      before: { phase: 'Running' },
      after: { phase: 'Running', deletionGrace: 30 },
      lines: ['terminating (grace 30s)'],
    },
    {
      name: 'a second delete shortens the grace',
      before: { phase: 'Running', deletionGrace: 30 },
      after: { phase: 'Running', deletionGrace: 0 },
      lines: ['terminating (grace 0s)'],
    },
  ])('$name', ({ before, after, lines }) => {
    expect(describePodChange(before ? pod(before) : undefined, pod(after))).toEqual(lines);
  });
});

describe('timeline lines', () => {
  it.each([
    { name: 'elapsed time, right-aligned in 7 characters', ms: 310, expected: '   0.31s' },
    { name: 'rounded to hundredths', ms: 1_318, expected: '   1.32s' },
    { name: 'long runs widen the column', ms: 12_345_678, expected: '12345.68s' },
  ])('$name', ({ ms, expected }) => {
    expect(formatElapsed(ms)).toBe(expected);
  });

  it.each([
    {
      name: 'one pod: no pod column',
      line: formatTimelineLine(310, 'init-myservice: running'),
      expected: '   0.31s  init-myservice: running',
    },
    {
      name: 'several pods: the name, padded to the longest',
      line: formatTimelineLine(310, 'init-myservice: running', { label: 'myapp-pod', width: 14 }),
      expected: '   0.31s  myapp-pod       init-myservice: running',
    },
    {
      name: 'a Kubernetes event: type, reason, message',
      line: formatTimelineLine(
        1_320,
        describeEvent({ type: 'Normal', reason: 'Started', message: 'Started container init-mydb' }),
        { label: 'myapp-pod', width: 9 },
      ),
      expected: '   1.32s  myapp-pod  event Normal Started: Started container init-mydb',
    },
  ])('$name', ({ line, expected }) => {
    expect(line).toBe(expected);
  });
});
