// Base64 as Go's base64.StdEncoding decodes a JSON []byte (what the API server does with Secret.data): the cases and
// offsets follow encoding/base64 decodeQuantum.
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64, encodeBase64Text } from '../../src/core/base64.ts';

const text = (s: string): string => {
  const r = decodeBase64(s);
  if (!r.ok) throw new Error(r.message);
  return new TextDecoder().decode(r.bytes);
};

describe('decodeBase64', () => {
  it.each([
    { name: 'a full quantum', input: 'aGVs', want: 'hel' },
    { name: 'one padding byte', input: 'aGU=', want: 'he' },
    { name: 'two padding bytes', input: 'aA==', want: 'h' },
    { name: 'empty', input: '', want: '' },
    { name: 'newlines anywhere are skipped', input: 'aGVs\nbG8=\r\n', want: 'hello' },
    { name: 'newlines inside the padding', input: 'aA=\n=', want: 'h' },
    { name: 'UTF-8 content', input: 'Y2Fmw6kg4piD', want: 'café ☃' },
    { name: 'non-zero trailing bits are tolerated (not strict)', input: 'aB==', want: 'h' },
  ])('$name', ({ input, want }) => {
    expect(text(input)).toBe(want);
  });

  it.each([
    { name: 'missing padding', input: 'aGVsbG8', at: 4 },
    { name: 'a character outside the alphabet', input: 'not base64!', at: 3 },
    { name: 'URL-safe alphabet', input: 'a-_b', at: 1 },
    { name: 'padding too early', input: 'a===', at: 1 },
    { name: 'padding at the start', input: '====', at: 0 },
    { name: 'data after the padding', input: 'aGVsbG8=x', at: 8 },
    { name: 'a third padding byte', input: 'aA===', at: 4 },
    { name: 'one "=" where two are needed', input: 'aA=', at: 3 },
    { name: 'a character after a single "=" where two are needed', input: 'aA=x', at: 2 },
    { name: 'a lone character', input: 'a', at: 0 },
    { name: 'a multi-byte character counts its UTF-8 bytes', input: 'aGVs☃', at: 4 },
  ])('$name: illegal base64 data at input byte $at', ({ input, at }) => {
    expect(decodeBase64(input)).toEqual({ ok: false, message: `illegal base64 data at input byte ${at}` });
  });
});

describe('encodeBase64', () => {
  it.each(['', 'h', 'he', 'hel', 'hello', 'café ☃ 𝄞'])('round-trips %j', (s) => {
    expect(encodeBase64Text(s)).toBe(Buffer.from(s).toString('base64'));
    expect(text(encodeBase64Text(s))).toBe(s);
  });

  it('encodes any bytes as Buffer does', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });
});
