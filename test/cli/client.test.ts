// The API client commands — apply, get, describe, logs, delete, exec — against one `podflow serve` (a child process
// on a free port, a temporary data directory, bearer token required, crash back-off scaled down to 200ms…1s). Most
// commands run in this process through runCli (the same code the bin runs, without a second's startup each); the
// ones whose process behaviour matters — exit codes of the bin, `get -w` until interrupted, exec's byte streams and
// exit status — run as the real bin with only KUBECONFIG pointing at the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { runCli } from '../../src/cli/program.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const BIN = join(ROOT, 'bin', 'podflow.js');
const TOKEN = 'client-suite-token';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

let serve: ChildProcess;
let serveOutput = '';
let dataDir: string;
let manifests: string;
let kubeconfig: string;

/** `podflow ARGS --kubeconfig K` in this process. */
async function podflow(args: string[], o: { input?: string; kubeconfig?: boolean } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => Promise.resolve(o.input ?? ''),
    now: () => Date.now(),
    newUid: () => randomUUID(),
  };
  const started = Date.now();
  // After the command's name: an exec's command follows `--`.
  const [command, ...rest] = args;
  const code = await runCli(
    o.kubeconfig === false ? args : [command!, '--kubeconfig', kubeconfig, ...rest],
    io,
  );
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** The bin as a process, KUBECONFIG in its environment. */
function podflowProcess(
  args: string[],
  input?: string,
): { child: ChildProcess; output: () => string; errors: () => string; done: Promise<Run> } {
  const started = Date.now();
  const child = spawn(NODE, [BIN, ...args], {
    env: { PATH: process.env.PATH, KUBECONFIG: kubeconfig },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(input ?? '');
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
  );
  return { child, output: () => stdout, errors: () => stderr, done };
}

async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function getPod(name: string): Promise<Pod | undefined> {
  const r = await podflow(['get', 'pod', name, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
}

const isReady = (p: Pod | undefined): boolean =>
  (p?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** A table as rows of cells (kubectl's tabwriter leaves at least 3 spaces between columns; cells have at most 1). */
const tableRows = (text: string): string[][] =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

/** Every line of a table starts its columns at the header's offsets. */
function expectAligned(text: string): void {
  const lines = text.trimEnd().split('\n');
  const starts = [...lines[0]!.matchAll(/(?<=\s{3}|^)\S/g)].map((m) => m.index);
  for (const line of lines.slice(1))
    for (const at of starts.slice(1)) expect(line[at - 1], `${JSON.stringify(line)} at ${at}`).toBe(' ');
}

const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: busybox
    env:
    - {name: GREETING, value: hello from podflow}
    command: ['sh', '-c', "echo web up; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    lifecycle:
      preStop:
        exec: {command: ['sh', '-c', 'sleep 1']}
`;

const CRASHLOOP = `apiVersion: v1
kind: Pod
metadata:
  name: crashloop
  labels: {app: crash}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ['sh', '-c', 'echo "attempt at $(date +%s)"; sleep 0.2; exit 1']
`;

const JOB = `apiVersion: v1
kind: Pod
metadata:
  name: job
  labels: {app: job}
spec:
  restartPolicy: Never
  initContainers:
  - name: prepare
    image: busybox
    command: ['sh', '-c', 'echo preparing']
  containers:
  - name: work
    image: busybox
    command: ['sh', '-c', 'echo one; echo two; echo three']
`;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'podflow-client-'));
  manifests = mkdtempSync(join(tmpdir(), 'podflow-client-manifests-'));
  writeFileSync(join(manifests, 'a-web.yaml'), WEB);
  writeFileSync(join(manifests, 'b-crashloop.yaml'), CRASHLOOP);
  writeFileSync(join(manifests, 'c-job.yaml'), JOB);
  serve = spawn(
    NODE,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--token',
      TOKEN,
      '--crash-backoff-initial',
      '200ms',
      '--crash-backoff-max',
      '1s',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  serve.stdout!.on('data', (d: Buffer) => (serveOutput += d.toString()));
  serve.stderr!.on('data', (d: Buffer) => (serveOutput += d.toString()));
  await eventually(
    () => /export KUBECONFIG=(\S+)/.test(serveOutput),
    30_000,
    `podflow serve to listen:\n${serveOutput}`,
  );
  kubeconfig = /export KUBECONFIG=(\S+)/.exec(serveOutput)![1]!;
}, 40_000);

afterAll(async () => {
  if (kubeconfig) await podflow(['delete', 'pods', '--all', '--now', '--timeout', '20s']);
  if (serve && serve.exitCode === null) {
    const exited = new Promise<number | null>((r) => serve.on('exit', (code) => r(code)));
    serve.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  }
  for (const d of [dataDir, manifests]) if (d) rmSync(d, { recursive: true, force: true });
}, 40_000);

describe('podflow apply', () => {
  it('-f DIR creates the pods (pod/x created), in file order', async () => {
    const r = await podflow(['apply', '-f', manifests]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('pod/web created\npod/crashloop created\npod/job created\n');
    expect(r.code).toBe(0);
  });

  it('the same manifests again: unchanged', async () => {
    const r = await podflow(['apply', '-f', manifests]);
    expect(r.stdout).toBe('pod/web unchanged\npod/crashloop unchanged\npod/job unchanged\n');
    expect(r.code).toBe(0);
  });

  it('a changed label: configured (patched); a label dropped from the manifest is removed (three-way)', async () => {
    const changed = join(manifests, 'web-changed.yaml');
    writeFileSync(changed, WEB.replace('tier: front', 'tier: back'));
    const first = await podflow(['apply', '-f', changed]);
    expect(first.stdout).toBe('pod/web configured\n');
    expect((await getPod('web'))?.metadata?.labels).toEqual({ app: 'web', tier: 'back' });
    writeFileSync(changed, WEB.replace(', tier: front', ''));
    const second = await podflow(['apply', '-f', changed]);
    expect(second.stdout).toBe('pod/web configured\n');
    expect((await getPod('web'))?.metadata?.labels).toEqual({ app: 'web' });
    expect((await podflow(['apply', '-f', changed])).stdout).toBe('pod/web unchanged\n');
    rmSync(changed);
  });

  it('prints the API warnings (unknown fields) as kubectl does, from stdin', async () => {
    const r = await podflow(['apply', '-f', '-'], {
      input: JOB.replace('name: job', 'name: warned')
        .replace('app: job', 'app: warned')
        .replace("command: ['sh', '-c', 'echo preparing']", "command: ['true']\n    bogus: 1"),
    });
    expect(r.stderr).toBe('Warning: unknown field "spec.initContainers[0].bogus"\n');
    expect(r.stdout).toBe('pod/warned created\n');
    expect(r.code).toBe(0);
  });

  it.each([
    {
      name: 'a new pod with an error: The Pod "x" is invalid',
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - image: busybox\n    command: [sh]\n',
      stderr: 'The Pod "bad" is invalid: spec.containers[0].name: Required value\n',
    },
    {
      name: 'a forbidden change to a running pod',
      yaml: CRASHLOOP.replace('sleep 0.2', 'sleep 0.3'),
      stderr:
        /^The Pod "crashloop" is invalid: spec: Forbidden: pod updates may not change fields other than/,
    },
    {
      name: 'a kind podflow does not serve',
      yaml: 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {}\n',
      stderr:
        /^error: resource mapping not found for name: "j" namespace: "" from "<stdin>": no matches for kind "Job" in version "batch\/v1"/,
    },
  ])('$name → exit 1', async ({ yaml, stderr }) => {
    const r = await podflow(['apply', '-f', '-'], { input: yaml });
    if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
  });
});

describe('podflow get pods', () => {
  beforeAll(async () => {
    await eventually(async () => isReady(await getPod('web')), 20_000, 'web to be Ready');
    await eventually(
      async () => (await getPod('job'))?.status?.phase === 'Succeeded',
      20_000,
      'job to succeed',
    );
  }, 45_000);

  it('prints the server’s table, aligned as kubectl’s tabwriter does', async () => {
    const r = await podflow(['get', 'pods']);
    expect(r.code).toBe(0);
    const [header, ...rows] = tableRows(r.stdout);
    expect(header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const byName = Object.fromEntries(rows.map((cells) => [cells[0], cells]));
    expect(byName.web!.slice(1, 4)).toEqual(['1/1', 'Running', '0']);
    expect(byName.job!.slice(1, 4)).toEqual(['0/1', 'Completed', '0']);
    expect(byName.web![4]).toMatch(/^\d+s$/);
    // NAME is as wide as the longest name ("crashloop") plus 3.
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME {8}READY {3}STATUS/);
    expectAligned(r.stdout);
  });

  it('-o wide adds IP, NODE, NOMINATED NODE, READINESS GATES; -A adds NAMESPACE', async () => {
    const wide = tableRows((await podflow(['get', 'pods', '-o', 'wide'])).stdout);
    expect(wide[0]).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    // The pod's own address (its network namespace's, as root; 127.0.0.1 when pods share the host network).
    expect(wide.find((c) => c[0] === 'web')!.slice(5)).toEqual([
      (await getPod('web'))!.status!.podIP,
      'podflow-local',
      '<none>',
      '<none>',
    ]);
    const all = tableRows((await podflow(['get', 'pods', '-A', '-l', 'app=web'])).stdout);
    expect(all[0]!.slice(0, 2)).toEqual(['NAMESPACE', 'NAME']);
    expect(all.slice(1)).toEqual([
      ['default', 'web', '1/1', 'Running', '0', expect.stringMatching(/^\d+s$/)],
    ]);
  });

  it('-o json prints the object (keys sorted, 4 spaces), several as a List; -o yaml; -o name', async () => {
    const one = await podflow(['get', 'pod', 'web', '-o', 'json']);
    expect(one.stdout).toMatch(/^\{\n {4}"apiVersion": "v1",\n {4}"kind": "Pod",\n {4}"metadata": \{/);
    expect((JSON.parse(one.stdout) as Pod).spec?.containers[0]?.env).toEqual([
      { name: 'GREETING', value: 'hello from podflow' },
    ]);
    const list = JSON.parse(
      (await podflow(['get', 'pods', '-l', 'app in (web,job)', '-o', 'json'])).stdout,
    ) as {
      kind: string;
      items: Pod[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => `${p.kind} ${p.metadata?.name}`).sort()).toEqual(['Pod job', 'Pod web']);
    const yaml = parse((await podflow(['get', 'pods', 'web', 'job', '-o', 'yaml'])).stdout) as {
      kind: string;
      items: Pod[];
    };
    expect(yaml.kind).toBe('List');
    expect(yaml.items.map((p) => p.status?.phase)).toEqual(['Running', 'Succeeded']);
    expect((await podflow(['get', 'pods', '-l', 'app=web', '-o', 'name'])).stdout).toBe('pod/web\n');
  });

  it('nothing matches: No resources found in <ns> namespace. (stderr, exit 0)', async () => {
    const none = await podflow(['get', 'pods', '-l', 'app=nothing']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
    const other = await podflow(['get', 'pods', '-n', 'elsewhere']);
    expect(other.stderr).toBe('No resources found in elsewhere namespace.\n');
  });

  it('a missing pod: Error from server (NotFound), exit 1 (the bin)', async () => {
    const r = await podflowProcess(['get', 'pod', 'nope']).done;
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
    expect(r.code).toBe(1);
  });

  it('-w prints the list, then a row per change; the columns keep their widths, widening for longer cells', async () => {
    const watch = podflowProcess(['get', 'pods', '-w', '-l', 'app in (job,watched)']);
    // Listed: changes from here on are replayed from the list's resourceVersion, whenever the watch request comes.
    await eventually(() => /^job /m.test(watch.output()), 10_000, `the list:\n${watch.errors()}`);
    const r = await podflow(['apply', '-f', '-'], {
      input: JOB.replace('name: job', 'name: watched').replace('app: job', 'app: watched'),
    });
    expect(r.stdout).toBe('pod/watched created\n');
    await eventually(
      () => /^watched +0\/1 +Completed\b/m.test(watch.output()),
      20_000,
      `Completed in:\n${watch.output()}`,
    );
    watch.child.kill('SIGINT');
    const done = await watch.done;
    expect(done.stderr).toBe('');
    const lines = done.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('NAME   READY   STATUS      RESTARTS   AGE');
    expect(lines[1]).toMatch(/^job {4}0\/1 {5}Completed {3}0 {10}\d+s$/);
    // A longer name widens NAME; the other columns keep the widths of the list (kubectl's RememberWidths).
    expect(lines[2]).toMatch(/^watched {3}0\/1 {5}Pending {5}0 {10}\d+s$/);
    const statuses = tableRows(lines.slice(2).join('\n')).map((cells) => cells[2]);
    expect(statuses).toContain('Init:0/1');
    expect(statuses.at(-1)).toBe('Completed');
  }, 30_000);
});

describe('podflow describe pod', () => {
  it('shows containers, their states, the conditions table and the events', async () => {
    // The kubelet's events are recorded beside the status, not with it: the last ones may trail the phase a little.
    let r = await podflow(['describe', 'pod', 'job']);
    await eventually(
      async () => /Started container work/.test((r = await podflow(['describe', 'pod', 'job'])).stdout),
      5_000,
      'the Started event of work',
    );
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Name: {9}job\nNamespace: {4}default\nNode: {9}podflow-local\/127\.0\.0\.1\n/);
    expect(out).toMatch(/^Init Containers:\n {2}prepare:\n/m);
    expect(out).toMatch(/State: {10}Terminated\n {6}Reason: {7}Completed\n {6}Exit Code: {4}0/);
    expect(out).toMatch(/^Conditions:\n {2}Type +Status\n/m);
    expect(out).toMatch(/^ {2}Ready +False $/m);
    expect(out).toMatch(
      /^Events:\n {2}Type +Reason +Age +From +Message\n {2}---- +------ +---- +---- +-------\n/m,
    );
    expect(out).toMatch(
      /Normal +Scheduled +\d+s +default-scheduler +Successfully assigned default\/job to podflow-local/,
    );
    expect(out).toMatch(/Normal +Started +\d+s +kubelet +Started container work/);
  });

  it('a crash-looping pod: Last State, restart count and the BackOff event', async () => {
    await eventually(
      async () => ((await getPod('crashloop'))?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2,
      20_000,
      'crashloop to restart twice',
    );
    const r = await podflow(['describe', 'pod', 'crashloop']);
    expect(r.stdout).toMatch(/Last State: {5}Terminated\n {6}Reason: {7}Error\n {6}Exit Code: {4}1/);
    expect(r.stdout).toMatch(/Restart Count: {2}(?:[2-9]|\d{2,})\n/);
    expect(r.stdout).toMatch(/Warning +BackOff +.*Back-off restarting failed container app/);
  }, 30_000);

  it('a missing pod: Error from server (NotFound), exit 1', async () => {
    const r = await podflow(['describe', 'pod', 'nope']);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error from server (NotFound): pods "nope" not found\n',
    });
  });
});

describe('podflow logs', () => {
  it.each([
    { name: '-c an init container', args: ['job', '-c', 'prepare'], stdout: 'preparing\n' },
    { name: 'the only app container by default', args: ['web'], stdout: 'web up\n' },
    { name: '--tail 1', args: ['job', '--tail', '1'], stdout: 'three\n' },
  ])('$name', async ({ args, stdout }) => {
    const r = await podflow(['logs', ...args]);
    expect(r.stdout).toBe(stdout);
    expect(r.code).toBe(0);
  });

  it('--timestamps prefixes RFC 3339 times; a pod with init containers says which container it defaulted to', async () => {
    const r = await podflow(['logs', 'job', '--timestamps']);
    expect(r.stderr).toBe('Defaulted container "work" out of: work, prepare (init)\n');
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z one\n\S+ two\n\S+ three\n$/);
  });

  it('--previous of a crash-looping pod prints the instance that crashed', async () => {
    const r = await podflow(['logs', 'crashloop', '--previous']);
    expect(r.stdout).toMatch(/^attempt at \d+\n$/);
    expect(r.code).toBe(0);
  });

  it('-f follows the container until it exits', async () => {
    const yaml = JOB.replace('name: job', 'name: follow')
      .replace('app: job', 'app: follow')
      .replace(
        "'echo one; echo two; echo three'",
        "'sleep 1; for i in 1 2 3; do echo line $$i; sleep 0.3; done'",
      );
    expect((await podflow(['apply', '-f', '-'], { input: yaml })).code).toBe(0);
    await eventually(
      async () => (await getPod('follow'))?.status?.containerStatuses?.[0]?.state?.running !== undefined,
      20_000,
      'follow to run',
    );
    const r = await podflow(['logs', 'follow', '-f', '-c', 'work']);
    expect(r.stdout).toBe('line 1\nline 2\nline 3\n');
    expect(r.ms).toBeGreaterThanOrEqual(600);
  }, 30_000);

  it.each([
    {
      name: 'an unknown container',
      args: ['web', '-c', 'nope'],
      stderr: 'error: container nope is not valid for pod web\n',
    },
    {
      name: '--previous without a previous instance',
      args: ['web', '--previous'],
      stderr: 'Error from server (BadRequest): previous terminated container "main" in pod "web" not found\n',
    },
  ])('$name → exit 1', async ({ args, stderr }) => {
    const r = await podflow(['logs', ...args]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr });
  });
});

describe('podflow exec (WebSocket, the bin)', () => {
  it('-- env: the container’s environment', async () => {
    const r = await podflowProcess(['exec', 'web', '--', 'env']).done;
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toContain('GREETING=hello from podflow');
    expect(r.code).toBe(0);
  });

  it('-i passes stdin through and closes it (sh -c cat sees EOF)', async () => {
    const r = await podflowProcess(
      ['exec', '-i', 'web', '--', 'sh', '-c', 'cat; echo done'],
      'line one\nline two\n',
    ).done;
    expect(r.stdout).toBe('line one\nline two\ndone\n');
    expect(r.code).toBe(0);
  });

  it('a failing command: its stderr, `command terminated with exit code 3`, exit 3', async () => {
    const r = await podflowProcess(['exec', 'web', '-c', 'main', '--', 'sh', '-c', 'echo oops >&2; exit 3'])
      .done;
    expect(r.stderr).toBe('oops\ncommand terminated with exit code 3\n');
    expect(r.code).toBe(3);
  });

  it('a finished pod cannot be exec’d into', async () => {
    const r = await podflow(['exec', 'job', '--', 'true']);
    expect(r).toMatchObject({
      code: 1,
      stderr: 'error: cannot exec into a container in a completed pod; current phase is Succeeded\n',
    });
  });
});

describe('podflow delete', () => {
  it('prints pod "x" deleted and returns once the pod is gone (preStop, then SIGTERM)', async () => {
    const r = await podflow(['delete', 'pod', 'web']);
    expect(r.stdout).toBe('pod "web" deleted\n');
    expect(r.code).toBe(0);
    // The preStop hook sleeps 1 s: the command waited for the termination.
    expect(r.ms).toBeGreaterThanOrEqual(1000);
    expect((await podflow(['get', 'pod', 'web'])).stderr).toBe(
      'Error from server (NotFound): pods "web" not found\n',
    );
  });

  it('--wait=false returns at once, the pod still terminating', async () => {
    const r = await podflow(['delete', 'pod/crashloop', '--wait=false']);
    expect(r.stdout).toBe('pod "crashloop" deleted\n');
    const pod = await getPod('crashloop');
    if (pod) expect(pod.metadata?.deletionTimestamp).toBeDefined();
  });

  it('a missing pod: Error from server (NotFound), exit 1', async () => {
    const r = await podflow(['delete', 'pod', 'nope']);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error from server (NotFound): pods "nope" not found\n',
    });
  });
});

describe('reaching the API', () => {
  let closedPort = 0;
  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
  });

  it.each([
    {
      name: 'a wrong token',
      args: ['get', 'pods', '--kubeconfig', '', '--token', 'wrong'],
      stderr: 'error: You must be logged in to the server (Unauthorized)\n',
    },
    {
      name: 'nothing listening',
      args: ['get', 'pods', '--server', 'http://127.0.0.1:PORT'],
      stderr:
        'The connection to the server 127.0.0.1:PORT was refused - did you specify the right host or port?\n',
    },
  ])('$name → exit 1', async ({ args, stderr }) => {
    const port = (t: string): string => t.replace('PORT', String(closedPort));
    const r = await podflow(
      args.map((a) => (a === '' ? kubeconfig : port(a))),
      { kubeconfig: false },
    );
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: port(stderr) });
  });
});
