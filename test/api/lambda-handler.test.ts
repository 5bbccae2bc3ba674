// The api Lambda entry point (lambdas/api.ts) with the cloud wiring: what needs no AWS call answers as it does
// locally. Logs and exec read the pod from the table, an AWS call: test/api/runtime-admission.test.ts covers the
// cloud's answers with the same API parts on a memory store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_FUNCTION_ENV, proxyEvent } from './support.ts';

const ENV = API_FUNCTION_ENV;
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('api Lambda', () => {
  it.each([
    {
      name: 'discovery',
      method: 'GET',
      path: '/version',
      code: 200,
      check: { gitVersion: 'v1.32.0-podflow' },
    },
    {
      name: 'unknown path',
      method: 'GET',
      path: '/healthz',
      code: 404,
      check: { kind: 'Status', reason: 'NotFound' },
    },
    {
      name: 'oversized body',
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      code: 413,
      check: { kind: 'Status', reason: 'RequestEntityTooLarge' },
      body: 'x'.repeat(300 * 1024),
    },
  ])('$name → $code', async ({ method, path, code, check, body }) => {
    const { handler } = await import('../../lambdas/api.ts');
    const result = await handler(proxyEvent(method, path, body ? { body } : {}));
    expect(result.statusCode).toBe(code);
    expect(JSON.parse(result.body)).toMatchObject(check);
  });
});
