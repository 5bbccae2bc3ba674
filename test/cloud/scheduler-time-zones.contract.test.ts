// Contract of the EventBridge Scheduler emulator's time zones through the real @aws-sdk/client-scheduler:
// ScheduleExpressionTimezone takes any IANA zone, cron() and at() are evaluated on that zone's wall clock, and
// daylight saving time behaves as the user guide's "Daylight savings time on EventBridge Scheduler" documents
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time): a cron time
// the zone skips in spring is skipped that day, one it repeats in autumn runs once, before the shift.
// 2026 transitions: America/New_York Mar 8 (02:00 EST → 03:00 EDT, 07:00Z) and Nov 1 (02:00 EDT → 01:00 EST,
// 06:00Z); Europe/Berlin Mar 29 (02:00 CET → 03:00 CEST, 01:00Z) and Oct 25 (03:00 CEST → 02:00 CET, 01:00Z).
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorServer } from './emulators/aws-wire.ts';
import { OffsetClock } from './emulators/emulator-clock.ts';
import { nextFireTime, parseScheduleExpression } from './emulators/schedule-expression.ts';
import { SchedulerEmulator } from './emulators/scheduler.ts';
import { sdkConfig } from './support/sdk-config.ts';

const MINUTE = 60_000;
const clock = new OffsetClock();
let scheduler: SchedulerEmulator;
let server: EmulatorServer;
let client: SchedulerClient;
const created: string[] = [];

beforeAll(async () => {
  // Only `advance` moves a frozen clock, so every firing lands exactly on its minute.
  clock.freeze();
  scheduler = new SchedulerEmulator({ clock, invokeLambda: async () => undefined });
  server = await scheduler.listen();
  client = new SchedulerClient(sdkConfig(server.url));
});

afterEach(async () => {
  for (const name of created.splice(0)) {
    await client.send(new DeleteScheduleCommand({ Name: name })).catch(() => undefined);
  }
});

afterAll(async () => {
  scheduler.close();
  clock.clear();
  client.destroy();
  await server.close();
});

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => e,
  );

/**
 * Puts the clock at `iso`. The OffsetClock has no setter and the tests run after these 2026 dates, so this may
 * advance by a negative amount; it is only called while no schedule is armed.
 */
const setClock = (iso: string) => clock.advance(Date.parse(iso) - clock.now());

/** Advances the clock a minute at a time up to `iso` (inclusive), so each firing happens on its own minute. */
const advanceTo = (iso: string) => {
  const end = Date.parse(iso);
  while (clock.now() < end) clock.advance(Math.min(MINUTE, end - clock.now()));
};

const schedule = async (
  name: string,
  ScheduleExpression: string,
  ScheduleExpressionTimezone: string | undefined,
  extra: Partial<CreateScheduleCommandInput> = {},
) => {
  await client.send(
    new CreateScheduleCommand({
      Name: name,
      ScheduleExpression,
      ...(ScheduleExpressionTimezone ? { ScheduleExpressionTimezone } : {}),
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: 'arn:aws:lambda:us-east-1:123456789012:function:wakeup',
        RoleArn: 'arn:aws:iam::123456789012:role/r',
        Input: JSON.stringify({ name }),
      },
      ...extra,
    }),
  );
  created.push(name);
};

const firedAt = (name: string) =>
  scheduler.firings.filter((f) => f.name === name).map((f) => new Date(f.at).toISOString());

