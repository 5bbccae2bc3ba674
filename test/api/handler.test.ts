// The api handler through API Gateway proxy events (no network): routing, Status shapes, discovery, create/get/list
// with selectors, Table output, updates and patches, delete, the status subresource, events, logs, exec, auth and
// body limits. The engine's use cases are real (createEngine on an in-memory store); no worker runs (support.ts).
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { negotiateFormat } from '../../src/api/accept.ts';
import { servedPod } from '../../src/api/objects.ts';
import { UnavailableError } from '../../src/ports/errors.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import { createTestApi, podManifest, type TestApi } from './support.ts';

/** A fresh occurrence id: every recording here is a distinct occurrence unless a case says otherwise. */
let occurrences = 0;
const nextOccurrence = (): string => `occurrence-${++occurrences}`;

const NS = '/api/v1/namespaces/default';
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

let t: TestApi;
beforeEach(() => {
  t = createTestApi();
});
afterEach(() => t.close());

/** Sets a stored pod's status as the worker would have (for Table, logs and selectors). */
async function setStatus(key: PodKey, status: Pod['status'], spec?: Partial<Pod['spec']>): Promise<void> {
  const s = (await t.store.get(key))!;
  const pod = { ...s.state.pod, status, spec: { ...s.state.pod.spec!, ...spec } };
  await t.store.update(key, s.resourceVersion, { ...s.state, pod });
}

describe('discovery', () => {
  it.each([
    { path: '/version', check: (j: Record<string, unknown>) => expect(j.gitVersion).toBe('v1.32.0-podflow') },
    {
      path: '/api',
      check: (j: Record<string, unknown>) =>
        expect(j).toMatchObject({ kind: 'APIVersions', versions: ['v1'] }),
    },
    {
      path: '/apis',
      check: (j: Record<string, unknown>) =>
        expect(j).toMatchObject({
          kind: 'APIGroupList',
          groups: [
            {
              name: 'authorization.k8s.io',
              versions: [{ groupVersion: 'authorization.k8s.io/v1', version: 'v1' }],
              preferredVersion: { groupVersion: 'authorization.k8s.io/v1', version: 'v1' },
            },
            {
              name: 'metrics.k8s.io',
              versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
              preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
            },
          ],
        }),
    },
    {
      path: '/api/v1',
      check: (j: Record<string, unknown>) => {
        const resources = j.resources as Array<{ name: string; verbs: string[]; shortNames?: string[] }>;
        expect(resources.map((r) => r.name)).toEqual([
          'configmaps',
          'events',
          'namespaces',
          'pods',
          'pods/attach',
          'pods/ephemeralcontainers',
          'pods/exec',
          'pods/log',
          'pods/portforward',
          'pods/status',
          'secrets',
        ]);
        const pods = resources.find((r) => r.name === 'pods')!;
        expect(pods.verbs).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
        expect(pods.shortNames).toEqual(['po']);
        expect(resources.find((r) => r.name === 'events')!.shortNames).toEqual(['ev']);
        expect(resources.find((r) => r.name === 'configmaps')!.shortNames).toEqual(['cm']);
        expect(resources.find((r) => r.name === 'namespaces')).toMatchObject({
          namespaced: false,
          shortNames: ['ns'],
        });
        expect(resources.find((r) => r.name === 'secrets')!.shortNames).toBeUndefined();
      },
    },
  ])('GET $path', async ({ path, check }) => {
    const res = await t.request('GET', path);
    expect(res.status).toBe(200);
    check(res.json);
  });

  it('serves an OpenAPI v3 document that tells kubectl the pods PATCH takes fieldValidation', async () => {
    const root = await t.request('GET', '/openapi/v3');
    const url = (root.json.paths as Record<string, { serverRelativeURL: string }>)['api/v1']!
      .serverRelativeURL;
    const [path, query] = url.split('?');
    const doc = await t.request('GET', path!, { query: Object.fromEntries(new URLSearchParams(query)) });
    const patch = (
      doc.json.paths as Record<string, Record<string, { parameters: Array<{ name: string; in: string }> }>>
    )['/api/v1/namespaces/{namespace}/pods/{name}']!.patch!;
    expect(patch.parameters).toContainEqual(
      expect.objectContaining({ name: 'fieldValidation', in: 'query' }),
    );
    const authz = (root.json.paths as Record<string, { serverRelativeURL: string }>)[
      'apis/authorization.k8s.io/v1'
    ]!.serverRelativeURL.split('?')[0]!;
    expect(Object.keys((await t.request('GET', authz)).json.paths as object)).toEqual([
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    ]);
    expect((await t.request('GET', '/openapi/v3/apis/batch/v1')).status).toBe(404);
  });

  it('serves OpenAPI v2 as JSON; a request for protobuf only is 406 (client-go then does without)', async () => {
    const v2 = await t.request('GET', '/openapi/v2', { headers: { accept: 'application/json' } });
    expect(v2.status).toBe(200);
    expect(v2.json.swagger).toBe('2.0');
    expect(Object.keys(v2.json.definitions as object)).toContain('io.k8s.api.core.v1.Pod');
    const pb = await t.request('GET', '/openapi/v2', {
      headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
    });
    expect([pb.status, pb.json.kind, pb.json.reason]).toEqual([406, 'Status', 'NotAcceptable']);
  });
});

