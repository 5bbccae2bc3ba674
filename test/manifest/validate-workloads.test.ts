// Job and CronJob validation, one case per rule, with the API server's exact text
// (pkg/apis/batch/validation/validation.go; Kubernetes 1.34).
import { describe, expect, it } from 'vitest';
import { admitObject, baseCronJob, baseJob } from './helpers.ts';
import type { Json } from './helpers.ts';

interface Case {
  name: string;
  mutate: (o: Json) => void;
  error: string;
}

const jobCases: Case[] = [
  {
    name: 'a Job needs restartPolicy OnFailure or Never (unset defaults to Always)',
    mutate: (j) => delete j.spec.template.spec.restartPolicy,
    error: 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
  },
  {
    name: 'a Job rejects restartPolicy Always',
    mutate: (j) => (j.spec.template.spec.restartPolicy = 'Always'),
    error: 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
  },
  {
    name: 'a Job rejects unknown restart policies',
    mutate: (j) => (j.spec.template.spec.restartPolicy = 'Sometimes'),
    error:
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
  },
  {
    name: 'backoffLimit is not negative',
    mutate: (j) => (j.spec.backoffLimit = -1),
    error: 'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
  },
  {
    name: 'completions is not negative',
    mutate: (j) => (j.spec.completions = -1),
    error: 'spec.completions: Invalid value: -1: must be greater than or equal to 0',
  },
  {
    name: 'parallelism is not negative',
    mutate: (j) => (j.spec.parallelism = -2),
    error: 'spec.parallelism: Invalid value: -2: must be greater than or equal to 0',
  },
  {
    name: 'activeDeadlineSeconds is not negative',
    mutate: (j) => (j.spec.activeDeadlineSeconds = -1),
    error: 'spec.activeDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
  },
  {
    name: 'ttlSecondsAfterFinished is not negative',
    mutate: (j) => (j.spec.ttlSecondsAfterFinished = -1),
    error: 'spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0',
  },
  {
    name: 'a podFailurePolicy needs restartPolicy Never',
    mutate: (j) => {
      j.spec.template.spec.restartPolicy = 'OnFailure';
      j.spec.podFailurePolicy = {
        rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }],
      };
    },
    error:
      'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
  },
  {
    name: 'a podFailurePolicy rule has onExitCodes or onPodConditions',
    mutate: (j) => (j.spec.podFailurePolicy = { rules: [{ action: 'FailJob' }] }),
    error:
      'spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
  },
  {
    name: 'a podFailurePolicy rule has not both onExitCodes and onPodConditions',
    mutate: (j) =>
      (j.spec.podFailurePolicy = {
        rules: [
          {
            action: 'Ignore',
            onExitCodes: { operator: 'In', values: [1] },
            onPodConditions: [{ type: 'DisruptionTarget' }],
          },
        ],
      }),
    error:
      'spec.podFailurePolicy.rules[0]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported',
  },
  {
    name: 'podFailurePolicy actions are Count, FailIndex, FailJob, Ignore',
    mutate: (j) =>
      (j.spec.podFailurePolicy = {
        rules: [{ action: 'Retry', onExitCodes: { operator: 'In', values: [1] } }],
      }),
    error:
      'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
  },
  {
    name: 'a podFailurePolicy rule needs an action',
    mutate: (j) => (j.spec.podFailurePolicy = { rules: [{ onExitCodes: { operator: 'In', values: [1] } }] }),
    error:
      'spec.podFailurePolicy.rules[0].action: Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]',
  },
  {
    name: 'onExitCodes In may not list 0',
    mutate: (j) =>
      (j.spec.podFailurePolicy = {
        rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 1] } }],
      }),
    error:
      'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
  },
  {
    name: 'onExitCodes values are ordered',
    mutate: (j) =>
      (j.spec.podFailurePolicy = {
        rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [3, 1] } }],
      }),
    error: 'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [3,1]: must be ordered',
  },
  {
    name: 'onExitCodes values are unique',
    mutate: (j) =>
      (j.spec.podFailurePolicy = {
        rules: [{ action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [1, 1] } }],
      }),
    error: 'spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Duplicate value: 1',
  },
  {
    name: 'onExitCodes operator is In or NotIn',
    mutate: (j) =>
      (j.spec.podFailurePolicy = {
        rules: [{ action: 'FailJob', onExitCodes: { operator: 'Equals', values: [1] } }],
      }),
    error:
      'spec.podFailurePolicy.rules[0].onExitCodes.operator: Unsupported value: "Equals": supported values: "In", "NotIn"',
  },
  {
    name: 'onExitCodes containerName names a container of the template',
    mutate: (j) =>
      (j.spec.podFailurePolicy = {
        rules: [{ action: 'FailJob', onExitCodes: { containerName: 'nope', operator: 'In', values: [1] } }],
      }),
    error:
      'spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template',
  },
  {
    name: 'onPodConditions status is True, False or Unknown',
    mutate: (j) =>
      (j.spec.podFailurePolicy = {
        rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'Maybe' }] }],
      }),
    error:
      'spec.podFailurePolicy.rules[0].onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
  },
  {
    name: 'Job names are DNS-1123 subdomains',
    mutate: (j) => (j.metadata.name = 'Pi'),
    error:
      "metadata.name: Invalid value: \"Pi\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  {
    name: 'a manual selector is required',
    mutate: (j) => (j.spec.manualSelector = true),
    error: 'spec.selector: Required value',
  },
  {
    name: 'a manual selector selects the template labels',
    mutate: (j) => {
      j.spec.manualSelector = true;
      j.spec.selector = { matchLabels: { app: 'pi' } };
      j.spec.template.metadata = { labels: { app: 'other' } };
    },
    error:
      'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
  },
  {
    name: 'the template is a valid pod template',
    mutate: (j) => (j.spec.template.spec.containers[0].image = ''),
    error: 'spec.template.spec.containers[0].image: Required value',
  },
  {
    name: 'pod templates have no ephemeral containers',
    mutate: (j) => (j.spec.template.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }]),
    error:
      'spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template',
  },
  {
    name: 'completionMode is NonIndexed or Indexed',
    mutate: (j) => (j.spec.completionMode = 'Sorted'),
    error: 'spec.completionMode: Unsupported value: "Sorted": supported values: "NonIndexed", "Indexed"',
  },
];

