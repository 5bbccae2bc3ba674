// Fakes of the engine's ports, for engine tests that run in milliseconds: each one records what it was asked to
// do and does nothing else. Observations (a container started, exited) never arrive on their own: a test delivers
// them through the engine (`engine.onObservation`), so it decides exactly what the runtime "saw" and when.
// `createFakeEngineDeps` puts them together with the memory store and a manual clock into EngineDeps.
import { MemoryConfigSource } from '../../src/adapters/memory/memory-config-source.ts';
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.ts';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
import { MemoryRevision } from '../../src/adapters/memory/memory-revision.ts';
import type { FieldError } from '../../src/core/field-errors.ts';
import type { PodState } from '../../src/core/pod-state.ts';
import type { ProbeType } from '../../src/core/probe-results.ts';
import {
  DEFAULT_WORKER_SETTINGS,
  type EngineDeps,
  type WorkerSettings,
} from '../../src/engine/engine-deps.ts';
import { ObjectStoreConfigSource } from '../../src/engine/object-config-source.ts';
import { ObservablePodStore } from '../../src/engine/observable-pod-store.ts';
import type {
  ContainerInstanceRef,
  ContainerLaunch,
  ContainerObservation,
  ContainerRuntime,
  ExecResult,
  PodSandboxConfig,
  SandboxRef,
} from '../../src/ports/container-runtime.ts';
import type { HookRequest, HookRunner } from '../../src/ports/hook-runner.ts';
import { podKeyString, type PodKey } from '../../src/ports/pod-key.ts';
import type { PodStore, StoredPod } from '../../src/ports/pod-store.ts';
import type { Prober } from '../../src/ports/prober.ts';
import type { WakeupScheduler } from '../../src/ports/wakeup-scheduler.ts';
import type { WorkerInput, WorkflowClient } from '../../src/ports/workflow-client.ts';
import { ManualClock } from './manual-clock.ts';

/** The pod IP the fake runtime hands out for every sandbox. */
export const FAKE_POD_IP = '10.1.2.3';

type RuntimeMethod = 'createSandbox' | 'removeSandbox' | 'start' | 'stop' | 'exec';

/** A ContainerRuntime that records sandboxes, launches, stops and execs; `failWith` makes a method throw. */
export class FakeContainerRuntime implements ContainerRuntime {
  readonly sandboxes: SandboxRef[] = [];
  /** The config each createSandbox call was given, in call order. */
  readonly sandboxConfigs: Array<PodSandboxConfig | undefined> = [];
  readonly removedSandboxes: SandboxRef[] = [];
  /** What admitSandbox answers (field errors refuse the pod). */
  admitErrors: FieldError[] = [];
  readonly starts: ContainerLaunch[] = [];
  readonly stops: Array<{ ref: ContainerInstanceRef; graceSeconds: number }> = [];
  readonly execs: Array<{ ref: ContainerInstanceRef; argv: string[]; timeoutMs: number }> = [];
  /** What `exec` answers (exec hooks). */
  execResult: ExecResult = { exitCode: 0, stdout: '', stderr: '', timedOut: false };
  private readonly failures = new Map<RuntimeMethod, Error>();

  /** Makes every later call of `method` throw `error` (until `failWith(method, undefined)`). */
  failWith(method: RuntimeMethod, error: Error | undefined): void {
    if (error) this.failures.set(method, error);
    else this.failures.delete(method);
  }

  private check(method: RuntimeMethod): void {
    const error = this.failures.get(method);
    if (error) throw error;
  }

  /** `container#instance` of every start, in order: easy to compare. */
  startedInstances(): string[] {
    return this.starts.map((l) => `${l.container}#${l.instance}`);
  }

  /** `container#instance grace=N` of every stop, in order. */
  stoppedInstances(): string[] {
    return this.stops.map((s) => `${s.ref.container}#${s.ref.instance} grace=${s.graceSeconds}`);
  }

  async createSandbox(sandbox: SandboxRef, config?: PodSandboxConfig): Promise<{ podIP: string }> {
    await Promise.resolve();
    this.check('createSandbox');
    this.sandboxes.push(sandbox);
    this.sandboxConfigs.push(config);
    return { podIP: FAKE_POD_IP };
  }

