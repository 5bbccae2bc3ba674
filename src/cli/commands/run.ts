// `podflow run -f FILE [-f FILE…]`: starts the embedded engine, admits the manifests exactly as `validate` and the
// API do (core/manifest admitManifests), creates the pods, streams a readable timeline of what happens to them, and
// stops at the goal: terminal (`--until done`), Ready (`--until ready`) or `--timeout`. Then it deletes the pods
// gracefully (unless `--keep`) and stops the engine, so a run leaves nothing behind. Ctrl-C deletes them too.
// Exit: 0 goal reached, 1 a pod Failed, 2 invalid manifest / usage error / timeout, 130 SIGINT (143 SIGTERM).
//
// Goals, timeouts and signal handling below are shared with `podflow start` and `podflow serve`.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { formatGoDuration, parseDuration } from '../../core/duration.ts';
import { admitManifests } from '../../core/manifest/index.ts';
import { DEFAULT_TERMINATION_GRACE_SECONDS, podGraceSeconds } from '../../core/pod-spec.ts';
import { toRfc3339 } from '../../core/time.ts';
import { isAlreadyExists, isInvalid } from '../../ports/errors.ts';
import type { StoreChange } from '../../engine/observable-pod-store.ts';
import type { PodKey } from '../../ports/pod-key.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError } from '../cli-io.ts';
import {
  addEngineFlags,
  exitWhenDrained,
  openEngineFromFlags,
  type EngineFlagValues,
} from '../engine-flags.ts';
import { readManifestSources, type ManifestSource } from '../manifest-sources.ts';
import {
  describeEvent,
  describePodChange,
  formatTimelineLine,
  POD_DELETED_TEXT,
} from '../../printers/timeline.ts';

/** A pod that ran and ended Failed (or did not reach its goal because it failed). */
export const EXIT_POD_FAILED = EXIT_INVALID;
/** The goal was not reached within `--timeout`. Same code as a usage error, as the issue specifies. */
export const EXIT_TIMEOUT = EXIT_USAGE;
/** Shell convention: 128 + signal number. */
export const EXIT_SIGNAL: Readonly<Record<InterruptSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Default `--timeout`: how long `run` and `start` wait for the goal. */
export const DEFAULT_TIMEOUT = '5m';
/**
 * How long to wait for a pod to be gone beyond its grace period and the engine's termination margin. The runtime
 * escalates to SIGKILL at the end of the grace; this only bounds the wait should something be stuck.
 */
const DELETION_SLACK_SECONDS = 30;

export type Goal = 'done' | 'ready';
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

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

/** The goal a pod's restartPolicy implies: a pod that restarts forever can only become Ready. */
export function defaultGoal(pod: Pod): Goal {
  return (pod.spec?.restartPolicy ?? 'Always') === 'Always' ? 'ready' : 'done';
}

const podKey = (pod: Pod): PodKey => ({
  namespace: pod.metadata?.namespace ?? 'default',
  name: pod.metadata?.name ?? '',
});
const keyText = (k: PodKey): string => `${k.namespace}/${k.name}`;

/**
 * Admits the manifests and keeps the Pods. Prints warnings; prints the errors and returns undefined when anything
 * is invalid or not a Pod (nothing runs then).
 */
export function admitPods(sources: ManifestSource[], io: CliIo): Pod[] | undefined {
  const pods: Pod[] = [];
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const { name, text } of sources) {
    const result = admitManifests(text, name, { strict: false, now: io.now(), newUid: io.newUid });
    for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
    errors.push(...result.errors);
    if (result.documents.length === 0 && result.textErrors.length === 0)
      errors.push(`${name}: no objects found`);
    for (const doc of result.documents) {
      if (!doc.valid || !doc.object) continue;
      if (doc.kind !== 'Pod') {
        errors.push(
          `${doc.label}: ${doc.description}: ${doc.kind} is not supported until the workloads issue lands; podflow runs Pods only for now`,
        );
        continue;
      }
      const pod = doc.object as Pod;
      const key = keyText(podKey(pod));
      const earlier = seen.get(key);
      if (earlier) errors.push(`${doc.label}: pod ${key} is already defined in ${earlier}`);
      else seen.set(key, doc.label);
      pods.push(pod);
    }
  }
  if (errors.length === 0) return pods;
  for (const e of errors) io.stderr(`${e}\n`);
  io.stderr('error: nothing was run (check manifests with `podflow validate -f FILE`)\n');
  return undefined;
}

