import type { BackoffSettings } from './backoff.ts';
import { DEFAULT_BACKOFF } from './backoff.ts';

/** Engine-wide settings the core needs; everything else about the environment stays outside the core. */
export interface EngineSettings {
  /** Crash back-off curve (engine flags `--crash-backoff-initial/-max/-reset`); pods may tune it by annotation. */
  backoff: BackoffSettings;
  /** spec.nodeName given to admitted pods, shown by `kubectl get pods -o wide`. */
  nodeName: string;
  /** status.hostIP / the pod IP of the process runtime (all containers share the host network). */
  hostIP: string;
  /**
   * How long a container that could not be created (CreateContainerConfigError: a missing ConfigMap or Secret key)
   * waits before it is tried again: the kubelet's pod worker re-syncs a pod whose sync failed after backOffPeriod
   * (pkg/kubelet/kubelet.go, 10 s).
   */
  configErrorRetryMs: number;
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  backoff: DEFAULT_BACKOFF,
  nodeName: 'podflow-local',
  hostIP: '127.0.0.1',
  configErrorRetryMs: 10_000,
};
