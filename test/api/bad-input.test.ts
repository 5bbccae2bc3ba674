// Malformed requests against `podflow serve` over HTTP (the local gateway, the api handler, the real engine): each
// gets the right 4xx Status — code, reason and the API server's wording where it matters — never a 500, never a
// crash; afterwards the engine still creates and runs a pod.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServe, type TestServe } from './support.ts';

let serve: TestServe;
const NS = '/api/v1/namespaces/default';
const seenCodes: number[] = [];

const pod = (
  name: string,
  spec: object = { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '300'] }] },
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec,
});

interface Case {
  name: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: string | object;
  contentType?: string;
  accept?: string;
  code: number;
  reason: string;
  message?: RegExp;
}

async function send(c: Pick<Case, 'method' | 'path' | 'query' | 'body' | 'contentType' | 'accept'>) {
  const url = new URL(c.path, serve.url);
  for (const [k, v] of Object.entries(c.query ?? {})) url.searchParams.append(k, v);
  const body =
    c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  const res = await fetch(url, {
    method: c.method,
    headers: {
      ...(body !== undefined ? { 'content-type': c.contentType ?? 'application/json' } : {}),
      ...(c.accept ? { accept: c.accept } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: the assertions below say so.
  }
  seenCodes.push(res.status);
  return { status: res.status, json, text };
}

beforeAll(async () => {
  serve = await startTestServe();
  const created = await send({ method: 'POST', path: `${NS}/pods`, body: pod('target') });
  expect(created.status).toBe(201);
}, 30_000);

afterAll(async () => {
  await serve?.dispose();
}, 30_000);

const big = (bytes: number) =>
  JSON.stringify({ ...pod('big'), metadata: { name: 'big', annotations: { pad: 'x'.repeat(bytes) } } });

const CASES: Case[] = [
  // Bodies that do not decode.
  {
    name: 'broken JSON',
    method: 'POST',
    path: `${NS}/pods`,
    body: '{"apiVersion": "v1", "kind":',
    code: 400,
    reason: 'BadRequest',
    message: /json parse error/,
  },
  {
    name: 'JSON nested 5000 levels deep',
    method: 'POST',
    path: `${NS}/pods`,
    body: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
    code: 400,
    reason: 'BadRequest',
    message: /exceeded max depth/,
  },
  {
    name: 'JSON with trailing garbage',
    method: 'POST',
    path: `${NS}/pods`,
    body: '{"kind": "Pod"}}',
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'broken YAML (tab indentation)',
    method: 'POST',
    path: `${NS}/pods`,
    contentType: 'application/yaml',
    body: 'apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n',
    code: 400,
    reason: 'BadRequest',
    message: /error converting YAML to JSON/,
  },
  {
    name: 'YAML with two objects',
    method: 'POST',
    path: `${NS}/pods`,
    contentType: 'application/yaml',
    body: 'kind: Pod\napiVersion: v1\n---\nkind: Pod\napiVersion: v1\n',
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'a JSON list instead of an object',
    method: 'POST',
    path: `${NS}/pods`,
    body: [pod('a')],
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'a JSON string instead of an object',
    method: 'POST',
    path: `${NS}/pods`,
    body: '"a pod"',
    code: 400,
    reason: 'BadRequest',
  },
  { name: 'empty body', method: 'POST', path: `${NS}/pods`, body: '', code: 400, reason: 'BadRequest' },
  // Wrong types.
  {
    name: 'spec: "x"',
    method: 'POST',
    path: `${NS}/pods`,
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: 'x' },
    code: 400,
    reason: 'BadRequest',
    message:
      /^Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field Pod\.spec of type v1\.PodSpec$/,
  },
  {
    name: 'containers not a list',
    method: 'POST',
    path: `${NS}/pods`,
    body: pod('x', { containers: { name: 'c' } }),
    code: 400,
    reason: 'BadRequest',
    message:
      /cannot unmarshal object into Go struct field PodSpec\.spec\.containers of type \[\]v1\.Container/,
  },
  {
    name: 'container name a number',
    method: 'POST',
    path: `${NS}/pods`,
    body: pod('x', { containers: [{ name: 7, image: 'i' }] }),
    code: 400,
    reason: 'BadRequest',
    message: /cannot unmarshal number/,
  },
  // Kinds and versions.
  {
    name: 'unknown kind',
    method: 'POST',
    path: `${NS}/pods`,
    body: { apiVersion: 'v1', kind: 'Foo', metadata: { name: 'x' } },
    code: 400,
    reason: 'BadRequest',
    message: /^Foo in version "v1" cannot be handled as a Pod: no kind "Foo" is registered for version "v1"/,
  },
  {
    name: 'kind mismatch with the URL (a Service to pods)',
    method: 'POST',
    path: `${NS}/pods`,
    body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } },
    code: 400,
    reason: 'BadRequest',
    message: /cannot be handled as a Pod/,
  },
  {
    name: 'apiVersion mismatch',
    method: 'POST',
    path: `${NS}/pods`,
    body: { ...pod('x'), apiVersion: 'batch/v1' },
    code: 400,
    reason: 'BadRequest',
    message: /no kind "Pod" is registered for version "batch\/v1"/,
  },
  {
    name: 'body namespace ≠ URL namespace',
    method: 'POST',
    path: `${NS}/pods`,
    body: { ...pod('x'), metadata: { name: 'x', namespace: 'other' } },
    code: 400,
    reason: 'BadRequest',
    message: /^the namespace of the provided object does not match the namespace sent on the request$/,
  },
  // Sizes and media types.
  {
    name: 'body over 256 KiB',
    method: 'POST',
    path: `${NS}/pods`,
    body: big(300 * 1024),
    code: 413,
    reason: 'RequestEntityTooLarge',
  },
  {
    name: 'body over the 10 MB gateway limit',
    method: 'POST',
    path: `${NS}/pods`,
    body: big(11 * 1024 * 1024),
    code: 413,
    reason: 'RequestEntityTooLarge',
  },
  {
    name: 'create with text/plain',
    method: 'POST',
    path: `${NS}/pods`,
    contentType: 'text/plain',
    body: 'pod please',
    code: 415,
    reason: 'UnsupportedMediaType',
  },
  {
    name: 'Accept that nothing satisfies',
    method: 'GET',
    path: `${NS}/pods`,
    accept: 'application/vnd.kubernetes.protobuf',
    code: 406,
    reason: 'NotAcceptable',
  },
  // Validation.
  {
    name: 'bad name',
    method: 'POST',
    path: `${NS}/pods`,
    body: pod('Bad_Name'),
    code: 422,
    reason: 'Invalid',
    message:
      /^Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
  },
  {
    name: 'name over 253 characters',
    method: 'POST',
    path: `${NS}/pods`,
    body: pod('a'.repeat(254)),
    code: 422,
    reason: 'Invalid',
  },
  {
    name: 'missing containers',
    method: 'POST',
    path: `${NS}/pods`,
    body: pod('x', {}),
    code: 422,
    reason: 'Invalid',
    message: /spec\.containers: Required value/,
  },
  {
    name: 'no name and no generateName',
    method: 'POST',
    path: `${NS}/pods`,
    body: { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { containers: [{ name: 'c', image: 'i' }] } },
    code: 422,
    reason: 'Invalid',
    message: /metadata\.name: Required value: name or generateName is required/,
  },
  {
    name: 'bad label value',
    method: 'POST',
    path: `${NS}/pods`,
    body: { ...pod('x'), metadata: { name: 'x', labels: { app: 'not valid!' } } },
    code: 422,
    reason: 'Invalid',
    message: /metadata\.labels: Invalid value: "not valid!"/,
  },
  {
    name: 'unknown field under fieldValidation=Strict',
    method: 'POST',
    path: `${NS}/pods`,
    query: { fieldValidation: 'Strict' },
    body: { ...pod('x'), spec: { containers: [{ name: 'c', image: 'i', imagee: 'typo' }] } },
    code: 400,
    reason: 'BadRequest',
    message: /^strict decoding error: unknown field "spec\.containers\[0\]\.imagee"$/,
  },
  {
    name: 'fieldValidation value unknown',
    method: 'POST',
    path: `${NS}/pods`,
    query: { fieldValidation: 'Loose' },
    body: pod('x'),
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'dryRun value unknown',
    method: 'POST',
    path: `${NS}/pods`,
    query: { dryRun: 'Some' },
    body: pod('x'),
    code: 400,
    reason: 'BadRequest',
  },
  // Selectors.
  {
    name: 'bad labelSelector',
    method: 'GET',
    path: `${NS}/pods`,
    query: { labelSelector: 'app in (web' },
    code: 400,
    reason: 'BadRequest',
    message: /unable to parse requirement/,
  },
  {
    name: 'bad labelSelector key',
    method: 'GET',
    path: `${NS}/pods`,
    query: { labelSelector: 'bad key=x' },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'bad fieldSelector syntax',
    method: 'GET',
    path: `${NS}/pods`,
    query: { fieldSelector: 'metadata.name' },
    code: 400,
    reason: 'BadRequest',
    message: /can't understand/,
  },
  {
    name: 'unsupported fieldSelector field',
    method: 'GET',
    path: `${NS}/pods`,
    query: { fieldSelector: 'spec.containers=x' },
    code: 400,
    reason: 'BadRequest',
    message: /^field label not supported: spec\.containers$/,
  },
  {
    name: 'unsupported event fieldSelector field',
    method: 'GET',
    path: `${NS}/events`,
    query: { fieldSelector: 'involvedObject.color=red' },
    code: 400,
    reason: 'BadRequest',
  },
  // Patches.
  {
    name: 'JSON patch op on a missing path',
    method: 'PATCH',
    path: `${NS}/pods/target`,
    contentType: 'application/json-patch+json',
    body: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }],
    code: 422,
    reason: 'Invalid',
  },
  {
    name: 'JSON patch with an unknown op',
    method: 'PATCH',
    path: `${NS}/pods/target`,
    contentType: 'application/json-patch+json',
    body: [{ op: 'frobnicate', path: '/a' }],
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'invalid patch JSON',
    method: 'PATCH',
    path: `${NS}/pods/target`,
    contentType: 'application/merge-patch+json',
    body: '{"metadata":',
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'unsupported patch content type',
    method: 'PATCH',
    path: `${NS}/pods/target`,
    contentType: 'application/xml',
    body: '<pod/>',
    code: 415,
    reason: 'UnsupportedMediaType',
  },
  {
    name: 'strategic patch element without its merge key',
    method: 'PATCH',
    path: `${NS}/pods/target`,
    contentType: 'application/strategic-merge-patch+json',
    body: { spec: { containers: [{ image: 'x' }] } },
    code: 422,
    reason: 'Invalid',
  },
  {
    name: 'patch changing an immutable field',
    method: 'PATCH',
    path: `${NS}/pods/target`,
    contentType: 'application/merge-patch+json',
    body: { spec: { restartPolicy: 'Never' } },
    code: 422,
    reason: 'Invalid',
    message: /pod updates may not change fields/,
  },
  {
    name: 'patch of a missing pod',
    method: 'PATCH',
    path: `${NS}/pods/nope`,
    contentType: 'application/merge-patch+json',
    body: {},
    code: 404,
    reason: 'NotFound',
  },
  // Updates.
  {
    name: 'PUT with a stale resourceVersion',
    method: 'PUT',
    path: `${NS}/pods/target`,
    body: { ...pod('target'), metadata: { name: 'target', resourceVersion: '1' } },
    code: 409,
    reason: 'Conflict',
    message: /^Operation cannot be fulfilled on pods "target": the object has been modified/,
  },
  {
    name: 'PUT with a name other than the URL’s',
    method: 'PUT',
    path: `${NS}/pods/target`,
    body: pod('other'),
    code: 400,
    reason: 'BadRequest',
    message: /^the name of the object \(other\) does not match the name on the URL \(target\)$/,
  },
  {
    name: 'PUT with metadata that is not an object',
    method: 'PUT',
    path: `${NS}/pods/target`,
    body: { ...pod('target'), metadata: 'target' },
    code: 400,
    reason: 'BadRequest',
    message: /cannot unmarshal string into Go struct field Pod\.metadata of type v1\.ObjectMeta/,
  },
  {
    name: 'PUT of a missing pod',
    method: 'PUT',
    path: `${NS}/pods/nope`,
    body: pod('nope'),
    code: 404,
    reason: 'NotFound',
  },
  // Deletes.
  {
    name: 'delete of a missing pod',
    method: 'DELETE',
    path: `${NS}/pods/nope`,
    code: 404,
    reason: 'NotFound',
    message: /^pods "nope" not found$/,
  },
  {
    name: 'delete with an unknown propagationPolicy',
    method: 'DELETE',
    path: `${NS}/pods/target`,
    body: { propagationPolicy: 'Sideways' },
    code: 422,
    reason: 'Invalid',
    message: /propagationPolicy: Unsupported value: "Sideways"/,
  },
  {
    name: 'delete with gracePeriodSeconds not a number',
    method: 'DELETE',
    path: `${NS}/pods/target`,
    query: { gracePeriodSeconds: 'soon' },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'delete with a stale uid precondition',
    method: 'DELETE',
    path: `${NS}/pods/target`,
    body: { preconditions: { uid: 'not-the-uid' } },
    code: 409,
    reason: 'Conflict',
  },
  {
    name: 'delete with DeleteOptions that do not decode',
    method: 'DELETE',
    path: `${NS}/pods/target`,
    body: '{"gracePeriodSeconds": ',
    code: 400,
    reason: 'BadRequest',
  },
  // Paths and verbs.
  {
    name: 'GET on an unknown path',
    method: 'GET',
    path: '/api/v1/nodes',
    code: 404,
    reason: 'NotFound',
    message: /^the server could not find the requested resource$/,
  },
  {
    name: 'GET on an unknown subresource',
    method: 'GET',
    path: `${NS}/pods/target/proxy`,
    code: 404,
    reason: 'NotFound',
  },
  {
    name: 'namespace that cannot exist',
    method: 'GET',
    path: '/api/v1/namespaces/NOPE_/pods',
    code: 404,
    reason: 'NotFound',
  },
  {
    name: 'method not allowed (POST to a pod)',
    method: 'POST',
    path: `${NS}/pods/target`,
    body: pod('target'),
    code: 405,
    reason: 'MethodNotAllowed',
  },
  {
    name: 'method not allowed (DELETE a collection)',
    method: 'DELETE',
    path: `${NS}/pods`,
    code: 405,
    reason: 'MethodNotAllowed',
  },
  // Watches, logs, exec, status.
  {
    name: 'watch with a bad timeoutSeconds',
    method: 'GET',
    path: `${NS}/pods`,
    query: { watch: 'true', timeoutSeconds: 'ten' },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'watch with a negative timeoutSeconds',
    method: 'GET',
    path: `${NS}/pods`,
    query: { watch: '1', timeoutSeconds: '-5' },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'watch from a resourceVersion that is not a number',
    method: 'GET',
    path: `${NS}/pods`,
    query: { watch: '1', resourceVersion: 'latest' },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'logs with a negative tailLines',
    method: 'GET',
    path: `${NS}/pods/target/log`,
    query: { tailLines: '-1' },
    code: 422,
    reason: 'Invalid',
  },
  {
    name: 'logs of an unknown container',
    method: 'GET',
    path: `${NS}/pods/target/log`,
    query: { container: 'nope' },
    code: 400,
    reason: 'BadRequest',
    message: /^container nope is not valid for pod target$/,
  },
  {
    name: 'logs --previous of a container that never restarted',
    method: 'GET',
    path: `${NS}/pods/target/log`,
    query: { previous: 'true' },
    code: 400,
    reason: 'BadRequest',
    message: /^previous terminated container "app" in pod "target" not found$/,
  },
  {
    name: 'exec without a WebSocket upgrade',
    method: 'POST',
    path: `${NS}/pods/target/exec`,
    query: { command: 'env' },
    code: 400,
    reason: 'BadRequest',
    message: /^Upgrade request required$/,
  },
  {
    name: 'status patch that makes status a string',
    method: 'PATCH',
    path: `${NS}/pods/target/status`,
    contentType: 'application/merge-patch+json',
    body: { status: 'fine' },
    code: 422,
    reason: 'Invalid',
  },
  {
    name: 'malformed percent-encoding in a pod name',
    method: 'GET',
    path: `${NS}/pods/%E0%A4%A`,
    code: 404,
    reason: 'NotFound',
  },
  {
    name: 'status patch with an invalid condition status',
    method: 'PATCH',
    path: `${NS}/pods/target/status`,
    contentType: 'application/merge-patch+json',
    body: { status: { conditions: [{ type: 'example.com/x', status: 'Perhaps' }] } },
    code: 422,
    reason: 'Invalid',
  },
];

