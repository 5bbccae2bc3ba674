// Error translation at the edge for the prober's DynamoDB items (src/ports/errors.ts): a failed condition is an
// answer (`false`), every other failure leaves as a plain Error naming the table and the operation.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const CONDITION_FAILED = Symbol('condition failed');

export async function sendToTable<T>(
  table: string,
  what: string,
  run: () => Promise<T>,
): Promise<T | typeof CONDITION_FAILED> {
  try {
    return await run();
  } catch (err) {
    // By name, not instanceof: a caller's client may come from another copy of the SDK.
    const name = (err as { name?: unknown }).name;
    if (name === 'ConditionalCheckFailedException') return CONDITION_FAILED;
    const message = String((err as { message?: unknown }).message ?? err);
    throw new Error(`DynamoDB table ${table}: ${what} failed: ${String(name)}: ${message}`, { cause: err });
  }
}

export type LowLevelClient = Pick<DynamoDBClient, 'send'>;
