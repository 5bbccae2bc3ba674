// ProcessContainerRuntime: the local default runtime (docs/architecture.md §6). Each container instance is a process
// started through podflow-shim (adapters/process/shim/podflow-shim.c), a small C supervisor in its own session that
// survives the engine: it records pid, start, exit code/signal and oomKilled in the instance's `state` file, writes
// the CRI log, enforces limits.memory and carries out stops. This class only starts shims, watches their state files
// and turns them into observations; it never decides what an exit means (core does).
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join, resolve } from 'node:path';
import type { Clock } from '../../ports/clock.ts';
import { forbidden, type FieldError } from '../../core/field-errors.ts';
import type {
  ContainerInstanceRef,
  ContainerLaunch,
  ContainerObservation,
  ContainerRuntime,
  ContainerSample,
  ExecResult,
  LogOptions,
  PodSandboxConfig,
  PodVolume,
  PortMapping,
  SandboxRef,
  VolumeUsage,
} from '../../ports/container-runtime.ts';
import { NotFoundError } from '../../ports/errors.ts';
import type { PodKey } from '../../ports/pod-key.ts';
import { ensureShim } from './shim/build-shim.mjs';
import { assembleCriLog, selectLogLines } from './cri-log.ts';
import {
  LAUNCH_FILE,
  SANDBOX_FILE,
  SHIM_LOG_FILE,
  STDIN_FIFO,
  STOP_FILE,
  instanceDir,
  instanceKey,
  logFile,
  networkDir,
  pauseDir,
  podDir,
  podsDir,
} from './instance-layout.ts';
import { AddressesExhaustedError, IpAllocator } from './ip-allocator.ts';
import { PauseSpawner } from './pause-spawner.ts';
import {
  addressesWithVeth,
  mapHostPorts,
  resolveNetworkOptions,
  setUpPodNetwork,
  unmapHostPorts,
  vethName,
  type Ipv4Cidr,
  type PodNetwork,
  type PodNetworkOptions,
  type ResolvedNetworkOptions,
} from './pod-network.ts';
import {
  bindMounts,
  buildRewriteRoot,
  emptyDirsOverLimit,
  prepareMountPoints,
  ROOT_ENV,
  setUpVolumes,
  tearDownVolumes,
  updateVolumeFiles,
  VolumeSetUpError,
  type BindMount,
  type MountMode,
} from './pod-volumes.ts';
import { currentBootId, isSameLiveProcess, readProcStat } from './process-identity.ts';
import { readTreeUsage } from './process-tree-usage.ts';
import { ShimLauncher } from './shim-launcher.ts';
import {
  isFinalPhase,
  readShimState,
  readShimStateSync,
  writeFirstShimState,
  writeShimState,
  type ShimState,
} from './shim-state.ts';

/** The pod IP of pods on the host's network: hostNetwork pods, and every pod when pods cannot have a network of their
 * own (docs/architecture.md §6). */
export const PROCESS_POD_IP = '127.0.0.1';
/** A pause whose address turns out to be taken on the host (another engine's pod) tries the next one, this often. */
const ADDRESS_CONFLICT_RETRIES = 16;
/** Fallback poll of running instances; fs.watch on each instance directory is the fast path. */
export const DEFAULT_POLL_INTERVAL_MS = 200;
/**
 * An instance with a working watch hears of every state its shim records; the poll then only finds a shim that died
 * without recording one (killed), so it looks at such an instance every this many polls — 1 s, the kubelet's PLEG
 * relist period (pkg/kubelet/kubelet.go genericPlegRelistPeriod) — rather than at every one: reading each running
 * instance's state and /proc entry five times a second is most of an idle engine's work at a thousand pods.
 */
const WATCHED_POLL_EVERY = 5;
/** How old a listing of the host's veths may be when a sandbox picks its address (#addressesWithVeth). */
const VETH_LISTING_MAX_AGE_MS = 1000;
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
  /** The pod network: a network namespace per pod (as root) or the host's (pod-network.ts). */
  network?: PodNetworkOptions;
  /**
   * How containers see their volumes at their mountPaths (docs/decisions/0010-volumes.md): `namespace` — a mount
   * namespace per container with bind mounts (needs root); `rewrite` — no mounts, the container's mountPaths are
   * symlinks under the directory in $PODFLOW_ROOT. Default: `namespace` as root, `rewrite` otherwise.
   */
  mounts?: MountMode;
  /** How often emptyDirs with a sizeLimit are measured (kubelet.go evictionMonitoringPeriod: 10 s). */
  volumeUsageIntervalMs?: number;
}

