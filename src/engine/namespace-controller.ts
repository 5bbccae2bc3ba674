// The namespace controller's deletion, as an engine use case (pkg/controller/namespace/deletion/
// namespaced_resources_deleter.go): once a Namespace is Terminating, every object in it is deleted — ConfigMaps,
// Secrets, CronJobs and Jobs at once, pods gracefully through the engine's own deletion (preStop, SIGTERM, the grace period) — and the
// Namespace itself goes when nothing is left. Upstream the controller then removes its `kubernetes` finalizer and the
// API server deletes the object; here the removal is one step.
//
// The controller is level-triggered: calling finalizeNamespace again is always safe and picks up where the last call
// stopped. podflow calls it when a namespace is deleted (engine.deleteNamespace), after every pod removal in a
// Terminating namespace (execute-actions.ts, the `deletePod` action: in the cloud the lifecycle Lambda that removed
// the last pod removes the namespace), and at engine start for every Terminating namespace (a restart mid-deletion).
import type { Namespace } from 'kubernetes-types/core/v1';
import { isTerminating, withDeletionConditions } from '../core/namespace-deletion.ts';
import type { Clock } from '../ports/clock.ts';
import { isConflict, isNotFound } from '../ports/errors.ts';
import type { ObjectKey, ObjectStore } from '../ports/object-store.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { PodStore } from '../ports/pod-store.ts';

export interface NamespaceControllerDeps {
  store: Pick<PodStore, 'list'>;
  objects: ObjectStore;
  clock: Clock;
}

export type FinalizeOutcome = 'absent' | 'active' | 'waiting' | 'removed';

export const namespaceKey = (name: string): ObjectKey => ({ kind: 'Namespace', namespace: '', name });

/**
 * One pass of the controller over a namespace: nothing for an absent or Active one; for a Terminating one, delete
 * its ConfigMaps and Secrets, ask `deletePod` (when given) to delete every pod not yet being deleted, record what
 * remains in the status conditions, and remove the Namespace once no pod is left.
 */
export async function finalizeNamespace(
  deps: NamespaceControllerDeps,
  name: string,
  deletePod?: (key: PodKey) => Promise<void>,
): Promise<FinalizeOutcome> {
  const found = await deps.objects.get(namespaceKey(name));
  if (!found) return 'absent';
  if (!isTerminating(found.object as Namespace)) return 'active';
  for (const kind of ['ConfigMap', 'Secret', 'CronJob', 'Job'] as const) {
    for (const o of (await deps.objects.list(kind, name)).items) await deps.objects.remove(o.key);
  }
  const { items: pods } = await deps.store.list(name);
  if (deletePod) {
    for (const pod of pods) if (!pod.state.engine.deletion) await deletePod(pod.key);
  }
  if (pods.length > 0) {
    await recordRemaining(deps, name, { pods: pods.length });
    return 'waiting';
  }
  await deps.objects.remove(namespaceKey(name));
  return 'removed';
}

/** The status conditions for what is left (a conflict re-reads; a namespace gone meanwhile is fine). */
async function recordRemaining(
  deps: NamespaceControllerDeps,
  name: string,
  remaining: Record<string, number>,
): Promise<void> {
  for (;;) {
    const current = await deps.objects.get(namespaceKey(name));
    if (!current) return;
    const ns = current.object as Namespace;
    const next = withDeletionConditions(ns, remaining, deps.clock.now());
    if (next === ns) return;
    try {
      await deps.objects.update(namespaceKey(name), current.resourceVersion, next as typeof current.object);
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err)) throw err;
    }
  }
}
