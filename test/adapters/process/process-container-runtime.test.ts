// What ProcessContainerRuntime and podflow-shim do beyond the port contract (test/contract/container-runtime.test.ts):
// the CRI log file itself, the container's process tree, the environment, lost shims, zombies, the build.
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, it } from 'vitest';
import { instanceDir, logFile } from '../../../src/adapters/process/instance-layout.ts';
import {
  SHIM_LOST_MESSAGE,
  ProcessContainerRuntime,
} from '../../../src/adapters/process/process-container-runtime.ts';
import { readProcStat } from '../../../src/adapters/process/process-identity.ts';
import { readShimState } from '../../../src/adapters/process/shim-state.ts';
import { systemClock } from '../../../src/ports/clock.ts';
import type { ContainerInstanceRef, ContainerLaunch } from '../../../src/ports/container-runtime.ts';
import { buildShim, SHIM_BINARY } from '../../../src/adapters/process/shim/build-shim.mjs';
import { ObservationLog, waitUntil } from '../../contract/container-runtime.contract.ts';

const pod = { key: { namespace: 'default', name: 'shim-test' }, uid: 'shim-test-pod' };
const CRI_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) ([FP]) (.*)$/s;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { pollIntervalMs?: number } = {}): Promise<{
  root: string;
  dataDir: string;
  runtime: ProcessContainerRuntime;
  log: ObservationLog;
  launch: (container: string, argv: string[], extra?: Partial<ContainerLaunch>) => ContainerLaunch;
}> {
  const root = await mkdtemp(join(tmpdir(), 'podflow-shim-'));
  const dataDir = join(root, 'data');
  const runtime = new ProcessContainerRuntime({ dataDir, clock: systemClock, ...options });
  const log = new ObservationLog(runtime);
  await runtime.createSandbox(pod);
  cleanups.push(async () => {
    for (const { observation: o } of log.received) await runtime.stop(o.ref, 0);
    await runtime.removeSandbox(pod); // and its pause process, namespaces and address
    await runtime.close();
    await rm(root, { recursive: true, force: true });
  });
  const launch = (
    container: string,
    argv: string[],
    extra: Partial<ContainerLaunch> = {},
  ): ContainerLaunch => ({
    key: pod.key,
    podUid: pod.uid,
    container,
    instance: 0,
    argv,
    env: [],
    ...extra,
  });
  return { root, dataDir, runtime, log, launch };
}

const refOf = (l: ContainerLaunch): ContainerInstanceRef => ({
  key: l.key,
  podUid: l.podUid,
  container: l.container,
  instance: l.instance,
});

const alive = (pid: number): boolean => {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z';
};

