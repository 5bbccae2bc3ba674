// `podflow apply -f FILE|DIR|- [-n NS] [--validate warn|strict|ignore]`: kubectl's client-side apply against the API
// (k8s.io/kubectl pkg/cmd/apply/apply.go and patcher.go). For each object of the manifests:
// - absent → POST it carrying the `kubectl.kubernetes.io/last-applied-configuration` annotation: `pod/x created`;
// - present → a three-way strategic merge patch (strategicpatch.CreateThreeWayMergePatch) from the last-applied
//   configuration (original), the manifest (modified) and the live object (current): what the manifest sets that the
//   object lacks or has otherwise, and `null` / `$patch: delete` for what the previous apply set and this one no
//   longer does; an empty patch is `pod/x unchanged`, else it is sent: `pod/x configured`.
// The annotation is written exactly as kubectl writes it (the object's JSON with keys sorted, `&<>` escaped, a
// trailing newline), so `kubectl apply` and `podflow apply` take turns on the same pods without spurious changes.
// The API's warnings print as `Warning: …`, its refusals as kubectl prints them (`The Pod "x" is invalid: …`).
// Exit: 0, or 1 when any object failed (the others are still applied).
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { parseAllDocuments } from 'yaml';
import {
  addClientFlags,
  ApiClient,
  ApiStatusError,
  CommandError,
  FIELD_MANAGER,
  formatCliError,
  isNotFoundError,
  podsPath,
  printWarnings,
  resolveApiTarget,
  runClientCommand,
  type ApiTarget,
  type ClientFlags,
} from '../api-client.ts';
import { POD_MERGE_KEYS } from '../../core/manifest/merge-keys.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_INVALID, EXIT_OK } from '../cli-io.ts';
import { readManifestSources, type ManifestSource } from '../manifest-sources.ts';

/** corev1.LastAppliedConfigAnnotation. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const SET_ELEMENT_ORDER = '$setElementOrder/';
const childPath = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function equalJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => equalJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equalJson(a[k], b[k]));
  }
  return false;
}

/** A list that merges element by element: it has a merge key and every element is an object carrying it. */
function keyedList(path: string, ...lists: Json[][]): string | undefined {
  const key = POD_MERGE_KEYS[path];
  if (!key) return undefined;
  return lists.every((l) => l.every((e) => isObject(e) && e[key] !== undefined)) ? key : undefined;
}

const keyOf = (e: Json, key: string): string => JSON.stringify((e as JsonObject)[key]);
const elementOrder = (list: Json[], key: string): Json[] =>
  list.map((e) => ({ [key]: (e as JsonObject)[key]! }));
const sameOrder = (a: Json[], b: Json[], key: string): boolean =>
  a.length === b.length && a.every((e, i) => keyOf(e, key) === keyOf(b[i]!, key));

/** diffMaps with IgnoreDeletions: what `modified` sets that `current` lacks or has otherwise. */
function additions(current: JsonObject, modified: JsonObject, path: string): JsonObject {
  const patch: JsonObject = {};
  for (const [k, mv] of Object.entries(modified)) {
    const p = childPath(path, k);
    if (!(k in current)) {
      patch[k] = mv;
      continue;
    }
    const cv = current[k]!;
    if (isObject(mv) && isObject(cv)) {
      const sub = additions(cv, mv, p);
      if (Object.keys(sub).length > 0) patch[k] = sub;
      continue;
    }
    if (Array.isArray(mv) && Array.isArray(cv)) {
      const key = keyedList(p, mv, cv);
      if (key) {
        const list: Json[] = [];
        for (const m of mv) {
          const c = cv.find((e) => keyOf(e, key) === keyOf(m, key));
          if (!c) list.push(m);
          else {
            const sub = additions(c as JsonObject, m as JsonObject, p);
            if (Object.keys(sub).length > 0) list.push({ [key]: (m as JsonObject)[key]!, ...sub });
          }
        }
        if (list.length > 0) patch[k] = list;
        if (list.length > 0 || !sameOrder(cv, mv, key))
          patch[`${SET_ELEMENT_ORDER}${k}`] = elementOrder(mv, key);
        continue;
      }
    }
    if (!equalJson(cv, mv)) patch[k] = mv;
  }
  return patch;
}

