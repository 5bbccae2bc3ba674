// grpc probe handler (pkg/probe/grpc/grpc.go, prober.go grpcProberAction): grpc.health.v1.Health/Check on
// podIP:port with the probe's optional `service`, insecure (credentials are not supported upstream), user agent
// kube-probe/<major>.<minor>, one deadline of timeoutSeconds for connecting and the call. SERVING = success;
// every other outcome is a failure (never a prober error: "Any failure is considered as a probe failure to mimic
// grpc_health_probe tool behavior"), with upstream's messages. @grpc/grpc-js and the health service definition
// are loaded on the first grpc probe, so an engine without grpc probes never pays for them.
import type { Probe } from 'kubernetes-types/core/v1';
import type { ProbeAttempt, ProbeHandler, ProbeTarget } from '../../ports/probe-handler.ts';
import { KUBE_PROBE_USER_AGENT } from './http-get-probe.ts';
import { joinHostPort } from './resolve-container-port.ts';

interface HealthClient {
  waitForReady(deadline: Date, callback: (err?: Error) => void): void;
  Check(
    request: { service: string },
    options: { deadline: Date },
    callback: (
      err: (Error & { code?: number; details?: string }) | null,
      response?: { status?: string },
    ) => void,
  ): void;
  close(): void;
}

type HealthClientConstructor = new (address: string, credentials: unknown, options: object) => HealthClient;

let loaded:
  | Promise<{
      Client: HealthClientConstructor;
      insecure: () => unknown;
      unimplemented: number;
      deadline: number;
    }>
  | undefined;

async function loadGrpc() {
  const grpc = await import('@grpc/grpc-js');
  const health = (await import('grpc-health-check')) as unknown as {
    service?: unknown;
    default?: { service: unknown };
  };
  const service = health.service ?? health.default!.service;
  return {
    Client: grpc.makeGenericClientConstructor(
      service as Parameters<typeof grpc.makeGenericClientConstructor>[0],
      'grpc.health.v1.Health',
    ) as unknown as HealthClientConstructor,
    insecure: () => grpc.credentials.createInsecure(),
    unimplemented: grpc.status.UNIMPLEMENTED,
    deadline: grpc.status.DEADLINE_EXCEEDED,
  };
}

/** google.golang.org/grpc/codes Code.String(), for Go's `rpc error: code = X desc = Y`. */
const GO_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** time.Duration.String() for whole seconds and milliseconds (what timeoutSeconds produces). */
const goDuration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

export const probeGrpc: ProbeHandler = async (
  probe: Probe,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeAttempt> => {
  const action = probe.grpc!;
  const g = await (loaded ??= loadGrpc());
  const addr = joinHostPort(target.podIP, action.port);
  const deadline = new Date(Date.now() + timeoutMs);
  const client = new g.Client(addr, g.insecure(), {
    'grpc.primary_user_agent': KUBE_PROBE_USER_AGENT,
    // A fresh connection per probe, as upstream dials one per probe.
    'grpc.use_local_subchannel_pool': 1,
  });
  try {
    // grpc.DialContext with WithBlock: wait for the connection until the deadline.
    const connectError = await new Promise<Error | undefined>((resolve) =>
      client.waitForReady(deadline, (err) => resolve(err)),
    );
    if (connectError) {
      return {
        result: 'failure',
        output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${goDuration(timeoutMs)}: context deadline exceeded`,
      };
    }
    const { err, response } = await new Promise<{
      err: (Error & { code?: number; details?: string }) | null;
      response?: { status?: string };
    }>((resolve) =>
      client.Check({ service: action.service ?? '' }, { deadline }, (e, r) =>
        resolve({ err: e, response: r }),
      ),
    );
    if (err) {
      if (err.code === g.unimplemented) {
        return {
          result: 'failure',
          output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details ?? ''}`,
        };
      }
      if (err.code === g.deadline) {
        return {
          result: 'failure',
          output: `timeout: health rpc did not complete within ${goDuration(timeoutMs)}`,
        };
      }
      const code = GO_CODE_NAMES[err.code ?? 2] ?? `Code(${err.code})`;
      return {
        result: 'failure',
        output: `error: health rpc probe failed: rpc error: code = ${code} desc = ${err.details ?? err.message}`,
      };
    }
    const status = response?.status ?? 'UNKNOWN';
    if (status !== 'SERVING') {
      return { result: 'failure', output: `service unhealthy (responded with ${JSON.stringify(status)})` };
    }
    return { result: 'success', output: 'service healthy' };
  } finally {
    client.close();
  }
};
