// The api Lambda entry point (lambdas/api.ts) with the cloud wiring: what needs no AWS call answers as it does
// locally; logs and exec, which need a container runtime the cloud does not have, answer 501 with a Status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyEvent } from './support.ts';

const ENV = {
  TABLE_NAME: 'podflow-test',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:pod-worker',
  SCHEDULE_GROUP: 'podflow',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
  WAKEUP_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:wakeup',
  AWS_REGION: 'eu-west-1',
};
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
      name: 'logs: no runtime in the cloud',
      method: 'GET',
      path: '/api/v1/namespaces/default/pods/p/log',
      code: 501,
      check: { kind: 'Status', reason: 'NotImplemented' },
    },
    {
      name: 'exec: no runtime in the cloud',
      method: 'POST',
      path: '/api/v1/namespaces/default/pods/p/exec',
      code: 501,
      check: { kind: 'Status', reason: 'NotImplemented' },
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
