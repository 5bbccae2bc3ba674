// The ContainerRuntime contract (ports/container-runtime.ts), run against every adapter by
// test/contract/container-runtime.test.ts: the process runtime, and the Fargate runtime on the ECS emulator (tasks as
// local processes). Real processes, no mocks: the commands are POSIX sh, sleep and python3, and `scratchDir` must
// be a directory both the test and the containers see.
//
// What every adapter guarantees: `started` before `exited`, each at most once per instance; exit codes and signals
// as the kubelet reports them (128 + signal); start idempotent per instance; stop = SIGTERM, then SIGKILL when the
// pod's grace runs out; limits.memory → oomKilled, 137; logs per instance, complete once the exit is observed; the
// container's env and working directory; RunContainerError for what cannot start (docs/semantics.md §4, §8). What
// differs by design is declared as capabilities: whether exec runs commands (with a timeout) or is refused with
// 126, and whether an empty argv runs an image's entrypoint or is a CreateContainerConfigError.
//
// A case declares its pod's containers up front, as a pod spec does: every instance of a container runs the same
// command, and a runtime that defines the sandbox with all its containers (a Fargate task) gets them before it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type ExpectStatic } from 'vitest';
import type {
  ContainerInstanceRef,
  ContainerLaunch,
  ContainerObservation,
  ContainerRuntime,
} from '../../src/ports/container-runtime.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';

/** One container of a pod a case declares: what every instance of it runs (a pod's containers do not change). */
export type DeclaredContainer = Omit<ContainerLaunch, 'key' | 'podUid' | 'instance' | 'env'> &
  Partial<Pick<ContainerLaunch, 'env'>>;

/** A pod as a case declares it, before its sandbox is created. */
export interface DeclaredPod {
  key: PodKey;
  uid: string;
  containers: ContainerLaunch[];
  /** The pod's terminationGracePeriodSeconds: the grace its stops use. */
  graceSeconds: number;
}

/**
 * What an adapter does differently by design, each documented where the adapter is (the default is the process
 * runtime's behaviour).
 */
export interface RuntimeCapabilities {
  /**
   * exec runs a command in the container's environment. False: exec answers exit code 126 with a message saying
   * how to get a shell instead (Fargate: ECS Exec), and commands are never run.
   */
  exec: boolean;
  /**
   * What an empty argv runs. Undefined: nothing is known of images, so the start fails with
   * CreateContainerConfigError saying to set a command. Otherwise an image whose own entrypoint prints `line`.
   */
  imageEntrypoint?: { image: string; line: string };
}

export interface ContainerRuntimeHarness {
  runtime: ContainerRuntime;
  /** A directory the containers' commands can write marker files into and the test can read. */
  scratchDir: string;
  /**
   * Called with everything a pod will run before its sandbox is created: a runtime whose sandbox is defined with
   * all its containers (a Fargate task) needs them; the process runtime needs nothing.
   */
  declarePod?(pod: DeclaredPod): void;
  close(): Promise<void>;
}

export interface ContainerRuntimeContractOptions {
  setup(): Promise<ContainerRuntimeHarness>;
  /** Default: the process runtime's (exec runs commands; no image entrypoints). */
  capabilities?: RuntimeCapabilities;
}

type ObservationOf<T extends ContainerObservation['type']> = Extract<ContainerObservation, { type: T }>;

export interface Received {
  observation: ContainerObservation;
  /** Date.now() when the listener got it. */
  receivedAt: number;
}

export const sameInstance = (a: ContainerInstanceRef, b: ContainerInstanceRef): boolean =>
  a.podUid === b.podUid && a.container === b.container && a.instance === b.instance;

/** Records every observation and lets a test wait for one (with a timeout, never a fixed sleep). */
export class ObservationLog {
  readonly received: Received[] = [];
  readonly #wakeups = new Set<() => void>();
  readonly unsubscribe: () => void;

