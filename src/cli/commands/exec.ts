// `podflow exec POD [-c C] [-i] [-t] -- COMMAND [ARG…]`: `kubectl exec` against the API, over the WebSocket remote
// command protocol podflow serves (local/exec-websocket.ts; client-go tools/remotecommand/websocket.go): subprotocol
// `v5.channel.k8s.io`, else `v4.channel.k8s.io`; each binary message starts with its channel — 0 stdin (with -i),
// 1 stdout, 2 stderr, 3 the error channel's Status, and with v5 `[255, 0]` to close stdin, which is what lets
// `podflow exec -i POD -- cat` see EOF. Like kubectl it reads the pod first: a finished pod cannot be exec'd into,
// and without -c the default container is chosen (saying so when there are others).
// Exit: the command's exit code (`command terminated with exit code N` on stderr, as kubectl), 1 when the API
// refused or the session broke.
import type { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Status } from 'kubernetes-types/meta/v1';
import WebSocket from 'ws';
import {
  addClientFlags,
  ApiClient,
  ApiConnectionError,
  ApiStatusError,
  CommandError,
  podsPath,
  resolveApiTarget,
  runClientCommand,
  type ClientFlags,
} from '../api-client.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_OK } from '../cli-io.ts';
import { parsePodArgs } from './get.ts';
import { defaultContainer } from './logs.ts';

/** Remote command subprotocols, in order of preference (v5 can close stdin). */
export const EXEC_SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

export interface ExecOptions extends ClientFlags {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
}

/** Where the session's bytes come from and go to (the process's standard streams in the CLI). */
export interface ExecStreams {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * The exit code an error-channel Status means (client-go errorDecoderV4): Success 0; NonZeroExitCode the ExitCode
 * cause's; another failure is an error with the Status's message.
 */
export function exitCodeOfStatus(status: Status): number {
  if (status.status === 'Success') return EXIT_OK;
  if (status.reason === 'NonZeroExitCode') {
    const cause = (status.details?.causes ?? []).find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (!cause || !Number.isInteger(code) || code < 0 || code > 255)
      throw new CommandError(
        `error stream protocol error: invalid exit code value ${JSON.stringify(cause?.message ?? '')}`,
      );
    return code;
  }
  throw new CommandError(status.message ?? 'error stream protocol error: unknown error');
}

/** Runs the command; resolves with its exit code. */
export async function runExec(
  podArg: string,
  command: readonly string[],
  opts: ExecOptions,
  io: CliIo,
  streams: ExecStreams,
): Promise<number> {
  if (command.length === 0)
    throw new CommandError(
      'you must specify at least one command for the container (podflow exec POD -- COMMAND)',
    );
  const [name] = podArg.includes('/') ? parsePodArgs([podArg]) : [podArg];
  const client = new ApiClient(resolveApiTarget(opts));
  const path = podsPath(client.target.namespace, name!);
  const pod = await client.get<Pod>(path);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed')
    throw new CommandError(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  const container = opts.container ?? defaultContainer(pod, io.stderr);
  const url = client.url(`${path}/exec`, {
    command: [...command],
    container,
    stdin: opts.stdin ? 'true' : undefined,
    stdout: 'true',
    // With a terminal stderr is part of stdout (kubectl sends stderr=false with -t).
    stderr: opts.tty ? undefined : 'true',
    tty: opts.tty ? 'true' : undefined,
  });
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

  return new Promise<number>((resolve, reject) => {
    const ca = client.target.certificateAuthority;
    const ws = new WebSocket(url, EXEC_SUBPROTOCOLS, {
      headers: client.authHeaders(),
      ...(ca ? { ca } : {}),
    });
    let exitCode: number | undefined;
    let failure: unknown;
    let settled = false;
    const onData = (chunk: Buffer | string): void => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (ws.readyState === WebSocket.OPEN)
        ws.send(Buffer.concat([Buffer.from([STDIN]), data]), { binary: true });
    };
    const onEnd = (): void => {
      // v4 has no way to say so: the command keeps its stdin open (kubectl behaves the same over v4).
      if (ws.readyState === WebSocket.OPEN && ws.protocol === EXEC_SUBPROTOCOLS[0])
        ws.send(Buffer.from([CLOSE, STDIN]), { binary: true });
    };
    const releaseStdin = (): void => {
      if (!opts.stdin) return;
      streams.stdin.removeListener('data', onData);
      streams.stdin.removeListener('end', onEnd);
      streams.stdin.pause();
    };
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      releaseStdin();
      fn();
    };
    ws.on('unexpected-response', (_req, res) => {
      // The upgrade was refused: the body is the Status saying why (pod or container not found, not running …).
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let status: Status;
        try {
          status = JSON.parse(text) as Status;
        } catch {
          status = {
            status: 'Failure',
            code: res.statusCode ?? 0,
            message: text.trim() || `the server answered ${res.statusCode}`,
          };
        }
        settle(() => reject(new ApiStatusError({ ...status, code: status.code ?? res.statusCode ?? 0 })));
      });
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      const refused = err.code === 'ECONNREFUSED';
      settle(() =>
        reject(
          new ApiConnectionError(
            refused
              ? `The connection to the server ${url.host} was refused - did you specify the right host or port?`
              : `Unable to connect to the server: ${err.message}`,
          ),
        ),
      );
    });
    ws.on('open', () => {
      if (!opts.stdin) return;
      streams.stdin.on('data', onData);
      streams.stdin.on('end', onEnd);
      streams.stdin.resume();
    });
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const payload = data.subarray(1);
      switch (data[0]) {
        case STDOUT:
          streams.stdout.write(payload);
          break;
        case STDERR:
          streams.stderr.write(payload);
          break;
        case ERROR:
          try {
            exitCode = exitCodeOfStatus(JSON.parse(payload.toString('utf8')) as Status);
          } catch (err) {
            failure =
              err instanceof SyntaxError
                ? new CommandError(`error stream protocol error: ${err.message}`)
                : err;
          }
          break;
        default:
          // 4 (resize) and close signals are never sent to a client.
          break;
      }
    });
    ws.on('close', () => {
      settle(() => {
        if (failure) return reject(failure);
        if (exitCode === undefined)
          return reject(
            new CommandError('the exec session ended without an exit status (the API went away?)'),
          );
        if (exitCode !== EXIT_OK) io.stderr(`command terminated with exit code ${exitCode}\n`);
        resolve(exitCode);
      });
    });
  });
}

export function registerExecCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('exec')
    .description("run a command in a pod's container, as kubectl exec does")
    .argument('<pod>', 'pod name (or pod/NAME)')
    .argument('<command...>', 'the command and its arguments, after --')
    .option(
      '-c, --container <name>',
      'the container (default: the default-container annotation, or the first)',
    )
    .option('-i, --stdin', "pass standard input to the command (its end closes the command's stdin)")
    .option(
      '-t, --tty',
      'stdout and stderr as one stream, as through a terminal (no terminal is allocated locally)',
    );
  addClientFlags(command).addHelpText(
    'after',
    `
The command runs in the container's environment and working directory. Exit
status: the command's, else 1.

Examples:
  podflow exec myapp-pod -- env
  echo hello | podflow exec -i myapp-pod -- cat`,
  );
  command.action(async (pod: string, args: string[], opts: ExecOptions) => {
    await runClientCommand(io, setExitCode, () =>
      runExec(pod, args, opts, io, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }),
    );
  });
}
