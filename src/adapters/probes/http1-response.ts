// Reads the HTTP/1.x response of a probe's connection, as much of it as pkg/probe/http/http.go DoHTTPProbe looks
// at: the status, the Location of a redirect, and at most `maxBody` bytes of the body. Go's net/http does this in
// the probe's client (response.go ReadResponse, transfer.go readTransfer, internal/chunked.go); the error texts
// here are theirs, because a failed probe's event shows them.
//
// The connection closes after the response (the request says `Connection: close`), so a body is framed by
// Transfer-Encoding: chunked, by Content-Length, or by the end of the connection; 1xx, 204 and 304 have none.
// Informational responses (1xx other than 101) come before the real one and are skipped, as Go's transport does.

/** net/http Transport: the default MaxResponseHeaderBytes (10 MiB). */
const MAX_RESPONSE_HEADER_BYTES = 10 << 20;
/** net/http transport.go: how many 1xx responses it reads past before giving up. */
const MAX_INFORMATIONAL_RESPONSES = 5;

type Framing =
  | { kind: 'length'; remaining: number }
  | { kind: 'chunked'; remaining: number; expectCrlf: boolean }
  | { kind: 'close' };

/**
 * Feed it the connection's bytes (`push`) and its end (`end`). `headed` turns true once the status and headers
 * are read; `done` once the body is read to its end or to `maxBody` bytes; `error` is set instead when the response
 * is malformed or ends early (then `headed` says whether the failure was in the headers or in the body).
 */
export class Http1ResponseReader {
  status = 0;
  location: string | undefined;
  headed = false;
  done = false;
  error: string | undefined;
  readonly #maxBody: number;
  #pending: Buffer | undefined;
  /** How far the current head was searched for its end. */
  #scanned = 0;
  #informational = 0;
  #framing: Framing = { kind: 'close' };
  readonly #body: Buffer[] = [];
  #bodyLength = 0;
  #sawAnyByte = false;

  constructor(maxBody: number) {
    this.#maxBody = maxBody;
  }

  push(chunk: Buffer): void {
    if (this.done || this.error !== undefined) return;
    if (chunk.length === 0) return;
    this.#sawAnyByte = true;
    this.#pending = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    if (!this.headed) this.#readHeads();
    if (this.headed && !this.done && this.error === undefined) this.#readBody();
  }

  /** The connection's end (EOF). */
  end(): void {
    if (this.done || this.error !== undefined) return;
    if (!this.headed) {
      // Nothing at all: io.EOF; a head cut short: io.ErrUnexpectedEOF.
      this.error = this.#sawAnyByte ? 'unexpected EOF' : 'EOF';
    } else if (this.#framing.kind === 'close') {
      this.done = true;
    } else {
      this.error = 'unexpected EOF';
    }
  }

  /** The body read so far (at most `maxBody` bytes), as text. */
  body(): string {
    const all = this.#body.length === 1 ? this.#body[0]! : Buffer.concat(this.#body);
    return all.toString('utf8', 0, Math.min(all.length, this.#maxBody));
  }

  #readHeads(): void {
    for (;;) {
      const buf = this.#pending!;
      const end = headEnd(buf, this.#scanned);
      if (end === undefined) {
        this.#scanned = Math.max(0, buf.length - 3);
        if (buf.length > MAX_RESPONSE_HEADER_BYTES) {
          this.error = `net/http: server response headers exceeded ${MAX_RESPONSE_HEADER_BYTES} bytes; aborted`;
        }
        return;
      }
      const lines = buf.toString('latin1', 0, end.headEnd).split('\n');
      this.#pending = buf.subarray(end.bodyStart);
      this.#scanned = 0;
      const parsed = parseHead(lines);
      if ('error' in parsed) {
        this.error = parsed.error;
        return;
      }
      // transport.go readResponse: 1xx other than 101 Switching Protocols comes before the final response.
      if (parsed.status >= 100 && parsed.status < 200 && parsed.status !== 101) {
        if (++this.#informational > MAX_INFORMATIONAL_RESPONSES) {
          this.error = 'net/http: too many 1xx informational responses';
          return;
        }
        continue;
      }
      this.status = parsed.status;
      this.location = parsed.location;
      this.headed = true;
      const framing = framingOf(parsed);
      if ('error' in framing) {
        this.error = framing.error;
      } else if (framing.kind === 'length' && framing.remaining === 0) {
        this.done = true;
      } else {
        this.#framing = framing;
      }
      return;
    }
  }

  #readBody(): void {
    let buf = this.#pending!;
    this.#pending = undefined;
    const framing = this.#framing;
    while (buf.length > 0 && !this.done && this.error === undefined) {
      if (framing.kind === 'close') {
        this.#take(buf);
        return;
      }
      if (framing.kind === 'length') {
        const n = Math.min(buf.length, framing.remaining);
        this.#take(buf.subarray(0, n));
        framing.remaining -= n;
        if (framing.remaining === 0) this.done = true;
        return;
      }
      // internal/chunked.go: size line, data, CRLF; a zero size ends the body (trailers are not read).
      if (framing.expectCrlf) {
        if (buf.length < 2) break;
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) {
          this.error = 'malformed chunked encoding';
          return;
        }
        buf = buf.subarray(2);
        framing.expectCrlf = false;
      } else if (framing.remaining > 0) {
        const n = Math.min(buf.length, framing.remaining);
        this.#take(buf.subarray(0, n));
        buf = buf.subarray(n);
        framing.remaining -= n;
        if (framing.remaining === 0) framing.expectCrlf = true;
      } else {
        const newline = buf.indexOf(0x0a);
        if (newline < 0) {
          if (buf.length > 4096) this.error = 'header line too long';
          break;
        }
        const size = chunkSize(buf.toString('latin1', 0, newline));
        if (typeof size === 'string') {
          this.error = size;
          return;
        }
        buf = buf.subarray(newline + 1);
        if (size === 0) {
          this.done = true;
          return;
        }
        framing.remaining = size;
      }
    }
    if (buf.length > 0 && !this.done && this.error === undefined) this.#pending = buf;
  }

  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#body.push(bytes);
    this.#bodyLength += bytes.length;
    // ReadAtMost: stop at the limit; truncation is not an error.
    if (this.#bodyLength >= this.#maxBody) this.done = true;
  }
}

