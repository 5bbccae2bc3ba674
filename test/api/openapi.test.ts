// The OpenAPI documents describe exactly what the API's decoder accepts: every field path of a served kind in the
// documents is a field the validator (core/manifest/decode-object.ts over schema.generated.ts) accepts under
// Strict, with a value of the documented type, and every field the validator knows is in the documents; a name the
// documents lack is an unknown field to the validator. Plus the parts kubectl relies on: the kinds'
// x-kubernetes-group-version-kind, the index's hashes, the list merge extensions of the API's strategic merge, and
// v2 with the same definitions. kubectl's own use of them is test/kubectl/openapi.test.ts.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeWithSchema } from '../../src/core/manifest/decode-object.ts';
import { MANIFEST_SCHEMA } from '../../src/core/manifest/schema.generated.ts';
import {
  GROUP_VERSIONS,
  modelTypeOf,
  openApiV2Document,
  openApiV3Document,
  openApiV3Paths,
} from '../../src/api/openapi.ts';

type Schema = Record<string, unknown>;

function docOf(path: string): {
  components: { schemas: Record<string, Schema> };
  paths: Record<string, Schema>;
} {
  const doc = openApiV3Document(path);
  if (!doc) throw new Error(`no document for ${path}`);
  return doc as never;
}

/** Resolves `$ref` and single-element `allOf` (kube-openapi's wrapping of a described reference). */
function resolve(schemas: Record<string, Schema>, s: Schema, prefix = '#/components/schemas/'): Schema {
  if (typeof s.$ref === 'string') {
    const target = schemas[s.$ref.slice(prefix.length)];
    if (!target) throw new Error(`dangling reference ${s.$ref}`);
    return resolve(schemas, target, prefix);
  }
  if (Array.isArray(s.allOf)) {
    expect(s.allOf).toHaveLength(1);
    return resolve(schemas, s.allOf[0] as Schema, prefix);
  }
  return s;
}

/** The compact type the validator's table would give a resolved leaf schema. */
function leafType(s: Schema): string {
  if (s.format === 'int-or-string') return 'int-or-string';
  if (s.format === 'date-time') return 'date-time';
  if (s.format === 'byte') return 'bytes';
  if (s.type === 'integer') return String(s.format);
  if (s.type === 'number') return 'number';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'object') return 'any';
  return 'string';
}

/**
 * Every field path under a kind in the document, with its leaf type: `spec.containers[].name: string`. A type is
 * not entered again below itself (none of these kinds is recursive, so this only guards the walk).
 */
function documentPaths(
  schemas: Record<string, Schema>,
  root: Schema,
  prefix = '#/components/schemas/',
): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (s: Schema, path: string, seen: Set<Schema>): void => {
    const r = resolve(schemas, s, prefix);
    if (r.type === 'array') return walk(r.items as Schema, `${path}[]`, seen);
    if (r.type === 'object' && r.additionalProperties)
      return walk(r.additionalProperties as Schema, `${path}{}`, seen);
    if (r.properties && !seen.has(r)) {
      for (const [k, v] of Object.entries(r.properties as Record<string, Schema>))
        walk(v, path === '' ? k : `${path}.${k}`, new Set([...seen, r]));
      return;
    }
    // A quantity is a string in the documents and accepts a number too (`cpu: 1`): the validator's `quantity`.
    const ref = (s.$ref ?? (s.allOf as Schema[] | undefined)?.[0]?.$ref) as string | undefined;
    out.set(path, ref?.endsWith('.api.resource.Quantity') ? 'quantity' : leafType(r));
  };
  walk(root, '', new Set());
  return out;
}

/** The same from the validator's table. */
function validatorPaths(type: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (t: string, path: string, seen: Set<string>): void => {
    if (t.endsWith('[]')) return walk(t.slice(0, -2), `${path}[]`, seen);
    const map = /^\{(.+)\}$/.exec(t);
    if (map) return walk(map[1]!, `${path}{}`, seen);
    const fields = MANIFEST_SCHEMA[t];
    if (fields && !seen.has(t)) {
      for (const [k, v] of Object.entries(fields))
        walk(v, path === '' ? k : `${path}.${k}`, new Set([...seen, t]));
      return;
    }
    out.set(path, t);
  };
  walk(type, '', new Set());
  return out;
}

