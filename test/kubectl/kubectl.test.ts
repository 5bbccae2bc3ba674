// Real kubectl against `podflow serve` (a child process on a free port with a temporary data directory), with only
// KUBECONFIG pointing at it (plus PATH, and HOME set to a temporary directory for kubectl's discovery cache). The
// assertions read the output as a Kubernetes user would: columns, statuses, messages, exit codes.
//
// kubectl: /usr/bin/kubectl or the first on PATH; when there is none, `apt-get install -y kubernetes-client` is tried
// only as root in CI; otherwise the suite is skipped with the reason printed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findKubectl(): { path?: string; reason?: string } {
  const candidates = [
    '/usr/bin/kubectl',
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'kubectl')),
  ];
  const found = candidates.find(executable);
  if (found) return { path: found };
  if (process.getuid?.() === 0 && process.env.CI) {
    const r = spawnSync('apt-get', ['install', '-y', 'kubernetes-client'], {
      stdio: 'ignore',
      timeout: 300_000,
    });
    const installed = candidates.find(executable);
    if (installed) return { path: installed };
    return {
      reason: `kubectl not found and \`apt-get install -y kubernetes-client\` did not provide it (exit ${r.status})`,
    };
  }
  return {
    reason:
      'kubectl not found in /usr/bin or on PATH (installing kubernetes-client is only attempted as root in CI)',
  };
}

