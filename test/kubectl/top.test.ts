// Real kubectl (1.32) `top pod` against `podflow serve`, given only the kubeconfig: the figures it prints are compared
// with what the test reads itself from /proc of the containers' processes (each container writes its pid to a file).
// Memory: a node process allocating and touching 64 MiB, within 10 % of its process tree's resident memory. CPU: a
// busy loop against the rate its process was given over the same stretch of time (a shared, loaded machine may give
// it less than a core: the figure must agree with what the process got, and never exceed one core), an idle one near
// zero. Also `--containers`, `-A`, a missing pod, and api-resources.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_METRICS_NOT_SERVED } from '../../src/api/metrics.ts';
import { eventually, KUBECTL, startServe, type Served } from './harness.ts';

if (!KUBECTL) console.warn('test/kubectl/top skipped: kubectl not found in /usr/bin or on PATH');

const NODE = join(import.meta.dirname, '..', '..', 'node_modules', 'node', 'bin', 'node');
const MiB = 1024 * 1024;
/** /proc's CPU times are in ticks of 1/USER_HZ s. */
const TICK_MS = 10;

const ALLOC = `require('node:fs').writeFileSync(process.env.PIDS + '/alloc', String(process.pid));
const b = Buffer.alloc(64 * 1024 * 1024, 1);
setInterval(() => b[0]++, 1000);`;

// `$$$$`: the kubelet's $(VAR) expansion turns `$$` into `$`, so the shell sees `$$` (its pid).
const PODS = (pids: string) => `apiVersion: v1
kind: Pod
metadata: { name: mem, labels: { app: demo } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: alloc
      image: node
      command: [${JSON.stringify(NODE)}, '-e', ${JSON.stringify(ALLOC)}]
      env: [{ name: PIDS, value: ${JSON.stringify(pids)} }]
    - name: idle
      image: busybox
      command: [sh, -c, 'echo $$$$ > "$PIDS/idle"; exec sleep 3600']
      env: [{ name: PIDS, value: ${JSON.stringify(pids)} }]
---
apiVersion: v1
kind: Pod
metadata: { name: busy }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: loop
      image: busybox
      command: [sh, -c, 'echo $$$$ > "$PIDS/loop"; while :; do :; done']
      env: [{ name: PIDS, value: ${JSON.stringify(pids)} }]
---
apiVersion: v1
kind: Namespace
metadata: { name: team-a }
---
apiVersion: v1
kind: Pod
metadata: { name: other, namespace: team-a }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: busybox
      command: [sleep, '3600']
`;

let served: Served;
let pids: string;

const rows = (text: string): string[][] =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));

const pidOf = (container: string): number => Number(readFileSync(join(pids, container), 'utf8'));

/** The process and its descendants, through /proc/<pid>/task/<tid>/children. */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
      const children = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
      if (children) out.push(...children.split(' ').map(Number));
    }
  }
  return out;
}

const rssBytes = (pid: number): number =>
  Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** CPU time of a process, ms (utime + stime). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** `250m` → 250; `1Mi`, `108Mi` → MiB. */
const number = (text: string): number => Number(/^(\d+)(m|Mi)$/.exec(text)![1]);

