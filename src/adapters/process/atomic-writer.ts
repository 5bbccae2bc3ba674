// The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go Write), for configMap, secret, downwardAPI and
// projected volumes: a reader of the volume sees either the old set of files or the new one, never a mix.
//
//   <dir>/..2026_12_03_17_04_05.123456789/   the payload, one timestamped directory per version (files with modes)
//   <dir>/..data -> ..2026_12_03_…            the current version; replaced by rename(2) of `..data_tmp`
//   <dir>/<key>  -> ..data/<key>              one symlink per top-level path of the payload
//
// An update writes a new timestamped directory, points a fresh `..data_tmp` symlink at it and renames it over
// `..data` (atomic), then adds the user-visible symlinks that are new, removes those no longer in the payload and
// removes the old directory. An unchanged payload (same paths, contents and modes) writes nothing.
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { VolumeFile } from '../../ports/container-runtime.ts';

export const DATA_DIR_NAME = '..data';
const DATA_DIR_TMP_NAME = '..data_tmp';

/** atomic_writer.go newTimestampDir: `..` + the time as 2006_01_02_15_04_05 + `.` + a random suffix (MkdirTemp). */
function timestampPrefix(now: number): string {
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_` +
    `${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.`
  );
}

/** Writes `files` into `dir` atomically. Returns whether anything changed. */
export function writeAtomically(dir: string, files: readonly VolumeFile[], now: number): boolean {
  mkdirSync(dir, { recursive: true });
  const oldTs = readDataLink(dir);
  if (oldTs !== undefined && samePayload(join(dir, oldTs), files)) return false;
  const oldVisible = new Set(oldTs === undefined ? [] : userVisiblePaths(dir));

  const tsDir = mkdtempSync(join(dir, timestampPrefix(now)));
  chmodSync(tsDir, 0o755);
  for (const f of files) {
    const path = join(tsDir, f.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, f.content, { mode: f.mode });
    chmodSync(path, f.mode); // the umask does not apply to an explicit mode
  }
  const tmpLink = join(dir, DATA_DIR_TMP_NAME);
  rmSync(tmpLink, { force: true });
  symlinkSync(tsDir.slice(dir.length + 1), tmpLink);
  renameSync(tmpLink, join(dir, DATA_DIR_NAME));

  const visible = new Set(files.map((f) => f.path.split('/')[0]!));
  for (const top of visible) {
    const link = join(dir, top);
    if (!isSymlink(link)) symlinkSync(join(DATA_DIR_NAME, top), link);
  }
  for (const top of oldVisible) if (!visible.has(top)) unlinkSync(join(dir, top));
  if (oldTs !== undefined) rmSync(join(dir, oldTs), { recursive: true, force: true });
  return true;
}

function readDataLink(dir: string): string | undefined {
  try {
    return readlinkSync(join(dir, DATA_DIR_NAME));
  } catch {
    return undefined;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The user-visible entries: every symlink that is not one of the writer's own names. */
function userVisiblePaths(dir: string): string[] {
  return readdirSync(dir).filter((name) => !name.startsWith('..') && isSymlink(join(dir, name)));
}

function listFiles(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else out.push(rel);
  }
  return out;
}

function samePayload(tsDir: string, files: readonly VolumeFile[]): boolean {
  try {
    const existing = listFiles(tsDir);
    if (existing.length !== files.length) return false;
    for (const f of files) {
      const path = join(tsDir, f.path);
      if ((statSync(path).mode & 0o777) !== f.mode) return false;
      if (readFileSync(path, 'utf8') !== f.content) return false;
    }
    return true;
  } catch {
    return false;
  }
}
