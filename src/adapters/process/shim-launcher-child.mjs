// The shim launcher's process (shim-launcher.ts): a small Node process that spawns podflow-shims on the engine's
// behalf. Spawning forks the calling process, and a fork costs in proportion to its memory: from the engine (~150
// MiB) each start blocks its event loop for several milliseconds, from this process (no modules but node:) a
// fraction of that. It spawns each shim detached, as the engine would, and reports over IPC: the shim's one-line
// report (or that its stdout closed without one), a spawn error, and the shim's exit. It exits when the engine
// goes (the IPC channel closes); the shims, in their own sessions, live on.
import { spawn } from 'node:child_process';

/** @param {Record<string, unknown>} message */
function send(message) {
  if (process.connected) process.send(message);
}

process.on(
  'message',
  (/** @type {{ id: number, file: string, args: string[], env: Record<string, string> }} */ m) => {
    let child;
    try {
      child = spawn(m.file, m.args, { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: m.env });
    } catch (err) {
      send({ id: m.id, type: 'error', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    child.unref();
    let report = '';
    let answered = false;
    const answer = (/** @type {Record<string, unknown>} */ message) => {
      if (answered) return;
      answered = true;
      send({ id: m.id, ...message });
    };
    child.once('error', (err) => answer({ type: 'error', message: err.message }));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      report += chunk;
      if (report.includes('\n')) answer({ type: 'report', report });
    });
    child.stdout.once('close', () => answer({ type: 'report', report }));
    child.once('exit', () => send({ id: m.id, type: 'exit' }));
  },
);
process.on('disconnect', () => process.exit(0));
