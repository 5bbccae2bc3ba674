// Pod update validation (pkg/apis/core/validation/validation.go ValidatePodUpdate, docs/semantics.md §10): a pod's
// spec is immutable except container/initContainer images, activeDeadlineSeconds (may be set, or lowered) and
// tolerations (additions only). Metadata labels and annotations may change; name, namespace and uid may not. Both
// objects are expected defaulted (the API server defaults the incoming object before validating the update).
import type { Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1';
import { forbidden, invalid, type FieldError } from '../field-errors.ts';
import type { AdmittedPod } from '../pod-state.ts';

/** The API server's text (updatablePodSpecFields). */
export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** apimachineryvalidation.FieldImmutableErrorMsg. */
export const FIELD_IMMUTABLE = 'field is immutable';

/** Deterministic JSON (sorted keys) for structural comparison. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The spec with the updatable fields masked by the old spec's values (what upstream compares). */
function masked(spec: PodSpec, old: PodSpec): PodSpec {
  const images = (list: PodSpec['containers'] | undefined, oldList: PodSpec['containers'] | undefined) =>
    list?.map((c, i) => ({ ...c, image: oldList?.[i]?.image ?? c.image }));
  return {
    ...spec,
    containers: images(spec.containers, old.containers) ?? [],
    ...(spec.initContainers ? { initContainers: images(spec.initContainers, old.initContainers) } : {}),
    activeDeadlineSeconds: old.activeDeadlineSeconds,
    tolerations: old.tolerations,
    // Changed through their own subresource only (ephemeral-containers-update.ts); an update of the pod keeps them.
    ephemeralContainers: old.ephemeralContainers,
  };
}

const tolerationKey = (t: Toleration) => canonical(t);

export function validatePodUpdate(next: Pod, old: Pod): FieldError[] {
  const errors: FieldError[] = [];
  for (const f of ['name', 'namespace', 'uid'] as const) {
    const before = old.metadata?.[f];
    const after = next.metadata?.[f];
    if (after !== undefined && after !== before)
      errors.push(invalid(`metadata.${f}`, after, FIELD_IMMUTABLE));
  }
  const spec = next.spec;
  const oldSpec = old.spec;
  if (!spec || !oldSpec) return errors;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  const newDeadline = spec.activeDeadlineSeconds;
  if (oldDeadline !== undefined) {
    if (newDeadline === undefined || newDeadline > oldDeadline) {
      errors.push(
        invalid(
          'spec.activeDeadlineSeconds',
          newDeadline ?? null,
          'must be less than or equal to previous value',
        ),
      );
    }
  }
  const added = new Set((spec.tolerations ?? []).map(tolerationKey));
  for (const t of oldSpec.tolerations ?? []) {
    if (!added.has(tolerationKey(t))) {
      errors.push(
        forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'),
      );
      break;
    }
  }
  if (canonical(masked(spec, oldSpec)) !== canonical(oldSpec))
    errors.push(forbidden('spec', POD_UPDATE_FORBIDDEN));
  return errors;
}

/** Names of containers (init and app) whose image an update changes. */
export function changedImages(next: PodSpec, old: PodSpec): string[] {
  const before = new Map([...(old.initContainers ?? []), ...old.containers].map((c) => [c.name, c.image]));
  return [...(next.initContainers ?? []), ...next.containers]
    .filter((c) => before.get(c.name) !== c.image)
    .map((c) => c.name);
}

export type PodUpdate =
  | {
      ok: true;
      /** What the update stores. */
      pod: AdmittedPod;
      /** Containers (init and app) whose image changed: the kubelet restarts them on the new spec. */
      changedContainers: string[];
      /** activeDeadlineSeconds changed: the deadline timer is re-armed. */
      deadlineChanged: boolean;
    }
  | { ok: false; errors: FieldError[] };

/**
 * Applies an update (PUT, or a patch's result) to the stored pod as the API server does: ValidatePodUpdate, then
 * the object takes the updatable fields from `next` — labels, annotations, ownerReferences, container images,
 * activeDeadlineSeconds, tolerations — and keeps everything else. One function for the update the engine stores
 * and for the one a dry run shows, so the two never differ. `next` must be defaulted.
 */
export function applyPodUpdate(current: AdmittedPod, next: Pod): PodUpdate {
  const errors = validatePodUpdate(next, current);
  if (errors.length > 0) return { ok: false, errors };
  const spec = current.spec;
  const images = new Map(
    [...(next.spec?.initContainers ?? []), ...(next.spec?.containers ?? [])].map((c) => [c.name, c.image]),
  );
  const withImage = <T extends { name: string; image?: string }>(c: T): T => ({
    ...c,
    image: images.get(c.name) ?? c.image,
  });
  const pod: AdmittedPod = {
    ...current,
    metadata: {
      ...current.metadata,
      labels: next.metadata?.labels,
      annotations: next.metadata?.annotations,
      // Metadata the garbage collector reads: an orphaned dependent loses its ownerReferences by an update.
      ownerReferences: next.metadata?.ownerReferences,
    },
    spec: {
      ...spec,
      containers: spec.containers.map(withImage),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(withImage) } : {}),
      ...(next.spec?.activeDeadlineSeconds !== undefined
        ? { activeDeadlineSeconds: next.spec.activeDeadlineSeconds }
        : {}),
      ...(next.spec?.tolerations ? { tolerations: next.spec.tolerations } : {}),
    },
  };
  return {
    ok: true,
    pod,
    changedContainers: changedImages(pod.spec, spec),
    deadlineChanged: pod.spec.activeDeadlineSeconds !== spec.activeDeadlineSeconds,
  };
}
