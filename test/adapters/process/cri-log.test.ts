// Reading CRI log files (kubelet pkg/kubelet/kuberuntime/logs/logs.go): parsing, joining P chunks, and the kubectl
// logs options.
import { describe, expect, it } from 'vitest';
import {
  assembleCriLog,
  formatLogTime,
  parseCriLine,
  parseRfc3339NanoMs,
  selectLogLines,
} from '../../../src/adapters/process/cri-log.ts';

const T0 = '2025-01-01T00:00:00.000000000Z';
const T1 = '2025-01-01T00:00:01.500000000Z';
const T2 = '2025-01-01T00:00:02.123456789Z';

describe('parseCriLine', () => {
  it.each([
    {
      name: 'full stdout line',
      line: `${T0} stdout F hello world`,
      stream: 'stdout',
      partial: false,
      content: 'hello world',
    },
    {
      name: 'partial stderr chunk',
      line: `${T0} stderr P part`,
      stream: 'stderr',
      partial: true,
      content: 'part',
    },
    {
      name: 'empty line with the separator',
      line: `${T0} stdout F `,
      stream: 'stdout',
      partial: false,
      content: '',
    },
    { name: 'empty line without it', line: `${T0} stdout F`, stream: 'stdout', partial: false, content: '' },
    {
      name: 'content keeps its spaces',
      line: `${T0} stdout F  two  spaces `,
      stream: 'stdout',
      partial: false,
      content: ' two  spaces ',
    },
  ])('$name', ({ line, stream, partial, content }) => {
    expect(parseCriLine(line)).toMatchObject({ stream, partial, content, time: T0 });
  });

  it.each([
    { name: 'unknown stream', line: `${T0} stdin F x` },
    { name: 'unknown tag', line: `${T0} stdout X x` },
    { name: 'bad timestamp', line: 'yesterday stdout F x' },
    { name: 'not CRI at all', line: 'hello' },
  ])('rejects $name', ({ line }) => {
    expect(parseCriLine(line)).toBeUndefined();
  });
});

describe('parseRfc3339NanoMs', () => {
  it.each([
    { time: '2025-01-01T00:00:02.123456789Z', ms: Date.UTC(2025, 0, 1, 0, 0, 2, 123) },
    { time: '2025-01-01T00:00:02Z', ms: Date.UTC(2025, 0, 1, 0, 0, 2) },
    { time: '2025-01-01T00:00:02.5Z', ms: Date.UTC(2025, 0, 1, 0, 0, 2, 500) },
    { time: '2025-01-01T01:00:02.1+01:00', ms: Date.UTC(2025, 0, 1, 0, 0, 2, 100) },
  ])('$time', ({ time, ms }) => {
    expect(parseRfc3339NanoMs(time)).toBe(ms);
  });
});

describe('assembleCriLog', () => {
  it('joins P chunks with the rest of their line, per stream, keeping the first chunk time; skips a torn record', () => {
    const text = [
      `${T0} stdout P aaa`,
      `${T1} stderr F interleaved`,
      `${T1} stdout P bbb`,
      `${T2} stdout F ccc`,
      `${T2} stdout P no-newline-at-eof`,
      `${T2} stdout F a record still being writ`, // no newline yet: not a line
    ].join('\n');
    expect(assembleCriLog(text).map((e) => [e.time, e.stream, e.content])).toEqual([
      [T1, 'stderr', 'interleaved'],
      [T0, 'stdout', 'aaabbbccc'],
      [T2, 'stdout', 'no-newline-at-eof'],
    ]);
  });
});

describe('selectLogLines (kubectl logs options)', () => {
  const entries = assembleCriLog(
    [`${T0} stdout F one`, `${T1} stdout F two`, `${T2} stderr F three`].join('\n') + '\n',
  );
  it.each([
    { name: 'all lines', options: {}, lines: ['one', 'two', 'three'] },
    { name: '--tail=2', options: { tailLines: 2 }, lines: ['two', 'three'] },
    { name: '--tail=0', options: { tailLines: 0 }, lines: [] },
    { name: '--tail larger than the log', options: { tailLines: 10 }, lines: ['one', 'two', 'three'] },
    {
      name: '--since-time at a line (inclusive, ms)',
      options: { sinceTime: Date.UTC(2025, 0, 1, 0, 0, 1, 500) },
      lines: ['two', 'three'],
    },
    {
      name: '--since-time inside a millisecond of a line',
      options: { sinceTime: Date.UTC(2025, 0, 1, 0, 0, 2, 123) },
      lines: ['three'],
    },
    {
      name: '--since-time after everything',
      options: { sinceTime: Date.UTC(2025, 0, 1, 0, 0, 3) },
      lines: [],
    },
    { name: '--tail=1 with --since-time', options: { tailLines: 1, sinceTime: 0 }, lines: ['three'] },
    {
      name: '--timestamps (Go RFC3339Nano: trailing zeros trimmed)',
      options: { timestamps: true, tailLines: 3 },
      lines: ['2025-01-01T00:00:00Z one', '2025-01-01T00:00:01.5Z two', `${T2} three`],
    },
  ])('$name', ({ options, lines }) => {
    expect(selectLogLines(entries, options)).toEqual(lines);
  });

  it('formatLogTime keeps significant digits', () => {
    expect(formatLogTime('2025-01-01T00:00:01.120000000Z')).toBe('2025-01-01T00:00:01.12Z');
  });
});