/** One pod of a session: what it is, what it waits for, and what it looks like. */
export interface SessionPod {
  key: PodKey;
  uid: string;
  /** How the timeline names it: the name, or namespace/name when namespaces differ from `default`. */
  label: string;
  goal: Goal;
  /** The object as last committed (the manifest's object before creation). */
  latest: Pod;
  created: boolean;
  /** Reached its goal, or ended (terminal, or deleted by someone else): nothing more to wait for. */
  settled: boolean;
  removed: boolean;
}

/** A timeline entry: elapsed time since the pods were created, which pod (if any), the text. */
export interface TimelineEntry {
  elapsedMs: number;
  pod?: SessionPod;
  text: string;
}

/** How a command renders the session. */
export interface SessionView {
  entry(e: TimelineEntry): void;
  /** The session stops watching for the goal and, unless kept, deletes the pods. */
  decided?(outcome: SessionOutcome, pods: readonly SessionPod[], elapsedMs: number): void;
}

export type SessionOutcome = 'reached' | 'timeout' | 'interrupted';

export interface SessionOptions {
  flags: EngineFlagValues;
  pods: Pod[];
  /** One goal for every pod; default per pod from its restartPolicy. */
  until?: Goal;
  /** 0: no timeout. */
  timeoutMs: number;
  keep: boolean;
  io: CliIo;
  signals: SignalSource;
  view: SessionView;
}

export interface SessionResult {
  outcome: SessionOutcome;
  signal?: InterruptSignal;
  pods: SessionPod[];
  /** Each pod as it stood when the session decided (goal, timeout, Ctrl-C) — or, after Ctrl-C, when last seen. */
  final: Pod[];
  /** Milliseconds from creation to the decision. */
  decidedAfterMs: number;
  dataDir: string;
  /** Pods still present when the session ended (kept, or a deletion that did not finish). */
  leftBehind: SessionPod[];
}

