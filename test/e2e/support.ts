// End-to-end harness: the whole local engine (startLocalEngine — committed ASL run by aws-local-stepfunctions,
// the local store, durable local timers, the process runtime with its C shim) on a temporary data directory. Pods go in
// through admitManifests (the API server's defaulting) and engine.createPod; everything is observed through
// `store.subscribe`, so a test waits for what the engine commits — never for a fixed time — and measures timings
// from the engine's own records (`state.engine.containers[name]` keeps ms `startedAt` / `finishedAt` as the shim
// stamped them).
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import { readShimState } from '../../src/adapters/process/shim-state.ts';
import { parseDuration } from '../../src/core/duration.ts';
import { admitManifests } from '../../src/core/manifest/index.ts';
import type { PodState, TerminatedState } from '../../src/core/pod-state.ts';
import type { WorkerSettings } from '../../src/engine/engine-deps.ts';
import type { StoreChange } from '../../src/engine/observable-pod-store.ts';
import type { StepInput } from '../../src/engine/pod-worker.ts';
import type { PodNetworkOptions } from '../../src/adapters/process/pod-network.ts';
import { startLocalEngine, type LocalEngine, type LocalEngineOptions } from '../../src/local/local-engine.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import type { ConfigSource } from '../../src/ports/config-source.ts';
import type { PodStore, StoredEvent } from '../../src/ports/pod-store.ts';

/** The kubelet's curve scaled down 50× (10s → 200ms, cap 300s → 1.6s, reset 600s → 3.2s). */
export const SCALED_BACKOFF = { initialMs: 200, maxMs: 1600, resetMs: 3200 };

/**
 * One restart: instance `instance - 1` exited, instance `instance` started. Every figure comes from what the engine
 * and the shim recorded, never from when the test happened to look: the back-off the engine decided, and real-time
 * stamps whose order (not their distance, which only measures how busy the machine is) is checked. How fast a
 * restart follows its due instant is a benchmark figure (bench/), not a test bound.
 */
export interface RestartDelay {
  instance: number;
  /** The back-off the engine decided for this restart (its CrashLoopBackOff message; 0: immediate). */
  backoffMs: number;
  /** Exit → the instant the engine's back-off timer was due (0 for an immediate restart: no timer). */
  scheduledMs: number;
  /** Exit → the engine decided the start (the reconcile's clock). */
  decidedMs: number;
  /** Exit → the new process was exec'd (the shim's clock). */
  execMs: number;
}

/** The restarts of a container, from the engine's records (ms stamps of the shim and of the reconcile). */
export function restartDelays(runs: InstanceTimes[]): RestartDelay[] {
  const delays: RestartDelay[] = [];
  for (let i = 1; i < runs.length; i++) {
    const prev = runs[i - 1]!;
    const next = runs[i]!;
    if (prev.finishedAt === undefined || next.startedAt === undefined || next.requestedAt === undefined)
      break;
    delays.push({
      instance: next.instance,
      backoffMs: next.backoffMs ?? 0,
      scheduledMs: next.dueAt === undefined ? 0 : next.dueAt - prev.finishedAt,
      decidedMs: next.requestedAt - prev.finishedAt,
      execMs: next.startedAt - prev.finishedAt,
    });
  }
  return delays;
}

/**
 * Checks a container's restarts against the nominal back-off delays (0 = immediate):
 *  - the back-off the engine decided is exactly the nominal delay;
 *  - nothing happened early: the timer was due no sooner than exit + back-off, the start was decided no sooner than
 *    the timer was due, and the process exec'd after the decision (the clocks are the same real-time clock, read a
 *    millisecond apart at worst).
 * Returns the violations, each with the whole table of measurements.
 */
