// What probing costs and how punctual it is (docs/architecture.md §5). Not part of `npm test`.
// Run with the pinned Node 22:
//   npx node bench/probes.bench.ts [timingSeconds=30] [loadSeconds=60] [workers=1000] [--json]
//
// The ProbeManager runs alone (no engine): a fake store serves one running pod per worker, results are counted,
// not delivered. Targets are 4 HTTP servers in a child process (this same file run with `--serve`), so the CPU
// measured here (process.cpuUsage) is the prober's, not the servers'.
//   1. timing    20 readiness httpGet workers, periodSeconds 1, for timingSeconds: the error of every interval
//                between consecutive probes (|interval − 1000 ms|), and for workers with initialDelaySeconds 2 how
//                late the first probe ran after its due instant (startedAt + initialDelay + its jitter offset) —
//                and that none ran early;
//      baseline  20 plain loops (below), same duration: their interval error (probe_interval_p99_ms's baseline).
//   2. load      `workers` readiness httpGet workers, periodSeconds 1, for loadSeconds, spread over the 4 servers:
//                interval error p50/p99, CPU seconds per 1,000 probes;
//      baseline  the same number of plain loops (setInterval 1 s + http.get with a fresh connection, body read),
//                same servers, in a process of their own (this file re-run with `--raw`) over the same window:
//                CPU seconds per 1,000 GETs and the prober/raw ratio.
import { fork } from 'node:child_process';
import { get, createServer } from 'node:http';
import { loadavg } from 'node:os';
import type { Container } from 'kubernetes-types/core/v1';
import { createProbeHandlers } from '../src/adapters/probes/probe-handlers.ts';
import { ProbeManager, type ProbeTick } from '../src/engine/prober/probe-manager.ts';
import type { ContainerInstanceRef } from '../src/ports/container-runtime.ts';
import type { StoredPod } from '../src/ports/pod-store.ts';
import { emitReport, loadAverage, positionalArgs, say, type Figure } from './bench-report.ts';

const SERVERS = 4;
/** Excluded from every measurement: JIT warm-up, first connections, the burst of 1,000 worker starts. */
const WARMUP_SECONDS = 5;

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const f1 = (v: number): string => v.toFixed(1);

interface Fleet {
  manager: ProbeManager;
  ticks: ProbeTick[];
  refs: ContainerInstanceRef[];
  startedAt: number;
  results: { success: number; failure: number; error: number };
}

/** `n` one-container pods with a readiness httpGet probe each, targets round-robin over the servers. */
function fleet(n: number, ports: number[], initialDelaySeconds: number): Fleet {
  const startedAt = Date.now();
  const pods = new Map<string, StoredPod>();
  const refs: ContainerInstanceRef[] = [];
  for (let i = 0; i < n; i++) {
    const name = `p${i}`;
    const container: Container = {
      name: 'app',
      readinessProbe: {
        httpGet: { path: '/', port: ports[i % ports.length]! },
        periodSeconds: 1,
        timeoutSeconds: 1,
        initialDelaySeconds,
      },
    };
    const state = {
      pod: { metadata: { name, namespace: 'bench', uid: `uid-${i}` }, spec: { containers: [container] } },
      engine: {
        podIP: '127.0.0.1',
        containers: {
          app: {
            name: 'app',
            instance: 0,
            state: { type: 'running', startedAt, postStartDone: true },
            probes: {},
          },
        },
      },
    };
    const key = { namespace: 'bench', name };
    pods.set(name, { key, resourceVersion: '1', state: state as never, inbox: [] });
    refs.push({ key, podUid: `uid-${i}`, container: 'app', instance: 0 });
  }
  const ticks: ProbeTick[] = [];
  const results = { success: 0, failure: 0, error: 0 };
  const handlers = createProbeHandlers({ runtime: { exec: () => Promise.reject(new Error('no exec')) } });
  const counted = async (...args: Parameters<typeof handlers.httpGet>) => {
    const attempt = await handlers.httpGet(...args);
    results[attempt.result === 'warning' ? 'success' : attempt.result]++;
    return attempt;
  };
  const manager = new ProbeManager({
    store: {
      get: async (k) => pods.get(k.name),
      recordEvent: async (e) => ({
        ...e,
        name: e.occurrence,
        count: 1,
        firstTimestamp: '',
        lastTimestamp: '',
      }),
    },
    deliver: async () => undefined,
    handlers: { ...handlers, httpGet: counted },
    onTick: (t) => ticks.push(t),
    onError: (err, context) => console.error(context, err),
  });
  return { manager, ticks, refs, startedAt, results };
}

