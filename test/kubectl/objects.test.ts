// Real kubectl (1.32) against `podflow serve` for ConfigMaps, Secrets and Namespaces: `kubectl create configmap|
// secret|namespace` (client-go's typed clients, protobuf bodies), get/describe/-o yaml/-w/delete, a pod in a missing
// namespace, a namespace's deletion (Terminating, its pods deleted, then gone), and a pod waiting with
// CreateContainerConfigError that starts once its ConfigMap is created. Only KUBECONFIG (plus PATH and a temporary
// HOME) is given to kubectl, as in kubectl.test.ts; the suite is skipped without a kubectl binary.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, globSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const SECRET_VALUE = 's3cr3t-hunter2';

function findKubectl(): string | undefined {
  const candidates = [
    '/usr/bin/kubectl',
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'kubectl')),
  ];
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const KUBECTL = findKubectl();
if (!KUBECTL) console.warn('test/kubectl/objects skipped: kubectl not found in /usr/bin or on PATH');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let serveProcess: ChildProcess;
let serveOutput = '';
let dataDir: string;
let home: string;
let files: string;
let env: NodeJS.ProcessEnv;

function kubectl(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL!, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `kubectl <args> -w` in the background. */
function watch(args: string[]): { output: () => string; stop: () => Promise<void> } {
  const child = spawn(KUBECTL!, [...args, '-w'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  return {
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const tableRows = (text: string): string[][] =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

describe.skipIf(!KUBECTL)('kubectl: ConfigMaps, Secrets and Namespaces against podflow serve', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'podflow-kubectl-objects-'));
    home = mkdtempSync(join(tmpdir(), 'podflow-kubectl-objects-home-'));
    files = mkdtempSync(join(tmpdir(), 'podflow-kubectl-objects-files-'));
    writeFileSync(join(files, 'app.properties'), 'color=blue\nsize=3\n');
    serveProcess = spawn(
      NODE,
      [join(ROOT, 'bin', 'podflow.js'), 'serve', '--port', '0', '--data-dir', dataDir],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    serveProcess.stdout!.on('data', (d: Buffer) => (serveOutput += d.toString()));
    serveProcess.stderr!.on('data', (d: Buffer) => (serveOutput += d.toString()));
    await eventually(() => /export KUBECONFIG=(\S+)/.test(serveOutput), 20_000, 'podflow serve to listen');
    env = {
      PATH: process.env.PATH,
      HOME: home,
      KUBECONFIG: /export KUBECONFIG=(\S+)/.exec(serveOutput)![1]!,
    };
  }, 40_000);

  afterAll(async () => {
    if (KUBECTL && env) {
      await kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=1', '--timeout=30s'], {
        timeoutMs: 40_000,
      });
    }
    if (serveProcess && serveProcess.exitCode === null) {
      const exited = new Promise<number | null>((r) => serveProcess.on('exit', (code) => r(code)));
      serveProcess.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
      expect(code, `podflow serve did not shut down gracefully:\n${serveOutput}`).toBe(0);
    }
    for (const d of [dataDir, home, files]) if (d) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('api-resources -o wide lists every served resource with its short names, namespaced flag and verbs', async () => {
    const r = await kubectl(['api-resources', '-o', 'wide', '--no-headers']);
    expect(r.stderr).toBe('');
    // NAME, SHORTNAMES, APIVERSION, NAMESPACED, KIND, VERBS, CATEGORIES as kubectl prints them (a column it leaves
    // empty collapses in tableRows). The whole table: a resource podflow does not serve must not appear, and one it
    // serves must not be missing, or kubectl's discovery (short names, `all`, can-i) would lie.
    const crud = 'create,delete,get,list,patch,update,watch';
    expect(tableRows(r.stdout)).toEqual([
      ['configmaps', 'cm', 'v1', 'true', 'ConfigMap', crud],
      ['events', 'ev', 'v1', 'true', 'Event', 'get,list,watch'],
      ['namespaces', 'ns', 'v1', 'false', 'Namespace', crud],
      ['pods', 'po', 'v1', 'true', 'Pod', crud, 'all'],
      ['secrets', 'v1', 'true', 'Secret', crud],
      ['selfsubjectaccessreviews', 'authorization.k8s.io/v1', 'false', 'SelfSubjectAccessReview', 'create'],
      ['selfsubjectrulesreviews', 'authorization.k8s.io/v1', 'false', 'SelfSubjectRulesReview', 'create'],
      ['cronjobs', 'cj', 'batch/v1', 'true', 'CronJob', crud, 'all'],
      ['jobs', 'batch/v1', 'true', 'Job', crud, 'all'],
      ['pods', 'metrics.k8s.io/v1beta1', 'true', 'PodMetrics', 'get,list'],
    ]);
    // Each listed verb `list` answers: kubectl resolves the short name or the group-qualified name and lists.
    for (const resource of ['cm', 'ev', 'ns', 'po', 'secrets', 'cj', 'jobs', 'pods.metrics.k8s.io', 'all']) {
      const listed = await kubectl(['get', resource, '-A']);
      expect(listed.code, `get ${resource} -A: ${listed.stderr}`).toBe(0);
    }
  });

  it('auth can-i tells the truth: yes for what podflow serves, no (exit 1) for what it does not; --list', async () => {
    for (const args of [
      ['create', 'pods'],
      ['delete', 'configmaps', '-n', 'kube-system'],
      ['get', 'pods', '--subresource=log'],
      ['create', 'selfsubjectaccessreviews.authorization.k8s.io'],
    ]) {
      const r = await kubectl(['auth', 'can-i', ...args]);
      // kubectl warns itself that a cluster-scoped resource takes no namespace (the kubeconfig's context has one).
      expect([r.code, r.stdout.trim()], `${args.join(' ')}: ${r.stderr}`).toEqual([0, 'yes']);
    }
    for (const [args, why] of [
      [['create', 'deployments.apps'], 'podflow does not serve deployments.apps'],
      [['update', 'events'], 'podflow serves events for get, list, watch, not update'],
      [
        ['deletecollection', 'pods'],
        'podflow serves pods for create, delete, get, list, patch, update, watch, not deletecollection',
      ],
    ] as const) {
      const r = await kubectl(['auth', 'can-i', ...args]);
      expect([r.code, r.stdout.trim()], args.join(' ')).toEqual([1, `no - ${why}`]);
    }
    const list = await kubectl(['auth', 'can-i', '--list']);
    expect(list.code).toBe(0);
    const rows = tableRows(list.stdout);
    expect(rows).toContainEqual(['pods', '[]', '[]', '[create delete get list patch update watch]']);
    expect(rows).toContainEqual(['events', '[]', '[]', '[get list watch]']);
    expect(rows).toContainEqual(['[/api/*]', '[]', '[get]']);
  });

  it('get ns lists default, kube-public and kube-system, Active; create ns team-a', async () => {
    const before = await kubectl(['get', 'ns']);
    expect(before.stderr).toBe('');
    const [header, ...rows] = tableRows(before.stdout);
    expect(header).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(rows.map((c) => c.slice(0, 2))).toEqual([
      ['default', 'Active'],
      ['kube-public', 'Active'],
      ['kube-system', 'Active'],
    ]);
    const created = await kubectl(['create', 'ns', 'team-a']);
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('namespace/team-a created');
    const ns = parse((await kubectl(['get', 'ns', 'team-a', '-o', 'yaml'])).stdout) as {
      metadata: { labels: Record<string, string> };
      spec: { finalizers: string[] };
      status: { phase: string };
    };
    expect(ns.metadata.labels['kubernetes.io/metadata.name']).toBe('team-a');
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    expect(ns.status.phase).toBe('Active');
  });

  it('create configmap --from-literal/--from-file; get, describe, -o yaml', async () => {
    const created = await kubectl([
      'create',
      'configmap',
      'x',
      '--from-literal=a=b',
      `--from-file=${join(files, 'app.properties')}`,
    ]);
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('configmap/x created');
    const get = await kubectl(['get', 'cm', 'x']);
    const [header, row] = tableRows(get.stdout);
    expect(header).toEqual(['NAME', 'DATA', 'AGE']);
    expect(row!.slice(0, 2)).toEqual(['x', '2']);
    const yaml = parse((await kubectl(['get', 'configmap', 'x', '-o', 'yaml'])).stdout) as {
      kind: string;
      data: Record<string, string>;
      metadata: { namespace: string; resourceVersion: string };
    };
    expect(yaml.kind).toBe('ConfigMap');
    expect(yaml.data).toEqual({ a: 'b', 'app.properties': 'color=blue\nsize=3\n' });
    expect(yaml.metadata.namespace).toBe('default');
    const describe = await kubectl(['describe', 'configmap', 'x']);
    expect(describe.stdout).toMatch(/^Name:\s+x$/m);
    expect(describe.stdout).toMatch(/^a:\n----\nb$/m);
  });

  it('create secret generic: get shows TYPE and DATA, describe shows sizes, -o yaml base64; no value elsewhere', async () => {
    const created = await kubectl([
      'create',
      'secret',
      'generic',
      's',
      `--from-literal=password=${SECRET_VALUE}`,
      '--from-literal=user=admin',
    ]);
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('secret/s created');
    const get = await kubectl(['get', 'secrets', '-o', 'wide']);
    const [header, row] = tableRows(get.stdout);
    expect(header).toEqual(['NAME', 'TYPE', 'DATA', 'AGE']);
    expect(row!.slice(0, 3)).toEqual(['s', 'Opaque', '2']);
    const describe = await kubectl(['describe', 'secret', 's']);
    expect(describe.stdout).toMatch(/^password:\s+14 bytes$/m);
    expect(describe.stdout).not.toContain(SECRET_VALUE);
    const yaml = parse((await kubectl(['get', 'secret', 's', '-o', 'yaml'])).stdout) as {
      data: Record<string, string>;
      type: string;
    };
    expect(yaml.type).toBe('Opaque');
    expect(Buffer.from(yaml.data.password!, 'base64').toString()).toBe(SECRET_VALUE);
  });

  it('bad input: an invalid name is the server’s 422 with the field; an immutable ConfigMap refuses a change', async () => {
    const bad = await kubectl(['create', 'configmap', 'Bad_Name', '--from-literal=a=b']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain',
    );
    const applied = await kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\nimmutable: true\ndata: {a: b}\n',
    });
    expect(applied.stdout.trim()).toBe('configmap/frozen created');
    const patched = await kubectl(['patch', 'cm', 'frozen', '-p', '{"data":{"a":"c"}}']);
    expect(patched.code).toBe(1);
    expect(patched.stderr.trim()).toBe(
      'The ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
    const badNs = await kubectl(['create', 'ns', 'Team_B']);
    expect(badNs.stderr).toContain(
      'The Namespace "Team_B" is invalid: metadata.name: Invalid value: "Team_B"',
    );
    const system = await kubectl(['delete', 'ns', 'default']);
    expect(system.stderr.trim()).toBe(
      'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted',
    );
  });

  it('a pod or a ConfigMap in a missing namespace: the API server’s NotFound', async () => {
    const pod = await kubectl(['-n', 'nope', 'run', 'p', '--image=busybox', '--command', '--', 'true']);
    expect(pod.code).toBe(1);
    expect(pod.stderr).toContain('Error from server (NotFound): namespaces "nope" not found');
    const cm = await kubectl(['-n', 'nope', 'create', 'configmap', 'c', '--from-literal=a=b']);
    expect(cm.stderr.trim()).toBe('error: failed to create configmap: namespaces "nope" not found');
  });

  it('a pod waiting with CreateContainerConfigError starts once its ConfigMap is created', async () => {
    const applied = await kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: needs-config}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: busybox
      command: ['sh', '-c', 'echo "mode=$MODE password-length=\${#PASSWORD}"; trap "exit 0" TERM; while true; do sleep 0.2; done']
      env:
        - name: MODE
          valueFrom: {configMapKeyRef: {name: later, key: mode}}
        - name: PASSWORD
          valueFrom: {secretKeyRef: {name: s, key: password}}
`,
    });
    expect(applied.stdout.trim()).toBe('pod/needs-config created');
    await eventually(
      async () =>
        (await kubectl(['get', 'pod', 'needs-config'])).stdout.includes('CreateContainerConfigError'),
      15_000,
      'the pod to wait with CreateContainerConfigError',
    );
    const waiting = await kubectl(['describe', 'pod', 'needs-config']);
    expect(waiting.stdout).toMatch(/Warning\s+Failed\s+.*Error: configmap "later" not found/);
    const cm = await kubectl(['create', 'configmap', 'later', '--from-literal=mode=fast']);
    expect(cm.stdout.trim()).toBe('configmap/later created');
    const started = Date.now();
    await eventually(
      async () => tableRows((await kubectl(['get', 'pod', 'needs-config'])).stdout)[1]?.[2] === 'Running',
      15_000,
      'the pod to start once the ConfigMap exists',
    );
    // Woken by the ConfigMap's creation, not by the kubelet's back-off (10 s and more).
    expect(Date.now() - started).toBeLessThan(8_000);
    await eventually(
      async () => (await kubectl(['logs', 'needs-config'])).stdout.includes('mode=fast'),
      10_000,
      'the container’s output',
    );
    const logs = await kubectl(['logs', 'needs-config']);
    expect(logs.stdout.trim()).toBe('mode=fast password-length=14');
  }, 60_000);

  it('get configmaps -w shows a ConfigMap created and deleted; delete prints the API server’s line', async () => {
    const w = watch(['get', 'configmaps']);
    await eventually(() => w.output().includes('later'), 10_000, 'the watch to list');
    await kubectl(['create', 'configmap', 'watched', '--from-literal=k=v']);
    await eventually(() => /^watched\s+1\s/m.test(w.output()), 10_000, 'the watch to show the new ConfigMap');
    const deleted = await kubectl(['delete', 'configmap', 'watched']);
    expect(deleted.stdout.trim()).toBe('configmap "watched" deleted');
    await eventually(
      () => (w.output().match(/^watched\s/gm) ?? []).length >= 2,
      10_000,
      'the watch to show the deletion',
    );
    await w.stop();
    const gone = await kubectl(['get', 'configmap', 'watched']);
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): configmaps "watched" not found');
  }, 30_000);

  it('delete ns: Terminating while its pod stops, new content refused, then gone with its pods and objects', async () => {
    await kubectl(['create', 'ns', 'team-b']);
    await kubectl(['-n', 'team-b', 'create', 'secret', 'generic', 'sb', '--from-literal=k=v']);
    const run = await kubectl([
      '-n',
      'team-b',
      'run',
      'slow',
      '--image=busybox',
      '--command',
      '--overrides={"spec":{"terminationGracePeriodSeconds":10}}',
      '--',
      'sh',
      '-c',
      'trap "sleep 2; exit 0" TERM; while true; do sleep 0.2; done',
    ]);
    expect(run.stdout.trim()).toBe('pod/slow created');
    await eventually(
      async () =>
        tableRows((await kubectl(['-n', 'team-b', 'get', 'pod', 'slow'])).stdout)[1]?.[2] === 'Running',
      15_000,
      'the pod to run',
    );
    const w = watch(['get', 'ns', 'team-b']);
    await eventually(() => w.output().includes('team-b'), 10_000, 'the namespace watch');
    const deleted = await kubectl(['delete', 'ns', 'team-b', '--wait=false']);
    expect(deleted.stdout.trim()).toBe('namespace "team-b" deleted');
    const during = await kubectl(['get', 'ns', 'team-b']);
    expect(tableRows(during.stdout)[1]!.slice(0, 2)).toEqual(['team-b', 'Terminating']);
    const pods = await kubectl(['-n', 'team-b', 'get', 'pods']);
    expect(tableRows(pods.stdout)[1]!.slice(0, 3)).toEqual(['slow', '1/1', 'Terminating']);
    const refused = await kubectl(['-n', 'team-b', 'create', 'configmap', 'late', '--from-literal=a=b']);
    expect(refused.stderr.trim()).toBe(
      'error: failed to create configmap: configmaps "late" is forbidden: unable to create new content in namespace team-b because it is being terminated',
    );
    const secrets = await kubectl(['-n', 'team-b', 'get', 'secrets']);
    expect(secrets.stderr.trim()).toBe('No resources found in team-b namespace.');
    await eventually(
      async () => (await kubectl(['get', 'ns', 'team-b'])).stderr.includes('NotFound'),
      20_000,
      'the namespace to go',
    );
    const after = await kubectl(['get', 'ns', 'team-b']);
    expect(after.stderr.trim()).toBe('Error from server (NotFound): namespaces "team-b" not found');
    const podsAfter = await kubectl(['-n', 'team-b', 'get', 'pods']);
    expect(podsAfter.stderr.trim()).toBe('No resources found in team-b namespace.');
    await w.stop();
    expect(tableRows(w.output()).map((c) => c[1])).toEqual(expect.arrayContaining(['Active', 'Terminating']));
  }, 60_000);

  it('the Secret’s value appears in no event, nowhere in podflow serve’s output, in no file others can read', async () => {
    const events = await kubectl(['get', 'events', '-A', '-o', 'yaml']);
    expect(events.code).toBe(0);
    expect(events.stdout).not.toContain(SECRET_VALUE);
    expect(events.stdout).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
    expect(serveOutput).not.toContain(SECRET_VALUE);
    // The process runtime records each start's environment (for exec and recovery): readable by its owner only.
    const launches = globSync('pods/*/*/*/launch.json', { cwd: dataDir });
    expect(launches.length).toBeGreaterThan(0);
    for (const launch of launches) expect(statSync(join(dataDir, launch)).mode & 0o077).toBe(0);
  });
});
