// Harness of the kubectl suites that need nothing else: `podflow serve` as a child process on a free port with a
// temporary data directory, and real kubectl given only KUBECONFIG (plus PATH, and a temporary HOME for its
// discovery cache). The suites are skipped when there is no kubectl binary.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');

export const KUBECTL = [
  '/usr/bin/kubectl',
  ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'kubectl')),
].find((path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function eventually(
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

export interface Served {
  env: NodeJS.ProcessEnv;
  output: () => string;
  kubectl: (args: string[], options?: { input?: string; timeoutMs?: number }) => Promise<Run>;
  /** kubectl in the background (port-forward): its output so far, and a way to stop it. */
  background: (
    args: string[],
    extraEnv?: NodeJS.ProcessEnv,
  ) => {
    child: ChildProcess;
    stdout: () => string;
    stderr: () => string;
    stop: () => Promise<void>;
  };
  /** Deletes the pods, stops `podflow serve` (its exit code) and removes the temporary directories. */
  stop: () => Promise<number | null | 'timeout'>;
}

/** `extraArgs` go to `podflow serve` (e.g. `--store dynamodb`). */
export async function startServe(name: string, extraArgs: readonly string[] = []): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), `podflow-${name}-`));
  const home = mkdtempSync(join(tmpdir(), `podflow-${name}-home-`));
  const serve = spawn(
    NODE,
    [join(ROOT, 'bin', 'podflow.js'), 'serve', '--port', '0', '--data-dir', dataDir, ...extraArgs],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  serve.stdout.on('data', (d: Buffer) => (output += d.toString()));
  serve.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await eventually(() => /export KUBECONFIG=(\S+)/.test(output), 20_000, 'podflow serve to listen');
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: /export KUBECONFIG=(\S+)/.exec(output)![1]! };

  const kubectl: Served['kubectl'] = (args, options = {}) =>
    new Promise((resolve) => {
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

  const children = new Set<ChildProcess>();
  const background: Served['background'] = (args, extraEnv = {}) => {
    const child = spawn(KUBECTL!, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    return {
      child,
      stdout: () => stdout,
      stderr: () => stderr,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await closed;
        children.delete(child);
      },
    };
  };

  const stop = async (): Promise<number | null | 'timeout'> => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=1', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    let code: number | null | 'timeout' = serve.exitCode;
    if (serve.exitCode === null) {
      const exited = new Promise<number | null>((r) => serve.on('exit', (c) => r(c)));
      serve.kill('SIGTERM');
      code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000)),
      ]);
    }
    for (const d of [dataDir, home]) rmSync(d, { recursive: true, force: true });
    return code;
  };

  return { env, output: () => output, kubectl, background, stop };
}
