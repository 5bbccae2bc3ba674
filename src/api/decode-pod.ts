// Turning a request body into a Pod the way the API server's create and update handlers do
// (apiserver pkg/endpoints/handlers/create.go, update.go, rest.go transformDecodeError): the body's media type picks
// the decoder (JSON or YAML), a missing apiVersion/kind defaults to the URL's (v1 Pod), another kind or version is
// a 400 naming both, type errors are 400 `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal …`,
// unknown and duplicate fields are warnings (`fieldValidation=Warn`, the default), 400 under Strict, silent under
// Ignore; then defaulting and validation (core/manifest admitManifestObject), whose field errors are 422 Invalid.
import type { Pod } from 'kubernetes-types/core/v1';
import { decodeWithSchema } from '../core/manifest/decode-object.ts';
import {
  admitManifestObject,
  formatManifestFieldError,
  MAX_MANIFEST_OBJECT_BYTES,
  parseManifests,
  type ManifestFieldError,
} from '../core/manifest/index.ts';
import { isPlainObject } from '../core/manifest/kinds.ts';
import { ROOT_TYPES } from '../core/manifest/schema.generated.ts';
import { checkBodyDepth, type FieldValidation } from './request.ts';
import type { ApiError } from './status.ts';
import { badRequest, invalid, tooLarge, unsupportedMediaType } from './status.ts';

/** The API server's legacy scheme, named in its "no kind is registered" messages. */
const LEGACY_SCHEME = 'pkg/api/legacyscheme/scheme.go:30';

/** core/v1 kinds a client may post to the wrong endpoint: registered upstream, just not the endpoint's kind. */
const CORE_V1_KINDS = new Set([
  'Pod',
  'Binding',
  'ConfigMap',
  'Endpoints',
  'Event',
  'LimitRange',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'PodTemplate',
  'ReplicationController',
  'ResourceQuota',
  'Secret',
  'Service',
  'ServiceAccount',
]);

const ACCEPTED_BODY_TYPES = 'application/json, application/yaml';

/** What a body's media type says about how to read it. */
export function bodyFormat(mediaType: string): 'json' | 'yaml' {
  if (mediaType === '' || mediaType === 'application/json') return 'json';
  if (mediaType === 'application/yaml' || mediaType === 'application/x-yaml' || mediaType === 'text/yaml')
    return 'yaml';
  throw unsupportedMediaType(
    `the body of the request was in an unknown format - accepted media types include: ${ACCEPTED_BODY_TYPES}`,
  );
}

/** A short excerpt of the body for messages (rest.go summarizeData). */
function summarize(text: string, max = 30): string {
  return text.length > max ? `${text.slice(0, max)} ...` : text;
}

/** Where a message would quote the body: ` (<excerpt>)`, or nothing for a body that may hold a Secret's values. */
const excerptOf = (text: string, quote: boolean): string => (quote ? ` (${summarize(text)})` : '');

/**
 * Parses the body into one plain object. JSON syntax errors and YAML errors are 400s with the decoder's words;
 * a body that is not one object (a list, a scalar) is a 400 too. `quoteBody: false` keeps excerpts of the body out
 * of the messages (a Secret's values must not come back in an error, nor reach a log).
 */
