// `podflow start [DIR]` (what `npm start` runs): the guided tour. Runs the embedded engine on every manifest under
// DIR (default: the package's examples/quickstart/), shows the pods' progress — on a terminal as a `kubectl get pods`
// table refreshed in place with the last few timeline lines under it, otherwise as timeline lines, so CI logs and
// the README read well — and, once every pod is done or Ready, prints a summary table and deletes them gracefully
// (unless `--keep`). Ctrl-C deletes them gracefully too. Same session, exit codes and engine flags as `run`.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { formatGoDuration } from '../../core/duration.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_USAGE, UsageError } from '../cli-io.ts';
import { addEngineFlags, exitWhenDrained, DEFAULT_DATA_DIR, type EngineFlagValues } from '../engine-flags.ts';
import { readManifestSources } from '../manifest-sources.ts';
import { renderPodTable } from '../pod-table.ts';
import { formatElapsed, formatTimelineLine } from '../timeline.ts';
import {
  admitPods,
  DEFAULT_TIMEOUT,
  missedGoalText,
  parseTimeout,
  processSignals,
  runPodSession,
  sessionExitCode,
  type SessionPod,
  type SignalSource,
  type TimelineEntry,
} from './run.ts';

/** The tour's manifests, shipped with the package: found wherever `podflow start` is run from. */
export const QUICKSTART_DIR = join(import.meta.dirname, '..', '..', 'examples', 'quickstart');
/** Timeline lines kept under the live table. */
const LIVE_TIMELINE_LINES = 6;
/** Redraws of the live table are coalesced to at most one per this many milliseconds. */
const REDRAW_INTERVAL_MS = 80;
/** The AGE and RESTARTS columns move with the clock: redraw at least this often. */
const TICK_MS = 1000;

export interface StartOptions extends EngineFlagValues {
  timeout: string;
  keep?: boolean;
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

/**
 * A block of lines at the bottom of a terminal, redrawn in place: the cursor goes back up over the previous
 * drawing (CSI n F), which is then cleared (CSI J). Static text is printed above it.
 */
class LiveRegion {
  #drawn = 0;
  #pending: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;
  readonly #write: (text: string) => void;
  readonly #terminal: StartTerminal;
  readonly #render: () => string[];

  constructor(write: (text: string) => void, terminal: StartTerminal, render: () => string[]) {
    this.#write = write;
    this.#terminal = terminal;
    this.#render = render;
    this.#tick = setInterval(() => this.draw(), TICK_MS);
  }

  #erase(): string {
    return this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : '';
  }

  /** Redraws now. */
  draw(above = ''): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
    const columns = Math.max(20, this.#terminal.columns);
    // A line as wide as the terminal would wrap (or leave the cursor in the last column): cut it short.
    const lines = this.#render().map((l) => (l.length >= columns ? `${l.slice(0, columns - 2)}…` : l));
    this.#write(`${this.#erase()}${above}${lines.map((l) => `${l}\n`).join('')}`);
    this.#drawn = lines.length;
  }

  /** Redraws soon (changes come in bursts). */
  schedule(): void {
    this.#pending ??= setTimeout(() => this.draw(), REDRAW_INTERVAL_MS);
  }

  /** Prints static text above the region. */
  print(text: string): void {
    this.draw(text);
  }

