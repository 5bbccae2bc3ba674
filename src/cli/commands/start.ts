// `podflow start [DIR]` (what `npm start` runs): the guided tour, through the Kubernetes-compatible API. It starts the
// same server as `podflow serve` in this process (127.0.0.1, port 8080 unless `--port`; a free port when 8080 is
// taken, and it says so), writes `<data-dir>/kubeconfig`, applies every manifest under DIR (default: the package's
// examples/quickstart/) through the API as `podflow apply` does, and shows the pods as they go — on a terminal a
// `kubectl get pods` table refreshed in place with the last timeline lines under it, otherwise timeline lines (CI
// logs, the README). While it runs, `KUBECONFIG=.podflow/kubeconfig kubectl get pods` (or `podflow get pods`) works.
//
// It keeps serving until Ctrl-C, which deletes the tour's pods gracefully (Ctrl-C again: grace 0), stops the server
// and exits 0: stopping a server is not a failure, and `npm start` should not end in an npm error. With
// `--exit-when-done` (tests, CI-friendly demos) it ends by itself once every pod reached its goal — Succeeded or
// Failed for restartPolicy Never/OnFailure, Ready for Always — printing a summary table and deleting the pods; then
// the exit status is that of `podflow run`: 0 goal reached, 1 a pod Failed, 2 invalid manifest, usage error or
// timeout, 130 interrupted.
import type { Command } from 'commander';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { formatGoDuration } from '../../core/duration.ts';
import { podGraceSeconds } from '../../core/grace.ts';
import { ApiClient, isNotFoundError, podsPath } from '../api-client.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_USAGE, UsageError } from '../cli-io.ts';
import { addEngineFlags, addStaticPodFlags, DEFAULT_DATA_DIR, exitWhenDrained } from '../engine-flags.ts';
import type { EngineFlagValues } from '../engine-flags.ts';
import { readManifestSources } from '../manifest-sources.ts';
import {
  DEFAULT_TIMEOUT,
  defaultGoal,
  deletionBoundMs,
  keyText,
  missedGoalText,
  parseTimeout,
  PodSession,
  podKey,
  processSignals,
  realClock,
  runSession,
  sessionExitCode,
  type PodSource,
  type SessionOutcome,
  type SessionResult,
  type SignalSource,
} from '../session.ts';
import { renderPodTable } from '../../printers/pod-table.ts';
import {
  describeEvent,
  describePodChange,
  formatElapsed,
  formatTimelineLine,
  POD_DELETED_TEXT,
} from '../../printers/timeline.ts';
import { applyManifestObjects, readManifestObjects, type ManifestObject } from './apply.ts';
import { deletePod, waitForPodGone } from './delete.ts';
import { followWatch } from './get.ts';
import { LiveRegion } from '../live-region.ts';
import { admitPods } from './run.ts';
import { DEFAULT_PORT, parsePort, startServe, type ServeHandle } from './serve.ts';

/** The tour's manifests, shipped with the package: found wherever `podflow start` is run from. */
export const QUICKSTART_DIR = join(import.meta.dirname, '..', '..', '..', 'examples', 'quickstart');
/** Timeline lines kept under the live table. */
const LIVE_TIMELINE_LINES = 6;

export interface StartOptions extends EngineFlagValues {
  port: number;
  token?: string;
  timeout: string;
  keep?: boolean;
  exitWhenDone?: boolean;
}

/** What `start` needs to know about its standard output. */
export interface StartTerminal {
  isTTY: boolean;
  /** Width in characters, read at every redraw (terminals get resized); live lines are cut to it. */
  readonly columns: number;
}

/** A path as the user would type it from here: relative when below the working directory. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Whether something already listens on 127.0.0.1:port. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort(true)));
  });
}

const keyOf = (pod: Pod): string => keyText(podKey(pod));

/**
 * What `start` shows: timeline lines, and on a terminal a live `kubectl get pods` table of every pod the API has
 * (kubectl users may add their own) with the last timeline lines under it.
 */
class TourView {
  /** Every pod the API has, by namespace/name. */
  readonly pods = new Map<string, Pod>();
  readonly #recent: string[] = [];
  readonly #live: LiveRegion | undefined;
  readonly #io: CliIo;
  readonly #session: PodSession;
  /** Some pod of the tour is outside `default`: every label is namespace/name. */
  readonly #namespaced: boolean;
  #width: number;

