// ProcessContainerRuntime: the local default runtime (docs/architecture.md §6). Each container instance is a process
// started through podflow-shim (adapters/process/shim/podflow-shim.c), a small C supervisor in its own session that
// survives the engine: it records pid, start, exit code/signal and oomKilled in the instance's `state` file, writes
// the CRI log, enforces limits.memory and carries out stops. This class only starts shims, watches their state files
// and turns them into observations; it never decides what an exit means (core does).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join, resolve } from 'node:path';
import type { Clock } from '../../ports/clock.ts';
import type {
  ContainerInstanceRef,
  ContainerLaunch,
  ContainerObservation,
  ContainerRuntime,
  ExecResult,
  LogOptions,
  SandboxRef,
} from '../../ports/container-runtime.ts';
import { NotFoundError } from '../../ports/errors.ts';
import type { PodKey } from '../../ports/pod-key.ts';
import { ensureShim } from './shim/build-shim.mjs';
import { assembleCriLog, selectLogLines } from './cri-log.ts';
import {
  LAUNCH_FILE,
  SANDBOX_FILE,
  SHIM_LOG_FILE,
  STOP_FILE,
  instanceDir,
  instanceKey,
  logFile,
  podDir,
  podsDir,
} from './instance-layout.ts';
import { currentBootId, isSameLiveProcess, readProcStat } from './process-identity.ts';
import { ShimLauncher } from './shim-launcher.ts';
import {
  isFinalPhase,
  readShimState,
  readShimStateSync,
  writeFirstShimState,
  writeShimState,
  type ShimState,
} from './shim-state.ts';

/** All containers of a pod share the host network (docs/architecture.md §6). */
export const PROCESS_POD_IP = '127.0.0.1';
/** Fallback poll of running instances; fs.watch on each instance directory is the fast path. */
export const DEFAULT_POLL_INTERVAL_MS = 200;
/** Exec output kept per stream; more is read and dropped so the command never blocks on a full pipe. */
export const EXEC_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;
/** How long removeSandbox waits for still-running shims it had to kill. */
const REMOVE_SANDBOX_KILL_WAIT_MS = 10_000;

/**
 * kubelet: a container whose status cannot be found any more is terminated with reason ContainerStatusUnknown and
 * exit code 137 (pkg/kubelet/status/status_manager.go, kubelet_pods.go). Reported as `exited` with `lost: true`.
 */
export const SHIM_LOST_MESSAGE =
  'The container could not be located: its podflow-shim ended without recording an exit (killed, or the machine ' +
  'restarted)';

/** runc/Go default PATH, used when neither the container's env nor the engine's has one. */
const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessContainerRuntimeOptions {
  /** Root of the runtime's files (sandboxes, instance state, logs); `.podflow/` in local mode. */
  dataDir: string;
  /** Instants the runtime decides itself (config errors, lost containers). The shim stamps starts and exits with
   * the machine's real-time clock, which is what actually happened. */
  clock: Clock;
  /** A prebuilt podflow-shim. Default: build/podflow-shim, compiled on first use when missing or stale. */
  shimPath?: string;
  pollIntervalMs?: number;
  /** Working directory of containers without `workingDir`. Default: the engine's working directory — there is no
   * image WORKDIR locally, and commands like `./server` expect the project directory. */
  defaultWorkingDir?: string;
}

/** What launch.json records: enough to exec in the container's environment and to recover after a restart. */
interface StoredLaunch {
  ref: ContainerInstanceRef;
  image?: string;
  argv: string[];
  /** The effective environment (with the PATH/HOME defaults applied). */
  env: Array<{ name: string; value: string }>;
  workingDir: string;
  memoryLimitBytes?: number;
  cpuLimitMillis?: number;
}

interface Instance {
  ref: ContainerInstanceRef;
  dir: string;
  startPromise?: Promise<void>;
  /** This runtime is starting it right now: the start flow reports, the poll stays away. */
  launching: boolean;
  startedReported: boolean;
  finalReported: boolean;
  /**
   * The image the pod named, reported as the instance's imageID: the process runtime runs host commands, so the
   * reference as written is all there is to identify (no registry, no digest).
   */
  image?: string;
  watcher?: FSWatcher;
  syncing?: Promise<void>;
  dirty: boolean;
}

let sharedShim: Promise<string> | undefined;

