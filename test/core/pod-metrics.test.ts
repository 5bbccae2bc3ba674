// Cases from metrics-server pkg/storage/types.go resourceUsage, pkg/storage/pod.go Store / GetMetrics (and their
// tests pod_test.go), pkg/api/pod.go getPodMetrics, and the on-demand scrape plan of docs/decisions/0015.
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import {
  containerUsage,
  DEFAULT_SCRAPE_SETTINGS,
  NO_SAMPLES,
  planScrape,
  podMetrics,
  podUsageTotals,
  storeSamples,
  usageQuantities,
  type ContainerSample,
  type MetricsSamples,
  type ScrapePlan,
} from '../../src/core/pod-metrics.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const SECOND_NS = 1e9;

function sample(over: Partial<ContainerSample> = {}): ContainerSample {
  return {
    podUid: 'uid-a',
    container: 'app',
    instance: 0,
    startedAt: T0 - 60_000,
    at: T0,
    cpuNanoSeconds: 5 * SECOND_NS,
    memoryBytes: 64 * 1024 * 1024,
    ...over,
  };
}

/** Two scrapes stored one after the other. */
function twoScrapes(first: ContainerSample[], second: ContainerSample[]): MetricsSamples {
  const a = storeSamples(NO_SAMPLES, first, Math.max(T0, ...first.map((s) => s.at)));
  return storeSamples(a, second, Math.max(T0, ...second.map((s) => s.at)));
}

function pod(
  over: { phase?: string; containers?: string[]; init?: string[]; labels?: Record<string, string> } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'team-a',
      uid: 'uid-a',
      ...(over.labels ? { labels: over.labels } : {}),
    },
    spec: {
      ...(over.init
        ? { initContainers: over.init.map((name) => ({ name, image: 'x', restartPolicy: 'Always' })) }
        : {}),
      containers: (over.containers ?? ['app']).map((name) => ({ name, image: 'x' })),
    },
    status: { phase: over.phase ?? 'Running' },
  };
}

describe('containerUsage (metrics-server resourceUsage)', () => {
  it.each([
    {
      name: 'one core busy for 1 s → 1e9 nanocores',
      prev: sample(),
      last: sample({ at: T0 + 1000, cpuNanoSeconds: 6 * SECOND_NS }),
      want: { cpuNanoCores: 1e9, windowMs: 1000, at: T0 + 1000 },
    },
    {
      name: 'a quarter core over 15 s',
      prev: sample(),
      last: sample({ at: T0 + 15_000, cpuNanoSeconds: 5 * SECOND_NS + 3.75 * SECOND_NS }),
      want: { cpuNanoCores: 250_000_000, windowMs: 15_000, at: T0 + 15_000 },
    },
    {
      name: 'idle: no CPU time between the samples → 0',
      prev: sample(),
      last: sample({ at: T0 + 2000 }),
      want: { cpuNanoCores: 0, windowMs: 2000, at: T0 + 2000 },
    },
    {
      name: 'rates are truncated to whole nanocores (uint64 conversion)',
      prev: sample(),
      last: sample({ at: T0 + 3000, cpuNanoSeconds: 5 * SECOND_NS + 10_000_000 }),
      want: { cpuNanoCores: 3_333_333, windowMs: 3000, at: T0 + 3000 },
    },
  ])('$name', ({ prev, last, want }) => {
    expect(containerUsage(prev, last)).toEqual({ ...want, memoryBytes: last.memoryBytes });
  });

  it.each([
    {
      name: 'cumulative CPU went down → no usage ("unexpected decrease in cumulative CPU usage value")',
      prev: sample(),
      last: sample({ at: T0 + 1000, cpuNanoSeconds: 4 * SECOND_NS }),
    },
    {
      name: 'start time went back → no usage ("unexpected decrease in startTime")',
      prev: sample(),
      last: sample({ at: T0 + 1000, startedAt: T0 - 120_000, cpuNanoSeconds: 6 * SECOND_NS }),
    },
    { name: 'no time between the samples → no usage', prev: sample(), last: sample({ cpuNanoSeconds: 6e9 }) },
  ])('$name', ({ prev, last }) => {
    expect(containerUsage(prev, last)).toBeUndefined();
  });
});

