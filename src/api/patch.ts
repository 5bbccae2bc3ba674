// The three patch formats of PATCH requests, applied to the JSON of the current object
// (apiserver pkg/endpoints/handlers/patch.go):
// - `application/merge-patch+json`: RFC 7386 — objects merge, `null` deletes, everything else replaces;
// - `application/strategic-merge-patch+json`: apimachinery pkg/util/strategicpatch for the Pod fields podflow uses —
//   lists with a patch merge key merge element by element (containers, initContainers, env and volumes by `name`,
//   ports by `containerPort`, volumeMounts by `mountPath`, conditions by `type`, …), other lists (tolerations,
//   args, command, readinessGates, …) replace; directives `$patch: replace|delete|merge`,
//   `$setElementOrder/<list>` (what kubectl apply's three-way patches carry), `$deleteFromPrimitiveList/<list>` and
//   `$retainKeys`;
// - `application/json-patch+json`: RFC 6902 — add, remove, replace, move, copy, test.
// A patch that is not well-formed is a 400 BadRequest; a well-formed patch that cannot be applied (a JSON patch op on a
// missing path, a failed test, a list element without its merge key) is a 422, as upstream answers.
import { POD_MERGE_KEYS, PRIMITIVE_MERGE_LISTS } from '../core/manifest/merge-keys.ts';
import { checkBodyDepth } from './request.ts';
import { ApiError } from './status.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** A patch that is not well-formed (400). */
const malformed = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

/** A well-formed patch that cannot be applied to this object (422). */
const notApplicable = (message: string): ApiError =>
  new ApiError(422, 'Invalid', message, { causes: [{ message, field: 'patch' }] });

/** Parses a patch body as JSON: a syntax error is the API server's 400. */
export function parsePatchJson(text: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch (err) {
    throw malformed(`error decoding patch: ${(err as Error).message}`);
  }
  checkBodyDepth(doc);
  return doc;
}

// ---------- RFC 7386 JSON merge patch ----------

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v) as Json;
  }
  return out;
}

// ---------- strategic merge patch ----------

const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

