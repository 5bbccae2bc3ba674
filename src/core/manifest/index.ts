// Manifest admission: text in, defaulted objects (or the reasons they are refused) out. `podflow validate`,
// `podflow run` and the API's create handlers all call admitManifests, so a manifest is judged the same way
// everywhere. The steps follow the API server's create path:
//   parse (YAML/JSON) → kind → decode against the schema (unknown/duplicate fields, types) → podflow's support
//   policy → defaulting (uid, timestamps, defaults) → validation.
// Everything is collected; nothing stops at the first error except a decoding type error, after which the object's
// shape cannot be trusted (the API server stops there too).
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { decodeWithSchema } from './decode-object.ts';
import { defaultPod } from './default-pod.ts';
import type { CreateContext } from './default-pod.ts';
import { defaultCronJob, defaultJob } from './default-workloads.ts';
import { describeObject, KIND_API_VERSION, registeredKind, REGISTERED_KINDS } from './kinds.ts';
import type { ManifestKind, ManifestObject } from './kinds.ts';
import { formatManifestFieldError } from './manifest-field-errors.ts';
import type { ManifestFieldError } from './manifest-field-errors.ts';
import { formatManifestError, parseManifests } from './parse-manifests.ts';
import type { ParsedManifest } from './parse-manifests.ts';
import { ROOT_TYPES } from './schema.generated.ts';
import { checkSupportPolicy } from './support-policy.ts';
import { validatePod } from './validate-pod.ts';
import { validateCronJob, validateJob } from './validate-workloads.ts';

export { parseManifests, formatManifestError } from './parse-manifests.ts';
export type { ManifestError, ParsedManifest, ParseManifestsResult } from './parse-manifests.ts';
export { defaultPod, defaultPodSpec, defaultContainer } from './default-pod.ts';
export type { CreateContext } from './default-pod.ts';
export { defaultJob, defaultCronJob } from './default-workloads.ts';
export { validatePod, validatePodSpec, validatePodTemplateSpec } from './validate-pod.ts';
export { validateJob, validateCronJob } from './validate-workloads.ts';
export { formatManifestFieldError } from './manifest-field-errors.ts';
export type { ManifestFieldError } from './manifest-field-errors.ts';
export { checkSupportPolicy, renderSupportedFieldsDoc, SUPPORT_POLICY } from './support-policy.ts';
export { parseCronSchedule } from './cron.ts';
export type { ManifestKind, ManifestObject } from './kinds.ts';

/**
 * docs/architecture.md §7: a pod item must stay well under DynamoDB's 400 KB item limit, so podflow refuses any
 * object whose JSON is larger than 256 KiB.
 */
export const MAX_MANIFEST_OBJECT_BYTES = 256 * 1024;

export interface AdmitOptions extends CreateContext {
  /**
   * The API server's `fieldValidation=Strict`: unknown and duplicate fields are errors. Default (`Warn`): warnings.
   */
  strict?: boolean;
}

/** The verdict on one object of the text. */
export interface AdmittedDocument {
  source: string;
  /** 0-based YAML document index, and index within a List / JSON array. */
  doc: number;
  item?: number;
  /** 1-based line where the object starts. */
  line: number;
  /** How messages name this object: `pod.yaml`, or `all.yaml (document 2)` when the text holds several. */
  label: string;
  kind?: ManifestKind;
  /** `Pod default/myapp-pod`, once the kind is known. */
  description?: string;
  valid: boolean;
  /** The admitted object (defaulted), when valid. */
  object?: ManifestObject;
  /** Messages without the label. */
  warnings: string[];
  errors: string[];
  /** Kubernetes field errors among `errors` (validation and support policy), structured. */
  fieldErrors: ManifestFieldError[];
}

export interface AdmittedObject {
  kind: ManifestKind;
  object: ManifestObject;
  source: string;
  doc: number;
  item?: number;
}

export interface AdmitResult {
  /** Admitted objects, defaulted, in the order of the text. */
  objects: AdmittedObject[];
  /** Every object found, valid or not. */
  documents: AdmittedDocument[];
  /** Every warning, prefixed with its label: `pod.yaml: unknown field "spec.containers[0].imagee"`. */
  warnings: string[];
  /** Every error, prefixed: `pod.yaml: spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1`. */
  errors: string[];
  fieldErrors: ManifestFieldError[];
  /** The part of `errors` / `warnings` about the text itself (YAML syntax), not about one object. */
  textErrors: string[];
  textWarnings: string[];
}

