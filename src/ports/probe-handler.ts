// What the ProbeManager needs from a probe handler (exec, httpGet, tcpSocket, grpc — adapters/probes/): run one
// attempt against one container instance within a timeout and say what came of it, in the kubelet's terms
// (pkg/probe/probe.go Result: Success, Warning, Failure, Unknown + error).
// Consumed by the ProbeManager (engine/prober/probe-manager.ts); implemented by adapters/probes/.
import type { Container, Probe } from 'kubernetes-types/core/v1';
import type { ContainerInstanceRef } from './container-runtime.ts';

/** What a handler probes: the instance (exec), its container spec (named ports, static env), the pod IP. */
export interface ProbeTarget {
  ref: ContainerInstanceRef;
  container: Container;
  podIP: string;
  /** `name_namespace` of the pod, for messages (pkg/kubelet/util/format.Pod without the uid). */
  podName: string;
}

/**
 * One attempt's outcome.
 * - success / failure: counted against the thresholds; `output` is what a failure event shows.
 * - warning: a success that also records a `ProbeWarning` event (httpGet 3xx: pkg/probe/http/http.go).
 * - error: the prober could not run the check (unknown named port, container not running for exec…);
 *   upstream records `… probe errored …` and throws the result away (worker.go doProbe: "Prober error, throw away
 *   the result"), so it is not counted.
 */
export type ProbeAttempt =
  { result: 'success' | 'warning' | 'failure'; output: string } | { result: 'error'; error: string };

/** Runs one attempt. Must settle within about `timeoutMs` (timeoutSeconds is the handler's to enforce). */
export type ProbeHandler = (probe: Probe, target: ProbeTarget, timeoutMs: number) => Promise<ProbeAttempt>;

export interface ProbeHandlers {
  exec: ProbeHandler;
  httpGet: ProbeHandler;
  tcpSocket: ProbeHandler;
  grpc: ProbeHandler;
}

/** pkg/kubelet/prober/prober.go newProberAction: exactly one handler is set (validation), in this order. */
export function runProbeHandler(
  handlers: ProbeHandlers,
  probe: Probe,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeAttempt> {
  if (probe.exec) return handlers.exec(probe, target, timeoutMs);
  if (probe.httpGet) return handlers.httpGet(probe, target, timeoutMs);
  if (probe.tcpSocket) return handlers.tcpSocket(probe, target, timeoutMs);
  if (probe.grpc) return handlers.grpc(probe, target, timeoutMs);
  // unknownProberAction.Run
  return Promise.resolve({
    result: 'error',
    error: `missing probe handler for ${target.podName}:${target.ref.container}`,
  });
}
