// ContainerRuntime: runs container instances and reports what it observes (docs/architecture.md §6). It never decides
// pod outcomes: it says "exited 1 at T", the core says what that means. Adapters: ProcessContainerRuntime (local:
// one shim per container instance), FargateContainerRuntime (the cloud: one ECS Fargate task per pod sandbox,
// docs/decisions/0006-fargate-runtime.md).
import type { FieldError } from '../core/field-errors.ts';
import type { PodSandboxConfig } from '../core/pod-sandbox.ts';
import type { ContainerSample } from '../core/pod-metrics.ts';
import type { ContainerMount, PodVolume } from '../core/volumes.ts';
import type { PodKey } from './pod-key.ts';

export type { PodSandboxConfig, PortMapping } from '../core/pod-sandbox.ts';
export type { ContainerMount, PodVolume, VolumeFile } from '../core/volumes.ts';
export type { ContainerSample } from '../core/pod-metrics.ts';

export interface SandboxRef {
  key: PodKey;
  uid: string;
}

/** Identifies one container instance: instance n is the container's n-th start (restartCount n). */
export interface ContainerInstanceRef {
  key: PodKey;
  podUid: string;
  container: string;
  instance: number;
}

export interface ContainerLaunch extends ContainerInstanceRef {
  image?: string;
  /** Fully expanded command + args (core/env.ts did `$(VAR)` expansion). */
  argv: string[];
  env: Array<{ name: string; value: string }>;
  workingDir?: string;
  /** limits.memory in bytes: exceeding it kills the instance (terminated reason OOMKilled, exit 137). */
  memoryLimitBytes?: number;
  /** limits.cpu in millicores: recorded; enforced only where the runtime can (see the adapter's docs). */
  cpuLimitMillis?: number;
  /**
   * Every volume of the pod with what it holds (core/volumes.ts), set when the pod has volumes: the runtime makes
   * them exist (an emptyDir once per sandbox; the files of a configMap/secret/downwardAPI/projected volume written
   * again at each start, atomically) before the container starts.
   */
  volumes?: PodVolume[];
  /** The container's mounts, in volumeMounts order: where it must see which volume (or part of it). */
  mounts?: ContainerMount[];
  /**
   * `stdin: true`: the container gets a stdin that `kubectl attach -i` (pods/attach) can write to, open until the
   * container ends; without it stdin is empty (/dev/null).
   */
  stdin?: boolean;
}

/** Waiting reasons of a container that could not be started (pkg/kubelet/container/sync_result.go, images/types.go). */
export type StartFailureReason =
  'RunContainerError' | 'CreateContainerConfigError' | 'CreateContainerError' | 'ErrImagePull';

export type ContainerObservation =
  | {
      type: 'started';
      ref: ContainerInstanceRef;
      startedAt: number;
      pid?: number;
      /** What the runtime ran: status.containerStatuses[].imageID. */
      imageID?: string;
      /** How long pulling the image took, when the runtime pulled it for this start (no pull: it was present). */
      pulledInMs?: number;
      /**
       * The address of the sandbox the instance runs in, when a runtime may give a pod a new sandbox after
       * createSandbox (Fargate replaces the task on a restart): status.podIP follows it, as the kubelet takes the
       * pod IP from the current sandbox.
       */
      podIP?: string;
      /** The runtime's id of the instance (status.containerStatuses[].containerID); default `podflow://…`. */
      containerID?: string;
    }
  | {
      type: 'exited';
      ref: ContainerInstanceRef;
      exitCode: number;
      /** The signal that ended it, if any (exitCode is then 128 + signal). */
      signal?: number;
      /** True when the runtime killed it for exceeding memoryLimitBytes. */
      oomKilled: boolean;
      startedAt: number;
      finishedAt: number;
      message?: string;
      /** True when the runtime lost the container (its supervisor ended without recording an exit, e.g. a reboot):
       * kubelet reports it terminated with reason `ContainerStatusUnknown`, exit 137 (docs/semantics.md §1). */
      lost?: boolean;
    }
  /**
   * Could not be started: created but the command could not be executed (`RunContainerError`); not created at
   * all (`CreateContainerConfigError`, `CreateContainerError`) — then the same instance may be started again
   * later; or its image could not be pulled (`ErrImagePull`, a runtime that pulls images).
   */
  | {
      type: 'startFailed';
      ref: ContainerInstanceRef;
      reason: StartFailureReason;
      message: string;
      at: number;
    };

