// The resource metrics API (metrics.k8s.io/v1beta1 PodMetrics, what `kubectl top pod` reads) from two cumulative
// samples per container, as metrics-server computes it (docs/decisions/0015-pod-metrics.md):
//  - metrics-server pkg/storage/types.go resourceUsage: CPU usage = the growth of the cumulative CPU time between the
//    previous and the last sample divided by the time between them (nanocores); memory = the last sample's working
//    set; the pair's `window` is last − prev and its `timestamp` the last sample's time. A decreasing counter or an
//    earlier start time skips the container.
//  - pkg/storage/pod.go Store: a container's last sample becomes its previous one only when the new sample is newer
//    and of the same container instance (a restarted container starts its counters again); GetMetrics: a pod is
//    reported only when every one of its measured containers has a pair, with the earliest container timestamp.
//  - pkg/api/pod.go getPodMetrics: only Running pods; metadata is the pod's name, namespace and labels with
//    creationTimestamp = now.
// When to sample is decided here too (`planScrape`): the API samples on demand instead of every metric resolution,
// and never serves a window shorter than `minWindowMs`.
import type { Pod } from 'kubernetes-types/core/v1';
import { formatGoDuration } from './duration.ts';
import { addQuantities, formatQuantity, parseQuantity, quantityFromInteger } from './quantity.ts';
import { toRfc3339 } from './time.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_GROUP_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/**
 * One measurement of a running container instance: what CRI ContainerStats gives the kubelet's summary API
 * (`cpu.usageCoreNanoSeconds`, `memory.workingSetBytes`; pkg/kubelet/stats/cri_stats_provider.go) and metrics-server
 * keeps as a MetricsPoint.
 */
export interface ContainerSample {
  podUid: string;
  container: string;
  /** The instance (restartCount): a new instance's counters start again from zero. */
  instance: number;
  /** When the instance started, epoch ms (MetricsPoint.StartTime). */
  startedAt: number;
  /** When it was measured, epoch ms (MetricsPoint.Timestamp). */
  at: number;
  /** CPU time used by the instance since it started, nanoseconds (MetricsPoint.CumulativeCPUUsed). */
  cpuNanoSeconds: number;
  /** Working set, bytes (MetricsPoint.MemoryUsage). */
  memoryBytes: number;
}

/** The last two samples per container (metrics-server podStorage `last` / `prev`), keyed by `sampleKey`. */
export interface MetricsSamples {
  /** When the last scrape was taken (undefined: never). */
  at?: number;
  last: ReadonlyMap<string, ContainerSample>;
  prev: ReadonlyMap<string, ContainerSample>;
}

export const NO_SAMPLES: MetricsSamples = { last: new Map(), prev: new Map() };

export const sampleKey = (podUid: string, container: string): string => `${podUid}/${container}`;

export interface ScrapeSettings {
  /** The shortest window a usage is computed over: CPU time is counted in clock ticks (10 ms), so a 1 s window is
   * accurate to about 1 %. */
  minWindowMs: number;
  /** A last scrape older than this is not paired with a new one: the usage would be an average over minutes rather
   * than the current rate. metrics-server scrapes every metric resolution, so its windows are that long. */
  maxAgeMs: number;
}

/**
 * Defaults. maxAgeMs: metrics-server's scrape interval `--metric-resolution` as its release manifests set it
 * (manifests/base/deployment.yaml: 15s; cmd/metrics-server/app/options/options.go NewOptions defaults to 60 s), the
 * window a metrics-server normally serves.
 */
export const DEFAULT_SCRAPE_SETTINGS: ScrapeSettings = { minWindowMs: 1_000, maxAgeMs: 15_000 };

/**
 * What to do before answering a metrics request at `now`:
 * - `restart`: no recent scrape to pair with — scrape, wait minWindowMs, scrape again;
 * - `scrape`: scrape (after `waitMs`, so that the window is at least minWindowMs) and pair it with the last one;
 * - `serve`: the stored pair is recent and complete (a repeated request within minWindowMs).
 */
export type ScrapePlan = { kind: 'restart' } | { kind: 'scrape'; waitMs: number } | { kind: 'serve' };

export function planScrape(samples: MetricsSamples, now: number, settings: ScrapeSettings): ScrapePlan {
  if (samples.at === undefined || now - samples.at > settings.maxAgeMs) return { kind: 'restart' };
  const age = now - samples.at;
  if (age >= settings.minWindowMs) return { kind: 'scrape', waitMs: 0 };
  if (unpairedContainers(samples).length === 0) return { kind: 'serve' };
  return { kind: 'scrape', waitMs: settings.minWindowMs - age };
}

/** Containers measured in the last scrape without a previous sample to compute a usage from. */
export function unpairedContainers(samples: MetricsSamples): string[] {
  return [...samples.last.keys()].filter((k) => !samples.prev.has(k));
}

const sameInstance = (a: ContainerSample, b: ContainerSample): boolean =>
  a.instance === b.instance && a.startedAt === b.startedAt;

