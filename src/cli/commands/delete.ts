// `podflow delete pod NAME… [--grace-period N] [--now] [--force] [--wait=false] [--timeout D] [--all | -l SELECTOR]`:
// `kubectl delete pod` against the API. The DELETE answers at once with the pod marked for deletion and prints
// `pod "x" deleted`; the worker then stops its containers gracefully (preStop, SIGTERM, SIGKILL at the grace) and
// removes it. With --wait (the default, as kubectl's) the command returns only when the pod is gone: it watches the
// pod from the version the DELETE answered with, so the removal cannot slip by unseen.
// Exit: 0, or 1 when a pod was not found, the API refused, or the wait timed out.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { formatGoDuration, parseDuration } from '../../core/duration.ts';
import {
  addClientFlags,
  ApiClient,
  CommandError,
  formatCliError,
  isNotFoundError,
  parseBoolFlag,
  podsPath,
  printWarnings,
  resolveApiTarget,
  runClientCommand,
  type ClientFlags,
} from '../api-client.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../cli-io.ts';
import { followWatch, parsePodArgs } from './get.ts';

/** What `--timeout=0` means for kubectl delete: wait a week (delete.go: "zero means … 168h"). */
const WAIT_FOREVER_MS = 168 * 3600 * 1000;

export interface DeleteCommandOptions extends ClientFlags {
  gracePeriod: number;
  now?: boolean;
  force?: boolean;
  wait: boolean;
  timeout: string;
  all?: boolean;
  selector?: string;
}

export function parseGracePeriod(value: string): number {
  if (!/^-?\d+$/.test(value))
    throw new InvalidArgumentError('must be a number of seconds (-1: the pod’s own).');
  return Number(value);
}

/**
 * The grace period to send (delete.go Complete): -1 is the pod's own (nothing sent), `--now` is 1, `--force` turns a
 * negative one into 0, and 0 without --force becomes 1 — kubectl's guard against accidental immediate deletion.
 */
export function effectiveGracePeriod(
  o: Pick<DeleteCommandOptions, 'gracePeriod' | 'now' | 'force'>,
): number | undefined {
  let grace = o.gracePeriod;
  if (o.now) {
    if (grace !== -1) throw new UsageError('--now and --grace-period cannot be specified together');
    grace = 1;
  }
  if (o.force && grace < 0) grace = 0;
  if (grace === 0 && !o.force) grace = 1;
  return grace < 0 ? undefined : grace;
}

/** Sends the DELETE (DeleteOptions as kubectl sends them); returns the pod as the API answered, marked for deletion. */
export async function deletePod(
  client: ApiClient,
  namespace: string,
  name: string,
  gracePeriodSeconds: number | undefined,
  io?: Pick<CliIo, 'stderr'>,
): Promise<Pod> {
  const { body, warnings } = await client.request<Pod>('DELETE', podsPath(namespace, name), {
    body: {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
      propagationPolicy: 'Background',
    },
  });
  if (io) printWarnings(io, warnings);
  return body;
}

/**
 * Waits until the pod with this uid is gone: a watch of the name from `resourceVersion` (the DELETE's answer), so a
 * removal that happened meanwhile is replayed; a GET once the watch is open settles a pod gone before it. Resolves
 * false after `timeoutMs`.
 */
