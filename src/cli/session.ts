// What a CLI run of pods is, for `podflow run` (the embedded engine in this process) and `podflow start` (through the
// local API server): every pod has a goal (done or Ready, from its restartPolicy); the session waits for every goal,
// a timeout or Ctrl-C; then it deletes the pods gracefully (Ctrl-C again: grace 0; once more: stop waiting) within a
// bound, and ends with an outcome and an exit code.
//
// What differs between the commands is how pods are created and deleted (a PodSource) and how they are observed:
// each command feeds what it sees (the store's change feed, API watches) into `observe` and `observeRemoval`.
import { DEFAULT_RESTART_POLICY } from '../core/restart-policy.ts';
import type { Pod } from 'kubernetes-types/core/v1';
import { parseDuration } from '../core/duration.ts';
import { DEFAULT_TERMINATION_GRACE_SECONDS, podGraceSeconds } from '../core/grace.ts';
import type { PodKey } from '../ports/pod-key.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError } from './cli-io.ts';

/** A pod that ran and ended Failed (or did not reach its goal because it failed). */
export const EXIT_POD_FAILED = EXIT_INVALID;
/** The goal was not reached within `--timeout`: the same code as a usage error. */
export const EXIT_TIMEOUT = EXIT_USAGE;
/** Shell convention: 128 + signal number. */
export const EXIT_SIGNAL: Readonly<Record<InterruptSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Default `--timeout`: how long `run` and `start` wait for the goal. */
export const DEFAULT_TIMEOUT = '5m';
/**
 * How long podflow waits for a deleted pod to be gone beyond its grace period and the engine's termination margin
 * (after which the runtime has SIGKILLed its containers): time for the kill to be observed, the worker's last step
 * and the removal to be seen, on a loaded machine. It only bounds the wait should something be stuck.
 */
export const DELETION_SLACK_SECONDS = 30;

/** How long to wait for a pod deleted with this grace period to be gone. */
export function deletionBoundMs(graceSeconds: number, terminationMarginSeconds: number): number {
  return (graceSeconds + terminationMarginSeconds + DELETION_SLACK_SECONDS) * 1000;
}

export type Goal = 'done' | 'ready';
export type InterruptSignal = 'SIGINT' | 'SIGTERM';
/** How the wait ended: every pod reached its goal, `--timeout` passed, or Ctrl-C (SIGINT/SIGTERM). */
export type SessionOutcome = 'reached' | 'timeout' | 'interrupted';

/** Where Ctrl-C comes from: the process in the CLI, a fake in tests. */
export interface SignalSource {
  /** Calls `handler` for each SIGINT/SIGTERM until the returned function is called. */
  onInterrupt(handler: (signal: InterruptSignal) => void): () => void;
}

export const processSignals: SignalSource = {
  onInterrupt(handler) {
    const onInt = (): void => handler('SIGINT');
    const onTerm = (): void => handler('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    return () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  },
};

/** The session's time: the CLI's clock and real timers, fakes in tests. */
export interface SessionClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds unless the returned function is called first. */
  setTimer(ms: number, fn: () => void): () => void;
}

export function realClock(now: () => number): SessionClock {
  return {
    now,
    setTimer: (ms, fn) => {
      const timer = setTimeout(fn, ms);
      return () => clearTimeout(timer);
    },
  };
}

/** The goal a pod's restartPolicy implies: a pod that restarts forever can only become Ready. */
export function defaultGoal(pod: Pod): Goal {
  return (pod.spec?.restartPolicy ?? DEFAULT_RESTART_POLICY) === 'Always' ? 'ready' : 'done';
}

const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const isReady = (pod: Pod): boolean =>
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Whether there is nothing more to wait for: the pod ended (it will not become Ready either), or is Ready. */
export function reachedGoal(pod: Pod, goal: Goal): boolean {
  return isTerminal(pod) || (goal === 'ready' && isReady(pod));
}

/** A pod that missed its goal, for messages: `was not Ready` / `did not finish`. */
export function missedGoalText(goal: Goal): string {
  return goal === 'ready' ? 'was not Ready' : 'did not finish';
}

/** Parses `--timeout`: a kubectl duration; 0 waits forever. */
export function parseTimeout(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new UsageError(`--timeout: must be a duration such as 30s or 5m (${(err as Error).message})`);
  }
  if (ms < 0) throw new UsageError(`--timeout: must not be negative (${value})`);
  return ms;
}