describe('usageQuantities (metrics-server uint64Quantity)', () => {
  it.each([
    { name: 'one core', cpu: 1e9, memory: 64 * 1024 * 1024, want: { cpu: '1', memory: '64Mi' } },
    {
      name: 'nanocores that fit no larger suffix',
      cpu: 1_000_364_985,
      memory: 1_466_368,
      want: { cpu: '1000364985n', memory: '1432Ki' },
    },
    { name: 'two millicores', cpu: 2_000_000, memory: 1024, want: { cpu: '2m', memory: '1Ki' } },
    { name: 'nothing', cpu: 0, memory: 0, want: { cpu: '0', memory: '0' } },
    {
      name: 'bytes not a multiple of 1024 stay bytes',
      cpu: 5000,
      memory: 1025,
      want: { cpu: '5u', memory: '1025' },
    },
  ])('$name → $want.cpu, $want.memory', ({ cpu, memory, want }) => {
    expect(usageQuantities({ cpuNanoCores: cpu, memoryBytes: memory, at: T0, windowMs: 1000 })).toEqual(want);
  });
});

describe('storeSamples (metrics-server podStorage.Store)', () => {
  it('the stored last sample becomes the previous one of a newer sample of the same instance', () => {
    const s = twoScrapes([sample()], [sample({ at: T0 + 1000, cpuNanoSeconds: 6e9 })]);
    expect(s.prev.get('uid-a/app')?.at).toBe(T0);
    expect(s.last.get('uid-a/app')?.at).toBe(T0 + 1000);
    expect(s.at).toBe(T0 + 1000);
  });

  it.each([
    {
      name: 'a restarted container (next instance) has no previous sample',
      second: { instance: 1, startedAt: T0 + 500 },
    },
    {
      name: 'the same instance number with another start (recreated) has none',
      second: { startedAt: T0 + 500 },
    },
  ])('$name', ({ second }) => {
    const s = twoScrapes([sample()], [sample({ at: T0 + 1000, cpuNanoSeconds: 1e6, ...second })]);
    expect(s.prev.has('uid-a/app')).toBe(false);
    expect(s.last.get('uid-a/app')?.cpuNanoSeconds).toBe(1e6);
  });

  it('a sample no newer than the stored one keeps the stored previous sample when that is older', () => {
    const s = twoScrapes([sample()], [sample({ at: T0 + 1000, cpuNanoSeconds: 6e9 })]);
    const again = storeSamples(s, [sample({ at: T0 + 1000, cpuNanoSeconds: 6e9 })], T0 + 1000);
    expect(again.prev.get('uid-a/app')?.at).toBe(T0);
  });

  it('a container that is not measured any more is dropped; a duplicate point counts once', () => {
    const s = twoScrapes(
      [sample(), sample({ container: 'gone' })],
      [sample({ at: T0 + 1000 }), sample({ at: T0 + 1000, cpuNanoSeconds: 9e9 })],
    );
    expect([...s.last.keys()]).toEqual(['uid-a/app']);
    expect(s.last.get('uid-a/app')?.cpuNanoSeconds).toBe(5e9);
  });
});

describe('planScrape (on demand, window at least minWindowMs)', () => {
  const settings = DEFAULT_SCRAPE_SETTINGS;
  const paired = twoScrapes([sample()], [sample({ at: T0 + 1000 })]);
  const withNewContainer = storeSamples(
    paired,
    [sample({ at: T0 + 1500 }), sample({ container: 'new', at: T0 + 1500 })],
    T0 + 1500,
  );
  it.each<{ name: string; samples: MetricsSamples; now: number; want: ScrapePlan }>([
    {
      name: 'never scraped → restart (two scrapes a window apart)',
      samples: NO_SAMPLES,
      now: T0,
      want: { kind: 'restart' },
    },
    {
      name: 'last scrape older than maxAgeMs (metric resolution) → restart',
      samples: paired,
      now: T0 + 1000 + settings.maxAgeMs + 1,
      want: { kind: 'restart' },
    },
    {
      name: 'last scrape exactly maxAgeMs old → scrape and pair with it',
      samples: paired,
      now: T0 + 1000 + settings.maxAgeMs,
      want: { kind: 'scrape', waitMs: 0 },
    },
    {
      name: 'last scrape 1 s old → scrape now',
      samples: paired,
      now: T0 + 2000,
      want: { kind: 'scrape', waitMs: 0 },
    },
    {
      name: 'last scrape 300 ms old, every container paired → serve it',
      samples: paired,
      now: T0 + 1300,
      want: { kind: 'serve' },
    },
    {
      name: 'last scrape 300 ms old with a container not paired yet → scrape once it is 1 s old',
      samples: withNewContainer,
      now: T0 + 1800,
      want: { kind: 'scrape', waitMs: 700 },
    },
  ])('$name', ({ samples, now, want }) => {
    expect(planScrape(samples, now, settings)).toEqual(want);
  });
});

