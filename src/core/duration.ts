// Durations as kubectl and Go write them (`500ms`, `1m30s`, `5m0s`), in both directions.
// Reproduces Go's time.ParseDuration and time.Duration.String() (go/src/time/format.go, time.go), because the
// kubelet prints durations with %s (e.g. the CrashLoopBackOff message `back-off 40s restarting failed …`) and
// users write them in annotations the same way.
// Internally everything is computed in integer nanoseconds (BigInt) like Go, so `1.1s` is exactly 1100 ms.

/** Thrown by {@link parseDuration} on anything Go's time.ParseDuration would reject. */
export class DurationParseError extends Error {
  readonly input: string;
  constructor(input: string, reason: string) {
    // Go: `time: invalid duration "abc"`, `time: missing unit in duration "1"`, `time: unknown unit "d" in duration "1d"`
    super(`time: ${reason}`);
    this.name = 'DurationParseError';
    this.input = input;
  }
}

const NS_PER_MS = 1_000_000n;

/** Go's unitMap (time/format.go): both micro signs are accepted, as Go does. */
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** time.Duration is an int64 of nanoseconds; Go rejects anything beyond it as "invalid duration". */
const MAX_DURATION_NS = (1n << 63n) - 1n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a Go duration string into milliseconds (fractional below 1 ms, e.g. `1500us` → 1.5).
 * Grammar (time.ParseDuration): `[-+]?([0-9]*(\.[0-9]*)?[a-z µμ]+)+`, every number needs a unit, except the bare
 * string `0`. Units: ns, us/µs/μs, ms, s, m, h. No spaces, no days.
 * @throws DurationParseError on junk.
 */
export function parseDuration(s: string): number {
  const orig = s;
  const invalid = (): DurationParseError =>
    new DurationParseError(orig, `invalid duration ${JSON.stringify(orig)}`);
  let i = 0;
  let neg = false;
  if (s[i] === '-' || s[i] === '+') {
    neg = s[i] === '-';
    i++;
  }
  // Special case: a bare zero (optionally signed) needs no unit.
  if (s.slice(i) === '0') return 0;
  if (i === s.length) throw invalid();

  let totalNs = 0n;
  while (i < s.length) {
    // Leading integer part.
    const intStart = i;
    while (isDigit(s[i])) i++;
    const intDigits = s.slice(intStart, i);
    // Optional fraction.
    let fracDigits = '';
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      while (isDigit(s[i])) i++;
      fracDigits = s.slice(fracStart, i);
    }
    // Go: "no digits (e.g. ".s" or "-.s")" is invalid; "1.s" and ".5s" are fine.
    if (intDigits === '' && fracDigits === '') throw invalid();
    // Unit: everything up to the next digit or '.'.
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    const unit = s.slice(unitStart, i);
    if (unit === '') {
      throw new DurationParseError(orig, `missing unit in duration ${JSON.stringify(orig)}`);
    }
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined) {
      throw new DurationParseError(
        orig,
        `unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(orig)}`,
      );
    }
    const whole = intDigits === '' ? 0n : BigInt(intDigits);
    let ns = whole * unitNs;
    if (fracDigits !== '') {
      // Go truncates the fractional contribution toward zero (float64 math then int64 conversion); for the
      // digits people write, scaling exactly and truncating gives the same result.
      const scale = 10n ** BigInt(fracDigits.length);
      ns += (BigInt(fracDigits) * unitNs) / scale;
    }
    totalNs += ns;
    if (totalNs > MAX_DURATION_NS) throw invalid();
  }
  const ms = Number(totalNs / NS_PER_MS) + Number(totalNs % NS_PER_MS) / 1e6;
  return neg ? -ms : ms;
}

/** Go's fmtFrac: the fraction of v/10^prec without trailing zeros (and without the dot when it is zero). */
function formatFraction(v: bigint, prec: number): { text: string; rest: bigint } {
  let digits = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) digits = digit.toString() + digits;
    v /= 10n;
  }
  return { text: print ? `.${digits}` : '', rest: v };
}

/**
 * Formats milliseconds exactly like Go's time.Duration.String(): `0s`, `500ms`, `1.5s`, `10s`, `1m20s`, `5m0s`,
 * `1h0m0s`, `1.5µs`. Sub-millisecond fractions are kept to the nanosecond (rounded).
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatGoDuration: not a finite duration: ${ms}`);
  // Integer milliseconds convert exactly; others round to the nearest nanosecond.
  let ns = Number.isInteger(ms) ? BigInt(ms) * NS_PER_MS : BigInt(Math.round(ms * 1e6));
  const neg = ns < 0n;
  if (neg) ns = -ns;
  if (ns === 0n) return '0s';
  let out: string;
  if (ns < 1_000_000_000n) {
    // Below one second Go switches to the largest unit that keeps a non-zero integer part: ms, µs or ns.
    let unit: string;
    let prec: number;
    if (ns < 1_000n) {
      unit = 'ns';
      prec = 0;
    } else if (ns < 1_000_000n) {
      unit = 'µs'; // Go prints U+00B5
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const { text, rest } = formatFraction(ns, prec);
    out = `${rest}${text}${unit}`;
  } else {
    const { text, rest: totalSeconds } = formatFraction(ns, 9);
    out = `${totalSeconds % 60n}${text}s`;
    const totalMinutes = totalSeconds / 60n;
    if (totalMinutes > 0n) {
      out = `${totalMinutes % 60n}m${out}`;
      const hours = totalMinutes / 60n;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}
