// metrics.k8s.io/v1beta1 through the api handler (no network): discovery, PodMetrics list (all namespaces, one, with
// selectors) and get from measured samples, the NotFound answers metrics-server gives, bad input as Status, and the
// 501 where nothing is measured (the cloud). The samples are given; how they are taken is tested in
// test/engine/pod-metrics-collector.test.ts and test/adapters/process/process-tree-usage.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS_NOT_SERVED, NODE_METRICS_NOT_SERVED } from '../../src/api/metrics.ts';
import {
  NO_SAMPLES,
  storeSamples,
  type ContainerSample,
  type MetricsSamples,
} from '../../src/core/pod-metrics.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import { createTestApi, podManifest, type TestApi } from './support.ts';

const BASE = '/apis/metrics.k8s.io/v1beta1';
let t: TestApi | undefined;
afterEach(() => t?.close());

/** A test API whose runtime measured the given containers (by pod name) at 1 s apart: `cores` busy, `bytes` resident. */
function apiWith(measured: Array<{ pod: string; container: string; cores: number; bytes: number }>) {
  let samples: MetricsSamples = NO_SAMPLES;
  let asked = 0;
  const api = createTestApi({
    metrics: {
      samples: async () => {
        asked++;
        return samples;
      },
    },
  });
  const measure = async (): Promise<void> => {
    const uids = new Map<string, string>();
    for (const p of (await api.store.list()).items)
      uids.set(p.state.pod.metadata!.name!, p.state.pod.metadata!.uid!);
    const at = (s: number) =>
      measured.map((m): ContainerSample => ({
        podUid: uids.get(m.pod)!,
        container: m.container,
        instance: 0,
        startedAt: api.clock.now() - 60_000,
        at: api.clock.now() + s * 1000,
        cpuNanoSeconds: 1e9 + s * m.cores * 1e9,
        memoryBytes: m.bytes,
      }));
    samples = storeSamples(storeSamples(NO_SAMPLES, at(0), api.clock.now()), at(1), api.clock.now() + 1000);
  };
  return { api, measure, asked: () => asked };
}

async function run(
  api: TestApi,
  key: PodKey,
  labels?: Record<string, string>,
  containers = ['app'],
): Promise<void> {
  if (key.namespace !== 'default')
    await api.request('POST', '/api/v1/namespaces', { body: { metadata: { name: key.namespace } } });
  await api.createPod(
    podManifest(key.name, {
      ...(labels ? { labels } : {}),
      spec: { containers: containers.map((name) => ({ name, image: 'busybox', command: ['sleep', '60'] })) },
    }),
    key.namespace,
  );
  const s = (await api.store.get(key))!;
  const pod = { ...s.state.pod, status: { ...s.state.pod.status, phase: 'Running' } };
  await api.store.update(key, s.resourceVersion, { ...s.state, pod });
}

describe('metrics.k8s.io discovery', () => {
  it('/apis lists the group last; the group and its version list PodMetrics (get, list)', async () => {
    t = createTestApi();
    const groups = (await t.request('GET', '/apis')).json as { groups: Array<{ name: string }> };
    expect(groups.groups.at(-1)).toEqual({
      name: 'metrics.k8s.io',
      versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
      preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
    });
    expect((await t.request('GET', '/apis/metrics.k8s.io')).json).toMatchObject({
      kind: 'APIGroup',
      name: 'metrics.k8s.io',
    });
    expect((await t.request('GET', BASE)).json).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'metrics.k8s.io/v1beta1',
      resources: [
        { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
      ],
    });
  });
});

