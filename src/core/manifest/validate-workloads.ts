// Job and CronJob validation with the API server's texts, reproduced from
// pkg/apis/batch/validation/validation.go (ValidateJob, validateJobSpec, validatePodFailurePolicy,
// ValidateCronJobCreate, validateScheduleFormat, validateTimeZone) — Kubernetes 1.34.
import type { CronJob, Job, JobSpec, PodFailurePolicyRule } from 'kubernetes-types/batch/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import {
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  key,
  notSupported,
  required,
  tooLong,
} from '../field-errors.ts';
import { isKnownTimeZone, parseCronSchedule } from './cron.ts';
import { JOB_LABELS } from './default-workloads.ts';
import { invalidOmitValue, tooMany } from './manifest-field-errors.ts';
import type { ManifestFieldError } from './manifest-field-errors.ts';
import {
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nameIsDnsSubdomain,
  IS_NEGATIVE_ERROR,
} from './name-rules.ts';
import { validateLabels, validateObjectMeta } from './validate-object-meta.ts';
import { validatePodTemplateSpec } from './validate-pod.ts';

type Errors = ManifestFieldError[];

/** validation.go limits. */
const MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_ON_EXIT_CODES_VALUES = 255;
const MAX_ON_POD_CONDITIONS_PATTERNS = 20;
const MAX_MANAGED_BY_LENGTH = 63;
/** validation.go ValidateCronJobCreate: the controller appends an 11-character suffix to a 63-character job name. */
export const MAX_CRONJOB_NAME_LENGTH = 52;

const ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const EXIT_CODE_OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];

/** Go's %q of a []string: `["Count" "FailIndex"]`. */
const goQuotedList = (values: string[]): string => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;

