// The local gateway (docs/architecture.md §8): what API Gateway is in the cloud, for `podflow serve`. It listens on
// 127.0.0.1 only and hands each HTTP request to the API's Hono app as a fetch Request — the app the api Lambda runs
// behind its streaming proxy-event handler (api/api-gateway-stream-handler.ts) in the cloud. Going through proxy events here too
// would cost every request two translations (HTTP → event → Request, Response → result → HTTP) and a base64 round
// trip for binary bodies, for nothing the app can tell apart; what the proxy handler adds is done here the same
// way: a body over the API's limit is refused with a 413 Status before the app sees it, a request that cannot be
// made into a Request is a 400 Status, and a failure of the app is a 500 Status.
//
// Buffered and streamed responses take the same road; streams — watches (`?watch=true`) and `logs --follow` — are
// written as they are produced, with their headers flushed first. Exec is a WebSocket upgrade, handed to
// local/exec-websocket.ts.
//
// With a certificate (`podflow serve --token`: kubectl sends credentials only over TLS, local/serving-certificate.ts)
// one port speaks both: a connection whose first byte is a TLS handshake record (0x16, RFC 8446 §5.1) goes to the
// TLS server, any other to the plain one — the web UI in a browser and curl keep http://, kubectl gets https://.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Hono } from 'hono';
import { bufferedPartsOf } from '../api/buffered-response.ts';
import { MAX_REQUEST_BODY_BYTES } from '../api/request.ts';
import { ApiError, tooLarge } from '../api/status.ts';
import { incomingRequest } from './incoming-request.ts';

/** Only the local machine may talk to `podflow serve`. */
export const GATEWAY_HOST = '127.0.0.1';
/**
 * API Gateway's payload limit (10 MB): a body up to it is read and answered with the API's 413 Status (its limit is
 * 256 KiB); a larger one is not read to its end.
 */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** How long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 2000;
/** How often shutdown closes connections that have become idle. */
const IDLE_SWEEP_MS = 20;

export interface UpgradeHandler {
  /** Takes over an upgrade request (returns false if the path is not its own). */
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): boolean;
  close(): void;
}

export interface GatewayOptions {
  /** The API. */
  app: Pick<Hono, 'fetch'>;
  /** 0 picks a free port. */
  port: number;
  upgrade?: UpgradeHandler;
  onError: (err: unknown, context: string) => void;
  /** PEM key and certificate: serve TLS too, on the same port. */
  tls?: { key: string; cert: string };
}

