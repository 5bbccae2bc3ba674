// The state the engine keeps for one pod: the Kubernetes object (whose `status` only the core computes) and the
// engine's own bookkeeping per container. Both are plain JSON so they round-trip through DynamoDB unchanged.
import type { Pod } from 'kubernetes-types/core/v1';

export type ContainerKind = 'init' | 'sidecar' | 'app';
import type { ProbeResult, ProbeType } from './probe-results.ts';

export type { ProbeResult, ProbeType };

/** What the runtime observed of one finished container instance. */
export interface TerminatedState {
  exitCode: number;
  signal?: number;
  /** `Completed`, `Error`, `OOMKilled`, `ContainerCannotRun`, `ContainerStatusUnknown`, … */
  reason: string;
  message?: string;
  startedAt?: number;
  finishedAt: number;
  /** Which instance this was (its container id). */
  instance?: number;
}

export type ContainerRunState =
  | { type: 'waiting'; reason: string; message?: string }
  /** Start requested from the runtime; not yet observed running. */
  | { type: 'starting'; requestedAt: number }
  /** Running; `postStartDone` is false while the postStart hook runs (kubelet reports it not started yet). */
  | { type: 'running'; startedAt: number; postStartDone: boolean; hookError?: string }
  | ({ type: 'terminated' } & TerminatedState);

export interface BackoffEntry {
  /** Pod name, namespace, uid, container name and container spec hash (kuberuntime_manager.go GetStableKey). */
  key: string;
  delayMs: number;
  lastUpdateMs: number;
}

export interface ContainerRecord {
  name: string;
  kind: ContainerKind;
  /** Instance number of the current or last instance, -1 before the first start; restartCount = max(0, instance). */
  instance: number;
  state: ContainerRunState;
  /** The previous instance's terminated state (status.lastState). */
  last?: TerminatedState;
  backoff?: BackoffEntry;
  /**
   * When a back-off timer is pending: its id, the instant the next start is permitted, and the back-off entry that
   * takes effect with that start (flowcontrol.Backoff.Next is applied when the restart happens).
   */
  restartTimer?: { id: string; at: number; backoff: BackoffEntry };
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
  /** Ids of recently applied inbox events: duplicates (ECS redelivery, timers firing twice) are dropped. */
  recentEventIds: string[];
  /** spec.activeDeadlineSeconds ran out: the pod is killed and ends Failed with reason DeadlineExceeded. */
  deadlineExceeded?: boolean;
}

export interface PodState {
  pod: Pod;
  engine: EngineState;
}
