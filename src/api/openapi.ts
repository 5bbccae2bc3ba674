// The OpenAPI documents of the API, as the API server publishes them (kube-openapi; k8s.io/kube-openapi/pkg/handler
// for v2, pkg/handler3 for v3), describing exactly what podflow serves: the kinds of discovery.ts and
// access-review.ts, each with the fields of the schema its decoder validates against (core/manifest/
// schema.generated.ts) and their upstream descriptions (schema-descriptions.generated.ts). kubectl reads them for:
// - `kubectl explain` (OpenAPI v3: it finds the kind by the `x-kubernetes-group-version-kind` of the resource's
//   operations and schema, kubectl/pkg/explain/v2);
// - `kubectl apply`/`create`: whether the kind's PATCH takes the `fieldValidation` query parameter (cli-runtime
//   resource/query_param_verifier_v3.go) — then `--validate=strict` is the server's strict decoding;
// - `kubectl apply`'s three-way strategic merge patch (kubectl/pkg/cmd/apply/patcher.go): when the kind's PATCH
//   accepts `application/strategic-merge-patch+json`, it reads the list merge metadata from the document
//   (`x-kubernetes-patch-merge-key` / `-patch-strategy`, strategicpatch.NewPatchMetaFromOpenAPIV3). These come from
//   the table the API's own strategic merge applies (core/manifest/merge-keys.ts), so client and server agree.
// v2 is served as JSON. client-go asks for it only in protobuf (discovery.OpenAPISchema, gnostic's openapi_v2
// message), and only as a fallback to v3; that request is answered 406 NotAcceptable, after which kubectl carries on
// without it (as against a server that publishes no v2).
import { createHash } from 'node:crypto';
import {
  LIST_MAP_KEYS,
  POD_MERGE_KEYS,
  PRIMITIVE_MERGE_LISTS,
  RETAIN_KEYS_LISTS,
} from '../core/manifest/merge-keys.ts';
import { SCHEMA_DESCRIPTIONS, SCHEMA_REQUIRED } from '../core/manifest/schema-descriptions.generated.ts';
import { MANIFEST_SCHEMA, ROOT_TYPES } from '../core/manifest/schema.generated.ts';
import { AUTHORIZATION_RESOURCES } from './access-review.ts';
import { BATCH_V1_RESOURCES, KUBERNETES_VERSION, V1_RESOURCES, type ApiResource } from './discovery.ts';

type Json = Record<string, unknown>;

/** A served group-version: its OpenAPI v3 path (`api/v1`, `apis/<group>/<version>`) and its resources. */
interface GroupVersion {
  path: string;
  group: string;
  version: string;
  resources: readonly ApiResource[];
}

export const GROUP_VERSIONS: readonly GroupVersion[] = [
  { path: 'api/v1', group: '', version: 'v1', resources: V1_RESOURCES },
  {
    path: 'apis/authorization.k8s.io/v1',
    group: 'authorization.k8s.io',
    version: 'v1',
    resources: AUTHORIZATION_RESOURCES,
  },
];

/** batch/v1, where Jobs are served (`podflow serve`; not the cloud API). */
const BATCH_V1: GroupVersion = {
  path: 'apis/batch/v1',
  group: 'batch',
  version: 'v1',
  resources: BATCH_V1_RESOURCES,
};

/** The group-versions an API serves: batch/v1 only with Jobs. */
export const servedGroupVersions = (withBatch: boolean): readonly GroupVersion[] =>
  withBatch ? [...GROUP_VERSIONS, BATCH_V1] : GROUP_VERSIONS;

/** The model type (schema.generated.ts) of a served kind. */
export function modelTypeOf(group: string, version: string, kind: string): string | undefined {
  return ROOT_TYPES[`${group === '' ? '' : `${group}/`}${version}/${kind}`];
}

/** The top-level resources of a group-version that have a kind in the schema (subresources are not documented). */
function documentedResources(gv: GroupVersion): ApiResource[] {
  return gv.resources.filter((r) => !r.name.includes('/') && modelTypeOf(gv.group, gv.version, r.kind));
}