describe('podflow-shim: the CRI log file', { timeout: 60_000 }, () => {
  it.for([
    {
      name: 'a line per newline, tagged F, stream named',
      script: 'echo out; echo err >&2',
      expected: [
        ['stdout', 'F', 'out'],
        ['stderr', 'F', 'err'],
      ],
      lines: ['out', 'err'],
    },
    {
      name: 'a line longer than 16 KiB is cut into P chunks of 16384 bytes and a final F (containerd)',
      script: 'head -c 40000 /dev/zero | tr "\\0" x; echo',
      expected: [
        ['stdout', 'P', 'x'.repeat(16384)],
        ['stdout', 'P', 'x'.repeat(16384)],
        ['stdout', 'F', 'x'.repeat(40000 - 2 * 16384)],
      ],
      lines: ['x'.repeat(40000)],
    },
    {
      name: 'exactly 16384 bytes is still one F line',
      script: 'head -c 16384 /dev/zero | tr "\\0" y; echo',
      expected: [['stdout', 'F', 'y'.repeat(16384)]],
      lines: ['y'.repeat(16384)],
    },
    {
      name: 'output ending without a newline is a P line',
      script: 'echo whole; printf tail-without-newline',
      expected: [
        ['stdout', 'F', 'whole'],
        ['stdout', 'P', 'tail-without-newline'],
      ],
      lines: ['whole', 'tail-without-newline'],
    },
    {
      name: '"\\r\\n" ends a line like "\\n"; an empty line stays a line',
      script: 'printf "dos\\r\\n\\nunix\\n"',
      expected: [
        ['stdout', 'F', 'dos'],
        ['stdout', 'F', ''],
        ['stdout', 'F', 'unix'],
      ],
      lines: ['dos', '', 'unix'],
    },
  ])('$name', async ({ script, expected, lines }, { expect }) => {
    const { dataDir, runtime, log, launch } = await setup();
    const l = launch('writer', ['sh', '-c', script]);
    await runtime.start(l);
    await log.waitFor(refOf(l), 'exited');
    const text = await readFile(logFile(instanceDir(dataDir, l), 0), 'utf8');
    const parsed = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => CRI_LINE.exec(line)?.slice(2));
    if (expected.some(([stream]) => stream === 'stderr')) {
      // Across streams the order is the pipes'; compare per stream.
      for (const stream of ['stdout', 'stderr']) {
        expect(parsed.filter((p) => p?.[0] === stream)).toEqual(expected.filter((e) => e[0] === stream));
      }
      expect((await runtime.logs(refOf(l))).sort()).toEqual([...lines].sort());
    } else {
      expect(parsed).toEqual(expected);
      expect(await runtime.logs(refOf(l))).toEqual(lines);
    }
  });
});

describe('podflow-shim: the container is its whole process tree', { timeout: 60_000 }, () => {
  it('when the main process exits, the processes it left behind are killed (pid-namespace semantics)', async ({
    expect,
  }) => {
    const { root, runtime, log, launch } = await setup();
    const pidFile = join(root, 'bg.pid');
    // The background sleep even leaves the process group and the session: the subreaper still finds it.
    const l = launch('leaver', ['sh', '-c', `setsid sleep 300 & echo $! > '${pidFile}'; sleep 0.2; exit 5`]);
    await runtime.start(l);
    expect(await log.waitFor(refOf(l), 'exited')).toMatchObject({ exitCode: 5 });
    const bg = Number((await readFile(pidFile, 'utf8')).trim());
    await waitUntil('the background process to be gone', () => (alive(bg) ? undefined : true), 5_000);
  });

  it('limits.memory counts every process of the tree: a grandchild allocating 200 MiB gets the container killed', async ({
    expect,
  }) => {
    const { runtime, log, launch } = await setup();
    const hog = 'python3 -c "b = bytearray(200*1024*1024); import time; time.sleep(10)"';
    const l = launch('family', ['sh', '-c', `${hog} & wait; exit 0`], { memoryLimitBytes: 64 * 1024 * 1024 });
    await runtime.start(l);
    expect(await log.waitFor(refOf(l), 'exited', 20_000)).toMatchObject({
      exitCode: 137,
      signal: 9,
      oomKilled: true,
    });
  });

  it("the container's environment is its env plus PATH and HOME: nothing else of the engine leaks in", async ({
    expect,
  }) => {
    const { runtime, log, launch } = await setup();
    const l = launch('env', ['env'], { env: [{ name: 'ONLY_THIS', value: 'a b=c' }] });
    await runtime.start(l);
    await log.waitFor(refOf(l), 'exited');
    const names = (await runtime.logs(refOf(l))).map((line) => line.slice(0, line.indexOf('='))).sort();
    expect(names).toEqual(['HOME', 'ONLY_THIS', 'PATH']);
    expect(await runtime.logs(refOf(l))).toContain('ONLY_THIS=a b=c');
  });
});