  /** Removes the region; what was printed above it stays. */
  close(): void {
    clearTimeout(this.#pending);
    clearInterval(this.#tick);
    this.#write(this.#erase());
    this.#drawn = 0;
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
  const sources = await readManifestSources([root], io);
  const pods = admitPods(
    sources.map((s) => ({ ...s, name: displayPath(s.name) })),
    io,
  );
  if (!pods) return EXIT_USAGE;
  if (pods.length === 0) throw new UsageError(`no pods under "${displayPath(root)}"`);

  const width = Math.max(...pods.map((p) => (p.metadata?.name ?? '').length));
  const lineOf = (e: TimelineEntry): string =>
    formatTimelineLine(e.elapsedMs, e.text, e.pod ? { label: e.pod.label, width } : undefined);
  let sessionPods: readonly SessionPod[] = [];
  const recent: string[] = [];
  const live = terminal.isTTY
    ? new LiveRegion(io.stdout, terminal, () => [
        ...renderPodTable(sessionPods.length > 0 ? sessionPods.map((p) => p.latest) : pods, io.now())
          .split('\n')
          .slice(0, -1),
        '',
        ...recent,
      ])
    : undefined;
  const print = (text: string): void => (live ? live.print(text) : io.stdout(text));

  const dataDir = opts.dataDir ?? (opts.inMemory ? 'a temporary directory' : DEFAULT_DATA_DIR);
  print(
    `podflow start: ${pods.length} pod${pods.length === 1 ? '' : 's'} from ${displayPath(root)}, data in ${dataDir} — Ctrl-C deletes them and exits\n`,
  );
  let deletingSince = 0;
  try {
    const result = await runPodSession({
      flags: opts,
      pods,
      timeoutMs,
      keep: opts.keep === true,
      replaceExisting: true,
      io,
      signals,
      view: {
        entry: (e) => {
          if (!live) return io.stdout(`${lineOf(e)}\n`);
          recent.push(lineOf(e));
          recent.splice(0, recent.length - LIVE_TIMELINE_LINES);
          live.schedule();
        },
        notice: (text) => (live ? live.print(text) : io.stderr(text)),
        changed: (current) => {
          sessionPods = current;
          live?.schedule();
        },
        decided: (outcome, current, elapsedMs) => {
          sessionPods = current;
          deletingSince = io.now();
          const table = renderPodTable(
            current.map((p) => p.latest),
            io.now(),
          );
          if (outcome === 'reached') {
            const after = formatElapsed(elapsedMs).trim();
            const next = opts.keep
              ? 'leaving them as they are (--keep)'
              : 'deleting them gracefully (podflow start --keep leaves them running)';
            const all =
              current.length === 1
                ? 'the pod reached its goal'
                : `all ${current.length} pods reached their goal`;
            print(`\n${all} in ${after}; ${next}\n${table}\n`);
          } else if (outcome === 'interrupted') {
            print(`\ninterrupted: deleting the pods gracefully (Ctrl-C again: grace 0)\n${table}\n`);
          } else if (outcome === 'timeout') {
            const missed = current
              .filter((p) => !p.settled)
              .map((p) => `pod ${p.label} ${missedGoalText(p.goal)}`)
              .join(', ');
            print(`\ntimeout: ${missed} within ${formatGoDuration(timeoutMs)}\n${table}\n`);
          }
        },
      },
    });
    const deleted = result.pods.filter((p) => p.removed).length;
    live?.close();
    if (deleted > 0)
      io.stdout(
        `deleted ${deleted} pod${deleted === 1 ? '' : 's'} in ${formatElapsed(io.now() - deletingSince).trim()}\n`,
      );
    if (result.leftBehind.length > 0 && opts.keep && result.outcome !== 'interrupted')
      io.stdout(`left ${result.leftBehind.map((p) => p.label).join(', ')} in ${result.dataDir} (--keep)\n`);
    return sessionExitCode(result);
  } finally {
    live?.close();
  }
}

export function registerStartCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('start')
    .description(
      'the quickstart tour (npm start): run every manifest under DIR on the embedded engine and show the pods live',
    )
    .argument('[dir]', 'directory of Pod manifests (default: the examples/quickstart/ of this package)')
    .option(
      '--timeout <duration>',
      'give up waiting after this long (e.g. 30s, 5m; 0: never)',
      DEFAULT_TIMEOUT,
    )
    .option('--keep', 'leave the pods running in the data directory once they reached their goal');
  addEngineFlags(command)
    .addHelpText(
      'after',
      `
Each pod's goal follows its restartPolicy: Always → Ready, Never/OnFailure →
Succeeded or Failed. On a terminal the pods are shown as a \`kubectl get pods\`
table refreshed in place, otherwise as timeline lines. When every pod has reached
its goal a summary table is printed, the pods are deleted gracefully (unless
--keep) and the engine stops, so nothing is left behind. Ctrl-C deletes them
gracefully and waits for them to be gone. Pods of the same names left in the data
directory by an earlier --keep are replaced.

Exit status: 0 every pod reached its goal, 1 a pod Failed, 2 invalid manifest,
usage error or timeout, 130 interrupted.`,
    )
    .action(async (dir: string | undefined, opts: StartOptions) => {
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
