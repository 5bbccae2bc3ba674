// Recomputes a pod's whole `status` from the engine's records: container statuses, phase (kubelet getPhase),
// conditions (status/generate.go) and the fixed fields. Only the core writes `status`; adapters never do.
import type { ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1';
import { toContainerStatus, type ProjectionContext } from './container-status.ts';
import { computePodConditions } from './pod-conditions.ts';
import { computePodPhase, isTerminalPhase, type PodPhase } from './pod-phase.ts';
import { containerEntries, ephemeralEntries } from './pod-spec.ts';
import type { AdmittedPod, PodState } from './pod-state.ts';
import { computeQosClass } from './qos.ts';
import { toRfc3339 } from './time.ts';

/** pkg/kubelet/eviction/eviction_manager.go Reason. */
export const EVICTED_REASON = 'Evicted';
export const DEADLINE_EXCEEDED_MESSAGE = 'Pod was active on the node longer than the specified deadline';

export function containerStatusesOf(state: PodState): {
  init: ContainerStatus[];
  app: ContainerStatus[];
  ephemeral: ContainerStatus[];
} {
  const { pod, engine } = state;
  const spec = pod.spec;
  const ctx: ProjectionContext = {
    podUid: pod.metadata.uid,
    hasInitContainers: (spec.initContainers ?? []).length > 0,
  };
  const init: ContainerStatus[] = [];
  const app: ContainerStatus[] = [];
  for (const entry of containerEntries(spec)) {
    const rec = engine.containers[entry.container.name];
    if (!rec) continue;
    (entry.kind === 'app' ? app : init).push(toContainerStatus(entry, rec, ctx));
  }
  // kubelet_pods.go generateAPIPodStatus: EphemeralContainerStatuses, only for the containers that have a record
  // (one not yet picked up by the pod's worker has no status yet).
  const ephemeral: ContainerStatus[] = [];
  for (const entry of ephemeralEntries(spec)) {
    const rec = engine.containers[entry.container.name];
    if (rec) ephemeral.push(toContainerStatus(entry, rec, ctx));
  }
  return { init, app, ephemeral };
}

export function currentPhase(pod: Pod): PodPhase {
  return (pod.status?.phase as PodPhase | undefined) ?? 'Pending';
}

/** Returns the pod with a freshly computed status. `now` only stamps condition transitions. */
export function refreshStatus(state: PodState, now: number): AdmittedPod {
  const { pod, engine } = state;
  const spec = pod.spec;
  const previous = pod.status ?? {};
  // Ephemeral containers count for neither the phase nor the conditions (kubelet getPhase and status/generate.go
  // look at init and app containers only).
  const { init, app, ephemeral } = containerStatusesOf(state);
  let phase = computePodPhase({
    spec,
    initContainerStatuses: init,
    containerStatuses: app,
    deleting: engine.deletion !== undefined,
    previousPhase: previous.phase as PodPhase | undefined,
    restartDecided: restartDecided(state),
  });
  if (engine.deletion && engine.stage === 'Finished' && (phase === 'Pending' || phase === 'Running')) {
    // status_manager.go TerminatePod: a deleted pod that never reached a terminal phase ends Failed.
    phase = 'Failed';
  }
  const status: PodStatus = { phase };
  if (engine.deadlineExceeded) {
    // kubelet: pkg/kubelet/active_deadline.go — the pod is failed outright, reason DeadlineExceeded.
    phase = 'Failed';
    status.phase = phase;
    status.reason = 'DeadlineExceeded';
    status.message = DEADLINE_EXCEEDED_MESSAGE;
  }
  if (engine.evicted) {
    // pkg/kubelet/eviction/eviction_manager.go evictPod: phase Failed, reason Evicted, the eviction's message.
    phase = 'Failed';
    status.phase = phase;
    status.reason = EVICTED_REASON;
    status.message = engine.evicted.message;
  }
  status.conditions = computePodConditions({
    spec,
    phase,
    scheduled: engine.scheduled,
    // kubelet.go SyncTerminatingPod / SyncTerminatedPod: a pod that ended (terminal, or whose containers were
    // killed for its deletion) has its sandbox torn down, so the condition turns False (status/generate.go).
    sandboxReady: engine.sandboxReady && engine.stage !== 'Finished' && !isTerminalPhase(phase),
    initContainerStatuses: init,
    containerStatuses: app,
    existing: previous.conditions ?? [],
    now: toRfc3339(now),
  });
  if (previous.hostIP) {
    status.hostIP = previous.hostIP;
    status.hostIPs = [{ ip: previous.hostIP }];
  }
  if (engine.podIP) {
    status.podIP = engine.podIP;
    status.podIPs = [{ ip: engine.podIP }];
  }
  if (previous.startTime) status.startTime = previous.startTime;
  if (init.length > 0) status.initContainerStatuses = init;
  status.containerStatuses = app;
  if (ephemeral.length > 0) status.ephemeralContainerStatuses = ephemeral;
  status.qosClass = computeQosClass(spec);
  return { ...pod, status: stripUndefined(status) };
}

/** Containers the engine will start again already: a new instance requested, or a restart timer pending. */
function restartDecided(state: PodState): Set<string> {
  const decided = new Set<string>();
  for (const rec of Object.values(state.engine.containers))
    if (rec.restartTimer || (rec.state.type === 'starting' && rec.instance > 0)) decided.add(rec.name);
  return decided;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
