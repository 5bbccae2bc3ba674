// The podflow CLI as a client of the Kubernetes-compatible API (docs/decisions/0004-api.md): `apply`, `get`,
// `describe`, `logs`, `delete` and `exec` talk HTTP to `podflow serve` (or `podflow start`) as kubectl does. This
// file finds the API (`--server`, `--kubeconfig`, `$KUBECONFIG`, else the `.podflow/kubeconfig` serve writes), sends
// requests with the kubeconfig user's bearer token, reads streamed watches and logs, collects the API's `Warning`
// headers, and turns `Status` answers into errors whose messages are kubectl's (k8s.io/kubectl pkg/cmd/util/helpers.go
// checkErr / StandardErrorMessage). It stays light on purpose: no engine import, so a client command starts fast.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Status, StatusCause } from 'kubernetes-types/meta/v1';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { delimiter, join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import type { CliIo } from './cli-io.ts';
import { EXIT_INVALID, UsageError } from './cli-io.ts';
import { KUBECONFIG_FILE } from './kubeconfig.ts';

/**
 * Where `podflow serve` and `podflow start` write their kubeconfig by default: `<DEFAULT_DATA_DIR>/kubeconfig`
 * (cli/engine-flags.ts DEFAULT_DATA_DIR; not imported from there, as that module loads the engine — a test checks
 * the two agree).
 */
export const DEFAULT_KUBECONFIG = join('.podflow', KUBECONFIG_FILE);
export const DEFAULT_NAMESPACE = 'default';
/** kubectl's client-side apply identifies itself so (k8s.io/kubectl pkg/cmd/apply fieldManagerClientSideApply). */
export const FIELD_MANAGER = 'kubectl-client-side-apply';
/** The Accept header kubectl sends for tables: a meta.k8s.io/v1 Table, else the plain object. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** What commander collects for the options every client command has. */
export interface ClientFlags {
  server?: string;
  kubeconfig?: string;
  token?: string;
  namespace?: string;
}

/**
 * fetch against an https:// server whose certificate a given CA signed (Node's fetch takes no CA of its own): the
 * answer as a fetch Response, its body streamed.
 */
function fetchTrusting(
  ca: string,
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: init.method,
        // node:http frames a DELETE's body only with a length (no chunked encoding by default for DELETE).
        headers:
          init.body === undefined
            ? init.headers
            : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        ca,
        ...(init.signal ? { signal: init.signal } : {}),
      },
      (res) => {
        const headers = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const status = res.statusCode ?? 502;
        const body = status === 204 || status === 304 || init.method === 'HEAD' ? null : Readable.toWeb(res);
        resolve(new Response(body as ReadableStream<Uint8Array> | null, { status, headers }));
      },
    );
    req.once('error', reject);
    req.end(init.body);
  });
}

/** Where the API is and who we are. */
export interface ApiTarget {
  /** Base URL without a trailing slash. */
  server: string;
  token?: string;
  /** PEM of the CA an https:// server's certificate is checked against (the kubeconfig's certificate-authority). */
  certificateAuthority?: string;
  /** `-n`, else the kubeconfig context's namespace, else `default`. */
  namespace: string;
  /** The namespace came from `-n` (kubectl then refuses manifests that name another). */
  namespaceFromFlag: boolean;
}

/** A problem that is neither a usage error nor an API answer: printed as `error: …`, exit 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** The API answered with a `Status` failure (or something else that is not a success). */
export class ApiStatusError extends Error {
  override name = 'ApiStatusError';
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? `the server answered ${status.code ?? 'with an error'}`);
    this.status = status;
  }
  get code(): number {
    return this.status.code ?? 0;
  }
  get reason(): string {
    return this.status.reason ?? '';
  }
}

/** The API could not be reached. The message is kubectl's. */
export class ApiConnectionError extends Error {
  override name = 'ApiConnectionError';
}

export const isNotFoundError = (err: unknown): err is ApiStatusError =>
  err instanceof ApiStatusError && err.code === 404;

/** Adds `--server`, `--kubeconfig`, `--token` and (unless `namespace: false`) `-n, --namespace` to a command. */
export function addClientFlags(command: Command, o: { namespace?: boolean } = {}): Command {
  if (o.namespace !== false)
    command.option(
      '-n, --namespace <namespace>',
      `namespace (default: the kubeconfig context's, else ${DEFAULT_NAMESPACE})`,
    );
  return command
    .option('--server <url>', "the podflow API's URL (default: the kubeconfig's current cluster)")
    .option(
      '--kubeconfig <file>',
      `kubeconfig to read (default: $KUBECONFIG, else ${DEFAULT_KUBECONFIG}, which podflow serve and npm start write)`,
    )
    .option('--token <token>', "bearer token (default: the kubeconfig user's)");
}

