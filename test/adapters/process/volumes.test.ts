// Volumes of the process runtime (docs/decisions/0010-volumes.md): the kubelet's AtomicWriter layout (`..data`
// symlink to a timestamped directory), an emptyDir shared by two containers and removed with the sandbox, and how
// containers see their mounts — bind mounts in a mount namespace of their own as root (skipped, with the reason
// printed, without root), the $PODFLOW_ROOT tree of symlinks otherwise (tested either way).
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeAtomically } from '../../../src/adapters/process/atomic-writer.ts';
import {
  ProcessContainerRuntime,
  type ProcessContainerRuntimeOptions,
} from '../../../src/adapters/process/process-container-runtime.ts';
import { systemClock } from '../../../src/ports/clock.ts';
import type { ContainerLaunch, PodVolume, SandboxRef } from '../../../src/ports/container-runtime.ts';
import { ObservationLog } from '../../contract/container-runtime.contract.ts';

const isRoot = process.getuid?.() === 0;
if (!isRoot)
  console.warn('test/adapters/process/volumes.test.ts: mount namespace tests skipped: not running as root');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tmp = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

describe('writeAtomically (atomic_writer.go)', () => {
  it('writes the payload into a timestamped directory behind ..data, with user-visible symlinks', () => {
    const dir = tmp('podflow-atomic-');
    const t0 = Date.UTC(2026, 11, 3, 17, 4, 5);
    expect(
      writeAtomically(
        dir,
        [
          { path: 'a', mode: 0o644, content: 'one' },
          { path: 'sub/b', mode: 0o600, content: 'two' },
        ],
        t0,
      ),
    ).toBe(true);
    const ts = readlinkSync(join(dir, '..data'));
    expect(ts).toMatch(/^\.\.2026_12_03_17_04_05\./);
    expect(readlinkSync(join(dir, 'a'))).toBe('..data/a');
    expect(readlinkSync(join(dir, 'sub'))).toBe('..data/sub');
    expect(readFileSync(join(dir, 'sub', 'b'), 'utf8')).toBe('two');
    expect(statSync(join(dir, 'sub', 'b')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o644);

    // Same payload: nothing written.
    expect(
      writeAtomically(
        dir,
        [
          { path: 'a', mode: 0o644, content: 'one' },
          { path: 'sub/b', mode: 0o600, content: 'two' },
        ],
        t0 + 1000,
      ),
    ).toBe(false);
    expect(readlinkSync(join(dir, '..data'))).toBe(ts);

    // New payload: a new directory, the old one and the dropped key's symlink gone.
    expect(writeAtomically(dir, [{ path: 'a', mode: 0o644, content: 'uno' }], t0 + 2000)).toBe(true);
    const ts2 = readlinkSync(join(dir, '..data'));
    expect(ts2).not.toBe(ts);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('uno');
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['..data', ts2, 'a'].sort());
  });
});

async function setup(options: Partial<ProcessContainerRuntimeOptions> = {}) {
  const root = tmp('podflow-volumes-');
  const dataDir = join(root, 'data');
  const runtime = new ProcessContainerRuntime({
    dataDir,
    clock: systemClock,
    network: { mode: 'host' },
    ...options,
  });
  const log = new ObservationLog(runtime);
  cleanups.push(async () => {
    for (const s of await runtime.listSandboxes()) await runtime.removeSandbox(s);
    await runtime.close();
  });
  const sandbox: SandboxRef = {
    key: { namespace: 'default', name: 'vols' },
    uid: `vols-${process.pid}-${Date.now()}`,
  };
  await runtime.createSandbox(sandbox);
  const launch = (
    container: string,
    argv: string[],
    extra: Partial<ContainerLaunch> = {},
  ): ContainerLaunch => ({
    key: sandbox.key,
    podUid: sandbox.uid,
    container,
    instance: 0,
    argv,
    env: [],
    workingDir: root,
    ...extra,
  });
  const runToExit = async (l: ContainerLaunch) => {
    await runtime.start(l);
    const exited = await log.waitFor(l, 'exited', 10_000);
    return { exitCode: exited.exitCode, logs: (await runtime.logs(l)).join('\n') };
  };
  return { root, dataDir, runtime, log, sandbox, launch, runToExit };
}

