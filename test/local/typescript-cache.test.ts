// The stripped-source cache (src/local/typescript-cache.ts): a first load fills it, a later one is served from it, entries
// are named by the Node version and the source, and a module from the cache behaves as the source does.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cacheModule = new URL('../../src/local/typescript-cache.ts', import.meta.url).href;
const target = new URL('../../src/ports/pod-key.ts', import.meta.url);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A fresh Node process that enables the cache in `dir`, imports pod-key.ts and prints what it exports. */
function importThroughCache(dir: string): { exports: string[]; key: string; stderr: string } {
  const script =
    `(await import(${JSON.stringify(cacheModule)})).enableTypeScriptCache(${JSON.stringify(dir)});` +
    `const m = await import(${JSON.stringify(target.href)});` +
    `process.stdout.write(JSON.stringify({ exports: Object.keys(m).sort(), key: m.podKeyString({ namespace: 'a', name: 'b' }) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { ...(JSON.parse(r.stdout) as { exports: string[]; key: string }), stderr: r.stderr };
}

describe('the stripped-source cache', () => {
  it('fills on the first load, serves later ones, names entries by Node version and source, warns nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podflow-ts-cache-'));
    dirs.push(dir);
    const first = importThroughCache(dir);
    expect(first.key).toBe('a/b');
    expect(first.stderr).toBe('');
    const source = readFileSync(target, 'utf8');
    const name = `${createHash('sha256').update(process.version).update('\0').update(source).digest('hex')}.js`;
    expect(readdirSync(dir)).toContain(name);
    // Served from the cache: what the entry says is what runs.
    writeFileSync(
      join(dir, name),
      `${readFileSync(join(dir, name), 'utf8')}\nexport const servedFromCache = true;\n`,
    );
    const second = importThroughCache(dir);
    expect(second.exports).toEqual([...first.exports, 'servedFromCache'].sort());
    expect(second.key).toBe('a/b');
  });
});
