// Errors translated at the edge of the DynamoDB adapters: no AWS error type leaves them (the original stays as
// `cause`). A failed condition is a value the caller decides on (Conflict, AlreadyExists, NotFound).
import { TooLargeError, UnavailableError } from '../../ports/errors.ts';
import { isTransientAwsError } from '../aws-errors.ts';
import { MAX_ITEM_BYTES } from './item-size.ts';

export const CONDITION_FAILED = Symbol('condition failed');

/**
 * Runs one call on `table`: its result, CONDITION_FAILED, TooLargeError, UnavailableError (a failure a retry may
 * get past), or an Error naming the call.
 */
export async function sendTranslated<T>(
  table: string,
  what: string,
  run: () => Promise<T>,
): Promise<T | typeof CONDITION_FAILED> {
  try {
    return await run();
  } catch (err) {
    // By name, not instanceof: a caller's client may come from another copy of the SDK.
    const name = (err as { name?: unknown }).name;
    const message = String((err as { message?: unknown }).message ?? err);
    if (name === 'ConditionalCheckFailedException') return CONDITION_FAILED;
    // PutItem: "Item size has exceeded the maximum allowed size"; UpdateItem: "Item size to update has exceeded …".
    if (name === 'ValidationException' && /item size.*exceeded the maximum allowed size/i.test(message)) {
      throw new TooLargeError(
        `${what}: the item would exceed ${MAX_ITEM_BYTES} bytes; DynamoDB items are limited to 400 KB`,
        { cause: err },
      );
    }
    const failure = `DynamoDB table ${table}: ${what} failed: ${String(name)}: ${message}`;
    if (isTransientAwsError(err)) throw new UnavailableError(failure, { cause: err });
    throw new Error(failure, { cause: err });
  }
}

/** A read (or unconditional write): every failure leaves as a non-AWS error. */
export async function readTranslated<T>(table: string, what: string, run: () => Promise<T>): Promise<T> {
  const result = await sendTranslated(table, what, run);
  if (result === CONDITION_FAILED) throw new Error(`${what}: unexpected ConditionalCheckFailedException`);
  return result;
}
