// The token authorizer's decision (api/token-authorizer.ts) with STS played by a function: what API Gateway gets back
// for a good token, and the refusals it turns into 401.
import { describe, expect, it } from 'vitest';
import {
  authorizeToken,
  grantFromAuthorizer,
  stageWildcard,
  UnauthorizedError,
} from '../../src/api/token-authorizer.ts';
import type { GetCallerIdentity } from '../../src/ports/caller-identity.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const METHOD_ARN =
  'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/api/v1/namespaces/default/pods';
const URL_ =
  'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=ASIAEXAMPLE%2F20300101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20300101T115900Z' +
  `&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=${'b'.repeat(64)}`;
const TOKEN = `k8s-aws-v1.${Buffer.from(URL_).toString('base64url')}`;
const DEV = 'arn:aws:iam::123456789012:role/Dev';

const sts =
  (arn: string, calls: Array<[string, string]> = []): GetCallerIdentity =>
  async (url, clusterId) => {
    calls.push([url, clusterId]);
    return { arn, account: '123456789012', userId: 'AROAEXAMPLE:alice' };
  };
const run = (token: string, getCallerIdentity: GetCallerIdentity) =>
  authorizeToken(
    { type: 'TOKEN', authorizationToken: token, methodArn: METHOD_ARN },
    {
      clusterId: 'podflow',
      entries: [{ principal: DEV, namespaces: ['team-a'], access: 'write' }],
      now: NOW,
      getCallerIdentity,
    },
  );

describe('authorizeToken', () => {
  it('asks STS with the token’s URL and the cluster id, and allows the whole stage with the caller’s grant', async () => {
    const calls: Array<[string, string]> = [];
    const result = await run(
      `Bearer ${TOKEN}`,
      sts('arn:aws:sts::123456789012:assumed-role/Dev/alice', calls),
    );
    expect(calls).toEqual([[URL_, 'podflow']]);
    expect(result).toEqual({
      principalId: DEV,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*',
          },
        ],
      },
      context: { user: DEV, grant: '{"team-a":"write"}' },
    });
    expect(grantFromAuthorizer({ ...result.context, principalId: DEV })).toEqual({
      user: DEV,
      namespaces: { 'team-a': 'write' },
    });
  });

  it('authenticates a principal without an entry, with nothing granted (the API answers 403)', async () => {
    const result = await run(`Bearer ${TOKEN}`, sts('arn:aws:iam::123456789012:user/stranger'));
    expect(result.context).toEqual({ user: 'arn:aws:iam::123456789012:user/stranger', grant: '{}' });
  });

  it.each([
    { name: 'no bearer token', header: TOKEN, why: 'no bearer token' },
    { name: 'a malformed token', header: 'Bearer k8s-aws-v1.!!', why: 'token is not base64url' },
    {
      name: 'STS refusing it',
      header: `Bearer ${TOKEN}`,
      why: /^sts getCallerIdentity failed: STS answered 403/,
    },
  ])('$name is Unauthorized', async ({ header, why }) => {
    const refusing: GetCallerIdentity = async () => {
      throw new Error('STS answered 403: SignatureDoesNotMatch: …');
    };
    const err = await run(header, refusing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toBe('Unauthorized');
    expect((err as UnauthorizedError).why).toMatch(why);
  });
});

describe('stageWildcard', () => {
  it('covers every method and path of the method’s stage', () => {
    expect(stageWildcard(METHOD_ARN)).toBe('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*');
  });
});

describe('grantFromAuthorizer', () => {
  it('is undefined without the authorizer’s context, and keeps only read and write', () => {
    expect(grantFromAuthorizer(undefined)).toBeUndefined();
    expect(grantFromAuthorizer({ principalId: 'x' })).toBeUndefined();
    expect(grantFromAuthorizer({ user: 'u', grant: '{"a":"read","b":"admin"}' })).toEqual({
      user: 'u',
      namespaces: { a: 'read' },
    });
  });
});
