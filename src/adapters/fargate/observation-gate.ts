// Which observations of a task are news for the engine (docs/decisions/0006-fargate-runtime.md §4). A task runs
// its containers in its own order, possibly before the core asked for them; an observation of an instance the core
// has not started yet would be dropped by reconcile — and its id remembered, so the same observation reported later
// would be dropped too. The runtime therefore delivers only observations about the instance the core is on and that
// the pod's state does not reflect yet; the rest is reported again when the core asks (`start` reads the task).
import type { PodState } from '../../core/pod-state.ts';
import type { ContainerObservation } from '../../ports/container-runtime.ts';

export function newsFor(
  state: PodState | undefined,
  o: ContainerObservation,
): ContainerObservation | undefined {
  if (!state || state.pod.metadata.uid !== o.ref.podUid) return undefined;
  const rec = state.engine.containers[o.ref.container];
  if (!rec || rec.instance !== o.ref.instance) return undefined;
  switch (o.type) {
    case 'started':
    case 'startFailed':
      return rec.state.type === 'starting' ? o : undefined;
    case 'exited':
      if (rec.state.type === 'starting') return o;
      // ECS has no container start times: the start the engine recorded is the one the exit goes with.
      if (rec.state.type === 'running') return { ...o, startedAt: rec.state.startedAt };
      return undefined;
  }
}
