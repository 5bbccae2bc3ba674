// Engine restarts (ports/container-runtime.ts recover(); docs/semantics.md §1 "lost container"): the engine runs in a
// CHILD process (fixtures/engine-process.ts) that this test kills with SIGKILL; a new ProcessContainerRuntime on
// the same data directory must re-adopt what still runs, report what ended meanwhile with its real exit code, and
// start nothing twice. Also: instances whose shim vanished are reported lost (137, ContainerStatusUnknown).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'vitest';
import { instanceDir } from '../../../src/adapters/process/instance-layout.ts';
import {
  SHIM_LOST_MESSAGE,
  ProcessContainerRuntime,
} from '../../../src/adapters/process/process-container-runtime.ts';
import { isSameLiveProcess } from '../../../src/adapters/process/process-identity.ts';
import { readShimState, writeShimState, type ShimState } from '../../../src/adapters/process/shim-state.ts';
import { systemClock } from '../../../src/ports/clock.ts';
import type { ContainerInstanceRef } from '../../../src/ports/container-runtime.ts';
import { ObservationLog, waitUntil } from '../../contract/container-runtime.contract.ts';
import { FIXTURE_POD, STUBBORN, THREE } from './fixtures/engine-process.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/engine-process.ts', import.meta.url));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(): Promise<{ root: string; dataDir: string; marker: string }> {
  const root = await mkdtemp(join(tmpdir(), 'podflow-recover-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return { root, dataDir: join(root, 'data'), marker: join(root, 'starts') };
}

function newRuntime(dataDir: string): { runtime: ProcessContainerRuntime; log: ObservationLog } {
  const runtime = new ProcessContainerRuntime({ dataDir, clock: systemClock });
  const log = new ObservationLog(runtime);
  cleanups.push(async () => {
    // Leave no container running, whatever the test did.
    for (const { observation: o } of log.received) await runtime.stop(o.ref, 0);
    await runtime.removeSandbox(FIXTURE_POD); // and its pause process, namespaces and address
    await runtime.close();
  });
  return { runtime, log };
}

/** Starts the fixture engine and resolves with its first stdout line (parsed) once it printed it. */
async function runEngine(
  dataDir: string,
  marker: string,
  mode: string,
): Promise<{ engine: ChildProcess; said: unknown }> {
  const engine = spawn(process.execPath, [FIXTURE, dataDir, marker, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(async () => {
    if (engine.exitCode === null && engine.signalCode === null) engine.kill('SIGKILL');
  });
  let stderr = '';
  engine.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const said = await new Promise<unknown>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`engine fixture said nothing in 20 s; stderr: ${stderr}`)),
      20_000,
    );
    engine.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
    engine.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine fixture exited ${code}: ${stderr}`));
    });
  });
  return { engine, said };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const refOf = (l: ContainerInstanceRef): ContainerInstanceRef => ({
  key: l.key,
  podUid: l.podUid,
  container: l.container,
  instance: l.instance,
});

describe(
  'ProcessContainerRuntime.recover after the engine was killed with SIGKILL',
  { timeout: 60_000 },
  () => {
    it('re-adopts the live instances, reports the exit that happened meanwhile (7), starts nothing twice', async ({
      expect,
    }) => {
      const { dataDir, marker } = await scratch();
      const { engine, said } = await runEngine(dataDir, marker, 'three');
      expect(said).toEqual({ ready: ['long-a', 'long-b', 'short'] });
      await kill9(engine);

      const [longA, longB, short] = THREE(marker).map(refOf) as [
        ContainerInstanceRef,
        ContainerInstanceRef,
        ContainerInstanceRef,
      ];
      // The short one ends ~1 s after it started, with nobody watching; its shim records it.
      await waitUntil(
        'the short container to exit while no engine runs',
        async () =>
          (await readShimState(instanceDir(dataDir, short)))?.phase === 'exited' ? true : undefined,
        10_000,
      );

      const { runtime, log } = newRuntime(dataDir);
      const live = await runtime.recover();
      expect(live.map((r) => r.container).sort()).toEqual(['long-a', 'long-b']);
      expect(log.of(short).map((o) => o.type)).toEqual(['started', 'exited']);
      expect(log.of(short)[1]).toMatchObject({ type: 'exited', exitCode: 7, oomKilled: false });
      for (const ref of [longA, longB]) {
        expect(log.of(ref).map((o) => o.type)).toEqual(['started']);
        const state = await readShimState(instanceDir(dataDir, ref));
        expect(isSameLiveProcess(state!.pid, state!.pidStartTicks, state!.bootId)).toBe(true);
      }

      // A retried start after the restart (same instances) starts nothing.
      for (const l of THREE(marker)) await runtime.start(l);
      // A second recover in the same process reports nothing again.
      const before = log.received.length;
      expect((await runtime.recover()).map((r) => r.container).sort()).toEqual(['long-a', 'long-b']);
      expect(log.received.length).toBe(before);

      // The re-adopted instances are watched again: stopping them yields their exits.
      await Promise.all([runtime.stop(longA, 10), runtime.stop(longB, 10)]);
      for (const ref of [longA, longB]) {
        expect(await log.waitFor(ref, 'exited')).toMatchObject({
          exitCode: 143,
          signal: 15,
          oomKilled: false,
        });
      }
      expect((await readFile(marker, 'utf8')).trim().split('\n').sort()).toEqual([
        'long-a',
        'long-b',
        'short',
      ]);
      expect(log.violations()).toEqual([]);
    });

    it('a stop survives the engine dying during the grace: the shim still SIGKILLs at the deadline', async ({
      expect,
    }) => {
      const { dataDir, marker } = await scratch();
      const { engine, said } = await runEngine(dataDir, marker, 'stop-then-die');
      await kill9(engine);
      const stopRequestedAt = (said as { stopping: number }).stopping;

      const { runtime, log } = newRuntime(dataDir);
      await runtime.recover();
      const ref = refOf(STUBBORN(marker));
      const exited = await log.waitFor(ref, 'exited', 10_000);
      expect(exited).toMatchObject({ exitCode: 137, signal: 9, oomKilled: false });
      // SIGKILL (signal 9) from the shim the new engine never spoke to, not before the grace it was given.
      expect(exited.finishedAt - stopRequestedAt).toBeGreaterThanOrEqual(1000 - 50);
      expect(log.violations()).toEqual([]);
    });
  },
);

describe('ProcessContainerRuntime: instances whose shim is gone', { timeout: 60_000 }, () => {
  /** A pid that certainly belongs to no process: one that just ended. */
  async function deadPid(): Promise<number> {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    return child.pid!;
  }

  async function plant(
    dataDir: string,
    container: string,
    state: ShimState | undefined,
  ): Promise<ContainerInstanceRef> {
    const ref = { key: FIXTURE_POD.key, podUid: FIXTURE_POD.uid, container, instance: 0 };
    const dir = instanceDir(dataDir, ref);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'launch.json'),
      JSON.stringify({ ref, argv: ['sleep', '1'], env: [], workingDir: '/' }),
    );
    if (state) await writeShimState(dir, state);
    return ref;
  }

  it.for([
    {
      name: 'running, but recorded in another boot (the machine restarted) → exited 137, ContainerStatusUnknown',
      state: async (): Promise<ShimState> => ({
        phase: 'running',
        shimPid: process.pid,
        shimStartTicks: '1',
        bootId: '00000000-0000-0000-0000-000000000000',
        pid: await deadPid(),
        pidStartTicks: '1',
        startedAt: Date.now() - 60_000,
      }),
      expected: {
        type: 'exited',
        exitCode: 137,
        oomKilled: false,
        lost: true,
        message: SHIM_LOST_MESSAGE,
      },
    },
    {
      name: "running, its shim's pid now another process (pid reuse: start time differs) → exited 137, lost",
      state: async (): Promise<ShimState> => ({
        phase: 'running',
        shimPid: process.pid,
        shimStartTicks: '1',
        bootId: (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim(),
        pid: await deadPid(),
        pidStartTicks: '1',
        startedAt: Date.now() - 60_000,
      }),
      expected: {
        type: 'exited',
        exitCode: 137,
        oomKilled: false,
        lost: true,
        message: SHIM_LOST_MESSAGE,
      },
    },
  ])('$name', async ({ state, expected }, { expect }) => {
    const { dataDir } = await scratch();
    const ref = await plant(dataDir, 'planted', await state());
    const { runtime, log } = newRuntime(dataDir);
    expect(await runtime.recover()).toEqual([]);
    const final = log.of(ref).at(-1);
    expect(final).toMatchObject(expected);
    // The verdict is written down: a later engine reports the same, and start() does not run it after all.
    expect((await readShimState(instanceDir(dataDir, ref)))?.phase).toBe('exited');
    await runtime.start({ ...ref, argv: ['sleep', '1'], env: [] });
    expect(log.of(ref).filter((o) => o.type !== 'started')).toHaveLength(1);
    expect(log.violations()).toEqual([]);
  });

  it('no state at all (the engine died between creating the directory and spawning the shim): nothing is reported, and the engine’s resumed start runs it once', async ({
    expect,
  }) => {
    const { dataDir } = await scratch();
    const ref = await plant(dataDir, 'unstarted', undefined);
    const { runtime, log } = newRuntime(dataDir);
    expect(await runtime.recover()).toEqual([]);
    expect(log.of(ref)).toEqual([]);
    expect(await readShimState(instanceDir(dataDir, ref))).toBeUndefined();
    await Promise.all([
      runtime.start({ ...ref, argv: ['sh', '-c', 'exit 7'], env: [] }),
      runtime.start({ ...ref, argv: ['sh', '-c', 'exit 7'], env: [] }),
    ]);
    expect(await log.waitFor(ref, 'exited')).toMatchObject({ exitCode: 7 });
    expect(log.of(ref).map((o) => o.type)).toEqual(['started', 'exited']);
    expect(log.violations()).toEqual([]);
  });
});
