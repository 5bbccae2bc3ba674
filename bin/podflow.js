#!/usr/bin/env node
// Launcher for the `podflow` bin. podflow needs Node.js >= 22.12 (it runs its TypeScript sources directly, and
// aws-local-stepfunctions and current AWS SDKs need 22). The project pins Node 22 as the `node` npm package, so a
// machine whose own node is older still works after `npm ci`: re-run this script under the pinned binary.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    console.error(
      `podflow needs Node.js >= 22.12 (this is ${process.version}); run \`npm ci\` to install the pinned one.`,
    );
    process.exit(2);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // Ctrl-C reaches the child through the terminal's process group; the launcher only waits for it, so that the
  // graceful deletion the CLI does on SIGINT finishes before the shell prompt returns. Signals sent to the
  // launcher alone (kill PID) are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
} else {
  // Before any other module of podflow's: the sources' type-stripped JavaScript comes from a cache from now on.
  (
    await import(pathToFileURL(join(root, 'src', 'local', 'typescript-cache.ts')).href)
  ).enableTypeScriptCache();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
