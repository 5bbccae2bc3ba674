// Label and field selectors of list and watch requests, parsed and matched as apimachinery does:
// - labels (pkg/labels/selector.go Parse): `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`,
//   `k>1`, `k<1`, comma-separated requirements that must all hold; keys are qualified names, values label values.
// - fields (pkg/fields/selector.go ParseSelector): `f=v`, `f==v`, `f!=v`, comma-separated, `\` escapes `,` `=` `!`
//   `\` in values. Which fields a resource can be selected by is its own list (pods: registry/core/pod/strategy.go
//   ToSelectableFields; events: registry/core/event/strategy.go).
// A selector that does not parse is a 400 BadRequest, like the API server's.
import { isQualifiedName, isValidLabelValue } from '../core/manifest/name-rules.ts';
import { badRequest } from './status.ts';

export type LabelOperator = 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type LabelSelector = readonly LabelRequirement[];

type TokenKind =
  'identifier' | 'in' | 'notin' | '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
}

/** selector.go isSpecialSymbol / isWhitespace: what ends an identifier. */
const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (WHITESPACE.has(ch)) {
      i++;
      continue;
    }
    if (SPECIAL.has(ch)) {
      const two = input.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ kind: two, text: two });
        i += 2;
      } else {
        tokens.push({ kind: ch as TokenKind, text: ch });
        i++;
      }
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input[j]!) && !WHITESPACE.has(input[j]!)) j++;
    const text = input.slice(i, j);
    tokens.push({ kind: text === 'in' ? 'in' : text === 'notin' ? 'notin' : 'identifier', text });
    i = j;
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

const parseError = (message: string) => badRequest(`unable to parse requirement: ${message}`);

function checkKey(key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length > 0) throw parseError(`key: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`);
}

function checkValue(i: number, key: string, value: string): void {
  const errs = isValidLabelValue(value);
  if (errs.length > 0)
    throw parseError(`values[${i}][${key}]: Invalid value: ${JSON.stringify(value)}: ${errs.join('; ')}`);
}

/** labels.Parse. Throws a 400 ApiError for a selector that does not parse. An empty selector selects all. */
export function parseLabelSelector(input: string): LabelSelector {
  const tokens = lex(input);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    let negated = false;
    if (peek().kind === '!') {
      next();
      negated = true;
    }
    const keyToken = next();
    if (keyToken.kind !== 'identifier')
      throw parseError(`found '${keyToken.text}', expected: ${negated ? 'identifier' : '!, identifier'}`);
    const key = keyToken.text;
    checkKey(key);
    const op = peek();
    if (negated || op.kind === ',' || op.kind === 'end') {
      if (negated && op.kind !== ',' && op.kind !== 'end')
        throw parseError(`found '${op.text}', expected: ',' or 'end of string'`);
      requirements.push({ key, operator: negated ? '!' : 'exists', values: [] });
    } else if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
      next();
      const v = peek();
      // `k=` selects the empty value; a value token is any identifier (also `in`, `notin`).
      let value = '';
      if (v.kind === 'identifier' || v.kind === 'in' || v.kind === 'notin') value = next().text;
      else if (v.kind !== ',' && v.kind !== 'end')
        throw parseError(`found '${v.text}', expected: identifier`);
      checkValue(0, key, value);
      requirements.push({ key, operator: op.kind === '!=' ? 'notin' : 'in', values: [value] });
    } else if (op.kind === 'in' || op.kind === 'notin') {
      next();
      const open = next();
      if (open.kind !== '(') throw parseError(`found '${open.text}', expected: '('`);
      const values: string[] = [];
      // `k in ()` and `k in (a,)` name the empty value (selector.go parseIdentifiersList).
      let expectValue = true;
      for (;;) {
        const t = next();
        if (t.kind === ')') {
          if (expectValue) values.push('');
          break;
        }
        if (t.kind === ',') {
          if (expectValue) values.push('');
          expectValue = true;
          continue;
        }
        if (expectValue && (t.kind === 'identifier' || t.kind === 'in' || t.kind === 'notin')) {
          values.push(t.text);
          expectValue = false;
          continue;
        }
        throw parseError(`found '${t.text || 'end of string'}', expected: ',', ')' or identifier`);
      }
      values.forEach((v, i) => checkValue(i, key, v));
      requirements.push({ key, operator: op.kind, values: [...new Set(values)] });
    } else if (op.kind === '>' || op.kind === '<') {
      next();
      const v = next();
      if (v.kind !== 'identifier') throw parseError(`found '${v.text}', expected: identifier`);
      if (!/^-?\d+$/.test(v.text)) throw parseError(`for 'Gt', 'Lt' operators, the value must be an integer`);
      requirements.push({ key, operator: op.kind === '>' ? 'gt' : 'lt', values: [v.text] });
    } else {
      throw parseError(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== ',') throw parseError(`found '${sep.text}', expected: ',' or 'end of string'`);
  }
  return requirements;
}

