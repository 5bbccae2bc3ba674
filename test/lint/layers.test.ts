// The layer rule, checked the way CI runs it: ESLint with the project's config. Every arrow the table in
// eslint.config.js (LAYERS) does not list is tried once and must fail; every listed arrow must pass. Then the whole
// tree: no import cycle between folders.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
interface Layer {
  name: string;
  imports: string[];
}
// eslint.config.js is plain JavaScript (ESLint loads it before any TypeScript tooling): typed here.
const CONFIG: string = join(root, 'eslint.config.js');
const { LAYERS } = (await import(CONFIG)) as { LAYERS: Layer[] };
const eslint = new ESLint({ cwd: root });

async function layerMessages(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'podflow/layers').map((m) => m.message);
}

/** A probe file in `from` importing a file in `to`. */
function probe(from: string, to: string): { file: string; source: string } {
  const file = `${from}/zz-lint-probe.ts`;
  const specifier = posix.relative(from, `${to}/zz-target.ts`);
  return {
    file,
    source: `import { x } from '${specifier.startsWith('.') ? '' : './'}${specifier}';\nexport const y = x;\n`,
  };
}

const names = LAYERS.map((l) => l.name);
const arrows = LAYERS.flatMap((from) =>
  names
    .filter((to) => to !== from.name)
    .map((to) => ({ from: from.name, to, allowed: from.imports.includes(to) })),
);

describe('layer lint rule', () => {
  it('has a layer for every folder of src/ and every top-level code folder', () => {
    const srcFolders = execFileSync('git', ['ls-files', 'src'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.split('/').slice(0, 2).join('/'));
    for (const folder of new Set(srcFolders)) expect(names).toContain(folder);
    for (const folder of ['lambdas', 'infra', 'scripts', 'bench']) expect(names).toContain(folder);
  });

  it('lists only layers that are declared, and only inner ones (the table itself has no cycle)', () => {
    LAYERS.forEach((layer, i) => {
      for (const to of layer.imports) {
        const j = names.indexOf(to);
        expect(j, `${layer.name} → ${to}`).toBeGreaterThanOrEqual(0);
        expect(j, `${layer.name} → ${to} must point inward`).toBeLessThan(i);
      }
    });
  });

  it.each(arrows.filter((a) => !a.allowed))('fails $from importing $to', async ({ from, to }) => {
    const { file, source } = probe(from, to);
    const messages = await layerMessages(file, source);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`${from} may not import ${to}`);
  });

  it.each(arrows.filter((a) => a.allowed))('lets $from import $to', async ({ from, to }) => {
    const { file, source } = probe(from, to);
    expect(await layerMessages(file, source)).toEqual([]);
  });

  it('lets test/ import any layer, and any layer import itself', async () => {
    for (const to of names)
      expect(await layerMessages(...(Object.values(probe('test/zz', to)) as [string, string]))).toEqual([]);
    for (const name of names)
      expect(await layerMessages(...(Object.values(probe(name, name)) as [string, string]))).toEqual([]);
  });

  it('names the reason: cloud code never imports local', async () => {
    const { file, source } = probe('lambdas', 'src/local');
    expect((await layerMessages(file, source))[0]).toContain(
      'cloud code never depends on the local composition',
    );
  });
});

describe('folders', () => {
  it('import each other without a cycle (a folder includes its subfolders)', () => {
    const files = execFileSync('git', ['ls-files', 'src', 'lambdas', 'infra', 'scripts', 'bench'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => /\.(ts|mjs|js)$/.test(f));
    const within = (a: string, b: string): boolean =>
      a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      const from = posix.dirname(f);
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const to = posix.dirname(posix.normalize(posix.join(from, m[1]!)));
        if (within(from, to)) continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
    // Depth-first search for a back edge; the path to it is the cycle.
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, path: string[]): void => {
      state.set(node, 'open');
      for (const next of edges.get(node) ?? []) {
        if (state.get(next) === 'open')
          cycles.push([...path.slice(path.indexOf(next)), node, next].join(' → '));
        else if (!state.has(next)) visit(next, [...path, node]);
      }
      state.set(node, 'done');
    };
    for (const node of edges.keys()) if (!state.has(node)) visit(node, []);
    expect(edges.size).toBeGreaterThan(10);
    expect(cycles).toEqual([]);
  });
});
