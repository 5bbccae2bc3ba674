// Limits of the direct path (docs/architecture.md §4): a wake-up too near for EventBridge Scheduler is an
// asynchronous invoke of the wakeup Lambda, which sleeps until the due instant. Shared by the adapter (routing) and
// the Lambda (its guard), in a module without SDK imports so the Lambda bundle does not pull in the Scheduler client.
import { MINUTE_MS } from './at-expression.ts';

/** Scheduler is used only if it would fire at least this far ahead; nearer wake-ups go to the Lambda directly. */
export const DEFAULT_DIRECT_THRESHOLD_MS = 60_000;

/**
 * Longest sleep the direct path may ask of the wakeup Lambda: Lambda's maximum timeout is 15 minutes; one minute
 * is left for cold start and delivery. The function's configured timeout must cover directThresholdMs + 60 s.
 */
export const MAX_DIRECT_WAIT_MS = 14 * MINUTE_MS;
