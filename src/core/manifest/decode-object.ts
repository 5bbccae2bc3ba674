// Decodes a parsed manifest against the generated schema, the way the API server's typed decoder does
// (sigs.k8s.io/json, case-sensitive field names):
// - a field the schema does not declare is dropped and reported: `unknown field "spec.containers[0].imagee"`;
// - a value of the wrong JSON type is a decoding error, with encoding/json's text:
//   `json: cannot unmarshal number into Go struct field EnvVar.spec.containers.env.value of type string`;
// - `null` means "not set" (the Go zero value), so null fields are dropped;
// - quantities are parsed and re-printed in canonical form (`1000m` → `1`, `1024Mi` → `1Gi`), as the API server
//   stores them. A malformed quantity is a decoding error upstream without a field path; here it is reported as a
//   field error on the exact path (`spec.containers[0].resources.limits[cpu]: Invalid value: "1x": quantities must
//   match the regular expression …`) because that is what a user needs to fix it;
// - a `[]byte` (bytes: Secret.data, ConfigMap.binaryData) must be base64, or it is the decoding error
//   `illegal base64 data at input byte N`; it stays base64 in the decoded object, as the API serves it.
import { decodeBase64 } from '../base64.ts';
import { invalid } from '../field-errors.ts';
import type { FieldError } from '../field-errors.ts';
import { formatQuantity, parseQuantity, QuantityParseError } from '../quantity.ts';
import { isPlainObject } from './kinds.ts';
import { MANIFEST_SCHEMA } from './schema.generated.ts';

export interface DecodeResult {
  /** A copy of the input without unknown fields, nulls or mistyped values; quantities canonical. */
  object: Record<string, unknown>;
  /** Paths of fields the schema does not declare, as the API server prints them. */
  unknownFields: string[];
  /** encoding/json-style type errors; when any is present the object cannot be trusted further. */
  typeErrors: string[];
  /** Malformed quantities. */
  quantityErrors: FieldError[];
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

interface Ctx {
  unknownFields: string[];
  typeErrors: string[];
  quantityErrors: FieldError[];
}

/** Go package-qualified type name encoding/json prints for a schema type (`V1Container` → `v1.Container`). */
function goTypeName(type: string): string {
  if (type.endsWith('[]')) return `[]${goTypeName(type.slice(0, -2))}`;
  const map = /^\{(.+)\}$/.exec(type);
  if (map) return `map[string]${goTypeName(map[1]!)}`;
  switch (type) {
    case 'string':
    case 'int32':
    case 'int64':
      return type;
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'date-time':
      return 'v1.Time';
    case 'quantity':
      return 'resource.Quantity';
    case 'bytes':
      return '[]uint8';
    case 'int-or-string':
      return 'intstr.IntOrString';
    default:
      return `v1.${structName(type)}`;
  }
}

/** `V1EnvVar` → `EnvVar`, `CoreV1ResourceClaim` → `ResourceClaim`. */
const structName = (type: string): string => type.replace(/^(Core)?V\d+(alpha\d+|beta\d+)?/, '');

/** encoding/json UnmarshalTypeError.Value: the JSON kind of the offending value. */
function jsonKind(value: unknown, wantInteger: boolean): string {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number')
    return wantInteger && !Number.isInteger(value) ? `number ${value}` : 'number';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

/** Zero value Go gives a `null` element of a list. */
function zeroValue(type: string): unknown {
  switch (type) {
    case 'string':
    case 'date-time':
    case 'bytes':
      return '';
    case 'int32':
    case 'int64':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      return type.endsWith('[]') ? [] : type.startsWith('{') ? {} : MANIFEST_SCHEMA[type] ? {} : null;
  }
}

/**
 * @param path   API-server path of the value (`spec.containers[0].image`), used for unknown fields.
 * @param goPath encoding/json's dotted field path (`spec.containers.image`), used for type errors.
 * @param owner  schema type of the struct holding the field (for `Go struct field Container.…`).
 */
function decodeValue(
  value: unknown,
  type: string,
  path: string,
  goPath: string,
  owner: string,
  ctx: Ctx,
): unknown {
  const typeError = (wantInteger = false): undefined => {
    ctx.typeErrors.push(
      `json: cannot unmarshal ${jsonKind(value, wantInteger)} into Go struct field ${structName(owner)}.${goPath} of type ${goTypeName(type)}`,
    );
    return undefined;
  };
  if (type === 'any') return value;
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) return typeError();
    const inner = type.slice(0, -2);
    return value.map((item, i) =>
      item === null ? zeroValue(inner) : decodeValue(item, inner, `${path}[${i}]`, goPath, owner, ctx),
    );
  }
  const map = /^\{(.+)\}$/.exec(type);
  if (map) {
    if (!isPlainObject(value)) return typeError();
    const inner = map[1]!;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const decoded =
        v === null ? zeroValue(inner) : decodeValue(v, inner, `${path}[${k}]`, goPath, owner, ctx);
      if (decoded !== undefined) out[k] = decoded;
    }
    return out;
  }
  switch (type) {
    case 'string':
    case 'date-time':
      return typeof value === 'string' ? value : typeError();
    case 'boolean':
      return typeof value === 'boolean' ? value : typeError();
    case 'number':
      return typeof value === 'number' ? value : typeError();
    case 'int32':
    case 'int64': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return typeError(true);
      if (type === 'int32' && (value < INT32_MIN || value > INT32_MAX)) return typeError(true);
      return value;
    }
    case 'bytes': {
      if (typeof value !== 'string') return typeError();
      const decoded = decodeBase64(value);
      if (decoded.ok) return value;
      ctx.typeErrors.push(decoded.message);
      return undefined;
    }
    case 'int-or-string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      return typeError(true);
    case 'quantity': {
      if (typeof value !== 'string' && typeof value !== 'number') return typeError();
      try {
        return formatQuantity(parseQuantity(value));
      } catch (err) {
        if (!(err instanceof QuantityParseError)) throw err;
        ctx.quantityErrors.push(invalid(path, value, err.message));
        return undefined;
      }
    }
  }
  const fields = MANIFEST_SCHEMA[type];
  if (!fields) return value; // a type the schema does not describe: keep as is
  if (!isPlainObject(value)) return typeError();
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const fieldType = fields[key];
    const childPath = path ? `${path}.${key}` : key;
    if (fieldType === undefined) {
      ctx.unknownFields.push(childPath);
      continue;
    }
    if (v === null) continue;
    const childGoPath = goPath ? `${goPath}.${key}` : key;
    const decoded = decodeValue(v, fieldType, childPath, childGoPath, type, ctx);
    if (decoded !== undefined) out[key] = decoded;
  }
  return out;
}

/** Decodes `raw` as an object of schema type `rootType` (e.g. `V1Pod`). */
export function decodeWithSchema(raw: Record<string, unknown>, rootType: string): DecodeResult {
  const ctx: Ctx = { unknownFields: [], typeErrors: [], quantityErrors: [] };
  const object = decodeValue(raw, rootType, '', '', rootType, ctx) as Record<string, unknown>;
  return { object, ...ctx };
}