/** Requirement.Matches for every requirement. */
export function matchesLabels(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const value = l[r.key];
    switch (r.operator) {
      case 'in':
        return has && r.values.includes(value!);
      case 'notin':
        return !has || !r.values.includes(value!);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const a = BigInt(value!);
        const b = BigInt(r.values[0]!);
        return r.operator === 'gt' ? a > b : a < b;
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export type FieldSelector = readonly FieldRequirement[];

/** Splits on unescaped `sep` (fields.splitTerms). */
function splitUnescaped(input: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '\\' && i + 1 < input.length) {
      current += ch + input[i + 1]!;
      i++;
    } else if (ch === sep) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

/** fields.UnescapeValue: `\\`, `\,`, `\=` (and `\!`); any other escape is invalid. */
function unescapeFieldValue(term: string, value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch !== '\\') {
      if (ch === ',' || ch === '=') throw badRequest(`invalid selector: '${term}'; unescaped ${ch} in value`);
      out += ch;
      continue;
    }
    const n = value[++i];
    if (n === undefined) throw badRequest(`invalid selector: '${term}'; unterminated escape sequence`);
    if (n !== '\\' && n !== ',' && n !== '=' && n !== '!')
      throw badRequest(`invalid selector: '${term}'; invalid escape sequence: \\${n}`);
    out += n;
  }
  return out;
}

/**
 * fields.ParseSelector, then the resource's field label check. `supported` lists the fields the resource can be
 * selected by; any other is `field label not supported: x` (400).
 */
export function parseFieldSelector(input: string, supported: ReadonlySet<string>): FieldSelector {
  const out: FieldRequirement[] = [];
  if (input.trim() === '') return out;
  for (const term of splitUnescaped(input, ',')) {
    if (term === '') continue;
    let operator: '=' | '!=' | undefined;
    let at = -1;
    let width = 0;
    for (let i = 0; i < term.length; i++) {
      if (term[i] === '\\') {
        i++;
        continue;
      }
      if (term.startsWith('!=', i)) [operator, at, width] = ['!=', i, 2];
      else if (term.startsWith('==', i)) [operator, at, width] = ['=', i, 2];
      else if (term[i] === '=') [operator, at, width] = ['=', i, 1];
      if (operator) break;
    }
    if (!operator) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    const field = term.slice(0, at).trim();
    const value = unescapeFieldValue(term, term.slice(at + width));
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    out.push({ field, operator, value });
  }
  return out;
}

export function matchesFields(selector: FieldSelector, get: (field: string) => string): boolean {
  return selector.every((r) => (get(r.field) === r.value) === (r.operator === '='));
}

/** `metadata.name` the selector pins to one value, if any (lets a store read skip the scan). */
export function selectedName(selector: FieldSelector): string | undefined {
  return selector.find((r) => r.field === 'metadata.name' && r.operator === '=')?.value;
}
