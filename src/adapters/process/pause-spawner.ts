// Starts pause processes through one long-lived `podflow-shim --spawner` per runtime: a request on its stdin, a
// double fork of that small static process that execs the shim again as the pause (so `ps` shows each pause with
// its own arguments), and the pause's one-line report back on its stdout tagged with the request. Spawning each
// pause from the engine instead costs a fork of the whole Node.js process (libuv), several milliseconds that would
// be most of a sandbox's cost (bench/pod-sandbox.bench.ts). The pauses do not depend on the spawner: their parent
// is init, and the spawner ends when its stdin closes (the engine is gone).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

/** How long a pause may take to report before its start counts as failed (it never takes more than milliseconds). */
export const PAUSE_REPORT_TIMEOUT_MS = 30_000;

export class PauseSpawner {
  readonly #shimPath: string;
  #child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  readonly #pending = new Map<string, (line: string) => void>();
  #seq = 0;
  #buffer = '';

  constructor(shimPath: string) {
    this.#shimPath = shimPath;
  }

  /** Starts `podflow-shim --pause <args>` and resolves with its report: started, failed, conflict or already. */
  start(args: readonly string[]): Promise<string> {
    const child = this.#spawner();
    const tag = String(++this.#seq);
    const report = new Promise<string>((resolve) => {
      const timer = setTimeout(() => this.#settle(tag, ''), PAUSE_REPORT_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(tag, (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
    (child.stdout as Socket).ref(); // a report is awaited: keep the engine's event loop waiting for it
    child.stdin.write(`${[tag, ...args].join('\0')}\0\0`);
    return report;
  }

  /** Ends the spawner (pauses it started keep running). */
  close(): void {
    this.#child?.stdin.end();
    this.#child = undefined;
    for (const tag of [...this.#pending.keys()]) this.#settle(tag, '');
  }

  #spawner(): ChildProcessByStdio<Writable, Readable, null> {
    if (this.#child) return this.#child;
    const child = spawn(this.#shimPath, ['--spawner'], { stdio: ['pipe', 'pipe', 'ignore'], env: {} });
    this.#child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        const space = line.indexOf(' ');
        if (space > 0) this.#settle(line.slice(0, space), `${line.slice(space + 1)}\n`);
      }
    });
    const gone = (): void => {
      if (this.#child !== child) return;
      this.#child = undefined; // the next start spawns a new one
      for (const tag of [...this.#pending.keys()]) this.#settle(tag, '');
    };
    child.once('exit', gone);
    child.once('error', gone);
    child.stdin.on('error', gone);
    // An idle spawner never keeps the engine alive.
    child.unref();
    (child.stdin as Socket).unref();
    (child.stdout as Socket).unref();
    return child;
  }

  #settle(tag: string, line: string): void {
    const resolve = this.#pending.get(tag);
    if (!resolve) return;
    this.#pending.delete(tag);
    if (this.#pending.size === 0 && this.#child) (this.#child.stdout as Socket).unref();
    resolve(line);
  }
}
