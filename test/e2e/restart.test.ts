// Restart resilience (docs/architecture.md §3, §4, §6): an engine killed with SIGKILL mid-flight, and a new engine on the same
// data directory (the default SQLite store on disk, not in memory). Both pods go on where they were: the one in its
// init containers finishes the init sequence and reaches Running, the crash-looping one keeps crash-looping; restart
// counts never go backwards; no container instance runs twice (every container command appends its pid to a marker
// file).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceDir } from '../../src/adapters/process/instance-layout.ts';
import { CHILD_BACKOFF, INIT_SLOW_SECONDS, READY_RESTARTS } from './fixtures/engine-child.ts';
import {
  E2eEngine,
  containerStatus,
  engineScratch,
  podManifest,
  readLines,
  restartCount,
  sh,
  onLines,
} from './support.ts';

const CHILD = fileURLToPath(new URL('./fixtures/engine-child.ts', import.meta.url));

interface ChildLine {
  pod: string;
  rv: string;
  containers: Record<string, { instance: number; state: string }>;
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts the child engine; resolves with what it printed up to "ready". */
async function runChild(
  dataDir: string,
  markerDir: string,
): Promise<{ child: ChildProcess; lines: ChildLine[] }> {
  const child = spawn(process.execPath, [CHILD, dataDir, markerDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: ChildLine[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child engine not ready in 20 s; stderr: ${stderr}`)),
      20_000,
    );
    onLines(child.stdout!, (line) => {
      if (line === '"ready"') {
        clearTimeout(timer);
        resolve();
        return;
      }
      lines.push(JSON.parse(line) as ChildLine);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child engine exited (${code ?? signal}) before ready: ${stderr}`));
    });
  });
  return { child, lines };
}

