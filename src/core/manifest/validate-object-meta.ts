// metadata validation on create: apimachinery pkg/api/validation/objectmeta.go ValidateObjectMetaAccessor and
// pkg/apis/meta/v1/validation ValidateLabels, with the API server's texts.
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { child, forbidden, invalid, required, tooLong } from '../field-errors.ts';
import type { ManifestFieldError } from './manifest-field-errors.ts';
import { isQualifiedName, isValidLabelValue, nameIsDnsLabel, IS_NEGATIVE_ERROR } from './name-rules.ts';

/** objectmeta.go TotalAnnotationSizeLimitB: 256 KiB of keys and values together. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

type NameFn = (name: string, prefix: boolean) => string[];

/** v1validation.ValidateLabels: keys are qualified names, values label values. Errors sit on the map's path. */
export function validateLabels(
  labels: Record<string, string> | undefined,
  path: string,
): ManifestFieldError[] {
  const errs: ManifestFieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names (lower-cased first); at most 256 KiB in total. */
export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  path: string,
): ManifestFieldError[] {
  const errs: ManifestFieldError[] = [];
  let total = 0;
  const enc = new TextEncoder();
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    total += enc.encode(k).length + enc.encode(v).length;
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/**
 * ValidateObjectMeta. `nameFn` is the kind's name rule (DNS subdomain for pods, jobs, ConfigMaps and Secrets; DNS
 * label for Namespaces). A cluster-scoped object (`namespaced: false`) may not have a namespace.
 */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  nameFn: NameFn,
  path = 'metadata',
  { namespaced = true }: { namespaced?: boolean } = {},
): ManifestFieldError[] {
  const m = meta ?? {};
  const errs: ManifestFieldError[] = [];
  if (m.generateName) {
    for (const msg of nameFn(m.generateName, true))
      errs.push(invalid(child(path, 'generateName'), m.generateName, msg));
  }
  if (!m.name) errs.push(required(child(path, 'name'), 'name or generateName is required'));
  else for (const msg of nameFn(m.name, false)) errs.push(invalid(child(path, 'name'), m.name, msg));
  if (!namespaced) {
    if (m.namespace) errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  } else if (!m.namespace) errs.push(required(child(path, 'namespace')));
  else
    for (const msg of nameIsDnsLabel(m.namespace, false))
      errs.push(invalid(child(path, 'namespace'), m.namespace, msg));
  if (m.generation !== undefined && m.generation < 0)
    errs.push(invalid(child(path, 'generation'), m.generation, IS_NEGATIVE_ERROR));
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  for (const f of m.finalizers ?? []) {
    for (const msg of isQualifiedName(f)) errs.push(invalid(child(path, 'finalizers'), f, msg));
  }
  const fin = new Set(m.finalizers ?? []);
  if (fin.has('orphan') && fin.has('foregroundDeletion')) {
    errs.push(
      invalid(
        child(path, 'finalizers'),
        m.finalizers,
        'finalizer orphan and foregroundDeletion cannot be both set',
      ),
    );
  }
  return errs;
}
