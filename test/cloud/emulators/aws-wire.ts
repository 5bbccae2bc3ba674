// Test double plumbing shared by the AWS service emulators of test/cloud/emulators/: an HTTP server on 127.0.0.1 and
// the two wire protocols podflow's SDK clients speak.
//
// - AWS JSON 1.0 / 1.1 (DynamoDB, Step Functions, ECS, EventBridge, CloudWatch Logs): `POST /` with
//   `X-Amz-Target: <prefix>.<Operation>` and a JSON body; errors are 4xx/5xx with `{"__type": code, "message"}` and
//   the `x-amzn-errortype` header, which is where the SDK's error deserializer looks first (Smithy "AWS JSON 1.0/1.1
//   protocol", "Operation error serialization").
// - AWS REST-JSON (Lambda, EventBridge Scheduler): the operation is the method and the path (Smithy `@http` traits);
//   errors carry the same header and body.
//
// Parameter checks follow what AWS's request validation answers: a member the operation does not define is refused
// (SerializationException, "Unrecognized field"), a missing required member and a violated length constraint are a
// ValidationException worded as AWS words it ("1 validation error detected: Value at 'x' failed to satisfy
// constraint: …"), unless the service documents its own code for them (ECS: ClientException / InvalidParameter…).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extra: Record<string, unknown>;
  constructor(code: string, message: string, status = 400, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.extra = extra;
  }
}

export interface WireRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface WireResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /**
   * A body written as it is produced (chunked transfer encoding) instead of `body`; `cancel` is called if the client
   * goes away before it ends.
   */
  stream?: { chunks: AsyncIterable<Buffer>; cancel: () => void };
}

export interface EmulatorServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 (a free port) that hands each buffered request to `handle` — HTTPS with `tls`
 * (a key and certificate for 127.0.0.1), as an AWS endpoint is.
 */
export async function startWireServer(
  handle: (req: WireRequest) => Promise<WireResponse>,
  onError: (err: unknown) => void = () => undefined,
  tls?: { key: Buffer; cert: Buffer },
): Promise<EmulatorServer> {
  const sockets = new Set<Socket>();
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let out: WireResponse;
      try {
        out = await handle({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
      } catch (err) {
        if (!(err instanceof AwsError)) onError(err);
        out = errorResponse(
          err instanceof AwsError ? err : new AwsError('InternalFailure', String(err), 500),
          req.headers['content-type'],
        );
      }
      if (out.stream) {
        const { chunks, cancel } = out.stream;
        res.once('close', () => {
          if (!res.writableFinished) cancel();
        });
        res.writeHead(out.status, out.headers);
        res.flushHeaders();
        for await (const chunk of chunks) {
          if (res.destroyed) break;
          res.write(chunk);
        }
        res.end();
        return;
      }
      const body = typeof out.body === 'string' ? Buffer.from(out.body) : (out.body ?? Buffer.alloc(0));
      res.writeHead(out.status, { ...out.headers, 'content-length': String(body.length) });
      res.end(body);
    })();
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function errorResponse(err: AwsError, contentType = 'application/x-amz-json-1.1'): WireResponse {
  return {
    status: err.status,
    headers: { 'content-type': contentType, 'x-amzn-errortype': err.code, 'x-amzn-requestid': requestId() },
    body: JSON.stringify({ __type: err.code, message: err.message, ...err.extra }),
  };
}

let requestCounter = 0;
export const requestId = (): string =>
  `00000000-0000-4000-8000-${(++requestCounter).toString(16).padStart(12, '0')}`;

export type Operation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

/** Serves an AWS JSON 1.0/1.1 service: `X-Amz-Target: <targetPrefix>.<Operation>`. */
export function jsonProtocol(
  targetPrefix: string,
  version: '1.0' | '1.1',
  operations: Record<string, Operation>,
  /** Called before each operation with the caller's access key id; throws AccessDeniedException to refuse. */
  authorize?: (operation: string, input: Record<string, unknown>, accessKeyId: string | undefined) => void,
): (req: WireRequest) => Promise<WireResponse> {
  const contentType = `application/x-amz-json-${version}`;
  return async (req) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, name] = [
      target.slice(0, target.lastIndexOf('.')),
      target.slice(target.lastIndexOf('.') + 1),
    ];
    const op = prefix === targetPrefix ? operations[name] : undefined;
    if (req.method !== 'POST' || !op) {
      return errorResponse(
        new AwsError('UnknownOperationException', `Unknown operation ${target}`),
        contentType,
      );
    }
    let input: Record<string, unknown>;
    try {
      input = req.body.length === 0 ? {} : (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>);
    } catch {
      return errorResponse(
        new AwsError('SerializationException', 'Start of structure or map found where not expected.'),
        contentType,
      );
    }
    try {
      authorize?.(name, input, accessKeyOf(req.headers.authorization));
      const output = await op(input);
      return {
        status: 200,
        headers: { 'content-type': contentType, 'x-amzn-requestid': requestId() },
        body: JSON.stringify(output ?? {}),
      };
    } catch (err) {
      if (err instanceof AwsError) return errorResponse(err, contentType);
      throw err;
    }
  };
}

