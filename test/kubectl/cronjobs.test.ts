// Real kubectl (1.32) against `podflow serve` (in-process) for batch/v1 CronJobs (issue 16 item 4): the schedule in
// two time zones across their DST changes, Forbid, Replace, the history limits, `kubectl create job
// --from=cronjob/x` (a protobuf body), `kubectl create cronjob`, `kubectl get cronjobs` columns, describe, delete,
// and bad input as a Status with the field path. The CronJob controller's clock is injected and runs faster than real
// time (test/support/scaled-clock.ts): its minutes pass in fractions of a second while the API, the Job controller and
// the processes run for real. Only KUBECONFIG (plus PATH and a temporary HOME) is given to kubectl.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION } from '../../src/core/cron/sync-cronjob.ts';
import { startTestServe, type TestServe } from '../api/support.ts';
import { scaledClock } from '../support/scaled-clock.ts';
import { eventually, KUBECTL, type Run } from './harness.ts';

if (!KUBECTL) console.warn('test/kubectl/cronjobs skipped: kubectl not found in /usr/bin or on PATH');

interface Served {
  serve: TestServe;
  home: string;
  /** Starts the CronJob controller's clock (held from start-up until then). */
  runClock: () => void;
  kubectl: (args: string[], input?: string) => Promise<Run>;
  stop: () => Promise<void>;
}

async function serveWith(scale: number, start: number): Promise<Served> {
  const home = mkdtempSync(join(tmpdir(), 'podflow-cron-home-'));
  const cronClock = scaledClock(scale, start, { held: true });
  const serve = await startTestServe({ cronClock });
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: serve.kubeconfig };
  const kubectl = (args: string[], input = ''): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(KUBECTL!, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(input);
    });
  return {
    serve,
    home,
    runClock: cronClock.run,
    kubectl,
    stop: async () => {
      await serve.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

interface JobJson {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
  };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** The Jobs a CronJob controls, oldest name first. */
async function jobsOf(s: Served, cronJob: string): Promise<JobJson[]> {
  const r = await s.kubectl(['get', 'jobs', '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: JobJson[] }).items
    .filter((j) => (j.metadata.ownerReferences ?? []).some((o) => o.kind === 'CronJob' && o.name === cronJob))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

const finished = (j: JobJson): boolean =>
  (j.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );

function cronJobManifest(name: string, spec: Record<string, unknown>, script: string): string {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      ...spec,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }],
            },
          },
        },
      },
    },
  });
}

async function apply(s: Served, manifest: string): Promise<void> {
  const r = await s.kubectl(['apply', '-f', '-'], manifest);
  expect(r.code, r.stderr).toBe(0);
}

describe.skipIf(!KUBECTL)('kubectl: CronJob schedules across a DST change', () => {
  it.each([
    {
      name: 'America/New_York, 2026-03-08: 01:00 EST, then 03:00 EDT one hour later (02:00 does not exist)',
      zone: 'America/New_York',
      start: '2026-03-08T05:00:00Z',
      want: ['2026-03-08T01:00:00-05:00', '2026-03-08T03:00:00-04:00', '2026-03-08T04:00:00-04:00'],
    },
    {
      name: 'Europe/Berlin, 2026-03-29: 01:00 CET, then 03:00 CEST one hour later',
      zone: 'Europe/Berlin',
      start: '2026-03-28T23:00:00Z',
      want: ['2026-03-29T01:00:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T04:00:00+02:00'],
    },
  ])(
    '$name',
    async ({ zone, start, want }) => {
      // 600×: an hour of the schedule is 6 s; the first time is an hour (6 s) after the clock starts.
      const s = await serveWith(600, Date.parse(start));
      try {
        s.runClock();
        await apply(
          s,
          cronJobManifest(
            'hourly',
            { schedule: '0 * * * *', timeZone: zone, successfulJobsHistoryLimit: 10 },
            'true',
          ),
        );
        await eventually(async () => (await jobsOf(s, 'hourly')).length >= 3, 40_000, 'three hourly Jobs');
        const jobs = (await jobsOf(s, 'hourly')).slice(0, 3);
        expect(jobs.map((j) => j.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION])).toEqual(
          want,
        );
        // Named by the scheduled minute since the epoch: 60 minutes apart although the wall clock moved two hours.
        const minutes = jobs.map((j) => Number(j.metadata.name.slice('hourly-'.length)));
        expect(minutes.map((m) => m - minutes[0]!)).toEqual([0, 60, 120]);
        const r = await s.kubectl(['get', 'cronjobs']);
        expect(
          r.stdout
            .split('\n')[0]!
            .trim()
            .split(/\s{2,}/),
        ).toEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
        expect(r.stdout.split('\n')[1]).toMatch(
          new RegExp(`^hourly\\s+0 \\* \\* \\* \\*\\s+${zone}\\s+False\\s`),
        );
      } finally {
        await s.stop();
      }
    },
    90_000,
  );
});

