// The three patch formats, case by case: RFC 7386 merge patch (the RFC's own examples), strategic merge patch for
// the Pod lists podflow merges (apimachinery strategicpatch semantics and kubectl apply's directives) and RFC 6902
// JSON patch (the RFC's examples and failure modes).
import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, decodeJsonPatch, mergeStrategic } from '../../src/api/patch.ts';
import { ApiError } from '../../src/api/status.ts';

describe('JSON merge patch (RFC 7386 appendix A)', () => {
  it.each([
    { target: { a: 'b' }, patch: { a: 'c' }, result: { a: 'c' } },
    { target: { a: 'b' }, patch: { b: 'c' }, result: { a: 'b', b: 'c' } },
    { target: { a: 'b' }, patch: { a: null }, result: {} },
    { target: { a: 'b', b: 'c' }, patch: { a: null }, result: { b: 'c' } },
    { target: { a: ['b'] }, patch: { a: 'c' }, result: { a: 'c' } },
    { target: { a: 'c' }, patch: { a: ['b'] }, result: { a: ['b'] } },
    { target: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, result: { a: { b: 'd' } } },
    { target: { a: [{ b: 'c' }] }, patch: { a: [1] }, result: { a: [1] } },
    { target: ['a', 'b'], patch: ['c', 'd'], result: ['c', 'd'] },
    { target: { a: 'b' }, patch: ['c'], result: ['c'] },
    { target: { e: null }, patch: { a: 1 }, result: { e: null, a: 1 } },
    { target: [1, 2], patch: { a: 'b', c: null }, result: { a: 'b' } },
    { target: {}, patch: { a: { bb: { ccc: null } } }, result: { a: { bb: {} } } },
  ])('$patch onto $target', ({ target, patch, result }) => {
    expect(applyMergePatch(target, patch)).toEqual(result);
  });
});

const pod = {
  metadata: { name: 'p', labels: { a: '1' }, finalizers: ['x'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'i:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
      },
      { name: 'side', image: 's:1' },
    ],
    tolerations: [{ key: 'k1', operator: 'Exists' }],
  },
  status: {
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'example.com/gate', status: 'False' },
    ],
  },
};

