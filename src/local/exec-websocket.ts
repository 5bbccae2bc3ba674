// `kubectl exec` for `podflow serve`: the WebSocket upgrade of `/api/v1/namespaces/{ns}/pods/{name}/exec`, speaking
// the remote command channel protocol kubectl uses (k8s.io/apimachinery pkg/util/remotecommand, client-go
// tools/remotecommand/websocket.go): subprotocol `v5.channel.k8s.io`, or `v4.channel.k8s.io` as fallback; every
// binary message starts with its channel — 0 stdin, 1 stdout, 2 stderr, 3 error (a Status: Success, or Failure with
// reason NonZeroExitCode and the exit code as cause), 4 resize (TTY; ignored) — and v5 adds 255, the close signal:
// `[255, 0]` closes stdin (what makes `kubectl exec -i … -- cat` see EOF).
//
// The command runs in the container's environment and its pod's namespaces, spawned as the process runtime's own
// buffered exec spawns it (ProcessContainerRuntime.execSpec: the instance's env and working directory, through
// podflow-shim --enter when the pod has a sandbox of its own) — but streaming, with stdin. A TTY is not allocated
// (no pty locally): with `-t` stdout and stderr both go to channel 1, as they would through a terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ExecSpec, ProcessContainerRuntime } from '../adapters/process/process-container-runtime.ts';
import { isAuthorized } from '../api/create-api-app.ts';
import { ApiError, badRequest, notFound, unauthorized } from '../api/status.ts';
import type { ContainerInstanceRef } from '../ports/container-runtime.ts';
import type { PodStore } from '../ports/pod-store.ts';
import type { UpgradeHandler } from './gateway.ts';

/** The remote command subprotocols served, in order of preference. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5: `[255, channel]` closes that channel's stream. */
export const CLOSE = 255;

const EXEC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/;

const HTTP_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  501: 'Not Implemented',
  500: 'Internal Server Error',
};