/**
 * Runs containers as local processes, each under a podflow-shim.
 *
 * - Sandbox: `<dataDir>/pods/<uid>/`, pod IP 127.0.0.1 (host network).
 * - start: idempotent per instance — an instance directory that already has a state file is adopted, not started
 *   again, and the shim itself refuses to run twice for one instance (flock + state file).
 * - Observations: the shim's report on start, fs.watch on each running instance's directory, the shim's exit
 *   (when this process spawned it) and a poll every `pollIntervalMs`; `started`, `exited`, `startFailed` are
 *   emitted at most once per instance per runtime object, `started` always before `exited`. An engine restart
 *   reports again from the files; the engine dedupes by instance.
 * - stop: writes the grace to `<instance>/stop` and sends SIGTERM to the shim, which sends SIGTERM to the
 *   container's process group and SIGKILLs the whole tree when the grace runs out. The shim owns the timer, so a
 *   stop completes even if the engine dies during the grace.
 * - limits.memory: enforced by the shim polling the tree's resident memory (sum of VmRSS every 50 ms); an
 *   allocation burst faster than that can overshoot briefly. Not a cgroup: the hosts podflow targets (developer
 *   machines, CI runners, this sandbox: cgroup v1 hybrid with an empty cgroup v2 controller list) do not give an
 *   unprivileged engine a writable cgroup v2 subtree. Processes started by `exec` are not counted.
 * - limits.cpu: recorded in launch.json, NOT enforced (that needs a writable cgroup v2 `cpu.max`, see above).
 * - Environment: exactly the container's env, plus PATH and HOME from the engine when the env has none (what an
 *   image's ENV and the container user would provide). Nothing else of the engine's environment leaks in.
 * - Lifetime: while it watches running instances the runtime keeps the Node.js process alive (their exits are
 *   still to be reported); close() lets go. Shims never hold the engine: they are spawned detached and unref'd.
 * - Linux only (the shim uses signalfd, prctl and /proc).
 */
export class ProcessContainerRuntime implements ContainerRuntime {
  readonly #dataDir: string;
  readonly #clock: Clock;
  readonly #shimPath: Promise<string>;
  readonly #defaultWorkingDir: string;
  readonly #instances = new Map<string, Instance>();
  readonly #listeners = new Set<(o: ContainerObservation) => void>();
  readonly #poll: NodeJS.Timeout;
  /** Spawns the shims, from a small process of its own (shim-launcher.ts). */
  readonly #launcher = new ShimLauncher();
  #closed = false;

  constructor(options: ProcessContainerRuntimeOptions) {
    // Absolute: shims are handed paths and must not depend on the engine's working directory.
    this.#dataDir = resolve(options.dataDir);
    this.#clock = options.clock;
    this.#defaultWorkingDir = options.defaultWorkingDir ?? process.cwd();
    if (options.shimPath !== undefined) {
      this.#shimPath = Promise.resolve(options.shimPath);
    } else {
      sharedShim ??= ensureShim();
      this.#shimPath = sharedShim;
    }
    // Built on first use; a failure surfaces from start(), not as an unhandled rejection here.
    this.#shimPath.catch(() => undefined);
    this.#poll = setInterval(() => this.#pollAll(), options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.#poll.unref();
  }

  async createSandbox(sandbox: SandboxRef): Promise<{ podIP: string }> {
    const dir = podDir(this.#dataDir, sandbox.uid);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(
      join(dir, SANDBOX_FILE),
      JSON.stringify({ key: sandbox.key, uid: sandbox.uid }) + '\n',
    );
    return { podIP: PROCESS_POD_IP };
  }

