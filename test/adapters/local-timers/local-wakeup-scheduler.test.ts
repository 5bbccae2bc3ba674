// LocalWakeupScheduler on a DynamoDbTimerTable on dynalite, driven by a manual clock: the durable item layout,
// chunked long waits, retry of a failing delivery, and the races between firing, re-scheduling, cancelling and
// start(). (The same scheduler on SqliteTimerTable runs the WakeupScheduler contract: test/contract.)
import { GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DELIVERY_RETRY_INITIAL_DELAY_MS,
  DELIVERY_RETRY_MAX_DELAY_MS,
  LocalWakeupScheduler,
  type LocalWakeupSchedulerOptions,
} from '../../../src/adapters/local-timers/local-wakeup-scheduler.ts';
import { MAX_TIMER_DELAY_MS } from '../../../src/adapters/local-timers/timer-functions.ts';
import { DynamoDbTimerTable } from '../../../src/adapters/dynamodb/dynamodb-timer-table.ts';
import { ensureTable, startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import type { PodKey } from '../../../src/ports/pod-key.ts';
import type { TimerDue } from '../../../src/ports/wakeup-scheduler.ts';
import { ManualTimers } from './manual-timers.ts';

const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);
const pod: PodKey = { namespace: 'default', name: 'web-0' };
const DAY_MS = 86_400_000;

let db: LocalDynamo;
let tables = 0;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.close();
});

interface Setup {
  timers: ManualTimers;
  scheduler: LocalWakeupScheduler;
  fired: (TimerDue & { firedAt: number })[];
  errors: unknown[];
  tableName: string;
  /** Advances the manual clock and waits for the deliveries and writes it started. */
  advance(ms: number): Promise<void>;
  item(key: PodKey, timerId: string): Promise<Record<string, unknown> | undefined>;
  create(overrides?: Overrides): LocalWakeupScheduler;
}

/** Scheduler options to override, and `client`: the DynamoDB client its timer table sends through (a spy). */
type Overrides = Partial<LocalWakeupSchedulerOptions> & { client?: DynamoDBClient };

async function setup(overrides: Overrides = {}): Promise<Setup> {
  const tableName = `timers-${++tables}`;
  await ensureTable(db.client, tableName);
  const timers = new ManualTimers(T0);
  const fired: Setup['fired'] = [];
  const errors: unknown[] = [];
  const create = (more: Overrides = {}): LocalWakeupScheduler => {
    const { client = db.client, ...options } = { ...overrides, ...more };
    return new LocalWakeupScheduler({
      table: new DynamoDbTimerTable({ client, tableName }),
      clock: timers,
      timers,
      onDue: (due) => {
        fired.push({ ...due, firedAt: timers.now() });
      },
      onError: (error) => errors.push(error),
      ...options,
    });
  };
  const scheduler = create();
  return {
    timers,
    scheduler,
    fired,
    errors,
    tableName,
    create,
    advance: async (ms) => {
      await timers.advance(ms);
      await scheduler.drain();
    },
    item: async (key, timerId) => {
      const got = await db.client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: 'timer' }, SK: { S: `${key.namespace}/${key.name}/${timerId}` } },
          ConsistentRead: true,
        }),
      );
      return got.Item;
    },
  };
}

