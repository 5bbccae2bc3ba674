// `kubectl port-forward` for `podflow serve`: the upgrade of `/api/v1/namespaces/{ns}/pods/{name}/portforward`,
// serving the port forward protocol (`portforward.k8s.io`) over SPDY/3.1 (local/spdy.ts), reached either way
// kubectl 1.30+ may come:
// - WebSocket with the subprotocol `SPDY/3.1+portforward.k8s.io`: SPDY's bytes tunnelled in binary messages, what
//   kubectl tries first (client-go tools/portforward/tunneling_dialer.go and tunneling_connection.go; the API server
//   bridges it to the kubelet's SPDY, apiserver pkg/util/proxy/streamtunnel.go);
// - an HTTP upgrade to `SPDY/3.1` with `X-Stream-Protocol-Version: portforward.k8s.io`, its fallback (and older
//   clients'), answered 101 with the same headers (apimachinery pkg/util/httpstream/spdy/upgrade.go).
// On the connection, for each local connection kubectl opens an error stream and a data stream with the same
// `requestID` and `port` headers; the pair is forwarded to the pod's port as the kubelet does
// (pkg/kubelet/cri/streaming/portforward/httpstream.go): the data stream carries the bytes both ways, and a port that
// cannot be reached gets its message on the error stream, which kubectl prints.
import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { isAuthorized } from '../api/create-api-app.ts';
import { ApiError, badRequest, notFound, unauthorized } from '../api/status.ts';
import { forwardAddress, forwardErrorMessage, parseStreamHeaders } from '../core/port-forward.ts';
import type { PodStore } from '../ports/pod-store.ts';
import { rejectUpgrade } from './exec-websocket.ts';
import type { UpgradeHandler } from './gateway.ts';
import {
  RST_PROTOCOL_ERROR,
  serveSpdy,
  type ByteTransport,
  type SpdySession,
  type SpdyStream,
} from './spdy.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** apimachinery pkg/util/portforward: WebsocketsSPDYTunnelingPrefix + the protocol. */
export const TUNNELED_PORT_FORWARD_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

const PORT_FORWARD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/;

/** Above this many bytes queued on the WebSocket, the forwarded sockets pause until it drains. */
const WEBSOCKET_HIGH_WATER = 4 * 1024 * 1024;

export interface PortForwardOptions {
  store: Pick<PodStore, 'get'>;
  token?: string;
  onError: (err: unknown, context: string) => void;
}

interface Target {
  /** The pod's sandbox, for the error message (its uid). */
  podSandbox: string;
  address: string;
}

function socketTransport(socket: Socket, head: Buffer): ByteTransport {
  return {
    write: (data) => socket.write(data),
    onData: (l) => {
      if (head.length > 0) queueMicrotask(() => l(head));
      socket.on('data', l);
    },
    onDrain: (l) => void socket.on('drain', l),
    onClose: (l) => {
      socket.once('close', l);
      socket.once('error', () => socket.destroy());
    },
    close: () => socket.end(() => socket.destroy()),
  };
}

function webSocketTransport(ws: WebSocket): ByteTransport {
  const drainListeners: (() => void)[] = [];
  let backedUp = false;
  return {
    write: (data) => {
      ws.send(data, { binary: true }, () => {
        if (backedUp && ws.bufferedAmount < WEBSOCKET_HIGH_WATER / 2) {
          backedUp = false;
          for (const l of drainListeners) l();
        }
      });
      if (ws.bufferedAmount >= WEBSOCKET_HIGH_WATER) backedUp = true;
      return !backedUp;
    },
    onData: (l) => void ws.on('message', (data: Buffer, isBinary: boolean) => isBinary && l(data)),
    onDrain: (l) => void drainListeners.push(l),
    onClose: (l) => void ws.once('close', l),
    close: () => ws.close(1000),
  };
}

/** Forwards one stream pair to the pod's port, until either side is done. */
function forwardPair(
  paused: Set<Socket>,
  target: Target,
  error: SpdyStream,
  data: SpdyStream,
  port: number,
): void {
  const early: Buffer[] = [];
  let clientEnded = false;
  let socket: Socket | undefined;
  const pending = connect({ host: target.address, port });
  data.onData((d) => (socket ? socket.write(d) : early.push(d)));
  data.onEnd(() => {
    clientEnded = true;
    socket?.end();
  });
  data.onReset(() => pending.destroy());
  error.onReset(() => pending.destroy());
  pending.once('connect', () => {
    socket = pending;
    for (const d of early) socket.write(d);
    if (clientEnded) socket.end();
    socket.on('data', (d: Buffer) => {
      if (!data.write(d)) {
        socket!.pause();
        paused.add(socket!);
      }
    });
    socket.on('end', () => data.end());
  });
  pending.on('error', (err: NodeJS.ErrnoException) => {
    if (socket) return; // after connecting: 'close' follows, which ends the streams
    error.write(Buffer.from(forwardErrorMessage(port, target.podSandbox, target.address, err)));
  });
  pending.once('close', () => {
    paused.delete(pending);
    data.end();
    error.end();
  });
}