describe.skipIf(!KUBECTL)('kubectl top pod against podflow serve', () => {
  beforeAll(async () => {
    pids = mkdtempSync(join(tmpdir(), 'podflow-top-pids-'));
    served = await startServe('kubectl-top');
    const applied = await served.kubectl(['apply', '-f', '-'], { input: PODS(pids) });
    expect(applied.code, applied.stderr).toBe(0);
    const ready = await served.kubectl(
      ['wait', '--for=condition=Ready', 'pod', '--all', '-A', '--timeout=60s'],
      {
        timeoutMs: 70_000,
      },
    );
    expect(ready.code, ready.stderr).toBe(0);
    // Allocated and touched: the pid file is written first, the 64 MiB right after.
    await eventually(
      () => {
        try {
          return rssBytes(pidOf('alloc')) > 64 * MiB && pidOf('idle') > 0 && pidOf('loop') > 0;
        } catch {
          return false;
        }
      },
      20_000,
      'the containers to write their pids and allocate',
    );
  }, 120_000);

  afterAll(async () => {
    if (served) expect(await served.stop()).toBe(0);
    if (pids) rmSync(pids, { recursive: true, force: true });
  }, 60_000);

  it('shows the memory of the allocating pod within 10% of its process tree resident memory', async () => {
    const r = await served.kubectl(['top', 'pod']);
    expect(r.code, r.stderr).toBe(0);
    const resident = [pidOf('alloc'), pidOf('idle')]
      .flatMap(tree)
      .reduce((sum, pid) => sum + rssBytes(pid), 0);
    const table = rows(r.stdout);
    expect(table[0]).toEqual(['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(table.slice(1).map((row) => row[0])).toEqual(['busy', 'mem']);
    const shown = number(table.find((row) => row[0] === 'mem')![2]!);
    console.log(`kubectl top pod mem: ${shown}Mi; process tree resident: ${(resident / MiB).toFixed(1)} MiB`);
    expect(shown).toBeGreaterThanOrEqual(64);
    expect(Math.abs(shown * MiB - resident)).toBeLessThanOrEqual(0.1 * resident);
  });

  it('shows a busy loop at the CPU rate its process got (at most one core) and an idle container near zero', async () => {
    // A first request makes the server measure; the second pairs a new measurement with it. The test reads the busy
    // process's CPU time right after the first and right before the second: nearly the same stretch of time.
    expect((await served.kubectl(['top', 'pod', 'busy'])).code).toBe(0);
    const loop = pidOf('loop');
    const [c0, t0] = [cpuMs(loop), Date.now()];
    await new Promise((r) => setTimeout(r, 5000));
    const [c1, t1] = [cpuMs(loop), Date.now()];
    const r = await served.kubectl(['top', 'pod', '--containers']);
    expect(r.code, r.stderr).toBe(0);
    const table = rows(r.stdout);
    expect(table[0]).toEqual(['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(table.slice(1).map((row) => `${row[0]}/${row[1]}`)).toEqual([
      'busy/loop',
      'mem/alloc',
      'mem/idle',
    ]);
    const cpu = (pod: string, container: string): number =>
      number(table.find((row) => row[0] === pod && row[1] === container)![2]!);
    const got = ((c1 - c0) / (t1 - t0)) * 1000;
    console.log(
      `kubectl top busy/loop: ${cpu('busy', 'loop')}m; its process got ${got.toFixed(0)}m meanwhile`,
    );
    expect(cpu('busy', 'loop')).toBeGreaterThan(0);
    expect(cpu('busy', 'loop')).toBeLessThanOrEqual(1000 + 20);
    expect(Math.abs(cpu('busy', 'loop') - got)).toBeLessThanOrEqual(0.2 * got + 30);
    expect(cpu('mem', 'idle')).toBeLessThanOrEqual(5);
  }, 30_000);

  it('-A adds the namespace column and pods of every namespace', async () => {
    const r = await served.kubectl(['top', 'pod', '-A']);
    expect(r.code, r.stderr).toBe(0);
    const table = rows(r.stdout);
    expect(table[0]).toEqual(['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(table.slice(1).map((row) => `${row[0]}/${row[1]}`)).toEqual([
      'default/busy',
      'default/mem',
      'team-a/other',
    ]);
    const other = await served.kubectl(['top', 'pod', '-n', 'team-a', '-l', 'app=demo']);
    expect([other.code, other.stderr.trim()]).toEqual([0, 'No resources found in team-a namespace.']);
  });

  it('get podmetrics prints the metrics-server columns', async () => {
    for (const args of [
      ['get', 'podmetrics'],
      ['get', 'podmetrics', 'mem'],
    ]) {
      const r = await served.kubectl(args);
      expect(r.code, r.stderr).toBe(0);
      const table = rows(r.stdout);
      expect(table[0]).toEqual(['NAME', 'CPU', 'MEMORY', 'WINDOW']);
      expect(table.slice(1).map((row) => row[0])).toEqual(args.length === 2 ? ['busy', 'mem'] : ['mem']);
      const mem = table.find((row) => row[0] === 'mem')!;
      expect(mem[2]).toMatch(/^\d+Ki$/);
      expect(mem[3]).toMatch(/^\d+(\.\d+)?m?s$/);
    }
  });

  it('a pod that does not exist gets the API server NotFound', async () => {
    const r = await served.kubectl(['top', 'pod', 'nope']);
    expect([r.code, r.stderr.trim()]).toEqual([1, 'Error from server (NotFound): pods "nope" not found']);
  });

  it('top node says why there are no NodeMetrics', async () => {
    const r = await served.kubectl(['top', 'node']);
    expect([r.code, r.stderr.trim()]).toEqual([
      1,
      `Error from server (NotImplemented): ${NODE_METRICS_NOT_SERVED}`,
    ]);
  });

  it('api-resources lists PodMetrics of metrics.k8s.io/v1beta1', async () => {
    const r = await served.kubectl(['api-resources', '--api-group=metrics.k8s.io', '--no-headers']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(r.stdout)).toEqual([['pods', 'metrics.k8s.io/v1beta1', 'true', 'PodMetrics']]);
  });
});
