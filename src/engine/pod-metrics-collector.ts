// The metrics pipeline of metrics-server (scrape the node's container stats, keep the last two points per container)
// run on demand inside podflow: a metrics request scrapes the runtime when the stored scrape is too old to answer
// with, so nothing is measured while nobody asks (docs/decisions/0015-pod-metrics.md). When to scrape and how two
// scrapes pair up is decided by the core (core/pod-metrics.ts planScrape, storeSamples).
import {
  DEFAULT_SCRAPE_SETTINGS,
  NO_SAMPLES,
  planScrape,
  storeSamples,
  type ContainerSample,
  type MetricsSamples,
  type ScrapeSettings,
} from '../core/pod-metrics.ts';
import type { Clock } from '../ports/clock.ts';

export interface PodMetricsCollectorDeps {
  /** The runtime's measurement of its running containers (ContainerRuntime.containerStats). */
  containerStats: () => Promise<ContainerSample[]>;
  clock: Clock;
  /** Resolves after `ms` (real time in production; tests move a manual clock). */
  delay: (ms: number) => Promise<void>;
  settings?: ScrapeSettings;
}

/** Bounds the scrapes one request may take: a restart (two scrapes), then one more for containers that started
 * between them. */
const MAX_ROUNDS = 2;

export class PodMetricsCollector {
  readonly #deps: PodMetricsCollectorDeps;
  readonly #settings: ScrapeSettings;
  #samples: MetricsSamples = NO_SAMPLES;
  /** Requests that arrive while a refresh runs share it: one scrape serves them all. */
  #refreshing: Promise<MetricsSamples> | undefined;

  constructor(deps: PodMetricsCollectorDeps) {
    this.#deps = deps;
    this.#settings = deps.settings ?? DEFAULT_SCRAPE_SETTINGS;
  }

  /** The last two samples of every running container, scraped now if the stored ones cannot answer. */
  samples(): Promise<MetricsSamples> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #scrape(into: MetricsSamples): Promise<MetricsSamples> {
    const scraped = await this.#deps.containerStats();
    return storeSamples(into, scraped, this.#deps.clock.now());
  }

  async #refresh(): Promise<MetricsSamples> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const plan = planScrape(this.#samples, this.#deps.clock.now(), this.#settings);
      if (plan.kind === 'serve') break;
      if (plan.kind === 'restart') {
        this.#samples = await this.#scrape(NO_SAMPLES);
        await this.#deps.delay(this.#settings.minWindowMs);
      } else if (plan.waitMs > 0) {
        await this.#deps.delay(plan.waitMs);
      }
      this.#samples = await this.#scrape(this.#samples);
    }
    return this.#samples;
  }
}
