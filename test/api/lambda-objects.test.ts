// The api Lambda (lambdas/api.ts with the cloud wiring of lambdas/wiring.ts) serving ConfigMaps, Secrets and
// Namespaces from its DynamoDB table — here dynalite, reached through AWS_ENDPOINT_URL_DYNAMODB as the SDK reads it:
// the system namespaces made sure of on first use, objects stored as table items, a missing namespace NotFound,
// a namespace deleted with nothing in it gone at once, and a pod reading a Secret refused (Fargate admission); a Job
// stored, and the controllers function asked to sync it — an asynchronous Invoke received by a recording stand-in
// for Lambda on 127.0.0.1 (AWS_ENDPOINT_URL_LAMBDA); test/cloud runs the controllers themselves.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, startDynalite, type LocalDynamo } from '../../src/local/dynalite.ts';
import { API_FUNCTION_ENV, proxyEvent, type RequestOptions } from './support.ts';
import { installAwsLambdaGlobal, invokeStreamingHandler } from '../cloud/emulators/lambda-streaming.ts';

const TABLE = 'podflow-lambda-objects';
let db: LocalDynamo;
const saved: Record<string, string | undefined> = {};
let handler: unknown;
/** The Invoke requests the stand-in for Lambda received. */
const invokes: Array<{ path: string; invocationType: string | undefined; payload: unknown }> = [];
let lambdaStandIn: Server;

async function request(method: string, path: string, o: RequestOptions = {}) {
  // The function streams its responses: read each as API Gateway reads it.
  const result = await invokeStreamingHandler(handler, proxyEvent(method, path, o));
  return { status: result.statusCode, json: JSON.parse(result.body) as Record<string, unknown> };
}

beforeAll(async () => {
  db = await startDynalite();
  await ensureTable(db.client, TABLE);
  lambdaStandIn = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      invokes.push({
        path: decodeURIComponent(req.url ?? ''),
        invocationType: req.headers['x-amz-invocation-type'] as string | undefined,
        payload: JSON.parse(body) as unknown,
      });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => lambdaStandIn.listen(0, '127.0.0.1', r));
  const env: Record<string, string> = {
    ...API_FUNCTION_ENV,
    TABLE_NAME: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambdaStandIn.address() as AddressInfo).port}`,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  installAwsLambdaGlobal();
  ({ handler } = await import('../../lambdas/api.ts'));
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await db?.close();
  await new Promise((r) => lambdaStandIn?.close(r));
});

describe('api Lambda: ConfigMaps, Secrets and Namespaces on DynamoDB', () => {
  it('lists the system namespaces, created on first use', async () => {
    const res = await request('GET', '/api/v1/namespaces');
    expect(res.status).toBe(200);
    const names = (res.json.items as Array<{ metadata: { name: string } }>).map((n) => n.metadata.name);
    expect(names).toEqual(['default', 'kube-public', 'kube-system']);
  });

  it('stores a ConfigMap and a Secret as items of the table and serves them back', async () => {
    const cm = await request('POST', '/api/v1/namespaces/default/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { mode: 'fast' } },
    });
    expect(cm.status).toBe(201);
    const secret = await request('POST', '/api/v1/namespaces/default/secrets', {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'pw' } },
    });
    expect(secret.status).toBe(201);
    const item = await db.client.send(
      new GetItemCommand({ TableName: TABLE, Key: { PK: { S: 'ns#default' }, SK: { S: 'configmap#app' } } }),
    );
    expect(JSON.parse(item.Item!.object!.S!)).toMatchObject({ data: { mode: 'fast' } });
    const got = await request('GET', '/api/v1/namespaces/default/secrets/db');
    expect(got.json).toMatchObject({ kind: 'Secret', type: 'Opaque', data: { password: 'cHc=' } });
  });

  it('a pod whose env reads a Secret is refused by the Fargate admission (its value would be in the task definition)', async () => {
    const refs = [
      { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] },
      { envFrom: [{ secretRef: { name: 'db', optional: true } }] },
    ];
    const paths = [
      'spec.containers[0].env[0].valueFrom.secretKeyRef',
      'spec.containers[0].envFrom[0].secretRef',
    ];
    for (const [i, ref] of refs.entries()) {
      const res = await request('POST', '/api/v1/namespaces/default/pods', {
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `uses-secret-${i}` },
          spec: { containers: [{ name: 'app', image: 'busybox', command: ['true'], ...ref }] },
        },
      });
      expect(res.status).toBe(422);
      expect(res.json).toMatchObject({
        reason: 'Invalid',
        details: { causes: [{ reason: 'FieldValueForbidden', field: paths[i] }] },
      });
      expect(res.json.message).toContain('would be written in plain text into the ECS task definition');
      expect(JSON.stringify(res.json)).not.toContain('cHc=');
      expect((await request('GET', `/api/v1/namespaces/default/pods/uses-secret-${i}`)).status).toBe(404);
    }
  });

  it('a pod in a missing namespace is NotFound; a namespace created, then deleted with nothing in it, is gone', async () => {
    const pod = await request('POST', '/api/v1/namespaces/team-a/pods', {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'app', image: 'busybox', command: ['true'] }] },
      },
    });
    expect(pod.json).toMatchObject({ code: 404, message: 'namespaces "team-a" not found' });
    const created = await request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team-a' } } });
    expect(created.status).toBe(201);
    const deleted = await request('DELETE', '/api/v1/namespaces/team-a');
    expect(deleted.json).toMatchObject({ status: { phase: 'Terminating' } });
    expect((await request('GET', '/api/v1/namespaces/team-a')).status).toBe(404);
  });

  it('a Job posted to the cloud API is stored, and the controllers function is asked to sync it', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'nightly' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
    };
    const posted = await request('POST', '/apis/batch/v1/namespaces/default/jobs', {
      body: JSON.stringify(job),
    });
    expect(posted.status).toBe(201);
    expect(invokes).toContainEqual({
      path: `/2015-03-31/functions/${API_FUNCTION_ENV.CONTROLLERS_FUNCTION_ARN}/invocations`,
      invocationType: 'Event',
      payload: { namespace: 'default', name: 'nightly', timerId: 'sync.Job', dueAt: 0 },
    });
    expect((await request('GET', '/apis/batch/v1/namespaces/default/jobs/nightly')).status).toBe(200);
    const groups = (await request('GET', '/apis')).json as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toEqual(['batch', 'authorization.k8s.io', 'metrics.k8s.io']);
  });
});
