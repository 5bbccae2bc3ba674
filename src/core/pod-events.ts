// What reaches a pod's inbox: observations from the runtime, probe result changes from the prober, timers, and
// requests from the API. Every event has a unique id (redelivery keeps it) and, when it is about a container,
// names the container instance, so reconcile drops duplicates and stale events (docs/architecture.md §3).
import type { PodCondition } from 'kubernetes-types/core/v1';
import type { ProbeType } from './pod-state.ts';

interface EventBase {
  id: string;
  /** Epoch ms at which the producer observed it. */
  at: number;
}

interface InstanceRef {
  container: string;
  instance: number;
}

export type PodEvent =
  | (EventBase & { type: 'sandboxReady'; podIP: string })
  | (EventBase &
      InstanceRef & {
        type: 'containerStarted';
        startedAt: number;
        /**
         * The image the instance runs: its id (status.containerStatuses[].imageID) and, when the runtime pulled it
         * for this start, how long that took. No pull reported: the image was present (`Pulled … already present
         * on machine`, what the process runtime always says).
         */
        image?: { id?: string; pulledInMs?: number };
        /** The address of the sandbox it runs in, when the runtime may have replaced the sandbox. */
        podIP?: string;
        /** The runtime's id of the instance (status containerID). */
        containerID?: string;
      })
  | (EventBase &
      InstanceRef & {
        type: 'containerExited';
        exitCode: number;
        signal?: number;
        oomKilled?: boolean;
        startedAt?: number;
        finishedAt: number;
        message?: string;
        /** Set when the runtime lost the container (no exit recorded): reason `ContainerStatusUnknown`. */
        lost?: boolean;
      })
  | (EventBase &
      InstanceRef & {
        type: 'containerStartFailed';
        /**
         * Created but could not start (RunContainerError); not created at all (CreateContainerConfigError,
         * CreateContainerError); or its image could not be pulled (ErrImagePull, a runtime that pulls images).
         */
        reason: 'RunContainerError' | 'CreateContainerConfigError' | 'CreateContainerError' | 'ErrImagePull';
        message: string;
      })
  | (EventBase & InstanceRef & { type: 'postStartDone'; error?: string })
  | (EventBase & InstanceRef & { type: 'preStopDone'; error?: string })
  /** A probe's published result changed (the prober counted thresholds already). */
  | (EventBase &
      InstanceRef & {
        type: 'probeResult';
        probe: ProbeType;
        result: 'success' | 'failure';
        message?: string;
      })
  | (EventBase & { type: 'timerDue'; timerId: string })
  | (EventBase & { type: 'deleteRequested'; gracePeriodSeconds?: number })
  /** Conditions written through the status subresource (readiness gates, custom conditions). */
  | (EventBase & { type: 'conditionsPatched'; conditions: PodCondition[] })
  /**
   * Ephemeral containers were added through the ephemeralcontainers subresource: the ones without a record start
   * (reconcile's advance does it for any event; this one wakes the worker).
   */
  | (EventBase & { type: 'ephemeralContainersAdded'; containers: string[] })
  /** A pod update changed these containers' images (or activeDeadlineSeconds): restart them on the new spec. */
  | (EventBase & { type: 'specUpdated'; containers: string[] })
  /**
   * A ConfigMap or Secret of the pod's namespace was created or changed: a container whose start waits on it
   * (CreateContainerConfigError) is retried now rather than at its retry timer.
   */
  | (EventBase & { type: 'configChanged'; kind: 'ConfigMap' | 'Secret'; name: string })
  /** The runtime measured an emptyDir over its sizeLimit: reconcile decides the eviction (volumes.ts). */
  | (EventBase & { type: 'emptyDirUsage'; volume: string; usedBytes: number });

export type PodEventType = PodEvent['type'];
