// The flags every command that runs the embedded engine shares (`run`, `start`, `serve`), and starting the local
// engine from them: where its data lives and in which store, the crash back-off curve, and a lock so that two
// podflow processes never drive the same data directory.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BackoffSettings } from '../core/backoff.ts';
import { BACKOFF_RESET_MS, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS } from '../core/backoff.ts';
import { formatGoDuration, parseDuration } from '../core/duration.ts';
import { DEFAULT_STATIC_POD_RESCAN_MS } from '../core/static-pods.ts';
import { DEFAULT_JOB_POD_FAILURE_BACKOFF_MS, MAX_JOB_POD_FAILURE_BACKOFF_MS } from '../core/jobs/sync-job.ts';
import { DEFAULT_POD_CIDR, parseCidr, type PodNetworkMode } from '../adapters/process/pod-network.ts';
import { startLocalEngine, type LocalEngine, type LocalEngineOptions } from '../local/local-engine.ts';
import {
  DataDirStoreError,
  DEFAULT_LOCAL_STORE,
  LOCAL_STORES,
  type LocalStoreKind,
} from '../local/local-store.ts';
import { UsageError } from './cli-io.ts';

/** Where the engine keeps pods, timers, container state and logs unless `--data-dir` says otherwise (gitignored). */
export const DEFAULT_DATA_DIR = '.podflow';
/** The file in the data directory that names the podflow process using it. */
export const DATA_DIR_LOCK_FILE = 'podflow.pid';

/** The values commander collects for the engine flags (durations already parsed, in milliseconds). */
export interface EngineFlagValues {
  dataDir?: string;
  inMemory?: boolean;
  /** Absent: sqlite (commander fills in the default). */
  store?: LocalStoreKind;
  dynamodbEndpoint?: string;
  /** Absent: the kubelet's 10s, or the max when that is lower. */
  crashBackoffInitial?: number;
  crashBackoffMax: number;
  crashBackoffReset: number;
  /** The Job controller's pod re-creation back-off: first delay and cap (commander fills in 10s and 6m). */
  jobBackoffInitial?: number;
  jobBackoffMax?: number;
  /** auto | bridge | host (pod-network.ts); absent: $PODFLOW_POD_NETWORK, else auto. */
  podNetwork?: PodNetworkMode;
  /** Absent: $PODFLOW_POD_CIDR, else 10.77.0.0/16. */
  podCidr?: string;
  /** `serve` and `start`: the directory of static pod manifests, and how often it is read (commander: 20s). */
  staticPodPath?: string;
  staticPodRescan?: number;
}

/** Commander argument parser for --pod-cidr. */
export function parsePodCidr(value: string): string {
  try {
    return parseCidr(value).text;
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

/** Commander argument parser for a positive Go/kubectl duration (`500ms`, `10s`, `5m`, `1h30m`). */
export function parsePositiveDuration(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError(
      `must be a duration such as 500ms, 10s or 5m (${(err as Error).message}).`,
    );
  }
  if (!(ms > 0)) throw new InvalidArgumentError('must be greater than 0.');
  return ms;
}

/** Commander argument parser for `--dynamodb-endpoint`: an http(s) URL. */
export function parseEndpointUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://localhost:4566.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`must be an http or https URL (got ${url.protocol}).`);
  return value;
}

function durationOption(flag: string, description: string, defaultMs: number): Option {
  return new Option(`${flag} <duration>`, description)
    .argParser(parsePositiveDuration)
    .default(defaultMs, formatGoDuration(defaultMs));
}

/**
 * Adds `--data-dir`, `--in-memory`, `--store`, `--dynamodb-endpoint`, `--crash-backoff-initial/-max/-reset` and
 * `--job-backoff-initial/-max`.
 */
