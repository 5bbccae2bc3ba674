// Until the probes issue lands: records which probe workers the engine asked for, runs none. A pod with a
// readiness probe therefore stays unready; `podflow validate` and the README say so.
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
