// What the PodStore contract cannot see: DynamoDbPodStore's item layout, its TTL attribute, the 400 KB accounting,
// the error translation at the edge, and the DynamoDB limits it designs around. Runs on dynalite (memory).
import {
  DynamoDBServiceException,
  GetItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoDbPodStore,
  MAX_CONSUMED_EVENTS_PER_UPDATE,
  MAX_WAIT_TOKEN_BYTES,
} from '../../../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { estimateItemSize, MAX_ITEM_BYTES } from '../../../src/adapters/dynamodb/item-size.ts';
import { TooLargeError } from '../../../src/ports/errors.ts';
import { ensureTable, startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import { opaqueEvent, podState, scheduledEvent } from '../../contract/pod-store.contract.ts';
import { ManualClock } from '../../support/manual-clock.ts';

/** A fresh occurrence id: every recording here is a distinct occurrence unless a case says otherwise. */
let occurrences = 0;
const nextOccurrence = (): string => `occurrence-${++occurrences}`;

const TABLE = 'podflow';
const key = { namespace: 'default', name: 'web' };

let db: LocalDynamo;
let clock: ManualClock;
/** Every command the store sent, by name, with its input. */
let sent: { name: string; input: Record<string, unknown> }[];
let store: DynamoDbPodStore;

/** A client that records what the store sends before passing it on. */
function recording(client: DynamoDBClient): DynamoDBClient {
  return {
    send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return (client.send as (c: unknown) => Promise<unknown>)(command);
    },
  } as unknown as DynamoDBClient;
}

const rawItem = async (pk: string, sk: string) =>
  (
    await db.client.send(
      new GetItemCommand({ TableName: TABLE, Key: { PK: { S: pk }, SK: { S: sk } }, ConsistentRead: true }),
    )
  ).Item;

beforeEach(async () => {
  db = await startDynalite();
  await ensureTable(db.client, TABLE);
  clock = new ManualClock();
  sent = [];
  store = new DynamoDbPodStore({
    client: recording(db.client),
    tableName: TABLE,
    clock,
    eventTtlSeconds: 3600,
  });
});

afterEach(async () => {
  await db.close();
});

describe('item layout', () => {
  it('a pod is one item: PK ns#, SK pod#, state as JSON without resourceVersion, rv, inbox map, waitToken', async () => {
    const created = await store.create(podState('web'));
    await store.deliver(key, opaqueEvent({ id: 'e1', type: 'probeResult', at: 5 }));
    const item = await rawItem('ns#default', 'pod#web');
    expect(Object.keys(item!).sort()).toEqual(['PK', 'SK', 'inbox', 'rv', 'state']);
    expect(item!.rv).toEqual({ N: created.resourceVersion });
    const state = JSON.parse(item!.state!.S!);
    expect(state.pod.metadata).not.toHaveProperty('resourceVersion'); // the rv attribute is the only truth
    expect(state.pod.metadata.name).toBe('web');
    expect(item!.inbox).toEqual({
      M: { e1: { S: JSON.stringify({ id: 'e1', type: 'probeResult', at: 5 }) } },
    });

    const read = await store.get(key);
    await store.update(key, read!.resourceVersion, read!.state, ['e1']);
    await store.registerWait(key, 'token-1');
    const waiting = await rawItem('ns#default', 'pod#web');
    expect(waiting!.inbox).toEqual({ M: {} }); // emptied, never removed: deliveries SET inbox.#id into it
    expect(waiting!.waitToken).toEqual({ S: 'token-1' });
    await store.deliver(key, opaqueEvent({ id: 'e2', type: 'probeResult', at: 6 }));
    expect(await rawItem('ns#default', 'pod#web')).not.toHaveProperty('waitToken');
  });

  it('the table-wide resourceVersion is one counter item, taken by every object write', async () => {
    await store.create(podState('a'));
    await store.create(podState('b'));
    await store.recordEvent(scheduledEvent('a', 'default', clock.now()));
    expect(await rawItem('meta', 'resourceVersion')).toMatchObject({ rv: { N: '3' } });
    expect((await store.list()).resourceVersion).toBe('3');
    // deliver and registerWait are not object writes: the inbox is not part of the object
    await store.deliver({ namespace: 'default', name: 'a' }, opaqueEvent({ id: 'e1', type: 't', at: 1 }));
    expect((await store.list()).resourceVersion).toBe('3');
  });

  it('an Event is its own item: SK event#<name>#<reason>#<hash>, aggregated in place, expiresAt = now + TTL', async () => {
    const event = {
      namespace: 'default',
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1' },
      type: 'Warning' as const,
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
    };
    await store.recordEvent({
      occurrence: nextOccurrence(),
      ...event,
      at: clock.now(),
    });
    clock.advance(60_000);
    await store.recordEvent({
      occurrence: nextOccurrence(),
      ...event,
      at: clock.now(),
    });
    const { Items } = await db.client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
        ExpressionAttributeValues: { ':pk': { S: 'ns#default' }, ':e': { S: 'event#' } },
      }),
    );
    expect(Items).toHaveLength(1);
    expect(Items![0]!.SK!.S).toMatch(/^event#web#BackOff#[0-9a-f]{16}$/);
    expect(Items![0]!.count).toEqual({ N: '2' });
    // DynamoDB TTL wants epoch seconds; the last occurrence pushes expiry out.
    expect(Items![0]!.expiresAt).toEqual({ N: String(Math.floor(clock.now() / 1000) + 3600) });
  });

  it('the same reason and message about another uid (a recreated pod) is another Event', async () => {
    const event = {
      namespace: 'default',
      type: 'Normal' as const,
      reason: 'Started',
      message: 'Started container app',
    };
    await store.recordEvent({
      occurrence: nextOccurrence(),
      ...event,
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1' },
      at: clock.now(),
    });
    await store.recordEvent({
      occurrence: nextOccurrence(),
      ...event,
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u2' },
      at: clock.now() + 1000,
    });
    expect((await store.listEvents('default', 'web')).map((e) => [e.involvedObject.uid, e.count])).toEqual([
      ['u1', 1],
      ['u2', 1],
    ]);
  });
});

