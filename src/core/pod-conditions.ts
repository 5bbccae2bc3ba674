// Pod conditions, generated as the kubelet does.
//
// Upstream: kubernetes/kubernetes pkg/kubelet/status/generate.go (GeneratePodReadyToStartContainersCondition,
// GeneratePodInitializedCondition, GeneratePodReadyCondition, GenerateContainersReadyCondition), the order and the
// PodScheduled condition appended in pkg/kubelet/kubelet_pods.go generateAPIPodStatus, and lastTransitionTime from
// pkg/kubelet/status/status_manager.go updateLastTransitionTime / pkg/api/v1/pod/util.go UpdatePodCondition.
import type { ContainerStatus, PodCondition, PodSpec } from 'kubernetes-types/core/v1';
import { isRestartableInitContainer, type PodPhase } from './pod-phase.ts';

/** Condition types the kubelet owns (pkg/kubelet/types/pod_status.go PodConditionsByKubelet, minus resize ones). */
export const POD_READY_TO_START_CONTAINERS = 'PodReadyToStartContainers';
export const POD_INITIALIZED = 'Initialized';
export const POD_READY = 'Ready';
export const CONTAINERS_READY = 'ContainersReady';
export const POD_SCHEDULED = 'PodScheduled';

/** The order generateAPIPodStatus appends them in, which is what `kubectl get pod -o yaml` shows. */
export const KUBELET_CONDITION_ORDER = [
  POD_READY_TO_START_CONTAINERS,
  POD_INITIALIZED,
  POD_READY,
  CONTAINERS_READY,
  POD_SCHEDULED,
] as const;

/** generate.go: all container statuses are unknown (the status list is empty). */
export const REASON_UNKNOWN_CONTAINER_STATUSES = 'UnknownContainerStatuses';
/** generate.go: all related containers have succeeded. */
export const REASON_POD_COMPLETED = 'PodCompleted';
/** generate.go: the pod has failed and as such the containers have failed. */
export const REASON_POD_FAILED = 'PodFailed';
/** generate.go: one or more containers are not ready. */
export const REASON_CONTAINERS_NOT_READY = 'ContainersNotReady';
/** generate.go: one or more init containers have not succeeded. */
export const REASON_CONTAINERS_NOT_INITIALIZED = 'ContainersNotInitialized';
/** generate.go: one or more pod readiness gates are not ready. */
export const REASON_READINESS_GATES_NOT_READY = 'ReadinessGatesNotReady';
/** The scheduler's reason (pkg/apis/core types.go PodReasonUnschedulable); here: no runtime admitted the pod. */
export const REASON_UNSCHEDULABLE = 'Unschedulable';

export interface PodConditionsInput {
  spec: PodSpec;
  /** The phase computed for this same status (computePodPhase). */
  phase: PodPhase;
  /** The pod was admitted to a runtime. */
  scheduled: boolean;
  /** The sandbox (network, log dir, process group / task) exists. */
  sandboxReady: boolean;
  initContainerStatuses: ContainerStatus[];
  containerStatuses: ContainerStatus[];
  /** The pod's current `status.conditions` (source of lastTransitionTime and of readiness-gate conditions). */
  existing: PodCondition[];
  /** RFC 3339 timestamp used as lastTransitionTime for conditions whose status changes. */
  now: string;
}

type GeneratedCondition = Pick<PodCondition, 'type' | 'status' | 'reason' | 'message'>;

function condition(
  type: string,
  status: 'True' | 'False',
  reason?: string,
  message?: string,
): GeneratedCondition {
  return {
    type,
    status,
    ...(reason !== undefined ? { reason } : {}),
    ...(message !== undefined ? { message } : {}),
  };
}

/** Go's fmt `%s` of a []string: `[a b]`. */
function goList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

function findStatus(statuses: ContainerStatus[] | undefined, name: string): ContainerStatus | undefined {
  return statuses?.find((s) => s.name === name);
}

/**
 * The kubelet passes `append(InitContainerStatuses, ContainerStatuses...)`, which is nil when both are empty; the
 * generators treat a nil list as "all statuses unknown". Mirrored with `undefined`.
 */
function allStatuses(input: PodConditionsInput): ContainerStatus[] | undefined {
  const all = [...input.initContainerStatuses, ...input.containerStatuses];
  return all.length === 0 ? undefined : all;
}