  /** Sandboxes created and not removed since. */
  async listSandboxes(): Promise<SandboxRef[]> {
    await Promise.resolve();
    const removed = new Set(this.removedSandboxes.map((s) => s.uid));
    const seen = new Set<string>();
    return this.sandboxes.filter((s) => !removed.has(s.uid) && !seen.has(s.uid) && seen.add(s.uid));
  }

  async admitSandbox(_sandbox: SandboxRef, _config: PodSandboxConfig): Promise<FieldError[]> {
    await Promise.resolve();
    return this.admitErrors;
  }

  async removeSandbox(sandbox: SandboxRef): Promise<void> {
    await Promise.resolve();
    this.check('removeSandbox');
    this.removedSandboxes.push(sandbox);
  }

  async start(launch: ContainerLaunch): Promise<void> {
    await Promise.resolve();
    this.check('start');
    this.starts.push(launch);
  }

  async stop(ref: ContainerInstanceRef, graceSeconds: number): Promise<void> {
    await Promise.resolve();
    this.check('stop');
    this.stops.push({ ref, graceSeconds });
  }

  async exec(ref: ContainerInstanceRef, argv: string[], timeoutMs: number): Promise<ExecResult> {
    await Promise.resolve();
    this.check('exec');
    this.execs.push({ ref, argv, timeoutMs });
    return this.execResult;
  }

  logs(): Promise<string[]> {
    return Promise.resolve([]);
  }

  observe(_listener: (observation: ContainerObservation) => void): () => void {
    return () => undefined;
  }

