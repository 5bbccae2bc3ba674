// Pod phase, computed from the container statuses exactly as the kubelet does.
//
// Upstream: kubernetes/kubernetes pkg/kubelet/kubelet_pods.go `getPhase` (v1.33–1.35 and master, which adds the
// ContainerRestartRules branches reproduced here through `containerShouldRestart`) and the terminal-phase
// stickiness in `generateAPIPodStatus` of the same file. Helpers mirror pkg/api/v1/pod/util.go.
import type { Container, ContainerStatus, PodSpec } from 'kubernetes-types/core/v1';
import { containerShouldRestart } from './restart-policy.ts';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface PodPhaseInput {
  spec: PodSpec;
  initContainerStatuses: ContainerStatus[];
  containerStatuses: ContainerStatus[];
  /**
   * The kubelet's `podIsTerminal`: the pod is being deleted (or otherwise torn down) and its containers will not be
   * restarted whatever the restart policy says.
   */
  deleting: boolean;
  /** The phase currently recorded on the pod; a terminal one (Succeeded/Failed) never changes again. */
  previousPhase?: PodPhase;
  /**
   * getPhase's `podHasInitialized`: an app container exists in the *current* sandbox (upstream reads the runtime,
   * kubecontainer.HasAnyActiveRegularContainerStarted). Pass it when the engine knows better, e.g. after a sandbox
   * was recreated and the old statuses still show app containers; by default it is derived from the statuses
   * (hasAnyRegularContainerBeenCreated).
   */
  podHasInitialized?: boolean;
  /**
   * App containers whose restart is already decided although their exit alone would not restart them: one killed
   * for a failed liveness or startup probe (restartsAfterProbeKill). The kubelet kills and starts such a container
   * in one sync, so no status ever shows it stopped; here the decision and the new instance are apart in time, and
   * this keeps the pod from reading as Succeeded in between.
   */
  restartDecided?: ReadonlySet<string>;
}

