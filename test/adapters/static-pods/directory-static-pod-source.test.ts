// The static pod source on a real directory (adapters/static-pods/directory-static-pod-source.ts): which entries are
// manifests (file.go extractFromDir: no dotfiles, no recursion), a directory that does not exist (empty, as the
// kubelet's "path does not exist, ignoring"), and change notifications (file_linux.go: dotfiles ignored).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryStaticPodSource } from '../../../src/adapters/static-pods/directory-static-pod-source.ts';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'podflow-static-source-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('DirectoryStaticPodSource', () => {
  it('reads the manifests of the directory in path order: no dotfiles, other names or subdirectories', async () => {
    for (const name of ['b.yaml', 'a.json', 'c.yml', '.hidden.yaml', 'notes.txt', 'b.yaml~'])
      writeFileSync(join(root, name), name);
    mkdirSync(join(root, 'sub.yaml'));
    writeFileSync(join(root, 'sub.yaml', 'x.yaml'), 'x');
    const { files, unreadable } = await new DirectoryStaticPodSource(root).read();
    expect(files).toEqual([
      { path: join(root, 'a.json'), text: 'a.json' },
      { path: join(root, 'b.yaml'), text: 'b.yaml' },
      { path: join(root, 'c.yml'), text: 'c.yml' },
    ]);
    expect(unreadable).toEqual([]);
  });

  it('reads a directory that does not exist as empty, and watches it once it does', async () => {
    const dir = join(root, 'later');
    const source = new DirectoryStaticPodSource(dir);
    let changes = 0;
    const stop = source.watch(() => changes++);
    expect(await source.read()).toEqual({ files: [], unreadable: [] });
    mkdirSync(dir);
    await source.read(); // the periodic read: now the directory is watched
    writeFileSync(join(dir, 'a.yaml'), 'a');
    await until(() => changes > 0, 'a change notification');
    expect((await source.read()).files.map((f) => f.text)).toEqual(['a']);
    stop();
  });

  it('notifies a change of a manifest, not of a dotfile', async () => {
    const source = new DirectoryStaticPodSource(root);
    let changes = 0;
    const stop = source.watch(() => changes++);
    writeFileSync(join(root, '.a.yaml.tmp'), 'a');
    await new Promise((r) => setTimeout(r, 200));
    expect(changes).toBe(0);
    writeFileSync(join(root, 'a.yaml'), 'a');
    await until(() => changes > 0, 'a change notification');
    stop();
    const after = changes;
    writeFileSync(join(root, 'b.yaml'), 'b');
    await new Promise((r) => setTimeout(r, 200));
    expect(changes).toBe(after);
  });
});