/**
 * kubecontainer.HasAnyRegularContainerStarted (pkg/kubelet/container/helpers.go): some app container is running or
 * terminated, so init finished before — used so that a restarting sidecar does not un-initialize the pod.
 */
function hasAnyRegularContainerStarted(spec: PodSpec, statuses: ContainerStatus[] | undefined): boolean {
  return (spec.containers ?? []).some((c) => {
    const s = findStatus(statuses, c.name);
    return s !== undefined && (s.state?.running != null || s.state?.terminated != null);
  });
}

/** generate.go isInitContainerInitialized: a sidecar has started; a regular init container is ready (= exited 0). */
function isInitContainerInitialized(container: { restartPolicy?: string }, status: ContainerStatus): boolean {
  return isRestartableInitContainer(container) ? status.started === true : status.ready;
}

/** generate.go GeneratePodReadyToStartContainersCondition: True once the sandbox exists (no reason either way). */
export function generatePodReadyToStartContainersCondition(sandboxReady: boolean): GeneratedCondition {
  return condition(POD_READY_TO_START_CONTAINERS, sandboxReady ? 'True' : 'False');
}

/** generate.go GeneratePodInitializedCondition. */
export function generatePodInitializedCondition(
  spec: PodSpec,
  statuses: ContainerStatus[] | undefined,
  phase: PodPhase,
): GeneratedCondition {
  const initContainers = spec.initContainers ?? [];
  if (statuses === undefined && initContainers.length > 0) {
    return condition(POD_INITIALIZED, 'False', REASON_UNKNOWN_CONTAINER_STATUSES);
  }
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const container of initContainers) {
    const status = findStatus(statuses, container.name);
    if (status === undefined) unknown.push(container.name);
    else if (!isInitContainerInitialized(container, status)) incomplete.push(container.name);
  }
  // All init containers are known and the pod succeeded.
  if (phase === 'Succeeded' && unknown.length === 0) {
    return condition(POD_INITIALIZED, 'True', REASON_POD_COMPLETED);
  }
  // An app container has run: the pod was initialized before, even if a sidecar is restarting now.
  if (hasAnyRegularContainerStarted(spec, statuses)) return condition(POD_INITIALIZED, 'True');
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length > 0) {
    return condition(POD_INITIALIZED, 'False', REASON_CONTAINERS_NOT_INITIALIZED, messages.join(', '));
  }
  return condition(POD_INITIALIZED, 'True');
}

/** generate.go GenerateContainersReadyCondition: every sidecar and app container is ready. */
export function generateContainersReadyCondition(
  spec: PodSpec,
  statuses: ContainerStatus[] | undefined,
  phase: PodPhase,
): GeneratedCondition {
  if (statuses === undefined) return condition(CONTAINERS_READY, 'False', REASON_UNKNOWN_CONTAINER_STATUSES);
  const unknown: string[] = [];
  const unready: string[] = [];
  const sidecars = (spec.initContainers ?? []).filter((c) => isRestartableInitContainer(c));
  // Sidecars first, then app containers, each in spec order — the order of names in the message.
  for (const container of [...sidecars, ...(spec.containers ?? [])]) {
    const status = findStatus(statuses, container.name);
    if (status === undefined) unknown.push(container.name);
    else if (!status.ready) unready.push(container.name);
  }
  // generateContainersReadyConditionForTerminalPhase: Succeeded (all containers known) → PodCompleted; Failed →
  // PodFailed unconditionally, "since they may be in progress of terminating".
  if (phase === 'Succeeded' && unknown.length === 0)
    return condition(CONTAINERS_READY, 'False', REASON_POD_COMPLETED);
  if (phase === 'Failed') return condition(CONTAINERS_READY, 'False', REASON_POD_FAILED);
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length > 0) {
    return condition(CONTAINERS_READY, 'False', REASON_CONTAINERS_NOT_READY, messages.join(', '));
  }
  return condition(CONTAINERS_READY, 'True');
}

/**
 * generate.go GeneratePodReadyCondition: ContainersReady (copied status, reason and message when not True) and
 * every readiness gate has a True condition in `conditions`.
 */