  constructor(runtime: ContainerRuntime) {
    this.unsubscribe = runtime.observe((observation) => {
      this.received.push({ observation, receivedAt: Date.now() });
      for (const wake of [...this.#wakeups]) wake();
    });
  }

  of(ref: ContainerInstanceRef): ContainerObservation[] {
    return this.received.filter((r) => sameInstance(r.observation.ref, ref)).map((r) => r.observation);
  }

  receivedAt(observation: ContainerObservation): number {
    return this.received.find((r) => r.observation === observation)!.receivedAt;
  }

  async waitFor<T extends ContainerObservation['type']>(
    ref: ContainerInstanceRef,
    type: T,
    timeoutMs = 15_000,
  ): Promise<ObservationOf<T>> {
    const found = await this.waitForAny(ref, [type], timeoutMs);
    return found as ObservationOf<T>;
  }

  /** The instance's exited or startFailed observation. */
  waitForFinal(ref: ContainerInstanceRef, timeoutMs = 15_000): Promise<ContainerObservation> {
    return this.waitForAny(ref, ['exited', 'startFailed'], timeoutMs);
  }

  waitForAny(
    ref: ContainerInstanceRef,
    types: Array<ContainerObservation['type']>,
    timeoutMs: number,
  ): Promise<ContainerObservation> {
    const find = (): ContainerObservation | undefined => this.of(ref).find((o) => types.includes(o.type));
    const now = find();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        const o = find();
        if (!o) return;
        cleanup();
        resolve(o);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no ${types.join('/')} for ${ref.container}#${ref.instance} within ${timeoutMs} ms; got: ` +
              JSON.stringify(this.of(ref)),
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#wakeups.delete(wake);
      };
      this.#wakeups.add(wake);
    });
  }

  /** Per instance: at most one started and one final observation, started first. Returns the violations. */
  violations(): string[] {
    const problems: string[] = [];
    const byInstance = new Map<string, ContainerObservation[]>();
    for (const { observation: o } of this.received) {
      const key = `${o.ref.podUid}/${o.ref.container}/${o.ref.instance}`;
      byInstance.set(key, [...(byInstance.get(key) ?? []), o]);
    }
    for (const [key, list] of byInstance) {
      const types = list.map((o) => o.type);
      const started = types.filter((t) => t === 'started').length;
      const final = types.filter((t) => t !== 'started').length;
      if (started > 1 || final > 1) problems.push(`${key}: ${types.join(', ')}`);
      if (types.includes('exited') && types.indexOf('started') !== 0)
        problems.push(`${key}: exited before started`);
      if (types.includes('startFailed') && started > 0) problems.push(`${key}: started and startFailed`);
    }
    return problems;
  }
}

/** Polls `probe` until it returns a value (not a fixed sleep: returns as soon as the condition holds). */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let podSeq = 0;

interface PodHandle {
  key: PodKey;
  uid: string;
  /** The launch of `container`'s instance `instance` (default 0), as the pod declared it. */
  launch(container: string, instance?: number): ContainerLaunch;
}

interface Case {
  h: ContainerRuntimeHarness;
  log: ObservationLog;
  expect: ExpectStatic;
  /** A fresh pod with one container: the launch of its instance 0. */
  one(
    container: string,
    argv: string[],
    extra?: Partial<DeclaredContainer>,
    options?: { graceSeconds?: number },
  ): Promise<ContainerLaunch>;
  /** A fresh pod with these containers, its sandbox created. */
  pod(
    containers: DeclaredContainer | DeclaredContainer[],
    options?: { graceSeconds?: number },
  ): Promise<PodHandle>;
  /** Starts and returns the instance ref. */
  run(launch: ContainerLaunch): Promise<ContainerInstanceRef>;
  /** Waits until the instance's log has a line equal to `line`. */
  waitForLogLine(ref: ContainerInstanceRef, line: string): Promise<void>;
}

const refOf = (l: ContainerLaunch): ContainerInstanceRef => ({
  key: l.key,
  podUid: l.podUid,
  container: l.container,
  instance: l.instance,
});