/** diffMaps with IgnoreChangesAndAdditions: what `original` set that `modified` no longer does. */
function deletions(original: JsonObject, modified: JsonObject, path: string): JsonObject {
  const patch: JsonObject = {};
  for (const [k, ov] of Object.entries(original)) {
    const p = childPath(path, k);
    if (!(k in modified)) {
      patch[k] = null;
      continue;
    }
    const mv = modified[k]!;
    if (isObject(ov) && isObject(mv)) {
      const sub = deletions(ov, mv, p);
      if (Object.keys(sub).length > 0) patch[k] = sub;
      continue;
    }
    if (Array.isArray(ov) && Array.isArray(mv)) {
      const key = keyedList(p, ov, mv);
      if (!key) continue; // an atomic list is replaced by the additions when it differs
      const changed: Json[] = [];
      const removed: Json[] = [];
      for (const o of ov) {
        const m = mv.find((e) => keyOf(e, key) === keyOf(o, key));
        if (!m) removed.push({ [key]: (o as JsonObject)[key]!, $patch: 'delete' });
        else {
          const sub = deletions(o as JsonObject, m as JsonObject, p);
          if (Object.keys(sub).length > 0) changed.push({ [key]: (o as JsonObject)[key]!, ...sub });
        }
      }
      const list = [...changed, ...removed];
      if (list.length > 0) {
        patch[k] = list;
        patch[`${SET_ELEMENT_ORDER}${k}`] = elementOrder(mv, key);
      }
    }
  }
  return patch;
}

/** mergeMap of the deletions and the additions: keyed list elements of both are merged into one. */
function mergePatches(a: JsonObject, b: JsonObject, path: string): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, bv] of Object.entries(b)) {
    const av = out[k];
    const p = childPath(path, k);
    if (isObject(av) && isObject(bv)) out[k] = mergePatches(av, bv, p);
    else if (Array.isArray(av) && Array.isArray(bv) && !k.startsWith('$') && keyedList(p, av, bv)) {
      const key = keyedList(p, av, bv)!;
      const merged = [...av];
      for (const e of bv) {
        const at = merged.findIndex((x) => keyOf(x, key) === keyOf(e, key));
        if (at >= 0) merged[at] = mergePatches(merged[at] as JsonObject, e as JsonObject, p);
        else merged.push(e);
      }
      out[k] = merged;
    } else out[k] = bv;
  }
  return out;
}

/**
 * strategicpatch.CreateThreeWayMergePatch(original, modified, current) for a Pod, with kubectl apply's options
 * (overwrite: conflicting live changes are replaced). `{}` means nothing to do.
 */
export function threeWayMergePatch(original: unknown, modified: unknown, current: unknown): JsonObject {
  const o = isObject(original) ? original : {};
  const m = isObject(modified) ? modified : {};
  const c = isObject(current) ? current : {};
  return mergePatches(deletions(o, m, ''), additions(c, m, ''), '');
}

/**
 * The object as Go's encoding/json writes it and kubectl stores it in the annotation: map keys sorted, `<`, `>` and
 * `&` (and U+2028/U+2029) escaped, a trailing newline (runtime.Encode with the unstructured JSON scheme).
 */
