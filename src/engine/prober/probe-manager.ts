// The probe manager (docs/architecture.md §5, docs/decisions/0003-probes.md): runs the startup/readiness/liveness
// workers of many pods outside the state machine and tells a pod's inbox only when a published result changes, so a
// pod whose probes keep giving the same answer costs no state transitions and no store writes.
//
// One worker per container instance × probe type, like pkg/kubelet/prober/prober_manager.go + worker.go:
//  - started by the engine's `startProbes` action (container running, postStart done), stopped by `stopProbes`
//    (the instance exited; liveness/startup when the pod is deleted — readiness keeps probing while it drains);
//  - first probe as soon as initialDelaySeconds (counted from the instance's startedAt) are over — with a random
//    offset inside the first period only when the prober itself just started (core firstProbeDue) — then every
//    periodSeconds at a fixed rate (a tick missed while busy is dropped, like a Go ticker); a startup success
//    triggers the readiness probe at once (core probesTriggeredBy);
//  - timeoutSeconds is each handler's to enforce; a prober error is retried up to 3 times (prober.go
//    maxProbeRetries) and then thrown away, not counted;
//  - counting, initial values, holds and gates are the core's (core/probe-results.ts) — not re-implemented here;
//  - the startup worker publishes `started`, which gates the instance's readiness and liveness workers;
//  - events go straight to the store: `Unhealthy` for every failed or errored attempt, `ProbeWarning` for a
//    success with a warning (prober.go probe). Successes write nothing.
// Worker state lives in memory only. A manager that starts over (engine restart, cloud hand-over) seeds each
// worker from the result the pod already holds for that instance, so it does not re-announce known results —
// upstream does the same on a kubelet restart (worker.go: no reset to the initial value for a running container).
import type { Container, Probe } from 'kubernetes-types/core/v1';
import { isStarted } from '../../core/container-status.ts';
import type { PodEvent } from '../../core/pod-events.ts';
import { PROBE_DEFAULTS } from '../../core/manifest/default-pod.ts';
import { findEntry, probeOf } from '../../core/pod-spec.ts';
import {
  firstProbeDue,
  newProbeWorkerState,
  probePeriodSeconds,
  probesTriggeredBy,
  recordProbeOutcome,
  shouldProbe,
  type ProbeType,
  type ProbeWorkerState,
  type RawProbeResult,
} from '../../core/probe-results.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { ContainerInstanceRef } from '../../ports/container-runtime.ts';
import { recordEventWithRetry } from '../record-event.ts';
import type { PodKey } from '../../ports/pod-key.ts';
import type { PodStore, StoredPod } from '../../ports/pod-store.ts';
import type { Prober } from '../../ports/prober.ts';
import {
  runProbeHandler,
  type ProbeAttempt,
  type ProbeHandlers,
  type ProbeTarget,
} from '../../ports/probe-handler.ts';

/** pkg/kubelet/prober/prober.go maxProbeRetries: an attempt that errors is run again, up to this many times. */
export const MAX_PROBE_RETRIES = 3;

/** The timer primitives the workers arm (Node's by default; tests drive a manual clock). */
export interface ProbeTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const nodeProbeTimers: ProbeTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One period tick of a worker (instrumentation for tests and bench/probes.bench.ts). */
export interface ProbeTick {
  ref: ContainerInstanceRef;
  probe: ProbeType;
  /** The instant the tick was due (epoch ms). */
  dueAt: number;
  /** When its timer actually ran (epoch ms). */
  firedAt: number;
  /** Whether a probe ran (false: gated — initial delay, startup not passed, on hold, previous attempt running). */
  probed: boolean;
}

export interface ProbeManagerOptions {
  store: Pick<PodStore, 'get' | 'recordEvent'>;
  /** Appends an event to the pod's inbox (engine/deliver-event.ts). */
  deliver: (key: PodKey, event: PodEvent) => Promise<void>;
  handlers: ProbeHandlers;
  clock?: Clock;
  timers?: ProbeTimers;
  /** [0, 1): the first-period offset of each worker. */
  random?: () => number;
  /** The pod IP when the state has none (the process runtime shares the host network). */
  hostIP?: string;
  /** Event source host. */
  nodeName?: string;
  onError?: (err: unknown, context: string) => void;
  onTick?: (tick: ProbeTick) => void;
}

/** Why a start did not create workers (for the cloud shard loop, which then drops the registration). */
export type StartOutcome = 'started' | 'stale';

interface Instance {
  ref: ContainerInstanceRef;
  target: ProbeTarget;
  fieldPath: string;
  startedAt: number;
  /** containerStatuses[].started: the startup probe passed (or there is none). */
  started: boolean;
  /** metadata.deletionTimestamp was set when the workers started. */
  terminating: boolean;
}

