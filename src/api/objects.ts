// How stored things look on the wire: a StoredPod becomes a core/v1 Pod (with its resourceVersion), a StoredEvent a
// core/v1 Event, lists get their List kinds and the store's resourceVersion. Also the fields each kind can be
// selected by (fieldSelector), with the values the API server's ToSelectableFields gives them.
import type { Event, Pod } from 'kubernetes-types/core/v1';
import type { PodKey } from '../ports/pod-key.ts';
import type { StoredEvent, StoredPod } from '../ports/pod-store.ts';

/** The pod as GET returns it. The store keeps metadata.resourceVersion in step with the item's version. */
export function servedPod(stored: StoredPod): Pod {
  const pod = stored.state.pod;
  // A static pod is served as its mirror: the mirror's own uid and creation time (core/pod-state.ts `mirror`).
  const mirror = stored.state.engine.mirror;
  return {
    ...pod,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...pod.metadata,
      ...(mirror ? { uid: mirror.uid, creationTimestamp: mirror.creationTimestamp } : {}),
      resourceVersion: stored.resourceVersion,
    },
  };
}

export const keyOfPod = (pod: Pod): PodKey => ({
  namespace: pod.metadata?.namespace ?? 'default',
  name: pod.metadata?.name ?? '',
});

export const podKeyText = (k: PodKey): string => `${k.namespace}/${k.name}`;

export interface ListObject<T> {
  apiVersion: 'v1';
  kind: string;
  metadata: { resourceVersion: string };
  items: T[];
}

export const podList = (items: Pod[], resourceVersion: string): ListObject<Pod> => ({
  apiVersion: 'v1',
  kind: 'PodList',
  metadata: { resourceVersion },
  items,
});

export const eventList = (items: Event[], resourceVersion: string): ListObject<Event> => ({
  apiVersion: 'v1',
  kind: 'EventList',
  metadata: { resourceVersion },
  items,
});

/**
 * A stored event as core/v1 Event, the shape `kubectl describe` and `kubectl get events` read: involvedObject,
 * reason, message, type, count, first/last timestamps, source and the reporting component (the kubelet).
 */
export function servedEvent(e: StoredEvent): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: e.name,
      namespace: e.namespace,
      ...(e.resourceVersion ? { resourceVersion: e.resourceVersion } : {}),
      creationTimestamp: e.firstTimestamp,
    },
    involvedObject: { apiVersion: 'v1', ...e.involvedObject },
    reason: e.reason,
    message: e.message,
    type: e.type,
    count: e.count,
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    source: e.source ?? {},
    reportingComponent: e.source?.component ?? '',
    reportingInstance: e.source?.host ?? '',
  };
}

/** pkg/registry/core/pod/strategy.go ToSelectableFields (+ metadata.name / metadata.namespace). */
export const POD_SELECTABLE_FIELDS: ReadonlySet<string> = new Set([
  'metadata.name',
  'metadata.namespace',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
]);

export function podField(pod: Pod, field: string): string {
  switch (field) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.restartPolicy':
      return pod.spec?.restartPolicy ?? '';
    case 'spec.schedulerName':
      return pod.spec?.schedulerName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'spec.hostNetwork':
      return String(pod.spec?.hostNetwork === true);
    case 'status.phase':
      return pod.status?.phase ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.nominatedNodeName':
      return pod.status?.nominatedNodeName ?? '';
    default:
      return '';
  }
}

/** pkg/registry/core/event/strategy.go ToSelectableFields. */
export const EVENT_SELECTABLE_FIELDS: ReadonlySet<string> = new Set([
  'metadata.name',
  'metadata.namespace',
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
]);

export function eventField(e: Event, field: string): string {
  const o = e.involvedObject;
  switch (field) {
    case 'metadata.name':
      return e.metadata.name ?? '';
    case 'metadata.namespace':
      return e.metadata.namespace ?? '';
    case 'involvedObject.kind':
      return o.kind ?? '';
    case 'involvedObject.namespace':
      return o.namespace ?? '';
    case 'involvedObject.name':
      return o.name ?? '';
    case 'involvedObject.uid':
      return o.uid ?? '';
    case 'involvedObject.apiVersion':
      return o.apiVersion ?? '';
    case 'involvedObject.resourceVersion':
      return o.resourceVersion ?? '';
    case 'involvedObject.fieldPath':
      return o.fieldPath ?? '';
    case 'reason':
      return e.reason ?? '';
    case 'reportingComponent':
      return e.reportingComponent ?? '';
    case 'source':
      return e.source?.component ?? '';
    case 'type':
      return e.type ?? '';
    default:
      return '';
  }
}