describe('ScheduleExpressionTimezone', () => {
  it('cron(30 2 * * ? *) in America/New_York fires at 07:30Z in winter; GetSchedule echoes the zone', async () => {
    setClock('2026-01-10T00:00:00Z');
    await schedule('ny-winter', 'cron(30 2 * * ? *)', 'America/New_York');
    const got = await client.send(new GetScheduleCommand({ Name: 'ny-winter' }));
    expect(got).toMatchObject({
      ScheduleExpression: 'cron(30 2 * * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    advanceTo('2026-01-12T00:00:00Z');
    expect(firedAt('ny-winter')).toEqual(['2026-01-10T07:30:00.000Z', '2026-01-11T07:30:00.000Z']);
  });

  it('… and at 06:30Z in summer (EDT)', async () => {
    setClock('2026-07-10T00:00:00Z');
    await schedule('ny-summer', 'cron(30 2 * * ? *)', 'America/New_York');
    advanceTo('2026-07-11T00:00:00Z');
    expect(firedAt('ny-summer')).toEqual(['2026-07-10T06:30:00.000Z']);
  });

  it('spring forward: a cron time in the skipped hour is skipped that day, and runs normally the next', async () => {
    setClock('2026-03-07T00:00:00Z');
    await schedule('ny-spring', 'cron(30 2 * * ? *)', 'America/New_York');
    advanceTo('2026-03-10T00:00:00Z');
    // Mar 8 02:30 does not exist in New York (01:59 EST is followed by 03:00 EDT).
    expect(firedAt('ny-spring')).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('spring forward in Europe/Berlin', async () => {
    setClock('2026-03-28T00:00:00Z');
    await schedule('berlin-spring', 'cron(30 2 * * ? *)', 'Europe/Berlin');
    advanceTo('2026-03-31T00:00:00Z');
    expect(firedAt('berlin-spring')).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('fall back: a cron time in the repeated hour runs once, before the shift, not again after it', async () => {
    setClock('2026-10-31T00:00:00Z');
    await schedule('ny-fall', 'cron(30 1 * * ? *)', 'America/New_York');
    advanceTo('2026-11-03T00:00:00Z');
    // Nov 1 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST): only the first fires.
    expect(firedAt('ny-fall')).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('fall back in Europe/Berlin', async () => {
    setClock('2026-10-24T00:00:00Z');
    await schedule('berlin-fall', 'cron(30 2 * * ? *)', 'Europe/Berlin');
    advanceTo('2026-10-27T00:00:00Z');
    // Oct 25 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    expect(firedAt('berlin-fall')).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('fall back, sub-hourly (the guide is silent): no minute of the repeated hour fires twice', async () => {
    setClock('2026-11-01T03:59:00Z');
    await schedule('ny-half-hours', 'cron(0/30 * * * ? *)', 'America/New_York');
    advanceTo('2026-11-01T08:00:00Z');
    // 00:00, 00:30, 01:00, 01:30 EDT; the repeated 01:00 and 01:30 EST (06:00Z, 06:30Z) are left out; 02:00 EST on.
    expect(firedAt('ny-half-hours')).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-11-01T04:30:00.000Z',
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T07:30:00.000Z',
      '2026-11-01T08:00:00.000Z',
    ]);
  });

  it('rate() ignores the zone: an hourly rate stays 60 minutes apart across the fall-back', async () => {
    setClock('2026-11-01T04:00:00Z');
    await schedule('ny-rate', 'rate(1 hour)', 'America/New_York');
    advanceTo('2026-11-01T08:00:00Z');
    expect(firedAt('ny-rate')).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T08:00:00.000Z',
    ]);
  });

  it('at() names a wall-clock time in the zone', async () => {
    setClock('2026-07-04T00:00:00Z');
    await schedule('la-once', 'at(2026-07-04T09:00:00)', 'America/Los_Angeles', {
      ActionAfterCompletion: 'DELETE',
    });
    advanceTo('2026-07-05T00:00:00Z');
    expect(firedAt('la-once')).toEqual(['2026-07-04T16:00:00.000Z']); // 09:00 PDT (UTC−7)
    expect(await errorOf(client.send(new GetScheduleCommand({ Name: 'la-once' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  // The guide speaks of cron expressions only; the emulator treats at() the same way.
  it('at() naming a repeated wall time fires once, at its first instant', async () => {
    setClock('2026-10-31T00:00:00Z');
    await schedule('ny-once-repeated', 'at(2026-11-01T01:30:00)', 'America/New_York');
    advanceTo('2026-11-02T00:00:00Z');
    expect(firedAt('ny-once-repeated')).toEqual(['2026-11-01T05:30:00.000Z']);
  });

  it('at() naming a skipped wall time never fires', async () => {
    setClock('2026-03-07T00:00:00Z');
    await schedule('ny-once-skipped', 'at(2026-03-08T02:30:00)', 'America/New_York');
    advanceTo('2026-03-09T00:00:00Z');
    expect(firedAt('ny-once-skipped')).toEqual([]);
  });

  it('UpdateSchedule re-evaluates in the new zone', async () => {
    setClock('2026-01-10T01:00:00Z'); // 10:00 in Tokyo, 20:00 the day before in New York
    await schedule('moved', 'cron(0 9 * * ? *)', 'America/New_York');
    await client.send(
      new UpdateScheduleCommand({
        Name: 'moved',
        ScheduleExpression: 'cron(0 9 * * ? *)',
        ScheduleExpressionTimezone: 'Asia/Tokyo',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: 'arn:aws:lambda:us-east-1:123456789012:function:wakeup',
          RoleArn: 'arn:aws:iam::1:role/r',
        },
      }),
    );
    expect((await client.send(new GetScheduleCommand({ Name: 'moved' }))).ScheduleExpressionTimezone).toBe(
      'Asia/Tokyo',
    );
    advanceTo('2026-01-11T00:00:00Z');
    expect(firedAt('moved')).toEqual(['2026-01-11T00:00:00.000Z']); // 09:00 JST (UTC+9)
  });

  it('a schedule without a zone is in UTC, and GetSchedule says so', async () => {
    setClock('2026-07-10T00:00:00Z');
    await schedule('utc-default', 'cron(30 2 * * ? *)', undefined);
    expect(
      (await client.send(new GetScheduleCommand({ Name: 'utc-default' }))).ScheduleExpressionTimezone,
    ).toBe('UTC');
    advanceTo('2026-07-11T00:00:00Z');
    expect(firedAt('utc-default')).toEqual(['2026-07-10T02:30:00.000Z']);
  });

  it.each(['Mars/Olympus_Mons', 'New York', '+01:00', ''])(
    'refuses the unknown zone %j with ValidationException (400), on create and on update',
    async (zone) => {
      const input = {
        Name: 'bad-zone',
        ScheduleExpression: 'cron(0 9 * * ? *)',
        ScheduleExpressionTimezone: zone,
        FlexibleTimeWindow: { Mode: 'OFF' as const },
        Target: {
          Arn: 'arn:aws:lambda:us-east-1:123456789012:function:wakeup',
          RoleArn: 'arn:aws:iam::1:role/r',
        },
      };
      expect(await errorOf(client.send(new CreateScheduleCommand(input)))).toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
      await schedule('bad-zone', 'cron(0 9 * * ? *)', 'UTC');
      expect(await errorOf(client.send(new UpdateScheduleCommand(input)))).toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
    },
  );
});

describe('schedule-expression.ts with a zone', () => {
  it('parses UTC and its aliases exactly as without a zone', () => {
    for (const zone of [undefined, 'UTC', 'Etc/UTC', 'GMT']) {
      expect(parseScheduleExpression('cron(0 1 * * ? *)', zone)).toEqual(
        parseScheduleExpression('cron(0 1 * * ? *)'),
      );
      expect(parseScheduleExpression('at(2030-01-01T00:00:00)', zone)).toEqual({
        kind: 'at',
        at: Date.UTC(2030, 0, 1),
      });
    }
  });

  it('handles a half-hour shift (Australia/Lord_Howe, Apr 5 2026: 02:00 +11 → 01:30 +10:30)', () => {
    const expr = parseScheduleExpression('cron(45 1 * * ? *)', 'Australia/Lord_Howe');
    const first = nextFireTime(expr, Date.parse('2026-04-04T12:00:00Z'), 0)!;
    expect(new Date(first).toISOString()).toBe('2026-04-04T14:45:00.000Z'); // 01:45 +11
    // Its repeat at 15:15Z (01:45 +10:30) does not fire; the next is Apr 6 01:45 +10:30.
    expect(new Date(nextFireTime(expr, first + MINUTE, 0)!).toISOString()).toBe('2026-04-05T15:15:00.000Z');
  });

  it('finds a monthly schedule in a zone without walking minute by minute', () => {
    const expr = parseScheduleExpression('cron(0 9 29 2 ? *)', 'Europe/Berlin');
    const started = performance.now();
    expect(new Date(nextFireTime(expr, Date.parse('2026-03-01T00:00:00Z'), 0)!).toISOString()).toBe(
      '2028-02-29T08:00:00.000Z',
    );
    expect(performance.now() - started).toBeLessThan(200);
  });
});
