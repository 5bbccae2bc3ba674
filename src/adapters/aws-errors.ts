// What the AWS adapters tell apart in an SDK error that is left after the client's own retries.

/** Error names the SDKs retry as throttling (smithy-lang retry, service-error-classification THROTTLING_ERROR_CODES). */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
/** …and as transient (TRANSIENT_ERROR_CODES, NODEJS_TIMEOUT_ERROR_CODES, NODEJS_NETWORK_ERROR_CODES). */
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether a later retry may get past the error, as the SDKs' own retry strategy classifies it: throttling (429, the
 * throttling error names, a `$retryable` trait), a transient service error (500, 502, 503, 504), a timeout, or a
 * network failure. By shape, not instanceof: a caller's client may come from another copy of the SDK.
 */
export function isTransientAwsError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as {
    name?: unknown;
    code?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    e.$retryable !== undefined ||
    status === 429 ||
    [500, 502, 503, 504].includes(status) ||
    THROTTLING.has(String(e.name)) ||
    TRANSIENT.has(String(e.name)) ||
    NETWORK.has(String(e.code))
  );
}
