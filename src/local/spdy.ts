// The server side of a SPDY/3.1 connection, as much of it as the Kubernetes streaming protocols use
// (k8s.io/apimachinery/pkg/util/httpstream/spdy over github.com/moby/spdystream): the client opens streams with
// SYN_STREAM (their headers zlib-compressed with the SPDY/3 dictionary, one compression context per direction for the
// whole connection), the server answers each with SYN_REPLY, both send DATA (FIN half-closes a stream), RST_STREAM
// resets one, PING is echoed, GOAWAY ends the connection. Flow control is not enforced in either direction:
// spdystream neither sends WINDOW_UPDATE for what it receives nor waits for it before sending, so neither does this
// side (a window here would stall every stream after 64 KiB).
//
// Frame layouts: SPDY/3 draft §2.2 (control frames: version 3 with the control bit, type, flags, 24-bit length;
// data frames: 31-bit stream id, flags, 24-bit length) and spdystream's spdy/read.go and write.go.
import {
  constants as zlibConstants,
  createDeflate,
  createInflate,
  type Deflate,
  type Inflate,
} from 'node:zlib';

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const FLAG_FIN = 0x01;
/** RST_STREAM status codes (draft §2.4.2). */
export const RST_PROTOCOL_ERROR = 1;
export const RST_CANCEL = 5;
const MAX_DATA = 0xffffff;

