// The cloud API's bearer token end to end below the API: `presignToken` (the SDKs' SigV4 signer) makes it, the
// core's shape check accepts it, and `stsCallerIdentity` sends it to the STS emulator, which verifies the signature
// as STS does and answers the caller. Each refusal is one STS or the shape check would make.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignToken } from '../../../src/adapters/sts/presign-token.ts';
import { stsCallerIdentity } from '../../../src/adapters/sts/sts-caller-identity.ts';
import { parseToken, TOKEN_PREFIX } from '../../../src/core/aws-token.ts';
import { startStsEmulator, type StsEmulator, type StsIdentity } from '../../cloud/emulators/sts.ts';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const alice: StsIdentity = {
  accessKeyId: 'AKIAALICE0000000000',
  secretAccessKey: 'alice-secret',
  arn: 'arn:aws:iam::123456789012:user/alice',
  userId: 'AIDAALICE',
};
const reader: StsIdentity = {
  accessKeyId: 'ASIAREADER000000000',
  secretAccessKey: 'reader-secret',
  sessionToken: 'reader-session-token',
  arn: 'arn:aws:sts::123456789012:assumed-role/podflow-reader/bob',
  userId: 'AROAREADER:bob',
};

let now = T0;
let sts: StsEmulator;
beforeAll(async () => {
  sts = await startStsEmulator({
    account: '123456789012',
    identities: (id) => [alice, reader].find((i) => i.accessKeyId === id),
    now: () => now,
  });
});
afterAll(() => sts.close());

const decode = (token: string): URL =>
  new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
const encode = (url: URL): string => TOKEN_PREFIX + Buffer.from(url.href).toString('base64url');
const verify = (token: string, clusterId = 'podflow') => {
  const parsed = parseToken(token, now);
  if ('error' in parsed) throw new Error(parsed.error);
  return stsCallerIdentity({ endpoint: sts.url })(parsed.url, clusterId);
};

describe('a token presigned by the SDK signer', () => {
  it('is a k8s-aws-v1 URL to the region’s STS that signs the cluster id, and STS answers who signed it', async () => {
    now = T0;
    const { token, expiresAt } = await presignToken({
      clusterId: 'podflow',
      region: 'eu-west-1',
      credentials: alice,
      now,
    });
    const url = decode(token);
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(expiresAt).toBe(T0 + 14 * 60_000);
    await expect(verify(token)).resolves.toEqual({
      arn: 'arn:aws:iam::123456789012:user/alice',
      account: '123456789012',
      userId: 'AIDAALICE',
    });
  });

  it('carries the session token of temporary credentials, which STS requires', async () => {
    now = T0;
    const { token } = await presignToken({
      clusterId: 'podflow',
      region: 'us-east-1',
      credentials: reader,
      now,
    });
    expect(decode(token).searchParams.get('X-Amz-Security-Token')).toBe('reader-session-token');
    await expect(verify(token)).resolves.toMatchObject({ arn: reader.arn });
    const stripped = decode(token);
    stripped.searchParams.delete('X-Amz-Security-Token');
    await expect(verify(encode(stripped))).rejects.toThrow(/403: InvalidClientTokenId/);
  });

  it('is refused by STS for another cluster: the cluster id header is signed', async () => {
    now = T0;
    const { token } = await presignToken({
      clusterId: 'other',
      region: 'us-east-1',
      credentials: alice,
      now,
    });
    await expect(verify(token, 'podflow')).rejects.toThrow(/403: SignatureDoesNotMatch/);
  });

  it('is refused 15 minutes after signing, by the shape check and by STS alike', async () => {
    now = T0;
    const { token } = await presignToken({
      clusterId: 'podflow',
      region: 'us-east-1',
      credentials: alice,
      now,
    });
    now = T0 + 15 * 60_000 + 1000;
    expect(parseToken(token, now)).toEqual({
      error: 'X-Amz-Date parameter is expired (15 minute expiration)',
    });
    const parsed = parseToken(token, T0) as { url: string };
    await expect(stsCallerIdentity({ endpoint: sts.url })(parsed.url, 'podflow')).rejects.toThrow(
      /403: ExpiredToken/,
    );
  });

  it('is refused by STS once a signed parameter changes, and for unknown credentials', async () => {
    now = T0;
    const { token } = await presignToken({
      clusterId: 'podflow',
      region: 'us-east-1',
      credentials: alice,
      now,
    });
    const tampered = decode(token);
    tampered.searchParams.set('X-Amz-Expires', '900');
    await expect(verify(encode(tampered))).rejects.toThrow(/403: SignatureDoesNotMatch/);
    const stranger = await presignToken({
      clusterId: 'podflow',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIASTRANGER', secretAccessKey: 'x' },
      now,
    });
    await expect(verify(stranger.token)).rejects.toThrow(/403: InvalidClientTokenId/);
  });
});
