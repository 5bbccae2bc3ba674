// Runs the real kubectl against a harness's API (KUBECONFIG and any `env` given only, HOME a temporary directory for
// kubectl's discovery cache). kubectl is /usr/bin/kubectl or the first on PATH; tests that need it skip when there is none.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const kubectlPath: string | undefined = [
  '/usr/bin/kubectl',
  ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'kubectl')),
].find((p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

export interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function kubectlFor(
  kubeconfig: string,
  extraEnv: Record<string, string> = {},
): (args: string[], timeoutMs?: number) => Promise<KubectlRun> {
  const home = mkdtempSync(join(tmpdir(), 'podflow-cloud-kubectl-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig, ...extraEnv };
  return (args, timeoutMs = 60_000) =>
    new Promise((resolve) => {
      const child = spawn(kubectlPath!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
}

/** A kubectl table as rows of cells (kubectl's tabwriter leaves 2+ spaces between columns). */
export const tableRows = (out: string): string[][] =>
  out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