const volumes = (mountRoot: string): PodVolume[] => [
  { name: 'scratch', type: 'emptyDir', medium: '' },
  {
    name: 'cfg',
    type: 'files',
    source: 'configMap',
    files: [{ path: 'greeting', mode: 0o644, content: 'hello\n' }],
  },
  { name: 'host', type: 'hostPath', path: mountRoot, hostPathType: 'Directory' },
];

describe.skipIf(!isRoot)('mount namespace mode (root)', () => {
  it('shares an emptyDir between containers at its mountPath, mounts configMap files read-only, honours subPath and readOnly, and removes the emptyDir with the sandbox', async () => {
    const { runtime, launch, runToExit, dataDir, sandbox } = await setup({ mounts: 'namespace' });
    expect(runtime.mountMode).toBe('namespace');
    const target = tmp('podflow-mountpoint-');
    const m = (p: string) => join(target, 'not-yet', p); // missing mount points are created, then removed
    const vols = volumes(target);
    const writer = await runToExit(
      launch(
        'writer',
        [
          'sh',
          '-c',
          `echo from-writer > ${m('data')}/file && mkdir -p ${m('data')}/sub && echo deep > ${m('data')}/sub/x`,
        ],
        {
          volumes: vols,
          mounts: [{ volume: 'scratch', mountPath: m('data'), subPath: '', readOnly: false }],
        },
      ),
    );
    expect(writer).toEqual({ exitCode: 0, logs: '' });
    // The write went to the volume, not to the host's mount point.
    expect(readdirSync(m('data'))).toEqual([]);
    const reader = await runToExit(
      launch(
        'reader',
        [
          'sh',
          '-c',
          `cat ${m('data')}/file ${m('sub')}/x ${m('cfg')}/greeting; echo >> ${m('cfg')}/greeting || echo cfg-ro; touch ${m('ro')}/y || echo ro-ro`,
        ],
        {
          volumes: vols,
          mounts: [
            { volume: 'scratch', mountPath: m('data'), subPath: '', readOnly: false },
            { volume: 'scratch', mountPath: m('sub'), subPath: 'sub', readOnly: false },
            { volume: 'cfg', mountPath: m('cfg'), subPath: '', readOnly: true },
            { volume: 'scratch', mountPath: m('ro'), subPath: '', readOnly: true },
          ],
        },
      ),
    );
    expect(reader.exitCode).toBe(0);
    expect(reader.logs.split('\n').filter((l) => !l.includes('Read-only'))).toEqual([
      'from-writer',
      'deep',
      'hello',
      'cfg-ro',
      'ro-ro',
    ]);
    const emptyDir = join(dataDir, 'pods', sandbox.uid, '_volumes', 'kubernetes.io~empty-dir', 'scratch');
    expect(readFileSync(join(emptyDir, 'file'), 'utf8')).toBe('from-writer\n');
    await runtime.removeSandbox(sandbox);
    expect(existsSync(emptyDir)).toBe(false);
    expect(existsSync(join(target, 'not-yet'))).toBe(false); // the mount points it created are gone
  });

  it('an exec joins the container mount namespace and sees updated configMap files', async () => {
    const { runtime, launch, log, sandbox } = await setup({ mounts: 'namespace' });
    const target = join(tmp('podflow-mountpoint-'), 'cfg');
    const vols: PodVolume[] = [
      { name: 'cfg', type: 'files', source: 'secret', files: [{ path: 'k', mode: 0o400, content: 'v1' }] },
    ];
    const l = launch('app', ['sleep', '30'], {
      volumes: vols,
      mounts: [{ volume: 'cfg', mountPath: target, subPath: '', readOnly: true }],
    });
    await runtime.start(l);
    await log.waitFor(l, 'started');
    const stat = await runtime.exec(l, ['sh', '-c', `stat -L -c %a ${target}/k; cat ${target}/k`], 5000);
    expect(stat.stdout.trim().split('\n')).toEqual(['400', 'v1']);
    await runtime.updateVolumes(sandbox, [
      { ...vols[0]!, files: [{ path: 'k', mode: 0o400, content: 'v2' }] } as PodVolume,
    ]);
    expect((await runtime.exec(l, ['cat', `${target}/k`], 5000)).stdout).toBe('v2');
    await runtime.stop(l, 0);
    await log.waitFor(l, 'exited');
  });
});