export function addEngineFlags(command: Command): Command {
  return command
    .option(
      '--data-dir <dir>',
      `where the engine keeps pods, timers, container state and logs (default: ${DEFAULT_DATA_DIR} in the current directory)`,
    )
    .option(
      '--in-memory',
      'keep the pod store in memory (and, without --data-dir, container files in a temporary directory): nothing is left behind',
    )
    .addOption(
      new Option(
        '--store <store>',
        'where pods, events and timers live: sqlite (<data-dir>/podflow.db) or dynamodb (dynalite on LevelDB in <data-dir>/db, or --dynamodb-endpoint)',
      )
        .choices(LOCAL_STORES)
        .default(DEFAULT_LOCAL_STORE),
    )
    .addOption(
      new Option(
        '--dynamodb-endpoint <url>',
        'with --store dynamodb: a DynamoDB-compatible endpoint (e.g. LocalStack, http://localhost:4566) instead of in-process dynalite; table podflow, created if missing',
      ).argParser(parseEndpointUrl),
    )
    .addOption(
      // No commander default: an initial delay nobody asked for gives way to a lower max (see backoffFromFlags).
      new Option(
        '--crash-backoff-initial <duration>',
        `crash back-off after the first immediate restart (kubelet initialCrashLoopBackOff; default: ${formatGoDuration(INITIAL_BACKOFF_MS)}, or the max if that is lower)`,
      ).argParser(parsePositiveDuration),
    )
    .addOption(
      durationOption(
        '--crash-backoff-max',
        'cap of the doubling crash back-off (kubelet MaxContainerBackOff)',
        MAX_BACKOFF_MS,
      ),
    )
    .addOption(
      durationOption(
        '--crash-backoff-reset',
        'a container that ran this long before crashing again starts a fresh back-off curve',
        BACKOFF_RESET_MS,
      ),
    )
    .addOption(
      durationOption(
        '--job-backoff-initial',
        'delay before a failed Job pod is replaced, doubling with each failure (Job controller DefaultJobPodFailureBackOff)',
        DEFAULT_JOB_POD_FAILURE_BACKOFF_MS,
      ),
    )
    .addOption(
      durationOption(
        '--job-backoff-max',
        'cap of the doubling Job pod re-creation back-off',
        MAX_JOB_POD_FAILURE_BACKOFF_MS,
      ),
    )
    .addOption(
      new Option(
        '--pod-network <mode>',
        'auto: a network namespace, address and hostname per pod when running as root, else the host network (with a warning); bridge: that or fail; host: every pod on the host network, pod IP 127.0.0.1 (default: $PODFLOW_POD_NETWORK, else auto)',
      ).choices(['auto', 'bridge', 'host']),
    )
    .addOption(
      new Option(
        '--pod-cidr <cidr>',
        `where pod addresses come from; the first is the bridge's (default: $PODFLOW_POD_CIDR, else ${DEFAULT_POD_CIDR})`,
      ).argParser(parsePodCidr),
    );
}

/**
 * Adds `--static-pod-path` and `--static-pod-rescan` (`serve` and `start`: the commands that keep serving the pods
 * they did not create).
 */
export function addStaticPodFlags(command: Command): Command {
  return command
    .option(
      '--static-pod-path <dir>',
      'run every Pod manifest in DIR (*.yaml, *.yml, *.json; dotfiles ignored) as a static pod, shown as a mirror pod <name>-<node>; a changed file restarts its pod, a removed one deletes it (kubelet --pod-manifest-path / staticPodPath)',
    )
    .addOption(
      durationOption(
        '--static-pod-rescan',
        'how often the static pod directory is read besides its change notifications (kubelet fileCheckFrequency)',
        DEFAULT_STATIC_POD_RESCAN_MS,
      ),
    );
}

/**
 * The back-off curve the flags describe. UsageError if an explicit initial delay exceeds the cap; without one, a
 * cap below the default initial delay pulls it down, as the kubelet's newCrashLoopBackOff does
 * (`if boMax < boInitial { boInitial = boMax }`) and as the per-pod annotations do (core/backoff.ts).
 */
export function backoffFromFlags(flags: EngineFlagValues): BackoffSettings {
  const maxMs = flags.crashBackoffMax;
  if (flags.crashBackoffInitial !== undefined && flags.crashBackoffInitial > maxMs) {
    throw new UsageError(
      `--crash-backoff-initial (${formatGoDuration(flags.crashBackoffInitial)}) must not exceed --crash-backoff-max (${formatGoDuration(maxMs)})`,
    );
  }
  return {
    initialMs: flags.crashBackoffInitial ?? Math.min(INITIAL_BACKOFF_MS, maxMs),
    maxMs,
    resetMs: flags.crashBackoffReset,
  };
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the data directory for this process: two engines on one directory would both drive its pods (SQLite would
 * serialise their writes, but each would run its own worker per pod; dynalite's LevelDB fails with an uncaught
 * "Database is closed") and adopt each other's containers. A lock left by a process that no longer exists is taken
 * over. Returns the release function.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      // Released meanwhile: try again.
    }
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new UsageError(
        `the data directory ${dataDir} is in use by another podflow process (pid ${holder}); stop it, or use --data-dir DIR or --in-memory`,
      );
    }
    try {
      unlinkSync(path);
    } catch {
      // Someone else took it over first: the next attempt tells.
    }
  }
  throw new UsageError(`could not lock the data directory ${dataDir} (${path})`);
}

