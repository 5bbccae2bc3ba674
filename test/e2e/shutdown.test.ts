// Stopping the local engine (`podflow serve` on Ctrl-C, `podflow run` when it is done, every test's teardown) while
// pods are busy must be clean: no uncaught exceptions, containers left to their shims for the next start. The
// scenario runs in a child process (fixtures/close-busy.ts), which counts what escapes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/close-busy.ts', import.meta.url));

function runFixture(maxRounds: number): Promise<{ rounds: number; uncaught: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, String(maxRounds)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`close-busy exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as { rounds: number; uncaught: string[] });
    });
  });
}

describe('engine shutdown', () => {
  // LocalEngine.close() while a worker is registering a wait. LocalWorkflowClient.awaitTask
  // (local/local-workflow-client.ts) creates the `woken` promise, then awaits the `await` step (registerWait, a store
  // round trip) and only then awaits `woken`; stop() rejects every parked waiter with "engine stopped" — including a
  // `woken` nobody awaits yet because its step is still in flight. Without a handler attached when `woken` is
  // created that is an unhandled rejection, which Node's default (--unhandled-rejections=throw) turns into an
  // uncaught exception: the process exits 1 with "Error: engine stopped". close() must also let steps in flight finish
  // before the store closes, or they fail with dynalite's "Database is closed". Busy pods make both likely: here up
  // to eight rounds, each closing an engine whose five pods crash-loop.
  it('closing the engine while pods crash-loop raises no uncaught exception', async () => {
    const result = await runFixture(8);
    expect(result.uncaught).toEqual([]);
  }, 60_000);
});
