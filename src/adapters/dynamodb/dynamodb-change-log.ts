// The change log on the pod table (docs/decisions/0017-cloud-watch.md): one item per resourceVersion, written by
// DynamoDbPodStore and DynamoDbObjectStore right after the commit that took the version, read in version order by
// the cloud's watches (src/api/change-log-watch.ts).
//
//   change   PK = changelog  SK = <resourceVersion, zero-padded to 20 digits: string order is version order>
//              rv         N  the version
//              kind       S  Pod | ConfigMap | Secret | Namespace | Job | CronJob | Event | none
//              change     S  created | updated | removed (absent for `none`; an Event is created or updated)
//              item       M  the object's item as it was committed (PK, SK, state or object) — for a removal, as it was
//                            before; readers decode it with the store's own item reader
//              event      S  an Event's JSON, as the store returned it (`Event` only)
//              expiresAt  N  epoch seconds: the table's TTL attribute, `retention` after the write
//
// Why items the store writes rather than DynamoDB Streams: a watch must read changes in resourceVersion order and
// resume from any version, which a Query by sort key gives directly; a stream orders records per item only and has
// to be copied into such a log by a consumer anyway, at the price of another Lambda and a second or so of delay. The
// price here is one more write per commit and a non-atomic pair of writes (dynalite, which runs this code locally,
// has no transactions): a writer that dies between them loses that change for watchers, who see the object's next
// change (decision 0017). Every item is a conditional put: a version is written once.
import {
  GetItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { changeLogSortKey } from '../../core/change-log.ts';
import type { ChangeLog, ChangeLogEntry } from '../../ports/change-log.ts';
import { OBJECT_KINDS } from '../../ports/object-store.ts';
import type { StoredEvent } from '../../ports/pod-store.ts';
import { CHANGE_LOG_PARTITION } from './change-log-writer.ts';
import { readTranslated } from './dynamodb-errors.ts';
import { readItem } from './dynamodb-object-store.ts';
import { readPod } from './dynamodb-pod-store.ts';
import { readResourceVersion } from './resource-version-counter.ts';

type Item = Record<string, AttributeValue>;

export class DynamoDbChangeLog implements ChangeLog {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async readAfter(after: string, limit: number): Promise<ChangeLogEntry[]> {
    const out = await readTranslated(this.#table, `read changes after ${after}`, () =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'PK = :pk AND SK > :after',
          ExpressionAttributeValues: {
            ':pk': { S: CHANGE_LOG_PARTITION },
            ':after': { S: changeLogSortKey(after) },
          },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map(entryOf);
  }

  async latestAtOrBefore(resourceVersion: string): Promise<ChangeLogEntry | undefined> {
    const out = await readTranslated(this.#table, `read the change at or before ${resourceVersion}`, () =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'PK = :pk AND SK <= :at',
          ExpressionAttributeValues: {
            ':pk': { S: CHANGE_LOG_PARTITION },
            ':at': { S: changeLogSortKey(resourceVersion) },
          },
          ConsistentRead: true,
          ScanIndexForward: false,
          Limit: 1,
        }),
      ),
    );
    const item = out.Items?.[0];
    return item ? entryOf(item) : undefined;
  }

  async oldest(nowSeconds: number): Promise<string | undefined> {
    // Expired items (not yet deleted by TTL) come first; a filter skips them, reading at most a page.
    const out = await readTranslated(this.#table, 'read the oldest change', () =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'PK = :pk',
          FilterExpression: '#expiresAt > :now',
          ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':pk': { S: CHANGE_LOG_PARTITION },
            ':now': { N: String(nowSeconds) },
          },
          ConsistentRead: true,
          ProjectionExpression: 'rv',
        }),
      ),
    );
    return out.Items?.[0]?.rv?.N;
  }

  currentResourceVersion(): Promise<string> {
    return readTranslated(this.#table, 'read the resourceVersion', () =>
      readResourceVersion(this.#client, this.#table),
    );
  }

  /** For tests: one item as stored. */
  async item(resourceVersion: string): Promise<Item | undefined> {
    const out = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { PK: { S: CHANGE_LOG_PARTITION }, SK: { S: changeLogSortKey(resourceVersion) } },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }
}

function entryOf(item: Item): ChangeLogEntry {
  const resourceVersion = item.rv!.N!;
  const expiresAtSeconds = Number(item.expiresAt?.N ?? Infinity);
  const kind = item.kind?.S;
  const change = item.change?.S as 'created' | 'updated' | 'removed' | undefined;
  const copy = item.item?.M;
  if (kind === 'Pod' && change && copy)
    return {
      resourceVersion,
      expiresAtSeconds,
      kind,
      change,
      pod: readPod({ ...copy, rv: { N: resourceVersion } }),
    };
  const objectKind = OBJECT_KINDS.find((k) => k === kind);
  if (objectKind && change && copy)
    return {
      resourceVersion,
      expiresAtSeconds,
      kind: objectKind,
      change,
      object: readItem({ ...copy, rv: { N: resourceVersion } }),
    };
  if (kind === 'Event' && (change === 'created' || change === 'updated') && item.event?.S)
    return {
      resourceVersion,
      expiresAtSeconds,
      kind,
      change,
      event: JSON.parse(item.event.S) as StoredEvent,
    };
  return { resourceVersion, expiresAtSeconds, kind: 'none' };
}