describe('Status objects', () => {
  it.each([
    {
      name: 'unknown path',
      method: 'GET',
      path: '/api/v2/things',
      code: 404,
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    },
    {
      name: 'unknown resource',
      method: 'GET',
      path: `${NS}/services`,
      code: 404,
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    },
    {
      name: 'missing pod',
      method: 'GET',
      path: `${NS}/pods/nope`,
      code: 404,
      reason: 'NotFound',
      message: 'pods "nope" not found',
    },
    {
      name: 'verb a path does not serve',
      method: 'POST',
      path: '/version',
      code: 405,
      reason: 'MethodNotAllowed',
      message: 'the server does not allow this method on the requested resource',
    },
    {
      name: 'PUT on the collection',
      method: 'PUT',
      path: `${NS}/pods`,
      code: 405,
      reason: 'MethodNotAllowed',
      message: 'the server does not allow this method on the requested resource',
    },
    {
      name: 'invalid namespace name',
      method: 'GET',
      path: '/api/v1/namespaces/Not_A_Label/pods',
      code: 404,
      reason: 'NotFound',
      message: 'namespaces "Not_A_Label" not found',
    },
  ])('$name → $code $reason', async ({ method, path, code, reason, message }) => {
    const res = await t.request(method, path);
    expect(res.status).toBe(code);
    expect(res.headers['content-type']).toEqual(['application/json']);
    expect(res.json).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason,
      code,
      message,
    });
  });

  it('a missing pod names the resource in details', async () => {
    const res = await t.request('GET', `${NS}/pods/nope`);
    expect(res.json.details).toEqual({ name: 'nope', kind: 'pods' });
  });

  it('an invalid pod is a 422 with the API server message and one cause per field error', async () => {
    const res = await t.request('POST', `${NS}/pods`, {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'Bad_Name' },
        spec: { containers: [{ name: 'c' }] },
      },
    });
    expect(res.status).toBe(422);
    expect(res.json.reason).toBe('Invalid');
    expect(res.json.message).toMatch(
      /^Pod "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": .*, spec\.containers\[0\]\.image: Required value\]$/,
    );
    const details = res.json.details as { name: string; kind: string; causes: Array<Record<string, string>> };
    expect(details).toMatchObject({ name: 'Bad_Name', kind: 'Pod' });
    expect(details.causes).toContainEqual({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.containers[0].image',
    });
    expect(details.causes).toContainEqual(
      expect.objectContaining({ reason: 'FieldValueInvalid', field: 'metadata.name' }),
    );
  });

  it('a single field error is not bracketed', async () => {
    const res = await t.request('POST', `${NS}/pods`, {
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'c' }] } },
    });
    expect(res.json.message).toBe('Pod "x" is invalid: spec.containers[0].image: Required value');
  });

  it('a dependency that fails in a way a retry may get past is 503 ServiceUnavailable with Retry-After, and reported', async () => {
    const reported: unknown[] = [];
    const api = createTestApi({ onError: (err) => void reported.push(err) });
    try {
      await api.createPod(podManifest('web'));
      const failure = new UnavailableError(
        'DynamoDB table pods: list pods in default failed: ThrottlingException: Rate of requests exceeds the allowed throughput.',
      );
      // A list reads the store (a GET of one pod is served from the watch cache here).
      api.store.list = async () => {
        throw failure;
      };
      const res = await api.request('GET', `${NS}/pods`);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toEqual(['1']);
      expect(res.json).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'ServiceUnavailable',
        code: 503,
        message: `the server is currently unable to handle the request: ${failure.message}`,
        details: { retryAfterSeconds: 1 },
      });
      expect(reported).toEqual([failure]);
    } finally {
      api.close();
    }
  });

  it('a second create of a name is 409 AlreadyExists', async () => {
    await t.createPod(podManifest('dup'));
    const res = await t.request('POST', `${NS}/pods`, { body: podManifest('dup') });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'pods "dup" already exists',
      details: { name: 'dup', kind: 'pods' },
    });
  });
});

