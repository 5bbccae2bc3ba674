// The state the engine keeps for one pod: the Kubernetes object (whose `status` only the core computes) and the
// engine's own bookkeeping per container. Both are plain JSON so they round-trip through every store unchanged.
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1';
import type { BackoffEntry } from './backoff.ts';
import type { PodHistory } from './pod-history.ts';

/** `ephemeral`: added through the pods/ephemeralcontainers subresource (`kubectl debug`). */
export type ContainerKind = 'init' | 'sidecar' | 'app' | 'ephemeral';
import type { ProbeResult, ProbeType } from './probe-results.ts';

export type { ProbeResult, ProbeType };

/** What the runtime observed of one finished container instance. */
export interface TerminatedState {
  exitCode: number;
  /** `Completed`, `Error`, `OOMKilled`, `ContainerCannotRun`, `ContainerStatusUnknown`, … */
  reason: string;
  message?: string;
  startedAt?: number;
  finishedAt: number;
  /** Which instance this was (its container id). */
  instance?: number;
  /** The runtime's id of the instance, when it reported one. */
  containerID?: string;
}

export type ContainerRunState =
  | { type: 'waiting'; reason: string; message?: string }
  /** Start requested from the runtime; not yet observed running. */
  | { type: 'starting'; requestedAt: number }
  /** Running; `postStartDone` is false while the postStart hook runs (kubelet reports it not started yet). */
  | {
      type: 'running';
      startedAt: number;
      postStartDone: boolean;
      hookError?: string;
      /** The runtime's id of the instance, when it reported one. */
      containerID?: string;
    }
  | ({ type: 'terminated' } & TerminatedState);

/** A container's back-off entry together with the key it was computed for (a spec change means a new key). */
export interface ContainerBackoff extends BackoffEntry {
  /** Pod name, namespace, uid, container name and container spec hash (kuberuntime_manager.go GetStableKey). */
  readonly key: string;
}

export interface ContainerRecord {
  name: string;
  kind: ContainerKind;
  /** Instance number of the current or last instance, -1 before the first start; restartCount = max(0, instance). */
  instance: number;
  state: ContainerRunState;
  /** The previous instance's terminated state (status.lastState). */
  last?: TerminatedState;
  backoff?: ContainerBackoff;
  /**
   * When a start is pending on a timer: its id, the instant the next start is permitted, and — for a crash
   * back-off — the back-off entry that takes effect with that start (flowcontrol.Backoff.Next is applied when the
   * restart happens). A container that could not be created waits for its retry without one.
   */
  restartTimer?: { id: string; at: number; backoff?: ContainerBackoff };
  /** The image id the runtime reported for the latest instance it started (containerStatuses[].imageID). */
  imageID?: string;
  /** Published probe results for the current instance. */
  probes: Partial<Record<ProbeType, ProbeResult>>;
  /** Set while the engine is killing this instance (liveness failure, postStart failure, deletion). */
  killing?: {
    reason: 'Liveness' | 'Startup' | 'PostStartHookError' | 'Delete' | 'SpecChange';
    requestedAt: number;
    graceSeconds: number;
  };
}

export type PodStage = 'Pending' | 'Initializing' | 'Running' | 'Terminating' | 'Finished';

export interface EngineState {
  stage: PodStage;
  scheduled: boolean;
  sandboxReady: boolean;
  podIP?: string;
  containers: Record<string, ContainerRecord>;
  /** Every regular init container exited 0 and every sidecar started once; app containers may run. Never reverts. */
  initialized: boolean;
  /** Graceful deletion in progress: when it was asked for, the grace and the instant SIGKILL is due. */
  deletion?: { requestedAt: number; graceSeconds: number; deadline: number };
  /**
   * A force delete (grace 0) removed the object from the API at once, as the API server removes it from etcd; the
   * engine keeps what it needs to kill the containers (the kubelet works from its own copy of the pod) and drops it
   * once they are gone. The API serves it no more.
   */
  removedFromApi?: boolean;
  /** Ids of recently applied inbox events: duplicates (ECS redelivery, timers firing twice) are dropped. */
  recentEventIds: string[];
  /** spec.activeDeadlineSeconds ran out: the pod is killed and ends Failed with reason DeadlineExceeded. */
  deadlineExceeded?: boolean;
  /** Evicted by the node (an emptyDir over its sizeLimit): the pod is killed and ends Failed with reason Evicted. */
  evicted?: { message: string };
  /**
   * What happened so far, bounded (pod-history.ts): the instances of every container, condition and phase
   * transitions. Only read to draw timelines; absent in states stored before it existed.
   */
  history?: PodHistory;
  /**
   * A static pod's mirror (static-pods.ts): the identity the API shows for it. The static pod keeps its own uid (the
   * config hash) for everything that runs it; a delete through the API replaces only the mirror — a new uid and
   * creationTimestamp, as the kubelet deletes the mirror and creates it again (pkg/kubelet/kubelet.go syncPod) — while
   * the containers keep running.
   */
  mirror?: { uid: string; creationTimestamp: string };
}

/**
 * A pod the API accepted: defaulted and validated, so it has a name, a namespace, a uid and a spec — what the API
 * server guarantees the kubelet of every pod it hands over. Only `admittedPod` makes one.
 */
export type AdmittedPod = Pod & {
  metadata: ObjectMeta & { name: string; namespace: string; uid: string };
  spec: PodSpec;
};

/** Narrows a defaulted, validated pod; a pod without identity or spec here is a bug in the caller. */
export function admittedPod(pod: Pod): AdmittedPod {
  const { metadata, spec } = pod;
  if (!spec || !metadata?.name || !metadata.namespace || !metadata.uid)
    throw new TypeError(
      `pod ${metadata?.namespace ?? '?'}/${metadata?.name ?? '?'} was not defaulted and validated (name, namespace, uid and spec are required)`,
    );
  return pod as AdmittedPod;
}

/**
 * Version of the stored layout of PodState. A store hands back states of this version only: `readPodState`
 * refuses a newer one (written by a newer podflow) instead of misreading it. States stored without the field have
 * version 1's layout.
 */
export const POD_STATE_SCHEMA_VERSION = 1;

export interface PodState {
  schemaVersion: typeof POD_STATE_SCHEMA_VERSION;
  pod: AdmittedPod;
  engine: EngineState;
}

/** Parses a state a store read back (JSON), checking its schema version. */
export function readPodState(json: string): PodState {
  const state = JSON.parse(json) as Omit<PodState, 'schemaVersion'> & { schemaVersion?: number };
  const version = state.schemaVersion ?? 1;
  if (version !== POD_STATE_SCHEMA_VERSION)
    throw new Error(
      `stored pod ${state.pod?.metadata?.namespace}/${state.pod?.metadata?.name} has state schema version ${version}; this podflow reads version ${POD_STATE_SCHEMA_VERSION} (was it written by a newer podflow?)`,
    );
  return { ...state, schemaVersion: POD_STATE_SCHEMA_VERSION };
}
