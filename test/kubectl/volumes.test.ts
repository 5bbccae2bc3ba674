// Volumes end to end: real kubectl (1.32) against `podflow serve`, pods running as local processes
// (docs/decisions/0010-volumes.md). As root every container sees its volumes at their mountPaths (bind mounts in a
// mount namespace of its own); without root it finds them under $PODFLOW_ROOT, which is why every command below
// reads `$PODFLOW_ROOT/<mountPath>` (empty as root, so the same manifests test both). The read-only checks need the
// mounts and are skipped, with the reason printed, without root. The kubelet behaviour each case reproduces:
// emptyDir shared by a pod's containers (pkg/volume/emptydir), configMap/secret files with their modes and items
// (pkg/volume/configmap, pkg/volume/secret), updates through the `..data` swap (pkg/volume/util/atomic_writer.go),
// downwardAPI files (pkg/volume/downwardapi), subPath and readOnly (pkg/kubelet/kubelet_pods.go makeMounts).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, KUBECTL, type Run } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const IS_ROOT = process.getuid?.() === 0;

if (!KUBECTL) console.warn('test/kubectl/volumes skipped: kubectl not found in /usr/bin or on PATH');
if (KUBECTL && !IS_ROOT)
  console.warn(
    'test/kubectl/volumes: read-only mount checks skipped: not root (no mount namespaces; $PODFLOW_ROOT fallback)',
  );

let serveProcess: ChildProcess;
let serveOutput = '';
let dataDir: string;
let home: string;
let env: NodeJS.ProcessEnv;
/** Where the pods mount their volumes: a directory of its own, so the test touches nothing else on the host. */
let mnt: string;

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

const apply = async (manifest: object): Promise<void> => {
  const r = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
  expect(r.code, r.stderr).toBe(0);
};

const phase = async (pod: string): Promise<string> =>
  (await kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.phase}'])).stdout;

const waitForPhase = (pod: string, want: string[], timeoutMs = 20_000) =>
  eventually(async () => want.includes(await phase(pod)), timeoutMs, `pod ${pod} in ${want.join('/')}`);

/** `sh -c` in a container, with $PODFLOW_ROOT in front of the mount paths. */
const sh = (script: string) => ({ command: ['sh', '-c', script] });

