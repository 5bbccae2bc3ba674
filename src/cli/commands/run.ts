// `podflow run -f FILE [-f FILE…]`: starts the embedded engine, admits the manifests exactly as `validate` and the
// API do (core/manifest admitManifests), creates the pods, streams a readable timeline of what happens to them, and
// stops at the goal: terminal (`--until done`), Ready (`--until ready`) or `--timeout`. Then it deletes the pods
// gracefully (unless `--keep`) and stops the engine, so a run leaves nothing behind. Ctrl-C deletes them too.
// Exit: 0 goal reached, 1 a pod Failed, 2 invalid manifest / usage error / timeout, 130 SIGINT (143 SIGTERM).
//
// Goals, waiting, deletion and exit codes are those of every CLI session (../session.ts); this file creates and
// deletes the pods on the engine in this process and follows them through the store's change feed.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { formatGoDuration } from '../../core/duration.ts';
import { admitManifests } from '../../core/manifest/index.ts';
import { toRfc3339 } from '../../core/time.ts';
import { isAlreadyExists, isInvalid } from '../../ports/errors.ts';
import type { StoreChange } from '../../engine/observable-pod-store.ts';
import type { PodKey } from '../../ports/pod-key.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_USAGE, UsageError } from '../cli-io.ts';
import {
  addEngineFlags,
  exitWhenDrained,
  openEngineFromFlags,
  type EngineFlagValues,
  type OpenedEngine,
} from '../engine-flags.ts';
import { readManifestSources, type ManifestSource } from '../manifest-sources.ts';
import {
  DEFAULT_TIMEOUT,
  keyText,
  missedGoalText,
  parseTimeout,
  PodSession,
  podKey,
  processSignals,
  realClock,
  runSession,
  sessionExitCode,
  type Goal,
  type PodSource,
  type SessionPod,
  type SessionOutcome,
  type SessionResult,
  type SignalSource,
} from '../session.ts';
import {
  describeEvent,
  describePodChange,
  formatTimelineLine,
  POD_DELETED_TEXT,
} from '../../printers/timeline.ts';

/**
 * Admits the manifests and keeps the Pods. Prints warnings; prints the errors and returns undefined when anything
 * is invalid or not a Pod (nothing runs then). `command` names the command in messages (`podflow run`).
 */
