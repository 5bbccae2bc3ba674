// CronJob schedules as EventBridge Scheduler recurring `cron(...)` expressions.
//
// Scheduler user guide, "Schedule types on EventBridge Scheduler": `cron(minutes hours day-of-month month
// day-of-week year)`, day of week 1-7 with 1 = SUN (or SUN-SAT), and exactly one of day-of-month / day-of-week must
// be `?`. Fields are written from the parsed value sets, not the CronJob's text, as `*` or a comma list of values
// and `a-b` ranges — the plain forms the guide documents for every field.
//
// Days: robfig/cron spec.go dayMatches — when either day field was written with `*`/`?` a day must match both
// fields (so `* * * * 1` is Mondays only); when both are restricted a day matching either is enough. AND with a
// star is the other field alone, which one expression carries. OR cannot be written in one expression, so it
// becomes two — one for the days of the month, one for the days of the week — whose union is robfig's set. A day in
// both (Friday the 13th for `0 0 13 * 5`) fires once per expression: the same scheduled minute twice.
//
// Not expressible, hence undefined: `@every`, because `rate()` counts from the schedule's own start, not from the
// CronJob's creation; and any expression over ScheduleExpression's 256 characters (API reference, CreateSchedule)
// — unreachable in practice: the longest field lists the parser can produce give 240.
//
// The CronJob's zone (spec.timeZone, or a `TZ=` prefix) is not part of the expression: the caller passes it as
// ScheduleExpressionTimezone. Daylight-saving time then differs in one case: in a fall-back hour robfig fires at
// both instants of a repeated wall-clock time, Scheduler once (a spring-forward gap is skipped by both).
import type { CronField, CronSchedule } from '../../core/manifest/cron.ts';

/** CreateSchedule ScheduleExpression: Length Constraints 1–256. */
export const SCHEDULE_EXPRESSION_MAX_LENGTH = 256;

/** Scheduler day-of-week names; index = Kubernetes day of week (0 = Sunday). */
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The `*` or comma list of values and `a-b` ranges (runs of three or more) for a value set within [min, max]. */
function fieldText(field: CronField, min: number, max: number, name: (v: number) => string = String): string {
  const values = [...new Set(field.values)].sort((a, b) => a - b);
  if (values.length === max - min + 1) return '*';
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${name(values[i]!)}-${name(values[j]!)}`);
    else for (let k = i; k <= j; k++) parts.push(name(values[k]!));
    i = j + 1;
  }
  return parts.join(',');
}

const isWhole = (text: string): boolean => text === '*';

/**
 * The `cron(...)` expressions whose combined firings are the schedule's activations (one, or two when both day
 * fields are restricted); undefined for `@every` and for an expression over 256 characters.
 */
export function eventBridgeCronExpressions(schedule: CronSchedule): string[] | undefined {
  if (schedule.kind === 'every') return undefined;
  const minute = fieldText(schedule.minute, 0, 59);
  const hour = fieldText(schedule.hour, 0, 23);
  const month = fieldText(schedule.month, 1, 12);
  const dom = fieldText(schedule.dayOfMonth, 1, 31);
  const dow = fieldText(schedule.dayOfWeek, 0, 6, (v) => DAY_NAMES[v]!);
  const byDom = `cron(${minute} ${hour} ${dom} ${month} ? *)`;
  const byDow = `cron(${minute} ${hour} ? ${month} ${dow} *)`;

  let expressions: string[];
  if (schedule.dayOfMonth.star) {
    // AND with every day of the month: the days of the week alone.
    expressions = [isWhole(dow) ? byDom : byDow];
  } else if (schedule.dayOfWeek.star) {
    // AND with every day of the week: the days of the month alone.
    expressions = [byDom];
  } else if (isWhole(dom) || isWhole(dow)) {
    // OR with a field that lists every day (`1-31`, `0-6`, neither a star): every day.
    expressions = [`cron(${minute} ${hour} * ${month} ? *)`];
  } else {
    // OR: one expression per day field.
    expressions = [byDom, byDow];
  }

  return expressions.every((e) => e.length <= SCHEDULE_EXPRESSION_MAX_LENGTH) ? expressions : undefined;
}
