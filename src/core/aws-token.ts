// The bearer token kubectl sends to the cloud API: `k8s-aws-v1.` + the base64url of a presigned STS
// GetCallerIdentity URL that also signs the `x-k8s-aws-id` header (the cluster id). It is the token `aws eks
// get-token` and aws-iam-authenticator produce, and it is checked here as aws-iam-authenticator's server checks it
// (sigs.k8s.io/aws-iam-authenticator pkg/token/token.go, tokenVerifier.Verify): its shape first, then STS — which
// alone can verify the signature — answers who signed it (the adapter's part). The shape check matters: the verifier
// sends the URL to the host it names, so only an STS host, path `/` and the parameters of GetCallerIdentity pass.

import { decodeBase64 } from './base64.ts';

export const TOKEN_PREFIX = 'k8s-aws-v1.';

/** The header the token must sign, whose value is the cluster id (pkg/token/token.go clusterIDHeader). */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

/** pkg/token/token.go maxTokenLenBytes. */
export const MAX_TOKEN_BYTES = 4096;

/** STS accepts a presigned GetCallerIdentity for 15 minutes after its X-Amz-Date (pkg/token/token.go). */
export const TOKEN_LIFETIME_MS = 15 * 60_000;

/**
 * The X-Amz-Expires a token is presigned with. STS ignores it and keeps the 15 minutes; aws-iam-authenticator sends
 * 60 (requestPresignParam) and its server accepts 0–900.
 */
export const PRESIGN_EXPIRES_SECONDS = 60;

/** The query parameters a token's URL may carry (pkg/token/token.go parameterWhitelist). */
const ALLOWED_PARAMETERS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

/**
 * STS's global and regional hosts in the partitions whose domain is amazonaws.com (aws, aws-us-gov) or
 * amazonaws.com.cn (aws-cn): `sts.amazonaws.com`, `sts.us-east-1.amazonaws.com`, `sts.cn-north-1.amazonaws.com.cn`.
 * aws-iam-authenticator derives the same list from the SDK's endpoint table (stsHostsForPartition).
 */
const STS_HOST = /^sts(\.[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+)?\.amazonaws\.com(\.cn)?$/;

export const stsHostFor = (region: string): string =>
  `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;

export interface TokenRequest {
  /** The presigned URL to GET, with the cluster id header, from STS. */
  url: string;
  accessKeyId: string;
  /** When STS stops accepting it. */
  expiresAt: number;
}

/** The token's URL, if the token has the shape a GetCallerIdentity token for `clusterId` must have; else why not. */
export function parseToken(token: string, now: number): TokenRequest | { error: string } {
  if (token.length > MAX_TOKEN_BYTES) return { error: 'token is too large' };
  if (!token.startsWith(TOKEN_PREFIX)) return { error: `token is missing expected "${TOKEN_PREFIX}" prefix` };
  const encoded = token.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return { error: 'token is not base64url' };
  // base64.RawURLEncoding: the URL-safe alphabet without padding.
  const standard = encoded.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = decodeBase64(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='));
  if (!bytes.ok) return { error: 'token is not base64url' };
  let url: URL;
  try {
    url = new URL(new TextDecoder().decode(bytes.bytes));
  } catch {
    return { error: 'token does not hold a URL' };
  }
  if (url.protocol !== 'https:') return { error: `unexpected scheme "${url.protocol}" in pre-signed URL` };
  if (url.port !== '' || url.username !== '' || url.password !== '' || !STS_HOST.test(url.hostname))
    return { error: `unexpected hostname "${url.host}" in pre-signed URL` };
  if (url.pathname !== '/') return { error: 'unexpected path in pre-signed URL' };
  if (url.hash !== '') return { error: 'unexpected fragment in pre-signed URL' };
  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    const lower = key.toLowerCase();
    if (!ALLOWED_PARAMETERS.has(lower)) return { error: `non-whitelisted query parameter "${key}"` };
    if (params.has(lower)) return { error: 'query parameter with multiple values not supported' };
    params.set(lower, value);
  }
  if (params.get('action') !== 'GetCallerIdentity')
    return { error: 'unexpected action parameter in pre-signed URL' };
  const signed = (params.get('x-amz-signedheaders') ?? '').toLowerCase().split(';');
  if (!signed.includes(CLUSTER_ID_HEADER))
    return { error: `client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL` };
  const expires = Number(params.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900)
    return {
      error: `invalid X-Amz-Expires parameter in pre-signed URL: ${params.get('x-amz-expires') ?? ''}`,
    };
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params.get('x-amz-date') ?? '');
  if (!date) return { error: 'X-Amz-Date parameter must be present in pre-signed URL' };
  const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
  const signedAt = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const expiresAt = signedAt + TOKEN_LIFETIME_MS;
  if (now > expiresAt) return { error: 'X-Amz-Date parameter is expired (15 minute expiration)' };
  const accessKeyId = (params.get('x-amz-credential') ?? '').split('/')[0] ?? '';
  if (accessKeyId === '') return { error: 'X-Amz-Credential parameter must be present in pre-signed URL' };
  return { url: url.href, accessKeyId, expiresAt };
}

/**
 * The IAM ARN of a caller as the access entries name it: an STS assumed-role session
 * `arn:aws:sts::123456789012:assumed-role/Dev/alice` is its role `arn:aws:iam::123456789012:role/Dev`; users,
 * roles and the root stay as they are (aws-iam-authenticator pkg/arn/arn.go Canonicalize — a role's path is not in
 * the session ARN, so an entry names a role without its path).
 */
export function canonicalArn(arn: string): string | { error: string } {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return { error: `not an ARN: "${arn}"` };
  const [, partition, service, , account] = parts;
  const resource = parts.slice(5).join(':');
  if (service === 'iam') return arn;
  if (service === 'sts') {
    const [type, name] = resource.split('/');
    if (type === 'assumed-role' && name) return `arn:${partition}:iam::${account}:role/${name}`;
    if (type === 'federated-user') return arn;
  }
  return { error: `unexpected service or resource in ARN: "${arn}"` };
}
