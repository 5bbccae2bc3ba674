// Real kubectl (1.32) reading podflow's OpenAPI: `kubectl explain` of a field prints its description and its
// fields with theirs, `--recursive` prints exactly the fields the API's validator knows, every served kind can be
// explained; `kubectl apply --validate=strict|warn|false` gets the API server's answers for an unknown field
// (kubectl sends fieldValidation=Strict|Warn|Ignore because the document says the PATCH takes it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_SCHEMA } from '../../src/core/manifest/schema.generated.ts';
import { KUBECTL, startServe, type Served } from './harness.ts';

if (!KUBECTL) console.warn('test/kubectl/openapi skipped: kubectl not found in /usr/bin or on PATH');

let served: Served;

const POD_WITH_UNKNOWN_FIELD = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: busybox
      command: ['sleep', '30']
      foo: bar
`;

/** Every field path below a type of the validator's table, with list and map types walked through. */
function validatorPaths(type: string, prefix = '', seen = new Set<string>()): string[] {
  const fields = MANIFEST_SCHEMA[type];
  if (!fields || seen.has(type)) return [];
  return Object.entries(fields).flatMap(([name, t]) => {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const inner = t.replace(/\[\]$/, '').replace(/^\{(.*)\}$/, '$1');
    return [path, ...validatorPaths(inner, path, new Set([...seen, type]))];
  });
}

/** `kubectl explain --recursive` output as field paths (two spaces of indentation per level under FIELDS:). */
function explainedPaths(output: string): string[] {
  const lines = output.split('\n');
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of lines.slice(lines.indexOf('FIELDS:') + 1)) {
    const m = /^((?: {2})+)(\S+)\t<.*>/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 2 - 1;
    stack.length = depth;
    stack.push(m[2]!);
    out.push(stack.join('.'));
  }
  return out;
}

describe.skipIf(!KUBECTL)('kubectl explain and --validate against podflow serve', () => {
  beforeAll(async () => {
    served = await startServe('kubectl-openapi');
  }, 40_000);

  afterAll(async () => {
    if (served) expect(await served.stop(), served.output()).toBe(0);
  }, 60_000);

  it('explain pod.spec.containers.livenessProbe prints the field, its description and its fields', async () => {
    const r = await served.kubectl(['explain', 'pod.spec.containers.livenessProbe']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^KIND: {7}Pod\nVERSION: {4}v1\n\nFIELD: livenessProbe <Probe>\n/);
    expect(r.stdout).toContain(
      'DESCRIPTION:\n    Periodic probe of container liveness. Container will be restarted if the\n',
    );
    expect(r.stdout).toContain(
      '  periodSeconds\t<integer>\n    How often (in seconds) to perform the probe. Default to 10 seconds. Minimum\n    value is 1.\n',
    );
    expect(r.stdout).toContain(
      '  httpGet\t<HTTPGetAction>\n    HTTPGet specifies the http request to perform.\n',
    );
    const fields = [...r.stdout.matchAll(/^ {2}(\w+)\t<[^>]+>$/gm)].map((m) => m[1]);
    expect(fields).toEqual(Object.keys(MANIFEST_SCHEMA.V1Probe!).sort());
  });

  it('explain pods --recursive prints exactly the fields the validator knows', async () => {
    const r = await served.kubectl(['explain', 'pods', '--recursive']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('    containers\t<[]Container> -required-\n');
    expect(r.stdout).toContain('      livenessProbe\t<Probe>\n        exec\t<ExecAction>\n');
    expect(explainedPaths(r.stdout).sort()).toEqual(validatorPaths('V1Pod').sort());
  });

  it.each([
    ['configmaps', 'ConfigMap', 'ConfigMap holds configuration data for pods to consume.'],
    ['secrets', 'Secret', 'Secret holds secret data of a certain type.'],
    ['namespaces', 'Namespace', 'Namespace provides a scope for Names.'],
    ['events', 'Event', 'Event is a report of an event somewhere in the cluster.'],
    ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', 'SelfSubjectAccessReview checks whether or the'],
  ])('explain %s', async (resource, kind, description) => {
    const r = await served.kubectl(['explain', resource]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`KIND: +${kind}\n`));
    expect(r.stdout.replace(/\n {4}/g, ' ')).toContain(description);
  });

  it('apply --validate=strict refuses an unknown field with the API server’s message; nothing is created', async () => {
    const r = await served.kubectl(['apply', '--validate=strict', '-f', '-'], {
      input: POD_WITH_UNKNOWN_FIELD('strict'),
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (BadRequest): error when creating "STDIN": strict decoding error: unknown field "spec.containers[0].foo"',
    );
    const get = await served.kubectl(['get', 'pod', 'strict']);
    expect(get.stderr.trim()).toBe('Error from server (NotFound): pods "strict" not found');
  });

  it('apply --validate=warn creates the pod with the server’s warning; --validate=false without one', async () => {
    const warn = await served.kubectl(['apply', '--validate=warn', '-f', '-'], {
      input: POD_WITH_UNKNOWN_FIELD('warned'),
    });
    expect([warn.code, warn.stdout.trim(), warn.stderr.trim()]).toEqual([
      0,
      'pod/warned created',
      'Warning: unknown field "spec.containers[0].foo"',
    ]);
    const ignore = await served.kubectl(['apply', '--validate=false', '-f', '-'], {
      input: POD_WITH_UNKNOWN_FIELD('ignored'),
    });
    expect([ignore.code, ignore.stdout.trim(), ignore.stderr]).toEqual([0, 'pod/ignored created', '']);
  });
});