describe('strategic merge patch', () => {
  it.each([
    {
      name: 'containers merge by name',
      patch: { spec: { containers: [{ name: 'side', image: 's:2' }] } },
      check: (r: typeof pod) =>
        expect(r.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=i:1', 'side=s:2']),
    },
    {
      name: 'a new container is appended',
      patch: { spec: { containers: [{ name: 'third', image: 't' }] } },
      check: (r: typeof pod) =>
        expect(r.spec.containers.map((c) => c.name)).toEqual(['app', 'side', 'third']),
    },
    {
      name: 'env merges by name inside a container',
      patch: {
        spec: {
          containers: [
            {
              name: 'app',
              env: [
                { name: 'B', value: '3' },
                { name: 'C', value: '4' },
              ],
            },
          ],
        },
      },
      check: (r: typeof pod) =>
        expect(r.spec.containers[0]!.env).toEqual([
          { name: 'A', value: '1' },
          { name: 'B', value: '3' },
          { name: 'C', value: '4' },
        ]),
    },
    {
      name: 'ports merge by containerPort',
      patch: {
        spec: {
          containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 81 }] }],
        },
      },
      check: (r: typeof pod) =>
        expect(r.spec.containers[0]!.ports).toEqual([
          { containerPort: 80, protocol: 'TCP', name: 'http' },
          { containerPort: 81 },
        ]),
    },
    {
      name: 'conditions merge by type',
      patch: { status: { conditions: [{ type: 'example.com/gate', status: 'True' }] } },
      check: (r: typeof pod) =>
        expect(r.status.conditions).toEqual([
          { type: 'Ready', status: 'False' },
          { type: 'example.com/gate', status: 'True' },
        ]),
    },
    {
      name: 'tolerations replace (no merge key)',
      patch: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } },
      check: (r: typeof pod) => expect(r.spec.tolerations).toEqual([{ key: 'k2', operator: 'Exists' }]),
    },
    {
      name: '$patch: delete removes a list element by its merge key',
      patch: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } },
      check: (r: typeof pod) => expect(r.spec.containers.map((c) => c.name)).toEqual(['app']),
    },
    {
      name: '$patch: replace on a list element replaces the whole list',
      patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o' }] } },
      check: (r: typeof pod) => expect(r.spec.containers).toEqual([{ name: 'only', image: 'o' }]),
    },
    {
      name: '$patch: replace on a map replaces the map',
      patch: { metadata: { labels: { $patch: 'replace', b: '2' } } },
      check: (r: typeof pod) => expect(r.metadata.labels).toEqual({ b: '2' }),
    },
    {
      name: 'null deletes a map key',
      patch: { metadata: { labels: { a: null, c: '3' } } },
      check: (r: typeof pod) => expect(r.metadata.labels).toEqual({ c: '3' }),
    },
    {
      name: '$setElementOrder orders the merged list (kubectl apply)',
      patch: {
        spec: {
          '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }],
          containers: [{ name: 'app', image: 'i:2' }],
        },
      },
      check: (r: typeof pod) =>
        expect(r.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['side=s:1', 'app=i:2']),
    },
    {
      name: 'finalizers merge as a set; $deleteFromPrimitiveList removes',
      patch: { metadata: { finalizers: ['y', 'x'], '$deleteFromPrimitiveList/finalizers': ['x'] } },
      check: (r: typeof pod) => expect(r.metadata.finalizers).toEqual(['y']),
    },
  ])('$name', ({ patch, check }) => {
    const result = mergeStrategic(structuredClone(pod), patch) as typeof pod;
    check(result);
    expect(pod.spec.containers).toHaveLength(2); // the input is not mutated
  });

  it('a list element without its merge key cannot be applied (422)', () => {
    expect(() => mergeStrategic(pod, { spec: { containers: [{ image: 'x' }] } })).toThrowError(
      expect.objectContaining({
        code: 422,
        message: expect.stringContaining('does not contain declared merge key: name'),
      }),
    );
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc = { foo: 'bar', list: ['a', 'b'], nested: { x: 1 } };
  it.each([
    {
      name: 'add a member',
      ops: [{ op: 'add', path: '/baz', value: 'qux' }],
      result: { ...doc, baz: 'qux' },
    },
    {
      name: 'add into a list',
      ops: [{ op: 'add', path: '/list/1', value: 'z' }],
      result: { ...doc, list: ['a', 'z', 'b'] },
    },
    {
      name: 'add at the end with -',
      ops: [{ op: 'add', path: '/list/-', value: 'c' }],
      result: { ...doc, list: ['a', 'b', 'c'] },
    },
    {
      name: 'remove a member',
      ops: [{ op: 'remove', path: '/foo' }],
      result: { list: ['a', 'b'], nested: { x: 1 } },
    },
    { name: 'remove from a list', ops: [{ op: 'remove', path: '/list/0' }], result: { ...doc, list: ['b'] } },
    {
      name: 'replace',
      ops: [{ op: 'replace', path: '/nested/x', value: 2 }],
      result: { ...doc, nested: { x: 2 } },
    },
    {
      name: 'move',
      ops: [{ op: 'move', from: '/foo', path: '/nested/foo' }],
      result: { list: ['a', 'b'], nested: { x: 1, foo: 'bar' } },
    },
    {
      name: 'copy',
      ops: [{ op: 'copy', from: '/nested', path: '/copy' }],
      result: { ...doc, copy: { x: 1 } },
    },
    { name: 'test that holds', ops: [{ op: 'test', path: '/list', value: ['a', 'b'] }], result: doc },
    {
      name: 'escaped pointer',
      ops: [{ op: 'add', path: '/a~1b~0c', value: 1 }],
      result: { ...doc, 'a/b~c': 1 },
    },
  ])('$name', ({ ops, result }) => {
    expect(applyJsonPatch(doc, decodeJsonPatch(ops))).toEqual(result);
  });

  it.each([
    { name: 'replace of a missing member', ops: [{ op: 'replace', path: '/missing', value: 1 }] },
    { name: 'remove of a missing member', ops: [{ op: 'remove', path: '/missing' }] },
    { name: 'add under a missing parent', ops: [{ op: 'add', path: '/no/such/parent', value: 1 }] },
    { name: 'index out of bounds', ops: [{ op: 'add', path: '/list/5', value: 1 }] },
    { name: 'test that fails', ops: [{ op: 'test', path: '/foo', value: 'baz' }] },
    { name: 'move into its own child', ops: [{ op: 'move', from: '/nested', path: '/nested/x/y' }] },
  ])('$name → 422', ({ ops }) => {
    expect(() => applyJsonPatch(doc, decodeJsonPatch(ops))).toThrowError(
      expect.objectContaining({ code: 422 }),
    );
  });

  it.each([
    { name: 'not a list', doc: { op: 'add' } },
    { name: 'unknown op', doc: [{ op: 'frobnicate', path: '/a' }] },
    { name: 'missing path', doc: [{ op: 'add', value: 1 }] },
    { name: 'add without value', doc: [{ op: 'add', path: '/a' }] },
    { name: 'move without from', doc: [{ op: 'move', path: '/a' }] },
  ])('$name → 400', ({ doc: patch }) => {
    let err: unknown;
    try {
      decodeJsonPatch(patch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
  });
});