const SAMPLE: Record<string, unknown> = {
  string: 'x',
  int32: 1,
  int64: 1,
  number: 1.5,
  boolean: true,
  'date-time': '2024-01-01T00:00:00Z',
  quantity: '1',
  'int-or-string': 8080,
  bytes: 'eA==',
  any: {},
};

/** A manifest holding only the field at `path` (list elements and map values one deep), with a sample value. */
function objectWith(path: string, type: string): Record<string, unknown> {
  const tokens = path.match(/[^.[\]{}]+|\[\]|\{\}/g)!;
  const build = (i: number): unknown => {
    if (i === tokens.length) return SAMPLE[type];
    const t = tokens[i]!;
    if (t === '[]') return [build(i + 1)];
    if (t === '{}') return { k: build(i + 1) };
    return { [t]: build(i + 1) };
  };
  return build(0) as Record<string, unknown>;
}

const served = GROUP_VERSIONS.flatMap((gv) =>
  Object.entries(docOf(gv.path).components.schemas)
    .filter(([, s]) => Array.isArray(s['x-kubernetes-group-version-kind']))
    .map(([name, s]) => {
      const [gvk] = s['x-kubernetes-group-version-kind'] as {
        group: string;
        version: string;
        kind: string;
      }[];
      return {
        gv: gv.path,
        name,
        schema: s,
        kind: gvk!.kind,
        model: modelTypeOf(gvk!.group, gvk!.version, gvk!.kind)!,
      };
    }),
);