describe('create', () => {
  it('stores a defaulted pod and answers 201 with it', async () => {
    const res = await t.request('POST', `${NS}/pods`, {
      body: podManifest('web', { labels: { app: 'web' } }),
    });
    expect(res.status).toBe(201);
    const pod = res.json as unknown as Pod;
    expect(pod.metadata).toMatchObject({ name: 'web', namespace: 'default', labels: { app: 'web' } });
    expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pod.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
    });
    expect(pod.status).toMatchObject({ phase: 'Pending' });
  });

  it('names a pod from generateName', async () => {
    const res = await t.request('POST', `${NS}/pods`, {
      body: { ...podManifest('x'), metadata: { generateName: 'job-' } },
    });
    expect(res.status).toBe(201);
    expect((res.json.metadata as { name: string }).name).toMatch(/^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('defaults a missing apiVersion/kind to the URL', async () => {
    const { apiVersion: _a, kind: _k, ...bare } = podManifest('bare');
    const res = await t.request('POST', `${NS}/pods`, { body: bare });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
  });

  it('accepts YAML bodies', async () => {
    const yaml =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-yaml\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: [sleep, "1"]\n';
    const res = await t.request('POST', `${NS}/pods`, {
      body: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(res.status).toBe(201);
  });

  it.each([
    {
      name: 'Warn (default): a Warning header per unknown field',
      query: {},
      status: 201,
      warning: '299 - "unknown field \\"spec.containers[0].imagee\\""',
    },
    {
      name: 'Strict: 400 strict decoding error',
      query: { fieldValidation: 'Strict' },
      status: 400,
      warning: undefined,
    },
    { name: 'Ignore: no warning', query: { fieldValidation: 'Ignore' }, status: 201, warning: undefined },
  ])('fieldValidation $name', async ({ query, status, warning }) => {
    const pod = podManifest('unknown-field');
    (pod.spec!.containers[0] as unknown as Record<string, unknown>).imagee = 'typo';
    const res = await t.request('POST', `${NS}/pods`, { body: pod, query });
    expect(res.status).toBe(status);
    if (status === 400)
      expect(res.json.message).toBe('strict decoding error: unknown field "spec.containers[0].imagee"');
    const warnings = (res.headers.warning ?? []).join(', ');
    if (warning) expect(warnings).toContain(warning);
    else expect(warnings).not.toContain('unknown field');
  });

  it('dryRun=All answers as if created and stores nothing', async () => {
    const res = await t.request('POST', `${NS}/pods`, { body: podManifest('dry'), query: { dryRun: 'All' } });
    expect(res.status).toBe(201);
    expect((await t.request('GET', `${NS}/pods/dry`)).status).toBe(404);
  });
});

describe('list and selectors', () => {
  beforeEach(async () => {
    await t.createPod(podManifest('a', { labels: { app: 'web', tier: 'front' } }));
    await t.createPod(podManifest('b', { labels: { app: 'web', tier: 'back' } }));
    await t.createPod(podManifest('c', { labels: { app: 'db' } }));
    await t.createPod(podManifest('d'));
    const ns = await t.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'other' } } });
    expect(ns.status).toBe(201);
    await t.createPod(podManifest('e', { labels: { app: 'web' } }), 'other');
    await setStatus({ namespace: 'default', name: 'a' }, { phase: 'Running' });
  });

  it.each([
    { selector: '', names: ['a', 'b', 'c', 'd'] },
    { selector: 'app=web', names: ['a', 'b'] },
    { selector: 'app==web', names: ['a', 'b'] },
    { selector: 'app!=web', names: ['c', 'd'] },
    { selector: 'app in (db, web)', names: ['a', 'b', 'c'] },
    { selector: 'app notin (web)', names: ['c', 'd'] },
    { selector: 'tier', names: ['a', 'b'] },
    { selector: '!tier', names: ['c', 'd'] },
    { selector: 'app=web,tier!=back', names: ['a'] },
  ])('labelSelector "$selector"', async ({ selector, names }) => {
    const res = await t.request('GET', `${NS}/pods`, { query: selector ? { labelSelector: selector } : {} });
    expect(res.status).toBe(200);
    expect(res.json.kind).toBe('PodList');
    expect((res.json.items as Pod[]).map((p) => p.metadata?.name)).toEqual(names);
  });

  it.each([
    { selector: 'metadata.name=b', names: ['b'] },
    { selector: 'metadata.name!=b', names: ['a', 'c', 'd'] },
    { selector: 'status.phase=Running', names: ['a'] },
    { selector: 'status.phase==Pending,metadata.name!=c', names: ['b', 'd'] },
    { selector: 'metadata.namespace=default', names: ['a', 'b', 'c', 'd'] },
  ])('fieldSelector "$selector"', async ({ selector, names }) => {
    const res = await t.request('GET', `${NS}/pods`, { query: { fieldSelector: selector } });
    expect((res.json.items as Pod[]).map((p) => p.metadata?.name)).toEqual(names);
  });

  it('lists every namespace at /api/v1/pods, with a list resourceVersion at least every item’s', async () => {
    const res = await t.request('GET', '/api/v1/pods', { query: { labelSelector: 'app=web' } });
    const items = res.json.items as Pod[];
    expect(items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual([
      'default/a',
      'default/b',
      'other/e',
    ]);
    const listRv = BigInt((res.json.metadata as { resourceVersion: string }).resourceVersion);
    for (const p of items) expect(BigInt(p.metadata!.resourceVersion!) <= listRv).toBe(true);
  });
});

