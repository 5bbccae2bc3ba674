// Jobs and CronJobs in the deployed composition (docs/decisions/0011-jobs.md, 0013-cronjobs.md), through real
// kubectl: kubectl → the API → the table, and the controllers function told to sync (engine/controller-notifier.ts)
// → the Job controller creates pods → their workers → ECS tasks → the pods' phases → the lifecycle function tells
// the controllers function → the Job's status. A Job's pod re-creation back-off goes through the controllers'
// durable timer (the wakeup function). A CronJob keeps one EventBridge Scheduler schedule `cron(...)` in its time
// zone, created, updated, disabled and deleted with it, whose firing makes the CronJob controller start a Job.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleNameFor } from '../../src/adapters/eventbridge/schedule-name.ts';
import { startedByFor } from '../../src/adapters/fargate/sandbox-identity.ts';
import { startCloudHarness, type CloudHarness } from './harness.ts';
import { kubectlFor, kubectlPath, type KubectlRun } from './support/kubectl.ts';
import { eventually } from './support/sdk-config.ts';

let h: CloudHarness;
let kubectl: (args: string[], timeoutMs?: number) => Promise<KubectlRun>;
let scheduler: SchedulerClient;
let ecs: ECSClient;
let dir: string;
const NS = 'default';

/** kubectl apply of a manifest written to a file (the harness's kubectl reads no stdin). */
async function apply(name: string, manifest: unknown): Promise<KubectlRun> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(manifest));
  return kubectl(['apply', '-f', file]);
}

async function getJson<T>(args: string[]): Promise<T> {
  const r = await kubectl(['get', ...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

interface JobView {
  status?: {
    succeeded?: number;
    failed?: number;
    conditions?: Array<{ type: string; status: string; reason?: string }>;
  };
}

const jobCondition = async (name: string, type: string): Promise<JobView | undefined> => {
  const job = await getJson<JobView>(['job', name]);
  return job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ? job : undefined;
};

const jobPods = async (job: string) =>
  (
    await getJson<{
      items: Array<{
        metadata: { name: string; uid: string };
        status: { phase?: string; containerStatuses?: unknown[] };
      }>;
    }>(['pods', '-l', `job-name=${job}`])
  ).items;

const jobManifest = (name: string, spec: Record<string, unknown>, command: string) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: {
    ...spec,
    template: {
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'check', image: 'busybox', command: ['sh', '-c', command] }],
      },
    },
  },
});

const getSchedule = (cronJob: string, part = 'cronjob') =>
  scheduler.send(
    new GetScheduleCommand({
      Name: scheduleNameFor({ namespace: NS, name: cronJob }, part),
      GroupName: h.outputs.ScheduleGroup,
    }),
  );

beforeAll(async () => {
  h = await startCloudHarness();
  kubectl = kubectlFor(h.kubeconfigPath);
  scheduler = new SchedulerClient(h.clientConfig('scheduler'));
  ecs = new ECSClient(h.clientConfig('ecs'));
  dir = mkdtempSync(join(tmpdir(), 'podflow-cloud-workloads-'));
}, 60_000);

afterAll(async () => {
  scheduler?.destroy();
  ecs?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await h?.close();
}, 30_000);

