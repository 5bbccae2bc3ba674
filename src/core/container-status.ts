// Projects the engine's per-container records onto Kubernetes ContainerStatus objects (docs/semantics.md §4;
// upstream pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses).
import type { ContainerState, ContainerStateTerminated, ContainerStatus } from 'kubernetes-types/core/v1';
import type { ContainerEntry } from './pod-spec.ts';
import type { ContainerRecord, TerminatedState } from './pod-state.ts';
import { toRfc3339 } from './time.ts';

export interface ProjectionContext {
  podUid: string;
  /** The pod has init containers: containers not started yet wait with `PodInitializing`. */
  hasInitContainers: boolean;
}

/** `podflow://<pod uid>/<container>/<instance>` — unique per instance, like a CRI container id. */
export const containerId = (podUid: string, name: string, instance: number): string =>
  `podflow://${podUid}/${name}/${instance}`;

/** kubelet_pods.go convertToAPIContainerStatuses never sets `signal`; the exit code carries it (128 + n). */
function terminated(t: TerminatedState, id: string | undefined): ContainerStateTerminated {
  return {
    exitCode: t.exitCode,
    reason: t.reason,
    ...(t.message ? { message: t.message } : {}),
    ...(t.startedAt !== undefined ? { startedAt: toRfc3339(t.startedAt) } : {}),
    finishedAt: toRfc3339(t.finishedAt),
    ...(id ? { containerID: id } : {}),
  };
}

/**
 * The reason a container that has not started yet is waiting with: kubelet_pods.go convertToAPIContainerStatuses
 * defaults every container to `PodInitializing` when the pod has init containers, else `ContainerCreating`.
 */
function notStartedReason(ctx: ProjectionContext): string {
  return ctx.hasInitContainers ? 'PodInitializing' : 'ContainerCreating';
}

/** started: running and past postStart and the startup probe (or none). */
export function isStarted(rec: ContainerRecord, hasStartupProbe: boolean): boolean {
  return (
    rec.state.type === 'running' &&
    rec.state.postStartDone &&
    !rec.state.hookError &&
    (!hasStartupProbe || rec.probes.startup === 'success')
  );
}

/**
 * ready: regular init containers when exited 0; ephemeral containers never (the prober manager's UpdatePodStatus
 * sets readiness for init and app containers only: prober_manager.go); others when started and readiness passed
 * (or no probe).
 */
export function isReady(entry: ContainerEntry, rec: ContainerRecord): boolean {
  if (entry.kind === 'ephemeral') return false;
  if (entry.kind === 'init') return rec.state.type === 'terminated' && rec.state.exitCode === 0;
  return (
    isStarted(rec, !!entry.container.startupProbe) &&
    (!entry.container.readinessProbe || rec.probes.readiness === 'success')
  );
}

export function toContainerStatus(
  entry: ContainerEntry,
  rec: ContainerRecord,
  ctx: ProjectionContext,
): ContainerStatus {
  const c = entry.container;
  const reported =
    rec.state.type === 'running' || rec.state.type === 'terminated' ? rec.state.containerID : undefined;
  const id = rec.instance >= 0 ? (reported ?? containerId(ctx.podUid, c.name, rec.instance)) : undefined;
  let state: ContainerState;
  switch (rec.state.type) {
    case 'waiting':
      state = {
        waiting: { reason: rec.state.reason, ...(rec.state.message ? { message: rec.state.message } : {}) },
      };
      break;
    case 'starting':
      state = {
        waiting: { reason: rec.instance === 0 ? notStartedReason(ctx) : 'ContainerCreating' },
      };
      break;
    case 'running':
      // A container whose postStart hook has not finished is not reported running (docs/semantics.md §6).
      if (rec.state.hookError)
        state = { waiting: { reason: 'PostStartHookError', message: rec.state.hookError } };
      else if (!rec.state.postStartDone) state = { waiting: { reason: 'ContainerCreating' } };
      else state = { running: { startedAt: toRfc3339(rec.state.startedAt) } };
      break;
    case 'terminated':
      state = { terminated: terminated(rec.state, id) };
      break;
  }
  if (rec.instance < 0 && rec.state.type === 'waiting' && rec.state.reason === 'ContainerCreating') {
    state = { waiting: { reason: notStartedReason(ctx) } };
  }
  const started = isStarted(rec, !!c.startupProbe);
  const status: ContainerStatus = {
    name: c.name,
    image: c.image ?? '',
    imageID: rec.imageID ?? '',
    ...(id ? { containerID: id } : {}),
    ready: isReady(entry, rec),
    restartCount: Math.max(0, rec.instance),
    // `started` comes from the prober manager too, which does not see ephemeral containers.
    ...(entry.kind === 'ephemeral' ? {} : { started }),
    state,
    lastState: rec.last
      ? {
          terminated: terminated(
            rec.last,
            rec.last.containerID ??
              (rec.last.instance !== undefined
                ? containerId(ctx.podUid, c.name, rec.last.instance)
                : undefined),
          ),
        }
      : {},
  };
  return status;
}
