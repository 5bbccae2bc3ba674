#!/usr/bin/env node
// Compiles the process runtime's container supervisor (podflow-shim.c, next to this file) to
// build/podflow-shim with the machine's C compiler. Run at install time (package.json "postinstall") and, lazily,
// by ProcessContainerRuntime when the binary is missing or stale, so a fresh checkout works either way.
//
// Plain JavaScript on purpose: npm may run it with whatever `node` is first on PATH, before any TypeScript tooling.
//
//   node src/adapters/process/shim/build-shim.mjs   build if the source, flags or compiler changed (idempotent)
//   npm run build:shim                              rebuild (--force)
//   PODFLOW_SKIP_SHIM_BUILD=1                       skip (e.g. a CI job that only synthesizes the cloud stack)
//   CC=clang                                        pick the compiler (default: cc, then gcc, then clang)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..', '..');
export const SHIM_SOURCE = join(HERE, 'podflow-shim.c');
export const SHIM_BINARY = join(ROOT, 'build', 'podflow-shim');
const STAMP = `${SHIM_BINARY}.stamp`;
/** -O2 for a small, fast supervisor; warnings on so a compiler upgrade that finds something is visible. */
const CFLAGS = ['-std=c11', '-O2', '-Wall', '-Wextra'];

export class ShimBuildError extends Error {
  name = 'ShimBuildError';
}

function run(file, args) {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    );
  });
}

async function findCompiler() {
  const candidates = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
  for (const cc of candidates) {
    const { error, stdout } = await run(cc, ['--version']);
    if (!error) return { cc, version: stdout.split('\n')[0] ?? '' };
  }
  throw new ShimBuildError(
    `podflow: cannot build the process-runtime shim (${SHIM_SOURCE}): no C compiler found ` +
      `(tried ${candidates.join(', ')}). Install one (Debian/Ubuntu: apt-get install gcc; Fedora: dnf install gcc; ` +
      `Alpine: apk add build-base) or set CC, then run: npm run build:shim`,
  );
}

/**
 * Builds build/podflow-shim unless the stamp says the binary was built from this source with these flags and
 * this compiler. Concurrent callers (parallel test workers) are safe: each compiles to its own temporary file and
 * renames it into place. Returns the binary's path and whether it was (re)built.
 */
export async function buildShim({ force = false } = {}) {
  if (process.platform !== 'linux') {
    throw new ShimBuildError(
      `podflow: the process runtime's shim needs Linux (signalfd, prctl, /proc); this is ${process.platform}`,
    );
  }
  const source = await readFile(SHIM_SOURCE);
  const { cc, version } = await findCompiler();
  const stamp = createHash('sha256')
    .update(source)
    .update('\0' + CFLAGS.join(' ') + '\0' + cc + '\0' + version)
    .digest('hex');
  if (!force) {
    const [current, binary] = await Promise.all([
      readFile(STAMP, 'utf8').catch(() => ''),
      stat(SHIM_BINARY).catch(() => undefined),
    ]);
    if (binary?.isFile() && current.trim() === stamp) {
      // Same content, newer mtime (a checkout touched the source): refresh the mtime so ensureShim's cheap check
      // passes again.
      const now = new Date();
      await utimes(SHIM_BINARY, now, now).catch(() => undefined);
      return { path: SHIM_BINARY, built: false };
    }
  }
  await mkdir(dirname(SHIM_BINARY), { recursive: true });
  const tmp = `${SHIM_BINARY}.${process.pid}.tmp`;
  // Static when the C library allows it (no dynamic loader at each container start: faster to start, less
  // resident memory); dynamic otherwise (e.g. Fedora without glibc-static).
  let { error, stderr } = await run(cc, [...CFLAGS, '-static', '-o', tmp, SHIM_SOURCE]);
  if (error) ({ error, stderr } = await run(cc, [...CFLAGS, '-o', tmp, SHIM_SOURCE]));
  if (error) {
    await rm(tmp, { force: true });
    throw new ShimBuildError(
      `podflow: compiling ${SHIM_SOURCE} with ${cc} failed:\n${stderr || error.message}`,
    );
  }
  if (stderr.trim()) process.stderr.write(`podflow: ${cc} warnings for podflow-shim.c:\n${stderr}`);
  await chmod(tmp, 0o755);
  await rename(tmp, SHIM_BINARY);
  await writeFile(`${STAMP}.${process.pid}.tmp`, stamp + '\n');
  await rename(`${STAMP}.${process.pid}.tmp`, STAMP);
  return { path: SHIM_BINARY, built: true };
}

/**
 * What the runtime calls: the stamp check alone when nothing changed (no compiler run), a build otherwise.
 * The compiler lookup is skipped when the binary is up to date with the source, so a machine with a prebuilt
 * binary and no compiler still works.
 */
export async function ensureShim() {
  if (process.platform === 'linux') {
    const [binary, source] = await Promise.all([
      stat(SHIM_BINARY).catch(() => undefined),
      stat(SHIM_SOURCE).catch(() => undefined),
    ]);
    if (binary?.isFile() && (!source || binary.mtimeMs >= source.mtimeMs)) return SHIM_BINARY;
  }
  return (await buildShim()).path;
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  if (process.env.PODFLOW_SKIP_SHIM_BUILD === '1') {
    console.log('podflow: PODFLOW_SKIP_SHIM_BUILD=1, not building the process-runtime shim');
  } else if (process.platform !== 'linux') {
    // Installing on macOS/Windows for the cloud path must not fail; the local process runtime is Linux-only.
    console.log(`podflow: the process runtime's shim is Linux-only; skipped on ${process.platform}`);
  } else {
    try {
      const { path, built } = await buildShim({ force: process.argv.includes('--force') });
      console.log(built ? `podflow: built ${path}` : `podflow: ${path} is up to date`);
    } catch (err) {
      console.error(err instanceof ShimBuildError ? err.message : err);
      process.exitCode = 1;
    }
  }
}
