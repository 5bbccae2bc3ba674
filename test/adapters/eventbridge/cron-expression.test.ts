// eventBridgeCronExpressions: the exact expressions for common CronJob schedules, and a semantic cross-check — the
// union of the expressions' firings, evaluated by the independent Scheduler emulator, against robfig's activations.
import { describe, expect, it } from 'vitest';
import {
  SCHEDULE_EXPRESSION_MAX_LENGTH,
  eventBridgeCronExpressions,
} from '../../../src/adapters/eventbridge/cron-expression.ts';
import { nextActivation } from '../../../src/core/cron/next-time.ts';
import { parseCronSchedule, type CronSchedule } from '../../../src/core/manifest/cron.ts';
import { nextFireTime, parseScheduleExpression } from '../../cloud/emulators/schedule-expression.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
const WINDOW_START = Date.UTC(2026, 0, 1);
const WINDOW_END = WINDOW_START + 400 * DAY;
/** Fire times compared per schedule (fewer when the window holds fewer). */
const COMPARED = 200;

function parse(text: string): CronSchedule {
  const parsed = parseCronSchedule(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error}`);
  return parsed.schedule;
}

/** robfig: the first COMPARED activations in the window, in UTC. */
function robfigFireTimes(schedule: CronSchedule): number[] {
  const out: number[] = [];
  for (let t = nextActivation(schedule, WINDOW_START - 1, 'UTC'); t !== undefined && t < WINDOW_END;) {
    out.push(t);
    if (out.length === COMPARED) break;
    t = nextActivation(schedule, t, 'UTC');
  }
  return out;
}

/** Scheduler emulator: the first COMPARED distinct firings in the window of the expressions together. */
function schedulerFireTimes(expressions: string[]): number[] {
  const all = new Set<number>();
  for (const text of expressions) {
    const expr = parseScheduleExpression(text);
    let count = 0;
    for (let t = nextFireTime(expr, WINDOW_START, 0); t !== undefined && t < WINDOW_END;) {
      all.add(t);
      if (++count === COMPARED) break;
      t = nextFireTime(expr, t + MINUTE, 0); // at or after: the minute after this firing
    }
  }
  return [...all].sort((a, b) => a - b).slice(0, COMPARED);
}

/** Longest field lists: every 2-runs with 1-gaps, which no `a-b` range shortens (found by exhaustive search). */
const LONGEST = '0,2,4/3,5/3 0,2,4/3,5/3 1,3/3,4/3 1,3,5/3,6/3 1,3,5';

describe('eventBridgeCronExpressions', () => {
  it.each([
    { text: '*/15 * * * *', expected: ['cron(0,15,30,45 * * * ? *)'] },
    { text: '0 9 * * 1-5', expected: ['cron(0 9 ? * MON-FRI *)'] },
    { text: '30 2 1 * *', expected: ['cron(30 2 1 * ? *)'] },
    { text: '0 0 13 * 5', expected: ['cron(0 0 13 * ? *)', 'cron(0 0 ? * FRI *)'] },
    { text: '@hourly', expected: ['cron(0 * * * ? *)'] },
    { text: '@daily', expected: ['cron(0 0 * * ? *)'] },
    { text: '@weekly', expected: ['cron(0 0 ? * SUN *)'] },
    { text: '@monthly', expected: ['cron(0 0 1 * ? *)'] },
    { text: '@yearly', expected: ['cron(0 0 1 1 ? *)'] },
    { text: '5 4 * * sun', expected: ['cron(5 4 ? * SUN *)'] },
    { text: '0 0 * * 0,6', expected: ['cron(0 0 ? * SUN,SAT *)'] },
    { text: '0 8-18/2 1,2,3,10 jan-mar,dec *', expected: ['cron(0 8,10,12,14,16,18 1-3,10 1-3,12 ? *)'] },
    // A stepped star is no star (both fields restricted: OR); `*/1` still is one (AND: Mondays only).
    {
      text: '0 12 */2 * 1',
      expected: ['cron(0 12 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * ? *)', 'cron(0 12 ? * MON *)'],
    },
    { text: '0 0 */1 * 1', expected: ['cron(0 0 ? * MON *)'] },
    // `1-31` is no star either: OR with every day of the month is every day.
    { text: '0 0 1-31 * 1', expected: ['cron(0 0 * * ? *)'] },
    { text: 'CRON_TZ=Europe/Paris 0 3 * * *', expected: ['cron(0 3 * * ? *)'] },
  ])('$text', ({ text, expected }) => {
    expect(eventBridgeCronExpressions(parse(text))).toEqual(expected);
  });

  it('refuses @every: rate() counts from the schedule, not the CronJob', () => {
    expect(eventBridgeCronExpressions(parse('@every 5m'))).toBeUndefined();
  });

  it('has no case for day of week 7: the parser refuses it (robfig dow is 0-6)', () => {
    expect(parseCronSchedule('0 0 * * 0,7').ok).toBe(false);
  });

  it('stays within the 256-character limit even for the longest field lists', () => {
    const expressions = eventBridgeCronExpressions(parse(LONGEST));
    expect(expressions).toEqual([
      'cron(0,2,4,5,7,8,10,11,13,14,16,17,19,20,22,23,25,26,28,29,31,32,34,35,37,38,40,41,43,44,46,47,49,50,52,53,55,56,58,59 0,2,4,5,7,8,10,11,13,14,16,17,19,20,22,23 1,3,4,6,7,9,10,12,13,15,16,18,19,21,22,24,25,27,28,30,31 1,3,5,6,8,9,11,12 ? *)',
      'cron(0,2,4,5,7,8,10,11,13,14,16,17,19,20,22,23,25,26,28,29,31,32,34,35,37,38,40,41,43,44,46,47,49,50,52,53,55,56,58,59 0,2,4,5,7,8,10,11,13,14,16,17,19,20,22,23 ? 1,3,5,6,8,9,11,12 MON,WED,FRI *)',
    ]);
    expect(expressions![0]!.length).toBe(240);
    expect(Math.max(...expressions!.map((e) => e.length))).toBeLessThanOrEqual(
      SCHEDULE_EXPRESSION_MAX_LENGTH,
    );
  });

  it.each([
    '*/15 * * * *',
    '0 9 * * 1-5',
    '30 2 1 * *',
    '0 0 13 * 5',
    '@hourly',
    '@daily',
    '@weekly',
    '@monthly',
    '@yearly',
    '5 4 * * sun',
    '*/7 */5 * * *',
    '0 12 */2 * *',
    '0 12 */2 * 1',
    '0 0 */1 * 1',
    '0 0 1-31 * 1',
    '0 0 * * 0-6',
    '0 6 1,15 * 0,6',
    '15 10 * 2,5-7 *',
    '0 0 31 * *',
    '59 23 28-31 * *',
    '0 8-18/2 * * mon-fri',
    '10,20,40 3 ? jan-mar ?',
    '*/30 0 1 1,7 *',
    '0 0 */10 */3 sat',
    '0 */6 5/7 * tue-thu',
    '1-5,7,9-20/3 13 * * *',
    '0 0 30 2 *',
    LONGEST,
  ])('%s: the expressions fire exactly when robfig activates', (text) => {
    const schedule = parse(text);
    const expressions = eventBridgeCronExpressions(schedule);
    expect(expressions).toBeDefined();
    expect(schedulerFireTimes(expressions!).map((t) => new Date(t).toISOString())).toEqual(
      robfigFireTimes(schedule).map((t) => new Date(t).toISOString()),
    );
  });
});