/** `--flag`, `--flag=true`, `--flag=false` (Go's strconv.ParseBool, as kubectl's boolean flags take values). */
export function parseBoolFlag(value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new InvalidArgumentError('must be true or false.');
}

interface KubeconfigFile {
  clusters?: Array<{
    name?: string;
    cluster?: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string };
  }>;
  users?: Array<{ name?: string; user?: { token?: string; tokenFile?: string } }>;
  contexts?: Array<{ name?: string; context?: { cluster?: string; user?: string; namespace?: string } }>;
  'current-context'?: string;
}

interface KubeconfigContext {
  server?: string;
  token?: string;
  certificateAuthority?: string;
  namespace?: string;
}

/** The current context of a kubeconfig file: its cluster's server, its user's token, its namespace. */
export function readKubeconfig(path: string): KubeconfigContext {
  let config: KubeconfigFile;
  try {
    config = (parse(readFileSync(path, 'utf8')) ?? {}) as KubeconfigFile;
  } catch (err) {
    throw new CommandError(`error loading config file "${path}": ${(err as Error).message}`);
  }
  const contexts = config.contexts ?? [];
  const current = config['current-context'];
  const context = current
    ? contexts.find((c) => c.name === current)?.context
    : contexts.length === 1
      ? contexts[0]?.context
      : undefined;
  if (!context)
    throw new CommandError(
      current ? `context "${current}" does not exist in ${path}` : `current-context is not set in ${path}`,
    );
  const cluster = config.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === context.user)?.user;
  let token = user?.token;
  if (!token && user?.tokenFile) {
    try {
      token = readFileSync(user.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new CommandError(`reading the token file of ${path}: ${(err as Error).message}`);
    }
  }
  let certificateAuthority: string | undefined;
  if (cluster?.['certificate-authority-data'])
    certificateAuthority = Buffer.from(cluster['certificate-authority-data'], 'base64').toString();
  else if (cluster?.['certificate-authority']) {
    try {
      certificateAuthority = readFileSync(cluster['certificate-authority'], 'utf8');
    } catch (err) {
      throw new CommandError(`reading the certificate authority of ${path}: ${(err as Error).message}`);
    }
  }
  return {
    ...(cluster?.server ? { server: cluster.server } : {}),
    ...(token ? { token } : {}),
    ...(certificateAuthority ? { certificateAuthority } : {}),
    ...(context.namespace ? { namespace: context.namespace } : {}),
  };
}

/**
 * Where the API is, as kubectl resolves it: `--kubeconfig`, else the first existing file of `$KUBECONFIG` (kubectl
 * merges them all; podflow's own files never need that), else `.podflow/kubeconfig`; `--server`, `--token` and
 * `-n` override what the file says. Without a kubeconfig `--server` is enough.
 */
export function resolveApiTarget(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  let path: string | undefined;
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig))
      throw new CommandError(`stat ${flags.kubeconfig}: no such file or directory`);
    path = flags.kubeconfig;
  } else if (env.KUBECONFIG) {
    path = env.KUBECONFIG.split(delimiter).find((p) => p !== '' && existsSync(p));
  } else if (existsSync(DEFAULT_KUBECONFIG)) {
    path = DEFAULT_KUBECONFIG;
  }
  const context = path ? readKubeconfig(path) : {};
  const server = flags.server ?? context.server;
  if (!server) {
    const looked = env.KUBECONFIG
      ? `no file of $KUBECONFIG (${env.KUBECONFIG}) exists`
      : `${DEFAULT_KUBECONFIG} does not exist`;
    throw new CommandError(
      path
        ? `${path} names no server; pass --server URL`
        : `no podflow API to talk to: ${looked}. Start one with \`podflow serve\` (or \`npm start\`) in this directory, or pass --server URL or --kubeconfig FILE`,
    );
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server: not a URL: ${server}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--server: must be an http:// or https:// URL: ${server}`);
  const token = flags.token ?? context.token;
  // The file's CA belongs to the file's server.
  const certificateAuthority = flags.server === undefined ? context.certificateAuthority : undefined;
  return {
    server: server.replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    ...(certificateAuthority ? { certificateAuthority } : {}),
    namespace: flags.namespace ?? context.namespace ?? DEFAULT_NAMESPACE,
    namespaceFromFlag: flags.namespace !== undefined,
  };
}

