import { describe, expect, it } from 'vitest';
import { DurationParseError, formatGoDuration, parseDuration } from '../../src/core/duration.ts';

// Expected values are what Go's time.ParseDuration / time.Duration.String() return for the same input.

describe('parseDuration', () => {
  it.each([
    { name: 'milliseconds', input: '500ms', ms: 500 },
    { name: 'seconds', input: '10s', ms: 10_000 },
    { name: 'minutes', input: '5m', ms: 300_000 },
    { name: 'hours', input: '1h', ms: 3_600_000 },
    { name: 'compound minutes and seconds', input: '1m30s', ms: 90_000 },
    { name: 'compound with every unit', input: '1h2m3s4ms', ms: 3_723_004 },
    { name: 'fractional seconds', input: '1.5s', ms: 1_500 },
    { name: 'fraction without leading digit', input: '.5s', ms: 500 },
    { name: 'trailing dot is allowed', input: '1.s', ms: 1_000 },
    { name: 'fractional hour is exact', input: '1.1h', ms: 3_960_000 },
    { name: 'bare zero needs no unit', input: '0', ms: 0 },
    { name: 'zero with unit', input: '0s', ms: 0 },
    { name: 'microseconds (us)', input: '1500us', ms: 1.5 },
    { name: 'microseconds (micro sign)', input: '250µs', ms: 0.25 },
    { name: 'microseconds (Greek mu)', input: '250μs', ms: 0.25 },
    { name: 'nanoseconds', input: '2000000ns', ms: 2 },
    { name: 'explicit plus sign', input: '+10s', ms: 10_000 },
    { name: 'negative duration (Go accepts it)', input: '-1m', ms: -60_000 },
    { name: 'units may repeat', input: '1s1s', ms: 2_000 },
  ])('$name: $input → $ms ms', ({ input, ms }) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    { name: 'empty string', input: '', message: 'time: invalid duration ""' },
    { name: 'sign only', input: '-', message: 'time: invalid duration "-"' },
    { name: 'number without unit', input: '10', message: 'time: missing unit in duration "10"' },
    { name: 'trailing number without unit', input: '1m30', message: 'time: missing unit in duration "1m30"' },
    { name: 'days are not a Go unit', input: '1d', message: 'time: unknown unit "d" in duration "1d"' },
    { name: 'upper-case unit', input: '10S', message: 'time: unknown unit "S" in duration "10S"' },
    { name: 'words', input: 'ten seconds', message: 'time: invalid duration "ten seconds"' },
    { name: 'dot without digits', input: '.s', message: 'time: invalid duration ".s"' },
    { name: 'space inside', input: '10 s', message: 'time: unknown unit " s" in duration "10 s"' },
    {
      name: 'overflow of int64 nanoseconds',
      input: '9999999999h',
      message: 'time: invalid duration "9999999999h"',
    },
  ])('rejects $name ($input)', ({ input, message }) => {
    let thrown: unknown;
    try {
      parseDuration(input);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DurationParseError);
    expect((thrown as DurationParseError).message).toBe(message);
    expect((thrown as DurationParseError).input).toBe(input);
  });
});

describe('formatGoDuration', () => {
  it.each([
    { name: 'zero', ms: 0, text: '0s' },
    { name: 'sub-second uses ms', ms: 500, text: '500ms' },
    { name: 'fractional milliseconds', ms: 1.5, text: '1.5ms' },
    { name: 'microseconds use the micro sign', ms: 0.25, text: '250µs' },
    { name: 'nanoseconds', ms: 0.000_001, text: '1ns' },
    { name: 'whole seconds', ms: 10_000, text: '10s' },
    { name: 'back-off 20s', ms: 20_000, text: '20s' },
    { name: 'back-off 40s', ms: 40_000, text: '40s' },
    { name: 'fractional seconds drop trailing zeros', ms: 1_500, text: '1.5s' },
    { name: 'milliseconds above a second', ms: 1_001, text: '1.001s' },
    { name: 'minutes and seconds', ms: 80_000, text: '1m20s' },
    { name: 'back-off 160s', ms: 160_000, text: '2m40s' },
    { name: 'whole minutes keep 0s', ms: 300_000, text: '5m0s' },
    { name: 'an hour keeps 0m0s', ms: 3_600_000, text: '1h0m0s' },
    { name: 'hours minutes seconds fraction', ms: 3_723_004, text: '1h2m3.004s' },
    { name: 'negative', ms: -1_500, text: '-1.5s' },
  ])('$name: $ms ms → $text', ({ ms, text }) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it.each([
    { name: 'compound', text: '1m30s' },
    { name: 'sub-second', text: '200ms' },
    { name: 'hours', text: '2h0m0s' },
    { name: 'fraction', text: '1.6s' },
  ])('round-trips $name ($text)', ({ text }) => {
    expect(formatGoDuration(parseDuration(text))).toBe(text);
  });

  it('rejects a non-finite duration', () => {
    expect(() => formatGoDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
