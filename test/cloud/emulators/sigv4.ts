// TEST DOUBLE support — AWS Signature Version 4 as the IAM user guide specifies it ("Create a signed AWS API
// request"): canonical request → string to sign → HMAC-SHA256 with the key derived from the secret, the date, the
// region and the service. The API Gateway front verifies requests with it (AWS_IAM authorization), the signing proxy
// that kubectl talks through signs with it, and the STS emulator verifies presigned URLs ("Authenticating requests:
// using query parameters") with `verifyPresigned`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignableRequest {
  method: string;
  /** The path as sent on the wire (percent-encoded), without the query. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 requires. */
const uriEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Each segment of the wire path encoded once more ("URI-encode each path segment twice", non-S3 services). */
const canonicalUri = (path: string): string => path.split('/').map(uriEncode).join('/') || '/';

const canonicalQuery = (query: URLSearchParams): string =>
  [...query]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

const headerValue = (v: string | string[] | undefined): string =>
  (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');

function signature(
  req: SignableRequest,
  signedHeaders: string[],
  amzDate: string,
  scope: { date: string; region: string; service: string },
  secret: string,
): string {
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headerValue(req.headers[h])}\n`).join('');
  // HashedPayload is the hash of the body received, never a hash the request claims (x-amz-content-sha256 is S3's):
  // a body changed on the way fails the signature.
  const payloadHash = sha256Hex(req.body);
  const canonicalRequest = [
    req.method,
    canonicalUri(req.path),
    canonicalQuery(req.query),
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${secret}`, scope.date);
  const kSigning = hmac(hmac(hmac(kDate, scope.region), scope.service), 'aws4_request');
  return hmac(kSigning, stringToSign).toString('hex');
}

/** Adds `x-amz-date`, `x-amz-content-sha256` and `authorization` to `req.headers` (which must hold `host`). */
export function signRequest(
  req: SignableRequest,
  credentials: Credentials,
  region: string,
  service: string,
  now = Date.now(),
): void {
  const amzDate = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  req.headers['x-amz-date'] = amzDate;
  req.headers['x-amz-content-sha256'] = sha256Hex(req.body);
  const signedHeaders = Object.keys(req.headers)
    .map((h) => h.toLowerCase())
    .filter((h) => h === 'host' || h.startsWith('x-amz-') || h === 'content-type')
    .sort();
  const date = amzDate.slice(0, 8);
  const sig = signature(req, signedHeaders, amzDate, { date, region, service }, credentials.secretAccessKey);
  req.headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${date}/${region}/${service}/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`;
}

export type VerifyResult =
  { ok: true; accessKeyId: string } | { ok: false; errorType: string; message: string };

/** How far a request's X-Amz-Date may be from the server's clock ("Signature expired" after 5 minutes). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Verifies a header-signed request as API Gateway does for AWS_IAM methods, answering with the error type API Gateway
 * reports: MissingAuthenticationTokenException (no Authorization header), IncompleteSignatureException (a malformed
 * one), UnrecognizedClientException (an unknown access key), InvalidSignatureException (a wrong signature or an
 * expired date).
 */
export function verifyRequest(
  req: SignableRequest,
  lookup: (accessKeyId: string) => Credentials | undefined,
  region: string,
  service: string,
  now = Date.now(),
): VerifyResult {
  const auth = headerValue(req.headers.authorization);
  if (!auth)
    return {
      ok: false,
      errorType: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  const amzDate = headerValue(req.headers['x-amz-date']);
  if (!m || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    return {
      ok: false,
      errorType: 'IncompleteSignatureException',
      message: `Authorization header requires 'Credential', 'Signature', 'SignedHeaders' and a valid 'X-Amz-Date'.`,
    };
  }
  const [, accessKeyId, date, scopeRegion, scopeService, signedList, given] = m as unknown as string[];
  const creds = lookup(accessKeyId!);
  if (!creds)
    return {
      ok: false,
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  if (scopeRegion !== region || scopeService !== service || date !== amzDate.slice(0, 8)) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: `Credential should be scoped to a valid region and service ${service}.`,
    };
  }
  const at = Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );
  if (Math.abs(now - at) > MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: 'Signature expired: the request date is more than 5 minutes away from the server time.',
    };
  }
  const signedHeaders = signedList!.split(';');
  if (!signedHeaders.includes('host')) {
    return {
      ok: false,
      errorType: 'IncompleteSignatureException',
      message: "'Host' must be a signed header.",
    };
  }
  const expected = signature(
    req,
    signedHeaders,
    amzDate,
    { date: date!, region, service },
    creds.secretAccessKey,
  );
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(given!))) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true, accessKeyId: accessKeyId! };
}

/** A credential the emulators know: its secret, and the session token temporary credentials must carry. */
export interface KnownCredentials extends Credentials {
  sessionToken?: string;
}

const parseAmzDate = (amzDate: string): number =>
  Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );

/**
 * Verifies a request signed in its query string (a presigned URL): X-Amz-Algorithm, -Credential, -Date, -Expires,
 * -SignedHeaders and -Signature in the query, the signature over the canonical request without X-Amz-Signature. A
 * request older than `lifetimeMs` after its X-Amz-Date is refused whatever its X-Amz-Expires — STS keeps a presigned
 * GetCallerIdentity for 15 minutes and ignores X-Amz-Expires.
 */
export function verifyPresigned(
  req: SignableRequest,
  lookup: (accessKeyId: string) => KnownCredentials | undefined,
  region: string,
  service: string,
  now: number,
  lifetimeMs: number,
): VerifyResult {
  const q = req.query;
  const credential = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(
    q.get('X-Amz-Credential') ?? '',
  );
  const amzDate = q.get('X-Amz-Date') ?? '';
  const given = q.get('X-Amz-Signature') ?? '';
  const signedList = q.get('X-Amz-SignedHeaders') ?? '';
  if (
    q.get('X-Amz-Algorithm') !== ALGORITHM ||
    !credential ||
    !/^\d{8}T\d{6}Z$/.test(amzDate) ||
    !/^[0-9a-f]{64}$/.test(given) ||
    !signedList
  )
    return {
      ok: false,
      errorType: 'IncompleteSignature',
      message: 'Request is missing Authentication Token',
    };
  const [, accessKeyId, date, scopeRegion, scopeService] = credential as unknown as string[];
  const creds = lookup(accessKeyId!);
  if (!creds)
    return {
      ok: false,
      errorType: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
    };
  if (creds.sessionToken !== undefined && q.get('X-Amz-Security-Token') !== creds.sessionToken)
    return {
      ok: false,
      errorType: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
    };
  if (scopeRegion !== region || scopeService !== service || date !== amzDate.slice(0, 8))
    return {
      ok: false,
      errorType: 'SignatureDoesNotMatch',
      message: `Credential should be scoped to a valid region and service ${service}.`,
    };
  if (now > parseAmzDate(amzDate) + lifetimeMs)
    return {
      ok: false,
      errorType: 'ExpiredToken',
      message: 'The security token included in the request is expired',
    };
  const signedHeaders = signedList.split(';');
  if (!signedHeaders.includes('host'))
    return { ok: false, errorType: 'SignatureDoesNotMatch', message: "'Host' must be a signed header." };
  const unsigned = new URLSearchParams([...q].filter(([k]) => k !== 'X-Amz-Signature'));
  const expected = signature(
    { ...req, query: unsigned },
    signedHeaders,
    amzDate,
    { date: date!, region, service },
    creds.secretAccessKey,
  );
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(given)))
    return {
      ok: false,
      errorType: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  return { ok: true, accessKeyId: accessKeyId! };
}
