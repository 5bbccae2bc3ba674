// Kubernetes-style field errors (upstream: staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors.go).
// Validation collects every error and reports them together, as the API server does; the API layer turns a list
// into a 422 `Status` whose details.causes carry `field`, `reason` and `message`.

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTypeInvalid'
  | 'FieldValueUnknown';

export interface FieldError {
  type: FieldErrorType;
  /** JSON-ish path as the API server prints it: `spec.containers[0].livenessProbe.successThreshold`. */
  field: string;
  /** The offending value, when the message shows it. */
  value?: unknown;
  /** The detail after the type text, e.g. `must be 1`. */
  detail?: string;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueUnknown: 'Unknown field',
};

/** Types whose message shows the value (field.Error.ErrorBody). */
const SHOWS_VALUE = new Set<FieldErrorType>([
  'FieldValueInvalid',
  'FieldValueNotSupported',
  'FieldValueDuplicate',
  'FieldValueTypeInvalid',
]);

export const required = (field: string, detail?: string): FieldError => ({
  type: 'FieldValueRequired',
  field,
  detail,
});
export const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail,
});
export const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  value,
  detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});
export const duplicate = (field: string, value: unknown): FieldError => ({
  type: 'FieldValueDuplicate',
  field,
  value,
});
export const forbidden = (field: string, detail: string): FieldError => ({
  type: 'FieldValueForbidden',
  field,
  detail,
});
export const tooLong = (field: string, max: number): FieldError => ({
  type: 'FieldValueTooLong',
  field,
  detail: `may not be more than ${max} bytes`,
});
export const typeInvalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueTypeInvalid',
  field,
  value,
  detail,
});
export const unknownField = (field: string): FieldError => ({ type: 'FieldValueUnknown', field });

/** Go's %v-ish rendering of a value, as the API server prints it in field errors. */
function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** `spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1` */
export function formatFieldError(e: FieldError): string {
  let body = TYPE_TEXT[e.type];
  if (SHOWS_VALUE.has(e.type)) body += `: ${renderValue(e.value)}`;
  if (e.detail) body += `: ${e.detail}`;
  return `${e.field}: ${body}`;
}

/** Builds child paths the way field.Path does: `spec` → `spec.containers[0]` → `spec.containers[0].name`. */
export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}
