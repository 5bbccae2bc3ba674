// The on-demand scrapes of PodMetricsCollector: a manual clock, a delay that moves it, and a runtime whose container
// burns a known CPU rate — so every window and usage is exact.
import { describe, expect, it } from 'vitest';
import { containerUsage, DEFAULT_SCRAPE_SETTINGS, type ContainerSample } from '../../src/core/pod-metrics.ts';
import { PodMetricsCollector } from '../../src/engine/pod-metrics-collector.ts';
import { ManualClock } from '../support/manual-clock.ts';

interface Fake {
  collector: PodMetricsCollector;
  clock: ManualClock;
  scrapes: number[];
  delays: number[];
  /** Containers measured: name → CPU rate in cores (their cumulative CPU grows at that rate from the start). */
  running: Map<string, number>;
}

function fake(): Fake {
  const clock = new ManualClock();
  const start = clock.now();
  const scrapes: number[] = [];
  const delays: number[] = [];
  const running = new Map<string, number>([['app', 0.5]]);
  const containerStats = async (): Promise<ContainerSample[]> => {
    scrapes.push(clock.now());
    return [...running].map(([container, cores]) => ({
      podUid: 'uid',
      container,
      instance: 0,
      startedAt: start,
      at: clock.now(),
      cpuNanoSeconds: Math.round((clock.now() - start) * 1e6 * cores),
      memoryBytes: 1024,
    }));
  };
  const delay = async (ms: number): Promise<void> => {
    delays.push(ms);
    clock.advance(ms);
  };
  return {
    collector: new PodMetricsCollector({ containerStats, clock, delay }),
    clock,
    scrapes,
    delays,
    running,
  };
}

const usageOf = (s: Awaited<ReturnType<PodMetricsCollector['samples']>>, container = 'app') =>
  containerUsage(s.prev.get(`uid/${container}`)!, s.last.get(`uid/${container}`)!);

describe('PodMetricsCollector', () => {
  it('the first request scrapes twice, minWindowMs apart, and answers with that pair', async () => {
    const f = fake();
    f.clock.advance(10_000);
    const s = await f.collector.samples();
    expect(f.delays).toEqual([DEFAULT_SCRAPE_SETTINGS.minWindowMs]);
    expect(f.scrapes.length).toBe(2);
    expect(usageOf(s)).toMatchObject({ cpuNanoCores: 500_000_000, windowMs: 1000 });
  });

  it('a request 5 s later scrapes once and pairs it with the stored scrape (a 5 s window, no wait)', async () => {
    const f = fake();
    await f.collector.samples();
    f.clock.advance(5000);
    const s = await f.collector.samples();
    expect(f.scrapes.length).toBe(3);
    expect(f.delays.length).toBe(1);
    expect(usageOf(s)).toMatchObject({ cpuNanoCores: 500_000_000, windowMs: 5000 });
  });

  it('a request within minWindowMs of the last scrape is served from it, without scraping', async () => {
    const f = fake();
    const first = await f.collector.samples();
    f.clock.advance(300);
    const again = await f.collector.samples();
    expect(f.scrapes.length).toBe(2);
    expect(again).toBe(first);
  });

  it('after more than maxAgeMs the old scrape is dropped: two fresh scrapes, the rate of now', async () => {
    const f = fake();
    await f.collector.samples();
    f.clock.advance(DEFAULT_SCRAPE_SETTINGS.maxAgeMs + 1);
    f.running.set('app', 0.5); // unchanged rate: the window shows which scrapes were paired
    const s = await f.collector.samples();
    expect(f.scrapes.length).toBe(4);
    expect(usageOf(s)?.windowMs).toBe(DEFAULT_SCRAPE_SETTINGS.minWindowMs);
  });

  it('a container that appeared since the last scrape gets its pair in the same request, after the rest of a window', async () => {
    const f = fake();
    await f.collector.samples();
    f.clock.advance(2000);
    f.running.set('new', 1);
    const s = await f.collector.samples();
    // One scrape pairs `app` and finds `new`; a second one, a full window later, pairs `new` too.
    expect(f.scrapes.length).toBe(4);
    expect(f.delays).toEqual([1000, 1000]);
    expect(usageOf(s, 'new')).toMatchObject({ cpuNanoCores: 1e9, windowMs: 1000 });
    expect(usageOf(s, 'app')).toMatchObject({ cpuNanoCores: 500_000_000, windowMs: 1000 });
  });

  it('concurrent requests share one refresh', async () => {
    const f = fake();
    const [a, b, c] = await Promise.all([
      f.collector.samples(),
      f.collector.samples(),
      f.collector.samples(),
    ]);
    expect(f.scrapes.length).toBe(2);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });
});
