// Acceptance of local timers with the real clock and real timers (the only tests here that wait in real time; the
// waits are a few hundred ms to 2 s, and the cases run concurrently, each on its own dynalite or SQLite file).
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

/** The acceptance criterion: |fire − due| below this on the real clock. */
const TOLERANCE_MS = 100;
const TABLE = 'podflow';
const pod: PodKey = { namespace: 'default', name: 'crashy' };

interface Fired {
  due: TimerDue;
  firedAt: number;
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
  it('a timer set 2 s ahead fires exactly once, within 100 ms of its time', async ({ expect }) => {
    const db = await memoryDb();
    const fired: Fired[] = [];
    const scheduler = schedulerOn(db, fired);
    try {
      await scheduler.start();
      const at = Date.now() + 2_000;
      await scheduler.scheduleAt(pod, 'backoff-c1-1', at);
      await sleep(2_000 + 300);
      expect(fired.map((f) => f.due)).toEqual([{ key: pod, timerId: 'backoff-c1-1', dueAt: at }]);
      expect(Math.abs(fired[0]!.firedAt - at)).toBeLessThan(TOLERANCE_MS);
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
      const at = Date.now() + 300;
      await first.scheduleAt(pod, 'backoff-c1-2', at);
      await first.stop();
      await sleep(600);
      expect(fired).toEqual([]);

      const startedAt = Date.now();
      await second.start();
      await sleep(300);
      expect(fired.map((f) => f.due)).toEqual([{ key: pod, timerId: 'backoff-c1-2', dueAt: at }]);
      expect(fired[0]!.firedAt - startedAt).toBeLessThan(TOLERANCE_MS);
    } finally {
      await first.stop();
      await second.stop();
      await db.close();
    }
  });

  it('scheduling the same id twice fires once, at the second instant', async ({ expect }) => {
    const db = await memoryDb();
    const fired: Fired[] = [];
    const scheduler = schedulerOn(db, fired);
    try {
      await scheduler.start();
      const first = Date.now() + 300;
      const second = Date.now() + 700;
      await scheduler.scheduleAt(pod, 'backoff-c1-3', first);
      await scheduler.scheduleAt(pod, 'backoff-c1-3', second);
      await sleep(1_000);
      expect(fired.map((f) => f.due.dueAt)).toEqual([second]);
      expect(Math.abs(fired[0]!.firedAt - second)).toBeLessThan(TOLERANCE_MS);
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
      await scheduler.scheduleAt(pod, 'backoff-c1-4', Date.now() + 300);
      await scheduler.cancel(pod, 'backoff-c1-4');
      await sleep(600);
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
        await sleep(Math.max(0, at - Date.now()) + 300);
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
        await sleep(Math.max(0, at - Date.now()) + 300);
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