  async removeSandbox(sandbox: SandboxRef): Promise<void> {
    const dir = podDir(this.#dataDir, sandbox.uid);
    // The engine removes a sandbox only after its containers exited; if one still runs anyway, kill it rather than
    // leave a process whose files are gone.
    const stillRunning: ShimState[] = [];
    for (const { dir: instDir } of await listInstanceDirs(dir)) {
      const state = await readShimState(instDir).catch(() => undefined);
      if (
        state &&
        !isFinalPhase(state) &&
        isSameLiveProcess(state.shimPid, state.shimStartTicks, state.bootId)
      ) {
        await writeFileAtomic(join(instDir, STOP_FILE), '0\n');
        signalProcess(state.shimPid, 'SIGTERM');
        stillRunning.push(state);
      }
    }
    const deadline = Date.now() + REMOVE_SANDBOX_KILL_WAIT_MS;
    while (
      stillRunning.some((s) => isSameLiveProcess(s.shimPid, s.shimStartTicks, s.bootId)) &&
      Date.now() < deadline
    ) {
      await delay(20);
    }
    for (const [key, inst] of this.#instances) {
      if (inst.ref.podUid === sandbox.uid) {
        inst.watcher?.close();
        this.#instances.delete(key);
      }
    }
    await rm(dir, { recursive: true, force: true });
  }

  start(launch: ContainerLaunch): Promise<void> {
    if (launch.argv.length === 0) {
      // Without a command there is no container to create (the kubelet's CreateContainerConfigError: nothing is
      // created, nothing is left behind), so the engine may try the same instance again later; each attempt is
      // reported with its own time.
      this.#emit({
        type: 'startFailed',
        ref: refOf(launch),
        reason: 'CreateContainerConfigError',
        message:
          `podflow's process runtime cannot run image ${JSON.stringify(launch.image ?? '')} without a command: ` +
          `set command (and args) on container ${JSON.stringify(launch.container)}`,
        at: this.#clock.now(),
      });
      return Promise.resolve();
    }
    let inst: Instance;
    try {
      inst = this.#track(launch);
      if (launch.image !== undefined) inst.image = launch.image;
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (!inst.startPromise) {
      inst.launching = true;
      inst.startPromise = this.#start(inst, launch).finally(() => {
        inst.launching = false;
      });
    }
    return inst.startPromise;
  }

  async stop(ref: ContainerInstanceRef, graceSeconds: number): Promise<void> {
    const inst = this.#instances.get(instanceKey(ref)) ?? (await this.#adopt(ref));
    if (!inst) return;
    await inst.startPromise?.catch(() => undefined);
    const state = await readShimState(inst.dir);
    if (!state || isFinalPhase(state)) return;
    await writeFileAtomic(join(inst.dir, STOP_FILE), `${Math.max(0, graceSeconds)}\n`);
    if (isSameLiveProcess(state.shimPid, state.shimStartTicks, state.bootId)) {
      signalProcess(state.shimPid, 'SIGTERM');
    } else {
      await this.#sync(inst); // the shim is gone: reported as lost
    }
  }

  async exec(ref: ContainerInstanceRef, argv: string[], timeoutMs: number): Promise<ExecResult> {
    const dir = instanceDir(this.#dataDir, ref);
    const state = await readShimState(dir).catch(() => undefined);
    const launch = await readLaunch(dir);
    if (
      !state ||
      !launch ||
      state.phase !== 'running' ||
      !isSameLiveProcess(state.shimPid, state.shimStartTicks, state.bootId)
    ) {
      throw new NotFoundError(`container ${describe(ref)} is not running`);
    }
    return runExec(argv, launch, timeoutMs);
  }

  async logs(ref: ContainerInstanceRef, options?: LogOptions): Promise<string[]> {
    const dir = instanceDir(this.#dataDir, ref);
    let text: string;
    try {
      text = await readFile(logFile(dir, ref.instance), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // No log file: never started (startFailed) → no lines; no instance at all → not found.
      const exists = await readFile(join(dir, LAUNCH_FILE)).then(
        () => true,
        () => false,
      );
      if (!exists) throw new NotFoundError(`container ${describe(ref)} not found`);
      return [];
    }
    return selectLogLines(assembleCriLog(text), options);
  }

  observe(listener: (observation: ContainerObservation) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async recover(): Promise<ContainerInstanceRef[]> {
    const live: ContainerInstanceRef[] = [];
    let uids: string[];
    try {
      uids = await readdir(podsDir(this.#dataDir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    for (const uid of uids.sort()) {
      const sandbox = await readJson<{ key: PodKey }>(join(podsDir(this.#dataDir), uid, SANDBOX_FILE));
      for (const { container, instance, dir } of await listInstanceDirs(join(podsDir(this.#dataDir), uid))) {
        let inst = this.#instances.get(`${uid}/${container}/${instance}`);
        if (!inst) {
          const launch = await readLaunch(dir);
          const ref =
            launch?.ref ?? (sandbox ? { key: sandbox.key, podUid: uid, container, instance } : undefined);
          if (!ref) continue;
          inst = this.#track(ref);
          if (launch?.image !== undefined) inst.image = launch.image;
          if (!(await readShimState(dir))) {
            // The engine stopped after creating the directory and before any shim recorded a state: nothing ran
            // (or a shim is a moment away from recording its exec: then this verdict wins and it backs off).
            await writeFirstShimState(dir, {
              phase: 'startFailed',
              reason: 'RunContainerError',
              message: 'podflow stopped before the container was started',
              finishedAt: this.#clock.now(),
            });
          }
          this.#watch(inst);
          await this.#sync(inst);
        }
        if (!inst.finalReported) live.push(inst.ref);
      }
    }
    return live;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    this.#launcher.close();
    for (const inst of this.#instances.values()) {
      inst.watcher?.close();
      inst.watcher = undefined;
    }
  }

  // ---------- starting ----------

  // The start path uses synchronous fs calls on purpose: a handful of small local file operations take tens of
  // microseconds each, while a round trip through libuv's thread pool costs far more (and start latency is budgeted,
  // see bench/container-start.bench.ts).
  async #start(inst: Instance, launch: ContainerLaunch): Promise<void> {
    const shimPath = await this.#shimPath;
    const dir = inst.dir;
    mkdirSync(dir, { recursive: true });
    this.#watch(inst);
    if (readShimStateSync(dir)) {
      // Started before (by an earlier engine process, or a retried call): adopt it, never start it twice.
      await this.#sync(inst);
      return;
    }
    const stored: StoredLaunch = {
      ref: refOf(launch),
      argv: launch.argv,
      env: withHostDefaults(launch.env),
      workingDir: launch.workingDir ?? this.#defaultWorkingDir,
      ...(launch.image !== undefined && { image: launch.image }),
      ...(launch.memoryLimitBytes !== undefined && { memoryLimitBytes: launch.memoryLimitBytes }),
      ...(launch.cpuLimitMillis !== undefined && { cpuLimitMillis: launch.cpuLimitMillis }),
    };
    const reported = this.#spawnShim(shimPath, inst, stored);
    // Written while the shim starts (off the critical path) and before start() resolves: exec and recover read it.
    writeFileAtomicSync(join(dir, LAUNCH_FILE), JSON.stringify(stored, null, 2) + '\n');
    const report = await reported;
    await this.#sync(inst);
    if (inst.startedReported || inst.finalReported || report.startsWith('already')) return;
    if (!(await readShimState(dir))) {
      // The shim ended before writing anything (bad arguments, unwritable directory…): its shim.log says why.
      await writeFirstShimState(dir, {
        phase: 'startFailed',
        reason: 'RunContainerError',
        message: `podflow-shim failed: ${(await readShimLog(dir)) || 'no state recorded'}`,
        finishedAt: this.#clock.now(),
      });
      await this.#sync(inst);
    }
  }

  /**
   * Spawns the shim, through the launcher, detached (own session: it survives the engine and has no controlling terminal) with the
   * container's environment as its own, and resolves with its one-line report, which it writes once the state file
   * records the outcome of the exec.
   */
  #spawnShim(shimPath: string, inst: Instance, launch: StoredLaunch): Promise<string> {
    const args = [
      '--dir',
      inst.dir,
      '--log',
      logFile(inst.dir, inst.ref.instance),
      '--cwd',
      launch.workingDir,
    ];
    if (launch.memoryLimitBytes !== undefined) args.push('--memory', String(launch.memoryLimitBytes));
    args.push('--', ...launch.argv);
    const env: Record<string, string> = {};
    for (const e of launch.env) env[e.name] = e.value; // a later duplicate wins, as in the kubelet
    // Its exit is also the fastest sign that the state file is final.
    return this.#launcher.launch(shimPath, args, env, () => void this.#sync(inst));
  }

  // ---------- observing ----------

  #track(ref: ContainerInstanceRef): Instance {
    const key = instanceKey(ref);
    let inst = this.#instances.get(key);
    if (!inst) {
      inst = {
        ref: refOf(ref),
        dir: instanceDir(this.#dataDir, ref),
        launching: false,
        startedReported: false,
        finalReported: false,
        dirty: false,
      };
      this.#instances.set(key, inst);
    }
    return inst;
  }

  /** An instance this runtime object has not seen (no recover() yet): watch it from its files. */
  async #adopt(ref: ContainerInstanceRef): Promise<Instance | undefined> {
    const dir = instanceDir(this.#dataDir, ref);
    if (!(await readShimState(dir).catch(() => undefined))) return undefined;
    const inst = this.#track(ref);
    this.#watch(inst);
    await this.#sync(inst);
    return inst;
  }

  #watch(inst: Instance): void {
    if (inst.watcher || inst.finalReported || this.#closed) return;
    try {
      // One inotify watch per running instance: the shim's rename of state.tmp → state is the event. Persistent:
      // while an instance runs and the runtime is open, its exit is still to be reported, so the process stays up.
      inst.watcher = watch(inst.dir, (_event, filename) => {
        if (filename === null || filename === 'state') void this.#sync(inst);
      });
      inst.watcher.on('error', () => {
        inst.watcher?.close();
        inst.watcher = undefined; // the poll still covers it
      });
    } catch {
      // inotify limits reached: the poll covers this instance.
    }
  }

  #pollAll(): void {
    for (const inst of this.#instances.values()) {
      if (!inst.finalReported && !inst.syncing && !inst.launching) void this.#sync(inst);
    }
  }

  /** Reads the state and reports what is new; runs once more if asked again meanwhile (coalesced). */
  #sync(inst: Instance): Promise<void> {
    if (inst.syncing) {
      inst.dirty = true;
      return inst.syncing;
    }
    inst.syncing = (async () => {
      do {
        inst.dirty = false;
        try {
          await this.#syncOnce(inst);
        } catch {
          // A transient read error (directory being removed…): the next event or poll tries again.
        }
      } while (inst.dirty && !inst.finalReported);
    })().finally(() => {
      inst.syncing = undefined;
    });
    return inst.syncing;
  }

  async #syncOnce(inst: Instance): Promise<void> {
    if (inst.finalReported) return;
    // Synchronous: one small file, read right when an event says it changed.
    const state = readShimStateSync(inst.dir);
    if (!state) return;
    this.#report(inst, state);
    if (isFinalPhase(state) || isSameLiveProcess(state.shimPid, state.shimStartTicks, state.bootId)) return;
    // The shim is gone. It may have recorded the exit just before exiting: read again before calling it lost.
    const again = readShimStateSync(inst.dir) ?? state;
    if (isFinalPhase(again)) {
      this.#report(inst, again);
      return;
    }
    const ended = this.#lostState(again);
    await writeShimState(inst.dir, ended);
    this.#report(inst, ended);
  }

  /** The final state of an instance whose shim ended without recording one (docs/semantics.md §1 lost container). */
  #lostState(state: ShimState): ShimState {
    killOrphanedGroup(state);
    return {
      ...state,
      phase: 'exited',
      exitCode: 137,
      oomKilled: false,
      finishedAt: this.#clock.now(),
      message: SHIM_LOST_MESSAGE,
      lost: true,
    };
  }

  #report(inst: Instance, state: ShimState): void {
    if (inst.finalReported) return;
    const ref = inst.ref;
    const now = this.#clock.now();
    if ((state.phase === 'running' || state.phase === 'exited') && !inst.startedReported) {
      inst.startedReported = true;
      this.#emit({
        type: 'started',
        ref,
        startedAt: state.startedAt ?? state.finishedAt ?? now,
        ...(state.pid !== undefined && { pid: state.pid }),
        ...(inst.image !== undefined && { imageID: inst.image }),
      });
    }
    if (state.phase === 'exited') {
      this.#finish(inst);
      this.#emit({
        type: 'exited',
        ref,
        exitCode: state.exitCode ?? 137,
        ...(state.signal !== undefined && { signal: state.signal }),
        oomKilled: state.oomKilled ?? false,
        startedAt: state.startedAt ?? state.finishedAt ?? now,
        finishedAt: state.finishedAt ?? now,
        ...(state.message !== undefined && { message: state.message }),
        ...(state.lost && { lost: true }),
      });
    } else if (state.phase === 'startFailed') {
      this.#finish(inst);
      this.#emit({
        type: 'startFailed',
        ref,
        reason: state.reason ?? 'RunContainerError',
        message: state.message ?? 'the container could not be started',
        at: state.finishedAt ?? now,
      });
    }
  }

  #finish(inst: Instance): void {
    inst.finalReported = true;
    inst.watcher?.close();
    inst.watcher = undefined;
  }

  #emit(observation: ContainerObservation): void {
    if (this.#closed) return;
    for (const listener of this.#listeners) {
      try {
        listener(observation);
      } catch {
        // Listeners must not throw (port contract); one that does must not starve the others.
      }
    }
  }
}