const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const isReady = (pod: Pod): boolean =>
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Starts the engine, runs the pods to their goal, deletes them unless kept, stops the engine. */
export async function runPodSession(opts: SessionOptions): Promise<SessionResult> {
  const { io, view } = opts;
  if (opts.keep && opts.flags.inMemory)
    throw new UsageError(
      '--keep cannot be combined with --in-memory: the pods would outlive the store that knows them',
    );
  const signals: InterruptSignal[] = [];
  let wake: () => void = () => {};
  const stopSignals = opts.signals.onInterrupt((signal) => {
    signals.push(signal);
    wake();
  });
  /** Resolves true once `done()` holds, false after `timeoutMs` (0: never); re-checked after every change. */
  const waitUntil = (done: () => boolean, timeoutMs = 0): Promise<boolean> =>
    new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (value: boolean): void => {
        wake = () => {};
        clearTimeout(timer);
        resolve(value);
      };
      wake = () => {
        if (done()) finish(true);
      };
      if (timeoutMs > 0) timer = setTimeout(() => finish(false), timeoutMs);
      wake();
    });

  const namespaced = opts.pods.some((p) => podKey(p).namespace !== 'default');
  const pods: SessionPod[] = opts.pods.map((pod) => {
    const key = podKey(pod);
    return {
      key,
      uid: pod.metadata?.uid ?? '',
      label: namespaced ? keyText(key) : key.name,
      goal: opts.until ?? defaultGoal(pod),
      latest: pod,
      created: false,
      settled: false,
      removed: false,
    };
  });
  const byKey = new Map(pods.map((p) => [keyText(p.key), p]));
  let t0 = io.now();
  const entry = (pod: SessionPod | undefined, text: string): void =>
    view.entry({ elapsedMs: io.now() - t0, ...(pod ? { pod } : {}), text });
  const notice = (text: string): void => io.stderr(text);

  try {
    const engine = await openEngineFromFlags(opts.flags, (err, context) =>
      notice(`podflow: ${context}: ${err instanceof Error ? err.message : String(err)}\n`),
    );
    const { store } = engine.local;
    /** How long a graceful deletion may take before podflow stops waiting (the runtime SIGKILLs at the grace). */
    const deletionBoundMs = (graceSeconds: number): number =>
      (graceSeconds + engine.local.deps.settings.terminationMarginSeconds + DELETION_SLACK_SECONDS) * 1000;
    let deleting = false;
    let allGone = false;
    let lastChangeAt = io.now();
    try {
      // Pods of the same names left in a persistent data directory (an earlier `--keep`).
      const existing: PodKey[] = [];
      for (const p of pods) if (await store.get(p.key)) existing.push(p.key);
      if (existing.length > 0) {
        throw new UsageError(
          `${existing.map((k) => `pod ${keyText(k)}`).join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${engine.dataDir} (left by an earlier --keep?); use another --data-dir or --in-memory`,
        );
      }

      const unsubscribe = store.subscribe((change) => {
        // The store calls listeners inside the engine's writes: a rendering problem must not become the engine's.
        try {
          onChange(change);
        } catch (err) {
          notice(`podflow: timeline: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      });
      function onChange(change: StoreChange): void {
        lastChangeAt = io.now();
        if (change.type === 'event') {
          const about = change.event.involvedObject;
          const p = byKey.get(`${about.namespace}/${about.name}`);
          if (p?.created && (about.uid === undefined || about.uid === p.uid))
            entry(p, describeEvent(change.event));
          return;
        }
        if (change.type === 'removed') {
          const p = byKey.get(keyText(change.key));
          if (!p?.created || p.removed) return;
          p.removed = true;
          p.settled = true;
          entry(p, POD_DELETED_TEXT);
        } else {
          const p = byKey.get(keyText(change.pod.key));
          const pod = change.pod.state.pod;
          if (!p || pod.metadata?.uid !== p.uid) return;
          const before = change.type === 'created' ? undefined : p.latest;
          p.created = true;
          p.latest = pod;
          for (const text of describePodChange(before, pod)) entry(p, text);
          if (!p.settled && !deleting && (isTerminal(pod) || (p.goal === 'ready' && isReady(pod))))
            p.settled = true;
        }
        wake();
      }

      /**
       * Deletes the pods gracefully and waits for them to be gone. A further Ctrl-C escalates to grace 0 (SIGKILL
       * now, as `kubectl delete --grace-period=0 --force`); one more stops waiting.
       */
      const deleteAndWait = async (toDelete: SessionPod[]): Promise<void> => {
        for (const p of toDelete) await engine.local.engine.deletePod(p.key);
        const graceSeconds = Math.max(
          ...toDelete.map((p) =>
            p.latest.spec ? podGraceSeconds(p.latest.spec) : DEFAULT_TERMINATION_GRACE_SECONDS,
          ),
        );
        const deadline = io.now() + deletionBoundMs(graceSeconds);
        const allRemoved = (): boolean => toDelete.every((p) => p.removed);
        let seen = signals.length;
        let forced = false;
        for (;;) {
          const remaining = deadline - io.now();
          if (remaining <= 0) break;
          const settled = await waitUntil(() => signals.length > seen || allRemoved(), remaining);
          if (!settled || allRemoved()) break;
          seen = signals.length;
          const signal = signals[seen - 1];
          if (forced) {
            entry(undefined, `${signal}: not waiting for the deletion any more`);
            break;
          }
          forced = true;
          entry(undefined, `${signal}: deleting with grace 0`);
          for (const p of toDelete) if (!p.removed) await engine.local.engine.deletePod(p.key, 0);
        }
        for (const p of toDelete.filter((q) => !q.removed))
          notice(
            `warning: pod ${keyText(p.key)} was not gone when podflow stopped waiting; its containers may still run (data in ${engine.dataDir})\n`,
          );
      };
      const created = (): SessionPod[] => pods.filter((p) => p.created && !p.removed);

      try {
        t0 = io.now();
        for (const p of pods) {
          if (signals.length > 0) break;
          try {
            // The API server stamps creationTimestamp when it stores the object (rest.BeforeCreate), not when the
            // manifest was read: the engine took a moment to start since.
            p.latest = {
              ...p.latest,
              metadata: { ...p.latest.metadata, creationTimestamp: toRfc3339(io.now()) },
            };
            await engine.local.engine.createPod(p.latest);
          } catch (err) {
            // The pods created so far must not outlive the failure.
            await deleteAndWait(created());
            // The runtime cannot give the pod what it asks for (a host port): the field errors, as the API says them.
            if (isInvalid(err)) throw new UsageError(err.message);
            if (!isAlreadyExists(err)) throw err;
            throw new UsageError(`pod ${keyText(p.key)} already exists in ${engine.dataDir}`);
          }
        }

        const reached = await waitUntil(
          () => signals.length > 0 || pods.every((p) => p.settled),
          opts.timeoutMs,
        );
        const outcome: SessionOutcome = signals.length > 0 ? 'interrupted' : reached ? 'reached' : 'timeout';
        const decidedAfterMs = io.now() - t0;
        const atDecision = pods.map((p) => p.latest);
        deleting = true;
        view.decided?.(outcome, pods, decidedAfterMs);

        const toDelete = created();
        if (toDelete.length > 0 && (outcome === 'interrupted' || !opts.keep)) {
          if (outcome === 'interrupted')
            entry(undefined, `${signals[0]}: deleting gracefully (press Ctrl-C again for grace 0)`);
          await deleteAndWait(toDelete);
        } else if (toDelete.length > 0) {
          // Kept pods may still be mid-step (events being recorded, a container being started): let the engine
          // settle before it stops, or those writes fail against the closed store (LocalEngine.close does not
          // drain in-flight steps). The next engine start resumes whatever is left.
          await waitForQuiet(() => lastChangeAt, io.now);
        }
        allGone = pods.every((p) => !p.created || p.removed);
        const final = outcome === 'interrupted' ? pods.map((p) => p.latest) : atDecision;
        return {
          outcome,
          ...(outcome === 'interrupted' ? { signal: signals[0] } : {}),
          pods,
          final,
          decidedAfterMs,
          dataDir: engine.dataDir,
          leftBehind: pods.filter((p) => p.created && !p.removed),
        };
      } finally {
        unsubscribe();
      }
    } finally {
      await engine.close({ removeTemporary: allGone });
    }
  } finally {
    stopSignals();
  }
}

/** The store has been quiet this long: the engine has nothing in flight for kept pods. */
const QUIET_MS = 300;
/** …but do not wait longer than this for it (a crash-looping pod is never quiet). */
const QUIET_WAIT_MAX_MS = 3000;

async function waitForQuiet(lastChangeAt: () => number, now: () => number): Promise<void> {
  const until = now() + QUIET_WAIT_MAX_MS;
  while (now() - lastChangeAt() < QUIET_MS && now() < until) await new Promise((r) => setTimeout(r, 50));
}

/** The exit code of a session: 130/143 interrupted, 2 timeout, 1 a pod Failed, else 0. */
export function sessionExitCode(result: SessionResult): number {
  if (result.outcome === 'interrupted') return EXIT_SIGNAL[result.signal ?? 'SIGINT'];
  if (result.outcome === 'timeout') return EXIT_TIMEOUT;
  return result.final.some((p) => p.status?.phase === 'Failed') ? EXIT_POD_FAILED : EXIT_OK;
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

/** A pod that missed its goal, for messages: `was not Ready` / `did not finish`. */
export function missedGoalText(goal: Goal): string {
  return goal === 'ready' ? 'was not Ready' : 'did not finish';
}

export interface RunOptions extends EngineFlagValues {
  filename: string[];
  until?: Goal;
  timeout: string;
  output: 'text' | 'json';
  keep?: boolean;
}

/** Runs the command; returns the exit code. Throws UsageError for unusable arguments. */
export async function runRun(
  opts: RunOptions,
  io: CliIo,
  signals: SignalSource = processSignals,
): Promise<number> {
  const timeoutMs = parseTimeout(opts.timeout);
  const sources = await readManifestSources(opts.filename, io);
  const pods = admitPods(sources, io);
  if (!pods) return EXIT_USAGE;
  if (pods.length === 0) throw new UsageError('no pods to run');

  // With -o json, stdout carries only the pod object: the timeline moves to stderr.
  const timeline = opts.output === 'json' ? io.stderr : io.stdout;
  const several = pods.length > 1;
  const width = Math.max(...pods.map((p) => (p.metadata?.name ?? '').length));
  const result = await runPodSession({
    flags: opts,
    pods,
    ...(opts.until ? { until: opts.until } : {}),
    timeoutMs,
    keep: opts.keep === true,
    io,
    signals,
    view: {
      entry: (e) => {
        const pod = several && e.pod ? { label: e.pod.label, width } : undefined;
        timeline(`${formatTimelineLine(e.elapsedMs, e.text, pod)}\n`);
      },
      decided: (outcome, sessionPods) => {
        if (outcome !== 'timeout') return;
        for (const p of sessionPods.filter((q) => !q.settled))
          io.stderr(
            `timeout: pod ${p.label} ${missedGoalText(p.goal)} within ${formatGoDuration(timeoutMs)}\n`,
          );
      },
    },
  });
  for (const p of result.leftBehind)
    if (opts.keep && result.outcome !== 'interrupted')
      io.stderr(`pod ${p.label} left as it is (--keep); its data is in ${result.dataDir}\n`);
  if (opts.output === 'json') {
    const body =
      result.final.length === 1
        ? result.final[0]
        : { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: result.final };
    io.stdout(`${JSON.stringify(body, null, 2)}\n`);
  }
  return sessionExitCode(result);
}

export function registerRunCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('run')
    .description(
      'run pods from manifests on the embedded engine and stream what happens to them, until they are done or Ready',
    )
    .requiredOption(
      '-f, --filename <path...>',
      'manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin',
    )
    .addOption(
      new Option(
        '--until <goal>',
        'done: the pod Succeeded or Failed; ready: its Ready condition is True (default: ready for restartPolicy Always, else done)',
      ).choices(['done', 'ready']),
    )
    .option(
      '--timeout <duration>',
      'give up waiting after this long (e.g. 30s, 5m; 0: never)',
      DEFAULT_TIMEOUT,
    )
    .option(
      '--keep',
      'leave the pods as they are when the goal is reached or the timeout passes (Ctrl-C still deletes)',
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        'text: the timeline on stdout; json: the final pod object on stdout, the timeline on stderr',
      )
        .choices(['text', 'json'])
        .default('text'),
    );
  addEngineFlags(command)
    .addHelpText(
      'after',
      `
Once the goal is reached (or the timeout passes) the pods are deleted gracefully
and the engine stops, so a run leaves nothing behind; --keep leaves them running
in the data directory instead. Ctrl-C deletes the pods gracefully and waits for
them to be gone (Ctrl-C again: grace 0).

Exit status: 0 goal reached, 1 a pod Failed, 2 invalid manifest, usage error or
timeout, 130 interrupted.

Examples:
  podflow run -f examples/quickstart/hello-job-pod.yaml
  podflow run -f pod.yaml --until ready --timeout 1m -o json > pod.json`,
    )
    .action(async (opts: RunOptions) => {
      setExitCode(await runRun(opts, io));
      exitWhenDrained();
    });
}