export const podKey = (pod: Pod): PodKey => ({
  namespace: pod.metadata?.namespace ?? 'default',
  name: pod.metadata?.name ?? '',
});
export const keyText = (k: PodKey): string => `${k.namespace}/${k.name}`;

/** One pod of a session: what it is, what it waits for, and where it stands. */
export interface SessionPod {
  readonly key: PodKey;
  /** How views name it: the name, or namespace/name when some pod of the session is not in `default`. */
  readonly label: string;
  goal: Goal;
  /** The object of the manifest: its grace period counts until the pod is observed. */
  readonly manifest: Pod;
  /** Once known, versions of the name with another uid (an earlier pod) are not this pod. */
  uid?: string;
  /** The object as last observed. */
  latest?: Pod;
  /** Created by the session or observed: deleted at the end unless kept. */
  created: boolean;
  /** Reached its goal, or ended (terminal, deleted by someone else, refused): nothing more to wait for. */
  settled: boolean;
  removed: boolean;
}

/** How a command creates and deletes pods: the engine directly (`run`) or the HTTP API (`start`). */
export interface PodSource {
  /** Where the pods' data lives, for messages. */
  readonly dataDir: string;
  /** Seconds the engine allows beyond a pod's grace period before it gives up on the pod's containers. */
  readonly terminationMarginSeconds: number;
  /** Creates the session's pods (setting their uid); stops early once `session.interrupted`. */
  create(session: PodSession): Promise<void>;
  /** Asks for a deletion with the pod's own grace period, or grace 0. Resolves false when the pod is already gone. */
  delete(pod: SessionPod, graceSeconds?: 0): Promise<boolean>;
}

/** Where the session's own messages go. */
export interface SessionOutput {
  /** A timeline line about the session rather than one pod (a Ctrl-C during the deletion). */
  line(text: string): void;
  /** A warning for standard error. */
  warn(text: string): void;
}

export interface PodSessionOptions {
  pods: readonly Pod[];
  /** One goal for every pod; by default each pod's from its restartPolicy. */
  until?: Goal;
  signals: SignalSource;
  clock: SessionClock;
  output: SessionOutput;
}

/**
 * The pods of one CLI run and the waits on them. Listens to Ctrl-C from construction to `close()`, so that a Ctrl-C
 * while the engine or server starts ends the session (with the cleanup) rather than the process.
 */
export class PodSession {
  readonly pods: readonly SessionPod[];
  readonly #signals: InterruptSignal[] = [];
  readonly #byKey: Map<string, SessionPod>;
  readonly #clock: SessionClock;
  readonly #output: SessionOutput;
  readonly #stopSignals: () => void;
  #startedAt: number;
  /** Re-checks the condition of the wait in progress (set by `#waitFor`). */
  #wake: () => void = () => {};