export function admitPods(sources: ManifestSource[], io: CliIo, command: string): Pod[] | undefined {
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
          `${doc.label}: ${doc.description}: ${doc.kind} is not supported by \`${command}\`: it runs Pods only`,
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

/** The engine in this process as a session's pod source. */
function engineSource(engine: OpenedEngine, io: CliIo): PodSource {
  const source: PodSource = {
    dataDir: engine.dataDir,
    terminationMarginSeconds: engine.local.deps.settings.terminationMarginSeconds,
    async create(session) {
      for (const p of session.pods) {
        if (session.interrupted) break;
        // The API server stamps creationTimestamp when it stores the object (rest.BeforeCreate), not when the
        // manifest was read: the engine took a moment to start since.
        const pod: Pod = {
          ...p.manifest,
          metadata: { ...p.manifest.metadata, creationTimestamp: toRfc3339(io.now()) },
        };
        p.uid = pod.metadata?.uid;
        try {
          await engine.local.engine.createPod(pod);
        } catch (err) {
          // The pods created so far must not outlive the failure.
          await session.deleteAndWait(session.present(), source);
          // The runtime cannot give the pod what it asks for (a host port): the field errors, as the API says them.
          if (isInvalid(err)) throw new UsageError(err.message);
          if (!isAlreadyExists(err)) throw err;
          throw new UsageError(`pod ${keyText(p.key)} already exists in ${engine.dataDir}`);
        }
      }
    },
    async delete(p, graceSeconds) {
      await engine.local.engine.deletePod(p.key, graceSeconds);
      return true;
    },
  };
  return source;
}

/** Feeds the store's changes to the session and the timeline. */
function followStore(
  session: PodSession,
  change: StoreChange,
  entry: (pod: SessionPod | undefined, text: string) => void,
): void {
  if (change.type === 'event') {
    const about = change.event.involvedObject;
    const p = session.pod({ namespace: about.namespace ?? 'default', name: about.name ?? '' });
    if (p?.created && (about.uid === undefined || about.uid === p.uid)) entry(p, describeEvent(change.event));
  } else if (change.type === 'removed') {
    const p = session.observeRemoval(change.key);
    if (p) entry(p, POD_DELETED_TEXT);
  } else {
    const pod = change.pod.state.pod;
    const p = session.podOf(pod);
    if (!p) return;
    const before = change.type === 'created' ? undefined : p.latest;
    session.observe(pod);
    for (const text of describePodChange(before, pod)) entry(p, text);
  }
}

/** How `run` renders a session. */
interface RunView {
  /** A timeline line: elapsed time since the pods were created, which pod (if any), the text. */
  entry(elapsedMs: number, pod: SessionPod | undefined, text: string): void;
  /** The session stopped waiting for the goal. */
  decided(outcome: SessionOutcome, session: PodSession): void;
}

interface RunResult extends SessionResult {
  /** The pods `-o json` prints. */
  final: Pod[];
  dataDir: string;
}

interface RunSessionOptions {
  flags: EngineFlagValues;
  pods: Pod[];
  until?: Goal;
  /** 0: no timeout. */
  timeoutMs: number;
  keep: boolean;
  io: CliIo;
  signals: SignalSource;
  view: RunView;
}

/** Starts the engine, runs the pods to their goal, deletes them unless kept, stops the engine. */
async function runPodSession(opts: RunSessionOptions): Promise<RunResult> {
  const { io, view } = opts;
  if (opts.keep && opts.flags.inMemory)
    throw new UsageError(
      '--keep cannot be combined with --in-memory: the pods would outlive the store that knows them',
    );
  const notice = (text: string): void => io.stderr(text);
  const session = new PodSession({
    pods: opts.pods,
    ...(opts.until ? { until: opts.until } : {}),
    signals: opts.signals,
    clock: realClock(io.now),
    output: { line: (text) => entry(undefined, text), warn: notice },
  });
  const entry = (pod: SessionPod | undefined, text: string): void =>
    view.entry(session.elapsedMs(), pod, text);
  try {
    const engine = await openEngineFromFlags(opts.flags, (err, context) =>
      notice(`podflow: ${context}: ${err instanceof Error ? err.message : String(err)}\n`),
    );
    let allGone = false;
    try {
      await refuseExisting(engine, session);
      let lastChangeAt = io.now();
      const unsubscribe = engine.local.store.subscribe((change) => {
        lastChangeAt = io.now();
        // The store calls listeners inside the engine's writes: a rendering problem must not become the engine's.
        try {
          followStore(session, change, entry);
        } catch (err) {
          notice(`podflow: timeline: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      });
      try {
        const result = await runSession(session, engineSource(engine, io), {
          timeoutMs: opts.timeoutMs,
          keep: (outcome) => opts.keep && outcome !== 'interrupted',
          decided: (outcome) => {
            view.decided(outcome, session);
            if (outcome === 'interrupted' && session.present().length > 0)
              entry(undefined, `${session.signals[0]}: deleting gracefully (press Ctrl-C again for grace 0)`);
          },
        });
        // Kept pods may still be mid-step (events being recorded, a container being started): let the engine
        // settle before it stops, or those writes fail against the closed store (LocalEngine.close does not
        // drain in-flight steps). The next engine start resumes whatever is left.
        if (result.leftBehind.length > 0) await waitForQuiet(() => lastChangeAt, io.now);
        allGone = result.leftBehind.length === 0;
        // After Ctrl-C, each pod as last seen; else as it stood at the goal or the timeout.
        const final =
          result.outcome === 'interrupted'
            ? session.pods.map((p) => p.latest ?? p.manifest)
            : result.atDecision;
        return { ...result, final, dataDir: engine.dataDir };
      } finally {
        unsubscribe();
      }
    } finally {
      await engine.close({ removeTemporary: allGone });
    }
  } finally {
    session.close();
  }
}

/** Pods of the same names left in a persistent data directory (an earlier `--keep`): a usage error. */
async function refuseExisting(engine: OpenedEngine, session: PodSession): Promise<void> {
  const existing: PodKey[] = [];
  for (const p of session.pods) if (await engine.local.store.get(p.key)) existing.push(p.key);
  if (existing.length === 0) return;
  throw new UsageError(
    `${existing.map((k) => `pod ${keyText(k)}`).join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${engine.dataDir} (left by an earlier --keep?); use another --data-dir or --in-memory`,
  );
}

/** The store has been quiet this long: the engine has nothing in flight for kept pods. */
const QUIET_MS = 300;
/** …but do not wait longer than this for it (a crash-looping pod is never quiet). */
const QUIET_WAIT_MAX_MS = 3000;

async function waitForQuiet(lastChangeAt: () => number, now: () => number): Promise<void> {
  const until = now() + QUIET_WAIT_MAX_MS;
  while (now() - lastChangeAt() < QUIET_MS && now() < until) await new Promise((r) => setTimeout(r, 50));
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
  const pods = admitPods(sources, io, 'podflow run');
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
      entry: (elapsedMs, pod, text) => {
        const who = several && pod ? { label: pod.label, width } : undefined;
        timeline(`${formatTimelineLine(elapsedMs, text, who)}\n`);
      },
      decided: (outcome, session) => {
        if (outcome !== 'timeout') return;
        for (const p of session.pods.filter((q) => !q.settled))
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