export function goJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (!isObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = sort(v[k]);
    return out;
  };
  const text = JSON.stringify(sort(value)).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${text}\n`;
}

/**
 * GetModifiedConfiguration: the object with its annotations (an empty map when it had none) minus the last-applied
 * one; with `annotate`, the same object carrying that serialization as its last-applied annotation.
 */
export function modifiedConfiguration(
  object: JsonObject,
  annotate: boolean,
): { object: JsonObject; lastApplied: string } {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const annotations: JsonObject = isObject(metadata.annotations) ? { ...metadata.annotations } : {};
  delete annotations[LAST_APPLIED_ANNOTATION];
  const plain: JsonObject = { ...object, metadata: { ...metadata, annotations } };
  const lastApplied = goJson(plain);
  if (!annotate) return { object: plain, lastApplied };
  return {
    object: {
      ...plain,
      metadata: { ...metadata, annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: lastApplied } },
    },
    lastApplied,
  };
}

// ---------- reading manifests ----------

/** One object of the manifests and where it came from. */
export interface ManifestObject {
  source: string;
  object: JsonObject;
}

/**
 * The objects of the manifests (multi-document YAML or JSON; `kind: List` expanded), as kubectl's resource builder
 * reads them. Errors (unparsable text, objects without apiVersion or kind) are collected as kubectl words them.
 */
export function readManifestObjects(sources: readonly ManifestSource[]): {
  objects: ManifestObject[];
  errors: string[];
} {
  const objects: ManifestObject[] = [];
  const errors: string[] = [];
  for (const { name, text } of sources) {
    const docs = parseAllDocuments(text);
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      if (doc.errors.length > 0) {
        errors.push(`error parsing ${name}: ${doc.errors[0]!.message.split('\n')[0]}`);
        continue;
      }
      const value = doc.toJSON() as unknown;
      if (value === null || value === undefined) continue;
      if (!isObject(value)) {
        errors.push(`error parsing ${name}: a document is not an object`);
        continue;
      }
      const items = value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
      for (const item of items) {
        if (!isObject(item)) {
          errors.push(`error parsing ${name}: a list item is not an object`);
          continue;
        }
        const missing = [
          ...(item.apiVersion ? [] : ['apiVersion not set']),
          ...(item.kind ? [] : ['kind not set']),
        ];
        if (missing.length > 0) {
          errors.push(`error validating "${name}": error validating data: [${missing.join(', ')}]`);
          continue;
        }
        objects.push({ source: name, object: item });
      }
    }
  }
  return { objects, errors };
}

// ---------- applying ----------

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

export interface ApplyResult {
  outcome: ApplyOutcome;
  pod: Pod;
}

/** The namespace an object goes to: its own, else the target's; `-n` and a different own one do not mix. */
function namespaceOf(object: JsonObject, target: ApiTarget): string {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const own =
    typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  if (own && target.namespaceFromFlag && own !== target.namespace)
    throw new CommandError(
      `the namespace from the provided object "${own}" does not match the namespace "${target.namespace}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  return own ?? target.namespace;
}

/** Adds the file to an API error's message, as kubectl's AddSourceToErr does (`error when creating "x.yaml": …`). */
function withSource(err: unknown, verb: string, source: string): unknown {
  if (!(err instanceof ApiStatusError) || err.reason === 'Invalid') return err;
  return new ApiStatusError({
    ...err.status,
    message: `error when ${verb} ${JSON.stringify(source)}: ${err.message}`,
  });
}

/** Applies one object (a Pod); prints warnings; returns what happened. Throws API and command errors. */
export async function applyObject(
  client: ApiClient,
  item: ManifestObject,
  io: Pick<CliIo, 'stderr'>,
  fieldValidation: FieldValidation = 'Warn',
): Promise<ApplyResult> {
  const { object, source } = item;
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (object.kind !== 'Pod' || object.apiVersion !== 'v1') {
    throw new CommandError(
      `resource mapping not found for name: ${JSON.stringify(name)} namespace: ${JSON.stringify(typeof metadata.namespace === 'string' ? metadata.namespace : '')} from ${JSON.stringify(source)}: no matches for kind ${JSON.stringify(object.kind)} in version ${JSON.stringify(object.apiVersion)} (podflow serves Pods only)`,
    );
  }
  if (name === '')
    throw new CommandError(
      metadata.generateName
        ? `from ${source}: cannot use generate name with apply`
        : `error when retrieving current configuration of a Pod from ${JSON.stringify(source)}: resource name may not be empty`,
    );
  const namespace = namespaceOf(object, client.target);
  const withNamespace: JsonObject = { ...object, metadata: { ...metadata, namespace } };
  const path = podsPath(namespace, name);
  const query = { fieldManager: FIELD_MANAGER, fieldValidation };
  let current: Pod | undefined;
  try {
    current = await client.get<Pod>(path);
  } catch (err) {
    if (!isNotFoundError(err)) throw withSource(err, 'retrieving current configuration of', source);
  }
  if (!current) {
    const { object: annotated } = modifiedConfiguration(withNamespace, true);
    // CreateApplyAnnotation stores the configuration without the annotation (GetModifiedConfiguration annotate=false).
    try {
      const { body, warnings } = await client.request<Pod>('POST', podsPath(namespace), {
        body: annotated,
        query,
      });
      printWarnings(io, warnings);
      return { outcome: 'created', pod: body };
    } catch (err) {
      throw withSource(err, 'creating', source);
    }
  }
  const original = current.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (original === undefined)
    io.stderr(
      `Warning: resource pods/${name} is missing the ${LAST_APPLIED_ANNOTATION} annotation which is required by podflow apply (and kubectl apply). apply should only be used on resources created declaratively by apply. The missing annotation will be patched automatically.\n`,
    );
  let originalObject: unknown = {};
  if (original) {
    try {
      originalObject = JSON.parse(original) as unknown;
    } catch {
      originalObject = {};
    }
  }
  const { object: modified } = modifiedConfiguration(withNamespace, true);
  const patch = threeWayMergePatch(originalObject, modified, current);
  if (Object.keys(patch).length === 0) return { outcome: 'unchanged', pod: current };
  try {
    const { body, warnings } = await client.request<Pod>('PATCH', path, {
      body: patch,
      contentType: 'application/strategic-merge-patch+json',
      query,
    });
    printWarnings(io, warnings);
    return { outcome: 'configured', pod: body };
  } catch (err) {
    throw withSource(err, 'patching', source);
  }
}

