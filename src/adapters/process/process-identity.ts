// Is the process recorded in a state file still THAT process? A pid alone is not enough once the engine was down
// for a while (pids are reused), so a process is identified by pid + start time (/proc/<pid>/stat field 22, clock
// ticks since boot) + the boot id (a reboot restarts both counters).
import { readFileSync } from 'node:fs';

let cachedBootId: string | undefined;

export function currentBootId(): string {
  cachedBootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return cachedBootId;
}

export interface ProcStat {
  /** R, S, D, Z, T … (Z = exited, not yet reaped: dead for our purposes). */
  state: string;
  ppid: number;
  pgid: number;
  startTicks: string;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may contain spaces and parentheses: fields 3… follow the LAST ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number): string => rest[n - 3] ?? '';
  return { state: field(3), ppid: Number(field(4)), pgid: Number(field(5)), startTicks: field(22) };
}

/** True when `pid` runs, is not a zombie, and started at `startTicks` in this boot. */
export function isSameLiveProcess(
  pid: number | undefined,
  startTicks: string | undefined,
  bootId?: string,
): boolean {
  if (!pid || !startTicks) return false;
  if (bootId !== undefined && bootId !== currentBootId()) return false;
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTicks === startTicks;
}

/** Resident memory of a process in bytes (VmRSS), 0 when it is gone. */
export function readRssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
