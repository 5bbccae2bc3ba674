// The resources kept in the ObjectStore — configmaps, secrets (namespaced) and namespaces (cluster-scoped) — with the
// API server's generic registry semantics (staging/src/k8s.io/apiserver/pkg/endpoints/handlers: create.go, get.go,
// update.go, patch.go, delete.go, watch.go; pkg/registry/core/configmap, secret and namespace for what differs per
// kind). Thin, as the pod handlers are: decode, admit with the core's rules (core/manifest/api-objects.ts), call one
// engine use case or read the store, encode. Each kind is a ResourceDef (object-kinds.ts).
//
// What a Secret must never do: show a value in an error (bodies are not quoted, patch errors name no value), in a
// Table (DATA counts keys) or in a log (an internal error names the object, not its content).
import type { PropagationPolicy } from '../engine/owner-deletion.ts';
import type { Context } from 'hono';
import { decodeWithSchema } from '../core/manifest/decode-object.ts';
import type { Admitted } from '../core/manifest/api-objects.ts';
import type { CreateContext } from '../core/manifest/default-pod.ts';
import { isPlainObject } from '../core/manifest/kinds.ts';
import { ROOT_TYPES } from '../core/manifest/schema.generated.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../ports/errors.ts';
import {
  OBJECT_API_VERSIONS,
  type ApiObject,
  type ObjectKey,
  type ObjectKind,
  type StoredObject,
} from '../ports/object-store.ts';
import { negotiateFormat, type ResponseFormat } from './accept.ts';
import type { ApiContext } from './api-context.ts';
import { bodyFormat, checkObjectKind, parseObjectBody } from './decode-pod.ts';
import { refuseSystemNamespaceDeletion, requireWritableNamespace } from './namespace-admission.ts';
import { servedObject } from './object-watch.ts';
import { decodeProtobufObject, PROTOBUF_KINDS, PROTOBUF_MEDIA_TYPE } from './protobuf.ts';
import { applyJsonPatch, applyMergePatch, decodeJsonPatch, mergeStrategic, parsePatchJson } from './patch.ts';
import {
  checkNamespace,
  checkPropagationPolicy,
  includeObjectParam,
  readDeleteOptions,
  watchTimeoutMs,
} from './pods.ts';
import {
  boolParam,
  dryRunParam,
  fieldValidationParam,
  readBody,
  readBodyBytes,
  requestMediaType,
  type FieldValidation,
} from './request.ts';
import { addWarnings, respond } from './respond.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  invalid,
  notFound,
  toApiError,
  unsupportedMediaType,
} from './status.ts';
import { streamingResponse } from './stream.ts';
import { bookmarkObject, objectLogKind, runLogWatch } from './change-log-watch.ts';
import { objectTable, type TableColumnDefinition } from './table.ts';
import type { WatchFilter } from './watch-hub.ts';

/** How one kind is served. */
export interface ResourceDef {
  kind: ObjectKind;
  /** The group/version it is served in: `v1`, `batch/v1`. */
  apiVersion: string;
  /** The URL segment and the word of the messages: `configmaps`. */
  resource: string;
  namespaced: boolean;
  /** Holds values that may not appear in a message or a log (Secrets). */
  sensitive: boolean;
  /** Largest body a create, update or patch may carry (the API server's is 3 MiB). */
  maxBodyBytes: number;
  /** The kind's ToSelectableFields (fieldSelector). */
  selectableFields: ReadonlySet<string>;
  field(object: ApiObject, field: string): string;
  admitCreate(object: ApiObject, ctx: CreateContext): Admitted<ApiObject>;
  admitUpdate(next: ApiObject, current: ApiObject): Admitted<ApiObject>;
  /** A write of the status subresource (kinds that have one). */
  admitStatusUpdate?(next: ApiObject, current: ApiObject): Admitted<ApiObject>;
  columns: readonly TableColumnDefinition[];
  cells(object: ApiObject, now: number): unknown[];
}

/** A patch that loses a race with another writer is re-applied, as the API server's patcher retries. */
const PATCH_ATTEMPTS = 5;

