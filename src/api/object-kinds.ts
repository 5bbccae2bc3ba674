// The kinds the ObjectStore keeps, as the API serves them: their admission (core/manifest/api-objects.ts),
// their Table columns (table.ts) and their selectable fields (the registries' ToSelectableFields: every kind's
// metadata.name — and metadata.namespace when namespaced —, a Secret's `type`, a Namespace's `status.phase` and,
// for backward compatibility upstream, its bare `name`).
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import type { ConfigMap, Namespace, Secret } from 'kubernetes-types/core/v1';
import { admitJob, admitJobStatusUpdate, admitJobUpdate } from '../core/jobs/admit-job.ts';
import { admitCronJob, admitCronJobStatusUpdate, admitCronJobUpdate } from '../core/cron/admit-cronjob.ts';
import {
  admitConfigMap,
  admitConfigMapUpdate,
  admitNamespace,
  admitNamespaceUpdate,
  admitSecret,
  admitSecretUpdate,
  type Admitted,
} from '../core/manifest/api-objects.ts';
import type { ApiObject, ObjectKind } from '../ports/object-store.ts';
import { MAX_API_BODY_BYTES } from './request.ts';
import type { ResourceDef } from './object-resources.ts';
import {
  CONFIGMAP_COLUMNS,
  configMapCells,
  CRONJOB_COLUMNS,
  cronJobCells,
  JOB_COLUMNS,
  jobCells,
  NAMESPACE_COLUMNS,
  namespaceCells,
  SECRET_COLUMNS,
  secretCells,
} from './table.ts';

/** The API server's request body limit (apiserver MaxRequestBodyBytes): room for 1 MiB of data as base64. */
export const MAX_OBJECT_BODY_BYTES = MAX_API_BODY_BYTES;
/** A Namespace has no data, a Job a pod template: the pods' limit. */
const NAMESPACE_BODY_BYTES = 256 * 1024;

const metaField = (o: ApiObject, field: string): string => {
  if (field === 'metadata.name') return o.metadata?.name ?? '';
  if (field === 'metadata.namespace') return o.metadata?.namespace ?? '';
  return '';
};

/** The core's admission for kubernetes-types objects, over the API's plain JSON objects. */
const asApi = <T>(admitted: Admitted<T>): Admitted<ApiObject> => admitted as unknown as Admitted<ApiObject>;

export const CONFIGMAPS: ResourceDef = {
  kind: 'ConfigMap',
  apiVersion: 'v1',
  resource: 'configmaps',
  namespaced: true,
  sensitive: false,
  maxBodyBytes: MAX_OBJECT_BODY_BYTES,
  selectableFields: new Set(['metadata.name', 'metadata.namespace']),
  field: metaField,
  admitCreate: (o, ctx) => asApi(admitConfigMap(o as ConfigMap, ctx)),
  admitUpdate: (next, current) => asApi(admitConfigMapUpdate(next as ConfigMap, current as ConfigMap)),
  columns: CONFIGMAP_COLUMNS,
  cells: (o, now) => configMapCells(o as ConfigMap, now),
};

export const SECRETS: ResourceDef = {
  kind: 'Secret',
  apiVersion: 'v1',
  resource: 'secrets',
  namespaced: true,
  sensitive: true,
  maxBodyBytes: MAX_OBJECT_BODY_BYTES,
  selectableFields: new Set(['metadata.name', 'metadata.namespace', 'type']),
  field: (o, field) => (field === 'type' ? String((o as Secret).type ?? '') : metaField(o, field)),
  admitCreate: (o, ctx) => asApi(admitSecret(o as Secret, ctx)),
  admitUpdate: (next, current) => asApi(admitSecretUpdate(next as Secret, current as Secret)),
  columns: SECRET_COLUMNS,
  cells: (o, now) => secretCells(o as Secret, now),
};

export const NAMESPACES: ResourceDef = {
  kind: 'Namespace',
  apiVersion: 'v1',
  resource: 'namespaces',
  namespaced: false,
  sensitive: false,
  maxBodyBytes: NAMESPACE_BODY_BYTES,
  selectableFields: new Set(['metadata.name', 'name', 'status.phase']),
  field: (o, field) =>
    field === 'status.phase'
      ? ((o as Namespace).status?.phase ?? '')
      : field === 'name'
        ? (o.metadata?.name ?? '')
        : metaField(o, field),
  admitCreate: (o, ctx) => asApi(admitNamespace(o as Namespace, ctx)),
  admitUpdate: (next, current) => asApi(admitNamespaceUpdate(next as Namespace, current as Namespace)),
  columns: NAMESPACE_COLUMNS,
  cells: (o, now) => namespaceCells(o as Namespace, now),
};

/**
 * batch/v1 Jobs (pkg/registry/batch/job/strategy.go): a status subresource, and the selectable fields of
 * JobToSelectableFields (metadata.name, metadata.namespace, status.successful).
 */
export const JOBS: ResourceDef = {
  kind: 'Job',
  apiVersion: 'batch/v1',
  resource: 'jobs',
  namespaced: true,
  sensitive: false,
  maxBodyBytes: NAMESPACE_BODY_BYTES,
  selectableFields: new Set(['metadata.name', 'metadata.namespace', 'status.successful']),
  field: (o, field) =>
    field === 'status.successful' ? String((o as Job).status?.succeeded ?? 0) : metaField(o, field),
  admitCreate: (o, ctx) => asApi(admitJob(o as Job, ctx)),
  admitUpdate: (next, current) => asApi(admitJobUpdate(next as Job, current as Job)),
  admitStatusUpdate: (next, current) => asApi(admitJobStatusUpdate(next as Job, current as Job)),
  columns: JOB_COLUMNS,
  cells: (o, now) => jobCells(o as Job, now),
};

/**
 * batch/v1 CronJobs (pkg/registry/batch/cronjob/strategy.go): a status subresource; the selectable fields are the
 * metadata's (DefaultClusterScopedAttr/NamespaceScopedAttr).
 */
export const CRONJOBS: ResourceDef = {
  kind: 'CronJob',
  apiVersion: 'batch/v1',
  resource: 'cronjobs',
  namespaced: true,
  sensitive: false,
  maxBodyBytes: NAMESPACE_BODY_BYTES,
  selectableFields: new Set(['metadata.name', 'metadata.namespace']),
  field: metaField,
  admitCreate: (o, ctx) => asApi(admitCronJob(o as CronJob, ctx)),
  admitUpdate: (next, current) => asApi(admitCronJobUpdate(next as CronJob, current as CronJob)),
  admitStatusUpdate: (next, current) => asApi(admitCronJobStatusUpdate(next as CronJob, current as CronJob)),
  columns: CRONJOB_COLUMNS,
  cells: (o, now) => cronJobCells(o as CronJob, now),
};

export const OBJECT_RESOURCE_DEFS: Readonly<Record<ObjectKind, ResourceDef>> = {
  ConfigMap: CONFIGMAPS,
  Secret: SECRETS,
  Namespace: NAMESPACES,
  Job: JOBS,
  CronJob: CRONJOBS,
};
