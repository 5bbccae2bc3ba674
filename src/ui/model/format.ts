// Durations and instants as the UI prints them. Back-off gaps are often under a second locally (a 200 ms initial
// back-off), so below a minute durations keep their milliseconds; longer ones read as kubectl's AGE does.
import { humanDuration } from '../../printers/pod-table.ts';

/** `0ms`, `200ms`, `1.5s`, `12.3s`, `2m5s`, `3h20m` … */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 10_000) return `${sign}${trimZero((abs / 1000).toFixed(2))}s`;
  if (abs < 60_000) return `${sign}${trimZero((abs / 1000).toFixed(1))}s`;
  return `${sign}${humanDuration(abs)}`;
}

const trimZero = (s: string): string => s.replace(/\.?0+$/, '');

/** A tick on the relative axis: time since the pod was admitted (`+0`, `+250ms`, `+1.5s`, `+2m`). */
export function formatOffset(ms: number): string {
  if (ms === 0) return '+0';
  // Events carry whole seconds: one recorded in the admission's second can read a little before it.
  return ms < 0 ? `−${formatDuration(-ms)}` : `+${formatDuration(ms)}`;
}

/** An instant in local time with milliseconds: `14:03:27.412`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
