// Reads the manifests named by `-f`: files, directories (recursively, *.yaml / *.yml / *.json, in sorted order) and
// `-` for standard input — as `kubectl apply -f` does. File access stays here, outside the pure core.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliIo } from './cli-io.ts';
import { UsageError } from './cli-io.ts';

export interface ManifestSource {
  /** How messages name it: the path as given (joined for directory entries), or `<stdin>`. */
  name: string;
  text: string;
}

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
export const STDIN_NAME = '<stdin>';

async function listManifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listManifestFiles(path)));
    else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) files.push(path);
  }
  return files;
}

/** Expands `-f` arguments into manifest texts. Throws UsageError for a path that does not exist. */
export async function readManifestSources(
  paths: string[],
  io: Pick<CliIo, 'readStdin'>,
): Promise<ManifestSource[]> {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ name: STDIN_NAME, text: await io.readStdin() });
      continue;
    }
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UsageError(`the path "${path}" does not exist`);
    if (info.isDirectory()) {
      const files = await listManifestFiles(path);
      if (files.length === 0)
        throw new UsageError(`no manifest files (${MANIFEST_EXTENSIONS.join(', ')}) under "${path}"`);
      for (const file of files) sources.push({ name: file, text: await readFile(file, 'utf8') });
    } else {
      sources.push({ name: path, text: await readFile(path, 'utf8') });
    }
  }
  return sources;
}
