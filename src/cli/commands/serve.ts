// `podflow serve [--port 8080] [--data-dir .podflow] [--token T]`: the embedded engine behind the Kubernetes-compatible
// API, on 127.0.0.1 only (docs/architecture.md §8). The local gateway hands each HTTP request to the same Hono app the
// cloud's api handler runs (local/gateway.ts); `<data-dir>/kubeconfig` points kubectl at it. SIGINT/SIGTERM: stop accepting, end watches and exec sessions, stop the engine. Containers keep running under
// their shims and the next `podflow serve` on the same data directory re-adopts them — what a kubelet restart does.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { join, resolve } from 'node:path';
import { startLocalServer, type LocalServer } from '../../local/local-server.ts';
import { servingCertificate } from '../../local/serving-certificate.ts';
import type { LocalEngineOptions } from '../../local/local-engine.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_OK, UsageError } from '../cli-io.ts';
import {
  addEngineFlags,
  addStaticPodFlags,
  openEngineFromFlags,
  type EngineFlagValues,
} from '../engine-flags.ts';
import { KUBECONFIG_FILE, writeKubeconfig } from '../kubeconfig.ts';
import { processSignals, type InterruptSignal, type SignalSource } from '../session.ts';

export const DEFAULT_PORT = 8080;

export interface ServeOptions extends EngineFlagValues {
  port: number;
  token?: string;
  /**
   * Not a flag: the CronJob controller's clock and timers, which the API's clock follows too so that a CronJob's
   * creation time and its schedule agree (in-process tests run schedules faster).
   */
  cronClock?: LocalEngineOptions['cronClock'];
}

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535).');
  return Number(value);
}

/** What a running `serve` offers (tests drive it in-process). */
export interface ServeHandle {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The kubeconfig's server: https:// on the same port when a token is required (kubectl sends one only over TLS). */
  apiUrl: string;
  /** The web UI's address; with a token, the token rides in the fragment, which browsers never send. */
  uiUrl: string;
  kubeconfig: string;
  dataDir: string;
  /** Seconds the engine allows beyond a pod's grace period before it gives up on the pod's containers. */
  terminationMarginSeconds: number;
  /** Graceful shutdown. */
  stop(): Promise<void>;
}

/** `<server>/ui/`, with `#token=…` when a token is required (a fragment stays in the browser). */
export function uiAddress(server: string, token: string | undefined): string {
  return `${server}/ui/${token ? `#token=${encodeURIComponent(token)}` : ''}`;
}

/** Starts the engine, the API and the gateway; returns once they listen. */
export async function startServe(opts: ServeOptions, io: CliIo): Promise<ServeHandle> {
  const onError = (err: unknown, context: string): void =>
    io.stderr(
      `podflow serve: ${context}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  const opened = await openEngineFromFlags(
    opts,
    onError,
    (line) => io.stderr(`podflow serve: ${line}\n`),
    opts.cronClock && { cronClock: opts.cronClock },
  );
  const { local, dataDir } = opened;
  let server: LocalServer;
  // local/serving-certificate.ts: with a token, kubectl needs https:// to send it.
  const tls = opts.token ? servingCertificate(dataDir) : undefined;
  try {
    server = await startLocalServer({
      engine: local,
      port: opts.port,
      newUid: io.newUid,
      onError,
      ...(opts.cronClock && { clock: opts.cronClock.clock }),
      ...(opts.token ? { token: opts.token } : {}),
      ...(tls ? { tls } : {}),
    });
  } catch (err) {
    await opened.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UsageError(
        `port ${opts.port} on 127.0.0.1 is in use; pick another with --port (0: any free port)`,
      );
    throw err;
  }
  const kubeconfig = resolve(join(dataDir, KUBECONFIG_FILE));
  const apiUrl = server.tlsUrl ?? server.url;
  writeKubeconfig(kubeconfig, {
    server: apiUrl,
    ...(opts.token ? { token: opts.token } : {}),
    ...(tls ? { certificateAuthority: tls.cert } : {}),
  });
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    apiUrl,
    uiUrl: uiAddress(server.url, opts.token),
    kubeconfig,
    dataDir,
    terminationMarginSeconds: local.deps.settings.terminationMarginSeconds,
    stop: () =>
      (stopping ??= (async () => {
        await server.close();
        await opened.close();
      })()),
  };
}

/** Runs until SIGINT/SIGTERM; returns the exit code. */
export async function runServe(
  opts: ServeOptions,
  io: CliIo,
  signals: SignalSource = processSignals,
): Promise<number> {
  const serve = await startServe(opts, io);
  io.stdout(
    `podflow serve: Kubernetes API on ${serve.apiUrl} (127.0.0.1 only), data in ${serve.dataDir}${opts.token ? ', bearer token required' : ''}\n` +
      `  export KUBECONFIG=${serve.kubeconfig}\n` +
      `  web UI: ${serve.uiUrl}\n` +
      `  kubectl apply -f examples/quickstart/ && kubectl get pods -w\n`,
  );
  const signal = await new Promise<InterruptSignal>((resolveSignal) => {
    const off = signals.onInterrupt((s) => {
      off();
      resolveSignal(s);
    });
  });
  io.stdout(
    `podflow serve: ${signal}: shutting down; running containers stay up and the next serve re-adopts them\n`,
  );
  await serve.stop();
  return EXIT_OK;
}

export function registerServeCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('serve')
    .description('run the engine behind a Kubernetes-compatible API on 127.0.0.1 (kubectl works against it)')
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', parsePort, DEFAULT_PORT)
    .option(
      '--token <token>',
      'require `Authorization: Bearer <token>` on every request (written to the kubeconfig)',
    );
  addStaticPodFlags(addEngineFlags(command))
    .addHelpText(
      'after',
      `
Writes <data-dir>/kubeconfig (server http://127.0.0.1:PORT, context podflow), so
  KUBECONFIG=.podflow/kubeconfig kubectl get pods
works. Ctrl-C (SIGINT) or SIGTERM stops the API and the engine gracefully; running
containers keep running and are re-adopted by the next \`podflow serve\`.`,
    )
    .action(async (opts: ServeOptions) => {
      setExitCode(await runServe(opts, io));
    });
}
