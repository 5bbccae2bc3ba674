// TEST DOUBLE support — schedule expressions as EventBridge Scheduler ("Schedule types on EventBridge Scheduler") and
// EventBridge scheduled rules take them, evaluated in UTC:
//   at(yyyy-mm-ddThh:mm:ss)                       one-time
//   rate(value minute|minutes|hour|hours|day|days) every period, the first one a period after the start
//   cron(minutes hours day-of-month month day-of-week year)
// Cron fields take `*`, `?` (day-of-month / day-of-week), numbers, lists `a,b`, ranges `a-b`, increments `a/n` and
// `*/n`, month names JAN–DEC and weekday names SUN–SAT (1 = SUN). The `L`, `W` and `#` forms are not emulated
// (podflow uses none of them); they are refused instead of being evaluated wrongly.

export type ScheduleExpression =
  | { kind: 'at'; at: number }
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; fields: Array<Set<number> | 'any'> };

export class InvalidScheduleExpressionError extends Error {
  override name = 'InvalidScheduleExpressionError';
}

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** [min, max] of each cron field. */
const RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [1, 7],
  [1970, 2199],
];

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    const ms = Date.UTC(y, mo - 1, d, h, mi, s);
    if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== d)
      throw new InvalidScheduleExpressionError(expression);
    return { kind: 'at', at: ms };
  }
  const rate = /^rate\((\d+) (\w+)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = UNIT_MS[rate[2]!];
    // "rate(1 minute)" but "rate(5 minutes)": the singular goes with 1 only.
    if (!unit || value < 1 || (value === 1) !== !rate[2]!.endsWith('s'))
      throw new InvalidScheduleExpressionError(expression);
    return { kind: 'rate', periodMs: value * unit };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) {
    const parts = cron[1]!.trim().split(/\s+/);
    if (parts.length !== 6) throw new InvalidScheduleExpressionError(expression);
    if ((parts[2] === '?') === (parts[4] === '?')) {
      // "You can't specify the Day-of-month and Day-of-week fields in the same cron expression": one must be `?`.
      throw new InvalidScheduleExpressionError(expression);
    }
    return { kind: 'cron', fields: parts.map((p, i) => parseCronField(p, i, expression)) };
  }
  throw new InvalidScheduleExpressionError(expression);
}

function parseCronField(field: string, index: number, expression: string): Set<number> | 'any' {
  if (field === '*' || field === '?') return 'any';
  const [min, max] = RANGES[index]!;
  const names = index === 3 ? MONTHS : index === 4 ? DAYS : [];
  const value = (s: string): number => {
    const named = names.indexOf(s.toUpperCase());
    const n = named >= 0 ? named + 1 : Number(s);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidScheduleExpressionError(expression);
    return n;
  };
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new InvalidScheduleExpressionError(expression);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(value) as [number, number];
    else [lo, hi] = [value(range), stepText === undefined ? value(range) : max];
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return out;
}

const matches = (f: Set<number> | 'any', n: number): boolean => f === 'any' || f.has(n);

/**
 * The first instant at or after `after` (epoch ms) at which the expression fires; undefined if never. `start` is
 * when a rate schedule started (its first firing is one period later).
 */
export function nextFireTime(expr: ScheduleExpression, after: number, start: number): number | undefined {
  switch (expr.kind) {
    case 'at':
      // A one-time schedule fires at its instant; one whose instant has passed fires at once (the clock calls a timer
      // that is already due right away).
      return expr.at;
    case 'rate': {
      const periods = Math.max(1, Math.ceil((after - start) / expr.periodMs));
      return start + periods * expr.periodMs;
    }
    case 'cron': {
      const [minutes, hours, dom, month, dow, year] = expr.fields as [
        Set<number> | 'any',
        Set<number> | 'any',
        Set<number> | 'any',
        Set<number> | 'any',
        Set<number> | 'any',
        Set<number> | 'any',
      ];
      let t = Math.ceil(after / 60_000) * 60_000;
      // Minute steps, skipping whole days and hours that cannot match; bounded to ten years.
      for (const limit = t + 10 * 366 * 86_400_000; t < limit;) {
        const d = new Date(t);
        const dayOk =
          matches(year, d.getUTCFullYear()) &&
          matches(month, d.getUTCMonth() + 1) &&
          matches(dom, d.getUTCDate()) &&
          matches(dow, d.getUTCDay() + 1);
        if (!dayOk) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
          continue;
        }
        if (!matches(hours, d.getUTCHours())) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
          continue;
        }
        if (matches(minutes, d.getUTCMinutes())) return t;
        t += 60_000;
      }
      return undefined;
    }
  }
}