describe('rewrite mode (the fallback without root)', () => {
  it('gives the container $PODFLOW_ROOT, under which each mountPath is its volume', async () => {
    const { runtime, launch, runToExit } = await setup({ mounts: 'rewrite' });
    expect(runtime.mountMode).toBe('rewrite');
    const vols = volumes(tmp('podflow-hostpath-'));
    const w = await runToExit(
      launch(
        'writer',
        ['sh', '-c', 'echo shared > "$PODFLOW_ROOT/data/f" && cat "$PODFLOW_ROOT/etc/config/greeting"'],
        {
          volumes: vols,
          mounts: [
            { volume: 'scratch', mountPath: '/data', subPath: '', readOnly: false },
            { volume: 'cfg', mountPath: '/etc/config', subPath: '', readOnly: true },
          ],
        },
      ),
    );
    expect(w).toEqual({ exitCode: 0, logs: 'hello' });
    const r = await runToExit(
      launch('reader', ['sh', '-c', 'cat "$PODFLOW_ROOT/data/f"'], {
        volumes: vols,
        mounts: [{ volume: 'scratch', mountPath: '/data', subPath: '', readOnly: false }],
      }),
    );
    expect(r).toEqual({ exitCode: 0, logs: 'shared' });
    expect(lstatSync('/data', { throwIfNoEntry: false })?.isSymbolicLink() ?? false).toBe(false);
  });

  it('reports an emptyDir over its sizeLimit (blocks counted as du does), not one within it', async () => {
    const { runtime, launch, runToExit, sandbox } = await setup({
      mounts: 'rewrite',
      volumeUsageIntervalMs: 50,
    });
    const seen: Array<{ volume: string; usedBytes: number }> = [];
    runtime.observeVolumeUsage((u) => {
      expect(u.sandbox).toEqual(sandbox);
      seen.push({ volume: u.volume, usedBytes: u.usedBytes });
    });
    const vols: PodVolume[] = [
      { name: 'small', type: 'emptyDir', medium: '', sizeLimitBytes: 1024 * 1024 },
      { name: 'roomy', type: 'emptyDir', medium: '', sizeLimitBytes: 64 * 1024 * 1024 },
    ];
    const r = await runToExit(
      launch(
        'fill',
        [
          'sh',
          '-c',
          'head -c 2097152 /dev/urandom > "$PODFLOW_ROOT/s/blob" && head -c 2097152 /dev/urandom > "$PODFLOW_ROOT/r/blob"',
        ],
        {
          volumes: vols,
          mounts: [
            { volume: 'small', mountPath: '/s', subPath: '', readOnly: false },
            { volume: 'roomy', mountPath: '/r', subPath: '', readOnly: false },
          ],
        },
      ),
    );
    expect(r.exitCode).toBe(0);
    const deadline = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((u) => u.volume))).toEqual(new Set(['small']));
    expect(seen.at(-1)!.usedBytes).toBeGreaterThan(1024 * 1024);
  });

  it('a hostPath whose type check fails is a CreateContainerConfigError with the kubelet text, and nothing starts', async () => {
    const { runtime, launch, log } = await setup({ mounts: 'rewrite' });
    const l = launch('app', ['true'], {
      volumes: [{ name: 'h', type: 'hostPath', path: '/nonexistent/podflow', hostPathType: 'Directory' }],
      mounts: [{ volume: 'h', mountPath: '/h', subPath: '', readOnly: false }],
    });
    await runtime.start(l);
    const failed = await log.waitFor(l, 'startFailed');
    expect(failed).toMatchObject({
      reason: 'CreateContainerConfigError',
      message:
        'MountVolume.SetUp failed for volume "h" : hostPath type check failed: /nonexistent/podflow is not a directory',
    });
  });
});