export function describeContainerRuntimeContract(
  adapter: string,
  options: ContainerRuntimeContractOptions,
): void {
  const capabilities = options.capabilities ?? { exec: true };
  const withCase =
    (body: (c: Case) => Promise<void>) =>
    async ({ expect }: { expect: ExpectStatic }): Promise<void> => {
      const h = await options.setup();
      const log = new ObservationLog(h.runtime);
      const started: ContainerInstanceRef[] = [];
      const c: Case = {
        h,
        log,
        expect,
        pod: async (declared, options = {}) => {
          const uid = `contract-${process.pid}-${++podSeq}`;
          const key = { namespace: 'contract', name: `pod-${podSeq}` };
          const containers = [declared].flat().map((c) => ({
            env: [],
            ...c,
            key,
            podUid: uid,
            instance: 0,
          }));
          h.declarePod?.({ key, uid, containers, graceSeconds: options.graceSeconds ?? 30 });
          const sandbox = await h.runtime.createSandbox({ key, uid });
          expect(sandbox.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
          return {
            key,
            uid,
            launch: (container, instance = 0) => {
              const c = containers.find((x) => x.container === container);
              if (!c) throw new Error(`the pod declares no container ${container}`);
              return { ...c, instance };
            },
          };
        },
        one: async (container, argv, extra = {}, options = {}) =>
          (await c.pod({ container, argv, ...extra }, options)).launch(container),
        run: async (launch) => {
          await h.runtime.start(launch);
          started.push(refOf(launch));
          return refOf(launch);
        },
        waitForLogLine: async (ref, line) => {
          await waitUntil(`log line ${JSON.stringify(line)}`, async () =>
            (await h.runtime.logs(ref)).includes(line) ? true : undefined,
          );
        },
      };
      try {
        await body(c);
        expect(log.violations()).toEqual([]);
      } finally {
        // Leave nothing running: stop what is still live and wait for its exit.
        for (const ref of started) {
          if (!log.of(ref).some((o) => o.type !== 'started')) {
            await h.runtime.stop(ref, 0);
            await log.waitForFinal(ref).catch(() => undefined);
          }
        }
        log.unsubscribe();
        await h.close();
      }
    };

  // Real processes on a possibly loaded CI machine: generous per-case timeouts; the cases wait for observations.
  describe(`ContainerRuntime contract: ${adapter}`, { timeout: 60_000 }, () => {
    it.for([
      { name: 'exit 0 → exited 0 (kubelet reason Completed)', script: 'exit 0', exitCode: 0 },
      { name: 'exit 1 → exited 1 (kubelet reason Error)', script: 'exit 1', exitCode: 1 },
      { name: 'exit 42 → exited 42, the code as is', script: 'exit 42', exitCode: 42 },
    ])('$name; started first, no signal, not oomKilled', async ({ script, exitCode }, ctx) =>
      withCase(async ({ log, run, one, expect }) => {
        const before = Date.now();
        const ref = await run(await one('main', ['sh', '-c', script]));
        const exited = await log.waitFor(ref, 'exited');
        const [first] = log.of(ref);
        expect(first).toMatchObject({ type: 'started', ref });
        expect(exited).toMatchObject({ exitCode, oomKilled: false });
        expect(exited.signal).toBeUndefined();
        expect(exited.lost).toBeUndefined();
        expect(exited.startedAt).toBe((first as ObservationOf<'started'>).startedAt);
        expect(exited.startedAt).toBeGreaterThanOrEqual(before - 1000);
        expect(exited.finishedAt).toBeGreaterThanOrEqual(exited.startedAt);
      })(ctx),
    );

    it(
      'start is idempotent per instance: starting it again (concurrently or later) runs one process',
      withCase(async ({ h, log, one, run, expect }) => {
        const marker = join(h.scratchDir, `starts-${++podSeq}`);
        const l = await one('once', ['sh', '-c', `echo started >> '${marker}'; exec sleep 60`]);
        await Promise.all([h.runtime.start(l), h.runtime.start(l)]);
        const ref = await run(l);
        await log.waitFor(ref, 'started');
        await h.runtime.start(l);
        // `started` = exec'd; wait until the script itself ran before stopping it.
        await waitUntil('the start marker', () => readFile(marker, 'utf8').catch(() => undefined));
        await h.runtime.start(l);
        await h.runtime.stop(ref, 5);
        await log.waitFor(ref, 'exited');
        expect((await readFile(marker, 'utf8')).trim().split('\n')).toEqual(['started']);
        expect(log.of(ref).map((o) => o.type)).toEqual(['started', 'exited']);
      }),
    );

    it(
      'stop: the SIGTERM handler runs and its exit code is reported, long before the grace',
      withCase(async ({ h, log, one, run, waitForLogLine, expect }) => {
        const script = 'trap "echo got-term; exit 0" TERM; echo ready; sleep 100 & wait';
        const ref = await run(await one('graceful', ['sh', '-c', script]));
        await waitForLogLine(ref, 'ready');
        const t0 = Date.now();
        await h.runtime.stop(ref, 30);
        const exited = await log.waitFor(ref, 'exited');
        expect(exited).toMatchObject({ exitCode: 0, oomKilled: false });
        expect(exited.signal).toBeUndefined();
        expect(log.receivedAt(exited) - t0).toBeLessThan(10_000); // the handler ended it, not the 30 s SIGKILL
        expect(await h.runtime.logs(ref)).toEqual(['ready', 'got-term']);
      }),
    );

    it(
      'stop: without a handler SIGTERM ends it: 143, signal 15',
      withCase(async ({ h, log, one, run, expect }) => {
        const ref = await run(await one('plain', ['sleep', '100']));
        await log.waitFor(ref, 'started');
        await h.runtime.stop(ref, 30);
        const exited = await log.waitFor(ref, 'exited');
        expect(exited).toMatchObject({ exitCode: 143, signal: 15, oomKilled: false });
      }),
    );

    it(
      'stop: SIGTERM ignored → SIGKILL when the 1 s grace runs out: 137, signal 9, not before the grace',
      withCase(async ({ h, log, one, run, waitForLogLine, expect }) => {
        const ref = await run(
          await one('stubborn', ['sh', '-c', 'trap "" TERM; echo ready; sleep 100'], {}, { graceSeconds: 1 }),
        );
        await waitForLogLine(ref, 'ready');
        const t0 = Date.now();
        await h.runtime.stop(ref, 1);
        const exited = await log.waitFor(ref, 'exited');
        expect(exited).toMatchObject({ exitCode: 137, signal: 9, oomKilled: false });
        // Signal 9 says the runtime killed it (it ignores SIGTERM and sleeps 100 s); not before the grace (clock
        // granularity). How soon after the grace it dies measures the machine's load, not the runtime.
        expect(exited.finishedAt - t0).toBeGreaterThanOrEqual(1000 - 50);
      }),
    );

    it(
      'stop on an exited instance is a no-op',
      withCase(async ({ h, log, one, run, expect }) => {
        const ref = await run(await one('done', ['true']));
        await log.waitFor(ref, 'exited');
        await h.runtime.stop(ref, 0);
        await h.runtime.stop(ref, 0);
        expect(log.of(ref).map((o) => o.type)).toEqual(['started', 'exited']);
      }),
    );

    it(
      'limits.memory exceeded (200 MiB allocated under 64 MiB) → killed: oomKilled, exit 137',
      withCase(async ({ log, one, run, expect }) => {
        const program = 'b = bytearray(200*1024*1024); import time; time.sleep(10)';
        const ref = await run(
          await one('hog', ['python3', '-c', program], { memoryLimitBytes: 64 * 1024 * 1024 }),
        );
        const exited = await log.waitFor(ref, 'exited', 20_000);
        expect(exited).toMatchObject({ exitCode: 137, oomKilled: true });
        expect(exited.finishedAt - exited.startedAt).toBeLessThan(9_000); // killed, not ended by itself
      }),
    );

    it(
      'within limits.memory (8 MiB under 64 MiB) → runs to completion, not oomKilled',
      withCase(async ({ log, one, run, expect }) => {
        const program = 'b = bytearray(8*1024*1024); import time; time.sleep(0.3)';
        const ref = await run(
          await one('modest', ['python3', '-c', program], { memoryLimitBytes: 64 * 1024 * 1024 }),
        );
        expect(await log.waitFor(ref, 'exited', 20_000)).toMatchObject({ exitCode: 0, oomKilled: false });
      }),
    );

    it(
      'logs: each instance keeps its own log (instance n-1 is kubectl logs --previous)',
      withCase(async ({ h, log, pod, run, expect }) => {
        // One command for both instances, as a pod's container has: a counter in the scratch directory tells them apart.
        const counter = join(h.scratchDir, `runs-${++podSeq}`);
        const script = `n=$(($(cat '${counter}' 2>/dev/null || echo 0) + 1)); echo $n > '${counter}'; echo run-$n`;
        const p = await pod({ container: 'app', argv: ['sh', '-c', script] });
        const first = await run(p.launch('app'));
        await log.waitFor(first, 'exited');
        const second = await run(p.launch('app', 1));
        await log.waitFor(second, 'exited');
        expect(await h.runtime.logs(first)).toEqual(['run-1']);
        expect(await h.runtime.logs(second)).toEqual(['run-2']);
      }),
    );

    it(
      'logs: stdout and stderr both captured and complete once the exit is observed; timestamps are RFC3339',
      withCase(async ({ h, log, one, run, expect }) => {
        const script =
          'echo to-stdout; echo to-stderr >&2; i=0; while [ $i -lt 200 ]; do echo n$i; i=$((i+1)); done';
        const ref = await run(await one('both', ['sh', '-c', script]));
        await log.waitFor(ref, 'exited');
        const lines = await h.runtime.logs(ref);
        // Order between the two streams is whatever the pipes delivered; within a stream it is kept.
        expect(lines.filter((l) => l === 'to-stderr')).toHaveLength(1);
        const stdout = lines.filter((l) => l !== 'to-stderr');
        expect(stdout).toEqual(['to-stdout', ...Array.from({ length: 200 }, (_, i) => `n${i}`)]);
        for (const line of await h.runtime.logs(ref, { timestamps: true })) {
          expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d) /);
        }
      }),
    );

    it(
      'logs: tailLines keeps the last N lines, sinceTime drops older lines',
      withCase(async ({ h, log, one, run, expect }) => {
        const script = 'for i in 1 2 3 4 5; do echo line$i; done; sleep 0.3; echo late';
        const ref = await run(await one('tail', ['sh', '-c', script]));
        await log.waitFor(ref, 'exited');
        expect(await h.runtime.logs(ref, { tailLines: 2 })).toEqual(['line5', 'late']);
        expect(await h.runtime.logs(ref, { tailLines: 0 })).toEqual([]);
        const stamped = await h.runtime.logs(ref, { timestamps: true });
        const lateAt = Date.parse(stamped.at(-1)!.split(' ')[0]!);
        expect(await h.runtime.logs(ref, { sinceTime: lateAt })).toEqual(['late']);
        expect(await h.runtime.logs(ref, { sinceTime: lateAt - 250 })).toEqual(['late']);
        expect(await h.runtime.logs(ref, { sinceTime: 0 })).toHaveLength(6);
      }),
    );

    it(
      'the container runs with its env and in its working directory',
      withCase(async ({ h, log, one, run, expect }) => {
        const ref = await run(
          await one('env', ['sh', '-c', 'echo "$GREETING"; pwd'], {
            env: [{ name: 'GREETING', value: 'hello from env' }],
            workingDir: h.scratchDir,
          }),
        );
        expect(await log.waitFor(ref, 'exited')).toMatchObject({ exitCode: 0 });
        expect(await h.runtime.logs(ref)).toEqual(['hello from env', h.scratchDir]);
      }),
    );

    if (capabilities.exec) {
      it(
        "exec runs in the container's env and working directory and reports the exit code",
        withCase(async ({ h, log, one, run, expect }) => {
          const ref = await run(
            await one('svc', ['sleep', '60'], {
              env: [{ name: 'GREETING', value: 'hello from env' }],
              workingDir: h.scratchDir,
            }),
          );
          await log.waitFor(ref, 'started');
          const ok = await h.runtime.exec(ref, ['sh', '-c', 'echo "$GREETING"; pwd; echo oops >&2'], 5_000);
          expect(ok).toEqual({
            exitCode: 0,
            stdout: `hello from env\n${h.scratchDir}\n`,
            stderr: 'oops\n',
            timedOut: false,
          });
          expect(await h.runtime.exec(ref, ['sh', '-c', 'exit 3'], 5_000)).toMatchObject({
            exitCode: 3,
            timedOut: false,
          });
          const missing = await h.runtime.exec(ref, ['no-such-probe-command'], 5_000);
          expect(missing.exitCode).not.toBe(0);
          expect(missing.timedOut).toBe(false);
        }),
      );

      it(
        'exec: a command that outlives its timeout is killed and reported timedOut (a failed probe)',
        withCase(async ({ h, log, one, run, expect }) => {
          const ref = await run(await one('svc', ['sleep', '60']));
          await log.waitFor(ref, 'started');
          const t0 = Date.now();
          const result = await h.runtime.exec(ref, ['sh', '-c', 'echo before; sleep 30'], 300);
          expect(result.timedOut).toBe(true);
          expect(result.exitCode).not.toBe(0);
          expect(Date.now() - t0).toBeLessThan(5_000);
        }),
      );

      it(
        'exec into an instance that is no longer running fails',
        withCase(async ({ h, log, one, run, expect }) => {
          const ref = await run(await one('gone', ['true']));
          await log.waitFor(ref, 'exited');
          await expect(h.runtime.exec(ref, ['true'], 1_000)).rejects.toThrow(/not running/);
        }),
      );
    } else {
      it(
        'exec is refused: exit code 126 with how to get a shell instead, the command never runs',
        withCase(async ({ h, log, one, run, expect }) => {
          const marker = join(h.scratchDir, `exec-${++podSeq}`);
          const ref = await run(await one('svc', ['sleep', '60']));
          await log.waitFor(ref, 'started');
          const result = await h.runtime.exec(ref, ['sh', '-c', `touch '${marker}'`], 5_000);
          expect(result).toMatchObject({ exitCode: 126, stdout: '', timedOut: false });
          expect(result.stderr).toMatch(/exec/i);
          await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
        }),
      );
    }

    it(
      'command not found → startFailed RunContainerError with the OS message; never started',
      withCase(async ({ log, one, run, expect }) => {
        const ref = await run(await one('typo', ['podflow-no-such-command', '--flag']));
        const failed = await log.waitFor(ref, 'startFailed');
        expect(failed.reason).toBe('RunContainerError');
        expect(failed.message).toContain('"podflow-no-such-command"');
        expect(failed.message).toContain('executable file not found in $PATH');
        expect(log.of(ref).map((o) => o.type)).toEqual(['startFailed']);
      }),
    );

    const entrypoint = capabilities.imageEntrypoint;
    if (entrypoint) {
      it(
        "empty argv runs the image's own entrypoint",
        withCase(async ({ h, log, one, run, expect }) => {
          const ref = await run(await one('web', [], { image: entrypoint.image }));
          expect(await log.waitFor(ref, 'exited')).toMatchObject({ exitCode: 0 });
          expect(await h.runtime.logs(ref)).toEqual([entrypoint.line]);
        }),
      );
    } else {
      it(
        'empty argv (no command, no known entrypoint) → startFailed CreateContainerConfigError saying what to set',
        withCase(async ({ log, one, run, expect }) => {
          const ref = await run(await one('web', [], { image: 'nginx' }));
          const failed = await log.waitFor(ref, 'startFailed');
          expect(failed.reason).toBe('CreateContainerConfigError');
          expect(failed.message).toContain('"nginx"');
          expect(failed.message).toMatch(/command/);
          expect(log.of(ref).map((o) => o.type)).toEqual(['startFailed']);
        }),
      );
    }
  });
}
