// The CronJob schedule parser (robfig/cron/v3 ParseStandard semantics and error texts).
import { describe, expect, it } from 'vitest';
import { cronMatches, isKnownTimeZone, parseCronSchedule } from '../../src/core/manifest/cron.ts';
import type { CronSchedule } from '../../src/core/manifest/cron.ts';

type Spec = Extract<CronSchedule, { kind: 'spec' }>;

function spec(text: string): Spec {
  const r = parseCronSchedule(text);
  if (!r.ok) throw new Error(r.error);
  if (r.schedule.kind !== 'spec') throw new Error('not a spec schedule');
  return r.schedule;
}

const range = (a: number, b: number, step = 1): number[] =>
  Array.from({ length: Math.floor((b - a) / step) + 1 }, (_, i) => a + i * step);

describe('parseCronSchedule', () => {
  it.each([
    { name: 'every minute', text: '* * * * *', field: 'minute', values: range(0, 59) },
    { name: 'a step over the whole range', text: '*/15 * * * *', field: 'minute', values: [0, 15, 30, 45] },
    { name: 'N/step means N-max/step', text: '5/20 * * * *', field: 'minute', values: [5, 25, 45] },
    { name: 'a range with a step', text: '0 9-17/4 * * *', field: 'hour', values: [9, 13, 17] },
    { name: 'a list', text: '0 0 1,15,31 * *', field: 'dayOfMonth', values: [1, 15, 31] },
    { name: 'empty list items are skipped', text: '0 0 1,,2 * *', field: 'dayOfMonth', values: [1, 2] },
    { name: 'month names, any case', text: '0 0 1 JAN,jul-Aug *', field: 'month', values: [1, 7, 8] },
    { name: 'weekday names', text: '0 0 * * mon-fri', field: 'dayOfWeek', values: [1, 2, 3, 4, 5] },
    { name: '? is a star', text: '0 0 ? * *', field: 'dayOfMonth', values: range(1, 31) },
    { name: 'extra whitespace between fields', text: '  0\t12  * * *  ', field: 'hour', values: [12] },
  ])('parses $name', ({ text, field, values }) => {
    expect(spec(text)[field as 'minute'].values).toEqual(values);
  });

  it.each([
    { descriptor: '@yearly', minute: [0], hour: [0], dom: [1], month: [1] },
    { descriptor: '@annually', minute: [0], hour: [0], dom: [1], month: [1] },
    { descriptor: '@monthly', minute: [0], hour: [0], dom: [1], month: range(1, 12) },
    { descriptor: '@daily', minute: [0], hour: [0], dom: range(1, 31), month: range(1, 12) },
    { descriptor: '@midnight', minute: [0], hour: [0], dom: range(1, 31), month: range(1, 12) },
    { descriptor: '@hourly', minute: [0], hour: range(0, 23), dom: range(1, 31), month: range(1, 12) },
  ])('knows $descriptor', ({ descriptor, minute, hour, dom, month }) => {
    const s = spec(descriptor);
    expect([s.minute.values, s.hour.values, s.dayOfMonth.values, s.month.values]).toEqual([
      minute,
      hour,
      dom,
      month,
    ]);
  });

  it('knows @weekly (Sunday midnight)', () => {
    expect(spec('@weekly').dayOfWeek.values).toEqual([0]);
  });

  it.each([
    { text: '@every 1h30m', intervalMs: 5_400_000 },
    { text: '@every 500ms', intervalMs: 1000 },
    { text: '@every 2.5s', intervalMs: 2000 },
  ])('parses $text as an interval', ({ text, intervalMs }) => {
    expect(parseCronSchedule(text)).toEqual({ ok: true, schedule: { kind: 'every', intervalMs } });
  });

  it.each([
    { name: 'empty', text: '', error: 'empty spec string' },
    { name: 'too few fields', text: '* * * *', error: 'expected exactly 5 fields, found 4: [* * * *]' },
    {
      name: 'too many fields (no seconds field)',
      text: '0 * * * * *',
      error: 'expected exactly 5 fields, found 6: [0 * * * * *]',
    },
    { name: 'minute above 59', text: '60 * * * *', error: 'end of range (60) above maximum (59): 60' },
    { name: 'day of month 0', text: '0 0 0 * *', error: 'beginning of range (0) below minimum (1): 0' },
    {
      name: 'Sunday as 7 (robfig allows 0-6 only)',
      text: '0 0 * * 7',
      error: 'end of range (7) above maximum (6): 7',
    },
    {
      name: 'a backwards range',
      text: '0 5-1 * * *',
      error: 'beginning of range (5) beyond end of range (1): 5-1',
    },
    { name: 'a zero step', text: '*/0 * * * *', error: 'step of range should be a positive number: */0' },
    { name: 'too many hyphens', text: '1-2-3 * * * *', error: 'too many hyphens: 1-2-3' },
    { name: 'too many slashes', text: '*/2/3 * * * *', error: 'too many slashes: */2/3' },
    {
      name: 'a word that is no name',
      text: '0 0 * * someday',
      error: 'failed to parse int from someday: strconv.Atoi: parsing "someday": invalid syntax',
    },
    {
      name: 'a name in the wrong field',
      text: 'jan * * * *',
      error: 'failed to parse int from jan: strconv.Atoi: parsing "jan": invalid syntax',
    },
    { name: 'an unknown descriptor', text: '@fortnightly', error: 'unrecognized descriptor: @fortnightly' },
    {
      name: 'a bad @every duration',
      text: '@every 1d',
      error: 'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"',
    },
    {
      name: 'a bad TZ prefix',
      text: 'TZ=Nowhere/City 0 * * * *',
      error: 'provided bad location Nowhere/City: unknown time zone Nowhere/City',
    },
  ])('refuses $name with robfig’s text', ({ text, error }) => {
    expect(parseCronSchedule(text)).toEqual({ ok: false, error });
  });

  it('reads a TZ= prefix (the API server then refuses it; timeZone is the field to use)', () => {
    expect(spec('CRON_TZ=Asia/Tokyo 0 9 * * *').timeZone).toBe('Asia/Tokyo');
  });
});

