// []byte fields (Secret.data, ConfigMap.binaryData) through the schema decoder: base64 checked as Go's
// encoding/json does, the value kept as base64, the errors in encoding/json's words.
import { describe, expect, it } from 'vitest';
import { decodeWithSchema } from '../../src/core/manifest/decode-object.ts';
import { ROOT_TYPES } from '../../src/core/manifest/schema.generated.ts';

const decodeSecret = (data: unknown) =>
  decodeWithSchema(
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data },
    ROOT_TYPES['v1/Secret']!,
  );

describe('bytes', () => {
  it('keeps valid base64 as it is', () => {
    const r = decodeSecret({ a: 'aGVsbG8=', empty: '' });
    expect(r.typeErrors).toEqual([]);
    expect(r.object.data).toEqual({ a: 'aGVsbG8=', empty: '' });
  });

  it.each([
    { name: 'malformed base64', data: { a: 'hello!' }, want: 'illegal base64 data at input byte 5' },
    { name: 'missing padding', data: { a: 'aGVsbG8' }, want: 'illegal base64 data at input byte 4' },
    {
      name: 'a number',
      data: { a: 1 },
      want: 'json: cannot unmarshal number into Go struct field Secret.data of type []uint8',
    },
    {
      name: 'a list for the map',
      data: ['a'],
      want: 'json: cannot unmarshal array into Go struct field Secret.data of type map[string][]uint8',
    },
  ])('refuses $name', ({ data, want }) => {
    expect(decodeSecret(data).typeErrors).toEqual([want]);
  });

  it('stringData is plain text, and an unknown field is reported', () => {
    const r = decodeWithSchema(
      { kind: 'Secret', stringData: { a: 'not base64!' }, datta: {} },
      ROOT_TYPES['v1/Secret']!,
    );
    expect(r.typeErrors).toEqual([]);
    expect(r.unknownFields).toEqual(['datta']);
  });
});
