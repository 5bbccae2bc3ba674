// The pods list: one row per pod, with kubectl's READY, STATUS and RESTARTS (src/printers/pod-table.ts, the same
// printer the API's Table output uses) next to the phase, and a stable order (namespace, then name).
import type { Pod } from 'kubernetes-types/core/v1';
import { humanDuration, podTableRow } from '../../printers/pod-table.ts';

export interface PodRow {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  phase: string;
  /** kubectl's STATUS column: `Init:0/2`, `CrashLoopBackOff`, `Terminating` … */
  status: string;
  ready: string;
  restarts: string;
  age: string;
  deleting: boolean;
}

export const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

export const podKeyOf = (pod: Pod): string =>
  `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;

export function podRow(pod: Pod, now: number): PodRow {
  const row = podTableRow(pod, now);
  const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
  return {
    key: podKeyOf(pod),
    namespace: pod.metadata?.namespace ?? 'default',
    name: row.name,
    uid: pod.metadata?.uid ?? '',
    phase: pod.status?.phase ?? 'Pending',
    status: row.status,
    ready: row.ready,
    restarts: row.restarts,
    age: Number.isNaN(created) ? row.age : humanDuration(now - created),
    deleting: pod.metadata?.deletionTimestamp !== undefined,
  };
}

export function sortRows(rows: PodRow[]): PodRow[] {
  return [...rows].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** The list request's query for the filters: a label selector as typed, a phase as a field selector. */
export function listQuery(filters: { labelSelector: string; phase: string }): URLSearchParams {
  const q = new URLSearchParams();
  if (filters.labelSelector.trim() !== '') q.set('labelSelector', filters.labelSelector.trim());
  if (filters.phase !== '') q.set('fieldSelector', `status.phase=${filters.phase}`);
  return q;
}
