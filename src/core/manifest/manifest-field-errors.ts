// Field errors for manifest admission: core/field-errors.ts plus the two field.Error types only manifest validation
// uses, NotFound and TooMany (apimachinery pkg/util/validation/field/errors.go), for texts such as
// `spec.containers[0].volumeMounts[0].name: Not found: "data"` and
// `spec.podFailurePolicy.rules: Too many: 21: must have at most 20 items`.
import { formatFieldError } from '../field-errors.ts';
import type { FieldError } from '../field-errors.ts';

export interface NotFoundFieldError {
  type: 'FieldValueNotFound';
  field: string;
  value: unknown;
  detail?: string;
}

export interface TooManyFieldError {
  type: 'FieldValueTooMany';
  field: string;
  value: unknown;
  detail: string;
}

export type ManifestFieldError = FieldError | NotFoundFieldError | TooManyFieldError;

/** field.NotFound: `…: Not found: "data"`. */
export const notFound = (field: string, value: unknown): NotFoundFieldError => ({
  type: 'FieldValueNotFound',
  field,
  value,
});

/** field.TooMany: `…: Too many: 21: must have at most 20 items`. */
export function tooMany(field: string, actual: number, max: number): TooManyFieldError {
  return {
    type: 'FieldValueTooMany',
    field,
    value: actual,
    detail: `must have at most ${max} ${max === 1 ? 'item' : 'items'}`,
  };
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * field.Invalid with field.OmitValueType{}: the value is left out of the text
 * (`spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required`).
 */
export function invalidOmitValue(field: string, detail: string): FieldError & { omitValue: true } {
  return { type: 'FieldValueInvalid', field, detail, omitValue: true };
}

/** The API server's text for one field error: `path: Type: value: detail`. */
export function formatManifestFieldError(e: ManifestFieldError): string {
  if ('omitValue' in e && e.omitValue === true) return `${e.field}: Invalid value: ${e.detail ?? ''}`;
  switch (e.type) {
    case 'FieldValueNotFound':
      return `${e.field}: Not found: ${renderValue(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueTooMany':
      return `${e.field}: Too many: ${renderValue(e.value)}: ${e.detail}`;
    default:
      return formatFieldError(e);
  }
}
