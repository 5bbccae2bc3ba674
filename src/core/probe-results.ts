// Probe result counting, reproduced from the kubelet's probe workers:
//  - pkg/kubelet/prober/worker.go newWorker (initial values) and doProbe (gating, threshold counting, hold)
//  - pkg/kubelet/prober/results/results_manager.go Set (an update is sent only when the stored result changes)
//  - worker.go run and prober_manager.go UpdatePodStatus (when a worker first probes; what a result triggers)
// The engine runs one worker per container × probe type; this file is the pure part of that worker. Running the
// handler (exec, httpGet, tcpSocket, grpc) and the timers live outside the core.
import type { Probe } from 'kubernetes-types/core/v1';
import { PROBE_DEFAULTS } from './manifest/default-pod.ts';

/** The three probe kinds of a container (worker.go probeType). */
export type ProbeType = 'startup' | 'readiness' | 'liveness';

/** A published probe result (results.Result: Unknown, Success, Failure). */
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** What one probe run returned. A prober error (as opposed to a failed check) is thrown away upstream, not counted. */
export type RawProbeResult = 'success' | 'failure';

/** API default (core/v1 Probe): successThreshold 1. Liveness and startup must use 1 (validation). */
export const DEFAULT_SUCCESS_THRESHOLD = 1;
/** API default (core/v1 Probe): failureThreshold 3. */
export const DEFAULT_FAILURE_THRESHOLD = 3;

/** The threshold fields of a core/v1 Probe; missing values take the API defaults. */
export interface ProbeThresholds {
  successThreshold?: number;
  failureThreshold?: number;
}

/**
 * worker.go newWorker `initialValue`, published for every new container instance and kept until a probe result
 * replaces it: readiness starts Failure (not ready until proven), liveness Success (alive until proven dead),
 * startup Unknown (neither started nor failed).
 */
export function initialProbeResult(type: ProbeType): ProbeResult {
  switch (type) {
    case 'readiness':
      return 'failure';
    case 'liveness':
      return 'success';
    case 'startup':
      return 'unknown';
  }
}

/** The counting state of one probe worker (worker.go fields of the same meaning). */
export interface ProbeWorkerState {
  /** The published result (what the results manager holds for the current container instance). */
  readonly result: ProbeResult;
  /** worker.lastResult: the last raw result; null before the first probe (Go's zero value behaves the same). */
  readonly lastRaw: RawProbeResult | null;
  /** worker.resultRun: how many times in a row `lastRaw` came back. */
  readonly run: number;
  /** worker.onHold: probing paused until a new container instance (after a published liveness/startup result). */
  readonly onHold: boolean;
}

/** A worker for a container's first instance. */
export function newProbeWorkerState(type: ProbeType): ProbeWorkerState {
  return { result: initialProbeResult(type), lastRaw: null, run: 0, onHold: false };
}

/**
 * doProbe when it sees a new container ID: the initial value is published again and the hold is released.
 * Upstream deliberately leaves lastResult/resultRun alone, so a readiness run carries over to the next instance
 * (e.g. 5 successes on the old instance, successThreshold 3: the first success on the new one publishes Success).
 * Liveness and startup lose nothing by this because going on hold already zeroed the run.
 */
export function resetProbeWorkerForNewContainer(state: ProbeWorkerState, type: ProbeType): ProbeWorkerState {
  return { ...state, result: initialProbeResult(type), onHold: false };
}

/** What recording one probe outcome did. */
export interface ProbeOutcome {
  readonly state: ProbeWorkerState;
  /** The published result changed: the kubelet's results manager would send an update (podflow: an inbox event). */
  readonly changed: boolean;
}

/**
 * Counts one raw probe result exactly like worker.go doProbe:
 *
 *     if lastResult == result { resultRun++ } else { lastResult = result; resultRun = 1 }
 *     if (failure && resultRun < failureThreshold) || (success && resultRun < successThreshold) { return }
 *     resultsManager.Set(result)                       // an update only if it differs from the stored result
 *     if (liveness && failure) || startup { onHold = true; resultRun = 0 }
 *
 * The startup hold after *any* published result is upstream's fix for kubernetes#117153 (no extra probe runs once
 * the startup probe has decided); a liveness failure holds because the container is about to be killed.
 * While on hold upstream does not probe at all, so an outcome recorded then is ignored.
 */
