// A minimal OpenAPI v3 description, served because kubectl needs one: before `kubectl apply`/`create` it checks in
// `/openapi/v3` whether the server supports the `fieldValidation` query parameter on the kind's PATCH
// (cli-runtime resource/query_param_verifier_v3.go); without a document it cannot tell and fails validation
// ("error validating data", unless --validate=false). The document therefore describes exactly that: the POST,
// PUT and PATCH operations of every kind kubectl writes here (pods, configmaps, secrets, namespaces), their GVK and
// their query parameters. It carries no schemas and no request body, so kubectl's apply
// computes its strategic merge patch from the patch metadata compiled into it (apply/patcher.go falls back to the
// baked-in types), which is what podflow's strategic merge (api/patch.ts) follows. OpenAPI v2 is not served (404):
// kubectl only tries it as a fallback and continues without.
import { createHash } from 'node:crypto';
import { KUBERNETES_VERSION } from './discovery.ts';

const queryParameter = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
});

const gvk = (kind: string) => ({ group: '', version: 'v1', kind });

const WRITE_PARAMETERS = [
  queryParameter('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParameter(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes.',
  ),
  queryParameter(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn (default) or Strict.',
  ),
];

/** The kinds kubectl writes, with the paths of their collection and of one object. */
const KINDS: ReadonlyArray<{ kind: string; collection: string; namespaced: boolean }> = [
  { kind: 'Pod', collection: 'pods', namespaced: true },
  { kind: 'ConfigMap', collection: 'configmaps', namespaced: true },
  { kind: 'Secret', collection: 'secrets', namespaced: true },
  { kind: 'Namespace', collection: 'namespaces', namespaced: false },
];

/** POST on the collection, PUT and PATCH on one object, for a kind (operation ids as the API server's). */
function kindPaths(kind: string, collection: string, namespaced: boolean): Record<string, unknown> {
  const scope = namespaced ? 'Namespaced' : '';
  const base = namespaced ? `/api/v1/namespaces/{namespace}/${collection}` : `/api/v1/${collection}`;
  const op = (verb: string, action: string, description: string, code: string, extra: object[] = []) => ({
    description,
    operationId: `${verb}CoreV1${scope}${kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(kind),
    parameters: [...WRITE_PARAMETERS, ...extra],
    responses: { [code]: { description: code === '201' ? 'Created' : 'OK' } },
  });
  return {
    [base]: { post: op('create', 'post', `create a ${kind}`, '201') },
    [`${base}/{name}`]: {
      put: op('replace', 'put', `replace the specified ${kind}`, '200'),
      patch: op('patch', 'patch', `partially update the specified ${kind}`, '200', [
        queryParameter('force', 'Force is going to "force" Apply requests.'),
      ]),
    },
  };
}

let cached: { doc: Record<string, unknown>; hash: string } | undefined;

/** The `api/v1` group-version document. */
export function openApiV3Document(): Record<string, unknown> {
  return documentAndHash().doc;
}

function documentAndHash(): { doc: Record<string, unknown>; hash: string } {
  if (cached) return cached;
  const doc = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (podflow)', version: KUBERNETES_VERSION.gitVersion },
    paths: Object.assign({}, ...KINDS.map((k) => kindPaths(k.kind, k.collection, k.namespaced))) as Record<
      string,
      unknown
    >,
    components: { schemas: {} },
  };
  const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
  cached = { doc, hash };
  return cached;
}

/** `/openapi/v3`: where each group-version's document is. */
export function openApiV3Paths(): Record<string, unknown> {
  return { paths: { 'api/v1': { serverRelativeURL: `/openapi/v3/api/v1?hash=${documentAndHash().hash}` } } };
}
