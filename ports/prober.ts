// Prober: runs a container instance's startup/readiness/liveness probes at their periods and delivers a
// `probeResult` event only when a published result changes (DESIGN §5). Local and cloud adapters come with the
// probes issue; until then `NoopProber` records the requests.
import type { ContainerInstanceRef } from './container-runtime.ts';
import type { ProbeType } from '../core/probe-results.ts';

export interface Prober {
  /** Starts (or keeps) probe workers for an instance. Idempotent per (instance, probe type). Must not block. */
  start(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void>;
  /** Stops the given probe workers of an instance. Idempotent. */
  stop(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void>;
}