describe('PodMetrics', () => {
  it('list across namespaces: Running pods with their containers usage, in namespace/name order', async () => {
    const m = apiWith([
      { pod: 'busy', container: 'app', cores: 1, bytes: 1_466_368 },
      { pod: 'mem', container: 'alloc', cores: 0, bytes: 64 * 1024 * 1024 },
      { pod: 'mem', container: 'idle', cores: 0.002, bytes: 1024 },
      { pod: 'other', container: 'app', cores: 0.25, bytes: 2048 },
    ]);
    t = m.api;
    await run(t, { namespace: 'default', name: 'mem' }, { app: 'demo' }, ['alloc', 'idle']);
    await run(t, { namespace: 'default', name: 'busy' });
    await run(t, { namespace: 'team-a', name: 'other' });
    await t.createPod(podManifest('pending')); // not Running: no metrics
    await m.measure();
    const res = await t.request('GET', `${BASE}/pods`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1' });
    const items = res.json.items as Array<{
      metadata: { namespace: string; name: string };
      containers: unknown[];
      window: string;
    }>;
    expect(items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual([
      'default/busy',
      'default/mem',
      'team-a/other',
    ]);
    expect(items[1]).toMatchObject({
      metadata: { name: 'mem', namespace: 'default', labels: { app: 'demo' } },
      window: '1s',
      containers: [
        { name: 'alloc', usage: { cpu: '0', memory: '64Mi' } },
        { name: 'idle', usage: { cpu: '2m', memory: '1Ki' } },
      ],
    });
    expect(items[0]!.containers).toEqual([{ name: 'app', usage: { cpu: '1', memory: '1432Ki' } }]);
  });

  it('Table (kubectl get podmetrics): the name, each resource summed over the containers, and the window', async () => {
    const m = apiWith([
      { pod: 'mem', container: 'alloc', cores: 0.5, bytes: 64 * 1024 * 1024 },
      { pod: 'mem', container: 'idle', cores: 0.002, bytes: 1024 },
    ]);
    t = m.api;
    await run(t, { namespace: 'default', name: 'mem' }, undefined, ['alloc', 'idle']);
    await m.measure();
    const accept =
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    for (const path of [`${BASE}/namespaces/default/pods`, `${BASE}/namespaces/default/pods/mem`]) {
      const res = await t.request('GET', path, { headers: { accept } });
      expect(res.json, path).toMatchObject({
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        rows: [{ cells: ['mem', '502m', '65537Ki', '1s'], object: { metadata: { name: 'mem' } } }],
      });
      expect((res.json.columnDefinitions as Array<{ name: string }>).map((c) => c.name)).toEqual([
        'Name',
        'cpu',
        'memory',
        'Window',
      ]);
    }
  });

  it('list in a namespace, with a label selector and a field selector', async () => {
    const m = apiWith([
      { pod: 'a', container: 'app', cores: 0.5, bytes: 4096 },
      { pod: 'b', container: 'app', cores: 0.5, bytes: 4096 },
      { pod: 'c', container: 'app', cores: 0.5, bytes: 4096 },
    ]);
    t = m.api;
    await run(t, { namespace: 'default', name: 'a' }, { tier: 'web' });
    await run(t, { namespace: 'default', name: 'b' }, { tier: 'db' });
    await run(t, { namespace: 'team-a', name: 'c' }, { tier: 'web' });
    await m.measure();
    const names = async (path: string, query: Record<string, string> = {}) =>
      ((await t!.request('GET', path, { query })).json.items as Array<{ metadata: { name: string } }>).map(
        (i) => i.metadata.name,
      );
    expect(await names(`${BASE}/namespaces/default/pods`)).toEqual(['a', 'b']);
    expect(await names(`${BASE}/namespaces/default/pods`, { labelSelector: 'tier=web' })).toEqual(['a']);
    expect(await names(`${BASE}/pods`, { labelSelector: 'tier in (web)' })).toEqual(['a', 'c']);
    expect(await names(`${BASE}/pods`, { fieldSelector: 'metadata.name=b' })).toEqual(['b']);
  });

  it('get: the pod metrics; a missing pod is the pods NotFound; a pod without metrics is pods.metrics.k8s.io NotFound', async () => {
    const m = apiWith([{ pod: 'a', container: 'app', cores: 0.5, bytes: 4096 }]);
    t = m.api;
    await run(t, { namespace: 'default', name: 'a' });
    await t.createPod(podManifest('pending'));
    await m.measure();
    const got = await t.request('GET', `${BASE}/namespaces/default/pods/a`);
    expect(got.json).toMatchObject({
      kind: 'PodMetrics',
      metadata: { name: 'a', namespace: 'default' },
      containers: [{ name: 'app', usage: { cpu: '500m', memory: '4Ki' } }],
    });
    const asked = m.asked();
    const missing = await t.request('GET', `${BASE}/namespaces/default/pods/nope`);
    expect([missing.status, missing.json.reason, missing.json.message]).toEqual([
      404,
      'NotFound',
      'pods "nope" not found',
    ]);
    expect(m.asked()).toBe(asked); // a missing pod costs no measurement
    const none = await t.request('GET', `${BASE}/namespaces/default/pods/pending`);
    expect(none.status).toBe(404);
    expect(none.json).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'pods.metrics.k8s.io "default/pending" not found',
      details: { name: 'default/pending', group: 'metrics.k8s.io', kind: 'pods' },
    });
  });

  it.each([
    {
      name: 'a malformed label selector',
      path: `${BASE}/pods`,
      query: { labelSelector: 'a b' },
      status: 400,
      reason: 'BadRequest',
    },
    {
      name: 'a field selector on a field pods cannot be selected by',
      path: `${BASE}/namespaces/default/pods`,
      query: { fieldSelector: 'spec.hostname=x' },
      status: 400,
      reason: 'BadRequest',
    },
    {
      name: 'a namespace that is no name',
      path: `${BASE}/namespaces/Not_A_Name/pods`,
      query: {},
      status: 404,
      reason: 'NotFound',
    },
    {
      name: 'a write',
      path: `${BASE}/namespaces/default/pods`,
      query: {},
      status: 405,
      reason: 'MethodNotAllowed',
      method: 'POST',
    },
  ])('bad input is a Status: $name → $status', async ({ path, query, status, reason, method }) => {
    const m = apiWith([]);
    t = m.api;
    const res = await t.request(method ?? 'GET', path, { query, ...(method ? { body: {} } : {}) });
    expect([res.status, res.json.kind, res.json.reason]).toEqual([status, 'Status', reason]);
    expect(m.asked()).toBe(0);
  });

  it('NodeMetrics (kubectl top node) answer 501 with the reason: podflow serves no Nodes', async () => {
    const m = apiWith([]);
    t = m.api;
    for (const path of [`${BASE}/nodes`, `${BASE}/nodes/podflow`]) {
      const res = await t.request('GET', path);
      expect([res.status, res.json.reason, res.json.message], path).toEqual([
        501,
        'NotImplemented',
        NODE_METRICS_NOT_SERVED,
      ]);
    }
  });

  it.each([
    { verb: 'list', allowed: true, reason: undefined },
    { verb: 'get', allowed: true, reason: undefined },
    {
      verb: 'create',
      allowed: false,
      reason: 'podflow serves pods.metrics.k8s.io for get, list, not create',
    },
  ])('auth can-i $verb pods.metrics.k8s.io → $allowed', async ({ verb, allowed, reason }) => {
    t = createTestApi();
    const res = await t.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      body: {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        spec: {
          resourceAttributes: { namespace: 'default', verb, group: 'metrics.k8s.io', resource: 'pods' },
        },
      },
    });
    const status = res.json.status as { allowed: boolean; reason?: string };
    expect(status.allowed).toBe(allowed);
    if (reason) expect(status.reason).toBe(reason);
  });

  it('without a measured runtime (the cloud) list and get answer 501 with the reason; discovery still lists the group', async () => {
    t = createTestApi();
    for (const path of [
      `${BASE}/pods`,
      `${BASE}/namespaces/default/pods`,
      `${BASE}/namespaces/default/pods/a`,
    ]) {
      const res = await t.request('GET', path);
      expect([res.status, res.json.reason, res.json.message], path).toEqual([
        501,
        'NotImplemented',
        METRICS_NOT_SERVED,
      ]);
    }
    expect((await t.request('GET', BASE)).status).toBe(200);
  });
});
