// The table-wide resourceVersion that pods, Events and the API objects share (one atomic counter item, like etcd's
// revision): both stores of the table take their versions here, so a watch over any kind can resume from any list.
import {
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

const COUNTER_KEY: Record<string, AttributeValue> = { PK: { S: 'meta' }, SK: { S: 'resourceVersion' } };

/** Takes the next resourceVersion (ADD on the counter item, returning the new value). */
export async function takeResourceVersion(client: DynamoDBClient, table: string): Promise<string> {
  const out = await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: COUNTER_KEY,
      UpdateExpression: 'ADD #rv :one',
      ExpressionAttributeNames: { '#rv': 'rv' },
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return out.Attributes!.rv!.N!;
}

/** The latest resourceVersion taken ('0' before the first), strongly consistent. */
export async function readResourceVersion(client: DynamoDBClient, table: string): Promise<string> {
  const out = await client.send(
    new GetItemCommand({ TableName: table, Key: COUNTER_KEY, ConsistentRead: true }),
  );
  return out.Item?.rv?.N ?? '0';
}