  constructor(opts: PodSessionOptions) {
    const namespaced = opts.pods.some((p) => podKey(p).namespace !== 'default');
    this.pods = opts.pods.map((pod) => {
      const key = podKey(pod);
      const label = namespaced ? keyText(key) : key.name;
      const goal = opts.until ?? defaultGoal(pod);
      return { key, label, goal, manifest: pod, created: false, settled: false, removed: false };
    });
    this.#byKey = new Map(this.pods.map((p) => [keyText(p.key), p]));
    this.#clock = opts.clock;
    this.#output = opts.output;
    this.#startedAt = opts.clock.now();
    this.#stopSignals = opts.signals.onInterrupt((signal) => {
      this.#signals.push(signal);
      this.#wake();
    });
  }

  /** The signals received, in order. */
  get signals(): readonly InterruptSignal[] {
    return this.#signals;
  }

  get interrupted(): boolean {
    return this.signals.length > 0;
  }

  /** Milliseconds since the pods began to be created: the timeline's clock. */
  elapsedMs(): number {
    return this.#clock.now() - this.#startedAt;
  }

  /** The session's pod of this namespace/name, whatever its uid. */
  pod(key: PodKey): SessionPod | undefined {
    return this.#byKey.get(keyText(key));
  }

  /** Whether this object is another pod of a session pod's name (one left by an earlier run): not the session's. */
  isStale(pod: Pod): boolean {
    const mine = this.pod(podKey(pod));
    return mine?.uid !== undefined && pod.metadata?.uid !== mine.uid;
  }

  /** The session pod this object is a version of: same namespace/name and, once known, the same uid. */
  podOf(pod: Pod): SessionPod | undefined {
    return this.isStale(pod) ? undefined : this.pod(podKey(pod));
  }

  /** Pods that exist as far as the session knows. */
  present(): SessionPod[] {
    return this.pods.filter((p) => p.created && !p.removed);
  }

  /** Records a version of a pod; returns the session's pod, or undefined when the object is not one of them. */
  observe(pod: Pod): SessionPod | undefined {
    const p = this.podOf(pod);
    if (!p) return undefined;
    p.uid ??= pod.metadata?.uid;
    p.created = true;
    p.latest = pod;
    if (reachedGoal(pod, p.goal)) p.settled = true;
    this.#wake();
    return p;
  }

  /** Records that a pod is gone; returns the session's pod the first time, else undefined. */
  observeRemoval(key: PodKey): SessionPod | undefined {
    const p = this.pod(key);
    if (!p?.created || p.removed) return undefined;
    p.removed = true;
    p.settled = true;
    this.#wake();
    return p;
  }

  /** Resolves once every pod settled, `timeoutMs` passed (0: never) or a signal came. */
  async waitForGoal(timeoutMs: number): Promise<SessionOutcome> {
    const reached = await this.#waitFor(
      () => this.interrupted || this.pods.every((p) => p.settled),
      timeoutMs,
    );
    return this.interrupted ? 'interrupted' : reached ? 'reached' : 'timeout';
  }

  /** Resolves at the first signal (at once if one came already). */
  async waitForSignal(): Promise<void> {
    await this.#waitFor(() => this.interrupted);
  }

  /** Restarts the timeline's clock: the pods are being created now. */
  restartClock(): void {
    this.#startedAt = this.#clock.now();
  }

  /**
   * Deletes the pods gracefully and waits for them to be gone, at most their grace period plus the engine's margin
   * and DELETION_SLACK_SECONDS. A further Ctrl-C escalates to grace 0 (SIGKILL now, as `kubectl delete
   * --grace-period=0 --force`); one more stops waiting. Warns about each pod not gone when the wait ends.
   */
  async deleteAndWait(pods: SessionPod[], source: PodSource): Promise<void> {
    if (pods.length === 0) return;
    let handled = this.signals.length;
    await this.#requestDeletion(pods, source);
    const graceSeconds = Math.max(...pods.map(graceSecondsOf));
    const deadline = this.#clock.now() + deletionBoundMs(graceSeconds, source.terminationMarginSeconds);
    const allGone = (): boolean => pods.every((p) => p.removed);
    let forced = false;
    for (;;) {
      const remaining = deadline - this.#clock.now();
      if (remaining <= 0) break;
      const woke = await this.#waitFor(() => this.signals.length > handled || allGone(), remaining);
      if (!woke || allGone()) break;
      handled = this.signals.length;
      const signal = this.signals[handled - 1]!;
      if (forced) {
        this.#output.line(`${signal}: not waiting for the deletion any more`);
        break;
      }
      forced = true;
      this.#output.line(`${signal}: deleting with grace 0`);
      await this.#requestDeletion(
        pods.filter((p) => !p.removed),
        source,
        0,
      );
    }
    for (const p of pods.filter((q) => !q.removed))
      this.#output.warn(
        `warning: pod ${p.label} was not gone when podflow stopped waiting; its containers may still run (data in ${source.dataDir})\n`,
      );
  }

  /** Stops listening to signals. */
  close(): void {
    this.#wake = () => {};
    this.#stopSignals();
  }

  async #requestDeletion(pods: SessionPod[], source: PodSource, graceSeconds?: 0): Promise<void> {
    await Promise.all(
      pods.map(async (p) => {
        if (!(await source.delete(p, graceSeconds))) p.removed = true;
      }),
    );
    this.#wake();
  }

  /** Resolves true once `done()` holds, false after `timeoutMs` (0: never); re-checked at every change and signal. */
  #waitFor(done: () => boolean, timeoutMs = 0): Promise<boolean> {
    return new Promise((resolve) => {
      let cancelTimer = (): void => {};
      const finish = (value: boolean): void => {
        this.#wake = () => {};
        cancelTimer();
        resolve(value);
      };
      this.#wake = () => {
        if (done()) finish(true);
      };
      if (timeoutMs > 0) cancelTimer = this.#clock.setTimer(timeoutMs, () => finish(false));
      this.#wake();
    });
  }
}