describe('podMetrics (metrics-server getPodMetrics + GetMetrics)', () => {
  const busy = twoScrapes(
    [sample(), sample({ container: 'side', cpuNanoSeconds: 0, memoryBytes: 1_466_368 })],
    [
      sample({ at: T0 + 1002, cpuNanoSeconds: 6e9 + 2e6 }),
      sample({ container: 'side', at: T0 + 1001, cpuNanoSeconds: 0, memoryBytes: 1_466_368 }),
    ],
  );

  it('a Running pod: containers in spec order (sidecar init containers first), earliest timestamp and its window', () => {
    const m = podMetrics(pod({ init: ['side'], labels: { app: 'web' } }), busy, T0 + 5000);
    expect(m).toEqual({
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: 'web',
        namespace: 'team-a',
        creationTimestamp: '2026-12-01T10:00:05Z',
        labels: { app: 'web' },
      },
      timestamp: '2026-12-01T10:00:01Z',
      window: '1.001s',
      containers: [
        { name: 'side', usage: { cpu: '0', memory: '1432Ki' } },
        { name: 'app', usage: { cpu: '1', memory: '64Mi' } },
      ],
    });
  });

  it.each([
    { name: 'Pending', p: pod({ phase: 'Pending' }), samples: busy },
    { name: 'Succeeded', p: pod({ phase: 'Succeeded' }), samples: busy },
    { name: 'no container measured', p: pod({ containers: ['other'] }), samples: busy },
    {
      name: 'a measured container without a previous sample (every container must have a pair)',
      p: pod({ init: ['side'] }),
      samples: storeSamples(
        busy,
        [sample({ at: T0 + 2000 }), sample({ container: 'side', instance: 1, at: T0 + 2000 })],
        T0 + 2000,
      ),
    },
  ])('no PodMetrics: $name', ({ p, samples }) => {
    expect(podMetrics(p, samples, T0 + 5000)).toBeUndefined();
  });

  it('a container whose counter went back is left out, the others are reported', () => {
    const s = twoScrapes(
      [sample(), sample({ container: 'side', cpuNanoSeconds: 9e9 })],
      [
        sample({ at: T0 + 1000, cpuNanoSeconds: 5.5e9 }),
        sample({ container: 'side', at: T0 + 1000, cpuNanoSeconds: 1e9 }),
      ],
    );
    const m = podMetrics(pod({ containers: ['app', 'side'] }), s, T0 + 1000);
    expect(m?.containers).toEqual([{ name: 'app', usage: { cpu: '500m', memory: '64Mi' } }]);
  });
});

describe('podUsageTotals (metrics-server addPodMetricsToTable)', () => {
  it.each([
    { name: 'one container', usages: [['1', '64Mi']], want: { cpu: '1', memory: '64Mi' } },
    {
      name: 'two containers add up',
      usages: [
        ['1', '64Mi'],
        ['2m', '1Ki'],
      ],
      want: { cpu: '1002m', memory: '65537Ki' },
    },
    {
      name: 'nanocores and bytes',
      usages: [
        ['689310689n', '79012Ki'],
        ['0', '1708Ki'],
      ],
      want: { cpu: '689310689n', memory: '80720Ki' },
    },
    { name: 'no container', usages: [], want: { cpu: '0', memory: '0' } },
  ])('$name → $want.cpu, $want.memory', ({ usages, want }) => {
    const m = podMetrics(pod(), twoScrapes([sample()], [sample({ at: T0 + 1000 })]), T0)!;
    const containers = usages.map(([cpu, memory], i) => ({
      name: `c${i}`,
      usage: { cpu: cpu!, memory: memory! },
    }));
    expect(podUsageTotals({ ...m, containers })).toEqual(want);
  });
});
