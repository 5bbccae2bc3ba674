// What the process runtime measures of a container (process-tree-usage.ts), against real processes and what they
// report about themselves: the CPU time a node process reads with process.cpuUsage() (getrusage, microseconds), and the
// memory a container allocates and touches.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessContainerRuntime } from '../../../src/adapters/process/process-container-runtime.ts';
import { processTree, readTreeUsage, USER_HZ } from '../../../src/adapters/process/process-tree-usage.ts';
import { systemClock } from '../../../src/ports/clock.ts';
import { ObservationLog, waitUntil } from '../../contract/container-runtime.contract.ts';

const NODE = process.execPath;
/** One clock tick of /proc's CPU times, in ms: the resolution of what is measured. */
const TICK_MS = 1000 / USER_HZ;
const MiB = 1024 * 1024;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `sh -c <script>` (a parent, as the shim is one), killed with its tree after the test. */
function shell(script: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn('sh', ['-c', script], {
    env: { ...process.env, NODE, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  cleanups.push(async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return child;
}

const cpuMs = (ns: number): number => ns / 1e6;

describe('readTreeUsage', () => {
  it('the CPU time of a live busy process matches what it reports itself, over the same interval', async () => {
    // A worker thread spins; the main thread answers each stdin line with process.cpuUsage() (all threads), in µs.
    const script = `
      const { Worker } = require('node:worker_threads');
      new Worker('for (;;) {}', { eval: true });
      require('node:readline').createInterface({ input: process.stdin }).on('line', () => {
        const u = process.cpuUsage();
        process.stdout.write(String(u.user + u.system) + '\\n');
      });
      process.stdout.write('ready\\n');`;
    const sh = shell(`"$NODE" -e "$SCRIPT"; true`, { SCRIPT: script });
    const lines = createInterface({ input: sh.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    const reported = async (): Promise<number> => {
      sh.stdin!.write('\n');
      return Number((await lines.next()).value) / 1000;
    };
    const ask0 = performance.now();
    const c0 = await reported();
    const u0 = readTreeUsage(sh.pid!)!;
    const gap0 = performance.now() - ask0;
    await new Promise((r) => setTimeout(r, 1500));
    const ask1 = performance.now();
    const u1 = readTreeUsage(sh.pid!)!;
    const c1 = await reported();
    const gap1 = performance.now() - ask1;
    const measured = cpuMs(u1.cpuNanoSeconds - u0.cpuNanoSeconds);
    const truth = c1 - c0;
    expect(u1.processes).toBe(1);
    expect(measured).toBeGreaterThan(0);
    // The measured interval lies inside the reported one: at most its CPU time plus the rounding (/proc truncates
    // user and system time to ticks); at least that minus what the process used between a report and a measurement
    // next to it — at most the two threads (spinner and responder) for the wall time of each exchange.
    expect(measured).toBeLessThanOrEqual(truth + 2 * TICK_MS);
    expect(measured).toBeGreaterThanOrEqual(truth - 2 * TICK_MS - 2 * (gap0 + gap1));
  });

  it('the CPU time of children that ended stays counted (their parent reaped them)', async () => {
    // The child burns 300 ms of CPU time (not wall time: the same amount however loaded the machine is), writes
    // what it used and exits; its parent lives on.
    const dir = await mkdtemp(join(tmpdir(), 'podflow-usage-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, 'used');
    const burn = `
      const used = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
      while (used() < 300) {}
      require('node:fs').writeFileSync(process.env.OUT, String(used()));`;
    const sh = shell(`"$NODE" -e "$BURN"; sleep 30`, { BURN: burn, OUT: out });
    let reported = 0;
    await waitUntil(
      'the burner to exit and `sleep` to run',
      async () => {
        reported = Number(await readFile(out, 'utf8').catch(() => '0'));
        // Only `sleep` left: the burner has exited and been reaped (not merely written its file).
        const children = processTree(sh.pid!);
        const comm =
          children.length === 1 ? await readFile(`/proc/${children[0]}/comm`, 'utf8').catch(() => '') : '';
        return reported > 0 && comm.trim() === 'sleep';
      },
      30_000,
    );
    const usage = readTreeUsage(sh.pid!)!;
    expect(reported).toBeGreaterThanOrEqual(300);
    // What the child used until it wrote the file, plus its exit (a few ms); /proc truncates user and system time
    // to whole ticks each, so up to two ticks less.
    expect(cpuMs(usage.cpuNanoSeconds)).toBeGreaterThanOrEqual(reported - 2 * TICK_MS);
    expect(cpuMs(usage.cpuNanoSeconds)).toBeLessThanOrEqual(reported + 50);
  });

  it('a shim that is gone measures nothing', () => {
    expect(readTreeUsage(2 ** 22 + 12345)).toBeUndefined();
  });
});

describe('ProcessContainerRuntime.containerStats', () => {
  it('reports each running container with its instance and start; memory grows by what the container allocated', async () => {
    const root = await mkdtemp(join(tmpdir(), 'podflow-stats-'));
    const runtime = new ProcessContainerRuntime({ dataDir: join(root, 'data'), clock: systemClock });
    const log = new ObservationLog(runtime);
    const pod = { key: { namespace: 'default', name: 'stats' }, uid: 'stats-pod' };
    await runtime.createSandbox(pod);
    cleanups.push(async () => {
      for (const { observation: o } of log.received) await runtime.stop(o.ref, 0);
      await runtime.removeSandbox(pod);
      await runtime.close();
      await rm(root, { recursive: true, force: true });
    });
    // Two node containers, one allocating and touching 64 MiB: the difference is the allocation.
    const program = (bytes: number) =>
      `const b = Buffer.alloc(${bytes}, 1); require('node:fs').writeFileSync(process.env.MARK, 'x'); setInterval(() => b.length && b[0]++, 1000);`;
    for (const [container, bytes] of [
      ['big', 64 * MiB],
      ['small', 0],
    ] as const) {
      await runtime.start({
        key: pod.key,
        podUid: pod.uid,
        container,
        instance: 0,
        argv: [NODE, '-e', program(bytes)],
        env: [{ name: 'MARK', value: join(root, container) }],
      });
    }
    await waitUntil(
      'both containers to have allocated',
      async () => {
        const marks = await Promise.all(
          ['big', 'small'].map((c) =>
            readFile(join(root, c)).then(
              () => 1,
              () => 0,
            ),
          ),
        );
        return marks.every((m) => m === 1);
      },
      30_000,
    );
    const before = Date.now();
    const stats = await runtime.containerStats();
    const byName = new Map(stats.map((s) => [s.container, s]));
    expect([...byName.keys()].sort()).toEqual(['big', 'small']);
    const started = log.received.find(
      (r) => r.observation.type === 'started' && r.observation.ref.container === 'big',
    );
    expect(byName.get('big')).toMatchObject({
      podUid: pod.uid,
      instance: 0,
      startedAt: started?.observation.type === 'started' ? started.observation.startedAt : -1,
    });
    expect(byName.get('big')!.at).toBeGreaterThanOrEqual(before);
    const grown = byName.get('big')!.memoryBytes - byName.get('small')!.memoryBytes;
    expect(grown).toBeGreaterThan(64 * MiB * 0.9);
    expect(grown).toBeLessThan(64 * MiB * 1.1);

    // A stopped container is not measured any more.
    await runtime.stop({ key: pod.key, podUid: pod.uid, container: 'small', instance: 0 }, 0);
    await waitUntil('small to exit', () => log.received.some((r) => r.observation.type === 'exited'), 30_000);
    expect((await runtime.containerStats()).map((s) => s.container)).toEqual(['big']);
  });
});