export interface OpenedEngine {
  local: LocalEngine;
  /** The data directory in use (a temporary one for `--in-memory` without `--data-dir`). */
  dataDir: string;
  /**
   * Stops the engine and releases the data directory. A temporary one (`--in-memory`) is removed unless
   * `removeTemporary` is false: containers that could not be stopped still write to it.
   */
  close(options?: { removeTemporary?: boolean }): Promise<void>;
}

/**
 * Starts the embedded engine as the flags say. Throws UsageError for flags that do not fit together or a data
 * directory that another podflow process uses.
 */
export async function openEngineFromFlags(
  flags: EngineFlagValues,
  onError: (err: unknown, context: string) => void,
  onLog?: (line: string) => void,
  extra: Pick<LocalEngineOptions, 'cronClock'> = {},
): Promise<OpenedEngine> {
  const backoff = backoffFromFlags(flags);
  const store = flags.store ?? DEFAULT_LOCAL_STORE;
  if (flags.dynamodbEndpoint !== undefined && store !== 'dynamodb')
    throw new UsageError('--dynamodb-endpoint needs --store dynamodb');
  if (flags.dynamodbEndpoint !== undefined && flags.inMemory === true)
    throw new UsageError(
      '--in-memory and --dynamodb-endpoint do not go together: the endpoint keeps the data',
    );
  const temporary = flags.inMemory === true && flags.dataDir === undefined;
  const dataDir = temporary ? mkdtempSync(join(tmpdir(), 'podflow-')) : (flags.dataDir ?? DEFAULT_DATA_DIR);
  const release = lockDataDir(dataDir);
  const cleanup = (removeTemporary = true): void => {
    release();
    if (temporary && removeTemporary) rmSync(dataDir, { recursive: true, force: true });
  };
  let local: LocalEngine;
  try {
    local = await startLocalEngine({
      dataDir,
      inMemory: flags.inMemory === true,
      store,
      ...(flags.dynamodbEndpoint !== undefined && { dynamodbEndpoint: flags.dynamodbEndpoint }),
      settings: { backoff },
      jobBackoff: {
        initialMs: Math.min(
          flags.jobBackoffInitial ?? DEFAULT_JOB_POD_FAILURE_BACKOFF_MS,
          flags.jobBackoffMax ?? MAX_JOB_POD_FAILURE_BACKOFF_MS,
        ),
        maxMs: flags.jobBackoffMax ?? MAX_JOB_POD_FAILURE_BACKOFF_MS,
      },
      onError,
      ...(onLog && { onLog }),
      ...(flags.staticPodPath !== undefined && {
        staticPods: {
          path: resolve(flags.staticPodPath),
          ...(flags.staticPodRescan !== undefined && { rescanMs: flags.staticPodRescan }),
        },
      }),
      ...extra,
      podNetwork: {
        ...(flags.podNetwork && { mode: flags.podNetwork }),
        ...(flags.podCidr && { podCidr: flags.podCidr }),
      },
    });
  } catch (err) {
    cleanup();
    if (err instanceof DataDirStoreError) throw new UsageError(err.message);
    throw err;
  }
  return {
    local,
    dataDir,
    async close(options) {
      try {
        await local.close();
      } finally {
        cleanup(options?.removeTemporary ?? true);
      }
    },
  };
}

/** How long a finished command gives the event loop to drain before it exits anyway. */
const LINGER_LIMIT_MS = 1000;

/**
 * Called when a command that ran the engine is done: if the process is still alive a moment later, exit. Stopping
 * the local engine while a pod still runs (`--keep`) aborts its worker execution, but aws-local-stepfunctions keeps
 * the aborted Task state's TimeoutSeconds timer (up to 86400 s for Supervise) armed, which would keep the process
 * alive for a day. The timer is unref'd: a process that drains normally exits at once, without it.
 */
export function exitWhenDrained(): void {
  setTimeout(() => process.exit(), LINGER_LIMIT_MS).unref();
}
