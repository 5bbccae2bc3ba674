// The pods/ephemeralcontainers subresource's update (what `kubectl debug` patches): upstream
// pkg/registry/core/pod/strategy.go podEphemeralContainersStrategy and pkg/apis/core/validation/validation.go
// ValidatePodEphemeralContainersUpdate. Only spec.ephemeralContainers is taken from the request
// (dropNonEphemeralContainerUpdates keeps everything else of the stored pod); the new list must be valid
// (validateEphemeralContainers) and keep every existing ephemeral container unchanged — they may be added, never
// changed or removed. Both objects are expected defaulted (defaultPod defaults ephemeral containers as containers).
import type { EphemeralContainer, Pod } from 'kubernetes-types/core/v1';
import { child, forbidden, key } from '../field-errors.ts';
import type { AdmittedPod } from '../pod-state.ts';
import type { ManifestFieldError } from './manifest-field-errors.ts';
import { checkSupportPolicy, type SupportCheckResult } from './support-policy.ts';
import { validateEphemeralContainers } from './validate-pod.ts';
import { canonical } from './validate-pod-update.ts';

const PATH = 'spec.ephemeralContainers';

export type EphemeralContainersUpdate =
  | {
      ok: true;
      /** What the update stores: the stored pod with the request's ephemeral containers. */
      pod: AdmittedPod;
      /** Names of the ephemeral containers the update adds, in spec order. */
      added: string[];
    }
  | { ok: false; errors: ManifestFieldError[] };

/** ValidatePodEphemeralContainersUpdate, part 2: existing ephemeral containers may be neither removed nor changed. */
export function validateEphemeralContainersUpdate(
  next: readonly EphemeralContainer[],
  old: readonly EphemeralContainer[],
): ManifestFieldError[] {
  const errors: ManifestFieldError[] = [];
  const byName = new Map(next.map((c) => [c.name, c]));
  // Order is not kept by a patch, so each is found by its name.
  for (const before of old) {
    const after = byName.get(before.name);
    if (!after) {
      errors.push(
        forbidden(PATH, `existing ephemeral containers ${JSON.stringify(before.name)} may not be removed`),
      );
    } else if (canonical(after) !== canonical(before)) {
      errors.push(
        forbidden(
          key(PATH, before.name),
          `existing ephemeral containers ${JSON.stringify(before.name)} may not be changed`,
        ),
      );
    }
  }
  return errors;
}

/**
 * Applies an update of the subresource (PUT, or a patch's result) to the stored pod. One function for the update
 * the engine stores and for the one a dry run shows.
 */
export function applyEphemeralContainersUpdate(current: AdmittedPod, next: Pod): EphemeralContainersUpdate {
  const list = next.spec?.ephemeralContainers ?? [];
  const old = current.spec.ephemeralContainers ?? [];
  const spec = { ...current.spec, ephemeralContainers: list };
  const errors: ManifestFieldError[] = [
    ...validateEphemeralContainers(spec, child('spec', 'ephemeralContainers')),
    ...validateEphemeralContainersUpdate(list, old),
  ];
  if (errors.length > 0) return { ok: false, errors };
  const existing = new Set(old.map((c) => c.name));
  const pod: AdmittedPod = { ...current, spec: list.length > 0 ? spec : { ...current.spec } };
  return { ok: true, pod, added: list.filter((c) => !existing.has(c.name)).map((c) => c.name) };
}

/**
 * The support policy (what podflow refuses or ignores of a container's fields) for the ephemeral containers a request
 * adds, as written (decoded, not defaulted: the stored ones come back defaulted and were checked when added). Paths
 * keep the request's indices.
 */
export function checkEphemeralContainersPolicy(requested: Pod, current: AdmittedPod): SupportCheckResult {
  const existing = new Set((current.spec.ephemeralContainers ?? []).map((c) => c.name));
  const added = (requested.spec?.ephemeralContainers ?? []).map((c) => (existing.has(c.name) ? {} : c));
  if (added.every((c) => !('name' in c))) return { errors: [], warnings: [] };
  return checkSupportPolicy('Pod', { spec: { ephemeralContainers: added } });
}
