// The host runtime's part of the API (ApiDeps.admit, ApiDeps.execUnavailable), with the Fargate runtime's
// admission and exec hint as the cloud wires them (lambdas/api.ts, docs/decisions/0006-fargate-runtime.md §5, §8).
import { afterEach, describe, expect, it } from 'vitest';
import { admitForFargate } from '../../src/adapters/fargate/fargate-admission.ts';
import { ecsExecHint } from '../../src/adapters/fargate/ecs-exec-hint.ts';
import { createTestApi, type TestApi } from './support.ts';

const NS = '/api/v1/namespaces/default';
const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/podflow';
let api: TestApi | undefined;
afterEach(() => api?.close());

const cloudApi = (execEnabled = false): TestApi =>
  (api = createTestApi({
    admit: admitForFargate,
    execUnavailable: (pod, container) => ecsExecHint(pod, container, CLUSTER, execEnabled),
  }));

const manifest = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web' },
  spec: {
    containers: [
      { name: 'app', image: 'nginx', resources: { requests: { cpu: '1', memory: '8Gi' } }, ...extra },
    ],
  },
});

describe('runtime admission in the API', () => {
  it('a create gets the Fargate size annotation', async () => {
    const t = cloudApi();
    const res = await t.request('POST', `${NS}/pods`, { body: manifest() });
    expect(res.status).toBe(201);
    expect((res.json.metadata as { annotations: Record<string, string> }).annotations).toEqual({
      'podflow.io/fargate-size': '2vCPU 9GB',
    });
  });

  it('what Fargate cannot run is 422 Invalid with the field', async () => {
    const t = cloudApi();
    const res = await t.request('POST', `${NS}/pods`, {
      body: manifest({ livenessProbe: { exec: { command: ['true'] } } }),
    });
    expect(res.json).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: {
        causes: [{ field: 'spec.containers[0].livenessProbe.exec', reason: 'FieldValueForbidden' }],
      },
    });
  });

  it('warnings come back as Warning headers', async () => {
    const t = cloudApi();
    const body = manifest();
    const res = await t.request('POST', `${NS}/pods`, {
      body: { ...body, spec: { ...body.spec, terminationGracePeriodSeconds: 300 } },
    });
    expect(res.status).toBe(201);
    expect(res.headers.warning?.join('\n')).toContain('containers get SIGKILL 120 s after SIGTERM');
  });

  it('an update that drops the annotation gets it back', async () => {
    const t = cloudApi();
    await t.request('POST', `${NS}/pods`, { body: manifest() });
    const res = await t.request('PATCH', `${NS}/pods/web`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { annotations: { 'podflow.io/fargate-size': null, team: 'a' } } },
    });
    expect(res.status).toBe(200);
    expect((res.json.metadata as { annotations: Record<string, string> }).annotations).toEqual({
      team: 'a',
      'podflow.io/fargate-size': '2vCPU 9GB',
    });
  });

  it('exec is 501 with the ECS Exec command, or how to turn ECS Exec on', async () => {
    const off = cloudApi(false);
    await off.request('POST', `${NS}/pods`, { body: manifest() });
    const res = await off.request('POST', `${NS}/pods/web/exec`, {
      query: { command: 'sh', container: 'app' },
    });
    expect(res.json).toMatchObject({ code: 501 });
    expect(res.json.message).toMatch(/ECS Exec is off in this deployment: set enableExecuteCommand/);
    expect(res.json.message).toContain(
      `aws ecs execute-command --cluster ${CLUSTER} --task <task id> --container app`,
    );
  });
});

describe('the ECS Exec hint', () => {
  it('names the task of a running container', () => {
    const pod = {
      spec: { containers: [{ name: 'app' }] },
      status: {
        containerStatuses: [{ name: 'app', containerID: 'fargate://abc123/app/2', state: { running: {} } }],
      },
    };
    expect(ecsExecHint(pod as never, undefined, 'c', true)).toBe(
      "exec is not served by podflow's Fargate runtime; ECS Exec reaches the container: " +
        '`aws ecs execute-command --cluster c --task abc123 --container app --interactive --command sh`',
    );
  });
});
