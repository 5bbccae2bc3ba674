// `podflow logs POD [-c C] [-p] [-f] [--tail N] [--timestamps]`: `kubectl logs` against the API
// (`/api/v1/namespaces/NS/pods/NAME/log`). As kubectl, it reads the pod first to pick the container: `-c`, else the
// `kubectl.kubernetes.io/default-container` annotation, else the first container — saying so on stderr when the pod
// has others (k8s.io/kubectl pkg/polymorphichelpers logsforobject.go). The log is copied to stdout as it arrives
// (`-f` follows the container until it exits). Exit: 0, or 1 when the API refused (printed as kubectl prints it).
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import {
  addClientFlags,
  ApiClient,
  CommandError,
  podsPath,
  readChunks,
  resolveApiTarget,
  runClientCommand,
  type ClientFlags,
} from '../api-client.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_OK } from '../cli-io.ts';
import { parsePodArgs } from './get.ts';

/** podcmd.DefaultContainerAnnotationName. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** podcmd.AllContainerNames: `app, sidecar (ephem), init-db (init)`. */
export function allContainerNames(pod: Pod): string {
  return [
    ...(pod.spec?.containers ?? []).map((c) => c.name),
    ...(pod.spec?.ephemeralContainers ?? []).map((c) => `${c.name} (ephem)`),
    ...(pod.spec?.initContainers ?? []).map((c) => `${c.name} (init)`),
  ].join(', ');
}

function findContainer(pod: Pod, name: string): Container | undefined {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
}

/**
 * The container a command without `-c` means (podcmd.FindOrDefaultContainerByName): the annotation's, else the
 * first. `onDefaulted` hears `Defaulted container "x" out of: …` when the pod has other containers.
 */
export function defaultContainer(pod: Pod, onDefaulted: (text: string) => void): string {
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 0)
    throw new CommandError(
      `pod ${pod.metadata?.namespace}/${pod.metadata?.name} does not have any containers`,
    );
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && findContainer(pod, annotated)) return annotated;
  const first = containers[0]!.name;
  if (
    containers.length > 1 ||
    (pod.spec?.initContainers ?? []).length > 0 ||
    (pod.spec?.ephemeralContainers ?? []).length > 0
  )
    onDefaulted(`Defaulted container ${JSON.stringify(first)} out of: ${allContainerNames(pod)}\n`);
  return first;
}

export interface LogsOptions extends ClientFlags {
  container?: string;
  previous?: boolean;
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
}

export function parseTail(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('must be a number of lines (-1: all).');
  return Number(value);
}

/** Runs the command; returns the exit code. The log goes to stdout as it arrives. */
export async function runLogs(
  args: readonly string[],
  opts: LogsOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<number> {
  const [name, ...rest] = args[0]?.includes('/') ? parsePodArgs(args) : args;
  if (!name || rest.length > 0)
    throw new CommandError('expected exactly one pod: podflow logs POD [-c CONTAINER]');
  const client = new ApiClient(resolveApiTarget(opts));
  const path = podsPath(client.target.namespace, name);
  const pod = await client.get<Pod>(path);
  let container = opts.container;
  if (container === undefined) container = defaultContainer(pod, io.stderr);
  else if (!findContainer(pod, container))
    throw new CommandError(`container ${container} is not valid for pod ${name}`);
  const response = await client.check(
    await client.send('GET', `${path}/log`, {
      accept: '*/*',
      query: {
        container,
        previous: opts.previous ? 'true' : undefined,
        follow: opts.follow ? 'true' : undefined,
        timestamps: opts.timestamps ? 'true' : undefined,
        // kubectl: --tail=-1 (the default) means all lines; any other value is tailLines.
        tailLines: opts.tail !== undefined && opts.tail >= 0 ? String(opts.tail) : undefined,
      },
      ...(signal ? { signal } : {}),
    }),
  );
  if (response.body) {
    // Container logs are text (CRI log lines); a character split across chunks is decoded whole.
    const decoder = new TextDecoder();
    try {
      for await (const chunk of readChunks(response)) io.stdout(decoder.decode(chunk, { stream: true }));
      io.stdout(decoder.decode());
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
  }
  return EXIT_OK;
}

export function registerLogsCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('logs')
    .description("print a container's log, as kubectl logs does")
    .argument('<pod>', 'pod name (or pod/NAME)')
    .option(
      '-c, --container <name>',
      'the container (default: the only one, the default-container annotation, or the first)',
    )
    .option('-p, --previous', "the previous instance's log (the one that crashed, in CrashLoopBackOff)")
    .option('-f, --follow', 'keep printing until the container exits')
    .option('--tail <lines>', 'only the last N lines (-1: all)', parseTail)
    .option('--timestamps', 'prefix each line with its RFC 3339 time');
  addClientFlags(command).addHelpText(
    'after',
    `
Examples:
  podflow logs myapp-pod -c init-myservice
  podflow logs crashloop --previous`,
  );
  command.action(async (pod: string, opts: LogsOptions) => {
    await runClientCommand(io, setExitCode, () => runLogs([pod], opts, io));
  });
}