const kill9 = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe('engine restart', () => {
  it('kill -9 mid-init and mid-crash-loop: a new engine on the same data dir carries on', async () => {
    const { root, dataDir, cleanup } = await engineScratch('podflow-e2e-restart-');
    cleanups.push(cleanup);
    const markerDir = join(root, 'markers');
    await mkdir(markerDir);

    const { child, lines } = await runChild(dataDir, markerDir);
    await kill9(child);
    const before = (pod: string, container: string): number =>
      Math.max(0, ...lines.filter((l) => l.pod === pod).map((l) => l.containers[container]?.instance ?? 0));
    const crashBefore = before('crash-pod', 'crasher');
    expect(crashBefore).toBeGreaterThanOrEqual(READY_RESTARTS);
    // Killed while the first init container ran (it sleeps INIT_SLOW_SECONDS) and nothing after it had started.
    const initAtKill = lines.filter((l) => l.pod === 'init-pod').at(-1)!.containers;
    expect(initAtKill['init-slow']).toEqual({ instance: 0, state: 'running' });
    expect(initAtKill['init-second']?.instance).toBe(-1);

    const e = await E2eEngine.start({ dataDir, inMemory: false, settings: { backoff: CHILD_BACKOFF } });
    cleanups.push(() => e.close());
    expect(e.local.resumed).toBe(2);

    // The init pod completes its init sequence where it was: init-slow is not started again.
    const running = await e.waitForPhase('init-pod', 'Running', (INIT_SLOW_SECONDS + 10) * 1000);
    for (const name of ['init-slow', 'init-second', 'app']) expect(restartCount(running, name)).toBe(0);
    expect(containerStatus(running, 'init-slow')?.state?.terminated).toMatchObject({ exitCode: 0 });
    expect(containerStatus(running, 'init-second')?.state?.terminated).toMatchObject({ exitCode: 0 });
    const [slow] = e.instances('init-pod', 'init-slow');
    const [second] = e.instances('init-pod', 'init-second');
    expect(slow!.finishedAt! - slow!.startedAt!).toBeGreaterThanOrEqual(INIT_SLOW_SECONDS * 1000 - 50);
    expect(second!.startedAt).toBeGreaterThanOrEqual(slow!.finishedAt!);

    // The crash-looper keeps crash-looping, counting on from where it was.
    const looping = await e.waitForPod(
      'crash-pod',
      `restartCount ≥ ${crashBefore + 3}, waiting in CrashLoopBackOff`,
      (s) =>
        restartCount(s, 'crasher') >= crashBefore + 3 &&
        containerStatus(s, 'crasher')?.state?.waiting?.reason === 'CrashLoopBackOff',
      15_000,
    );
    expect(looping.pod.status?.phase).toBe('Running');

    // restartCount never goes backwards, across the restart and after it.
    const counts = [
      ...lines
        .filter((l) => l.pod === 'crash-pod')
        .map((l) => Math.max(0, l.containers.crasher?.instance ?? 0)),
      ...e.history('crash-pod').map((s) => restartCount(s, 'crasher')),
    ];
    counts.forEach((c, i) =>
      expect(c, `restartCount sequence ${counts.join(',')}`).toBeGreaterThanOrEqual(counts[i - 1] ?? 0),
    );

    // No instance ran twice: one process per instance, for both pods.
    const markers = (pod: string, container: string): string[] =>
      readLines(join(markerDir, pod)).filter((l) => l.split(' ')[0] === container);
    expect(markers('init-pod', 'init-slow')).toHaveLength(1);
    expect(markers('init-pod', 'init-second')).toHaveLength(1);
    expect(markers('init-pod', 'app')).toHaveLength(1);
    const crasher = markers('crash-pod', 'crasher');
    expect(new Set(crasher).size).toBe(crasher.length);
    expect(crasher, JSON.stringify(e.instances('crash-pod', 'crasher'))).toHaveLength(
      restartCount(looping, 'crasher') + 1,
    );
    expect(e.errors).toEqual([]);
  }, 45_000);

  // An engine that dies while it starts a container: the worker committed the instance as `starting`, the runtime
  // created the instance directory, and the engine died before the shim recorded a state. The next engine must
  // start the container (its resume re-issues the start), not turn its own crash into a container failure (a
  // kubelet that restarts finds no container and creates it). Deterministic: the runtime's start is stubbed to create
  // the instance directory and never return, as if the process died right there.
  it('an engine that dies while starting a container: the next engine starts it (restartPolicy Never)', async () => {
    const { root, dataDir, cleanup } = await engineScratch('podflow-e2e-interrupted-');
    cleanups.push(cleanup);
    const marker = join(root, 'ran');
    const first = await E2eEngine.start({ dataDir, inMemory: false });
    cleanups.push(() => first.abandon());
    const runtime = first.local.runtime;
    const start = runtime.start.bind(runtime);
    let stuck!: () => void;
    const dying = new Promise<void>((resolve) => (stuck = resolve));
    let die!: (err: Error) => void;
    runtime.start = (launch) => {
      if (launch.container !== 'app') return start(launch);
      mkdirSync(instanceDir(dataDir, launch), { recursive: true });
      stuck();
      // The engine "dies" here: the start never completes (it is failed below, only so that close() can finish
      // the step, which it now waits for).
      return new Promise<void>((_, reject) => (die = reject));
    };
    await first.create(
      podManifest('interrupted', {
        restartPolicy: 'Never',
        containers: [sh('app', `echo ran >> ${marker}; exec sleep 30`)],
      }),
    );
    await dying;
    expect(first.last('interrupted')?.engine.containers.app?.state.type).toBe('starting');
    die(new Error('the engine died while starting the container'));
    await first.abandon();

    const second = await E2eEngine.start({ dataDir, inMemory: false });
    cleanups.push(() => second.close());
    const settled = await second.waitForPod('interrupted', 'Running or Failed', (s) =>
      ['Running', 'Failed'].includes(s.pod.status?.phase ?? ''),
    );
    expect(containerStatus(settled, 'app')?.state?.terminated?.reason).not.toBe('ContainerCannotRun');
    expect(settled.pod.status?.phase).toBe('Running');
    expect(restartCount(settled, 'app')).toBe(0);
    expect(readLines(marker)).toEqual(['ran']);
  }, 20_000);
});
