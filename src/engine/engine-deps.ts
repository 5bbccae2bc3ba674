// What the engine's use cases need from the outside world: the ports, a clock and the settings. Each
// environment's composition root (local/local-engine.ts, lambdas/wiring.ts) builds one of these.
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../core/engine-settings.ts';
import type { Clock } from '../ports/clock.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ContainerRuntime } from '../ports/container-runtime.ts';
import type { HookRunner } from '../ports/hook-runner.ts';
import type { PodStore } from '../ports/pod-store.ts';
import type { Prober } from '../ports/prober.ts';
import type { WakeupScheduler } from '../ports/wakeup-scheduler.ts';
import type { WorkflowClient } from '../ports/workflow-client.ts';
import { DEFAULT_EVENT_RETRY, type EventRetrySettings } from './record-event.ts';

export interface WorkerSettings extends EngineSettings {
  /**
   * Lifecycle steps before the worker continues as a new execution. A Standard execution ends at 25,000 history
   * events; a step with its await and choice writes about 14. The count resumes from the Map's entry after a
   * container Map (a Map's iterations cannot hand their count out), so the bound leaves room for twice as many.
   */
  maxStepsPerExecution: number;
  /** Age at which the worker continues as a new execution: a Standard execution may run one year at most. */
  maxExecutionAgeMs: number;
  /** Extra seconds the Terminate await gives the runtime beyond the grace before forcing SIGKILL. */
  terminationMarginSeconds: number;
  /** How a failed event write is retried. */
  eventRetry: EventRetrySettings;
}

export const DEFAULT_MAX_STEPS_PER_EXECUTION = 800;
/** 90 days: an idle pod's daily poll continues as new long before the year is up. */
export const DEFAULT_MAX_EXECUTION_AGE_MS = 90 * 24 * 3600 * 1000;

/** The settings every composition starts from (each may override some). */
export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  ...DEFAULT_ENGINE_SETTINGS,
  maxStepsPerExecution: DEFAULT_MAX_STEPS_PER_EXECUTION,
  maxExecutionAgeMs: DEFAULT_MAX_EXECUTION_AGE_MS,
  terminationMarginSeconds: 5,
  eventRetry: DEFAULT_EVENT_RETRY,
};

export interface EngineDeps {
  store: PodStore;
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
