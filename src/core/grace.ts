// Grace periods: how long a stopping container gets, decided once. Upstream:
// pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer and setTerminationGracePeriod,
// pkg/kubelet/pod_workers.go (a deletion's grace as the pod worker applies it),
// pkg/registry/core/pod/strategy.go CheckGracefulDelete (the grace a DELETE records).
import type { PodSpec } from 'kubernetes-types/core/v1';
import type { EngineState } from './pod-state.ts';

/** spec.terminationGracePeriodSeconds, default 30 (pkg/apis/core/v1/defaults.go). */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

/**
 * kubelet: kuberuntime_container.go killContainer — "always give containers a minimal shutdown window to avoid
 * unnecessary SIGKILLs": SIGTERM→SIGKILL gets at least 2 s, after a preStop hook or not.
 */
export const MINIMUM_STOP_GRACE_SECONDS = 2;

/**
 * The pod worker never kills with less than 1 s (pod_workers.go: a grace below 1 becomes 1), so a force delete
 * (grace 0) still runs preStop — with 1 s for it — before the 2 s stop window.
 */
export const MINIMUM_KILL_GRACE_SECONDS = 1;

/** The pod's own grace: spec.terminationGracePeriodSeconds or its default. */
export const podGraceSeconds = (spec: PodSpec): number =>
  spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;

/**
 * The grace a DELETE records (metadata.deletionGracePeriodSeconds): the request's, else the pod's. A negative request
 * counts as 1 s (rest/delete.go BeforeDelete); 0 is a force delete, which removes the object at once.
 */
export function deletionGraceSeconds(spec: PodSpec, requested: number | undefined): number {
  if (requested === undefined) return podGraceSeconds(spec);
  return requested < 0 ? 1 : requested;
}

/** A DELETE with grace 0 removes the object from the API at once (rest/delete.go: a zero grace deletes now). */
export const isForceDelete = (requested: number | undefined): boolean => requested === 0;

/** The grace a kill for this deletion uses: the deletion's, raised to the pod worker's minimum. */
export const killGraceSeconds = (deletionGrace: number): number =>
  Math.max(MINIMUM_KILL_GRACE_SECONDS, deletionGrace);

/** The SIGTERM→SIGKILL window for a grace: never under MINIMUM_STOP_GRACE_SECONDS. */
export const stopGraceSeconds = (graceSeconds: number): number =>
  Math.max(MINIMUM_STOP_GRACE_SECONDS, graceSeconds);

/** Seconds of a grace that began at `since` still left at `now` (rounded up; never negative). */
export const graceLeftSeconds = (since: number, graceSeconds: number, now: number): number =>
  Math.max(0, Math.ceil((since + graceSeconds * 1000 - now) / 1000));

/** Seconds left of the pod's deletion grace, or the pod's own grace when it is not being deleted. */
export function remainingGraceSeconds(engine: EngineState, spec: PodSpec, now: number): number {
  const d = engine.deletion;
  if (!d) return podGraceSeconds(spec);
  return Math.max(0, Math.ceil((d.deadline - now) / 1000));
}
