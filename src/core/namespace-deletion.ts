// What a Namespace's deletion looks like on the object, as the API server and the namespace controller write it:
//  - the API server's namespace storage (pkg/registry/core/namespace/storage/storage.go Delete): the first delete
//    of a namespace with finalizers sets metadata.deletionTimestamp and status.phase Terminating instead of
//    removing it;
//  - the namespace controller (pkg/controller/namespace/deletion/status_condition_utils.go): while it removes the
//    content it keeps five conditions up to date — each False with an "ok" reason unless something failed or remains;
//    NamespaceContentRemaining is True while objects are left (`Some resources are remaining: pods. has 2 resource
//    instances`).
// Pure: time comes in as `now`.
import type { Namespace, NamespaceCondition } from 'kubernetes-types/core/v1';
import { toRfc3339 } from './time.ts';

/** The condition types the controller maintains, in its order (conditionTypes). */
const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

const OK: Record<(typeof CONDITION_TYPES)[number], { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: {
    reason: 'ResourcesDiscovered',
    message: 'All resources successfully discovered',
  },
  NamespaceDeletionGroupVersionParsingFailure: {
    reason: 'ParsedGroupVersions',
    message: 'All legacy kube types successfully parsed',
  },
  NamespaceDeletionContentFailure: {
    reason: 'ContentDeleted',
    message: 'All content successfully deleted, may be waiting on finalization',
  },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: {
    reason: 'ContentHasNoFinalizers',
    message: 'All content-preserving finalizers finished',
  },
};

export const isTerminating = (ns: Namespace | undefined): boolean =>
  ns?.status?.phase === 'Terminating' || ns?.metadata?.deletionTimestamp !== undefined;

/** The namespace as the API server stores it after the first delete: deletionTimestamp now, phase Terminating. */
export function markTerminating(ns: Namespace, now: number): Namespace {
  return {
    ...ns,
    metadata: {
      ...ns.metadata,
      deletionTimestamp: ns.metadata?.deletionTimestamp ?? toRfc3339(now),
    },
    status: { ...ns.status, phase: 'Terminating' },
  };
}

/**
 * updateConditions: the five conditions for what is left, by resource (core group, so `pods.`); a condition whose
 * status changes gets `now` as lastTransitionTime. Returns the namespace unchanged (same object) when nothing
 * changed, so a caller can skip the write.
 */
export function withDeletionConditions(
  ns: Namespace,
  remaining: Readonly<Record<string, number>>,
  now: number,
): Namespace {
  const left = Object.entries(remaining)
    .filter(([, n]) => n > 0)
    .map(([resource, n]) => `${resource}. has ${n} resource instances`)
    .sort();
  const conditions: NamespaceCondition[] = [...(ns.status?.conditions ?? [])];
  let changed = false;
  for (const type of CONDITION_TYPES) {
    const wanted =
      type === 'NamespaceContentRemaining' && left.length > 0
        ? {
            status: 'True',
            reason: 'SomeResourcesRemain',
            message: `Some resources are remaining: ${left.join(', ')}`,
          }
        : { status: 'False', ...OK[type] };
    const at = conditions.findIndex((c) => c.type === type);
    const old = at >= 0 ? conditions[at] : undefined;
    if (old && old.status === wanted.status && old.reason === wanted.reason && old.message === wanted.message)
      continue;
    changed = true;
    const lastTransitionTime = old && old.status === wanted.status ? old.lastTransitionTime : toRfc3339(now);
    const next: NamespaceCondition = {
      type,
      ...wanted,
      ...(lastTransitionTime ? { lastTransitionTime } : {}),
    };
    if (at >= 0) conditions[at] = next;
    else conditions.push(next);
  }
  return changed ? { ...ns, status: { ...ns.status, conditions } } : ns;
}
