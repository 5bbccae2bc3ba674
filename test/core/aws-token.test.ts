// The shape check of the cloud API's bearer token, case by case as aws-iam-authenticator's verifier refuses tokens
// (pkg/token/token.go tokenVerifier.Verify), and the canonical ARN of a caller (pkg/arn/arn.go Canonicalize).
import { describe, expect, it } from 'vitest';
import { canonicalArn, parseToken, stsHostFor } from '../../src/core/aws-token.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const QUERY =
  'Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIAEXAMPLE%2F20300101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20300101T115500Z' +
  '&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=' +
  'a'.repeat(64);
const token = (url: string) => `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
const GOOD = `https://sts.us-east-1.amazonaws.com/?${QUERY}`;

describe('parseToken', () => {
  it('accepts a GetCallerIdentity URL to an STS host that signs x-k8s-aws-id, good 15 minutes from its date', () => {
    expect(parseToken(token(GOOD), NOW)).toEqual({
      url: GOOD,
      accessKeyId: 'AKIAEXAMPLE',
      expiresAt: Date.UTC(2030, 0, 1, 12, 10, 0),
    });
    expect(parseToken(token(GOOD.replace('sts.us-east-1.', 'sts.')), NOW)).not.toHaveProperty('error');
    expect(
      parseToken(token(GOOD.replace('sts.us-east-1.amazonaws.com', 'sts.cn-north-1.amazonaws.com.cn')), NOW),
    ).not.toHaveProperty('error');
  });

  it.each([
    {
      name: 'another prefix',
      token: `k8s-aws-v2.${token(GOOD).slice(11)}`,
      error: 'token is missing expected "k8s-aws-v1." prefix',
    },
    { name: 'not base64url', token: 'k8s-aws-v1.a+b/c', error: 'token is not base64url' },
    { name: 'too large', token: token(GOOD) + 'A'.repeat(4096), error: 'token is too large' },
    {
      name: 'plain http',
      token: token(GOOD.replace('https:', 'http:')),
      error: 'unexpected scheme "http:" in pre-signed URL',
    },
    {
      name: 'a host that is not STS',
      token: token(GOOD.replace('sts.us-east-1.amazonaws.com', 'sts.us-east-1.amazonaws.com.evil.example')),
      error: 'unexpected hostname "sts.us-east-1.amazonaws.com.evil.example" in pre-signed URL',
    },
    {
      name: 'an STS host with a port',
      token: token(GOOD.replace('amazonaws.com/', 'amazonaws.com:8443/')),
      error: 'unexpected hostname "sts.us-east-1.amazonaws.com:8443" in pre-signed URL',
    },
    {
      name: 'a path',
      token: token(GOOD.replace('.com/?', '.com/x?')),
      error: 'unexpected path in pre-signed URL',
    },
    {
      name: 'another action',
      token: token(GOOD.replace('GetCallerIdentity', 'AssumeRole')),
      error: 'unexpected action parameter in pre-signed URL',
    },
    {
      name: 'an extra parameter',
      token: token(`${GOOD}&RoleArn=x`),
      error: 'non-whitelisted query parameter "RoleArn"',
    },
    {
      name: 'a repeated parameter',
      token: token(`${GOOD}&Action=GetCallerIdentity`),
      error: 'query parameter with multiple values not supported',
    },
    {
      name: 'the cluster id header not signed',
      token: token(GOOD.replace('host%3Bx-k8s-aws-id', 'host')),
      error: 'client did not sign the x-k8s-aws-id header in the pre-signed URL',
    },
    {
      name: 'X-Amz-Expires over 900',
      token: token(GOOD.replace('X-Amz-Expires=60', 'X-Amz-Expires=901')),
      error: 'invalid X-Amz-Expires parameter in pre-signed URL: 901',
    },
    {
      name: 'no date',
      token: token(GOOD.replace('&X-Amz-Date=20300101T115500Z', '')),
      error: 'X-Amz-Date parameter must be present in pre-signed URL',
    },
    {
      name: 'signed over 15 minutes ago',
      token: token(GOOD.replace('T115500Z', 'T114459Z')),
      error: 'X-Amz-Date parameter is expired (15 minute expiration)',
    },
  ])('refuses $name', ({ token: t, error }) => {
    expect(parseToken(t, NOW)).toEqual({ error });
  });

  it('names the regional STS host of a region', () => {
    expect(stsHostFor('eu-west-1')).toBe('sts.eu-west-1.amazonaws.com');
    expect(stsHostFor('cn-north-1')).toBe('sts.cn-north-1.amazonaws.com.cn');
  });
});

describe('canonicalArn', () => {
  it.each([
    ['arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:user/alice'],
    ['arn:aws:iam::123456789012:role/Dev', 'arn:aws:iam::123456789012:role/Dev'],
    ['arn:aws:sts::123456789012:assumed-role/Dev/alice', 'arn:aws:iam::123456789012:role/Dev'],
    ['arn:aws-cn:sts::123456789012:assumed-role/Dev/i-0abc', 'arn:aws-cn:iam::123456789012:role/Dev'],
    ['arn:aws:sts::123456789012:federated-user/bob', 'arn:aws:sts::123456789012:federated-user/bob'],
  ])('%s → %s', (arn, canonical) => {
    expect(canonicalArn(arn)).toBe(canonical);
  });

  it('refuses what is not an IAM or STS principal', () => {
    expect(canonicalArn('arn:aws:s3:::bucket/key')).toEqual({
      error: 'unexpected service or resource in ARN: "arn:aws:s3:::bucket/key"',
    });
    expect(canonicalArn('alice')).toEqual({ error: 'not an ARN: "alice"' });
  });
});
