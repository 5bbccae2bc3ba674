// The pods resource (`/api/v1/namespaces/{ns}/pods[/{name}[/status]]`, `/api/v1/pods`): create, get, list, watch,
// update, patch, delete and the status subresource, with the API server's semantics (docs/architecture.md §8;
// decisions in docs/decisions/0004-api.md). Thin: decode the request, call one engine use case, encode the answer.
import type { Context } from 'hono';
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import { chunkRequest, encodeContinue } from './list-chunks.ts';
import { KUBELET_CONDITION_ORDER } from '../core/pod-conditions.ts';
import { defaultPod } from '../core/manifest/index.ts';
import { isPlainObject } from '../core/manifest/kinds.ts';
import { nameIsDnsLabel } from '../core/manifest/name-rules.ts';
import { validateAnnotations, validateLabels } from '../core/manifest/validate-object-meta.ts';
import { applyPodUpdate } from '../core/manifest/validate-pod-update.ts';
import {
  applyEphemeralContainersUpdate,
  checkEphemeralContainersPolicy,
} from '../core/manifest/ephemeral-containers-update.ts';
import type { SupportCheckResult } from '../core/manifest/support-policy.ts';
import { notSupported, required } from '../core/field-errors.ts';
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from '../ports/errors.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { StoredPod } from '../ports/pod-store.ts';
import { negotiateFormat, type ResponseFormat } from './accept.ts';
import { DEFAULT_WATCH_TIMEOUT_SECONDS, type ApiContext } from './api-context.ts';
import {
  admitPodForCreate,
  bodyFormat,
  checkPodKind,
  decodePodForUpdate,
  parseObjectBody,
} from './decode-pod.ts';
import { requireWritableNamespace } from './namespace-admission.ts';
import { keyOfPod, podList, POD_SELECTABLE_FIELDS, podField, servedPod } from './objects.ts';
import { applyJsonPatch, applyMergePatch, decodeJsonPatch, mergeStrategic, parsePatchJson } from './patch.ts';
import {
  boolParam,
  dryRunParam,
  fieldValidationParam,
  intParam,
  readBody,
  requestMediaType,
  type FieldValidation,
} from './request.ts';
import { addWarnings, respond, respondImmutable } from './respond.ts';
import { isServed } from './served-store.ts';
import { deletionGraceSeconds } from '../core/grace.ts';
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
import { bookmarkObject, podLogKind, runLogWatch } from './change-log-watch.ts';
import { podTable, type IncludeObject } from './table.ts';
import type { PodFilter } from './watch-hub.ts';

const RESOURCE = 'pods';
const KUBELET_CONDITIONS: ReadonlySet<string> = new Set(KUBELET_CONDITION_ORDER);
/** A patch that loses a race with the worker's own writes is re-applied, as the API server's patcher retries. */
const PATCH_ATTEMPTS = 5;
const SETTLE_POLL_MS = 20;
/**
 * How long a create waits for the engine to let go of a force-deleted pod of the same name: preStop (at most 1 s),
 * the 2 s stop window, and room for a busy engine.
 */
const FORCE_DELETED_WAIT_MS = 10_000;

/**
 * A namespace in a URL must be a DNS label: an invalid one cannot exist, so it is not found, as it would not be on a
 * cluster. Whether a valid one exists matters to creates only (namespace-admission.ts); reading or listing the
 * content of a namespace that does not exist finds nothing, as upstream.
 */
export function checkNamespace(namespace: string): void {
  if (nameIsDnsLabel(namespace, false).length > 0) throw notFound('namespaces', namespace);
}

export function includeObjectParam(c: Context): IncludeObject {
  const raw = c.req.query('includeObject');
  if (raw === undefined || raw === '') return 'Metadata';
  if (raw === 'None' || raw === 'Metadata' || raw === 'Object') return raw;
  throw badRequest(
    `includeObject: Unsupported value: ${JSON.stringify(raw)}: supported values: "None", "Metadata", "Object"`,
  );
}

