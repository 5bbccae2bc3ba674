// 1,000 pods on one engine, and kill -9 of that engine mid-flight (docs/architecture.md §3, §4, §6; the scale item of
// the restart-resilience acceptance): a child engine (fixtures/scale-child.ts, the default SQLite store on disk)
// creates 1,000 pods of four kinds and is killed once every pod exists and 300 have reached their goal; a new engine
// on the same data directory carries on. Then:
//  - nothing committed is lost: the store holds every one of the 1,000 pods at least at the state the dead engine
//    last announced it committed (the child prints every commit);
//  - every pod reaches its goal (Succeeded, or Running with its container running) with exactly the restarts its
//    command asks for — no more (a container run again) and no fewer;
//  - no container instance ran twice: one marker line per instance, each from its own process, and the attempt
//    counter each command keeps agrees;
//  - restartCount never goes backwards, across the kill and after it;
//  - the dead engine's helper processes (shim launcher, pause spawner) go with it;
//  - once every pod is deleted, no process of the run is left (shims, pauses, containers) and no pod directory.
// Every wait is on what an engine committed or printed, never on a fixed time; the timeouts only bound a failure.
// PODFLOW_SCALE_TIMINGS=1 prints one line with the phases' times (seconds from the start) and counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredPod } from '../../src/ports/pod-store.ts';
import { openLocalStore } from '../../src/local/local-store.ts';
import { systemClock } from '../../src/ports/clock.ts';
import {
  GOALS,
  SCALE_BACKOFF,
  atGoal,
  kindOf,
  podLine,
  podName,
  type PodLine,
} from './fixtures/scale-child.ts';
import { E2eEngine, NAMESPACE, engineScratch, keyOf, onLines, readLines } from './support.ts';

const CHILD = fileURLToPath(new URL('./fixtures/scale-child.ts', import.meta.url));
const PODS = 1000;
/** The child is killed at the first commit after which every pod exists and this many reached their goal. */
const KILL_AT = 300;

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A process as /proc shows it: pid and start time (clock ticks since boot), which together name it uniquely. */
interface Proc {
  pid: number;
  ppid: number;
  startTicks: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: the fields after it start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie has ended, only its parent has not reaped it yet
    return { pid, ppid: Number(fields[1]), startTicks: fields[19]! };
  } catch {
    return undefined;
  }
}

const pids = (): number[] =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);

const alive = (p: Proc): boolean => readProc(p.pid)?.startTicks === p.startTicks;

/** Every process's working directory and command line (a zombie has neither). Not this process. */
function processes(): Array<{ pid: number; cwd: string; cmdline: string }> {
  const found: Array<{ pid: number; cwd: string; cmdline: string }> = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    let cwd = '';
    let cmdline = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, a zombie, or a kernel thread
    }
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      // gone
    }
    found.push({ pid, cwd, cmdline });
  }
  return found;
}

/**
 * Processes of this run: a working directory under `root` (every container runs in the marker directory) or `root`
 * in the command line (the shims and pause processes name their instance or sandbox directory).
 */
const processesUnder = (root: string): string[] =>
  processes()
    .filter((p) => p.cwd.startsWith(root) || p.cmdline.includes(root))
    .map((p) => `${p.pid} (cwd ${p.cwd}): ${p.cmdline}`);

