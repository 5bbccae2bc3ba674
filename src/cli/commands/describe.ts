// `podflow describe pod [NAME…] [-l SELECTOR] [-n NS]`: `kubectl describe pod` against the API — the pod, and its
// events as kubectl finds them (`/api/v1/namespaces/NS/events?fieldSelector=involvedObject.name=…,
// involvedObject.namespace=…,involvedObject.uid=…`, describe.go searchEvents), rendered by printers/describe.ts.
// Without a name every pod of the namespace (or of the selector) is described, separated by blank lines.
// Exit: 0, or 1 when a pod was not found or the API refused.
import type { Command } from 'commander';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import {
  addClientFlags,
  ApiClient,
  CommandError,
  formatCliError,
  isNotFoundError,
  parseBoolFlag,
  podsPath,
  resolveApiTarget,
  runClientCommand,
  type ClientFlags,
} from '../api-client.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_INVALID, EXIT_OK } from '../cli-io.ts';
import { describePod } from '../../printers/describe.ts';
import { parsePodArgs } from './get.ts';

export interface DescribeCommandOptions extends ClientFlags {
  selector?: string;
  showEvents: boolean;
}

/** The events about one pod, as `kubectl describe` asks for them. */
export async function podEvents(client: ApiClient, pod: Pod): Promise<Event[]> {
  const namespace = pod.metadata?.namespace ?? client.target.namespace;
  const selector = [
    `involvedObject.name=${pod.metadata?.name ?? ''}`,
    `involvedObject.namespace=${namespace}`,
    ...(pod.metadata?.uid ? [`involvedObject.uid=${pod.metadata.uid}`] : []),
  ].join(',');
  const list = await client.get<{ items: Event[] }>(
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
    {
      query: { fieldSelector: selector },
    },
  );
  return list.items;
}

/** Runs the command; returns the exit code. */
export async function runDescribe(
  args: readonly string[],
  opts: DescribeCommandOptions,
  io: CliIo,
): Promise<number> {
  const names = parsePodArgs(args);
  const client = new ApiClient(resolveApiTarget(opts));
  const namespace = client.target.namespace;
  const pods: Pod[] = [];
  const errors: unknown[] = [];
  if (names.length > 0) {
    for (const name of names) {
      try {
        pods.push(await client.get<Pod>(podsPath(namespace, name)));
      } catch (err) {
        if (!isNotFoundError(err)) throw err;
        errors.push(err);
      }
    }
  } else {
    const list = await client.get<{ items: Pod[] }>(podsPath(namespace), {
      query: { labelSelector: opts.selector || undefined },
    });
    pods.push(...list.items);
    if (pods.length === 0) io.stderr(`No resources found in ${namespace} namespace.\n`);
  }
  let first = true;
  for (const pod of pods) {
    const events = opts.showEvents ? await podEvents(client, pod) : undefined;
    const text = describePod(pod, events, { now: io.now() });
    io.stdout(first ? text : `\n\n${text}`);
    first = false;
  }
  for (const err of errors) io.stderr(formatCliError(err));
  return errors.length > 0 ? EXIT_INVALID : EXIT_OK;
}

export function registerDescribeCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  const command = program
    .command('describe')
    .description('show a pod in detail — containers, conditions, events — as kubectl describe pod does')
    .argument('<resource>', 'pod (also pods, po), or pod/NAME')
    .argument('[names...]', 'pod names (default: every pod of the namespace)')
    .option('-l, --selector <selector>', 'label selector, without names')
    .option(
      '--show-events [bool]',
      'include the Events section (--show-events=false leaves it out)',
      parseBoolFlag,
      true,
    );
  addClientFlags(command).addHelpText(
    'after',
    `
Example:
  podflow describe pod myapp-pod`,
  );
  command.action(async (resource: string, names: string[], opts: DescribeCommandOptions) => {
    await runClientCommand(io, setExitCode, async () => {
      if (opts.selector && names.length > 0)
        throw new CommandError('name cannot be provided when a selector is specified');
      return runDescribe([resource, ...names], opts, io);
    });
  });
}
