// Errors every adapter translates its technology's failures into ("errors translated at the edge"):
// e.g. DynamoDB's ConditionalCheckFailedException becomes a ConflictError in DynamoDbPodStore. Callers ask
// `isConflict(err)` and never see an AWS error type.
import { formatManifestFieldError, type ManifestFieldError } from '../core/manifest/manifest-field-errors.ts';

export class ConflictError extends Error {
  override name = 'ConflictError';
}
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
export class AlreadyExistsError extends Error {
  override name = 'AlreadyExistsError';
}
/** An object that would not fit: DynamoDB items are limited to 400 KB. */
export class TooLargeError extends Error {
  override name = 'TooLargeError';
}

/**
 * A dependency (the store, the workflow service) failed in a way a later retry may get past — throttled, unavailable,
 * timed out — after the adapter's own retries. The API answers 503 with Retry-After, which clients retry.
 */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}

/** A request the API server would answer with 422 Invalid: the field errors say why. */
export class InvalidError extends Error {
  override name = 'InvalidError';
  readonly fieldErrors: ManifestFieldError[];
  constructor(kind: string, name: string, fieldErrors: ManifestFieldError[]) {
    super(`${kind} "${name}" is invalid: ${fieldErrors.map(formatManifestFieldError).join(', ')}`);
    this.fieldErrors = fieldErrors;
  }
}

export const isConflict = (err: unknown): err is ConflictError => err instanceof ConflictError;
export const isNotFound = (err: unknown): err is NotFoundError => err instanceof NotFoundError;
export const isAlreadyExists = (err: unknown): err is AlreadyExistsError => err instanceof AlreadyExistsError;
export const isInvalid = (err: unknown): err is InvalidError => err instanceof InvalidError;
export const isUnavailable = (err: unknown): err is UnavailableError => err instanceof UnavailableError;
