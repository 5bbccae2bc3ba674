// What the engine's use cases need from the outside world: the ports, a clock and the settings. Each
// environment's composition root (local/local-engine.ts, lambdas/wiring.ts) builds one of these.
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../core/engine-settings.ts';
import type { Clock } from '../ports/clock.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ContainerRuntime } from '../ports/container-runtime.ts';
import type { HookRunner } from '../ports/hook-runner.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { PodStore } from '../ports/pod-store.ts';
import type { Prober } from '../ports/prober.ts';
import type { WakeupScheduler } from '../ports/wakeup-scheduler.ts';
import type { WorkflowClient } from '../ports/workflow-client.ts';
import { DEFAULT_EVENT_RETRY, type EventRetrySettings } from './record-event.ts';

export interface WorkerSettings extends EngineSettings {
  /**
   * Supervise loops before the worker continues as a new execution. A Standard execution ends at 25,000 history
   * events; one loop (await → reconcile → choice) writes about 14.
   */
  maxSuperviseLoops: number;
  /** Extra seconds the Terminate await gives the runtime beyond the grace before forcing SIGKILL. */
  terminationMarginSeconds: number;
  /** How a failed event write is retried. */
  eventRetry: EventRetrySettings;
}

export const DEFAULT_MAX_SUPERVISE_LOOPS = 1000;

/** The settings every composition starts from (each may override some). */
export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  ...DEFAULT_ENGINE_SETTINGS,
  maxSuperviseLoops: DEFAULT_MAX_SUPERVISE_LOOPS,
  terminationMarginSeconds: 5,
  eventRetry: DEFAULT_EVENT_RETRY,
};

export interface EngineDeps {
  store: PodStore;
  /**
   * ConfigMaps, Secrets and Namespaces as API objects (docs/decisions/0007-api-objects.md). Without it the engine
   * runs pods only: its object use cases throw, and a pod removal finalizes no namespace.
   */
  objects?: ObjectStore;
  /** The ConfigMaps and Secrets containers refer to. */
  configs: ConfigSource;
  runtime: ContainerRuntime;
  scheduler: WakeupScheduler;
  workflow: WorkflowClient;
  prober: Prober;
  hooks: HookRunner;
  clock: Clock;
  settings: WorkerSettings;
  /** Where failures that must not stop the worker are reported (an action that could not be carried out). */
  onError?: (err: unknown, context: string) => void;
}
