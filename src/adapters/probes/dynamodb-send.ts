// Error translation at the edge for the prober's DynamoDB items (src/ports/errors.ts): the DynamoDB adapters' one
// translation (../dynamodb/dynamodb-errors.ts) — a failed condition is an answer, a failure a retry may get past is
// an UnavailableError, any other leaves as a plain Error naming the table and the operation.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export { CONDITION_FAILED, sendTranslated as sendToTable } from '../dynamodb/dynamodb-errors.ts';

export type LowLevelClient = Pick<DynamoDBClient, 'send'>;
