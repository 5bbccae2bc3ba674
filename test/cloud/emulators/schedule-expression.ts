// TEST DOUBLE support — schedule expressions as EventBridge Scheduler ("Schedule types in EventBridge Scheduler",
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html) and EventBridge scheduled rules take
// them:
//   at(yyyy-mm-ddThh:mm:ss)                       one-time
//   rate(value minute|minutes|hour|hours|day|days) every period, the first one a period after the start
//   cron(minutes hours day-of-month month day-of-week year)
// Cron fields take `*`, `?` (day-of-month / day-of-week), numbers, lists `a,b`, ranges `a-b`, increments `a/n` and
// `*/n`, month names JAN–DEC and weekday names SUN–SAT (1 = SUN). The `L`, `W` and `#` forms are not emulated
// (podflow uses none of them); they are refused instead of being evaluated wrongly.
//
// Time zones. `parseScheduleExpression(expression, zone?)` takes the schedule's ScheduleExpressionTimezone (an IANA
// name, default UTC) and carries it in the parsed expression (`zone`, left out for UTC, so a UTC expression parses
// exactly as before), and `nextFireTime(expr, after, start)` reads it: `at()` and `cron()` name wall-clock times
// in that zone ("Time zones on EventBridge Scheduler"), `rate()` is a fixed period whatever the zone ("days
// represents a 24-hour duration on the clock"). Zone math uses Intl.DateTimeFormat (the runtime's ICU time zone
// data), independently of the code under test. Daylight saving time, as the page's "Daylight savings time on
// EventBridge Scheduler" section documents it: "When time shifts forward in the Spring, if a cron expression falls
// on a non-existent date and time, your schedule invocation is skipped. When time shifts backwards in the Fall,
// your schedule runs only once and does not repeat its invocation." Its example, cron(30 2 * * ? *): on the
// spring-forward day Scheduler "skips the schedule invocation on that day"; on the fall-back day it "runs the
// schedule only once at 2:30 a.m. before the shift occurs". So here:
//   - a cron wall time the zone skips does not fire (the next matching wall time that exists does);
//   - a cron wall time the zone repeats fires once, at its first (pre-shift) instant, never at the repeat.
// Where the page is silent, the emulator applies the closest documented case, and may differ from AWS:
//   - sub-hourly cron (e.g. cron(0/15 * * * ? *)) across a fall-back: the page's example is a daily schedule; the
//     emulator applies "runs only once" to every wall time, so no minute of the repeated hour fires a second time
//     (the schedule pauses for the length of the repeat);
//   - at() naming a wall time the zone skips: treated like the cron case, the schedule never fires (`at` is
//     undefined); at() naming a repeated wall time fires at the first instant, like the cron case;
//   - which spellings count as a zone: what Intl accepts (IANA names and their links such as US/Eastern, matched
//     case-insensitively), except UTC-offset strings like +01:00, which are not IANA names;
//   - the zone rules are the runtime's ICU copy of the IANA database, which can lag or lead the release AWS runs
//     for a zone whose rules changed recently.
export type ScheduleExpression =
  /**
   * `at`: the instant it fires (epoch ms); undefined when it names a wall time its zone skips (it never fires).
   * `zone`: the IANA zone it was written in, absent for UTC.
   */
  | { kind: 'at'; at: number | undefined; zone?: string }
  | { kind: 'rate'; periodMs: number }
  /** `zone`: the IANA zone whose wall clock the fields name, absent for UTC. */
  | { kind: 'cron'; fields: Array<Set<number> | 'any'>; zone?: string };

export class InvalidScheduleExpressionError extends Error {
  override name = 'InvalidScheduleExpressionError';
}

export class InvalidTimeZoneError extends Error {
  override name = 'InvalidTimeZoneError';
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** One formatter per zone (creating one is the expensive part); null for a name Intl refuses. */
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      f = null;
    }
    formatters.set(zone, f);
  }
  return f;
}

/**
 * Whether Scheduler would take `zone` as a ScheduleExpressionTimezone: a name in the IANA time zone database
 * ("EventBridge Scheduler uses the Time Zone Database maintained by the IANA"). UTC-offset strings such as +01:00,
 * which Intl also accepts, are not IANA names.
 */
