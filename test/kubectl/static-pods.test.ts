// Real kubectl (1.32) against `podflow serve --static-pod-path DIR` (issue 16, item 6): every manifest in the directory
// runs as a static pod shown as its mirror (`<name>-podflow-local`, kubernetes.io/config.mirror, an ownerReference to
// the Node: pkg/kubelet/pod/mirror_client.go CreateMirrorPod); a file added, changed or removed creates, restarts or
// deletes its pod (pkg/kubelet/config/file_linux.go, kubelet.go HandlePodAdditions/Updates/Removes); dotfiles and
// other names are ignored and a broken manifest is an event and a log line, never a crash; `kubectl delete` of a
// mirror pod gives back a new mirror (a watch sees DELETED, then ADDED) while the static pod keeps running
// (kubelet.go syncPod); a label through the API keeps the mirror's uid; and a restarted engine on the same data
// directory takes its static pods over without running them again. Each container appends its pid to a file in a host
// temporary directory (env MARKS), so the test sees every start. The directory is read every 300 ms besides its
// change notifications (--static-pod-rescan, the kubelet's 20 s fileCheckFrequency scaled down).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, KUBECTL, type Run } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');

if (!KUBECTL) console.warn('test/kubectl/static-pods skipped: kubectl not found in /usr/bin or on PATH');

interface Serve {
  process: ChildProcess;
  output: () => string;
  env: NodeJS.ProcessEnv;
}

let dataDir: string;
let home: string;
let manifests: string;
let marks: string;
let serve: Serve;
/** kubectl processes in the background (a watch), ended after the suite whatever happened. */
const background: ChildProcess[] = [];

async function startServe(): Promise<Serve> {
  const child = spawn(
    NODE,
    [
      join(ROOT, 'bin', 'podflow.js'),
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--static-pod-path',
      manifests,
      '--static-pod-rescan',
      '300ms',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(() => /export KUBECONFIG=(\S+)/.test(out), 20_000, 'podflow serve to listen');
  return {
    process: child,
    output: () => out,
    env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: /export KUBECONFIG=(\S+)/.exec(out)![1]! },
  };
}

async function stopServe(s: Serve): Promise<void> {
  if (s.process.exitCode !== null) return;
  const exited = new Promise<number | null>((r) => s.process.on('exit', (code) => r(code)));
  s.process.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
  expect(code, `podflow serve did not shut down gracefully:\n${s.output()}`).toBe(0);
}

function kubectl(args: string[], options: { timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL!, args, { env: serve.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface PodJson {
  metadata: {
    name: string;
    uid: string;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; controller?: boolean }>;
  };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    containerStatuses?: Array<{ restartCount: number; state: { running?: { startedAt: string } } }>;
  };
}

async function getPod(name: string): Promise<PodJson | undefined> {
  const r = await kubectl(['get', 'pod', name, '-o', 'json', '--ignore-not-found']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as PodJson);
}

async function podNames(): Promise<string[]> {
  const r = await kubectl(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split(' ').filter((n) => n !== '');
}

const running = (p: PodJson | undefined): boolean =>
  p?.status.containerStatuses?.[0]?.state.running !== undefined;

/** A static pod of one container that appends its pid to `<marks>/<name>.pids`, then sleeps. */
function manifest(name: string, version: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'busybox',
          env: [
            { name: 'MARKS', value: marks },
            { name: 'VERSION', value: version },
          ],
          // `$$$$`: the kubelet's expansion turns `$$` into `$`, so sh sees `$$` (its pid, which exec hands to sleep).
          command: ['sh', '-c', `echo $$$$ >> "$MARKS/${name}.pids"; exec sleep 3600`],
        },
      ],
    },
  });
}