const compactJson = (v: unknown, max = 120): string => {
  const s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

const REGISTERED_TEXT = REGISTERED_KINDS.map((k) => `${KIND_API_VERSION[k]} ${k}`).join(', ');

function admitOne(parsed: ParsedManifest, label: string, opts: AdmitOptions): AdmittedDocument {
  const out: AdmittedDocument = {
    source: parsed.source,
    doc: parsed.doc,
    ...(parsed.item !== undefined ? { item: parsed.item } : {}),
    line: parsed.line,
    label,
    valid: false,
    warnings: [],
    errors: [],
    fieldErrors: [],
  };
  const raw = parsed.object;
  // json serializer Decode: a missing kind is reported before a missing version.
  const kindValue = typeof raw.kind === 'string' ? raw.kind : '';
  const versionValue = typeof raw.apiVersion === 'string' ? raw.apiVersion : '';
  if (!kindValue) {
    out.errors.push(`Object 'Kind' is missing in '${compactJson(raw)}'`);
    return out;
  }
  if (!versionValue) {
    out.errors.push(`Object 'apiVersion' is missing in '${compactJson(raw)}'`);
    return out;
  }
  const kind = registeredKind(versionValue, kindValue);
  if (!kind) {
    out.errors.push(
      `no kind ${JSON.stringify(kindValue)} is registered for version ${JSON.stringify(versionValue)} (podflow admits ${REGISTERED_TEXT})`,
    );
    return out;
  }
  out.kind = kind;
  out.description = describeObject(kind, raw.metadata as { name?: string; namespace?: string } | undefined);

  const size = new TextEncoder().encode(JSON.stringify(raw)).length;
  if (size > MAX_MANIFEST_OBJECT_BYTES) {
    out.errors.push(
      `the object is ${size} bytes as JSON; podflow admits at most ${MAX_MANIFEST_OBJECT_BYTES} bytes (256 KiB) per object, to keep it well under DynamoDB's 400 KB item limit`,
    );
    return out;
  }

  // Decoding (the API server's fieldValidation: Warn by default, Strict on request).
  const decoded = decodeWithSchema(raw, ROOT_TYPES[`${versionValue}/${kind}`]!);
  const decodeIssues = [
    ...parsed.duplicateFields,
    ...decoded.unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`),
  ];
  if (opts.strict) out.errors.push(...decodeIssues.map((m) => `strict decoding error: ${m}`));
  else out.warnings.push(...decodeIssues);
  out.errors.push(...decoded.typeErrors);
  const record = (errs: ManifestFieldError[]): void => {
    out.fieldErrors.push(...errs);
    out.errors.push(...errs.map(formatManifestFieldError));
  };
  record(decoded.quantityErrors);
  if (decoded.typeErrors.length > 0) return out;

  const policy = checkSupportPolicy(kind, decoded.object);
  out.warnings.push(...policy.warnings);
  record(policy.errors);

  const ctx: AdmitOptions = opts;
  let object: ManifestObject;
  let validation: ManifestFieldError[];
  if (kind === 'Pod') {
    const pod = defaultPod(decoded.object as Pod, ctx);
    object = pod;
    validation = validatePod(pod);
  } else if (kind === 'Job') {
    const job = defaultJob(decoded.object as Job, ctx);
    object = job;
    validation = validateJob(job);
  } else {
    const cronJob = defaultCronJob(decoded.object as CronJob, ctx);
    object = cronJob;
    validation = validateCronJob(cronJob);
  }
  record(validation);
  out.description = describeObject(kind, object.metadata);
  out.valid = out.errors.length === 0;
  if (out.valid) out.object = object;
  return out;
}

/**
 * Admits one object that is already parsed — an API request's JSON body — with the same checks, defaults and messages
 * as an object of a text (admitManifests), without writing it out and reading it back. What only a text shows is not
 * reported: JSON.parse keeps the last of two equal keys silently.
 * @param source how messages name the object (`request body`)
 */
export function admitManifestObject(
  object: Record<string, unknown>,
  source: string,
  opts: AdmitOptions,
): AdmittedDocument {
  return admitOne({ object, source, doc: 0, line: 1, json: true, duplicateFields: [] }, source, opts);
}

/**
 * Admits every object of a manifest text: parses it, checks and defaults each object.
 * @param text   YAML (one or more documents) or JSON (an object, an array, or a `kind: List`)
 * @param source how messages name the text (a file path, `<stdin>`, `request body`)
 */
export function admitManifests(text: string, source: string, opts: AdmitOptions): AdmitResult {
  const parsed = parseManifests(text, source);
  const textErrors = parsed.errors.map(formatManifestError);
  const textWarnings = parsed.warnings.map(formatManifestError);
  const result: AdmitResult = {
    objects: [],
    documents: [],
    warnings: [...textWarnings],
    errors: [...textErrors],
    fieldErrors: [],
    textErrors,
    textWarnings,
  };
  const docsWithErrors = new Set(parsed.errors.map((e) => e.doc));
  const several = parsed.objects.length + docsWithErrors.size > 1;
  for (const p of parsed.objects) {
    const where =
      p.item !== undefined ? `document ${p.doc + 1}, item ${p.item + 1}` : `document ${p.doc + 1}`;
    const label = several ? `${source} (${where})` : source;
    const doc = admitOne(p, label, opts);
    result.documents.push(doc);
    result.warnings.push(...doc.warnings.map((w) => `${label}: ${w}`));
    result.errors.push(...doc.errors.map((e) => `${label}: ${e}`));
    result.fieldErrors.push(...doc.fieldErrors);
    if (doc.valid && doc.object && doc.kind) {
      result.objects.push({
        kind: doc.kind,
        object: doc.object,
        source,
        doc: p.doc,
        ...(p.item !== undefined ? { item: p.item } : {}),
      });
    }
  }
  return result;
}
