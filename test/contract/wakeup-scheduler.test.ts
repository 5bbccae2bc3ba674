// Runs the WakeupScheduler contract against every adapter:
//  - LocalWakeupScheduler on its two timer tables, SQLite (a WAL file, local mode's default) and dynalite (memory),
//    the tables real and time manual: a real-clock bound measures the machine's load, not the scheduler (the real
//    clock's precision is local-wakeup-scheduler.acceptance.test.ts's);
//  - EventBridgeWakeupScheduler against the recording Scheduler fake and the real wakeup handler
//    (lambdas/wakeup.ts) on a manual clock — once on the Scheduler path, once on the direct-invoke path.
import { EventBridgeWakeupScheduler } from '../../src/adapters/eventbridge/eventbridge-wakeup-scheduler.ts';
import type { WakeupPayload } from '../../src/adapters/eventbridge/wakeup-payload.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbTimerTable } from '../../src/adapters/dynamodb/dynamodb-timer-table.ts';
import { LocalWakeupScheduler } from '../../src/adapters/local-timers/local-wakeup-scheduler.ts';
import type { TimerTable } from '../../src/adapters/local-timers/timer-table.ts';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteTimerTable } from '../../src/adapters/sqlite/sqlite-timer-table.ts';
import { createWakeupHandler } from '../../lambdas/wakeup.ts';
import { ensureTable, startDynalite } from '../../src/local/dynalite.ts';
import { RecordingSchedulerClient } from '../adapters/eventbridge/recording-scheduler-client.ts';
import { ManualTimers } from '../adapters/local-timers/manual-timers.ts';
import {
  describeWakeupSchedulerContract,
  type FiredTimer,
  type WakeupSchedulerHarness,
} from './wakeup-scheduler.contract.ts';

/**
 * LocalWakeupScheduler on `table` with a manual clock and its timers; `pass` moves time, then waits for the
 * deliveries and table writes the fired timers started. `restart` builds a new scheduler on the same table.
 */
async function localHarness(
  table: TimerTable,
  release: () => Promise<void>,
): Promise<WakeupSchedulerHarness> {
  const fired: FiredTimer[] = [];
  const errors: unknown[] = [];
  const timers = new ManualTimers(Date.now());
  const create = (): LocalWakeupScheduler =>
    new LocalWakeupScheduler({
      table,
      clock: timers,
      timers,
      onDue: (due) => {
        fired.push({ due, firedAt: timers.now() });
      },
      onError: (error) => errors.push(error),
    });
  let scheduler = create();
  await scheduler.start();
  return {
    get scheduler() {
      return scheduler;
    },
    now: () => timers.now(),
    fired,
    errors,
    pass: async (ms) => {
      await timers.advance(ms);
      await scheduler.drain();
    },
    restart: async () => {
      await scheduler.stop();
      scheduler = create();
      await scheduler.start();
    },
    close: async () => {
      await scheduler.stop();
      await release();
    },
  };
}

async function sqliteHarness(): Promise<WakeupSchedulerHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'podflow-timers-contract-'));
  const db = openSqliteDatabase(join(dir, 'podflow.db'));
  return localHarness(new SqliteTimerTable({ db }), async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });
}

async function dynaliteHarness(): Promise<WakeupSchedulerHarness> {
  const db = await startDynalite();
  const tableName = 'podflow-timers-contract';
  await ensureTable(db.client, tableName);
  return localHarness(new DynamoDbTimerTable({ client: db.client, tableName }), () => db.close());
}

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:podflow-wakeup';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/podflow-scheduler';
/** Not aligned to a minute, so the Scheduler path really has seconds to wait out. */
const EPOCH = Date.UTC(2030, 0, 1, 12, 0, 7, 250);

async function eventBridgeHarness(): Promise<WakeupSchedulerHarness> {
  const timers = new ManualTimers(EPOCH);
  const fired: FiredTimer[] = [];
  const errors: unknown[] = [];
  const handler = createWakeupHandler({
    clock: timers,
    sleep: timers.sleep,
    deliver: async (due) => {
      fired.push({ due, firedAt: timers.now() });
    },
  });
  const client = new RecordingSchedulerClient({
    timers,
    invokeTarget: (arn, event) => {
      if (arn !== FUNCTION_ARN) throw new Error(`unexpected target ${arn}`);
      return handler(event);
    },
  });
  // Lambda Invoke with InvocationType 'Event': accepted at once, runs on its own; the payload crosses as JSON.
  const invokeWakeupAsync = async (payload: WakeupPayload): Promise<void> => {
    void handler(JSON.parse(JSON.stringify(payload))).catch((err: unknown) => errors.push(err));
  };
  const create = (): EventBridgeWakeupScheduler =>
    new EventBridgeWakeupScheduler({
      client,
      clock: timers,
      groupName: 'podflow-timers',
      wakeupFunctionArn: FUNCTION_ARN,
      schedulerRoleArn: ROLE_ARN,
      invokeWakeupAsync,
    });
  let scheduler = create();
  return {
    get scheduler() {
      return scheduler;
    },
    now: () => timers.now(),
    fired,
    get errors() {
      return [...errors, ...client.targetErrors];
    },
    pass: (ms) => timers.advance(ms),
    restart: async () => {
      scheduler = create();
    },
    close: async () => {},
  };
}

describeWakeupSchedulerContract('LocalWakeupScheduler (SQLite, manual clock)', {
  setup: sqliteHarness,
  delays: { near: 150, far: 350 },
  // In-process timers fire at their instant; the bound is what the real clock adds on a loaded machine, which the
  // acceptance test measures (100 ms on a single timer).
  latenessBoundMs: 150,
});

describeWakeupSchedulerContract('LocalWakeupScheduler (dynalite, manual clock)', {
  setup: dynaliteHarness,
  delays: { near: 150, far: 350 },
  latenessBoundMs: 150,
});

describeWakeupSchedulerContract('EventBridgeWakeupScheduler, Scheduler path (recording fake, manual clock)', {
  setup: eventBridgeHarness,
  // At or beyond a minute ahead of the due minute's start: always Scheduler, never the direct invoke.
  delays: { near: 5 * 60_000 + 13_000, far: 9 * 60_000 + 41_000 },
  // The fake Scheduler fires at the start of the minute and the handler sleeps out the rest.
  latenessBoundMs: 1_000,
});

describeWakeupSchedulerContract('EventBridgeWakeupScheduler, direct path (manual clock)', {
  setup: eventBridgeHarness,
  delays: { near: 20_000, far: 45_000 },
  latenessBoundMs: 1_000,
  recallUnsupported:
    'a direct async Lambda invoke cannot be recalled; the consumer drops it by (timerId, dueAt)',
});