function respondPod(x: ApiContext, c: Context, format: ResponseFormat, status: number, pod: Pod): Response {
  if (format.kind === 'table') {
    const table = podTable([pod], {
      now: x.deps.clock.now(),
      include: includeObjectParam(c),
      version: format.version,
      ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
    });
    return respond(c, format, status, table);
  }
  return respond(c, format, status, pod);
}

async function getStored(x: ApiContext, key: PodKey): Promise<StoredPod> {
  const stored = await x.deps.store.get(key);
  if (!stored) throw notFound(RESOURCE, key.name);
  return stored;
}

/** Waits (briefly) until the worker committed what a request asked for; answers with the latest object either way. */
async function settle(
  x: ApiContext,
  key: PodKey,
  done: (pod: Pod) => boolean,
): Promise<{ pod?: Pod; gone: boolean }> {
  const deadline = Date.now() + x.settleTimeoutMs;
  let last: Pod | undefined;
  for (;;) {
    const stored = await x.deps.store.get(key);
    if (!stored) return { ...(last ? { pod: last } : {}), gone: true };
    last = servedPod(stored);
    if (done(last) || Date.now() >= deadline) return { pod: last, gone: false };
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

// ---------- list / watch ----------

export interface Selection {
  namespace?: string;
  filter: PodFilter;
}

/** The pods a list selects: namespace, labelSelector and fieldSelector (400 Status for a malformed selector). */
export function podSelection(c: Context, namespace: string | undefined): Selection {
  const labels = parseLabelSelector(c.req.query('labelSelector') ?? '');
  const fields = parseFieldSelector(c.req.query('fieldSelector') ?? '', POD_SELECTABLE_FIELDS);
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    filter: {
      ...(namespace !== undefined ? { namespace } : {}),
      matches: (pod) =>
        (namespace === undefined || pod.metadata?.namespace === namespace) &&
        matchesLabels(labels, pod.metadata?.labels) &&
        matchesFields(fields, (f) => podField(pod, f)),
    },
  };
}

export async function listPods(x: ApiContext, c: Context, namespace: string | undefined): Promise<Response> {
  if (namespace !== undefined) checkNamespace(namespace);
  const sel = podSelection(c, namespace);
  if (boolParam(c, 'watch') === true) return watchPods(x, c, sel);
  const format = negotiateFormat(c.req.header('accept'), true);
  const include = includeObjectParam(c);
  const chunk = chunkRequest(c);
  const list = await x.deps.store.list(namespace, chunk.page);
  // Selectors apply after the chunk is read: a chunk may hold fewer than `limit` items (the API server's may too).
  const pods = list.items.map(servedPod).filter(sel.filter.matches);
  const resourceVersion = chunk.resourceVersion ?? list.resourceVersion;
  const more = list.continueAfter && encodeContinue(resourceVersion, list.continueAfter);
  if (format.kind === 'table') {
    const table = podTable(pods, {
      now: x.deps.clock.now(),
      include,
      version: format.version,
      resourceVersion,
    });
    return respond(
      c,
      format,
      200,
      more ? { ...table, metadata: { ...table.metadata, continue: more } } : table,
    );
  }
  const body = podList(pods, resourceVersion);
  return respond(c, format, 200, more ? { ...body, metadata: { ...body.metadata, continue: more } } : body);
}

/** The watch's duration: timeoutSeconds (≥ 0; 0 means the default), capped where streams are capped. */
export function watchTimeoutMs(x: ApiContext, c: Context): number {
  const requested = intParam(c, 'timeoutSeconds', 0);
  const seconds = requested === undefined || requested === 0 ? DEFAULT_WATCH_TIMEOUT_SECONDS : requested;
  return Math.min(seconds * 1000, x.maxStreamMs);
}

function watchPods(x: ApiContext, c: Context, sel: Selection): Response {
  const format = negotiateFormat(c.req.header('accept'), true);
  const include = includeObjectParam(c);
  const timeoutMs = watchTimeoutMs(x, c);
  const resourceVersion = c.req.query('resourceVersion');
  if (resourceVersion !== undefined && resourceVersion !== '' && !/^\d+$/.test(resourceVersion))
    throw badRequest(`invalid resource version: ${JSON.stringify(resourceVersion)}`);
  const bookmarks = boolParam(c, 'allowWatchBookmarks') === true;
  return streamingResponse({
    contentType: 'application/json',
    timeoutMs,
    signal: c.req.raw.signal,
    start: async (w) => {
      let first = true;
      const emit = (type: string, pod: Pod): void => {
        const object =
          format.kind === 'table'
            ? podTable([pod], {
                now: x.deps.clock.now(),
                include,
                version: format.version,
                noHeaders: !first,
              })
            : pod;
        // On a watch only the first Table carries the column definitions (apiserver watch.go Fixup).
        first = false;
        w.write(`${JSON.stringify({ type, object })}\n`);
      };
      if (x.logWatch) {
        await runLogWatch(w, {
          ...x.logWatch,
          kind: podLogKind(x.deps.store),
          filter: sel.filter,
          resourceVersion,
          emit,
          bookmark: bookmarks ? bookmarkObject(format.kind === 'table', 'Pod', 'v1') : undefined,
          clock: x.deps.clock,
        });
        return;
      }
      const handle = await x.hub.watch(sel.filter, resourceVersion, emit, () => w.close());
      w.onClose(() => handle.stop());
    },
    onFailure: (w, err) => {
      const status = toApiError(err, (e) => x.deps.onError(e, 'watch')).toStatus();
      w.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
    },
  });
}

// ---------- get / create ----------

export async function getPod(x: ApiContext, c: Context, key: PodKey): Promise<Response> {
  checkNamespace(key.namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  // From the watch cache when it is current (WatchHub.current), as the API server serves reads from its cacher.
  const cached = x.hub.current(key);
  if (cached) {
    if (!cached.object) throw notFound(RESOURCE, key.name);
    if (format.kind === 'json') return respondImmutable(c, format, 200, cached.object);
    return respondPod(x, c, format, 200, cached.object);
  }
  const stored = await getStored(x, key);
  return respondPod(x, c, format, 200, servedPod(stored));
}

async function readPodBody(c: Context): Promise<Record<string, unknown>> {
  const format = bodyFormat(requestMediaType(c));
  const text = await readBody(c);
  if (text.trim() === '') throw badRequest('the request body is empty: a Pod is required');
  return checkPodKind(parseObjectBody(text, format, 'Pod'));
}

/** The host runtime's admission (ApiDeps.admit): its errors are the API's 422, its warnings go to the client. */
function runtimeAdmission(x: ApiContext, c: Context, pod: Pod, name: string): Pod {
  if (!x.deps.admit) return pod;
  const admitted = x.deps.admit(pod);
  if (admitted.errors.length > 0) throw invalid('Pod', name, admitted.errors);
  addWarnings(c, admitted.warnings);
  return admitted.pod;
}

async function createAdmitted(
  x: ApiContext,
  c: Context,
  format: ResponseFormat,
  raw: Record<string, unknown>,
  namespace: string,
  fieldValidation: FieldValidation,
): Promise<Response> {
  const { pod: decoded, warnings } = admitPodForCreate(raw, namespace, {
    fieldValidation,
    now: x.deps.clock.now(),
    newUid: x.deps.newUid,
  });
  addWarnings(c, warnings);
  const pod = runtimeAdmission(x, c, decoded, decoded.metadata?.name ?? '');
  const key = keyOfPod(pod);
  await requireWritableNamespace(x, namespace, RESOURCE, key.name);
  if (dryRunParam(c)) return respondPod(x, c, format, 201, pod);
  for (const deadline = Date.now() + FORCE_DELETED_WAIT_MS; ;) {
    try {
      const stored = await x.deps.engine.createPod(pod);
      return respondPod(x, c, format, 201, servedPod(stored));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // The name is free in the API once a force delete took the old pod out; the engine lets go of it a moment
      // later, once its containers are killed (preStop ≤ 1 s, then a 2 s stop window): wait for that, briefly.
      const held = await x.storeWithRemoved.get(key);
      if (!held || isServed(held) || Date.now() >= deadline) throw alreadyExists(RESOURCE, key.name);
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
    }
  }
}

export async function createPod(x: ApiContext, c: Context, namespace: string): Promise<Response> {
  checkNamespace(namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const fieldValidation = fieldValidationParam(c);
  dryRunParam(c);
  const raw = await readPodBody(c);
  return createAdmitted(x, c, format, raw, namespace, fieldValidation);
}

// ---------- update / patch ----------

/**
 * The object an update stores: the decoded request with every spec default applied (the API server defaults the
 * incoming object before it validates the update) and valid labels and annotations.
 */
function prepareUpdate(decoded: Pod, current: StoredPod, name: string): Pod {
  const uid = current.state.pod.metadata?.uid ?? '';
  const defaulted = defaultPod(decoded, {
    now: Date.parse(current.state.pod.metadata?.creationTimestamp ?? '') || 0,
    newUid: () => uid,
  });
  // A mirror pod's uid is the mirror's; the static pod behind it keeps its own (servedPod).
  const mirror = current.state.engine.mirror;
  const metadata =
    mirror && decoded.metadata?.uid === mirror.uid
      ? { ...decoded.metadata, uid, creationTimestamp: current.state.pod.metadata.creationTimestamp }
      : (decoded.metadata ?? {});
  const errors = [
    ...validateLabels(metadata.labels, 'metadata.labels'),
    ...validateAnnotations(metadata.annotations, 'metadata.annotations'),
  ];
  if (errors.length > 0) throw invalid('Pod', name, errors);
  return { ...decoded, apiVersion: 'v1', kind: 'Pod', metadata, spec: defaulted.spec };
}

/** Carries out an update; engine errors become the API server's answers for this pod. */
function update(x: ApiContext, key: PodKey, next: Pod, expectedResourceVersion?: string): Promise<StoredPod> {
  return answeringAsApiServer(key, x.deps.engine.updatePod(key, next, expectedResourceVersion));
}

/** An engine write's errors as the API server's answers for the pod. */
async function answeringAsApiServer(key: PodKey, write: Promise<StoredPod>): Promise<StoredPod> {
  try {
    return await write;
  } catch (err) {
    if (isInvalid(err)) throw invalid('Pod', key.name, err.fieldErrors);
    if (isConflict(err))
      throw conflict(
        RESOURCE,
        key.name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    if (isNotFound(err)) throw notFound(RESOURCE, key.name);
    throw err;
  }
}

/** What a dry-run update would store (validation included), without storing it: the same update as the engine's. */
function dryRunUpdate(current: StoredPod, next: Pod, key: PodKey): Pod {
  const update = applyPodUpdate(current.state.pod, next);
  if (!update.ok) throw invalid('Pod', key.name, update.errors);
  return servedPod({ ...current, state: { ...current.state, pod: update.pod } });
}

/** Carries out an update of the pods/ephemeralcontainers subresource; errors as {@link update}'s. */
function updateEphemeral(
  x: ApiContext,
  key: PodKey,
  next: Pod,
  expectedResourceVersion?: string,
): Promise<StoredPod> {
  return answeringAsApiServer(
    key,
    x.deps.engine.updateEphemeralContainers(key, next, expectedResourceVersion),
  );
}

/** How a PUT or PATCH is stored: the pod itself, or one of its subresources. */
export interface PodWriter {
  update: typeof update;
  dryRun: typeof dryRunUpdate;
  /** Server-side apply may create the pod (the pod itself only). */
  createsOnApply: boolean;
  /** The support policy for what the request adds, checked on the decoded request (not defaulted). */
  policy?: (decoded: Pod, current: StoredPod) => SupportCheckResult;
}

const POD_WRITER: PodWriter = { update, dryRun: dryRunUpdate, createsOnApply: true };

/** pods/ephemeralcontainers (podEphemeralContainersStrategy): only spec.ephemeralContainers is taken. */
export const EPHEMERAL_CONTAINERS_WRITER: PodWriter = {
  update: updateEphemeral,
  dryRun: (current, next, key) => {
    const result = applyEphemeralContainersUpdate(current.state.pod, next);
    if (!result.ok) throw invalid('Pod', key.name, result.errors);
    return servedPod({ ...current, state: { ...current.state, pod: result.pod } });
  },
  createsOnApply: false,
  policy: (decoded, current) => checkEphemeralContainersPolicy(decoded, current.state.pod),
};

/** The writer's policy check: its errors are a 422, its warnings join the decoding's. */
function checkWriterPolicy(writer: PodWriter, decoded: Pod, current: StoredPod, name: string): string[] {
  if (!writer.policy) return [];
  const result = writer.policy(decoded, current);
  if (result.errors.length > 0) throw invalid('Pod', name, result.errors);
  return result.warnings;
}

export async function replacePod(
  x: ApiContext,
  c: Context,
  key: PodKey,
  writer: PodWriter = POD_WRITER,
): Promise<Response> {
  checkNamespace(key.namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const fieldValidation = fieldValidationParam(c);
  const dryRun = dryRunParam(c);
  const raw = await readPodBody(c);
  // A metadata that is not an object is a decoding error (400), not something to fill in from the URL.
  if (raw.metadata !== undefined && !isPlainObject(raw.metadata))
    decodePodForUpdate(raw, key.name, { fieldValidation });
  const meta = isPlainObject(raw.metadata) ? raw.metadata : {};
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== key.namespace)
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== key.name)
    throw badRequest(
      `the name of the object (${meta.name}) does not match the name on the URL (${key.name})`,
    );
  const { pod: decoded, warnings } = decodePodForUpdate(
    { ...raw, metadata: { ...meta, name: key.name, namespace: key.namespace } },
    key.name,
    { fieldValidation },
  );
  const current = await getStored(x, key);
  addWarnings(c, [...warnings, ...checkWriterPolicy(writer, decoded, current, key.name)]);
  const next = runtimeAdmission(x, c, prepareUpdate(decoded, current, key.name), key.name);
  // Pods allow unconditional updates (pod strategy AllowUnconditionalUpdate): no resourceVersion, no precondition.
  const expected = decoded.metadata?.resourceVersion || undefined;
  if (dryRun) return respondPod(x, c, format, 200, writer.dryRun(current, next, key));
  const stored = await writer.update(x, key, next, expected);
  return respondPod(x, c, format, 200, servedPod(stored));
}

type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_TYPES: Readonly<Record<string, PatchKind>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

function patchKindOf(c: Context): PatchKind {
  const kind = PATCH_TYPES[requestMediaType(c)];
  if (!kind) {
    throw unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`,
    );
  }
  return kind;
}

/** Parses the patch document once; applying it may be retried. */
function preparePatch(kind: PatchKind, text: string): (current: Pod) => unknown {
  if (kind === 'apply') {
    const applied = checkPodKind(parseObjectBody(text, 'yaml', 'Pod'));
    return (current) => mergeStrategic(current, applied);
  }
  const doc = parsePatchJson(text);
  if (kind === 'json') {
    const ops = decodeJsonPatch(doc);
    return (current) => applyJsonPatch(current, ops);
  }
  if (!isPlainObject(doc)) throw badRequest(`the patch is not a JSON object: ${text.slice(0, 60)}`);
  return kind === 'merge'
    ? (current) => applyMergePatch(current, doc)
    : (current) => mergeStrategic(current, doc);
}

export async function patchPod(
  x: ApiContext,
  c: Context,
  key: PodKey,
  writer: PodWriter = POD_WRITER,
): Promise<Response> {
  checkNamespace(key.namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const kind = patchKindOf(c);
  const fieldValidation = fieldValidationParam(c);
  const dryRun = dryRunParam(c);
  if (kind === 'apply' && !c.req.query('fieldManager'))
    throw badRequest('PATCH, application/apply-patch+yaml requests must provide a fieldManager');
  const text = await readBody(c);
  if (text.trim() === '') throw badRequest('the request body is empty: a patch is required');
  const apply = preparePatch(kind, text);
  for (let attempt = 1; ; attempt++) {
    const stored = await x.deps.store.get(key);
    if (!stored) {
      // Server-side apply creates what does not exist yet (podflow's apply: see docs/decisions/0004-api.md).
      if (kind === 'apply' && writer.createsOnApply) {
        const raw = checkPodKind(parseObjectBody(text, 'yaml', 'Pod'));
        const meta = isPlainObject(raw.metadata) ? raw.metadata : {};
        if (meta.name !== undefined && meta.name !== key.name)
          throw badRequest(
            `the name of the object (${String(meta.name)}) does not match the name on the URL (${key.name})`,
          );
        return createAdmitted(
          x,
          c,
          format,
          { ...raw, metadata: { ...meta, name: key.name } },
          key.namespace,
          fieldValidation,
        );
      }
      throw notFound(RESOURCE, key.name);
    }
    const patched = apply(servedPod(stored));
    if (!isPlainObject(patched))
      throw invalid('Pod', key.name, [
        {
          type: 'FieldValueInvalid',
          field: 'patch',
          value: JSON.stringify(patched),
          detail: 'the patched object is not an object',
        },
      ]);
    const { pod: decoded, warnings: decodeWarnings } = decodePodForUpdate(checkPodKind(patched), key.name, {
      fieldValidation,
      typeErrorAsInvalid: true,
    });
    const warnings = [...decodeWarnings, ...checkWriterPolicy(writer, decoded, stored, key.name)];
    const next = runtimeAdmission(x, c, prepareUpdate(decoded, stored, key.name), key.name);
    const patchedVersion = decoded.metadata?.resourceVersion;
    // A resourceVersion the patch itself sets is a precondition; otherwise the patch applies to the latest object.
    const precondition =
      patchedVersion !== undefined && patchedVersion !== '' && patchedVersion !== stored.resourceVersion
        ? patchedVersion
        : undefined;
    if (dryRun) {
      addWarnings(c, warnings);
      return respondPod(x, c, format, 200, writer.dryRun(stored, next, key));
    }
    try {
      const saved = await writer.update(x, key, next, precondition ?? stored.resourceVersion);
      addWarnings(c, warnings);
      return respondPod(x, c, format, 200, servedPod(saved));
    } catch (err) {
      if (
        err instanceof ApiError &&
        err.reason === 'Conflict' &&
        precondition === undefined &&
        attempt < PATCH_ATTEMPTS
      )
        continue;
      throw err;
    }
  }
}

// ---------- delete ----------

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  dryRun: boolean;
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

/** DeleteOptions from the body when there is one, else from the query (apiserver handlers/delete.go). */
export async function readDeleteOptions(c: Context): Promise<DeleteOptions> {
  const text = (await readBody(c)).trim();
  if (text === '') {
    const policy = c.req.query('propagationPolicy');
    const grace = intParam(c, 'gracePeriodSeconds');
    return {
      ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
      ...(policy !== undefined ? { propagationPolicy: policy } : {}),
      dryRun: dryRunParam(c),
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  if (!isPlainObject(raw)) throw badRequest('the request body is not a DeleteOptions object');
  if (raw.kind !== undefined && raw.kind !== 'DeleteOptions')
    throw badRequest(
      `decoded object cannot be converted to DeleteOptions (kind ${JSON.stringify(raw.kind)})`,
    );
  const grace = raw.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && !(typeof grace === 'number' && Number.isInteger(grace)))
    throw badRequest(
      `json: cannot unmarshal ${typeof grace} into Go struct field DeleteOptions.gracePeriodSeconds of type int64`,
    );
  const pre = raw.preconditions;
  if (pre !== undefined && pre !== null && !isPlainObject(pre))
    throw badRequest(
      'json: cannot unmarshal into Go struct field DeleteOptions.preconditions of type v1.Preconditions',
    );
  const dryRun = raw.dryRun;
  if (dryRun !== undefined && dryRun !== null && (!Array.isArray(dryRun) || dryRun.some((d) => d !== 'All')))
    throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(dryRun)}: supported values: "All"`);
  return {
    ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
    ...(isPlainObject(pre)
      ? {
          preconditions: {
            ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
            ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
          },
        }
      : {}),
    ...(typeof raw.propagationPolicy === 'string' ? { propagationPolicy: raw.propagationPolicy } : {}),
    dryRun: Array.isArray(dryRun) && dryRun.length > 0,
  };
}

/** 422 for a propagationPolicy the API server does not know. */
export function checkPropagationPolicy(options: DeleteOptions): void {
  if (options.propagationPolicy !== undefined && !PROPAGATION_POLICIES.includes(options.propagationPolicy)) {
    throw invalid(
      'DeleteOptions',
      '',
      [notSupported('propagationPolicy', options.propagationPolicy, PROPAGATION_POLICIES)],
      'meta.k8s.io',
    );
  }
}

export async function deletePod(x: ApiContext, c: Context, key: PodKey): Promise<Response> {
  checkNamespace(key.namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const options = await readDeleteOptions(c);
  checkPropagationPolicy(options);
  const stored = await getStored(x, key);
  const pod = servedPod(stored);
  const pre = options.preconditions;
  if (pre?.uid !== undefined && pre.uid !== pod.metadata?.uid)
    throw conflict(
      RESOURCE,
      key.name,
      `the UID in the precondition (${pre.uid}) does not match the UID in record (${pod.metadata?.uid ?? ''}). The object might have been deleted and then recreated`,
    );
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== stored.resourceVersion)
    throw conflict(
      RESOURCE,
      key.name,
      `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${stored.resourceVersion}). The object might have been modified`,
    );
  const grace = options.gracePeriodSeconds;
  if (options.dryRun) return respondPod(x, c, format, 200, pod);
  if (stored.state.engine.mirror !== undefined) {
    // A mirror pod: the API server deletes the object, the kubelet sees its mirror go and creates it again while the
    // static pod keeps running (pkg/kubelet/kubelet.go syncPod: "Create Mirror Pod for Static Pod if it doesn't
    // already exist"). Both steps at once here: the answer is the deleted mirror, the next read finds the new one
    // (a new uid, so `kubectl delete --wait` sees its object gone).
    await x.deps.engine.replaceMirrorPod(key, stored.state.engine.mirror.uid, x.deps.newUid());
    return respondPod(x, c, format, 200, deletedAnswer(x, stored, pod, grace));
  }
  await x.deps.engine.deletePod(key, grace);
  // The worker marks the pod (deletionTimestamp = now + grace) and terminates it; the object disappears at the end.
  const settled = await settle(x, key, (p) => p.metadata?.deletionTimestamp !== undefined);
  const latest = settled.pod ?? pod;
  if (latest.metadata?.deletionTimestamp !== undefined) return respondPod(x, c, format, 200, latest);
  // Gone already (a quick termination, a force delete), or the worker has not committed yet: answer with the
  // deletion the request recorded, as the API server's DELETE response carries it.
  return respondPod(x, c, format, 200, deletedAnswer(x, stored, latest, grace));
}

/** `pod` marked with the deletion a request with `grace` records (deletionTimestamp, deletionGracePeriodSeconds). */
function deletedAnswer(x: ApiContext, stored: StoredPod, pod: Pod, grace: number | undefined): Pod {
  const seconds = deletionGraceSeconds(stored.state.pod.spec, grace);
  const at = new Date(Math.floor(x.deps.clock.now() / 1000) * 1000 + seconds * 1000);
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: at.toISOString().replace('.000Z', 'Z'),
      deletionGracePeriodSeconds: seconds,
    },
  };
}

// ---------- status subresource ----------

const CONDITION_STATUSES = ['True', 'False', 'Unknown'];

/** Conditions of `next` that a status write may set (not the kubelet's) and that differ from `current`'s. */
function conditionsToPatch(current: Pod, next: unknown, name: string): PodCondition[] {
  const status = isPlainObject(next) && isPlainObject(next.status) ? next.status : {};
  const list = status.conditions;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list))
    throw invalid('Pod', name, [
      { type: 'FieldValueInvalid', field: 'status.conditions', value: list, detail: 'must be a list' },
    ]);
  const errors = [];
  const out: PodCondition[] = [];
  const existing = current.status?.conditions ?? [];
  for (const [i, raw] of list.entries()) {
    const path = `status.conditions[${i}]`;
    if (!isPlainObject(raw) || typeof raw.type !== 'string' || raw.type === '') {
      errors.push(required(`${path}.type`));
      continue;
    }
    if (typeof raw.status !== 'string' || !CONDITION_STATUSES.includes(raw.status)) {
      errors.push(notSupported(`${path}.status`, raw.status ?? '', CONDITION_STATUSES));
      continue;
    }
    if (KUBELET_CONDITIONS.has(raw.type)) continue; // the kubelet's to set (and it would set them back)
    const condition = raw as unknown as PodCondition;
    const before = existing.find((e) => e.type === condition.type);
    if (
      before &&
      before.status === condition.status &&
      before.reason === condition.reason &&
      before.message === condition.message
    )
      continue;
    out.push({
      type: condition.type,
      status: condition.status,
      ...(condition.reason !== undefined ? { reason: condition.reason } : {}),
      ...(condition.message !== undefined ? { message: condition.message } : {}),
    });
  }
  if (errors.length > 0) throw invalid('Pod', name, errors);
  return out;
}

