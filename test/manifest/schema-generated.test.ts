// core/manifest/schema.generated.ts is committed; it must be what scripts/gen-manifest-schema.ts produces from the
// installed @kubernetes/client-node models (run `npm run gen:schema` after upgrading it).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ROOT_TYPES, MANIFEST_SCHEMA } from '../../src/core/manifest/schema.generated.ts';
import {
  DESCRIPTIONS_FILE,
  renderDescriptions,
  renderManifestSchema,
  SCHEMA_FILE,
} from '../../scripts/gen-manifest-schema.ts';
import { SCHEMA_DESCRIPTIONS } from '../../src/core/manifest/schema-descriptions.generated.ts';

describe('schema.generated.ts', () => {
  it('is up to date with @kubernetes/client-node', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(await renderManifestSchema());
  });

  it('schema-descriptions.generated.ts is up to date, and describes nearly every type and field', async () => {
    expect(await readFile(DESCRIPTIONS_FILE, 'utf8')).toBe(await renderDescriptions());
    // Fields newer than the kubernetes-types declarations have no comment when their type is a model; they stay few.
    const fields = Object.entries(MANIFEST_SCHEMA).flatMap(([t, f]) =>
      ['', ...Object.keys(f)].map((k) => [t, k]),
    );
    const missing = fields.filter(([t, k]) => !SCHEMA_DESCRIPTIONS[t!]?.[k!]);
    expect(missing.length).toBeLessThan(fields.length / 50);
    expect(SCHEMA_DESCRIPTIONS.V1Probe?.exec).toBe('Exec specifies the action to take.');
    expect(SCHEMA_DESCRIPTIONS.V1SelfSubjectAccessReview?.['']).toContain('"in all namespaces"');
  });

  it.each([
    { type: 'V1Container', field: 'image', expected: 'string' },
    { type: 'V1Container', field: 'ports', expected: 'V1ContainerPort[]' },
    { type: 'V1ObjectMeta', field: 'labels', expected: '{string}' },
    { type: 'V1ResourceRequirements', field: 'limits', expected: '{quantity}' },
    { type: 'V1HTTPGetAction', field: 'port', expected: 'int-or-string' },
    { type: 'V1Probe', field: 'periodSeconds', expected: 'int32' },
    { type: 'V1PodSpec', field: 'activeDeadlineSeconds', expected: 'int64' },
    { type: 'V1Secret', field: 'data', expected: '{bytes}' },
    { type: 'V1ConfigMap', field: 'binaryData', expected: '{bytes}' },
    { type: 'V1ConfigMap', field: 'data', expected: '{string}' },
  ])('declares $type.$field as $expected', ({ type, field, expected }) => {
    expect(MANIFEST_SCHEMA[type]?.[field]).toBe(expected);
  });

  it('reaches every type it names, from the kinds podflow admits or serves', () => {
    const names = new Set(Object.keys(MANIFEST_SCHEMA));
    const primitives = new Set([
      'string',
      'int32',
      'int64',
      'number',
      'boolean',
      'date-time',
      'quantity',
      'int-or-string',
      'bytes',
      'any',
    ]);
    const missing = Object.values(MANIFEST_SCHEMA)
      .flatMap((fields) => Object.values(fields))
      .map((t) => t.replace(/\[\]$/, '').replace(/^\{(.*)\}$/, '$1'))
      .filter((t) => !primitives.has(t) && !names.has(t));
    expect(missing).toEqual([]);
    expect(Object.values(ROOT_TYPES).every((t) => names.has(t))).toBe(true);
  });
});