describe(
  'podflow-shim: start failures are known before the container counts as started',
  { timeout: 60_000 },
  () => {
    it.for([
      {
        name: 'a file without execute permission → permission denied',
        argv: (root: string) => [join(root, 'not-executable')],
        message: (root: string) => `exec: "${join(root, 'not-executable')}": permission denied`,
      },
      {
        name: 'a missing absolute path → no such file or directory',
        argv: (root: string) => [join(root, 'missing')],
        message: (root: string) => `exec: "${join(root, 'missing')}": no such file or directory`,
      },
      {
        name: 'a command not on the container PATH → executable file not found in $PATH',
        argv: () => ['sh'],
        env: [{ name: 'PATH', value: '/nonexistent' }],
        message: () => 'exec: "sh": executable file not found in $PATH',
      },
      {
        name: 'a working directory that does not exist → the chdir error',
        argv: () => ['true'],
        workingDir: '/nonexistent-podflow-dir',
        message: () =>
          'chdir to cwd ("/nonexistent-podflow-dir") set in the container spec failed: no such file or directory',
      },
    ])('$name', async (c, { expect }) => {
      const { root, runtime, log, launch } = await setup();
      await writeFile(join(root, 'not-executable'), '#!/bin/sh\necho hi\n');
      await chmod(join(root, 'not-executable'), 0o644);
      const l = launch('bad', c.argv(root), {
        ...(c.env && { env: c.env }),
        ...(c.workingDir && { workingDir: c.workingDir }),
      });
      await runtime.start(l);
      const failed = await log.waitFor(refOf(l), 'startFailed');
      expect(failed).toMatchObject({ reason: 'RunContainerError', message: c.message(root) });
      expect(log.of(refOf(l)).map((o) => o.type)).toEqual(['startFailed']);
    });

    it('a second shim for an instance that has (or had) one backs off with "already", even run by hand', async ({
      expect,
    }) => {
      const { dataDir, runtime, log, launch } = await setup();
      const shimByHand = async (l: ContainerLaunch): Promise<string> => {
        const dir = instanceDir(dataDir, l);
        const args = ['--dir', dir, '--log', join(dir, 'x.log'), '--', 'true'];
        return (await promisify(execFile)(SHIM_BINARY, args)).stdout;
      };
      const running = launch('single', ['sleep', '60']);
      await runtime.start(running);
      await log.waitFor(refOf(running), 'started');
      expect(await shimByHand(running)).toBe('already\n'); // its shim holds the instance's lock
      const done = launch('done', ['true']);
      await runtime.start(done);
      await log.waitFor(refOf(done), 'exited');
      expect(await shimByHand(done)).toBe('already\n'); // its state is final
    });

    it('container names that would leave the data directory are refused', async ({ expect }) => {
      const { runtime, launch } = await setup();
      await expect(runtime.start(launch('../escape', ['true']))).rejects.toThrow(TypeError);
    });
  },
);

describe('ProcessContainerRuntime: observing', { timeout: 60_000 }, () => {
  it('exits are seen through fs.watch / the shim exit, not the poll (poll set to 60 s)', async ({
    expect,
  }) => {
    const { runtime, log, launch } = await setup({ pollIntervalMs: 60_000 });
    const l = launch('quick', ['sh', '-c', 'sleep 0.2']);
    await runtime.start(l);
    const exited = await log.waitFor(refOf(l), 'exited', 5_000);
    // Typically a few ms after the shim recorded it; 1 s leaves room for a loaded CI machine.
    expect(log.receivedAt(exited) - exited.finishedAt).toBeLessThan(1_000);
  });

  it('a shim killed with SIGKILL → exited 137 ContainerStatusUnknown, and the container dies with it', async ({
    expect,
  }) => {
    const { root, dataDir, runtime, log, launch } = await setup();
    const pidFile = join(root, 'bg.pid');
    const l = launch('orphaned', ['sh', '-c', `sleep 300 & echo $! > '${pidFile}'; exec sleep 300`]);
    await runtime.start(l);
    await log.waitFor(refOf(l), 'started');
    await waitUntil('the pid file', () => readFile(pidFile, 'utf8').catch(() => undefined));
    const state = await readShimState(instanceDir(dataDir, l));
    process.kill(state!.shimPid!, 'SIGKILL');
    const exited = await log.waitFor(refOf(l), 'exited', 5_000);
    expect(exited).toMatchObject({
      exitCode: 137,
      oomKilled: false,
      lost: true,
      message: SHIM_LOST_MESSAGE,
    });
    const bg = Number((await readFile(pidFile, 'utf8')).trim());
    await waitUntil('the main process to be gone', () => (alive(state!.pid!) ? undefined : true), 5_000);
    await waitUntil('the background process to be gone', () => (alive(bg) ? undefined : true), 5_000);
  });

  it('leaves no zombie shims behind in the engine process', async ({ expect }) => {
    const { runtime, log, launch } = await setup();
    const launches = Array.from({ length: 5 }, (_, i) => launch(`z${i}`, ['true']));
    for (const l of launches) await runtime.start(l);
    for (const l of launches) await log.waitFor(refOf(l), 'exited');
    const zombieChildren = async (): Promise<number[]> => {
      const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
      return pids.filter((pid) => {
        const stat = readProcStat(pid);
        return stat?.ppid === process.pid && stat.state === 'Z';
      });
    };
    // libuv reaps an exited child on SIGCHLD, right after it ended.
    await waitUntil(
      'no zombie children',
      async () => ((await zombieChildren()).length === 0 ? true : undefined),
      5_000,
    );
    expect(await zombieChildren()).toEqual([]);
  });
});