async function writeConditions(
  x: ApiContext,
  c: Context,
  key: PodKey,
  conditions: PodCondition[],
  format: ResponseFormat,
): Promise<Response> {
  if (conditions.length === 0 || dryRunParam(c))
    return respondPod(x, c, format, 200, servedPod(await getStored(x, key)));
  await x.deps.engine.patchConditions(key, conditions);
  const settled = await settle(x, key, (p) =>
    conditions.every((want) =>
      p.status?.conditions?.some((h) => h.type === want.type && h.status === want.status),
    ),
  );
  if (!settled.pod) throw notFound(RESOURCE, key.name);
  return respondPod(x, c, format, 200, settled.pod);
}

/**
 * PATCH pods/{name}/status: readiness gates and other conditions controllers own. Changed non-kubelet conditions go
 * to the worker (engine.patchConditions), which recomputes Ready; every other status field belongs to the kubelet
 * (podflow's core) and is ignored, as the kubelet would overwrite it.
 */
export async function patchPodStatus(x: ApiContext, c: Context, key: PodKey): Promise<Response> {
  checkNamespace(key.namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const kind = patchKindOf(c);
  const text = await readBody(c);
  if (text.trim() === '') throw badRequest('the request body is empty: a patch is required');
  const apply = preparePatch(kind, text);
  const current = servedPod(await getStored(x, key));
  const patched = apply(current);
  if (!isPlainObject(patched))
    throw invalid('Pod', key.name, [
      {
        type: 'FieldValueInvalid',
        field: 'patch',
        value: JSON.stringify(patched),
        detail: 'the patched object is not an object',
      },
    ]);
  // The patched object must still be a Pod (types as the API server decodes them); only its conditions are used.
  decodePodForUpdate(checkPodKind(patched), key.name, {
    fieldValidation: 'Ignore',
    typeErrorAsInvalid: true,
  });
  return writeConditions(x, c, key, conditionsToPatch(current, patched, key.name), format);
}

export async function replacePodStatus(x: ApiContext, c: Context, key: PodKey): Promise<Response> {
  checkNamespace(key.namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const raw = await readPodBody(c);
  const meta = isPlainObject(raw.metadata) ? raw.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== '' && meta.name !== key.name)
    throw badRequest(
      `the name of the object (${meta.name}) does not match the name on the URL (${key.name})`,
    );
  const stored = await getStored(x, key);
  if (
    typeof meta.resourceVersion === 'string' &&
    meta.resourceVersion !== '' &&
    meta.resourceVersion !== stored.resourceVersion
  )
    throw conflict(
      RESOURCE,
      key.name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  const current = servedPod(stored);
  return writeConditions(x, c, key, conditionsToPatch(current, raw, key.name), format);
}

/** A name the URL selects that is not a valid pod name can still be asked for: it is simply not found. */
export function podKey(c: Context): PodKey {
  return { namespace: c.req.param('ns') ?? 'default', name: c.req.param('name') ?? '' };
}

/** A pod by key, or 404 (the logs and exec handlers). */
export const requirePod = getStored;
