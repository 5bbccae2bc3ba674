import { formatFieldError, type FieldError } from '../core/field-errors.ts';

/** A request the API server would answer with 422 Invalid: the field errors say why. */
export class InvalidError extends Error {
  override name = 'InvalidError';
  readonly fieldErrors: FieldError[];
  constructor(kind: string, name: string, fieldErrors: FieldError[]) {
    super(`${kind} "${name}" is invalid: ${fieldErrors.map(formatFieldError).join(', ')}`);
    this.fieldErrors = fieldErrors;
  }
}

export const isInvalid = (err: unknown): err is InvalidError => err instanceof InvalidError;