export function backoffViolations(measured: RestartDelay[], nominalMs: number[]): string[] {
  const table = measured
    .map(
      (d, i) =>
        `#${d.instance}: back-off ${d.backoffMs} ms, due ${d.scheduledMs} ms, decided ${d.decidedMs} ms, exec ${d.execMs} ms (nominal ${nominalMs[i]})`,
    )
    .join('; ');
  const problems: string[] = [];
  if (measured.length < nominalMs.length)
    problems.push(`only ${measured.length} restarts measured, expected ${nominalMs.length}`);
  nominalMs.forEach((nominal, i) => {
    const d = measured[i];
    if (!d) return;
    const at = `restart #${d.instance}`;
    if (d.backoffMs !== nominal) problems.push(`${at}: back-off ${d.backoffMs} ms, nominal ${nominal}`);
    if (d.scheduledMs < nominal - 1)
      problems.push(`${at}: due after ${d.scheduledMs} ms, before its back-off`);
    if (d.decidedMs < d.scheduledMs - 1) problems.push(`${at}: decided early, after ${d.decidedMs} ms`);
    if (d.execMs < d.decidedMs - 1) problems.push(`${at}: exec'd before it was decided`);
  });
  return problems.map((p) => `${p} [${table}]`);
}

export const NAMESPACE = 'default';
export const keyOf = (name: string, namespace = NAMESPACE): PodKey => ({ namespace, name });

/** One committed change, stamped with when the test saw it. */
export interface Recorded {
  seenAt: number;
  change: StoreChange;
}

/** What the engine recorded about one container instance, from every snapshot it committed. */
export interface InstanceTimes {
  instance: number;
  /** When the back-off timer that started it was due (restarts after a back-off only). */
  dueAt?: number;
  /** The back-off the engine decided before it (its CrashLoopBackOff message), restarts after a back-off only. */
  backoffMs?: number;
  /** When the engine decided to start it (the reconcile's `now` of the `starting` state it committed). */
  requestedAt?: number;
  /** When its process was exec'd (the shim's stamp). */
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
}

export interface E2eOptions {
  /** Keep the store in memory (default). Restart tests need it on disk: pass false and a dataDir. */
  inMemory?: boolean;
  dataDir?: string;
  /** The local store (default: the engine's, sqlite) and, for dynamodb, an endpoint instead of dynalite. */
  store?: LocalEngineOptions['store'];
  dynamodbEndpoint?: string;
  settings?: Partial<WorkerSettings>;
  decorateStore?: (store: PodStore) => PodStore;
  podNetwork?: PodNetworkOptions;
  /** Where the engine's startup warnings go (default: kept in `warnings`). */
  onWarning?: (line: string) => void;
  configs?: ConfigSource;
}

/** A running local engine plus everything it committed. */
export class E2eEngine {
  readonly local: LocalEngine;
  readonly dataDir: string;
  /** Scratch directory for the files container commands write (markers, timestamps). */
  readonly scratch: string;
  readonly recorded: Recorded[] = [];
  readonly errors: Array<{ err: unknown; context: string }>;
  /** What the engine warned about at startup (the host network fallback). */
  readonly warnings: string[] = [];
  /** Every lifecycle step the state machine invoked (Task states), in call order. */
  readonly steps: Array<{ seenAt: number; input: StepInput }> = [];
  /** Every stop the engine asked of the runtime, with the SIGTERM→SIGKILL window it decided. */
  readonly stops: Array<{ pod: string; container: string; instance: number; graceSeconds: number }> = [];
  /** Lifecycle steps running right now (an await step counts until its wait is registered). */
  stepsInFlight = 0;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  private constructor(local: LocalEngine, dataDir: string, scratch: string, errors: E2eEngine['errors']) {
    this.local = local;
    this.errors = errors;
    this.dataDir = dataDir;
    this.scratch = scratch;
  }

