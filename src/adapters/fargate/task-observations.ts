// An ECS task — from an `ECS Task State Change` event or from DescribeTasks — → the runtime observations of the
// pod containers it runs (docs/decisions/0006-fargate-runtime.md §4). Pure: tested against the documented event
// samples (test/adapters/fargate/fixtures/). It reports what ECS says and never decides what an exit means.
import type { Task } from '@aws-sdk/client-ecs';
import type { ContainerInstanceRef, ContainerObservation } from '../../ports/container-runtime.ts';
import { identityFromOverrides, PAUSE_CONTAINER, type SandboxIdentity } from './sandbox-identity.ts';

/** The part of a container of a task the mapping reads. */
export interface ContainerView {
  name: string;
  lastStatus?: string;
  exitCode?: number;
  reason?: string;
  /** Set once the container was created (a container that never ran has none). */
  runtimeId?: string;
}

/** The part of a task the mapping reads, with instants as epoch milliseconds. */
export interface TaskView {
  taskArn: string;
  taskDefinitionArn?: string;
  lastStatus?: string;
  desiredStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  startedAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  /** Events only: when this state change happened (`detail.updatedAt`). DescribeTasks has no such field. */
  updatedAt?: number;
  /** The task's resource version (`detail.version`), which identifies duplicate events. */
  version?: number;
  /** The ENI's private address. */
  podIP?: string;
  containers: ContainerView[];
  identity?: SandboxIdentity;
}

/** ECS task state change events: `detail-type` and `source`. */
export const TASK_STATE_CHANGE = 'ECS Task State Change';
export const ECS_EVENT_SOURCE = 'aws.ecs';

/** `…/task/<cluster>/<id>` (or the older `…/task/<id>`) → `<id>`. */
export const taskIdOf = (taskArn: string): string => taskArn.slice(taskArn.lastIndexOf('/') + 1);

/** status.containerID of an instance that ran in a Fargate task: names the task, so its log stream can be found. */
export const fargateContainerId = (taskId: string, container: string, instance: number): string =>
  `fargate://${taskId}/${container}/${instance}`;

/** The task id in a containerID written by fargateContainerId, if it is one. */
export function taskIdFromContainerId(containerID: string | undefined): string | undefined {
  const m = /^fargate:\/\/([^/]+)\//.exec(containerID ?? '');
  return m?.[1];
}

const time = (value: unknown): number | undefined => {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (typeof value === 'number') return value;
  return undefined;
};

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

type Attachment = { type?: string; details?: Array<{ name?: string; value?: string }> };