export function generatePodReadyCondition(
  spec: PodSpec,
  conditions: PodCondition[],
  statuses: ContainerStatus[] | undefined,
  phase: PodPhase,
): GeneratedCondition {
  const containersReady = generateContainersReadyCondition(spec, statuses, phase);
  if (containersReady.status !== 'True') {
    return condition(POD_READY, 'False', containersReady.reason, containersReady.message);
  }
  const messages: string[] = [];
  for (const gate of spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    // Go's %q; JSON string quoting is identical for the printable ASCII a condition type may contain.
    const name = JSON.stringify(gate.conditionType);
    if (c === undefined)
      messages.push(`corresponding condition of pod readiness gate ${name} does not exist.`);
    else if (c.status !== 'True')
      messages.push(`the status of pod readiness gate ${name} is not "True", but ${c.status}`);
  }
  if (messages.length > 0) {
    return condition(POD_READY, 'False', REASON_READINESS_GATES_NOT_READY, messages.join(', '));
  }
  return condition(POD_READY, 'True');
}

/**
 * PodScheduled: the kubelet always reports True (generateAPIPodStatus); podflow reports False/Unschedulable while
 * no runtime has admitted the pod, as the scheduler would.
 */
export function generatePodScheduledCondition(scheduled: boolean): GeneratedCondition {
  return scheduled
    ? condition(POD_SCHEDULED, 'True')
    : condition(POD_SCHEDULED, 'False', REASON_UNSCHEDULABLE);
}

/**
 * status_manager.go updateLastTransitionTime: keep the previous lastTransitionTime while `status` is unchanged,
 * otherwise `now`. (An old condition without a lastTransitionTime also gets `now`.) lastProbeTime is never set by
 * the kubelet, so it is left out (serialised as absent, the API's null).
 */
function withTransitionTime(
  generated: GeneratedCondition,
  existing: PodCondition[],
  now: string,
): PodCondition {
  const old = existing.find((c) => c.type === generated.type);
  const lastTransitionTime =
    old !== undefined && old.status === generated.status && old.lastTransitionTime
      ? old.lastTransitionTime
      : now;
  return { ...generated, lastTransitionTime };
}

const KUBELET_OWNED: ReadonlySet<string> = new Set(KUBELET_CONDITION_ORDER);

/**
 * All pod conditions for a freshly computed status: the five the kubelet owns, in kubelet order, followed by every
 * other existing condition (readiness gates, DisruptionTarget, custom ones written through the status subresource)
 * unchanged and in their existing order.
 */
export function computePodConditions(input: PodConditionsInput): PodCondition[] {
  const { spec, phase, existing, now } = input;
  const statuses = allStatuses(input);
  const generated = [
    generatePodReadyToStartContainersCondition(input.sandboxReady),
    generatePodInitializedCondition(spec, statuses, phase),
    generatePodReadyCondition(spec, existing, statuses, phase),
    generateContainersReadyCondition(spec, statuses, phase),
    generatePodScheduledCondition(input.scheduled),
  ];
  const others = existing.filter((c) => !KUBELET_OWNED.has(c.type));
  return [...generated.map((c) => withTransitionTime(c, existing, now)), ...others];
}

/** pkg/api/v1/pod/util.go IsPodReady / IsPodReadyConditionTrue: the Ready condition is True. */
export function isPodReady(conditions: readonly PodCondition[] | undefined): boolean {
  return conditions?.find((c) => c.type === POD_READY)?.status === 'True';
}

/**
 * Writes one condition (a readiness-gate or custom condition arriving through the status subresource) into a
 * condition list, as pkg/api/v1/pod/util.go UpdatePodCondition does: an existing condition of the same type is
 * replaced in place (else the condition is appended); lastTransitionTime is kept from the old condition when
 * `status` is unchanged and is `now` otherwise — a lastTransitionTime in `condition` is ignored.
 * Returns a new list; `existing` is not modified.
 */
export function setPodCondition(
  existing: PodCondition[],
  condition: PodCondition,
  now: string,
): PodCondition[] {
  const index = existing.findIndex((c) => c.type === condition.type);
  const old = index >= 0 ? existing[index] : undefined;
  const lastTransitionTime =
    old !== undefined && old.status === condition.status && old.lastTransitionTime
      ? old.lastTransitionTime
      : now;
  const next: PodCondition = { ...condition, lastTransitionTime };
  if (index < 0) return [...existing, next];
  return existing.map((c, i) => (i === index ? next : c));
}
