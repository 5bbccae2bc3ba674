// The engine's Prober in the cloud (docs/decisions/0003-probes.md): the lifecycle Lambda cannot run probe workers —
// it lives for one step — so `startProbes`/`stopProbes` become registrations in the pod's shard, which the prober
// Lambda owning that shard picks up on its next sync. One write per container start or stop, nothing in between.
import type { ProbeType } from '../../core/probe-results.ts';
import type { ContainerInstanceRef } from '../../ports/container-runtime.ts';
import type { ProbeRegistry } from '../../ports/prober-lease.ts';
import type { Prober } from '../../ports/prober.ts';
import { shardOf } from './shard-of.ts';

export class RegisteringProber implements Prober {
  readonly #registry: ProbeRegistry;
  readonly #shards: number;

  constructor(options: { registry: ProbeRegistry; shards: number }) {
    this.#registry = options.registry;
    this.#shards = options.shards;
  }

  start(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    return this.#registry.add(shardOf(ref.key, this.#shards), ref, probes);
  }

  stop(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    return this.#registry.remove(shardOf(ref.key, this.#shards), ref, probes);
  }
}