/** Succeeded and Failed are terminal: the kubelet never moves a pod out of them (pkg/api/v1/pod IsPodPhaseTerminal). */
export function isTerminalPhase(phase: PodPhase | undefined): phase is 'Succeeded' | 'Failed' {
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * A native sidecar: an init container with `restartPolicy: Always`.
 * pkg/api/v1/pod/util.go IsRestartableInitContainer.
 */
export function isRestartableInitContainer(container: Pick<Container, 'restartPolicy'> | undefined): boolean {
  return container?.restartPolicy === 'Always';
}

/** podutil.GetContainerStatus: the first status with that name. */
function findStatus(statuses: ContainerStatus[], name: string): ContainerStatus | undefined {
  return statuses.find((s) => s.name === name);
}

/**
 * The kubelet's `podHasInitialized` argument to getPhase is kubecontainer.HasAnyActiveRegularContainerStarted: some
 * app container exists (in any state, including exited) in the current sandbox. Without the runtime's view we
 * read it from the API statuses: an app container that is running, terminated, or waiting to restart after a
 * previous instance (lastState.terminated) has been created, so init already finished once.
 */
export function hasAnyRegularContainerBeenCreated(spec: PodSpec, statuses: ContainerStatus[]): boolean {
  return (spec.containers ?? []).some((c) => {
    const s = findStatus(statuses, c.name);
    return (
      s !== undefined &&
      (s.state?.running != null || s.state?.terminated != null || s.lastState?.terminated != null)
    );
  });
}

/**
 * The pod phase: kubelet_pods.go getPhase followed by generateAPIPodStatus' rule that a terminal phase is kept.
 * Never returns `Unknown` (the kubelet does not set it; podflow uses it only for an unreachable runtime).
 */
export function computePodPhase(input: PodPhaseInput): PodPhase {
  // generateAPIPodStatus: "pods are not allowed to transition out of terminal phases" — both the status manager's
  // cached phase and the API phase, if terminal, win over whatever getPhase computes now.
  if (isTerminalPhase(input.previousPhase)) return input.previousPhase;
  return getPhase(input);
}

function getPhase(input: PodPhaseInput): PodPhase {
  const { spec, initContainerStatuses, containerStatuses, deleting } = input;
  // generateAPIPodStatus passes append(ContainerStatuses, InitContainerStatuses); names are unique across both.
  const info = [...containerStatuses, ...initContainerStatuses];
  const initContainers = spec.initContainers ?? [];
  const podHasInitialized = input.podHasInitialized ?? hasAnyRegularContainerBeenCreated(spec, info);

  const restarts = (container: Container, exitCode: number): boolean =>
    input.restartDecided?.has(container.name) === true || containerShouldRestart(container, spec, exitCode);

  let pendingRestartableInitContainers = 0;
  let pendingRegularInitContainers = 0;
  let failedInitializationNotRestartable = 0;

  // Regular init containers.
  for (const container of initContainers) {
    if (isRestartableInitContainer(container)) continue;
    const status = findStatus(info, container.name);
    if (status === undefined) {
      pendingRegularInitContainers++;
      continue;
    }
    const state = status.state ?? {};
    if (state.running != null) {
      pendingRegularInitContainers++;
    } else if (state.terminated != null) {
      const exitCode = state.terminated.exitCode;
      if (exitCode !== 0 && !containerShouldRestart(container, spec, exitCode))
        failedInitializationNotRestartable++;
    } else if (state.waiting != null) {
      const last = status.lastState?.terminated;
      if (last != null) {
        // Waiting after a previous instance: a failed one counts as a failed initialization (restartable or not);
        // a previous exit 0 counts as neither pending nor failed (upstream does the same).
        if (last.exitCode !== 0 && !containerShouldRestart(container, spec, last.exitCode)) {
          failedInitializationNotRestartable++;
        }
      } else {
        pendingRegularInitContainers++;
      }
    } else {
      pendingRegularInitContainers++;
    }
  }

  // Counters shared by sidecars and app containers.
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let stoppedNotRestartable = 0;
  let succeeded = 0;

  // Sidecars (restartable init containers).
  for (const container of initContainers) {
    if (!isRestartableInitContainer(container)) continue;
    const status = findStatus(info, container.name);
    if (status === undefined) {
      unknown++;
      continue;
    }
    const state = status.state ?? {};
    if (state.running != null) {
      // Running but its startup probe / postStart has not passed yet: still pending for the init sequence.
      if (status.started !== true) pendingRestartableInitContainers++;
      running++;
    } else if (state.terminated != null) {
      // Terminated sidecars are not taken into account for the pod phase.
    } else if (state.waiting != null) {
      if (status.lastState?.terminated == null) {
        pendingRestartableInitContainers++;
        waiting++;
      }
      // Waiting to restart after a previous instance: not taken into account either.
    } else {
      pendingRestartableInitContainers++;
      unknown++;
    }
  }

  // App containers.
  for (const container of spec.containers ?? []) {
    const status = findStatus(info, container.name);
    if (status === undefined) {
      unknown++;
      continue;
    }
    const state = status.state ?? {};
    if (state.running != null) {
      running++;
    } else if (state.terminated != null) {
      stopped++;
      const exitCode = state.terminated.exitCode;
      if (!restarts(container, exitCode)) stoppedNotRestartable++;
      if (exitCode === 0) succeeded++;
    } else if (state.waiting != null) {
      const last = status.lastState?.terminated;
      if (last != null) {
        // kubelet_pods.go getPhase: a container waiting with a lastTerminationState (CrashLoopBackOff, or any wait
        // between two instances) counts as *stopped*, not waiting — so a crash-looping pod is Running, not
        // Pending. Upstream never counts it as succeeded, even when the last exit was 0.
        stopped++;
        if (!restarts(container, last.exitCode)) stoppedNotRestartable++;
      } else {
        waiting++;
      }
    } else {
      unknown++;
    }
  }

  // 1. An init container failed and will not be restarted (restartPolicy Never) → Failed.
  if (failedInitializationNotRestartable > 0) return 'Failed';

  // 2. Init not finished, a sidecar not yet started before the app containers ever ran, or a container waiting.
  //    Once an app container ran, a restarting sidecar no longer sends the pod back to Pending.
  if (
    pendingRegularInitContainers > 0 ||
    (pendingRestartableInitContainers > 0 && !podHasInitialized) ||
    waiting > 0
  ) {
    return 'Pending';
  }

  // 3. All containers started and at least one is running.
  if (running > 0 && unknown === 0) return 'Running';

  // 4. All containers have stopped.
  if (running === 0 && stopped > 0 && unknown === 0) {
    // Being torn down: nothing will restart whatever the policy, so the pod ends now.
    // (Upstream skips this for static pods, TODO #116484; podflow has none that need it.)
    if (deleting) return stopped === succeeded ? 'Succeeded' : 'Failed';
    // Some container will be restarted by its policy.
    if (stopped !== stoppedNotRestartable) return 'Running';
    return stopped === succeeded ? 'Succeeded' : 'Failed';
  }

  // 5. Some container status is unknown.
  return 'Pending';
}