describe('Table output', () => {
  it('lists pods as a Table with kubectl get pods columns; the wide ones have priority 1', async () => {
    await t.createPod(
      podManifest('web', { spec: { readinessGates: [{ conditionType: 'example.com/gate' }] } }),
    );
    t.clock.advance(75_000);
    const res = await t.request('GET', `${NS}/pods`, { headers: { accept: TABLE_ACCEPT } });
    expect(res.headers['content-type']).toEqual(['application/json;as=Table;v=v1;g=meta.k8s.io']);
    expect(res.json).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    const columns = res.json.columnDefinitions as Array<{ name: string; priority: number }>;
    expect(columns.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    const rows = res.json.rows as Array<{
      cells: unknown[];
      object: { kind: string; metadata: { name: string } };
    }>;
    expect(rows[0]!.cells).toEqual([
      'web',
      '0/1',
      'Pending',
      '0',
      '75s',
      '<none>',
      '<none>',
      '<none>',
      '0/1',
    ]);
    expect(rows[0]!.object).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'web' },
    });
  });

  it('includeObject=Object embeds the whole pod; a single GET is a one-row Table', async () => {
    await t.createPod(podManifest('one'));
    const res = await t.request('GET', `${NS}/pods/one`, {
      headers: { accept: TABLE_ACCEPT },
      query: { includeObject: 'Object' },
    });
    const rows = res.json.rows as Array<{ object: Pod }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.object.kind).toBe('Pod');
  });

  const now = Date.parse('2026-11-28T00:10:00Z');
  const ago = (s: number) => new Date(now - s * 1000).toISOString().replace('.000Z', 'Z');
  const waiting = (name: string, reason: string, restartCount = 0) => ({
    name,
    image: 'x',
    imageID: '',
    ready: false,
    restartCount,
    state: { waiting: { reason } },
  });
  const done = (name: string, exitCode: number, reason: string, restartCount = 0) => ({
    name,
    image: 'x',
    imageID: '',
    ready: false,
    restartCount,
    state: { terminated: { exitCode, reason } },
  });
  const running = (name: string, restartCount = 0, lastFinished?: number) => ({
    name,
    image: 'x',
    imageID: '',
    ready: true,
    restartCount,
    started: true,
    state: { running: { startedAt: ago(60) } },
    lastState:
      lastFinished !== undefined
        ? { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(lastFinished) } }
        : {},
  });
  const twoInits = {
    initContainers: [
      { name: 'i1', image: 'x' },
      { name: 'i2', image: 'x' },
    ],
  };
  it.each([
    {
      name: 'second init container running',
      spec: twoInits,
      status: {
        phase: 'Pending',
        initContainerStatuses: [done('i1', 0, 'Completed'), { ...waiting('i2', ''), state: { running: {} } }],
        containerStatuses: [waiting('app', 'PodInitializing')],
      },
      text: 'Init:1/2',
      restarts: '0',
    },
    {
      name: 'init container crash-looping',
      spec: twoInits,
      status: {
        phase: 'Pending',
        initContainerStatuses: [waiting('i1', 'CrashLoopBackOff', 2)],
        containerStatuses: [waiting('app', 'PodInitializing')],
      },
      text: 'Init:CrashLoopBackOff',
      restarts: '2',
    },
    {
      name: 'init done, app starting',
      spec: twoInits,
      status: {
        phase: 'Pending',
        initContainerStatuses: [done('i1', 0, 'Completed'), done('i2', 0, 'Completed')],
        containerStatuses: [waiting('app', 'PodInitializing')],
        conditions: [{ type: 'Initialized', status: 'True' }],
      },
      text: 'PodInitializing',
      restarts: '0',
    },
    {
      name: 'running',
      spec: {},
      status: {
        phase: 'Running',
        containerStatuses: [running('app')],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
      text: 'Running',
      restarts: '0',
    },
    {
      name: 'restarted 3 times, last 12s ago',
      spec: {},
      status: { phase: 'Running', containerStatuses: [running('app', 3, 12)] },
      text: 'Running',
      restarts: '3 (12s ago)',
    },
    {
      name: 'completed',
      spec: {},
      status: { phase: 'Succeeded', containerStatuses: [done('app', 0, 'Completed')] },
      text: 'Completed',
      restarts: '0',
    },
    {
      name: 'failed',
      spec: {},
      status: { phase: 'Failed', containerStatuses: [done('app', 1, 'Error')] },
      text: 'Error',
      restarts: '0',
    },
    {
      name: 'crash loop',
      spec: {},
      status: { phase: 'Running', containerStatuses: [waiting('app', 'CrashLoopBackOff', 4)] },
      text: 'CrashLoopBackOff',
      restarts: '4',
    },
    {
      name: 'OOM killed',
      spec: {},
      status: { phase: 'Failed', containerStatuses: [done('app', 137, 'OOMKilled')] },
      text: 'OOMKilled',
      restarts: '0',
    },
  ])('STATUS $name → $text, RESTARTS $restarts', async ({ spec, status, text, restarts }) => {
    const t2 = createTestApi({ clock: { now: () => now } });
    try {
      await t2.createPod(podManifest('p', { spec }));
      const s = (await t2.store.get({ namespace: 'default', name: 'p' }))!;
      await t2.store.update(s.key, s.resourceVersion, {
        ...s.state,
        pod: { ...s.state.pod, status: status as Pod['status'] },
      });
      const res = await t2.request('GET', `${NS}/pods/p`, { headers: { accept: TABLE_ACCEPT } });
      const cells = (res.json.rows as Array<{ cells: string[] }>)[0]!.cells;
      expect(cells[2]).toBe(text);
      expect(cells[3]).toBe(restarts);
    } finally {
      t2.close();
    }
  });

  it('a pod being deleted reads Terminating', async () => {
    await t.createPod(podManifest('going'));
    await t.request('DELETE', `${NS}/pods/going`);
    const res = await t.request('GET', `${NS}/pods/going`, { headers: { accept: TABLE_ACCEPT } });
    expect((res.json.rows as Array<{ cells: string[] }>)[0]!.cells[2]).toBe('Terminating');
  });

  it.each([
    { accept: undefined, kind: 'json' },
    { accept: TABLE_ACCEPT, kind: 'table' },
    { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io', kind: 'table' },
    { accept: 'application/vnd.kubernetes.protobuf, application/json', kind: 'json' },
    {
      accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json',
      kind: 'json',
    },
    { accept: 'application/yaml', kind: 'yaml' },
    { accept: '*/*', kind: 'json' },
  ])('Accept $accept → $kind', ({ accept, kind }) => {
    expect(negotiateFormat(accept, true).kind).toBe(kind);
  });

  it('Accept with nothing podflow can produce is 406', async () => {
    const res = await t.request('GET', `${NS}/pods`, {
      headers: { accept: 'application/vnd.kubernetes.protobuf' },
    });
    expect(res.status).toBe(406);
    expect(res.json.reason).toBe('NotAcceptable');
  });
});