/** An emptyDir measured over its sizeLimit. */
export interface VolumeUsage {
  sandbox: SandboxRef;
  volume: string;
  usedBytes: number;
  at: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface LogOptions {
  /** Only the last N lines. */
  tailLines?: number;
  /** Only lines at or after this instant (epoch ms). */
  sinceTime?: number;
  /** Keep the CRI timestamp prefix (kubectl logs --timestamps). */
  timestamps?: boolean;
}

export interface ContainerRuntime {
  /**
   * Creates the pod sandbox (CRI RunPodSandbox), idempotent: what every container of the pod shares — the process
   * runtime's pause process holding the pod's network, IPC and UTS namespaces, with the pod's address on its own
   * interface; a Fargate task's ENI. Resolves with the pod's IP (the host's for a `hostNetwork` pod), the same one
   * for as long as the sandbox exists, across engine restarts; no two live sandboxes get the same address. Without
   * `config` the sandbox has the pod's name as hostname and no host ports.
   */
  createSandbox(sandbox: SandboxRef, config?: PodSandboxConfig): Promise<{ podIP: string }>;

  /**
   * Removes the sandbox and everything of the pod (CRI StopPodSandbox + RemovePodSandbox): its namespaces, address,
   * host ports, files. Idempotent. Only after all its containers exited.
   */
  removeSandbox(sandbox: SandboxRef): Promise<void>;

  /** The sandboxes that exist, whatever engine process created them (CRI ListPodSandbox): the engine removes those
   * of pods it no longer has (kubelet: pkg/kubelet/kuberuntime/kuberuntime_gc.go evictSandboxes). */
  listSandboxes(): Promise<SandboxRef[]>;

  /**
   * What this runtime cannot give the pod, as field errors, checked when the pod is created (as a kubelet's admit
   * handlers and the scheduler's NodePorts filter would refuse it): a host port it cannot map, or one another
   * sandbox holds. Empty when it can run the pod.
   */
  admitSandbox(sandbox: SandboxRef, config: PodSandboxConfig): Promise<FieldError[]>;

  /**
   * Starts one container instance and resolves once the start is durable. Idempotent per instance: starting an
   * instance that was already started (e.g. a retried Lambda) does not start a second process. The outcome is
   * reported as a `started` or `startFailed` observation; the exit later as `exited` (exactly once per instance,
   * even across an engine restart).
   */
  start(launch: ContainerLaunch): Promise<void>;

  /**
   * Stops an instance: SIGTERM to its process group, SIGKILL when `graceSeconds` run out. Resolves when the kill
   * was initiated; the `exited` observation follows. Stopping an exited instance is a no-op.
   */
  stop(ref: ContainerInstanceRef, graceSeconds: number): Promise<void>;

  /**
   * Runs a command in the instance's environment and its pod's namespaces (exec probes, exec hooks, `podflow exec`).
   * Timeout = not success; `timeoutMs` 0 waits as long as the command runs (a postStart exec hook has no timeout:
   * CRI ExecSync with 0).
   */
  exec(ref: ContainerInstanceRef, argv: string[], timeoutMs: number): Promise<ExecResult>;

  /** The instance's log lines (CRI format stripped unless `timestamps`). Instance n-1 is `--previous`. */
  logs(ref: ContainerInstanceRef, options?: LogOptions): Promise<string[]>;

  /** Subscribes to observations. Listeners must not throw; they are called in observation order per instance. */
  observe(listener: (observation: ContainerObservation) => void): () => void;

  /**
   * Called once when the engine starts: re-adopts instances still running from an earlier engine process and
   * reports (as observations) exits that happened while nothing was watching. Resolves with the live instances.
   */
  recover(): Promise<ContainerInstanceRef[]>;

  /**
   * Rewrites the files of the sandbox's configMap/secret/downwardAPI/projected volumes that changed, atomically, so
   * running containers see the new content (kubelet: the volume manager's periodic remount through AtomicWriter).
   * Other volumes are left alone; a sandbox that does not exist is a no-op. Optional: a runtime that materializes
   * volumes only at start (Fargate) does not implement it.
   */
  updateVolumes?(sandbox: SandboxRef, volumes: PodVolume[]): Promise<void>;

  /**
   * Subscribes to emptyDir usage over a volume's sizeLimit, measured periodically (kubelet: the eviction manager's
   * monitoring pass). Reported at least once per volume and sandbox while it stays over; the core decides the eviction
   * (volumes.ts emptyDirEvictionMessage). Optional: a runtime that cannot measure does not implement it.
   */
  observeVolumeUsage?(listener: (usage: VolumeUsage) => void): () => void;

  /**
   * Measures every running container instance now (CRI ListContainerStats): the CPU time its processes used since it
   * started and its working set, each stamped with the time it was read. The pod metrics API pairs two of these
   * (core/pod-metrics.ts). Optional: a runtime that cannot measure its containers does not implement it.
   */
  containerStats?(): Promise<ContainerSample[]>;

  /** Stops watching (the containers keep running under their shims). */
  close(): Promise<void>;
}
