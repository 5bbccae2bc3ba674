// What the whole engine costs to bring a pod to Running, compared with spawning its command directly.
// Not part of `npm test`: it measures, it does not assert. Run with the pinned Node 22:
//   npx node --expose-gc bench/apply-to-running.bench.ts [pods=50] [--in-memory] [--store sqlite|dynamodb] [--json]
// (data under .podflow/bench-*, or PODFLOW_BENCH_DIR; the store as `podflow serve` runs it — SQLite by default,
// dynalite on LevelDB with --store dynamodb — or in memory).
//
// Alternating one raw run and one engine run so machine noise hits both alike, for the same command (`sleep 120`):
//   raw      child_process.spawn(cmd) → its 'spawn' event (the process exec'd)
//   engine   admitManifests + engine.createPod() → the first committed state with phase Running, observed through
//            store.subscribe: the worker's Admit, Sandbox, StartContainers steps through the committed ASL, the
//            store writes, the shim spawn and exec, the `started` observation through the inbox, and the commit.
// Also, each next to its baseline:
//   engine_start_ms   a fresh Node process importing the local engine as bin/podflow.js does (the sources' stripped
//                     JavaScript cached: src/local/typescript-cache.ts) and starting it on a fresh data dir, spawn →
//                     startLocalEngine() resolved (baseline: a bare `node -e 0` process, spawn → exit)
//   idle_pod_rss_kib  the engine's RSS with every pod Running and idle for IDLE_SECONDS, minus its RSS when half of
//                     them were, per pod of that second half (after a GC when --expose-gc is given): the marginal
//                     cost of a pod, without the one-off growth of the first ones (V8's young generation, SQLite's
//                     page cache); the RSS over all pods is in the notes; and the growth per pod over the idle
//                     seconds (flat: ~0). Baseline: the RSS per pod the same count of raw `sleep` children costs the
//                     bench process (0 — they are other processes; shown for the reading, not the budget).
// Then every pod is deleted (grace 0) and the bench waits until all are gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pod } from 'kubernetes-types/core/v1';
import { admitManifests } from '../src/core/manifest/index.ts';
import { startLocalEngine } from '../src/local/local-engine.ts';
import { emitReport, loadAverage, positionalArgs, quantile, say, type Figure } from './bench-report.ts';

const args = process.argv.slice(2);
const PODS = Number(positionalArgs()[0] ?? 50);
const IN_MEMORY = args.includes('--in-memory');
const storeArg = args.includes('--store') ? args[args.indexOf('--store') + 1] : 'sqlite';
if (storeArg !== 'sqlite' && storeArg !== 'dynamodb')
  throw new Error(`--store sqlite|dynamodb, not ${storeArg}`);
const STORE: 'sqlite' | 'dynamodb' = storeArg;
const WARMUP = 3;
const COMMAND = ['sleep', '120'];
const IDLE_SECONDS = 10;

const ms = (v: number): string => `${v.toFixed(2)} ms`;

function podManifest(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'bench' },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: 'busybox:1.28', command: COMMAND }],
    },
  });
}

/** A bare Node process, spawn → exit: what any engine start pays before its own work. */
async function bareNodeStartMs(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => resolve());
    child.once('error', reject);
  });
  return performance.now() - t0;
}

