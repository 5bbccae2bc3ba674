// Closing the local engine while pods run: a kubelet restart leaves pods alone, and so does podflow — but the
// engine itself must let go cleanly (steps in flight finish before the store closes; nothing keeps the process).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ProcessContainerRuntime } from '../../src/adapters/process/process-container-runtime.ts';
import { systemClock } from '../../src/ports/clock.ts';

const dirs: string[] = [];

afterAll(async () => {
  for (const dataDir of dirs) {
    // Stop the sleeper the fixture left running under its shim, and wait until its shim recorded the exit: until
    // then the shim still writes into the instance directory, which would race its removal (ENOTEMPTY). Then remove
    // its pod's sandbox (pause process, namespaces).
    const runtime = new ProcessContainerRuntime({ dataDir, clock: systemClock });
    const exited = new Set<string>();
    let wake: () => void = () => {};
    runtime.observe((o) => {
      if (o.type !== 'exited') return;
      exited.add(`${o.ref.podUid}/${o.ref.container}/${o.ref.instance}`);
      wake();
    });
    const live = await runtime.recover();
    for (const ref of live) await runtime.stop(ref, 0);
    const allExited = () => live.every((r) => exited.has(`${r.podUid}/${r.container}/${r.instance}`));
    while (!allExited()) await new Promise<void>((resolve) => (wake = resolve));
    for (const sandbox of await runtime.listSandboxes()) await runtime.removeSandbox(sandbox);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it.each([
  {
    name: 'right after the pod turned Running: steps in flight finish before the store closes',
    when: 'busy',
  },
  { name: 'with the worker parked in SuperviseAwait: no task timer keeps the process alive', when: 'parked' },
])('close() $name', async ({ when }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'podflow-close-'));
  dirs.push(dataDir);
  const fixture = join(import.meta.dirname, 'fixtures', 'close-with-running-pod.ts');
  const child = spawn(process.execPath, [fixture, dataDir, when], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 15_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  expect(out).toContain('closed');
  expect(err).toBe('');
  expect(code).toBe(0);
});