/**
 * Applies every object, printing `pod/x created|configured|unchanged` as each is done and each failure as kubectl
 * prints it; returns the results of those that succeeded and whether any failed.
 */
export async function applyManifestObjects(
  client: ApiClient,
  objects: readonly ManifestObject[],
  io: Pick<CliIo, 'stdout' | 'stderr'>,
  fieldValidation: FieldValidation = 'Warn',
): Promise<{ results: ApplyResult[]; failed: boolean }> {
  const results: ApplyResult[] = [];
  let failed = false;
  for (const item of objects) {
    try {
      const result = await applyObject(client, item, io, fieldValidation);
      io.stdout(`pod/${result.pod.metadata?.name ?? ''} ${result.outcome}\n`);
      results.push(result);
    } catch (err) {
      if (!(err instanceof ApiStatusError || err instanceof CommandError)) throw err;
      io.stderr(formatCliError(err));
      failed = true;
    }
  }
  return { results, failed };
}

export interface ApplyOptions extends ClientFlags {
  filename: string[];
  validate: 'strict' | 'warn' | 'ignore';
}

/** Runs the command; returns the exit code. */
export async function runApply(opts: ApplyOptions, io: CliIo): Promise<number> {
  const sources = await readManifestSources(opts.filename, io);
  const { objects, errors } = readManifestObjects(sources);
  const client = new ApiClient(resolveApiTarget(opts));
  for (const e of errors) io.stderr(`error: ${e}\n`);
  if (objects.length === 0 && errors.length === 0) throw new CommandError('no objects passed to apply');
  const validation: FieldValidation =
    opts.validate === 'strict' ? 'Strict' : opts.validate === 'ignore' ? 'Ignore' : 'Warn';
  const { failed } = await applyManifestObjects(client, objects, io, validation);
  return failed || errors.length > 0 ? EXIT_INVALID : EXIT_OK;
}

export function registerApplyCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('apply')
    .description('create or update pods from manifests through the API, as kubectl apply does')
    .requiredOption(
      '-f, --filename <path...>',
      'manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin',
    )
    .addOption(
      new Option(
        '--validate <mode>',
        "unknown fields: warn (the API's warnings are printed), strict (refused), ignore",
      )
        .choices(['warn', 'strict', 'ignore'])
        .default('warn'),
    );
  addClientFlags(command).addHelpText(
    'after',
    `
A pod that does not exist is created (pod/NAME created). One that does is patched
with what changed since the last apply (pod/NAME configured), or left alone
(pod/NAME unchanged). Pod specs are mostly immutable, as on a cluster: the API
refuses other changes (The Pod "NAME" is invalid: …); labels, annotations,
images and activeDeadlineSeconds can change.

Examples:
  podflow apply -f examples/quickstart/
  cat pod.yaml | podflow apply -f -`,
  );
  command.action(async (opts: ApplyOptions) => {
    await runClientCommand(io, setExitCode, () => runApply(opts, io));
  });
}
