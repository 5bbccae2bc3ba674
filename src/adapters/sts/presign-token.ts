// The bearer token for the cloud API, made as `aws eks get-token` and aws-iam-authenticator make it
// (pkg/token/token.go generator.GetWithSTS): a GetCallerIdentity request to the region's STS endpoint with the
// `x-k8s-aws-id` header (the cluster id), presigned with SigV4 by the SDKs' signer and the caller's credentials, then
// `k8s-aws-v1.` + the URL in unpadded base64url. Nothing is sent: STS sees the URL only when the API's authorizer
// verifies it. The token is good for 15 minutes after signing; the credential says 14, as aws-iam-authenticator does,
// so that kubectl asks for a new one before STS refuses the old.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from '@smithy/types';
import {
  CLUSTER_ID_HEADER,
  PRESIGN_EXPIRES_SECONDS,
  stsHostFor,
  TOKEN_LIFETIME_MS,
  TOKEN_PREFIX,
} from '../../core/aws-token.ts';

/** node:crypto as the Checksum the signer wants (what @smithy/hash-node does). */
class Sha256 implements Checksum {
  #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret ? createHmac('sha256', toBuffer(secret)) : createHash('sha256');
  }
  update(data: Uint8Array | string): void {
    this.#hash.update(typeof data === 'string' ? data : Buffer.from(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
  reset(): void {
    throw new Error('not supported');
  }
}

const toBuffer = (d: SourceData): Buffer =>
  typeof d === 'string'
    ? Buffer.from(d)
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);

/** RFC 3986 encoding, as SigV4 canonicalizes the query the signature covers. */
const uriEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface PresignedToken {
  token: string;
  /** When kubectl should ask for a new one (a minute before STS stops accepting it). */
  expiresAt: number;
}

export async function presignToken(opts: {
  clusterId: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  now: number;
}): Promise<PresignedToken> {
  const hostname = stsHostFor(opts.region);
  const signer = new SignatureV4({
    service: 'sts',
    region: opts.region,
    credentials: opts.credentials,
    sha256: Sha256,
    uriEscapePath: true,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: opts.clusterId },
    },
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: new Date(opts.now) },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((one) => `${uriEncode(k)}=${uriEncode(String(one))}`),
    )
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return {
    token: TOKEN_PREFIX + Buffer.from(url).toString('base64url'),
    expiresAt: opts.now + TOKEN_LIFETIME_MS - 60_000,
  };
}