/** |interval − period| between consecutive probes of each worker. */
function intervalErrors(ticks: ProbeTick[], periodMs: number): number[] {
  const last = new Map<string, number>();
  const errors: number[] = [];
  for (const t of ticks) {
    if (!t.probed) continue;
    const id = t.ref.key.name;
    const previous = last.get(id);
    if (previous !== undefined) errors.push(Math.abs(t.firedAt - previous - periodMs));
    last.set(id, t.firedAt);
  }
  return errors;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuSince = (start: NodeJS.CpuUsage): number => {
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1e6;
};

/**
 * Starts the workers, lets them warm up (JIT, first connections, the start-up burst of store reads), then measures
 * for `seconds`: the ticks, results and CPU of that window only.
 */
async function runFleet(
  n: number,
  ports: number[],
  seconds: number,
  warmupSeconds: number,
  initialDelaySeconds = 0,
) {
  const f = fleet(n, ports, initialDelaySeconds);
  await Promise.all(f.refs.map((ref) => f.manager.start(ref, ['readiness'])));
  await sleep(warmupSeconds * 1000);
  const firstTick = f.ticks.length;
  const before = { ...f.results };
  const cpu0 = process.cpuUsage();
  await sleep(seconds * 1000);
  const cpuSeconds = cpuSince(cpu0);
  const ticks = f.ticks.slice(firstTick);
  const probes =
    f.results.success +
    f.results.failure +
    f.results.error -
    (before.success + before.failure + before.error);
  f.manager.close();
  return { ...f, measuredTicks: ticks, probes, cpuSeconds, warmupTicks: f.ticks.slice(0, firstTick) };
}

async function rawLoops(n: number, ports: number[], seconds: number, warmupSeconds: number) {
  const fired = new Map<number, number>();
  let errors: number[] = [];
  let gets = 0;
  let failures = 0;
  const intervals: NodeJS.Timeout[] = [];
  for (let i = 0; i < n; i++) {
    const port = ports[i % ports.length]!;
    const start = () =>
      intervals.push(
        setInterval(() => {
          const now = Date.now();
          const previous = fired.get(i);
          if (previous !== undefined) errors.push(Math.abs(now - previous - 1000));
          fired.set(i, now);
          const req = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 1000 }, (res) => {
            res.on('data', () => undefined);
            res.on('end', () => gets++);
          });
          req.on('error', () => failures++);
        }, 1000),
      );
    // The same spread over the first second as the prober's jitter.
    setTimeout(start, Math.floor(Math.random() * 1000));
  }
  await sleep(warmupSeconds * 1000);
  errors = [];
  const getsBefore = gets;
  const cpu0 = process.cpuUsage();
  await sleep(seconds * 1000);
  const cpuSeconds = cpuSince(cpu0);
  const measured = gets - getsBefore;
  for (const t of intervals) clearInterval(t);
  return {
    gets: measured,
    failures,
    errorP50: quantile(errors, 0.5),
    errorP99: quantile(errors, 0.99),
    cpuSeconds,
  };
}
type RawResult = Awaited<ReturnType<typeof rawLoops>>;

