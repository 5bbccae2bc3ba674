// A Prober that records which probe workers the engine asked for and runs none: for tests of the layers above the
// engine that do not exercise probes (test/api/). Under it a pod with a readiness probe stays unready.
import type { ProbeType } from '../../core/probe-results.ts';
import type { ContainerInstanceRef } from '../../ports/container-runtime.ts';
import type { Prober } from '../../ports/prober.ts';

export class NoopProber implements Prober {
  readonly active = new Map<string, Set<ProbeType>>();

  async start(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    const id = `${ref.podUid}/${ref.container}/${ref.instance}`;
    const set = this.active.get(id) ?? new Set();
    probes.forEach((p) => set.add(p));
    this.active.set(id, set);
  }

  async stop(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void> {
    const id = `${ref.podUid}/${ref.container}/${ref.instance}`;
    const set = this.active.get(id);
    probes.forEach((p) => set?.delete(p));
    if (set && set.size === 0) this.active.delete(id);
  }
}