  static async start(options: E2eOptions = {}): Promise<E2eEngine> {
    const root = await mkdtemp(join(tmpdir(), 'podflow-e2e-'));
    const dataDir = options.dataDir ?? join(root, 'data');
    const errors: E2eEngine['errors'] = [];
    const warnings: string[] = [];
    const local = await startLocalEngine({
      dataDir,
      inMemory: options.inMemory ?? true,
      ...(options.store && { store: options.store }),
      ...(options.dynamodbEndpoint && { dynamodbEndpoint: options.dynamodbEndpoint }),
      settings: { backoff: SCALED_BACKOFF, ...options.settings },
      onError: (err, context) => errors.push({ err, context }),
      onWarning: options.onWarning ?? ((line) => warnings.push(line)),
      ...(options.decorateStore ? { decorateStore: options.decorateStore } : {}),
      ...(options.podNetwork ? { podNetwork: options.podNetwork } : {}),
      ...(options.configs ? { configs: options.configs } : {}),
    });
    const e = new E2eEngine(local, dataDir, root, errors);
    e.warnings.push(...warnings);
    local.store.subscribe((change) => {
      e.recorded.push({ seenAt: Date.now(), change });
      for (const l of [...e.listeners]) l();
    });
    // The workflow client looks the step handler up on the engine object at every Task: wrap it to see which
    // state each worker is in (an `await` step with waitFor `event` is SuperviseAwait).
    const stop = local.runtime.stop.bind(local.runtime);
    local.runtime.stop = (ref, graceSeconds) => {
      e.stops.push({ pod: ref.key.name, container: ref.container, instance: ref.instance, graceSeconds });
      return stop(ref, graceSeconds);
    };
    const step = local.engine.step;
    local.engine.step = async (input: StepInput) => {
      e.steps.push({ seenAt: Date.now(), input });
      e.stepsInFlight++;
      for (const l of [...e.listeners]) l();
      try {
        return await step(input);
      } finally {
        e.stepsInFlight--;
      }
    };
    return e;
  }

  // ── creating and deleting ──────────────────────────────────────────────────────────────────────────────

  /** Admits a manifest (YAML/JSON text or an object) with the API server's defaulting and creates the pod. */
  async create(manifest: string | object, source = 'e2e.yaml'): Promise<Pod> {
    const pod = admitPod(manifest, source);
    await this.local.engine.createPod(pod);
    return pod;
  }

  async delete(name: string, gracePeriodSeconds?: number): Promise<void> {
    await this.local.engine.deletePod(keyOf(name), gracePeriodSeconds);
  }

  // ── what was committed ─────────────────────────────────────────────────────────────────────────────────

  /** Every committed state of a pod (created and updated), in commit order. */
  history(name: string, namespace = NAMESPACE): PodState[] {
    return this.snapshots(name, namespace).map((s) => s.state);
  }

  snapshots(name: string, namespace = NAMESPACE): Array<{ seenAt: number; state: PodState; rv: string }> {
    const out: Array<{ seenAt: number; state: PodState; rv: string }> = [];
    for (const { seenAt, change } of this.recorded) {
      if (change.type !== 'created' && change.type !== 'updated') continue;
      if (change.pod.key.name !== name || change.pod.key.namespace !== namespace) continue;
      out.push({ seenAt, state: change.pod.state, rv: change.pod.resourceVersion });
    }
    return out;
  }

  last(name: string): PodState | undefined {
    return this.history(name).at(-1);
  }

  removed(name: string, namespace = NAMESPACE): boolean {
    return this.recorded.some(
      ({ change }) =>
        change.type === 'removed' && change.key.name === name && change.key.namespace === namespace,
    );
  }