export function isTimeZone(zone: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone) && formatterFor(zone) !== null;
}

/** The zone to evaluate in, or undefined for UTC (and its aliases), which needs no zone math. */
function zoneOf(zone: string | undefined): string | undefined {
  if (zone === undefined || zone === 'UTC' || zone === 'Etc/UTC') return undefined;
  if (!isTimeZone(zone)) throw new InvalidTimeZoneError(zone);
  return formatterFor(zone)!.resolvedOptions().timeZone === 'UTC' ? undefined : zone;
}

/** The zone's UTC offset (ms) at instant `t`. */
function offsetAt(t: number, zone: string): number {
  const whole = Math.floor(t / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const { type, value } of formatterFor(zone)!.formatToParts(whole)) p[type] = Number(value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - whole;
}

/**
 * The wall clock of `zone` at instant `t`, as epoch ms of the same calendar fields in UTC (so Date's getUTC*
 * methods read the wall-clock fields).
 */
const wallAt = (t: number, zone: string | undefined): number => (zone ? t + offsetAt(t, zone) : t);

/**
 * The first instant at which `zone`'s wall clock reads `wall` (UTC-encoded, as wallAt gives it): the earlier of the
 * two for a repeated (fall-back) wall time, undefined for one the zone skips (spring-forward gap). Offsets are
 * within −12…+14 h, so the instant lies within 14 h of `wall`; the offsets in force in that window are taken to be
 * those at its two ends (no IANA zone changes its offset twice within 28 hours).
 */
function instantOf(wall: number, zone: string | undefined): number | undefined {
  if (!zone) return wall;
  const before = offsetAt(wall - 14 * HOUR_MS, zone);
  const after = offsetAt(wall + 14 * HOUR_MS, zone);
  let first: number | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const t = wall - offset;
    if (offsetAt(t, zone) === offset && (first === undefined || t < first)) first = t;
  }
  return first;
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

/**
 * Parses a schedule expression written for `zone` (an IANA name; default UTC). Throws InvalidTimeZoneError for a
 * zone that is not one, InvalidScheduleExpressionError for an expression Scheduler refuses.
 */
export function parseScheduleExpression(expression: string, zone?: string): ScheduleExpression {
  const tz = zoneOf(zone);
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    const ms = Date.UTC(y, mo - 1, d, h, mi, s);
    if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== d)
      throw new InvalidScheduleExpressionError(expression);
    return tz ? { kind: 'at', at: instantOf(ms, tz), zone: tz } : { kind: 'at', at: ms };
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
    const fields = parts.map((p, i) => parseCronField(p, i, expression));
    return tz ? { kind: 'cron', fields, zone: tz } : { kind: 'cron', fields };
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
 * when a rate schedule started (its first firing is one period later). A cron expression is evaluated on its zone's
 * wall clock (see the header: skipped wall times do not fire, repeated ones fire at their first instant only).
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
      const zone = expr.zone;
      // Walks the zone's wall clock (UTC-encoded: plain calendar arithmetic, no zone look-ups) a minute at a time,
      // skipping whole days and hours that cannot match; bounded to ten years. Only a matching wall minute is turned
      // into an instant: none (a skipped wall time) or one already past (the repeat of a wall time whose first
      // instant came before `after`) does not fire. In UTC the wall clock is the instant itself.
      let w = Math.ceil(wallAt(after, zone) / 60_000) * 60_000;
      for (const limit = w + 10 * 366 * DAY_MS; w < limit;) {
        const d = new Date(w);
        const dayOk =
          matches(year, d.getUTCFullYear()) &&
          matches(month, d.getUTCMonth() + 1) &&
          matches(dom, d.getUTCDate()) &&
          matches(dow, d.getUTCDay() + 1);
        if (!dayOk) {
          w = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
          continue;
        }
        if (!matches(hours, d.getUTCHours())) {
          w = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
          continue;
        }
        if (matches(minutes, d.getUTCMinutes())) {
          const t = instantOf(w, zone);
          if (t !== undefined && t >= after) return t;
        }
        w += 60_000;
      }
      return undefined;
    }
  }
}