describe('malformed requests get the right Status', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('$name → $code $reason', async (c) => {
    const res = await send(c);
    expect(res.status, res.text.slice(0, 300)).toBe(c.code);
    expect(res.json).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: c.code,
      reason: c.reason,
    });
    if (c.message) expect(res.json.message).toMatch(c.message);
  });

  it('a negative gracePeriodSeconds is not an error: the API server treats it as 1s (rest/delete.go BeforeDelete)', async () => {
    await send({ method: 'POST', path: `${NS}/pods`, body: pod('negative-grace') });
    const res = await send({
      method: 'DELETE',
      path: `${NS}/pods/negative-grace`,
      query: { gracePeriodSeconds: '-10' },
    });
    expect(res.status).toBe(200);
    expect((res.json.metadata as { deletionGracePeriodSeconds: number }).deletionGracePeriodSeconds).toBe(1);
  });

  it('after all of them the engine still creates, runs and serves a pod, and nothing was an internal error', async () => {
    expect(seenCodes.filter((code) => code >= 500)).toEqual([]);
    const created = await send({ method: 'POST', path: `${NS}/pods`, body: pod('still-works') });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 15_000;
    let phase: unknown;
    while (Date.now() < deadline) {
      const got = await send({ method: 'GET', path: `${NS}/pods/still-works` });
      expect(got.status).toBe(200);
      phase = (got.json.status as { phase?: string }).phase;
      if (phase === 'Running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(phase).toBe('Running');
    expect(serve.io.err.join('')).toBe('');
  }, 30_000);
});