  /** The container's instances as the engine recorded them (ms times from the shim). */
  instances(podName: string, container: string): InstanceTimes[] {
    const byInstance = new Map<number, InstanceTimes>();
    const at = (n: number): InstanceTimes => {
      let t = byInstance.get(n);
      if (!t) byInstance.set(n, (t = { instance: n }));
      return t;
    };
    const terminated = (t: TerminatedState, fallback: number) => {
      const rec = at(t.instance ?? fallback);
      if (t.startedAt !== undefined) rec.startedAt = t.startedAt;
      rec.finishedAt = t.finishedAt;
      rec.exitCode = t.exitCode;
      rec.reason = t.reason;
    };
    for (const state of this.history(podName)) {
      const rec = state.engine.containers[container];
      if (!rec) continue;
      if (rec.last) terminated(rec.last, rec.instance - 1);
      if (rec.restartTimer) at(rec.instance + 1).dueAt = rec.restartTimer.at;
      const backoff = rec.state.type === 'waiting' ? /^back-off (\S+) /.exec(rec.state.message ?? '') : null;
      if (backoff) at(rec.instance + 1).backoffMs = parseDuration(backoff[1]!);
      if (rec.state.type === 'starting') at(rec.instance).requestedAt = rec.state.requestedAt;
      if (rec.state.type === 'running') at(rec.instance).startedAt = rec.state.startedAt;
      if (rec.state.type === 'terminated') terminated(rec.state, rec.instance);
    }
    // An instance whose back-off is still pending has only `dueAt`: it does not exist yet.
    return [...byInstance.values()]
      .filter((t) => t.requestedAt !== undefined || t.startedAt !== undefined || t.finishedAt !== undefined)
      .sort((a, b) => a.instance - b.instance);
  }

  /** Events recorded so far about a pod, in the order they were written (no store read needed). */
  recordedEvents(name: string): Array<{ reason: string; type: string; message: string; fieldPath?: string }> {
    const out: Array<{ reason: string; type: string; message: string; fieldPath?: string }> = [];
    for (const { change } of this.recorded) {
      if (change.type !== 'event' || change.event.involvedObject.name !== name) continue;
      const { reason, type, message } = change.event;
      const fieldPath = change.event.involvedObject.fieldPath;
      out.push({ reason, type, message, ...(fieldPath ? { fieldPath } : {}) });
    }
    return out;
  }

  /** Waits until an Event with `reason` about the pod was recorded (events are written after the state commit). */
  waitForEvent(name: string, reason: string, timeoutMs = 10_000): Promise<true> {
    return this.waitFor(
      `event ${reason} about ${name}`,
      () => this.recordedEvents(name).some((ev) => ev.reason === reason),
      timeoutMs,
      () =>
        this.recordedEvents(name)
          .map((ev) => ev.reason)
          .join(', '),
    );
  }

  /** Kubernetes Events about a pod, oldest first. */
  events(name: string): Promise<StoredEvent[]> {
    return this.local.store.listEvents(NAMESPACE, name);
  }

  /** The lifecycle steps of one pod's workers. */
  stepsOf(name: string): StepInput[] {
    return this.steps.filter((s) => s.input.pod.name === name).map((s) => s.input);
  }

