// The `state` file of a container instance: written by podflow-shim (adapters/process/shim/podflow-shim.c) at each
// transition, read by the runtime. key=value lines, replaced atomically (temporary file + rename), so a reader
// never sees a torn file. The FIRST state of an instance is published with link(2), which fails when one exists:
// whoever records an outcome first wins (the shim after its exec, or the runtime for an instance no shim will
// ever report: a config error, or an engine that died before the shim wrote anything). The runtime also ends the
// state of a shim that died without recording an exit (a lost container).
import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ShimPhase = 'running' | 'exited' | 'startFailed';

export interface ShimState {
  phase: ShimPhase;
  shimPid?: number;
  /** /proc/<pid>/stat starttime of the shim: with the pid and the boot id it survives pid reuse. */
  shimStartTicks?: string;
  bootId?: string;
  /** The container's main process (also its process group id). */
  pid?: number;
  pidStartTicks?: string;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  signal?: number;
  oomKilled?: boolean;
  /** startFailed only. */
  reason?: 'RunContainerError' | 'CreateContainerConfigError';
  message?: string;
  /** Written by the runtime: the shim ended without recording an exit. */
  lost?: boolean;
}

export const STATE_FILE = 'state';

const NUMBER_KEYS = ['shimPid', 'pid', 'startedAt', 'finishedAt', 'exitCode', 'signal'] as const;

const unescape = (v: string): string =>
  v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

const PHASES: readonly string[] = ['running', 'exited', 'startFailed'];

export function parseShimState(text: string): ShimState | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const phase = fields.get('phase');
  if (phase === undefined || !PHASES.includes(phase)) return undefined;
  const state: ShimState = { phase: phase as ShimPhase };
  for (const key of NUMBER_KEYS) {
    const raw = fields.get(key);
    if (raw !== undefined && raw !== '' && Number.isFinite(Number(raw))) state[key] = Number(raw);
  }
  const text1 = (key: 'shimStartTicks' | 'pidStartTicks' | 'bootId'): void => {
    const raw = fields.get(key);
    if (raw) state[key] = raw;
  };
  text1('shimStartTicks');
  text1('pidStartTicks');
  text1('bootId');
  if (fields.has('oomKilled')) state.oomKilled = fields.get('oomKilled') === '1';
  const reason = fields.get('reason');
  if (reason === 'RunContainerError' || reason === 'CreateContainerConfigError') state.reason = reason;
  const message = fields.get('message');
  if (message !== undefined) state.message = unescape(message);
  if (fields.get('lost') === '1') state.lost = true;
  return state;
}

export function formatShimState(s: ShimState): string {
  const lines = ['version=1', `phase=${s.phase}`];
  const put = (key: string, v: string | number | undefined): void => {
    if (v !== undefined) lines.push(`${key}=${v}`);
  };
  put('shimPid', s.shimPid);
  put('shimStartTicks', s.shimStartTicks);
  put('bootId', s.bootId);
  put('pid', s.pid);
  put('pidStartTicks', s.pidStartTicks);
  put('startedAt', s.startedAt);
  put('finishedAt', s.finishedAt);
  put('exitCode', s.exitCode);
  put('signal', s.signal);
  if (s.oomKilled !== undefined) put('oomKilled', s.oomKilled ? 1 : 0);
  put('reason', s.reason);
  if (s.message !== undefined) put('message', escape(s.message));
  if (s.lost) put('lost', 1);
  return lines.join('\n') + '\n';
}

export const isFinalPhase = (s: ShimState): boolean => s.phase === 'exited' || s.phase === 'startFailed';

/** undefined when the file does not exist (yet). */
export async function readShimState(instanceDir: string): Promise<ShimState | undefined> {
  try {
    return parseShimState(await readFile(join(instanceDir, STATE_FILE), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The same, synchronously (the runtime's hot paths: a few hundred bytes from the page cache). */
export function readShimStateSync(instanceDir: string): ShimState | undefined {
  try {
    return parseShimState(readFileSync(join(instanceDir, STATE_FILE), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeShimState(instanceDir: string, state: ShimState): Promise<void> {
  const tmp = join(instanceDir, `${STATE_FILE}.tmp.runtime.${process.pid}`);
  await writeFile(tmp, formatShimState(state));
  await rename(tmp, join(instanceDir, STATE_FILE));
}

/** Publishes the instance's first state; false (nothing written) when a state exists already. */
export async function writeFirstShimState(instanceDir: string, state: ShimState): Promise<boolean> {
  const tmp = join(instanceDir, `${STATE_FILE}.tmp.runtime.${process.pid}`);
  await writeFile(tmp, formatShimState(state));
  try {
    await link(tmp, join(instanceDir, STATE_FILE));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
