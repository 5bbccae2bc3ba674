// The next activation of a parsed cron schedule after an instant: github.com/robfig/cron/v3 spec.go
// SpecSchedule.Next and constantdelay.go ConstantDelaySchedule.Next, the functions the CronJob controller calls
// (pkg/controller/cronjob/utils.go). The walk is robfig's field by field — month, day, hour, minute, second — on the
// wall clock of the schedule's zone, with its daylight-saving behaviour: hours advance by absolute hours, so a
// wall-clock time in a spring-forward gap is skipped that day and one in a fall-back hour fires at both of its
// instants (the Kubernetes CronJob documentation warns of both).
import type { CronSchedule } from '../manifest/cron.ts';
import { addDate, truncateToMinute, zonedDate, zonedFields } from './zoned-time.ts';

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** spec.go Next: "If no time is found within five years, return zero" — here undefined. */
const YEAR_LIMIT = 5;

const has = (values: readonly number[], v: number): boolean => values.includes(v);

/**
 * The first activation strictly after `after` (epoch ms), in the schedule's zone (a `TZ=` prefix) or else
 * `zone`; undefined when none falls within five years (a schedule such as `0 0 30 2 *`).
 */
export function nextActivation(schedule: CronSchedule, after: number, zone: string): number | undefined {
  if (schedule.kind === 'every') {
    // constantdelay.go: t.Add(Delay - t.Nanosecond()): the delay from the start of the current second.
    return after - (((after % SECOND_MS) + SECOND_MS) % SECOND_MS) + schedule.intervalMs;
  }
  const loc = schedule.timeZone ?? zone;
  // Start at the earliest possible time (the upcoming second).
  let t = after - (((after % SECOND_MS) + SECOND_MS) % SECOND_MS) + SECOND_MS;
  let added = false;
  const yearLimit = zonedFields(t, loc).year + YEAR_LIMIT;
  const dayMatches = (at: number): boolean => {
    const f = zonedFields(at, loc);
    const dom = has(schedule.dayOfMonth.values, f.day);
    const dow = has(schedule.dayOfWeek.values, f.dayOfWeek);
    return schedule.dayOfMonth.star || schedule.dayOfWeek.star ? dom && dow : dom || dow;
  };

  wrap: for (;;) {
    let f = zonedFields(t, loc);
    if (f.year > yearLimit) return undefined;

    while (!has(schedule.month.values, f.month)) {
      if (!added) {
        added = true;
        t = zonedDate(f.year, f.month, 1, 0, 0, 0, loc);
      }
      t = addDate(t, loc, 1, 0);
      f = zonedFields(t, loc);
      if (f.month === 1) continue wrap;
    }

    while (!dayMatches(t)) {
      if (!added) {
        added = true;
        t = zonedDate(f.year, f.month, f.day, 0, 0, 0, loc);
      }
      t = addDate(t, loc, 0, 1);
      f = zonedFields(t, loc);
      // "Notice if the hour is no longer midnight due to DST": add an hour if it's 23, subtract one if it's 1.
      if (f.hour !== 0) {
        t = f.hour > 12 ? t + (24 - f.hour) * HOUR_MS : t - f.hour * HOUR_MS;
        f = zonedFields(t, loc);
      }
      if (f.day === 1) continue wrap;
    }

    while (!has(schedule.hour.values, f.hour)) {
      if (!added) {
        added = true;
        t = zonedDate(f.year, f.month, f.day, f.hour, 0, 0, loc);
      }
      t += HOUR_MS;
      f = zonedFields(t, loc);
      if (f.hour === 0) continue wrap;
    }

    while (!has(schedule.minute.values, f.minute)) {
      if (!added) {
        added = true;
        t = truncateToMinute(t);
      }
      t += MINUTE_MS;
      f = zonedFields(t, loc);
      if (f.minute === 0) continue wrap;
    }

    // The standard parser's seconds field is 0 only.
    while (f.second !== 0) {
      if (!added) {
        added = true;
        t -= ((t % SECOND_MS) + SECOND_MS) % SECOND_MS;
      }
      t += SECOND_MS;
      f = zonedFields(t, loc);
      if (f.second === 0) continue wrap;
    }
    return t;
  }
}
