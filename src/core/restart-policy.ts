// Whether a container is started again: the one place podflow decides it, for reconcile (what to do) and for the
// pod phase (what the status says). Upstream the same rule is spread over
// pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions / computeInitContainerActions and
// pkg/api/v1/pod/util.go ContainerShouldRestart.
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import type { ContainerEntry } from './pod-spec.ts';

/** API default of `spec.restartPolicy` (pkg/apis/core/v1/defaults.go SetDefaults_PodSpec). */
export const DEFAULT_RESTART_POLICY = 'Always';

/**
 * Whether a container that exited with `exitCode` is restarted under the pod-level `restartPolicy`
 * (pkg/api/v1/pod/util.go ContainerShouldRestart, pod-level switch): Always → yes, OnFailure → only a non-zero
 * exit, Never → no. An unset or unknown policy is the API default, Always.
 */
export function willRestart(restartPolicy: string | undefined, exitCode: number): boolean {
  switch (restartPolicy) {
    case 'Never':
      return false;
    case 'OnFailure':
      return exitCode !== 0;
    default:
      return true;
  }
}

/**
 * pkg/api/v1/pod/util.go ContainerShouldRestart: a container-level `restartPolicy` (Always/OnFailure/Never,
 * KEP-5307 ContainerRestartRules) overrides the pod's; otherwise the pod-level policy applies. `restartPolicyRules`
 * are not in kubernetes-types 1.30 and not modelled.
 */
export function containerShouldRestart(container: Container, spec: PodSpec, exitCode: number): boolean {
  switch (container.restartPolicy) {
    case 'Always':
    case 'OnFailure':
    case 'Never':
      return willRestart(container.restartPolicy, exitCode);
    default:
      return willRestart(spec.restartPolicy, exitCode);
  }
}

/**
 * Whether a container that exited on its own is started again: a sidecar always (computePodActions restarts a
 * restartable init container whatever its exit), a regular init container only after a failure and unless the pod
 * never restarts (computeInitContainerActions), an app container as ContainerShouldRestart says, an ephemeral
 * container never.
 */
export function restartsAfterExit(entry: ContainerEntry, spec: PodSpec, exitCode: number): boolean {
  switch (entry.kind) {
    case 'sidecar':
      return true;
    case 'init':
      return exitCode !== 0 && containerShouldRestart(entry.container, spec, exitCode);
    case 'app':
      return containerShouldRestart(entry.container, spec, exitCode);
    case 'ephemeral':
      // computePodActions: "Ephemeral Containers are never restarted".
      return false;
  }
}

/**
 * Whether a container the kubelet killed for a failed liveness or startup probe is started again: whatever it
 * exited with, unless it never restarts (computePodActions: `restart := shouldRestartOnFailure(pod)` — the
 * container goes to ContainersToStart in the same sync that kills it).
 */
export function restartsAfterProbeKill(entry: ContainerEntry, spec: PodSpec): boolean {
  if (entry.kind === 'sidecar') return true;
  if (entry.kind === 'ephemeral') return false; // never restarted (and validation forbids their probes)
  return (entry.container.restartPolicy ?? spec.restartPolicy ?? DEFAULT_RESTART_POLICY) !== 'Never';
}
