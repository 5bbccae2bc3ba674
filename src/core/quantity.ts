// Kubernetes resource quantities (`500m`, `128Mi`, `1e3`), reproduced from apimachinery:
//  - staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go  ParseQuantity, parseQuantityString, CanonicalizeBytes,
//    Value, MilliValue, Cmp
//  - staging/src/k8s.io/apimachinery/pkg/api/resource/suffix.go    the suffix tables
//  - staging/src/k8s.io/apimachinery/pkg/api/resource/amount.go    AsCanonicalBytes (exponent a multiple of 3)
//
// Upstream never represents a quantity as a float: it keeps an int64 mantissa with a base-10 scale, or an inf.Dec.
// Every parsed value is rounded up to a whole number of nano-units (scale -9), so an exact, simple equivalent is a
// single BigInt of nano-units: `500m` = 500_000_000n, `128Mi` = 134_217_728_000_000_000n. The quantity remembers the
// format its suffix had (BinarySI / DecimalSI / DecimalExponent) because canonical printing depends on it.

/** The three formats a quantity remembers from its suffix (quantity.go `Format`). */
export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

/** A parsed quantity: an exact value in nano-units of the base unit (cores, bytes…) and the format of its suffix. */
export interface Quantity {
  readonly nanos: bigint;
  readonly format: QuantityFormat;
}

/** quantity.go splitREString: the grammar a quantity string must match (also the text of the format error). */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const QUANTITY_REGEXP = new RegExp(QUANTITY_PATTERN);

/** quantity.go ErrFormatWrong / ErrNumeric / ErrSuffix texts, as the API server reports them. */
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_PATTERN}'`;
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export type QuantityParseErrorKind = 'format' | 'numeric' | 'suffix';

export class QuantityParseError extends Error {
  readonly input: string | number;
  readonly kind: QuantityParseErrorKind;
  constructor(input: string | number, kind: QuantityParseErrorKind) {
    super(
      kind === 'format'
        ? QUANTITY_FORMAT_ERROR
        : kind === 'numeric'
          ? QUANTITY_NUMERIC_ERROR
          : QUANTITY_SUFFIX_ERROR,
    );
    this.name = 'QuantityParseError';
    this.input = input;
    this.kind = kind;
  }
}

const NANO = 1_000_000_000n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * quantity.go maxAllowed: BinarySI values are capped at 2^63-1 base units ("9Ei" parses to 9223372036854775807).
 * Decimal values are not capped upstream (they fall back to inf.Dec), so neither are they here.
 */
const MAX_BINARY_NANOS = INT64_MAX * NANO;

/**
 * Guard against absurd decimal exponents (`1e999999999`): upstream keeps those as an inf.Dec scale; a BigInt of
 * nano-units would need gigabytes. No resource is anywhere near 10^100 units, so larger values are rejected as a
 * numeric error (a deliberate, documented deviation).
 */
const MAX_DECIMAL_EXPONENT = 100;

/** suffix.go: decimal SI suffixes (base 10) by exponent, and back. */
const DECIMAL_SUFFIX_EXPONENT: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);
const DECIMAL_EXPONENT_SUFFIX: ReadonlyMap<number, string> = new Map(
  [...DECIMAL_SUFFIX_EXPONENT].map(([s, e]) => [e, s]),
);
const MAX_DECIMAL_SI_EXPONENT = 18;

/** suffix.go: binary SI suffixes (base 2) by power of 1024. */
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
const BINARY_SUFFIX_EXPONENT: ReadonlyMap<string, number> = new Map(
  BINARY_SUFFIXES.slice(1).map((s, i) => [s, (i + 1) * 10] as const),
);

interface InterpretedSuffix {
  base: 2 | 10;
  exponent: number;
  format: QuantityFormat;
}

