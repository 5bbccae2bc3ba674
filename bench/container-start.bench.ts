// What the shim costs (docs/architecture.md §6; budget: ≤ 5 ms added start latency and ≤ 5 MiB resident per running
// container). Not part of `npm test`. Run with the pinned Node 22: `npx node bench/container-start.bench.ts`
// [iterations] (data under .podflow/bench-*, or PODFLOW_BENCH_DIR).
//
// Start latency, same command (`true`), alternating raw and runtime runs so machine noise hits both alike:
//   raw      child_process.spawn(cmd) → its 'spawn' event (the process exec'd), and → its 'exit' event
//   runtime  ProcessContainerRuntime.start() called → `started` observation (shim spawned, command exec'd, state
//            recorded), and → `exited` observation (exit recorded, log drained, state file seen)
// Memory: 50 `sleep 30` containers; VmRSS (and PSS: shared libc pages divided among their users) of the shims, and
// of the `sleep` processes themselves for scale.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { instanceDir } from '../src/adapters/process/instance-layout.ts';
import { ProcessContainerRuntime } from '../src/adapters/process/process-container-runtime.ts';
import { readRssBytes } from '../src/adapters/process/process-identity.ts';
import { readShimState } from '../src/adapters/process/shim-state.ts';
import { systemClock } from '../src/ports/clock.ts';
import type { ContainerInstanceRef, ContainerObservation } from '../src/ports/container-runtime.ts';

const ITERATIONS = Number(process.argv[2] ?? 100);
const WARMUP = 10;
const MEMORY_CONTAINERS = 50;
const COMMAND = ['true'];

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const ms = (v: number): string => `${v.toFixed(2)} ms`;

async function rawOnce(): Promise<{ start: number; exit: number }> {
  const t0 = performance.now();
  const child = spawn(COMMAND[0]!, COMMAND.slice(1), { stdio: 'ignore' });
  const start = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(performance.now() - t0));
    child.once('error', reject);
  });
  const exit = await new Promise<number>((resolve) => {
    if (child.exitCode !== null) resolve(performance.now() - t0);
    else child.once('exit', () => resolve(performance.now() - t0));
  });
  return { start, exit };
}

async function pss(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const m = /^Pss:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

async function main(): Promise<void> {
  // Where local mode keeps its data (.podflow/ in the project) unless told otherwise: file creation cost depends on
  // the directory (on the CI VM, fresh directories under /tmp are ~10× slower to create files in).
  const base = process.env.PODFLOW_BENCH_DIR ?? join(process.cwd(), '.podflow');
  await mkdir(base, { recursive: true });
  const root = await mkdtemp(join(base, 'bench-'));
  const dataDir = join(root, 'data');
  const runtime = new ProcessContainerRuntime({ dataDir, clock: systemClock });
  const pod = { key: { namespace: 'bench', name: 'bench' }, uid: 'bench-pod' };
  await runtime.createSandbox(pod);

  const waiters = new Map<string, (o: ContainerObservation) => void>();
  /** Shim-recorded exit (finishedAt, wall clock) → observation received by a listener (Date.now()). */
  const exitToObserved: number[] = [];
  runtime.observe((o) => {
    if (o.type === 'exited') exitToObserved.push(Date.now() - o.finishedAt);
    waiters.get(`${o.ref.container}/${o.ref.instance}/${o.type}`)?.(o);
  });
  const next = (ref: ContainerInstanceRef, type: ContainerObservation['type']): Promise<number> =>
    new Promise((resolve) =>
      waiters.set(`${ref.container}/${ref.instance}/${type}`, () => resolve(performance.now())),
    );

  let instance = 0;
  async function runtimeOnce(): Promise<{ start: number; exit: number }> {
    const ref = { key: pod.key, podUid: pod.uid, container: 'bench', instance: instance++ };
    const started = next(ref, 'started');
    const exited = next(ref, 'exited');
    const t0 = performance.now();
    await runtime.start({ ...ref, argv: COMMAND, env: [] });
    return { start: (await started) - t0, exit: (await exited) - t0 };
  }

  const raw: Array<{ start: number; exit: number }> = [];
  const viaRuntime: Array<{ start: number; exit: number }> = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const r = await rawOnce();
    const s = await runtimeOnce();
    if (i >= WARMUP) {
      raw.push(r);
      viaRuntime.push(s);
    }
  }

  const report = (what: 'start' | 'exit', label: string): void => {
    const r = raw.map((x) => x[what]);
    const s = viaRuntime.map((x) => x[what]);
    const [rm50, sm50] = [quantile(r, 0.5), quantile(s, 0.5)];
    console.log(`${label}`);
    console.log(`  raw spawn     median ${ms(rm50)}   p95 ${ms(quantile(r, 0.95))}`);
    console.log(`  runtime+shim  median ${ms(sm50)}   p95 ${ms(quantile(s, 0.95))}`);
    console.log(`  added         median ${ms(sm50 - rm50)}   ratio ${(sm50 / rm50).toFixed(2)}×`);
  };
  console.log(
    `node ${process.version}, ${ITERATIONS} runs each of \`${COMMAND.join(' ')}\` (after ${WARMUP} warm-up)`,
  );
  report('start', 'call → started (raw: spawn event; runtime: started observation)');
  report('exit', 'call → exit observed (raw: exit event; runtime: exited observation)');
  const lag = exitToObserved.slice(WARMUP);
  console.log('exit recorded by the shim → exited observation delivered (ms clock)');
  console.log(
    `  median ${ms(quantile(lag, 0.5))}   p95 ${ms(quantile(lag, 0.95))}   max ${ms(Math.max(...lag))}`,
  );

  // Memory of running containers.
  const refs: ContainerInstanceRef[] = [];
  const startedAll: Array<Promise<number>> = [];
  for (let i = 0; i < MEMORY_CONTAINERS; i++) {
    const ref = { key: pod.key, podUid: pod.uid, container: `sleeper-${i}`, instance: 0 };
    refs.push(ref);
    startedAll.push(next(ref, 'started'));
    await runtime.start({ ...ref, argv: ['sleep', '30'], env: [] });
  }
  await Promise.all(startedAll);
  const states = await Promise.all(refs.map((r) => readShimState(instanceDir(dataDir, r))));
  const shimPids = states.map((s) => s!.shimPid!);
  const childPids = states.map((s) => s!.pid!);
  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
  const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  const shimRss = sum(shimPids.map(readRssBytes));
  const childRss = sum(childPids.map(readRssBytes));
  const shimPss = sum(await Promise.all(shimPids.map(pss)));
  console.log(`${MEMORY_CONTAINERS} running \`sleep 30\` containers`);
  console.log(
    `  shim    VmRSS ${mib(shimRss / MEMORY_CONTAINERS)} per container (PSS ${mib(shimPss / MEMORY_CONTAINERS)})`,
  );
  console.log(
    `  sleep   VmRSS ${mib(childRss / MEMORY_CONTAINERS)} per container (the command itself, for scale)`,
  );

  const exitedAll = refs.map((r) => next(r, 'exited'));
  await Promise.all(refs.map((r) => runtime.stop(r, 0)));
  await Promise.all(exitedAll);
  await runtime.removeSandbox(pod); // and its pause process, as root
  await runtime.close();
  await rm(root, { recursive: true, force: true });
}

await main();