export function recordProbeOutcome(
  state: ProbeWorkerState,
  raw: RawProbeResult,
  probe: ProbeThresholds,
  type: ProbeType,
): ProbeOutcome {
  if (state.onHold) return { state, changed: false };
  const run = state.lastRaw === raw ? state.run + 1 : 1;
  const successThreshold = probe.successThreshold ?? DEFAULT_SUCCESS_THRESHOLD;
  const failureThreshold = probe.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  const belowThreshold =
    (raw === 'failure' && run < failureThreshold) || (raw === 'success' && run < successThreshold);
  if (belowThreshold) return { state: { ...state, lastRaw: raw, run }, changed: false };

  const changed = state.result !== raw;
  const hold = (type === 'liveness' && raw === 'failure') || type === 'startup';
  return {
    state: { result: raw, lastRaw: raw, run: hold ? 0 : run, onHold: hold },
    changed,
  };
}

/** Inputs of {@link shouldProbe}. */
export interface ShouldProbeInput {
  type: ProbeType;
  /** status.containerStatuses[].state.running.startedAt of the current instance, epoch ms. */
  containerStartedAtMs: number;
  nowMs: number;
  /** probe.initialDelaySeconds (default 0). */
  initialDelaySeconds?: number;
  /** containerStatuses[].started: the startup probe passed (or there is none). */
  started: boolean;
  /** The pod is being deleted (metadata.deletionTimestamp set). */
  terminating: boolean;
}

/**
 * Whether a probe of a running container should run now (the gates of worker.go doProbe, in its order):
 * - pod deletion requested: liveness and startup stop (upstream publishes Success for a quiet shutdown and ends the
 *   worker); readiness keeps probing so the pod can turn unready while it drains;
 * - `int32(seconds since startedAt) < initialDelaySeconds` → skip (whole seconds, truncated, like the Go cast);
 * - the startup probe runs only until the container has started; readiness and liveness only after.
 * Not covered here: a worker on hold (see {@link ProbeWorkerState.onHold}), and a non-running container, for
 * which upstream publishes Failure without probing.
 */
export function shouldProbe(input: ShouldProbeInput): boolean {
  const { type, containerStartedAtMs, nowMs, started, terminating } = input;
  if (terminating && (type === 'liveness' || type === 'startup')) return false;
  const elapsedSeconds = Math.trunc((nowMs - containerStartedAtMs) / 1000);
  if (elapsedSeconds < (input.initialDelaySeconds ?? 0)) return false;
  if (started) return type !== 'startup';
  return type === 'startup';
}

export interface FirstProbeInput {
  probe: Pick<Probe, 'initialDelaySeconds' | 'periodSeconds'>;
  nowMs: number;
  containerStartedAtMs: number;
  /** When the prober (the engine's probe manager, a cloud shard) started. */
  proberStartedAtMs: number;
  /** A random number in [0, 1). */
  random: number;
}

/** The probe's period, defaulted as the API server defaults it (core/v1 Probe: 10 s). */
export const probePeriodSeconds = (probe: Pick<Probe, 'periodSeconds'>): number =>
  probe.periodSeconds || PROBE_DEFAULTS.periodSeconds;

/**
 * When a new probe worker first probes (pkg/kubelet/prober/worker.go run): at once, as soon as the instance has run
 * initialDelaySeconds — not a period later. Only a prober that itself started less than a period ago first waits a
 * random part of the period ("If kubelet restarted the probes could be started in rapid succession … Do it only if
 * the kubelet has started recently"), so the workers of an engine that just (re)started do not all probe together.
 * `notBeforeMs` is the initial delay's end (shouldProbe's gate).
 */
export function firstProbeDue(input: FirstProbeInput): { notBeforeMs: number; dueAtMs: number } {
  const periodMs = probePeriodSeconds(input.probe) * 1000;
  const notBeforeMs = input.containerStartedAtMs + (input.probe.initialDelaySeconds ?? 0) * 1000;
  const proberJustStarted = input.nowMs - input.proberStartedAtMs < periodMs;
  const offsetMs = proberJustStarted ? Math.floor(input.random * periodMs) : 0;
  return { notBeforeMs, dueAtMs: Math.max(input.nowMs, notBeforeMs) + offsetMs };
}

/**
 * The probes a published result makes run at once, outside their ticks (prober_manager.go UpdatePodStatus: a
 * container whose startup probe has just succeeded and that is not ready yet gets its readiness worker triggered
 * through manualTriggerCh, so a pod becomes Ready without waiting out a readiness period).
 */
export function probesTriggeredBy(
  type: ProbeType,
  outcome: { startedBefore: boolean; startedNow: boolean; ready: boolean },
): ProbeType[] {
  return type === 'startup' && !outcome.startedBefore && outcome.startedNow && !outcome.ready
    ? ['readiness']
    : [];
}
