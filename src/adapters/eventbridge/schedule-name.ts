// Deterministic EventBridge Scheduler schedule names: the same (pod, timerId) always maps to the same schedule, so
// scheduleAt can replace and cancel can delete without any lookup table.
//
// Scheduler limit (API reference, CreateSchedule Name): 1–64 characters of [0-9a-zA-Z-_.]. Pod names alone may
// be 253 characters, so the name is a readable, sanitized and truncated prefix (for the console) followed by a
// hash of the exact inputs, which alone carries uniqueness.
import { createHash } from 'node:crypto';
import type { PodKey } from '../../ports/pod-key.ts';

/** CreateSchedule Name: Length Constraints 1–64. */
export const SCHEDULE_NAME_MAX_LENGTH = 64;

/** CreateSchedule Name: Pattern [0-9a-zA-Z-_.]+ */
export const SCHEDULE_NAME_PATTERN = /^[0-9a-zA-Z_.-]{1,64}$/;

/**
 * 24 hex digits = 96 bits of SHA-256. Collisions are not a concern: even with a million live schedules in one
 * group the birthday probability is about n²/2^97 ≈ 10^-17.
 */
export const SCHEDULE_NAME_HASH_HEX_DIGITS = 24;

const READABLE_MAX_LENGTH = SCHEDULE_NAME_MAX_LENGTH - 1 - SCHEDULE_NAME_HASH_HEX_DIGITS;

export function scheduleNameFor(key: PodKey, timerId: string): string {
  // JSON of the tuple: unambiguous even when a part contains the separator.
  const hash = createHash('sha256')
    .update(JSON.stringify([key.namespace, key.name, timerId]))
    .digest('hex')
    .slice(0, SCHEDULE_NAME_HASH_HEX_DIGITS);
  const readable = `${key.namespace}.${key.name}.${timerId}`
    .replace(/[^0-9a-zA-Z_.-]/g, '_')
    .slice(0, READABLE_MAX_LENGTH);
  return `${readable}-${hash}`;
}
