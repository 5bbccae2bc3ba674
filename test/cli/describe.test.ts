// The `kubectl describe pod` renderer (src/printers/describe.ts): golden cases are pods podflow served, described by
// kubectl 1.32 itself (fixtures/describe/*.kubectl.txt, made by pointing kubectl at a server answering with exactly
// the fixture's objects at the fixture's `now`), plus the Go tabwriter port and the value formats on their own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event, Pod, Probe } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { describePod, describeProbe, formatRfc1123z, formatTabbedText } from '../../src/printers/describe.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'describe');

interface Fixture {
  now: number;
  pod: Pod;
  events: Event[];
}

const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
const kubectlOutput = (name: string): string => readFileSync(join(FIXTURES, `${name}.kubectl.txt`), 'utf8');

describe('describePod matches kubectl 1.32 byte for byte', () => {
  it.each([
    { name: 'myapp-pod: init containers completed, app running, events' },
    {
      name: 'rich: sidecar, ports, args, resources, probe, env kinds, mounts, gates, tolerations, crash loop',
    },
    { name: 'term: terminating, multi-line annotation, reason and message, no events' },
  ])('$name', ({ name }) => {
    const file = name.split(':')[0]!;
    const f = fixture(file);
    expect(describePod(f.pod, f.events, { now: f.now, timeZone: 'utc' })).toBe(kubectlOutput(file));
  });

  it('leaves the Events section out when events were not asked for (--show-events=false)', () => {
    const f = fixture('myapp-pod');
    const text = describePod(f.pod, undefined, { now: f.now, timeZone: 'utc' });
    expect(text).not.toContain('Events:');
    expect(text.endsWith('Tolerations:                  <none>\n')).toBe(true);
  });

  it('names the container state of each container and the conditions table', () => {
    const f = fixture('rich');
    const text = describePod(f.pod, f.events, { now: f.now, timeZone: 'utc' });
    expect(text).toMatch(
      /^ {2}crash:\n(?: {4}.*\n)*? {4}Last State: {5}Terminated\n {6}Reason: {7}Error\n {6}Exit Code: {4}1\n/m,
    );
    expect(text).toMatch(/^Conditions:\n {2}Type +Status\n(?: {2}\S+ +(?:True|False) \n){5}/m);
    expect(text).toMatch(
      /^ {2}Warning +BackOff +\d+s \(x\d+ over \d+s\) +kubelet +Back-off restarting failed container crash/m,
    );
  });
});

describe('formatTabbedText (Go text/tabwriter, minwidth 0, padding 2)', () => {
  it.each([
    {
      name: 'one block: the widest first cell plus 2',
      text: 'a:\tx\nlonger:\ty\n',
      want: 'a:       x\nlonger:  y\n',
    },
    {
      name: 'a line without a tab ends the block',
      text: 'a:\tx\nheading:\nlonger:\ty\n',
      want: 'a:  x\nheading:\nlonger:  y\n',
    },
    {
      name: 'the last cell of a line is not a column',
      text: 'a\tb\tc\nlonger\td\n',
      want: 'a       b  c\nlonger  d\n',
    },
    {
      name: 'inner columns form blocks of their own',
      text: 'x\ta\tb\nxx\taaaa\tb\nxxx\tc\n',
      want: 'x    a     b\nxx   aaaa  b\nxxx  c\n',
    },
    { name: 'widths count characters, not bytes', text: 'é:\tx\nab\ty\n', want: 'é:  x\nab  y\n' },
    { name: 'no tabs: unchanged', text: 'plain\ntext\n', want: 'plain\ntext\n' },
  ])('$name', ({ text, want }) => {
    expect(formatTabbedText(text)).toBe(want);
  });
});

describe('formatRfc1123z (Go time.RFC1123Z)', () => {
  it.each([
    { name: 'UTC', input: '2026-11-28T01:41:33Z', want: 'Sat, 28 Nov 2026 01:41:33 +0000' },
    {
      name: 'single-digit day is zero-padded',
      input: '2024-01-05T09:03:07Z',
      want: 'Fri, 05 Jan 2024 09:03:07 +0000',
    },
    { name: 'a missing time is Go’s zero time', input: undefined, want: 'Mon, 01 Jan 0001 00:00:00 +0000' },
  ])('$name', ({ input, want }) => {
    expect(formatRfc1123z(input, 'utc')).toBe(want);
  });
});

describe('describeProbe (kubectl 1.32 wording)', () => {
  const timing = {
    initialDelaySeconds: 5,
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  };
  it.each<{ name: string; probe: Probe; want: string }>([
    {
      name: 'exec',
      probe: { ...timing, exec: { command: ['cat', '/tmp/ready'] } },
      want: 'exec [cat /tmp/ready] delay=5s timeout=1s period=10s #success=1 #failure=3',
    },
    {
      name: 'httpGet without host',
      probe: { ...timing, httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' } },
      want: 'http-get http://:8080/healthz delay=5s timeout=1s period=10s #success=1 #failure=3',
    },
    {
      name: 'tcpSocket with a named port',
      probe: { ...timing, tcpSocket: { port: 'web' } },
      want: 'tcp-socket :web delay=5s timeout=1s period=10s #success=1 #failure=3',
    },
    {
      name: 'grpc',
      probe: { ...timing, grpc: { port: 9000, service: 'health' } },
      want: 'grpc <pod>:9000 health delay=5s timeout=1s period=10s #success=1 #failure=3',
    },
  ])('$name', ({ probe, want }) => {
    expect(describeProbe(probe)).toBe(want);
  });
});
