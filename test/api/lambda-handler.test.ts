// The api Lambda entry point (lambdas/api.ts) with the cloud wiring: what needs no AWS call answers as it does
// locally. Logs and exec read the pod from the table, an AWS call: test/api/runtime-admission.test.ts covers the
// cloud's answers with the same API parts on a memory store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_FUNCTION_ENV, proxyEvent } from './support.ts';
import { installAwsLambdaGlobal, invokeStreamingHandler } from '../cloud/emulators/lambda-streaming.ts';

// The function streams its responses: the runtime's `awslambda` global, and each answer read as API Gateway reads it.
installAwsLambdaGlobal();
const call = async (event: ReturnType<typeof proxyEvent>) => {
  const { handler } = await import('../../lambdas/api.ts');
  return invokeStreamingHandler(handler, event);
};

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
    const result = await call(proxyEvent(method, path, body ? { body } : {}));
    expect(result.statusCode).toBe(code);
    expect(JSON.parse(result.body)).toMatchObject(check);
  });

  it('authorizes each request by the grant the token authorizer put in the context, and refuses one without it', async () => {
    const reader = 'arn:aws:iam::123456789012:role/reader';
    const asReader = { principalId: reader, user: reader, grant: '{"team-a":"read"}' };
    // What the reader may do, asked as kubectl auth can-i asks (no AWS call needed to answer).
    const review = async (verb: string, namespace: string) => {
      const r = await call(
        proxyEvent('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          authorizer: asReader,
          body: { spec: { resourceAttributes: { verb, resource: 'pods', namespace } } },
        }),
      );
      expect(r.statusCode, r.body).toBe(201);
      return (JSON.parse(r.body) as { status: { allowed: boolean } }).status.allowed;
    };
    expect(await review('list', 'team-a')).toBe(true);
    expect(await review('create', 'team-a')).toBe(false);
    expect(await review('get', 'default')).toBe(false);
    const create = await call(
      proxyEvent('POST', '/api/v1/namespaces/team-a/pods', { authorizer: asReader, body: { kind: 'Pod' } }),
    );
    expect(create.statusCode).toBe(403);
    expect(JSON.parse(create.body)).toMatchObject({
      reason: 'Forbidden',
      message:
        'pods is forbidden: User "arn:aws:iam::123456789012:role/reader" cannot create resource "pods" in API group "" in the namespace "team-a": read access in namespace "team-a" does not allow create',
      details: { group: '', kind: 'pods' },
    });
    const elsewhere = await call(
      proxyEvent('GET', '/api/v1/namespaces/default/pods', { authorizer: asReader }),
    );
    expect(elsewhere.statusCode).toBe(403);
    const anonymous = await call(proxyEvent('GET', '/api/v1/namespaces/team-a/pods', { authorizer: {} }));
    expect(anonymous.statusCode).toBe(403);
    expect(JSON.parse(anonymous.body).message).toContain(
      'User "system:anonymous" cannot list resource "pods"',
    );
    // Discovery is every caller's (system:discovery).
    expect((await call(proxyEvent('GET', '/api/v1', { authorizer: {} }))).statusCode).toBe(200);
  });
});
