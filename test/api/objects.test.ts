// ConfigMaps, Secrets and Namespaces through the HTTP API (the API Gateway handler over the engine and the memory
// stores): CRUD with the API server's answers (pkg/registry/core/{configmap,secret,namespace}), watches, Tables,
// the NamespaceLifecycle admission for pods and objects, protobuf bodies as client-go 1.32's typed clients send them,
// and Secrets' values kept out of every message.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podManifest, type TestApi, createTestApi } from './support.ts';

let t: TestApi;
beforeEach(() => {
  t = createTestApi();
});
afterEach(() => t.close());

const NS = '/api/v1/namespaces/default';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

const configMap = (name: string, data: Record<string, string> = { a: 'b' }, extra: object = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
  ...extra,
});

// ---- a protobuf encoder for the tests (the wire format of k8s.io/api/core/v1/generated.proto) ----

const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
};
const lenField = (field: number, bytes: Uint8Array | number[] | string): number[] => {
  const b = typeof bytes === 'string' ? [...Buffer.from(bytes)] : [...bytes];
  return [...varint((field << 3) | 2), ...varint(b.length), ...b];
};
const boolField = (field: number, v: boolean): number[] => [...varint(field << 3), v ? 1 : 0];
const mapEntry = (field: number, key: string, value: string | Uint8Array): number[] =>
  lenField(field, [...lenField(1, key), ...lenField(2, typeof value === 'string' ? value : value)]);
const envelope = (kind: string, raw: number[]): Buffer =>
  Buffer.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...lenField(1, [...lenField(1, 'v1'), ...lenField(2, kind)]),
    ...lenField(2, raw),
    ...lenField(3, ''),
    ...lenField(4, ''),
  ]);
const meta = (name: string, labels: Record<string, string> = {}): number[] =>
  lenField(1, [...lenField(1, name), ...Object.entries(labels).flatMap(([k, v]) => mapEntry(11, k, v))]);

const protobuf = (body: Buffer) => ({
  body,
  headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
});