// ---------- helpers ----------

const refOf = (r: ContainerInstanceRef): ContainerInstanceRef => ({
  key: { namespace: r.key.namespace, name: r.key.name },
  podUid: r.podUid,
  container: r.container,
  instance: r.instance,
});

const describe = (r: ContainerInstanceRef): string =>
  `${JSON.stringify(r.container)} (instance ${r.instance}) of pod ${r.key.namespace}/${r.key.name}`;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function withHostDefaults(
  env: Array<{ name: string; value: string }>,
): Array<{ name: string; value: string }> {
  const defaults: Array<{ name: string; value: string }> = [];
  if (!env.some((e) => e.name === 'PATH'))
    defaults.push({ name: 'PATH', value: process.env.PATH ?? FALLBACK_PATH });
  if (!env.some((e) => e.name === 'HOME') && process.env.HOME)
    defaults.push({ name: 'HOME', value: process.env.HOME });
  return [...defaults, ...env.map((e) => ({ name: e.name, value: e.value }))];
}

const tmpName = (path: string): string => `${path}.tmp.${process.pid}.${Math.random().toString(36).slice(2)}`;

async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = tmpName(path);
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function writeFileAtomicSync(path: string, data: string): void {
  const tmp = tmpName(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const readLaunch = (dir: string): Promise<StoredLaunch | undefined> =>
  readJson<StoredLaunch>(join(dir, LAUNCH_FILE));

async function readShimLog(dir: string): Promise<string> {
  const text = await readFile(join(dir, SHIM_LOG_FILE), 'utf8').catch(() => '');
  return text.trim().slice(-2000);
}

/** Instance directories of a pod, in (container, instance) order so instance n is reported before n + 1. */
async function listInstanceDirs(
  pod: string,
): Promise<Array<{ container: string; instance: number; dir: string }>> {
  const out: Array<{ container: string; instance: number; dir: string }> = [];
  const containers = await readdir(pod, { withFileTypes: true }).catch(() => []);
  for (const c of containers.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const instances = await readdir(join(pod, c.name), { withFileTypes: true }).catch(() => []);
    const numbers = instances
      .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => a - b);
    for (const n of numbers) out.push({ container: c.name, instance: n, dir: join(pod, c.name, String(n)) });
  }
  return out;
}

function signalProcess(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it ended meanwhile.
  }
}

