// Which AWS SDK errors a later retry may get past (src/adapters/aws-errors.ts), and how the adapters translate them:
// the errors are the SDK's own, raised by real clients against a server that answers as the service would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransientAwsError } from '../../src/adapters/aws-errors.ts';
import { readTranslated } from '../../src/adapters/dynamodb/dynamodb-errors.ts';
import { StepFunctionsWorkflowClient } from '../../src/adapters/stepfunctions/step-functions-workflow-client.ts';
import { isUnavailable } from '../../src/ports/errors.ts';

/** The next answers, by the target's service: status and AWS JSON error type. */
const answers: Array<{ status: number; type: string; message: string }> = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = answers.shift() ?? { status: 500, type: 'InternalServerError', message: 'no answer planned' };
      res.writeHead(a.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': a.type });
      res.end(JSON.stringify({ __type: a.type, message: a.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const config = () => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  maxAttempts: 1,
});

async function dynamoError(status: number, type: string): Promise<unknown> {
  answers.push({ status, type, message: `${type} for the test` });
  const client = new DynamoDBClient(config());
  try {
    await client.send(new GetItemCommand({ TableName: 't', Key: { PK: { S: 'a' } } }));
    throw new Error('expected a failure');
  } catch (err) {
    return err;
  } finally {
    client.destroy();
  }
}

describe('isTransientAwsError', () => {
  it.each([
    [400, 'ProvisionedThroughputExceededException', true],
    [400, 'ThrottlingException', true],
    [500, 'InternalServerError', true],
    [503, 'ServiceUnavailable', true],
    [400, 'ValidationException', false],
    [400, 'ResourceNotFoundException', false],
    [400, 'AccessDeniedException', false],
  ])('HTTP %i %s → %s', async (status, type, transient) => {
    expect(isTransientAwsError(await dynamoError(status, type))).toBe(transient);
  });

  it('a request that got no answer (connection refused) is transient; plain errors are not', async () => {
    const client = new DynamoDBClient({ ...config(), endpoint: 'http://127.0.0.1:9' });
    const err = await client
      .send(new GetItemCommand({ TableName: 't', Key: { PK: { S: 'a' } } }))
      .catch((e: unknown) => e);
    client.destroy();
    expect(isTransientAwsError(err)).toBe(true);
    expect(isTransientAwsError(new Error('boom'))).toBe(false);
    expect(isTransientAwsError(undefined)).toBe(false);
  });
});

describe('translation at the adapters', () => {
  it('DynamoDB: throttling is an UnavailableError naming the call; a validation error is a plain Error', async () => {
    const throttled = await readTranslated('pods', 'get pod default/web', async () => {
      throw await dynamoError(400, 'ThrottlingException');
    }).catch((e: unknown) => e);
    expect(isUnavailable(throttled)).toBe(true);
    expect((throttled as Error).message).toBe(
      'DynamoDB table pods: get pod default/web failed: ThrottlingException: ThrottlingException for the test',
    );
    const invalid = await readTranslated('pods', 'get pod default/web', async () => {
      throw await dynamoError(400, 'ValidationException');
    }).catch((e: unknown) => e);
    expect(isUnavailable(invalid)).toBe(false);
  });

  it('Step Functions: a SendTaskSuccess the service could not serve is an UnavailableError', async () => {
    const sfn = new SFNClient(config());
    const client = new StepFunctionsWorkflowClient({
      client: sfn,
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:w',
    });
    answers.push({ status: 500, type: 'ServiceUnavailable', message: 'try again' });
    const err = await client.sendTaskSuccess('token').catch((e: unknown) => e);
    sfn.destroy();
    expect(isUnavailable(err)).toBe(true);
    expect((err as Error).message).toBe(
      'Step Functions SendTaskSuccess failed: ServiceUnavailable: try again',
    );
  });
});