/** Writes a manifest as an editor that cares should: a dotfile (ignored), then a rename into place. */
function writeManifest(file: string, text: string): void {
  const tmp = join(manifests, `.${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(manifests, file));
}

const pids = (name: string): number[] => {
  try {
    return readFileSync(join(marks, `${name}.pids`), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  } catch {
    return [];
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!KUBECTL)('kubectl against podflow serve --static-pod-path', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'podflow-static-data-'));
    home = mkdtempSync(join(tmpdir(), 'podflow-static-home-'));
    manifests = mkdtempSync(join(tmpdir(), 'podflow-static-manifests-'));
    marks = mkdtempSync(join(tmpdir(), 'podflow-static-marks-'));
    writeFileSync(join(manifests, 'web.yaml'), manifest('web', '1'));
    // Not manifests: a dotfile (file.go globs [^.]*) and another name; and one that is broken.
    writeFileSync(join(manifests, '.hidden.yaml'), manifest('hidden', '1'));
    writeFileSync(join(manifests, 'notes.txt'), manifest('notes', '1'));
    writeFileSync(
      join(manifests, 'broken.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\nspec: {}\n',
    );
    serve = await startServe();
  }, 30_000);

  afterAll(async () => {
    for (const child of background) if (child.exitCode === null) child.kill();
    if (KUBECTL && serve) {
      // Static pods go with their files (a `kubectl delete` would only replace their mirrors).
      for (const f of ['web.yaml', 'added.yaml']) rmSync(join(manifests, f), { force: true });
      await eventually(async () => (await podNames()).length === 0, 20_000, 'the static pods to go').catch(
        () => undefined,
      );
      await stopServe(serve);
    }
    for (const d of [dataDir, home, manifests, marks]) if (d) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('runs each manifest as a static pod shown as its mirror; dotfiles and other names are not manifests', async () => {
    await eventually(async () => running(await getPod('web-podflow-local')), 20_000, 'web to run');
    expect(await podNames()).toEqual(['web-podflow-local']);
    const pod = (await getPod('web-podflow-local'))!;
    const hash = pod.metadata.annotations?.['kubernetes.io/config.hash'];
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(pod.metadata.annotations).toMatchObject({
      'kubernetes.io/config.mirror': hash,
      'kubernetes.io/config.source': 'file',
    });
    // The mirror's uid is the API server's, not the static pod's (the hash).
    expect(pod.metadata.uid).not.toBe(hash);
    expect(pod.metadata.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'v1', kind: 'Node', name: 'podflow-local', controller: true }),
    ]);
    expect(pod.spec.nodeName).toBe('podflow-local');
    expect(pids('web')).toHaveLength(1);
    expect(pids('hidden')).toEqual([]);
    expect(pids('notes')).toEqual([]);
  });

  it('reports a broken manifest as an event and one log line, and keeps serving', async () => {
    await eventually(
      async () => {
        const r = await kubectl([
          'get',
          'events',
          '--field-selector',
          'reason=FailedValidation',
          '-o',
          'json',
        ]);
        return r.stdout.includes('broken.yaml');
      },
      10_000,
      'the FailedValidation event',
    );
    const r = await kubectl(['get', 'events', '--field-selector', 'reason=FailedValidation', '-o', 'json']);
    const events = (
      JSON.parse(r.stdout) as {
        items: Array<{ type: string; message: string; involvedObject: { kind: string; name: string } }>;
      }
    ).items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Node', name: 'podflow-local' },
    });
    expect(events[0]!.message).toContain('spec.containers: Required value');
    // Said once, not at every read of the directory (several have happened by now).
    await new Promise((r) => setTimeout(r, 1000));
    expect(serve.output().match(/broken\.yaml: .*spec\.containers: Required value/g)).toHaveLength(1);
    expect(serve.process.exitCode).toBeNull();
  });

  it('a file added to the directory creates its pod', async () => {
    writeManifest('added.yaml', manifest('added', '1'));
    await eventually(async () => running(await getPod('added-podflow-local')), 20_000, 'added to run');
    expect(pids('added')).toHaveLength(1);
  });

  it('kubectl delete of the mirror pod gives back a new mirror; the static pod keeps running', async () => {
    const before = (await getPod('web-podflow-local'))!;
    const started = before.status.containerStatuses![0]!.state.running!.startedAt;
    const [pid] = pids('web');
    // A watch sees what an API server sends: the mirror DELETED, then the new one ADDED.
    const watcher = spawn(
      KUBECTL!,
      ['get', 'pod', 'web-podflow-local', '--watch', '--output-watch-events', '-o', 'json'],
      { env: serve.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    background.push(watcher);
    let watched = '';
    watcher.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    // kubectl prints one JSON object per event and line ({"type": …, "object": the pod}); only whole lines count.
    const lines = (): string[] => watched.split('\n').slice(0, -1);
    const seen = (uid: string): boolean => lines().some((l) => l.includes(uid));
    await eventually(() => seen(before.metadata.uid), 10_000, 'the watch to start');
    const r = await kubectl(['delete', 'pod', 'web-podflow-local'], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('pod "web-podflow-local" deleted');
    const after = (await getPod('web-podflow-local'))!;
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(after.metadata.annotations?.['kubernetes.io/config.mirror']).toBe(
      before.metadata.annotations?.['kubernetes.io/config.hash'],
    );
    await eventually(() => seen(after.metadata.uid), 10_000, 'the watch to see the new mirror');
    watcher.kill();
    const events = lines()
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { type: string; object: PodJson });
    expect(events.map((e) => [e.type, e.object.metadata.uid])).toEqual([
      ['ADDED', before.metadata.uid],
      ['DELETED', before.metadata.uid],
      ['ADDED', after.metadata.uid],
    ]);
    // Longer than a few reads of the directory: nothing restarts it later either.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = (await getPod('web-podflow-local'))!;
    expect(later.metadata.uid).toBe(after.metadata.uid);
    expect(later.status.containerStatuses![0]!.state.running?.startedAt).toBe(started);
    expect(later.status.containerStatuses![0]!.restartCount).toBe(0);
    expect(pids('web')).toEqual([pid]);
    expect(alive(pid!)).toBe(true);
  }, 40_000);

  it('kubectl label of a mirror pod works as on any pod: the mirror keeps its uid', async () => {
    const before = (await getPod('web-podflow-local'))!;
    const r = await kubectl(['label', 'pod', 'web-podflow-local', 'tier=static']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('pod/web-podflow-local labeled');
    const after = (await getPod('web-podflow-local'))!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect((after.metadata as { labels?: Record<string, string> }).labels).toEqual({
      app: 'web',
      tier: 'static',
    });
  });

  it('a changed file restarts its pod: the old container is killed, the new version started', async () => {
    const before = (await getPod('web-podflow-local'))!;
    const [oldPid] = pids('web');
    writeManifest('web.yaml', manifest('web', '2'));
    await eventually(
      async () => {
        const p = await getPod('web-podflow-local');
        return (
          running(p) &&
          p!.metadata.annotations?.['kubernetes.io/config.hash'] !==
            before.metadata.annotations?.['kubernetes.io/config.hash']
        );
      },
      20_000,
      'the new version of web to run',
    );
    const after = (await getPod('web-podflow-local'))!;
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(after.status.containerStatuses![0]!.restartCount).toBe(0);
    expect(pids('web')).toHaveLength(2);
    expect(alive(oldPid!)).toBe(false);
    expect(alive(pids('web')[1]!)).toBe(true);
    expect(serve.output()).toContain('static pod default/web-podflow-local: its manifest changed');
  }, 40_000);

  it('a removed file deletes its pod', async () => {
    const [pid] = pids('added');
    unlinkSync(join(manifests, 'added.yaml'));
    await eventually(async () => (await getPod('added-podflow-local')) === undefined, 20_000, 'added to go');
    expect(alive(pid!)).toBe(false);
    expect(await podNames()).toEqual(['web-podflow-local']);
  }, 40_000);

  it('a restarted engine on the same data directory takes its static pods over without running them again', async () => {
    const before = (await getPod('web-podflow-local'))!;
    const started = before.status.containerStatuses![0]!.state.running!.startedAt;
    await stopServe(serve);
    serve = await startServe();
    await eventually(
      async () => running(await getPod('web-podflow-local')),
      20_000,
      'web to be served again',
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await podNames()).toEqual(['web-podflow-local']);
    const after = (await getPod('web-podflow-local'))!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status.containerStatuses![0]!.state.running?.startedAt).toBe(started);
    expect(after.status.containerStatuses![0]!.restartCount).toBe(0);
    expect(pids('web')).toHaveLength(2);
    expect(alive(pids('web')[1]!)).toBe(true);
  }, 60_000);
});
