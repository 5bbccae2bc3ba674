import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { ensureTable, startDynalite } from '../src/local/dynalite.ts';

it('serves the DynamoDB API in-process with conditional writes', async () => {
  const db = await startDynalite();
  try {
    await ensureTable(db.client, 'podflow-test');
    await ensureTable(db.client, 'podflow-test'); // idempotent
    await db.client.send(
      new PutItemCommand({
        TableName: 'podflow-test',
        Item: { PK: { S: 'a' }, SK: { S: 'b' }, v: { N: '1' } },
      }),
    );
    await expect(
      db.client.send(
        new PutItemCommand({
          TableName: 'podflow-test',
          Item: { PK: { S: 'a' }, SK: { S: 'b' } },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      ),
    ).rejects.toThrow(/conditional/i);
    const got = await db.client.send(
      new GetItemCommand({ TableName: 'podflow-test', Key: { PK: { S: 'a' }, SK: { S: 'b' } } }),
    );
    expect(got.Item?.v?.N).toBe('1');
  } finally {
    await db.close();
  }
});
