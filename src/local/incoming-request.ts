// The fetch Request the local gateway hands the API app for a buffered request: method, URL, headers and the body
// already read. It is a Request to everyone (instanceof, every member), but the real one is only made when a member
// other than those is used — the app reads method, URL, headers and the body, and building a fetch Request (URL and
// header validation, a body stream) costs a request more than routing it does.

class IncomingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly #body: Buffer;
  #real: Request | undefined;

  constructor(method: string, url: string, headers: Headers, body: Buffer) {
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.#body = body;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    const body = this.#body;
    return Promise.resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.length) as ArrayBuffer);
  }

  /** As fetch decodes a body: UTF-8, a byte order mark dropped, malformed sequences replaced. */
  text(): Promise<string> {
    return Promise.resolve(new TextDecoder().decode(this.#body));
  }

  json(): Promise<unknown> {
    return this.text().then((t) => JSON.parse(t) as unknown);
  }

  #request(): Request {
    if (!this.#real) {
      const init: RequestInit = { method: this.method, headers: this.headers };
      // fetch's Request carries no body on GET and HEAD.
      if (this.#body.length > 0 && this.method !== 'GET' && this.method !== 'HEAD') init.body = this.#body;
      this.#real = new Request(this.url, init);
    }
    return this.#real;
  }

  static {
    // Every other member of Request, on the real one (made on first use).
    Object.setPrototypeOf(IncomingRequest.prototype, Request.prototype);
    const own = new Set(Object.getOwnPropertyNames(IncomingRequest.prototype));
    for (const name of Object.getOwnPropertyNames(Request.prototype)) {
      if (name === 'constructor' || own.has(name) || ['method', 'url', 'headers'].includes(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, name)!;
      if (descriptor.get) {
        Object.defineProperty(IncomingRequest.prototype, name, {
          configurable: true,
          get(this: IncomingRequest) {
            return Reflect.get(this.#request(), name);
          },
        });
      } else if (typeof descriptor.value === 'function') {
        Object.defineProperty(IncomingRequest.prototype, name, {
          configurable: true,
          writable: true,
          value(this: IncomingRequest, ...args: unknown[]) {
            const real = this.#request();
            return (Reflect.get(real, name) as (...a: unknown[]) => unknown).apply(real, args);
          },
        });
      }
    }
  }
}

/**
 * A Request for `method` on `url` with the request's raw headers (name, value, name, value, …) and its body. Throws
 * a TypeError, as the Request constructor does, for a header a Request cannot hold.
 */
export function incomingRequest(
  method: string,
  url: string,
  rawHeaders: readonly string[],
  body: Buffer,
): Request {
  const headers = new Headers();
  for (let i = 0; i < rawHeaders.length; i += 2) headers.append(rawHeaders[i]!, rawHeaders[i + 1]!);
  return new IncomingRequest(method, url, headers, body) as unknown as Request;
}
