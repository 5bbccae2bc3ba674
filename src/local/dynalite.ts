// Serves the DynamoDB API in-process with dynalite (memory, or LevelDB under a data directory), so local mode with
// `--store dynamodb` and the tests run the same DynamoDB adapter — and the same conditional-write semantics — as
// the cloud.
// dynalite has no transactions, TTL or streams: the store uses single-item conditional writes only.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { mkdirSync } from 'node:fs';
import { SWEEP_AT_ATTRIBUTE, SWEEP_INDEX } from '../adapters/dynamodb/dynamodb-pod-store.ts';
import { Agent, type Server } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

export interface StartDynaliteOptions {
  /** LevelDB directory; in memory when absent. */
  path?: string;
  /** 0 (default) picks a free port on 127.0.0.1. */
  port?: number;
}

export async function startDynalite(options: StartDynaliteOptions = {}): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (o: object) => Server;
  if (options.path) mkdirSync(options.path, { recursive: true });
  // Tables become ACTIVE after createTableMs; 0 keeps startup instant.
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    // The SDK's default of 50 sockets queues requests under load (hundreds of pods created at once); the server
    // is in this process, so sockets are cheap.
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 512 }) }),
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The single table: PK (S) + SK (S), on-demand, with the worker sweep's sparse index. Same key schema and index as the
 * CDK `PodTable` construct. Resolves once the table and its index are ACTIVE: dynalite, like DynamoDB, creates
 * tables asynchronously, and a write to a CREATING table fails with ResourceNotFoundException (seen with the
 * LevelDB backend).
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await createTableIfMissing(client, tableName);
  for (let attempt = 0; attempt < 500; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (
      Table?.TableStatus === 'ACTIVE' &&
      (Table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE')
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

async function createTableIfMissing(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
          { AttributeName: SWEEP_AT_ATTRIBUTE, AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: SWEEP_INDEX,
            KeySchema: [{ AttributeName: SWEEP_AT_ATTRIBUTE, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      }),
    );
  } catch (err) {
    // Another process created it between describe and create.
    if ((err as { name?: string }).name !== 'ResourceInUseException') throw err;
  }
}
