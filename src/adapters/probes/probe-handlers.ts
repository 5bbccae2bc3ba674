// The four probe handlers the ProbeManager dispatches to (prober.go newProberAction): exec through the container
// runtime, httpGet, tcpSocket and grpc from this process (locally the pod IP is the host's; in the cloud the prober
// Lambda is VPC-attached to reach task IPs).
import type { ProbeHandlers } from '../../ports/probe-handler.ts';
import type { ContainerRuntime } from '../../ports/container-runtime.ts';
import { createExecProbe } from './exec-probe.ts';
import { probeGrpc } from './grpc-probe.ts';
import { probeHttpGet } from './http-get-probe.ts';
import { probeTcpSocket } from './tcp-socket-probe.ts';

export function createProbeHandlers(deps: { runtime: Pick<ContainerRuntime, 'exec'> }): ProbeHandlers {
  return {
    exec: createExecProbe(deps.runtime),
    httpGet: probeHttpGet,
    tcpSocket: probeTcpSocket,
    grpc: probeGrpc,
  };
}
