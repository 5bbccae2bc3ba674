// `podflow validate`, run as users run it: the bin under this Node, on real files; exit codes and output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const BIN = join(ROOT, 'bin', 'podflow.js');

function podflow(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every manifest under examples/ but examples/invalid/ (examples are written alongside; whatever exists is checked). */
function exampleFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (relative(ROOT, path) !== join('examples', 'invalid')) walk(path);
      } else if (/\.(ya?ml|json)$/.test(name)) out.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, 'examples'));
  return out;
}

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'podflow-validate-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const VALID_POD =
  'apiVersion: v1\nkind: Pod\nmetadata:\n  name: myapp-pod\nspec:\n  containers:\n  - name: app\n    image: busybox:1.36\n    command: [sleep, "5"]\n';

describe('podflow validate', () => {
  it('fails examples/invalid/seed-job.yaml naming the YAML problem with its line and column', () => {
    const r = podflow(['validate', '-f', 'examples/invalid/seed-job.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^examples\/invalid\/seed-job\.yaml:\d+:\d+: Tabs are not allowed as indentation$/m,
    );
  });

  it('fails the successThreshold: 2 pod with the field path and the API server’s text', () => {
    const r = podflow(['validate', '-f', 'examples/invalid/liveness-success-threshold.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'examples/invalid/liveness-success-threshold.yaml: spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    );
  });

  describe('every example outside examples/invalid/', () => {
    const examples = exampleFiles();
    // One run over all of them (a run costs most of a second); each file is then checked on its own lines.
    let run: ReturnType<typeof podflow>;
    beforeAll(() => {
      run = podflow(['validate', ...examples.flatMap((f) => ['-f', f])]);
    });

    it('exist, and validate together with exit code 0', () => {
      expect(examples.length).toBeGreaterThan(0);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    });

    it.each(examples)('accepts %s', (file) => {
      const lines = run.stdout
        .split('\n')
        .filter((l) => l.startsWith(`${file}: `) || l.startsWith(`${file} (document `));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => !/: (valid \(|warning: )/.test(l))).toEqual([]);
    });
  });

  it('prints `FILE: valid (Kind namespace/name)` and exits 0', () => {
    const dir = tempDir({ 'pod.yaml': VALID_POD });
    const file = join(dir, 'pod.yaml');
    const r = podflow(['validate', '-f', file]);
    expect(r).toEqual({ code: 0, stdout: `${file}: valid (Pod default/myapp-pod)\n`, stderr: '' });
  });

  it('walks a directory recursively over *.yaml, *.yml and *.json, in order, skipping other files', () => {
    const dir = tempDir({
      'b/pod.yml': VALID_POD.replace('myapp-pod', 'from-yml'),
      'a.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'from-json' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      }),
      'notes.txt': 'not a manifest',
      'c/d/pod.yaml': VALID_POD.replace('myapp-pod', 'from-yaml'),
    });
    const r = podflow(['validate', '-f', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      `${join(dir, 'a.json')}: valid (Pod default/from-json)`,
      `${join(dir, 'b/pod.yml')}: valid (Pod default/from-yml)`,
      `${join(dir, 'c/d/pod.yaml')}: valid (Pod default/from-yaml)`,
    ]);
  });

  it('reads - from standard input', () => {
    const r = podflow(['validate', '-f', '-'], VALID_POD);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('<stdin>: valid (Pod default/myapp-pod)\n');
  });

  it('prints unknown fields as warnings and still exits 0; --strict makes them errors', () => {
    const text = VALID_POD.replace('image: busybox:1.36', 'image: busybox:1.36\n    imagee: typo');
    const loose = podflow(['validate', '-f', '-'], text);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toBe(
      '<stdin>: warning: unknown field "spec.containers[0].imagee"\n<stdin>: valid (Pod default/myapp-pod)\n',
    );
    const strict = podflow(['validate', '--strict', '-f', '-'], text);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('<stdin>: strict decoding error: unknown field "spec.containers[0].imagee"\n');
  });

  it('reports each object of a multi-document file', () => {
    const text = `${VALID_POD}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n`;
    const r = podflow(['validate', '-f', '-'], text);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      '<stdin> (document 1): valid (Pod default/myapp-pod)',
      '<stdin> (document 2): no kind "Deployment" is registered for version "apps/v1" (podflow admits v1 Pod, batch/v1 Job, batch/v1 CronJob)',
    ]);
  });

  it('prints a machine-readable report with -o json', () => {
    const r = podflow(['validate', '-o', 'json', '-f', 'examples/invalid/liveness-success-threshold.yaml']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.valid).toBe(false);
    expect(report.files[0].source).toBe('examples/invalid/liveness-success-threshold.yaml');
    expect(report.files[0].objects[0].fieldErrors).toContainEqual({
      type: 'FieldValueInvalid',
      field: 'spec.containers[0].livenessProbe.successThreshold',
      value: 2,
      detail: 'must be 1',
      message: 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    });
  });

  it('includes the defaulted object in the JSON report of a valid manifest', () => {
    const r = podflow(['validate', '-o', 'json', '-f', '-'], VALID_POD);
    const object = JSON.parse(r.stdout).files[0].objects[0].object;
    expect(object.spec.restartPolicy).toBe('Always');
    expect(object.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    { name: 'no arguments', args: [], stderr: /Usage: podflow/ },
    {
      name: 'no -f',
      args: ['validate'],
      stderr: /required option '-f, --filename <path\.\.\.>' not specified/,
    },
    {
      name: 'a path that does not exist',
      args: ['validate', '-f', 'no/such/file.yaml'],
      stderr: /error: the path "no\/such\/file\.yaml" does not exist/,
    },
    {
      name: 'an unknown output format',
      args: ['validate', '-f', '-', '-o', 'yaml'],
      stderr: /argument 'yaml' is invalid/,
    },
    { name: 'an unknown command', args: ['frobnicate'], stderr: /unknown command 'frobnicate'/ },
  ])('exits 2 on a usage error: $name', ({ args, stderr }) => {
    const r = podflow(args, '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(stderr);
  });

  it('prints the version from package.json', () => {
    const r = podflow(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});