const cronJobCases: Case[] = [
  {
    name: 'schedule is required',
    mutate: (c) => delete c.spec.schedule,
    error: 'spec.schedule: Required value',
  },
  {
    name: 'schedule has five fields',
    mutate: (c) => (c.spec.schedule = '* * * *'),
    error: 'spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]',
  },
  {
    name: 'schedule hours are 0-23',
    mutate: (c) => (c.spec.schedule = '0 24 * * *'),
    error: 'spec.schedule: Invalid value: "0 24 * * *": end of range (24) above maximum (23): 24',
  },
  {
    name: 'schedule descriptors are known',
    mutate: (c) => (c.spec.schedule = '@fortnightly'),
    error: 'spec.schedule: Invalid value: "@fortnightly": unrecognized descriptor: @fortnightly',
  },
  {
    name: 'schedule names no time zone (use timeZone)',
    mutate: (c) => (c.spec.schedule = 'TZ=UTC 0 * * * *'),
    error:
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
  },
  {
    name: 'timeZone is a known zone',
    mutate: (c) => (c.spec.timeZone = 'Mars/Olympus_Mons'),
    error: 'spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons',
  },
  {
    name: 'timeZone has IANA-shaped components',
    mutate: (c) => (c.spec.timeZone = 'Europe/../etc'),
    error: 'spec.timeZone: Invalid value: "Europe/../etc": unknown time zone Europe/../etc',
  },
  {
    name: 'timeZone is not Local',
    mutate: (c) => (c.spec.timeZone = 'Local'),
    error:
      'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
  },
  {
    name: 'timeZone is not empty',
    mutate: (c) => (c.spec.timeZone = ''),
    error: 'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string',
  },
  {
    name: 'startingDeadlineSeconds is not negative',
    mutate: (c) => (c.spec.startingDeadlineSeconds = -1),
    error: 'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
  },
  {
    name: 'concurrencyPolicy is Allow, Forbid or Replace',
    mutate: (c) => (c.spec.concurrencyPolicy = 'Sometimes'),
    error:
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
  },
  {
    name: 'history limits are not negative',
    mutate: (c) => (c.spec.successfulJobsHistoryLimit = -1),
    error: 'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
  },
  {
    name: 'CronJob names are at most 52 characters',
    mutate: (c) => (c.metadata.name = 'a'.repeat(53)),
    error: `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`,
  },
  {
    name: 'the jobTemplate selector is generated',
    mutate: (c) => (c.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } }),
    error:
      'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
  },
  {
    name: 'the jobTemplate needs restartPolicy OnFailure or Never',
    mutate: (c) => delete c.spec.jobTemplate.spec.template.spec.restartPolicy,
    error:
      'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
  },
  {
    name: 'the jobTemplate backoffLimit is not negative',
    mutate: (c) => (c.spec.jobTemplate.spec.backoffLimit = -1),
    error: 'spec.jobTemplate.spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
  },
];

describe('validateJob (through admitManifests)', () => {
  it('accepts the base Job (control)', () => {
    expect(admitObject(baseJob()).errors).toEqual([]);
  });

  it.each(jobCases)('$name', ({ mutate, error }) => {
    const job = baseJob();
    mutate(job);
    const doc = admitObject(job);
    expect(doc.valid).toBe(false);
    expect(doc.errors).toContain(error);
  });

  it('accepts a manual selector that matches the template', () => {
    const job = baseJob();
    job.spec.manualSelector = true;
    job.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['pi'] }] };
    job.spec.template.metadata = { labels: { app: 'pi' } };
    expect(admitObject(job).errors).toEqual([]);
  });

  it('accepts a podFailurePolicy of the documented shape', () => {
    const job = baseJob();
    job.spec.podFailurePolicy = {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'pi', operator: 'In', values: [42] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      ],
    };
    expect(admitObject(job).errors).toEqual([]);
  });
});

describe('validateCronJob (through admitManifests)', () => {
  it('accepts the base CronJob (control)', () => {
    expect(admitObject(baseCronJob()).errors).toEqual([]);
  });

  it.each(cronJobCases)('$name', ({ mutate, error }) => {
    const cronJob = baseCronJob();
    mutate(cronJob);
    const doc = admitObject(cronJob);
    expect(doc.valid).toBe(false);
    expect(doc.errors).toContain(error);
  });

  it.each([
    { name: 'a descriptor', schedule: '@hourly', timeZone: undefined },
    { name: 'names of months and weekdays', schedule: '30 6 * jan-mar mon-fri', timeZone: undefined },
    { name: 'a time zone', schedule: '0 9 * * *', timeZone: 'Europe/Berlin' },
    { name: 'UTC', schedule: '0 0 1 * *', timeZone: 'UTC' },
  ])('valid: $name', ({ schedule, timeZone }) => {
    const cronJob = baseCronJob();
    cronJob.spec.schedule = schedule;
    if (timeZone) cronJob.spec.timeZone = timeZone;
    expect(admitObject(cronJob).errors).toEqual([]);
  });
});
