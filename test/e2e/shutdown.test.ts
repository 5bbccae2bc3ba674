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
  // Regression (fixed): LocalEngine.close() crashed the process when a worker is registering a wait at that moment.
  // LocalWorkflowClient.awaitTask (local/local-workflow-client.ts) creates the `woken` promise, then awaits the
  // `await` step (registerWait, a store round trip) and only then awaits `woken`; stop() rejects every parked waiter
  // with "engine stopped" — including a `woken` that nobody listens to yet, because its step is still in flight.
  // That is an unhandled rejection: Node's default (--unhandled-rejections=throw) turns it into an uncaught exception
  // and the process exits 1 with "Error: engine stopped" (then PromiseRejectionHandledWarning when awaitTask gets
  // there). Any busy pod makes it likely: here the first or second round of five crash-looping pods, every run.
  // (Before commit 6a45f64 the same scenario raised dynalite's "Database is closed" instead: close() did not wait
  // for steps in flight.) Fix: attach a handler to `woken` when it is created, or create it after the step.
  it('closing the engine while pods crash-loop raises no uncaught exception', async () => {
    const result = await runFixture(8);
    expect(result.uncaught).toEqual([]);
  }, 60_000);
});
