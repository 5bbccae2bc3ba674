// Keeps the JavaScript of podflow's own TypeScript sources on disk, type-stripped once per content, so that a start
// after the first does not strip them again: Node strips a module's types at every load (amaro, in WebAssembly),
// and for the ~900 KB of sources an engine start loads that is about 40% of its CPU. The output is what Node's own
// loader runs (module.stripTypeScriptTypes in strip mode: types become spaces, positions stay, so stack traces
// point at the source). Entries are named by a hash of the Node version and the source, so an edited file or
// another Node is a miss, never a stale hit; the cache lives in node_modules/.cache (`npm ci` starts it afresh), and
// an unwritable one only means every start strips.
//
// Entry points register it before they import anything else of podflow's (bin/podflow.js, the engine start
// benchmark): a hook only sees the modules loaded after it.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCES = pathToFileURL(join(ROOT, 'src')).href + '/';
export const TYPESCRIPT_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'podflow-typescript');

let enabled = false;

/** Serves podflow's sources from the cache from now on (idempotent). */
export function enableTypeScriptCache(cacheDir = TYPESCRIPT_CACHE_DIR): void {
  if (enabled) return;
  enabled = true;
  let dirMade = false;
  registerHooks({
    load(url, context, nextLoad) {
      if (!url.startsWith(SOURCES) || !url.endsWith('.ts')) return nextLoad(url, context);
      const source = readFileSync(fileURLToPath(url), 'utf8');
      const key = createHash('sha256').update(process.version).update('\0').update(source).digest('hex');
      const file = join(cacheDir, `${key}.js`);
      try {
        return { format: 'module', source: readFileSync(file, 'utf8'), shortCircuit: true };
      } catch {
        // Not cached yet.
      }
      let js: string;
      try {
        js = strip(source);
      } catch {
        return nextLoad(url, context); // Node's own loader reports the syntax error
      }
      try {
        if (!dirMade) mkdirSync(cacheDir, { recursive: true });
        dirMade = true;
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, js);
        renameSync(tmp, file);
      } catch {
        // Not writable: served without caching.
      }
      return { format: 'module', source: js, shortCircuit: true };
    },
  });
}

/**
 * module.stripTypeScriptTypes, without the ExperimentalWarning it prints on first use: the loader strips the same
 * way silently, and the CLI's output is the user's.
 */
function strip(source: string): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}
