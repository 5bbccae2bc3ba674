// Discovery: what kubectl and client libraries read before anything else — the server version, the API versions,
// and the resources of v1 with their verbs and short names (legacy discovery; aggregated discovery is not served, so
// clients fall back to these documents, as they do against older API servers).
import pkg from '../../package.json' with { type: 'json' };
import { METRICS_GROUP, METRICS_GROUP_VERSION, METRICS_VERSION } from '../core/pod-metrics.ts';

/**
 * The Kubernetes version podflow's API answers as: the API semantics it reproduces. kubectl picks its version skew
 * behaviour from it (and gcloud's kubectl dispatcher picks the matching kubectl binary).
 */
export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-podflow' } as const;

export function versionInfo(): Record<string, string> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: `podflow/${pkg.version}`,
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/**
 * The API groups besides core v1 (Pods, Events, ConfigMaps, Secrets, Namespaces; docs/architecture.md §8):
 * authorization.k8s.io for the access reviews of `kubectl auth can-i` (access-review.ts), batch for Jobs where a
 * Job controller runs (`withBatch`: local mode), and metrics.k8s.io for `kubectl top` (metrics.ts) — listed last, as
 * an API server lists the groups of aggregated API services after its own. It is listed in the cloud too, where its
 * requests answer 501 with the reason, so that `kubectl top` shows the reason rather than "Metrics API not
 * available" (docs/decisions/0015-pod-metrics.md).
 */
export function apiGroupList(withBatch = false): Record<string, unknown> {
  const v1 = { groupVersion: 'authorization.k8s.io/v1', version: 'v1' };
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [
      ...(withBatch ? [batchApiGroup()] : []),
      { name: 'authorization.k8s.io', versions: [v1], preferredVersion: v1 },
      metricsApiGroupEntry(),
    ],
  };
}

function metricsApiGroupEntry(): { name: string; versions: object[]; preferredVersion: object } {
  const v1beta1 = { groupVersion: METRICS_GROUP_VERSION, version: METRICS_VERSION };
  return { name: METRICS_GROUP, versions: [v1beta1], preferredVersion: v1beta1 };
}

/** GET /apis/metrics.k8s.io. */
export function metricsApiGroup(): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...metricsApiGroupEntry() };
}

/**
 * metrics.k8s.io/v1beta1 as podflow serves it: PodMetrics, get and list (metrics-server pkg/api/install.go registers
 * `pods` and `nodes`; podflow serves no Node objects, so no NodeMetrics — `kubectl top node` reads both).
 */
export const METRICS_V1BETA1_RESOURCES: readonly ApiResource[] = [
  { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
];

export function metricsV1beta1ResourceList(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: METRICS_GROUP_VERSION,
    resources: METRICS_V1BETA1_RESOURCES,
  };
}

export interface ApiResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

const OBJECT_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * core/v1 as podflow serves it, in the API server's order (by name). Verbs are those served: no deletecollection
 * (kubectl deletes one object at a time), no namespaces/status or namespaces/finalize (the namespace controller is
 * podflow's own). Short names as upstream: `cm`, `ev`, `ns`, `po`; secrets have none.
 */
export const V1_RESOURCES: readonly ApiResource[] = [
  {
    name: 'configmaps',
    singularName: 'configmap',
    namespaced: true,
    kind: 'ConfigMap',
    verbs: OBJECT_VERBS,
    shortNames: ['cm'],
  },
  {
    name: 'events',
    singularName: 'event',
    namespaced: true,
    kind: 'Event',
    verbs: ['get', 'list', 'watch'],
    shortNames: ['ev'],
  },
  {
    name: 'namespaces',
    singularName: 'namespace',
    namespaced: false,
    kind: 'Namespace',
    verbs: OBJECT_VERBS,
    shortNames: ['ns'],
  },
  {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['po'],
    categories: ['all'],
  },
  {
    name: 'pods/attach',
    singularName: '',
    namespaced: true,
    kind: 'PodAttachOptions',
    verbs: ['create', 'get'],
  },
  {
    name: 'pods/ephemeralcontainers',
    singularName: '',
    namespaced: true,
    kind: 'Pod',
    verbs: ['get', 'patch', 'update'],
  },
  { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
  { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
  {
    name: 'pods/portforward',
    singularName: '',
    namespaced: true,
    kind: 'PodPortForwardOptions',
    verbs: ['create', 'get'],
  },
  { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: OBJECT_VERBS },
];

export function v1ResourceList(): Record<string, unknown> {
  return { kind: 'APIResourceList', groupVersion: 'v1', resources: V1_RESOURCES };
}

/** The batch group: v1 only. */
export function batchApiGroup(): Record<string, unknown> {
  const v1 = { groupVersion: 'batch/v1', version: 'v1' };
  return { kind: 'APIGroup', apiVersion: 'v1', name: 'batch', versions: [v1], preferredVersion: v1 };
}

/** The 404's message where no Job controller runs behind the API (an API built without one). */
export const JOBS_NOT_SERVED = 'batch/v1 is not served by this podflow API: no Job controller runs behind it';

/**
 * batch/v1 as podflow serves it: Jobs, CronJobs and their status. Short names and categories as upstream (`kubectl
 * get all` lists both; `cj` is a CronJob).
 */
export const BATCH_V1_RESOURCES: readonly ApiResource[] = [
  {
    name: 'jobs',
    singularName: 'job',
    namespaced: true,
    kind: 'Job',
    verbs: OBJECT_VERBS,
    categories: ['all'],
  },
  { name: 'jobs/status', singularName: '', namespaced: true, kind: 'Job', verbs: ['get', 'patch', 'update'] },
  {
    name: 'cronjobs',
    singularName: 'cronjob',
    namespaced: true,
    kind: 'CronJob',
    verbs: OBJECT_VERBS,
    shortNames: ['cj'],
    categories: ['all'],
  },
  {
    name: 'cronjobs/status',
    singularName: '',
    namespaced: true,
    kind: 'CronJob',
    verbs: ['get', 'patch', 'update'],
  },
];

export function batchV1ResourceList(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'batch/v1',
    resources: BATCH_V1_RESOURCES,
  };
}
