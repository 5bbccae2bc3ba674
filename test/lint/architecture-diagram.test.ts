// docs/architecture.md draws the layer table that the `podflow/layers` lint rule enforces (LAYERS in
// eslint.config.js). The committed block must be the one scripts/gen-architecture.ts generates, and what it draws
// must say exactly what the table says: no arrow the table forbids, and every allowed arrow drawn or implied by a
// path, with the paths that do not imply an allowed arrow listed as exceptions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BEGIN_MARKER,
  END_MARKER,
  layerGraph,
  loadLayers,
  nodeId,
  renderLayersBlock,
  replaceLayersBlock,
  type Arrow,
  type Layer,
} from '../../scripts/gen-architecture.ts';

const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
const LAYERS = await loadLayers();

const key = ({ from, to }: Arrow): string => `${from} → ${to}`;
const allowed = (layers: readonly Layer[]): string[] =>
  layers.flatMap((l) => l.imports.map((to) => key({ from: l.name, to }))).sort();

/** The committed block, markers included. */
function committedBlock(): string {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  expect(begin, 'docs/architecture.md has the BEGIN marker').toBeGreaterThanOrEqual(0);
  expect(end, 'docs/architecture.md has the END marker after it').toBeGreaterThan(begin);
  return doc.slice(begin, end + END_MARKER.length);
}

/** The arrows of the committed Mermaid picture, as layer names. */
function drawnArrows(): string[] {
  const names = new Map(LAYERS.map((l) => [nodeId(l.name), l.name]));
  const mermaid = /```mermaid\n([\s\S]*?)```/.exec(committedBlock())?.[1] ?? '';
  return [...mermaid.matchAll(/^\s*(\w+) --> (\w+)\s*$/gm)].map(([, from, to]) =>
    key({ from: names.get(from!) ?? `unknown node ${from}`, to: names.get(to!) ?? `unknown node ${to}` }),
  );
}

/** Every pair connected by a path of `arrows`. */
function closure(arrows: readonly string[]): string[] {
  const next = new Map<string, string[]>();
  for (const a of arrows) {
    const [from, to] = a.split(' → ') as [string, string];
    next.set(from, [...(next.get(from) ?? []), to]);
  }
  const pairs = new Set<string>();
  for (const start of next.keys()) {
    const stack = [...(next.get(start) ?? [])];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      pairs.add(`${start} → ${n}`);
      stack.push(...(next.get(n) ?? []));
    }
  }
  return [...pairs].sort();
}

describe('docs/architecture.md layer picture', () => {
  it('is the block LAYERS generates (run npm run gen:architecture after changing LAYERS)', () => {
    expect(committedBlock(), 'docs/architecture.md is stale: run npm run gen:architecture').toBe(
      renderLayersBlock(LAYERS),
    );
  });

  it('draws every layer as a node', () => {
    for (const layer of LAYERS) expect(committedBlock()).toContain(`${nodeId(layer.name)}["${layer.name}"]`);
  });

  it('draws no arrow the table forbids', () => {
    const ok = new Set(allowed(LAYERS));
    for (const arrow of drawnArrows()) expect(ok.has(arrow), arrow).toBe(true);
  });

  it('draws the reduced graph: the paths of the drawn arrows are the allowed arrows plus the listed exceptions', () => {
    const drawn = drawnArrows();
    const { exceptions } = layerGraph(LAYERS);
    expect(drawn.sort()).toEqual(layerGraph(LAYERS).drawn.map(key).sort());
    expect(closure(drawn)).toEqual([...allowed(LAYERS), ...exceptions.map(key)].sort());
    for (const e of exceptions) expect(allowed(LAYERS)).not.toContain(key(e));
  });

  it('names every exception in the text', () => {
    for (const { from, to } of layerGraph(LAYERS).exceptions) {
      expect(committedBlock()).toMatch(new RegExp(`\`${from}\`[^.;]*may not import \`${to}\``));
    }
  });

  it('lists every layer with its role and exactly its allowed imports', () => {
    for (const layer of LAYERS) {
      const imports = layer.imports.map((i) => `\`${i}\``).join(', ') || '—';
      expect(committedBlock()).toContain(`| \`${layer.name}\` | ${layer.role} | ${imports} |`);
    }
  });

  it('changes when the table changes (the check can fail)', () => {
    const without = LAYERS.map((l) =>
      l.name === 'src/api' ? { ...l, imports: l.imports.filter((i) => i !== 'src/printers') } : l,
    );
    expect(renderLayersBlock(without)).not.toBe(renderLayersBlock(LAYERS));
  });

  it('rewrites only what lies between the markers', () => {
    const text = `before\n${BEGIN_MARKER}\nold\n${END_MARKER}\nafter\n`;
    expect(replaceLayersBlock(text, 'NEW')).toBe('before\nNEW\nafter\n');
    expect(() => replaceLayersBlock('no markers', 'NEW')).toThrow(/markers/);
  });
});
