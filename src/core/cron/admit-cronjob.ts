// Admission of a CronJob through the API, after decoding: create as the API server's CronJob registry does it
// (pkg/registry/batch/cronjob/strategy.go PrepareForCreate: defaults, an empty status; then ValidateCronJobCreate),
// update as PrepareForUpdate + ValidateCronJobUpdate (the whole spec may change and is validated again — a TZ in
// the schedule only when the stored schedule had one; status comes from the status subresource only; generation
// grows when the spec changes).
import type { CronJob } from 'kubernetes-types/batch/v1';
import type { Admitted } from '../manifest/api-objects.ts';
import type { CreateContext } from '../manifest/default-pod.ts';
import { defaultCronJob } from '../manifest/default-workloads.ts';
import type { ManifestFieldError } from '../manifest/manifest-field-errors.ts';
import { checkSupportPolicy } from '../manifest/support-policy.ts';
import { validateCronJob } from '../manifest/validate-workloads.ts';
import { canonical } from '../manifest/validate-pod-update.ts';

export function admitCronJob(cronJob: CronJob, ctx: CreateContext): Admitted<CronJob> {
  const policy = checkSupportPolicy('CronJob', cronJob as unknown as Record<string, unknown>);
  const defaulted = defaultCronJob(cronJob, ctx);
  const errors: ManifestFieldError[] = [...policy.errors, ...validateCronJob(defaulted)];
  return errors.length > 0 ? { ok: false, errors } : { ok: true, object: defaulted };
}

const TZ_IN_SCHEDULE = 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';

/** An update of the CronJob's object: metadata labels/annotations and the spec from `next`, the rest from `current`. */
export function admitCronJobUpdate(next: CronJob, current: CronJob): Admitted<CronJob> {
  const uid = current.metadata?.uid ?? '';
  // The API server defaults the incoming object before validating it, as on create.
  const defaulted = defaultCronJob(
    { ...next, metadata: { ...next.metadata, name: current.metadata?.name, uid } },
    { now: Date.parse(current.metadata?.creationTimestamp ?? '') || 0, newUid: () => uid },
  );
  const oldHadTz = (current.spec?.schedule ?? '').includes('TZ');
  const errors = validateCronJob({
    ...defaulted,
    metadata: { ...current.metadata, ...next.metadata },
  }).filter(
    // validateScheduleFormat with allowTZInSchedule: an object stored with a TZ schedule may keep one.
    (e) => !(oldHadTz && e.field === 'spec.schedule' && (e as { detail?: string }).detail === TZ_IN_SCHEDULE),
  );
  if (errors.length > 0) return { ok: false, errors };
  const spec = defaulted.spec!;
  const changed = canonical(spec) !== canonical(current.spec);
  return {
    ok: true,
    object: {
      ...current,
      metadata: {
        ...current.metadata,
        labels: next.metadata?.labels,
        annotations: next.metadata?.annotations,
        generation: (current.metadata?.generation ?? 1) + (changed ? 1 : 0),
      },
      spec,
    },
  };
}

/** The status subresource: the status from `next`, everything else from `current`. */
export function admitCronJobStatusUpdate(next: CronJob, current: CronJob): Admitted<CronJob> {
  return { ok: true, object: { ...current, status: next.status ?? {} } };
}
