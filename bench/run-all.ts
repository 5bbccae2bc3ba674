// `npm run bench`: every benchmark, one after the other (each in its own process, with `--json`), and one table of
// their figures, each next to its same-run baseline and the budget it is read against (issue 15). With `--json`, one
// JSON object on stdout, and the table on stderr. The benches' own progress lines go to stderr.
//   npm run bench [-- --only api-load,probes]
//   npm run -s bench -- --json > bench.json   (-s: npm's banner would go to stdout too)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadAverage, type BenchReport, type Figure } from './bench-report.ts';

const JSON_OUT = process.argv.includes('--json');
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',')) : undefined;

/** Each bench with the arguments the table uses (shorter probe runs than the bench's own defaults). */
const BENCHES: Array<{ name: string; file: string; args: string[]; nodeArgs?: string[] }> = [
  { name: 'apply-to-running', file: 'apply-to-running.bench.ts', args: ['50'], nodeArgs: ['--expose-gc'] },
  { name: 'api-load', file: 'api-load.bench.ts', args: ['500', '20'] },
  { name: 'probes', file: 'probes.bench.ts', args: ['10', '20', '1000'] },
  { name: 'timers', file: 'timers.bench.ts', args: ['200', '4000'] },
];

/** The budget each figure is read against: at most, or at least. */
const TARGETS: Record<string, { max?: number; min?: number }> = {
  overhead_p50_ms: { max: 10 },
  overhead_p95_ms: { max: 25 },
  creates_per_s: { min: 500 },
  running_per_s: { min: 100 },
  get_ratio: { min: 0.6 },
  list500_ms: { max: 50 },
  probe_interval_p99_ms: { max: 20 },
  probe_cpu_ratio: { max: 1.1 },
  idle_pod_rss_kib: { max: 64 },
  engine_start_ms: { max: 300 },
  // docs/architecture.md §4.
  timer_late_p99_ms: { max: 100 },
};

async function run(bench: (typeof BENCHES)[number]): Promise<BenchReport> {
  const child = spawn(
    process.execPath,
    [...(bench.nodeArgs ?? []), join(import.meta.dirname, bench.file), ...bench.args, '--json'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const line = out
    .trim()
    .split('\n')
    .findLast((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`bench ${bench.name} failed (exit ${code})`);
  return JSON.parse(line) as BenchReport;
}

const num = (v: number): string =>
  Number.isNaN(v) ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

function verdict(name: string, value: number): string {
  const t = TARGETS[name];
  if (!t) return '';
  if (t.max !== undefined) return `≤ ${t.max} ${value <= t.max ? 'ok' : 'MISS'}`;
  return `≥ ${t.min} ${value >= t.min! ? 'ok' : 'MISS'}`;
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const reports: BenchReport[] = [];
  for (const bench of BENCHES) {
    if (ONLY && !ONLY.has(bench.name)) continue;
    process.stderr.write(`\n== ${bench.name} (load ${loadAverage().join(' ')})\n`);
    reports.push(await run(bench));
  }
  const loadAfter = loadAverage();
  const figures: Record<string, Figure & { bench: string; target?: { max?: number; min?: number } }> = {};
  for (const r of reports)
    for (const [name, f] of Object.entries(r.figures))
      figures[name] = { ...f, bench: r.bench, ...(TARGETS[name] ? { target: TARGETS[name] } : {}) };

  if (JSON_OUT)
    process.stdout.write(
      `${JSON.stringify({ node: process.version, loadBefore, loadAfter, figures, reports })}\n`,
    );
  const print = (text: string): boolean =>
    JSON_OUT ? process.stderr.write(text) : process.stdout.write(text);
  const rows = Object.entries(figures).map(([name, f]) => {
    const r = reports.find((x) => x.bench === f.bench)!;
    return [
      name,
      `${num(f.value)} ${f.unit}`,
      `${num(f.baseline)} ${f.unit}`,
      verdict(name, f.value),
      `${r.loadBefore[0]} → ${r.loadAfter[0]}`,
      f.baselineIs,
    ];
  });
  const header = ['figure', 'value', 'baseline', 'target', 'load 1m', 'baseline is'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  print(`\nnode ${process.version}, load average ${loadBefore.join(' ')} → ${loadAfter.join(' ')}\n`);
  print(`${line(header)}\n`);
  for (const row of rows) print(`${line(row)}\n`);
}

await main();