  // ── waiting ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Resolves with `check()`'s first defined result, re-evaluated after every committed change and every lifecycle
   * step (and once now).
   * Rejects after `timeoutMs`, saying what it waited for and what the pod looked like.
   */
  waitFor<T>(
    description: string,
    check: () => T | undefined | false,
    timeoutMs = 10_000,
    describeState?: () => string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const evaluate = (): boolean => {
        let value: T | undefined | false;
        try {
          value = check();
        } catch (err) {
          finish();
          reject(err as Error);
          return true;
        }
        if (value === undefined || value === false) return false;
        finish();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        const errors = this.errors.map((e) => `${e.context}: ${String(e.err)}`).join('\n  ');
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${description}` +
              (describeState ? `\n  state: ${describeState()}` : '') +
              (errors ? `\n  engine errors:\n  ${errors}` : ''),
          ),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = () => void evaluate();
      if (!evaluate()) this.listeners.add(listener);
    });
  }

  /** Waits until the pod's latest committed state satisfies `predicate`; resolves with that state. */
  waitForPod(
    name: string,
    description: string,
    predicate: (state: PodState) => boolean,
    timeoutMs = 10_000,
  ): Promise<PodState> {
    return this.waitFor(
      `pod ${name}: ${description}`,
      () => {
        const s = this.last(name);
        return s && predicate(s) ? s : undefined;
      },
      timeoutMs,
      () => summarize(this.last(name)),
    );
  }

  waitForPhase(name: string, phase: string, timeoutMs = 10_000): Promise<PodState> {
    return this.waitForPod(name, `phase ${phase}`, (s) => s.pod.status?.phase === phase, timeoutMs);
  }

  /** Waits until the object is removed from the store. */
  waitForRemoval(name: string, timeoutMs = 10_000): Promise<true> {
    return this.waitFor(
      `pod ${name} removed`,
      () => this.removed(name),
      timeoutMs,
      () => summarize(this.last(name)),
    );
  }

  // ── teardown ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stops the engine as a crash would leave things: pods, timers and containers stay as they are (the data
   * directory is kept for the next engine; kill what runs with killLeftovers).
   */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.settleSteps();
    await this.local.close();
  }

  /**
   * Waits (briefly) until no lifecycle step is in flight: closing the engine while an await step registers its
   * wait raises an unhandled rejection (see shutdown.test.ts), which would fail the test run rather than a test.
   */
  private async settleSteps(): Promise<void> {
    for (let i = 0; i < 250 && this.stepsInFlight > 0; i++) await sleep(20);
  }

  /**
   * Deletes every pod left (grace 0) and waits until they are gone, stops the engine, kills whatever container
   * still runs under this data directory (a test that failed half-way) and removes the scratch directory (which
   * holds the data directory unless the caller passed its own).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const { items } = await this.local.store.list();
      await Promise.all(items.map((p) => this.local.engine.deletePod(p.key, 0).catch(() => undefined)));
      await Promise.all(items.map((p) => this.waitForRemoval(p.key.name, 10_000).catch(() => undefined)));
      // LocalEngine.close() does not wait for worker steps still in flight (see shutdown.test.ts): let the workers
      // finish (Finalize) before the database goes away. Teardown only, so a short poll is fine here.
      for (let i = 0; i < 250 && this.local.workflow.executions.length > 0; i++) await sleep(20);
      await this.settleSteps();
    } finally {
      await this.local.close();
      await killLeftovers(this.dataDir);
      await rm(this.scratch, { recursive: true, force: true });
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Admits one pod manifest (text or object) with defaulting and validation; throws on errors. */
export function admitPod(manifest: string | object, source = 'e2e.yaml'): Pod {
  const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  const result = admitManifests(text, source, { now: Date.now(), newUid: () => randomUUID() });
  if (result.errors.length > 0) throw new Error(`manifest rejected:\n${result.errors.join('\n')}`);
  const pods = result.objects.filter((o) => o.kind === 'Pod');
  if (pods.length !== 1) throw new Error(`expected one Pod in ${source}, got ${result.objects.length}`);
  return pods[0]!.object as Pod;
}

export const readExample = (path: string): string =>
  readFileSync(new URL(`../../examples/${path}`, import.meta.url), 'utf8');

/** A pod manifest object with sensible e2e defaults: short grace, `default` namespace. */
export function podManifest(
  name: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...metadata },
    spec: { terminationGracePeriodSeconds: 2, ...spec },
  };
}

/** A container running `sh -c script` (image is informational for the process runtime). */
export function sh(name: string, script: string, extra: Record<string, unknown> = {}): object {
  return { name, image: 'busybox:1.28', command: ['sh', '-c', script], ...extra };
}

/**
 * The shell's `$$` written in a container command: Kubernetes expands `$$` in command/args to `$`
 * (docs/semantics.md §9), so the manifest needs `$$$$`.
 */
export const SHELL_PID = '$$$$';

/**
 * A shell fragment that counts attempts in `file` (leaving the count in $n) and appends the shell's pid to
 * `file.pids`, one line per process that ever ran the command.
 */
export const countAttempt = (file: string): string =>
  `echo ${SHELL_PID} >> '${file}.pids'; n=$(cat '${file}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${file}';`;

/** `date +%s%3N`: epoch ms from a shell (GNU coreutils). */
export const NOW_MS = '$(date +%s%3N)';

export const condition = (state: PodState | undefined, type: string): PodCondition | undefined =>
  state?.pod.status?.conditions?.find((c) => c.type === type);

export const containerStatus = (state: PodState | undefined, name: string) =>
  [...(state?.pod.status?.initContainerStatuses ?? []), ...(state?.pod.status?.containerStatuses ?? [])].find(
    (c) => c.name === name,
  );

export const restartCount = (state: PodState | undefined, name: string): number =>
  containerStatus(state, name)?.restartCount ?? 0;

/** RFC3339 (second precision) → epoch ms. */
export const rfc3339Ms = (t: string | undefined): number => (t ? Date.parse(t) : NaN);

/** A port nothing listens on right now (bind 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Lines of a file a container wrote ([] if it does not exist). */
export function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Resolves once the lines of the file at `path` satisfy `done` (polled: a container's file changes no store state).
 * `what` names the wait in the timeout error.
 */
export async function waitForLines(
  path: string,
  what: string,
  done: (lines: string[]) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(readLines(path))) {
    if (Date.now() > deadline) throw new Error(`no ${what} in ${path} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Resolves once the file at `path` has the line `line`. For a script that says it is ready — e.g. after installing a
 * SIGTERM trap, which a signal sent before it would miss.
 */
export const waitForLine = (path: string, line: string, timeoutMs = 10_000): Promise<void> =>
  waitForLines(path, `line ${JSON.stringify(line)}`, (lines) => lines.includes(line), timeoutMs);

/** One line per container, for timeout messages. */
export function summarize(state: PodState | undefined): string {
  if (!state) return '(no state committed)';
  const containers = Object.values(state.engine.containers).map((r) => {
    const s = r.state;
    const detail =
      s.type === 'waiting'
        ? s.reason
        : s.type === 'terminated'
          ? `${s.reason}/${s.exitCode}`
          : s.type === 'running'
            ? `postStartDone=${s.postStartDone}`
            : '';
    return `${r.name}#${r.instance}:${s.type}(${detail})${r.restartTimer ? ' timer' : ''}`;
  });
  return `stage=${state.engine.stage} phase=${state.pod.status?.phase} ${containers.join(' ')}`;
}

/** Calls `onLine` with each complete line of `stream` as it arrives (a child engine's stdout). */
export function onLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = '';
  stream.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onLine(line);
    }
  });
}