function nonNegative(value: number | undefined, path: string): Errors {
  return value !== undefined && value < 0 ? [invalid(path, value, IS_NEGATIVE_ERROR)] : [];
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors (apimachinery pkg/apis/meta/v1/validation ValidateLabelSelector, labels.Selector.Matches)

function validateLabelSelector(selector: LabelSelector, path: string): Errors {
  const errs: Errors = validateLabels(selector.matchLabels, child(path, 'matchLabels'));
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          errs.push(
            forbidden(
              child(p, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      default:
        errs.push(invalid(child(p, 'operator'), req.operator, 'not a valid selector operator'));
    }
    isQualifiedName(req.key).forEach((msg) => errs.push(invalid(child(p, 'key'), req.key, msg)));
    values.forEach((v, j) =>
      isValidLabelValue(v).forEach((msg) => errs.push(invalid(index(child(p, 'values'), j), v, msg))),
    );
  });
  return errs;
}

/** Whether a selector selects a label set (an empty selector selects everything, as LabelSelectorAsSelector does). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = req.key in labels;
    const values = req.values ?? [];
    if (req.operator === 'In' && !(has && values.includes(labels[req.key]!))) return false;
    if (req.operator === 'NotIn' && has && values.includes(labels[req.key]!)) return false;
    if (req.operator === 'Exists' && !has) return false;
    if (req.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Job

function validatePodFailurePolicyRule(
  spec: JobSpec,
  rule: PodFailurePolicyRule,
  path: string,
  containerNames: Set<string>,
): Errors {
  const errs: Errors = [];
  const actionPath = child(path, 'action');
  if (!rule.action) errs.push(required(actionPath, `valid values: ${goQuotedList(ACTIONS)}`));
  else if (rule.action === 'FailIndex') {
    if (spec.backoffLimitPerIndex === undefined)
      errs.push(invalid(actionPath, rule.action, 'requires the backoffLimitPerIndex to be set'));
  } else if (!ACTIONS.includes(rule.action)) errs.push(notSupported(actionPath, rule.action, ACTIONS));

  if (rule.onExitCodes) {
    const p = child(path, 'onExitCodes');
    const req = rule.onExitCodes;
    if (!req.operator)
      errs.push(required(child(p, 'operator'), `valid values: ${goQuotedList(EXIT_CODE_OPERATORS)}`));
    else if (!EXIT_CODE_OPERATORS.includes(req.operator))
      errs.push(notSupported(child(p, 'operator'), req.operator, EXIT_CODE_OPERATORS));
    if (req.containerName !== undefined && !containerNames.has(req.containerName)) {
      errs.push(
        invalid(
          child(p, 'containerName'),
          req.containerName,
          'must be one of the container or initContainer names in the pod template',
        ),
      );
    }
    const valuesPath = child(p, 'values');
    const values = req.values ?? [];
    if (values.length === 0) errs.push(invalid(valuesPath, values, 'at least one value is required'));
    else if (values.length > MAX_ON_EXIT_CODES_VALUES)
      errs.push(tooMany(valuesPath, values.length, MAX_ON_EXIT_CODES_VALUES));
    const seen = new Set<number>();
    let ordered = true;
    values.forEach((v, j) => {
      if (req.operator === 'In' && v === 0)
        errs.push(invalid(index(valuesPath, j), v, 'must not be 0 for the In operator'));
      if (seen.has(v)) errs.push(duplicate(index(valuesPath, j), v));
      else seen.add(v);
      if (j > 0 && values[j - 1]! > v) ordered = false;
    });
    if (!ordered) errs.push(invalid(valuesPath, values, 'must be ordered'));
  }
  const patterns = rule.onPodConditions ?? [];
  if (patterns.length > 0) {
    const p = child(path, 'onPodConditions');
    if (patterns.length > MAX_ON_POD_CONDITIONS_PATTERNS)
      errs.push(tooMany(p, patterns.length, MAX_ON_POD_CONDITIONS_PATTERNS));
    patterns.forEach((pattern, j) => {
      const pp = index(p, j);
      isQualifiedName(pattern.type).forEach((msg) =>
        errs.push(invalid(child(pp, 'type'), pattern.type, msg)),
      );
      if (!pattern.status)
        errs.push(required(child(pp, 'status'), `valid values: ${goQuotedList(CONDITION_STATUSES)}`));
      else if (!CONDITION_STATUSES.includes(pattern.status))
        errs.push(notSupported(child(pp, 'status'), pattern.status, CONDITION_STATUSES));
    });
  }
  if (rule.onExitCodes && patterns.length > 0) {
    errs.push(invalidOmitValue(path, 'specifying both OnExitCodes and OnPodConditions is not supported'));
  }
  if (!rule.onExitCodes && patterns.length === 0) {
    errs.push(invalidOmitValue(path, 'specifying one of OnExitCodes and OnPodConditions is required'));
  }
  return errs;
}

/** validateJobSpec: what a Job's spec and a CronJob's jobTemplate.spec must both satisfy. */
function validateJobSpecCommon(spec: JobSpec | undefined, path: string): Errors {
  const s: JobSpec = spec ?? ({} as JobSpec);
  const errs: Errors = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
    'backoffLimitPerIndex',
    'maxFailedIndexes',
  ] as const) {
    errs.push(...nonNegative(s[f], child(path, f)));
  }
  if (s.maxFailedIndexes !== undefined && s.backoffLimitPerIndex === undefined) {
    errs.push(required(child(path, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  if (s.managedBy !== undefined) {
    const mb = s.managedBy;
    const [host, rest] = [mb.split('/')[0] ?? '', mb.includes('/') ? mb.slice(mb.indexOf('/') + 1) : ''];
    if (!mb.includes('/') || !host || !rest)
      errs.push(
        invalid(child(path, 'managedBy'), mb, 'must be a domain-prefixed path (such as "acme.io/foo")'),
      );
    else isDns1123Subdomain(host).forEach((msg) => errs.push(invalid(child(path, 'managedBy'), host, msg)));
    if (new TextEncoder().encode(mb).length > MAX_MANAGED_BY_LENGTH)
      errs.push(tooLong(child(path, 'managedBy'), MAX_MANAGED_BY_LENGTH));
  }
  const indexed = s.completionMode === 'Indexed';
  if (s.completionMode !== undefined && s.completionMode !== 'NonIndexed' && !indexed) {
    errs.push(notSupported(child(path, 'completionMode'), s.completionMode, ['NonIndexed', 'Indexed']));
  }
  if (indexed) {
    if (s.completions === undefined)
      errs.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
    if (s.parallelism !== undefined && s.parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
      errs.push(
        invalid(
          child(path, 'parallelism'),
          s.parallelism,
          `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`,
        ),
      );
    }
    if (
      s.completions !== undefined &&
      s.maxFailedIndexes !== undefined &&
      s.maxFailedIndexes > s.completions
    ) {
      errs.push(
        invalid(
          child(path, 'maxFailedIndexes'),
          s.maxFailedIndexes,
          'must be less than or equal to completions',
        ),
      );
    }
  } else {
    if (s.backoffLimitPerIndex !== undefined)
      errs.push(
        invalid(
          child(path, 'backoffLimitPerIndex'),
          s.backoffLimitPerIndex,
          'requires indexed completion mode',
        ),
      );
    if (s.maxFailedIndexes !== undefined)
      errs.push(
        invalid(child(path, 'maxFailedIndexes'), s.maxFailedIndexes, 'requires indexed completion mode'),
      );
  }
  if (s.podFailurePolicy) {
    const rules = s.podFailurePolicy.rules ?? [];
    const rulesPath = child(child(path, 'podFailurePolicy'), 'rules');
    if (rules.length > MAX_POD_FAILURE_POLICY_RULES)
      errs.push(tooMany(rulesPath, rules.length, MAX_POD_FAILURE_POLICY_RULES));
    const names = new Set(
      [...(s.template?.spec?.containers ?? []), ...(s.template?.spec?.initContainers ?? [])].map(
        (c) => c.name,
      ),
    );
    rules.forEach((rule, i) =>
      errs.push(...validatePodFailurePolicyRule(s, rule, index(rulesPath, i), names)),
    );
  }
  if (s.successPolicy && !indexed)
    errs.push(invalid(child(path, 'successPolicy'), s.successPolicy, 'requires indexed completion mode'));
  if (s.podReplacementPolicy !== undefined) {
    const p = child(path, 'podReplacementPolicy');
    if (s.podFailurePolicy) {
      if (s.podReplacementPolicy !== 'Failed') errs.push(notSupported(p, s.podReplacementPolicy, ['Failed']));
    } else if (!['Failed', 'TerminatingOrFailed'].includes(s.podReplacementPolicy)) {
      errs.push(notSupported(p, s.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
    }
  }
  errs.push(...validatePodTemplateSpec(s.template, child(path, 'template')));
  // "spec.Template.Spec.RestartPolicy can be defaulted as RestartPolicyAlways by SetDefaults_PodSpec function when
  // the user does not explicitly specify a value for it, so we check both empty and RestartPolicyAlways cases here"
  const restartPath = child(child(child(path, 'template'), 'spec'), 'restartPolicy');
  const rp = s.template?.spec?.restartPolicy ?? '';
  if (rp === 'Always' || rp === '') errs.push(required(restartPath, 'valid values: "OnFailure", "Never"'));
  else if (rp !== 'OnFailure' && rp !== 'Never')
    errs.push(notSupported(restartPath, rp, ['OnFailure', 'Never']));
  else if (s.podFailurePolicy && rp !== 'Never')
    errs.push(invalid(restartPath, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

/** validateGeneratedSelector: the labels generateSelector added are present and selected. */
function validateGeneratedSelector(job: Job): Errors {
  const spec = job.spec;
  if (!spec || spec.manualSelector === true || !spec.selector) return [];
  const errs: Errors = [];
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  if (!uid) errs.push(required('metadata.uid'));
  const labels = spec.template?.metadata?.labels ?? {};
  const expected: Record<string, string> = {
    [JOB_LABELS.legacyControllerUid]: uid,
    [JOB_LABELS.legacyJobName]: name,
    [JOB_LABELS.controllerUid]: uid,
    [JOB_LABELS.jobName]: name,
  };
  for (const [k, v] of Object.entries(expected)) {
    const p = key('spec.template.metadata.labels', k);
    if (!(k in labels)) errs.push(required(p, `must be '${v}'`));
    else if (labels[k] !== v) errs.push(invalid(p, labels, `must be '${v}'`));
  }
  if (!selectorMatches(spec.selector, expected))
    errs.push(invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
  return errs;
}

/** ValidateJob (on create). */
export function validateJob(job: Job): Errors {
  const errs: Errors = [
    ...validateObjectMeta(job.metadata, nameIsDnsSubdomain),
    ...validateGeneratedSelector(job),
  ];
  const spec = job.spec;
  errs.push(...validateJobSpecCommon(spec, 'spec'));
  if (!spec?.selector) errs.push(required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    const labels = spec.template?.metadata?.labels ?? {};
    if (!selectorMatches(spec.selector, labels)) {
      errs.push(
        invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
      );
    }
  }
  if (spec?.completionMode === 'Indexed' && spec.completions !== undefined && spec.completions > 0) {
    // "the job controller appends a suffix (`-$INDEX`) to the pod hostname when indexed job create pods"
    const hostname = `${job.metadata?.name ?? ''}-${spec.completions - 1}`;
    if (isDns1123Label(hostname).length > 0) {
      errs.push(
        invalid(
          'metadata.name',
          job.metadata?.name ?? '',
          `will not able to create pod with invalid DNS label: ${hostname}`,
        ),
      );
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// CronJob

/** validation.go validTimeZoneCharacters: one component of an IANA name. */
const TIME_ZONE_COMPONENT = /^[A-Za-z.\-_0-9+]{1,14}$/;

/**
 * validateTimeZone. The last step, time.LoadLocation, reads the system zoneinfo upstream; here the existence check
 * uses the runtime's Intl time-zone data (pure, no I/O). The runtime that schedules the CronJob checks it again.
 */
export function validateTimeZone(timeZone: string | undefined, path: string): Errors {
  if (timeZone === undefined) return [];
  if (timeZone.length === 0) return [invalid(path, timeZone, 'timeZone must be nil or non-empty string')];
  for (const part of timeZone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_COMPONENT.test(part)) {
      return [invalid(path, timeZone, `unknown time zone ${timeZone}`)];
    }
  }
  if (timeZone.toLowerCase() === 'local') {
    return [
      invalid(
        path,
        timeZone,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    ];
  }
  return isKnownTimeZone(timeZone) ? [] : [invalid(path, timeZone, `unknown time zone ${timeZone}`)];
}

/** validateScheduleFormat (on create: a TZ in the schedule is never allowed). */
function validateSchedule(schedule: string, path: string): Errors {
  const errs: Errors = [];
  const parsed = parseCronSchedule(schedule);
  if (!parsed.ok) errs.push(invalid(path, schedule, parsed.error));
  if (schedule.includes('TZ'))
    errs.push(invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  return errs;
}

/** ValidateCronJobCreate. */
export function validateCronJob(cronJob: CronJob): Errors {
  const errs: Errors = [...validateObjectMeta(cronJob.metadata, nameIsDnsSubdomain)];
  const spec = cronJob.spec;
  if (!spec?.schedule) errs.push(required('spec.schedule'));
  else errs.push(...validateSchedule(spec.schedule, 'spec.schedule'));
  errs.push(...nonNegative(spec?.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  errs.push(...validateTimeZone(spec?.timeZone, 'spec.timeZone'));
  const policies = ['Allow', 'Forbid', 'Replace'];
  if (!spec?.concurrencyPolicy) errs.push(required('spec.concurrencyPolicy'));
  else if (!policies.includes(spec.concurrencyPolicy))
    errs.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, policies));
  const jobSpec = spec?.jobTemplate?.spec;
  errs.push(...validateJobSpecCommon(jobSpec, 'spec.jobTemplate.spec'));
  if (jobSpec?.selector)
    errs.push(
      invalid('spec.jobTemplate.spec.selector', jobSpec.selector, '`selector` will be auto-generated'),
    );
  if (jobSpec?.manualSelector === true)
    errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative(spec?.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec?.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  const name = cronJob.metadata?.name ?? '';
  if (name.length > MAX_CRONJOB_NAME_LENGTH) {
    errs.push(invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`));
  }
  return errs;
}
