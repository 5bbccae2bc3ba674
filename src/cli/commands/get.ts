// `podflow get pods [NAME…] [-o wide|json|yaml|name] [-w] [-l SELECTOR] [-n NS | -A]`: `kubectl get pods` against the
// API. Tables are the server's (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, the printer columns of
// api/table.ts), laid out as kubectl's tabwriter does; json and yaml print the objects as kubectl does (keys sorted,
// a `List` for several); `-w` prints the current state, then one row (or object) per change.
// Exit: 0, or 1 when something was not found or the API refused (printed as kubectl prints it).
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { stringify } from 'yaml';
import type { Table, TableColumnDefinition, TableRow } from '../../api/table.ts';
import {
  addClientFlags,
  ApiClient,
  CommandError,
  formatCliError,
  isNotFoundError,
  podsPath,
  resolveApiTarget,
  runClientCommand,
  TABLE_ACCEPT,
  type ClientFlags,
  type WatchEvent,
} from '../api-client.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_INVALID, EXIT_OK } from '../cli-io.ts';

/** The names kubectl knows pods by (discovery: `pods`, singular `pod`, short name `po`). */
export const POD_RESOURCE_NAMES: ReadonlySet<string> = new Set(['pods', 'pod', 'po']);

/**
 * The pod names of `TYPE [NAME…]` or `TYPE/NAME…` arguments, as kubectl reads them. Any other resource type is the
 * API's answer to an unknown type: podflow serves pods (and events) only.
 */
export function parsePodArgs(args: readonly string[]): string[] {
  const typeError = (type: string): CommandError =>
    new CommandError(`the server doesn't have a resource type "${type}"`);
  if (args.length === 0) throw new CommandError('You must specify the type of resource to get.');
  if (args[0]!.includes('/')) {
    return args.map((arg) => {
      const slash = arg.indexOf('/');
      if (slash < 0)
        throw new CommandError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podflow get resource/<resource_name>' instead of 'podflow get resource resource/<resource_name>'`,
        );
      const type = arg.slice(0, slash);
      if (!POD_RESOURCE_NAMES.has(type.toLowerCase())) throw typeError(type);
      const name = arg.slice(slash + 1);
      if (name === '')
        throw new CommandError(`arguments in resource/name form must have a single resource and name`);
      return name;
    });
  }
  const [type, ...names] = args;
  for (const t of type!.split(',')) if (!POD_RESOURCE_NAMES.has(t.toLowerCase())) throw typeError(t);
  for (const n of names)
    if (n.includes('/'))
      throw new CommandError(
        `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podflow get resource/<resource_name>' instead of 'podflow get resource resource/<resource_name>'`,
      );
  return names;
}

// ---------- tables ----------

/**
 * kubectl's tabwriter (cli-runtime pkg/printers/tabwriter.go, flag RememberWidths): minimum width 6, padding 3, the
 * last column not padded — and column widths remembered across flushes, so that the rows a watch prints one at a time
 * line up with the header as long as they fit, and widen the column when they do not.
 */
export class RememberingTabWriter {
  readonly #widths: number[] = [];

  /** Lays out `rows` (each a list of cells) with the widths seen so far; returns the lines, each ending in `\n`. */
  format(rows: readonly (readonly string[])[]): string {
    for (const row of rows)
      row.forEach((cell, i) => {
        if (i === row.length - 1) return;
        this.#widths[i] = Math.max(this.#widths[i] ?? 0, 6, [...cell].length + 3);
      });
    return rows
      .map(
        (row) =>
          `${row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((this.#widths[i] ?? 0) - [...cell].length))).join('')}\n`,
      )
      .join('');
  }
}

/** printRows' cell text: strings up to their first line break (then `...`), other values as Go's %v. */
function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') {
    const cut = cell.search(/[\f\n\r]/);
    return (cut >= 0 ? `${cell.slice(0, cut)}...` : cell).replaceAll('\x1b', '^[');
  }
  return String(cell);
}

