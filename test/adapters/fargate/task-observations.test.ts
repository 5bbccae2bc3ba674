// ECS task state change events → runtime observations (docs/decisions/0006-fargate-runtime.md §4), from the
// documented event and events of its shape with the documented stopped-task values (fixtures/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Task } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  encodeSandboxIdentity,
  type SandboxIdentity,
} from '../../../src/adapters/fargate/sandbox-identity.ts';
import {
  fargateContainerId,
  observationsOf,
  taskIdFromContainerId,
  taskViewFromDescribe,
  taskViewFromEvent,
} from '../../../src/adapters/fargate/task-observations.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8'));

const NOW = Date.UTC(2026, 0, 5, 11);
const UID = '6f1c2b9a-0d3e-4c5f-8a7b-9e8d7c6b5a41';
const TASK_ID = '4f1c9c3e8b2d4a7f9e6d5c4b3a291807';
const at = (iso: string) => Date.parse(iso);

function observe(name: string) {
  const view = taskViewFromEvent(fixture(name))!;
  expect(view.identity, 'the identity travels in the pause container override').toBeDefined();
  return { view, observations: observationsOf(view, view.identity!, NOW) };
}

describe('the documented RUNNING event', () => {
  it('is a started observation with the ENI address, dated by updatedAt', () => {
    const view = taskViewFromEvent(fixture('running-documented'))!;
    expect(view).toMatchObject({ lastStatus: 'RUNNING', version: 4, podIP: '10.0.0.139' });
    // The documented task is not a podflow task: it carries no identity, so the observer ignores it…
    expect(view.identity).toBeUndefined();
    // …and with one, its container is reported started.
    const identity: SandboxIdentity = {
      key: { namespace: 'default', name: 'hello' },
      uid: 'u1',
      generation: 0,
      instances: { FargateApp: 0 },
    };
    expect(observationsOf(view, identity, NOW)).toEqual([
      {
        type: 'started',
        ref: { key: identity.key, podUid: 'u1', container: 'FargateApp', instance: 0 },
        startedAt: at('2020-01-23T17:57:58.103Z'),
        podIP: '10.0.0.139',
        containerID: 'fargate://c13b4cb40f1f4fe4a2971f76ae5a47ad/FargateApp/0',
      },
    ]);
  });

  it('other detail types and sources are not task state changes', () => {
    const event = fixture('running-documented') as Record<string, unknown>;
    expect(
      taskViewFromEvent({ ...event, 'detail-type': 'ECS Container Instance State Change' }),
    ).toBeUndefined();
    expect(taskViewFromEvent({ ...event, source: 'aws.ec2' })).toBeUndefined();
    expect(taskViewFromEvent(undefined)).toBeUndefined();
  });
});

describe('stopped containers', () => {
  it('exit codes: 0 and 1 as they are, each with its start; the instance of this task; no signal', () => {
    const { observations } = observe('stopped-exit-codes');
    const ref = (container: string) => ({
      key: { namespace: 'default', name: 'myapp-pod' },
      podUid: UID,
      container,
      instance: 0,
    });
    expect(observations.map((o) => [o.type, o.ref.container])).toEqual([
      ['started', 'init-myservice'],
      ['exited', 'init-myservice'],
      ['started', 'init-mydb'],
      ['exited', 'init-mydb'],
    ]);
    expect(observations[1]).toEqual({
      type: 'exited',
      ref: ref('init-myservice'),
      exitCode: 0,
      oomKilled: false,
      startedAt: at('2026-01-05T10:00:12.000Z'),
      finishedAt: at('2026-01-05T10:00:12.000Z'),
    });
    expect(observations[3]).toMatchObject({ exitCode: 1, oomKilled: false });
    expect(observations[3]).not.toHaveProperty('signal');
    expect(observations[0]).toMatchObject({
      podIP: '10.0.1.23',
      containerID: fargateContainerId(TASK_ID, 'init-myservice', 0),
    });
  });

  it('OutOfMemoryError: oomKilled, 137, signal 9, the reason as message', () => {
    const { observations } = observe('out-of-memory');
    expect(observations.at(-1)).toMatchObject({
      type: 'exited',
      ref: { container: 'hog', instance: 2 },
      exitCode: 137,
      signal: 9,
      oomKilled: true,
      message: 'OutOfMemoryError: Container killed due to memory usage',
    });
  });

  it('CannotPullContainerError: startFailed ErrImagePull with ECS reason, never started', () => {
    const { observations } = observe('cannot-pull');
    expect(observations).toHaveLength(1);
    expect(observations[0]).toMatchObject({
      type: 'startFailed',
      reason: 'ErrImagePull',
      at: at('2026-01-05T10:00:12.000Z'),
    });
    expect(observations[0]!.type === 'startFailed' && observations[0]!.message).toMatch(
      /^CannotPullContainerError: .*nosuchimage:latest: not found$/,
    );
  });

  it('CannotStartContainerError (command not found): startFailed RunContainerError with the runtime message', () => {
    const { observations } = observe('cannot-start');
    expect(observations).toHaveLength(1);
    const failed = observations[0]!;
    expect(failed).toMatchObject({ type: 'startFailed', reason: 'RunContainerError' });
    if (failed.type !== 'startFailed') throw new Error('unreachable');
    expect(failed.message).toContain('"podflow-no-such-command"');
    expect(failed.message).toContain('executable file not found in $PATH');
  });

  it('EssentialContainerExited: the pause container is not reported; SIGTERM of a stopping task is signal 15', () => {
    const { observations } = observe('essential-container-exited');
    expect(observations.some((o) => o.ref.container === 'podflow-pause')).toBe(false);
    expect(
      observations.find((o) => o.type === 'exited' && o.ref.container === 'myapp-container'),
    ).toMatchObject({
      ref: { instance: 3 },
      exitCode: 143,
      signal: 15,
      oomKilled: false,
      finishedAt: at('2026-01-05T10:00:12.000Z'),
    });
    // A signal-free exit code stays signal-free even in a stopping task.
    expect(
      observations.find((o) => o.type === 'exited' && o.ref.container === 'init-myservice'),
    ).not.toHaveProperty('signal');
  });

  it('a container that ran, in a task that stopped without its exit code: lost (ContainerStatusUnknown, 137)', () => {
    const { observations } = observe('lost');
    expect(observations.at(-1)).toMatchObject({
      type: 'exited',
      ref: { container: 'app', instance: 1 },
      exitCode: 137,
      lost: true,
      oomKilled: false,
    });
    const lost = observations.at(-1)!;
    expect(lost.type === 'exited' && lost.message).toContain('Your Spot Task was interrupted.');
  });
});

