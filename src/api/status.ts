// Kubernetes `Status` objects: how every API error reaches a client (apimachinery pkg/api/errors/errors.go). Each
// constructor reproduces the API server's code, reason, message and details for that failure, so kubectl prints
// `Error from server (NotFound): pods "nope" not found` and client libraries classify errors by `reason`.
// Engine errors (ports/errors.ts) are translated here, at the edge.
import type { Status, StatusCause, StatusDetails } from 'kubernetes-types/meta/v1';
import { formatManifestFieldError, type ManifestFieldError } from '../core/manifest/index.ts';
import {
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
  isUnavailable,
  TooLargeError,
} from '../ports/errors.ts';

/** metav1.StatusReason values podflow answers with. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'InternalError'
  | 'NotImplemented'
  | 'ServiceUnavailable';

/** An error the API answers with a `Status` (never a crash). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export const isApiError = (err: unknown): err is ApiError => err instanceof ApiError;

/** errors.NewBadRequest. */
export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

/**
 * The details naming an object: the resource as kind, and for a grouped resource (`jobs.batch`) its group apart, as
 * errors.NewNotFound and the others fill them from a GroupResource.
 */
const detailsOf = (resource: string, name: string): StatusDetails => {
  const dot = resource.indexOf('.');
  return dot < 0
    ? { name, kind: resource }
    : { name, group: resource.slice(dot + 1), kind: resource.slice(0, dot) };
};

/** errors.NewNotFound: `pods "nope" not found`, details.kind is the resource. */
export const notFound = (resource: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${resource} "${name}" not found`, detailsOf(resource, name));

/** The API server's answer to a path it does not serve (genericapiserver NotFound handler). */
export const pathNotFound = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

/**
 * errors.NewForbidden: `pods "x" is forbidden: <why>`, 403, details naming the object (and any causes, such as the
 * NamespaceTerminating cause of the namespace lifecycle admission).
 */
export const forbidden = (
  resource: string,
  name: string,
  why: string,
  causes?: StatusDetails['causes'],
): ApiError =>
  new ApiError(403, 'Forbidden', `${resource} "${name}" is forbidden: ${why}`, {
    ...detailsOf(resource, name),
    ...(causes ? { causes } : {}),
  });

/**
 * The API server's answer to a request its authorizer denied (endpoints/handlers/responsewriters/errors.go
 * forbiddenMessage): `pods is forbidden: User "u" cannot create resource "pods" in API group "" in the namespace
 * "default": <reason>`, or `… at the cluster scope` without a namespace.
 */
export function requestForbidden(
  user: string,
  r: {
    verb: string;
    group: string;
    resource: string;
    subresource?: string;
    name?: string;
    namespace?: string;
  },
  reason: string,
): ApiError {
  const qualified = r.group === '' ? r.resource : `${r.resource}.${r.group}`;
  const what = r.name ? `${qualified} "${r.name}"` : qualified;
  const resource = r.subresource ? `resource "${r.resource}/${r.subresource}"` : `resource "${r.resource}"`;
  const scope = r.namespace === undefined ? 'at the cluster scope' : `in the namespace "${r.namespace}"`;
  return new ApiError(
    403,
    'Forbidden',
    `${what} is forbidden: User "${user}" cannot ${r.verb} ${resource} in API group "${r.group}" ${scope}` +
      (reason ? `: ${reason}` : ''),
    { ...(r.name ? { name: r.name } : {}), group: r.group, kind: r.resource },
  );
}

/** errors.NewMethodNotSupported / the mux's answer to a verb a path does not serve. */
export const methodNotAllowed = (): ApiError =>
  new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );

export const alreadyExists = (resource: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${resource} "${name}" already exists`, detailsOf(resource, name));