describe('configmaps', () => {
  it('create, get, list (Table), update, patch and delete', async () => {
    const created = await t.request('POST', `${NS}/configmaps`, { body: configMap('app', { k: 'v' }) });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'app', namespace: 'default', uid: expect.any(String) },
      data: { k: 'v' },
    });
    const got = await t.request('GET', `${NS}/configmaps/app`);
    expect(got.json).toMatchObject({ data: { k: 'v' } });

    const table = await t.request('GET', `${NS}/configmaps`, { headers: { accept: TABLE } });
    const tj = table.json as {
      columnDefinitions: Array<{ name: string }>;
      rows: Array<{ cells: unknown[] }>;
    };
    expect(tj.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(tj.rows.map((r) => r.cells.slice(0, 2))).toEqual([['app', 1]]);

    const rv = (got.json.metadata as { resourceVersion: string }).resourceVersion;
    const put = await t.request('PUT', `${NS}/configmaps/app`, {
      body: configMap('app', { k: 'v2' }, { metadata: { name: 'app', resourceVersion: rv } }),
    });
    expect(put.status).toBe(200);
    const stale = await t.request('PUT', `${NS}/configmaps/app`, {
      body: configMap('app', { k: 'v3' }, { metadata: { name: 'app', resourceVersion: rv } }),
    });
    expect(stale.json).toMatchObject({ code: 409, reason: 'Conflict' });

    const patched = await t.request('PATCH', `${NS}/configmaps/app`, {
      body: { data: { other: '1' } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(patched.json).toMatchObject({ data: { k: 'v2', other: '1' } });

    const deleted = await t.request('DELETE', `${NS}/configmaps/app`);
    expect(deleted.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'app' } });
    expect((await t.request('GET', `${NS}/configmaps/app`)).json).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'configmaps "app" not found',
      details: { name: 'app', kind: 'configmaps' },
    });
  });

  it('a second create is AlreadyExists', async () => {
    await t.request('POST', `${NS}/configmaps`, { body: configMap('dup') });
    const again = await t.request('POST', `${NS}/configmaps`, { body: configMap('dup') });
    expect(again.json).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "dup" already exists',
    });
  });

  it('an invalid key is 422 with the field path', async () => {
    const res = await t.request('POST', `${NS}/configmaps`, { body: configMap('bad', { 'no spaces': 'x' }) });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      reason: 'Invalid',
      details: { name: 'bad', kind: 'ConfigMap', causes: [{ field: 'data[no spaces]' }] },
    });
    expect(res.json.message).toMatch(/^ConfigMap "bad" is invalid: data\[no spaces\]: Invalid value/);
  });

  it('over 1 MiB of data is 422 Too long', async () => {
    const res = await t.request('POST', `${NS}/configmaps`, {
      body: configMap('big', { a: 'x'.repeat(1024 * 1024 + 1) }),
    });
    expect(res.status).toBe(422);
    expect(res.json.message).toBe(
      'ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes',
    );
  });

  it('an immutable ConfigMap refuses a data change and allows deletion', async () => {
    await t.request('POST', `${NS}/configmaps`, { body: configMap('imm', { a: 'b' }, { immutable: true }) });
    const res = await t.request('PATCH', `${NS}/configmaps/imm`, {
      body: { data: { a: 'c' } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ details: { causes: [{ field: 'data' }] } });
    expect((await t.request('DELETE', `${NS}/configmaps/imm`)).status).toBe(200);
  });

  it('a watch sends ADDED, MODIFIED and DELETED', async () => {
    const listed = await t.request('GET', `${NS}/configmaps`);
    const from = (listed.json.metadata as { resourceVersion: string }).resourceVersion;
    await t.request('POST', `${NS}/configmaps`, { body: configMap('w') });
    await t.request('PATCH', `${NS}/configmaps/w`, {
      body: { data: { a: 'c' } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    await t.request('DELETE', `${NS}/configmaps/w`);
    const res = await t.request('GET', `${NS}/configmaps`, {
      query: { watch: '1', resourceVersion: from, timeoutSeconds: '1' },
    });
    const events = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string }; data?: object } });
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'w'],
      ['MODIFIED', 'w'],
      ['DELETED', 'w'],
    ]);
    expect(events[1]!.object.data).toEqual({ a: 'c' });
  });

  it('a protobuf body (client-go typed clients) is decoded as its JSON form', async () => {
    const raw = [
      ...meta('pb', { app: 'x' }),
      ...mapEntry(2, 'k', 'v'),
      ...mapEntry(3, 'bin', new Uint8Array([0, 1, 2])),
    ];
    const res = await t.request('POST', `${NS}/configmaps`, protobuf(envelope('ConfigMap', raw)));
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      metadata: { name: 'pb', labels: { app: 'x' } },
      data: { k: 'v' },
      binaryData: { bin: 'AAEC' },
    });
  });

  it('a protobuf body of another kind or without the envelope is 400', async () => {
    const wrongKind = await t.request('POST', `${NS}/configmaps`, protobuf(envelope('Secret', meta('x'))));
    expect(wrongKind.json).toMatchObject({ code: 400, reason: 'BadRequest' });
    const noMagic = await t.request(
      'POST',
      `${NS}/configmaps`,
      protobuf(Buffer.from('{"kind":"ConfigMap"}')),
    );
    expect(noMagic.json).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(noMagic.json.message).toContain('expected prefix [107 56 115 0]');
  });
});

