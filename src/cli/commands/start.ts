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
import { DEFAULT_TERMINATION_GRACE_SECONDS, podGraceSeconds } from '../../core/pod-spec.ts';
import { ApiClient, isNotFoundError, podsPath } from '../api-client.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_OK, EXIT_USAGE, UsageError } from '../cli-io.ts';
import { addEngineFlags, DEFAULT_DATA_DIR, exitWhenDrained } from '../engine-flags.ts';
import { readManifestSources } from '../manifest-sources.ts';
import { renderPodTable } from '../../printers/pod-table.ts';
import {
  describeEvent,
  describePodChange,
  formatElapsed,
  formatTimelineLine,
  POD_DELETED_TEXT,
} from '../../printers/timeline.ts';
import { applyManifestObjects, readManifestObjects } from './apply.ts';
import { deletePod, waitForPodGone } from './delete.ts';
import { followWatch } from './get.ts';
import { LiveRegion } from '../live-region.ts';
import {
  admitPods,
  DEFAULT_TIMEOUT,
  defaultGoal,
  EXIT_POD_FAILED,
  EXIT_SIGNAL,
  EXIT_TIMEOUT,
  missedGoalText,
  parseTimeout,
  processSignals,
  type Goal,
  type InterruptSignal,
  type SignalSource,
} from './run.ts';
import { DEFAULT_PORT, parsePort, startServe, type ServeHandle } from './serve.ts';
import type { EngineFlagValues } from '../engine-flags.ts';

/** The tour's manifests, shipped with the package: found wherever `podflow start` is run from. */
export const QUICKSTART_DIR = join(import.meta.dirname, '..', '..', '..', 'examples', 'quickstart');
/** Timeline lines kept under the live table. */
const LIVE_TIMELINE_LINES = 6;
/**
 * How long to wait for a pod to be gone beyond its grace period: the worker's termination margin and some slack. The
 * runtime escalates to SIGKILL at the end of the grace; this only bounds the wait should something be stuck.
 */
const DELETION_SLACK_SECONDS = 35;

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

/** One pod of the tour: what it waits for and how it looks. */
interface TourPod {
  namespace: string;
  name: string;
  label: string;
  goal: Goal;
  uid?: string;
  latest?: Pod;
  /** Reached its goal, or ended (terminal, or deleted): nothing more to wait for. */
  settled: boolean;
  removed: boolean;
  graceSeconds: number;
}

const keyOf = (namespace: string | undefined, name: string | undefined): string =>
  `${namespace ?? 'default'}/${name ?? ''}`;
const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const isReady = (pod: Pod): boolean =>
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

