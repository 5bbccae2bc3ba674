// The prober scales to zero (docs/decisions/0003-probes.md, "Scale to zero"), on the emulators with the stack's own
// settings: with no pod, the supervisor's tick starts no shard run; the lifecycle function starts the shard's run
// when it registers a probe, so the pod is probed within the probe's period without waiting for the supervisor;
// when the last probed pod goes, the run releases its lease and ends within a sync.
import { createServer } from 'node:net';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_PK } from '../../src/adapters/probes/dynamodb-prober-lease.ts';
import { DEFAULT_PROBER_SYNC_INTERVAL_MS } from '../../src/engine/prober/shard-prober.ts';
import { cloudTarget, startCloudHarness, type CloudHarness } from './harness.ts';
import { eventually } from './support/sdk-config.ts';

const onEmulators = cloudTarget() === 'emulators';
const NS = 'default';
/** The reference probe period. */
const PERIOD_SECONDS = 10;
/**
 * What a probe's first run may take beyond its period here: the lifecycle's asynchronous invoke of the prober, a
 * cold start of its bundle in a worker thread, the lease and registration reads — on a loaded 2-core machine.
 */
const START_OVERHEAD_MS = 8_000;

let h: CloudHarness;
let api: CoreV1Api;
let ddb: DynamoDBClient;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const leases = async () =>
  (
    await ddb.send(
      new QueryCommand({
        TableName: h.outputs.TableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: LEASE_PK } },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

type Invocation = NonNullable<CloudHarness['emulators']>['lambda']['invocations'][number];
const isShardRun = (i: Invocation) =>
  i.function.endsWith('-prober') && typeof (i.event as { shard?: unknown } | null)?.shard === 'number';
const isSupervise = (i: Invocation) => (i.event as { supervise?: unknown } | null)?.supervise === true;

beforeAll(async () => {
  if (!onEmulators) return;
  h = await startCloudHarness();
  api = h.kubeConfig.makeApiClient(CoreV1Api);
  ddb = new DynamoDBClient(h.clientConfig('dynamodb'));
}, 60_000);

afterAll(async () => {
  ddb?.destroy();
  await h?.close();
}, 30_000);

describe.skipIf(!onEmulators)('prober scale to zero (emulators)', () => {
  it('with zero pods the supervisor’s tick starts no shard run and takes no lease', async () => {
    const { lambda, clock } = h.emulators!;
    clock.advance(60_000);
    const supervised = await eventually(
      () => lambda.invocations.find((i) => isSupervise(i) && i.outcome === 'ok'),
      20_000,
    );
    expect(supervised).toBeDefined();
    expect(lambda.invocations.filter(isShardRun)).toEqual([]);
    expect(await leases()).toEqual([]);
  });

  it('a pod with a probe is probed within the probe’s period, its shard started by the lifecycle function; when the pod goes, the shard’s run ends', async () => {
    const { lambda } = h.emulators!;
    const port = await freePort();
    const server = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    const supervisedBefore = lambda.invocations.filter(isSupervise).length;
    await api.createNamespacedPod({
      namespace: NS,
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probed' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'app',
              image: 'node',
              command: ['node', '-e', server],
              readinessProbe: { httpGet: { path: '/', port }, periodSeconds: PERIOD_SECONDS },
            },
          ],
        },
      },
    });
    const read = () => api.readNamespacedPod({ name: 'probed', namespace: NS });
    const startedAt = await eventually(async () => {
      const running = (await read()).status?.containerStatuses?.[0]?.state?.running;
      return running?.startedAt ? Date.now() : undefined;
    }, 60_000);
    await eventually(
      async () => (await read()).status?.containerStatuses?.[0]?.ready === true,
      PERIOD_SECONDS * 1000 + START_OVERHEAD_MS,
      100,
    );
    expect(Date.now() - startedAt).toBeLessThan(PERIOD_SECONDS * 1000 + START_OVERHEAD_MS);
    // No supervisor tick in between (the emulator clock did not move): the lifecycle function took the free lease
    // and invoked the shard's run, which holds it now.
    expect(lambda.invocations.filter(isSupervise)).toHaveLength(supervisedBefore);
    const held = await leases();
    expect(held).toHaveLength(1);
    expect(held[0]!.SK?.S).toBe('shard#0');

    await api.deleteNamespacedPod({ name: 'probed', namespace: NS, gracePeriodSeconds: 2 });
    const deletedAt = Date.now();
    await eventually(
      () =>
        read().then(
          () => false,
          (err: { code?: number }) => err.code === 404,
        ),
      30_000,
    );
    // The run sees its shard empty at its next sync, releases the lease and returns (an invocation is recorded
    // when it has returned).
    const ended = await eventually(
      () => lambda.invocations.find((i) => isShardRun(i) && i.outcome === 'ok'),
      DEFAULT_PROBER_SYNC_INTERVAL_MS + 30_000,
      200,
    );
    expect(ended).toBeDefined();
    expect(Date.now() - deletedAt).toBeLessThan(DEFAULT_PROBER_SYNC_INTERVAL_MS + 30_000);
    expect(await leases()).toEqual([]);
    expect(lambda.invocations.filter(isShardRun)).toHaveLength(1);
  }, 150_000);
});