  recover(): Promise<ContainerInstanceRef[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A WakeupScheduler that records every schedule and cancel and keeps the set of pending timers. */
export class FakeWakeupScheduler implements WakeupScheduler {
  readonly calls: Array<
    | { op: 'schedule'; key: PodKey; timerId: string; at: number }
    | { op: 'cancel'; key: PodKey; timerId: string }
  > = [];
  /** Pending timers by `namespace/name timerId`. */
  readonly pending = new Map<string, { key: PodKey; timerId: string; at: number }>();

  async scheduleAt(key: PodKey, timerId: string, at: number): Promise<void> {
    await Promise.resolve();
    this.calls.push({ op: 'schedule', key, timerId, at });
    this.pending.set(`${podKeyString(key)} ${timerId}`, { key, timerId, at });
  }

  async cancel(key: PodKey, timerId: string): Promise<void> {
    await Promise.resolve();
    this.calls.push({ op: 'cancel', key, timerId });
    this.pending.delete(`${podKeyString(key)} ${timerId}`);
  }

  /** The pending timer of a pod with this id, if any. */
  timer(key: PodKey, timerId: string): { key: PodKey; timerId: string; at: number } | undefined {
    return this.pending.get(`${podKeyString(key)} ${timerId}`);
  }

  /** Takes a pending timer out (it is firing). */
  take(key: PodKey, timerId: string): { key: PodKey; timerId: string; at: number } | undefined {
    const t = this.timer(key, timerId);
    this.pending.delete(`${podKeyString(key)} ${timerId}`);
    return t;
  }
}

/** A WorkflowClient that records started executions and completed task tokens. */
export class FakeWorkflowClient implements WorkflowClient {
  readonly executions: Array<{ name: string; input: WorkerInput }> = [];
  readonly taskSuccesses: string[] = [];

  async startExecution(name: string, input: WorkerInput): Promise<void> {
    await Promise.resolve();
    this.executions.push({ name, input });
  }

  async sendTaskSuccess(token: string): Promise<void> {
    await Promise.resolve();
    this.taskSuccesses.push(token);
  }
}

/** A Prober that records probe starts and stops (`container#instance` plus the probe types). */
export class FakeProber implements Prober {
  readonly starts: Array<{ ref: ContainerInstanceRef; probes: ProbeType[] }> = [];
  readonly stops: Array<{ ref: ContainerInstanceRef; probes: ProbeType[] }> = [];

  async start(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    await Promise.resolve();
    this.starts.push({ ref, probes: [...probes] });
  }

  async stop(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    await Promise.resolve();
    this.stops.push({ ref, probes: [...probes] });
  }
}

/** A HookRunner that records the hooks it was asked to run; their outcome is the test's to deliver. */
export class FakeHookRunner implements HookRunner {
  readonly runs: HookRequest[] = [];

  async run(request: HookRequest): Promise<void> {
    await Promise.resolve();
    this.runs.push(request);
  }

  /** `hook container#instance timeout=N` (no timeout: just `hook container#instance`) of every run, in order. */
  described(): string[] {
    return this.runs.map(
      (r) =>
        `${r.hook} ${r.ref.container}#${r.ref.instance}${r.timeoutSeconds !== undefined ? ` timeout=${r.timeoutSeconds}` : ''}`,
    );
  }
}

/** What an InterceptingPodStore runs before a write; throwing fails the write. */
export interface PodStoreInterceptors {
  beforeUpdate?: (key: PodKey, state: PodState) => void;
  beforeRemove?: (key: PodKey) => void;
}

/**
 * A PodStore whose conditional writes and removals can be made to fail: `beforeUpdate` throwing a ConflictError
 * stands for a concurrent writer that got there first, `beforeRemove` throwing for a store that is unavailable.
 * Everything else goes to the wrapped store.
 */
export class InterceptingPodStore extends ObservablePodStore {
  private readonly interceptors: PodStoreInterceptors;

  constructor(inner: PodStore, interceptors: PodStoreInterceptors) {
    super(inner);
    this.interceptors = interceptors;
  }

  override async update(
    key: PodKey,
    expectedResourceVersion: string,
    state: PodState,
    consumedEventIds?: readonly string[],
  ): Promise<StoredPod> {
    this.interceptors.beforeUpdate?.(key, state);
    return super.update(key, expectedResourceVersion, state, consumedEventIds);
  }

  override async remove(
    key: PodKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    this.interceptors.beforeRemove?.(key);
    return super.remove(key, expectedResourceVersion);
  }
}

export interface FakeEngineDeps {
  deps: EngineDeps;
  clock: ManualClock;
  store: MemoryPodStore;
  /** ConfigMaps, Secrets and Namespaces, on the store's resourceVersion sequence. */
  objects: MemoryObjectStore;
  configs: MemoryConfigSource;
  runtime: FakeContainerRuntime;
  scheduler: FakeWakeupScheduler;
  workflow: FakeWorkflowClient;
  prober: FakeProber;
  hooks: FakeHookRunner;
  /** What reached `onError`. */
  errors: Array<{ err: unknown; context: string }>;
}

export interface FakeEngineOptions {
  clock?: ManualClock;
  settings?: Partial<WorkerSettings>;
  /** Wraps the memory store (e.g. to inject conflicts); the wrapper becomes `deps.store`. */
  wrapStore?: (store: MemoryPodStore) => PodStore;
  /** Where containers' ConfigMaps and Secrets come from: `configs` (default, set by hand) or the object store. */
  configSource?: 'memory' | 'objects';
}

/** EngineDeps on the memory store, the fakes above and a manual clock; failures are collected in `errors`. */
export function createFakeEngineDeps(options: FakeEngineOptions = {}): FakeEngineDeps {
  const clock = options.clock ?? new ManualClock();
  const revision = new MemoryRevision();
  const store = new MemoryPodStore({ clock, revision });
  const objects = new MemoryObjectStore({ revision });
  const runtime = new FakeContainerRuntime();
  const scheduler = new FakeWakeupScheduler();
  const workflow = new FakeWorkflowClient();
  const prober = new FakeProber();
  const hooks = new FakeHookRunner();
  const errors: FakeEngineDeps['errors'] = [];
  const configs = new MemoryConfigSource();
  const deps: EngineDeps = {
    store: options.wrapStore ? options.wrapStore(store) : store,
    objects,
    configs: options.configSource === 'objects' ? new ObjectStoreConfigSource(objects) : configs,
    runtime,
    scheduler,
    workflow,
    prober,
    hooks,
    clock,
    settings: { ...DEFAULT_WORKER_SETTINGS, ...options.settings },
    onError: (err, context) => errors.push({ err, context }),
  };
  return { deps, clock, store, objects, configs, runtime, scheduler, workflow, prober, hooks, errors };
}
