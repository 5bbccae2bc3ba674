// The engine's Prober in the cloud (docs/decisions/0003-probes.md): the lifecycle Lambda cannot run probe workers —
// it lives for one step — so `startProbes`/`stopProbes` become registrations in the pod's shard, which the prober
// Lambda owning that shard picks up on its next sync. One write per container start or stop, nothing in between.
// A shard with no probes has no prober running (it ended with its last probe: shard-prober.ts), so `start` also
// wakes the shard (`wakeShard`, cloud: startIdleShard — one conditional write on the lease, and an invoke only when
// the lease was free), and the new probe runs within its period instead of at the supervisor's next minute.
import type { ProbeType } from '../../core/probe-results.ts';
import type { ContainerInstanceRef } from '../../ports/container-runtime.ts';
import type { ProbeRegistry } from '../../ports/prober-lease.ts';
import type { Prober } from '../../ports/prober.ts';
import { shardOf } from './shard-of.ts';

export class RegisteringProber implements Prober {
  readonly #registry: ProbeRegistry;
  readonly #shards: number;
  readonly #wakeShard: ((shard: number) => Promise<unknown>) | undefined;

  constructor(options: {
    registry: ProbeRegistry;
    shards: number;
    /** Starts a prober for the shard if none holds its lease. Called after the registration is stored. */
    wakeShard?: (shard: number) => Promise<unknown>;
  }) {
    this.#registry = options.registry;
    this.#shards = options.shards;
    this.#wakeShard = options.wakeShard;
  }

  async start(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    const shard = shardOf(ref.key, this.#shards);
    await this.#registry.add(shard, ref, probes);
    // After the write, never before: a run letting the shard go re-reads the registrations after its release, so
    // either it sees this one or this wake finds the lease free (shard-prober.ts letGoIfIdle).
    if (probes.length > 0) await this.#wakeShard?.(shard);
  }

  stop(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    return this.#registry.remove(shardOf(ref.key, this.#shards), ref, probes);
  }
}
