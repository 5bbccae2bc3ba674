// Local timers on the real clock, real timers and real tables (dynalite, LevelDB-backed dynalite, SQLite files): each
// case waits for the firing itself, never for a fixed time, and asserts what cannot depend on the machine's load —
// exactly once, never before its instant, the re-scheduled instant, nothing while stopped or after a cancel. How
// punctual a firing is, is a figure: `timer_late_p99_ms` of bench/timers.bench.ts. The same behaviour on a manual
// clock is the WakeupScheduler contract (test/contract/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'vitest';
import { DynamoDbTimerTable } from '../../../src/adapters/dynamodb/dynamodb-timer-table.ts';
import { LocalWakeupScheduler } from '../../../src/adapters/local-timers/local-wakeup-scheduler.ts';
import type { TimerTable } from '../../../src/adapters/local-timers/timer-table.ts';
import { openSqliteDatabase } from '../../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteTimerTable } from '../../../src/adapters/sqlite/sqlite-timer-table.ts';
import { ensureTable, startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import { systemClock } from '../../../src/ports/clock.ts';
import type { PodKey } from '../../../src/ports/pod-key.ts';
import type { TimerDue } from '../../../src/ports/wakeup-scheduler.ts';

const TABLE = 'podflow';
const pod: PodKey = { namespace: 'default', name: 'crashy' };

interface Fired {
  due: TimerDue;
  firedAt: number;
}

/**
 * How far ahead a timer is set when the test must act before it is due (stop, re-schedule, cancel): far beyond what
 * a write takes even on a loaded machine, so that acting in time is not luck.
 */
const AHEAD_MS = 3_000;

/** Resolves once `fired` holds `n` firings (polled: the firing happens on the scheduler's own timer). */
async function firings(fired: Fired[], n = 1): Promise<void> {
  while (fired.length < n) await sleep(10);
}

function schedulerOn(db: LocalDynamo | TimerTable, fired: Fired[]): LocalWakeupScheduler {
  return new LocalWakeupScheduler({
    table: 'client' in db ? new DynamoDbTimerTable({ client: db.client, tableName: TABLE }) : db,
    clock: systemClock,
    onDue: (due) => {
      fired.push({ due, firedAt: Date.now() });
    },
  });
}

async function memoryDb(): Promise<LocalDynamo> {
  const db = await startDynalite();
  await ensureTable(db.client, TABLE);
  return db;
}

describe.concurrent('LocalWakeupScheduler acceptance (real clock)', () => {
  it('a timer set 500 ms ahead fires once, not before its instant', async ({ expect }) => {
    const db = await memoryDb();
    const fired: Fired[] = [];
    const scheduler = schedulerOn(db, fired);
    try {
      await scheduler.start();
      const at = Date.now() + 500;
      await scheduler.scheduleAt(pod, 'backoff-c1-1', at);
      await firings(fired);
      await sleep(200); // a second firing would come from the same timer: give it the chance
      expect(fired.map((f) => f.due)).toEqual([{ key: pod, timerId: 'backoff-c1-1', dueAt: at }]);
      expect(fired[0]!.firedAt).toBeGreaterThanOrEqual(at);
    } finally {
      await scheduler.stop();
      await db.close();
    }
  });

  it('stopped across its due time, it fires exactly once when a new instance starts on the same table', async ({
    expect,
  }) => {
    const db = await memoryDb();
    const fired: Fired[] = [];
    const first = schedulerOn(db, fired);
    const second = schedulerOn(db, fired);
    try {
      await first.start();
      const at = Date.now() + AHEAD_MS;
      await first.scheduleAt(pod, 'backoff-c1-2', at);
      await first.stop();
      await sleep(at - Date.now() + 200);
      expect(fired).toEqual([]);

      await second.start();
      await firings(fired);
      await sleep(200);
      expect(fired.map((f) => f.due)).toEqual([{ key: pod, timerId: 'backoff-c1-2', dueAt: at }]);
    } finally {
      await first.stop();
      await second.stop();
      await db.close();
    }
  });

  it('scheduling the same id again fires once, at the new instant', async ({ expect }) => {
    const db = await memoryDb();
    const fired: Fired[] = [];
    const scheduler = schedulerOn(db, fired);
    try {
      await scheduler.start();
      const first = Date.now() + AHEAD_MS;
      const second = Date.now() + 300;
      await scheduler.scheduleAt(pod, 'backoff-c1-3', first);
      await scheduler.scheduleAt(pod, 'backoff-c1-3', second);
      await firings(fired);
      await sleep(first - Date.now() + 200); // past the replaced instant: its timer must be gone
      expect(fired.map((f) => f.due.dueAt)).toEqual([second]);
      expect(fired[0]!.firedAt).toBeGreaterThanOrEqual(second);
    } finally {
      await scheduler.stop();
      await db.close();
    }
  });

  it('a cancelled timer never fires', async ({ expect }) => {
    const db = await memoryDb();
    const fired: Fired[] = [];
    const scheduler = schedulerOn(db, fired);
    try {
      await scheduler.start();
      const at = Date.now() + AHEAD_MS;
      await scheduler.scheduleAt(pod, 'backoff-c1-4', at);
      await scheduler.cancel(pod, 'backoff-c1-4');
      await sleep(at - Date.now() + 200);
      expect(fired).toEqual([]);
    } finally {
      await scheduler.stop();
      await db.close();
    }
  });

  it('a pending timer survives a restart of LevelDB-backed dynalite and fires once after it', async ({
    expect,
  }) => {
    const dir = mkdtempSync(join(tmpdir(), 'podflow-timers-'));
    const fired: Fired[] = [];
    try {
      const before = await startDynalite({ path: dir });
      await ensureTable(before.client, TABLE);
      const scheduler = schedulerOn(before, fired);
      await scheduler.start();
      const at = Date.now() + 400;
      await scheduler.scheduleAt(pod, 'backoff-c1-5', at);
      await scheduler.stop();
      await before.close();

      const after = await startDynalite({ path: dir });
      const restarted = schedulerOn(after, fired);
      try {
        await ensureTable(after.client, TABLE); // already there: the data directory kept it
        await restarted.start();
        await firings(fired);
        await sleep(200);
        expect(fired.map((f) => f.due)).toEqual([{ key: pod, timerId: 'backoff-c1-5', dueAt: at }]);
        expect(fired[0]!.firedAt).toBeGreaterThanOrEqual(at);
      } finally {
        await restarted.stop();
        await after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a pending timer survives closing and reopening the SQLite file and fires once after it', async ({
    expect,
  }) => {
    const dir = mkdtempSync(join(tmpdir(), 'podflow-timers-'));
    const path = join(dir, 'podflow.db');
    const fired: Fired[] = [];
    try {
      const before = openSqliteDatabase(path);
      const scheduler = schedulerOn(new SqliteTimerTable({ db: before }), fired);
      await scheduler.start();
      const at = Date.now() + 400;
      await scheduler.scheduleAt(pod, 'backoff-c1-6', at);
      await scheduler.stop();
      before.close();

      const after = openSqliteDatabase(path);
      const restarted = schedulerOn(new SqliteTimerTable({ db: after }), fired);
      try {
        await restarted.start();
        await firings(fired);
        await sleep(200);
        expect(fired.map((f) => f.due)).toEqual([{ key: pod, timerId: 'backoff-c1-6', dueAt: at }]);
        expect(fired[0]!.firedAt).toBeGreaterThanOrEqual(at);
      } finally {
        await restarted.stop();
        after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