// ---------- errors as kubectl prints them ----------

/** statusCausesToAggrError: one `field: message` per distinct cause. */
function causeTexts(causes: readonly StatusCause[]): string[] {
  const out: string[] = [];
  for (const c of causes) {
    const text = `${c.field ?? ''}: ${c.message ?? ''}`;
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

/**
 * The text kubectl prints for an error (cmdutil checkErr), ending in a newline:
 * - Invalid: `The Pod "x" is invalid: spec.containers[0].name: Required value`, several causes one per `* ` line;
 * - Unauthorized: `error: You must be logged in to the server (Unauthorized)`;
 * - other Status failures: `Error from server (NotFound): pods "nope" not found`;
 * - anything else: `error: …` (a connection failure: kubectl's sentence as is).
 */
export function formatCliError(err: unknown): string {
  if (err instanceof ApiStatusError) {
    const s = err.status;
    if (s.reason === 'Invalid') {
      const details = s.details;
      let prefix = 'The request is invalid';
      if (!details) return `${prefix}${s.message ? `: ${s.message}` : ''}\n`;
      const causes = causeTexts(details.causes ?? []);
      if (details.kind || details.name)
        prefix = `The ${details.kind ?? ''} "${details.name ?? ''}" is invalid`;
      else if (s.message && causes.length === 0) prefix += `: ${s.message}`;
      if (causes.length === 0) return `${prefix}\n`;
      if (causes.length === 1) return `${prefix}: ${causes[0]}\n`;
      return `${prefix}: \n${causes.map((c) => `* ${c}\n`).join('')}`;
    }
    if (s.reason === 'Unauthorized')
      return `error: You must be logged in to the server (${s.message ?? 'Unauthorized'})\n`;
    if (s.reason) return `Error from server (${s.reason}): ${err.message}\n`;
    return `Error from server: ${err.message}\n`;
  }
  if (err instanceof ApiConnectionError) return `${err.message}\n`;
  return `error: ${err instanceof Error ? err.message : String(err)}\n`;
}

/**
 * Runs a client command's body: API, connection and command errors are printed as kubectl prints them and make the
 * exit code 1; usage errors go on to the program (exit 2).
 */
export async function runClientCommand(
  io: CliIo,
  setExitCode: (code: number) => void,
  body: () => Promise<number>,
): Promise<void> {
  try {
    setExitCode(await body());
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (!(err instanceof ApiStatusError || err instanceof ApiConnectionError || err instanceof CommandError))
      throw err;
    io.stderr(formatCliError(err));
    setExitCode(EXIT_INVALID);
  }
}

// ---------- Warning headers ----------

/**
 * The texts of `Warning` headers (RFC 7234 §5.5: `299 - "text"`; several headers arrive joined by `, `), as kubectl
 * prints them: `Warning: <text>`.
 */
export function parseWarningHeader(value: string | null): string[] {
  if (!value) return [];
  const out: string[] = [];
  let i = 0;
  const n = value.length;
  const skip = (chars: string): void => {
    while (i < n && chars.includes(value[i]!)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && value[i] !== ' ' && value[i] !== ',') i++;
    return value.slice(start, i);
  };
  const quoted = (): string | undefined => {
    if (value[i] !== '"') return undefined;
    i++;
    let text = '';
    while (i < n && value[i] !== '"') {
      if (value[i] === '\\' && i + 1 < n) i++;
      text += value[i];
      i++;
    }
    i++; // closing quote
    return text;
  };
  while (i < n) {
    skip(' ,');
    if (i >= n) break;
    const code = token();
    skip(' ');
    token(); // agent
    skip(' ');
    const text = quoted();
    skip(' ');
    if (value[i] === '"') quoted(); // warn-date
    if (text !== undefined && /^\d{3}$/.test(code) && !out.includes(text)) out.push(text);
    while (i < n && value[i] !== ',') i++;
  }
  return out;
}

// ---------- requests ----------

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** A successful answer: the parsed body and the API's warnings. */
export interface ApiAnswer<T> {
  body: T;
  warnings: string[];
}

/** One event of a watch (`{"type":"ADDED","object":…}` per line). */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

function describeFetchFailure(url: URL, err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED')
    return `The connection to the server ${url.host} was refused - did you specify the right host or port?`;
  return `Unable to connect to the server: ${cause?.message ?? (err as Error).message}`;
}

/** An answer that is not a Status (a proxy's error page): as client-go reports it, with the HTTP status. */
function statusOf(code: number, text: string): Status {
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed && parsed.kind === 'Status') return { ...parsed, code: parsed.code ?? code };
  } catch {
    // Not JSON.
  }
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Gone',
    422: 'Invalid',
    500: 'InternalError',
    503: 'ServiceUnavailable',
  };
  return {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    ...(reasons[code] ? { reason: reasons[code] } : {}),
    message: text.trim() || `the server answered ${code}`,
  };
}

