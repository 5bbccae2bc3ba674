// Cases from pkg/apis/core/v1/helper/qos/qos_test.go (TestGetPodQOS) and docs/semantics.md §8.
import type { Container, ResourceRequirements } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { computeQosClass, effectiveRequests } from '../../src/core/qos.ts';
import type { PodSpecWithResources, QosClass } from '../../src/core/qos.ts';

type List = Record<string, string | number>;

function c(name: string, requests?: List, limits?: List): Container {
  const resources: ResourceRequirements = {};
  if (requests) resources.requests = requests as ResourceRequirements['requests'];
  if (limits) resources.limits = limits as ResourceRequirements['limits'];
  return { name, image: 'busybox', resources };
}

const full = { cpu: '100m', memory: '100Mi' };

describe('computeQosClass', () => {
  it.each<{ name: string; spec: PodSpecWithResources; expected: QosClass }>([
    {
      name: 'no resources anywhere → BestEffort',
      spec: { containers: [c('a'), c('b')] },
      expected: 'BestEffort',
    },
    { name: 'no containers → BestEffort', spec: { containers: [] }, expected: 'BestEffort' },
    {
      name: 'only non-QoS resources (ephemeral-storage, nvidia.com/gpu) → BestEffort',
      spec: { containers: [c('a', { 'ephemeral-storage': '1Gi' }, { 'nvidia.com/gpu': '1' })] },
      expected: 'BestEffort',
    },
    {
      name: 'zero requests and limits → BestEffort',
      spec: { containers: [c('a', { cpu: '0', memory: '0' }, { cpu: '0' })] },
      expected: 'BestEffort',
    },
    {
      name: 'cpu and memory limits only: requests default to them → Guaranteed',
      spec: { containers: [c('a', undefined, full)] },
      expected: 'Guaranteed',
    },
    {
      name: 'requests equal limits → Guaranteed',
      spec: { containers: [c('a', full, full)] },
      expected: 'Guaranteed',
    },
    {
      name: 'equal values in different notations (1 vs 1000m, 128Mi vs 134217728) → Guaranteed',
      spec: { containers: [c('a', { cpu: '1', memory: '128Mi' }, { cpu: '1000m', memory: 134217728 })] },
      expected: 'Guaranteed',
    },
    {
      name: 'two guaranteed containers → Guaranteed',
      spec: { containers: [c('a', full, full), c('b', undefined, { cpu: '2', memory: '1Gi' })] },
      expected: 'Guaranteed',
    },
    {
      name: 'requests below limits → Burstable',
      spec: { containers: [c('a', { cpu: '50m', memory: '100Mi' }, full)] },
      expected: 'Burstable',
    },
    {
      name: 'explicit zero cpu request under a cpu limit: requests and limits differ in size → Burstable',
      spec: { containers: [c('a', { cpu: '0', memory: '100Mi' }, full)] },
      expected: 'Burstable',
    },
    { name: 'requests only → Burstable', spec: { containers: [c('a', full)] }, expected: 'Burstable' },
    {
      name: 'cpu limit only → Burstable',
      spec: { containers: [c('a', undefined, { cpu: '1' })] },
      expected: 'Burstable',
    },
    {
      name: 'one guaranteed container and one without resources → Burstable',
      spec: { containers: [c('a', full, full), c('b')] },
      expected: 'Burstable',
    },
    {
      name: 'guaranteed app but init container without limits → Burstable',
      spec: { containers: [c('a', full, full)], initContainers: [c('init')] },
      expected: 'Burstable',
    },
    {
      name: 'guaranteed app and guaranteed init container → Guaranteed',
      spec: { containers: [c('a', full, full)], initContainers: [c('init', undefined, full)] },
      expected: 'Guaranteed',
    },
    {
      name: 'only the init container has resources → Burstable',
      spec: { containers: [c('a')], initContainers: [c('init', undefined, full)] },
      expected: 'Burstable',
    },
    {
      name: 'memory limit zero does not count as a limit → Burstable',
      spec: { containers: [c('a', undefined, { cpu: '1', memory: '0' })] },
      expected: 'Burstable',
    },
    {
      name: 'extra non-QoS resource does not affect Guaranteed',
      spec: {
        containers: [
          c('a', { ...full, 'ephemeral-storage': '1Gi' }, { ...full, 'ephemeral-storage': '2Gi' }),
        ],
      },
      expected: 'Guaranteed',
    },
    {
      name: 'unparsable quantity is ignored (validation reports it) → BestEffort',
      spec: { containers: [c('a', { cpu: 'lots' })] },
      expected: 'BestEffort',
    },
    {
      name: 'pod-level cpu and memory limits → Guaranteed even without container resources',
      spec: { containers: [c('a'), c('b')], resources: { limits: { cpu: '1', memory: '1Gi' } } },
      expected: 'Guaranteed',
    },
    {
      name: 'pod-level requests only → Burstable',
      spec: { containers: [c('a', undefined, full)], resources: { requests: { cpu: '1', memory: '1Gi' } } },
      expected: 'Burstable',
    },
  ])('$name', ({ spec, expected }) => {
    expect(computeQosClass(spec)).toBe(expected);
  });
});

describe('effectiveRequests', () => {
  it.each<{ name: string; resources: ResourceRequirements | undefined; expected: List }>([
    { name: 'no resources → empty', resources: undefined, expected: {} },
    {
      name: 'limits only → requests copy limits',
      resources: { limits: { cpu: '1', memory: '1Gi' } },
      expected: { cpu: '1', memory: '1Gi' },
    },
    {
      name: 'explicit request kept, missing one defaulted',
      resources: { requests: { cpu: '250m' }, limits: { cpu: '1', memory: '1Gi' } },
      expected: { cpu: '250m', memory: '1Gi' },
    },
    {
      name: 'request without a limit kept',
      resources: { requests: { memory: '64Mi' } },
      expected: { memory: '64Mi' },
    },
    {
      name: 'every resource is defaulted, not only cpu and memory',
      resources: { limits: { 'ephemeral-storage': '2Gi', 'nvidia.com/gpu': '1' } },
      expected: { 'ephemeral-storage': '2Gi', 'nvidia.com/gpu': '1' },
    },
  ])('$name', ({ resources, expected }) => {
    const container: Container = { name: 'a', ...(resources ? { resources } : {}) };
    const before = JSON.stringify(container);
    expect(effectiveRequests(container)).toEqual(expected);
    expect(JSON.stringify(container)).toBe(before);
  });
});