/** The API group ('' for core v1). */
const groupOf = (def: ResourceDef): string | undefined =>
  def.apiVersion.includes('/') ? def.apiVersion.slice(0, def.apiVersion.indexOf('/')) : undefined;

/** How messages name the resource: `configmaps`, `jobs.batch` (schema.GroupResource.String). */
const qualified = (def: ResourceDef): string =>
  def.apiVersion.includes('/')
    ? `${def.resource}.${def.apiVersion.slice(0, def.apiVersion.indexOf('/'))}`
    : def.resource;

const keyOf = (def: ResourceDef, namespace: string, name: string): ObjectKey => ({
  kind: def.kind,
  namespace: def.namespaced ? namespace : '',
  name,
});

function respondObject(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  format: ResponseFormat,
  status: number,
  object: ApiObject,
): Response {
  if (format.kind !== 'table') return respond(c, format, status, object);
  const resourceVersion = object.metadata?.resourceVersion;
  return respond(
    c,
    format,
    status,
    objectTable(def.columns, [object], def.cells, {
      now: x.deps.clock.now(),
      include: includeObjectParam(c),
      version: format.version,
      ...(resourceVersion ? { resourceVersion } : {}),
    }),
  );
}

async function getStored(x: ApiContext, def: ResourceDef, key: ObjectKey): Promise<StoredObject> {
  const stored = await x.deps.objects.get(key);
  if (!stored) throw notFound(qualified(def), key.name);
  return stored;
}

// ---------- decoding ----------

async function readObjectBody(c: Context, def: ResourceDef): Promise<Record<string, unknown>> {
  const mediaType = requestMediaType(c);
  if (mediaType === PROTOBUF_MEDIA_TYPE && PROTOBUF_KINDS.has(def.kind)) {
    const bytes = await readBodyBytes(c, def.maxBodyBytes);
    if (bytes.length === 0) throw badRequest(`the request body is empty: a ${def.kind} is required`);
    return checkObjectKind(decodeProtobufObject(bytes, def.kind), def.kind, def.apiVersion);
  }
  const format = bodyFormat(mediaType);
  const text = await readBody(c, def.maxBodyBytes);
  if (text.trim() === '') throw badRequest(`the request body is empty: a ${def.kind} is required`);
  return checkObjectKind(
    parseObjectBody(text, format, def.kind, { quoteBody: !def.sensitive }),
    def.kind,
    def.apiVersion,
  );
}

const STRICT_PREFIX = 'strict decoding error: ';

/**
 * Decodes a body (or a patched object) against the kind's schema: a type error or malformed base64 is a 400
 * (`ConfigMap in version "v1" cannot be handled as a ConfigMap: …`), or with `asPatchError` a 422 on the `patch`
 * field; unknown fields are warnings, 400 under Strict, nothing under Ignore.
 */