describe('LocalWakeupScheduler', () => {
  it('stores each timer as an item {PK: timer, SK: <ns>/<name>/<timerId>, at} and writes it before arming', async () => {
    const s = await setup();
    const log: string[] = [];
    const spyClient = {
      send: (command: { constructor: { name: string } }) => {
        log.push(`${command.constructor.name} (armed: ${s.timers.pendingCount})`);
        return db.client.send(command as PutItemCommand);
      },
    } as unknown as DynamoDBClient;
    const scheduler = s.create({ client: spyClient });
    await scheduler.start();
    await scheduler.scheduleAt(pod, 'backoff/c1/3', T0 + 10_000);
    log.push(`resolved (armed: ${s.timers.pendingCount})`);

    expect(log).toEqual(['QueryCommand (armed: 0)', 'PutItemCommand (armed: 0)', 'resolved (armed: 1)']);
    expect(await s.item(pod, 'backoff/c1/3')).toEqual({
      PK: { S: 'timer' },
      SK: { S: 'default/web-0/backoff/c1/3' },
      at: { N: String(T0 + 10_000) },
      namespace: { S: 'default' },
      name: { S: 'web-0' },
      timerId: { S: 'backoff/c1/3' },
    });
    await scheduler.stop();
  });

  it('fires nothing before start(); start() arms the stored timers earliest first, a past one at once', async () => {
    const s = await setup();
    await s.scheduler.scheduleAt(pod, 'later', T0 + 15_000);
    // Query returns SK order (a-… before b-…); start() must fire by instant instead.
    await s.scheduler.scheduleAt(pod, 'a-overdue', T0 - 30_000);
    await s.scheduler.scheduleAt(pod, 'b-overdue', T0 - 60_000);
    await s.scheduler.scheduleAt(pod, 'sooner', T0 + 12_000);
    await s.advance(10_000);
    expect(s.fired).toEqual([]);

    await s.scheduler.start();
    await s.advance(0);
    expect(s.fired.map((f) => [f.timerId, f.firedAt - T0])).toEqual([
      ['b-overdue', 10_000],
      ['a-overdue', 10_000],
    ]);
    await s.advance(10_000);
    expect(s.fired.map((f) => f.timerId)).toEqual(['b-overdue', 'a-overdue', 'sooner', 'later']);
    await s.scheduler.stop();
  });

  it("waits longer than setTimeout's 2^31-1 ms limit in chunks and fires once, at its instant", async () => {
    const s = await setup();
    await s.scheduler.start();
    const at = T0 + 60 * DAY_MS + 123;
    await s.scheduler.scheduleAt(pod, 'cron', at);
    await s.advance(at - T0 - 1);
    expect(s.fired).toEqual([]);
    await s.advance(1);
    expect(s.fired).toEqual([{ key: pod, timerId: 'cron', dueAt: at, firedAt: at }]);
    expect(Math.max(...s.timers.requestedDelays)).toBe(MAX_TIMER_DELAY_MS);
    expect(s.timers.requestedDelays.length).toBeGreaterThanOrEqual(3); // 60 days = 2 full chunks + the rest
    expect(await s.item(pod, 'cron')).toBeUndefined();
    await s.scheduler.stop();
  });

  it('keeps the item and retries a throwing onDue after 1 s, 2 s, 4 s … capped at 30 s, then deletes it', async () => {
    let failures = 7;
    const attempts: number[] = [];
    const s = await setup({
      onDue: () => {
        attempts.push(s.timers.now() - T0);
        if (failures-- > 0) throw new Error('inbox unavailable');
      },
    });
    await s.scheduler.start();
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0);
    await s.advance(60_000);
    expect(await s.item(pod, 'backoff-1')).toBeDefined();
    await s.advance(60_000);

    const delays = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(delays).toEqual([1, 2, 4, 8, 16, 30, 30].map((sec) => sec * 1_000));
    expect(delays[0]).toBe(DELIVERY_RETRY_INITIAL_DELAY_MS);
    expect(Math.max(...delays)).toBe(DELIVERY_RETRY_MAX_DELAY_MS);
    expect(s.errors).toHaveLength(7);
    expect(await s.item(pod, 'backoff-1')).toBeUndefined();
    await s.scheduler.stop();
  });

  it('a re-schedule while onDue is running is not lost: the delete is conditional on the instant that fired', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const delivered: number[] = [];
    const s = await setup({
      onDue: async (due) => {
        if (delivered.length === 0) await gate;
        delivered.push(due.dueAt);
      },
    });
    await s.scheduler.start();
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0 + 1_000);
    await s.timers.advance(1_000); // onDue(T0+1000) is now waiting on the gate
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0 + 9_000);
    release();
    await s.scheduler.drain();

    expect(await s.item(pod, 'backoff-1')).toMatchObject({ at: { N: String(T0 + 9_000) } });
    await s.advance(8_000);
    expect(delivered).toEqual([T0 + 1_000, T0 + 9_000]);
    expect(await s.item(pod, 'backoff-1')).toBeUndefined();
    await s.scheduler.stop();
  });

  it('cancel clears the in-process timer and deletes the item; cancelling twice is fine', async () => {
    const s = await setup();
    await s.scheduler.start();
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0 + 1_000);
    expect(s.timers.pendingCount).toBe(1);
    await s.scheduler.cancel(pod, 'backoff-1');
    await s.scheduler.cancel(pod, 'backoff-1');
    expect(s.timers.pendingCount).toBe(0);
    expect(await s.item(pod, 'backoff-1')).toBeUndefined();
    await s.advance(5_000);
    expect(s.fired).toEqual([]);
    await s.scheduler.stop();
  });

  it('scheduleAt of the same id replaces: one item, one armed timer, one fire', async () => {
    const s = await setup();
    await s.scheduler.start();
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0 + 1_000);
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0 + 3_000);
    expect(s.timers.pendingCount).toBe(1);
    const items = await db.client.send(
      new QueryCommand({
        TableName: s.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'timer' } },
      }),
    );
    expect(items.Items?.map((i) => i.at?.N)).toEqual([String(T0 + 3_000)]);
    await s.advance(5_000);
    expect(s.fired.map((f) => f.firedAt - T0)).toEqual([3_000]);
    await s.scheduler.stop();
  });

  it('stop() clears the in-process timers and keeps the items; a new instance fires them at start()', async () => {
    const s = await setup();
    await s.scheduler.start();
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0 + 1_000);
    await s.scheduler.stop();
    expect(s.timers.pendingCount).toBe(0);
    await s.advance(5_000);
    expect(s.fired).toEqual([]);
    expect(await s.item(pod, 'backoff-1')).toBeDefined();

    const next = s.create();
    await next.start();
    await s.timers.advance(0);
    await next.drain();
    expect(s.fired).toEqual([{ key: pod, timerId: 'backoff-1', dueAt: T0 + 1_000, firedAt: T0 + 5_000 }]);
    expect(await s.item(pod, 'backoff-1')).toBeUndefined();
    await next.stop();
  });

  it('start() does not re-arm from its snapshot what was cancelled or re-scheduled while it was reading', async () => {
    const s = await setup();
    await s.scheduler.scheduleAt(pod, 'cancelled', T0 + 1_000);
    await s.scheduler.scheduleAt(pod, 'moved', T0 + 1_000);
    const spyClient = {
      send: async (command: QueryCommand) => {
        const result = await db.client.send(command);
        if (command instanceof QueryCommand) {
          // The snapshot is taken; now the engine acts before start() arms it.
          await scheduler.cancel(pod, 'cancelled');
          await scheduler.scheduleAt(pod, 'moved', T0 + 4_000);
        }
        return result;
      },
    } as unknown as DynamoDBClient;
    const scheduler = s.create({ client: spyClient });
    await scheduler.start();
    await s.timers.advance(10_000);
    await scheduler.drain();
    expect(s.fired.map((f) => [f.timerId, f.dueAt - T0, f.firedAt - T0])).toEqual([['moved', 4_000, 4_000]]);
    await scheduler.stop();
  });

  it('a start() whose read failed can be retried, and then arms the stored timers', async () => {
    const s = await setup();
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0 + 1_000);
    let failQuery = true;
    const flakyClient = {
      send: (command: QueryCommand) => {
        if (command instanceof QueryCommand && failQuery) {
          failQuery = false;
          return Promise.reject(new Error('connection reset'));
        }
        return db.client.send(command);
      },
    } as unknown as DynamoDBClient;
    const scheduler = s.create({ client: flakyClient });
    await expect(scheduler.start()).rejects.toThrow('connection reset');
    await scheduler.start();
    await s.timers.advance(1_000);
    await scheduler.drain();
    expect(s.fired.map((f) => f.timerId)).toEqual(['backoff-1']);
    await scheduler.stop();
  });

  it('ignores items in the timer partition it did not write', async () => {
    const s = await setup();
    await db.client.send(
      new PutItemCommand({
        TableName: s.tableName,
        Item: { PK: { S: 'timer' }, SK: { S: 'garbage' }, at: { S: 'x' } },
      }),
    );
    await s.scheduler.scheduleAt(pod, 'backoff-1', T0);
    await s.scheduler.start();
    await s.advance(0);
    expect(s.fired.map((f) => f.timerId)).toEqual(['backoff-1']);
    await s.scheduler.stop();
  });

  it.each([
    { name: 'NaN', at: Number.NaN },
    { name: 'Infinity', at: Number.POSITIVE_INFINITY },
  ])('rejects a non-finite instant ($name) without writing', async ({ at }) => {
    const s = await setup();
    await expect(s.scheduler.scheduleAt(pod, 'x', at)).rejects.toThrow(TypeError);
    expect(await s.item(pod, 'x')).toBeUndefined();
  });
});
