// The process runtime's side of volumes (docs/decisions/0010-volumes.md): where each volume lives on the host, how
// it is set up and torn down, and how a container gets to see it at its mountPath. What a volume holds (file names,
// modes, contents) is decided by the core (src/core/volumes.ts); this file only puts it on disk.
//
//   <pod>/_volumes/kubernetes.io~empty-dir/<name>/    an emptyDir (a tmpfs mount for medium Memory, as root)
//   <pod>/_volumes/kubernetes.io~configmap/<name>/    files written by the AtomicWriter (atomic-writer.ts); also
//   <pod>/_volumes/kubernetes.io~secret/<name>/         ~downward-api and ~projected (the kubelet's plugin
//                                                       directory names: pods/<uid>/volumes/<plugin>/<name>,
//                                                       pkg/kubelet/kubelet_getters.go getPodVolumeDir)
//   <pod>/_mounts.json                                mount points the pod created on the host, and those it uses
//   <pod>/_roots/<container>/<mountPath> -> volume    the rewrite fallback's per-container tree of symlinks
//
// `_` cannot start a DNS label, so none of these clash with a container's directory.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { lstat, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { ContainerMount, PodVolume } from '../../ports/container-runtime.ts';
import { writeAtomically } from './atomic-writer.ts';
import { assertSafeSegment } from './instance-layout.ts';

const run = promisify(execFile);

export const VOLUMES_DIR = '_volumes';
export const ROOTS_DIR = '_roots';
export const MOUNTS_FILE = '_mounts.json';
/** The emptyDirs with a sizeLimit, for the usage check: `{ "<volume>": <limit bytes> }`. */
export const LIMITS_FILE = '_volume-limits.json';
/** The environment variable that roots a container's mountPaths in the rewrite fallback. */
export const ROOT_ENV = 'PODFLOW_ROOT';

/** pkg/volume plugin names, as the kubelet names the directories of a pod's volumes. */
const PLUGIN_DIR: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

/** How containers see their mounts: bind mounts in a mount namespace of their own (root), or the rewrite fallback. */
export type MountMode = 'namespace' | 'rewrite';

/** A mount as the shim makes it. */
export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** What a pod recorded about the host paths it touched: mount points it created, and the targets it uses. */
interface MountsRecord {
  created: string[];
  used: string[];
}

/** A volume's directory on the host (a hostPath volume: its path). */
export function volumePath(podDir: string, volume: PodVolume): string {
  if (volume.type === 'hostPath') return volume.path;
  assertSafeSegment('volume name', volume.name);
  const plugin = PLUGIN_DIR[volume.type === 'emptyDir' ? 'emptyDir' : volume.source]!;
  return join(podDir, VOLUMES_DIR, plugin, volume.name);
}

/** Thrown when a volume cannot be set up; the message is the kubelet's FailedMount text. */
export class VolumeSetUpError extends Error {
  override name = 'VolumeSetUpError';
}

/**
 * Makes every volume of the pod exist: emptyDirs once (a tmpfs for medium Memory and for secrets when `tmpfs`, sized
 * by sizeLimit as empty_dir.go setupTmpfs does), hostPaths checked against their type (host_path.go
 * checkType), the files of the others written atomically (unchanged files are not rewritten).
 */