export interface Gateway {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** https://127.0.0.1:PORT when the gateway has a certificate. */
  readonly tlsUrl?: string;
  /** Stops accepting, ends streams and upgrades, lets in-flight requests finish (briefly). */
  close(): Promise<void>;
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** A request whose response is a stream: its headers go out before its body exists. */
export function isStreamingRequest(method: string, url: URL): boolean {
  if (method !== 'GET') return false;
  if (TRUE_VALUES.has(url.searchParams.get('watch') ?? '')) return true;
  return url.pathname.endsWith('/log') && TRUE_VALUES.has(url.searchParams.get('follow') ?? '');
}

const NO_BODY = Buffer.alloc(0);

/** The body, or undefined when it is over `limit` (then the rest of it is left unread). */
function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  // HTTP/1.1: a request without Content-Length and Transfer-Encoding has no body (RFC 9112 §6.3).
  const length = req.headers['content-length'];
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return Promise.resolve(NO_BODY);
  const declared = Number(length ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The fetch Request a stream's route receives, with the signal that ends it. */
function streamRequest(req: IncomingMessage, url: URL, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return new Request(url, { method: req.method ?? 'GET', headers, signal });
}

/** What the proxy handler answers when a request cannot be translated. */
const unreadable = (): ApiError =>
  new ApiError(400, 'BadRequest', 'the request could not be read: malformed path or headers');

/** Response headers as node:http takes them; Set-Cookie keeps one line per cookie. */
function responseHeaders(response: Response): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie') out[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

function writeStatus(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(err.toStatus());
  res.writeHead(err.code, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/**
 * Writes buffered answers together, once per event-loop turn (in its check phase), instead of each as soon as it is
 * ready. On loopback a write does the receiver's work too, and wakes the client's process when it sleeps: answers
 * written back to back wake it once, answers spread over a turn's callbacks once each. An answer waits only for the
 * rest of the turn it was made in. Measured with wrk (20 connections, one thread) against a bare node:http server:
 * +12 % requests/s, and +20 % when each answer costs 10 µs of JavaScript first.
 */
class WriteBatch {
  #writes: Array<() => void> = [];
  readonly #flush = (): void => {
    const writes = this.#writes;
    this.#writes = [];
    for (const write of writes) write();
  };

  add(write: () => void): void {
    if (this.#writes.length === 0) setImmediate(this.#flush);
    this.#writes.push(write);
  }
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const streams = new Set<AbortController>();
  let port = options.port;
  let closing = false;
  const batch = new WriteBatch();

  /** An ApiError as its Status; anything else is reported and answered 500. */
  const answerError = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    if (err instanceof ApiError) return writeStatus(res, err);
    options.onError(err, `gateway ${req.method} ${req.url}`);
    const message = err instanceof Error ? err.message : String(err);
    writeStatus(res, new ApiError(500, 'InternalError', `Internal error occurred: ${message}`));
  };

  /** A buffered response: the whole body, with its length. */
  const serveBuffered = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const body = await readRequestBody(req, GATEWAY_MAX_BODY_BYTES);
    if (body === undefined) {
      writeStatus(res, tooLarge(`limit is ${GATEWAY_MAX_BODY_BYTES}`));
      // Not read to its end: close the connection rather than drain it.
      res.once('finish', () => req.socket.destroy());
      return;
    }
    // docs/architecture.md §7: podflow's objects are at most 256 KiB (API Gateway itself would take 10 MB).
    if (body.length > MAX_REQUEST_BODY_BYTES) throw tooLarge(`limit is ${MAX_REQUEST_BODY_BYTES}`);
    let request: Request;
    try {
      request = incomingRequest(req.method ?? 'GET', url.href, req.rawHeaders, body);
    } catch {
      throw unreadable();
    }
    const response = await options.app.fetch(request);
    // The API's own answers are text in memory: written as they are, without reading a fetch Response.
    const parts = bufferedPartsOf(response);
    if (parts) {
      batch.add(() => {
        try {
          res.writeHead(parts.status, {
            ...parts.headers,
            'content-length': String(Buffer.byteLength(parts.body)),
          });
          res.end(parts.body);
        } catch (err) {
          answerError(req, res, err);
        }
      });
      return;
    }
    const out = Buffer.from(await response.arrayBuffer());
    const headers = responseHeaders(response);
    delete headers['transfer-encoding'];
    headers['content-length'] = String(out.length);
    res.writeHead(response.status, headers);
    res.end(out);
  };

  const serveStreaming = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const abort = new AbortController();
    streams.add(abort);
    res.once('close', () => abort.abort());
    try {
      let request: Request;
      try {
        request = streamRequest(req, url, abort.signal);
      } catch {
        throw unreadable();
      }
      const response = await options.app.fetch(request);
      res.writeHead(response.status, responseHeaders(response));
      // Headers first: a client knows its watch is established before the first event.
      res.flushHeaders();
      if (response.body) {
        const reader = response.body.getReader();
        abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined));
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          res.write(value);
        }
      }
      res.end();
    } finally {
      streams.delete(abort);
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      try {
        if (closing) throw new ApiError(503, 'ServiceUnavailable', 'podflow is shutting down');
        let url: URL;
        try {
          url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${GATEWAY_HOST}:${port}`}`);
        } catch {
          throw unreadable();
        }
        if (isStreamingRequest(req.method ?? 'GET', url)) await serveStreaming(req, res, url);
        else await serveBuffered(req, res, url);
      } catch (err) {
        answerError(req, res, err);
      }
    })();
  };
  const servers: Server[] = [createServer(onRequest)];
  if (options.tls) servers.push(createHttpsServer(options.tls, onRequest));
  for (const server of servers) {
    server.on('upgrade', (req, socket: Socket, head: Buffer) => {
      if (closing || !options.upgrade?.handleUpgrade(req, socket, head)) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }
    });
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
  }
  // The listener: the plain server itself, or one that hands each connection to the server its first byte names.
  const [plain, tls] = servers as [Server, Server | undefined];
  /** Connections that have not sent their first byte yet: no server has them, so shutdown closes them here. */
  const undecided = new Set<Socket>();
  const listener = tls
    ? createNetServer({ pauseOnConnect: true }, (socket) => {
        undecided.add(socket);
        socket.once('close', () => undecided.delete(socket));
        socket.once('readable', () => {
          undecided.delete(socket);
          const first = socket.read(1) as Buffer | null;
          if (first === null) return void socket.destroy();
          socket.unshift(first);
          (first[0] === 0x16 ? tls : plain).emit('connection', socket);
        });
      })
    : plain;

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, GATEWAY_HOST, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  port = (listener.address() as AddressInfo).port;
  const closeIdle = () => servers.forEach((s) => s.closeIdleConnections());

  return {
    port,
    url: `http://${GATEWAY_HOST}:${port}`,
    ...(tls ? { tlsUrl: `https://${GATEWAY_HOST}:${port}` } : {}),
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const s of streams) s.abort();
      options.upgrade?.close();
      // Connections turn idle as their last response ends (the aborted streams too): close them as they do, and
      // whatever is still busy when the grace runs out.
      for (const socket of undecided) socket.destroy();
      closeIdle();
      const sweep = setInterval(closeIdle, IDLE_SWEEP_MS);
      const timer = setTimeout(() => servers.forEach((s) => s.closeAllConnections()), SHUTDOWN_GRACE_MS);
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
    },
  };
}
