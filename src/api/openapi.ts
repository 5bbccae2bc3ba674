// A minimal OpenAPI v3 description, served because kubectl needs one: before `kubectl apply`/`create` it checks in
// `/openapi/v3` whether the server supports the `fieldValidation` query parameter on the kind's PATCH
// (cli-runtime resource/query_param_verifier_v3.go); without a document it cannot tell and fails validation
// ("error validating data", unless --validate=false). The document therefore describes exactly that: the POST,
// PUT and PATCH operations of every kind kubectl writes here (pods, configmaps, secrets, namespaces; jobs in batch/v1
// where they are served), their GVK and
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

interface KindEntry {
  kind: string;
  collection: string;
  namespaced: boolean;
}

/** The group-versions and the kinds kubectl writes in each, with the paths of their collection and of one object. */
const GROUP_VERSIONS: Readonly<
  Record<string, { group: string; prefix: string; kinds: readonly KindEntry[] }>
> = {
  'api/v1': {
    group: '',
    prefix: 'CoreV1',
    kinds: [
      { kind: 'Pod', collection: 'pods', namespaced: true },
      { kind: 'ConfigMap', collection: 'configmaps', namespaced: true },
      { kind: 'Secret', collection: 'secrets', namespaced: true },
      { kind: 'Namespace', collection: 'namespaces', namespaced: false },
    ],
  },
  'apis/batch/v1': {
    group: 'batch',
    prefix: 'BatchV1',
    kinds: [{ kind: 'Job', collection: 'jobs', namespaced: true }],
  },
};

/** POST on the collection, PUT and PATCH on one object, for a kind (operation ids as the API server's). */
function kindPaths(gv: string, { kind, collection, namespaced }: KindEntry): Record<string, unknown> {
  const { group, prefix } = GROUP_VERSIONS[gv]!;
  const scope = namespaced ? 'Namespaced' : '';
  const base = namespaced ? `/${gv}/namespaces/{namespace}/${collection}` : `/${gv}/${collection}`;
  const op = (verb: string, action: string, description: string, code: string, extra: object[] = []) => ({
    description,
    operationId: `${verb}${prefix}${scope}${kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group, version: 'v1', kind },
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

const cached = new Map<string, { doc: Record<string, unknown>; hash: string }>();

/** The document of one group-version (`api/v1`, `apis/batch/v1`). */
export function openApiV3Document(gv = 'api/v1'): Record<string, unknown> {
  return documentAndHash(gv).doc;
}

function documentAndHash(gv: string): { doc: Record<string, unknown>; hash: string } {
  const hit = cached.get(gv);
  if (hit) return hit;
  const doc = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (podflow)', version: KUBERNETES_VERSION.gitVersion },
    paths: Object.assign({}, ...GROUP_VERSIONS[gv]!.kinds.map((k) => kindPaths(gv, k))) as Record<
      string,
      unknown
    >,
    components: { schemas: {} },
  };
  const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
  const entry = { doc, hash };
  cached.set(gv, entry);
  return entry;
}

/** `/openapi/v3`: where each group-version's document is (batch/v1 where Jobs are served). */
export function openApiV3Paths(withBatch = false): Record<string, unknown> {
  const gvs = withBatch ? ['api/v1', 'apis/batch/v1'] : ['api/v1'];
  return {
    paths: Object.fromEntries(
      gvs.map((gv) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${documentAndHash(gv).hash}` }]),
    ),
  };
}
