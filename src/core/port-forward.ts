// The decisions of `kubectl port-forward` on the serving side, as the kubelet makes them
// (pkg/kubelet/cri/streaming/portforward/httpstream.go): which streams belong together, which port a stream asks
// for, and the message written to the error stream when forwarding fails — the line kubectl prints as
// `an error occurred forwarding 8080 -> 81: error forwarding port 81 to pod …`.

/** The stream headers of the port forward protocol (k8s.io/api/core/v1: StreamType, PortHeader, …). */
export const STREAM_TYPE_HEADER = 'streamtype';
export const PORT_HEADER = 'port';
export const REQUEST_ID_HEADER = 'requestid';

export type StreamType = 'error' | 'data';

export type ParsedStream =
  { ok: true; type: StreamType; port: number; requestId: string } | { ok: false; message: string };

/**
 * A new stream's headers (lower-cased names): its type, port and request id. The kubelet refuses a stream without a
 * valid port (`unable to parse "x" as a port`) or with an unknown type (httpStreamHandler.run).
 */
export function parseStreamHeaders(headers: ReadonlyMap<string, string>): ParsedStream {
  const type = headers.get(STREAM_TYPE_HEADER) ?? '';
  if (type !== 'error' && type !== 'data')
    return { ok: false, message: `invalid stream type ${JSON.stringify(type)}` };
  const portText = headers.get(PORT_HEADER) ?? '';
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535))
    return { ok: false, message: `unable to parse ${JSON.stringify(portText)} as a port` };
  const requestId = headers.get(REQUEST_ID_HEADER);
  if (requestId === undefined || requestId === '')
    return { ok: false, message: `${REQUEST_ID_HEADER} header is required` };
  return { ok: true, type, port, requestId };
}

/** Go's net package wording for the connect errors a forward meets (syscall.Errno strings). */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ETIMEDOUT: 'i/o timeout',
  ECONNRESET: 'read: connection reset by peer',
};

/**
 * The error stream's message when the pod's port cannot be reached: the kubelet's
 * `error forwarding port %d to pod %s, uid %v: %v` around the runtime's dial error (`dial tcp4 10.88.0.5:81:
 * connect: connection refused`). The pod is named by its sandbox (here the pod's uid); the uid is empty, as the
 * CRI streaming server passes none.
 */
export function forwardErrorMessage(
  port: number,
  podSandbox: string,
  address: string,
  err: { code?: string; message: string },
): string {
  const cause = (err.code && ERRNO_TEXT[err.code]) ?? err.message;
  return `error forwarding port ${port} to pod ${podSandbox}, uid : dial tcp4 ${address}:${port}: ${cause}`;
}

/**
 * The address a forward connects to: the pod's own IP when it has a network namespace of its own (the kubelet
 * enters the namespace and dials localhost; from outside it, the pod's IP reaches the same listeners unless they
 * are bound to loopback only), else the host's loopback, which the pod shares.
 */
export function forwardAddress(podIP: string | undefined): string {
  return podIP && podIP !== '' ? podIP : '127.0.0.1';
}
