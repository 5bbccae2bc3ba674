// Pod update validation (pkg/apis/core/validation/validation.go ValidatePodUpdate, docs/semantics.md §10): a pod's
// spec is immutable except container/initContainer images, activeDeadlineSeconds (may be set, or lowered) and
// tolerations (additions only). Metadata labels and annotations may change; name, namespace and uid may not. Both
// objects are expected defaulted (the API server defaults the incoming object before validating the update).
import type { Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1';
import { forbidden, invalid, type FieldError } from '../field-errors.ts';

/** The API server's text (updatablePodSpecFields). */
export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

const FIELD_IMMUTABLE = 'field is immutable';

/** Deterministic JSON (sorted keys) for structural comparison. */
function canonical(v: unknown): string {
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