export class ApiClient {
  readonly target: ApiTarget;

  constructor(target: ApiTarget) {
    this.target = target;
  }

  url(path: string, query: Record<string, QueryValue> = {}): URL {
    const url = new URL(`${this.target.server}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(name, v);
      else url.searchParams.set(name, String(value));
    }
    return url;
  }

  /** `Authorization: Bearer …` when there is a token. */
  authHeaders(): Record<string, string> {
    return this.target.token ? { authorization: `Bearer ${this.target.token}` } : {};
  }

  /** Sends a request; a failure to connect is an ApiConnectionError, any HTTP answer is returned. */
  async send(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, o.query);
    const headers: Record<string, string> = { accept: o.accept ?? 'application/json', ...this.authHeaders() };
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    const init = {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    };
    const ca = this.target.certificateAuthority;
    try {
      return await (ca && url.protocol === 'https:' ? fetchTrusting(ca, url, init) : fetch(url, init));
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiConnectionError(describeFetchFailure(url, err));
    }
  }

  /** Throws the answer's Status as an ApiStatusError unless it is a success. */
  async check(response: Response): Promise<Response> {
    if (response.ok) return response;
    throw new ApiStatusError(statusOf(response.status, await response.text()));
  }

  /** A request whose answer is JSON. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<ApiAnswer<T>> {
    const response = await this.check(await this.send(method, path, o));
    const text = await response.text();
    const warnings = parseWarningHeader(response.headers.get('warning'));
    try {
      return { body: JSON.parse(text) as T, warnings };
    } catch {
      throw new CommandError(
        `the server answered ${method} ${path} with something that is not JSON: ${text.slice(0, 200)}`,
      );
    }
  }

  async get<T>(path: string, o: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('GET', path, o)).body;
  }

  /**
   * Opens a watch (`?watch=true`) and calls `onEvent` for each event until the server ends it (its timeout) or
   * `signal` aborts. An ERROR event's Status is thrown as an ApiStatusError. Resolves when the stream ends.
   */
  async watch<T>(
    path: string,
    o: RequestOptions & { onEvent: (e: WatchEvent<T>) => void | Promise<void>; onOpen?: () => void },
  ): Promise<void> {
    const response = await this.check(
      await this.send('GET', path, { ...o, query: { ...o.query, watch: 'true' } }),
    );
    o.onOpen?.();
    try {
      for await (const line of readLines(response)) {
        if (line.trim() === '') continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === 'ERROR') throw new ApiStatusError(event.object as Status);
        await o.onEvent(event);
      }
    } catch (err) {
      if (o.signal?.aborted) return;
      throw err;
    }
  }
}

/**
 * The chunks of a streamed body (a watch, `logs -f`) as they arrive. The server going away mid-stream is an
 * ApiConnectionError, not a crash.
 */
export async function* readChunks(response: Response): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) yield chunk;
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const cause = (err as { cause?: { message?: string } }).cause;
    throw new ApiConnectionError(
      `lost the connection to the server ${new URL(response.url || 'http://server').host}: ${cause?.message ?? (err as Error).message}`,
    );
  }
}

/** The lines of a streamed body, as they arrive. */
export async function* readLines(response: Response): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of readChunks(response)) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
  buffered += decoder.decode();
  if (buffered !== '') yield buffered;
}

/** `/api/v1/namespaces/NS/pods[/NAME]`, or `/api/v1/pods` across namespaces. */
export function podsPath(namespace: string | undefined, name?: string): string {
  const base =
    namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** Prints the API's warnings as kubectl does. */
export function printWarnings(io: Pick<CliIo, 'stderr'>, warnings: readonly string[]): void {
  for (const w of warnings) io.stderr(`Warning: ${w}\n`);
}
