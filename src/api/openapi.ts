// A minimal OpenAPI v3 description, served because kubectl needs one: before `kubectl apply`/`create` it checks in
// `/openapi/v3` whether the server supports the `fieldValidation` query parameter on the kind's PATCH
// (cli-runtime resource/query_param_verifier_v3.go); without a document it cannot tell and fails validation
// ("error validating data", unless --validate=false). The document therefore describes exactly that: the pods
// PATCH operation, its GVK and its query parameters. It carries no schemas and no request body, so kubectl's apply
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

const GVK = { group: '', version: 'v1', kind: 'Pod' };

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
    paths: {
      '/api/v1/namespaces/{namespace}/pods': {
        post: {
          description: 'create a Pod',
          operationId: 'createCoreV1NamespacedPod',
          'x-kubernetes-action': 'post',
          'x-kubernetes-group-version-kind': GVK,
          parameters: WRITE_PARAMETERS,
          responses: { '201': { description: 'Created' } },
        },
      },
      '/api/v1/namespaces/{namespace}/pods/{name}': {
        put: {
          description: 'replace the specified Pod',
          operationId: 'replaceCoreV1NamespacedPod',
          'x-kubernetes-action': 'put',
          'x-kubernetes-group-version-kind': GVK,
          parameters: WRITE_PARAMETERS,
          responses: { '200': { description: 'OK' } },
        },
        patch: {
          description: 'partially update the specified Pod',
          operationId: 'patchCoreV1NamespacedPod',
          'x-kubernetes-action': 'patch',
          'x-kubernetes-group-version-kind': GVK,
          parameters: [
            ...WRITE_PARAMETERS,
            queryParameter('force', 'Force is going to "force" Apply requests.'),
          ],
          responses: { '200': { description: 'OK' } },
        },
      },
    },
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