describe('cronMatches', () => {
  const at = (minute: number, hour: number, dayOfMonth: number, month: number, dayOfWeek: number) => ({
    minute,
    hour,
    dayOfMonth,
    month,
    dayOfWeek,
  });
  it.each([
    { name: 'every 5 minutes at :10', text: '*/5 * * * *', t: at(10, 3, 2, 1, 5), matches: true },
    { name: 'every 5 minutes not at :11', text: '*/5 * * * *', t: at(11, 3, 2, 1, 5), matches: false },
    {
      name: 'day of month OR day of week when both are restricted (the 13th)',
      text: '0 0 13 * 5',
      t: at(0, 0, 13, 3, 2),
      matches: true,
    },
    {
      name: 'day of month OR day of week when both are restricted (a Friday)',
      text: '0 0 13 * 5',
      t: at(0, 0, 20, 3, 5),
      matches: true,
    },
    {
      name: 'with a star day of week, the day of month must match',
      text: '0 0 13 * *',
      t: at(0, 0, 20, 3, 5),
      matches: false,
    },
    {
      name: 'a stepped star is no star: odd days OR Mondays (an even Monday)',
      text: '0 0 */2 * 1',
      t: at(0, 0, 2, 3, 1),
      matches: true,
    },
    {
      name: 'a stepped star is no star: odd days OR Mondays (an odd Thursday)',
      text: '0 0 */2 * 1',
      t: at(0, 0, 3, 3, 4),
      matches: true,
    },
    {
      name: 'a stepped star is no star: odd days OR Mondays (an even Wednesday)',
      text: '0 0 */2 * 1',
      t: at(0, 0, 4, 3, 3),
      matches: false,
    },
    { name: '@weekly on Sunday midnight', text: '@weekly', t: at(0, 0, 9, 6, 0), matches: true },
  ])('$name', ({ text, t, matches }) => {
    expect(cronMatches(spec(text), t)).toBe(matches);
  });
});

describe('isKnownTimeZone', () => {
  it.each([
    { zone: 'UTC', known: true },
    { zone: 'Europe/Berlin', known: true },
    { zone: 'America/Argentina/Buenos_Aires', known: true },
    { zone: 'Mars/Olympus_Mons', known: false },
    { zone: 'europe/berlin', known: false },
  ])('$zone → $known', ({ zone, known }) => {
    expect(isKnownTimeZone(zone)).toBe(known);
  });
});