function decodeObject(
  raw: Record<string, unknown>,
  def: ResourceDef,
  name: string,
  fieldValidation: FieldValidation,
  asPatchError = false,
): { object: ApiObject; warnings: string[] } {
  const decoded = decodeWithSchema(raw, ROOT_TYPES[`${def.apiVersion}/${def.kind}`]!);
  const typeError = decoded.typeErrors[0];
  if (typeError !== undefined) {
    if (asPatchError) {
      const value = def.sensitive ? '<secret contents redacted>' : JSON.stringify(raw).slice(0, 120);
      throw invalid(
        def.kind,
        name,
        [{ type: 'FieldValueInvalid', field: 'patch', value, detail: typeError }],
        groupOf(def),
      );
    }
    throw badRequest(`${def.kind} in version "v1" cannot be handled as a ${def.kind}: ${typeError}`);
  }
  const unknown = decoded.unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`);
  if (fieldValidation === 'Strict' && unknown.length > 0)
    throw badRequest(`${STRICT_PREFIX}${unknown.join(', ')}`);
  return { object: decoded.object as ApiObject, warnings: fieldValidation === 'Ignore' ? [] : unknown };
}

/** The name a body gives (or its generateName), for messages. */
function bodyName(raw: Record<string, unknown>): string {
  const meta = isPlainObject(raw.metadata) ? raw.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== '') return meta.name;
  return typeof meta.generateName === 'string' ? meta.generateName : '';
}

function admittedOrInvalid(def: ResourceDef, name: string, admitted: Admitted<ApiObject>): ApiObject {
  if (!admitted.ok) throw invalid(def.kind, name, admitted.errors, groupOf(def));
  return admitted.object;
}

// ---------- list / watch ----------

function selection(c: Context, def: ResourceDef, namespace: string | undefined): WatchFilter<ApiObject> {
  const labels = parseLabelSelector(c.req.query('labelSelector') ?? '');
  const fields = parseFieldSelector(c.req.query('fieldSelector') ?? '', def.selectableFields);
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    matches: (o) =>
      (namespace === undefined || o.metadata?.namespace === namespace) &&
      matchesLabels(labels, o.metadata?.labels) &&
      matchesFields(fields, (f) => def.field(o, f)),
  };
}

/** GET on the collection: a List (or Table), or a watch with `watch=true`. */
export async function listObjects(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  namespace: string | undefined,
): Promise<Response> {
  if (namespace !== undefined) checkNamespace(namespace);
  const filter = selection(c, def, namespace);
  if (boolParam(c, 'watch') === true) return watchObjects(x, c, def, filter);
  const format = negotiateFormat(c.req.header('accept'), true);
  // Every list is one page: limit/continue are accepted and ignored (pods are chunked, pods.ts listPods).
  const { items, resourceVersion } = await x.deps.objects.list(def.kind, namespace);
  const objects = items.map(servedObject).filter(filter.matches);
  if (format.kind === 'table') {
    return respond(
      c,
      format,
      200,
      objectTable(def.columns, objects, def.cells, {
        now: x.deps.clock.now(),
        include: includeObjectParam(c),
        version: format.version,
        resourceVersion,
      }),
    );
  }
  return respond(c, format, 200, {
    apiVersion: def.apiVersion,
    kind: `${def.kind}List`,
    metadata: { resourceVersion },
    items: objects,
  });
}

function watchObjects(x: ApiContext, c: Context, def: ResourceDef, filter: WatchFilter<ApiObject>): Response {
  const format = negotiateFormat(c.req.header('accept'), true);
  const include = includeObjectParam(c);
  const timeoutMs = watchTimeoutMs(x, c);
  const resourceVersion = c.req.query('resourceVersion');
  if (resourceVersion !== undefined && resourceVersion !== '' && !/^\d+$/.test(resourceVersion))
    throw badRequest(`invalid resource version: ${JSON.stringify(resourceVersion)}`);
  return streamingResponse({
    contentType: 'application/json',
    timeoutMs,
    signal: c.req.raw.signal,
    start: async (w) => {
      let first = true;
      const emit = (type: string, object: ApiObject): void => {
        const sent =
          format.kind === 'table'
            ? objectTable(def.columns, [object], def.cells, {
                now: x.deps.clock.now(),
                include,
                version: format.version,
                noHeaders: !first,
              })
            : object;
        // On a watch only the first Table carries the column definitions (apiserver watch.go Fixup).
        first = false;
        w.write(`${JSON.stringify({ type, object: sent })}\n`);
      };
      if (x.logWatch) {
        await runLogWatch(w, {
          ...x.logWatch,
          kind: objectLogKind(x.deps.objects, def.kind),
          filter,
          resourceVersion,
          emit,
          bookmark:
            boolParam(c, 'allowWatchBookmarks') === true
              ? bookmarkObject(format.kind === 'table', def.kind, OBJECT_API_VERSIONS[def.kind])
              : undefined,
          clock: x.deps.clock,
        });
        return;
      }
      const handle = await x.objectHubs[def.kind].watch(filter, resourceVersion, emit, () => w.close());
      w.onClose(() => handle.stop());
    },
    onFailure: (w, err) => {
      const status = toApiError(err, (e) => x.deps.onError(e, `${def.resource} watch`)).toStatus();
      w.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
    },
  });
}

// ---------- get / create ----------

export async function getObject(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  namespace: string,
  name: string,
): Promise<Response> {
  if (def.namespaced) checkNamespace(namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const stored = await getStored(x, def, keyOf(def, namespace, name));
  return respondObject(x, c, def, format, 200, servedObject(stored));
}

/** Admits and stores a decoded object; `namespace` is the URL's ('' for a cluster-scoped kind). */
async function createDecoded(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  format: ResponseFormat,
  raw: Record<string, unknown>,
  namespace: string,
  fieldValidation: FieldValidation,
): Promise<Response> {
  const meta = isPlainObject(raw.metadata) ? raw.metadata : undefined;
  if (
    def.namespaced &&
    meta?.namespace !== undefined &&
    meta.namespace !== '' &&
    meta.namespace !== namespace
  )
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const name = bodyName(raw);
  const { object, warnings } = decodeObject(raw, def, name, fieldValidation);
  const metadata = { ...object.metadata, ...(def.namespaced ? { namespace } : {}) };
  if (!def.namespaced) delete metadata.namespace;
  if (def.namespaced) await requireWritableNamespace(x, namespace, qualified(def), name);
  const admitted = admittedOrInvalid(
    def,
    name,
    def.admitCreate({ ...object, metadata }, { now: x.deps.clock.now(), newUid: x.deps.newUid }),
  );
  addWarnings(c, warnings);
  if (dryRunParam(c)) return respondObject(x, c, def, format, 201, admitted);
  try {
    const stored = await x.deps.engine.createObject(admitted);
    return respondObject(x, c, def, format, 201, servedObject(stored));
  } catch (err) {
    if (isAlreadyExists(err)) throw alreadyExists(qualified(def), admitted.metadata?.name ?? name);
    throw err;
  }
}

/** POST on the collection. */
export async function createObject(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  namespace: string,
): Promise<Response> {
  if (def.namespaced) checkNamespace(namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const fieldValidation = fieldValidationParam(c);
  dryRunParam(c);
  const raw = await readObjectBody(c, def);
  return createDecoded(x, c, def, format, raw, namespace, fieldValidation);
}

// ---------- update / patch ----------

/**
 * Admits `decoded` as the next version of `current` and stores it: at `precondition` when given (409 when stale),
 * else at the version read (ConfigMaps, Secrets and Namespaces allow unconditional updates).
 */
async function store(
  x: ApiContext,
  def: ResourceDef,
  key: ObjectKey,
  current: StoredObject,
  decoded: ApiObject,
  precondition: string | undefined,
  dryRun: boolean,
  subresource?: 'status',
): Promise<ApiObject> {
  if (precondition !== undefined && precondition !== current.resourceVersion)
    throw conflict(
      qualified(def),
      key.name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  const admit = subresource === 'status' && def.admitStatusUpdate ? def.admitStatusUpdate : def.admitUpdate;
  const next = admittedOrInvalid(def, key.name, admit(decoded, current.object));
  if (dryRun) return { ...next, metadata: { ...next.metadata, resourceVersion: current.resourceVersion } };
  try {
    return servedObject(await x.deps.engine.updateObject(key, current.resourceVersion, next));
  } catch (err) {
    if (isNotFound(err)) throw notFound(qualified(def), key.name);
    if (isConflict(err))
      throw conflict(
        qualified(def),
        key.name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    throw err;
  }
}

/** The URL names the object: a body naming another (name or namespace) is a 400. */
function checkBodyNames(
  def: ResourceDef,
  raw: Record<string, unknown>,
  key: ObjectKey,
): Record<string, unknown> {
  const meta = isPlainObject(raw.metadata) ? raw.metadata : {};
  if (
    def.namespaced &&
    meta.namespace !== undefined &&
    meta.namespace !== '' &&
    meta.namespace !== key.namespace
  )
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== key.name)
    throw badRequest(
      `the name of the object (${meta.name}) does not match the name on the URL (${key.name})`,
    );
  return {
    ...raw,
    metadata: { ...meta, name: key.name, ...(def.namespaced ? { namespace: key.namespace } : {}) },
  };
}

/** PUT on an object (or, with `subresource`, on its status). */
export async function replaceObject(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  namespace: string,
  name: string,
  subresource?: 'status',
): Promise<Response> {
  if (def.namespaced) checkNamespace(namespace);
  const key = keyOf(def, namespace, name);
  const format = negotiateFormat(c.req.header('accept'), true);
  const fieldValidation = fieldValidationParam(c);
  const dryRun = dryRunParam(c);
  const raw = checkBodyNames(def, await readObjectBody(c, def), key);
  const { object: decoded, warnings } = decodeObject(raw, def, name, fieldValidation);
  const precondition = decoded.metadata?.resourceVersion || undefined;
  for (let attempt = 1; ; attempt++) {
    const current = await getStored(x, def, key);
    try {
      const saved = await store(x, def, key, current, decoded, precondition, dryRun, subresource);
      addWarnings(c, warnings);
      return respondObject(x, c, def, format, 200, saved);
    } catch (err) {
      if (retriable(err, precondition, attempt)) continue;
      throw err;
    }
  }
}

const retriable = (err: unknown, precondition: string | undefined, attempt: number): boolean =>
  err instanceof ApiError &&
  err.reason === 'Conflict' &&
  precondition === undefined &&
  attempt < PATCH_ATTEMPTS;

type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_TYPES: Readonly<Record<string, PatchKind>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** PATCH on an object: JSON, merge and strategic merge patches, and podflow's server-side apply (as for pods). */
export async function patchObject(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  namespace: string,
  name: string,
  subresource?: 'status',
): Promise<Response> {
  if (def.namespaced) checkNamespace(namespace);
  const key = keyOf(def, namespace, name);
  const format = negotiateFormat(c.req.header('accept'), true);
  const kind = PATCH_TYPES[requestMediaType(c)];
  if (!kind)
    throw unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`,
    );
  const fieldValidation = fieldValidationParam(c);
  const dryRun = dryRunParam(c);
  if (kind === 'apply' && !c.req.query('fieldManager'))
    throw badRequest('PATCH, application/apply-patch+yaml requests must provide a fieldManager');
  const text = await readBody(c, def.maxBodyBytes);
  if (text.trim() === '') throw badRequest('the request body is empty: a patch is required');
  let apply: (current: ApiObject) => unknown;
  if (kind === 'apply') {
    const applied = checkObjectKind(
      parseObjectBody(text, 'yaml', def.kind, { quoteBody: !def.sensitive }),
      def.kind,
      def.apiVersion,
    );
    apply = (current) => mergeStrategic(current, applied);
  } else {
    const doc = parsePatchJson(text);
    if (kind === 'json') {
      const ops = decodeJsonPatch(doc);
      apply = (current) => applyJsonPatch(current, ops);
    } else {
      if (!isPlainObject(doc)) throw badRequest('the patch is not a JSON object');
      apply =
        kind === 'merge'
          ? (current) => applyMergePatch(current, doc)
          : (current) => mergeStrategic(current, doc);
    }
  }
  for (let attempt = 1; ; attempt++) {
    const current = await x.deps.objects.get(key);
    if (!current) {
      // Server-side apply creates what does not exist yet (podflow's apply: docs/decisions/0004-api.md).
      if (kind !== 'apply' || subresource) throw notFound(qualified(def), name);
      const raw = checkObjectKind(
        parseObjectBody(text, 'yaml', def.kind, { quoteBody: !def.sensitive }),
        def.kind,
        def.apiVersion,
      );
      return createDecoded(x, c, def, format, checkBodyNames(def, raw, key), namespace, fieldValidation);
    }
    const patched = apply(servedObject(current));
    if (!isPlainObject(patched))
      throw invalid(
        def.kind,
        name,
        [
          {
            type: 'FieldValueInvalid',
            field: 'patch',
            value: '',
            detail: 'the patched object is not an object',
          },
        ],
        groupOf(def),
      );
    const raw = checkBodyNames(def, checkObjectKind(patched, def.kind, def.apiVersion), key);
    const { object: decoded, warnings } = decodeObject(raw, def, name, fieldValidation, true);
    const patchedVersion = decoded.metadata?.resourceVersion;
    // A resourceVersion the patch itself sets is a precondition; otherwise the patch applies to the latest object.
    const precondition =
      patchedVersion !== undefined && patchedVersion !== '' && patchedVersion !== current.resourceVersion
        ? patchedVersion
        : undefined;
    try {
      const saved = await store(x, def, key, current, decoded, precondition, dryRun, subresource);
      addWarnings(c, warnings);
      return respondObject(x, c, def, format, 200, saved);
    } catch (err) {
      if (retriable(err, precondition, attempt)) continue;
      throw err;
    }
  }
}