/** suffix.go suffixHandler.interpret: `''`/n/u/m/k/M/G/T/P/E, Ki…Ei, or `e<int>` / `E<int>`. */
function interpretSuffix(suffix: string): InterpretedSuffix | undefined {
  const decimal = DECIMAL_SUFFIX_EXPONENT.get(suffix);
  if (decimal !== undefined) return { base: 10, exponent: decimal, format: 'DecimalSI' };
  const binary = BINARY_SUFFIX_EXPONENT.get(suffix);
  if (binary !== undefined) return { base: 2, exponent: binary, format: 'BinarySI' };
  // strconv.ParseInt(suffix[1:], 10, 64): an optional sign, then at least one digit.
  if (
    suffix.length > 1 &&
    (suffix[0] === 'e' || suffix[0] === 'E') &&
    /^[+-]?[0-9]+$/.test(suffix.slice(1))
  ) {
    const exponent = BigInt(suffix.slice(1));
    if (exponent < INT64_MIN || exponent > INT64_MAX) return undefined; // ParseInt range error → ErrSuffix
    return { base: 10, exponent: Number(exponent), format: 'DecimalExponent' };
  }
  return undefined;
}

interface ScannedQuantity {
  positive: boolean;
  /** integer digits, leading zeros stripped ("0" when none are left) */
  num: string;
  /** fraction digits, as written */
  denom: string;
  suffix: string;
}

/**
 * quantity.go parseQuantityString: sign, integer digits, optional `.` and fraction digits, then the suffix letters,
 * an optional sign and digits. Anything after that is a format error (`1.2.3`, `12MiB`).
 */
function scanQuantity(str: string): ScannedQuantity | 'format' {
  let pos = 0;
  const end = str.length;
  let positive = true;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  const num = str.slice(pos, i) || '0';
  pos = i;
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i); // upstream allows an empty fraction: `1.` and `1.G` parse
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) return 'format';
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** Integer division rounding away from zero (amount.go negativeScaleInt64, quantity.go ScaledValue). */
function divideAwayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  if (n % d === 0n) return q;
  return n < 0n === d < 0n ? q + 1n : q - 1n;
}

/**
 * Parse a quantity the way the API server decodes one from JSON/YAML (Quantity.UnmarshalJSON → ParseQuantity).
 *
 * Rules reproduced:
 * - surrounding whitespace is trimmed (UnmarshalJSON trims before parsing; bare ParseQuantity would reject it);
 * - numbers are accepted (the OpenAPI type is string|number) and read through their JavaScript text (`1e+21`);
 * - `"0"` is DecimalSI zero;
 * - values are rounded up (away from zero) to a whole nano-unit: `0.5n` → `1n`, `3.001n` → `4n`;
 * - BinarySI values are capped at 2^63-1; a BinarySI value strictly between -1 and 1 becomes DecimalSI
 *   (`0.000000000001Ki` → `2n`).
 *
 * Deliberate deviation: upstream's hand-written scanner accepts digit-less numbers (`Mi`, `-`, `.` parse as 0 on its
 * fast path, others fail with ErrNumeric on its slow path). Here the documented grammar is enforced first, so `Mi`
 * and `-` are format errors, and a number part without any digit (`.`, `.Ki`) is a numeric error.
 */
export function parseQuantity(input: string | number): Quantity {
  let str: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityParseError(input, 'format');
    str = String(input);
  } else {
    str = input.trim();
  }
  if (str === '' || !QUANTITY_REGEXP.test(str)) throw new QuantityParseError(input, 'format');
  if (str === '0') return { nanos: 0n, format: 'DecimalSI' };

  const scanned = scanQuantity(str);
  if (scanned === 'format') throw new QuantityParseError(input, 'format');
  const { positive, num, denom, suffix } = scanned;
  if (!/[0-9]/.test(str.slice(0, str.length - suffix.length))) throw new QuantityParseError(input, 'numeric');

  const interpreted = interpretSuffix(suffix);
  if (interpreted === undefined) throw new QuantityParseError(input, 'suffix');
  let { format } = interpreted;
  const { base, exponent } = interpreted;

  // value = (num.denom) × base^exponent = digits × base^exponent / 10^len(denom); in nano-units × 10^9.
  const digits = BigInt(num + denom);
  let nanos: bigint;
  if (base === 10) {
    if (exponent > MAX_DECIMAL_EXPONENT) throw new QuantityParseError(input, 'numeric');
    const shift = exponent - denom.length + 9;
    if (shift >= 0) nanos = digits * 10n ** BigInt(shift);
    // digits < 10^(number of digits): a larger negative shift leaves less than one nano-unit, which rounds up to 1n.
    else if (-shift >= num.length + denom.length) nanos = digits === 0n ? 0n : 1n;
    else nanos = divideAwayFromZero(digits, 10n ** BigInt(-shift));
  } else {
    nanos = divideAwayFromZero(digits * 2n ** BigInt(exponent) * NANO, 10n ** BigInt(denom.length));
    if (nanos > MAX_BINARY_NANOS) nanos = MAX_BINARY_NANOS;
    if (nanos > 0n && nanos < NANO) format = 'DecimalSI';
  }
  return { nanos: positive ? nanos : -nanos, format };
}

