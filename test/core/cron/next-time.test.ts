// robfig/cron spec.go Next as the CronJob controller uses it, in two time zones across their 2026 spring-forward
// changes (America/New_York on 2026-03-08 at 02:00 EST → 03:00 EDT; Europe/Berlin on 2026-03-29 at 02:00 CET →
// 03:00 CEST) and New York's fall-back (2026-11-01, 02:00 EDT → 01:00 EST): hours advance by absolute hours, so a
// time in the gap is skipped that day and one in the repeated hour fires at both of its instants.
import { describe, expect, it } from 'vitest';
import { parseCronSchedule } from '../../../src/core/manifest/cron.ts';
import { nextActivation } from '../../../src/core/cron/next-time.ts';
import { formatRfc3339InZone, zonedDate } from '../../../src/core/cron/zoned-time.ts';

/** The next `n` activations after `from`, as UTC instants. */
function activations(expr: string, zone: string, from: string, n: number): string[] {
  const parsed = parseCronSchedule(expr);
  if (!parsed.ok) throw new Error(parsed.error);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = nextActivation(parsed.schedule, t, zone);
    if (next === undefined) break;
    out.push(new Date(next).toISOString().replace('.000Z', 'Z'));
    t = next;
  }
  return out;
}

describe('nextActivation (robfig/cron SpecSchedule.Next)', () => {
  it.each([
    {
      name: 'New York 02:30 daily: the gap day (2026-03-08) has no 02:30, EST before, EDT after',
      expr: '30 2 * * *',
      zone: 'America/New_York',
      from: '2026-03-06T12:00:00Z',
      want: ['2026-03-07T07:30:00Z', '2026-03-09T06:30:00Z', '2026-03-10T06:30:00Z'],
    },
    {
      name: 'New York hourly across the change: 01:00 EST then 03:00 EDT, one hour apart in UTC',
      expr: '0 * * * *',
      zone: 'America/New_York',
      from: '2026-03-08T05:30:00Z',
      want: ['2026-03-08T06:00:00Z', '2026-03-08T07:00:00Z', '2026-03-08T08:00:00Z'],
    },
    {
      name: 'Berlin 09:00 daily: 08:00Z in CET, 07:00Z from the change on (2026-03-29)',
      expr: '0 9 * * *',
      zone: 'Europe/Berlin',
      from: '2026-03-27T12:00:00Z',
      want: ['2026-03-28T08:00:00Z', '2026-03-29T07:00:00Z', '2026-03-30T07:00:00Z'],
    },
    {
      name: 'Berlin 02:30 daily: skipped on 2026-03-29',
      expr: '30 2 * * *',
      zone: 'Europe/Berlin',
      from: '2026-03-27T12:00:00Z',
      want: ['2026-03-28T01:30:00Z', '2026-03-30T00:30:00Z'],
    },
    {
      name: 'New York 01:30 daily: twice on the fall-back day (EDT, then EST)',
      expr: '30 1 * * *',
      zone: 'America/New_York',
      from: '2026-10-31T12:00:00Z',
      want: ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-02T06:30:00Z'],
    },
    {
      name: 'UTC: steps, ranges and lists',
      expr: '0,30 9-10 * * mon-fri',
      zone: 'UTC',
      from: '2026-03-06T09:45:00Z',
      want: ['2026-03-06T10:00:00Z', '2026-03-06T10:30:00Z', '2026-03-09T09:00:00Z'],
    },
    {
      name: 'day of month OR day of week when neither is a star',
      expr: '0 0 13 * fri',
      zone: 'UTC',
      from: '2026-03-01T00:00:00Z',
      want: ['2026-03-06T00:00:00Z', '2026-03-13T00:00:00Z', '2026-03-20T00:00:00Z'],
    },
    {
      name: '@weekly in Berlin: Sunday midnight local',
      expr: '@weekly',
      zone: 'Europe/Berlin',
      from: '2026-03-25T00:00:00Z',
      want: ['2026-03-28T23:00:00Z', '2026-04-04T22:00:00Z'],
    },
    {
      name: '@monthly, @yearly',
      expr: '@yearly',
      zone: 'UTC',
      from: '2026-03-25T00:00:00Z',
      want: ['2027-01-01T00:00:00Z'],
    },
    {
      name: '@every 90s counts from the start of the current second',
      expr: '@every 90s',
      zone: 'UTC',
      from: '2026-03-08T05:30:00.500Z',
      want: ['2026-03-08T05:31:30Z', '2026-03-08T05:33:00Z'],
    },
    {
      name: 'a date that never comes (30 February): none within five years',
      expr: '0 0 30 2 *',
      zone: 'UTC',
      from: '2026-03-08T05:30:00Z',
      want: [],
    },
  ])('$name', ({ expr, zone, from, want }) => {
    expect(activations(expr, zone, from, want.length || 1)).toEqual(want);
  });

  it('a TZ= prefix in the schedule wins over the zone given', () => {
    expect(activations('TZ=Europe/Berlin 0 9 * * *', 'America/New_York', '2026-03-27T12:00:00Z', 1)).toEqual([
      '2026-03-28T08:00:00Z',
    ]);
  });
});

describe('zoned time (Go time.Date and RFC 3339 in a zone)', () => {
  it.each([
    { name: 'EST', at: '2026-03-07T07:30:00Z', zone: 'America/New_York', want: '2026-03-07T02:30:00-05:00' },
    { name: 'EDT', at: '2026-03-09T06:30:00Z', zone: 'America/New_York', want: '2026-03-09T02:30:00-04:00' },
    { name: 'CEST', at: '2026-03-29T07:00:00Z', zone: 'Europe/Berlin', want: '2026-03-29T09:00:00+02:00' },
    { name: 'UTC is Z', at: '2026-03-29T07:00:00Z', zone: 'UTC', want: '2026-03-29T07:00:00Z' },
  ])('$name', ({ at, zone, want }) => {
    expect(formatRfc3339InZone(Date.parse(at), zone)).toBe(want);
  });

  it('normalises out-of-range fields as time.Date does (month 13, day 0)', () => {
    expect(new Date(zonedDate(2026, 13, 1, 0, 0, 0, 'UTC')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(zonedDate(2026, 3, 0, 0, 0, 0, 'UTC')).toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });

  it('an ambiguous wall clock resolves as Go does: the first instant in New York, the second in Berlin', () => {
    // New York 01:30 on 2026-11-01 exists at 05:30Z (EDT) and 06:30Z (EST); Berlin 02:30 on 2026-10-25 at 00:30Z
    // (CEST) and 01:30Z (CET).
    expect(new Date(zonedDate(2026, 11, 1, 1, 30, 0, 'America/New_York')).toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    expect(new Date(zonedDate(2026, 10, 25, 2, 30, 0, 'Europe/Berlin')).toISOString()).toBe(
      '2026-10-25T01:30:00.000Z',
    );
  });
});