describe('item size', () => {
  it('refuses an oversized pod before sending anything, so not even a resourceVersion is used up', async () => {
    const state = podState('web');
    state.pod.metadata!.annotations = { big: 'x'.repeat(MAX_ITEM_BYTES) };
    await expect(store.create(state)).rejects.toThrow(
      /^pod default\/web would be \d+ bytes; DynamoDB items are limited to 400 KB$/,
    );
    expect(sent).toEqual([]);
  });

  it('a state just under the guard is accepted by DynamoDB with the largest wait token on the item', async () => {
    const state = podState('web');
    state.pod.metadata!.annotations = { fill: '' };
    const base = estimateItemSize({
      PK: { S: 'ns#default' },
      SK: { S: 'pod#web' },
      state: { S: JSON.stringify(state) },
      inbox: { M: {} },
      waitToken: { S: '' },
    });
    // Fill to exactly the guard's limit: key, state, rv at 21 bytes, and a 2048-byte token.
    state.pod.metadata!.annotations.fill = 'x'.repeat(MAX_ITEM_BYTES - base - 2 - 21 - MAX_WAIT_TOKEN_BYTES);
    const created = await store.create(state);
    expect((await store.registerWait(key, 't'.repeat(MAX_WAIT_TOKEN_BYTES))).registered).toBe(true);
    state.pod.metadata!.annotations.fill += 'x';
    await expect(store.update(key, created.resourceVersion, state)).rejects.toBeInstanceOf(TooLargeError);
  });

  it("DynamoDB's own item-size ValidationException (pending events pushing the item over) becomes TooLargeError", async () => {
    const state = podState('web');
    state.pod.metadata!.annotations = { fill: 'x'.repeat(380_000) };
    await store.create(state);
    const err = await store
      .deliver(key, opaqueEvent({ id: 'huge', type: 'exit', at: 1, log: 'y'.repeat(40_000) }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooLargeError);
    expect((err as Error).cause).toBeInstanceOf(DynamoDBServiceException); // kept for debugging, never thrown
    expect((await store.get(key))!.inbox).toEqual([]);
  });
});

describe('errors translated at the edge', () => {
  it('any other AWS failure leaves as a plain Error naming the table and the operation, the AWS error as cause', async () => {
    const elsewhere = new DynamoDbPodStore({ client: db.client, tableName: 'no-such-table', clock });
    const err = await elsewhere.get(key).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(DynamoDBServiceException);
    expect((err as Error).message).toMatch(
      /^DynamoDB table no-such-table: get pod default\/web failed: ResourceNotFoundException/,
    );
    expect((err as Error).cause).toBeInstanceOf(DynamoDBServiceException);
  });
});

describe('DynamoDB limits designed around', () => {
  it(`one update consumes up to ${MAX_CONSUMED_EVENTS_PER_UPDATE} events within the 4 KB expression limit`, async () => {
    const created = await store.create(podState('web'));
    const ids = Array.from({ length: MAX_CONSUMED_EVENTS_PER_UPDATE + 1 }, (_, i) => `event-${i}`);
    await Promise.all(ids.map((id) => store.deliver(key, opaqueEvent({ id, type: 't', at: 1 }))));
    await expect(store.update(key, created.resourceVersion, created.state, ids)).rejects.toBeInstanceOf(
      RangeError,
    );
    sent = [];
    const updated = await store.update(
      key,
      created.resourceVersion,
      created.state,
      ids.slice(0, MAX_CONSUMED_EVENTS_PER_UPDATE),
    );
    expect(updated.inbox.map((e) => e.id)).toEqual([ids.at(-1)]);
    const expression = sent.find(
      (c) => c.name === 'UpdateItemCommand' && String(c.input.UpdateExpression).includes('REMOVE'),
    );
    expect(String(expression!.input.UpdateExpression).length).toBeLessThanOrEqual(4096);
  });

  it('deliver asks for UPDATED_OLD, not the whole pod back', async () => {
    await store.create(podState('web'));
    sent = [];
    await store.deliver(key, opaqueEvent({ id: 'e1', type: 't', at: 1 }));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.input.ReturnValues).toBe('UPDATED_OLD');
  });

  it('a redelivery of a pending event keeps the first copy', async () => {
    await store.create(podState('web'));
    await store.deliver(key, opaqueEvent({ id: 'e1', type: 't', at: 1, attempt: 1 }));
    await store.deliver(key, opaqueEvent({ id: 'e1', type: 't', at: 1, attempt: 2 }));
    expect((await store.get(key))!.inbox).toEqual([{ id: 'e1', type: 't', at: 1, attempt: 1 }]);
  });
});

describe('clients', () => {
  it('works through a DynamoDBDocumentClient as well as a plain client', async () => {
    const documentClient = DynamoDBDocumentClient.from(db.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const viaDocuments = new DynamoDbPodStore({ client: documentClient, tableName: TABLE, clock });
    const created = await viaDocuments.create(podState('web'));
    expect(await viaDocuments.registerWait(key, 'token-1')).toEqual({ registered: true, pending: 0 });
    expect(await viaDocuments.deliver(key, opaqueEvent({ id: 'e1', type: 't', at: 1 }))).toEqual({
      waitToken: 'token-1',
    });
    expect(await store.get(key)).toEqual({ ...created, inbox: [{ id: 'e1', type: 't', at: 1 }] });
  });
});