describe('src/adapters/process/shim/build-shim.mjs', { timeout: 60_000 }, () => {
  it('is idempotent: nothing is rebuilt when source, flags and compiler are unchanged', async ({
    expect,
  }) => {
    await buildShim();
    expect(await buildShim()).toEqual({ path: SHIM_BINARY, built: false });
  });

  it('a shim built from the current source runs (usage error without arguments, exit 2)', async ({
    expect,
  }) => {
    const child = spawn(SHIM_BINARY, [], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^usage: podflow-shim/);
  });
});

describe('podflow-shim --stdin: a stdin: true container reads a named pipe', { timeout: 60_000 }, () => {
  it('what a writer sends is read; its close is no EOF; a second writer is read too', async ({ expect }) => {
    const { dataDir, runtime, log, launch } = await setup();
    // Reads two lines, each from its own writer, then exits: a read that saw EOF when the first writer closed would
    // leave `second` empty.
    const l = launch('reader', ['sh', '-c', 'read first; read second; echo "got $first and $second"'], {
      stdin: true,
    });
    await runtime.start(l);
    await log.waitFor(refOf(l), 'started');
    const spec = await runtime.attachSpec(refOf(l));
    expect(spec.stdinPath).toBe(join(instanceDir(dataDir, refOf(l)), 'stdin'));
    expect(spec.logPath).toBe(logFile(instanceDir(dataDir, refOf(l)), 0));
    await writeFile(spec.stdinPath!, 'one\n'); // opens, writes, closes
    await new Promise((r) => setTimeout(r, 200));
    expect(await spec.ended()).toBe(false);
    await writeFile(spec.stdinPath!, 'two\n');
    expect(await log.waitFor(refOf(l), 'exited')).toMatchObject({ exitCode: 0 });
    expect(await spec.ended()).toBe(true);
    expect(await readFile(spec.logPath, 'utf8')).toMatch(/ stdout F got one and two\n$/);
  });

  it('without stdin the container reads /dev/null (EOF at once) and has no pipe', async ({ expect }) => {
    const { dataDir, runtime, log, launch } = await setup();
    const l = launch('plain', ['sh', '-c', 'cat; echo eof; sleep 30']);
    await runtime.start(l);
    await log.waitFor(refOf(l), 'started');
    const spec = await runtime.attachSpec(refOf(l));
    expect(spec.stdinPath).toBeUndefined();
    await waitUntil(
      'eof in the log',
      async () =>
        (await readFile(logFile(instanceDir(dataDir, refOf(l)), 0), 'utf8')).includes(' stdout F eof\n')
          ? true
          : undefined,
      5_000,
    );
  });
});
