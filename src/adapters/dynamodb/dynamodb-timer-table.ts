// DynamoDbTimerTable: LocalWakeupScheduler's timers as items of the single table (`--store dynamodb`: dynalite or a
// DynamoDB-compatible endpoint).
//
// Item layout (same table as the pod store, its own partition so it never collides with `ns#…` pod items):
//     PK = "timer"   SK = "<namespace>/<name>/<timerId>"   at (N, epoch ms)   namespace, name, timerId (S)
// Namespaces and names are DNS labels/subdomains (no "/"), so the SK is unique per (pod, timerId) even when the
// timerId itself contains "/"; the explicit attributes spare readers from parsing the SK.
import {
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { StoredTimer, TimerTable } from '../local-timers/timer-table.ts';
import type { PodKey } from '../../ports/pod-key.ts';

/** Partition key of every timer item. */
export const TIMER_PARTITION_KEY = 'timer';

export interface DynamoDbTimerTableOptions {
  /** A client of the single table (dynalite locally). The table never destroys it. */
  client: DynamoDBClient;
  tableName: string;
}

const timerSortKey = (key: PodKey, timerId: string): string => `${key.namespace}/${key.name}/${timerId}`;

const isConditionalCheckFailed = (err: unknown): boolean =>
  (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

export class DynamoDbTimerTable implements TimerTable {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbTimerTableOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async put({ key, timerId, at }: StoredTimer): Promise<void> {
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: {
          PK: { S: TIMER_PARTITION_KEY },
          SK: { S: timerSortKey(key, timerId) },
          at: { N: String(at) },
          namespace: { S: key.namespace },
          name: { S: key.name },
          timerId: { S: timerId },
        },
      }),
    );
  }

  async delete(key: PodKey, timerId: string): Promise<void> {
    await this.#client.send(
      new DeleteItemCommand({
        TableName: this.#tableName,
        Key: { PK: { S: TIMER_PARTITION_KEY }, SK: { S: timerSortKey(key, timerId) } },
      }),
    );
  }

  async deleteIfAt(key: PodKey, timerId: string, at: number): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: { PK: { S: TIMER_PARTITION_KEY }, SK: { S: timerSortKey(key, timerId) } },
          ConditionExpression: '#at = :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': { N: String(at) } },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  async list(): Promise<StoredTimer[]> {
    const timers: StoredTimer[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: TIMER_PARTITION_KEY } },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const at = Number(item.at?.N);
        const namespace = item.namespace?.S;
        const name = item.name?.S;
        const timerId = item.timerId?.S;
        if (!Number.isFinite(at) || namespace === undefined || name === undefined || timerId === undefined) {
          continue; // not written by this adapter
        }
        timers.push({ key: { namespace, name }, timerId, at });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return timers;
  }
}
