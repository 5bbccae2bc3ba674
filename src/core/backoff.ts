// Crash back-off (CrashLoopBackOff), reproduced from the kubelet:
//  - pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff / GetStableKey (helpers.go)
//  - staging/src/k8s.io/client-go/util/flowcontrol/backoff.go Next, IsInBackOffSince, hasExpired
//  - pkg/kubelet/kubelet.go initialCrashLoopBackOff, MaxCrashLoopBackOff, crashLoopBackOff.HasExpiredFunc
//
// Upstream, per key (pod + container + spec hash), the kubelet keeps `{ backoff, lastUpdate }` and on every pod
// sync that finds the container exited runs doBackOff:
//
//     ts := FinishedAt of the newest exited instance
//     if IsInBackOffSince(key, ts)  // entry exists && !hasExpired(ts, lastUpdate) && now - ts < backoff
//         → waiting CrashLoopBackOff "back-off <backoff> restarting failed container=… pod=…", retry on a later sync
//     else
//         Next(key, ts)             // no entry or hasExpired(ts, lastUpdate) → backoff = initial
//                                   // else backoff = min(2 × backoff, max); in both cases lastUpdate = now
//         → start the container now
//
//     hasExpired(ts, lastUpdate) = ts - lastUpdate > reset
//
// so the first crash restarts at once (no entry yet) and seeds the entry with `initial`; each later crash waits
// the current delay measured from its finishedAt, then doubles it. Because lastUpdate is the time of the permitted
// restart, `ts - lastUpdate` is how long the container ran after that restart: a container that ran longer than
// `reset` before crashing again starts a fresh curve. Everything here is pure: time comes in as epoch ms.

import { fnv1a32 } from './fnv1a.ts';
import { formatGoDuration, parseDuration } from './duration.ts';
import { invalid, key as keyPath } from './field-errors.ts';
import type { FieldError } from './field-errors.ts';

/** kubelet: pkg/kubelet/kubelet.go initialCrashLoopBackOff = 10s (first wait after the immediate first restart). */
export const INITIAL_BACKOFF_MS = 10_000;

/** kubelet: pkg/kubelet/kubelet.go MaxCrashLoopBackOff = v1beta1.MaxContainerBackOff = 300s (cap of the doubling). */
export const MAX_BACKOFF_MS = 300_000;

/**
 * client-go: util/flowcontrol/backoff.go hasExpired — "consider stable if it's ok for twice the maxDuration", i.e.
 * 2 × 300s. The kubelet (v1.32+) sets crashLoopBackOff.HasExpiredFunc to a fixed `> 600*time.Second`, the same
 * number for the default curve; podflow makes it a setting of its own so a scaled-down curve can keep either rule.
 */
export const BACKOFF_RESET_MS = 2 * MAX_BACKOFF_MS;

/** The shape of a back-off curve. All values in milliseconds. */
export interface BackoffSettings {
  /** Delay applied at the second crash (the first restart is immediate). */
  readonly initialMs: number;
  /** Cap of the doubling. */
  readonly maxMs: number;
  /** A crash more than this long after the last permitted restart starts a fresh curve (strictly greater). */
  readonly resetMs: number;
}

/** The kubelet's default curve: immediate, 10s, 20s, 40s, 80s, 160s, 300s, 300s … reset after 600s of running. */
export const DEFAULT_BACKOFF: BackoffSettings = Object.freeze({
  initialMs: INITIAL_BACKOFF_MS,
  maxMs: MAX_BACKOFF_MS,
  resetMs: BACKOFF_RESET_MS,
});

/** flowcontrol backoffEntry: the delay the *next* crash will wait, and when the last restart was permitted. */
export interface BackoffEntry {
  /** upstream `backoff`: what Get(key) returns and the CrashLoopBackOff message shows. */
  readonly delayMs: number;
  /** upstream `lastUpdate`: the clock when Next ran, i.e. when the last restart was permitted. */
  readonly lastUpdateMs: number;
}

/** A container spec (a core/v1 `Container` from kubernetes-types fits); only `name` is read, the rest is hashed. */
export interface ContainerSpec {
  readonly name: string;
}

/** The parts of a pod that identify it (a `Pod` from kubernetes-types fits). */
export interface PodIdentity {
  metadata?: { name?: string; namespace?: string; uid?: string };
}

// ---------------------------------------------------------------------------------------------------------------
// Key

/**
 * Deterministic JSON with object keys sorted at every level (and `undefined` members dropped, as JSON.stringify
 * does), so that two equal specs hash equally whatever order their fields were written in.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Stable hash (8 lowercase hex digits) of a container spec: FNV-1a 32 over its canonical JSON.
 * Upstream (kubecontainer.HashContainer, v1.31+) hashes only `name` and `image`, the only container fields a
 * running pod may change; podflow hashes the whole spec, which is equivalent for pods (every other field is
 * immutable) and also gives a fresh curve when a workload's template changes any field.
 */