describe.skipIf(!KUBECTL)('kubectl: volumes of pods run by podflow serve', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'podflow-kubectl-volumes-'));
    home = mkdtempSync(join(tmpdir(), 'podflow-kubectl-volumes-home-'));
    mnt = join(mkdtempSync(join(tmpdir(), 'podflow-kubectl-volumes-mnt-')), 'pod');
    serveProcess = spawn(
      NODE,
      [join(ROOT, 'bin', 'podflow.js'), 'serve', '--port', '0', '--data-dir', dataDir],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
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
      await kubectl(['delete', 'pods', '--all', '--grace-period=1', '--timeout=30s'], { timeoutMs: 40_000 });
    }
    if (serveProcess && serveProcess.exitCode === null) {
      const exited = new Promise<number | null>((r) => serveProcess.on('exit', (code) => r(code)));
      serveProcess.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
      expect(code, `podflow serve did not shut down gracefully:\n${serveOutput}`).toBe(0);
    }
    for (const d of [dataDir, home, mnt && join(mnt, '..')])
      if (d) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('an emptyDir written by an init container is read by the app container, and goes with the pod', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'shared' },
      spec: {
        restartPolicy: 'Never',
        volumes: [{ name: 'work', emptyDir: {} }],
        initContainers: [
          {
            name: 'fill',
            image: 'busybox',
            ...sh(`echo written-by-init > "$PODFLOW_ROOT${mnt}/work/greeting"`),
            volumeMounts: [{ name: 'work', mountPath: `${mnt}/work` }],
          },
        ],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            ...sh(`cat "$PODFLOW_ROOT${mnt}/in/greeting"; sleep 30`),
            volumeMounts: [{ name: 'work', mountPath: `${mnt}/in` }],
          },
        ],
      },
    });
    await eventually(
      async () => (await kubectl(['logs', 'shared', '-c', 'app'])).stdout === 'written-by-init\n',
      20_000,
      'the app to print the greeting',
    );
    const uid = (await kubectl(['get', 'pod', 'shared', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const volume = join(dataDir, 'pods', uid, '_volumes', 'kubernetes.io~empty-dir', 'work');
    expect(existsSync(join(volume, 'greeting'))).toBe(true);
    const del = await kubectl(['delete', 'pod', 'shared', '--grace-period=1', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    expect(del.code, del.stderr).toBe(0);
    await eventually(() => !existsSync(volume), 10_000, 'the emptyDir to be removed');
    expect(existsSync(join(dataDir, 'pods', uid))).toBe(false);
    if (IS_ROOT) expect(existsSync(`${mnt}/work`)).toBe(false); // the mount points podflow created went too
  }, 60_000);

  it('a configMap volume updated with kubectl apply reaches the running container within 2 s', async () => {
    const configMap = (mode: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'live' },
      data: { mode },
    });
    await apply(configMap('slow'));
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'watcher' },
      spec: {
        volumes: [{ name: 'cfg', configMap: { name: 'live' } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            ...sh(`while true; do echo "mode=$(cat "$PODFLOW_ROOT${mnt}/watch/mode")"; sleep 0.1; done`),
            volumeMounts: [{ name: 'cfg', mountPath: `${mnt}/watch` }],
          },
        ],
      },
    });
    await eventually(
      async () => (await kubectl(['logs', 'watcher'])).stdout.includes('mode=slow\n'),
      20_000,
      'the first value',
    );
    const appliedAt = Date.now();
    await apply(configMap('fast'));
    let firstFast: number | undefined;
    await eventually(
      async () => {
        const lines = (await kubectl(['logs', 'watcher', '--timestamps'])).stdout.split('\n');
        const line = lines.find((l) => l.endsWith(' mode=fast'));
        if (line) firstFast = Date.parse(line.split(' ')[0]!);
        return line !== undefined;
      },
      10_000,
      'the container to read the new value',
    );
    expect(firstFast! - appliedAt).toBeLessThan(2000);
    // Never a torn read: every line is one of the two values.
    const all = (await kubectl(['logs', 'watcher'])).stdout.trim().split('\n');
    expect(new Set(all)).toEqual(new Set(['mode=slow', 'mode=fast']));
    await kubectl(['delete', 'pod', 'watcher', '--grace-period=0', '--force'], { timeoutMs: 40_000 });
  }, 60_000);

  it('secret files are 0644 by default or defaultMode, items put keys at their paths, subPath mounts one entry, a readOnly mount refuses writes', async () => {
    const secret = await kubectl([
      'create',
      'secret',
      'generic',
      'creds',
      '--from-literal=password=s3cret',
      '--from-literal=user=admin',
    ]);
    expect(secret.code, secret.stderr).toBe(0);
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'modes', labels: { tier: 'web', app: 'modes' } },
      spec: {
        volumes: [
          { name: 'plain', secret: { secretName: 'creds' } },
          { name: 'strict', secret: { secretName: 'creds', defaultMode: 0o400 } },
          {
            name: 'picked',
            secret: { secretName: 'creds', items: [{ key: 'user', path: 'conf/login', mode: 0o600 }] },
          },
          { name: 'scratch', emptyDir: {} },
          {
            name: 'meta',
            downwardAPI: {
              items: [
                { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              ],
            },
          },
        ],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            ...sh(
              `mkdir -p "$PODFLOW_ROOT${mnt}/scratch/logs" && echo in-subpath > "$PODFLOW_ROOT${mnt}/scratch/logs/x" && sleep 60`,
            ),
            volumeMounts: [
              { name: 'plain', mountPath: `${mnt}/plain` },
              { name: 'strict', mountPath: `${mnt}/strict` },
              { name: 'picked', mountPath: `${mnt}/picked` },
              { name: 'scratch', mountPath: `${mnt}/scratch` },
              { name: 'scratch', mountPath: `${mnt}/logs`, subPath: 'logs' },
              { name: 'scratch', mountPath: `${mnt}/frozen`, readOnly: true },
              { name: 'meta', mountPath: `${mnt}/meta` },
            ],
          },
        ],
      },
    });
    await waitForPhase('modes', ['Running']);
    const exec = async (script: string): Promise<Run> =>
      kubectl(['exec', 'modes', '--', 'sh', '-c', script.replaceAll('@', `$PODFLOW_ROOT${mnt}`)]);
    await eventually(
      async () => (await exec('cat @/logs/x')).stdout === 'in-subpath\n',
      10_000,
      'the subPath file',
    );

    const stat = await exec(
      'stat -L -c "%a %n" @/plain/password @/plain/user @/strict/password @/picked/conf/login',
    );
    expect(stat.stderr).toBe('');
    expect(
      stat.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/ .*\//, ' ')),
    ).toEqual(['644 password', '644 user', '400 password', '600 login']);
    expect((await exec('cat @/plain/password; echo; cat @/picked/conf/login')).stdout).toBe('s3cret\nadmin');
    expect((await exec('ls @/picked')).stdout).toBe('conf\n'); // only the listed key
    expect((await exec('ls -a @/plain')).stdout.split('\n')).toContain('..data');

    const meta = await exec('cat @/meta/name; echo; cat @/meta/labels');
    expect(meta.stdout).toBe('modes\napp="modes"\ntier="web"');

    if (IS_ROOT) {
      const write = await exec('echo nope > @/frozen/y');
      expect(write.code).not.toBe(0);
      expect(write.stderr).toMatch(/Read-only file system/);
      const secretWrite = await exec('echo nope > @/plain/password');
      expect(secretWrite.stderr).toMatch(/Read-only file system/);
      // The writable mount of the same volume works, and the subPath mount shows only its directory.
      expect((await exec('echo ok > @/scratch/y && cat @/frozen/y')).stdout).toBe('ok\n');
      expect((await exec('ls @/logs')).stdout).toBe('x\n');
    }
    await kubectl(['delete', 'pod', 'modes', '--grace-period=0', '--force'], { timeoutMs: 40_000 });
  }, 60_000);

  it('a pod whose configMap volume is missing waits with the kubelet message and starts once it exists', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'waiting' },
      spec: {
        volumes: [{ name: 'cfg', configMap: { name: 'later' } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            ...sh(`echo "got $(cat "$PODFLOW_ROOT${mnt}/later/k")"; sleep 30`),
            volumeMounts: [{ name: 'cfg', mountPath: `${mnt}/later` }],
          },
        ],
      },
    });
    await eventually(
      async () =>
        (
          await kubectl([
            'get',
            'pod',
            'waiting',
            '-o',
            'jsonpath={.status.containerStatuses[0].state.waiting.message}',
          ])
        ).stdout === 'MountVolume.SetUp failed for volume "cfg" : configmap "later" not found',
      20_000,
      'the FailedMount message',
    );
    const cm = await kubectl(['create', 'configmap', 'later', '--from-literal=k=arrived']);
    expect(cm.code, cm.stderr).toBe(0);
    await eventually(
      async () => (await kubectl(['logs', 'waiting'])).stdout === 'got arrived\n',
      10_000,
      'the pod to start',
    );
    await kubectl(['delete', 'pod', 'waiting', '--grace-period=0', '--force'], { timeoutMs: 40_000 });
  }, 60_000);

  it('an emptyDir over its sizeLimit evicts the pod with the kubelet message (checked every 10 s, as the eviction manager does)', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hog' },
      spec: {
        volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            ...sh(`head -c 3145728 /dev/zero > "$PODFLOW_ROOT${mnt}/hog/blob"; sleep 60`),
            volumeMounts: [{ name: 'scratch', mountPath: `${mnt}/hog` }],
          },
        ],
      },
    });
    await waitForPhase('hog', ['Failed'], 30_000);
    const status = await kubectl(['get', 'pod', 'hog', '-o', 'jsonpath={.status.reason}|{.status.message}']);
    expect(status.stdout).toBe('Evicted|Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    // The STATUS column then shows the container's termination reason (printPod lets container states override
    // status.reason), as for an evicted pod in a cluster; the reason is in the status and the event.
    const events = await kubectl([
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=hog,reason=Evicted',
      '-o',
      'jsonpath={.items[0].type}|{.items[0].message}',
    ]);
    expect(events.stdout).toBe('Warning|Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    await kubectl(['delete', 'pod', 'hog', '--grace-period=0', '--force'], { timeoutMs: 40_000 });
  }, 60_000);

  it('refuses a mount of an unknown volume and a repeated mountPath with the API server field errors', async () => {
    const r = await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bad' },
        spec: {
          volumes: [{ name: 'a', emptyDir: {} }],
          containers: [
            {
              name: 'app',
              image: 'busybox',
              command: ['true'],
              volumeMounts: [
                { name: 'a', mountPath: '/x' },
                { name: 'a', mountPath: '/x' },
                { name: 'nope', mountPath: '/y' },
              ],
            },
          ],
        },
      }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/x": must be unique',
    );
    expect(r.stderr).toContain('spec.containers[0].volumeMounts[2].name: Not found: "nope"');
  });
});