interface Worker {
  id: string;
  ref: ContainerInstanceRef;
  type: ProbeType;
  instance?: Instance;
  probe?: Probe;
  state: ProbeWorkerState;
  periodMs: number;
  dueAt: number;
  /** startedAt + initialDelaySeconds: a timer that fires a little early (Node arms timers from the event loop's
   * cached time) waits for it instead of losing a whole period to the gate. */
  notBefore: number;
  timer?: unknown;
  inFlight: boolean;
  stopped: boolean;
}

const instanceId = (ref: ContainerInstanceRef): string => `${ref.podUid}/${ref.container}/${ref.instance}`;
const workerId = (ref: ContainerInstanceRef, type: ProbeType): string => `${instanceId(ref)}/${type}`;

/** probeType.String() in prober_manager.go. */
const PROBE_NAMES: Record<ProbeType, string> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};

export class ProbeManager implements Prober {
  /** Numbers the events this manager records (part of each occurrence id). */
  #eventSeq = 0;
  readonly #workers = new Map<string, Worker>();
  readonly #instances = new Map<string, Instance>();
  readonly #o: Required<Omit<ProbeManagerOptions, 'onTick' | 'onError'>> &
    Pick<ProbeManagerOptions, 'onTick' | 'onError'>;
  #closed = false;
  /** When this manager started: first probes are spread over a period only right after it (worker.go run). */
  readonly #startedAt: number;

