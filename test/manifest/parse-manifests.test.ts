// Reading manifest text: YAML documents, JSON, Lists, syntax errors with line:column, duplicate keys, YAML 1.1.
import { describe, expect, it } from 'vitest';
import { formatManifestError, parseManifests } from '../../src/core/manifest/parse-manifests.ts';

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n';

describe('parseManifests', () => {
  it.each([
    { name: 'one YAML document', text: POD, docs: [0], lines: [1] },
    {
      name: 'several documents; empty ones and comment-only ones are skipped',
      text: `---\n${POD}---\n\n---\n# nothing\n---\n${POD}`,
      docs: [0, 3],
      lines: [2, 11],
    },
    {
      name: 'a JSON object',
      text: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}',
      docs: [0],
      lines: [1],
    },
    {
      name: 'a JSON array of objects',
      text: '[\n {"apiVersion": "v1", "kind": "Pod"},\n {"apiVersion": "batch/v1", "kind": "Job"}\n]',
      docs: [0, 0],
      lines: [2, 3],
    },
    {
      name: 'a kind: List with items',
      text: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n- apiVersion: v1\n  kind: Pod\n',
      docs: [0, 0],
      lines: [4, 6],
    },
    { name: 'an empty text', text: '', docs: [], lines: [] },
  ])('$name', ({ text, docs, lines }) => {
    const r = parseManifests(text, 'm.yaml');
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => o.doc)).toEqual(docs);
    expect(r.objects.map((o) => o.line)).toEqual(lines);
  });

  it('numbers the items of a List and of a JSON array', () => {
    const r = parseManifests('[{"kind": "Pod"}, {"kind": "Pod"}]', 'm.json');
    expect(r.objects.map((o) => o.item)).toEqual([0, 1]);
    expect(r.objects.every((o) => o.json)).toBe(true);
  });

  it.each([
    {
      name: 'a tab used as indentation',
      text: 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  lables:\n  \tapp: name\n',
      error: 'seed.yaml:5:3: Tabs are not allowed as indentation',
    },
    { name: 'an unterminated quote', text: "kind: 'Pod\n", error: "seed.yaml:2:1: Missing closing 'quote" },
    {
      name: 'a mapping nested in a compact mapping',
      text: 'kind: Pod: x\n',
      error: 'seed.yaml:1:7: Nested mappings are not allowed in compact mappings',
    },
    {
      name: 'a broken document among good ones (only it fails)',
      text: `${POD}---\nkind: [Pod\nx: 1\n`,
      error:
        'seed.yaml:7:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    },
  ])('a syntax error names line:column — $name', ({ text, error }) => {
    const r = parseManifests(text, 'seed.yaml');
    expect(r.errors.map(formatManifestError)).toContain(error);
  });

  it('keeps the objects of the documents that parse', () => {
    const r = parseManifests(`${POD}---\nkind: [Pod\nx: 1\n`, 'm.yaml');
    expect(r.objects).toHaveLength(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.doc).toBe(1);
  });

  it.each([
    {
      name: 'a scalar document',
      text: 'hello\n',
      error:
        'm.yaml:1:1: expected a Kubernetes object (a mapping with apiVersion and kind), found a string ("hello")',
    },
    {
      name: 'an unresolved alias',
      text: 'kind: *nope\n',
      error: 'm.yaml:1:1: Unresolved alias (the anchor must be set before the alias): nope',
    },
  ])('refuses $name', ({ text, error }) => {
    expect(parseManifests(text, 'm.yaml').errors.map(formatManifestError)).toEqual([error]);
  });

  it.each([
    {
      name: 'YAML: go-yaml’s text with the line of the second key',
      text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\nspec:\n  containers:\n  - name: c\n    image: x\n    image: y\n',
      duplicates: ['line 5: key "name" already set in map', 'line 10: key "image" already set in map'],
      value: 'b',
    },
    {
      name: 'JSON: the JSON decoder’s text with the field path',
      text: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "name": "b"}, "spec": {"containers": [{"image": "x", "image": "y"}]}}',
      duplicates: ['duplicate field "metadata.name"', 'duplicate field "spec.containers[0].image"'],
      value: 'b',
    },
  ])(
    'reports duplicate keys as the API server does — $name; the last one wins',
    ({ text, duplicates, value }) => {
      const [obj] = parseManifests(text, 'm').objects;
      expect(obj!.duplicateFields).toEqual(duplicates);
      expect((obj!.object.metadata as { name: string }).name).toBe(value);
    },
  );

  it.each([
    {
      name: '`yes` is a boolean (so a string field rejects it, as in Kubernetes)',
      yaml: 'v: yes',
      expected: true,
    },
    { name: '`on` is a boolean', yaml: 'v: on', expected: true },
    { name: '0644 is octal', yaml: 'v: 0644', expected: 420 },
    { name: 'a quoted "yes" is a string', yaml: 'v: "yes"', expected: 'yes' },
    { name: 'a date stays a string', yaml: 'v: 2026-01-02', expected: '2026-01-02' },
    { name: '1:30 stays a string (no sexagesimal numbers)', yaml: 'v: 1:30', expected: '1:30' },
    { name: 'underscores in numbers', yaml: 'v: 1_000', expected: 1000 },
    { name: 'merge keys', yaml: 'base: &b {x: 1}\nv:\n  <<: *b', expected: { x: 1 } },
  ])('reads YAML 1.1 scalars like go-yaml v2: $name', ({ yaml, expected }) => {
    const [obj] = parseManifests(`kind: Pod\n${yaml}\n`, 'm.yaml').objects;
    expect(obj!.object.v).toEqual(expected);
  });
});