describe('update and patch', () => {
  const path = `${NS}/pods/web`;
  beforeEach(async () => {
    await t.createPod(
      podManifest('web', {
        labels: { app: 'web' },
        spec: {
          containers: [
            { name: 'app', image: 'busybox:1', command: ['sleep', '60'], env: [{ name: 'A', value: '1' }] },
            { name: 'side', image: 'busybox:1', command: ['sleep', '60'] },
          ],
        },
      }),
    );
  });
  const current = async (): Promise<Pod> =>
    servedPod((await t.store.get({ namespace: 'default', name: 'web' }))!);

  it('PUT with the current resourceVersion changes labels', async () => {
    const pod = await current();
    const res = await t.request('PUT', path, {
      body: { ...pod, metadata: { ...pod.metadata, labels: { app: 'web', v: '2' } } },
    });
    expect(res.status).toBe(200);
    expect((res.json.metadata as { labels: object }).labels).toEqual({ app: 'web', v: '2' });
  });

  it('a dry-run update answers exactly what the real update then stores (images, deadline, labels)', async () => {
    const pod = await current();
    const body = {
      ...pod,
      metadata: { ...pod.metadata, labels: { app: 'web', v: '2' }, annotations: { note: 'x' } },
      spec: {
        ...pod.spec!,
        activeDeadlineSeconds: 600,
        containers: pod.spec!.containers.map((c) => (c.name === 'app' ? { ...c, image: 'busybox:2' } : c)),
      },
    };
    const dry = await t.request('PUT', path, { body, query: { dryRun: 'All' } });
    expect(dry.status).toBe(200);
    expect(await current()).toEqual(pod); // nothing stored
    const real = await t.request('PUT', path, { body });
    expect(real.status).toBe(200);
    const withoutVersion = (o: Record<string, unknown>) => ({
      ...o,
      metadata: { ...(o.metadata as object), resourceVersion: undefined },
    });
    expect(withoutVersion(dry.json)).toEqual(withoutVersion(real.json));
    expect((real.json.spec as Pod['spec'])!.containers[0]!.image).toBe('busybox:2');
    expect((real.json.spec as Pod['spec'])!.activeDeadlineSeconds).toBe(600);
  });

  it('PUT without a resourceVersion is unconditional (pods allow it)', async () => {
    const pod = await current();
    const { resourceVersion: _rv, ...metadata } = pod.metadata!;
    const res = await t.request('PUT', path, {
      body: { ...pod, metadata: { ...metadata, labels: { v: '3' } } },
    });
    expect(res.status).toBe(200);
  });

  it('PUT with a stale resourceVersion is 409 Conflict', async () => {
    const pod = await current();
    await t.request('PATCH', path, {
      body: { metadata: { labels: { touched: 'yes' } } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    const res = await t.request('PUT', path, { body: pod });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'web', kind: 'pods' },
    });
  });

  it.each([
    {
      name: 'merge patch sets and deletes labels',
      type: 'application/merge-patch+json',
      body: { metadata: { labels: { app: null, tier: 'front' } } },
      check: (p: Pod) => expect(p.metadata?.labels).toEqual({ tier: 'front' }),
    },
    {
      name: 'strategic merge patch changes one container image by name, keeping the rest',
      type: 'application/strategic-merge-patch+json',
      body: { spec: { containers: [{ name: 'side', image: 'busybox:2' }] } },
      check: (p: Pod) => {
        expect(p.spec?.containers.map((c) => [c.name, c.image])).toEqual([
          ['app', 'busybox:1'],
          ['side', 'busybox:2'],
        ]);
        expect(p.spec?.containers[1]!.command).toEqual(['sleep', '60']);
      },
    },
    {
      name: 'JSON patch adds an annotation (~1 escapes /)',
      type: 'application/json-patch+json',
      body: [
        { op: 'add', path: '/metadata/annotations', value: {} },
        { op: 'add', path: '/metadata/annotations/example.com~1note', value: 'hi' },
      ],
      check: (p: Pod) => expect(p.metadata?.annotations).toEqual({ 'example.com/note': 'hi' }),
    },
    {
      name: 'JSON patch test op that holds',
      type: 'application/json-patch+json',
      body: [
        { op: 'test', path: '/metadata/name', value: 'web' },
        { op: 'replace', path: '/spec/containers/0/image', value: 'busybox:3' },
      ],
      check: (p: Pod) => expect(p.spec?.containers[0]!.image).toBe('busybox:3'),
    },
  ])('$name', async ({ type, body, check }) => {
    const res = await t.request('PATCH', path, { body, headers: { 'content-type': type } });
    expect(res.status).toBe(200);
    check(res.json as unknown as Pod);
    check(await current());
  });

  it.each([
    {
      name: 'immutable field → 422 with the API server text',
      type: 'application/merge-patch+json',
      body: { spec: { restartPolicy: 'Never' } },
      code: 422,
      reason: 'Invalid',
      message:
        /^Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`/,
    },
    {
      name: 'JSON patch on a missing path → 422',
      type: 'application/json-patch+json',
      body: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }],
      code: 422,
      reason: 'Invalid',
      message: /missing path/,
    },
    {
      name: 'JSON patch test that fails → 422',
      type: 'application/json-patch+json',
      body: [{ op: 'test', path: '/metadata/name', value: 'other' }],
      code: 422,
      reason: 'Invalid',
      message: /test failed/,
    },
    {
      name: 'JSON patch that is not a list → 400',
      type: 'application/json-patch+json',
      body: { op: 'add' },
      code: 400,
      reason: 'BadRequest',
      message: /jsonpatch/,
    },
    {
      name: 'invalid patch JSON → 400',
      type: 'application/merge-patch+json',
      body: '{"metadata": ',
      code: 400,
      reason: 'BadRequest',
      message: /error decoding patch/,
    },
    {
      name: 'unsupported patch type → 415',
      type: 'text/plain',
      body: '{}',
      code: 415,
      reason: 'UnsupportedMediaType',
      message: /accepted media types include: application\/json-patch\+json/,
    },
    {
      name: 'patch with a stale resourceVersion → 409',
      type: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: '999999', labels: { x: 'y' } } },
      code: 409,
      reason: 'Conflict',
      message: /the object has been modified/,
    },
    {
      name: 'patched value of the wrong type → 422 on patch',
      type: 'application/merge-patch+json',
      body: { spec: 'x' },
      code: 422,
      reason: 'Invalid',
      message:
        /patch: Invalid value: .*cannot unmarshal string into Go struct field Pod\.spec of type v1\.PodSpec/,
    },
    {
      name: 'apply without fieldManager → 400',
      type: 'application/apply-patch+yaml',
      body: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n',
      code: 400,
      reason: 'BadRequest',
      message: /fieldManager/,
    },
  ])('$name', async ({ type, body, code, reason, message }) => {
    const res = await t.request('PATCH', path, { body, headers: { 'content-type': type } });
    expect(res.status).toBe(code);
    expect(res.json.reason).toBe(reason);
    expect(res.json.message).toMatch(message);
  });

  it('server-side apply merges into an existing pod and creates a missing one', async () => {
    const applied = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    applied: "yes"\n';
    const res = await t.request('PATCH', path, {
      body: applied,
      headers: { 'content-type': 'application/apply-patch+yaml' },
      query: { fieldManager: 'test' },
    });
    expect(res.status).toBe(200);
    expect((res.json.metadata as { labels: object }).labels).toEqual({ app: 'web', applied: 'yes' });
    const created = await t.request('PATCH', `${NS}/pods/new-one`, {
      body: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: new-one\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: [sleep, "1"]\n',
      headers: { 'content-type': 'application/apply-patch+yaml' },
      query: { fieldManager: 'test' },
    });
    expect(created.status).toBe(201);
  });

  it('a patch of a missing pod is 404', async () => {
    const res = await t.request('PATCH', `${NS}/pods/nope`, {
      body: {},
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(res.status).toBe(404);
  });
});

describe('delete', () => {
  beforeEach(async () => {
    await t.createPod(podManifest('web'));
  });

  it.each([
    { name: 'no options: the pod grace', query: {}, body: undefined, grace: 30 },
    {
      name: 'gracePeriodSeconds in the query',
      query: { gracePeriodSeconds: '5' },
      body: undefined,
      grace: 5,
    },
    {
      name: 'DeleteOptions body wins over the query',
      query: { gracePeriodSeconds: '5' },
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 7 },
      grace: 7,
    },
    {
      name: 'negative grace is 1s (rest/delete.go)',
      query: { gracePeriodSeconds: '-3' },
      body: undefined,
      grace: 1,
    },
    {
      name: 'kubectl delete body',
      query: {},
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      grace: 30,
    },
  ])('$name → 200 with deletionTimestamp, grace $grace', async ({ query, body, grace }) => {
    const res = await t.request('DELETE', `${NS}/pods/web`, { query, ...(body ? { body } : {}) });
    expect(res.status).toBe(200);
    const meta = res.json.metadata as { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
    expect(meta.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(meta.deletionGracePeriodSeconds).toBe(grace);
  });

  it.each([
    {
      name: 'uid precondition that does not hold → 409',
      body: { preconditions: { uid: 'other' } },
      code: 409,
      reason: 'Conflict',
    },
    {
      name: 'resourceVersion precondition that does not hold → 409',
      body: { preconditions: { resourceVersion: '999999' } },
      code: 409,
      reason: 'Conflict',
    },
    {
      name: 'unknown propagationPolicy → 422',
      body: { propagationPolicy: 'Sideways' },
      code: 422,
      reason: 'Invalid',
    },
    {
      name: 'grace of the wrong type → 400',
      body: { gracePeriodSeconds: 'soon' },
      code: 400,
      reason: 'BadRequest',
    },
  ])('$name', async ({ body, code, reason }) => {
    const res = await t.request('DELETE', `${NS}/pods/web`, { body });
    expect(res.status).toBe(code);
    expect(res.json.reason).toBe(reason);
  });

  it('deleting a missing pod is 404', async () => {
    const res = await t.request('DELETE', `${NS}/pods/nope`);
    expect(res.json).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "nope" not found' });
  });
});

describe('status subresource', () => {
  beforeEach(async () => {
    await t.createPod(
      podManifest('gated', { spec: { readinessGates: [{ conditionType: 'example.com/ready' }] } }),
    );
  });

  it('PATCH status sets a readiness gate condition; kubelet conditions and other status fields are not written', async () => {
    const res = await t.request('PATCH', `${NS}/pods/gated/status`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: {
        status: {
          phase: 'Failed',
          conditions: [
            { type: 'example.com/ready', status: 'True' },
            { type: 'Ready', status: 'True' },
          ],
        },
      },
    });
    expect(res.status).toBe(200);
    const pod = res.json as unknown as Pod;
    expect(pod.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'example.com/ready', status: 'True' }),
    );
    expect(pod.status?.conditions?.some((c) => c.type === 'Ready')).toBe(false);
    expect(pod.status?.phase).toBe('Pending');
  });

  it('a condition with an invalid status is 422', async () => {
    const res = await t.request('PATCH', `${NS}/pods/gated/status`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { status: { conditions: [{ type: 'example.com/ready', status: 'Maybe' }] } },
    });
    expect(res.status).toBe(422);
    expect(res.json.message).toContain('status.conditions[0].status: Unsupported value: "Maybe"');
  });

  it('GET status returns the pod', async () => {
    const res = await t.request('GET', `${NS}/pods/gated/status`);
    expect(res.json).toMatchObject({ kind: 'Pod', metadata: { name: 'gated' } });
  });
});

describe('watch through a buffered event', () => {
  it('sends the current pods as ADDED and ends at timeoutSeconds', async () => {
    await t.createPod(podManifest('w1'));
    const res = await t.request('GET', `${NS}/pods`, { query: { watch: '1', timeoutSeconds: '1' } });
    expect(res.status).toBe(200);
    const events = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: Pod });
    expect(events.map((e) => [e.type, e.object.metadata?.name])).toEqual([['ADDED', 'w1']]);
  });

  it('sends Tables when asked: column definitions on the first event only', async () => {
    await t.createPod(podManifest('w1'));
    await t.createPod(podManifest('w2'));
    const res = await t.request('GET', `${NS}/pods`, {
      query: { watch: 'true', timeoutSeconds: '1' },
      headers: { accept: TABLE_ACCEPT },
    });
    const events = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { object: { kind: string; columnDefinitions: unknown[] } });
    expect(events.map((e) => [e.object.kind, e.object.columnDefinitions.length])).toEqual([
      ['Table', 9],
      ['Table', 0],
    ]);
  });

  it.each([
    { name: 'timeoutSeconds not a number', query: { watch: '1', timeoutSeconds: 'soon' } },
    { name: 'negative timeoutSeconds', query: { watch: '1', timeoutSeconds: '-1' } },
    { name: 'watch not a boolean', query: { watch: 'maybe' } },
    { name: 'resourceVersion not a number', query: { watch: '1', resourceVersion: 'abc' } },
  ])('$name → 400', async ({ query }) => {
    const res = await t.request('GET', `${NS}/pods`, { query });
    expect(res.status).toBe(400);
    expect(res.json.reason).toBe('BadRequest');
  });
});

describe('events', () => {
  beforeEach(async () => {
    await t.createPod(podManifest('web'));
    const uid = (await t.store.get({ namespace: 'default', name: 'web' }))!.state.pod.metadata!.uid!;
    for (const reason of ['Scheduled', 'Started', 'Started']) {
      await t.store.recordEvent({
        occurrence: nextOccurrence(),
        namespace: 'default',
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid },
        type: 'Normal',
        reason,
        message:
          reason === 'Scheduled'
            ? 'Successfully assigned default/web to podflow-local'
            : 'Started container app',
        source: { component: 'kubelet', host: 'podflow-local' },
        at: t.clock.now(),
      });
    }
  });

  it('lists events of one pod with the field selector kubectl describe sends, as core/v1 Events', async () => {
    const uid = (await t.store.get({ namespace: 'default', name: 'web' }))!.state.pod.metadata!.uid!;
    const res = await t.request('GET', `${NS}/events`, {
      query: {
        fieldSelector: `involvedObject.name=web,involvedObject.namespace=default,involvedObject.kind=Pod,involvedObject.uid=${uid}`,
      },
    });
    expect(res.status).toBe(200);
    expect(res.json.kind).toBe('EventList');
    const items = res.json.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength(2);
    expect(items[1]).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: 'default' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'default', uid },
      reason: 'Started',
      type: 'Normal',
      count: 2,
      source: { component: 'kubelet', host: 'podflow-local' },
      reportingComponent: 'kubelet',
    });
    expect(items[1]!.firstTimestamp).toMatch(/Z$/);
    expect(items[1]!.lastTimestamp).toMatch(/Z$/);
    expect((items[1]!.metadata as { resourceVersion: string }).resourceVersion).toMatch(/^\d+$/);
  });

  it('lists every namespace at /api/v1/events and prints a Table', async () => {
    const res = await t.request('GET', '/api/v1/events', {
      headers: { accept: TABLE_ACCEPT },
      query: { fieldSelector: 'reason=Started' },
    });
    const rows = res.json.rows as Array<{ cells: unknown[] }>;
    expect(rows.map((r) => r.cells.slice(1, 5))).toEqual([['Normal', 'Started', 'pod/web', '']]);
  });

  it('a watch sends each event as recorded, about the pod it names: a re-created pod gets its own events', async () => {
    // The predecessor's `Started container app` (count 2, recorded in beforeEach) has the same reason and message.
    await t.store.remove({ namespace: 'default', name: 'web' });
    await t.createPod(podManifest('web'));
    const uid = (await t.store.get({ namespace: 'default', name: 'web' }))!.state.pod.metadata.uid;
    const listed = await t.request('GET', `${NS}/events`);
    const from = (listed.json.metadata as { resourceVersion: string }).resourceVersion;
    const watching = t.request('GET', `${NS}/events`, {
      query: { watch: '1', resourceVersion: from, timeoutSeconds: '1' },
    });
    await t.store.recordEvent({
      occurrence: nextOccurrence(),
      namespace: 'default',
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid },
      type: 'Normal',
      reason: 'Started',
      message: 'Started container app',
      source: { component: 'kubelet', host: 'podflow-local' },
      at: t.clock.now(),
    });
    const lines = (await watching).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: Event });
    expect(lines.map((l) => [l.type, l.object.reason, l.object.involvedObject.uid, l.object.count])).toEqual([
      ['ADDED', 'Started', uid, 1],
    ]);
  });

  it('a watch from a resourceVersion sends the events recorded after it, each once', async () => {
    const listed = await t.request('GET', `${NS}/events`);
    const from = (listed.json.metadata as { resourceVersion: string }).resourceVersion;
    const uid = (await t.store.get({ namespace: 'default', name: 'web' }))!.state.pod.metadata.uid;
    // Recorded after the list, before the watch opens: a client re-watching from its list must not miss it.
    await t.store.recordEvent({
      occurrence: nextOccurrence(),
      namespace: 'default',
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid },
      type: 'Normal',
      reason: 'Killing',
      message: 'Stopping container app',
      source: { component: 'kubelet', host: 'podflow-local' },
      at: t.clock.now(),
    });
    const res = await t.request('GET', `${NS}/events`, {
      query: { watch: '1', resourceVersion: from, timeoutSeconds: '1' },
    });
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: Event });
    expect(lines.map((l) => [l.type, l.object.reason])).toEqual([['ADDED', 'Killing']]);
  });

  it('an unsupported field selector is 400', async () => {
    const res = await t.request('GET', `${NS}/events`, { query: { fieldSelector: 'spec.x=1' } });
    expect(res.json).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'field label not supported: spec.x',
    });
  });
});

describe('logs', () => {
  const lines = ['2026-11-28T00:00:01.5Z one', '2026-11-28T00:00:02Z two', '2026-11-28T00:00:03Z three'];
  let requested: Array<{ container: string; instance: number }>;
  beforeEach(async () => {
    requested = [];
    t.close();
    t = createTestApi({
      logs: {
        logs: async (ref) => {
          requested.push({ container: ref.container, instance: ref.instance });
          return lines;
        },
      },
    });
    t.clock.set(Date.parse('2026-11-28T00:00:04Z'));
    await t.createPod(podManifest('web'));
    await setStatus(
      { namespace: 'default', name: 'web' },
      {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            image: 'busybox',
            imageID: '',
            ready: true,
            restartCount: 2,
            containerID: 'podflow://uid/app/2',
            state: { running: { startedAt: '2026-11-28T00:00:00Z' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', containerID: 'podflow://uid/app/1' } },
          },
        ],
      },
    );
  });

  it.each([
    { name: 'everything', query: {}, body: 'one\ntwo\nthree\n', instance: 2 },
    { name: 'tailLines', query: { tailLines: '2' }, body: 'two\nthree\n', instance: 2 },
    {
      name: 'timestamps',
      query: { tailLines: '1', timestamps: 'true' },
      body: '2026-11-28T00:00:03Z three\n',
      instance: 2,
    },
    { name: 'sinceSeconds', query: { sinceSeconds: '2' }, body: 'two\nthree\n', instance: 2 },
    { name: 'limitBytes', query: { limitBytes: '6' }, body: 'one\ntw', instance: 2 },
    {
      name: 'previous: the instance in lastState',
      query: { previous: 'true' },
      body: 'one\ntwo\nthree\n',
      instance: 1,
    },
    { name: 'container named', query: { container: 'app' }, body: 'one\ntwo\nthree\n', instance: 2 },
  ])('$name', async ({ query, body, instance }) => {
    const res = await t.request('GET', `${NS}/pods/web/log`, { query });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']?.[0]).toMatch(/^text\/plain/);
    expect(res.body).toBe(body);
    expect(requested.at(-1)).toEqual({ container: 'app', instance });
  });

  it.each([
    {
      name: 'unknown container',
      query: { container: 'nope' },
      code: 400,
      message: 'container nope is not valid for pod web',
    },
    {
      name: 'negative tailLines',
      query: { tailLines: '-1' },
      code: 422,
      message:
        'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    },
    {
      name: 'both since options',
      query: { sinceSeconds: '1', sinceTime: '2026-11-28T00:00:00Z' },
      code: 422,
      message:
        'PodLogOptions "web" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    },
  ])('$name → $code', async ({ query, code, message }) => {
    const res = await t.request('GET', `${NS}/pods/web/log`, { query });
    expect(res.status).toBe(code);
    expect(res.json.message).toBe(message);
  });

  it('a container that never ran has no previous instance', async () => {
    await t.createPod(podManifest('fresh'));
    const res = await t.request('GET', `${NS}/pods/fresh/log`, { query: { previous: 'true' } });
    expect(res.json).toMatchObject({
      code: 400,
      message: 'previous terminated container "app" in pod "fresh" not found',
    });
  });

  it('without a container runtime (the cloud) logs are 501', async () => {
    const cloud = createTestApi();
    try {
      await cloud.createPod(podManifest('web'));
      const res = await cloud.request('GET', `${NS}/pods/web/log`);
      expect(res.json).toMatchObject({ code: 501, status: 'Failure' });
    } finally {
      cloud.close();
    }
  });
});

describe('access reviews (authorization.k8s.io/v1)', () => {
  const review = (spec: Record<string, unknown>) =>
    t.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec },
    });

  it.each([
    [{ verb: 'create', resource: 'pods', namespace: 'default' }, { allowed: true }],
    [{ verb: 'get', resource: 'pods', subresource: 'log' }, { allowed: true }],
    [{ verb: 'patch', resource: 'pods', subresource: 'log' }, { allowed: false }],
    [
      { verb: 'list', group: 'apps', resource: 'deployments' },
      { allowed: false, reason: 'podflow does not serve deployments.apps' },
    ],
    [{ verb: '*', resource: '*', group: '*' }, { allowed: true }],
  ])('%o → %o', async (resourceAttributes, status) => {
    const res = await review({ resourceAttributes });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ kind: 'SelfSubjectAccessReview', spec: { resourceAttributes }, status });
  });

  it('non-resource paths: GET of discovery and version only', async () => {
    expect(
      (await review({ nonResourceAttributes: { path: '/apis/apps', verb: 'get' } })).json.status,
    ).toEqual({
      allowed: true,
    });
    expect(
      (await review({ nonResourceAttributes: { path: '/metrics', verb: 'get' } })).json.status,
    ).toMatchObject({ allowed: false });
  });

  it('exactly one of resourceAttributes and nonResourceAttributes, as the API server validates', async () => {
    for (const spec of [
      {},
      { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/api' } },
    ]) {
      const res = await review(spec);
      expect(res.status).toBe(422);
      expect(res.json).toMatchObject({ reason: 'Invalid', details: { kind: 'SelfSubjectAccessReview' } });
      expect(res.json.message).toMatch(/exactly one of nonResourceAttributes or resourceAttributes/);
    }
  });
});

describe('exec, auth and limits', () => {
  it('exec without an upgrade is 400 where exec is served, 501 where it is not', async () => {
    await t.createPod(podManifest('web'));
    expect((await t.request('POST', `${NS}/pods/web/exec`, { query: { command: 'env' } })).json.code).toBe(
      501,
    );
    const local = createTestApi({ exec: true });
    try {
      await local.createPod(podManifest('web'));
      const res = await local.request('POST', `${NS}/pods/web/exec`, { query: { command: 'env' } });
      expect(res.json).toMatchObject({ code: 400, message: 'Upgrade request required' });
    } finally {
      local.close();
    }
  });

  it('port-forward without an upgrade is 400 where it is served, 501 with the reason in the cloud', async () => {
    await t.createPod(podManifest('fwd'));
    const cloud = await t.request('POST', `${NS}/pods/fwd/portforward`, { query: { ports: '8080' } });
    expect(cloud.json).toMatchObject({
      kind: 'Status',
      code: 501,
      reason: 'NotImplemented',
      message:
        'port-forward is not available from this podflow API: the cloud deployment runs pods as ECS Fargate tasks, which the API cannot connect to',
    });
    expect((await t.request('GET', `${NS}/pods/missing/portforward`)).json).toMatchObject({ code: 404 });
    const local = createTestApi({ portForward: true });
    try {
      await local.createPod(podManifest('fwd'));
      const res = await local.request('POST', `${NS}/pods/fwd/portforward`);
      expect(res.json).toMatchObject({ code: 400, message: 'Upgrade request required' });
    } finally {
      local.close();
    }
  });

  it('with a token, a request without the bearer token is 401 and with it 200', async () => {
    const secured = createTestApi({ token: 's3cret' });
    try {
      expect((await secured.request('GET', '/api/v1')).json).toMatchObject({
        kind: 'Status',
        code: 401,
        reason: 'Unauthorized',
      });
      expect(
        (await secured.request('GET', '/api/v1', { headers: { authorization: 'Bearer wrong' } })).status,
      ).toBe(401);
      expect(
        (await secured.request('GET', '/api/v1', { headers: { authorization: 'Bearer s3cret' } })).status,
      ).toBe(200);
    } finally {
      secured.close();
    }
  });

  it.each([
    { name: 'plain body', base64: false },
    { name: 'base64 body', base64: true },
  ])('a $name over 256 KiB is 413 before it is decoded', async ({ base64 }) => {
    const res = await t.request('POST', `${NS}/pods`, {
      body: `{"pad":"${'x'.repeat(300 * 1024)}"}`,
      base64,
    });
    expect(res.json).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
  });
});
