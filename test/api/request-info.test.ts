// Verb, namespace and resource of a request, as k8s.io/apiserver's RequestInfoFactory reads them.
import { describe, expect, it } from 'vitest';
import { requestInfo } from '../../src/api/request-info.ts';

describe('requestInfo', () => {
  it.each([
    ['GET', '/api/v1/namespaces/a/pods', '', { verb: 'list', namespace: 'a', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/a/pods', 'watch=true', { verb: 'watch', namespace: 'a', resource: 'pods' }],
    ['GET', '/api/v1/pods', '', { verb: 'list', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/a/pods/x', '', { verb: 'get', namespace: 'a', resource: 'pods', name: 'x' }],
    [
      'GET',
      '/api/v1/namespaces/a/pods/x/log',
      '',
      { verb: 'get', namespace: 'a', resource: 'pods', name: 'x', subresource: 'log' },
    ],
    ['POST', '/api/v1/namespaces/a/pods', '', { verb: 'create', namespace: 'a', resource: 'pods' }],
    [
      'PATCH',
      '/api/v1/namespaces/a/pods/x/status',
      '',
      { verb: 'patch', namespace: 'a', resource: 'pods', name: 'x', subresource: 'status' },
    ],
    [
      'DELETE',
      '/api/v1/namespaces/a/pods',
      '',
      { verb: 'deletecollection', namespace: 'a', resource: 'pods' },
    ],
    [
      'DELETE',
      '/api/v1/namespaces/a',
      '',
      { verb: 'delete', namespace: 'a', resource: 'namespaces', name: 'a' },
    ],
    ['GET', '/api/v1/namespaces', '', { verb: 'list', resource: 'namespaces' }],
    [
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      '',
      { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' },
    ],
    ['GET', '/api/v1/watch/namespaces/a/pods', '', { verb: 'watch', namespace: 'a', resource: 'pods' }],
  ])('%s %s?%s', (method, path, query, want) => {
    expect(requestInfo(method, path, new URLSearchParams(query))).toEqual({
      resourceRequest: true,
      group: '',
      ...want,
    });
  });

  it.each(['/api', '/api/v1', '/apis', '/apis/authorization.k8s.io/v1', '/version', '/openapi/v3', '/ui/'])(
    '%s is not a resource request',
    (path) => {
      expect(requestInfo('GET', path, new URLSearchParams()).resourceRequest).toBe(false);
    },
  );
});
