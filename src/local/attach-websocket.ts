// `kubectl attach` (and `kubectl debug -i`, which attaches to the ephemeral container it added) for `podflow serve`:
// the WebSocket upgrade of `/api/v1/namespaces/{ns}/pods/{name}/attach`, on the remote command channel protocol exec
// speaks (local/exec-websocket.ts: `v5.channel.k8s.io` or `v4.channel.k8s.io`; channels 0 stdin, 1 stdout, 2 stderr,
// 3 error, 4 resize, v5's 255 close).
//
// What the kubelet's attach does (pkg/kubelet/cri/streaming/remotecommand attach.go ServeAttach; the runtime's
// AttachContainer) is connect the client to the streams of the container's main process: its output from now on
// (not what it printed before — hence kubectl's "If you don't see a command prompt, try pressing enter."), and its
// stdin when the container was started with `stdin: true`. Detaching leaves the container running; the session
// ends with a Success status on channel 3 when the container ends. Here the output is the instance's CRI log, read
// from its size at attach on (the shim writes it as the process prints), and stdin is the instance's named pipe
// (podflow-shim --stdin), which stays open between attaches (as without stdinOnce). No TTY is allocated (no pty
// locally): with `-t` stderr is sent on channel 1, as through a terminal, and the session applies the line
// discipline a pty would (core/terminal-line-discipline.ts: Enter ends a line, typing is echoed, LF becomes CRLF).
import { open, type FileHandle } from 'node:fs/promises';
import { constants as fsConstants, openSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { WebSocket } from 'ws';
import { parseCriLine } from '../adapters/process/cri-log.ts';
import type { AttachSpec, ProcessContainerRuntime } from '../adapters/process/process-container-runtime.ts';
import { terminalInput, terminalOutput } from '../core/terminal-line-discipline.ts';
import { badRequest, notFound } from '../api/status.ts';
import type { ContainerInstanceRef } from '../ports/container-runtime.ts';
import type { PodStore } from '../ports/pod-store.ts';
import { CLOSE, createChannelUpgradeHandler, ERROR, STDERR, STDIN, STDOUT } from './exec-websocket.ts';
import type { UpgradeHandler } from './gateway.ts';

const ATTACH_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/attach$/;
/** How often the log is read for new output and the instance checked for its end. */
export const ATTACH_POLL_MS = 25;
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

export interface AttachRequest {
  ref: ContainerInstanceRef;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface AttachWebSocketOptions {
  runtime: Pick<ProcessContainerRuntime, 'attachSpec'>;
  store: Pick<PodStore, 'get'>;
  token?: string;
  onError: (err: unknown, context: string) => void;
}

async function resolveRequest(
  o: AttachWebSocketOptions,
  url: URL,
  namespace: string,
  name: string,
): Promise<{ request: AttachRequest; spec: AttachSpec }> {
  const q = url.searchParams;
  const flag = (n: string): boolean => TRUE.has(q.get(n) ?? '');
  const request = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
  // pkg/kubelet/cri/streaming/remotecommand NewOptions.
  if (!request.stdin && !request.stdout && !request.stderr)
    throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (request.tty && request.stderr) request.stderr = false; // with a TTY stderr is part of stdout
  const stored = await o.store.get({ namespace, name });
  if (!stored) throw notFound('pods', name);
  const spec = stored.state.pod.spec;
  const names = (spec.containers ?? []).map((c) => c.name);
  const all = [
    ...names,
    ...(spec.initContainers ?? []).map((c) => c.name),
    ...(spec.ephemeralContainers ?? []).map((c) => c.name),
  ];
  let container = q.get('container') ?? '';
  if (container === '') {
    if (names.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    container = names[0]!;
  } else if (!all.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const rec = stored.state.engine.containers[container];
  const notRunning = badRequest(`unable to upgrade connection: container not found ("${container}")`);
  if (!rec || rec.state.type !== 'running') throw notRunning;
  const ref: ContainerInstanceRef = {
    key: { namespace, name },
    podUid: stored.state.pod.metadata?.uid ?? '',
    container,
    instance: rec.instance,
  };
  try {
    return { request: { ...request, ref }, spec: await o.runtime.attachSpec(ref) };
  } catch {
    throw notRunning;
  }
}

/** Follows a CRI log file from `offset`: each call returns the text of the complete records added since. */
class LogFollower {
  #file: FileHandle | undefined;
  #offset: number;
  #rest = '';
  readonly #path: string;

  constructor(path: string, offset: number) {
    this.#path = path;
    this.#offset = offset;
  }

  async read(): Promise<Array<{ stream: 'stdout' | 'stderr'; text: string }>> {
    this.#file ??= await open(this.#path, 'r');
    const out: Array<{ stream: 'stdout' | 'stderr'; text: string }> = [];
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.#file.read(buf, 0, buf.length, this.#offset);
      if (bytesRead === 0) break;
      this.#offset += bytesRead;
      this.#rest += buf.subarray(0, bytesRead).toString('utf8');
    }
    const records = this.#rest.split('\n');
    this.#rest = records.pop() ?? ''; // a record still being written
    for (const raw of records) {
      const entry = parseCriLine(raw);
      // A P record is a chunk of a line (or output that ended without a newline): no newline of its own.
      if (entry)
        out.push({ stream: entry.stream, text: entry.partial ? entry.content : `${entry.content}\n` });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#file?.close().catch(() => undefined);
    this.#file = undefined;
  }
}

/** The size of the log now: attach shows what is printed from here on. */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Opens the container's stdin pipe for writing, without blocking (it has a reader while its shim runs). */
function openStdin(path: string): Socket | undefined {
  try {
    // A raw descriptor (a FileHandle would close it when collected), opened without blocking: O_NONBLOCK fails
    // with ENXIO rather than wait when the pipe has no reader.
    const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    // A pipe as a net.Socket: libuv writes it without blocking and queues what the pipe cannot take yet; the
    // socket owns the descriptor and closes it.
    const socket = new Socket({ fd, readable: false, writable: true });
    socket.on('error', () => undefined); // the container may end without reading its input
    return socket;
  } catch {
    return undefined; // gone already: the session ends with it
  }
}

/** Runs one attach session on an open WebSocket. Resolves when the session is over. */
export async function runAttachSession(
  ws: WebSocket,
  protocol: string,
  request: AttachRequest,
  spec: AttachSpec,
  pollMs: number = ATTACH_POLL_MS,
): Promise<void> {
  const v5 = protocol === 'v5.channel.k8s.io';
  const send = (channel: number, data: Buffer | string): void => {
    if (ws.readyState !== ws.OPEN) return;
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true });
  };
  // Synchronously, before the first message can arrive: kubectl sends stdin as soon as the connection is open.
  const follower = new LogFollower(spec.logPath, sizeOf(spec.logPath));
  const stdin = request.stdin && spec.stdinPath ? openStdin(spec.stdinPath) : undefined;
  let closed = false;
  let pending = '';
  const decoder = new StringDecoder('utf8');
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const channel = data[0]!;
    if (v5 && channel === CLOSE) {
      if (data[1] === STDIN) stdin?.end();
      return;
    }
    if (channel !== STDIN || !stdin || stdin.writableEnded) return;
    if (!request.tty) {
      stdin.write(data.subarray(1));
      return;
    }
    // kubectl -t: the user's terminal is raw; the line discipline a pty would apply is applied here.
    const typed = terminalInput(pending, decoder.write(data.subarray(1)));
    pending = typed.line;
    if (typed.echo) send(STDOUT, typed.echo);
    if (typed.deliver) stdin.write(typed.deliver);
    // RESIZE: no TTY is allocated locally, nothing to resize.
  });
  ws.once('close', () => {
    closed = true;
  });
  const forward = async (): Promise<void> => {
    for (const { stream, text } of await follower.read()) {
      const shown = request.tty ? terminalOutput(text) : text;
      if (stream === 'stdout' && request.stdout) send(STDOUT, shown);
      else if (stream === 'stderr' && (request.stderr || request.tty))
        send(request.tty ? STDOUT : STDERR, shown);
    }
  };
  try {
    while (!closed) {
      // The shim records the exit only once both output pipes are drained into the log: read after seeing the end.
      const ended = await spec.ended();
      await forward();
      if (ended) {
        send(ERROR, JSON.stringify({ metadata: {}, status: 'Success' }));
        ws.close(1000);
        break;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    stdin?.destroy();
    await follower.close();
  }
}

export function createAttachUpgradeHandler(o: AttachWebSocketOptions): UpgradeHandler {
  return createChannelUpgradeHandler({
    verb: 'attach',
    path: ATTACH_PATH,
    ...(o.token ? { token: o.token } : {}),
    onError: o.onError,
    resolve: (url, namespace, name) => resolveRequest(o, url, namespace, name),
    run: (ws, protocol, { request, spec }) => runAttachSession(ws, protocol, request, spec),
  });
}