describe('OpenAPI v3 documents', () => {
  it('describe each kind podflow serves, and only those', () => {
    expect(served.map((s) => `${s.gv} ${s.kind}`).sort()).toEqual([
      'api/v1 ConfigMap',
      'api/v1 Event',
      'api/v1 Namespace',
      'api/v1 Pod',
      'api/v1 Secret',
      'apis/authorization.k8s.io/v1 SelfSubjectAccessReview',
      'apis/authorization.k8s.io/v1 SelfSubjectRulesReview',
    ]);
  });

  it.each(served.map((s) => [s.kind, s] as const))(
    '%s: the document has exactly the validator’s fields and types',
    (_kind, s) => {
      const schemas = docOf(s.gv).components.schemas;
      const documented = documentPaths(schemas, s.schema);
      const validated = validatorPaths(s.model);
      expect([...documented.keys()].sort()).toEqual([...validated.keys()].sort());
      for (const [path, type] of validated)
        expect(`${path}: ${documented.get(path)}`).toBe(`${path}: ${type}`);
      expect(documented.size).toBeGreaterThan(5);
    },
  );

  it.each(served.map((s) => [s.kind, s] as const))(
    '%s: the validator accepts every documented field under Strict, and refuses a name the document lacks',
    (_kind, s) => {
      const schemas = docOf(s.gv).components.schemas;
      for (const [path, type] of documentPaths(schemas, s.schema)) {
        const decoded = decodeWithSchema(objectWith(path, type), s.model);
        expect({ path, unknown: decoded.unknownFields, errors: decoded.typeErrors }).toEqual({
          path,
          unknown: [],
          errors: [],
        });
        // The same object with a sibling the document does not have: an unknown field at that path.
        const parent = path.replace(/(\.|^)[^.[\]{}]+$/, '');
        if (path.endsWith('[]') || path.endsWith('{}')) continue;
        const sibling = parent === '' ? 'notAField' : `${parent}.notAField`;
        const withSibling = objectWith(sibling, 'string');
        const merged = decodeWithSchema(withSibling, s.model);
        expect(merged.unknownFields, sibling).toEqual([
          sibling.replace(/\[\]/g, '[0]').replace(/\{\}/g, '[k]'),
        ]);
      }
    },
  );

  it('describe the fields kubectl explain prints', () => {
    const schemas = docOf('api/v1').components.schemas;
    const probe = schemas['io.k8s.api.core.v1.Probe']!;
    expect(probe.description).toMatch(/^Probe describes a health check/);
    const props = probe.properties as Record<string, Schema>;
    expect(props.periodSeconds).toEqual({
      type: 'integer',
      format: 'int32',
      description: 'How often (in seconds) to perform the probe. Default to 10 seconds. Minimum value is 1.',
    });
    expect(props.httpGet).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.HTTPGetAction' }],
      description: 'HTTPGet specifies the http request to perform.',
    });
    const container = schemas['io.k8s.api.core.v1.Container']!.properties as Record<string, Schema>;
    expect(container.livenessProbe!.description).toMatch(/^Periodic probe of container liveness/);
    // `-required-` in explain: the fields the API requires, each one of the properties.
    expect(schemas['io.k8s.api.core.v1.Container']!.required).toEqual(['name']);
    expect(schemas['io.k8s.api.core.v1.HTTPGetAction']!.required).toEqual(['port']);
    expect(schemas['io.k8s.api.core.v1.Pod']!.required).toBeUndefined();
    for (const [name, s] of Object.entries(schemas))
      for (const field of (s.required as string[] | undefined) ?? [])
        expect(Object.keys(s.properties as object), `${name}.${field}`).toContain(field);
    // An IntOrString field is described as itself, not as its type.
    const httpGet = schemas['io.k8s.api.core.v1.HTTPGetAction']!.properties as Record<string, Schema>;
    expect(httpGet.port!.description).toBe(
      'Name or number of the port to access on the container. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME.',
    );
  });

  it('carry the list merge metadata the API’s strategic merge applies', () => {
    const schemas = docOf('api/v1').components.schemas;
    const field = (type: string, name: string) =>
      (schemas[`io.k8s.api.core.v1.${type}`]!.properties as Record<string, Schema>)[name]!;
    const ext = (s: Schema) =>
      Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('x-kubernetes')));
    expect(ext(field('Container', 'env'))).toEqual({
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(ext(field('Container', 'ports'))).toMatchObject({
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      'x-kubernetes-patch-merge-key': 'containerPort',
    });
    expect(ext(field('EphemeralContainer', 'volumeMounts'))['x-kubernetes-patch-merge-key']).toBe(
      'mountPath',
    );
    expect(ext(field('PodSpec', 'volumes'))['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(ext(field('PodSpec', 'tolerations'))).toEqual({});
    const meta = schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.properties as Record<
      string,
      Schema
    >;
    expect(ext(meta.finalizers!)).toEqual({
      'x-kubernetes-list-type': 'set',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(ext(meta.ownerReferences!)['x-kubernetes-patch-merge-key']).toBe('uid');
  });

  it('offer the PATCH kubectl checks: fieldValidation, and strategic merge as a body', () => {
    const paths = docOf('api/v1').paths;
    const patch = (paths['/api/v1/namespaces/{namespace}/pods/{name}'] as Schema).patch as Schema;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect((patch.parameters as { name: string }[]).map((p) => p.name)).toContain('fieldValidation');
    expect(Object.keys((patch.requestBody as { content: object }).content)).toContain(
      'application/strategic-merge-patch+json',
    );
    // Events are read-only: a read, no writes.
    expect(Object.keys(paths['/api/v1/namespaces/{namespace}/events/{name}'] as Schema)).toEqual(['get']);
    expect(paths['/api/v1/namespaces/{namespace}/events']).toBeUndefined();
  });

  it('are listed in /openapi/v3 by a hash of their content', () => {
    const index = openApiV3Paths().paths as Record<string, { serverRelativeURL: string }>;
    expect(Object.keys(index)).toEqual(['api/v1', 'apis/authorization.k8s.io/v1']);
    for (const [path, { serverRelativeURL }] of Object.entries(index)) {
      const hash = createHash('sha512')
        .update(JSON.stringify(openApiV3Document(path)))
        .digest('hex')
        .toUpperCase();
      expect(serverRelativeURL).toBe(`/openapi/v3/${path}?hash=${hash}`);
    }
    expect(openApiV3Document('apis/batch/v1')).toBeUndefined();
  });
});

describe('OpenAPI v2 document', () => {
  it('has the definitions of the v3 documents, with resolvable references', () => {
    const v2 = openApiV2Document() as { swagger: string; definitions: Record<string, Schema> };
    expect(v2.swagger).toBe('2.0');
    const v3Names = GROUP_VERSIONS.flatMap((gv) => Object.keys(docOf(gv.path).components.schemas));
    expect(Object.keys(v2.definitions).sort()).toEqual([...new Set(v3Names)].sort());
    const pod = v2.definitions['io.k8s.api.core.v1.Pod']!;
    expect(pod['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    const v3Pod = served.find((s) => s.kind === 'Pod')!;
    expect([...documentPaths(v2.definitions, pod, '#/definitions/')]).toEqual([
      ...documentPaths(docOf('api/v1').components.schemas, v3Pod.schema),
    ]);
    expect(JSON.stringify(v2)).not.toContain('#/components/');
  });
});
