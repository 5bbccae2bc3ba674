// cli/api-client.ts: finding the API (flags, kubeconfig, $KUBECONFIG), reading Warning headers, and printing errors
// as kubectl prints them (cmdutil checkErr).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Status } from 'kubernetes-types/meta/v1';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ApiConnectionError,
  ApiStatusError,
  CommandError,
  DEFAULT_KUBECONFIG,
  formatCliError,
  parseWarningHeader,
  resolveApiTarget,
  type ClientFlags,
} from '../../src/cli/api-client.ts';
import { DEFAULT_DATA_DIR } from '../../src/cli/engine-flags.ts';
import { KUBECONFIG_FILE, renderKubeconfig } from '../../src/cli/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'podflow-api-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const served = file('served', renderKubeconfig({ server: 'http://127.0.0.1:8123', token: 'abc' }));
const other = file('other', renderKubeconfig({ server: 'http://127.0.0.1:9000', namespace: 'team' }));
file('token-file', 'from-file\n');
const withTokenFile = file(
  'token-file-config',
  `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:7000/"}}]
users: [{name: u, user: {tokenFile: ${JSON.stringify(join(dir, 'token-file'))}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
);
const missing = join(dir, 'missing');

describe('resolveApiTarget', () => {
  it.each<{ name: string; flags: ClientFlags; env?: Record<string, string>; want: object }>([
    {
      name: '--kubeconfig: its current context’s server, token and namespace',
      flags: { kubeconfig: served },
      want: { server: 'http://127.0.0.1:8123', token: 'abc', namespace: 'default', namespaceFromFlag: false },
    },
    {
      name: '$KUBECONFIG: the first file of the list that exists',
      flags: {},
      env: { KUBECONFIG: `${missing}:${other}:${served}` },
      want: { server: 'http://127.0.0.1:9000', namespace: 'team' },
    },
    {
      name: '--server, --token and -n override the file',
      flags: { kubeconfig: served, server: 'http://localhost:1234/', token: 't', namespace: 'ns' },
      want: { server: 'http://localhost:1234', token: 't', namespace: 'ns', namespaceFromFlag: true },
    },
    {
      name: '--server alone is enough',
      flags: { server: 'http://127.0.0.1:5555' },
      env: { KUBECONFIG: missing },
      want: { server: 'http://127.0.0.1:5555', namespace: 'default' },
    },
    {
      name: 'a user’s tokenFile; a trailing slash dropped from the server',
      flags: { kubeconfig: withTokenFile },
      want: { server: 'http://127.0.0.1:7000', token: 'from-file', namespace: 'default' },
    },
  ])('$name', ({ flags, env, want }) => {
    expect(resolveApiTarget(flags, env ?? {})).toMatchObject(want);
  });

  it.each<{ name: string; flags: ClientFlags; env: Record<string, string>; message: RegExp }>([
    {
      name: 'no kubeconfig and no --server: how to get an API',
      flags: {},
      env: { KUBECONFIG: missing },
      message:
        /^no podflow API to talk to: no file of \$KUBECONFIG .* exists\. Start one with `podflow serve` \(or `npm start`\)/,
    },
    {
      name: 'a --kubeconfig that does not exist',
      flags: { kubeconfig: missing },
      env: {},
      message: /^stat .*missing: no such file or directory$/,
    },
  ])('$name → CommandError', ({ flags, env, message }) => {
    expect(() => resolveApiTarget(flags, env)).toThrow(CommandError);
    expect(() => resolveApiTarget(flags, env)).toThrow(message);
  });

  it('the default kubeconfig is the one serve writes into the default data directory', () => {
    expect(DEFAULT_KUBECONFIG).toBe(join(DEFAULT_DATA_DIR, KUBECONFIG_FILE));
  });
});

describe('parseWarningHeader', () => {
  it.each([
    { name: 'none', header: null, want: [] },
    { name: 'one', header: '299 - "unknown field \\"spec.foo\\""', want: ['unknown field "spec.foo"'] },
    {
      name: 'several headers joined by commas, commas inside texts',
      header: '299 - "a, b", 299 - "c"',
      want: ['a, b', 'c'],
    },
    {
      name: 'a warn-date after the text; duplicates once',
      header: '299 podflow "x" "Sat, 28 Nov 2026 01:00:00 GMT", 299 - "x"',
      want: ['x'],
    },
  ])('$name', ({ header, want }) => {
    expect(parseWarningHeader(header)).toEqual(want);
  });
});

const status = (s: Partial<Status>): ApiStatusError =>
  new ApiStatusError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', ...s });

describe('formatCliError (kubectl checkErr)', () => {
  it.each([
    {
      name: 'Invalid with one cause',
      err: status({
        code: 422,
        reason: 'Invalid',
        message: 'Pod "x" is invalid: spec.containers[0].name: Required value',
        details: {
          kind: 'Pod',
          name: 'x',
          causes: [
            { reason: 'FieldValueRequired', field: 'spec.containers[0].name', message: 'Required value' },
          ],
        },
      }),
      want: 'The Pod "x" is invalid: spec.containers[0].name: Required value\n',
    },
    {
      name: 'Invalid with several causes: one per line, duplicates once',
      err: status({
        code: 422,
        reason: 'Invalid',
        details: {
          kind: 'Pod',
          name: 'x',
          causes: [
            { field: 'a', message: 'Required value' },
            { field: 'b', message: 'Invalid value: 1' },
            { field: 'a', message: 'Required value' },
          ],
        },
      }),
      want: 'The Pod "x" is invalid: \n* a: Required value\n* b: Invalid value: 1\n',
    },
    {
      name: 'NotFound',
      err: status({ code: 404, reason: 'NotFound', message: 'pods "nope" not found' }),
      want: 'Error from server (NotFound): pods "nope" not found\n',
    },
    {
      name: 'Unauthorized',
      err: status({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' }),
      want: 'error: You must be logged in to the server (Unauthorized)\n',
    },
    {
      name: 'a Status without a reason',
      err: status({ code: 500, message: 'boom' }),
      want: 'Error from server: boom\n',
    },
    {
      name: 'a connection failure: kubectl’s sentence',
      err: new ApiConnectionError(
        'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?',
      ),
      want: 'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n',
    },
    {
      name: 'anything else',
      err: new CommandError('no objects passed to apply'),
      want: 'error: no objects passed to apply\n',
    },
  ])('$name', ({ err, want }) => {
    expect(formatCliError(err)).toBe(want);
  });
});
