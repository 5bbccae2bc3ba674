// What the whole engine costs to bring a pod to Running, compared with spawning its command directly.
// Not part of `npm test`: it measures, it does not assert. Run with the pinned Node 22:
//   npx node bench/apply-to-running.bench.ts [pods=50] [--in-memory] [--store sqlite|dynamodb]
// (data under .podflow/bench-*, or PODFLOW_BENCH_DIR; the store as `podflow serve` runs it — SQLite by default,
// dynalite on LevelDB with --store dynamodb — or in memory).
//
// Alternating one raw run and one engine run so machine noise hits both alike, for the same command (`sleep 30`):
//   raw      child_process.spawn(cmd) → its 'spawn' event (the process exec'd)
//   engine   admitManifests + engine.createPod() → the first committed state with phase Running, observed through
//            store.subscribe: the worker's Admit, Sandbox, StartContainers steps through the committed ASL, the
//            store writes, the shim spawn and exec, the `started` observation through the inbox, and the commit.
// Then every pod is deleted (grace 0) and the bench waits until all are gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pod } from 'kubernetes-types/core/v1';
import { admitManifests } from '../src/core/manifest/index.ts';
import { startLocalEngine } from '../src/local/local-engine.ts';

const args = process.argv.slice(2);
const PODS = Number(args.find((a) => /^\d+$/.test(a)) ?? 50);
const IN_MEMORY = args.includes('--in-memory');
const storeArg = args.includes('--store') ? args[args.indexOf('--store') + 1] : 'sqlite';
if (storeArg !== 'sqlite' && storeArg !== 'dynamodb')
  throw new Error(`--store sqlite|dynamodb, not ${storeArg}`);
const STORE: 'sqlite' | 'dynamodb' = storeArg;
const WARMUP = 3;
const COMMAND = ['sleep', '30'];

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
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

async function main(): Promise<void> {
  const base = process.env.PODFLOW_BENCH_DIR ?? join(process.cwd(), '.podflow');
  await mkdir(base, { recursive: true });
  const root = await mkdtemp(join(base, 'bench-apply-'));
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
  for (let i = 0; i < WARMUP + PODS; i++) {
    const r = await rawOnce();
    const s = await engineOnce(i);
    if (i >= WARMUP) {
      raw.push(r);
      viaEngine.push(s);
    }
  }

  const [r50, s50] = [quantile(raw, 0.5), quantile(viaEngine, 0.5)];
  const [r95, s95] = [quantile(raw, 0.95), quantile(viaEngine, 0.95)];
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `node ${process.version}, ${PODS} pods of \`${COMMAND.join(' ')}\` (after ${WARMUP} warm-up), ` +
      `store ${STORE === 'sqlite' ? 'SQLite' : 'DynamoDB on dynalite'} ${IN_MEMORY ? 'in memory' : 'on disk'}, load average ${load}`,
  );
  console.log('call → running (raw: spawn event; engine: createPod → phase Running committed)');
  console.log(`  raw spawn  p50 ${ms(r50)}   p95 ${ms(r95)}`);
  console.log(`  engine     p50 ${ms(s50)}   p95 ${ms(s95)}`);
  console.log(`  ratio      p50 ${(s50 / r50).toFixed(1)}×   p95 ${(s95 / r95).toFixed(1)}×`);

  for (const child of rawChildren) child.kill('SIGKILL');
  const t0 = performance.now();
  const gone = Promise.all(names.map((n) => until(removedWaiters, n)));
  for (const name of names) await local.engine.deletePod({ namespace: 'bench', name }, 0);
  await gone;
  console.log(`delete ${names.length} pods (grace 0) → all removed: ${ms(performance.now() - t0)}`);
  const left = await local.store.list('bench');
  if (left.items.length > 0) console.error(`${left.items.length} pods left after deletion`);

  await local.close();
  await rm(root, { recursive: true, force: true });
}

await main();