// Upstream definition names (the Go package path of each type): the model names drop the package.
const META_TYPES = new Set([
  'V1ObjectMeta',
  'V1OwnerReference',
  'V1ManagedFieldsEntry',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1FieldSelectorRequirement',
]);
const BATCH_PREFIXES = [
  'V1Job',
  'V1CronJob',
  'V1PodFailurePolicy',
  'V1SuccessPolicy',
  'V1UncountedTerminatedPods',
];
const AUTHORIZATION_TYPES = new Set([
  'V1SelfSubjectAccessReview',
  'V1SelfSubjectAccessReviewSpec',
  'V1SelfSubjectRulesReview',
  'V1SelfSubjectRulesReviewSpec',
  'V1SubjectAccessReviewStatus',
  'V1SubjectRulesReviewStatus',
  'V1ResourceAttributes',
  'V1NonResourceAttributes',
  'V1ResourceRule',
  'V1NonResourceRule',
  'V1FieldSelectorAttributes',
  'V1LabelSelectorAttributes',
]);

/** `V1Probe` → `io.k8s.api.core.v1.Probe`, `V1ObjectMeta` → `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`. */
export function definitionName(modelType: string): string {
  const plain = modelType.replace(/^(Core)?V1/, '');
  if (META_TYPES.has(modelType)) return `io.k8s.apimachinery.pkg.apis.meta.v1.${plain}`;
  if (AUTHORIZATION_TYPES.has(modelType)) return `io.k8s.api.authorization.v1.${plain}`;
  if (BATCH_PREFIXES.some((p) => modelType.startsWith(p))) return `io.k8s.api.batch.v1.${plain}`;
  return `io.k8s.api.core.v1.${plain}`;
}

// The scalar types kube-openapi names (apimachinery's resource.Quantity, intstr.IntOrString, metav1.Time).
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const NAMED_SCALARS: Record<string, Json> = {
  [TIME]: {
    description:
      'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. Wrappers are provided for many of the factory methods that the time package offers.',
    type: 'string',
    format: 'date-time',
  },
  [PATCH]: {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  },
};

type Flavour = 'v2' | 'v3';

/**
 * Quantity and IntOrString: a string in v2; in v3 one of their two JSON types (kube-openapi's OpenAPIV3OneOfTypes),
 * so that `kubectl explain` names them by type (`port <IntOrString>`).
 */
function namedScalars(flavour: Flavour): Record<string, Json> {
  const quantity =
    'Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors. The serialization format is: <quantity> ::= <signedNumber><suffix> (e.g. 100m, 1Gi, 1.5).';
  const intOrString =
    'IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.';
  return {
    ...NAMED_SCALARS,
    [QUANTITY]:
      flavour === 'v2'
        ? { description: quantity, type: 'string' }
        : { description: quantity, oneOf: [{ type: 'string' }, { type: 'number' }] },
    [INT_OR_STRING]:
      flavour === 'v2'
        ? { description: intOrString, type: 'string', format: 'int-or-string' }
        : {
            description: intOrString,
            format: 'int-or-string',
            oneOf: [{ type: 'integer' }, { type: 'string' }],
          },
  };
}

const refTo = (flavour: Flavour, name: string): string =>
  flavour === 'v2' ? `#/definitions/${name}` : `#/components/schemas/${name}`;

/** The schema of one value of a compact type (`T`, a primitive; lists and maps are taken apart by the caller). */
function valueSchema(flavour: Flavour, type: string): Json {
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'int32':
    case 'int64':
      return { type: 'integer', format: type };
    case 'number':
      return { type: 'number', format: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'any':
      return { type: 'object' };
    case 'date-time':
      return { $ref: refTo(flavour, TIME) };
    case 'quantity':
      return { $ref: refTo(flavour, QUANTITY) };
    case 'int-or-string':
      return { $ref: refTo(flavour, INT_OR_STRING) };
    default:
      return { $ref: refTo(flavour, definitionName(type)) };
  }
}

/** OpenAPI v3 allows no siblings next to `$ref`, so kube-openapi wraps a reference in `allOf` there. */
const wrapped = (flavour: Flavour, schema: Json): Json =>
  schema.$ref !== undefined && flavour === 'v3' ? { allOf: [schema] } : schema;

function fieldSchema(flavour: Flavour, type: string, description: string | undefined, listMeta: Json): Json {
  const described = description === undefined ? {} : { description };
  if (type.endsWith('[]')) {
    const items = wrapped(flavour, valueSchema(flavour, type.slice(0, -2)));
    return { type: 'array', items, ...described, ...listMeta };
  }
  const map = /^\{(.+)\}$/.exec(type);
  if (map) {
    const additionalProperties = wrapped(flavour, valueSchema(flavour, map[1]!));
    return { type: 'object', additionalProperties, ...described };
  }
  return { ...wrapped(flavour, valueSchema(flavour, type)), ...described };
}

/**
 * The list extensions of each `Type.field`, from the API's strategic merge table (paths from the Pod) carried over
 * to the types those paths go through: `spec.containers.env` is `V1Container.env`.
 */
