// What a request asks to do, in the terms authorization speaks: verb, namespace, API group, resource — as the API
// server reads them off the path before it authorizes (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go,
// RequestInfoFactory.NewRequestInfo). Paths outside /api and /apis (discovery roots, /version, /openapi, the web
// UI's files) and the discovery documents of a group are not resource requests.

export interface RequestInfo {
  resourceRequest: boolean;
  verb: string;
  namespace?: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
}

const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter((p) => p !== '');
  const nonResource: RequestInfo = {
    resourceRequest: false,
    verb: (METHOD_VERBS[method] ?? method).toLowerCase(),
    group: '',
    resource: '',
  };
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 2) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3) [group, rest] = [parts[1]!, parts.slice(3)];
  else return nonResource;
  if (rest.length === 0) return nonResource;
  let verb = METHOD_VERBS[method] ?? method.toLowerCase();
  // The deprecated /watch/ prefix.
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = rest[1];
    // /namespaces/{name} is the Namespace itself; /namespaces/{name}/{resource}… a resource in it.
    if (rest.length > 2) rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  if (name === undefined) {
    if (verb === 'get') verb = query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  }
  return {
    resourceRequest: true,
    verb,
    group,
    resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}
