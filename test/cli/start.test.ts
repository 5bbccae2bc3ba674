// `podflow start DIR` (what `npm start` runs on examples/quickstart/), as a real process on the real engine, with
// stdout a pipe: the non-terminal rendering (timeline lines, then a summary table) that CI logs and the README show.
// It serves the API (as `podflow serve`) and applies the manifests through it; `--exit-when-done` ends it once the
// pods reached their goal, otherwise it serves until Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const BIN = join(ROOT, 'bin', 'podflow.js');

const POD_THAT_FINISHES = `apiVersion: v1
kind: Pod
metadata:
  name: once
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox:1.36
    command: [sh, -c, 'echo done']
`;

const POD_THAT_SERVES = `apiVersion: v1
kind: Pod
metadata:
  name: server
spec:
  terminationGracePeriodSeconds: 5
  initContainers:
  - name: setup
    image: busybox:1.36
    command: [sh, -c, 'true']
  containers:
  - name: main
    image: busybox:1.36
    command: [sleep, '60']
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A working directory with the two pods under tour/. */
function tourDir(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'podflow-start-'));
  dirs.push(cwd);
  mkdirSync(join(cwd, 'tour'));
  writeFileSync(join(cwd, 'tour', 'a-once.yaml'), POD_THAT_FINISHES);
  writeFileSync(join(cwd, 'tour', 'b-server.yaml'), POD_THAT_SERVES);
  return cwd;
}

async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('podflow start', () => {
  it('--exit-when-done: serves, applies every pod through the API, runs them to their goal, deletes them, exit 0', async () => {
    const cwd = tourDir();
    // The port asked for is taken: start says so and serves on a free one.
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const busy = (taken.address() as AddressInfo).port;
    const r = spawnSync(
      process.execPath,
      [BIN, 'start', 'tour', '--exit-when-done', '--port', String(busy)],
      {
        cwd,
        encoding: 'utf8',
        timeout: 40_000,
      },
    );
    taken.close();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(
      /^podflow start: 2 pods from tour, data in \.podflow, Kubernetes API on http:\/\/127\.0\.0\.1:(\d+)\n/,
    );
    const port = /Kubernetes API on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1];
    expect(port).not.toBe(String(busy));
    expect(out).toContain(
      `  port ${busy} on 127.0.0.1 is in use: serving on http://127.0.0.1:${port} instead\n`,
    );
    expect(out).toContain(
      '  while it runs: KUBECONFIG=.podflow/kubeconfig kubectl get pods   (or: npx podflow get pods)\n',
    );
    // The kubeconfig serve writes, pointing at the port in use.
    expect(readFileSync(join(cwd, '.podflow', 'kubeconfig'), 'utf8')).toContain(
      `server: http://127.0.0.1:${port}`,
    );
    // Applied through the API, as `podflow apply -f tour` prints it.
    expect(out).toMatch(/^pod\/once created\n(?:.*\n)*pod\/server created$/m);
    // Timeline lines name the pod, padded to the longest name.
    expect(out).toMatch(/^ +\d+\.\d\ds {2}once {4}phase Succeeded$/m);
    expect(out).toMatch(/^ +\d+\.\d\ds {2}server {2}setup: terminated Completed \(exit 0\)$/m);
    expect(out).toMatch(/^ +\d+\.\d\ds {2}server {2}condition Ready=True$/m);
    expect(out).toMatch(
      /^ +\d+\.\d\ds {2}once {4}event Normal Scheduled: Successfully assigned default\/once to podflow-local$/m,
    );
    // The summary table, as kubectl prints it, in the state each pod reached its goal.
    expect(out).toMatch(/all 2 pods reached their goal in \d+\.\d\ds; deleting them gracefully/);
    expect(out).toMatch(
      /^NAME {5}READY {3}STATUS {6}RESTARTS {3}AGE\nonce {5}0\/1 {5}Completed {3}0 {10}\d+s\nserver {3}1\/1 {5}Running {5}0 {10}\d+s\n/m,
    );
    // Then both are deleted gracefully and nothing is left.
    expect(out).toMatch(/^ +\d+\.\d\ds {2}server {2}terminating \(grace 5s\)$/m);
    expect(out).toMatch(/^ +\d+\.\d\ds {2}once {4}deleted$/m);
    expect(out).toMatch(/^ +\d+\.\d\ds {2}server {2}deleted$/m);
    expect(out).toMatch(/deleted 2 pods in \d+\.\d\ds\n$/);
    expect(existsSync(join(cwd, '.podflow', 'podflow.pid'))).toBe(false);
  }, 45_000);

  it('serves until Ctrl-C (podflow get pods works meanwhile), then deletes the pods and exits 0', async () => {
    const cwd = tourDir();
    const child = spawn(process.execPath, [BIN, 'start', 'tour', '--port', '0'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await eventually(() => /still serving/.test(out), 30_000, `the goal:\n${out}${err}`);
    expect(out).toMatch(
      /all 2 pods reached their goal in \d+\.\d\ds; still serving — Ctrl-C deletes them and exits\n/,
    );
    expect(out).toContain('  Ctrl-C deletes the pods and exits\n');
    // A client in the same directory finds the API through .podflow/kubeconfig.
    const get = spawnSync(process.execPath, [BIN, 'get', 'pods'], {
      cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      timeout: 20_000,
    });
    expect(get.stderr).toBe('');
    expect(get.stdout).toMatch(
      /^NAME {5}READY {3}STATUS {6}RESTARTS {3}AGE\nonce {5}0\/1 {5}Completed {3}0 +\d+s\nserver {3}1\/1 {5}Running {5}0 +\d+s\n$/,
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/\nSIGINT: deleting the pods gracefully \(Ctrl-C again: grace 0\)\n/);
    expect(out).toMatch(/^ +\d+\.\d\ds {2}server {2}deleted$/m);
    expect(out).toMatch(/deleted 2 pods in \d+\.\d\ds\n$/);
    expect(existsSync(join(cwd, '.podflow', 'podflow.pid'))).toBe(false);
  }, 60_000);

  it('--keep leaves the pods to the next run, which replaces them and shows their new timeline', () => {
    const cwd = tourDir();
    const run = (...flags: string[]) =>
      spawnSync(process.execPath, [BIN, 'start', 'tour', '--exit-when-done', '--port', '0', ...flags], {
        cwd,
        encoding: 'utf8',
        timeout: 40_000,
      });
    const first = run('--keep');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/; leaving them as they are \(--keep\)\n/);
    expect(first.stdout).toMatch(/left once, server in \.podflow \(--keep\)\n$/);
    const second = run();
    expect(second.stderr).toBe(
      'replacing pod default/once, left in .podflow by an earlier run\n' +
        'replacing pod default/server, left in .podflow by an earlier run\n',
    );
    expect(second.status).toBe(0);
    // The new pods' events, though their predecessors recorded the same ones.
    expect(second.stdout).toMatch(
      /^ +\d+\.\d\ds {2}once {4}event Normal Scheduled: Successfully assigned default\/once/m,
    );
    expect(second.stdout).toMatch(/^ +\d+\.\d\ds {2}server {2}condition Ready=True$/m);
    expect(second.stdout).toMatch(/deleted 2 pods in \d+\.\d\ds\n$/);
  }, 60_000);
});