describe('DescribeTasks tasks', () => {
  const identity: SandboxIdentity = {
    key: { namespace: 'default', name: 'web' },
    uid: 'u2',
    generation: 1,
    instances: { web: 4 },
  };
  const task = (containers: Task['containers'], extra: Partial<Task> = {}): Task => ({
    taskArn: `arn:aws:ecs:us-east-1:111122223333:task/podflow-Cluster/${TASK_ID}`,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    startedAt: new Date('2026-01-05T10:00:08.000Z'),
    overrides: {
      containerOverrides: [
        {
          name: 'podflow-pause',
          environment: [{ name: 'PODFLOW_SANDBOX', value: encodeSandboxIdentity(identity) }],
        },
      ],
    },
    attachments: [
      { type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '10.0.2.7' }] },
    ],
    containers,
    ...extra,
  });

  it('a running container is started at the task start; the identity comes from the overrides', () => {
    const view = taskViewFromDescribe(task([{ name: 'web', lastStatus: 'RUNNING' }]))!;
    expect(view.identity).toEqual(identity);
    expect(observationsOf(view, identity, NOW)).toEqual([
      {
        type: 'started',
        ref: { key: identity.key, podUid: 'u2', container: 'web', instance: 4 },
        startedAt: at('2026-01-05T10:00:08.000Z'),
        podIP: '10.0.2.7',
        containerID: fargateContainerId(TASK_ID, 'web', 4),
      },
    ]);
  });

  it('an exit read from a running task is dated now; from a stopped one by executionStoppedAt', () => {
    const running = taskViewFromDescribe(task([{ name: 'web', lastStatus: 'STOPPED', exitCode: 3 }]))!;
    expect(observationsOf(running, identity, NOW).at(-1)).toMatchObject({ exitCode: 3, finishedAt: NOW });
    const stopped = taskViewFromDescribe(
      task([{ name: 'web', lastStatus: 'STOPPED', exitCode: 3 }], {
        lastStatus: 'STOPPED',
        executionStoppedAt: new Date('2026-01-05T10:30:00.000Z'),
      }),
    )!;
    expect(observationsOf(stopped, identity, NOW).at(-1)).toMatchObject({
      exitCode: 3,
      finishedAt: at('2026-01-05T10:30:00.000Z'),
    });
  });

  it('a container still pending reports nothing; nor one stopping without an exit code yet', () => {
    expect(
      observationsOf(taskViewFromDescribe(task([{ name: 'web', lastStatus: 'PENDING' }]))!, identity, NOW),
    ).toEqual([]);
    expect(
      observationsOf(
        taskViewFromDescribe(task([{ name: 'web', lastStatus: 'STOPPED', runtimeId: 'abc' }]))!,
        identity,
        NOW,
      ),
    ).toEqual([]);
  });

  it('a container of the task that the identity does not name is not reported', () => {
    const view = taskViewFromDescribe(task([{ name: 'stranger', lastStatus: 'RUNNING' }]))!;
    expect(observationsOf(view, identity, NOW)).toEqual([]);
  });
});

describe('container ids', () => {
  it('name the task, so the logs of an instance can be found from the pod status', () => {
    const id = fargateContainerId(TASK_ID, 'app', 7);
    expect(id).toBe(`fargate://${TASK_ID}/app/7`);
    expect(taskIdFromContainerId(id)).toBe(TASK_ID);
    expect(taskIdFromContainerId('podflow://uid/app/7')).toBeUndefined();
  });
});
