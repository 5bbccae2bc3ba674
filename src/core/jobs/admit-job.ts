// Admission of a Job through the API, after decoding (decode-object.ts): create as the API server's Job registry does
// it (pkg/registry/batch/job/strategy.go PrepareForCreate: defaults, the generated selector, an empty status; then
// ValidateJob), update as PrepareForUpdate + ValidateJobUpdate (pkg/apis/batch/validation/validation.go
// ValidateJobSpecUpdate: the selector, template, completion mode, pod failure policy, success policy and per-index
// limit are immutable; completions may change only with parallelism in an Indexed Job; status comes from the status
// subresource only; generation grows when the spec changes).
import type { Job } from 'kubernetes-types/batch/v1';
import { invalid } from '../field-errors.ts';
import type { Admitted } from '../manifest/api-objects.ts';
import type { CreateContext } from '../manifest/default-pod.ts';
import { defaultJob } from '../manifest/default-workloads.ts';
import type { ManifestFieldError } from '../manifest/manifest-field-errors.ts';
import { checkSupportPolicy } from '../manifest/support-policy.ts';
import { validateJob } from '../manifest/validate-workloads.ts';
import { canonical, FIELD_IMMUTABLE } from '../manifest/validate-pod-update.ts';
import { validateAnnotations, validateLabels } from '../manifest/validate-object-meta.ts';

export function admitJob(job: Job, ctx: CreateContext): Admitted<Job> {
  const policy = checkSupportPolicy('Job', job as unknown as Record<string, unknown>);
  const defaulted = defaultJob(job, ctx);
  const errors: ManifestFieldError[] = [...policy.errors, ...validateJob(defaulted)];
  return errors.length > 0 ? { ok: false, errors } : { ok: true, object: defaulted };
}

/** The spec fields ValidateJobSpecUpdate keeps immutable. */
const IMMUTABLE_SPEC_FIELDS = [
  'selector',
  'template',
  'completionMode',
  'podFailurePolicy',
  'successPolicy',
  'backoffLimitPerIndex',
  'manualSelector',
] as const;

/**
 * An update of the Job's object (not its status): labels, annotations and the mutable spec fields (parallelism,
 * suspend, activeDeadlineSeconds, backoffLimit, ttlSecondsAfterFinished, maxFailedIndexes, podReplacementPolicy…)
 * from `next`; system metadata and status from `current`.
 */
export function admitJobUpdate(next: Job, current: Job): Admitted<Job> {
  const errors: ManifestFieldError[] = [
    ...validateLabels(next.metadata?.labels, 'metadata.labels'),
    ...validateAnnotations(next.metadata?.annotations, 'metadata.annotations'),
  ];
  // The API server defaults the incoming object before it validates the update: the body's template gets the same
  // defaults and generated labels (from the stored uid) as the stored one had.
  const uid = current.metadata?.uid ?? '';
  const defaulted = defaultJob(
    { ...next, metadata: { ...next.metadata, uid } },
    { now: Date.parse(current.metadata?.creationTimestamp ?? '') || 0, newUid: () => uid },
  );
  const spec = defaulted.spec!;
  const old = current.spec!;
  for (const field of IMMUTABLE_SPEC_FIELDS) {
    if (canonical(spec[field]) !== canonical(old[field]))
      errors.push(invalid(`spec.${field}`, field === 'template' ? '{...}' : spec[field], FIELD_IMMUTABLE));
  }
  if (spec.completions !== old.completions) {
    // validateCompletions: an Indexed Job may change completions together with parallelism, to the same value.
    const elastic = old.completionMode === 'Indexed' && spec.completions === spec.parallelism;
    if (!elastic) errors.push(invalid('spec.completions', spec.completions ?? null, FIELD_IMMUTABLE));
  }
  if (errors.length > 0) return { ok: false, errors };
  const changed = canonical(spec) !== canonical(old);
  const generation = (current.metadata?.generation ?? 1) + (changed ? 1 : 0);
  return {
    ok: true,
    object: {
      ...current,
      metadata: {
        ...current.metadata,
        labels: next.metadata?.labels,
        annotations: next.metadata?.annotations,
        generation,
      },
      spec,
    },
  };
}

/** The status subresource: the status from `next`, everything else from `current`. */
export function admitJobStatusUpdate(next: Job, current: Job): Admitted<Job> {
  return { ok: true, object: { ...current, status: next.status ?? {} } };
}
