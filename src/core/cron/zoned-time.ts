// Wall-clock arithmetic in an IANA time zone, as Go's `time` package does it for the cron library
// (github.com/robfig/cron/v3 spec.go works on time.Time values in the schedule's Location): the wall-clock fields of
// an instant (Time.Date/Clock/Weekday), and time.Date's normalisation of a wall-clock date back to an instant —
// including what it does with a wall-clock time that does not exist (the spring-forward gap) or exists twice (the
// fall-back hour). Pure: the zone data comes from the runtime's ECMAScript Intl, which follows the IANA database as
// Go's zoneinfo does.

/** Wall-clock fields of an instant in a zone (month 1-12, dayOfWeek 0 = Sunday). */
export interface ZonedFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  dayOfWeek: number;
}

const MINUTE_MS = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall clock of `at` (epoch ms) in `zone`. */
export function zonedFields(at: number, zone: string): ZonedFields {
  if (zone === 'UTC') {
    const d = new Date(at);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      dayOfWeek: d.getUTCDay(),
    };
  }
  const parts: Record<string, string> = {};
  for (const p of formatterOf(zone).formatToParts(new Date(at))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    dayOfWeek: WEEKDAYS[parts.weekday!] ?? 0,
  };
}

/** The zone's offset from UTC at `at`, in ms (wall clock minus UTC), to the second as Intl reports it. */
export function zoneOffsetMs(at: number, zone: string): number {
  if (zone === 'UTC') return 0;
  const f = zonedFields(at, zone);
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return wall - (at - (((at % 1000) + 1000) % 1000));
}

/**
 * Go's time.Date(year, month, day, hour, min, sec, 0, loc): out-of-range fields normalise (month 13 is January of
 * the next year, day 0 the last of the previous month), then the wall clock is placed in the zone the way Go's
 * Date does it (time.go): the offset in force at the wall clock read as UTC is tried first; when the instant it
 * gives lies outside that offset's period, the offset in force at that instant is used instead. That picks, as Go
 * does, one of the two instants of a fall-back hour and an instant near a spring-forward gap.
 */
export function zonedDate(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  zone: string,
): number {
  const unix = Date.UTC(year, month - 1, day, hour, minute, second);
  if (zone === 'UTC') return unix;
  const guess = zoneOffsetMs(unix, zone);
  const utc = unix - guess;
  const actual = zoneOffsetMs(utc, zone);
  return actual === guess ? utc : unix - actual;
}

/** Go's Time.AddDate in the zone: the wall clock's fields moved, then time.Date. */
export function addDate(at: number, zone: string, months: number, days: number): number {
  const f = zonedFields(at, zone);
  return zonedDate(f.year, f.month + months, f.day + days, f.hour, f.minute, f.second, zone);
}

/** Go's Time.Truncate(time.Minute): on the absolute time (zone offsets here are whole minutes). */
export const truncateToMinute = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/** Go's time.RFC3339 of `at` in `zone`: `2026-03-08T03:00:00-04:00`, `Z` for a zero offset. */
export function formatRfc3339InZone(at: number, zone: string): string {
  const f = zonedFields(at, zone);
  const offsetMin = Math.round(zoneOffsetMs(at, zone) / MINUTE_MS);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const offset = offsetMin === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${offset}`;
}