export function hashContainerSpec(container: object): string {
  return fnv1a32(canonicalJson(container)).toString(16).padStart(8, '0');
}

/**
 * The back-off key, as kuberuntime GetStableKey builds it: `{pod}_{namespace}_{uid}_{container}_{hash}`.
 * Any change to the container spec produces a new key, hence a fresh curve.
 */
export function backoffKey(pod: PodIdentity, container: ContainerSpec): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}_${m.uid ?? ''}_${container.name}_${hashContainerSpec(container)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Curve

/** flowcontrol hasExpired / kubelet HasExpiredFunc: `eventTime - lastUpdate > reset` (strict). */
export function hasBackoffExpired(
  entry: BackoffEntry,
  eventTimeMs: number,
  settings: BackoffSettings,
): boolean {
  return eventTimeMs - entry.lastUpdateMs > settings.resetMs;
}

/**
 * flowcontrol IsInBackOffSince(key, finishedAt) evaluated at `nowMs`: true while the container that finished at
 * `finishedAtMs` must still wait. No entry (never restarted) or an expired entry → false (restart now).
 */
export function isInBackOff(
  entry: BackoffEntry | undefined,
  finishedAtMs: number,
  nowMs: number,
  settings: BackoffSettings,
): boolean {
  if (entry === undefined) return false;
  if (hasBackoffExpired(entry, finishedAtMs, settings)) return false;
  return nowMs - finishedAtMs < entry.delayMs;
}

/**
 * flowcontrol Next(key, finishedAt), run when a restart is permitted at `nowMs`: no entry or an expired one →
 * `initial`; otherwise double, capped at `max`. `lastUpdateMs` becomes `nowMs` — upstream sets it to Clock.Now(),
 * the moment of the permitted restart, not to finishedAt; that is what makes the reset measure run time.
 */
export function nextBackoff(
  entry: BackoffEntry | undefined,
  finishedAtMs: number,
  settings: BackoffSettings,
  nowMs: number,
): BackoffEntry {
  if (entry === undefined || hasBackoffExpired(entry, finishedAtMs, settings)) {
    return { delayMs: settings.initialMs, lastUpdateMs: nowMs };
  }
  return { delayMs: Math.min(entry.delayMs * 2, settings.maxMs), lastUpdateMs: nowMs };
}

/** What {@link decideRestart} tells the engine. */
export interface RestartDecision {
  /** When the container may be started again (== finishedAt, or == nowMs if later, for an immediate restart). */
  readonly restartAtMs: number;
  /** The back-off in effect until then: 0 for an immediate restart, else the CrashLoopBackOff message's value. */
  readonly delayMs: number;
  /** The key's entry after that restart; store it under {@link backoffKey}. */
  readonly entry: BackoffEntry;
}

/**
 * Event-driven form of doBackOff for a container that exited at `finishedAtMs` and will be restarted per policy.
 *
 * Upstream polls: every pod sync calls doBackOff, which refuses (CrashLoopBackOff) while
 * `IsInBackOffSince(key, finishedAt)` holds and otherwise calls `Next(key, finishedAt)` and starts the container.
 * The first sync at which the refusal stops is `t = max(now, finishedAt + wait)` where `wait` is 0 if there is no
 * entry or it has expired (`finishedAt - lastUpdate > reset`), else `entry.delayMs` (IsInBackOffSince uses a strict
 * `now - finishedAt < backoff`, so at exactly `finishedAt + wait` the restart is allowed). podflow does not poll: it
 * schedules a timer for `restartAtMs = t` and, when it fires, starts the container and stores `entry`
 * = Next evaluated at t (`lastUpdateMs = t`). A real kubelet notices the end of a back-off only at a later pod
 * sync (periodic resync or a PLEG event), so its restarts come somewhat after the nominal `restartAtMs` podflow
 * uses; the curve (10s, 20s, 40s … 300s) and the reset rule are the same.
 *
 * @param nowMs when the decision is taken (default finishedAt); an exit processed late never restarts in the past.
 */
export function decideRestart(
  entry: BackoffEntry | undefined,
  finishedAtMs: number,
  settings: BackoffSettings,
  nowMs: number = finishedAtMs,
): RestartDecision {
  const fresh = entry === undefined || hasBackoffExpired(entry, finishedAtMs, settings);
  const delayMs = fresh ? 0 : entry.delayMs;
  const restartAtMs = Math.max(finishedAtMs + delayMs, nowMs);
  return { restartAtMs, delayMs, entry: nextBackoff(entry, finishedAtMs, settings, restartAtMs) };
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

/** pkg/kubelet/util/format.Pod: `NAME_NAMESPACE(UID)` (underscore cannot occur in a pod name). */
export function formatPod(pod: PodIdentity): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})`;
}

/**
 * The waiting message of a container in CrashLoopBackOff (doBackOff):
 * `back-off 40s restarting failed container=NAME pod=NAME_NAMESPACE(UID)`, the delay in Go duration format.
 */
export function backOffMessage(delayMs: number, containerName: string, pod: PodIdentity): string {
  return `back-off ${formatGoDuration(delayMs)} restarting failed container=${containerName} pod=${formatPod(pod)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Per-pod tuning

/** Annotation overriding {@link BackoffSettings.initialMs} for one pod, e.g. `500ms`. */
export const CRASH_BACKOFF_INITIAL_ANNOTATION = 'podflow.io/crash-backoff-initial';
/** Annotation overriding {@link BackoffSettings.maxMs} for one pod, e.g. `1m`. */
export const CRASH_BACKOFF_MAX_ANNOTATION = 'podflow.io/crash-backoff-max';
/** Annotation overriding {@link BackoffSettings.resetMs} for one pod, e.g. `10m`. */
export const CRASH_BACKOFF_RESET_ANNOTATION = 'podflow.io/crash-backoff-reset';

/**
 * Smallest value an annotation may set: below 100ms a crash-looping process would restart faster than the engine
 * can record each instance (every restart is several store writes and events), and timers are not that precise.
 */
export const MIN_BACKOFF_ANNOTATION_MS = 100;
/**
 * Largest value an annotation may set: beyond an hour a crash-looping pod looks dead rather than backing off.
 * (The kubelet's own knob, KEP-4603 maxContainerRestartPeriod, allows 1s–300s for the max; podflow is wider so
 * tests can scale the curve down and batch pods can retry slowly.)
 */
export const MAX_BACKOFF_ANNOTATION_MS = 3_600_000;

const ANNOTATIONS_PATH = 'metadata.annotations';

type BackoffSettingsResult = { settings: BackoffSettings } | { errors: FieldError[] };

/**
 * The curve for one pod: the engine's defaults overridden by the `podflow.io/crash-backoff-*` annotations.
 * Every problem is reported (never only the first), as field errors on `metadata.annotations[NAME]`:
 * a value that is not a Go duration, a value outside 100ms..1h, or an explicit initial greater than the max in
 * effect. As in the kubelet's newCrashLoopBackOff, a max set lower than the default initial (without an explicit
 * initial) pulls the initial down to the max instead of failing.
 */
export function backoffSettingsFor(
  annotations: Readonly<Record<string, string>> | undefined,
  engineDefaults: BackoffSettings = DEFAULT_BACKOFF,
): BackoffSettingsResult {
  const errors: FieldError[] = [];
  const read = (name: string): number | undefined => {
    const raw = annotations?.[name];
    if (raw === undefined) return undefined;
    const field = keyPath(ANNOTATIONS_PATH, name);
    let ms: number;
    try {
      ms = parseDuration(raw);
    } catch (e) {
      errors.push(
        invalid(field, raw, `must be a duration such as 500ms, 10s or 5m (${(e as Error).message})`),
      );
      return undefined;
    }
    if (ms < MIN_BACKOFF_ANNOTATION_MS || ms > MAX_BACKOFF_ANNOTATION_MS) {
      errors.push(
        invalid(
          field,
          raw,
          `must be between ${formatGoDuration(MIN_BACKOFF_ANNOTATION_MS)} and ${formatGoDuration(MAX_BACKOFF_ANNOTATION_MS)}`,
        ),
      );
      return undefined;
    }
    return ms;
  };

  const initial = read(CRASH_BACKOFF_INITIAL_ANNOTATION);
  const max = read(CRASH_BACKOFF_MAX_ANNOTATION);
  const reset = read(CRASH_BACKOFF_RESET_ANNOTATION);
  const maxInvalid = annotations?.[CRASH_BACKOFF_MAX_ANNOTATION] !== undefined && max === undefined;

  const maxMs = max ?? engineDefaults.maxMs;
  let initialMs = initial ?? engineDefaults.initialMs;
  if (initial === undefined) {
    // kubelet newCrashLoopBackOff: `if boMax < boInitial { boInitial = boMax }`.
    initialMs = Math.min(initialMs, maxMs);
  } else if (!maxInvalid && initial > maxMs) {
    errors.push(
      invalid(
        keyPath(ANNOTATIONS_PATH, CRASH_BACKOFF_INITIAL_ANNOTATION),
        annotations?.[CRASH_BACKOFF_INITIAL_ANNOTATION],
        `must be less than or equal to the maximum back-off (${formatGoDuration(maxMs)})`,
      ),
    );
  }
  if (errors.length > 0) return { errors };
  return { settings: { initialMs, maxMs, resetMs: reset ?? engineDefaults.resetMs } };
}
