// `podflow start DIR` (what `npm start` runs on examples/quickstart/), as a real process on the real engine, with
// stdout a pipe: the non-terminal rendering (timeline lines, then a summary table) that CI logs and the README show.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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

describe('podflow start', () => {
  it('runs every pod of the directory to its goal (Succeeded, Ready), prints the summary, deletes them, exit 0', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'podflow-start-'));
    mkdirSync(join(cwd, 'tour'));
    writeFileSync(join(cwd, 'tour', 'a-once.yaml'), POD_THAT_FINISHES);
    writeFileSync(join(cwd, 'tour', 'b-server.yaml'), POD_THAT_SERVES);
    const r = spawnSync(process.execPath, [BIN, 'start', 'tour'], { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^podflow start: 2 pods from tour, data in \.podflow/);
    // Timeline lines name the pod, padded to the longest name.
    expect(out).toMatch(/^ +\d+\.\d\ds {2}once {4}phase Succeeded$/m);
    expect(out).toMatch(/^ +\d+\.\d\ds {2}server {2}setup: terminated Completed \(exit 0\)$/m);
    expect(out).toMatch(/^ +\d+\.\d\ds {2}server {2}condition Ready=True$/m);
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
    rmSync(cwd, { recursive: true, force: true });
  }, 30_000);
});
