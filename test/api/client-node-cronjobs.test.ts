// @kubernetes/client-node against `podflow serve` (in-process) for batch/v1 CronJobs (issue 16 item 4): BatchV1Api
// create / read status / replace / delete as the library sends them, the Jobs a schedule starts (owner, annotation,
// status.active, lastScheduleTime), suspend through a replace, and the API server's errors as Status bodies with the
// field path. The CronJob controller (and the API) run on a clock 20 times faster than real time, so a minute of the
// schedule is 3 s.
import { ApiException, BatchV1Api, KubeConfig, type V1CronJob } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION } from '../../src/core/cron/sync-cronjob.ts';
import { scaledClock } from '../support/scaled-clock.ts';
import { startTestServe, type TestServe } from './support.ts';

let serve: TestServe;
let batch: BatchV1Api;

beforeAll(async () => {
  serve = await startTestServe({ cronClock: scaledClock(20, Date.now()) });
  const kc = new KubeConfig();
  kc.loadFromFile(serve.kubeconfig);
  batch = kc.makeApiClient(BatchV1Api);
}, 30_000);

afterAll(async () => {
  await serve?.dispose();
}, 60_000);

async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function retryOnConflict<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof ApiException) || err.code !== 409 || attempt === 5) throw err;
    }
  }
}

const cronJob = (name: string, schedule: string, extra: Partial<V1CronJob['spec']> = {}): V1CronJob => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name },
  spec: {
    schedule,
    ...extra,
    jobTemplate: {
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'main', image: 'busybox', command: ['true'] }],
          },
        },
      },
    },
  },
});

const jobsOf = async (name: string) =>
  (await batch.listNamespacedJob({ namespace: 'default' })).items.filter((j) =>
    (j.metadata?.ownerReferences ?? []).some((o) => o.kind === 'CronJob' && o.name === name),
  );

