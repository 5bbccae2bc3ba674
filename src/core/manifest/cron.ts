// A pure parser for CronJob schedules, reproducing github.com/robfig/cron/v3 ParseStandard (parser.go, spec.go),
// which the API server uses to validate `spec.schedule` (pkg/apis/batch/validation validateScheduleFormat) and the
// CronJob controller uses to compute run times. Error texts are robfig's, because the API server prints them:
// `spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`.
//
// Grammar: five whitespace-separated fields — minute (0-59), hour (0-23), day of month (1-31), month (1-12 or
// jan-dec), day of week (0-6 or sun-sat) — each a comma-separated list of `*`, `?`, `N`, `N-M`, with an optional
// `/step` (`N/step` means `N-max/step`); or a descriptor: @yearly @annually @monthly @weekly @daily @midnight
// @hourly, or `@every <Go duration>`. An optional `TZ=Zone ` / `CRON_TZ=Zone ` prefix names a time zone (the API
// server then rejects it: the `timeZone` field is the way to set one).
import { DurationParseError, parseDuration } from '../duration.ts';

/** Bounds and names of one cron field (spec.go). */
interface Bounds {
  name: 'minute' | 'hour' | 'dom' | 'month' | 'dow';
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MINUTES: Bounds = { name: 'minute', min: 0, max: 59 };
const HOURS: Bounds = { name: 'hour', min: 0, max: 23 };
const DOM: Bounds = { name: 'dom', min: 1, max: 31 };
const MONTHS: Bounds = {
  name: 'month',
  min: 1,
  max: 12,
  names: {
    jan: 1,
    feb: 2,
    mar: 3,
    apr: 4,
    may: 5,
    jun: 6,
    jul: 7,
    aug: 8,
    sep: 9,
    oct: 10,
    nov: 11,
    dec: 12,
  },
};
const DOW: Bounds = {
  name: 'dow',
  min: 0,
  max: 6,
  names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
};

/** A parsed field: the allowed values, and whether it was written with `*`/`?` (matters for day matching). */
export interface CronField {
  values: readonly number[];
  star: boolean;
}

export type CronSchedule =
  | {
      kind: 'spec';
      minute: CronField;
      hour: CronField;
      dayOfMonth: CronField;
      month: CronField;
      dayOfWeek: CronField;
      /** Zone from a `TZ=` / `CRON_TZ=` prefix. */
      timeZone?: string;
    }
  | { kind: 'every'; intervalMs: number; timeZone?: string };

export type CronParseResult = { ok: true; schedule: CronSchedule } | { ok: false; error: string };

class CronError extends Error {}

const INT64_MAX = 2n ** 63n - 1n;

/** Go strconv.Atoi, with its error texts. */
function atoi(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) {
    throw new CronError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`,
    );
  }
  const big = BigInt(expr);
  if (big > INT64_MAX || big < -INT64_MAX - 1n) {
    throw new CronError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`,
    );
  }
  return Number(big);
}

/** parser.go mustParseInt: an int, not negative. */
function mustParseInt(expr: string): number {
  const n = atoi(expr);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names: Bounds['names']): number {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

/** parser.go getRange: `number | number "-" number [ "/" number ]`, or `*`/`?` with an optional step. */
function getRange(expr: string, r: Bounds): { values: number[]; star: boolean } {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step: number;
  if (rangeAndStep.length === 1) step = 1;
  else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (singleDigit) end = r.max; // "N/step" means "N-max/step"
    if (step > 1) star = false; // spec.go: a stepped star does not count as a star
  } else throw new CronError(`too many slashes: ${expr}`);

  if (start < r.min) throw new CronError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
  const values: number[] = [];
  for (let v = start; v <= end; v += step) values.push(v);
  return { values, star };
}

/** parser.go getField: a comma-separated list of ranges (empty items are skipped, as strings.FieldsFunc does). */
function getField(field: string, r: Bounds): CronField {
  const set = new Set<number>();
  let star = false;
  for (const expr of field.split(',').filter((e) => e.length > 0)) {
    const range = getRange(expr, r);
    range.values.forEach((v) => set.add(v));
    star ||= range.star;
  }
  return { values: [...set].sort((a, b) => a - b), star };
}

const every = (b: Bounds): CronField => ({
  values: Array.from({ length: b.max - b.min + 1 }, (_, i) => b.min + i),
  star: true,
});
const only = (v: number): CronField => ({ values: [v], star: false });

