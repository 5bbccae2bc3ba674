// A Response whose whole body is a string in memory — what the API answers with for every object, list and Status.
// It is a fetch Response to everyone (instanceof, every member and method), but the real one is only made when a
// member is used; a transport that knows about it reads status, headers and text straight from it
// (`bufferedPartsOf`) — the local gateway writes them to the socket. A fetch Response costs a request tens of
// microseconds to build (header validation, a body stream) and as much again to read back: more than serving a pod.
/** What a buffered response holds: header names in lower case; a header with several values has an array. */
export interface BufferedParts {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

const PARTS = Symbol('podflow.bufferedParts');

class BufferedResponse {
  readonly [PARTS]: BufferedParts;
  #real: Response | undefined;

  constructor(parts: BufferedParts) {
    this[PARTS] = parts;
  }

  /**
   * The parts, while no real Response exists: once one does, it is the truth (its headers may have been changed).
   */
  static pristineParts(value: unknown): BufferedParts | undefined {
    return value instanceof BufferedResponse && value.#real === undefined ? value[PARTS] : undefined;
  }

  #response(): Response {
    if (!this.#real) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(this[PARTS].headers)) {
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      }
      this.#real = new Response(this[PARTS].body, { status: this[PARTS].status, headers });
    }
    return this.#real;
  }

  static {
    // Every member of Response, on the real one (made on first use).
    Object.setPrototypeOf(BufferedResponse.prototype, Response.prototype);
    for (const name of Object.getOwnPropertyNames(Response.prototype)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(Response.prototype, name)!;
      if (descriptor.get) {
        Object.defineProperty(BufferedResponse.prototype, name, {
          configurable: true,
          get(this: BufferedResponse) {
            return Reflect.get(this.#response(), name);
          },
        });
      } else if (typeof descriptor.value === 'function') {
        Object.defineProperty(BufferedResponse.prototype, name, {
          configurable: true,
          writable: true,
          value(this: BufferedResponse, ...args: unknown[]) {
            const real = this.#response();
            return (Reflect.get(real, name) as (...a: unknown[]) => unknown).apply(real, args);
          },
        });
      }
    }
  }
}

/** A response of `status` with `headers` (names in lower case) and a text body. */
export function bufferedResponse(
  status: number,
  headers: Record<string, string | string[]>,
  body: string,
): Response {
  return new BufferedResponse({ status, headers, body }) as unknown as Response;
}

/**
 * The parts of a response made by bufferedResponse that nothing has used as a Response yet; undefined for any other
 * response (read it as a Response).
 */
export function bufferedPartsOf(response: Response): BufferedParts | undefined {
  return BufferedResponse.pristineParts(response);
}