describe.skipIf(!kubectlPath)('Jobs and CronJobs in the deployed composition', () => {
  it('a Job of 2 completions, parallelism 2: its pods run as ECS tasks and it reaches Complete (2 succeeded)', async () => {
    const applied = await apply(
      'twice',
      jobManifest('twice', { completions: 2, parallelism: 2 }, 'echo checked'),
    );
    expect(applied.stdout.trim()).toBe('job.batch/twice created');
    const job = await eventually(() => jobCondition('twice', 'Complete'), 90_000, 250);
    expect(job.status).toMatchObject({ succeeded: 2 });
    const pods = await jobPods('twice');
    expect(pods.map((p) => p.status.phase)).toEqual(['Succeeded', 'Succeeded']);
    // Each pod was a Fargate task of the stack's cluster: ECS's startedBy names the pod's uid
    // (src/adapters/fargate/sandbox-identity.ts).
    for (const p of pods) {
      const tasks: string[] = [];
      // RUNNING until the pod's sandbox is stopped, STOPPED after.
      for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
        const listed = await ecs.send(
          new ListTasksCommand({
            cluster: h.outputs.ClusterArn,
            startedBy: startedByFor(p.metadata.uid),
            desiredStatus,
          }),
        );
        tasks.push(...listed.taskArns!);
      }
      expect(tasks, p.metadata.name).toHaveLength(1);
    }
    const logs = await kubectl(['logs', 'job/twice']);
    expect(logs.stdout.trim()).toBe('checked');
  }, 120_000);

  it('backoffLimit 1 with a failing pod: a second pod after the back-off timer, then Failed BackoffLimitExceeded', async () => {
    await apply('flaky', jobManifest('flaky', { backoffLimit: 1 }, 'exit 3'));
    const job = await eventually(() => jobCondition('flaky', 'Failed'), 120_000, 500);
    expect(job.status).toMatchObject({ failed: 2 });
    expect(job.status!.conditions!.find((c) => c.type === 'Failed')!.reason).toBe('BackoffLimitExceeded');
    expect((await jobPods('flaky')).map((p) => p.status.phase)).toEqual(['Failed', 'Failed']);
  }, 150_000);

  it('a CronJob keeps one Scheduler schedule in its time zone: created, updated, disabled while suspended, deleted with it', async () => {
    const cronJob = (schedule: string, suspend = false) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        schedule,
        timeZone: 'Europe/Berlin',
        suspend,
        jobTemplate: { spec: jobManifest('unused', {}, 'echo nightly').spec },
      },
    });
    expect((await apply('nightly', cronJob('30 2 * * *'))).stdout.trim()).toBe(
      'cronjob.batch/nightly created',
    );
    const created = await eventually(() => getSchedule('nightly'), 20_000, 100);
    expect(created).toMatchObject({
      ScheduleExpression: 'cron(30 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      Target: { Arn: h.outputs.ControllersFunctionArn },
    });
    // Days of the month OR days of the week (robfig's rule when both are restricted): two schedules.
    await apply('nightly', cronJob('0 6 13 * 5'));
    await eventually(
      async () => (await getSchedule('nightly')).ScheduleExpression === 'cron(0 6 13 * ? *)',
      20_000,
      100,
    );
    expect((await getSchedule('nightly', 'cronjob.days-of-week')).ScheduleExpression).toBe(
      'cron(0 6 ? * FRI *)',
    );
    await apply('nightly', cronJob('0 6 * * *', true));
    await eventually(async () => (await getSchedule('nightly')).State === 'DISABLED', 20_000, 100);
    expect((await getSchedule('nightly')).ScheduleExpression).toBe('cron(0 6 * * ? *)');
    await expect(getSchedule('nightly', 'cronjob.days-of-week')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect((await kubectl(['delete', 'cronjob', 'nightly'])).stdout.trim()).toBe(
      'cronjob.batch "nightly" deleted',
    );
    await eventually(
      () =>
        getSchedule('nightly').then(
          () => false,
          (err: { name?: string }) => err.name === 'ResourceNotFoundException',
        ),
      20_000,
      100,
    );
  }, 90_000);

  it('an every-minute CronJob: its schedule fires, the controller starts a Job, whose pod runs to Completed', async () => {
    await apply('minutely', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'minutely' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: jobManifest('x', {}, 'echo tick').spec } },
    });
    // Scheduler fires within the next minute (the emulator's clock follows real time here).
    const cj = await eventually(
      async () => {
        const c = await getJson<{ status?: { lastScheduleTime?: string; lastSuccessfulTime?: string } }>([
          'cronjob',
          'minutely',
        ]);
        return c.status?.lastSuccessfulTime ? c : undefined;
      },
      150_000,
      1000,
    );
    expect(Date.parse(cj.status!.lastScheduleTime!) % 60_000).toBe(0);
    const jobs = await getJson<{ items: Array<{ metadata: { name: string } }> }>(['jobs']);
    const made = jobs.items.map((j) => j.metadata.name).filter((n) => n.startsWith('minutely-'));
    expect(made.length).toBeGreaterThanOrEqual(1);
    const logs = await kubectl(['logs', `job/${made[0]}`]);
    expect(logs.stdout.trim()).toBe('tick');
    await kubectl(['delete', 'cronjob', 'minutely']);
  }, 180_000);
});
