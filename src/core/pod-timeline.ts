// The pod timeline document: what `GET /api/v1/namespaces/{ns}/pods/{name}/timeline` serves (a podflow-specific
// subresource, docs/decisions/0005-pod-timeline-and-ui.md) and the web UI draws. It projects the engine's bounded
// history (pod-history.ts) and its current records onto one plain JSON object, times in epoch milliseconds — the
// status' RFC 3339 times have only second precision, too coarse for a crash loop with a 200 ms back-off.
import type { ContainerStatus } from 'kubernetes-types/core/v1';
import { emptyHistory, type InstanceHistory, type PodHistory } from './pod-history.ts';
import { allContainerEntries } from './pod-spec.ts';
import type { ContainerKind, PodState } from './pod-state.ts';

export const POD_TIMELINE_API_VERSION = 'podflow.io/v1alpha1';
export const POD_TIMELINE_KIND = 'PodTimeline';

export interface ContainerTimeline {
  name: string;
  kind: ContainerKind;
  /** The container's instances, oldest first; the bounded history may have dropped older ones. */
  instances: InstanceHistory[];
  /** The reason the container waits now (status.state.waiting), with the back-off's end when it waits one. */
  waiting?: { reason: string; message?: string; until?: number };
}

export interface PodTimeline {
  apiVersion: typeof POD_TIMELINE_API_VERSION;
  kind: typeof POD_TIMELINE_KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp?: string;
  };
  /** The server's clock when it answered: where "now" is on the timeline. */
  now: number;
  phase: string;
  /** When a worker admitted the pod. */
  admittedAt?: number;
  /** A graceful deletion: when it was asked for, its grace and the instant SIGKILL is due. */
  deletion?: { requestedAt: number; graceSeconds: number; deadline: number };
  containers: ContainerTimeline[];
  conditions: PodHistory['conditions'];
  phases: PodHistory['phases'];
}

function statusesByName(state: PodState): Map<string, ContainerStatus> {
  const status = state.pod.status ?? {};
  return new Map(
    [
      ...(status.initContainerStatuses ?? []),
      ...(status.containerStatuses ?? []),
      ...(status.ephemeralContainerStatuses ?? []),
    ].map((s) => [s.name, s]),
  );
}

export function podTimeline(state: PodState, resourceVersion: string, now: number): PodTimeline {
  const { pod, engine } = state;
  const history = engine.history ?? emptyHistory();
  const statuses = statusesByName(state);
  // Ephemeral containers get lanes once the worker has picked them up (they have a record).
  const entries = allContainerEntries(pod.spec).filter(
    (e) => e.kind !== 'ephemeral' || engine.containers[e.container.name] !== undefined,
  );
  const containers = entries.map((entry): ContainerTimeline => {
    const name = entry.container.name;
    const waiting = statuses.get(name)?.state?.waiting;
    const until = engine.containers[name]?.restartTimer?.at;
    return {
      name,
      kind: entry.kind,
      instances: history.containers[name] ?? [],
      ...(waiting?.reason
        ? {
            waiting: {
              reason: waiting.reason,
              ...(waiting.message ? { message: waiting.message } : {}),
              ...(until !== undefined ? { until } : {}),
            },
          }
        : {}),
    };
  });
  return {
    apiVersion: POD_TIMELINE_API_VERSION,
    kind: POD_TIMELINE_KIND,
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      uid: pod.metadata.uid,
      resourceVersion,
      ...(pod.metadata.creationTimestamp ? { creationTimestamp: pod.metadata.creationTimestamp } : {}),
    },
    now,
    phase: pod.status?.phase ?? 'Pending',
    ...(history.admittedAt !== undefined ? { admittedAt: history.admittedAt } : {}),
    ...(engine.deletion ? { deletion: { ...engine.deletion } } : {}),
    containers,
    conditions: history.conditions,
    phases: history.phases,
  };
}