/**
 * metrics-server podStorage.Store: the new scrape becomes `last`; a container's previous sample is the stored last
 * one when the new sample is newer and of the same instance, else the stored previous one when that is still older
 * than the new sample; a restarted container has none until the next scrape.
 */
export function storeSamples(
  stored: MetricsSamples,
  scraped: readonly ContainerSample[],
  at: number,
): MetricsSamples {
  const last = new Map<string, ContainerSample>();
  const prev = new Map<string, ContainerSample>();
  for (const sample of scraped) {
    const key = sampleKey(sample.podUid, sample.container);
    if (last.has(key)) continue; // a duplicate point: the first one counts (Store logs and skips it)
    last.set(key, sample);
    const before = stored.last.get(key);
    if (!before || !sameInstance(before, sample)) continue;
    if (sample.at > before.at) prev.set(key, before);
    else {
      const older = stored.prev.get(key);
      if (older && sameInstance(older, sample) && older.at < sample.at) prev.set(key, older);
    }
  }
  return { at, last, prev };
}

export interface ContainerUsage {
  cpuNanoCores: number;
  memoryBytes: number;
  /** The last sample's time and the pair's span (metrics-server api.TimeInfo). */
  at: number;
  windowMs: number;
}

/** metrics-server resourceUsage: undefined where it returns an error (counters went back, no time between). */
export function containerUsage(prev: ContainerSample, last: ContainerSample): ContainerUsage | undefined {
  if (last.startedAt < prev.startedAt || last.cpuNanoSeconds < prev.cpuNanoSeconds) return undefined;
  const windowMs = last.at - prev.at;
  if (windowMs <= 0) return undefined;
  return {
    cpuNanoCores: Math.floor((last.cpuNanoSeconds - prev.cpuNanoSeconds) / (windowMs / 1000)),
    memoryBytes: last.memoryBytes,
    at: last.at,
    windowMs,
  };
}

/** metrics.k8s.io/v1beta1 ContainerMetrics / PodMetrics as served (k8s.io/metrics pkg/apis/metrics/v1beta1/types.go). */
export interface ContainerMetrics {
  name: string;
  usage: { cpu: string; memory: string };
}

export interface PodMetrics {
  kind: 'PodMetrics';
  apiVersion: typeof METRICS_GROUP_VERSION;
  metadata: { name: string; namespace: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  containers: ContainerMetrics[];
}

/**
 * The quantities as metrics-server encodes them (types.go uint64Quantity): CPU as a DecimalSI quantity of
 * nanocores (`1000364985n`, `2m`, `1`), memory as a BinarySI quantity of bytes (`65536Ki`, `64Mi`).
 */
export function usageQuantities(usage: ContainerUsage): { cpu: string; memory: string } {
  return {
    cpu: formatQuantity({ nanos: BigInt(usage.cpuNanoCores), format: 'DecimalSI' }),
    memory: formatQuantity(quantityFromInteger(usage.memoryBytes, 'BinarySI')),
  };
}

/**
 * A pod's PodMetrics (metrics-server getPodMetrics + podStorage.GetMetrics), or undefined when it has none: not
 * Running, no container measured, or a measured container without a previous sample. Containers in spec order
 * (init containers that run alongside first); timestamp and window of the earliest container pair.
 */
export function podMetrics(pod: Pod, samples: MetricsSamples, now: number): PodMetrics | undefined {
  if (pod.status?.phase !== 'Running') return undefined;
  const uid = pod.metadata?.uid ?? '';
  const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
  const containers: ContainerMetrics[] = [];
  let earliest: ContainerUsage | undefined;
  let measured = 0;
  for (const name of names) {
    const key = sampleKey(uid, name);
    const last = samples.last.get(key);
    if (!last) continue;
    measured++;
    const prev = samples.prev.get(key);
    if (!prev) return undefined;
    const usage = containerUsage(prev, last);
    if (!usage) continue;
    containers.push({ name, usage: usageQuantities(usage) });
    if (!earliest || usage.at < earliest.at) earliest = usage;
  }
  if (measured === 0) return undefined;
  const labels = pod.metadata?.labels;
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_GROUP_VERSION,
    metadata: {
      name: pod.metadata?.name ?? '',
      namespace: pod.metadata?.namespace ?? '',
      creationTimestamp: toRfc3339(now),
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    },
    timestamp: toRfc3339(earliest?.at ?? now),
    window: formatGoDuration(earliest?.windowMs ?? 0),
    containers,
  };
}

/**
 * The pod's usage summed over its containers, as metrics-server's Table shows it (pkg/api/pod.go
 * addPodMetricsToTable: each resource's quantities added, printed in the canonical form).
 */
export function podUsageTotals(m: PodMetrics): { cpu: string; memory: string } {
  const sum = (resource: 'cpu' | 'memory', format: 'DecimalSI' | 'BinarySI'): string =>
    formatQuantity(
      m.containers.reduce(
        (total, c) => addQuantities(total, parseQuantity(c.usage[resource])),
        quantityFromInteger(0, format),
      ),
    );
  return { cpu: sum('cpu', 'DecimalSI'), memory: sum('memory', 'BinarySI') };
}