interface TableView {
  columns: readonly TableColumnDefinition[];
  wide: boolean;
  withNamespace: boolean;
}

function visibleColumns(view: TableView): number[] {
  return view.columns.flatMap((c, i) => (c.priority === 0 || view.wide ? [i] : []));
}

function headerCells(view: TableView): string[] {
  return [
    ...(view.withNamespace ? ['NAMESPACE'] : []),
    ...visibleColumns(view).map((i) => view.columns[i]!.name.toUpperCase()),
  ];
}

function rowNamespace(row: TableRow): string {
  const object = row.object as { metadata?: { namespace?: string } } | undefined;
  return object?.metadata?.namespace ?? '';
}

function rowCells(view: TableView, row: TableRow): string[] {
  return [
    ...(view.withNamespace ? [rowNamespace(row)] : []),
    ...visibleColumns(view).map((i) => cellText(row.cells[i])),
  ];
}

function rowResourceVersion(row: TableRow | undefined): string | undefined {
  return (row?.object as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
}

function rowUid(row: TableRow | undefined): string | undefined {
  return (row?.object as { metadata?: { uid?: string } } | undefined)?.metadata?.uid;
}

/**
 * The objects a watch has shown. podflow's API gives a removal the removed pod's last resourceVersion, so a watch
 * from a list's version may repeat the DELETED of a pod removed just before the list: a deletion of an object never
 * shown is not printed.
 */
class SeenObjects {
  readonly #uids = new Set<string>();
  constructor(uids: Iterable<string | undefined>) {
    for (const uid of uids) if (uid) this.#uids.add(uid);
  }
  /** Whether to show this event; remembers what was added. */
  admit(type: string, uid: string | undefined): boolean {
    if (!uid) return true;
    if (type !== 'DELETED') {
      this.#uids.add(uid);
      return true;
    }
    return this.#uids.delete(uid);
  }
}

function asTable(body: unknown, what: string): Table {
  const table = body as Table;
  if (table?.kind !== 'Table' || !Array.isArray(table.rows))
    throw new CommandError(`the server did not answer ${what} with a Table`);
  return table;
}

// ---------- objects ----------

/** Keys sorted at every level, as kubectl prints unstructured objects. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    out[k] = sortKeysDeep((value as Record<string, unknown>)[k]);
  return out;
}

/**
 * `-o json`: four-space indentation, keys sorted, `&<>` escaped as Go's encoding/json does (kubectl's JSONPrinter
 * over unstructured objects).
 */
export function toKubectlJson(value: unknown): string {
  const text = JSON.stringify(sortKeysDeep(value), null, 4).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${text}\n`;
}

/**
 * `-o yaml`: keys sorted, lists not indented under their key, YAML 1.1 quoting (timestamps, yes/no are quoted) —
 * what sigs.k8s.io/yaml (go-yaml v2) prints for kubectl.
 */
export function toKubectlYaml(value: unknown): string {
  return stringify(sortKeysDeep(value), { version: '1.1', indentSeq: false, lineWidth: 0 });
}

/** What `get` prints of several objects: a v1 List, as kubectl builds it client-side. */
export function listOf(items: readonly Pod[]): unknown {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

const withKind = (pod: Pod): Pod => ({ ...pod, apiVersion: pod.apiVersion ?? 'v1', kind: pod.kind ?? 'Pod' });

type ObjectFormat = 'json' | 'yaml' | 'name';

/** Prints objects one after the other (watch output): JSON documents, YAML documents separated by `---`, names. */
class ObjectPrinter {
  #count = 0;
  readonly #format: ObjectFormat;
  readonly #io: CliIo;
  constructor(format: ObjectFormat, io: CliIo) {
    this.#format = format;
    this.#io = io;
  }
  print(value: unknown): void {
    this.#count++;
    if (this.#format === 'json') this.#io.stdout(toKubectlJson(value));
    else if (this.#format === 'yaml')
      this.#io.stdout(`${this.#count > 1 ? '---\n' : ''}${toKubectlYaml(value)}`);
    else this.#io.stdout(`pod/${(value as Pod).metadata?.name ?? ''}\n`);
  }
}

// ---------- the command ----------

export interface GetOptions extends ClientFlags {
  output?: 'wide' | 'json' | 'yaml' | 'name';
  watch?: boolean;
  selector?: string;
  allNamespaces?: boolean;
}

function noResourcesText(namespace: string | undefined): string {
  return namespace === undefined ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`;
}

/**
 * Re-opens a watch from the last version seen whenever the server ends it (its timeout), until `signal` aborts — so
 * `get -w` and `start` follow changes for as long as they run.
 */
export async function followWatch<T>(
  client: ApiClient,
  path: string,
  o: {
    query: Record<string, string | undefined>;
    accept?: string;
    resourceVersion: string | undefined;
    versionOf: (object: T) => string | undefined;
    onEvent: (e: WatchEvent<T>) => void;
    onOpen?: () => void;
    signal?: AbortSignal;
  },
): Promise<void> {
  let version = o.resourceVersion;
  while (!o.signal?.aborted) {
    await client.watch<T>(path, {
      query: { ...o.query, ...(version ? { resourceVersion: version } : {}) },
      ...(o.accept ? { accept: o.accept } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onOpen ? { onOpen: o.onOpen } : {}),
      onEvent: (e) => {
        version = o.versionOf(e.object) ?? version;
        o.onEvent(e);
      },
    });
  }
}

/** Runs the command; returns the exit code. */
export async function runGet(
  args: readonly string[],
  opts: GetOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<number> {
  const names = parsePodArgs(args);
  const target = resolveApiTarget(opts);
  const client = new ApiClient(target);
  if (opts.allNamespaces && names.length > 0)
    throw new CommandError('a resource cannot be retrieved by name across all namespaces');
  if (opts.watch && names.length > 1)
    throw new CommandError(
      `watch is only supported on individual resources and resource collections, but ${names.length} resources were found`,
    );
  const namespace = opts.allNamespaces ? undefined : target.namespace;
  const labelSelector = opts.selector || undefined;
  const errors: unknown[] = [];
  // A watch of one named pod is a watch of the collection narrowed to it (kubectl's fieldSelector metadata.name).
  const watchQuery = {
    labelSelector,
    fieldSelector: names.length === 1 ? `metadata.name=${names[0]}` : undefined,
  };

  if (opts.output === 'json' || opts.output === 'yaml' || opts.output === 'name') {
    const printer = new ObjectPrinter(opts.output, io);
    let items: Pod[] = [];
    let resourceVersion: string | undefined;
    if (names.length > 0) {
      for (const name of names) {
        try {
          items.push(withKind(await client.get<Pod>(podsPath(namespace, name))));
        } catch (err) {
          if (!isNotFoundError(err)) throw err;
          errors.push(err);
        }
      }
      resourceVersion = items[0]?.metadata?.resourceVersion;
    } else {
      const list = await client.get<{ items: Pod[]; metadata?: { resourceVersion?: string } }>(
        podsPath(namespace),
        { query: { labelSelector } },
      );
      items = list.items.map(withKind);
      resourceVersion = list.metadata?.resourceVersion;
    }
    if (opts.watch) for (const item of items) printer.print(item);
    else if (opts.output === 'name') for (const item of items) printer.print(item);
    else if (names.length === 1 && items.length === 1) printer.print(items[0]);
    else if (names.length === 0 || items.length > 0) printer.print(listOf(items));
    for (const err of errors) io.stderr(formatCliError(err));
    if (!opts.watch || errors.length > 0) return errors.length > 0 ? EXIT_INVALID : EXIT_OK;
    const seen = new SeenObjects(items.map((p) => p.metadata?.uid));
    await followWatch<Pod>(client, podsPath(namespace), {
      query: watchQuery,
      resourceVersion,
      versionOf: (p) => p.metadata?.resourceVersion,
      onEvent: (e) => {
        if (seen.admit(e.type, e.object.metadata?.uid)) printer.print(withKind(e.object));
      },
      ...(signal ? { signal } : {}),
    });
    return EXIT_OK;
  }

  // Tables.
  const tables: Table[] = [];
  if (names.length > 0) {
    for (const name of names) {
      try {
        tables.push(
          asTable(await client.get(podsPath(namespace, name), { accept: TABLE_ACCEPT }), `pod ${name}`),
        );
      } catch (err) {
        if (!isNotFoundError(err)) throw err;
        errors.push(err);
      }
    }
  } else {
    tables.push(
      asTable(
        await client.get(podsPath(namespace), { accept: TABLE_ACCEPT, query: { labelSelector } }),
        'the list of pods',
      ),
    );
  }
  const columns = tables.find((t) => t.columnDefinitions.length > 0)?.columnDefinitions ?? [];
  const view: TableView = { columns, wide: opts.output === 'wide', withNamespace: namespace === undefined };
  const writer = new RememberingTabWriter();
  const rows = tables.flatMap((t) => t.rows);
  let headerPrinted = false;
  if (rows.length > 0) {
    io.stdout(writer.format([headerCells(view), ...rows.map((r) => rowCells(view, r))]));
    headerPrinted = true;
  } else if (errors.length === 0 && !opts.watch) {
    // kubectl says so only when it is not about to watch for some.
    io.stderr(noResourcesText(namespace));
  }
  for (const err of errors) io.stderr(formatCliError(err));
  if (!opts.watch || errors.length > 0) return errors.length > 0 ? EXIT_INVALID : EXIT_OK;

  const resourceVersion =
    names.length > 0 ? rowResourceVersion(rows[0]) : (tables[0]?.metadata.resourceVersion ?? undefined);
  const seen = new SeenObjects(rows.map(rowUid));
  await followWatch<Table>(client, podsPath(namespace), {
    query: watchQuery,
    accept: TABLE_ACCEPT,
    resourceVersion,
    versionOf: (t) => rowResourceVersion(t.rows?.[t.rows.length - 1]),
    onEvent: (e) => {
      const table = e.object;
      if (view.columns.length === 0 && table.columnDefinitions?.length > 0)
        view.columns = table.columnDefinitions;
      const lines = (table.rows ?? [])
        .filter((r) => seen.admit(e.type, rowUid(r)))
        .map((r) => rowCells(view, r));
      if (lines.length === 0) return;
      io.stdout(writer.format(headerPrinted ? lines : [headerCells(view), ...lines]));
      headerPrinted = true;
    },
    ...(signal ? { signal } : {}),
  });
  return EXIT_OK;
}

export function registerGetCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('get')
    .description('list pods from the podflow API, as kubectl get pods does')
    .argument('<resource>', 'pods (also pod, po), or pod/NAME')
    .argument('[names...]', 'pod names (default: every pod of the namespace)')
    .addOption(
      new Option(
        '-o, --output <format>',
        'wide: more columns; json, yaml: the objects; name: pod/NAME',
      ).choices(['wide', 'json', 'yaml', 'name']),
    )
    .option('-w, --watch', 'after listing, print a row for every change (until Ctrl-C)')
    .option('-l, --selector <selector>', 'label selector (e.g. app=web, tier in (a,b), !canary)')
    .option('-A, --all-namespaces', 'pods of every namespace (adds a NAMESPACE column)');
  addClientFlags(command).addHelpText(
    'after',
    `
The API is the one podflow serve (or npm start) runs: --server, else the current
cluster of --kubeconfig, $KUBECONFIG or .podflow/kubeconfig.

Examples:
  podflow get pods
  podflow get pod myapp-pod -o yaml
  podflow get pods -w -l app=myapp`,
  );
  command.action(async (resource: string, names: string[], opts: GetOptions) => {
    await runClientCommand(io, setExitCode, () => runGet([resource, ...names], opts, io));
  });
}