describe('@kubernetes/client-node: CronJobs', () => {
  it('creates a CronJob with the API server defaults; its schedule starts Jobs it owns, named and annotated by the scheduled time', async () => {
    const created = await batch.createNamespacedCronJob({
      namespace: 'default',
      body: cronJob('minutely', '* * * * *', { timeZone: 'Europe/Berlin' }),
    });
    expect(created.spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    const status = await eventually(
      () => batch.readNamespacedCronJobStatus({ namespace: 'default', name: 'minutely' }),
      (c) => c.status?.lastScheduleTime !== undefined,
      'lastScheduleTime',
    );
    const scheduled = new Date(status.status!.lastScheduleTime!);
    expect(scheduled.getUTCSeconds()).toBe(0);
    const [job] = await jobsOf('minutely');
    expect(job!.metadata!.name).toBe(`minutely-${scheduled.getTime() / 60_000}`);
    expect(job!.metadata!.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'CronJob',
        name: 'minutely',
        uid: created.metadata!.uid,
        controller: true,
      }),
    ]);
    // RFC 3339 in the CronJob's zone (+01:00 in winter, +02:00 in summer).
    expect(job!.metadata!.annotations![CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).toMatch(/[+]0[12]:00$/);
    expect(new Date(job!.metadata!.annotations![CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]!).getTime()).toBe(
      scheduled.getTime(),
    );
  }, 40_000);

  it('suspend through a replace stops the schedule; delete removes the CronJob and its Jobs', async () => {
    // The controller writes the CronJob's status as its Jobs run: a read-modify-replace can meet a newer version
    // (409 Conflict) and is retried from a fresh read, as client-go's retry.RetryOnConflict does.
    const replaced = await retryOnConflict(async () => {
      const current = await batch.readNamespacedCronJob({ namespace: 'default', name: 'minutely' });
      return batch.replaceNamespacedCronJob({
        namespace: 'default',
        name: 'minutely',
        body: { ...current, spec: { ...current.spec!, suspend: true } },
      });
    });
    expect(replaced.spec!.suspend).toBe(true);
    expect(replaced.metadata!.generation).toBe(2);
    await batch.deleteNamespacedCronJob({ namespace: 'default', name: 'minutely' });
    await eventually(
      () => jobsOf('minutely'),
      (jobs) => jobs.length === 0,
      'the Jobs of the deleted CronJob to go',
    );
  }, 40_000);

  it('delete with propagationPolicy Orphan keeps the Jobs, without the CronJob as owner; nothing collects them later', async () => {
    await batch.createNamespacedCronJob({ namespace: 'default', body: cronJob('keeper', '* * * * *') });
    const [first] = await eventually(
      () => jobsOf('keeper'),
      (jobs) => jobs.length > 0,
      'a Job of the CronJob',
    );
    await batch.deleteNamespacedCronJob({
      namespace: 'default',
      name: 'keeper',
      propagationPolicy: 'Orphan',
    });
    await expect(batch.readNamespacedCronJob({ namespace: 'default', name: 'keeper' })).rejects.toMatchObject(
      {
        code: 404,
      },
    );
    const name = first!.metadata!.name!;
    const kept = await batch.readNamespacedJob({ namespace: 'default', name });
    expect(kept.metadata!.uid).toBe(first!.metadata!.uid);
    expect(kept.metadata!.ownerReferences).toBeUndefined();
    // A scheduled minute later (3 s on this clock) it is still there: no controller took it for an orphan.
    await new Promise((r) => setTimeout(r, 3500));
    expect((await batch.readNamespacedJob({ namespace: 'default', name })).metadata!.uid).toBe(
      kept.metadata!.uid,
    );
    await batch.deleteNamespacedJob({ namespace: 'default', name, propagationPolicy: 'Background' });
  }, 40_000);

  it('delete with propagationPolicy Foreground: the CronJob stays marked (foregroundDeletion) until its Jobs are gone', async () => {
    await batch.createNamespacedCronJob({ namespace: 'default', body: cronJob('fg', '* * * * *') });
    await eventually(
      () => jobsOf('fg'),
      (jobs) => jobs.length > 0,
      'a Job of the CronJob',
    );
    // client-node reads a DELETE's answer as a Status; the API server answers Foreground with the marked object.
    const res = await fetch(`${serve.url}/apis/batch/v1/namespaces/default/cronjobs/fg`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' }),
    });
    expect(res.status).toBe(202);
    const marked = (await res.json()) as V1CronJob;
    expect(marked.metadata!.deletionTimestamp).toBeDefined();
    expect(marked.metadata!.finalizers).toContain('foregroundDeletion');
    await eventually(
      () =>
        batch.readNamespacedCronJob({ namespace: 'default', name: 'fg' }).then(
          () => 'present',
          (err: { code?: number }) => (err.code === 404 ? 'gone' : 'error'),
        ),
      (v) => v === 'gone',
      'the CronJob to go',
    );
    expect(await jobsOf('fg')).toEqual([]);
  }, 40_000);

  it('bad input: a Status with the field path — a schedule out of range, TZ in the schedule, a bad policy', async () => {
    const cases: Array<[V1CronJob, string]> = [
      [cronJob('bad', '0 25 * * *'), 'spec.schedule'],
      [cronJob('bad', 'CRON_TZ=UTC 0 9 * * *'), 'spec.schedule'],
      [cronJob('bad', '0 9 * * *', { concurrencyPolicy: 'Sometimes' }), 'spec.concurrencyPolicy'],
      [cronJob('bad', '0 9 * * *', { startingDeadlineSeconds: -1 }), 'spec.startingDeadlineSeconds'],
    ];
    for (const [body, field] of cases) {
      try {
        await batch.createNamespacedCronJob({ namespace: 'default', body });
        throw new Error(`accepted: ${JSON.stringify(body.spec)}`);
      } catch (err) {
        if (!(err instanceof ApiException)) throw err;
        const status = JSON.parse(err.body as string) as {
          code: number;
          reason: string;
          details: { causes: Array<{ field: string }> };
        };
        expect(status.code).toBe(422);
        expect(status.reason).toBe('Invalid');
        expect(status.details.causes.map((c) => c.field)).toContain(field);
      }
    }
  });
});
