// Name length limits count UTF-8 bytes, as Go's len does (k8s.io/apimachinery/pkg/util/validation), not UTF-16 units.
import { describe, expect, it } from 'vitest';
import { isDns1123Label, isDns1123Subdomain } from '../../src/core/manifest/name-rules.ts';

const tooLong = (n: number) => `must be no more than ${n} characters`;

describe('name length rules', () => {
  it('a DNS label: 63 bytes pass, 64 do not', () => {
    expect(isDns1123Label('a'.repeat(63))).toEqual([]);
    expect(isDns1123Label('a'.repeat(64))).toContain(tooLong(63));
  });

  it('multi-byte characters count by their UTF-8 bytes: 21 × 3 bytes pass the length, 22 × 3 do not', () => {
    // Invalid characters for a label either way; the length message is what differs.
    expect(isDns1123Label('日'.repeat(21))).not.toContain(tooLong(63));
    expect(isDns1123Label('日'.repeat(22))).toContain(tooLong(63));
    expect(isDns1123Label('😀'.repeat(16))).toContain(tooLong(63)); // 4 bytes each: 64
    expect(isDns1123Label('😀'.repeat(15))).not.toContain(tooLong(63));
  });

  it('a DNS subdomain: 253 bytes pass, 254 do not', () => {
    const label = 'a'.repeat(63);
    const name = [label, label, label, 'a'.repeat(61)].join('.');
    expect(name).toHaveLength(253);
    expect(isDns1123Subdomain(name)).toEqual([]);
    expect(isDns1123Subdomain(`${name}a`)).toContain(tooLong(253));
    expect(isDns1123Subdomain('é'.repeat(127))).toContain(tooLong(253)); // 2 bytes each: 254
  });
});
