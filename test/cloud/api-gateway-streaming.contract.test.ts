// Contract of the API Gateway front's response streaming (test/cloud/emulators/api-gateway.ts): a STREAM
// integration's function output — the prelude, eight NUL bytes, then the body — reaches the client as the status,
// the headers and a chunked body passed on as written; a function that fails before its prelude is a 502; a client
// that goes away closes the function's stream.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiGatewayFront, type ApiMethod } from './emulators/api-gateway.ts';
import { PRELUDE_DELIMITER_BYTES } from './emulators/lambda-streaming.ts';

type InvokeStream = NonNullable<Parameters<typeof startApiGatewayFront>[0]['invokeStream']>;

const method: ApiMethod = {
  resourcePath: '/{proxy+}',
  httpMethod: 'ANY',
  authorizationType: 'NONE',
  functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api',
  responseTransferMode: 'STREAM',
  timeoutMs: 60_000,
};

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function front(invokeStream: InvokeStream) {
  const api = await startApiGatewayFront({
    restApiId: 'abc',
    stageName: 'prod',
    methods: [method],
    binaryMediaTypes: ['*/*'],
    credentials: () => undefined,
    invoke: () => Promise.reject(new Error('a STREAM integration is not invoked buffered')),
    invokeStream,
  });
  close = () => api.close();
  return api.invokeUrl;
}

const prelude = (p: object) =>
  Buffer.concat([Buffer.from(JSON.stringify(p)), Buffer.alloc(PRELUDE_DELIMITER_BYTES)]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET `url`: status, headers and each body chunk with the time it arrived. */
function get(url: string, onResponse?: (destroy: () => void) => void) {
  return new Promise<{
    status: number;
    headers: Record<string, unknown>;
    chunks: Array<{ at: number; text: string }>;
  }>((resolve, reject) => {
    const req = request(url, (res) => {
      const chunks: Array<{ at: number; text: string }> = [];
      onResponse?.(() => req.destroy());
      res.on('data', (d: Buffer) => chunks.push({ at: Date.now(), text: d.toString() }));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, chunks }));
      res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, chunks }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API Gateway front: response streaming', () => {
  it('passes the prelude’s status and headers on, then each chunk as the function writes it', async () => {
    let endedAt = 0;
    const url = await front(async (_arn, event, onChunk) => {
      expect(JSON.parse(event)).toMatchObject({ httpMethod: 'GET', path: '/watch' });
      onChunk(
        prelude({ statusCode: 201, headers: { 'Content-Type': 'application/json', 'X-Kind': 'watch' } }),
      );
      onChunk(Buffer.from('one\n'));
      await sleep(1000);
      onChunk(Buffer.from('two\n'));
      endedAt = Date.now();
      return {};
    });
    const r = await get(`${url}watch`);
    expect(r.status).toBe(201);
    expect(r.headers).toMatchObject({
      'content-type': 'application/json',
      'x-kind': 'watch',
      'transfer-encoding': 'chunked',
    });
    expect(r.chunks.map((c) => c.text).join('')).toBe('one\ntwo\n');
    // The first chunk arrived while the function was still running.
    expect(r.chunks[0]!.text).toBe('one\n');
    expect(r.chunks[0]!.at).toBeLessThan(endedAt - 500);
  });

  it('a function that fails before its prelude, or ends without one, is a 502', async () => {
    const failing = await front(async () => ({ functionError: 'Unhandled' }));
    expect((await get(`${failing}x`)).status).toBe(502);
    await close?.();
    const silent = await front(async (_arn, _event, onChunk) => {
      onChunk(Buffer.from('no prelude here'));
      return {};
    });
    expect((await get(`${silent}x`)).status).toBe(502);
  });

  it('a client that goes away closes the function’s stream (its signal aborts)', async () => {
    let aborted: Promise<void> | undefined;
    const url = await front(async (_arn, _event, onChunk, signal) => {
      aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
      onChunk(prelude({ statusCode: 200, headers: {} }));
      onChunk(Buffer.from('first\n'));
      await aborted;
      return {};
    });
    await get(`${url}x`, (destroy) => setTimeout(destroy, 100));
    await expect(aborted).resolves.toBeUndefined();
  });
});
