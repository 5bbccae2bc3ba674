// Streaming responses (watches, `logs -f`): a Response whose body is written as things happen and ends on the
// watch's timeout, when the client goes away, or when the server shuts down. A buffered transport (the API Gateway
// proxy event) still works — it reads the body to its end — which is how watches run in the cloud, cut short by
// maxStreamSeconds.

export interface StreamWriter {
  write(text: string): void;
  /** Ends the response. Idempotent. */
  close(): void;
  readonly closed: boolean;
  /** Runs `fn` once the stream ends, however it ends. */
  onClose(fn: () => void): void;
}

export interface StreamOptions {
  contentType: string;
  /** Ends the stream after this long. */
  timeoutMs: number;
  /** The client's request: aborting it (disconnect) ends the stream. */
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Called once the Response exists; failures end the stream (after `onFailure` wrote what it could). */
  start: (w: StreamWriter) => Promise<void> | void;
  onFailure: (w: StreamWriter, err: unknown) => void;
}

const encoder = new TextEncoder();
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function streamingResponse(o: StreamOptions): Response {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const cleanups: Array<() => void> = [];
  let closed = false;
  const finish = (closeController: boolean): void => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    for (const fn of cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // A cleanup that fails must not keep the others from running.
      }
    }
    if (closeController) {
      try {
        controller?.close();
      } catch {
        // Already closed by the consumer.
      }
    }
  };
  const onAbort = (): void => finish(true);
  const writer: StreamWriter = {
    write(text) {
      if (closed || !controller) return;
      try {
        controller.enqueue(encoder.encode(text));
      } catch {
        finish(false);
      }
    },
    close: () => finish(true),
    get closed() {
      return closed;
    },
    onClose(fn) {
      if (closed) fn();
      else cleanups.push(fn);
    },
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      finish(false);
    },
  });
  // Declared after `finish` closes over it; nothing calls `finish` before this line. No limit: no timer (Node
  // would turn a delay beyond 2^31-1 ms, Infinity included, into 1 ms).
  const timer = o.timeoutMs <= MAX_TIMER_MS ? setTimeout(() => finish(true), o.timeoutMs) : undefined;
  if (o.signal?.aborted) finish(true);
  else o.signal?.addEventListener('abort', onAbort);
  void (async () => {
    try {
      await o.start(writer);
    } catch (err) {
      o.onFailure(writer, err);
      finish(true);
    }
  })();
  return new Response(body, {
    status: 200,
    headers: { 'content-type': o.contentType, 'cache-control': 'no-cache', ...o.headers },
  });
}