/** The end of a head (the first empty line, `\r\n` or a bare `\n` as textproto accepts), searching from `from`. */
function headEnd(buf: Buffer, from: number): { headEnd: number; bodyStart: number } | undefined {
  let newline = buf.indexOf(0x0a, from);
  while (newline >= 0) {
    const next = newline + 1;
    if (buf[next] === 0x0a) return { headEnd: newline, bodyStart: next + 1 };
    if (buf[next] === 0x0d && buf[next + 1] === 0x0a) return { headEnd: newline, bodyStart: next + 2 };
    if (next >= buf.length || (buf[next] === 0x0d && next + 1 >= buf.length)) return undefined;
    newline = buf.indexOf(0x0a, next);
  }
  return undefined;
}

interface Head {
  status: number;
  location?: string;
  contentLength: string[];
  transferEncoding: string[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** response.go ReadResponse + textproto ReadMIMEHeader, for the headers a probe needs. */
function parseHead(rawLines: string[]): Head | { error: string } {
  const lines = rawLines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const statusLine = lines[0]!;
  const space = statusLine.indexOf(' ');
  if (space < 0) return { error: `malformed HTTP response ${JSON.stringify(statusLine)}` };
  const proto = statusLine.slice(0, space);
  const code = statusLine
    .slice(space + 1)
    .trimStart()
    .split(' ', 1)[0]!;
  if (!/^\d{3}$/.test(code)) return { error: `malformed HTTP status code ${JSON.stringify(code)}` };
  if (!/^HTTP\/\d\.\d$/.test(proto)) return { error: `malformed HTTP version ${JSON.stringify(proto)}` };
  const head: Head = { status: Number(code), contentLength: [], transferEncoding: [] };
  let last: { name: string; value: string } | undefined;
  const fields: Array<{ name: string; value: string }> = [];
  for (const line of lines.slice(1)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      // An obsolete line folding continues the previous value.
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) return { error: `malformed MIME header line: ${line}` };
    last = { name: name.toLowerCase(), value: line.slice(colon + 1).trim() };
    fields.push(last);
  }
  for (const { name, value } of fields) {
    if (name === 'location') head.location ??= value;
    else if (name === 'content-length') head.contentLength.push(value);
    else if (name === 'transfer-encoding') head.transferEncoding.push(value);
  }
  return head;
}

/** transfer.go readTransfer: how the body of a response with this head is delimited. */
function framingOf(head: Head): Framing | { error: string } {
  const { status } = head;
  if ((status >= 100 && status < 200) || status === 204 || status === 304)
    return { kind: 'length', remaining: 0 };
  if (head.transferEncoding.length > 0) {
    // parseTransferEncoding: chunked is the only coding a response may name.
    if (head.transferEncoding.length !== 1) {
      return { error: `too many transfer encodings: ${goQuoteList(head.transferEncoding)}` };
    }
    if (head.transferEncoding[0]!.toLowerCase() !== 'chunked') {
      return { error: `unsupported transfer encoding: ${JSON.stringify(head.transferEncoding[0])}` };
    }
    return { kind: 'chunked', remaining: 0, expectCrlf: false };
  }
  if (head.contentLength.length > 0) {
    // fixLength: repeated values must agree.
    const first = head.contentLength[0]!;
    if (head.contentLength.some((v) => v !== first)) {
      return {
        error: `http: message cannot contain multiple Content-Length headers; got ${goQuoteList(head.contentLength)}`,
      };
    }
    if (!/^\d+$/.test(first)) return { error: `bad Content-Length ${JSON.stringify(first)}` };
    return { kind: 'length', remaining: Number(first) };
  }
  return { kind: 'close' };
}

/** internal/chunked.go: the size of a chunk from its line (extensions after ';' ignored; CRLF required). */
function chunkSize(rawLine: string): number | string {
  if (!rawLine.endsWith('\r')) return 'chunked line ends with bare LF';
  if (rawLine.indexOf('\r') !== rawLine.length - 1) return 'invalid CR in chunked line';
  const line = rawLine.slice(0, -1).replace(/[ \t]+$/, '');
  const semicolon = line.indexOf(';');
  const hex = (semicolon >= 0 ? line.slice(0, semicolon) : line).replace(/[ \t]+$/, '');
  if (!/^[0-9a-fA-F]+$/.test(hex)) return 'invalid byte in chunk length';
  if (hex.length > 16) return 'http chunk length too large';
  return parseInt(hex, 16);
}

/** Go's %q of a []string. */
const goQuoteList = (values: string[]): string => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