/**
 * The shim died without recording an exit. Its main process died with it (PR_SET_PDEATHSIG), but processes the
 * container forked may survive, reparented to init. They are in the main process's group: kill the members of
 * that group started no earlier than the main process (a group id cannot be reused while the group has members;
 * the start-time bound guards against a group re-created after it emptied and the pid was reused).
 */
function killOrphanedGroup(state: ShimState): void {
  if (!state.pid || !state.pidStartTicks || state.bootId !== currentBootId()) return;
  const notBefore = Number(state.pidStartTicks);
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return;
  }
  for (const entry of pids) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.pgid === state.pid && Number(stat.startTicks) >= notBefore)
      signalProcess(Number(entry), 'SIGKILL');
  }
}

/** Runs a command with the container's env and working directory; a timeout kills its process group. */
function runExec(argv: string[], launch: StoredLaunch, timeoutMs: number): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined || file === '') {
    return Promise.resolve({ exitCode: 126, stdout: '', stderr: 'exec: no command given', timedOut: false });
  }
  const env: Record<string, string> = {};
  for (const e of launch.env) env[e.name] = e.value;
  return new Promise<ExecResult>((resolve) => {
    const child = spawn(file, args, {
      cwd: launch.workingDir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    let timedOut = false;
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (out[stream].length < EXEC_OUTPUT_LIMIT_BYTES) out[stream] += chunk.toString('utf8');
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            if (child.pid) signalProcess(-child.pid, 'SIGKILL');
            // A process that left the group may still hold the pipes: stop waiting for them.
            child.stdout.destroy();
            child.stderr.destroy();
          }, timeoutMs)
        : undefined;
    const finish = (exitCode: number, extraStderr = ''): void => {
      clearTimeout(timer);
      resolve({ exitCode, stdout: out.stdout, stderr: out.stderr + extraStderr, timedOut });
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      // runc's wording, and the shell's exit codes: 127 not found, 126 found but not runnable.
      const notFound = err.code === 'ENOENT';
      finish(
        notFound ? 127 : 126,
        notFound
          ? `exec: ${JSON.stringify(file)}: executable file not found in $PATH`
          : `exec: ${JSON.stringify(file)}: ${err.message}`,
      );
    });
    child.once('close', (code, signal) => {
      finish(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1));
    });
  });
}
