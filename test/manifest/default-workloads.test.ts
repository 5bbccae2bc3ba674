// Job and CronJob defaulting on create (pkg/apis/batch/v1/defaults.go, pkg/registry/batch/job/strategy.go).
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { describe, expect, it } from 'vitest';
import { defaultCronJob, defaultJob } from '../../src/core/manifest/default-workloads.ts';
import { baseCronJob, baseJob, getPath, NOW } from './helpers.ts';
import type { Json } from './helpers.ts';

const ctx = { now: NOW, newUid: () => 'job-uid' };
const job = (mutate: (j: Json) => void = () => {}): Job => {
  const j = baseJob();
  mutate(j);
  return defaultJob(j as Job, ctx);
};
const cronJob = (mutate: (c: Json) => void = () => {}): CronJob => {
  const c = baseCronJob();
  mutate(c);
  return defaultCronJob(c as CronJob, ctx);
};

describe('defaultJob', () => {
  it.each([
    {
      name: 'completions and parallelism both unset → both 1',
      mutate: () => {},
      path: 'spec',
      expected: { completions: 1, parallelism: 1 },
    },
    {
      name: 'parallelism alone leaves completions unset (a work queue)',
      mutate: (j: Json) => (j.spec.parallelism = 3),
      path: 'spec',
      expected: { completions: undefined, parallelism: 3 },
    },
    {
      name: 'completions alone → parallelism 1',
      mutate: (j: Json) => (j.spec.completions = 5),
      path: 'spec',
      expected: { completions: 5, parallelism: 1 },
    },
  ])('$name', ({ mutate, expected }) => {
    const spec = job(mutate).spec!;
    expect({ completions: spec.completions, parallelism: spec.parallelism }).toEqual(expected);
  });

  it.each([
    { name: 'backoffLimit defaults to 6', mutate: () => {}, path: 'spec.backoffLimit', expected: 6 },
    {
      name: 'a given backoffLimit is kept',
      mutate: (j: Json) => (j.spec.backoffLimit = 0),
      path: 'spec.backoffLimit',
      expected: 0,
    },
    {
      name: 'with backoffLimitPerIndex, backoffLimit defaults to MaxInt32',
      mutate: (j: Json) => (j.spec.backoffLimitPerIndex = 1),
      path: 'spec.backoffLimit',
      expected: 2147483647,
    },
    {
      name: 'completionMode defaults to NonIndexed',
      mutate: () => {},
      path: 'spec.completionMode',
      expected: 'NonIndexed',
    },
    { name: 'suspend defaults to false', mutate: () => {}, path: 'spec.suspend', expected: false },
    {
      name: 'manualSelector defaults to false',
      mutate: () => {},
      path: 'spec.manualSelector',
      expected: false,
    },
    {
      name: 'podReplacementPolicy defaults to TerminatingOrFailed',
      mutate: () => {},
      path: 'spec.podReplacementPolicy',
      expected: 'TerminatingOrFailed',
    },
    {
      name: 'podReplacementPolicy defaults to Failed with a podFailurePolicy',
      mutate: (j: Json) =>
        (j.spec.podFailurePolicy = {
          rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }],
        }),
      path: 'spec.podReplacementPolicy',
      expected: 'Failed',
    },
    {
      name: 'onPodConditions status defaults to True',
      mutate: (j: Json) =>
        (j.spec.podFailurePolicy = {
          rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }],
        }),
      path: 'spec.podFailurePolicy.rules[0].onPodConditions[0].status',
      expected: 'True',
    },
    {
      name: 'the template restartPolicy stays as given',
      mutate: () => {},
      path: 'spec.template.spec.restartPolicy',
      expected: 'Never',
    },
    {
      name: 'an unset template restartPolicy is defaulted like any pod spec (validation then refuses it)',
      mutate: (j: Json) => delete j.spec.template.spec.restartPolicy,
      path: 'spec.template.spec.restartPolicy',
      expected: 'Always',
    },
    {
      name: 'the template gets pod spec defaults',
      mutate: () => {},
      path: 'spec.template.spec.dnsPolicy',
      expected: 'ClusterFirst',
    },
    {
      name: 'template containers get container defaults',
      mutate: () => {},
      path: 'spec.template.spec.containers[0].imagePullPolicy',
      expected: 'IfNotPresent',
    },
    { name: 'the Job gets a uid', mutate: () => {}, path: 'metadata.uid', expected: 'job-uid' },
    { name: 'the Job gets a namespace', mutate: () => {}, path: 'metadata.namespace', expected: 'default' },
    {
      name: 'the status is reset',
      mutate: (j: Json) => (j.status = { succeeded: 3 }),
      path: 'status',
      expected: {},
    },
    {
      name: 'the selector selects the Job uid (generateSelector)',
      mutate: () => {},
      path: 'spec.selector',
      expected: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } },
    },
    {
      name: 'the template gets the controller-uid and job-name labels',
      mutate: (j: Json) => (j.spec.template.metadata = { labels: { app: 'pi' } }),
      path: 'spec.template.metadata.labels',
      expected: {
        app: 'pi',
        'job-name': 'pi',
        'batch.kubernetes.io/job-name': 'pi',
        'controller-uid': 'job-uid',
        'batch.kubernetes.io/controller-uid': 'job-uid',
      },
    },
    {
      name: 'a Job without labels takes the template’s (before the generated ones are added)',
      mutate: (j: Json) => (j.spec.template.metadata = { labels: { app: 'pi' } }),
      path: 'metadata.labels',
      expected: { app: 'pi' },
    },
    {
      name: 'a manual selector is left alone',
      mutate: (j: Json) => {
        j.spec.manualSelector = true;
        j.spec.selector = { matchLabels: { app: 'pi' } };
      },
      path: 'spec.selector',
      expected: { matchLabels: { app: 'pi' } },
    },
  ])('$name', ({ mutate, path, expected }) => {
    expect(getPath(job(mutate), path)).toEqual(expected);
  });

  it('leaves its input untouched', () => {
    const input = baseJob();
    const before = structuredClone(input);
    defaultJob(input as Job, ctx);
    expect(input).toEqual(before);
  });
});

describe('defaultCronJob', () => {
  it.each([
    { name: 'concurrencyPolicy defaults to Allow', path: 'spec.concurrencyPolicy', expected: 'Allow' },
    { name: 'suspend defaults to false', path: 'spec.suspend', expected: false },
    {
      name: 'successfulJobsHistoryLimit defaults to 3',
      path: 'spec.successfulJobsHistoryLimit',
      expected: 3,
    },
    { name: 'failedJobsHistoryLimit defaults to 1', path: 'spec.failedJobsHistoryLimit', expected: 1 },
    {
      name: 'the job template’s pod spec is defaulted',
      path: 'spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds',
      expected: 30,
    },
    {
      name: 'the job template’s JobSpec is not (SetDefaults_Job applies to Jobs only)',
      path: 'spec.jobTemplate.spec.backoffLimit',
      expected: undefined,
    },
    { name: 'the CronJob gets a uid', path: 'metadata.uid', expected: 'job-uid' },
    { name: 'the status is empty', path: 'status', expected: {} },
  ])('$name', ({ path, expected }) => {
    expect(getPath(cronJob(), path)).toEqual(expected);
  });

  it('keeps given values', () => {
    const c = cronJob((x) => {
      x.spec.concurrencyPolicy = 'Forbid';
      x.spec.successfulJobsHistoryLimit = 0;
    });
    expect([c.spec!.concurrencyPolicy, c.spec!.successfulJobsHistoryLimit]).toEqual(['Forbid', 0]);
  });
});
