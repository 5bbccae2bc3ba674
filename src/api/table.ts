// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the Table kubectl renders for
// `kubectl get`. Columns and cells as the API server's printers produce them (pkg/printers/internalversion/printers.go
// podColumnDefinitions/printPod, eventColumnDefinitions/printEvent, configMapColumnDefinitions/printConfigMap,
// secretColumnDefinitions/printSecret, namespaceColumnDefinitions/printNamespace, jobColumnDefinitions/printJob,
// cronJobColumnDefinitions/printCronJob). A Secret's row counts its keys and
// never shows a value. The server always generates the wide columns
// (priority 1); kubectl shows them only with `-o wide`. The STATUS and RESTARTS texts come from
// printers/pod-table.ts, the same code the CLI prints with.
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { ConfigMap, Event, Namespace, Pod, Secret } from 'kubernetes-types/core/v1';
import { humanDuration, podTableRow } from '../printers/pod-table.ts';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** The `includeObject` query parameter (metav1.IncludeObjectPolicy). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.';

const column = (
  name: string,
  description: string,
  priority = 0,
  format = '',
  type = 'string',
): TableColumnDefinition => ({
  name,
  type,
  format,
  description,
  priority,
});

export const POD_COLUMNS: readonly TableColumnDefinition[] = [
  column('Name', NAME_DESCRIPTION, 0, 'name'),
  column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'The aggregate status of the containers in this pod.'),
  column(
    'Restarts',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  column('Age', AGE_DESCRIPTION),
  column(
    'IP',
    'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
    1,
  ),
  column('Node', 'NodeName indicates in which node this pod is scheduled.', 1),
  column('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
  column('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
];

export const EVENT_COLUMNS: readonly TableColumnDefinition[] = [
  column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column(
    'Reason',
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  ),
  column('Object', 'The object that this event is about.'),
  column(
    'Subobject',
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
    1,
  ),
  column('Source', 'The component reporting this event. Should be a short machine understandable string.', 1),
  column('Message', 'A human-readable description of the status of this operation.'),
  column(
    'First Seen',
    'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
    1,
  ),
  column('Count', 'The number of times this event has occurred.', 1),
  column('Name', NAME_DESCRIPTION, 1, 'name'),
];

/** configMapColumnDefinitions: DATA counts data and binaryData keys. */
export const CONFIGMAP_COLUMNS: readonly TableColumnDefinition[] = [
  column('Name', NAME_DESCRIPTION, 0, 'name'),
  column(
    'Data',
    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
  ),
  column('Age', AGE_DESCRIPTION),
];

/** secretColumnDefinitions. */
export const SECRET_COLUMNS: readonly TableColumnDefinition[] = [
  column('Name', NAME_DESCRIPTION, 0, 'name'),
  column(
    'Type',
    'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
  ),
  column(
    'Data',
    "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
  ),
  column('Age', AGE_DESCRIPTION),
];

/** namespaceColumnDefinitions. */
export const NAMESPACE_COLUMNS: readonly TableColumnDefinition[] = [
  column('Name', NAME_DESCRIPTION, 0, 'name'),
  column('Status', 'The status of the namespace'),
  column('Age', AGE_DESCRIPTION),
];

/** jobColumnDefinitions: COMPLETIONS, DURATION; containers, images and the selector with `-o wide`. */
export const JOB_COLUMNS: readonly TableColumnDefinition[] = [
  column('Name', NAME_DESCRIPTION, 0, 'name'),
  column('Status', 'Status of the job.'),
  column(
    'Completions',
    'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
  ),
  column('Duration', 'Time required to complete the job.'),
  column('Age', AGE_DESCRIPTION),
  column('Containers', 'Names of each container in the template.', 1),
  column('Images', 'Images referenced by each container in the template.', 1),
  column(
    'Selector',
    'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    1,
  ),
];

const hasJobCondition = (job: Job, type: string): boolean =>
  (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** printJob's STATUS: the terminal conditions first, then a deletion, suspension and the interim conditions. */
function jobStatusText(job: Job): string {
  if (hasJobCondition(job, 'Complete')) return 'Complete';
  if (hasJobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(job, 'Suspended')) return 'Suspended';
  if (hasJobCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasJobCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** metav1.FormatLabelSelector: matchLabels as `k=v`, then the expressions, comma-separated. */
function formatSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '<none>';
  const parts = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const op = e.operator;
    if (op === 'Exists') parts.push(e.key);
    else if (op === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`);
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

/** printJob: name, status, `succeeded/completions`, the duration from start to completion (or now), age; wide cells. */
export const jobCells = (job: Job, now: number): unknown[] => {
  const spec = job.spec;
  const succeeded = job.status?.succeeded ?? 0;
  let completions: string;
  if (spec?.completions !== undefined) completions = `${succeeded}/${spec.completions}`;
  else if ((spec?.parallelism ?? 0) > 1) completions = `${succeeded}/1 of ${spec!.parallelism}`;
  else completions = `${succeeded}/1`;
  const start = job.status?.startTime ? Date.parse(job.status.startTime) : undefined;
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  const duration = start === undefined ? '' : humanDuration(end - start);
  const containers = spec?.template.spec?.containers ?? [];
  return [
    job.metadata?.name ?? '',
    jobStatusText(job),
    completions,
    duration,
    since(job.metadata?.creationTimestamp, now),
    containers.map((c) => c.name).join(','),
    containers.map((c) => c.image ?? '').join(','),
    formatSelector(spec?.selector),
  ];
};

/** cronJobColumnDefinitions: SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE; the template's with `-o wide`. */
export const CRONJOB_COLUMNS: readonly TableColumnDefinition[] = [
  column('Name', NAME_DESCRIPTION, 0, 'name'),
  column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
  column(
    'Timezone',
    'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
  ),
  column(
    'Suspend',
    'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
    0,
    '',
    'boolean',
  ),
  column('Active', 'A list of pointers to currently running jobs.', 0, '', 'integer'),
  column('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
  column('Age', AGE_DESCRIPTION),
  column('Containers', 'Names of each container in the template.', 1),
  column('Images', 'Images referenced by each container in the template.', 1),
  column(
    'Selector',
    'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    1,
  ),
];

/** printBoolPtr: `<unset>` for nil. */
const boolPtr = (b: boolean | undefined): string => (b === undefined ? '<unset>' : b ? 'True' : 'False');

/** printCronJob: name, schedule, time zone (`<none>`), suspend, the active count, last schedule (`<none>`), age. */
export const cronJobCells = (cronJob: CronJob, now: number): unknown[] => {
  const spec = cronJob.spec;
  const containers = spec?.jobTemplate.spec?.template.spec?.containers ?? [];
  return [
    cronJob.metadata?.name ?? '',
    spec?.schedule ?? '',
    spec?.timeZone ?? '<none>',
    boolPtr(spec?.suspend),
    (cronJob.status?.active ?? []).length,
    cronJob.status?.lastScheduleTime ? since(cronJob.status.lastScheduleTime, now) : '<none>',
    since(cronJob.metadata?.creationTimestamp, now),
    containers.map((c) => c.name).join(','),
    containers.map((c) => c.image ?? '').join(','),
    formatSelector(spec?.jobTemplate.spec?.selector),
  ];
};

const keyCount = (map: Readonly<Record<string, unknown>> | undefined): number =>
  Object.keys(map ?? {}).length;

/** printConfigMap: name, len(data) + len(binaryData), age. */
export const configMapCells = (cm: ConfigMap, now: number): unknown[] => [
  cm.metadata?.name ?? '',
  keyCount(cm.data) + keyCount(cm.binaryData),
  since(cm.metadata?.creationTimestamp, now),
];

/** printSecret: name, type, len(data), age. */
export const secretCells = (secret: Secret, now: number): unknown[] => [
  secret.metadata?.name ?? '',
  secret.type ?? '',
  keyCount(secret.data),
  since(secret.metadata?.creationTimestamp, now),
];

/** printNamespace: name, phase, age. */
export const namespaceCells = (ns: Namespace, now: number): unknown[] => [
  ns.metadata?.name ?? '',
  ns.status?.phase ?? '',
  since(ns.metadata?.creationTimestamp, now),
];

/** A Table of objects whose row is `cells(object, now)` (ConfigMaps, Secrets, Namespaces). */
export function objectTable<T extends { metadata?: unknown }>(
  columns: readonly TableColumnDefinition[],
  objects: readonly T[],
  cells: (object: T, now: number) => unknown[],
  o: TableOptions,
): Table {
  const rows = objects.map((object): TableRow => {
    const included = rowObject(object, o.include, o.version);
    return { cells: cells(object, o.now), ...(included !== undefined ? { object: included } : {}) };
  });
  return table(columns, rows, o);
}

/** printPod's wide cells: IP, NODE, NOMINATED NODE, READINESS GATES (`<none>` when empty, gates as `1/2`). */
function wideCells(pod: Pod): string[] {
  const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
  const node = pod.spec?.nodeName || '<none>';
  const nominated = pod.status?.nominatedNodeName || '<none>';
  const gates = pod.spec?.readinessGates ?? [];
  let readiness = '<none>';
  if (gates.length > 0) {
    const conditions = pod.status?.conditions ?? [];
    const trueCount = gates.filter(
      (g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True',
    ).length;
    readiness = `${trueCount}/${gates.length}`;
  }
  return [ip, node, nominated, readiness];
}

/** printPod's row conditions: a finished pod's row says Completed. */
function podRowConditions(pod: Pod): TableRow['conditions'] {
  if (pod.status?.phase === 'Succeeded')
    return [
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ];
  if (pod.status?.phase === 'Failed')
    return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  return undefined;
}

function rowObject(obj: { metadata?: unknown }, include: IncludeObject, tableVersion: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: `meta.k8s.io/${tableVersion}`,
    metadata: obj.metadata ?? {},
  };
}

export interface TableOptions {
  now: number;
  include: IncludeObject;
  /** meta.k8s.io version the client asked for. */
  version: 'v1' | 'v1beta1';
  resourceVersion?: string;
  /** Leave out the column definitions (watch events after the first, TableOptions.NoHeaders). */
  noHeaders?: boolean;
}

function table(columns: readonly TableColumnDefinition[], rows: TableRow[], o: TableOptions): Table {
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${o.version}`,
    metadata: o.resourceVersion !== undefined ? { resourceVersion: o.resourceVersion } : {},
    columnDefinitions: o.noHeaders ? [] : [...columns],
    rows,
  };
}

export function podTable(pods: readonly Pod[], o: TableOptions): Table {
  const rows = pods.map((pod): TableRow => {
    const r = podTableRow(pod, o.now);
    const conditions = podRowConditions(pod);
    const object = rowObject(pod, o.include, o.version);
    return {
      cells: [r.name, r.ready, r.status, r.restarts, r.age, ...wideCells(pod)],
      ...(conditions ? { conditions } : {}),
      ...(object !== undefined ? { object } : {}),
    };
  });
  return table(POD_COLUMNS, rows, o);
}

/** translateTimestampSince. */
const since = (time: string | undefined, now: number): string =>
  time ? humanDuration(now - Date.parse(time)) : '<unknown>';

export function eventTable(events: readonly Event[], o: TableOptions): Table {
  const rows = events.map((e): TableRow => {
    const first = since(e.firstTimestamp, o.now);
    let last = e.lastTimestamp ? since(e.lastTimestamp, o.now) : first;
    const count = e.count ?? 1;
    if (count > 1) last = `${last} (x${count} over ${first})`;
    const o2 = e.involvedObject;
    const target = o2.name ? `${(o2.kind ?? '').toLowerCase()}/${o2.name}` : (o2.kind ?? '').toLowerCase();
    const source = [e.source?.component, e.source?.host].filter(Boolean).join(', ');
    const object = rowObject(e, o.include, o.version);
    return {
      cells: [
        last,
        e.type ?? '',
        e.reason ?? '',
        target,
        o2.fieldPath ?? '',
        source,
        (e.message ?? '').trim(),
        first,
        count,
        e.metadata.name ?? '',
      ],
      ...(object !== undefined ? { object } : {}),
    };
  });
  return table(EVENT_COLUMNS, rows, o);
}