function podIPOf(attachments: Attachment[] | undefined, containers: unknown[]): string | undefined {
  for (const a of attachments ?? []) {
    if (a.type !== 'eni' && a.type !== 'ElasticNetworkInterface') continue;
    const ip = a.details?.find((d) => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  for (const c of containers) {
    const nics = (c as { networkInterfaces?: Array<{ privateIpv4Address?: string }> }).networkInterfaces;
    const ip = nics?.find((n) => n.privateIpv4Address)?.privateIpv4Address;
    if (ip) return ip;
  }
  return undefined;
}

function containerView(c: Record<string, unknown>): ContainerView {
  const exitCode = c.exitCode;
  return {
    name: str(c.name) ?? '',
    ...(str(c.lastStatus) ? { lastStatus: str(c.lastStatus)! } : {}),
    ...(typeof exitCode === 'number' ? { exitCode } : {}),
    ...(str(c.reason) ? { reason: str(c.reason)! } : {}),
    ...(str(c.runtimeId) ? { runtimeId: str(c.runtimeId)! } : {}),
  };
}

function taskView(d: Record<string, unknown>, withUpdatedAt: boolean): TaskView | undefined {
  const taskArn = str(d.taskArn);
  if (!taskArn) return undefined;
  const containers = Array.isArray(d.containers) ? (d.containers as Array<Record<string, unknown>>) : [];
  const identity = identityFromOverrides(d.overrides as Parameters<typeof identityFromOverrides>[0]);
  const view: TaskView = {
    taskArn,
    containers: containers.map(containerView),
  };
  const set = <K extends keyof TaskView>(k: K, v: TaskView[K] | undefined): void => {
    if (v !== undefined) view[k] = v;
  };
  set('taskDefinitionArn', str(d.taskDefinitionArn));
  set('lastStatus', str(d.lastStatus));
  set('desiredStatus', str(d.desiredStatus));
  set('stopCode', str(d.stopCode));
  set('stoppedReason', str(d.stoppedReason));
  set('startedAt', time(d.startedAt));
  set('executionStoppedAt', time(d.executionStoppedAt));
  set('stoppedAt', time(d.stoppedAt));
  if (withUpdatedAt) set('updatedAt', time(d.updatedAt));
  set('version', typeof d.version === 'number' ? d.version : undefined);
  set('podIP', podIPOf(d.attachments as Attachment[] | undefined, containers));
  set('identity', identity);
  return view;
}

/**
 * The task of an EventBridge event, if it is an ECS task state change. Events carry ISO timestamps and
 * `updatedAt`, the instant of this change ("Amazon ECS task state change events").
 */
export function taskViewFromEvent(event: unknown): TaskView | undefined {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e['detail-type'] !== TASK_STATE_CHANGE || e.source !== ECS_EVENT_SOURCE) return undefined;
  if (typeof e.detail !== 'object' || e.detail === null) return undefined;
  return taskView(e.detail as Record<string, unknown>, true);
}

/** A task as DescribeTasks returns it (the SDK's Date instants). */
export function taskViewFromDescribe(task: Task): TaskView | undefined {
  return taskView(task as unknown as Record<string, unknown>, false);
}

/** Reasons of a container that never ran (the ECS agent's error names, "Amazon ECS stopped task error messages"). */
const CANNOT_RUN =
  /^(CannotStartContainerError|CannotCreateContainerError|CannotInspectContainerError|ResourceInitializationError|InternalError)\b/;
const CANNOT_PULL = /^(CannotPullContainerError|CannotPullImageManifestError)\b/;
/** ECS's reason for a container its memory limit killed. */
const OUT_OF_MEMORY = /^OutOfMemoryError\b/;

/** Exit codes 129–159 are 128 + a signal (kubelet reports signal deaths as 128 + n, docs/semantics.md §4). */
const signalOf = (exitCode: number): number | undefined =>
  exitCode > 128 && exitCode < 160 ? exitCode - 128 : undefined;

/**
 * What the task says about each pod container instance it runs. `now` dates what the task gives no instant for.
 * Several observations per instance are normal (a container seen stopped is also reported started); the runtime and
 * the engine drop what is not news.
 */
export function observationsOf(
  task: TaskView,
  identity: SandboxIdentity,
  now: number,
): ContainerObservation[] {
  const out: ContainerObservation[] = [];
  const taskId = taskIdOf(task.taskArn);
  const taskStopped = task.lastStatus === 'STOPPED' || task.lastStatus === 'DEPROVISIONING';
  const stopRequested = task.desiredStatus === 'STOPPED';
  const startedAt = task.updatedAt ?? task.startedAt ?? now;
  const finishedAt = task.updatedAt ?? task.executionStoppedAt ?? task.stoppedAt ?? now;
  for (const c of task.containers) {
    if (c.name === PAUSE_CONTAINER) continue;
    const instance = identity.instances[c.name];
    if (instance === undefined) continue;
    const ref: ContainerInstanceRef = {
      key: identity.key,
      podUid: identity.uid,
      container: c.name,
      instance,
    };
    const started: ContainerObservation = {
      type: 'started',
      ref,
      startedAt,
      ...(task.podIP ? { podIP: task.podIP } : {}),
      containerID: fargateContainerId(taskId, c.name, instance),
    };
    const reason = c.reason ?? (taskStopped && c.exitCode === undefined ? task.stoppedReason : undefined);
    if (c.lastStatus === 'RUNNING') {
      out.push(started);
      continue;
    }
    if (c.lastStatus !== 'STOPPED' && !(taskStopped && c.lastStatus !== 'RUNNING')) continue;
    if (reason && !OUT_OF_MEMORY.test(reason) && (CANNOT_PULL.test(reason) || CANNOT_RUN.test(reason))) {
      out.push({
        type: 'startFailed',
        ref,
        reason: CANNOT_PULL.test(reason) ? 'ErrImagePull' : 'RunContainerError',
        message: reason,
        at: finishedAt,
      });
      continue;
    }
    if (c.exitCode !== undefined) {
      const oomKilled = reason !== undefined && OUT_OF_MEMORY.test(reason);
      // An exit code is a signal only where one was sent: a stop podflow asked for (SIGTERM, then SIGKILL after the
      // stopTimeout) or the memory limit (SIGKILL). `exit 143` of a script is just 143.
      const signal = oomKilled ? 9 : stopRequested ? signalOf(c.exitCode) : undefined;
      out.push(started, {
        type: 'exited',
        ref,
        exitCode: c.exitCode,
        ...(signal !== undefined ? { signal } : {}),
        oomKilled,
        startedAt,
        finishedAt,
        ...(reason ? { message: reason } : {}),
      });
      continue;
    }
    if (!taskStopped) continue; // stopping: the exit code comes with a later change
    if (c.runtimeId) {
      // It ran, and its task ended without an exit code for it: kubelet's ContainerStatusUnknown (137).
      out.push(started, {
        type: 'exited',
        ref,
        exitCode: 137,
        oomKilled: false,
        startedAt,
        finishedAt,
        message: `the Fargate task ended without an exit code for the container${task.stoppedReason ? `: ${task.stoppedReason}` : ''}`,
        lost: true,
      });
    } else {
      const why = task.stoppedReason ?? 'the Fargate task stopped before the container started';
      out.push({
        type: 'startFailed',
        ref,
        reason: CANNOT_PULL.test(why) ? 'ErrImagePull' : 'RunContainerError',
        message: why,
        at: finishedAt,
      });
    }
  }
  return out;
}