/** errors.NewConflict: `Operation cannot be fulfilled on pods "x": <why>`. */
export const conflict = (resource: string, name: string, why: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource} "${name}": ${why}`,
    detailsOf(resource, name),
  );

/** The version a list or watch asked for is gone (etcd compaction; here: the replay window). */
export const gone = (message: string): ApiError => new ApiError(410, 'Gone', message);

/**
 * A watch's version is older than the history kept (k8s.io/apimachinery/pkg/api/errors NewResourceExpired, what
 * the watch cache answers: "too old resource version").
 */
export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const unsupportedMediaType = (message: string): ApiError =>
  new ApiError(415, 'UnsupportedMediaType', message);

export const notAcceptable = (message: string): ApiError => new ApiError(406, 'NotAcceptable', message);

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

/** What this deployment cannot do (logs and exec in the cloud, where no container runtime is attached). */
export const notImplemented = (message: string): ApiError => new ApiError(501, 'NotImplemented', message);

/** errors.NewRequestEntityTooLargeError. */
export const tooLarge = (message: string): ApiError =>
  new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);

/** field.Error.ErrorBody: the message without the `field: ` prefix. */
function errorBody(e: ManifestFieldError): string {
  const text = formatManifestFieldError(e);
  const prefix = `${e.field}: `;
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

/**
 * errors.NewInvalid: `Pod "x" is invalid: [a, b]` (no brackets for a single error), 422, one cause per field error
 * with the field error type as its reason (`FieldValueRequired`, …).
 */
export function invalid(
  kind: string,
  name: string,
  fieldErrors: readonly ManifestFieldError[],
  group?: string,
): ApiError {
  const texts = fieldErrors.map(formatManifestFieldError);
  const list = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  const causes: StatusCause[] = fieldErrors.map((e) => ({
    reason: e.type,
    message: errorBody(e),
    field: e.field,
  }));
  const qualified = group ? `${kind}.${group}` : kind;
  return new ApiError(422, 'Invalid', `${qualified} "${name}" is invalid: ${list}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes,
  });
}

/**
 * Translates anything thrown while serving a request into a Status. Engine errors keep their meaning; anything
 * unexpected is an internal fault: 500, reported through `onInternal` (logged), never a crash.
 */
export function toApiError(err: unknown, onInternal: (err: unknown) => void): ApiError {
  if (isApiError(err)) return err;
  if (isInvalid(err)) {
    const name = /^\w+ "([^"]*)"/.exec(err.message)?.[1] ?? '';
    return invalid('Pod', name, err.fieldErrors);
  }
  // The stores word these as the API server does (`configmaps "x" not found`): resource and name come from there.
  const named = /^(?:Operation cannot be fulfilled on )?([a-z]+) "([^"]*)"/.exec(
    err instanceof Error ? err.message : '',
  );
  const resource = named?.[1] ?? 'pods';
  const name = named?.[2] ?? '';
  if (isNotFound(err)) return new ApiError(404, 'NotFound', err.message, { name, kind: resource });
  if (isAlreadyExists(err)) return alreadyExists(resource, name);
  if (isConflict(err)) return new ApiError(409, 'Conflict', err.message, { name, kind: resource });
  if (err instanceof TooLargeError) return tooLarge(err.message);
  onInternal(err);
  if (isUnavailable(err)) return unavailable(err.message);
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** How long a client waits before it retries a request a dependency failed (Retry-After, details.retryAfterSeconds). */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/**
 * 503 ServiceUnavailable with Retry-After (errors.go NewServiceUnavailable, plus the retry hint the API server gives
 * a request it may serve later): a dependency failed in a way a retry may get past. client-go retries a response
 * with Retry-After.
 */
export function unavailable(message: string): ApiError {
  return new ApiError(
    503,
    'ServiceUnavailable',
    `the server is currently unable to handle the request: ${message}`,
    {
      retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    },
  );
}

/** The headers of an error answer: its content type, and Retry-After when the Status says when to retry. */
export function statusHeaders(err: ApiError): Record<string, string> {
  const retryAfter = err.details?.retryAfterSeconds;
  return {
    'content-type': 'application/json',
    ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
  };
}

/** The `Status` an operation that succeeded without an object to return answers with (e.g. exec's error channel). */
export const successStatus = (): Status => ({ metadata: {}, status: 'Success' });