/**
 * A scratch directory for engines a test kills and starts again: its data directory is `<root>/data`; `cleanup`
 * ends what those engines left running (killLeftovers) and removes the directory.
 */
export async function engineScratch(
  prefix: string,
): Promise<{ root: string; dataDir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const dataDir = join(root, 'data');
  return {
    root,
    dataDir,
    async cleanup() {
      await killLeftovers(dataDir);
      await rm(root, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** Kills the process group of every container instance still running under `dataDir` (failed tests only). */
export async function killLeftovers(dataDir: string): Promise<void> {
  const pods = join(dataDir, 'pods');
  for (const uid of await readdir(pods).catch(() => [] as string[])) {
    // The pod's pause process (its sandbox): its namespaces and veth go with it.
    const pause = await readShimState(join(pods, uid, '_sandbox')).catch(() => undefined);
    if (pause?.phase === 'running' && pause.shimPid) {
      try {
        process.kill(pause.shimPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const container of await readdir(join(pods, uid)).catch(() => [] as string[])) {
      for (const n of await readdir(join(pods, uid, container)).catch(() => [] as string[])) {
        const state = await readShimState(join(pods, uid, container, n)).catch(() => undefined);
        if (state?.phase !== 'running' || !state.pid) continue;
        for (const target of [-state.pid, state.shimPid ?? 0]) {
          if (!target) continue;
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
  }
}
