// metrics.k8s.io/v1beta1 PodMetrics, what `kubectl top pod` reads (docs/decisions/0015-pod-metrics.md): list across
// namespaces, per namespace (labelSelector and fieldSelector as for pods) and get, as metrics-server's pkg/api/pod.go
// serves them, from the runtime's measurements (engine/pod-metrics-collector.ts) and the pods of the store. Where no
// runtime can be measured (the cloud) every request answers 501 with the reason.
import type { Context } from 'hono';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  METRICS_GROUP,
  METRICS_GROUP_VERSION,
  podMetrics,
  podUsageTotals,
  type PodMetrics,
} from '../core/pod-metrics.ts';
import type { PodKey } from '../ports/pod-key.ts';
import { negotiateFormat, type ResponseFormat } from './accept.ts';
import type { ApiContext } from './api-context.ts';
import { servedPod } from './objects.ts';
import { checkNamespace, includeObjectParam, podSelection } from './pods.ts';
import { respond } from './respond.ts';
import { notFound, notImplemented } from './status.ts';
import { objectTable, type TableColumnDefinition } from './table.ts';

/**
 * metrics-server's Table (pkg/api/pod.go ConvertToTable, addPodMetricsToTable): the name, each resource summed over
 * the containers, and the window — what `kubectl get podmetrics` prints.
 */
const POD_METRICS_COLUMNS: readonly TableColumnDefinition[] = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
  { name: 'cpu', type: 'string', format: 'quantity', description: '', priority: 0 },
  { name: 'memory', type: 'string', format: 'quantity', description: '', priority: 0 },
  { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
];

function respondMetrics(
  x: ApiContext,
  c: Context,
  format: ResponseFormat,
  items: readonly PodMetrics[],
  list: boolean,
): Response {
  if (format.kind === 'table') {
    const table = objectTable(
      POD_METRICS_COLUMNS,
      items,
      (m) => {
        const total = podUsageTotals(m);
        return [m.metadata.name, total.cpu, total.memory, m.window];
      },
      { now: x.deps.clock.now(), include: includeObjectParam(c), version: format.version },
    );
    return respond(c, format, 200, table);
  }
  const body = list
    ? { kind: 'PodMetricsList', apiVersion: METRICS_GROUP_VERSION, metadata: {}, items }
    : items[0];
  return respond(c, format, 200, body);
}

/** The 501's message where no runtime is measured (the cloud API: ECS Fargate tasks, docs/decisions/0015). */
export const METRICS_NOT_SERVED =
  'metrics.k8s.io is not available from this podflow API: the cloud deployment runs pods as ECS Fargate tasks, whose ' +
  'CPU and memory reach CloudWatch only through Container Insights (off by default), not the API; `kubectl top` ' +
  'works with `podflow serve`';

/**
 * The 501's message for NodeMetrics (`kubectl top node`): metrics-server serves them next to PodMetrics, but kubectl
 * also reads the Node objects for their allocatable resources, and podflow serves no Nodes.
 */
export const NODE_METRICS_NOT_SERVED =
  'NodeMetrics are not served by podflow: it has no Node objects (kubectl top node reads both); `kubectl top pod` ' +
  'shows what the pods use';

/** metrics-server registers PodMetrics as `pods` of its group: NotFound names them `pods.metrics.k8s.io`. */
const RESOURCE = `pods.${METRICS_GROUP}`;

function requireMetrics(x: ApiContext): NonNullable<ApiContext['deps']['metrics']> {
  if (!x.deps.metrics) throw notImplemented(METRICS_NOT_SERVED);
  return x.deps.metrics;
}

/** GET /apis/metrics.k8s.io/v1beta1/nodes[/{name}]: 501 with the reason (not listed in discovery). */
export function nodeMetrics(): never {
  throw notImplemented(NODE_METRICS_NOT_SERVED);
}

/** GET /apis/metrics.k8s.io/v1beta1[/namespaces/{ns}]/pods: the Running pods with a usage, in key order. */
export async function listPodMetrics(
  x: ApiContext,
  c: Context,
  namespace: string | undefined,
): Promise<Response> {
  if (namespace !== undefined) checkNamespace(namespace);
  const metrics = requireMetrics(x);
  const selection = podSelection(c, namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const samples = await metrics.samples();
  const pods = (await x.deps.store.list(namespace)).items.map(servedPod).filter(selection.filter.matches);
  const now = x.deps.clock.now();
  const items = pods
    .map((pod) => podMetrics(pod, samples, now))
    .filter((m): m is PodMetrics => m !== undefined);
  return respondMetrics(x, c, format, items, true);
}

/**
 * GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods/{name}: a missing pod is the pods' NotFound, a pod without
 * metrics (not Running, just started) `pods.metrics.k8s.io "<ns>/<name>" not found` (metrics-server podMetrics.Get).
 */
export async function getPodMetrics(x: ApiContext, c: Context, key: PodKey): Promise<Response> {
  checkNamespace(key.namespace);
  const metrics = requireMetrics(x);
  const format = negotiateFormat(c.req.header('accept'), true);
  if (!(await x.deps.store.get(key))) throw notFound('pods', key.name);
  const samples = await metrics.samples();
  // Read again after the measurement, which may have waited: the pod as it is now decides (phase, containers).
  const stored = await x.deps.store.get(key);
  if (!stored) throw notFound('pods', key.name);
  const pod: Pod = servedPod(stored);
  const found = podMetrics(pod, samples, x.deps.clock.now());
  if (!found) throw notFound(RESOURCE, `${key.namespace}/${key.name}`);
  return respondMetrics(x, c, format, [found], false);
}
