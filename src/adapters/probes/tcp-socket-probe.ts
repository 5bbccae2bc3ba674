// tcpSocket probe handler (pkg/probe/tcp/tcp.go DoTCPProbe, prober.go tcpProberAction): success when a TCP
// connection to host:port opens within the timeout (nothing is sent; the socket is closed at once); otherwise a
// failure whose output is Go's dial error. Host defaults to the pod IP; the port may be a container port name.
import { connect } from 'node:net';
import type { Probe } from 'kubernetes-types/core/v1';
import type { ProbeAttempt, ProbeHandler, ProbeTarget } from '../../ports/probe-handler.ts';
import { joinHostPort, resolveContainerPort } from './resolve-container-port.ts';

export const probeTcpSocket: ProbeHandler = (probe: Probe, target: ProbeTarget, timeoutMs: number) => {
  const action = probe.tcpSocket!;
  const port = resolveContainerPort(action.port, target.container);
  if ('error' in port) return Promise.resolve({ result: 'error', error: port.error });
  return dialTcp(action.host || target.podIP, port.port, timeoutMs);
};

export function dialTcp(host: string, port: number, timeoutMs: number): Promise<ProbeAttempt> {
  const addr = joinHostPort(host, port);
  return new Promise<ProbeAttempt>((resolve) => {
    let settled = false;
    const socket = connect({ host, port });
    const finish = (attempt: ProbeAttempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(attempt);
    };
    // net.DialTimeout
    const timer = setTimeout(
      () => finish({ result: 'failure', output: `dial tcp ${addr}: i/o timeout` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const detail =
        err.code === 'ECONNREFUSED'
          ? 'connect: connection refused'
          : err.code === 'EHOSTUNREACH'
            ? 'connect: no route to host'
            : err.message;
      finish({ result: 'failure', output: `dial tcp ${addr}: ${detail}` });
    });
  });
}
