// Writes the change log's items (the layout and the reasons: dynamodb-change-log.ts, which reads them).
import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { changeLogSortKey } from '../../core/change-log.ts';
import type { Clock } from '../../ports/clock.ts';
import type { ObjectKind } from '../../ports/object-store.ts';
import type { StoredEvent } from '../../ports/pod-store.ts';
import { sendTranslated } from './dynamodb-errors.ts';

type Item = Record<string, AttributeValue>;

/** The partition of the change log. */
export const CHANGE_LOG_PARTITION = 'changelog';

/**
 * How long an item is served: an hour. The API server's watch cache serves a few minutes of history and etcd
 * compacts every 5 minutes (kube-apiserver --etcd-compaction-interval); a longer window costs only storage, which
 * the TTL gives back, and lets a client that lost its connection resume rather than list again.
 */
export const DEFAULT_CHANGE_LOG_RETENTION_SECONDS = 3600;

/** What a store needs to write the log. */
export interface ChangeLogWriting {
  retentionSeconds: number;
  clock: Clock;
  /** A log item that could not be written (the commit stands; watchers miss this change). */
  onError: (err: unknown, what: string) => void;
}

export type ChangeRecord =
  | { kind: 'Pod' | ObjectKind; change: 'created' | 'updated' | 'removed'; item: Item }
  | { kind: 'Event'; change: 'created' | 'updated'; event: StoredEvent }
  | { kind: 'none' };

/** The attributes of a record's log item besides its key, version and expiry. */
function recordAttributes(record: ChangeRecord): Item {
  if (record.kind === 'none') return {};
  if (record.kind === 'Event')
    return { change: { S: record.change }, event: { S: JSON.stringify(record.event) } };
  return { change: { S: record.change }, item: { M: logCopy(record.item) } };
}

/** Puts the log item of `resourceVersion`. Never throws: a failure goes to `onError`. */
export async function recordChange(
  client: DynamoDBClient,
  table: string,
  writing: ChangeLogWriting,
  resourceVersion: string,
  record: ChangeRecord,
): Promise<void> {
  const expiresAt = Math.floor(writing.clock.now() / 1000) + writing.retentionSeconds;
  const what = `record change ${resourceVersion}`;
  try {
    await sendTranslated(table, what, () =>
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            PK: { S: CHANGE_LOG_PARTITION },
            SK: { S: changeLogSortKey(resourceVersion) },
            rv: { N: resourceVersion },
            kind: { S: record.kind },
            ...recordAttributes(record),
            expiresAt: { N: String(expiresAt) },
          },
          // A version is written once; a retried put of the same version changes nothing.
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    );
  } catch (err) {
    writing.onError(err, what);
  }
}

/** The attributes a reader needs: key, rv and the JSON body (not the inbox or the wait token). */
function logCopy(item: Item): Item {
  const { PK, SK, state, object } = item;
  return { PK: PK!, SK: SK!, ...(state ? { state } : {}), ...(object ? { object } : {}) };
}