/** Serves the port forward protocol on a SPDY session: pairs each request's error and data streams. */
function servePortForward(session: SpdySession, target: Target, onError: (err: unknown) => void): void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; port: number }>();
  // Sockets waiting for the connection's writer to drain.
  const paused = new Set<Socket>();
  session.onDrain(() => {
    for (const s of paused) s.resume();
    paused.clear();
  });
  session.onStream((stream) => {
    const parsed = parseStreamHeaders(stream.headers);
    if (!parsed.ok) {
      onError(new Error(`port-forward: ${parsed.message}`));
      stream.reset(RST_PROTOCOL_ERROR);
      return;
    }
    const pair = pairs.get(parsed.requestId) ?? { port: parsed.port };
    pairs.set(parsed.requestId, pair);
    if (pair[parsed.type] || pair.port !== parsed.port) {
      stream.reset(RST_PROTOCOL_ERROR);
      return;
    }
    pair[parsed.type] = stream;
    if (pair.error && pair.data) {
      pairs.delete(parsed.requestId);
      forwardPair(paused, target, pair.error, pair.data, pair.port);
    }
  });
}

export function createPortForwardUpgradeHandler(o: PortForwardOptions): UpgradeHandler {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) =>
      offered.has(TUNNELED_PORT_FORWARD_PROTOCOL) ? TUNNELED_PORT_FORWARD_PROTOCOL : false,
  });
  const sessions = new Set<SpdySession>();
  const start = (transport: ByteTransport, target: Target): void => {
    const session = serveSpdy(transport, (err) => o.onError(err, 'port-forward'));
    sessions.add(session);
    session.onClose(() => sessions.delete(session));
    servePortForward(session, target, (err) => o.onError(err, 'port-forward'));
  };
  return {
    handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): boolean {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const m = PORT_FORWARD_PATH.exec(url.pathname);
      if (!m) return false;
      void (async () => {
        try {
          if (o.token && !isAuthorized(req.headers.authorization, o.token)) throw unauthorized();
          const name = decodeURIComponent(m[2]!);
          const stored = await o.store.get({ namespace: decodeURIComponent(m[1]!), name });
          if (!stored) throw notFound('pods', name);
          const target: Target = {
            podSandbox: stored.state.pod.metadata?.uid ?? name,
            address: forwardAddress(stored.state.engine.podIP),
          };
          const upgrade = (req.headers.upgrade ?? '').toLowerCase();
          if (upgrade === 'websocket') {
            const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
            if (!offered.includes(TUNNELED_PORT_FORWARD_PROTOCOL))
              throw badRequest(
                `unable to upgrade connection: port-forward is served over WebSocket with the subprotocol ${TUNNELED_PORT_FORWARD_PROTOCOL}`,
              );
            wss.handleUpgrade(req, socket, head, (ws) => {
              ws.on('error', (err) => o.onError(err, 'port-forward websocket'));
              start(webSocketTransport(ws), target);
            });
            return;
          }
          const versions = ([] as string[])
            .concat(req.headers['x-stream-protocol-version'] ?? [])
            .flatMap((v) => v.split(','))
            .map((v) => v.trim());
          if (upgrade !== 'spdy/3.1' || !versions.includes(PORT_FORWARD_PROTOCOL))
            throw badRequest(
              `unable to upgrade connection: port-forward needs an upgrade to SPDY/3.1 with X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}`,
            );
          socket.write(
            'HTTP/1.1 101 Switching Protocols\r\n' +
              'Connection: Upgrade\r\n' +
              'Upgrade: SPDY/3.1\r\n' +
              `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
          );
          start(socketTransport(socket, head), target);
        } catch (err) {
          if (err instanceof ApiError) rejectUpgrade(socket, err);
          else {
            o.onError(err, 'port-forward upgrade');
            rejectUpgrade(
              socket,
              new ApiError(500, 'InternalError', 'Internal error occurred: port-forward failed'),
            );
          }
        }
      })();
      return true;
    },
    close() {
      for (const s of sessions) s.close();
      wss.close();
    },
  };
}

/** Both streaming upgrades of the local gateway: exec, then port-forward. */
export function combineUpgradeHandlers(...handlers: UpgradeHandler[]): UpgradeHandler {
  return {
    handleUpgrade: (req, socket, head) => handlers.some((h) => h.handleUpgrade(req, socket, head)),
    close: () => {
      for (const h of handlers) h.close();
    },
  };
}
