// What every benchmark shares: quantiles, the machine's load, and how a figure is reported. Each bench prints its
// figures for people; with `--json` it prints them to stderr instead and one JSON object (a BenchReport) on stdout,
// which `npm run bench` (bench/run-all.ts) collects into one table.
import { readFileSync } from 'node:fs';

/** One figure next to its same-run baseline. */
export interface Figure {
  value: number;
  unit: string;
  /** The same measurement of the simplest thing that does the same job, in the same run (NaN: none). */
  baseline: number;
  /** What the baseline is. */
  baselineIs: string;
}

export interface BenchReport {
  bench: string;
  /** /proc/loadavg's 1, 5 and 15-minute averages when the bench started and when it ended. */
  loadBefore: number[];
  loadAfter: number[];
  figures: Record<string, Figure>;
  /** Anything else worth keeping (counts, secondary figures). */
  notes?: Record<string, unknown>;
}

export const JSON_MODE = process.argv.includes('--json');

/** Human-readable output: stdout normally, stderr under --json (stdout then carries only the report). */
export function say(text: string): void {
  if (JSON_MODE) process.stderr.write(`${text}\n`);
  else process.stdout.write(`${text}\n`);
}

export function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8')
    .split(' ')
    .slice(0, 3)
    .map((v) => Number(v));
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Writes the report as the only line on stdout under --json. */
export function emitReport(report: BenchReport): void {
  if (JSON_MODE) process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** The positional (non-flag) arguments, numbers where a number is given. */
export function positionalArgs(): string[] {
  const args: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      // A flag with a value: `--store sqlite`.
      if (a === '--store') i++;
      continue;
    }
    args.push(a);
  }
  return args;
}
