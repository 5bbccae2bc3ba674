// The DynamoDB backend of local mode (local-store.ts): DynamoDbPodStore, DynamoDbObjectStore and DynamoDbTimerTable on
// the single table
// `podflow`, served in-process by dynalite or by a DynamoDB-compatible endpoint. In a module of its own so that the
// default store never loads the SDK, dynalite or LevelDB.
import { Agent } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DynamoDbObjectStore } from '../adapters/dynamodb/dynamodb-object-store.ts';
import { DynamoDbPodStore } from '../adapters/dynamodb/dynamodb-pod-store.ts';
import { DynamoDbTimerTable } from '../adapters/dynamodb/dynamodb-timer-table.ts';
import type { Clock } from '../ports/clock.ts';
import { ensureTable, startDynalite } from './dynalite.ts';
import { DYNALITE_DIR, LOCAL_TABLE_NAME, type LocalStore } from './local-store.ts';

export async function openDynamoDbLocalStore(options: {
  dataDir: string;
  inMemory: boolean;
  dynamodbEndpoint?: string;
  clock: Clock;
}): Promise<LocalStore> {
  const { dataDir, inMemory, dynamodbEndpoint, clock } = options;
  const dynamo = dynamodbEndpoint
    ? endpointClient(dynamodbEndpoint)
    : await startDynalite(inMemory ? {} : { path: join(dataDir, DYNALITE_DIR) });
  try {
    await ensureTable(dynamo.client, LOCAL_TABLE_NAME);
  } catch (err) {
    await dynamo.close();
    throw new Error(
      `DynamoDB ${dynamodbEndpoint ?? 'dynalite'}: could not use table ${LOCAL_TABLE_NAME}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return {
    store: new DynamoDbPodStore({ client: dynamo.client, tableName: LOCAL_TABLE_NAME, clock }),
    objects: new DynamoDbObjectStore({ client: dynamo.client, tableName: LOCAL_TABLE_NAME }),
    timers: new DynamoDbTimerTable({ client: dynamo.client, tableName: LOCAL_TABLE_NAME }),
    description: dynamodbEndpoint
      ? `DynamoDB ${dynamodbEndpoint} (table ${LOCAL_TABLE_NAME})`
      : inMemory
        ? 'dynalite (memory)'
        : `dynalite ${join(dataDir, DYNALITE_DIR)}`,
    close: () => dynamo.close(),
  };
}

/**
 * A client of a DynamoDB-compatible endpoint. Region and credentials come from the usual AWS environment variables
 * when set; otherwise fixed local ones, which LocalStack and DynamoDB Local accept (and which spare the SDK's
 * credential chain its instance-metadata probe on a laptop).
 */
function endpointClient(endpoint: string): { client: DynamoDBClient; close(): Promise<void> } {
  const fromEnv =
    process.env.AWS_ACCESS_KEY_ID !== undefined && process.env.AWS_SECRET_ACCESS_KEY !== undefined;
  const client = new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(!fromEnv && { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    // As for dynalite (dynalite.ts): the SDK's default of 50 sockets queues requests when many pods start at once.
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 512 }) }),
    maxAttempts: 3,
  });
  return {
    client,
    close: async () => client.destroy(),
  };
}
