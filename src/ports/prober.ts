// Prober: runs a container instance's startup/readiness/liveness probes at their periods and delivers a
// `probeResult` event only when a published result changes (docs/architecture.md §5). Implementations: ProbeManager
// (runs the workers in-process: local mode and the prober Lambdas), RegisteringProber (the lifecycle Lambda: records
// the request in the pod's shard for the prober Lambda that owns it), NoopProber (tests that run no probes).
import type { ContainerInstanceRef } from './container-runtime.ts';
import type { ProbeType } from '../core/probe-results.ts';

export interface Prober {
  /** Starts (or keeps) probe workers for an instance. Idempotent per (instance, probe type). Must not block. */
  start(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void>;
  /** Stops the given probe workers of an instance. Idempotent. */
  stop(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void>;
}
