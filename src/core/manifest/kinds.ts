// The kinds podflow admits and how objects are named in messages.
import type { Job, CronJob } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';

export type ManifestKind = 'Pod' | 'Job' | 'CronJob';
export type ManifestObject = Pod | Job | CronJob;

/**
 * The group/version of each kind. The API serves `v1` Pods (docs/architecture.md §8); Jobs and CronJobs (`batch/v1`)
 * are validated but neither run nor served (docs/semantics.md §11).
 */
export const KIND_API_VERSION: Readonly<Record<ManifestKind, string>> = {
  Pod: 'v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

export const REGISTERED_KINDS: readonly ManifestKind[] = ['Pod', 'Job', 'CronJob'];

/** Namespace given to objects that name none (kubectl's default context namespace). */
export const DEFAULT_NAMESPACE = 'default';

/** The registered kind for an apiVersion/kind pair, or undefined. */
export function registeredKind(apiVersion: string, kind: string): ManifestKind | undefined {
  return REGISTERED_KINDS.find((k) => k === kind && KIND_API_VERSION[k] === apiVersion);
}

/** `Pod default/myapp-pod` (a generateName prefix is shown as `prefix*`). */
export function describeObject(
  kind: string,
  metadata: { namespace?: string; name?: string; generateName?: string } | undefined,
): string {
  const namespace = metadata?.namespace || DEFAULT_NAMESPACE;
  const name = metadata?.name || (metadata?.generateName ? `${metadata.generateName}*` : '<unnamed>');
  return `${kind} ${namespace}/${name}`;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
