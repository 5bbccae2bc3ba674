// Real kubectl (1.32) against `podflow serve` for batch/v1 Jobs (issue 16, the Job bullet and item 7): pods that fail
// once each replaced after the back-off until 3 completions (parallelism 2), backoffLimit → BackoffLimitExceeded, a
// podFailurePolicy FailJob rule on exit code 42, Indexed mode's JOB_COMPLETION_INDEX, `kubectl get jobs` columns,
// `kubectl wait --for=condition=complete`, `kubectl logs job/x`, `kubectl describe job`, `kubectl delete job` with
// kubectl's Background propagation, `--cascade=orphan` and `--cascade=foreground`, and a Job that finishes while no
// engine runs. The Job back-off is scaled through the engine flags (--job-backoff-initial/-max), as the e2e tests
// scale the crash back-off. Pods record their attempts in a host temporary directory given by env (no volumes).
// Only KUBECONFIG (plus PATH and a temporary HOME) is given to kubectl; the suite is skipped without kubectl.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, KUBECTL, type Run } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');

if (!KUBECTL) console.warn('test/kubectl/jobs skipped: kubectl not found in /usr/bin or on PATH');

interface Serve {
  process: ChildProcess;
  output: () => string;
  env: NodeJS.ProcessEnv;
}

let dataDir: string;
let home: string;
let files: string;
let serve: Serve;