describe('secrets', () => {
  it('stringData goes into data (base64), type defaults to Opaque, the Table counts keys', async () => {
    const created = await t.request('POST', `${NS}/secrets`, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's' },
        stringData: { password: 'hunter2' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ type: 'Opaque', data: { password: 'aHVudGVyMg==' } });
    expect(created.json.stringData).toBeUndefined();
    const table = await t.request('GET', `${NS}/secrets`, { headers: { accept: TABLE } });
    const tj = table.json as {
      columnDefinitions: Array<{ name: string }>;
      rows: Array<{ cells: unknown[] }>;
    };
    expect(tj.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(tj.rows.map((r) => r.cells.slice(0, 3))).toEqual([['s', 'Opaque', 1]]);
    expect(table.body).not.toContain('hunter2');
  });

  it('a protobuf Secret: data bytes become base64, stringData merges in', async () => {
    const raw = [
      ...meta('pbs'),
      ...mapEntry(2, 'token', Buffer.from('t0k3n')),
      ...lenField(3, 'Opaque'),
      ...mapEntry(4, 'user', 'admin'),
      ...boolField(5, true),
    ];
    const res = await t.request('POST', `${NS}/secrets`, protobuf(envelope('Secret', raw)));
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      type: 'Opaque',
      immutable: true,
      data: { token: Buffer.from('t0k3n').toString('base64'), user: Buffer.from('admin').toString('base64') },
    });
  });

  it('errors never quote a value: malformed base64, a bad body, an invalid patch', async () => {
    const badBase64 = await t.request('POST', `${NS}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' }, data: { k: 'hunter2!!' } },
    });
    expect(badBase64.json).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(badBase64.json.message).toMatch(
      /^Secret in version "v1" cannot be handled as a Secret: illegal base64/,
    );
    const badJson = await t.request('POST', `${NS}/secrets`, {
      body: '{"kind":"Secret","stringData":{"pw":"hunter2"',
    });
    expect(badJson.status).toBe(400);
    await t.request('POST', `${NS}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'p' }, stringData: { pw: 'hunter2' } },
    });
    const badPatch = await t.request('PATCH', `${NS}/secrets/p`, {
      body: { data: { pw: 42 } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(badPatch.status).toBe(422);
    for (const r of [badBase64, badJson, badPatch]) {
      expect(r.body).not.toContain('hunter2');
      expect(r.body).not.toContain('aHVudGVyMg');
    }
  });

  it('a kubernetes.io/tls Secret without its keys is 422 naming each missing field', async () => {
    const res = await t.request('POST', `${NS}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls' }, type: 'kubernetes.io/tls' },
    });
    expect(res.status).toBe(422);
    expect((res.json.details as { causes: Array<{ field: string }> }).causes.map((c) => c.field)).toEqual([
      'data[tls.crt]',
      'data[tls.key]',
    ]);
  });
});

describe('namespaces', () => {
  it('default, kube-system and kube-public exist and are Active; the Table shows STATUS', async () => {
    const list = await t.request('GET', '/api/v1/namespaces');
    const items = (
      list.json.items as Array<{ metadata: { name: string; labels: object }; status: object }>
    ).map((n) => [n.metadata.name, n.status]);
    expect(items).toEqual([
      ['default', { phase: 'Active' }],
      ['kube-public', { phase: 'Active' }],
      ['kube-system', { phase: 'Active' }],
    ]);
    const table = await t.request('GET', '/api/v1/namespaces', { headers: { accept: TABLE } });
    const tj = table.json as {
      columnDefinitions: Array<{ name: string }>;
      rows: Array<{ cells: unknown[] }>;
    };
    expect(tj.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Status', 'Age']);
    expect(tj.rows.map((r) => r.cells.slice(0, 2))).toContainEqual(['default', 'Active']);
  });

  it('create: the name label and the kubernetes finalizer are set; an invalid name is 422', async () => {
    const res = await t.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team-a' } } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      kind: 'Namespace',
      metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    const bad = await t.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'Team_A' } } });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ details: { causes: [{ field: 'metadata.name' }] } });
  });

  it('a protobuf Namespace (kubectl create namespace)', async () => {
    const res = await t.request('POST', '/api/v1/namespaces', protobuf(envelope('Namespace', meta('pbns'))));
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ metadata: { name: 'pbns' }, status: { phase: 'Active' } });
  });

  it('creating a pod, ConfigMap or Secret in a missing namespace is the API server’s NotFound', async () => {
    const notFound = {
      code: 404,
      reason: 'NotFound',
      message: 'namespaces "nope" not found',
      details: { name: 'nope', kind: 'namespaces' },
    };
    const pod = await t.request('POST', '/api/v1/namespaces/nope/pods', { body: podManifest('p') });
    expect(pod.json).toMatchObject(notFound);
    const cm = await t.request('POST', '/api/v1/namespaces/nope/configmaps', { body: configMap('c') });
    expect(cm.json).toMatchObject(notFound);
    const secret = await t.request('POST', '/api/v1/namespaces/nope/secrets', {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } },
    });
    expect(secret.json).toMatchObject(notFound);
    // Reading the content of a missing namespace finds nothing, as upstream.
    const list = await t.request('GET', '/api/v1/namespaces/nope/pods');
    expect(list.status).toBe(200);
  });

  it('delete: Terminating, new content refused (403 NamespaceTerminating), then gone with its content', async () => {
    await t.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'gone' } } });
    await t.request('POST', '/api/v1/namespaces/gone/configmaps', { body: configMap('c') });
    const watching = t.request('GET', '/api/v1/namespaces', {
      query: { watch: '1', fieldSelector: 'metadata.name=gone', timeoutSeconds: '1' },
    });
    await t.createPod(podManifest('p'), 'gone');
    const deleted = await t.request('DELETE', '/api/v1/namespaces/gone');
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({
      metadata: { name: 'gone', deletionTimestamp: expect.any(String) },
      status: { phase: 'Terminating' },
    });
    // The pod is being deleted gracefully (the test engine marks it; nothing removes it): the namespace waits.
    const terminating = await t.request('GET', '/api/v1/namespaces/gone');
    expect(terminating.json).toMatchObject({ status: { phase: 'Terminating' } });
    const conditions = (terminating.json.status as { conditions: Array<{ type: string; status: string }> })
      .conditions;
    expect(conditions).toContainEqual(
      expect.objectContaining({ type: 'NamespaceContentRemaining', status: 'True' }),
    );
    expect((await t.request('GET', '/api/v1/namespaces/gone/configmaps/c')).status).toBe(404);
    const refused = await t.request('POST', '/api/v1/namespaces/gone/configmaps', {
      body: configMap('late'),
    });
    expect(refused.json).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'configmaps "late" is forbidden: unable to create new content in namespace gone because it is being terminated',
      details: { causes: [{ reason: 'NamespaceTerminating', field: 'metadata.namespace' }] },
    });
    const again = await t.request('DELETE', '/api/v1/namespaces/gone');
    expect(again.json).toMatchObject({ code: 409, reason: 'Conflict' });

    // The last pod goes: the namespace goes with it.
    const stored = await t.store.get({ namespace: 'gone', name: 'p' });
    await t.store.remove({ namespace: 'gone', name: 'p' }, stored!.resourceVersion);
    const { finalizeNamespace } = await import('../../src/engine/namespace-controller.ts');
    await finalizeNamespace({ store: t.store, objects: t.objects, clock: t.clock }, 'gone');
    expect((await t.request('GET', '/api/v1/namespaces/gone')).json).toMatchObject({ code: 404 });

    const events = (await watching).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { status: { phase: string } } });
    const seen = events.map((e) => `${e.type} ${e.object.status.phase}`);
    expect(seen[0]).toBe('ADDED Active');
    expect(seen).toContain('MODIFIED Terminating');
    expect(seen.at(-1)).toBe('DELETED Terminating');
  });

  it('the system namespaces may not be deleted', async () => {
    const res = await t.request('DELETE', '/api/v1/namespaces/default');
    expect(res.json).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'namespaces "default" is forbidden: this namespace may not be deleted',
    });
  });
});