const childPath = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** Removes directives from a value that is added as a whole (there is nothing to merge it into). */
function stripDirectives(value: Json): Json {
  if (Array.isArray(value))
    return value.filter((v) => !(isObject(v) && v.$patch === 'delete')).map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (
      k === '$patch' ||
      k === '$retainKeys' ||
      k.startsWith(SET_ELEMENT_ORDER) ||
      k.startsWith(DELETE_FROM_PRIMITIVE_LIST)
    )
      continue;
    if (v === null) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

function mergeKeyedList(original: Json[], patch: Json[], key: string, path: string): Json[] {
  const replace = patch.find((p) => isObject(p) && p.$patch === 'replace' && Object.keys(p).length === 1);
  if (replace) return patch.filter((p) => p !== replace).map(stripDirectives);
  const out = [...original];
  for (const p of patch) {
    if (!isObject(p))
      throw notApplicable(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
    const id = p[key];
    if (id === undefined)
      throw notApplicable(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
    const at = out.findIndex((e) => isObject(e) && e[key] === id);
    if (p.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = mergeStrategic(out[at], p, path) as Json;
    else out.push(stripDirectives(p));
  }
  return out;
}

/** `$setElementOrder/<list>`: the patch's element order; elements it does not name keep their place after them. */
function orderList(list: Json[], order: Json, key: string | undefined): Json[] {
  if (!Array.isArray(order)) return list;
  const id = (e: Json): Json => (key && isObject(e) ? (e[key] ?? null) : e);
  const wanted = order.map((o) => (key && isObject(o) ? (o[key] ?? null) : o));
  const rank = new Map(wanted.map((w, i) => [JSON.stringify(w), i]));
  const ranked = list.filter((e) => rank.has(JSON.stringify(id(e))));
  const rest = list.filter((e) => !rank.has(JSON.stringify(id(e))));
  ranked.sort((a, b) => rank.get(JSON.stringify(id(a)))! - rank.get(JSON.stringify(id(b)))!);
  return [...ranked, ...rest];
}

export function mergeStrategic(original: unknown, patch: unknown, path = ''): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch !== undefined && patch.$patch !== 'merge')
    throw notApplicable(`Unknown patch type: ${String(patch.$patch)} in map: ${JSON.stringify(patch)}`);
  const out: JsonObject = isObject(original) ? { ...original } : {};
  const orders: Array<[string, Json]> = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith(SET_ELEMENT_ORDER)) {
      orders.push([k.slice(SET_ELEMENT_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = k.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(v)) out[field] = current.filter((e) => !v.includes(e));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const p = childPath(path, k);
    if (Array.isArray(v)) {
      const key = POD_MERGE_KEYS[p];
      const current = out[k];
      if (key) out[k] = mergeKeyedList(Array.isArray(current) ? current : [], v, key, p);
      else if (PRIMITIVE_MERGE_LISTS.has(p))
        out[k] = [...new Set([...(Array.isArray(current) ? current : []), ...v])] as Json[];
      else out[k] = stripDirectives(v);
      continue;
    }
    if (isObject(v)) {
      const merged = mergeStrategic(out[k], v, p);
      if (merged === undefined) delete out[k];
      else out[k] = merged as Json;
      continue;
    }
    out[k] = v;
  }
  for (const [field, order] of orders) {
    const current = out[field];
    if (Array.isArray(current))
      out[field] = orderList(current, order, POD_MERGE_KEYS[childPath(path, field)]);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.map(String));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

// ---------- RFC 6902 JSON patch ----------

interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** jsonpatch.DecodePatch: a list of operations with the members each op needs. */
export function decodeJsonPatch(doc: unknown): JsonPatchOperation[] {
  if (!Array.isArray(doc))
    throw malformed('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return doc.map((raw, i) => {
    if (!isObject(raw)) throw malformed(`json patch operation ${i} is not an object`);
    const op = raw.op;
    if (typeof op !== 'string' || !OPS.has(op)) throw malformed(`Unexpected kind: ${String(op)}`);
    if (typeof raw.path !== 'string') throw malformed(`operation ${i} (${op}) is missing path`);
    if ((op === 'move' || op === 'copy') && typeof raw.from !== 'string')
      throw malformed(`operation ${i} (${op}) is missing from`);
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in raw))
      throw malformed(`operation ${i} (${op}) is missing value`);
    return raw as unknown as JsonPatchOperation;
  });
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw notApplicable(`JSON pointer ${JSON.stringify(pointer)} must start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container (object or array) that holds the last token of `pointer`, and that token. */
function locate(doc: Json, pointer: string, op: string): { parent: JsonObject | Json[]; token: string } {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0)
    throw notApplicable(`${op} operation does not apply: the whole document cannot be a target`);
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const nextNode: Json | undefined = Array.isArray(node)
      ? /^\d+$/.test(t)
        ? node[Number(t)]
        : undefined
      : isObject(node)
        ? node[t]
        : undefined;
    if (nextNode === undefined || nextNode === null || typeof nextNode !== 'object')
      throw notApplicable(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
    node = nextNode;
  }
  if (!node || typeof node !== 'object')
    throw notApplicable(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
  return { parent: node, token: tokens[tokens.length - 1]! };
}

function arrayIndex(arr: Json[], token: string, pointer: string, op: string, forInsert: boolean): number {
  if (forInsert && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token))
    throw notApplicable(`${op} operation does not apply: doc is missing path: "${pointer}": invalid index`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i >= arr.length))
    throw notApplicable(
      `${op} operation does not apply: doc is missing path: "${pointer}": index out of bounds`,
    );
  return i;
}

function getAt(doc: Json, pointer: string, op: string): Json {
  if (pointer === '') return doc;
  const { parent, token } = locate(doc, pointer, op);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, token, pointer, op, false)] : parent[token];
  if (value === undefined)
    throw notApplicable(`${op} operation does not apply: doc is missing key: ${pointer}: missing value`);
  return value;
}

function removeAt(doc: Json, pointer: string, op: string): Json {
  const { parent, token } = locate(doc, pointer, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, token, pointer, op, false), 1)[0]!;
  if (!(token in parent))
    throw notApplicable(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
  const value = parent[token]!;
  delete parent[token];
  return value;
}

function addAt(doc: Json, pointer: string, value: Json, op: string, replace: boolean): void {
  const { parent, token } = locate(doc, pointer, op);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, token, pointer, op, !replace);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
    return;
  }
  if (replace && !(token in parent))
    throw notApplicable(`${op} operation does not apply: doc is missing key: ${pointer}: missing value`);
  parent[token] = value;
}

/** Deep equality of JSON values (the `test` op). */
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

export function applyJsonPatch(target: unknown, ops: readonly JsonPatchOperation[]): unknown {
  let doc = clone(target) as Json;
  for (const o of ops) {
    const value = o.value === undefined ? undefined : clone(o.value);
    switch (o.op) {
      case 'add':
        if (o.path === '') doc = value!;
        else addAt(doc, o.path, value!, 'add', false);
        break;
      case 'remove':
        removeAt(doc, o.path, 'remove');
        break;
      case 'replace':
        if (o.path === '') doc = value!;
        else addAt(doc, o.path, value!, 'replace', true);
        break;
      case 'move': {
        if (o.path.startsWith(`${o.from!}/`))
          throw notApplicable(`move operation does not apply: "${o.path}" is a child of "${o.from!}"`);
        const moved = removeAt(doc, o.from!, 'move');
        addAt(doc, o.path, moved, 'move', false);
        break;
      }
      case 'copy':
        addAt(doc, o.path, clone(getAt(doc, o.from!, 'copy')), 'copy', false);
        break;
      case 'test': {
        let actual: Json | undefined;
        try {
          actual = getAt(doc, o.path, 'test');
        } catch {
          actual = undefined;
        }
        if (!equalJson(actual, value)) throw notApplicable(`testing value ${o.path} failed: test failed`);
        break;
      }
    }
  }
  return doc;
}
