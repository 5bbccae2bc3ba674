// How punctual local timers are (back-off restarts, CronJob instants): LocalWakeupScheduler on a SQLite file with the
// real clock, against plain setTimeout in the same process. Not part of `npm test`; the behaviour (once, never early,
// durable across a restart) is tested in test/adapters/local-timers/.
//   npx node bench/timers.bench.ts [timers=200] [spreadMs=4000] [--json]
// Every timer is set at once, due at random instants over `spreadMs`; lateness = fire time − due instant.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalWakeupScheduler } from '../src/adapters/local-timers/local-wakeup-scheduler.ts';
import { openSqliteDatabase } from '../src/adapters/sqlite/sqlite-database.ts';
import { SqliteTimerTable } from '../src/adapters/sqlite/sqlite-timer-table.ts';
import { systemClock } from '../src/ports/clock.ts';
import { emitReport, loadAverage, positionalArgs, quantile, say } from './bench-report.ts';

const [timers = 200, spreadMs = 4_000] = positionalArgs().map(Number);

async function scheduled(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'podflow-timers-bench-'));
  const db = openSqliteDatabase(join(dir, 'podflow.db'));
  const late: number[] = [];
  const scheduler = new LocalWakeupScheduler({
    table: new SqliteTimerTable({ db }),
    clock: systemClock,
    onDue: (due) => {
      late.push(Date.now() - due.dueAt);
    },
  });
  try {
    await scheduler.start();
    const now = Date.now();
    for (let i = 0; i < timers; i++)
      await scheduler.scheduleAt(
        { namespace: 'default', name: `pod-${i}` },
        'backoff',
        Math.round(now + 500 + Math.random() * spreadMs),
      );
    while (late.length < timers) await new Promise((r) => setTimeout(r, 50));
    return late;
  } finally {
    await scheduler.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function raw(): Promise<number[]> {
  const late: number[] = [];
  const now = Date.now();
  await Promise.all(
    Array.from({ length: timers }, () => {
      const at = Math.round(now + 500 + Math.random() * spreadMs);
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          late.push(Date.now() - at);
          resolve();
        }, at - now),
      );
    }),
  );
  return late;
}

const loadBefore = loadAverage();
const baseline = await raw();
const measured = await scheduled();
const p = (v: number[], q: number) => quantile(v, q);
say(
  `timers ${timers} over ${spreadMs} ms: lateness p50 ${p(measured, 0.5)} ms, p99 ${p(measured, 0.99)} ms, ` +
    `min ${Math.min(...measured)} ms (setTimeout: p50 ${p(baseline, 0.5)} ms, p99 ${p(baseline, 0.99)} ms)`,
);
emitReport({
  bench: 'timers',
  loadBefore,
  loadAfter: loadAverage(),
  figures: {
    timer_late_p99_ms: {
      value: p(measured, 0.99),
      unit: 'ms',
      baseline: p(baseline, 0.99),
      baselineIs: `p99 lateness of ${timers} plain setTimeouts, same spread, same process`,
    },
  },
  notes: { timers, spreadMs, earliestMs: Math.min(...measured), p50Ms: p(measured, 0.5) },
});