/** A fresh process: spawn → the local engine started in it (its modules loaded, the store open, the worker ready). */
async function engineProcessStartMs(dataDir: string): Promise<number> {
  const engineModule = new URL('../src/local/local-engine.ts', import.meta.url).href;
  // As bin/podflow.js starts: the sources' type-stripped JavaScript cached (src/local/typescript-cache.ts).
  const cacheModule = new URL('../src/local/typescript-cache.ts', import.meta.url).href;
  const script =
    `(await import(${JSON.stringify(cacheModule)})).enableTypeScriptCache();` +
    `const { startLocalEngine } = await import(${JSON.stringify(engineModule)});` +
    `const e = await startLocalEngine({ dataDir: ${JSON.stringify(dataDir)} });` +
    `process.stdout.write('ready\\n'); await e.close();`;
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let readyAt = NaN;
  child.stdout.on('data', (d: Buffer) => {
    if (Number.isNaN(readyAt) && d.toString().includes('ready')) readyAt = performance.now();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || Number.isNaN(readyAt))
    throw new Error(`engine start in a child process failed (${code})`);
  return readyAt - t0;
}

const gc = (globalThis as { gc?: () => void }).gc;
function rssAfterGc(): number {
  gc?.();
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const bareStart: number[] = [];
  for (let i = 0; i < 5; i++) bareStart.push(await bareNodeStartMs());
  const base = process.env.PODFLOW_BENCH_DIR ?? join(process.cwd(), '.podflow');
  await mkdir(base, { recursive: true });
  const root = await mkdtemp(join(base, 'bench-apply-'));
  // One start first, not counted: it fills the stripped-source cache when this checkout has not run podflow yet.
  const engineWarmupStartMs = await engineProcessStartMs(join(root, 'start-warmup'));
  const engineStarts: number[] = [];
  for (let i = 0; i < 3; i++) engineStarts.push(await engineProcessStartMs(join(root, `start-${i}`)));
  const engineStartMs = quantile(engineStarts, 0.5);
  const local = await startLocalEngine({
    dataDir: join(root, 'data'),
    inMemory: IN_MEMORY,
    store: STORE,
    onError: (err, context) => console.error(`engine error: ${context}:`, err),
  });

  // Resolves when the named pod is first committed Running / removed.
  const runningWaiters = new Map<string, () => void>();
  const removedWaiters = new Map<string, () => void>();
  local.store.subscribe((change) => {
    if (change.type === 'removed') {
      removedWaiters.get(change.key.name)?.();
      return;
    }
    if (change.type !== 'created' && change.type !== 'updated') return;
    if (change.pod.state.pod.status?.phase === 'Running') runningWaiters.get(change.pod.key.name)?.();
  });
  const until = (waiters: Map<string, () => void>, name: string): Promise<number> =>
    new Promise((resolve) =>
      waiters.set(name, () => {
        waiters.delete(name);
        resolve(performance.now());
      }),
    );

  const rawChildren: ChildProcess[] = [];
  async function rawOnce(): Promise<number> {
    const t0 = performance.now();
    const child = spawn(COMMAND[0]!, COMMAND.slice(1), { stdio: 'ignore' });
    rawChildren.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    return performance.now() - t0;
  }

  const names: string[] = [];
  async function engineOnce(i: number): Promise<number> {
    const name = `pod-${i}`;
    names.push(name);
    const running = until(runningWaiters, name);
    const t0 = performance.now();
    const admitted = admitManifests(podManifest(name), 'bench.yaml', {
      now: Date.now(),
      newUid: () => randomUUID(),
    });
    if (admitted.errors.length > 0) throw new Error(admitted.errors.join('\n'));
    await local.engine.createPod(admitted.objects[0]!.object as Pod);
    return (await running) - t0;
  }

  const raw: number[] = [];
  const viaEngine: number[] = [];
  let rssBefore = 0;
  let rssHalf = 0;
  const HALF = Math.floor(PODS / 2);
  let heapBefore = 0;
  for (let i = 0; i < WARMUP + PODS; i++) {
    if (i === WARMUP) {
      rssBefore = rssAfterGc();
      heapBefore = process.memoryUsage().heapUsed;
    }
    if (i === WARMUP + HALF) rssHalf = rssAfterGc();
    const r = await rawOnce();
    const s = await engineOnce(i);
    if (i >= WARMUP) {
      raw.push(r);
      viaEngine.push(s);
    }
  }
  // Every pod Running; the engine supervises them, idle.
  const rssRunning = rssAfterGc();
  const heapRunning = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const rssIdle = rssAfterGc();
  const heapIdle = process.memoryUsage().heapUsed;

  const [r50, s50] = [quantile(raw, 0.5), quantile(viaEngine, 0.5)];
  const [r95, s95] = [quantile(raw, 0.95), quantile(viaEngine, 0.95)];
  say(
    `apply-to-running: node ${process.version}, ${PODS} pods of \`${COMMAND.join(' ')}\` (after ${WARMUP} warm-up), ` +
      `store ${STORE === 'sqlite' ? 'SQLite' : 'DynamoDB on dynalite'} ${IN_MEMORY ? 'in memory' : 'on disk'}, load average ${loadBefore.join(' ')}`,
  );
  say('call → running (raw: spawn event; engine: createPod → phase Running committed)');
  say(`  raw spawn  p50 ${ms(r50)}   p95 ${ms(r95)}`);
  say(`  engine     p50 ${ms(s50)}   p95 ${ms(s95)}`);
  say(`  ratio      p50 ${(s50 / r50).toFixed(1)}×   p95 ${(s95 / r95).toFixed(1)}×`);
  const kib = (bytes: number): number => bytes / 1024 / PODS;
  say(
    `engine start ${ms(engineStartMs)} (bare node -e 0: ${ms(quantile(bareStart, 0.5))}); RSS per Running pod ` +
      `${kib(rssRunning - rssBefore).toFixed(1)} KiB, after ${IDLE_SECONDS} s idle ${kib(rssIdle - rssBefore).toFixed(1)} KiB ` +
      `(second half only: ${((rssIdle - rssHalf) / 1024 / (PODS - HALF)).toFixed(1)} KiB)` +
      (gc ? '' : ' (no --expose-gc: without a GC first)') +
      `; JS heap per pod ${kib(heapRunning - heapBefore).toFixed(1)} KiB, idle ${kib(heapIdle - heapBefore).toFixed(1)} KiB`,
  );

  for (const child of rawChildren) child.kill('SIGKILL');
  const t0 = performance.now();
  const gone = Promise.all(names.map((n) => until(removedWaiters, n)));
  for (const name of names) await local.engine.deletePod({ namespace: 'bench', name }, 0);
  await gone;
  const deleteMs = performance.now() - t0;
  say(`delete ${names.length} pods (grace 0) → all removed: ${ms(deleteMs)}`);
  const left = await local.store.list('bench');
  if (left.items.length > 0) console.error(`${left.items.length} pods left after deletion`);

  await local.close();
  await rm(root, { recursive: true, force: true });

  const rawIs = `raw spawn of \`${COMMAND.join(' ')}\` until its 'spawn' event, alternating`;
  const figures: Record<string, Figure> = {
    overhead_p50_ms: { value: s50 - r50, unit: 'ms', baseline: r50, baselineIs: `p50 of a ${rawIs}` },
    overhead_p95_ms: { value: s95 - r95, unit: 'ms', baseline: r95, baselineIs: `p95 of a ${rawIs}` },
    idle_pod_rss_kib: {
      value: (rssIdle - rssHalf) / 1024 / (PODS - HALF),
      unit: 'KiB',
      baseline: 0,
      baselineIs: 'raw sleep children add nothing to the spawning process',
    },
    idle_pod_rss_growth_kib: {
      value: kib(rssIdle - rssRunning),
      unit: 'KiB',
      baseline: 0,
      baselineIs: `growth per pod over ${IDLE_SECONDS} s idle; flat is 0`,
    },
    engine_start_ms: {
      value: engineStartMs,
      unit: 'ms',
      baseline: quantile(bareStart, 0.5),
      baselineIs: 'a bare `node -e 0` process, spawn → exit (p50 of 5; the engine: p50 of 3)',
    },
  };
  emitReport({
    bench: 'apply-to-running',
    loadBefore,
    loadAfter: loadAverage(),
    figures,
    notes: {
      pods: PODS,
      store: STORE,
      inMemory: IN_MEMORY,
      engine_p50_ms: s50,
      engine_p95_ms: s95,
      delete_ms: deleteMs,
      heap_per_pod_kib: kib(heapIdle - heapBefore),
      rss_per_pod_all_kib: kib(rssIdle - rssBefore),
      engine_start_runs_ms: engineStarts,
      engine_start_warmup_ms: engineWarmupStartMs,
      gc: gc !== undefined,
    },
  });
}

await main();
