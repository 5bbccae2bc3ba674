// ProberLease on the single table (docs/architecture.md §5, §7; docs/decisions/0003-probes.md): one item per shard,
//
//   lease   PK = prober-lease   SK = shard#<n>   owner S, expiresAt N (epoch ms)
//
// Every operation is one conditional write on that item (dynalite has no transactions; DynamoDB serializes
// writes to an item), so of two contenders exactly one wins:
//   acquire   PutItem   IF attribute_not_exists(PK) OR expiresAt < :now OR owner = :me
//   renew     UpdateItem SET expiresAt IF owner = :me
//   handOver  UpdateItem SET owner = :next, expiresAt IF owner = :me
//   release   DeleteItem IF owner = :me (a missing item or another owner: nothing to do)
// Expiry is judged with the caller's clock (`now`): Lambda clocks are NTP-synchronised to well under the TTL.
import {
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { ProberLease, ShardLease } from '../../ports/prober-lease.ts';
import { CONDITION_FAILED, sendToTable, type LowLevelClient } from './dynamodb-send.ts';

export const LEASE_PK = 'prober-lease';
const SHARD_PREFIX = 'shard#';

const leaseKey = (shard: number): Record<string, AttributeValue> => ({
  PK: { S: LEASE_PK },
  SK: { S: `${SHARD_PREFIX}${shard}` },
});

export class DynamoDbProberLease implements ProberLease {
  readonly #client: LowLevelClient;
  readonly #table: string;

  constructor(options: { client: LowLevelClient; tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async acquire(shard: number, owner: string, expiresAt: number, now: number): Promise<boolean> {
    const result = await sendToTable(this.#table, `acquire prober lease ${shard}`, () =>
      this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: { ...leaseKey(shard), owner: { S: owner }, expiresAt: { N: String(expiresAt) } },
          ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :now OR #owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(now) }, ':me': { S: owner } },
        }),
      ),
    );
    return result !== CONDITION_FAILED;
  }

  async renew(shard: number, owner: string, expiresAt: number): Promise<boolean> {
    return this.#update(`renew prober lease ${shard}`, shard, owner, owner, expiresAt);
  }

  async handOver(shard: number, owner: string, successor: string, expiresAt: number): Promise<boolean> {
    return this.#update(`hand over prober lease ${shard}`, shard, owner, successor, expiresAt);
  }

  async release(shard: number, owner: string): Promise<void> {
    await sendToTable(this.#table, `release prober lease ${shard}`, () =>
      this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: leaseKey(shard),
          ConditionExpression: '#owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':me': { S: owner } },
        }),
      ),
    );
  }

  async list(): Promise<ShardLease[]> {
    const leases: ShardLease[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await sendToTable(this.#table, 'list prober leases', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: LEASE_PK } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      if (page === CONDITION_FAILED) throw new Error('list prober leases: unexpected condition failure');
      for (const item of page.Items ?? []) {
        leases.push({
          shard: Number(item.SK!.S!.slice(SHARD_PREFIX.length)),
          owner: item.owner?.S ?? '',
          expiresAt: Number(item.expiresAt?.N ?? 0),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return leases.sort((a, b) => a.shard - b.shard);
  }

  async #update(
    what: string,
    shard: number,
    owner: string,
    next: string,
    expiresAt: number,
  ): Promise<boolean> {
    const result = await sendToTable(this.#table, what, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: leaseKey(shard),
          UpdateExpression: 'SET #owner = :next, expiresAt = :exp',
          ConditionExpression: '#owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':me': { S: owner },
            ':next': { S: next },
            ':exp': { N: String(expiresAt) },
          },
        }),
      ),
    );
    return result !== CONDITION_FAILED;
  }
}