function graceSecondsOf(p: SessionPod): number {
  const spec = (p.latest ?? p.manifest).spec;
  return spec ? podGraceSeconds(spec) : DEFAULT_TERMINATION_GRACE_SECONDS;
}

/** What a command decides for its session. */
export interface SessionPlan {
  /** How long to wait for the goal; 0: no timeout. */
  timeoutMs: number;
  /** Once every pod reached its goal, go on until Ctrl-C (`podflow start` serving on). */
  holdUntilSignal?: boolean;
  /** Whether the pods are left as they are when the session ends this way (`--keep`). */
  keep(outcome: SessionOutcome): boolean;
  /** Called at each decision: the goal, the timeout or a signal; with holdUntilSignal, again at the signal. */
  decided?(outcome: SessionOutcome): void;
}

export interface SessionResult {
  outcome: SessionOutcome;
  /** The first signal, when interrupted. */
  signal?: InterruptSignal;
  /** Each pod as it stood at the first decision (its manifest's object when never seen). */
  atDecision: Pod[];
  /** The pods the session deleted, and how long from the requests until the wait ended. */
  deleted: SessionPod[];
  deletionMs: number;
  /** Pods still present when the session ended: kept, or a deletion that did not finish. */
  leftBehind: SessionPod[];
}

/** Creates the pods, waits for the goal (a timeout, a signal), then deletes them unless kept. */
export async function runSession(
  session: PodSession,
  source: PodSource,
  plan: SessionPlan,
): Promise<SessionResult> {
  session.restartClock();
  await source.create(session);
  let outcome = await session.waitForGoal(plan.timeoutMs);
  const atDecision = session.pods.map((p) => p.latest ?? p.manifest);
  plan.decided?.(outcome);
  if (outcome === 'reached' && plan.holdUntilSignal) {
    await session.waitForSignal();
    outcome = 'interrupted';
    plan.decided?.(outcome);
  }
  const toDelete = plan.keep(outcome) ? [] : session.present();
  const deletingSince = session.elapsedMs();
  await session.deleteAndWait(toDelete, source);
  return {
    outcome,
    ...(outcome === 'interrupted' ? { signal: session.signals[0] } : {}),
    atDecision,
    deleted: toDelete.filter((p) => p.removed),
    deletionMs: session.elapsedMs() - deletingSince,
    leftBehind: session.present(),
  };
}

/**
 * The exit code of a session: 130/143 interrupted (0 when a signal is how the command is stopped, as `podflow
 * start` serving on), 2 timeout, 1 a pod Failed, else 0.
 */
export function sessionExitCode(result: SessionResult, opts: { signalIsStop?: boolean } = {}): number {
  if (result.outcome === 'interrupted')
    return opts.signalIsStop ? EXIT_OK : EXIT_SIGNAL[result.signal ?? 'SIGINT'];
  if (result.outcome === 'timeout') return EXIT_TIMEOUT;
  return result.atDecision.some((p) => p.status?.phase === 'Failed') ? EXIT_POD_FAILED : EXIT_OK;
}
