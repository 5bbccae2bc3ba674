// TEST DOUBLE support — EventBridge event pattern matching as the EventBridge user guide documents it ("Event
// patterns", "Content filtering in event patterns"):
// - a pattern is an object whose leaves are arrays; a leaf matches when ANY of its values matches (OR), and every
//   field of the pattern must match (AND); nested objects match nested fields;
// - an event field that is an array matches when any of its elements matches;
// - values: exact strings, numbers, booleans, null; and the content filters `prefix`, `suffix`,
//   `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or `{prefix}`/`{suffix}`), `exists`
//   (true/false), `numeric` (comparisons, ranges) and `$or` at any level.
// Matching is on the event as JSON (the bus delivers `detail` parsed).

export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** True when `event` matches `pattern` (both parsed JSON). */
export function matchesEventPattern(pattern: Json, event: Json): boolean {
  if (!isObject(pattern)) throw new InvalidEventPatternError('Event pattern is not a JSON object');
  return matchObject(pattern, event);
}

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function matchObject(pattern: Record<string, Json>, value: Json | undefined): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(sub)) throw new InvalidEventPatternError('$or takes a list of patterns');
      if (!sub.some((alt) => isObject(alt) && matchObject(alt, value))) return false;
      continue;
    }
    const field = isObject(value) ? value[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, field)) return false;
    } else if (isObject(sub)) {
      if (!isObject(field) && !(Array.isArray(field) && field.some(isObject))) {
        // A nested pattern can still match through `exists: false` leaves under it.
        if (!matchObject(sub, undefined)) return false;
        continue;
      }
      const candidates = Array.isArray(field) ? field.filter(isObject) : [field];
      if (!candidates.some((c) => matchObject(sub, c))) return false;
    } else {
      throw new InvalidEventPatternError(`Event pattern field "${key}" must be an array or an object`);
    }
  }
  return true;
}

/** One leaf: a list of alternatives against a field that may be absent, a scalar, or an array of scalars. */
function matchLeaf(alternatives: Json[], field: Json | undefined): boolean {
  const values: Json[] = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return alternatives.some((alt) => {
    if (isObject(alt)) {
      if ('exists' in alt) return alt.exists === true ? field !== undefined : field === undefined;
      if ('anything-but' in alt) {
        // anything-but matches a present field whose value (every element) is none of the excluded.
        return values.length > 0 && values.every((v) => !matchesFilter(alt['anything-but']!, v, true));
      }
      return values.some((v) => matchesFilter(alt, v, false));
    }
    return values.some((v) => v === alt);
  });
}

/** A content filter (or, under anything-but, a value/list/filter to exclude) against one scalar value. */
function matchesFilter(filter: Json, v: Json, underAnythingBut: boolean): boolean {
  if (underAnythingBut && !isObject(filter)) {
    return Array.isArray(filter) ? filter.some((f) => f === v) : filter === v;
  }
  if (!isObject(filter)) throw new InvalidEventPatternError('invalid content filter');
  const [op, arg] = Object.entries(filter)[0] ?? [];
  switch (op) {
    case 'prefix':
      if (isObject(arg) && typeof arg['equals-ignore-case'] === 'string')
        return typeof v === 'string' && v.toLowerCase().startsWith(arg['equals-ignore-case'].toLowerCase());
      return typeof v === 'string' && typeof arg === 'string' && v.startsWith(arg);
    case 'suffix':
      if (isObject(arg) && typeof arg['equals-ignore-case'] === 'string')
        return typeof v === 'string' && v.toLowerCase().endsWith(arg['equals-ignore-case'].toLowerCase());
      return typeof v === 'string' && typeof arg === 'string' && v.endsWith(arg);
    case 'equals-ignore-case':
      return typeof v === 'string' && typeof arg === 'string' && v.toLowerCase() === arg.toLowerCase();
    case 'wildcard':
      return typeof v === 'string' && typeof arg === 'string' && wildcardRegex(arg).test(v);
    case 'numeric':
      return typeof v === 'number' && Array.isArray(arg) && matchesNumeric(arg, v);
    default:
      throw new InvalidEventPatternError(`unsupported content filter ${String(op)}`);
  }
}

function wildcardRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function matchesNumeric(conditions: Json[], v: number): boolean {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const n = conditions[i + 1];
    if (typeof n !== 'number') throw new InvalidEventPatternError('numeric takes numbers');
    const ok =
      op === '='
        ? v === n
        : op === '<'
          ? v < n
          : op === '<='
            ? v <= n
            : op === '>'
              ? v > n
              : op === '>='
                ? v >= n
                : null;
    if (ok === null) throw new InvalidEventPatternError(`unknown numeric operator ${String(op)}`);
    if (!ok) return false;
  }
  return true;
}
