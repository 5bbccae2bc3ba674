// Label and field selectors (apimachinery pkg/labels/selector_test.go, pkg/fields/selector_test.go cases).
import { describe, expect, it } from 'vitest';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../src/api/selectors.ts';

const labels = { app: 'web', tier: 'front', rank: '5', empty: '' };

describe('label selectors', () => {
  it.each([
    { selector: '', matches: true },
    { selector: 'app=web', matches: true },
    { selector: 'app = web', matches: true },
    { selector: 'app==web', matches: true },
    { selector: 'app!=web', matches: false },
    { selector: 'app!=db', matches: true },
    { selector: 'missing!=x', matches: true },
    { selector: 'app in (web,db)', matches: true },
    { selector: 'app in (db)', matches: false },
    { selector: 'app notin (db)', matches: true },
    { selector: 'missing notin (db)', matches: true },
    { selector: 'app notin (web)', matches: false },
    { selector: 'app', matches: true },
    { selector: 'missing', matches: false },
    { selector: '!missing', matches: true },
    { selector: '!app', matches: false },
    { selector: 'app=web,tier=front', matches: true },
    { selector: 'app=web,tier=back', matches: false },
    { selector: 'empty=', matches: true },
    { selector: 'empty in ()', matches: true },
    { selector: 'rank>4', matches: true },
    { selector: 'rank<4', matches: false },
    { selector: 'example.com/role', matches: false },
  ])('"$selector" → $matches', ({ selector, matches }) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(matches);
  });

  it.each([
    { selector: 'app in (web', message: /unable to parse requirement/ },
    { selector: 'app in web', message: /expected: '\('/ },
    { selector: 'app=web=', message: /unable to parse requirement/ },
    { selector: 'a b', message: /unable to parse requirement/ },
    { selector: '=web', message: /unable to parse requirement/ },
    { selector: 'bad key!=x', message: /unable to parse requirement/ },
    { selector: 'app=not a value', message: /unable to parse requirement/ },
    { selector: 'app=-bad-', message: /values\[0\]\[app\]: Invalid value: "-bad-"/ },
    { selector: '!app=web', message: /unable to parse requirement/ },
    { selector: 'rank>x', message: /must be an integer/ },
  ])('"$selector" does not parse (400)', ({ selector, message }) => {
    expect(() => parseLabelSelector(selector)).toThrowError(
      expect.objectContaining({ code: 400, message: expect.stringMatching(message) }),
    );
  });
});

describe('field selectors', () => {
  const supported = new Set(['metadata.name', 'status.phase']);
  const fields: Record<string, string> = { 'metadata.name': 'a,b=c', 'status.phase': 'Running' };
  it.each([
    { selector: '', matches: true },
    { selector: 'status.phase=Running', matches: true },
    { selector: 'status.phase==Running', matches: true },
    { selector: 'status.phase!=Running', matches: false },
    { selector: 'metadata.name=a\\,b\\=c', matches: true },
    { selector: 'status.phase=Running,metadata.name!=x', matches: true },
  ])('"$selector" → $matches', ({ selector, matches }) => {
    expect(matchesFields(parseFieldSelector(selector, supported), (f) => fields[f] ?? '')).toBe(matches);
  });

  it.each([
    {
      selector: 'status.phase',
      message: "invalid selector: 'status.phase'; can't understand 'status.phase'",
    },
    { selector: 'spec.x=1', message: 'field label not supported: spec.x' },
    {
      selector: 'metadata.name=a\\qb',
      message: "invalid selector: 'metadata.name=a\\qb'; invalid escape sequence: \\q",
    },
  ])('"$selector" → 400 $message', ({ selector, message }) => {
    expect(() => parseFieldSelector(selector, supported)).toThrowError(
      expect.objectContaining({ code: 400, message }),
    );
  });
});