/** Like parseQuantity, but returns undefined instead of throwing. */
export function tryParseQuantity(input: string | number | undefined | null): Quantity | undefined {
  if (input === undefined || input === null) return undefined;
  try {
    return parseQuantity(input);
  } catch (err) {
    if (err instanceof QuantityParseError) return undefined;
    throw err;
  }
}

/** A quantity of whole base units (quantity.go NewQuantity). */
export function quantityFromInteger(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return { nanos: BigInt(value) * NANO, format };
}

/** A quantity of milli-units (quantity.go NewMilliQuantity): cpu millicores. */
export function quantityFromMilli(milli: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return { nanos: BigInt(milli) * 1_000_000n, format };
}

/** The value in base units as a float (quantity.go AsApproximateFloat64); use for display and rough maths only. */
export function toNumber(q: Quantity): number {
  return Number(q.nanos / NANO) + Number(q.nanos % NANO) / 1e9;
}

/** quantity.go Value(): whole base units, rounded up away from zero (`1.5` → 2, `500m` → 1, `128Mi` → 134217728). */
export function toValue(q: Quantity): bigint {
  return divideAwayFromZero(q.nanos, NANO);
}

/** quantity.go MilliValue(): whole milli-units, rounded up away from zero (`0.5` → 500, `100u` → 1). */
export function toMilli(q: Quantity): bigint {
  return divideAwayFromZero(q.nanos, 1_000_000n);
}

/** quantity.go Cmp: -1, 0 or 1. Formats do not matter (`1` equals `1000m`, `1Ki` equals `1024`). */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** quantity.go Add: the sum keeps the first operand's format, unless the first operand is zero. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/**
 * quantity.go CanonicalizeBytes / String: the canonical text of a quantity, in its own format unless another is given.
 *
 * - zero is `0`;
 * - BinarySI is printed with the largest power-of-1024 suffix that divides the value (`1536Mi`, `1Gi`) — but a value
 *   with |v| < 1024 or a fractional part is printed as DecimalSI instead ("don't lose precision": `500m`, `1025`);
 * - DecimalSI / DecimalExponent: trailing zeros move into the exponent, which is then lowered to a multiple of 3
 *   (`1500m`, `1k`, `1300e3`); DecimalSI uses n u m '' k M G T P E, DecimalExponent `e<exp>`.
 *
 * Deviation: above 10^20 upstream finds no DecimalSI suffix and prints the mantissa alone (`1000E` → `1`); here the
 * mantissa grows instead (`1000E`).
 */
export function formatQuantity(q: Quantity, format: QuantityFormat = q.format): string {
  if (q.nanos === 0n) return '0';
  const sign = q.nanos < 0n ? '-' : '';
  const abs = q.nanos < 0n ? -q.nanos : q.nanos;

  if (format === 'BinarySI' && abs >= 1024n * NANO && abs % NANO === 0n) {
    let mantissa = abs / NANO;
    let power = 0;
    while (power < BINARY_SUFFIXES.length - 1 && mantissa % 1024n === 0n) {
      mantissa /= 1024n;
      power++;
    }
    return `${sign}${mantissa}${BINARY_SUFFIXES[power]}`;
  }

  let mantissa = abs;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  // Lower the exponent to a multiple of 3 (Go's % keeps the dividend's sign, as JavaScript's does).
  const rest = exponent % 3;
  if (rest === 1 || rest === -2) {
    mantissa *= 10n;
    exponent -= 1;
  } else if (rest === 2 || rest === -1) {
    mantissa *= 100n;
    exponent -= 2;
  }
  if (format === 'DecimalExponent') return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  while (exponent > MAX_DECIMAL_SI_EXPONENT) {
    mantissa *= 1000n;
    exponent -= 3;
  }
  return `${sign}${mantissa}${DECIMAL_EXPONENT_SUFFIX.get(exponent) ?? ''}`;
}