export async function waitForPodGone(
  client: ApiClient,
  namespace: string,
  pod: Pod,
  timeoutMs: number,
): Promise<boolean> {
  const name = pod.metadata?.name ?? '';
  const uid = pod.metadata?.uid;
  const stop = new AbortController();
  let gone = false;
  const finish = (): void => {
    gone = true;
    stop.abort();
  };
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const isOther = (p: Pod | undefined): boolean => uid !== undefined && p?.metadata?.uid !== uid;
  try {
    await followWatch<Pod>(client, podsPath(namespace), {
      query: { fieldSelector: `metadata.name=${name}` },
      resourceVersion: pod.metadata?.resourceVersion,
      versionOf: (p) => p.metadata?.resourceVersion,
      signal: stop.signal,
      onOpen: () => {
        client
          .get<Pod>(podsPath(namespace, name))
          .then((current) => isOther(current) && finish())
          .catch((err: unknown) => isNotFoundError(err) && finish());
      },
      onEvent: (e) => {
        if (e.type === 'DELETED' && !isOther(e.object)) finish();
        // Replaced by a pod of the same name: the one we deleted is gone.
        else if (e.type === 'ADDED' && isOther(e.object)) finish();
      },
    });
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return gone;
}

/** Runs the command; returns the exit code. */
export async function runDelete(
  args: readonly string[],
  opts: DeleteCommandOptions,
  io: CliIo,
): Promise<number> {
  const grace = effectiveGracePeriod(opts);
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(opts.timeout);
  } catch (err) {
    throw new UsageError(`--timeout: must be a duration such as 30s or 5m (${(err as Error).message})`);
  }
  if (timeoutMs === 0) timeoutMs = WAIT_FOREVER_MS;
  let names = parsePodArgs(args);
  const client = new ApiClient(resolveApiTarget(opts));
  const namespace = client.target.namespace;
  if ((opts.all || opts.selector) && names.length > 0)
    throw new CommandError('name cannot be provided when a selector is specified');
  if (opts.all || opts.selector) {
    const list = await client.get<{ items: Pod[] }>(podsPath(namespace), {
      query: { labelSelector: opts.selector || undefined },
    });
    names = list.items.map((p) => p.metadata?.name ?? '');
    if (names.length === 0) {
      io.stderr(`No resources found\n`);
      return EXIT_OK;
    }
  } else if (names.length === 0) {
    throw new CommandError(
      'resource(s) were provided, but no name was specified (pass NAME, --all or -l SELECTOR)',
    );
  }
  if (opts.force)
    io.stderr(
      'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n',
    );
  let failed = false;
  const deleted: Pod[] = [];
  for (const name of names) {
    try {
      const pod = await deletePod(client, namespace, name, grace, io);
      io.stdout(`pod ${JSON.stringify(name)} ${opts.force ? 'force deleted' : 'deleted'}\n`);
      deleted.push(pod);
    } catch (err) {
      if (!isNotFoundError(err)) throw err;
      io.stderr(formatCliError(err));
      failed = true;
    }
  }
  if (opts.wait) {
    const deadline = io.now() + timeoutMs;
    for (const pod of deleted) {
      const gone = await waitForPodGone(client, namespace, pod, Math.max(0, deadline - io.now()));
      if (!gone) {
        io.stderr(
          `error: timed out waiting for the condition on pods/${pod.metadata?.name ?? ''} (waited ${formatGoDuration(timeoutMs)})\n`,
        );
        failed = true;
      }
    }
  }
  return failed ? EXIT_INVALID : EXIT_OK;
}

export function registerDeleteCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  const command = program
    .command('delete')
    .description('delete pods gracefully and wait until they are gone, as kubectl delete pod does')
    .argument('<resource>', 'pod (also pods, po), or pod/NAME')
    .argument('[names...]', 'pod names')
    .option(
      '--grace-period <seconds>',
      'seconds the pod gets to stop (-1: its terminationGracePeriodSeconds; 0 means 1 unless --force)',
      parseGracePeriod,
      -1,
    )
    .option('--now', 'stop at once (grace period 1)')
    .option('--force', 'with --grace-period=0: remove the pod without waiting for its containers')
    .option(
      '--wait [bool]',
      'wait until the pods are gone (--wait=false returns at once)',
      parseBoolFlag,
      true,
    )
    .option('--timeout <duration>', 'give up waiting after this long (0: a week, as kubectl)', '0s')
    .option('--all', 'every pod of the namespace')
    .option('-l, --selector <selector>', 'the pods matching this label selector');
  addClientFlags(command).addHelpText(
    'after',
    `
Prints pod "NAME" deleted for each pod as soon as the API accepted the deletion,
then (unless --wait=false) waits until the containers stopped and the pod is gone.

Examples:
  podflow delete pod myapp-pod
  podflow delete pod myapp-pod --grace-period 5 --wait=false`,
  );
  command.action(async (resource: string, names: string[], opts: DeleteCommandOptions) => {
    await runClientCommand(io, setExitCode, () => runDelete([resource, ...names], opts, io));
  });
}