/** The members an operation accepts: required ones and optional ones. */
export interface Shape {
  required?: readonly string[];
  optional?: readonly string[];
  /** Maximum UTF-8 byte length of string members (AWS "Length Constraints"). */
  maxLength?: Readonly<Record<string, number>>;
}

/**
 * Checks `input` against `shape` as AWS's request validation does. Unknown members and missing required members
 * are refused with the codes given (services differ: most use SerializationException/ValidationException).
 */
export function checkShape(
  input: Record<string, unknown>,
  shape: Shape,
  codes: { unknown?: string; missing?: string } = {},
): void {
  const allowed = new Set([...(shape.required ?? []), ...(shape.optional ?? [])]);
  for (const key of Object.keys(input)) {
    if (!allowed.has(key)) {
      throw new AwsError(codes.unknown ?? 'SerializationException', `Unrecognized field "${key}"`);
    }
  }
  const missing = (shape.required ?? []).filter((k) => input[k] === undefined || input[k] === null);
  if (missing.length > 0) {
    const detail = missing.map(
      (k) => `Value null at '${k}' failed to satisfy constraint: Member must not be null`,
    );
    throw new AwsError(
      codes.missing ?? 'ValidationException',
      `${missing.length} validation error${missing.length > 1 ? 's' : ''} detected: ${detail.join('; ')}`,
    );
  }
  for (const [key, max] of Object.entries(shape.maxLength ?? {})) {
    const v = input[key];
    if (typeof v === 'string' && Buffer.byteLength(v, 'utf8') > max) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    }
  }
}

/** The access key id of a SigV4 `Authorization` header (`Credential=<id>/<date>/…`), if any. */
export function accessKeyOf(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  return header ? /Credential=([^/,\s]+)\//.exec(header)?.[1] : undefined;
}

/** Seconds since the epoch with millisecond precision: how AWS JSON protocols encode a timestamp. */
export const epochSeconds = (ms: number): number => ms / 1000;

/** The REST-JSON route table of a service: method + path pattern with `{Label}` segments. */
export interface RestRoute {
  method: string;
  path: string;
  handle: (req: WireRequest, labels: Record<string, string>) => Promise<WireResponse>;
}

export function restProtocol(routes: readonly RestRoute[]): (req: WireRequest) => Promise<WireResponse> {
  const compiled = routes.map((r) => ({
    ...r,
    regex: new RegExp(`^${r.path.replace(/\{(\w+)\+?\}/g, (_m, name: string) => `(?<${name}>[^/]+)`)}$`),
  }));
  return async (req) => {
    for (const r of compiled) {
      if (r.method !== req.method) continue;
      const m = r.regex.exec(req.path);
      if (!m) continue;
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) labels[k] = decodeURIComponent(v);
      try {
        return await r.handle(req, labels);
      } catch (err) {
        if (err instanceof AwsError) return errorResponse(err, 'application/json');
        throw err;
      }
    }
    return errorResponse(
      new AwsError('UnknownOperationException', `${req.method} ${req.path}`, 404),
      'application/json',
    );
  };
}

export const jsonResponse = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): WireResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId(), ...headers },
  body: JSON.stringify(body),
});

/** The account, region and partition the emulators report in ARNs. */
export interface AwsScope {
  account: string;
  region: string;
  partition: string;
}

export const DEFAULT_SCOPE: AwsScope = { account: '123456789012', region: 'us-east-1', partition: 'aws' };