  constructor(io: CliIo, terminal: StartTerminal, session: PodSession) {
    this.#io = io;
    this.#session = session;
    this.#namespaced = session.pods.some((p) => p.key.namespace !== 'default');
    this.#width = Math.max(...session.pods.map((p) => p.label.length));
    this.#live = terminal.isTTY
      ? new LiveRegion(io.stdout, terminal, () => [
          ...renderPodTable(this.#tablePods(), io.now()).split('\n').slice(0, -1),
          '',
          ...this.#recent,
        ])
      : undefined;
  }

  get isLive(): boolean {
    return this.#live !== undefined;
  }

  /** How the timeline names a pod: its name, or namespace/name outside `default` or in a tour that is. */
  labelOf(pod: Pod): string {
    const key = podKey(pod);
    return this.#namespaced || key.namespace !== 'default' ? keyText(key) : key.name;
  }

  /** A timeline line, about a pod (its label) or the session. */
  entry(label: string | undefined, text: string): void {
    if (label) this.#width = Math.max(this.#width, label.length);
    const line = formatTimelineLine(
      this.#session.elapsedMs(),
      text,
      label ? { label, width: this.#width } : undefined,
    );
    if (!this.#live) return this.#io.stdout(`${line}\n`);
    this.#recent.push(line);
    this.#recent.splice(0, this.#recent.length - LIVE_TIMELINE_LINES);
    this.#live.schedule();
  }

  readonly print = (text: string): void => (this.#live ? this.#live.print(text) : this.#io.stdout(text));
  readonly printErr = (text: string): void => (this.#live ? this.#live.print(text) : this.#io.stderr(text));

  schedule(): void {
    this.#live?.schedule();
  }

  /** The session's pods as `kubectl get pods` prints them. */
  summary(): string {
    return renderPodTable(
      this.#session.pods.flatMap((p) => (p.latest ? [p.latest] : [])),
      this.#io.now(),
    );
  }

  close(): void {
    this.#live?.close();
  }

  #tablePods(): Pod[] {
    return [...this.pods.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  }
}

/** Runs the command; returns the exit code. Throws UsageError for unusable arguments. */
export async function runStart(
  dir: string | undefined,
  opts: StartOptions,
  io: CliIo,
  terminal: StartTerminal,
  signals: SignalSource = processSignals,
): Promise<number> {
  const timeoutMs = parseTimeout(opts.timeout);
  const root = dir === undefined ? QUICKSTART_DIR : resolve(dir);
  if (!existsSync(root)) throw new UsageError(`the directory "${dir ?? root}" does not exist`);
  const sources = (await readManifestSources([root], io)).map((s) => ({ ...s, name: displayPath(s.name) }));
  // Checked here first, with file positions, so that a broken tour stops before a server starts.
  const admitted = admitPods(sources, io, 'podflow start');
  if (!admitted) return EXIT_USAGE;
  if (admitted.length === 0) throw new UsageError(`no pods under "${displayPath(root)}"`);
  const { objects } = readManifestObjects(sources);

  const session: PodSession = new PodSession({
    pods: admitted,
    signals,
    clock: realClock(io.now),
    output: { line: (text) => view.entry(undefined, text), warn: (text) => view.printErr(text) },
  });
  const view = new TourView(io, terminal, session);
  let serve: ServeHandle | undefined;
  const watches = new AbortController();
  try {
    const served = await serveOnFreePort(opts, io);
    serve = served.serve;
    const dataDir = opts.dataDir ?? (opts.inMemory ? serve.dataDir : DEFAULT_DATA_DIR);
    const tour: Tour = { session, view, opts, dataDir, timeoutMs };
    view.print(headerText(tour, root, serve, served.moved));
    const client = new ApiClient({
      server: serve.url,
      ...(opts.token ? { token: opts.token } : {}),
      namespace: 'default',
      namespaceFromFlag: false,
    });
    const source = apiSource(client, objects, view, dataDir, serve.terminationMarginSeconds);
    await replaceLeftovers(client, session, source, view);
    await followPods(client, session, view, watches.signal);
    const result = await runSession(session, source, {
      timeoutMs: opts.exitWhenDone ? timeoutMs : 0,
      holdUntilSignal: !opts.exitWhenDone,
      keep: () => opts.keep === true,
      decided: (outcome) => view.print(decisionText(tour, outcome)),
    });
    view.close();
    io.stdout(endingText(tour, result));
    return sessionExitCode(result, { signalIsStop: !opts.exitWhenDone });
  } finally {
    view.close();
    watches.abort();
    session.close();
    await serve?.stop();
  }
}

/** Serves on `--port`, or on a free port when that one is taken (`moved`). */
async function serveOnFreePort(
  opts: StartOptions,
  io: CliIo,
): Promise<{ serve: ServeHandle; moved: boolean }> {
  let port = opts.port;
  let moved = false;
  if (port !== 0 && !(await portIsFree(port))) {
    port = 0;
    moved = true;
  }
  try {
    return { serve: await startServe({ ...opts, port }, io), moved };
  } catch (err) {
    // Taken between the probe and the listen.
    if (!(err instanceof UsageError) || port === 0) throw err;
    return { serve: await startServe({ ...opts, port: 0 }, io), moved: true };
  }
}

/** What `start` prints first: what it runs, where, and how to reach it. */
function headerText(
  { session, opts, dataDir }: Tour,
  root: string,
  serve: ServeHandle,
  moved: boolean,
): string {
  const n = session.pods.length;
  const kubeconfig = displayPath(serve.kubeconfig);
  const defaultKubeconfig = kubeconfig === join(DEFAULT_DATA_DIR, 'kubeconfig');
  return (
    `podflow start: ${n} pod${n === 1 ? '' : 's'} from ${displayPath(root)}, data in ${dataDir}, Kubernetes API on ${serve.url}\n` +
    (moved ? `  port ${opts.port} on 127.0.0.1 is in use: serving on ${serve.url} instead\n` : '') +
    `  while it runs: KUBECONFIG=${kubeconfig} kubectl get pods   (or: npx podflow get pods${defaultKubeconfig ? '' : ` --kubeconfig ${kubeconfig}`})\n` +
    (opts.exitWhenDone
      ? `  it exits once every pod reached its goal (--exit-when-done); Ctrl-C deletes the pods and exits\n`
      : `  Ctrl-C deletes the pods and exits\n`)
  );
}

/** The API as a session's pod source: the tour is applied as `podflow apply -f DIR` would, pods deleted by DELETE. */
function apiSource(
  client: ApiClient,
  objects: ManifestObject[],
  view: TourView,
  dataDir: string,
  terminationMarginSeconds: number,
): PodSource {
  return {
    dataDir,
    terminationMarginSeconds,
    async create(session) {
      const applied = await applyManifestObjects(client, objects, {
        stdout: view.print,
        stderr: view.printErr,
      });
      const created = new Set<string>();
      for (const { pod } of applied.results) {
        const p = session.pod(podKey(pod));
        if (!p) continue;
        created.add(keyText(p.key));
        p.uid = pod.metadata?.uid;
        p.goal = defaultGoal(pod);
        p.created = true;
      }
      // Objects the API refused (printed above) are not waited for.
      for (const p of session.pods) if (!created.has(keyText(p.key))) p.settled = p.removed = true;
    },
    async delete(p, graceSeconds) {
      try {
        await deletePod(client, p.key.namespace, p.key.name, graceSeconds);
      } catch (err) {
        if (isNotFoundError(err)) return false;
        // Grace 0 only hurries a deletion already under way.
        if (graceSeconds !== 0) throw err;
      }
      return true;
    },
  };
}

/** Pods of the same names left in the data directory (an earlier --keep, or a serve): the tour starts afresh. */
async function replaceLeftovers(
  client: ApiClient,
  session: PodSession,
  source: PodSource,
  view: TourView,
): Promise<void> {
  await Promise.all(
    session.pods.map(async ({ key: { namespace, name } }) => {
      let left: Pod;
      try {
        left = await client.get<Pod>(podsPath(namespace, name));
      } catch (err) {
        if (isNotFoundError(err)) return;
        throw err;
      }
      view.printErr(`replacing pod ${namespace}/${name}, left in ${source.dataDir} by an earlier run\n`);
      const marked = await deletePod(client, namespace, name, undefined);
      const grace =
        marked.metadata?.deletionGracePeriodSeconds ?? podGraceSeconds(left.spec ?? { containers: [] });
      const boundMs = deletionBoundMs(grace, source.terminationMarginSeconds);
      if (!(await waitForPodGone(client, namespace, marked, boundMs)))
        throw new UsageError(
          `pod ${namespace}/${name}, left in ${source.dataDir} by an earlier run, did not go away; stop its processes and remove ${source.dataDir}, or use another --data-dir`,
        );
    }),
  );
}

/** Lists the pods and watches pods and events from here on, feeding the session and the view; resolves once open. */
async function followPods(
  client: ApiClient,
  session: PodSession,
  view: TourView,
  signal: AbortSignal,
): Promise<void> {
  const list = await client.get<{ items: Pod[]; metadata?: { resourceVersion?: string } }>(
    podsPath(undefined),
  );
  for (const pod of list.items) view.pods.set(keyOf(pod), pod);
  const onPod = (type: string, pod: Pod): void => {
    if (session.isStale(pod)) return;
    const key = keyOf(pod);
    const before = view.pods.get(key);
    if (type === 'DELETED') {
      // Only a pod seen can be deleted (a removal of another pod of that name is not this one's).
      if (!before || before.metadata?.uid !== pod.metadata?.uid) return;
      view.pods.delete(key);
      view.entry(view.labelOf(pod), POD_DELETED_TEXT);
      session.observeRemoval(podKey(pod));
    } else {
      view.pods.set(key, pod);
      for (const text of describePodChange(before, pod)) view.entry(view.labelOf(pod), text);
      session.observe(pod);
    }
    view.schedule();
  };
  // An event is about a pod of that name and that uid (a re-created pod's events are its own).
  const onEvent = (e: Event): void => {
    const about = e.involvedObject;
    const key = { namespace: about.namespace ?? 'default', name: about.name ?? '' };
    const mine = session.pod(key);
    const known = view.pods.get(keyText(key));
    if (!mine && !known) return;
    const uid = mine?.uid ?? known?.metadata?.uid;
    if (uid !== undefined && about.uid !== undefined && about.uid !== uid) return;
    const text = describeEvent({ type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '' });
    view.entry(mine ? mine.label : view.labelOf(known!), text);
  };
  const follow = <T>(
    path: string,
    resourceVersion: string,
    versionOf: (o: T) => string | undefined,
    on: (type: string, o: T) => void,
  ): Promise<void> =>
    new Promise((opened) => {
      followWatch<T>(client, path, {
        query: {},
        resourceVersion,
        versionOf,
        signal,
        onOpen: () => opened(),
        onEvent: (e) => {
          try {
            on(e.type, e.object);
          } catch (err) {
            view.printErr(`podflow start: timeline: ${err instanceof Error ? err.message : String(err)}\n`);
          }
        },
      }).catch((err: unknown) => {
        if (!signal.aborted)
          view.printErr(
            `podflow start: watching ${path}: ${err instanceof Error ? err.message : String(err)}\n`,
          );
        opened();
      });
    });
  await Promise.all([
    follow<Pod>(
      podsPath(undefined),
      list.metadata?.resourceVersion ?? '',
      (p) => p.metadata?.resourceVersion,
      onPod,
    ),
    // Events and pods share one resourceVersion sequence: from the list's, only what is recorded from then on.
    follow<Event>(
      '/api/v1/events',
      list.metadata?.resourceVersion ?? '',
      (e) => e.metadata?.resourceVersion,
      (_type, e) => onEvent(e),
    ),
  ]);
}

/** What the messages of a tour need. */
interface Tour {
  session: PodSession;
  view: TourView;
  opts: StartOptions;
  dataDir: string;
  timeoutMs: number;
}

/** What `start` prints when the session decides: the goal reached, the timeout, Ctrl-C. */
function decisionText({ session, view, opts, dataDir, timeoutMs }: Tour, outcome: SessionOutcome): string {
  if (outcome === 'reached') {
    const n = session.pods.length;
    const all = n === 1 ? 'the pod reached its goal' : `all ${n} pods reached their goal`;
    const elapsed = formatElapsed(session.elapsedMs()).trim();
    if (!opts.exitWhenDone)
      return `\n${all} in ${elapsed}; still serving — Ctrl-C deletes them and exits\n${view.isLive ? '' : `${view.summary()}\n`}`;
    const next = opts.keep
      ? 'leaving them as they are (--keep)'
      : 'deleting them gracefully (podflow start --keep leaves them running)';
    return `\n${all} in ${elapsed}; ${next}\n${view.summary()}\n`;
  }
  if (outcome === 'interrupted') {
    const signal = session.signals[0]!;
    return opts.keep
      ? `\n${signal}: leaving the pods running in ${dataDir} (--keep); the next podflow serve or start takes them over\n`
      : `\n${signal}: deleting the pods gracefully (Ctrl-C again: grace 0)\n${view.summary()}\n`;
  }
  const missed = session.pods
    .filter((p) => !p.settled)
    .map((p) => `pod ${p.label} ${missedGoalText(p.goal)}`)
    .join(', ');
  return `\ntimeout: ${missed} within ${formatGoDuration(timeoutMs)}\n${view.summary()}\n`;
}

/** What `start` prints last: what it deleted, and what it leaves in the data directory. */
function endingText({ session, view, opts, dataDir }: Tour, result: SessionResult): string {
  const lines: string[] = [];
  const deleted = result.deleted.length;
  if (deleted > 0)
    lines.push(
      `deleted ${deleted} pod${deleted === 1 ? '' : 's'} in ${formatElapsed(result.deletionMs).trim()}`,
    );
  if (opts.keep && result.leftBehind.length > 0)
    lines.push(`left ${result.leftBehind.map((p) => p.label).join(', ')} in ${dataDir} (--keep)`);
  const others = [...view.pods.values()].filter((p) => !session.pod(podKey(p))).map(keyOf);
  if (others.length > 0)
    lines.push(
      `left ${others.length} other pod${others.length === 1 ? '' : 's'} in ${dataDir} (${others.join(', ')}); the next podflow serve or start takes them over`,
    );
  return lines.map((l) => `${l}\n`).join('');
}

export function registerStartCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('start')
    .description(
      'the quickstart tour (npm start): serve the API, apply every manifest under DIR through it and show the pods live until Ctrl-C',
    )
    .argument('[dir]', 'directory of Pod manifests (default: the examples/quickstart/ of this package)')
    .option(
      '--port <port>',
      `port on 127.0.0.1 (0: any free port; a free one too when ${DEFAULT_PORT} is taken)`,
      parsePort,
      DEFAULT_PORT,
    )
    .option(
      '--token <token>',
      'require `Authorization: Bearer <token>` on every request (written to the kubeconfig)',
    )
    .option(
      '--exit-when-done',
      'exit once every pod reached its goal (deleting them unless --keep) instead of serving on',
    )
    .option(
      '--timeout <duration>',
      'with --exit-when-done: give up waiting after this long (e.g. 30s, 5m; 0: never)',
      DEFAULT_TIMEOUT,
    )
    .option(
      '--keep',
      'leave the pods running in the data directory when start exits (the next serve or start takes them over)',
    );
  addStaticPodFlags(addEngineFlags(command))
    .addHelpText(
      'after',
      `
Starts the same API as podflow serve (and writes <data-dir>/kubeconfig), applies
the manifests through it and shows the pods: on a terminal as a \`kubectl get pods\`
table refreshed in place, otherwise as timeline lines. While it runs,
  KUBECONFIG=.podflow/kubeconfig kubectl get pods
  npx podflow get pods
talk to it. Each pod's goal follows its restartPolicy: Always → Ready,
Never/OnFailure → Succeeded or Failed. Pods of the same names left in the data
directory by an earlier run are replaced.

Ctrl-C deletes the pods gracefully (Ctrl-C again: grace 0), stops the server and
exits 0. With --exit-when-done it exits by itself once every pod reached its goal,
after a summary table and the deletion.

Exit status with --exit-when-done: 0 every pod reached its goal, 1 a pod Failed,
2 invalid manifest, usage error or timeout, 130 interrupted.`,
    )
    .action(async (dir: string | undefined, opts: StartOptions) => {
      // A closed stdout (`npm start | head`) must not kill the server mid-step, leaving pods half-managed: output is
      // dropped, the session goes on until Ctrl-C (or --exit-when-done) and cleans up as usual.
      process.stdout.on('error', () => {});
      const terminal: StartTerminal = {
        isTTY: process.stdout.isTTY === true,
        get columns() {
          return process.stdout.columns ?? 80;
        },
      };
      setExitCode(await runStart(dir, opts, io, terminal));
      exitWhenDrained();
    });
}
