// Starts podflow-shims from a small long-lived process (shim-launcher-child.mjs) instead of the engine itself: a
// spawn forks its caller, and forking the engine (its whole address space mapped again) blocks the engine's event
// loop for several milliseconds per container — most of its CPU when many pods start at once. The launcher is forked
// once, on the first start, and goes with the engine (close(), or its IPC channel closing when the engine dies);
// the shims it spawned are detached and live on.
import { fork, type ChildProcess } from 'node:child_process';

const CHILD = new URL('./shim-launcher-child.mjs', import.meta.url);

interface Launch {
  resolve(report: string): void;
  reject(err: Error): void;
  onExit(): void;
  answered: boolean;
}

type Message =
  | { id: number; type: 'report'; report: string }
  | { id: number; type: 'error'; message: string }
  | {
      id: number;
      type: 'exit';
    };

export class ShimLauncher {
  #child: ChildProcess | undefined;
  readonly #launches = new Map<number, Launch>();
  #next = 0;
  #closed = false;

  /**
   * Spawns `file` detached with `args` and exactly `env`; resolves with what it wrote on stdout up to its first
   * newline (or all of it, if it closed stdout first). `onExit` is called when the process exits (or the launcher
   * goes, when that can no longer be known).
   */
  launch(
    file: string,
    args: readonly string[],
    env: Record<string, string>,
    onExit: () => void,
  ): Promise<string> {
    if (this.#closed) return Promise.reject(new Error('shim launcher closed'));
    const child = this.#launcher();
    const id = this.#next++;
    return new Promise<string>((resolve, reject) => {
      this.#launches.set(id, { resolve, reject, onExit, answered: false });
      child.channel?.ref();
      child.send({ id, file, args, env });
    });
  }

  close(): void {
    this.#closed = true;
    const child = this.#child;
    this.#child = undefined;
    if (child?.connected) child.disconnect();
    this.#orphan();
  }

  #launcher(): ChildProcess {
    if (this.#child) return this.#child;
    // No inherited flags (--cpu-prof, --inspect, a test runner's loaders): the launcher needs none of them.
    const child = fork(CHILD, [], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    child.unref();
    child.channel?.unref();
    child.on('message', (m: Message) => this.#receive(m));
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
      this.#orphan();
    });
    this.#child = child;
    return child;
  }

  #receive(m: Message): void {
    const launch = this.#launches.get(m.id);
    if (!launch) return;
    if (m.type === 'exit') {
      this.#launches.delete(m.id);
      if (!launch.answered) launch.resolve('');
      launch.onExit();
    } else if (m.type === 'report') {
      launch.answered = true;
      launch.resolve(m.report);
    } else {
      this.#launches.delete(m.id);
      launch.reject(new Error(m.message));
    }
    // Only launches still waiting for their report hold the engine alive (as a pending spawn would).
    if (![...this.#launches.values()].some((l) => !l.answered)) this.#child?.channel?.unref();
  }

  /** The launcher is gone: whatever it had not reported is unknown; the caller reads the shims' state files. */
  #orphan(): void {
    const launches = [...this.#launches.values()];
    this.#launches.clear();
    for (const l of launches) {
      if (!l.answered) l.resolve('');
      l.onExit();
    }
  }
}