/** `podflow serve` on `dir` with the Job back-off scaled to 200 ms doubling to 1 s. */
async function startServe(dir: string): Promise<Serve> {
  const child = spawn(
    NODE,
    [
      join(ROOT, 'bin', 'podflow.js'),
      'serve',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--job-backoff-initial',
      '200ms',
      '--job-backoff-max',
      '1s',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(() => /export KUBECONFIG=(\S+)/.test(out), 20_000, 'podflow serve to listen');
  return {
    process: child,
    output: () => out,
    env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: /export KUBECONFIG=(\S+)/.exec(out)![1]! },
  };
}

async function stopServe(s: Serve): Promise<void> {
  if (s.process.exitCode !== null) return;
  const exited = new Promise<number | null>((r) => s.process.on('exit', (code) => r(code)));
  s.process.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
  expect(code, `podflow serve did not shut down gracefully:\n${s.output()}`).toBe(0);
}

function kubectl(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL!, args, { env: serve.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

const tableRows = (text: string): string[][] =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

interface JobJson {
  metadata: { uid: string };
  status: {
    succeeded?: number;
    failed?: number;
    active?: number;
    completedIndexes?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

async function getJob(name: string): Promise<JobJson> {
  const r = await kubectl(['get', 'job', name, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as JobJson;
}

interface PodJson {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
    generateName?: string;
  };
  spec: { hostname?: string };
  status: { phase?: string };
}

async function podsOf(job: string): Promise<PodJson[]> {
  const r = await kubectl(['get', 'pods', '-l', `job-name=${job}`, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: PodJson[] }).items;
}

const trueConditions = (job: JobJson): string[] =>
  (job.status.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}/${c.reason}`);

/** A Job of one container running `script` under sh, with `$MARKS` a fresh host directory. */
function jobManifest(
  name: string,
  script: string,
  spec: Record<string, unknown> = {},
  graceSeconds = 1,
): string {
  const marks = join(files, name);
  mkdirSync(marks, { recursive: true });
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: graceSeconds,
          containers: [
            {
              name: 'main',
              image: 'busybox',
              command: ['sh', '-c', script],
              env: [{ name: 'MARKS', value: marks }],
            },
          ],
        },
      },
    },
  });
}

async function apply(manifest: string): Promise<void> {
  const r = await kubectl(['apply', '-f', '-'], { input: manifest });
  expect(r.code, r.stderr).toBe(0);
}

describe.skipIf(!KUBECTL)('kubectl: Jobs against podflow serve', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'podflow-kubectl-jobs-'));
    home = mkdtempSync(join(tmpdir(), 'podflow-kubectl-jobs-home-'));
    files = mkdtempSync(join(tmpdir(), 'podflow-kubectl-jobs-files-'));
    serve = await startServe(dataDir);
  }, 40_000);

  afterAll(async () => {
    if (KUBECTL && serve) {
      await kubectl(['delete', 'jobs', '--all', '--cascade=background'], { timeoutMs: 20_000 });
      await kubectl(['delete', 'pods', '--all', '--grace-period=1', '--timeout=30s'], { timeoutMs: 40_000 });
      await stopServe(serve);
    }
    for (const d of [dataDir, home, files]) if (d) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('api-resources lists jobs (and cronjobs) in batch/v1 (category all)', async () => {
    const r = await kubectl(['api-resources', '--api-group=batch', '--no-headers']);
    expect(r.code, r.stderr).toBe(0);
    expect(tableRows(r.stdout)).toEqual([
      ['cronjobs', 'cj', 'batch/v1', 'true', 'CronJob'],
      ['jobs', 'batch/v1', 'true', 'Job'],
    ]);
  });

  it('3 completions, parallelism 2, every pod failing once: Complete with 3 succeeded and 3 failed', async () => {
    // The first three attempts claim a failure each (mkdir is atomic); every later attempt succeeds.
    const script =
      'if mkdir "$MARKS/f1" 2>/dev/null || mkdir "$MARKS/f2" 2>/dev/null || mkdir "$MARKS/f3" 2>/dev/null; then echo failing; exit 1; fi; echo done-ok';
    await apply(jobManifest('flaky', script, { completions: 3, parallelism: 2 }));
    const wait = await kubectl(['wait', '--for=condition=complete', 'job/flaky', '--timeout=60s'], {
      timeoutMs: 70_000,
    });
    expect(wait.stdout.trim(), wait.stderr).toBe('job.batch/flaky condition met');
    const job = await getJob('flaky');
    expect(job.status).toMatchObject({ succeeded: 3, failed: 3, active: 0 });
    expect(trueConditions(job)).toEqual([
      'SuccessCriteriaMet/CompletionsReached',
      'Complete/CompletionsReached',
    ]);
    const pods = await podsOf('flaky');
    expect(pods.map((p) => p.status.phase).sort()).toEqual([
      'Failed',
      'Failed',
      'Failed',
      'Succeeded',
      'Succeeded',
      'Succeeded',
    ]);
    for (const p of pods) {
      expect(p.metadata.generateName).toBe('flaky-');
      expect(p.metadata.name).toMatch(/^flaky-[a-z0-9]{5}$/);
      expect(p.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Job', name: 'flaky', uid: job.metadata.uid, controller: true }),
      ]);
    }

    const get = await kubectl(['get', 'jobs']);
    expect(get.stderr).toBe('');
    const [header, row] = tableRows(get.stdout);
    expect(header).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(row!.slice(0, 3)).toEqual(['flaky', 'Complete', '3/3']);
    expect(row![3]).toMatch(/^\d+s$/);

    const logs = await kubectl(['logs', 'job/flaky']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(['done-ok', 'failing']).toContain(logs.stdout.trim());

    const describe = await kubectl(['describe', 'job', 'flaky']);
    expect(describe.code, describe.stderr).toBe(0);
    expect(describe.stdout).toMatch(/Pods Statuses:\s+0 Active \(0 Ready\) \/ 3 Succeeded \/ 3 Failed/);
    expect(describe.stdout).toMatch(/Normal\s+SuccessfulCreate\s+.*job-controller\s+Created pod: flaky-/);
    expect(describe.stdout).toMatch(/Normal\s+Completed\s+.*job-controller\s+Job completed/);
  }, 90_000);

  it('backoffLimit 1 with two failures: Failed, reason BackoffLimitExceeded', async () => {
    await apply(jobManifest('give-up', 'echo no; exit 3', { backoffLimit: 1 }));
    const wait = await kubectl(['wait', '--for=condition=failed', 'job/give-up', '--timeout=60s'], {
      timeoutMs: 70_000,
    });
    expect(wait.stdout.trim(), wait.stderr).toBe('job.batch/give-up condition met');
    const job = await getJob('give-up');
    expect(job.status).toMatchObject({ failed: 2, active: 0 });
    expect(trueConditions(job)).toEqual([
      'FailureTarget/BackoffLimitExceeded',
      'Failed/BackoffLimitExceeded',
    ]);
    expect(job.status.conditions!.find((c) => c.type === 'Failed')!.message).toBe(
      'Job has reached the specified backoff limit',
    );
    expect((await podsOf('give-up')).length).toBe(2);
    const get = await kubectl(['get', 'job', 'give-up', '--no-headers']);
    expect(tableRows(get.stdout)[0]!.slice(0, 3)).toEqual(['give-up', 'Failed', '0/1']);
  }, 90_000);

  it('a podFailurePolicy FailJob rule on exit code 42 fails the Job at its first failure', async () => {
    const manifest = jobManifest('fatal', 'echo fatal; exit 42', {
      backoffLimit: 6,
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
    });
    await apply(manifest);
    const wait = await kubectl(['wait', '--for=condition=failed', 'job/fatal', '--timeout=60s'], {
      timeoutMs: 70_000,
    });
    expect(wait.stdout.trim(), wait.stderr).toBe('job.batch/fatal condition met');
    const job = await getJob('fatal');
    const pods = await podsOf('fatal');
    expect(pods.length).toBe(1);
    expect(job.status.failed).toBe(1);
    expect(trueConditions(job)).toEqual(['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
    expect(job.status.conditions!.find((c) => c.type === 'Failed')!.message).toBe(
      `Container main for pod default/${pods[0]!.metadata.name} failed with exit code 42 matching FailJob rule at index 0`,
    );
  }, 90_000);

  it('Indexed mode: each pod sees its JOB_COMPLETION_INDEX; completedIndexes 0-2', async () => {
    await apply(
      jobManifest('indexed', 'echo "index=$JOB_COMPLETION_INDEX"', {
        completions: 3,
        parallelism: 3,
        completionMode: 'Indexed',
      }),
    );
    const wait = await kubectl(['wait', '--for=condition=complete', 'job/indexed', '--timeout=60s'], {
      timeoutMs: 70_000,
    });
    expect(wait.stdout.trim(), wait.stderr).toBe('job.batch/indexed condition met');
    expect((await getJob('indexed')).status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const pods = await podsOf('indexed');
    const seen: string[] = [];
    for (const p of pods) {
      const index = p.metadata.annotations!['batch.kubernetes.io/job-completion-index']!;
      expect(p.metadata.name.startsWith(`indexed-${index}-`)).toBe(true);
      expect(p.spec.hostname).toBe(`indexed-${index}`);
      const logs = await kubectl(['logs', p.metadata.name]);
      expect(logs.stdout.trim()).toBe(`index=${index}`);
      seen.push(index);
    }
    expect(seen.sort()).toEqual(['0', '1', '2']);
  }, 90_000);

  it('kubectl delete job deletes its pods (Background); --cascade=orphan leaves them, without owner', async () => {
    const running = (name: string) =>
      jobManifest(name, 'echo up; exec sleep 300', { parallelism: 2, completions: 2 });
    await apply(running('doomed'));
    await apply(running('orphaner'));
    for (const name of ['doomed', 'orphaner'])
      await eventually(
        async () => (await podsOf(name)).filter((p) => p.status.phase === 'Running').length === 2,
        30_000,
        `two running pods of ${name}`,
      );

    const del = await kubectl(['delete', 'job', 'doomed']);
    expect(del.stdout.trim(), del.stderr).toBe('job.batch "doomed" deleted');
    await eventually(async () => (await podsOf('doomed')).length === 0, 30_000, 'the pods of doomed to go');

    const orphan = await kubectl(['delete', 'job', 'orphaner', '--cascade=orphan']);
    expect(orphan.stdout.trim(), orphan.stderr).toBe('job.batch "orphaner" deleted');
    expect((await kubectl(['get', 'job', 'orphaner'])).stderr).toContain('jobs.batch "orphaner" not found');
    // The garbage collector would have had time to act: the pods stay, running, owned by nobody.
    await new Promise((r) => setTimeout(r, 1500));
    const left = await podsOf('orphaner');
    expect(left.map((p) => p.status.phase)).toEqual(['Running', 'Running']);
    for (const p of left) expect(p.metadata.ownerReferences).toBeUndefined();
    const cleanup = await kubectl(['delete', 'pods', '-l', 'job-name=orphaner', '--grace-period=1']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
  }, 90_000);

  it('--cascade=foreground: the Job stays, Terminating, until its pods are gone', async () => {
    // The pod ignores SIGTERM: it goes only when its 3 s grace period ends, and the Job waits for it.
    await apply(jobManifest('fg', 'trap "" TERM; echo up; sleep 300', {}, 3));
    await eventually(
      async () => (await podsOf('fg')).some((p) => p.status.phase === 'Running'),
      30_000,
      'the pod of fg to run',
    );
    const del = await kubectl(['delete', 'job', 'fg', '--cascade=foreground', '--wait=false']);
    expect(del.code, del.stderr).toBe(0);
    const during = await kubectl(['get', 'job', 'fg', '--no-headers']);
    expect(during.code, during.stderr).toBe(0);
    expect(tableRows(during.stdout)[0]![1]).toBe('Terminating');
    expect((await podsOf('fg')).length).toBe(1);
    await eventually(
      async () => (await kubectl(['get', 'job', 'fg'])).stderr.includes('not found'),
      30_000,
      'the Job fg to go',
    );
    expect(await podsOf('fg')).toEqual([]);
  }, 60_000);

  it('suspend: no pods and STATUS Suspended; resumed by a patch it runs, completes, and its TTL deletes it', async () => {
    await apply(jobManifest('paused', 'echo resumed-ok', { suspend: true, ttlSecondsAfterFinished: 2 }));
    await eventually(
      async () => (await kubectl(['get', 'job', 'paused', '--no-headers'])).stdout.includes('Suspended'),
      10_000,
      'paused to show Suspended',
    );
    expect(await podsOf('paused')).toEqual([]);
    const patch = await kubectl([
      'patch',
      'job',
      'paused',
      '--type=merge',
      '-p',
      '{"spec":{"suspend":false}}',
    ]);
    expect(patch.code, patch.stderr).toBe(0);
    const wait = await kubectl(['wait', '--for=condition=complete', 'job/paused', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    expect(wait.stdout.trim(), wait.stderr).toBe('job.batch/paused condition met');
    expect((await getJob('paused')).status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Suspended', status: 'False', reason: 'JobResumed' }),
    );
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=paused']);
    expect(events.stdout).toMatch(/Normal\s+Suspended\s+job\/paused\s+Job suspended/);
    expect(events.stdout).toMatch(/Normal\s+Resumed\s+job\/paused\s+Job resumed/);
    await eventually(
      async () => (await kubectl(['get', 'job', 'paused'])).stderr.includes('not found'),
      15_000,
      'the TTL to delete paused',
    );
    await eventually(async () => (await podsOf('paused')).length === 0, 15_000, 'the pods of paused to go');
  }, 60_000);

  it('a Job whose pod finishes while no engine runs completes after the restart', async () => {
    await apply(jobManifest('across', 'sleep 2; echo survived'));
    await eventually(
      async () => (await podsOf('across')).some((p) => p.status.phase === 'Running'),
      30_000,
      'the pod of across to run',
    );
    await stopServe(serve);
    // The container keeps running under its shim and exits while no engine runs.
    await new Promise((r) => setTimeout(r, 3000));
    serve = await startServe(dataDir);
    const wait = await kubectl(['wait', '--for=condition=complete', 'job/across', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    expect(wait.stdout.trim(), wait.stderr).toBe('job.batch/across condition met');
    expect((await getJob('across')).status).toMatchObject({ succeeded: 1, failed: 0 });
    expect((await kubectl(['logs', 'job/across'])).stdout.trim()).toBe('survived');
  }, 90_000);
});
