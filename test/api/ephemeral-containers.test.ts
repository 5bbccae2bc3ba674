// pods/ephemeralcontainers through the API app (what `kubectl debug` patches): the Status a client reads for an
// invalid update (422, each field path a cause), a dry run that stores nothing, a missing pod, and the cloud's 501.
import { afterEach, describe, expect, it } from 'vitest';
import { FARGATE_EPHEMERAL_CONTAINERS_UNAVAILABLE } from '../../src/adapters/fargate/ephemeral-containers.ts';
import { createTestApi, type TestApi } from './support.ts';

const NS = '/api/v1/namespaces/default';
const SMP = { 'content-type': 'application/strategic-merge-patch+json' };
let api: TestApi | undefined;
afterEach(() => api?.close());

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web' },
  spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
};
const debugPatch = (extra: Record<string, unknown> = {}) => ({
  spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox', command: ['sh'], ...extra }] },
});

async function withPod(overrides: Parameters<typeof createTestApi>[0] = {}): Promise<TestApi> {
  api = createTestApi(overrides);
  const created = await api.request('POST', `${NS}/pods`, { body: POD });
  expect(created.status).toBe(201);
  return api;
}

describe('pods/ephemeralcontainers', () => {
  it('a strategic-merge patch adds the container; GET of the subresource returns the pod', async () => {
    const t = await withPod();
    const res = await t.request('PATCH', `${NS}/pods/web/ephemeralcontainers`, {
      headers: SMP,
      body: debugPatch({ targetContainerName: 'app' }),
    });
    expect(res.status).toBe(200);
    const got = await t.request('GET', `${NS}/pods/web/ephemeralcontainers`);
    expect(got.json).toMatchObject({
      kind: 'Pod',
      spec: {
        ephemeralContainers: [
          {
            name: 'debugger',
            targetContainerName: 'app',
            terminationMessagePolicy: 'File',
            imagePullPolicy: 'Always',
          },
        ],
      },
    });
  });

  it('an invalid update is 422 Invalid with the field path of each error as a cause', async () => {
    const t = await withPod();
    const res = await t.request('PATCH', `${NS}/pods/web/ephemeralcontainers`, {
      headers: SMP,
      body: debugPatch({ ports: [{ containerPort: 80 }], livenessProbe: { exec: { command: ['true'] } } }),
    });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      kind: 'Status',
      code: 422,
      reason: 'Invalid',
      details: {
        name: 'web',
        kind: 'Pod',
        causes: [
          { field: 'spec.ephemeralContainers[0].ports', reason: 'FieldValueForbidden' },
          { field: 'spec.ephemeralContainers[0].livenessProbe', reason: 'FieldValueForbidden' },
        ],
      },
    });
    const got = await t.request('GET', `${NS}/pods/web`);
    expect((got.json.spec as { ephemeralContainers?: unknown }).ephemeralContainers).toBeUndefined();
  });

  it('a PUT that removes one is 422', async () => {
    const t = await withPod();
    const added = await t.request('PATCH', `${NS}/pods/web/ephemeralcontainers`, {
      headers: SMP,
      body: debugPatch(),
    });
    expect(added.status).toBe(200);
    const body = { ...added.json, spec: { ...(added.json.spec as object), ephemeralContainers: [] } };
    const res = await t.request('PUT', `${NS}/pods/web/ephemeralcontainers`, { body });
    expect(res.json).toMatchObject({
      code: 422,
      details: { causes: [{ field: 'spec.ephemeralContainers', reason: 'FieldValueForbidden' }] },
    });
  });

  it('the field policy applies to ephemeral containers: privileged is refused, tty is warned about', async () => {
    const t = await withPod();
    const refused = await t.request('PATCH', `${NS}/pods/web/ephemeralcontainers`, {
      headers: SMP,
      body: debugPatch({ securityContext: { privileged: true } }),
    });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.json)).toContain('spec.ephemeralContainers[0].securityContext.privileged');
    const warned = await t.request('PATCH', `${NS}/pods/web/ephemeralcontainers`, {
      headers: SMP,
      body: debugPatch({ stdin: true, tty: true }),
    });
    expect(warned.status).toBe(200);
    expect(warned.headers.warning?.join('\n')).toContain(
      'spec.ephemeralContainers[0].tty: ignored: podflow allocates no terminal',
    );
  });

  it('a dry run answers with the pod it would store and stores nothing', async () => {
    const t = await withPod();
    const res = await t.request('PATCH', `${NS}/pods/web/ephemeralcontainers`, {
      headers: SMP,
      query: { dryRun: 'All' },
      body: debugPatch(),
    });
    expect(res.status).toBe(200);
    expect(
      (res.json.spec as { ephemeralContainers: Array<{ name: string }> }).ephemeralContainers[0]!.name,
    ).toBe('debugger');
    const got = await t.request('GET', `${NS}/pods/web`);
    expect((got.json.spec as { ephemeralContainers?: unknown }).ephemeralContainers).toBeUndefined();
  });

  it('server-side apply to the subresource of a missing pod is 404, not a create', async () => {
    api = createTestApi();
    const res = await api.request('PATCH', `${NS}/pods/nope/ephemeralcontainers`, {
      headers: { 'content-type': 'application/apply-patch+yaml' },
      query: { fieldManager: 'test' },
      body: { ...POD, metadata: { name: 'nope' }, ...debugPatch() },
    });
    expect(res.json).toMatchObject({ code: 404, reason: 'NotFound' });
    expect((await api.request('GET', `${NS}/pods/nope`)).status).toBe(404);
  });

  it('the cloud (a runtime that cannot add a container to a running pod) answers 501 with the reason', async () => {
    const t = await withPod({ ephemeralContainersUnavailable: FARGATE_EPHEMERAL_CONTAINERS_UNAVAILABLE });
    for (const method of ['PATCH', 'PUT'] as const) {
      const res = await t.request(method, `${NS}/pods/web/ephemeralcontainers`, {
        headers: method === 'PATCH' ? SMP : {},
        body: method === 'PATCH' ? debugPatch() : { ...POD, ...debugPatch() },
      });
      expect(res.json).toMatchObject({
        code: 501,
        status: 'Failure',
        message: FARGATE_EPHEMERAL_CONTAINERS_UNAVAILABLE,
      });
    }
    const missing = await t.request('PATCH', `${NS}/pods/nope/ephemeralcontainers`, {
      headers: SMP,
      body: debugPatch(),
    });
    expect(missing.json).toMatchObject({ code: 404 });
  });
});
