// Defaulting of Jobs and CronJobs on create, as the API server does it:
// - pkg/apis/batch/v1/defaults.go SetDefaults_Job / SetDefaults_CronJob (+ the pod spec defaults of their templates,
//   via zz_generated.defaults.go);
// - pkg/registry/batch/job/strategy.go PrepareForCreate → generateSelector: unless `manualSelector: true`, the pod
//   template gets the `controller-uid`/`job-name` labels (legacy and `batch.kubernetes.io/` forms) and the selector
//   matches `batch.kubernetes.io/controller-uid`;
// - a fresh, empty status.
// The template's restartPolicy is defaulted like any pod spec's (to Always when unset), which Job validation then
// rejects — exactly what a cluster answers to a Job without restartPolicy.
import type { CronJob, Job, JobSpec, PodFailurePolicy } from 'kubernetes-types/batch/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { defaultObjectMetaForCreate, defaultPodSpec } from './default-pod.ts';
import type { CreateContext } from './default-pod.ts';

/** SetDefaults_Job. */
export const DEFAULT_BACKOFF_LIMIT = 6;
/** SetDefaults_Job: with backoffLimitPerIndex set, backoffLimit defaults to math.MaxInt32. */
export const BACKOFF_LIMIT_WITH_PER_INDEX = 2_147_483_647;
/** SetDefaults_CronJob. */
export const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1;

/** pkg/apis/batch types.go label keys set by generateSelector. */
export const JOB_LABELS = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name',
} as const;

const clone = <T>(value: T): T => structuredClone(value);

function defaultTemplate(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t: PodTemplateSpec = clone(template ?? {});
  t.spec = defaultPodSpec(t.spec);
  return t;
}

/** SetDefaults_PodFailurePolicyOnPodConditionsPattern: status `True`. */
function defaultPodFailurePolicy(policy: PodFailurePolicy | undefined): PodFailurePolicy | undefined {
  if (!policy) return policy;
  return {
    ...policy,
    rules: (policy.rules ?? []).map((rule) =>
      rule.onPodConditions
        ? {
            ...rule,
            onPodConditions: rule.onPodConditions.map((p) => ({ ...p, status: p.status || 'True' })),
          }
        : rule,
    ),
  };
}

/**
 * Defaults of a JobSpec inside a CronJob's jobTemplate: only the template and pod-failure-policy defaulters reach it
 * (SetDefaults_Job takes a *Job, so completions, backoffLimit… are defaulted when the Job is created, not here).
 */
function defaultJobTemplateSpec(spec: JobSpec | undefined): JobSpec {
  const s: JobSpec = clone(spec ?? ({} as JobSpec));
  s.template = defaultTemplate(s.template);
  const pfp = defaultPodFailurePolicy(s.podFailurePolicy);
  if (pfp) s.podFailurePolicy = pfp;
  return s;
}

/** SetDefaults_Job on the spec (plus labels copied from the template when the Job has none). */
function defaultJobSpec(job: Job): Job {
  const j = clone(job);
  const s: JobSpec = j.spec ?? ({} as JobSpec);
  // "For a non-parallel job, you can leave both `.spec.completions` and `.spec.parallelism` unset. When both are
  // unset, both are defaulted to 1."
  if (s.completions === undefined && s.parallelism === undefined) s.completions = 1;
  if (s.parallelism === undefined) s.parallelism = 1;
  if (s.backoffLimit === undefined) {
    s.backoffLimit =
      s.backoffLimitPerIndex !== undefined ? BACKOFF_LIMIT_WITH_PER_INDEX : DEFAULT_BACKOFF_LIMIT;
  }
  const templateLabels = s.template?.metadata?.labels;
  if (templateLabels && Object.keys(j.metadata?.labels ?? {}).length === 0) {
    j.metadata = { ...j.metadata, labels: { ...templateLabels } };
  }
  if (!s.completionMode) s.completionMode = 'NonIndexed';
  if (s.suspend === undefined) s.suspend = false;
  const pfp = defaultPodFailurePolicy(s.podFailurePolicy);
  if (pfp) s.podFailurePolicy = pfp;
  // JobPodReplacementPolicy (on by default since 1.29): Failed when a podFailurePolicy is set.
  if (!s.podReplacementPolicy) s.podReplacementPolicy = s.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  if (s.manualSelector === undefined) s.manualSelector = false;
  s.template = defaultTemplate(s.template);
  j.spec = s;
  return j;
}

/** strategy.go generateSelector: labels the pod template and selects on the Job's uid. */
function generateSelector(job: Job): Job {
  if (job.spec?.manualSelector === true) return job;
  const name = job.metadata?.name ?? '';
  const uid = job.metadata?.uid ?? '';
  const spec = job.spec!;
  const template = spec.template;
  const labels = { ...(template.metadata?.labels ?? {}) };
  // Labels the user already set are kept; a conflict is rejected by validation.
  for (const key of [JOB_LABELS.legacyJobName, JOB_LABELS.jobName]) if (!(key in labels)) labels[key] = name;
  for (const key of [JOB_LABELS.legacyControllerUid, JOB_LABELS.controllerUid])
    if (!(key in labels)) labels[key] = uid;
  const selector = { ...(spec.selector ?? {}) };
  const matchLabels = { ...(selector.matchLabels ?? {}) };
  if (!(JOB_LABELS.controllerUid in matchLabels)) matchLabels[JOB_LABELS.controllerUid] = uid;
  selector.matchLabels = matchLabels;
  return {
    ...job,
    spec: { ...spec, selector, template: { ...template, metadata: { ...template.metadata, labels } } },
  };
}

/** A Job as the API server stores it after create. */
export function defaultJob(job: Job, ctx: CreateContext): Job {
  const defaulted = defaultJobSpec(job);
  const withMeta: Job = {
    ...defaulted,
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: defaultObjectMetaForCreate(defaulted.metadata, ctx),
  };
  return { ...generateSelector(withMeta), status: {} };
}

/** A CronJob as the API server stores it after create. */
export function defaultCronJob(cronJob: CronJob, ctx: CreateContext): CronJob {
  const c = clone(cronJob);
  const spec = c.spec ?? ({} as CronJob['spec'] & object);
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
  if (spec.suspend === undefined) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit === undefined)
    spec.successfulJobsHistoryLimit = DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT;
  if (spec.failedJobsHistoryLimit === undefined)
    spec.failedJobsHistoryLimit = DEFAULT_FAILED_JOBS_HISTORY_LIMIT;
  spec.jobTemplate = { ...spec.jobTemplate, spec: defaultJobTemplateSpec(spec.jobTemplate?.spec) };
  return {
    ...c,
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: defaultObjectMetaForCreate(c.metadata, ctx),
    spec,
    status: {},
  };
}