type Outcome = 'reached' | 'timeout' | 'interrupted';

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
  const admitted = admitPods(sources, io);
  if (!admitted) return EXIT_USAGE;
  if (admitted.length === 0) throw new UsageError(`no pods under "${displayPath(root)}"`);
  const { objects } = readManifestObjects(sources);

  const namespaced = admitted.some((p) => (p.metadata?.namespace ?? 'default') !== 'default');
  const tour: TourPod[] = admitted.map((p) => {
    const namespace = p.metadata?.namespace ?? 'default';
    const name = p.metadata?.name ?? '';
    return {
      namespace,
      name,
      label: namespaced ? `${namespace}/${name}` : name,
      goal: defaultGoal(p),
      settled: false,
      removed: false,
      graceSeconds: p.spec ? podGraceSeconds(p.spec) : DEFAULT_TERMINATION_GRACE_SECONDS,
    };
  });
  const byKey = new Map(tour.map((p) => [keyOf(p.namespace, p.name), p]));

  // What the live table shows: every pod the API has (kubectl users may add their own).
  const pods = new Map<string, Pod>();
  let width = Math.max(...tour.map((p) => p.label.length));
  const labelOf = (pod: Pod): string =>
    namespaced || (pod.metadata?.namespace ?? 'default') !== 'default'
      ? keyOf(pod.metadata?.namespace, pod.metadata?.name)
      : (pod.metadata?.name ?? '');
  const recent: string[] = [];
  const tablePods = (): Pod[] =>
    [...pods.values()].sort((a, b) =>
      keyOf(a.metadata?.namespace, a.metadata?.name) < keyOf(b.metadata?.namespace, b.metadata?.name)
        ? -1
        : 1,
    );
  const live = terminal.isTTY
    ? new LiveRegion(io.stdout, terminal, () => [
        ...renderPodTable(tablePods(), io.now()).split('\n').slice(0, -1),
        '',
        ...recent,
      ])
    : undefined;
  const print = (text: string): void => (live ? live.print(text) : io.stdout(text));
  const printErr = (text: string): void => (live ? live.print(text) : io.stderr(text));
  let t0 = io.now();
  const entry = (label: string | undefined, text: string): void => {
    if (label) width = Math.max(width, label.length);
    const line = formatTimelineLine(io.now() - t0, text, label ? { label, width } : undefined);
    if (!live) return io.stdout(`${line}\n`);
    recent.push(line);
    recent.splice(0, recent.length - LIVE_TIMELINE_LINES);
    live.schedule();
  };

  const interrupts: InterruptSignal[] = [];
  let wake: () => void = () => {};
  const stopSignals = signals.onInterrupt((signal) => {
    interrupts.push(signal);
    wake();
  });
  /** Resolves true once `done()` holds, false after `ms` (0: never); re-checked after every change and signal. */
  const waitUntil = (done: () => boolean, ms = 0): Promise<boolean> =>
    new Promise((resolveWait) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (value: boolean): void => {
        wake = () => {};
        clearTimeout(timer);
        resolveWait(value);
      };
      wake = () => {
        if (done()) finish(true);
      };
      if (ms > 0) timer = setTimeout(() => finish(false), ms);
      wake();
    });

  let serve: ServeHandle | undefined;
  const watches = new AbortController();
  try {
    let port = opts.port;
    let moved = false;
    if (port !== 0 && !(await portIsFree(port))) {
      port = 0;
      moved = true;
    }
    try {
      serve = await startServe({ ...opts, port }, io);
    } catch (err) {
      // Taken between the probe and the listen.
      if (!(err instanceof UsageError) || port === 0) throw err;
      moved = true;
      serve = await startServe({ ...opts, port: 0 }, io);
    }
    const kubeconfig = displayPath(serve.kubeconfig);
    const dataDir = opts.dataDir ?? (opts.inMemory ? serve.dataDir : DEFAULT_DATA_DIR);
    const defaultKubeconfig = kubeconfig === join(DEFAULT_DATA_DIR, 'kubeconfig');
    print(
      `podflow start: ${tour.length} pod${tour.length === 1 ? '' : 's'} from ${displayPath(root)}, data in ${dataDir}, Kubernetes API on ${serve.url}\n` +
        (moved ? `  port ${opts.port} on 127.0.0.1 is in use: serving on ${serve.url} instead\n` : '') +
        `  while it runs: KUBECONFIG=${kubeconfig} kubectl get pods   (or: npx podflow get pods${defaultKubeconfig ? '' : ` --kubeconfig ${kubeconfig}`})\n` +
        (opts.exitWhenDone
          ? `  it exits once every pod reached its goal (--exit-when-done); Ctrl-C deletes the pods and exits\n`
          : `  Ctrl-C deletes the pods and exits\n`),
    );
    const client = new ApiClient({
      server: serve.url,
      ...(opts.token ? { token: opts.token } : {}),
      namespace: 'default',
      namespaceFromFlag: false,
    });

    // Pods of the same names left in the data directory (an earlier --keep, or a serve): the tour starts afresh.
    await Promise.all(
      tour.map(async (p) => {
        let left: Pod;
        try {
          left = await client.get<Pod>(podsPath(p.namespace, p.name));
        } catch (err) {
          if (isNotFoundError(err)) return;
          throw err;
        }
        printErr(`replacing pod ${p.namespace}/${p.name}, left in ${dataDir} by an earlier run\n`);
        const marked = await deletePod(client, p.namespace, p.name, undefined);
        const grace =
          marked.metadata?.deletionGracePeriodSeconds ?? left.spec?.terminationGracePeriodSeconds ?? 30;
        if (!(await waitForPodGone(client, p.namespace, marked, (grace + DELETION_SLACK_SECONDS) * 1000)))
          throw new UsageError(
            `pod ${p.namespace}/${p.name}, left in ${dataDir} by an earlier run, did not go away; stop its processes and remove ${dataDir}, or use another --data-dir`,
          );
      }),
    );

    // Follow every pod and every new event from here on.
    const list = await client.get<{ items: Pod[]; metadata?: { resourceVersion?: string } }>(
      podsPath(undefined),
    );
    for (const pod of list.items) pods.set(keyOf(pod.metadata?.namespace, pod.metadata?.name), pod);
    let deciding = false;
    const onPod = (type: string, pod: Pod): void => {
      const key = keyOf(pod.metadata?.namespace, pod.metadata?.name);
      const mine = byKey.get(key);
      if (mine && mine.uid !== undefined && pod.metadata?.uid !== mine.uid) return;
      const before = pods.get(key);
      if (type === 'DELETED') {
        // A watch from a list's resourceVersion may repeat the removal of a pod gone just before the list (the API
        // gives a removal its pod's last version): only a pod seen can be deleted.
        if (!before || before.metadata?.uid !== pod.metadata?.uid) return;
        pods.delete(key);
        entry(labelOf(pod), POD_DELETED_TEXT);
        if (mine) {
          mine.removed = true;
          mine.settled = true;
        }
      } else {
        pods.set(key, pod);
        for (const text of describePodChange(before, pod)) entry(labelOf(pod), text);
        if (mine) {
          mine.uid ??= pod.metadata?.uid;
          mine.latest = pod;
          if (!mine.settled && !deciding && (isTerminal(pod) || (mine.goal === 'ready' && isReady(pod))))
            mine.settled = true;
        }
      }
      live?.schedule();
      wake();
    };
    // Matched by name only: the event watch sends only events recorded from now on (the pods of earlier runs are
    // gone by then), and its object may carry an older pod's uid — the API reads a recorded event back by reason
    // and message, which a re-created pod's events share with its predecessor's.
    const onEvent = (e: Event): void => {
      const about = e.involvedObject;
      const key = keyOf(about.namespace, about.name);
      const mine = byKey.get(key);
      const known = pods.get(key);
      if (!mine && !known) return;
      const text = describeEvent({ type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '' });
      entry(mine ? mine.label : labelOf(known!), text);
    };
    const opened: Promise<void>[] = [];
    const follow = <T>(
      path: string,
      resourceVersion: string,
      versionOf: (o: T) => string | undefined,
      on: (type: string, o: T) => void,
    ): void => {
      let markOpen: () => void = () => {};
      opened.push(new Promise((r) => (markOpen = r)));
      followWatch<T>(client, path, {
        query: {},
        resourceVersion,
        versionOf,
        signal: watches.signal,
        onOpen: () => markOpen(),
        onEvent: (e) => {
          try {
            on(e.type, e.object);
          } catch (err) {
            printErr(`podflow start: timeline: ${err instanceof Error ? err.message : String(err)}\n`);
          }
        },
      }).catch((err: unknown) => {
        if (!watches.signal.aborted)
          printErr(`podflow start: watching ${path}: ${err instanceof Error ? err.message : String(err)}\n`);
        markOpen();
      });
    };
    follow<Pod>(
      podsPath(undefined),
      list.metadata?.resourceVersion ?? '',
      (p) => p.metadata?.resourceVersion,
      onPod,
    );
    // From any resourceVersion but 0 an event watch sends only what is recorded from then on.
    follow<Event>(
      '/api/v1/events',
      '1',
      (e) => e.metadata?.resourceVersion,
      (_type, e) => onEvent(e),
    );
    await Promise.all(opened);

    // Apply the tour through the API, as `podflow apply -f DIR` would.
    t0 = io.now();
    const applied = await applyManifestObjects(client, objects, { stdout: print, stderr: printErr });
    for (const r of applied.results) {
      const p = byKey.get(keyOf(r.pod.metadata?.namespace, r.pod.metadata?.name));
      if (!p) continue;
      p.uid = r.pod.metadata?.uid;
      p.goal = defaultGoal(r.pod);
    }
    // Objects the API refused (printed above) are not waited for.
    const created = new Set(
      applied.results.map((r) => keyOf(r.pod.metadata?.namespace, r.pod.metadata?.name)),
    );
    for (const p of tour) if (!created.has(keyOf(p.namespace, p.name))) p.settled = p.removed = true;

    const allSettled = (): boolean => tour.every((p) => p.settled);
    const reached = await waitUntil(
      () => interrupts.length > 0 || allSettled(),
      opts.exitWhenDone ? timeoutMs : 0,
    );
    let outcome: Outcome = interrupts.length > 0 ? 'interrupted' : reached ? 'reached' : 'timeout';
    const tourPods = (): Pod[] => tour.flatMap((p) => (p.latest ? [p.latest] : []));
    const summary = (): string => renderPodTable(tourPods(), io.now());
    const elapsed = (): string => formatElapsed(io.now() - t0).trim();
    const atDecision = tourPods();
    if (outcome === 'reached') {
      const all =
        tour.length === 1 ? 'the pod reached its goal' : `all ${tour.length} pods reached their goal`;
      if (opts.exitWhenDone) {
        const next = opts.keep
          ? 'leaving them as they are (--keep)'
          : 'deleting them gracefully (podflow start --keep leaves them running)';
        print(`\n${all} in ${elapsed()}; ${next}\n${summary()}\n`);
      } else {
        print(
          `\n${all} in ${elapsed()}; still serving — Ctrl-C deletes them and exits\n${live ? '' : `${summary()}\n`}`,
        );
        await waitUntil(() => interrupts.length > 0);
        outcome = 'interrupted';
      }
    }
    deciding = true;
    if (outcome === 'interrupted') {
      print(
        opts.keep
          ? `\n${interrupts[0]}: leaving the pods running in ${dataDir} (--keep); the next podflow serve or start takes them over\n`
          : `\n${interrupts[0]}: deleting the pods gracefully (Ctrl-C again: grace 0)\n${summary()}\n`,
      );
    } else if (outcome === 'timeout') {
      const missed = tour
        .filter((p) => !p.settled)
        .map((p) => `pod ${p.label} ${missedGoalText(p.goal)}`)
        .join(', ');
      print(`\ntimeout: ${missed} within ${formatGoDuration(timeoutMs)}\n${summary()}\n`);
    }

    const toDelete = opts.keep ? [] : tour.filter((p) => !p.removed);
    const deletingSince = io.now();
    if (toDelete.length > 0) {
      const seen = interrupts.length;
      await Promise.all(
        toDelete.map((p) =>
          deletePod(client, p.namespace, p.name, undefined).catch((err: unknown) => {
            if (!isNotFoundError(err)) throw err;
            p.removed = true;
          }),
        ),
      );
      wake();
      const bound =
        (Math.max(...toDelete.map((p) => p.latest?.spec?.terminationGracePeriodSeconds ?? p.graceSeconds)) +
          DELETION_SLACK_SECONDS) *
        1000;
      const deadline = io.now() + bound;
      let forced = false;
      let handled = seen;
      for (;;) {
        const remaining = deadline - io.now();
        if (remaining <= 0) break;
        const done = await waitUntil(
          () => interrupts.length > handled || toDelete.every((p) => p.removed),
          remaining,
        );
        if (!done || toDelete.every((p) => p.removed)) break;
        handled = interrupts.length;
        if (forced) {
          entry(undefined, `${interrupts[handled - 1]}: not waiting for the deletion any more`);
          break;
        }
        forced = true;
        entry(undefined, `${interrupts[handled - 1]}: deleting with grace 0`);
        await Promise.all(
          toDelete
            .filter((p) => !p.removed)
            .map((p) => deletePod(client, p.namespace, p.name, 0).catch(() => undefined)),
        );
      }
      for (const p of toDelete.filter((q) => !q.removed))
        printErr(
          `warning: pod ${p.label} was not gone when podflow stopped waiting; its containers may still run (data in ${dataDir})\n`,
        );
    }
    live?.close();
    const deleted = toDelete.filter((p) => p.removed).length;
    if (deleted > 0)
      io.stdout(
        `deleted ${deleted} pod${deleted === 1 ? '' : 's'} in ${formatElapsed(io.now() - deletingSince).trim()}\n`,
      );
    if (opts.keep && tour.some((p) => !p.removed))
      io.stdout(
        `left ${tour
          .filter((p) => !p.removed)
          .map((p) => p.label)
          .join(', ')} in ${dataDir} (--keep)\n`,
      );
    const others = [...pods.keys()].filter((k) => !byKey.has(k));
    if (others.length > 0)
      io.stdout(
        `left ${others.length} other pod${others.length === 1 ? '' : 's'} in ${dataDir} (${others.join(', ')}); the next podflow serve or start takes them over\n`,
      );

    if (outcome === 'interrupted')
      return opts.exitWhenDone ? EXIT_SIGNAL[interrupts[0] ?? 'SIGINT'] : EXIT_OK;
    if (outcome === 'timeout') return EXIT_TIMEOUT;
    return atDecision.some((p) => p.status?.phase === 'Failed') ? EXIT_POD_FAILED : EXIT_OK;
  } finally {
    live?.close();
    watches.abort();
    stopSignals();
    await serve?.stop();
  }
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
  addEngineFlags(command)
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
