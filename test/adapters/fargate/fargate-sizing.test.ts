// Pod requests → Fargate task size, with the cases of the EKS User Guide page "Understand Fargate Pod configuration
// details" (its example, its no-request default and the edges of every row of its vCPU/memory table) and the
// sidecar rule of component-helpers' PodRequests (docs/decisions/0006-fargate-runtime.md §5).
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import {
  ephemeralRequestTooLarge,
  ephemeralStorageGiB,
  FARGATE_CPU_MEMORY,
  fargateSizeFor,
  formatFargateSize,
  podRequest,
} from '../../../src/adapters/fargate/fargate-sizing.ts';

const GiB = 1024n ** 3n;

function c(name: string, cpu?: string, memory?: string, extra: Partial<Container> = {}): Container {
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return { name, image: 'busybox', ...(cpu || memory ? { resources: { requests } } : {}), ...extra };
}

const spec = (containers: Container[], initContainers: Container[] = []): PodSpec => ({
  containers,
  ...(initContainers.length > 0 ? { initContainers } : {}),
});

const sizeOf = (s: PodSpec): string | undefined => {
  const size = fargateSizeFor(podRequest(s));
  return size && formatFargateSize(size);
};

describe('Fargate task size of a pod (EKS pod configuration rules)', () => {
  it.each([
    { name: 'no requests → the smallest combination', spec: spec([c('app')]), want: '0.25vCPU 0.5GB' },
    {
      name: 'EKS example: 1 vCPU and 8 GB + 256 MB → 2 vCPU 9 GB (no 1 vCPU 9 GB task)',
      spec: spec([c('app', '1', '8Gi')]),
      want: '2vCPU 9GB',
    },
    {
      name: '.25 vCPU, 256 Mi + 256 MB fills 0.5 GB exactly',
      spec: spec([c('a', '250m', '256Mi')]),
      want: '0.25vCPU 0.5GB',
    },
    { name: '.25 vCPU, 257 Mi → 1 GB', spec: spec([c('a', '250m', '257Mi')]), want: '0.25vCPU 1GB' },
    {
      name: '.25 vCPU, 1792 Mi → 2 GB (the row maximum)',
      spec: spec([c('a', '100m', '1792Mi')]),
      want: '0.25vCPU 2GB',
    },
    { name: '.25 vCPU, 1793 Mi → .5 vCPU 3 GB', spec: spec([c('a', '100m', '1793Mi')]), want: '0.5vCPU 3GB' },
    { name: '251m CPU → .5 vCPU', spec: spec([c('a', '251m')]), want: '0.5vCPU 1GB' },
    { name: '.5 vCPU, 1 Gi → 2 GB', spec: spec([c('a', '500m', '1Gi')]), want: '0.5vCPU 2GB' },
    { name: '1 vCPU, no memory → 2 GB (the row minimum)', spec: spec([c('a', '1')]), want: '1vCPU 2GB' },
    { name: '1 vCPU, 7.75 Gi → 8 GB exactly', spec: spec([c('a', '1', '7936Mi')]), want: '1vCPU 8GB' },
    { name: '2 vCPU, 15.75 Gi → 16 GB exactly', spec: spec([c('a', '2', '16128Mi')]), want: '2vCPU 16GB' },
    { name: '2 vCPU, 16 Gi → 4 vCPU 17 GB', spec: spec([c('a', '2', '16Gi')]), want: '4vCPU 17GB' },
    {
      name: '4 vCPU, 30 Gi → 8 vCPU 32 GB (4 GB steps)',
      spec: spec([c('a', '4', '30Gi')]),
      want: '8vCPU 32GB',
    },
    { name: '8 vCPU, 17 Gi → 20 GB (4 GB steps)', spec: spec([c('a', '8', '17Gi')]), want: '8vCPU 20GB' },
    {
      name: '8 vCPU, 60 Gi → 16 vCPU 64 GB (8 GB steps)',
      spec: spec([c('a', '8', '60Gi')]),
      want: '16vCPU 64GB',
    },
    {
      name: '16 vCPU, 119.75 Gi → 120 GB, the largest',
      spec: spec([c('a', '16', '122624Mi')]),
      want: '16vCPU 120GB',
    },
    { name: '16 vCPU, 120 Gi → too large', spec: spec([c('a', '16', '120Gi')]), want: undefined },
    { name: '17 vCPU → too large', spec: spec([c('a', '17')]), want: undefined },
    {
      name: 'long-running containers add up: 3 × 300m, 3 × 300 Mi → 1 vCPU 2 GB',
      spec: spec([c('a', '300m', '300Mi'), c('b', '300m', '300Mi'), c('c', '300m', '300Mi')]),
      want: '1vCPU 2GB',
    },
    {
      name: 'the largest init container wins over smaller app containers: init 2 vCPU',
      spec: spec([c('app', '250m', '256Mi')], [c('init-a', '2', '1Gi'), c('init-b', '1', '6Gi')]),
      want: '2vCPU 7GB',
    },
    {
      name: 'init containers do not add up: 2 × 1 vCPU init → 1 vCPU',
      spec: spec([c('app')], [c('i1', '1'), c('i2', '1')]),
      want: '1vCPU 2GB',
    },
    {
      name: 'a request missing but a limit set: the limit is the request',
      spec: spec([{ name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '3Gi' } } }]),
      want: '1vCPU 4GB',
    },
    {
      name: 'a sidecar counts with the long-running containers and under later init containers',
      spec: spec(
        [c('app', '1', '1Gi')],
        [c('proxy', '1', '1Gi', { restartPolicy: 'Always' }), c('migrate', '1500m', '512Mi')],
      ),
      // long-running 2 vCPU / 2 Gi; init "migrate" beside the sidecar 2.5 vCPU / 1.5 Gi → 2.5 vCPU → 4 vCPU 8 GB
      want: '4vCPU 8GB',
    },
  ])('$name', ({ spec: s, want }) => {
    expect(sizeOf(s)).toBe(want);
  });

  it('the table is the EKS page table: 7 rows, 0.5 GB to 120 GB', () => {
    expect(
      FARGATE_CPU_MEMORY.map((r) => [r.cpu, r.memoryMiB[0], r.memoryMiB.at(-1), r.memoryMiB.length]),
    ).toEqual([
      [256, 512, 2048, 3],
      [512, 1024, 4096, 4],
      [1024, 2048, 8192, 7],
      [2048, 4096, 16384, 13],
      [4096, 8192, 30720, 23],
      [8192, 16384, 61440, 12],
      [16384, 32768, 122880, 12],
    ]);
  });
});