describe.skipIf(!KUBECTL)('kubectl: CronJobs against podflow serve', () => {
  let s: Served;

  beforeAll(async () => {
    // 20×: a minute of the schedule is 3 s.
    s = await serveWith(20, Date.now());
    s.runClock();
  }, 30_000);

  afterAll(async () => {
    await s?.stop();
  }, 60_000);

  it('discovery: cronjobs in batch/v1 with short name cj, category all', async () => {
    const r = await s.kubectl(['api-resources', '--api-group=batch', '--no-headers']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m);
    const explain = await s.kubectl(['explain', 'cronjob.spec.concurrencyPolicy']);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toMatch(/FIELD: concurrencyPolicy <string>/);
  });

  it('bad input is a Status naming the field: an invalid schedule, a TZ in the schedule, an unknown time zone', async () => {
    const cases = [
      {
        spec: { schedule: '61 * * * *' },
        want: /spec\.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\)/,
      },
      {
        spec: { schedule: 'TZ=Europe/Berlin 0 9 * * *' },
        want: /spec\.schedule: Invalid value: .*cannot use TZ or CRON_TZ in schedule, use timeZone field instead/,
      },
      {
        spec: { schedule: '0 9 * * *', timeZone: 'Mars/Olympus' },
        want: /spec\.timeZone: Invalid value: "Mars\/Olympus": unknown time zone/,
      },
    ];
    for (const c of cases) {
      const r = await s.kubectl(['apply', '-f', '-'], cronJobManifest('bad', c.spec, 'true'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/The CronJob "bad" is invalid/);
      expect(r.stderr).toMatch(c.want);
    }
  });

  it('runs on schedule: get cronjobs,jobs,pods, logs of the run, describe with the controller events', async () => {
    await apply(
      s,
      cronJobManifest(
        'hello',
        { schedule: '* * * * *', successfulJobsHistoryLimit: 10 },
        'echo "checked at $(date -u +%H:%M)"',
      ),
    );
    await eventually(async () => (await jobsOf(s, 'hello')).some(finished), 30_000, 'a finished run');
    const [job] = await jobsOf(s, 'hello');
    expect(job!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'CronJob', name: 'hello', controller: true }),
    ]);
    const logs = await s.kubectl(['logs', `job/${job!.metadata.name}`]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^checked at \d\d:\d\d$/m);
    const get = await s.kubectl(['get', 'cronjobs,jobs,pods']);
    expect(get.stdout).toMatch(
      /^cronjob\.batch\/hello\s+\* \* \* \* \*\s+<none>\s+False\s+[01]\s+\S+\s+\S+$/m,
    );
    expect(get.stdout).toMatch(new RegExp(`^job\\.batch/${job!.metadata.name}\\s+Complete\\s+1/1`, 'm'));
    await eventually(
      async () => /SawCompletedJob/.test((await s.kubectl(['describe', 'cronjob', 'hello'])).stdout),
      20_000,
      'SawCompletedJob in describe',
    );
    const describe = await s.kubectl(['describe', 'cronjob', 'hello']);
    expect(describe.stdout).toMatch(/^Schedule:\s+\* \* \* \* \*$/m);
    expect(describe.stdout).toMatch(/^Concurrency Policy:\s+Allow$/m);
    expect(describe.stdout).toMatch(/^Last Schedule Time:\s+\w{3}, /m);
    expect(describe.stdout).toMatch(
      new RegExp(`Normal\\s+SuccessfulCreate\\s+.*cronjob-controller\\s+Created job ${job!.metadata.name}`),
    );
    expect(describe.stdout).toMatch(
      new RegExp(
        `Normal\\s+SawCompletedJob\\s+.*cronjob-controller\\s+Saw completed job: ${job!.metadata.name}, condition: Complete`,
      ),
    );
    const del = await s.kubectl(['delete', 'cronjob', 'hello']);
    expect(del.code, del.stderr).toBe(0);
    await eventually(
      async () => (await jobsOf(s, 'hello')).length === 0,
      20_000,
      'the Jobs of the deleted CronJob to go',
    );
  }, 90_000);

  it('kubectl get cronjobs --watch sees each scheduled run as a MODIFIED CronJob', async () => {
    await apply(s, cronJobManifest('watched', { schedule: '* * * * *' }, 'true'));
    const child = spawn(
      KUBECTL!,
      [
        'get',
        'cronjob',
        'watched',
        '--watch',
        '--output-watch-events',
        '-o',
        'jsonpath={.type} {.object.status.lastScheduleTime}{"\\n"}',
      ],
      {
        env: { PATH: process.env.PATH, HOME: s.home, KUBECONFIG: s.serve.kubeconfig },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // Two runs, a minute (3 s) apart: two lastScheduleTimes a minute apart in the watch.
      await eventually(
        () =>
          new Set(
            out
              .split('\n')
              .filter((l) => l.startsWith('MODIFIED 20'))
              .map((l) => l.split(' ')[1]),
          ).size >= 2,
        20_000,
        'two scheduled runs in the watch',
      );
      const times = [
        ...new Set(
          out
            .split('\n')
            .filter((l) => l.startsWith('MODIFIED 20'))
            .map((l) => l.split(' ')[1]!),
        ),
      ];
      expect(Date.parse(times[1]!) - Date.parse(times[0]!)).toBe(60_000);
      expect(out.split('\n')[0]).toMatch(/^ADDED /);
    } finally {
      child.kill('SIGTERM');
    }
    expect((await s.kubectl(['delete', 'cronjob', 'watched'])).code).toBe(0);
  }, 40_000);

  it('kubectl create job --from=cronjob/x: the template, the manual annotation, the CronJob as controller', async () => {
    const created = await s.kubectl([
      'create',
      'cronjob',
      'nightly',
      '--image=busybox',
      '--schedule=0 3 * * *',
      '--restart=Never',
      '--',
      'sh',
      '-c',
      'echo manual run',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const r = await s.kubectl(['create', 'job', 'nightly-now', '--from=cronjob/nightly']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('job.batch/nightly-now created');
    await eventually(
      async () =>
        (await s.kubectl(['get', 'job', 'nightly-now', '-o', 'jsonpath={.status.succeeded}'])).stdout === '1',
      30_000,
      'the manual Job to complete',
    );
    const job = JSON.parse((await s.kubectl(['get', 'job', 'nightly-now', '-o', 'json'])).stdout) as JobJson;
    expect(job.metadata.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual' });
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', controller: true }),
    ]);
    const logs = await s.kubectl(['logs', 'job/nightly-now']);
    expect(logs.stdout.trim()).toBe('manual run');
    // Not scheduled (03:00 is hours away): the CronJob did not run it itself.
    expect(
      (await s.kubectl(['get', 'cronjob', 'nightly', '-o', 'jsonpath={.status.lastScheduleTime}'])).stdout,
    ).toBe('');
  }, 60_000);

  it('Forbid: while a run is still going, the next times start nothing (JobAlreadyActive)', async () => {
    await apply(
      s,
      cronJobManifest('forbid', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' }, 'sleep 60'),
    );
    await eventually(async () => (await jobsOf(s, 'forbid')).length === 1, 20_000, 'the first run');
    // Two scheduled times pass with the first run still going: two refusals (one aggregated Event, count 2).
    await eventually(
      async () => {
        const r = await s.kubectl([
          'get',
          'events',
          '--field-selector',
          'reason=JobAlreadyActive',
          '-o',
          'json',
        ]);
        const items = (JSON.parse(r.stdout) as { items: Array<{ count?: number }> }).items;
        return items.reduce((n, e) => n + (e.count ?? 1), 0) >= 2;
      },
      20_000,
      'two JobAlreadyActive',
    );
    expect(await jobsOf(s, 'forbid')).toHaveLength(1);
    const describe = await s.kubectl(['describe', 'cronjob', 'forbid']);
    expect(describe.stdout).toMatch(
      /Normal\s+JobAlreadyActive\s+.*cronjob-controller\s+Not starting job because prior execution is running and concurrency policy is Forbid/,
    );
    expect(describe.stdout).toMatch(/^Active Jobs:\s+forbid-\d+$/m);
    expect((await s.kubectl(['delete', 'cronjob', 'forbid'])).code).toBe(0);
  }, 60_000);

  it('Replace: the running Job is deleted at the next time and a new one takes its place', async () => {
    await apply(
      s,
      cronJobManifest('replace', { schedule: '* * * * *', concurrencyPolicy: 'Replace' }, 'sleep 60'),
    );
    await eventually(async () => (await jobsOf(s, 'replace')).length >= 1, 20_000, 'the first run');
    const [first] = await jobsOf(s, 'replace');
    await eventually(
      async () => {
        const names = (await jobsOf(s, 'replace')).map((j) => j.metadata.name);
        return names.length >= 1 && !names.includes(first!.metadata.name);
      },
      20_000,
      'the first Job replaced',
    );
    const describe = await s.kubectl(['describe', 'cronjob', 'replace']);
    expect(describe.stdout).toMatch(
      new RegExp(`Normal\\s+SuccessfulDelete\\s+.*cronjob-controller\\s+Deleted job ${first!.metadata.name}`),
    );
    expect((await s.kubectl(['delete', 'cronjob', 'replace'])).code).toBe(0);
  }, 60_000);

  it('history limits: successfulJobsHistoryLimit 1 and failedJobsHistoryLimit 1 keep one of each', async () => {
    // Alternate outcomes: the minute's parity decides.
    await apply(
      s,
      cronJobManifest(
        'history',
        { schedule: '* * * * *', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 },
        'test $(( $(date +%s) / 3 % 2 )) -eq 0',
      ),
    );
    const seen = new Set<string>();
    await eventually(
      async () => {
        for (const j of await jobsOf(s, 'history')) seen.add(j.metadata.name);
        return seen.size >= 5;
      },
      45_000,
      'five runs',
    );
    await eventually(
      async () => {
        const jobs = await jobsOf(s, 'history');
        const done = jobs.filter(finished);
        const ok = done.filter((j) => j.status!.conditions!.some((c) => c.type === 'Complete'));
        return ok.length <= 1 && done.length - ok.length <= 1;
      },
      20_000,
      'the history pruned to one of each',
    );
    const describe = await s.kubectl(['describe', 'cronjob', 'history']);
    expect(describe.stdout).toMatch(
      /Normal\s+SuccessfulDelete\s+.*cronjob-controller\s+Deleted job history-\d+/,
    );
    expect((await s.kubectl(['delete', 'cronjob', 'history'])).code).toBe(0);
  }, 90_000);
});

describe.skipIf(!KUBECTL)('kubectl: examples/health-checks', () => {
  it('a run passes its three checks; with /healthz removed the next run fails: Job Failed, event, exit code 1', async () => {
    const s = await serveWith(20, Date.now());
    try {
      const targets = await s.kubectl(['apply', '-f', 'examples/health-checks/targets.yaml']);
      expect(targets.code, targets.stderr).toBe(0);
      const ready = await s.kubectl(['wait', '--for=condition=Ready', 'pod/health-targets', '--timeout=30s']);
      expect(ready.code, ready.stderr).toBe(0);
      s.runClock();
      const cron = await s.kubectl(['apply', '-f', 'examples/health-checks/health-check-cronjob.yaml']);
      expect(cron.code, cron.stderr).toBe(0);

      await eventually(
        async () => (await jobsOf(s, 'health-check')).some(finished),
        30_000,
        'a finished run',
      );
      const [first] = (await jobsOf(s, 'health-check')).filter(finished);
      expect(first!.status!.conditions!.map((c) => c.type)).toContain('Complete');
      const logs = await s.kubectl(['logs', `job/${first!.metadata.name}`]);
      expect(logs.stdout).toMatch(/^ok {3}http:\/\/127\.0\.0\.1:8091\/healthz HTTP 200 \d+ms$/m);
      expect(logs.stdout).toMatch(/^ok {3}tcp:\/\/127\.0\.0\.1:8091 connected \d+ms$/m);
      expect(logs.stdout).toMatch(/^3\/3 checks passed$/m);

      const broken = await s.kubectl([
        'exec',
        'health-targets',
        '--',
        'rm',
        '/tmp/health-checks-demo/healthz',
      ]);
      expect(broken.code, broken.stderr).toBe(0);
      let failedJob: JobJson | undefined;
      await eventually(
        async () => {
          failedJob = (await jobsOf(s, 'health-check')).find((j) =>
            (j.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True'),
          );
          return failedJob !== undefined;
        },
        30_000,
        'a failed run',
      );
      // Hold the schedule (a later failed run would prune this one after three more minutes, 9 s).
      const suspend = await s.kubectl([
        'patch',
        'cronjob',
        'health-check',
        '--type=merge',
        '-p',
        '{"spec":{"suspend":true}}',
      ]);
      expect(suspend.code, suspend.stderr).toBe(0);
      const name = failedJob!.metadata.name;
      const failedLogs = await s.kubectl(['logs', `job/${name}`]);
      expect(failedLogs.stdout).toMatch(/^FAIL http:\/\/127\.0\.0\.1:8091\/healthz HTTP 404$/m);
      expect(failedLogs.stdout).toMatch(/^2\/3 checks passed$/m);
      const get = await s.kubectl(['get', 'jobs', name]);
      expect(get.stdout).toMatch(new RegExp(`^${name}\\s+Failed\\s+0/1`, 'm'));
      const describe = await s.kubectl(['describe', 'job', name]);
      expect(describe.stdout).toMatch(
        /Warning\s+BackoffLimitExceeded\s+.*job-controller\s+Job has reached the specified backoff limit/,
      );
      const pods = await s.kubectl([
        'get',
        'pods',
        '-l',
        `job-name=${name}`,
        '-o',
        'jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode}',
      ]);
      expect(pods.stdout).toBe('1');
      await s.kubectl(['delete', 'cronjob', 'health-check']);
      await s.kubectl(['delete', 'pod', 'health-targets', '--grace-period=1']);
    } finally {
      await s.stop();
    }
  }, 120_000);
});