function listExtensions(): Map<string, Json> {
  const out = new Map<string, Json>();
  const ownerOf = (path: string): { owner: string | undefined; field: string } => {
    const parts = path.split('.');
    let type: string | undefined = 'V1Pod';
    for (const field of parts.slice(0, -1)) {
      const next: string | undefined = type === undefined ? undefined : MANIFEST_SCHEMA[type]?.[field];
      type = next?.replace(/\[\]$/, '');
    }
    return { owner: type, field: parts.at(-1)! };
  };
  for (const [path, mergeKey] of Object.entries(POD_MERGE_KEYS)) {
    const { owner, field } = ownerOf(path);
    if (!owner) continue;
    out.set(`${owner}.${field}`, {
      'x-kubernetes-list-map-keys': LIST_MAP_KEYS[path] ?? [mergeKey],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': mergeKey,
      'x-kubernetes-patch-strategy': RETAIN_KEYS_LISTS.has(path) ? 'merge,retainKeys' : 'merge',
    });
  }
  for (const path of PRIMITIVE_MERGE_LISTS) {
    const { owner, field } = ownerOf(path);
    if (!owner) continue;
    out.set(`${owner}.${field}`, {
      'x-kubernetes-list-type': 'set',
      'x-kubernetes-patch-strategy': 'merge',
    });
  }
  return out;
}

/** Every model type reachable from the given ones. */
function reachableTypes(roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const type = queue.shift()!;
    if (seen.has(type) || !MANIFEST_SCHEMA[type]) continue;
    seen.add(type);
    for (const t of Object.values(MANIFEST_SCHEMA[type]))
      queue.push(t.replace(/\[\]$/, '').replace(/^\{(.*)\}$/, '$1'));
  }
  return [...seen].sort();
}

function definitions(flavour: Flavour, gv: GroupVersion): Json {
  const kinds = new Map(
    documentedResources(gv).map((r) => [modelTypeOf(gv.group, gv.version, r.kind)!, r.kind] as const),
  );
  const lists = listExtensions();
  const out: Json = {};
  for (const type of reachableTypes([...kinds.keys()])) {
    const descriptions = SCHEMA_DESCRIPTIONS[type] ?? {};
    const properties: Json = {};
    for (const [field, fieldType] of Object.entries(MANIFEST_SCHEMA[type]!)) {
      properties[field] = fieldSchema(
        flavour,
        fieldType,
        descriptions[field],
        lists.get(`${type}.${field}`) ?? {},
      );
    }
    const kind = kinds.get(type);
    out[definitionName(type)] = {
      ...(descriptions[''] === undefined ? {} : { description: descriptions[''] }),
      type: 'object',
      ...(SCHEMA_REQUIRED[type] ? { required: SCHEMA_REQUIRED[type] } : {}),
      properties,
      ...(kind === undefined
        ? {}
        : { 'x-kubernetes-group-version-kind': [{ group: gv.group, kind, version: gv.version }] }),
    };
  }
  return { ...out, ...namedScalars(flavour) };
}

const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

interface Parameter {
  name: string;
  description: string;
}

const WRITE_PARAMETERS: Parameter[] = [
  { name: 'dryRun', description: 'When present, indicates that modifications should not be persisted.' },
  {
    name: 'fieldManager',
    description: 'fieldManager is a name associated with the actor or entity that is making these changes.',
  },
  {
    name: 'fieldValidation',
    description:
      'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn (default) or Strict.',
  },
];
const FORCE: Parameter = { name: 'force', description: 'Force is going to "force" Apply requests.' };

const queryParameter = (flavour: Flavour, p: Parameter): Json =>
  flavour === 'v2'
    ? { name: p.name, in: 'query', description: p.description, type: 'string', uniqueItems: true }
    : {
        name: p.name,
        in: 'query',
        description: p.description,
        schema: { type: 'string', uniqueItems: true },
      };

const response = (flavour: Flavour, ref: Json): Json =>
  flavour === 'v2'
    ? { description: 'OK', schema: ref }
    : { description: 'OK', content: { 'application/json': { schema: ref } } };

const article = (word: string): string => (/^[AEIOU]/.test(word) ? 'an' : 'a');