export interface ExecRequest {
  ref: ContainerInstanceRef;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface ExecWebSocketOptions {
  /** The process runtime: how to spawn a command in a running container. */
  runtime: Pick<ProcessContainerRuntime, 'execSpec'>;
  store: Pick<PodStore, 'get'>;
  token?: string;
  onError: (err: unknown, context: string) => void;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** Refuses an upgrade with an HTTP response carrying a Status, which kubectl prints as `Error from server (…)`. */
export function rejectUpgrade(socket: Socket, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${HTTP_TEXT[err.code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** The Status on channel 3 when the command ended (kubelet's remotecommand writeStatus). */
export function exitStatus(code: number, command: string[]): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

async function resolveRequest(
  o: ExecWebSocketOptions,
  url: URL,
  namespace: string,
  name: string,
): Promise<{ request: ExecRequest; spec: ExecSpec }> {
  const q = url.searchParams;
  const command = q.getAll('command');
  const flag = (n: string): boolean => TRUE.has(q.get(n) ?? '');
  const request = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
  // pkg/kubelet/cri/streaming/remotecommand NewOptions.
  if (command.length === 0) throw badRequest('you must specify at least 1 command');
  if (!request.stdin && !request.stdout && !request.stderr)
    throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (request.tty && request.stderr) request.stderr = false; // with a TTY stderr is part of stdout
  const stored = await o.store.get({ namespace, name });
  if (!stored) throw notFound('pods', name);
  const pod = stored.state.pod;
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  // Init and ephemeral containers may be exec'd into by name too.
  const initNames = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map(
    (c) => c.name,
  );
  let container = q.get('container') ?? '';
  if (container === '') {
    if (names.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    container = names[0]!;
  } else if (!names.includes(container) && !initNames.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const rec = stored.state.engine.containers[container];
  const notRunning = badRequest(`unable to upgrade connection: container not found ("${container}")`);
  if (!rec || rec.state.type !== 'running') throw notRunning;
  const ref: ContainerInstanceRef = {
    key: { namespace, name },
    podUid: pod.metadata?.uid ?? '',
    container,
    instance: rec.instance,
  };
  let spec: ExecSpec;
  try {
    spec = await o.runtime.execSpec(ref, command);
  } catch {
    throw notRunning;
  }
  return { request: { ...request, ref, command }, spec };
}

/** Runs one exec session on an open WebSocket. Resolves when the session is over. */
export function runExecSession(
  ws: WebSocket,
  protocol: string,
  request: ExecRequest,
  spec: ExecSpec,
): Promise<void> {
  const v5 = protocol === 'v5.channel.k8s.io';
  const send = (channel: number, data: Buffer | string): void => {
    if (ws.readyState !== ws.OPEN) return;
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true });
  };
  const file = request.command[0];
  return new Promise((done) => {
    let child: ChildProcess;
    let finished = false;
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      send(ERROR, JSON.stringify(exitStatus(code, request.command)));
      ws.close(1000);
      done();
    };
    try {
      child = spawn(spec.file, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: [request.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      send(STDERR, `exec: ${JSON.stringify(file)}: ${(err as Error).message}\n`);
      finish(126);
      return;
    }
    const outChannel = STDOUT;
    const errChannel = request.tty ? STDOUT : STDERR;
    child.stdout?.on('data', (d: Buffer) => request.stdout && send(outChannel, d));
    child.stderr?.on('data', (d: Buffer) => (request.stderr || request.tty) && send(errChannel, d));
    child.stdin?.on('error', () => undefined); // the command may exit without reading its input
    child.once('error', (err: NodeJS.ErrnoException) => {
      // The shell's exit codes (and runc's wording): 127 not found, 126 found but not runnable.
      const notFound = err.code === 'ENOENT';
      send(
        request.tty ? STDOUT : STDERR,
        notFound
          ? `exec: ${JSON.stringify(file)}: executable file not found in $PATH\n`
          : `exec: ${JSON.stringify(file)}: ${err.message}\n`,
      );
      finish(notFound ? 127 : 126);
    });
    child.once('close', (code, signal) =>
      finish(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)),
    );
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const channel = data[0]!;
      if (v5 && channel === CLOSE) {
        if (data[1] === STDIN) child.stdin?.end();
        return;
      }
      if (channel === STDIN) child.stdin?.write(data.subarray(1));
      // RESIZE: no TTY is allocated locally, nothing to resize.
    });
    ws.once('close', () => {
      if (!finished && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      finished = true;
      done();
    });
  });
}

export function createExecUpgradeHandler(o: ExecWebSocketOptions): UpgradeHandler {
  return createChannelUpgradeHandler({
    verb: 'exec',
    path: EXEC_PATH,
    ...(o.token ? { token: o.token } : {}),
    onError: o.onError,
    resolve: (url, namespace, name) => resolveRequest(o, url, namespace, name),
    run: (ws, protocol, { request, spec }) => runExecSession(ws, protocol, request, spec),
  });
}

/**
 * The upgrade of a channel.k8s.io WebSocket subresource (exec, attach): authorize, resolve the pod and container —
 * first, since kubectl falls back from WebSocket to SPDY when the upgrade fails and the user should read why the
 * request failed (not found, not running), not which protocol was missing — check the offered subprotocols, run
 * the session; any refusal is a Status on the HTTP response.
 */
export function createChannelUpgradeHandler<R>(o: {
  verb: string;
  /** `…/namespaces/(ns)/pods/(name)/<verb>` */
  path: RegExp;
  token?: string;
  onError: (err: unknown, context: string) => void;
  resolve: (url: URL, namespace: string, name: string) => Promise<R>;
  run: (ws: WebSocket, protocol: string, resolved: R) => Promise<void>;
}): UpgradeHandler {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  const sessions = new Set<WebSocket>();
  return {
    handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): boolean {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const m = o.path.exec(url.pathname);
      if (!m) return false;
      void (async () => {
        try {
          if (o.token && !isAuthorized(req.headers.authorization, o.token)) throw unauthorized();
          const resolved = await o.resolve(url, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
          const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
          if (!EXEC_PROTOCOLS.some((p) => offered.includes(p))) {
            throw badRequest(
              `unable to upgrade connection: podflow serves ${o.verb} over WebSocket (${EXEC_PROTOCOLS.join(', ')}), not ${req.headers.upgrade ?? 'this protocol'}`,
            );
          }
          wss.handleUpgrade(req, socket, head, (ws) => {
            sessions.add(ws);
            ws.on('error', (err) => o.onError(err, `${o.verb} websocket`));
            void o
              .run(ws, ws.protocol, resolved)
              .catch((err: unknown) => {
                o.onError(err, `${o.verb} session`);
                ws.terminate();
              })
              .finally(() => sessions.delete(ws));
          });
        } catch (err) {
          if (err instanceof ApiError) rejectUpgrade(socket, err);
          else {
            o.onError(err, `${o.verb} upgrade`);
            rejectUpgrade(
              socket,
              new ApiError(500, 'InternalError', `Internal error occurred: ${o.verb} failed`),
            );
          }
        }
      })();
      return true;
    },
    close() {
      for (const ws of sessions) ws.terminate();
      wss.close();
    },
  };
}