// ---------- delete ----------

/**
 * DELETE on an object. A ConfigMap or Secret goes at once and the answer is a Success Status (their registries do
 * not return the deleted object). A Namespace is marked Terminating and returned; the namespace controller removes
 * it with its content (engine.deleteNamespace). The system namespaces may not be deleted (403); deleting one that is
 * already Terminating is the API server's 409.
 */
export async function deleteObject(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  namespace: string,
  name: string,
): Promise<Response> {
  if (def.namespaced) checkNamespace(namespace);
  const key = keyOf(def, namespace, name);
  const format = negotiateFormat(c.req.header('accept'), true);
  const options = await readDeleteOptions(c);
  checkPropagationPolicy(options);
  const current = await getStored(x, def, key);
  const pre = options.preconditions;
  const uid = current.object.metadata?.uid ?? '';
  if (pre?.uid !== undefined && pre.uid !== uid)
    throw conflict(
      qualified(def),
      name,
      `the UID in the precondition (${pre.uid}) does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
    );
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.resourceVersion)
    throw conflict(
      qualified(def),
      name,
      `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${current.resourceVersion}). The object might have been modified`,
    );
  if (def.kind === 'Job' || def.kind === 'CronJob')
    return deleteOwnerObject(x, c, def, format, key, options, current);
  if (def.kind === 'Namespace') {
    refuseSystemNamespaceDeletion(name);
    const ns = current.object as { status?: { phase?: string }; metadata?: { deletionTimestamp?: string } };
    if (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp !== undefined)
      throw conflict(
        qualified(def),
        name,
        'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
      );
    if (options.dryRun) return respondObject(x, c, def, format, 200, servedObject(current));
    const marked = await x.deps.engine.deleteNamespace(name);
    return respondObject(x, c, def, format, 200, servedObject(marked));
  }
  if (!options.dryRun) await x.deps.engine.removeObject(key, pre?.resourceVersion);
  return respond(c, { kind: 'json' }, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, kind: def.resource, uid },
  });
}

/** pkg/registry/batch/job/storage/storage.go deleteOptionWarnings. */
export const JOB_DELETE_WARNING =
  'child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning';

/**
 * DELETE on a Job or a CronJob, with its propagation policy (the garbage collector's part is their controllers',
 * engine/job-controller.ts and engine/cronjob-controller.ts). A Job is orphaning by default (the registry's
 * DefaultGarbageCollectionPolicy for batch/v1 Jobs), with the API server's warning, a CronJob deletes its Jobs
 * (Background); kubectl sends Background. Foreground answers the object marked for deletion (202), the others a
 * Success Status.
 */
async function deleteOwnerObject(
  x: ApiContext,
  c: Context,
  def: ResourceDef,
  format: ResponseFormat,
  key: ObjectKey,
  options: Awaited<ReturnType<typeof readDeleteOptions>>,
  current: StoredObject,
): Promise<Response> {
  const isJob = def.kind === 'Job';
  const controller = isJob ? x.deps.jobs : x.deps.cronJobs;
  if (!controller) throw notFound(qualified(def), key.name);
  const policy = (options.propagationPolicy ?? (isJob ? 'Orphan' : 'Background')) as PropagationPolicy;
  if (isJob && options.propagationPolicy === undefined) addWarnings(c, [JOB_DELETE_WARNING]);
  const uid = current.object.metadata?.uid ?? '';
  if (!options.dryRun) {
    const marked = await controller.delete(
      key.namespace,
      key.name,
      policy,
      options.preconditions?.resourceVersion,
    );
    if (marked) return respondObject(x, c, def, format, 202, servedObject(marked));
  }
  return respond(c, { kind: 'json' }, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: key.name, group: 'batch', kind: def.resource, uid },
  });
}