/** The words of the SPDY/3 header dictionary, each with its 32-bit length before it (draft §2.6.10.1). */
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5',
  'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match',
  'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location',
  'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after',
  'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie',
  'keep-alive', 'origin',
]; // prettier-ignore
/** …followed by this text, without lengths. */
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((w) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    return [len, Buffer.from(w, 'latin1')];
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

/** The bytes of a connection, whatever carries them (the upgraded socket, or WebSocket binary messages). */
export interface ByteTransport {
  /** Writes bytes; false when the caller should wait for `onDrain` before writing more. */
  write(data: Buffer): boolean;
  onData(listener: (data: Buffer) => void): void;
  onDrain(listener: () => void): void;
  onClose(listener: () => void): void;
  close(): void;
}

/** One stream the client opened. */
export interface SpdyStream {
  readonly id: number;
  /** Its headers, names lower-cased (SPDY carries them so). */
  readonly headers: ReadonlyMap<string, string>;
  /** Sends data; false when the connection's writer is backed up (wait for the session's `onDrain`). */
  write(data: Buffer): boolean;
  /** Half-closes: FIN, no more data from this side. */
  end(): void;
  /** Resets the stream (RST_STREAM). */
  reset(status?: number): void;
  onData(listener: (data: Buffer) => void): void;
  /** The client half-closed (FIN) — or the stream or the connection is gone. */
  onEnd(listener: () => void): void;
  /** The client reset the stream, or the connection closed. */
  onReset(listener: () => void): void;
}

interface StreamState extends SpdyStream {
  localClosed: boolean;
  remoteClosed: boolean;
  dataListeners: ((d: Buffer) => void)[];
  endListeners: (() => void)[];
  resetListeners: (() => void)[];
}

export interface SpdySession {
  onStream(listener: (stream: SpdyStream) => void): void;
  onDrain(listener: () => void): void;
  onClose(listener: () => void): void;
  close(): void;
}

/** Runs one zlib step with a sync flush, as each header block is a complete unit of the connection's zlib stream. */
function zlibStep(engine: Inflate | Deflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (d: Buffer) => chunks.push(d);
    const onError = (err: Error) => {
      engine.off('data', onData);
      reject(err);
    };
    engine.on('data', onData);
    engine.once('error', onError);
    engine.write(input);
    engine.flush(zlibConstants.Z_SYNC_FLUSH, () => {
      engine.off('data', onData);
      engine.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

function parseHeaderBlock(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let at = 0;
  const read32 = (): number => {
    if (at + 4 > block.length) throw new Error('truncated header block');
    const v = block.readUInt32BE(at);
    at += 4;
    return v;
  };
  const readString = (): string => {
    const len = read32();
    if (at + len > block.length) throw new Error('truncated header block');
    const s = block.toString('latin1', at, at + len);
    at += len;
    return s;
  };
  const count = read32();
  for (let i = 0; i < count; i++) {
    const name = readString().toLowerCase();
    // Several values of one name are NUL-separated; the first is the one these protocols read.
    headers.set(name, readString().split('\0')[0]!);
  }
  return headers;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return Buffer.concat([head, data]);
}

/**
 * Serves SPDY on a transport. Frames are handled in order; a malformed connection (bad frame, undecodable headers)
 * is closed with GOAWAY (PROTOCOL_ERROR).
 */
export function serveSpdy(transport: ByteTransport, onError: (err: unknown) => void): SpdySession {
  const inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY, level: zlibConstants.Z_BEST_COMPRESSION });
  const streams = new Map<number, StreamState>();
  const streamListeners: ((s: SpdyStream) => void)[] = [];
  const drainListeners: (() => void)[] = [];
  const closeListeners: (() => void)[] = [];
  let closed = false;
  let lastStreamId = 0;
  let pending: Buffer = Buffer.alloc(0);
  // Frames are processed one after the other (header blocks decompress asynchronously, in connection order).
  let queue: Promise<void> = Promise.resolve();
  // Replies compress asynchronously too; writes keep the order of the calls.
  let writes: Promise<void> = Promise.resolve();

  const send = (frame: Buffer): boolean => (closed ? false : transport.write(frame));
  // Frames that must wait for one still compressing (a SYN_REPLY) go through the chain; the rest go out directly.
  let inFlight = 0;
  const sendOrdered = (frame: () => Promise<Buffer> | Buffer): void => {
    inFlight++;
    writes = writes
      .then(async () => {
        send(await frame());
      })
      .catch(onError)
      .finally(() => {
        inFlight--;
      });
  };
  const sendNow = (frame: Buffer): boolean => {
    if (inFlight === 0) return send(frame);
    sendOrdered(() => frame);
    return true;
  };

  const shutdown = (): void => {
    if (closed) return;
    closed = true;
    for (const s of streams.values()) for (const l of s.resetListeners) l();
    streams.clear();
    inflate.close();
    deflate.close();
    transport.close();
    for (const l of closeListeners) l();
  };

  const goAway = (status: number): void => {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(lastStreamId, 0);
    payload.writeUInt32BE(status, 4);
    send(controlFrame(GOAWAY, 0, payload));
    shutdown();
  };

  const removeIfDone = (s: StreamState): void => {
    if (s.localClosed && s.remoteClosed) streams.delete(s.id);
  };

  const newStream = (id: number, headers: Map<string, string>): StreamState => {
    const s: StreamState = {
      id,
      headers,
      localClosed: false,
      remoteClosed: false,
      dataListeners: [],
      endListeners: [],
      resetListeners: [],
      write(data: Buffer): boolean {
        if (s.localClosed || closed) return true;
        let ok = true;
        for (let at = 0; at < data.length; at += MAX_DATA)
          ok = sendNow(dataFrame(id, 0, data.subarray(at, at + MAX_DATA)));
        return ok;
      },
      end(): void {
        if (s.localClosed || closed) return;
        s.localClosed = true;
        sendNow(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
        removeIfDone(s);
      },
      reset(status = RST_CANCEL): void {
        if (!streams.has(id) || closed) return;
        const payload = Buffer.alloc(8);
        payload.writeUInt32BE(id, 0);
        payload.writeUInt32BE(status, 4);
        sendNow(controlFrame(RST_STREAM, 0, payload));
        s.localClosed = true;
        s.remoteClosed = true;
        streams.delete(id);
      },
      onData: (l) => void s.dataListeners.push(l),
      onEnd: (l) => void s.endListeners.push(l),
      onReset: (l) => void s.resetListeners.push(l),
    };
    // SYN_REPLY with an empty header block, as spdystream's server replies to every stream it accepts.
    const count = Buffer.alloc(4);
    sendOrdered(async () => {
      const block = await zlibStep(deflate, count);
      const payload = Buffer.alloc(4);
      payload.writeUInt32BE(id, 0);
      return controlFrame(SYN_REPLY, 0, Buffer.concat([payload, block]));
    });
    return s;
  };

  const handleControl = async (type: number, flags: number, payload: Buffer): Promise<void> => {
    switch (type) {
      case SYN_STREAM: {
        if (payload.length < 10) return goAway(1);
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = parseHeaderBlock(await zlibStep(inflate, payload.subarray(10)));
        if (closed) return;
        lastStreamId = Math.max(lastStreamId, id);
        const s = newStream(id, headers);
        streams.set(id, s);
        if (flags & FLAG_FIN) s.remoteClosed = true;
        for (const l of streamListeners) l(s);
        if (s.remoteClosed) for (const l of s.endListeners) l();
        return;
      }
      case RST_STREAM: {
        const s = streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        if (!s) return;
        streams.delete(s.id);
        s.localClosed = true;
        s.remoteClosed = true;
        for (const l of s.resetListeners) l();
        return;
      }
      case PING:
        // The client's pings (odd ids) come back as they are.
        sendNow(controlFrame(PING, 0, payload));
        return;
      case GOAWAY:
        shutdown();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, HEADERS and the rest: nothing this side acts on.
        return;
    }
  };

  const handleData = (streamId: number, flags: number, data: Buffer): void => {
    const s = streams.get(streamId);
    if (!s || s.remoteClosed) return;
    if (data.length > 0) for (const l of s.dataListeners) l(data);
    if (flags & FLAG_FIN) {
      s.remoteClosed = true;
      for (const l of s.endListeners) l();
      removeIfDone(s);
    }
  };

  transport.onData((chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const length = pending.readUInt32BE(4) & 0xffffff;
      if (pending.length < 8 + length) break;
      const frame = pending.subarray(0, 8 + length);
      pending = pending.subarray(8 + length);
      const flags = frame[4]!;
      const payload = frame.subarray(8);
      if (frame[0]! & 0x80) {
        const version = frame.readUInt16BE(0) & 0x7fff;
        const type = frame.readUInt16BE(2);
        queue = queue.then(async () => {
          if (closed) return;
          if (version !== VERSION) return goAway(1);
          await handleControl(type, flags, payload);
        });
      } else {
        const streamId = frame.readUInt32BE(0) & 0x7fffffff;
        const data = Buffer.from(payload);
        queue = queue.then(() => handleData(streamId, flags, data));
      }
    }
    queue = queue.catch((err: unknown) => {
      onError(err);
      if (!closed) goAway(1);
    });
  });
  transport.onDrain(() => {
    for (const l of drainListeners) l();
  });
  transport.onClose(shutdown);

  return {
    onStream: (l) => void streamListeners.push(l),
    onDrain: (l) => void drainListeners.push(l),
    onClose: (l) => void closeListeners.push(l),
    close: () => goAway(0),
  };
}
