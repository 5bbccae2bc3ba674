// Cases from apimachinery pkg/api/resource/quantity_test.go (TestQuantityParse, TestQuantityString,
// TestQuantityParseEmit) and docs/semantics.md §8.
import { describe, expect, it } from 'vitest';
import {
  QUANTITY_FORMAT_ERROR,
  QuantityParseError,
  addQuantities,
  compareQuantities,
  formatQuantity,
  parseQuantity,
  quantityFromInteger,
  quantityFromMilli,
  toMilli,
  toNumber,
  toValue,
  tryParseQuantity,
} from '../../src/core/quantity.ts';
import type { QuantityFormat } from '../../src/core/quantity.ts';

describe('parseQuantity', () => {
  it.each<{ name: string; input: string | number; nanos: bigint; format: QuantityFormat; canonical: string }>(
    [
      {
        name: '500m cpu is half a core',
        input: '500m',
        nanos: 500_000_000n,
        format: 'DecimalSI',
        canonical: '500m',
      },
      {
        name: '1.5 becomes 1500m',
        input: '1.5',
        nanos: 1_500_000_000n,
        format: 'DecimalSI',
        canonical: '1500m',
      },
      {
        name: '128Mi is 134217728 bytes',
        input: '128Mi',
        nanos: 134_217_728n * 10n ** 9n,
        format: 'BinarySI',
        canonical: '128Mi',
      },
      { name: '1G is 10^9', input: '1G', nanos: 10n ** 18n, format: 'DecimalSI', canonical: '1G' },
      {
        name: '1e3 keeps the exponent format',
        input: '1e3',
        nanos: 1000n * 10n ** 9n,
        format: 'DecimalExponent',
        canonical: '1e3',
      },
      {
        name: '1E-3 is a milli exponent',
        input: '1E-3',
        nanos: 1_000_000n,
        format: 'DecimalExponent',
        canonical: '1e-3',
      },
      {
        name: '1.3E+6 lowers the exponent to a multiple of 3',
        input: '1.3E+6',
        nanos: 1_300_000n * 10n ** 9n,
        format: 'DecimalExponent',
        canonical: '1300e3',
      },
      {
        name: '.5Gi is 512Mi',
        input: '.5Gi',
        nanos: 536_870_912n * 10n ** 9n,
        format: 'BinarySI',
        canonical: '512Mi',
      },
      {
        name: '1.5Gi is 1536Mi',
        input: '1.5Gi',
        nanos: 1536n * 1024n * 1024n * 10n ** 9n,
        format: 'BinarySI',
        canonical: '1536Mi',
      },
      {
        name: '1024Mi is 1Gi',
        input: '1024Mi',
        nanos: 1024n ** 3n * 10n ** 9n,
        format: 'BinarySI',
        canonical: '1Gi',
      },
      { name: '0 is DecimalSI zero', input: '0', nanos: 0n, format: 'DecimalSI', canonical: '0' },
      {
        name: '0Mi is BinarySI zero, printed 0',
        input: '0Mi',
        nanos: 0n,
        format: 'BinarySI',
        canonical: '0',
      },
      { name: '100 stays 100', input: '100', nanos: 100n * 10n ** 9n, format: 'DecimalSI', canonical: '100' },
      {
        name: '1000 becomes 1k',
        input: '1000',
        nanos: 1000n * 10n ** 9n,
        format: 'DecimalSI',
        canonical: '1k',
      },
      { name: '1000M becomes 1G', input: '1000M', nanos: 10n ** 18n, format: 'DecimalSI', canonical: '1G' },
      {
        name: 'number 0.5 (YAML float) is 500m',
        input: 0.5,
        nanos: 500_000_000n,
        format: 'DecimalSI',
        canonical: '500m',
      },
      { name: 'number 2 is 2', input: 2, nanos: 2n * 10n ** 9n, format: 'DecimalSI', canonical: '2' },
      {
        name: 'number 1e21 reads as an exponent',
        input: 1e21,
        nanos: 10n ** 30n,
        format: 'DecimalExponent',
        canonical: '1e21',
      },
      {
        name: '-500m is negative',
        input: '-500m',
        nanos: -500_000_000n,
        format: 'DecimalSI',
        canonical: '-500m',
      },
      { name: '+1 drops the sign', input: '+1', nanos: 10n ** 9n, format: 'DecimalSI', canonical: '1' },
      {
        name: '1. has an empty fraction',
        input: '1.',
        nanos: 10n ** 9n,
        format: 'DecimalSI',
        canonical: '1',
      },
      { name: '1.G is 1G', input: '1.G', nanos: 10n ** 18n, format: 'DecimalSI', canonical: '1G' },
      {
        name: '.001Ki stays exact as DecimalSI text',
        input: '.001Ki',
        nanos: 1_024_000_000n,
        format: 'BinarySI',
        canonical: '1024m',
      },
      {
        name: '100.035Ki is not whole → DecimalSI text',
        input: '100.035Ki',
        nanos: 102_435_840_000_000n,
        format: 'BinarySI',
        canonical: '102435840m',
      },
      { name: '3.001n rounds up to 4n', input: '3.001n', nanos: 4n, format: 'DecimalSI', canonical: '4n' },
      {
        name: '0.0000000001 rounds up to 1n',
        input: '0.0000000001',
        nanos: 1n,
        format: 'DecimalSI',
        canonical: '1n',
      },
      {
        name: 'tiny binary below 1 becomes DecimalSI',
        input: '0.000000000001Ki',
        nanos: 2n,
        format: 'DecimalSI',
        canonical: '2n',
      },
      {
        name: '1e-100 rounds up to 1n',
        input: '1e-100',
        nanos: 1n,
        format: 'DecimalExponent',
        canonical: '1e-9',
      },
      {
        name: '9Ei is capped at 2^63-1',
        input: '9Ei',
        nanos: (2n ** 63n - 1n) * 10n ** 9n,
        format: 'BinarySI',
        canonical: '9223372036854775807',
      },
      {
        name: '1E is exa, not an exponent',
        input: '1E',
        nanos: 10n ** 27n,
        format: 'DecimalSI',
        canonical: '1E',
      },
      {
        name: '10^19 prints as 10E',
        input: '10000000000000000000',
        nanos: 10n ** 28n,
        format: 'DecimalSI',
        canonical: '10E',
      },
      {
        name: 'surrounding whitespace is trimmed as by UnmarshalJSON',
        input: ' 2Gi ',
        nanos: 2n * 1024n ** 3n * 10n ** 9n,
        format: 'BinarySI',
        canonical: '2Gi',
      },
    ],
  )('$name', ({ input, nanos, format, canonical }) => {
    const q = parseQuantity(input);
    expect(q.nanos).toBe(nanos);
    expect(q.format).toBe(format);
    expect(formatQuantity(q)).toBe(canonical);
  });

  it.each<{ name: string; input: string | number; kind: 'format' | 'numeric' | 'suffix' }>([
    { name: 'two decimal points', input: '1.2.3', kind: 'format' },
    { name: 'suffix without a number', input: 'Mi', kind: 'format' },
    { name: 'sign alone', input: '-', kind: 'format' },
    { name: 'unknown trailing letter', input: '12MiB', kind: 'format' },
    { name: 'letters', input: 'abc', kind: 'format' },
    { name: 'empty string', input: '', kind: 'format' },
    { name: 'whitespace only', input: '   ', kind: 'format' },
    { name: 'sign inside the number', input: '1+1.0M', kind: 'format' },
    { name: 'not a number', input: Number.NaN, kind: 'format' },
    { name: 'infinity', input: Number.POSITIVE_INFINITY, kind: 'format' },
    { name: 'digits after a binary suffix', input: '1Mi1', kind: 'suffix' },
    { name: 'lower-case binary suffix', input: '0.1mi', kind: 'suffix' },
    { name: 'bare i', input: '1i', kind: 'suffix' },
    { name: 'exponent without digits', input: '-3.01e-', kind: 'suffix' },
    { name: 'point without digits', input: '.', kind: 'numeric' },
    { name: 'exponent too large to hold', input: '1e1000', kind: 'numeric' },
  ])('rejects $name', ({ input, kind }) => {
    let caught: unknown;
    try {
      parseQuantity(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QuantityParseError);
    expect((caught as QuantityParseError).kind).toBe(kind);
    if (kind === 'format') {
      expect((caught as Error).message).toBe(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      );
    }
    expect(tryParseQuantity(input)).toBeUndefined();
  });

  it('exports the API server format error text', () => {
    expect(QUANTITY_FORMAT_ERROR).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
  });

  it('tryParseQuantity passes undefined through and parses valid input', () => {
    expect(tryParseQuantity(undefined)).toBeUndefined();
    expect(tryParseQuantity('1Ki')?.nanos).toBe(1024n * 10n ** 9n);
  });
});

describe('integer views', () => {
  it.each([
    { name: '500m → value 1, milli 500', input: '500m', value: 1n, milli: 500n, number: 0.5 },
    {
      name: '128Mi → value 134217728',
      input: '128Mi',
      value: 134_217_728n,
      milli: 134_217_728_000n,
      number: 134_217_728,
    },
    { name: '100u → milli rounds up to 1', input: '100u', value: 1n, milli: 1n, number: 0.0001 },
    { name: '1.5 → value rounds up to 2', input: '1.5', value: 2n, milli: 1500n, number: 1.5 },
    { name: '-1.5 → rounds away from zero', input: '-1.5', value: -2n, milli: -1500n, number: -1.5 },
    { name: '0 → 0', input: '0', value: 0n, milli: 0n, number: 0 },
    { name: '1e3 → 1000', input: '1e3', value: 1000n, milli: 1_000_000n, number: 1000 },
  ])('$name', ({ input, value, milli, number }) => {
    const q = parseQuantity(input);
    expect(toValue(q)).toBe(value);
    expect(toMilli(q)).toBe(milli);
    expect(toNumber(q)).toBeCloseTo(number, 12);
  });
});

describe('compareQuantities', () => {
  it.each([
    { name: '1 equals 1000m', a: '1', b: '1000m', expected: 0 },
    { name: '1Ki equals 1024', a: '1Ki', b: '1024', expected: 0 },
    { name: '128Mi equals 134217728', a: '128Mi', b: '134217728', expected: 0 },
    { name: '1G is less than 1Gi', a: '1G', b: '1Gi', expected: -1 },
    { name: '500m is more than 499m', a: '500m', b: '499m', expected: 1 },
    { name: '-1 is less than 0', a: '-1', b: '0', expected: -1 },
  ])('$name', ({ a, b, expected }) => {
    expect(compareQuantities(parseQuantity(a), parseQuantity(b))).toBe(expected);
  });
});

describe('formatQuantity with an explicit format', () => {
  it.each<{
    name: string;
    q: () => ReturnType<typeof parseQuantity>;
    format: QuantityFormat;
    expected: string;
  }>([
    {
      name: '134217728 as BinarySI → 128Mi',
      q: () => quantityFromInteger(134_217_728),
      format: 'BinarySI',
      expected: '128Mi',
    },
    {
      name: '1000 as DecimalSI → 1k',
      q: () => quantityFromInteger(1000),
      format: 'DecimalSI',
      expected: '1k',
    },
    {
      name: '1000 as BinarySI (< 1024) → 1k',
      q: () => quantityFromInteger(1000),
      format: 'BinarySI',
      expected: '1k',
    },
    {
      name: '1025 as BinarySI → 1025',
      q: () => quantityFromInteger(1025),
      format: 'BinarySI',
      expected: '1025',
    },
    {
      name: '500 milli as BinarySI → 500m',
      q: () => quantityFromMilli(500),
      format: 'BinarySI',
      expected: '500m',
    },
    {
      name: '300Mi as BinarySI',
      q: () => quantityFromInteger(300 * 1024 * 1024),
      format: 'BinarySI',
      expected: '300Mi',
    },
    {
      name: '1Gi as DecimalSI → 1073741824',
      q: () => parseQuantity('1Gi'),
      format: 'DecimalSI',
      expected: '1073741824',
    },
    {
      name: '80m as DecimalExponent → 80e-3',
      q: () => quantityFromMilli(80),
      format: 'DecimalExponent',
      expected: '80e-3',
    },
    {
      name: '300M as DecimalExponent → 300e6',
      q: () => quantityFromInteger(300_000_000),
      format: 'DecimalExponent',
      expected: '300e6',
    },
    { name: '1080m stays 1080m', q: () => quantityFromMilli(1080), format: 'DecimalSI', expected: '1080m' },
    {
      name: '1000E keeps the E suffix',
      q: () => quantityFromInteger(10n ** 21n),
      format: 'DecimalSI',
      expected: '1000E',
    },
  ])('$name', ({ q, format, expected }) => {
    expect(formatQuantity(q(), format)).toBe(expected);
  });
});

describe('addQuantities', () => {
  it('sums exactly and keeps the first non-zero format', () => {
    const sum = addQuantities(parseQuantity('500m'), parseQuantity('1.5'));
    expect(formatQuantity(sum)).toBe('2');
    const fromZero = addQuantities(parseQuantity('0'), parseQuantity('1Mi'));
    expect(fromZero.format).toBe('BinarySI');
    expect(formatQuantity(addQuantities(parseQuantity('1Mi'), parseQuantity('1Mi')))).toBe('2Mi');
  });
});