/** The operations of a resource podflow serves (operation ids as the API server's, e.g. `patchCoreV1NamespacedPod`). */
function resourcePaths(flavour: Flavour, gv: GroupVersion, r: ApiResource): Json {
  const groupWord = gv.group === '' ? 'Core' : gv.group.split('.')[0]!;
  const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);
  const idSuffix = `${capital(groupWord)}${capital(gv.version)}${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
  const root = gv.group === '' ? `/api/${gv.version}` : `/apis/${gv.group}/${gv.version}`;
  const collection = r.namespaced ? `${root}/namespaces/{namespace}/${r.name}` : `${root}/${r.name}`;
  const ref = { $ref: refTo(flavour, definitionName(modelTypeOf(gv.group, gv.version, r.kind)!)) };
  const gvk = { group: gv.group, version: gv.version, kind: r.kind };
  const op = (
    verb: string,
    action: string,
    description: string,
    code: string,
    contentTypes: string[],
    body: Json,
  ) => {
    const parameters = [...WRITE_PARAMETERS, ...(action === 'patch' ? [FORCE] : [])].map((p) =>
      queryParameter(flavour, p),
    );
    return {
      description,
      operationId: `${verb}${idSuffix}`,
      ...(flavour === 'v2'
        ? {
            consumes: contentTypes,
            parameters: [{ name: 'body', in: 'body', required: true, schema: body }, ...parameters],
          }
        : {
            parameters,
            requestBody: {
              content: Object.fromEntries(contentTypes.map((t) => [t, { schema: body }])),
              required: true,
            },
          }),
      responses: { [code]: response(flavour, ref) },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    };
  };
  const one: Json = {};
  if (r.verbs.includes('get'))
    one.get = {
      description: `read the specified ${r.kind}`,
      operationId: `read${idSuffix}`,
      responses: { '200': response(flavour, ref) },
      'x-kubernetes-action': 'get',
      'x-kubernetes-group-version-kind': gvk,
    };
  if (r.verbs.includes('update')) {
    one.put = op('replace', 'put', `replace the specified ${r.kind}`, '200', ['*/*'], ref);
    const patchBody = { $ref: refTo(flavour, PATCH) };
    one.patch = op(
      'patch',
      'patch',
      `partially update the specified ${r.kind}`,
      '200',
      PATCH_TYPES,
      patchBody,
    );
  }
  const paths: Json = {};
  if (r.verbs.includes('create'))
    paths[collection] = {
      post: op('create', 'post', `create ${article(r.kind)} ${r.kind}`, '201', ['*/*'], ref),
    };
  if (Object.keys(one).length > 0) paths[`${collection}/{name}`] = one;
  return paths;
}

function document(flavour: Flavour, gvs: readonly GroupVersion[]): Json {
  const paths: Json = {};
  const schemas: Json = {};
  for (const gv of gvs) {
    for (const r of documentedResources(gv)) Object.assign(paths, resourcePaths(flavour, gv, r));
    Object.assign(schemas, definitions(flavour, gv));
  }
  const info = { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion };
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return flavour === 'v2'
    ? { swagger: '2.0', info, paths, definitions: sorted }
    : { openapi: '3.0.0', info, paths, components: { schemas: sorted } };
}

const v3Cache = new Map<string, { doc: Json; hash: string }>();

function v3GroupVersion(path: string, withBatch: boolean): { doc: Json; hash: string } | undefined {
  const gv = servedGroupVersions(withBatch).find((g) => g.path === path);
  if (!gv) return undefined;
  const cached = v3Cache.get(path);
  if (cached) return cached;
  const doc = document('v3', [gv]);
  // handler3 names each document by the SHA-512 of its content; clients cache by it.
  const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
  const entry = { doc, hash };
  v3Cache.set(path, entry);
  return entry;
}

/** `/openapi/v3/<path>`: one group-version's document (`api/v1`, `apis/authorization.k8s.io/v1`). */
export function openApiV3Document(path: string, withBatch = false): Json | undefined {
  return v3GroupVersion(path, withBatch)?.doc;
}

/** `/openapi/v3`: where each group-version's document is (handler3's discovery). */
export function openApiV3Paths(withBatch = false): Json {
  return {
    paths: Object.fromEntries(
      servedGroupVersions(withBatch).map((gv) => [
        gv.path,
        { serverRelativeURL: `/openapi/v3/${gv.path}?hash=${v3GroupVersion(gv.path, withBatch)!.hash}` },
      ]),
    ),
  };
}

const v2Cache = new Map<boolean, Json>();

/** `/openapi/v2`: all group-versions in one Swagger 2.0 document. */
export function openApiV2Document(withBatch = false): Json {
  let doc = v2Cache.get(withBatch);
  if (!doc) v2Cache.set(withBatch, (doc = document('v2', servedGroupVersions(withBatch))));
  return doc;
}