/** parser.go parseDescriptor. */
function parseDescriptor(descriptor: string, timeZone: string | undefined): CronSchedule {
  const tz = timeZone !== undefined ? { timeZone } : {};
  const spec = (
    minute: CronField,
    hour: CronField,
    dom: CronField,
    month: CronField,
    dow: CronField,
  ): CronSchedule => ({
    kind: 'spec',
    minute,
    hour,
    dayOfMonth: dom,
    month,
    dayOfWeek: dow,
    ...tz,
  });
  switch (descriptor) {
    case '@yearly':
    case '@annually':
      return spec(only(0), only(0), only(1), only(1), every(DOW));
    case '@monthly':
      return spec(only(0), only(0), only(1), every(MONTHS), every(DOW));
    case '@weekly':
      return spec(only(0), only(0), every(DOM), every(MONTHS), only(0));
    case '@daily':
    case '@midnight':
      return spec(only(0), only(0), every(DOM), every(MONTHS), every(DOW));
    case '@hourly':
      return spec(only(0), every(HOURS), every(DOM), every(MONTHS), every(DOW));
  }
  const EVERY = '@every ';
  if (descriptor.startsWith(EVERY)) {
    let ms: number;
    try {
      ms = parseDuration(descriptor.slice(EVERY.length));
    } catch (err) {
      if (err instanceof DurationParseError)
        throw new CronError(`failed to parse duration ${descriptor}: ${err.message}`);
      throw err;
    }
    // spec.go Every: "Delays of less than a second are not supported (will round up to 1 second)"; any sub-second
    // remainder is truncated.
    const intervalMs = ms < 1000 ? 1000 : Math.floor(ms / 1000) * 1000;
    return { kind: 'every', intervalMs, ...tz };
  }
  throw new CronError(`unrecognized descriptor: ${descriptor}`);
}

/**
 * Time-zone names accepted by the runtime, checked without I/O through the ECMAScript Intl time-zone data.
 * Go's time.LoadLocation reads the system zoneinfo; both follow the IANA database.
 */
export function isKnownTimeZone(name: string): boolean {
  if (name === 'UTC') return true;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    // Intl matches names case-insensitively; zoneinfo file names are case-sensitive.
    return !(resolved !== name && resolved.toLowerCase() === name.toLowerCase());
  } catch {
    return false;
  }
}

/** parser.go Parse with the standard options (Minute | Hour | Dom | Month | Dow | Descriptor). */
export function parseCronSchedule(input: string): CronParseResult {
  try {
    return { ok: true, schedule: parseStandard(input) };
  } catch (err) {
    if (err instanceof CronError) return { ok: false, error: err.message };
    throw err;
  }
}

function parseStandard(input: string): CronSchedule {
  let spec = input;
  if (spec.length === 0) throw new CronError('empty spec string');
  let timeZone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const name = i === -1 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
    if (!isKnownTimeZone(name))
      throw new CronError(`provided bad location ${name}: unknown time zone ${name}`);
    timeZone = name;
    spec = i === -1 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) return parseDescriptor(spec, timeZone);
  const fields = spec.split(/\s+/).filter((f) => f.length > 0);
  if (fields.length !== 5) {
    throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  return {
    kind: 'spec',
    minute: getField(fields[0]!, MINUTES),
    hour: getField(fields[1]!, HOURS),
    dayOfMonth: getField(fields[2]!, DOM),
    month: getField(fields[3]!, MONTHS),
    dayOfWeek: getField(fields[4]!, DOW),
    ...(timeZone !== undefined ? { timeZone } : {}),
  };
}

/** Wall-clock fields of a moment in some zone (month 1-12, dayOfWeek 0 = Sunday). */
export interface WallClock {
  minute: number;
  hour: number;
  dayOfMonth: number;
  month: number;
  dayOfWeek: number;
}

/**
 * Whether a `spec` schedule fires at this wall-clock minute (spec.go Next/dayMatches): when either day field is a
 * star, both day fields must match; otherwise a match of either is enough (the classic cron OR rule).
 */
export function cronMatches(schedule: Extract<CronSchedule, { kind: 'spec' }>, t: WallClock): boolean {
  const has = (f: CronField, v: number): boolean => f.values.includes(v);
  const domMatch = has(schedule.dayOfMonth, t.dayOfMonth);
  const dowMatch = has(schedule.dayOfWeek, t.dayOfWeek);
  const dayMatches =
    schedule.dayOfMonth.star || schedule.dayOfWeek.star ? domMatch && dowMatch : domMatch || dowMatch;
  return (
    has(schedule.minute, t.minute) && has(schedule.hour, t.hour) && has(schedule.month, t.month) && dayMatches
  );
}