/** Polls `check` every 50 ms until it returns true; then resolves, or rejects with `describe()` after `timeoutMs`. */
async function eventually(check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ChildRun {
  /** Every line the child printed for a pod, in commit order. */
  lines: PodLine[];
  created: boolean;
  /** The child's own child processes (shim launcher, pause spawner) when it froze. */
  helpers: Proc[];
  /** What its engine reported through onError (stderr lines `engine error: …`). */
  engineErrors: string[];
}

/** Runs the child engine until it says "kill", kills it with SIGKILL and returns what it printed. */
async function runAndKill(dataDir: string, markerDir: string): Promise<ChildRun> {
  const child: ChildProcess = spawn(
    process.execPath,
    [CHILD, dataDir, markerDir, String(PODS), String(KILL_AT)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const run: ChildRun = { lines: [], created: false, helpers: [], engineErrors: [] };
  let killed = false;
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child engine did not reach the kill point in 120 s; stderr: ${stderr}`));
    }, 120_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (killed && signal === 'SIGKILL') resolve();
      else
        reject(new Error(`child engine ended (${code ?? signal}) before the kill point; stderr: ${stderr}`));
    });
  });
  onLines(child.stdout!, (line) => {
    if (line === '"kill"') {
      // Frozen: what it started besides containers is its children right now.
      run.helpers = pids()
        .map(readProc)
        .filter((p): p is Proc => p?.ppid === child.pid);
      killed = true;
      child.kill('SIGKILL');
      return;
    }
    const parsed = JSON.parse(line) as PodLine | { created: number };
    if ('created' in parsed) run.created = parsed.created === PODS;
    else run.lines.push(parsed);
  });
  await closed;
  run.engineErrors = stderr.split('\n').filter((l) => l.startsWith('engine error:'));
  return run;
}

/** The last line of each pod, by name. */
function lastLines(lines: readonly PodLine[]): Map<string, PodLine> {
  const last = new Map<string, PodLine>();
  for (const l of lines) last.set(l.pod, l);
  return last;
}

describe('1,000 pods and a kill -9 of their engine', () => {
  it('every pod reaches its goal after a restart; nothing lost, nothing run twice, nothing left', async () => {
    const { root, dataDir, cleanup } = await engineScratch('podflow-e2e-scale-');
    cleanups.push(cleanup);
    const markerDir = join(root, 'markers');
    await mkdir(markerDir);
    const names = Array.from({ length: PODS }, (_, i) => podName(i));
    const t0 = Date.now();
    const timings: Record<string, number> = {};
    const mark = (label: string): void => void (timings[label] = (Date.now() - t0) / 1000);

    // ── the first engine, killed mid-flight ──────────────────────────────────────────────────────────────────
    const first = await runAndKill(dataDir, markerDir);
    mark('killed');
    expect(first.created).toBe(true);
    expect(first.engineErrors).toEqual([]);
    const before = lastLines(first.lines);
    expect(before.size).toBe(PODS);
    const goalAtKill = [...before.values()].filter(atGoal).length;
    expect(goalAtKill).toBeGreaterThanOrEqual(KILL_AT);
    expect(goalAtKill).toBeLessThan(PODS);
    // Its shim launcher and pause spawner end with it (IPC channel / stdin closed); the containers live on.
    expect(first.helpers.length).toBeGreaterThan(0);
    await eventually(
      () => !first.helpers.some(alive),
      10_000,
      () => `helpers of the killed engine still alive: ${first.helpers.filter(alive).map((p) => p.pid)}`,
    );

    // Nothing it committed is lost: the store holds every pod as the engine last announced it committed, or later
    // (a write done whose notification was still queued when the engine froze).
    const disk = await openLocalStore({ kind: 'sqlite', dataDir, inMemory: false, clock: systemClock });
    const stored = new Map((await disk.store.list(NAMESPACE)).items.map((p) => [p.key.name, podLine(p)]));
    await disk.close();
    expect([...stored.keys()].sort()).toEqual([...names].sort());
    const lost = names
      .map((name) => ({ printed: before.get(name)!, stored: stored.get(name)! }))
      .filter(
        ({ printed, stored }) =>
          Number(stored.rv) < Number(printed.rv) ||
          (stored.rv === printed.rv && JSON.stringify(stored) !== JSON.stringify(printed)),
      );
    expect(lost).toEqual([]);
    const ahead = names.filter((name) => stored.get(name)!.rv !== before.get(name)!.rv).length;

    // ── a new engine on the same data directory ──────────────────────────────────────────────────────────────
    // Every commit it makes, from its first (resuming workers commit while it starts), seen under the observable
    // store: the store decorator wraps the SQLite store itself.
    const after = new Map<string, PodLine[]>();
    const goal = new Set<string>();
    const removed = new Set<string>();
    const committed = (pod: StoredPod): void => {
      const line = podLine(pod);
      after.set(line.pod, [...(after.get(line.pod) ?? []), line]);
      if (atGoal(line)) goal.add(line.pod);
      else goal.delete(line.pod);
    };
    for (const [name, line] of stored) if (atGoal(line)) goal.add(name);
    const e = await E2eEngine.start({
      dataDir,
      inMemory: false,
      settings: { backoff: SCALE_BACKOFF },
      decorateStore: (store) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver) as unknown;
            if (typeof value !== 'function') return value;
            if (prop === 'create' || prop === 'update') {
              return async (...args: unknown[]) => {
                const pod = (await (value as (...a: unknown[]) => Promise<StoredPod>).apply(target, args))!;
                committed(pod);
                return pod;
              };
            }
            if (prop === 'remove') {
              return async (...args: unknown[]) => {
                const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
                if (result) removed.add((args[0] as { name: string }).name);
                return result;
              };
            }
            return (value as (...a: unknown[]) => unknown).bind(target);
          },
        }),
    });
    // A failed test leaves the pods to killLeftovers (above): deleting 1,000 pods through E2eEngine.close() waits
    // for each with a scan of everything recorded.
    cleanups.push(async () => {
      await e.abandon();
      await rm(e.scratch, { recursive: true, force: true });
    });
    const notAtGoal = (): string =>
      names
        .filter((n) => !goal.has(n))
        .slice(0, 10)
        .map((n) => JSON.stringify(after.get(n)?.at(-1) ?? stored.get(n)))
        .join(', ');
    mark('restarted');
    await e.waitFor(`all ${PODS} pods at their goal`, () => goal.size === PODS, 120_000, notAtGoal);
    mark('allAtGoal');

    // Every pod where its kind ends up, with exactly the restarts its command asks for.
    for (const name of names) {
      const line = after.get(name)?.at(-1) ?? stored.get(name)!;
      const { phase, restarts } = GOALS[kindOf(name)];
      expect({ phase: line.phase, restarts: line.restarts }, name).toEqual({ phase, restarts });
    }

    // restartCount never goes backwards, across the kill and after it.
    const printed = new Map<string, number[]>();
    for (const l of first.lines) printed.set(l.pod, [...(printed.get(l.pod) ?? []), l.restarts]);
    const backwards = names.filter((name) => {
      const counts = [
        ...printed.get(name)!,
        stored.get(name)!.restarts,
        ...(after.get(name) ?? []).map((l) => l.restarts),
      ];
      return counts.some((c, i) => i > 0 && c < counts[i - 1]!);
    });
    expect(backwards).toEqual([]);

    // No instance ran twice: one marker line (its own pid) per instance, and the command's own attempt count.
    const ranTwice = names.filter((name) => {
      const instances = GOALS[kindOf(name)].restarts + 1;
      const markers = readLines(join(markerDir, name));
      const attempts = Number(readLines(join(markerDir, `${name}.n`))[0]);
      return markers.length !== instances || new Set(markers).size !== instances || attempts !== instances;
    });
    expect(
      ranTwice.map((n) => `${n}: ${readLines(join(markerDir, n)).join(', ')}`),
      'pods whose container ran other than once per instance',
    ).toEqual([]);
    // One process per container that runs on (serve, and flaky after its two failures), none for the others. (A
    // flaky pod's third instance counts as running from its exec: its script may still be on its way to `sleep 600`.)
    const running = names.filter((n) => GOALS[kindOf(n)].phase === 'Running').length;
    const inMarkers = (): string[] =>
      processes()
        .filter((p) => p.cwd === markerDir)
        .map((p) => p.cmdline);
    await eventually(
      () => inMarkers().length === running && inMarkers().every((c) => c === 'sleep 600'),
      10_000,
      () => `${inMarkers().length} container processes, expected ${running} × sleep 600`,
    );
    expect(e.errors).toEqual([]);

    // ── delete everything: nothing may be left ───────────────────────────────────────────────────────────────
    for (const name of names) await e.local.engine.deletePod(keyOf(name), 0);
    mark('deleteRequested');
    await e.waitFor(
      `all ${PODS} pods removed`,
      () => removed.size === PODS,
      120_000,
      () => `${PODS - removed.size} left, e.g. ${names.filter((n) => !removed.has(n)).slice(0, 5)}`,
    );
    mark('removed');
    // Killed processes may take a moment to be gone from /proc; one that stays is a leak.
    await eventually(
      () => processesUnder(root).length === 0,
      10_000,
      () => `processes left behind:\n  ${processesUnder(root).slice(0, 20).join('\n  ')}`,
    );
    mark('allRemoved');
    expect(await readdir(join(dataDir, 'pods')).catch(() => [])).toEqual([]);
    expect(e.errors).toEqual([]);
    await e.close();
    if (process.env.PODFLOW_SCALE_TIMINGS) {
      console.log(JSON.stringify({ goalAtKill, ahead, resumed: e.local.resumed, timings }));
    }
  }, 400_000);
});