describe('ephemeral storage (EKS: sum + 10 % + 5 GiB, default 20 GiB)', () => {
  it.each([
    { name: 'nothing requested → the default 20 GiB', bytes: 0n, want: undefined },
    { name: '10 GiB → 16 GiB provisioned, within the default', bytes: 10n * GiB, want: undefined },
    { name: '14 GiB → 20.4 GiB → 21 GiB', bytes: 14n * GiB, want: 21 },
    { name: 'EKS example: 100 GiB → 115 GiB', bytes: 100n * GiB, want: 115 },
    { name: '175 GiB, EKS maximum → 198 GiB (192.5 + 5, rounded up)', bytes: 175n * GiB, want: 198 },
  ])('$name', ({ bytes, want }) => {
    expect(ephemeralStorageGiB(bytes)).toBe(want);
  });

  it('more than 175 GiB is too large', () => {
    expect(ephemeralRequestTooLarge(175n * GiB)).toBe(false);
    expect(ephemeralRequestTooLarge(175n * GiB + 1n)).toBe(true);
  });

  it('is summed over the containers like the other resources', () => {
    const s = spec([
      { name: 'a', image: 'x', resources: { requests: { 'ephemeral-storage': '30Gi' } } },
      { name: 'b', image: 'x', resources: { requests: { 'ephemeral-storage': '20Gi' } } },
    ]);
    expect(podRequest(s).ephemeralBytes).toBe(50n * GiB);
    expect(ephemeralStorageGiB(podRequest(s).ephemeralBytes)).toBe(60);
  });
});
