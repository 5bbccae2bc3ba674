// podflow-shim --spawner and its client (adapters/process/pause-spawner.ts): pause processes started by a fork of
// the small spawner instead of a spawn from the engine, each report tagged so concurrent starts get their own, and
// pauses that outlive the spawner (their parent is init, not the spawner nor the engine). No namespaces are asked
// for here, so this runs without root too.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PauseSpawner } from '../../../src/adapters/process/pause-spawner.ts';
import { isSameLiveProcess, readProcStat } from '../../../src/adapters/process/process-identity.ts';
import { readShimState } from '../../../src/adapters/process/shim-state.ts';
import { ensureShim } from '../../../src/adapters/process/shim/build-shim.mjs';
import { waitUntil } from '../../contract/container-runtime.contract.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describe('PauseSpawner', () => {
  it('concurrent starts each get their own report; the pauses outlive the spawner; SIGTERM ends them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'podflow-spawner-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const spawner = new PauseSpawner(await ensureShim());
    const dirs = [0, 1, 2, 3, 4].map((i) => join(root, String(i)));
    for (const d of dirs) mkdirSync(d);
    const reports = await Promise.all(dirs.map((d) => spawner.start(['--dir', d])));
    expect(reports).toEqual(dirs.map(() => 'started\n'));
    const pauses = await Promise.all(dirs.map(async (d) => (await readShimState(d))!));
    cleanups.push(() => {
      for (const p of pauses) {
        try {
          process.kill(p.shimPid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    for (const p of pauses) {
      expect(p.phase).toBe('running');
      expect(readProcStat(p.shimPid!)?.ppid).not.toBe(process.pid);
    }
    // Each pause shows its own arguments (ps, and the tests that count a data directory's pauses, find it by them).
    const cmdline = readFileSync(`/proc/${pauses[0]!.shimPid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain('--pause');
    expect(cmdline[cmdline.indexOf('--dir') + 1]).toBe(dirs[0]);
    // A request that cannot be carried out still gets an outcome.
    expect(await spawner.start(['--dir', join(root, 'missing')])).toBe('failed\n');

    spawner.close();
    for (const p of pauses) expect(isSameLiveProcess(p.shimPid, p.shimStartTicks, p.bootId)).toBe(true);
    for (const p of pauses) process.kill(p.shimPid!, 'SIGTERM');
    await waitUntil(
      'the pauses to end on SIGTERM',
      () => pauses.every((p) => !isSameLiveProcess(p.shimPid, p.shimStartTicks, p.bootId)) || undefined,
    );
    expect((await readShimState(dirs[0]!))?.phase).toBe('exited');
    // A closed spawner starts a new one on the next request.
    mkdirSync(join(root, 'again'));
    expect(await spawner.start(['--dir', join(root, 'again')])).toBe('started\n');
    const again = (await readShimState(join(root, 'again')))!;
    process.kill(again.shimPid!, 'SIGTERM');
    spawner.close();
  });
});
