// Deleting an owner object (a Job, a CronJob) with a propagation policy, as the API server's registry
// (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go Delete, updateForGracefulDeletionAndFinalizers)
// and the garbage collector (pkg/controller/garbagecollector/garbagecollector.go) do between them:
// - Orphan: the dependents lose the owner's reference (the GC's orphanDependents), then the owner is removed;
// - Background: the owner is removed; its controller collects the dependents afterwards;
// - Foreground: the owner is marked (deletionTimestamp, the foregroundDeletion finalizer) and stays until its
//   controller has seen every dependent go, then removes it.
import { toRfc3339 } from '../core/time.ts';
import type { Clock } from '../ports/clock.ts';
import { isConflict, isNotFound } from '../ports/errors.ts';
import type { ApiObject, ObjectKey, ObjectKind, ObjectStore, StoredObject } from '../ports/object-store.ts';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** metav1.FinalizerDeleteDependents. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export interface OwnerDeletion {
  kind: ObjectKind;
  objects: Pick<ObjectStore, 'get' | 'update' | 'remove'>;
  clock: Clock;
  /** Takes the owner's reference off each of its dependents (Orphan). */
  orphanDependents: (owner: ApiObject) => Promise<void>;
  /** The owner's controller queue (sync-queue.ts): it syncs after every deletion, and a removed owner's timer goes. */
  queue: {
    enqueue(namespace: string, name: string): void;
    arm(namespace: string, name: string, at: number | undefined): void;
  };
}

/**
 * The owner kind's DELETE: `(namespace, name, policy, expectedResourceVersion?)`. A precondition on the
 * resourceVersion holds for the whole request (a conflict is the caller's 409); without one, a write that raced is
 * retried against the newer version. Resolves to the owner as it is after the request (marked, for Foreground), or
 * undefined when it is gone.
 */
export function ownerDeleter(d: OwnerDeletion) {
  return async (
    namespace: string,
    name: string,
    policy: PropagationPolicy,
    expectedResourceVersion?: string,
  ): Promise<StoredObject | undefined> => {
    const key: ObjectKey = { kind: d.kind, namespace, name };
    for (;;) {
      const stored = await d.objects.get(key);
      if (!stored) return undefined;
      const owner = stored.object;
      try {
        if (policy === 'Foreground') {
          if (owner.metadata?.deletionTimestamp !== undefined) return stored;
          const marked = await d.objects.update(key, expectedResourceVersion ?? stored.resourceVersion, {
            ...owner,
            metadata: {
              ...owner.metadata,
              deletionTimestamp: toRfc3339(d.clock.now()),
              deletionGracePeriodSeconds: 0,
              finalizers: [...(owner.metadata?.finalizers ?? []), FOREGROUND_FINALIZER],
            },
          } as ApiObject);
          d.queue.enqueue(namespace, name);
          return marked;
        }
        if (policy === 'Orphan') await d.orphanDependents(owner);
        await d.objects.remove(key, expectedResourceVersion ?? stored.resourceVersion);
        d.queue.arm(namespace, name, undefined);
        d.queue.enqueue(namespace, name);
        return undefined;
      } catch (err) {
        if (isConflict(err) && expectedResourceVersion === undefined) continue;
        throw err;
      }
    }
  };
}

/**
 * Foreground deletion's last step, in the owner's sync: the marked owner goes once its controller sees no dependent
 * left. A newer version or a removal meanwhile is left alone: that change makes a sync of its own.
 */
export async function removeIfNoDependents(
  objects: Pick<ObjectStore, 'remove'>,
  owner: StoredObject,
  dependents: number,
): Promise<void> {
  if (dependents > 0) return;
  await objects.remove(owner.key, owner.resourceVersion).catch((err: unknown) => {
    if (!isConflict(err) && !isNotFound(err)) throw err;
  });
}
