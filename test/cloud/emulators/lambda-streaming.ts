// TEST DOUBLE — not AWS. What the Lambda Node.js runtime gives a response-streaming function (Lambda developer guide,
// "Response streaming for Lambda functions"; the runtime interface client's HttpResponseStream): the global
// `awslambda` with `streamifyResponse(handler)`, which marks the handler so the runtime calls it as
// `(event, responseStream, context)`, and `HttpResponseStream.from(stream, prelude)`, which sets the stream's content
// type to `application/vnd.awslambda.http-integration-response` and writes the JSON prelude (statusCode, headers,
// cookies) and a delimiter of 8 NUL bytes before the body. API Gateway's streaming Lambda proxy integration reads
// exactly that (API Gateway developer guide, "Set up a Lambda proxy integration with payload response streaming").
// Used by the Lambda emulator's execution environments (lambda-runtime-worker.ts) and by unit tests that call a
// streaming handler directly; `PreludeReader` is API Gateway's side.
import { PassThrough, type Writable } from 'node:stream';

/** The runtime's mark on a streaming handler (aws-lambda-nodejs-runtime-interface-client HANDLER_STREAMING). */
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
export const PRELUDE_DELIMITER_BYTES = 8;

export interface Prelude {
  statusCode?: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
}

type StreamingHandler = ((event: unknown, stream: Writable, context: unknown) => Promise<unknown>) & {
  [HANDLER_STREAMING]?: string;
};

/**
 * Installs the runtime's `awslambda` global (idempotent). Merged into one that exists: the AWS SDK's
 * @aws/lambda-invoke-store puts its `InvokeStore` on `globalThis.awslambda` when it loads, as it does in Lambda.
 */
export function installAwsLambdaGlobal(): void {
  const g = globalThis as { awslambda?: Record<string, unknown> };
  if (typeof g.awslambda?.streamifyResponse === 'function') return;
  g.awslambda = {
    ...g.awslambda,
    streamifyResponse(handler: StreamingHandler): StreamingHandler {
      handler[HANDLER_STREAMING] = 'response';
      return handler;
    },
    HttpResponseStream: {
      from(stream: Writable & { contentType?: string }, prelude: Prelude): Writable {
        stream.contentType = HTTP_INTEGRATION_CONTENT_TYPE;
        stream.write(JSON.stringify(prelude));
        stream.write(Buffer.alloc(PRELUDE_DELIMITER_BYTES));
        return stream;
      },
    },
  };
}

export function isStreamingHandler(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as StreamingHandler)[HANDLER_STREAMING] === 'response';
}

/** API Gateway's reading of a streamed integration response: the prelude up to the delimiter, then body bytes. */
export class PreludeReader {
  #head = Buffer.alloc(0);
  #prelude: Prelude | undefined;

  get prelude(): Prelude | undefined {
    return this.#prelude;
  }

  /** Takes a chunk of the function's output; returns the body bytes in it (after the prelude). */
  push(chunk: Buffer): Buffer {
    if (this.#prelude) return chunk;
    this.#head = Buffer.concat([this.#head, chunk]);
    const at = this.#head.indexOf(Buffer.alloc(PRELUDE_DELIMITER_BYTES));
    if (at < 0) return Buffer.alloc(0);
    this.#prelude = JSON.parse(this.#head.subarray(0, at).toString('utf8')) as Prelude;
    const rest = this.#head.subarray(at + PRELUDE_DELIMITER_BYTES);
    this.#head = Buffer.alloc(0);
    return rest;
  }
}

/**
 * Calls a streaming handler in this process as the runtime would and reads its output as API Gateway does: the
 * status, the headers and the whole body (for unit tests of what a request answers).
 */
export async function invokeStreamingHandler(
  handler: unknown,
  event: unknown,
): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  if (!isStreamingHandler(handler))
    throw new Error('the handler is not wrapped with awslambda.streamifyResponse');
  const stream = new PassThrough();
  const reader = new PreludeReader();
  const body: Buffer[] = [];
  stream.on('data', (c: Buffer) => body.push(reader.push(c)));
  const ended = new Promise<void>((resolve) => stream.on('end', resolve));
  await (handler as StreamingHandler)(event, stream, {});
  if (!stream.writableEnded) stream.end();
  await ended;
  const prelude = reader.prelude ?? {};
  return {
    statusCode: prelude.statusCode ?? 200,
    headers: prelude.headers ?? {},
    body: Buffer.concat(body).toString('utf8'),
  };
}