/** kubelet: pkg/kubelet/kubelet.go evictionMonitoringPeriod. */
export const DEFAULT_VOLUME_USAGE_INTERVAL_MS = 10_000;

/**
 * sandbox.json: the pod sandbox as created. `network` says what the pod got: `pod` — its own network, IPC and UTS
 * namespaces held by a pause process, with `podIP` on a veth; `hostNetwork` — a pause process holding an IPC
 * namespace, on the host's network; `host` — no pause process, everything shared with the host (the fallback; also
 * what a sandbox.json without `network` was written by).
 */
interface SandboxRecord {
  key: PodKey;
  uid: string;
  network?: 'pod' | 'hostNetwork' | 'host';
  podIP?: string;
  hostname?: string;
  /** The bridge the pod's veth is on (`pod` only). */
  bridge?: string;
  portMappings?: PortMapping[];
}

/** A pause process as its state file records it. */
interface PauseIdentity {
  pid: number;
  startTicks: string;
  bootId?: string;
}

/** What attach needs of a running instance (ProcessContainerRuntime.attachSpec). */
export interface AttachSpec {
  /** The instance's CRI log file. */
  logPath: string;
  /** Its stdin pipe, when it was started with `stdin: true`. */
  stdinPath?: string;
  /** Whether the instance has ended (its exit recorded, or its shim gone). */
  ended: () => Promise<boolean>;
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
  /** The container's volume mounts, as bind mounts (namespace mode) or symlinks under $PODFLOW_ROOT (rewrite). */
  mounts?: BindMount[];
  mountMode?: MountMode;
  /** Its stdin is the instance's STDIN_FIFO (`stdin: true`), which attach writes to. */
  stdin?: boolean;
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

/** A launch with its mounts resolved to host paths (#prepareVolumes → #start). */
const MOUNTS = Symbol('mounts');
type LaunchWithMounts = ContainerLaunch & { [MOUNTS]?: BindMount[] };

let sharedShim: Promise<string> | undefined;
/** One setup of the host's part of a pod network per process and configuration (runtimes in one process share it). */
const sharedNetworks = new Map<string, Promise<PodNetwork>>();

/**
 * Runs containers as local processes, each under a podflow-shim.
 *
 * - Sandbox: `<dataDir>/pods/<uid>/` and a pause process holding the pod's network, IPC and UTS namespaces, with
 *   the pod's address on a veth (as root; pod-network.ts), which every container and exec of the pod joins; or,
 *   where pods cannot have namespaces, the host network with pod IP 127.0.0.1 (docs/architecture.md §6).
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
  #polls = 0;
  #vethListing: { at: number; addresses: ReadonlySet<string> } | undefined;
  readonly #networkOptions: ResolvedNetworkOptions;
  #network: Promise<PodNetwork> | undefined;
  #allocator: IpAllocator | undefined;
  #pauseSpawner: PauseSpawner | undefined;
  /** Sandbox records by pod uid (undefined: looked for, none): read from disk once, then kept in step. */
  readonly #sandboxes = new Map<string, SandboxRecord | undefined>();
  /** Sandbox operations in flight, per pod uid: a create and a remove of one pod never interleave. */
  readonly #sandboxOps = new Map<string, Promise<unknown>>();
  /** Spawns the shims, from a small process of its own (shim-launcher.ts). */
  readonly #launcher = new ShimLauncher();
  readonly #mountMode: MountMode;
  readonly #usageListeners = new Set<(u: VolumeUsage) => void>();
  readonly #usagePoll: NodeJS.Timeout;
  #measuring = false;
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
    this.#networkOptions = resolveNetworkOptions(options.network);
    this.#mountMode = options.mounts ?? (process.getuid?.() === 0 ? 'namespace' : 'rewrite');
    this.#usagePoll = setInterval(
      () => void this.#measureVolumes(),
      options.volumeUsageIntervalMs ?? DEFAULT_VOLUME_USAGE_INTERVAL_MS,
    );
    this.#usagePoll.unref();
  }

  observeVolumeUsage(listener: (usage: VolumeUsage) => void): () => void {
    this.#usageListeners.add(listener);
    return () => this.#usageListeners.delete(listener);
  }

  /** One pass of the emptyDir sizeLimit check over every sandbox (skipped while nobody listens or one runs). */
  async #measureVolumes(): Promise<void> {
    if (this.#measuring || this.#usageListeners.size === 0 || this.#closed) return;
    this.#measuring = true;
    try {
      for (const sandbox of await this.listSandboxes()) {
        for (const over of await emptyDirsOverLimit(podDir(this.#dataDir, sandbox.uid))) {
          const usage: VolumeUsage = { sandbox, ...over, at: this.#clock.now() };
          for (const listener of this.#usageListeners) {
            try {
              listener(usage);
            } catch {
              // listeners must not throw; one that does must not starve the others
            }
          }
        }
      }
    } finally {
      this.#measuring = false;
    }
  }

  /** How this runtime's containers see their volumes (docs/decisions/0010-volumes.md). */
  get mountMode(): MountMode {
    return this.#mountMode;
  }

  /**
   * What pods get — their own network namespaces on the bridge, or the host's network — decided (and the host's part
   * set up) on first use. `warning` is the line to show the user at startup when pods get less than a cluster gives.
   */
  network(): Promise<PodNetwork> {
    if (this.#network === undefined) {
      const o = this.#networkOptions;
      const key = `${o.mode}/${o.bridge}/${o.cidr.text}/${o.privileged}/${o.enableIPForward}`;
      let shared = sharedNetworks.get(key);
      if (!shared) {
        shared = this.#shimPath.then((shim) => setUpPodNetwork(shim, o));
        sharedNetworks.set(key, shared);
        shared.catch(() => sharedNetworks.delete(key)); // a failed setup is tried again by the next runtime
      }
      this.#network = shared;
    }
    return this.#network;
  }

  createSandbox(sandbox: SandboxRef, config?: PodSandboxConfig): Promise<{ podIP: string }> {
    return this.#serialize(sandbox.uid, () =>
      this.#createSandbox(
        sandbox,
        config ?? { hostname: sandbox.key.name, hostNetwork: false, portMappings: [] },
      ),
    );
  }

  async #createSandbox(sandbox: SandboxRef, config: PodSandboxConfig): Promise<{ podIP: string }> {
    const net = await this.network();
    const dir = podDir(this.#dataDir, sandbox.uid);
    mkdirSync(dir, { recursive: true });
    const existing = this.#sandboxRecord(sandbox.uid);
    if (existing?.podIP !== undefined && (existing.network === 'host' || this.#livePause(sandbox.uid))) {
      return { podIP: existing.podIP };
    }
    const record: SandboxRecord = {
      key: { namespace: sandbox.key.namespace, name: sandbox.key.name },
      uid: sandbox.uid,
      network: net.mode === 'host' ? 'host' : config.hostNetwork ? 'hostNetwork' : 'pod',
      ...(config.hostname !== undefined && !config.hostNetwork && { hostname: config.hostname }),
      portMappings: config.portMappings,
    };
    if (record.network !== 'pod') {
      record.podIP = PROCESS_POD_IP;
      this.#writeSandboxRecord(record);
      if (record.network === 'hostNetwork') await this.#startPause(record, net);
      return { podIP: PROCESS_POD_IP };
    }
    if (net.mode !== 'bridge') throw new Error('unreachable: a pod network without a bridge');
    record.bridge = net.bridge;
    const allocator = this.#ipAllocator(net);
    // Addresses another pod on this host holds (its veth exists: another engine on the bridge, a sandbox being torn
    // down) are skipped up front, as the host's veths were listed at most a second ago; one taken since shows as a
    // conflict, and the next try lists them again; when none looks free they are listed again once before the sandbox
    // fails — without starting a pause per address, which a bridge full of another engine's pods would make thousands.
    const taken = this.#addressesWithVeth(net.cidr);
    /** Addresses whose pause found them in use on the host during this call. */
    const conflicted = new Set<string>();
    let listedNow = false;
    const relist = (): void => {
      for (const ip of this.#addressesWithVeth(net.cidr, true)) taken.add(ip);
      listedNow = true;
    };
    const allocate = (): string => {
      try {
        return allocator.allocate(sandbox.uid, taken);
      } catch (err) {
        if (!(err instanceof AddressesExhaustedError) || listedNow) throw err;
        // Every address looked taken by a listing up to a second old: one freed since counts again.
        for (const ip of taken) if (!conflicted.has(ip)) taken.delete(ip);
        relist();
        return allocator.allocate(sandbox.uid, taken);
      }
    };
    // A sandbox whose pause ended keeps its address, unless something still holds the address's veth.
    const previous =
      existing?.network === 'pod' && existing.bridge === net.bridge ? existing.podIP : undefined;
    for (let attempt = 0; ; attempt++) {
      // The address is recorded before the pause exists: an engine that dies in between finds it again at recover.
      record.podIP = previous !== undefined && !taken.has(previous) ? previous : allocate();
      this.#writeSandboxRecord(record);
      const outcome = await this.#startPause(record, net);
      if (outcome === 'started') break;
      // Another engine's pod on this host has the address (its veth exists): release ours, take the next.
      relist();
      conflicted.add(record.podIP);
      taken.add(record.podIP);
      allocator.release(sandbox.uid, record.podIP);
      if (attempt >= ADDRESS_CONFLICT_RETRIES) {
        throw new Error(
          `failed to create the pod sandbox: the addresses of ${net.cidr.text} it tried were in use`,
        );
      }
    }
    if (net.nat && config.portMappings.length > 0) {
      await mapHostPorts(net.bridge, sandbox.uid, record.podIP, config.portMappings);
    }
    return { podIP: record.podIP };
  }

  /**
   * Starts the sandbox's pause process (podflow-shim --pause) and waits until it holds the namespaces, with the
   * pod's interface configured. Throws with the pause's own message when it could not; resolves `conflict` when the
   * pod's address is in use on the host.
   */
  async #startPause(record: SandboxRecord, net: PodNetwork): Promise<'started' | 'conflict'> {
    const shimPath = await this.#shimPath;
    const dir = pauseDir(this.#dataDir, record.uid);
    // A pause that ended (killed, a reboot) left its state: a new one starts from a clean directory.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const args = ['--pause', '--dir', dir];
    if (record.network === 'hostNetwork') {
      // kubelet: a hostNetwork pod shares the host's network and UTS namespaces; IPC stays the pod's (hostIPC is
      // refused at admission). --bridge only says which pod network the pause belongs to (ps, cleanup).
      args.push('--unshare', 'ipc');
      if (net.mode === 'bridge') args.push('--bridge', net.bridge);
    } else {
      args.push('--unshare', 'ipc,uts,net');
      if (record.hostname) args.push('--hostname', record.hostname);
      if (net.mode === 'bridge') {
        args.push(
          '--veth',
          vethName(record.podIP!),
          '--bridge',
          net.bridge,
          '--address',
          `${record.podIP}/${net.cidr.prefix}`,
          '--gateway',
          net.gateway,
          '--mtu',
          String(net.mtu),
        );
      }
    }
    this.#pauseSpawner ??= new PauseSpawner(shimPath);
    const report = await this.#pauseSpawner.start(args);
    const state = readShimStateSync(dir);
    if (state?.phase === 'running') return 'started';
    if (report.startsWith('conflict')) return 'conflict';
    const why =
      state?.message ??
      ((await readShimLog(dir)) ||
        (report
          ? `the pause process reported ${JSON.stringify(report.trim())}`
          : 'the pause process did not report'));
    throw new Error(`failed to create the pod sandbox: ${why}`);
  }

  /** The pause process of the pod, if it runs. */
  #livePause(uid: string): PauseIdentity | undefined {
    let state: ShimState | undefined;
    try {
      state = readShimStateSync(pauseDir(this.#dataDir, uid));
    } catch {
      return undefined;
    }
    if (!state || state.phase !== 'running' || !state.shimPid || !state.shimStartTicks) return undefined;
    if (!isSameLiveProcess(state.shimPid, state.shimStartTicks, state.bootId)) return undefined;
    return {
      pid: state.shimPid,
      startTicks: state.shimStartTicks,
      ...(state.bootId && { bootId: state.bootId }),
    };
  }

  /**
   * `<pid>:<starttime>` of the pause whose namespaces the pod's processes join, undefined for a pod without one (the
   * host fallback, or a container started without a sandbox). A pause that ended (killed, a reboot) is started
   * again with the sandbox's address, as a kubelet re-creates a dead sandbox.
   */
  async #sandboxToJoin(uid: string): Promise<string | undefined> {
    const record = this.#sandboxRecord(uid);
    if (!record || record.network === undefined || record.network === 'host') return undefined;
    let pause = this.#livePause(uid);
    if (!pause) {
      pause = await this.#serialize(uid, async () => {
        const again = this.#livePause(uid);
        if (again) return again;
        const net = await this.network();
        if (net.mode !== 'bridge') return undefined; // the engine cannot create namespaces (any more)
        if ((await this.#startPause(record, net)) === 'conflict') {
          throw new Error(
            `the pod sandbox is gone and its address ${record.podIP} is now in use on this host`,
          );
        }
        if (net.mode === 'bridge' && net.nat && (record.portMappings?.length ?? 0) > 0) {
          await mapHostPorts(net.bridge, uid, record.podIP!, record.portMappings!);
        }
        return this.#livePause(uid);
      });
    }
    return pause ? `${pause.pid}:${pause.startTicks}` : undefined;
  }

  async removeSandbox(sandbox: SandboxRef): Promise<void> {
    return this.#serialize(sandbox.uid, () => this.#removeSandbox(sandbox));
  }

  async #removeSandbox(sandbox: SandboxRef): Promise<void> {
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
    // Then the sandbox: the pause ends (pause.c exits on SIGTERM), its namespaces go with the last process in them,
    // and the veth pair with the network namespace. Its host ports are unmapped and its address released only
    // after that, so an address is never handed out while a process may still use it.
    const record = this.#sandboxRecord(sandbox.uid);
    const pause = this.#livePause(sandbox.uid);
    if (pause) {
      signalProcess(pause.pid, 'SIGTERM');
      const until = Date.now() + REMOVE_SANDBOX_KILL_WAIT_MS;
      while (isSameLiveProcess(pause.pid, pause.startTicks, pause.bootId) && Date.now() < until)
        await delay(5);
      if (isSameLiveProcess(pause.pid, pause.startTicks, pause.bootId)) signalProcess(pause.pid, 'SIGKILL');
    }
    if (record?.network === 'pod' && record.bridge && (record.portMappings?.length ?? 0) > 0) {
      await unmapHostPorts(record.bridge, sandbox.uid);
    }
    if (record?.network === 'pod' && record.bridge) {
      const net = await this.network();
      const allocator =
        net.mode === 'bridge' && net.bridge === record.bridge
          ? this.#ipAllocator(net)
          : new IpAllocator(networkDir(this.#dataDir, record.bridge)); // the engine's network changed since
      allocator.release(sandbox.uid, record.podIP);
    }
    // The pod's volumes go with it (emptyDir included: kubelet removes a deleted pod's volume directories,
    // kubelet_volumes.go cleanupOrphanedPodDirs): tmpfs mounts first, then the mount points it created.
    await tearDownVolumes(podsDir(this.#dataDir), dir);
    await rm(dir, { recursive: true, force: true });
    this.#sandboxes.set(sandbox.uid, undefined);
  }

  async listSandboxes(): Promise<SandboxRef[]> {
    const uids = await readdir(podsDir(this.#dataDir)).catch(() => [] as string[]);
    const out: SandboxRef[] = [];
    for (const uid of uids.sort()) {
      const record = this.#sandboxRecord(uid);
      if (record) out.push({ key: record.key, uid });
    }
    return out;
  }

  async admitSandbox(sandbox: SandboxRef, config: PodSandboxConfig): Promise<FieldError[]> {
    if (config.portMappings.length === 0) return [];
    const net = await this.network();
    const errors: FieldError[] = [];
    for (const m of config.portMappings) {
      const at = `${m.hostPort}/${m.protocol}`;
      if (!config.hostNetwork && net.mode === 'host' && m.hostPort !== m.containerPort) {
        errors.push(
          forbidden(
            m.fieldPath,
            `cannot map host port ${at} to container port ${m.containerPort}: pods share the host network here ` +
              '(podflow maps host ports for pods with a network of their own, as root with iptables)',
          ),
        );
        continue;
      }
      if (!config.hostNetwork && net.mode === 'bridge' && !net.nat) {
        errors.push(forbidden(m.fieldPath, `cannot map host port ${at}: iptables is not installed`));
        continue;
      }
      // The scheduler's NodePorts filter: one pod per protocol and host port (and host IP, 0.0.0.0 overlapping all).
      const holder = this.#hostPortHolder(sandbox.uid, m);
      if (holder) {
        errors.push(
          forbidden(
            m.fieldPath,
            `host port ${at} is already allocated to pod ${holder.namespace}/${holder.name}`,
          ),
        );
      }
    }
    return errors;
  }

  #hostPortHolder(uid: string, m: PortMapping): PodKey | undefined {
    this.#loadSandboxRecords();
    const anyIP = (ip: string | undefined): boolean => !ip || ip === '0.0.0.0';
    for (const [other, record] of this.#sandboxes) {
      if (other === uid || !record) continue;
      for (const o of record.portMappings ?? []) {
        if (o.protocol !== m.protocol || o.hostPort !== m.hostPort) continue;
        if (anyIP(o.hostIP) || anyIP(m.hostIP) || o.hostIP === m.hostIP) return record.key;
      }
    }
    return undefined;
  }

  // ---------- sandbox records ----------

  #sandboxRecord(uid: string): SandboxRecord | undefined {
    if (this.#sandboxes.has(uid)) return this.#sandboxes.get(uid);
    let record: SandboxRecord | undefined;
    try {
      record = JSON.parse(
        readFileSync(join(podDir(this.#dataDir, uid), SANDBOX_FILE), 'utf8'),
      ) as SandboxRecord;
    } catch {
      record = undefined;
    }
    this.#sandboxes.set(uid, record);
    return record;
  }

  /** Reads every sandbox record not read yet (admission compares host ports with all of them). */
  #loadSandboxRecords(): void {
    let uids: string[];
    try {
      uids = readdirSync(podsDir(this.#dataDir));
    } catch {
      return;
    }
    for (const uid of uids) if (!this.#sandboxes.has(uid)) this.#sandboxRecord(uid);
  }

  #writeSandboxRecord(record: SandboxRecord): void {
    writeNewFileSync(join(podDir(this.#dataDir, record.uid), SANDBOX_FILE), JSON.stringify(record) + '\n');
    this.#sandboxes.set(record.uid, record);
  }

  /**
   * The pod addresses that have a veth on this host (pod-network.ts addressesWithVeth), listed again when `fresh` or
   * when the last listing is older than VETH_LISTING_MAX_AGE_MS: /sys/class/net has an entry per pod on the host,
   * and a burst of pod starts would otherwise list all of them once per pod.
   */
  #addressesWithVeth(cidr: Ipv4Cidr, fresh = false): Set<string> {
    const now = this.#clock.now();
    if (fresh || !this.#vethListing || now - this.#vethListing.at >= VETH_LISTING_MAX_AGE_MS) {
      this.#vethListing = { at: now, addresses: addressesWithVeth(cidr) };
    }
    return new Set(this.#vethListing.addresses);
  }

  #ipAllocator(net: Extract<PodNetwork, { mode: 'bridge' }>): IpAllocator {
    this.#allocator ??= new IpAllocator(networkDir(this.#dataDir, net.bridge), net.cidr);
    return this.#allocator;
  }

  /** Runs sandbox operations of one pod one after the other. */
  #serialize<T>(uid: string, op: () => Promise<T>): Promise<T> {
    const previous = this.#sandboxOps.get(uid) ?? Promise.resolve();
    const next = previous.then(op, op);
    const settled = next.catch(() => undefined);
    this.#sandboxOps.set(uid, settled);
    void settled.then(() => {
      if (this.#sandboxOps.get(uid) === settled) this.#sandboxOps.delete(uid);
    });
    return next;
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
    if (launch.volumes !== undefined || launch.mounts !== undefined) {
      return this.#prepareVolumes(launch).then((prepared) =>
        prepared === undefined ? undefined : this.#startTracked(prepared),
      );
    }
    return this.#startTracked(launch);
  }

  /**
   * Sets up the pod's volumes and the container's mounts before its start (kubelet: the volume manager mounts every
   * volume of the pod before the first container, volume_manager.go WaitForAttachAndMount). A volume that cannot be
   * set up fails the start without creating the instance (`CreateContainerConfigError`), so it is tried again.
   */
  async #prepareVolumes(launch: ContainerLaunch): Promise<ContainerLaunch | undefined> {
    const pod = podDir(this.#dataDir, launch.podUid);
    try {
      // One pod's volume writes (a start, a ConfigMap update) and its mount-point record never interleave.
      return await this.#serialize(launch.podUid, () => this.#setUpLaunchVolumes(pod, launch));
    } catch (err) {
      this.#emit({
        type: 'startFailed',
        ref: refOf(launch),
        reason: 'CreateContainerConfigError',
        message:
          err instanceof VolumeSetUpError
            ? err.message
            : `cannot set up the pod's volumes: ${(err as Error).message}`,
        at: this.#clock.now(),
      });
      return undefined;
    }
  }

  async #setUpLaunchVolumes(pod: string, launch: ContainerLaunch): Promise<ContainerLaunch> {
    mkdirSync(pod, { recursive: true });
    const volumes = launch.volumes ?? [];
    await setUpVolumes(pod, volumes, { tmpfs: this.#mountMode === 'namespace', now: this.#clock.now() });
    const binds = bindMounts(pod, volumes, launch.mounts ?? []);
    if (binds.length === 0) return launch;
    if (this.#mountMode === 'namespace') {
      prepareMountPoints(pod, binds);
      return { ...launch, [MOUNTS]: binds } as ContainerLaunch;
    }
    const root = buildRewriteRoot(pod, launch.container, binds);
    return {
      ...launch,
      env: [{ name: ROOT_ENV, value: root }, ...launch.env.filter((e) => e.name !== ROOT_ENV)],
      [MOUNTS]: binds,
    } as ContainerLaunch;
  }

  #startTracked(launch: ContainerLaunch): Promise<void> {
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
    return runExec(await this.#execSpec(ref.podUid, argv, launch, state), timeoutMs);
  }

  /**
   * How to spawn `argv` in a running instance's environment and its pod's namespaces (exec, and `kubectl exec` over
   * WebSocket): through podflow-shim --enter when the pod has a sandbox of its own, directly otherwise. Throws
   * NotFoundError when the instance is not running.
   */
  async execSpec(ref: ContainerInstanceRef, argv: string[]): Promise<ExecSpec> {
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
    return this.#execSpec(ref.podUid, argv, launch, state);
  }

  async #execSpec(uid: string, argv: string[], launch: StoredLaunch, state: ShimState): Promise<ExecSpec> {
    const env: Record<string, string> = {};
    for (const e of launch.env) env[e.name] = e.value;
    const pause = this.#sandboxRecord(uid)?.network === 'host' ? undefined : this.#livePause(uid);
    // An exec sees the container's volumes: it joins the mount namespace of the container's main process.
    const mnt =
      launch.mountMode === 'namespace' && (launch.mounts?.length ?? 0) > 0 && state.pid && state.pidStartTicks
        ? `${state.pid}:${state.pidStartTicks}`
        : undefined;
    if ((!pause && !mnt) || argv[0] === undefined || argv[0] === '') {
      return { file: argv[0] ?? '', args: argv.slice(1), env, cwd: launch.workingDir };
    }
    return {
      file: await this.#shimPath,
      args: [
        '--enter',
        pause ? `${pause.pid}:${pause.startTicks}` : '-',
        ...(mnt ? ['--mnt', mnt] : []),
        '--',
        ...argv,
      ],
      env,
      cwd: launch.workingDir,
    };
  }

  /**
   * Where `kubectl attach` reads and writes a running instance (local/attach-websocket.ts): its CRI log (what it
   * prints, from the size the log has now), its stdin pipe when it was started with `stdin: true`, and how to tell
   * that it ended. Throws NotFoundError when the instance is not running.
   */
  async attachSpec(ref: ContainerInstanceRef): Promise<AttachSpec> {
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
    return {
      logPath: logFile(dir, ref.instance),
      ...(launch.stdin === true && { stdinPath: join(dir, STDIN_FIFO) }),
      ended: async () => {
        const now = await readShimState(dir).catch(() => undefined);
        return !now || isFinalPhase(now) || !isSameLiveProcess(now.shimPid, now.shimStartTicks, now.bootId);
      },
    };
  }

  async updateVolumes(sandbox: SandboxRef, volumes: PodVolume[]): Promise<void> {
    const dir = podDir(this.#dataDir, sandbox.uid);
    await this.#serialize(sandbox.uid, async () => {
      if (!this.#sandboxRecord(sandbox.uid)) return;
      updateVolumeFiles(dir, volumes, this.#clock.now());
    });
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

  /**
   * The usage of every running instance, read from /proc of its shim's process tree (process-tree-usage.ts says what
   * is counted and why). An instance whose shim is not the one its state names (ended, pid reused) is left out.
   */
  async containerStats(): Promise<ContainerSample[]> {
    const samples: ContainerSample[] = [];
    for (const inst of this.#instances.values()) {
      if (inst.finalReported) continue;
      const state = readShimStateSync(inst.dir);
      if (state?.phase !== 'running' || state.startedAt === undefined || state.shimPid === undefined)
        continue;
      if (!isSameLiveProcess(state.shimPid, state.shimStartTicks, state.bootId)) continue;
      const usage = readTreeUsage(state.shimPid);
      if (!usage) continue;
      samples.push({
        podUid: inst.ref.podUid,
        container: inst.ref.container,
        instance: inst.ref.instance,
        startedAt: state.startedAt,
        at: this.#clock.now(),
        cpuNanoSeconds: usage.cpuNanoSeconds,
        memoryBytes: usage.memoryBytes,
      });
    }
    return samples;
  }

  observe(listener: (observation: ContainerObservation) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async recover(): Promise<ContainerInstanceRef[]> {
    // Sandboxes first: their pause processes outlived the engine and keep their namespaces and addresses. An address
    // reserved by an engine that died before it recorded the sandbox is released.
    const net = await this.network();
    this.#loadSandboxRecords();
    if (net.mode === 'bridge') {
      const allocator = this.#ipAllocator(net);
      for (const [ip, uid] of [...allocator.allocations()]) {
        if (this.#sandboxes.get(uid)?.podIP !== ip) allocator.release(uid, ip);
      }
    }
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
          // A directory without a shim state: the engine stopped after creating it and before any shim recorded
          // a state, so nothing ran. The instance is left unstarted — not a failure of the container's: the
          // engine's resume starts it again (the worker committed it as `starting`), as a kubelet that restarts
          // creates the container it finds missing. A shim of the earlier engine a moment away from recording
          // its exec races that start on the first state, which only one writer gets (the loser backs off).
          if (!(await readShimState(dir))) continue;
          const launch = await readLaunch(dir);
          const ref =
            launch?.ref ?? (sandbox ? { key: sandbox.key, podUid: uid, container, instance } : undefined);
          if (!ref) continue;
          inst = this.#track(ref);
          if (launch?.image !== undefined) inst.image = launch.image;
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
    clearInterval(this.#usagePoll);
    this.#pauseSpawner?.close();
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
      ...(launch.stdin === true && { stdin: true }),
    };
    const binds = (launch as LaunchWithMounts)[MOUNTS];
    if (binds !== undefined) {
      stored.mounts = binds;
      stored.mountMode = this.#mountMode;
    }
    let sandbox: string | undefined;
    try {
      sandbox = await this.#sandboxToJoin(launch.podUid);
    } catch (err) {
      writeNewFileSync(join(dir, LAUNCH_FILE), JSON.stringify(stored, null, 2) + '\n');
      await writeFirstShimState(dir, {
        phase: 'startFailed',
        reason: 'RunContainerError',
        message: (err as Error).message,
        finishedAt: this.#clock.now(),
      });
      await this.#sync(inst);
      return;
    }
    const reported = this.#spawnShim(shimPath, inst, stored, sandbox);
    // Written while the shim starts (off the critical path) and before start() resolves: exec and recover read it.
    writeNewFileSync(join(dir, LAUNCH_FILE), JSON.stringify(stored, null, 2) + '\n');
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
   * Spawns the shim through the launcher, detached (own session: it survives the engine and has no controlling
   * terminal), with the container's environment as its own, and resolves with its one-line report, which it writes once the state file
   * records the outcome of the exec.
   */
  #spawnShim(
    shimPath: string,
    inst: Instance,
    launch: StoredLaunch,
    sandbox: string | undefined,
  ): Promise<string> {
    const args = [
      '--dir',
      inst.dir,
      '--log',
      logFile(inst.dir, inst.ref.instance),
      '--cwd',
      launch.workingDir,
    ];
    if (launch.memoryLimitBytes !== undefined) args.push('--memory', String(launch.memoryLimitBytes));
    if (launch.stdin === true) args.push('--stdin', join(inst.dir, STDIN_FIFO));
    // The container joins the pod's namespaces before it execs (CRI: containers join the sandbox's namespaces).
    if (sandbox !== undefined) args.push('--sandbox', sandbox);
    // Volumes at their mountPaths: bind mounts in the container's own mount namespace (docs/decisions/0010-volumes.md).
    if (launch.mountMode === 'namespace') {
      for (const b of launch.mounts ?? []) args.push(b.readOnly ? '--bind-ro' : '--bind', b.source, b.target);
    }
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
    const all = ++this.#polls % WATCHED_POLL_EVERY === 0;
    for (const inst of this.#instances.values()) {
      if (inst.finalReported || inst.syncing || inst.launching || (inst.watcher && !all)) continue;
      void this.#sync(inst);
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

/** Owner-only (0600): a launch records the container's environment, Secret values included. */
function writeFileAtomicSync(path: string, data: string): void {
  const tmp = tmpName(path);
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * A file written where there is none yet (a new pod's sandbox record, an instance's launch): created in place, one
 * file operation instead of a temporary file and a rename — each costs hundreds of microseconds of kernel time on
 * some filesystems, at every container start. One a crash cut short reads back as no file (its JSON does not parse),
 * as if the crash had come a moment earlier. An existing file (a retried start, a sandbox made again) is replaced
 * atomically. Owner-only, as writeFileAtomicSync.
 */
function writeNewFileSync(path: string, data: string): void {
  try {
    writeFileSync(path, data, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    writeFileAtomicSync(path, data);
  }
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

/** What to spawn for an exec: the command itself, or podflow-shim --enter in front of it. */
export interface ExecSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Runs a command with the container's env and working directory; a timeout kills its process group. */
function runExec(spec: ExecSpec, timeoutMs: number): Promise<ExecResult> {
  const { file, args, env, cwd } = spec;
  if (file === '') {
    return Promise.resolve({ exitCode: 126, stdout: '', stderr: 'exec: no command given', timedOut: false });
  }
  return new Promise<ExecResult>((resolve) => {
    const child = spawn(file, args, {
      cwd,
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
