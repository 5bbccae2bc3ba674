// The local gateway (docs/architecture.md §8): what API Gateway is in the cloud, for `podflow serve`. It listens on
// 127.0.0.1 only, turns each HTTP request into an API Gateway REST API proxy event and hands it to the very handler
// the api Lambda runs (api/api-gateway-handler.ts), then writes the proxy result back as the HTTP response.
//
// Two kinds of request cannot take that path (docs/decisions/0004-api.md):
// - streams — watches (`?watch=true`) and `logs --follow`: a proxy result is one buffered body, so these go to the
//   Hono app's fetch directly and the response body is piped as it is produced;
// - exec: a WebSocket upgrade, handed to local/exec-websocket.ts.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Hono } from 'hono';
import type {
  ApiGatewayHandler,
  ApiGatewayProxyEvent,
  ApiGatewayProxyResult,
} from '../api/api-gateway-handler.ts';
import { ApiError, tooLarge } from '../api/status.ts';

/** Only the local machine may talk to `podflow serve`. */
export const GATEWAY_HOST = '127.0.0.1';
/** API Gateway's payload limit (10 MB); the api handler's own limit (256 KiB) answers 413 with a Status below it. */
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
  /** The buffered path: the api handler fed with proxy events. */
  handler: ApiGatewayHandler;
  /** The streaming path: the same app, called directly. */
  app: Pick<Hono, 'fetch'>;
  /** 0 picks a free port. */
  port: number;
  upgrade?: UpgradeHandler;
  onError: (err: unknown, context: string) => void;
}

export interface Gateway {
  readonly port: number;
  readonly url: string;
  /** Stops accepting, ends streams and upgrades, lets in-flight requests finish (briefly). */
  close(): Promise<void>;
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** A request whose response is a stream: it cannot be answered with one buffered proxy result. */
export function isStreamingRequest(method: string, url: URL): boolean {
  if (method !== 'GET') return false;
  if (TRUE_VALUES.has(url.searchParams.get('watch') ?? '')) return true;
  return url.pathname.endsWith('/log') && TRUE_VALUES.has(url.searchParams.get('follow') ?? '');
}

const isTextBody = (contentType: string | undefined): boolean =>
  !contentType || /json|yaml|text\/|x-www-form-urlencoded/i.test(contentType);

async function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(`limit is ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(`limit is ${limit}`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An HTTP request as API Gateway's REST API proxy integration delivers it (payload format 1.0). */
export function toProxyEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  port: number,
): ApiGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (!values || values.length === 0) continue;
    multiValueHeaders[name] = values;
    headers[name] = values[values.length - 1]!;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    (multiQuery[k] ??= []).push(v);
    query[k] = v;
  }
  const hasQuery = Object.keys(query).length > 0;
  const text = isTextBody(req.headers['content-type']);
  const now = Date.now();
  const method = req.method ?? 'GET';
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: { proxy: url.pathname.replace(/^\//, '') },
    stageVariables: null,
    requestContext: {
      accountId: 'local',
      apiId: 'podflow-local',
      authorizer: {},
      domainName: headers.host ?? `${GATEWAY_HOST}:${port}`,
      domainPrefix: 'podflow-local',
      extendedRequestId: randomUUID(),
      httpMethod: method,
      identity: {
        sourceIp: req.socket.remoteAddress ?? GATEWAY_HOST,
        userAgent: headers['user-agent'] ?? null,
      },
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourcePath: '/{proxy+}',
      stage: 'local',
    },
    body: body.length === 0 ? null : text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !text,
  };
}

function writeProxyResult(res: ServerResponse, result: ApiGatewayProxyResult): void {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  const headers: Record<string, string | string[]> = { ...result.headers, ...result.multiValueHeaders };
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  res.writeHead(result.statusCode, { ...headers, 'content-length': String(body.length) });
  res.end(body);
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

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const streams = new Set<AbortController>();
  let port = options.port;
  let closing = false;

  const serveStreaming = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const abort = new AbortController();
    streams.add(abort);
    res.once('close', () => abort.abort());
    try {
      const headers = new Headers();
      for (const [name, values] of Object.entries(req.headersDistinct))
        for (const v of values ?? []) headers.append(name, v);
      const response = await options.app.fetch(
        new Request(url, { method: req.method ?? 'GET', headers, signal: abort.signal }),
      );
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => (out[k] = v));
      res.writeHead(response.status, out);
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

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        if (closing) throw new ApiError(503, 'ServiceUnavailable', 'podflow is shutting down');
        const url = new URL(req.url ?? '/', `http://${GATEWAY_HOST}:${port}`);
        if (isStreamingRequest(req.method ?? 'GET', url)) return await serveStreaming(req, res, url);
        const body = await readRequestBody(req, GATEWAY_MAX_BODY_BYTES);
        writeProxyResult(res, await options.handler(toProxyEvent(req, url, body, port)));
      } catch (err) {
        if (err instanceof ApiError) {
          writeStatus(res, err);
          // An oversized body is not read to its end: close the connection rather than drain it.
          if (err.code === 413) res.once('finish', () => req.socket.destroy());
          return;
        }
        options.onError(err, `gateway ${req.method} ${req.url}`);
        writeStatus(res, new ApiError(500, 'InternalError', 'Internal error occurred: the gateway failed'));
      }
    })();
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    if (closing || !options.upgrade?.handleUpgrade(req, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, GATEWAY_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://${GATEWAY_HOST}:${port}`,
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of streams) s.abort();
      options.upgrade?.close();
      // Connections turn idle as their last response ends (the aborted streams too): close them as they do, and
      // whatever is still busy when the grace runs out.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
    },
  };
}
