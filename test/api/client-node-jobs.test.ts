// @kubernetes/client-node against `podflow serve` (in-process) for batch/v1 Jobs and owners (issue 16 item 7):
// BatchV1Api create / read status / replace / delete with each propagation policy as the library sends it (the
// DeleteOptions body), CoreV1Api pods with generateName and an ownerReference to a Job collected when the Job goes,
// and the API server's errors (a Job template without restartPolicy, an immutable field) as Status bodies.
import { ApiException, BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServe, type TestServe } from './support.ts';

let serve: TestServe;
let batch: BatchV1Api;
let core: CoreV1Api;

beforeAll(async () => {
  serve = await startTestServe({ jobBackoffInitial: 200, jobBackoffMax: 1000 });
  const kc = new KubeConfig();
  kc.loadFromFile(serve.kubeconfig);
  batch = kc.makeApiClient(BatchV1Api);
  core = kc.makeApiClient(CoreV1Api);
}, 30_000);

afterAll(async () => {
  await serve?.dispose();
}, 30_000);

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

async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const job = (name: string, command: string[], spec: Partial<V1Job['spec']> = {}): V1Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: {
    ...spec,
    template: {
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'busybox', command }],
      },
    },
  },
});

const podsOf = async (name: string) =>
  (
    await core.listNamespacedPod({
      namespace: 'default',
      labelSelector: `batch.kubernetes.io/job-name=${name}`,
    })
  ).items;

describe('@kubernetes/client-node: Jobs and owners', () => {
  it('creates a Job, reads its status to Complete, with the selector and pod labels the controller sets', async () => {
    const created = await batch.createNamespacedJob({
      namespace: 'default',
      body: job('hello', ['echo', 'hi']),
    });
    const uid = created.metadata!.uid!;
    expect(created.spec!.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    const done = await eventually(
      () => batch.readNamespacedJobStatus({ namespace: 'default', name: 'hello' }),
      (j) => (j.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True'),
      'hello to complete',
    );
    expect(done.status).toMatchObject({ succeeded: 1, failed: 0, active: 0 });
    const [pod] = await podsOf('hello');
    expect(pod!.metadata!.labels).toMatchObject({
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'hello',
      'controller-uid': uid,
      'job-name': 'hello',
    });
    const list = await batch.listNamespacedJob({
      namespace: 'default',
      fieldSelector: 'status.successful=1',
    });
    expect(list.items.map((j) => j.metadata?.name)).toEqual(['hello']);
  });

  it('refuses a template without restartPolicy and a change of an immutable field, with field paths', async () => {
    const bad = job('bad', ['true']);
    delete bad.spec!.template.spec!.restartPolicy;
    const refused = await statusOf(batch.createNamespacedJob({ namespace: 'default', body: bad }));
    expect(refused).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(refused.message).toContain('spec.template.spec.restartPolicy: Required value');
    const current = await batch.readNamespacedJob({ namespace: 'default', name: 'hello' });
    const immutable = await statusOf(
      batch.replaceNamespacedJob({
        namespace: 'default',
        name: 'hello',
        body: { ...current, spec: { ...current.spec!, completions: 4 } },
      }),
    );
    expect(immutable).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(immutable.message).toBe(
      'Job.batch "hello" is invalid: spec.completions: Invalid value: 4: field is immutable',
    );
  });

  it('delete without a propagation policy orphans the pods (batch/v1 default); Background deletes them', async () => {
    const sleeper = ['sh', '-c', 'exec sleep 300'];
    await batch.createNamespacedJob({ namespace: 'default', body: job('kept', sleeper) });
    await batch.createNamespacedJob({ namespace: 'default', body: job('dropped', sleeper) });
    for (const name of ['kept', 'dropped'])
      await eventually(
        () => podsOf(name),
        (pods) => pods.length === 1,
        `a pod of ${name}`,
      );

    await batch.deleteNamespacedJob({ namespace: 'default', name: 'kept' });
    await batch.deleteNamespacedJob({
      namespace: 'default',
      name: 'dropped',
      body: { propagationPolicy: 'Background' },
    });
    await eventually(
      () => podsOf('dropped'),
      (pods) => pods.length === 0,
      'the pod of dropped to go',
    );
    const kept = await podsOf('kept');
    expect(kept.length).toBe(1);
    expect(kept[0]!.metadata!.ownerReferences).toBeUndefined();
    await core.deleteNamespacedPod({
      namespace: 'default',
      name: kept[0]!.metadata!.name!,
      gracePeriodSeconds: 0,
    });
  });

  it('a pod created with generateName and a Job among its owners is collected once that Job is deleted', async () => {
    const owner = await batch.createNamespacedJob({
      namespace: 'default',
      body: job('owner', ['true'], { suspend: true }),
    });
    const pod = await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: {
          generateName: 'owned-',
          ownerReferences: [
            { apiVersion: 'batch/v1', kind: 'Job', name: 'owner', uid: owner.metadata!.uid! },
          ],
        },
        spec: {
          containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }],
          terminationGracePeriodSeconds: 1,
        },
      },
    });
    expect(pod.metadata!.name).toMatch(/^owned-[a-z0-9]{5}$/);
    await batch.deleteNamespacedJob({ namespace: 'default', name: 'owner', propagationPolicy: 'Background' });
    await eventually(
      async () => (await core.listNamespacedPod({ namespace: 'default' })).items.map((p) => p.metadata?.name),
      (names) => !names.includes(pod.metadata!.name),
      'the owned pod to be collected',
    );
  });
});
