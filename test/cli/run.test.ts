// `podflow run`, as users run it: the bin as a real process, the real embedded engine, real containers (processes
// under podflow-shim), on small manifests in a temporary directory. Each spawn costs about a second of startup plus
// half a second for the engine, so there are few; they run one after the other (concurrently they only contend
// for CPU), each in a directory of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const BIN = join(ROOT, 'bin', 'podflow.js');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `podflow ARGS` in `cwd`; `done` resolves when it exits. */
function podflow(
  args: string[],
  cwd: string,
): { child: ChildProcess; output: () => string; done: Promise<Finished> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, output: () => stdout, done };
}

const workdirs: string[] = [];
afterAll(() => {
  for (const dir of workdirs) rmSync(dir, { recursive: true, force: true });
});

/** A temporary working directory holding `files`. */
function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'podflow-run-'));
  workdirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A one-container pod running `script` under sh. `$$` must be written `$$$$`: the kubelet expands `$$` to `$`. */
function podYaml(name: string, script: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
${extra}  containers:
  - name: main
    image: busybox:1.36
    command: [sh, -c, ${JSON.stringify(script)}]
`;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('podflow run', () => {
  it('a Never pod exiting 0: exit 0, the timeline shows it run and end Succeeded, then deleted', async () => {
    const dir = workdir({ 'ok.yaml': podYaml('ok', 'echo hello; exit 0') });
    const r = await podflow(['run', '-f', 'ok.yaml', '--in-memory'], dir).done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ +\d+\.\d\ds {2}created$/m);
    expect(r.stdout).toMatch(/^ +\d+\.\d\ds {2}event Normal Started: Started container main$/m);
    expect(r.stdout).toMatch(/^ +\d+\.\d\ds {2}phase Succeeded$/m);
    expect(r.stdout).toMatch(/^ +\d+\.\d\ds {2}main: terminated Completed \(exit 0\)$/m);
    expect(r.stdout).toMatch(/deleted\n$/);
  }, 30_000);

  it('-o json on a pod exiting 3: exit 1, the pod (status included) on stdout, the timeline on stderr', async () => {
    const dir = workdir({ 'fail.yaml': podYaml('fail', 'exit 3') });
    const r = await podflow(['run', '-f', 'fail.yaml', '-o', 'json', '--in-memory'], dir).done;
    expect(r.code).toBe(1);
    const pod = JSON.parse(r.stdout) as Pod;
    expect(pod).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fail' } });
    expect(pod.status?.phase).toBe('Failed');
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });
    expect(pod.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(r.stderr).toMatch(/phase Failed$/m);
    expect(r.stderr).toMatch(/main: terminated Error \(exit 3\)$/m);
  }, 30_000);

  it.each<{ name: string; files: Record<string, string>; args: string[]; stderr: RegExp[] }>([
    {
      name: 'an invalid manifest and a Job: every error (run runs Pods only), nothing runs',
      files: { 'bad.yaml': podYaml('bad', 'true').replace('image: busybox:1.36', 'image: ""') },
      args: ['-f', 'bad.yaml', '-f', join(ROOT, 'examples', 'jobs', 'hello-job.yaml')],
      stderr: [
        /^bad\.yaml: spec\.containers\[0\]\.image: Required value$/m,
        /hello-job\.yaml: Job default\/hello-job: Job is not supported by `podflow run`: it runs Pods only$/m,
        /^error: nothing was run/m,
      ],
    },
    {
      name: 'an initial crash back-off above the max: usage error',
      files: { 'ok.yaml': podYaml('ok', 'true') },
      args: ['-f', 'ok.yaml', '--crash-backoff-initial', '1m', '--crash-backoff-max', '10s'],
      stderr: [/^error: --crash-backoff-initial \(1m0s\) must not exceed --crash-backoff-max \(10s\)$/m],
    },
    {
      name: 'a --pod-cidr that is not a CIDR: usage error',
      files: { 'ok.yaml': podYaml('ok', 'true') },
      args: ['-f', 'ok.yaml', '--pod-cidr', '10.1.2.3'],
      stderr: [/^error: option '--pod-cidr <cidr>' argument '10\.1\.2\.3' is invalid\. .*not an IPv4 CIDR/m],
    },
    {
      name: 'an unknown --pod-network: usage error',
      files: { 'ok.yaml': podYaml('ok', 'true') },
      args: ['-f', 'ok.yaml', '--pod-network', 'slirp'],
      stderr: [/Allowed choices are auto, bridge, host\.$/m],
    },
  ])(
    '$name → exit 2',
    async ({ files, args, stderr }) => {
      const dir = workdir(files);
      const r = await podflow(['run', ...args, '--in-memory'], dir).done;
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      for (const pattern of stderr) expect(r.stderr).toMatch(pattern);
    },
    30_000,
  );

  it('--pod-network host: one warning line on stderr, the pod on the host network (pod IP 127.0.0.1)', async () => {
    const dir = workdir({ 'ok.yaml': podYaml('ok', 'true') });
    const r = await podflow(
      ['run', '-f', 'ok.yaml', '--pod-network', 'host', '-o', 'json', '--in-memory'],
      dir,
    ).done;
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('pods share the host network'))).toEqual([
      'podflow: pods share the host network (pod IP 127.0.0.1, no hostname of their own): --pod-network host',
    ]);
    expect((JSON.parse(r.stdout) as Pod).status?.podIP).toBe('127.0.0.1');
  }, 30_000);

  it('--timeout 1s on a sleeping pod: exit 2, the pod as it stood then on stdout', async () => {
    const dir = workdir({ 'sleeper.yaml': podYaml('sleeper', 'exec sleep 30') });
    const r = await podflow(
      ['run', '-f', 'sleeper.yaml', '--timeout', '1s', '-o', 'json', '--in-memory'],
      dir,
    ).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('timeout: pod sleeper did not finish within 1s');
    const pod = JSON.parse(r.stdout) as Pod;
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    expect(pod.metadata?.deletionTimestamp).toBeUndefined();
    // …and run still leaves nothing behind.
    expect(r.stderr).toMatch(/terminating \(grace 5s\)\n(.*\n)*.*deleted\n$/);
  }, 30_000);

  it('a pod referring to a missing ConfigMap key under --timeout 6s: the Pending pod on stdout, exit 2', async () => {
    const dir = workdir({
      'needs-config.yaml': `${podYaml('needs-config', 'echo $GREETING')}    env:
    - name: GREETING
      valueFrom: { configMapKeyRef: { name: greetings, key: hello } }
`,
    });
    const r = await podflow(
      ['run', '-f', 'needs-config.yaml', '--timeout', '6s', '-o', 'json', '--in-memory'],
      dir,
    ).done;
    expect(r.code).toBe(2);
    const pod = JSON.parse(r.stdout) as Pod;
    expect(pod.status?.phase).toBe('Pending');
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.state?.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'configmap "greetings" not found',
    });
    expect(status?.restartCount).toBe(0);
  }, 30_000);

  it('SIGINT while the pod runs: graceful deletion in the timeline, exit 130, the container process is gone', async () => {
    const dir = workdir({ 'sleeper.yaml': podYaml('sleeper', 'echo $$$$ > pid; exec sleep 60') });
    const run = podflow(['run', '-f', 'sleeper.yaml'], dir);
    await until(
      () => /main: running/.test(run.output()) && existsSync(join(dir, 'pid')),
      20_000,
      'the container',
    );
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    expect(isAlive(pid)).toBe(true);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(
      /SIGINT: deleting gracefully.*\n(.*\n)*.*terminating \(grace 5s\)\n(.*\n)*.*event Normal Killing: Stopping container main\n(.*\n)*.*main: terminated Error \(exit 143\)\n(.*\n)*.*deleted\n$/,
    );
    expect(isAlive(pid)).toBe(false);
    // The default data directory was used, and released.
    expect(existsSync(join(dir, '.podflow', 'podflow.db'))).toBe(true);
    expect(existsSync(join(dir, '.podflow', 'podflow.pid'))).toBe(false);
  }, 30_000);
});

describe('podflow run --store', () => {
  it('by default the pods live in SQLite, <data-dir>/podflow.db', async () => {
    const dir = workdir({ 'ok.yaml': podYaml('ok', 'exit 0') });
    const r = await podflow(['run', '-f', 'ok.yaml'], dir).done;
    expect(r.stderr).toBe(''); // node:sqlite's ExperimentalWarning is not printed
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, '.podflow', 'podflow.db'))).toBe(true);
    expect(existsSync(join(dir, '.podflow', 'db'))).toBe(false);
  }, 30_000);

  it('--store dynamodb: dynalite on LevelDB in <data-dir>/db, end to end', async () => {
    const dir = workdir({ 'ok.yaml': podYaml('ok', 'echo hello; exit 0') });
    const r = await podflow(['run', '-f', 'ok.yaml', '--store', 'dynamodb', '--data-dir', 'd'], dir).done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ +\d+\.\d\ds {2}phase Succeeded$/m);
    expect(existsSync(join(dir, 'd', 'db', 'CURRENT'))).toBe(true);
    expect(existsSync(join(dir, 'd', 'podflow.db'))).toBe(false);
  }, 30_000);

  it.each([
    {
      name: 'a data directory of the DynamoDB store, opened with the default: one line naming it and the way out',
      args: ['--data-dir', 'd'],
      setup: (dir: string) => mkdirSync(join(dir, 'd', 'db'), { recursive: true }),
      stderr:
        'error: the data directory d holds the pods of the DynamoDB store (dynalite/LevelDB in d/db): use --store dynamodb to keep using it, or move or remove d to start afresh with the SQLite store\n',
    },
    {
      name: '--dynamodb-endpoint without --store dynamodb',
      args: ['--dynamodb-endpoint', 'http://localhost:4566'],
      stderr: 'error: --dynamodb-endpoint needs --store dynamodb\n',
    },
  ])(
    '$name: exit 2',
    async ({ args, setup, stderr }) => {
      const dir = workdir({ 'ok.yaml': podYaml('ok', 'exit 0') });
      setup?.(dir);
      const r = await podflow(['run', '-f', 'ok.yaml', ...args], dir).done;
      expect(r.stderr).toBe(stderr);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(existsSync(join(dir, 'd', 'podflow.db'))).toBe(false);
    },
    30_000,
  );
});
