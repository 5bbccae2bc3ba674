// The api handler as API Gateway invokes it with response streaming (docs/decisions/0017-cloud-watch.md): the REST
// API's Lambda proxy integration with ResponseTransferMode STREAM calls the function with InvokeWithResponseStream,
// the same proxy event (payload format 1.0) in, and the function writes — through the Node.js runtime's
// `awslambda.HttpResponseStream.from` — a JSON prelude (statusCode, headers, cookies), a delimiter, then the body as
// it is produced (API Gateway developer guide, "Set up a Lambda proxy integration with payload response streaming").
// A watch's events therefore reach the client as they happen, for up to API Gateway's 15 minutes, instead of as one
// body after the function returns. Every other response is written whole, the same way.
//
// The request is built from the event as hono/aws-lambda's EventV1Processor builds it (path, multi-value query and
// headers, a base64 body decoded), with an abort signal the stream's closing fires — so a watch whose client went
// away stops reading the change log. As in the buffered handler (api-gateway-handler.ts): a body over the API's
// limit is refused before anything decodes it, and a failure is a Status, never a bare text.
import type { Hono } from 'hono';
import { eventBodyBytes, type ApiGatewayProxyEvent } from './api-gateway-handler.ts';
import { MAX_API_BODY_BYTES } from './request.ts';
import { ApiError, statusHeaders, tooLarge } from './status.ts';

/** The prelude API Gateway reads before the body. */
export interface HttpResponsePrelude {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
}

/** The part of the runtime's response stream (a Node.js Writable) the handler uses. */
export interface ResponseStream {
  write(chunk: Uint8Array | string): boolean;
  end(): void;
  once(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  readonly writableEnded?: boolean;
  readonly destroyed?: boolean;
}

/** `awslambda.HttpResponseStream.from`: writes the prelude and the delimiter, returns the stream for the body. */
export type HttpResponseStreamFrom = (stream: ResponseStream, prelude: HttpResponsePrelude) => ResponseStream;

export type ApiGatewayStreamHandler = (event: ApiGatewayProxyEvent, stream: ResponseStream) => Promise<void>;

/** The Request of a REST API proxy event (hono/aws-lambda EventV1Processor.createRequest), with `signal`. */
export function requestOfEvent(event: ApiGatewayProxyEvent, signal: AbortSignal): Request {
  const query = event.multiValueQueryStringParameters
    ? Object.entries(event.multiValueQueryStringParameters)
        .filter(([, values]) => values)
        .flatMap(([k, values]) => values.map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
        .join('&')
    : Object.entries(event.queryStringParameters ?? {})
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v ?? '')}`)
        .join('&');
  const host = event.requestContext?.domainName ?? event.headers.host ?? 'localhost';
  const url = `https://${host}${event.path}${query ? `?${query}` : ''}`;
  const headers = new Headers();
  for (const [k, values] of Object.entries(event.multiValueHeaders ?? {}))
    for (const v of values ?? []) headers.append(k, sanitize(v));
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (v && !headers.has(k)) headers.set(k, sanitize(v));
  const init: RequestInit = { method: event.httpMethod, headers, signal };
  if (event.body) {
    const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    init.body = body;
    headers.set('content-length', String(body.length));
  }
  return new Request(url, init);
}

/** Non-ASCII header values are percent-encoded (as hono/aws-lambda does): a Headers object refuses them. */
const sanitize = (value: string): string =>
  /[\u0080-\uffff]/.test(value) ? encodeURIComponent(value) : value;

export function createApiGatewayStreamHandler(
  app: Hono,
  from: HttpResponseStreamFrom,
  onError: (err: unknown) => void,
): ApiGatewayStreamHandler {
  const writeStatus = (stream: ResponseStream, err: ApiError): void => {
    const body = from(stream, { statusCode: err.code, headers: statusHeaders(err) });
    body.write(JSON.stringify(err.toStatus()));
    body.end();
  };
  return async (event, stream) => {
    if (eventBodyBytes(event) > MAX_API_BODY_BYTES) {
      writeStatus(stream, tooLarge(`limit is ${MAX_API_BODY_BYTES}`));
      return;
    }
    const aborted = new AbortController();
    stream.once('close', () => aborted.abort());
    stream.once('error', () => aborted.abort());
    let request: Request;
    try {
      request = requestOfEvent(event, aborted.signal);
    } catch {
      // A path or header no Request can hold (hono/aws-lambda answers "Invalid request" here).
      writeStatus(
        stream,
        new ApiError(400, 'BadRequest', 'the request could not be read: malformed path or headers'),
      );
      return;
    }
    let response: Response;
    try {
      response = await app.fetch(request, { event, requestContext: event.requestContext });
    } catch (err) {
      onError(err);
      const message = err instanceof Error ? err.message : String(err);
      writeStatus(stream, new ApiError(500, 'InternalError', `Internal error occurred: ${message}`));
      return;
    }
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    response.headers.forEach((value, name) => {
      if (name === 'set-cookie') cookies.push(value);
      else headers[name] = value;
    });
    const body = from(stream, {
      statusCode: response.status,
      headers,
      ...(cookies.length > 0 ? { cookies } : {}),
    });
    try {
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          if (body.destroyed || body.writableEnded) break;
          if (!body.write(chunk))
            await new Promise<void>((resolve) => {
              body.once('drain', resolve);
              body.once('close', resolve);
            });
        }
      }
    } catch (err) {
      // The client went away, or the body failed mid-way: the status line is gone, only the end remains.
      if (!aborted.signal.aborted) onError(err);
    } finally {
      aborted.abort();
      if (!body.writableEnded && !body.destroyed) body.end();
    }
  };
}
