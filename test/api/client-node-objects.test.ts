// @kubernetes/client-node against `podflow serve` (in-process) for ConfigMaps, Secrets and Namespaces: CoreV1Api
// create / read / list / replace / delete, the Watch class on configmaps, and the API server's errors as the
// library surfaces them (ApiException with the Status body).
import { ApiException, CoreV1Api, KubeConfig, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServe, type TestServe } from './support.ts';

let serve: TestServe;
let api: CoreV1Api;
let kc: KubeConfig;

beforeAll(async () => {
  serve = await startTestServe();
  kc = new KubeConfig();
  kc.loadFromFile(serve.kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
}, 30_000);

afterAll(async () => {
  await serve?.dispose();
}, 30_000);

/** The Status body of an ApiException. */
async function statusOf(
  promise: Promise<unknown>,
): Promise<{ code: number; reason: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiException) return JSON.parse(err.body as string) as never;
    throw err;
  }
  throw new Error('the call succeeded');
}

describe('@kubernetes/client-node: ConfigMaps, Secrets and Namespaces', () => {
  it('namespaces: list the system ones, create one, read it, delete it', async () => {
    const list = await api.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(['default', 'kube-public', 'kube-system']);
    const created = await api.createNamespace({ body: { metadata: { name: 'client-node' } } });
    expect(created.status?.phase).toBe('Active');
    const read = await api.readNamespace({ name: 'client-node' });
    expect(read.metadata?.labels?.['kubernetes.io/metadata.name']).toBe('client-node');
  });

  it('configmaps: create, watch, replace, delete in a created namespace', async () => {
    const namespace = 'client-node';
    const events: Array<[string, string | undefined]> = [];
    const watch = new Watch(kc);
    const req = await watch.watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      {},
      (type: string, obj: V1ConfigMap) => events.push([type, obj.data?.mode]),
      () => {},
    );
    const cm = await api.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'settings' }, data: { mode: 'fast' } },
    });
    expect(cm.metadata?.uid).toBeTruthy();
    const replaced = await api.replaceNamespacedConfigMap({
      namespace,
      name: 'settings',
      body: { ...cm, data: { mode: 'slow' } },
    });
    expect(replaced.data).toEqual({ mode: 'slow' });
    await api.deleteNamespacedConfigMap({ namespace, name: 'settings' });
    const deadline = Date.now() + 10_000;
    while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    req.abort();
    expect(events).toEqual([
      ['ADDED', 'fast'],
      ['MODIFIED', 'slow'],
      ['DELETED', 'slow'],
    ]);
  });

  it('secrets: stringData stored as base64 data; readSecret returns it', async () => {
    await api.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'token' }, stringData: { token: 'abc' } },
    });
    const secret = await api.readNamespacedSecret({ namespace: 'default', name: 'token' });
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ token: Buffer.from('abc').toString('base64') });
  });

  it('errors: a ConfigMap in a missing namespace is NotFound; an invalid key is Invalid', async () => {
    const missing = await statusOf(
      api.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }),
    );
    expect(missing).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "nope" not found' });
    const invalid = await statusOf(
      api.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'x' }, data: { 'bad key': 'v' } },
      }),
    );
    expect(invalid).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(invalid.message).toMatch(/^ConfigMap "x" is invalid: data\[bad key\]: Invalid value/);
  });
});
