// The UI's only way to its data: the Kubernetes-compatible API it is served next to (pods, events, logs, the
// podflow timeline subresource), with the same bearer token kubectl uses. The token comes from the URL fragment
// `podflow serve` prints (`/ui/#token=…`: a fragment is never sent to the server) or from a prompt after a 401, and
// is kept for this tab only (sessionStorage). Lists are followed with watches, as an informer does: list, then
// watch from the list's resourceVersion, re-watch from the last version seen when the server ends the stream.
import { parseWatchLine, splitLines, type WatchEvent } from '../model/watch-lines.ts';

const TOKEN_KEY = 'podflow.token';
/** Retry delays after a failed list or watch: 0.5 s doubling to 8 s. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 8000;

export class UnauthorizedError extends Error {}

export interface ListResult<T> {
  items: T[];
  metadata: { resourceVersion?: string };
}

export class ApiClient {
  /** The API root: the page is served at <root>/ui/ (a stage prefix in the cloud is kept). */
  readonly root: string;
  #token: string | undefined;
  readonly #askToken: (reason: string) => Promise<string>;
  #asking: Promise<string> | undefined;

  constructor(askToken: (reason: string) => Promise<string>) {
    this.root = location.pathname.replace(/\/ui(\/.*)?$/, '');
    this.#askToken = askToken;
    const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
    const fromUrl = fragment.get('token');
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
      // Out of the address bar (and the history), so it is not shared with a copied link.
      history.replaceState(null, '', `${location.pathname}${location.search}#/`);
    }
    this.#token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  }

  /** A request with the token; a 401 asks for a (new) token and tries again. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    for (;;) {
      const headers = new Headers(init.headers);
      headers.set('accept', 'application/json');
      if (this.#token) headers.set('authorization', `Bearer ${this.#token}`);
      const res = await fetch(`${this.root}${path}`, { ...init, headers });
      if (res.status !== 401) return res;
      await res.body?.cancel();
      this.#asking ??= this.#askToken(this.#token ? 'The token was refused.' : 'This API needs a token.')
        .then((t) => {
          this.#token = t;
          sessionStorage.setItem(TOKEN_KEY, t);
          return t;
        })
        .finally(() => (this.#asking = undefined));
      await this.#asking;
    }
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.fetch(path, init);
    const body = (await res.json()) as T & { message?: string };
    if (!res.ok) throw new ApiError(res.status, body.message ?? res.statusText);
    return body;
  }

  /** Reads a streamed body chunk by chunk until it ends or `signal` aborts. */
  async stream(path: string, onText: (text: string) => void, signal: AbortSignal): Promise<Response> {
    const res = await this.fetch(path, { signal });
    if (!res.ok || !res.body) return res;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined), { once: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onText(value);
    }
    return res;
  }

  /** One watch request: calls `onEvent` per event until the server ends it. */
  async watch<T>(path: string, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    let rest = '';
    const res = await this.stream(
      path,
      (text) => {
        const split = splitLines(rest, text);
        rest = split.rest;
        for (const line of split.lines) {
          const event = parseWatchLine<T>(line);
          if (event) onEvent(event);
        }
      },
      signal,
    );
    if (!res.ok) throw new ApiError(res.status, (await res.text()).slice(0, 200));
  }
}

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface Versioned {
  metadata?: { resourceVersion?: string };
}

export interface InformerHandlers<T> {
  /** The full current set (after a list). */
  reset(items: T[]): void;
  apply(event: WatchEvent<T>): void;
  /** Connection state, for the status line; `refused` ends the informer (a request the API will never accept). */
  status?(state: 'live' | 'reconnecting' | 'refused', detail?: string): void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** List, then watch from the list's version, for as long as `signal` lets it. */
export async function inform<T extends Versioned>(
  client: ApiClient,
  path: string,
  query: URLSearchParams,
  handlers: InformerHandlers<T>,
  signal: AbortSignal,
): Promise<void> {
  let delay = RETRY_FIRST_MS;
  let version: string | undefined;
  while (!signal.aborted) {
    try {
      if (version === undefined) {
        const list = await client.json<ListResult<T>>(`${path}?${query}`, { signal });
        handlers.reset(list.items);
        version = list.metadata.resourceVersion ?? '0';
      }
      const watchQuery = new URLSearchParams(query);
      watchQuery.set('watch', 'true');
      watchQuery.set('resourceVersion', version);
      handlers.status?.('live');
      const since = Date.now();
      let expired = false;
      await client.watch<T>(
        `${path}?${watchQuery}`,
        (e) => {
          if (e.type === 'ERROR') {
            expired = true;
            return;
          }
          version = e.object.metadata?.resourceVersion ?? version;
          handlers.apply(e);
          delay = RETRY_FIRST_MS;
        },
        signal,
      );
      if (expired) version = undefined;
      // A watch the server ends at once (it is shutting down, a proxy cuts it) is not retried in a tight loop.
      if (Date.now() - since < RETRY_FIRST_MS) await sleep(delay, signal);
    } catch (err) {
      if (signal.aborted) return;
      // A bad selector (400) or namespace (404) will not get better by asking again.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
        handlers.status?.('refused', err.message);
        return;
      }
      handlers.status?.('reconnecting', err instanceof Error ? err.message : String(err));
      version = undefined;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
}