export async function setUpVolumes(
  podDir: string,
  volumes: readonly PodVolume[],
  options: { tmpfs: boolean; now: number },
): Promise<void> {
  const limits: Record<string, number> = {};
  for (const v of volumes) if (v.type === 'emptyDir' && v.sizeLimitBytes) limits[v.name] = v.sizeLimitBytes;
  if (Object.keys(limits).length > 0) writeFileSync(join(podDir, LIMITS_FILE), JSON.stringify(limits) + '\n');
  for (const volume of volumes) {
    const path = volumePath(podDir, volume);
    const fail = (message: string): never => {
      throw new VolumeSetUpError(`MountVolume.SetUp failed for volume "${volume.name}" : ${message}`);
    };
    if (volume.type === 'hostPath') {
      checkHostPath(path, volume.hostPathType, fail);
      continue;
    }
    if (!existsSync(path)) {
      mkdirSync(path, { recursive: true });
      const memory = volume.type === 'emptyDir' ? volume.medium === 'Memory' : volume.source === 'secret';
      if (memory && options.tmpfs) {
        const size =
          volume.type === 'emptyDir' && volume.sizeLimitBytes ? `,size=${volume.sizeLimitBytes}` : '';
        try {
          await run('mount', ['-t', 'tmpfs', '-o', `mode=0777${size}`, 'tmpfs', path]);
        } catch (err) {
          rmSync(path, { recursive: true, force: true });
          fail(`mount tmpfs: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
        }
      }
      // empty_dir.go: the directory is 0777, so any user of the pod may write to it.
      if (volume.type === 'emptyDir') chmodSync(path, 0o777);
    }
    if (volume.type === 'files') writeAtomically(path, volume.files, options.now);
  }
}

/** Rewrites the files of the pod's file volumes that exist (a running pod's configMap changed). */
export function updateVolumeFiles(podDir: string, volumes: readonly PodVolume[], now: number): void {
  for (const volume of volumes) {
    if (volume.type !== 'files') continue;
    const path = volumePath(podDir, volume);
    if (existsSync(path)) writeAtomically(path, volume.files, now);
  }
}

/** host_path.go checkType: the type's check, creating what `…OrCreate` asks for. */
function checkHostPath(path: string, type: string, fail: (message: string) => never): void {
  const stat = (): ReturnType<typeof statSync> | undefined => {
    try {
      return statSync(path);
    } catch {
      return undefined;
    }
  };
  const s = stat();
  switch (type) {
    case 'DirectoryOrCreate':
      if (!s) mkdirSync(path, { recursive: true, mode: 0o755 });
      else if (!s.isDirectory()) fail(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!s) {
        mkdirSync(dirname(path), { recursive: true });
        closeSync(openSync(path, 'a', 0o644));
      } else if (!s.isFile()) fail(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Directory':
      if (!s?.isDirectory()) fail(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'File':
      if (!s?.isFile()) fail(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (!s?.isSocket()) fail(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (!s?.isCharacterDevice()) fail(`hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (!s?.isBlockDevice()) fail(`hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      return; // "": no check, as upstream
  }
}

/**
 * The bind mounts of a container: each mount's source is its volume's directory, or the subPath inside it
 * (kubelet_pods.go makeMounts; a missing subPath of an emptyDir or hostPath is created, as the kubelet's
 * doSafeMakeDir does; of a configMap-like volume it must exist).
 */
export function bindMounts(
  podDir: string,
  volumes: readonly PodVolume[],
  mounts: readonly ContainerMount[],
): BindMount[] {
  const byName = new Map(volumes.map((v) => [v.name, v]));
  const out: BindMount[] = [];
  for (const m of mounts) {
    const volume = byName.get(m.volume);
    if (!volume) throw new VolumeSetUpError(`volume "${m.volume}" of mount ${m.mountPath} is not set up`);
    const root = volumePath(podDir, volume);
    let source = root;
    if (m.subPath !== '') {
      source = resolve(root, m.subPath);
      if (source !== root && !source.startsWith(root + sep))
        throw new VolumeSetUpError(`subPath ${m.subPath} of volume "${m.volume}" leaves the volume`);
      if (!existsSync(source)) {
        if (volume.type === 'files')
          throw new VolumeSetUpError(`subPath ${m.subPath} does not exist in volume "${m.volume}"`);
        mkdirSync(source, { recursive: true, mode: 0o777 });
      }
    }
    out.push({ source, target: m.mountPath, readOnly: m.readOnly });
  }
  return out;
}

/**
 * Namespace mode: every target must exist on the host to be mounted on (the container shares the host's
 * filesystem). Missing ones are created — a directory, or an empty file for a file source — and recorded, with every
 * target the pod uses, in `<pod>/_mounts.json`, so the pod's removal can take back what it created.
 */
export function prepareMountPoints(podDir: string, binds: readonly BindMount[]): void {
  const record = readMountsRecord(podDir);
  for (const b of binds) {
    if (!record.used.includes(b.target)) record.used.push(b.target);
    if (existsSync(b.target)) continue;
    const missing: string[] = [];
    for (let p = dirname(b.target); !existsSync(p); p = dirname(p)) missing.unshift(p);
    for (const dir of missing) {
      mkdirSync(dir);
      record.created.push(dir);
    }
    if (statSync(b.source).isDirectory()) mkdirSync(b.target);
    else closeSync(openSync(b.target, 'a', 0o644));
    record.created.push(b.target);
  }
  writeFileSync(join(podDir, MOUNTS_FILE), JSON.stringify(record) + '\n');
}

function readMountsRecord(podDir: string): MountsRecord {
  try {
    const r = JSON.parse(readFileSync(join(podDir, MOUNTS_FILE), 'utf8')) as Partial<MountsRecord>;
    return { created: r.created ?? [], used: r.used ?? [] };
  } catch {
    return { created: [], used: [] };
  }
}

/**
 * Rewrite mode: a tree of symlinks, one per mountPath, under `<pod>/_roots/<container>`; the container gets its
 * path in PODFLOW_ROOT, so `$PODFLOW_ROOT/etc/config` is its `/etc/config` volume. Rebuilt at each start.
 */
export function buildRewriteRoot(podDir: string, container: string, binds: readonly BindMount[]): string {
  assertSafeSegment('container name', container);
  const root = join(podDir, ROOTS_DIR, container);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const b of binds) {
    const link = join(root, b.target);
    if (!link.startsWith(root + sep)) continue;
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { recursive: true, force: true });
    symlinkSync(b.source, link);
  }
  return root;
}

/**
 * Undoes what the pod's volumes did on the host: unmounts the tmpfs mounts under the pod's directory (deepest
 * first) and removes the mount points it created that no other pod of this runtime uses or created (removing a
 * directory another mount namespace mounts on would detach that mount). The pod's directory itself is removed by
 * the caller.
 */
export async function tearDownVolumes(podsRoot: string, podDir: string): Promise<void> {
  for (const mountPoint of mountPointsUnder(podDir).sort((a, b) => b.length - a.length)) {
    await run('umount', ['-l', mountPoint]).catch(() => undefined);
  }
  const record = readMountsRecord(podDir);
  if (record.created.length === 0) return;
  const others = new Set<string>();
  for (const uid of readdirSafe(podsRoot)) {
    const dir = join(podsRoot, uid);
    if (dir === podDir) continue;
    const r = readMountsRecord(dir);
    for (const p of [...r.used, ...r.created]) {
      for (let q = p; q !== dirname(q); q = dirname(q)) others.add(q);
    }
  }
  for (const path of [...record.created].reverse()) {
    if (others.has(path)) continue;
    try {
      const s = lstatSync(path);
      if (s.isDirectory()) rmdirSync(path);
      else if (s.isFile() && s.size === 0) unlinkSync(path);
    } catch {
      // not empty any more, or gone: leave it
    }
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Mount points at or below `dir` in this process's mount namespace (/proc/self/mountinfo, field 5). */
function mountPointsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const path = field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
    if (path === dir || path.startsWith(dir + sep)) out.push(path);
  }
  return out;
}

/**
 * The emptyDirs of a pod over their sizeLimit, with their usage: the blocks of every file under the volume, as the
 * kubelet's `du`-based volume metrics count them (pkg/volume/metrics_du.go).
 */
export async function emptyDirsOverLimit(
  podDir: string,
): Promise<Array<{ volume: string; usedBytes: number }>> {
  let limits: Record<string, number>;
  try {
    limits = JSON.parse(readFileSync(join(podDir, LIMITS_FILE), 'utf8')) as Record<string, number>;
  } catch {
    return [];
  }
  const out: Array<{ volume: string; usedBytes: number }> = [];
  for (const [name, limit] of Object.entries(limits)) {
    const dir = volumePath(podDir, { name, type: 'emptyDir', medium: '' });
    const used = await diskUsage(dir);
    if (used > limit) out.push({ volume: name, usedBytes: used });
  }
  return out;
}

async function diskUsage(path: string): Promise<number> {
  let total = 0;
  const pending = [path];
  while (pending.length > 0) {
    const p = pending.pop()!;
    let s: Awaited<ReturnType<typeof lstat>>;
    try {
      s = await lstat(p);
    } catch {
      continue;
    }
    total += s.blocks * 512;
    if (s.isDirectory()) {
      const names = await readdir(p).catch(() => [] as string[]);
      for (const n of names) pending.push(join(p, n));
    }
  }
  return total;
}
