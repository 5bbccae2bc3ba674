// The static pod source on a directory (ports/static-pod-source.ts): the manifests are the directory's regular files
// named like manifests (core isStaticPodManifestName: no dotfiles, .yaml/.yml/.json), not its subdirectories — the
// kubelet does not recurse either (pkg/kubelet/config/file.go extractFromDir: "Not recursing into manifest path").
// Change notifications come from fs.watch (inotify, as file_linux.go's fsnotify watch); a directory that does not
// exist yet, or a watch that failed, is watched again at the next read, so the periodic read of the consumer
// re-establishes it as the kubelet's startWatch retries.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isStaticPodManifestName } from '../../core/static-pods.ts';
import type { StaticPodFile, StaticPodSource } from '../../ports/static-pod-source.ts';

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

export class DirectoryStaticPodSource implements StaticPodSource {
  readonly #dir: string;
  readonly #listeners = new Set<() => void>();
  #watcher: FSWatcher | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async read(): Promise<{ files: StaticPodFile[]; unreadable: { path: string; message: string }[] }> {
    this.#ensureWatch();
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if (isMissing(err)) return { files: [], unreadable: [] };
      throw err;
    }
    const files: StaticPodFile[] = [];
    const unreadable: { path: string; message: string }[] = [];
    for (const name of names.filter(isStaticPodManifestName).sort()) {
      const path = join(this.#dir, name);
      try {
        if (!(await stat(path)).isFile()) continue;
        files.push({ path, text: await readFile(path, 'utf8') });
      } catch (err) {
        // Removed between the listing and the read: it is simply not there.
        if (!isMissing(err)) unreadable.push({ path, message: (err as Error).message });
      }
    }
    return { files, unreadable };
  }

  watch(onChange: () => void): () => void {
    this.#listeners.add(onChange);
    this.#ensureWatch();
    return () => {
      this.#listeners.delete(onChange);
      if (this.#listeners.size === 0) this.#closeWatch();
    };
  }

  #ensureWatch(): void {
    if (this.#watcher || this.#listeners.size === 0) return;
    try {
      const watcher = watch(this.#dir, { persistent: false }, (_type, name) => {
        if (name !== null && name.startsWith('.')) return; // file_linux.go produceWatchEvent: dotfiles ignored
        for (const l of this.#listeners) l();
      });
      watcher.on('error', () => {
        // The directory went (or the watch broke): the next read watches it again.
        this.#closeWatch();
        for (const l of this.#listeners) l();
      });
      this.#watcher = watcher;
    } catch {
      // No directory yet: the next read tries again.
    }
  }

  #closeWatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
