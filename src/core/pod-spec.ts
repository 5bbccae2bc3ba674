// Read-only views of a (defaulted) PodSpec that the rest of the core shares.
import type { Container, PodSpec, Probe } from 'kubernetes-types/core/v1';
import type { ContainerKind, ProbeType } from './pod-state.ts';

export interface ContainerEntry {
  container: Container;
  kind: ContainerKind;
  /** Index in its list (spec.initContainers, spec.containers or spec.ephemeralContainers). */
  index: number;
  /** `spec.containers{app}` — the kubelet's involvedObject.fieldPath for container events. */
  fieldPath: string;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** Defaulting sets `Always` (pkg/apis/core/v1/defaults.go SetDefaults_PodSpec). */
export const restartPolicyOf = (spec: PodSpec): RestartPolicy =>
  (spec.restartPolicy as RestartPolicy | undefined) ?? 'Always';

/** A native sidecar is an init container with `restartPolicy: Always` (pkg/api/v1/pod/util.go IsRestartableInitContainer). */
export const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

/** Init containers (regular and sidecars) in spec order, then app containers in spec order. */
export function containerEntries(spec: PodSpec): ContainerEntry[] {
  const init = (spec.initContainers ?? []).map((container, index): ContainerEntry => ({
    container,
    kind: isSidecar(container) ? 'sidecar' : 'init',
    index,
    fieldPath: `spec.initContainers{${container.name}}`,
  }));
  const app = spec.containers.map((container, index): ContainerEntry => ({
    container,
    kind: 'app',
    index,
    fieldPath: `spec.containers{${container.name}}`,
  }));
  return [...init, ...app];
}

/**
 * Ephemeral containers in spec order. They are not part of the start sequence, the phase or readiness
 * (kuberuntime_manager.go computePodActions keeps them in EphemeralContainersToStart, apart from the others), so they
 * are not in {@link containerEntries}. An ephemeral container is a Container without ports, probes, lifecycle and
 * resources (validation forbids them: validate-ephemeral-containers.ts); `targetContainerName` is dropped here.
 */
export function ephemeralEntries(spec: PodSpec): ContainerEntry[] {
  return (spec.ephemeralContainers ?? []).map(({ targetContainerName: _target, ...container }, index) => ({
    container: container as Container,
    kind: 'ephemeral',
    index,
    fieldPath: `spec.ephemeralContainers{${container.name}}`,
  }));
}

/** Every container of the pod: {@link containerEntries}, then the ephemeral ones. */
export function allContainerEntries(spec: PodSpec): ContainerEntry[] {
  return [...containerEntries(spec), ...ephemeralEntries(spec)];
}

export function findEntry(spec: PodSpec, name: string): ContainerEntry | undefined {
  return allContainerEntries(spec).find((e) => e.container.name === name);
}

export function probeOf(c: Container, type: ProbeType): Probe | undefined {
  return type === 'startup' ? c.startupProbe : type === 'readiness' ? c.readinessProbe : c.livenessProbe;
}

export function probeTypesOf(c: Container): ProbeType[] {
  return (['startup', 'readiness', 'liveness'] as const).filter((t) => probeOf(c, t) !== undefined);
}