export function parseObjectBody(
  text: string,
  format: 'json' | 'yaml',
  kind: string,
  { quoteBody = true }: { quoteBody?: boolean } = {},
): Record<string, unknown> {
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${quoteBody ? (err as Error).message : 'invalid JSON'}${excerptOf(text, quoteBody)}`,
      );
    }
  } else {
    let parsed: ReturnType<typeof parseManifests>;
    try {
      parsed = parseManifests(text, 'body');
    } catch (err) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${kind}): error converting YAML to JSON: ${quoteBody ? (err as Error).message : 'invalid YAML'}`,
      );
    }
    const first = parsed.errors[0];
    if (first) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${kind}): error converting YAML to JSON: yaml: line ${first.line ?? 0}: ${quoteBody ? first.message : 'invalid YAML'}`,
      );
    }
    if (parsed.objects.length !== 1) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${kind}): expected one object, found ${parsed.objects.length}${excerptOf(text, quoteBody)}`,
      );
    }
    value = parsed.objects[0]!.object;
  }
  checkBodyDepth(value);
  if (!isPlainObject(value)) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }${excerptOf(text, quoteBody)}`,
    );
  }
  return value;
}

/**
 * The create handler's kind check: a missing apiVersion/kind takes the URL's (`expectedApiVersion` `expected`);
 * anything else is refused as the API server refuses it. Returns the object with apiVersion and kind set.
 */
export function checkObjectKind(
  raw: Record<string, unknown>,
  expected: string,
  expectedApiVersion = 'v1',
): Record<string, unknown> {
  const apiVersion =
    typeof raw.apiVersion === 'string' && raw.apiVersion !== '' ? raw.apiVersion : expectedApiVersion;
  const kind = typeof raw.kind === 'string' && raw.kind !== '' ? raw.kind : expected;
  const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
  if (apiVersion !== expectedApiVersion) {
    throw badRequest(
      `${kind} in version "${version}" cannot be handled as a ${expected}: no kind "${kind}" is registered for version "${apiVersion}" in scheme "${LEGACY_SCHEME}"`,
    );
  }
  if (kind !== expected) {
    throw badRequest(
      CORE_V1_KINDS.has(kind)
        ? `${kind} in version "v1" cannot be handled as a ${expected}: converting (v1.${kind}) to (core.${expected}): unknown conversion`
        : `${kind} in version "v1" cannot be handled as a ${expected}: no kind "${kind}" is registered for version "v1" in scheme "${LEGACY_SCHEME}"`,
    );
  }
  return { ...raw, apiVersion, kind };
}

/** checkObjectKind for the pods endpoints. */
export const checkPodKind = (raw: Record<string, unknown>): Record<string, unknown> =>
  checkObjectKind(raw, 'Pod');

/** Messages of the decoder about unknown or duplicate fields (what fieldValidation governs). */
const isDecodeWarning = (w: string): boolean =>
  /^unknown field "/.test(w) ||
  /^duplicate field "/.test(w) ||
  /^line \d+: key ".*" already set in map$/.test(w);

export interface AdmittedPod {
  pod: Pod;
  warnings: string[];
}

/** The 400 a decoding type error gets (transformDecodeError). */
const typeErrorStatus = (message: string): ApiError =>
  badRequest(`Pod in version "v1" cannot be handled as a Pod: ${message}`);

const STRICT_PREFIX = 'strict decoding error: ';

/**
 * Admits a pod for create: decode (types, unknown fields per `fieldValidation`), support policy, defaulting,
 * validation. `text` is the body; `raw` its parsed, kind-checked object.
 */
export function admitPodForCreate(
  raw: Record<string, unknown>,
  namespace: string,
  opts: { fieldValidation: FieldValidation; now: number; newUid: () => string },
): AdmittedPod {
  const meta = isPlainObject(raw.metadata) ? raw.metadata : undefined;
  if (
    meta !== undefined &&
    meta.namespace !== undefined &&
    meta.namespace !== '' &&
    meta.namespace !== namespace
  )
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (Buffer.byteLength(JSON.stringify(raw)) > MAX_MANIFEST_OBJECT_BYTES)
    throw tooLarge(
      `the object is larger than ${MAX_MANIFEST_OBJECT_BYTES} bytes (256 KiB), podflow's limit per object`,
    );
  // The parsed body itself: a JSON body is read once (a YAML body was read by parseObjectBody).
  const doc = admitManifestObject(raw, 'request body', {
    strict: opts.fieldValidation === 'Strict',
    now: opts.now,
    newUid: opts.newUid,
    namespace,
  });
  const warnings = doc.warnings.filter((w) => opts.fieldValidation !== 'Ignore' || !isDecodeWarning(w));
  if (doc.valid && doc.object) return { pod: doc.object as Pod, warnings };
  const fieldTexts = new Set(doc.fieldErrors.map((e) => fieldErrorText(e)));
  const other = doc.errors.filter((e) => !fieldTexts.has(e));
  const strict = other.filter((e) => e.startsWith(STRICT_PREFIX));
  if (strict.length > 0)
    throw badRequest(`${STRICT_PREFIX}${strict.map((e) => e.slice(STRICT_PREFIX.length)).join(', ')}`);
  const typeError = other.find((e) => e.startsWith('json: '));
  if (typeError) throw typeErrorStatus(typeError);
  if (other.length > 0) throw badRequest(other.join('; '));
  const name =
    typeof meta?.name === 'string' && meta.name !== ''
      ? meta.name
      : typeof meta?.generateName === 'string'
        ? meta.generateName
        : '';
  throw invalid('Pod', name, doc.fieldErrors);
}

/** admitManifestObject renders field errors with this; the texts tell its field errors from its other errors. */
const fieldErrorText = (e: ManifestFieldError): string => formatManifestFieldError(e);

/**
 * Decodes an object for update (PUT body, or the result of a patch): type errors and unknown fields as on create.
 * `typeErrorAsInvalid`: a patched object that does not decode is the patch's fault — 422 on the `patch` field, as
 * the patch handler answers.
 */
export function decodePodForUpdate(
  raw: Record<string, unknown>,
  name: string,
  opts: { fieldValidation: FieldValidation; typeErrorAsInvalid?: boolean },
): AdmittedPod {
  const decoded = decodeWithSchema(raw, ROOT_TYPES['v1/Pod']!);
  if (decoded.typeErrors.length > 0) {
    if (opts.typeErrorAsInvalid) {
      throw invalid('Pod', name, [
        {
          type: 'FieldValueInvalid',
          field: 'patch',
          value: summarize(JSON.stringify(raw), 120),
          detail: decoded.typeErrors[0]!,
        },
      ]);
    }
    throw typeErrorStatus(decoded.typeErrors[0]!);
  }
  if (decoded.quantityErrors.length > 0) throw invalid('Pod', name, decoded.quantityErrors);
  const unknown = decoded.unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`);
  if (opts.fieldValidation === 'Strict' && unknown.length > 0)
    throw badRequest(`${STRICT_PREFIX}${unknown.join(', ')}`);
  return { pod: decoded.object as Pod, warnings: opts.fieldValidation === 'Ignore' ? [] : unknown };
}