/**
 * The raw loops in a process of their own (this file re-run with `--raw`), started together with the prober's
 * fleet: both open ~1,000 connections a second on loopback over the same window, so the kernel's state (tens of
 * thousands of sockets in TIME_WAIT, softirq load, other work on the machine) weighs on both alike. Measured one
 * after the other in one process, the ratio read anywhere from 1.08 to 1.31 on the same code.
 */
function rawLoopsAlongside(n: number, ports: number[], seconds: number, warmupSeconds: number) {
  const child = fork(
    new URL(import.meta.url).pathname,
    ['--raw', JSON.stringify({ n, ports, seconds, warmupSeconds })],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const started = new Promise<void>((resolve) => child.once('message', () => resolve()));
  const result = new Promise<RawResult>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`raw loops exited with ${code} before reporting`)));
    child.on('message', (m: { result?: RawResult }) => m.result && resolve(m.result));
  });
  // Awaited only after the prober's run: until then a child that died is not an unhandled rejection.
  result.catch(() => undefined);
  return { started, result };
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const [timingArg, loadArg, workersArg] = positionalArgs();
  const timingSeconds = Number(timingArg ?? 30);
  const loadSeconds = Number(loadArg ?? 60);
  const workers = Number(workersArg ?? 1000);
  const warmup = WARMUP_SECONDS;
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { ports } = await new Promise<{ ports: number[] }>((resolve) =>
    child.once('message', (m) => resolve(m as never)),
  );
  say(
    `probes bench: node ${process.version}, ${SERVERS} target servers in pid ${child.pid}, load ${loadavg().map(f1).join(' ')}`,
  );

  // 1. timing
  const timing = await runFleet(20, ports, timingSeconds, warmup);
  const timingErrors = intervalErrors(timing.measuredTicks, 1000);
  say(`\n1. timing: 20 workers, periodSeconds 1, ${timingSeconds} s (after ${warmup} s warm-up)`);
  say(
    `   interval error  p50 ${f1(quantile(timingErrors, 0.5))} ms  p99 ${f1(quantile(timingErrors, 0.99))} ms  max ${f1(Math.max(...timingErrors))} ms  (${timingErrors.length} intervals)`,
  );
  const timingRaw = await rawLoops(20, ports, timingSeconds, warmup);
  say(
    `   baseline: 20 × (setInterval 1 s + http.get), ${timingSeconds} s: interval error p50 ${f1(timingRaw.errorP50)} ms  p99 ${f1(timingRaw.errorP99)} ms`,
  );
  const delayed = await runFleet(20, ports, 1, 3, 2);
  const firsts = new Map<string, ProbeTick>();
  for (const t of delayed.ticks) if (t.probed && !firsts.has(t.ref.key.name)) firsts.set(t.ref.key.name, t);
  const lateness = [...firsts.values()].map((t) => t.firedAt - t.dueAt);
  const early = [...firsts.values()].filter((t) => t.firedAt < delayed.startedAt + 2000).length;
  say(
    `   initialDelaySeconds 2: first probe after its due instant p50 ${f1(quantile(lateness, 0.5))} ms  p99 ${f1(quantile(lateness, 0.99))} ms  max ${f1(Math.max(...lateness))} ms; before the delay: ${early} of ${firsts.size}`,
  );

  // 2. load (resident memory before the workers start and while they run: what a prober Lambda's memory size must hold)
  const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20;
  let rssLoadedMiB = 0;
  const rssSampler = setInterval(
    () => (rssLoadedMiB = Math.max(rssLoadedMiB, process.memoryUsage().rss / 2 ** 20)),
    1000,
  );
  const alongside = rawLoopsAlongside(workers, ports, loadSeconds, warmup);
  await alongside.started;
  const load = await runFleet(workers, ports, loadSeconds, warmup);
  clearInterval(rssSampler);
  const loadErrors = intervalErrors(load.measuredTicks, 1000);
  const warmupErrors = intervalErrors(load.warmupTicks, 1000);
  const probes = load.probes;
  const proberCpuPer1000 = (load.cpuSeconds / probes) * 1000;
  say(
    `\n2. load: ${workers} readiness httpGet workers, periodSeconds 1, ${loadSeconds} s (after ${warmup} s warm-up)`,
  );
  say(
    `   probes ${probes} (${f1(probes / loadSeconds)}/s); whole run: success ${load.results.success} failure ${load.results.failure} error ${load.results.error}`,
  );
  say(
    `   interval error  p50 ${f1(quantile(loadErrors, 0.5))} ms  p99 ${f1(quantile(loadErrors, 0.99))} ms  max ${f1(Math.max(...loadErrors))} ms`,
  );
  say(
    `   (warm-up seconds, for the record: p50 ${f1(quantile(warmupErrors, 0.5))} ms  p99 ${f1(quantile(warmupErrors, 0.99))} ms)`,
  );
  say(`   prober CPU ${f1(load.cpuSeconds)} s → ${proberCpuPer1000.toFixed(3)} CPU-s per 1,000 probes`);
  say(
    `   resident memory ${f1(rssBeforeMiB)} MiB before the workers, at most ${f1(rssLoadedMiB)} MiB with them`,
  );
  const raw = await alongside.result;
  const rawCpuPer1000 = (raw.cpuSeconds / raw.gets) * 1000;
  say(
    `   baseline, in its own process over the same window: ${workers} × (setInterval 1 s + http.get, fresh connection), ${loadSeconds} s`,
  );
  say(
    `   GETs ${raw.gets} failures ${raw.failures}  interval error p50 ${f1(raw.errorP50)} ms  p99 ${f1(raw.errorP99)} ms`,
  );
  say(`   raw CPU ${f1(raw.cpuSeconds)} s → ${rawCpuPer1000.toFixed(3)} CPU-s per 1,000 GETs`);
  say(`   prober / raw CPU per request: ${(proberCpuPer1000 / rawCpuPer1000).toFixed(2)}×`);
  say(`\nload after: ${loadavg().map(f1).join(' ')}`);
  child.kill();
  const figures: Record<string, Figure> = {
    probe_interval_p99_ms: {
      value: quantile(timingErrors, 0.99),
      unit: 'ms',
      baseline: timingRaw.errorP99,
      baselineIs: '20 setInterval(1 s) + http.get loops, same duration, same process',
    },
    probe_cpu_ratio: {
      value: proberCpuPer1000 / rawCpuPer1000,
      unit: '×',
      baseline: 1,
      baselineIs: `${rawCpuPer1000.toFixed(3)} CPU-s per 1,000 GETs of ${workers} raw loops run alongside`,
    },
  };
  emitReport({
    bench: 'probes',
    loadBefore,
    loadAfter: loadAverage(),
    figures,
    notes: {
      timing_seconds: timingSeconds,
      load_seconds: loadSeconds,
      workers,
      load_interval_p99_ms: quantile(loadErrors, 0.99),
      raw_load_interval_p99_ms: raw.errorP99,
      prober_cpu_s_per_1000: proberCpuPer1000,
      rss_before_mib: rssBeforeMiB,
      rss_loaded_mib: rssLoadedMiB,
      first_probe_late_p99_ms: quantile(lateness, 0.99),
      early_first_probes: early,
    },
  });
}

if (process.argv[2] === '--serve') {
  // Child: SERVERS HTTP servers on free ports; report the ports, serve until killed.
  const ports: number[] = [];
  for (let i = 0; i < SERVERS; i++) {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports.push((server.address() as { port: number }).port);
  }
  process.send!({ ports });
} else if (process.argv[2] === '--raw') {
  // Child: the raw loops of the load phase; says when its loops start, reports when measured.
  const { n, ports, seconds, warmupSeconds } = JSON.parse(process.argv[3]!) as {
    n: number;
    ports: number[];
    seconds: number;
    warmupSeconds: number;
  };
  process.send!({ started: true });
  const result = await rawLoops(n, ports, seconds, warmupSeconds);
  process.send!({ result }, () => process.exit(0));
} else {
  await main();
}
