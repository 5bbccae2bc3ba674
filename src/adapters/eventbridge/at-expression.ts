// One-time schedule expressions and EventBridge Scheduler's 60-second precision (docs/architecture.md §4).
//
// Scheduler user guide, "Schedule types": all schedules invoke their targets with 60-second precision — a schedule
// for 1:00 invokes the target between 1:00:00 and 1:00:59. The `at()` expression therefore names a minute, not a
// second: podflow schedules the START of the minute that contains the due instant, and the wakeup Lambda sleeps
// the remaining seconds before delivering, which brings precision to about a second.

export const MINUTE_MS = 60_000;

/** The start of the UTC minute that contains `epochMs`. */
export const startOfMinute = (epochMs: number): number => Math.floor(epochMs / MINUTE_MS) * MINUTE_MS;

/** `at(yyyy-mm-ddThh:mm:ss)` of an instant, to be evaluated with ScheduleExpressionTimezone 'UTC'. */
export const atExpression = (epochMs: number): string =>
  `at(${new Date(epochMs).toISOString().slice(0, 19)})`;