const kubectlBinary = findKubectl();
if (!kubectlBinary.path) console.warn(`test/kubectl skipped: ${kubectlBinary.reason}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

let serveProcess: ChildProcess;
let serveOutput = '';
let dataDir: string;
let home: string;
let env: NodeJS.ProcessEnv;
let manifests: string;

function kubectl(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(kubectlBinary.path!, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * `kubectl get pods -w` in the background: its output so far, whether its watch request is established (its -v=6
 * request log on stderr shows the `watch=true` GET answered), and a way to stop it.
 */
function watchPods(): { output: () => string; watching: () => boolean; stop: () => Promise<void> } {
  const child = spawn(kubectlBinary.path!, ['get', 'pods', '-w', '-v=6'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let log = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  return {
    output: () => out,
    watching: () => /GET \S+watch=true\S* 200 OK/.test(log),
    stop: async () => {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether `podflow serve` said at startup that pods share the host network (not root: the fallback). */
const sharesHostNetwork = (): boolean => serveOutput.includes('pods share the host network');

/** A kubectl table as rows of cells (split on runs of 2+ spaces, which kubectl's tabwriter leaves between columns). */
const tableRows = (text: string): string[][] =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

/** STATUS column values a pod went through in `kubectl get pods -w` output, in order. */
const statusesOf = (watchOutput: string, pod: string): string[] =>
  tableRows(watchOutput)
    .filter((cells) => cells[0] === pod)
    .map((cells) => cells[2]!);

describe.skipIf(!kubectlBinary.path)('kubectl against podflow serve', () => {
  let watch: ReturnType<typeof watchPods>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'podflow-kubectl-'));
    home = mkdtempSync(join(tmpdir(), 'podflow-kubectl-home-'));
    manifests = mkdtempSync(join(tmpdir(), 'podflow-kubectl-manifests-'));
    writeFileSync(
      join(manifests, 'extra.yaml'),
      `apiVersion: v1
kind: Pod
metadata:
  name: crashloop
spec:
  containers:
    - name: app
      image: busybox
      command: ['sh', '-c', 'echo "attempt at $(date +%s)"; sleep 0.2; exit 1']
---
apiVersion: v1
kind: Pod
metadata:
  name: env-demo
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox
      env:
        - name: GREETING
          value: hello from podflow
      command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
`,
    );
    serveProcess = spawn(
      NODE,
      [join(ROOT, 'bin', 'podflow.js'), 'serve', '--port', '0', '--data-dir', dataDir],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    serveProcess.stdout!.on('data', (d: Buffer) => (serveOutput += d.toString()));
    serveProcess.stderr!.on('data', (d: Buffer) => (serveOutput += d.toString()));
    await eventually(() => /export KUBECONFIG=(\S+)/.test(serveOutput), 20_000, 'podflow serve to listen');
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(serveOutput)![1]!;
    env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig };
    watch = watchPods();
    await eventually(() => watch.watching(), 15_000, 'kubectl get pods -w to establish its watch');
  }, 40_000);

  afterAll(async () => {
    await watch?.stop();
    if (kubectlBinary.path && env) {
      await kubectl(['delete', 'pods', '--all', '--grace-period=1', '--timeout=30s'], { timeoutMs: 40_000 });
    }
    if (serveProcess && serveProcess.exitCode === null) {
      const exited = new Promise<number | null>((r) => serveProcess.on('exit', (code) => r(code)));
      serveProcess.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
      expect(code, `podflow serve did not shut down gracefully:\n${serveOutput}`).toBe(0);
    }
    for (const d of [dataDir, home, manifests]) if (d) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('apply -f examples/quickstart/ creates the pods; a second apply leaves them unchanged', async () => {
    const first = await kubectl(['apply', '-f', join(ROOT, 'examples', 'quickstart')]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      'pod/hello-job-pod created',
      'pod/lifecycle-demo created',
      'pod/myapp-pod created',
    ]);
    const second = await kubectl(['apply', '-f', join(ROOT, 'examples', 'quickstart')]);
    expect(second.code).toBe(0);
    expect(second.stdout.trim().split('\n')).toEqual([
      'pod/hello-job-pod unchanged',
      'pod/lifecycle-demo unchanged',
      'pod/myapp-pod unchanged',
    ]);
  });

  it('get pods -w shows the transitions: init containers, then Running; the job pod Completed', async () => {
    await eventually(
      () =>
        statusesOf(watch.output(), 'myapp-pod').includes('Running') &&
        statusesOf(watch.output(), 'hello-job-pod').includes('Completed'),
      30_000,
      `the watch to show myapp-pod Running and hello-job-pod Completed:\n${watch.output()}`,
    );
    const myapp = statusesOf(watch.output(), 'myapp-pod');
    const firstInit = myapp.findIndex((s) => /^Init:\d\/2$/.test(s));
    expect(firstInit, myapp.join(' → ')).toBeGreaterThanOrEqual(0);
    expect(myapp.indexOf('Running')).toBeGreaterThan(firstInit);
    const job = statusesOf(watch.output(), 'hello-job-pod');
    expect(job.indexOf('Completed')).toBeGreaterThan(job.indexOf('Running'));
  }, 40_000);

  it('wait --for=condition=Ready pod/myapp-pod', async () => {
    const r = await kubectl(['wait', '--for=condition=Ready', 'pod/myapp-pod', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('pod/myapp-pod condition met');
    expect(r.code).toBe(0);
  }, 40_000);

  it('get pods prints NAME READY STATUS RESTARTS AGE', async () => {
    const r = await kubectl(['get', 'pods']);
    const [header, ...rows] = tableRows(r.stdout);
    expect(header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const byName = Object.fromEntries(rows.map((cells) => [cells[0], cells]));
    expect(byName['myapp-pod']!.slice(1, 4)).toEqual(['1/1', 'Running', '0']);
    expect(byName['hello-job-pod']!.slice(1, 4)).toEqual(['0/1', 'Completed', '0']);
    expect(byName['lifecycle-demo']!.slice(1, 4)).toEqual(['1/1', 'Running', '0']);
    expect(byName['myapp-pod']![4]).toMatch(/^\d+s$/);
  });

  it('get pods -o wide adds IP, NODE, NOMINATED NODE, READINESS GATES', async () => {
    const r = await kubectl(['get', 'pods', '-o', 'wide']);
    const [header, ...rows] = tableRows(r.stdout);
    expect(header).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    const myapp = rows.find((cells) => cells[0] === 'myapp-pod')!;
    const podIP = (await kubectl(['get', 'pod', 'myapp-pod', '-o', 'jsonpath={.status.podIP}'])).stdout;
    expect(myapp.slice(5)).toEqual([podIP, 'podflow-local', '<none>', '<none>']);
    const ips = rows.map((cells) => cells[5]);
    if (sharesHostNetwork()) {
      // The fallback (not root): every pod on the host network, said once at startup.
      expect(new Set(ips)).toEqual(new Set(['127.0.0.1']));
    } else {
      // A network namespace per pod: an address of its own each.
      expect(new Set(ips).size, ips.join(' ')).toBe(ips.length);
      expect(ips).not.toContain('127.0.0.1');
    }
  });

  it('get pod -o yaml prints the object with its status', async () => {
    const r = await kubectl(['get', 'pod', 'myapp-pod', '-o', 'yaml']);
    const pod = parse(r.stdout) as {
      kind: string;
      metadata: { name: string; uid: string; resourceVersion: string; annotations: Record<string, string> };
      status: {
        phase: string;
        initContainerStatuses: Array<{ state: { terminated?: { reason: string } } }>;
        containerStatuses: Array<{ ready: boolean }>;
      };
    };
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata.name).toBe('myapp-pod');
    expect(pod.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(pod.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain(
      '"name":"myapp-pod"',
    );
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.initContainerStatuses.map((s) => s.state.terminated?.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(pod.status.containerStatuses[0]!.ready).toBe(true);
  });

  it('describe pod shows conditions, container states, restart counts and events', async () => {
    const r = await kubectl(['describe', 'pod', 'myapp-pod']);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Name:\s+myapp-pod$/m);
    expect(out).toMatch(/^Node:\s+podflow-local\/127\.0\.0\.1$/m);
    expect(out).toMatch(/^Status:\s+Running$/m);
    expect(out).toMatch(/^Init Containers:\n\s+init-myservice:/m);
    expect(out).toMatch(/State:\s+Terminated\n\s+Reason:\s+Completed\n\s+Exit Code:\s+0/);
    expect(out).toMatch(/myapp-container:[\s\S]*State:\s+Running[\s\S]*Ready:\s+True\n\s+Restart Count:\s+0/);
    expect(out).toMatch(/^Conditions:\n\s+Type\s+Status\n(\s+\S+\s+(True|False)\s*\n)+/m);
    expect(out).toMatch(/^\s+Ready\s+True\s*$/m);
    expect(out).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
    expect(out).toMatch(
      /Normal\s+Scheduled\s+\S+\s+\S+\s+Successfully assigned default\/myapp-pod to podflow-local/,
    );
    expect(out).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container myapp-container/);
  });

  it('logs -c prints one container’s output', async () => {
    const init = await kubectl(['logs', 'myapp-pod', '-c', 'init-myservice']);
    expect(init.stdout).toBe('waiting for myservice\n');
    const app = await kubectl(['logs', 'myapp-pod', '-c', 'myapp-container']);
    expect(app.stdout).toBe('The app is running!\n');
  });

  it('logs --previous of a crash-looping pod prints the previous instance; get pods shows the restarts', async () => {
    const applied = await kubectl(['apply', '-f', join(manifests, 'extra.yaml')]);
    expect(applied.stdout).toContain('pod/crashloop created');
    await eventually(
      async () =>
        Number(
          (
            await kubectl([
              'get',
              'pod',
              'crashloop',
              '-o',
              'jsonpath={.status.containerStatuses[0].restartCount}',
            ])
          ).stdout,
        ) >= 1,
      20_000,
      'crashloop to restart',
    );
    const previous = await kubectl(['logs', 'crashloop', '--previous']);
    expect(previous.code).toBe(0);
    expect(previous.stdout).toMatch(/^attempt at \d+\n$/);
    await eventually(
      async () =>
        tableRows((await kubectl(['get', 'pod', 'crashloop'])).stdout)[1]![2] === 'CrashLoopBackOff',
      20_000,
      'crashloop to be in CrashLoopBackOff',
    );
    const row = tableRows((await kubectl(['get', 'pod', 'crashloop'])).stdout)[1]!;
    expect(row.slice(1, 3)).toEqual(['0/1', 'CrashLoopBackOff']);
    expect(row[3]).toMatch(/^[12] \(\d+s ago\)$/);
    const described = await kubectl(['describe', 'pod', 'crashloop']);
    expect(described.stdout).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1/);
    expect(described.stdout).toMatch(/Warning\s+BackOff\s+.*Back-off restarting failed container app/);
  }, 60_000);

  it('exec -c C -- env prints the container’s environment', async () => {
    const ready = await kubectl(['wait', '--for=condition=Ready', 'pod/env-demo', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    expect(ready.code).toBe(0);
    const r = await kubectl(['exec', 'env-demo', '-c', 'main', '--', 'env']);
    expect(r.code).toBe(0);
    const vars = r.stdout.trim().split('\n');
    expect(vars).toContain('GREETING=hello from podflow');
    expect(vars.some((v) => v.startsWith('PATH='))).toBe(true);
  }, 40_000);

  it('exec runs in the pod: its hostname and its own network interfaces', async () => {
    const r = await kubectl(['exec', 'env-demo', '--', 'sh', '-c', 'hostname; cat /proc/net/dev']);
    expect(r.code).toBe(0);
    const [hostname, ...dev] = r.stdout.trim().split('\n');
    // /proc/net/dev: two header lines, then `<interface>: <counters>` per interface of the caller's namespace.
    const interfaces = dev.slice(2).map((line) => line.trim().split(':')[0]);
    if (sharesHostNetwork()) {
      expect(hostname).toBe(spawnSync('hostname', { encoding: 'utf8' }).stdout.trim());
    } else {
      expect(hostname).toBe('env-demo'); // the kubelet's sandbox hostname: the pod's name
      expect(interfaces.sort()).toEqual(['eth0', 'lo']);
    }
  });

  it('exec -i passes stdin through (sh -c cat sees EOF)', async () => {
    const r = await kubectl(['exec', '-i', 'env-demo', '--', 'sh', '-c', 'cat'], {
      input: 'line one\nline two\n',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('line one\nline two\n');
    expect(r.code).toBe(0);
  });

  it('exec of a failing command exits with its code', async () => {
    const r = await kubectl(['exec', 'env-demo', '--', 'sh', '-c', 'echo oops >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('oops');
    expect(r.stderr).toContain('command terminated with exit code 3');
  });

  it('delete pod waits for graceful termination (preStop, then SIGTERM) and the pod is gone', async () => {
    const r = await kubectl(['delete', 'pod', 'lifecycle-demo'], { timeoutMs: 40_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('pod "lifecycle-demo" deleted');
    // The preStop hook sleeps 1 s before SIGTERM: kubectl returned only after the pod was gone.
    expect(r.ms).toBeGreaterThanOrEqual(1000);
    const after = await kubectl(['get', 'pod', 'lifecycle-demo']);
    expect(after.stderr.trim()).toBe('Error from server (NotFound): pods "lifecycle-demo" not found');
  }, 40_000);

  it('get pod nope → Error from server (NotFound), exit 1', async () => {
    const r = await kubectl(['get', 'pod', 'nope']);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('Error from server (NotFound): pods "nope" not found');
    expect(r.code).toBe(1);
  });
});
