// A client library nobody here wrote, @kubernetes/client-node, against `podflow serve` (in-process, real engine and
// containers): KubeConfig from the kubeconfig serve writes (with a bearer token), CoreV1Api create / read / list with
// a label selector / status patch / delete, and the Watch class seeing ADDED, MODIFIED and DELETED.
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServe, type TestServe } from './support.ts';

let serve: TestServe;
let api: CoreV1Api;
let kc: KubeConfig;
const NAMESPACE = 'default';

const gatedPod = (name: string): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { suite: 'client-node', name } },
  spec: {
    readinessGates: [{ conditionType: 'example.com/feature-1' }],
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'app',
        image: 'busybox',
        command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
      },
    ],
  },
});

/** Polls `read` until `done` holds (the engine works asynchronously; a client waits for state, as kubectl wait does). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not reached: ${JSON.stringify(v).slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  serve = await startTestServe({ token: 'client-node-token' });
  kc = new KubeConfig();
  kc.loadFromFile(serve.kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
}, 30_000);

afterAll(async () => {
  await serve?.dispose();
}, 30_000);

describe('@kubernetes/client-node against podflow serve', () => {
  it('reads the generated kubeconfig: server (TLS, as a token needs), CA, token, context', () => {
    expect(kc.getCurrentContext()).toBe('podflow');
    expect(kc.getCurrentCluster()?.server).toBe(serve.apiUrl);
    expect(serve.apiUrl).toBe(serve.url.replace('http://', 'https://'));
    expect(kc.getCurrentCluster()?.caData).toBeTruthy();
    expect(kc.getCurrentUser()?.token).toBe('client-node-token');
  });

  it('creates, reads, lists, watches, patches status and deletes pods', async () => {
    const events: string[] = [];
    const watch = new Watch(kc);
    let watchDone: unknown = 'open';
    const controller = await watch.watch(
      `/api/v1/namespaces/${NAMESPACE}/pods`,
      { labelSelector: 'suite=client-node' },
      (type, obj: V1Pod) => events.push(`${type} ${obj.metadata?.name}`),
      (err) => {
        watchDone = err;
      },
    );

    const created = await api.createNamespacedPod({ namespace: NAMESPACE, body: gatedPod('cn-a') });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    await api.createNamespacedPod({ namespace: NAMESPACE, body: gatedPod('cn-b') });

    const read = await api.readNamespacedPod({ name: 'cn-a', namespace: NAMESPACE });
    expect(read.metadata?.name).toBe('cn-a');
    expect(read.spec?.containers[0]?.name).toBe('app');

    const list = await api.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: 'suite=client-node,name=cn-b',
    });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['cn-b']);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);

    // Running, containers ready, but not Ready: the readiness gate's condition is missing.
    const running = await until(
      () => api.readNamespacedPod({ name: 'cn-a', namespace: NAMESPACE }),
      (p) => p.status?.conditions?.some((c) => c.type === 'ContainersReady' && c.status === 'True') === true,
    );
    expect(running.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');

    const patched = await api.patchNamespacedPodStatus(
      {
        name: 'cn-a',
        namespace: NAMESPACE,
        body: { status: { conditions: [{ type: 'example.com/feature-1', status: 'True' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.status?.conditions?.find((c) => c.type === 'example.com/feature-1')?.status).toBe('True');
    const ready = await until(
      () => api.readNamespacedPod({ name: 'cn-a', namespace: NAMESPACE }),
      (p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    );
    expect(ready.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    const deleted = await api.deleteNamespacedPod({ name: 'cn-a', namespace: NAMESPACE });
    expect(deleted.metadata?.deletionTimestamp).toBeTruthy();
    await api.deleteNamespacedPod({ name: 'cn-b', namespace: NAMESPACE, gracePeriodSeconds: 0 });
    await until(
      () => api.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'suite=client-node' }),
      (l) => l.items.length === 0,
    );
    await until(
      async () => events,
      (e) => e.includes('DELETED cn-a') && e.includes('DELETED cn-b'),
    );
    controller.abort();

    for (const name of ['cn-a', 'cn-b']) {
      const mine = events.filter((e) => e.endsWith(` ${name}`)).map((e) => e.split(' ')[0]);
      // ADDED first, MODIFIED while it starts (and, for cn-a, when its gate turns Ready), DELETED last.
      expect(mine[0]).toBe('ADDED');
      expect(mine).toContain('MODIFIED');
      expect(mine.at(-1)).toBe('DELETED');
      expect(mine.filter((t) => t === 'ADDED' || t === 'DELETED')).toEqual(['ADDED', 'DELETED']);
    }
    expect(watchDone === 'open' || watchDone === null || (watchDone as Error)?.name === 'AbortError').toBe(
      true,
    );
  }, 60_000);

  it('reports API errors with the Status the server sent', async () => {
    const err = await api.readNamespacedPod({ name: 'nope', namespace: NAMESPACE }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(404);
    expect(JSON.parse((err as { body: string }).body)).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'pods "nope" not found',
    });
  });
});