  constructor(options: ProbeManagerOptions) {
    this.#o = {
      ...options,
      clock: options.clock ?? systemClock,
      timers: options.timers ?? nodeProbeTimers,
      random: options.random ?? Math.random,
      hostIP: options.hostIP ?? '127.0.0.1',
      nodeName: options.nodeName ?? 'podflow-local',
    };
    this.#startedAt = this.#o.clock.now();
  }

  async start(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    await this.startWorkers(ref, probes);
  }

  /**
   * Starts the missing workers of an instance. 'stale' when the pod no longer runs that instance (gone, another
   * uid, a later instance, or not running): nothing to probe, now or later.
   */
  async startWorkers(ref: ContainerInstanceRef, probes: readonly ProbeType[]): Promise<StartOutcome> {
    if (this.#closed) return 'started';
    const wanted = [...new Set(probes)].filter((t) => !this.#workers.has(workerId(ref, t)));
    if (wanted.length === 0) return 'started';
    this.#stopEarlierInstances(ref);
    // Placeholders first: a stop() that arrives while the pod is read cancels them.
    const pending = wanted.map((type) => {
      const w: Worker = {
        id: workerId(ref, type),
        ref,
        type,
        state: newProbeWorkerState(type),
        periodMs: 0,
        dueAt: 0,
        notBefore: 0,
        inFlight: false,
        stopped: false,
      };
      this.#workers.set(w.id, w);
      return w;
    });
    let stored: StoredPod | undefined;
    try {
      stored = await this.#o.store.get(ref.key);
    } catch (err) {
      for (const w of pending) this.#remove(w);
      throw err;
    }
    const fresh = this.#instanceFrom(stored, ref);
    if (!fresh) {
      for (const w of pending) this.#remove(w);
      return 'stale';
    }
    const id = instanceId(ref);
    const instance = this.#instances.get(id) ?? fresh.instance;
    instance.started ||= fresh.instance.started;
    this.#instances.set(id, instance);
    const now = this.#o.clock.now();
    for (const w of pending) {
      if (w.stopped) continue;
      const probe = probeOf(instance.target.container, w.type);
      if (!probe) {
        this.#remove(w);
        continue;
      }
      w.instance = instance;
      w.probe = probe;
      w.state = seededState(w.type, fresh.published[w.type]);
      w.periodMs = probePeriodSeconds(probe) * 1000;
      // A shard just handed over counts as a prober just started.
      const first = firstProbeDue({
        probe,
        nowMs: now,
        containerStartedAtMs: instance.startedAt,
        proberStartedAtMs: this.#startedAt,
        random: this.#o.random(),
      });
      w.notBefore = first.notBeforeMs;
      w.dueAt = first.dueAtMs;
      this.#arm(w);
    }
    this.#dropInstanceIfIdle(id);
    return 'started';
  }

  async stop(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    for (const type of probes) {
      const w = this.#workers.get(workerId(ref, type));
      if (w) this.#remove(w);
    }
    this.#dropInstanceIfIdle(instanceId(ref));
  }

  /** The running workers, by instance (the cloud shard loop diffs them against its registrations). */
  active(): Array<{ ref: ContainerInstanceRef; probes: ProbeType[] }> {
    const byInstance = new Map<string, { ref: ContainerInstanceRef; probes: ProbeType[] }>();
    for (const w of this.#workers.values()) {
      const id = instanceId(w.ref);
      const entry = byInstance.get(id) ?? { ref: w.ref, probes: [] };
      entry.probes.push(w.type);
      byInstance.set(id, entry);
    }
    return [...byInstance.values()];
  }

  /** Stops every worker (engine shutdown, end of a cloud prober's window). Results in flight are dropped. */
  close(): void {
    this.#closed = true;
    for (const w of [...this.#workers.values()]) this.#remove(w);
    this.#instances.clear();
  }

  // ── workers ────────────────────────────────────────────────────────────────────────────────────────────

  #arm(w: Worker): void {
    const delay = Math.max(0, w.dueAt - this.#o.clock.now());
    w.timer = this.#o.timers.setTimeout(() => this.#tick(w), delay);
  }

  #tick(w: Worker): void {
    w.timer = undefined;
    if (w.stopped) return;
    const firedAt = this.#o.clock.now();
    if (firedAt < w.notBefore) {
      w.timer = this.#o.timers.setTimeout(() => this.#tick(w), w.notBefore - firedAt);
      return;
    }
    const dueAt = w.dueAt;
    // Fixed rate from the first due instant; ticks missed while the process was busy are dropped.
    do w.dueAt += w.periodMs;
    while (w.dueAt <= firedAt);
    this.#arm(w);
    const probed = this.#mayProbe(w, firedAt);
    this.#o.onTick?.({ ref: w.ref, probe: w.type, dueAt, firedAt, probed });
    if (probed) void this.#probe(w).catch((err) => this.#o.onError?.(err, `probe ${w.id}`));
  }

  async #probe(w: Worker): Promise<void> {
    const instance = w.instance!;
    const probe = w.probe!;
    const timeoutMs = (probe.timeoutSeconds || PROBE_DEFAULTS.timeoutSeconds) * 1000;
    w.inFlight = true;
    let attempt: ProbeAttempt;
    try {
      attempt = await this.#runWithRetries(probe, instance.target, timeoutMs);
    } finally {
      w.inFlight = false;
    }
    if (w.stopped) return;
    const name = PROBE_NAMES[w.type];
    let raw: RawProbeResult;
    switch (attempt.result) {
      case 'error':
        // probe.Result Unknown prints as "unknown".
        await this.#event(
          instance,
          'Unhealthy',
          `${name} probe errored and resulted in unknown state: ${attempt.error}`,
        );
        return;
      case 'failure':
        await this.#event(instance, 'Unhealthy', `${name} probe failed: ${attempt.output}`);
        raw = 'failure';
        break;
      case 'warning':
        await this.#event(instance, 'ProbeWarning', `${name} probe warning: ${attempt.output}`);
        raw = 'success';
        break;
      case 'success':
        raw = 'success';
        break;
    }
    if (w.stopped) return;
    const before = w.state;
    const outcome = recordProbeOutcome(before, raw, probe, w.type);
    w.state = outcome.state;
    const startedBefore = instance.started;
    if (w.type === 'startup' && outcome.state.result === 'success') instance.started = true;
    const ready = this.#workers.get(workerId(w.ref, 'readiness'))?.state.result === 'success';
    for (const type of probesTriggeredBy(w.type, { startedBefore, startedNow: instance.started, ready })) {
      this.#trigger(w.ref, type);
    }
    if (!outcome.changed) return;
    const at = this.#o.clock.now();
    const { ref } = w;
    try {
      await this.#o.deliver(ref.key, {
        id: `probe/${ref.podUid}/${ref.container}/${ref.instance}/${w.type}/${raw}/${at}`,
        at,
        type: 'probeResult',
        container: ref.container,
        instance: ref.instance,
        probe: w.type,
        result: raw,
        ...(raw === 'failure' && attempt.result === 'failure' ? { message: attempt.output.trim() } : {}),
      });
    } catch (err) {
      // Not announced: forget the change, so the next identical result announces it again.
      w.state = before;
      instance.started = startedBefore;
      this.#o.onError?.(err, `deliver ${w.id}`);
    }
  }

  /** worker.go doProbe's gates: not while the last probe runs, not on hold, after the initial delay, and so on. */
  #mayProbe(w: Worker, now: number): boolean {
    const instance = w.instance!;
    return (
      !w.inFlight &&
      !w.state.onHold &&
      shouldProbe({
        type: w.type,
        containerStartedAtMs: instance.startedAt,
        nowMs: now,
        initialDelaySeconds: w.probe!.initialDelaySeconds ?? 0,
        started: instance.started,
        terminating: instance.terminating,
      })
    );
  }

  /** Runs one of the instance's probes now, outside its ticks (their phase is kept, as a manual trigger does). */
  #trigger(ref: ContainerInstanceRef, type: ProbeType): void {
    const w = this.#workers.get(workerId(ref, type));
    if (!w || w.stopped || !w.instance) return;
    const now = this.#o.clock.now();
    // A tick due now runs it anyway.
    if (w.dueAt <= now || !this.#mayProbe(w, now)) return;
    void this.#probe(w).catch((err) => this.#o.onError?.(err, `probe ${w.id}`));
  }

  async #runWithRetries(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeAttempt> {
    let attempt: ProbeAttempt = { result: 'error', error: 'not run' };
    for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
      try {
        attempt = await runProbeHandler(this.#o.handlers, probe, target, timeoutMs);
      } catch (err) {
        attempt = { result: 'error', error: err instanceof Error ? err.message : String(err) };
      }
      if (attempt.result !== 'error') return attempt;
    }
    return attempt;
  }

  async #event(instance: Instance, reason: 'Unhealthy' | 'ProbeWarning', message: string): Promise<void> {
    const { ref } = instance;
    const at = this.#o.clock.now();
    try {
      await recordEventWithRetry(this.#o.store, {
        namespace: ref.key.namespace,
        involvedObject: {
          kind: 'Pod',
          namespace: ref.key.namespace,
          name: ref.key.name,
          uid: ref.podUid,
          fieldPath: instance.fieldPath,
        },
        type: 'Warning',
        reason,
        message,
        source: { component: 'kubelet', host: this.#o.nodeName },
        at,
        occurrence: `${instanceId(ref)}/${reason}/${at}/${this.#eventSeq++}`,
      });
    } catch (err) {
      this.#o.onError?.(err, `event ${reason} ${instanceId(ref)}`);
    }
  }

  #remove(w: Worker): void {
    w.stopped = true;
    if (w.timer !== undefined) this.#o.timers.clearTimeout(w.timer);
    w.timer = undefined;
    if (this.#workers.get(w.id) === w) this.#workers.delete(w.id);
  }

  /** A new instance of a container supersedes the workers of its earlier ones (their exit may not be seen yet). */
  #stopEarlierInstances(ref: ContainerInstanceRef): void {
    for (const w of [...this.#workers.values()]) {
      if (w.ref.podUid === ref.podUid && w.ref.container === ref.container && w.ref.instance < ref.instance) {
        this.#remove(w);
        this.#dropInstanceIfIdle(instanceId(w.ref));
      }
    }
  }

  #dropInstanceIfIdle(id: string): void {
    for (const w of this.#workers.values()) if (instanceId(w.ref) === id) return;
    this.#instances.delete(id);
  }

  /** The instance as the pod's state has it, if it is the current instance and running. */
  #instanceFrom(
    stored: StoredPod | undefined,
    ref: ContainerInstanceRef,
  ): { instance: Instance; published: Partial<Record<ProbeType, string>> } | undefined {
    const state = stored?.state;
    if (!state || state.pod.metadata.uid !== ref.podUid) return undefined;
    const rec = state.engine.containers[ref.container];
    const entry = state.pod.spec ? findEntry(state.pod.spec, ref.container) : undefined;
    if (!rec || !entry || rec.instance !== ref.instance || rec.state.type !== 'running') return undefined;
    const container: Container = entry.container;
    const published = rec.probes;
    return {
      published,
      instance: {
        ref,
        target: {
          ref,
          container,
          podIP: state.engine.podIP ?? this.#o.hostIP,
          podName: `${ref.key.name}_${ref.key.namespace}`,
        },
        fieldPath: entry.fieldPath,
        startedAt: rec.state.startedAt,
        started: isStarted(rec, !!container.startupProbe),
        terminating: !!state.engine.deletion,
      },
    };
  }
}

/**
 * A new worker's counting state: the initial value (worker.go newWorker), or the result the pod already holds for
 * this instance when a manager starts over — with the hold that result implies (startup after any result,
 * liveness after a failure: worker.go doProbe).
 */
function seededState(type: ProbeType, published: string | undefined): ProbeWorkerState {
  const initial = newProbeWorkerState(type);
  if (published !== 'success' && published !== 'failure') return initial;
  const onHold = type === 'startup' || (type === 'liveness' && published === 'failure');
  return { ...initial, result: published, onHold };
}
