// The httpGet probe's response reader (src/adapters/probes/http1-response.ts) against responses written byte by
// byte: every case is fed whole, in single bytes, and split at every offset, and must read the same each way.
// Expected texts follow net/http (response.go ReadResponse, transfer.go, internal/chunked.go).
import { describe, expect, it } from 'vitest';
import { Http1ResponseReader } from '../../src/adapters/probes/http1-response.ts';

interface Read {
  status: number;
  location?: string;
  headed: boolean;
  done: boolean;
  error?: string;
  body: string;
}

function read(raw: string | Buffer, parts: Buffer[], eof: boolean, maxBody = 64): Read {
  const reader = new Http1ResponseReader(maxBody);
  for (const part of parts) reader.push(part);
  if (eof) reader.end();
  return {
    status: reader.status,
    ...(reader.location !== undefined ? { location: reader.location } : {}),
    headed: reader.headed,
    done: reader.done,
    ...(reader.error !== undefined ? { error: reader.error } : {}),
    body: reader.body(),
  };
}

/** Reads `raw` whole, byte by byte, and split in two at every offset; all must agree. */
function readAllWays(raw: string | Buffer, { eof = true, maxBody = 64 } = {}): Read {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
  const whole = read(raw, [bytes], eof, maxBody);
  const single = read(
    raw,
    [...bytes].map((b) => Buffer.from([b])),
    eof,
    maxBody,
  );
  expect(single).toEqual(whole);
  for (let i = 1; i < bytes.length; i++) {
    expect(read(raw, [bytes.subarray(0, i), bytes.subarray(i)], eof, maxBody)).toEqual(whole);
  }
  return whole;
}

describe('Http1ResponseReader', () => {
  it('Content-Length frames the body; done before the connection ends', () => {
    const r = readAllWays('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello', { eof: false });
    expect(r).toEqual({ status: 200, headed: true, done: true, body: 'hello' });
  });

  it('bytes past Content-Length are not body', () => {
    expect(readAllWays('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA').body).toBe('ok');
  });

  it('no framing: the body runs to the end of the connection', () => {
    expect(readAllWays('HTTP/1.0 200 OK\r\n\r\nuntil close', { eof: false })).toMatchObject({
      headed: true,
      done: false,
    });
    expect(readAllWays('HTTP/1.0 200 OK\r\n\r\nuntil close')).toEqual({
      status: 200,
      headed: true,
      done: true,
      body: 'until close',
    });
  });

  it('chunked: sizes in hex, extensions ignored, ends at the zero chunk (trailers not needed)', () => {
    const raw =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5\r\nhello\r\n' +
      'A;name=value\r\n, world!!!\r\n' +
      '0\r\nTrailer: x\r\n'; // the final CRLF never comes: not needed
    expect(readAllWays(raw, { eof: false })).toEqual({
      status: 200,
      headed: true,
      done: true,
      body: 'hello, world!!!',
    });
  });

  it('chunked wins over Content-Length', () => {
    const raw =
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    expect(readAllWays(raw).body).toBe('abc');
  });

  it('reads at most maxBody bytes, in any framing (truncation is not an error)', () => {
    const big = 'x'.repeat(100);
    for (const raw of [
      `HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${big}`,
      `HTTP/1.1 200 OK\r\n\r\n${big}`,
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n${big}\r\n0\r\n\r\n`,
    ]) {
      const r = readAllWays(raw, { eof: false, maxBody: 10 });
      expect(r).toEqual({ status: 200, headed: true, done: true, body: 'x'.repeat(10) });
    }
  });

  it('a UTF-8 character split across reads stays whole', () => {
    const raw = Buffer.concat([
      Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n'),
      Buffer.from('ok ✓', 'utf8'),
    ]);
    expect(readAllWays(raw).body).toBe('ok ✓');
  });

  it('204 and 304 have no body; neither does a 1xx', () => {
    expect(readAllWays('HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n', { eof: false })).toEqual({
      status: 204,
      headed: true,
      done: true,
      body: '',
    });
    expect(readAllWays('HTTP/1.1 304 Not Modified\r\n\r\n', { eof: false }).done).toBe(true);
  });

  it('informational responses before the final one are skipped; 101 is final', () => {
    const raw =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    expect(readAllWays(raw, { eof: false })).toEqual({ status: 200, headed: true, done: true, body: 'ok' });
    expect(readAllWays('HTTP/1.1 101 Switching Protocols\r\n\r\n', { eof: false })).toMatchObject({
      status: 101,
      done: true,
    });
    const many = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(6) + 'HTTP/1.1 200 OK\r\n\r\n';
    expect(readAllWays(many, { eof: false }).error).toBe('net/http: too many 1xx informational responses');
  });

  it('bare LF line ends, folded lines and the first Location', () => {
    const raw = 'HTTP/1.1 302 Found\nLocation: /a\nX-Folded: one\n two\nlocation: /b\nContent-Length: 0\n\n';
    expect(readAllWays(raw, { eof: false })).toEqual({
      status: 302,
      location: '/a',
      headed: true,
      done: true,
      body: '',
    });
  });

  it.each([
    ['no space in the status line', 'garbage\r\n\r\n', 'malformed HTTP response "garbage"'],
    ['a status code of four digits', 'HTTP/1.1 2000 OK\r\n\r\n', 'malformed HTTP status code "2000"'],
    ['a status code that is not a number', 'HTTP/1.1 abc OK\r\n\r\n', 'malformed HTTP status code "abc"'],
    ['an unknown protocol', 'SPDY/3 200 OK\r\n\r\n', 'malformed HTTP version "SPDY/3"'],
    [
      'a header line without a colon',
      'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n',
      'malformed MIME header line: nonsense',
    ],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n', 'bad Content-Length "1x"'],
    [
      'two different Content-Lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'http: message cannot contain multiple Content-Length headers; got ["1" "2"]',
    ],
    [
      'a transfer coding other than chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      'unsupported transfer encoding: "gzip"',
    ],
  ])('a malformed head: %s', (_name, raw, error) => {
    expect(readAllWays(raw, { eof: false })).toMatchObject({ error });
  });

  it.each([
    ['a chunk size that is not hex', 'zz\r\n', 'invalid byte in chunk length'],
    ['chunk data not followed by CRLF', '2\r\nokXX', 'malformed chunked encoding'],
    ['a chunk size line ending in a bare LF', '2\nok\r\n', 'chunked line ends with bare LF'],
    ['a CR inside a chunk size line', '2\r;x\r\nok\r\n', 'invalid CR in chunked line'],
  ])('a malformed chunked body: %s (read error after the head)', (_name, body, error) => {
    const r = readAllWays(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, { eof: false });
    expect(r).toMatchObject({ headed: true, done: false, error });
  });

  it('the end of the connection: EOF before any byte, unexpected EOF inside a head or a framed body', () => {
    expect(readAllWays('', {}).error).toBe('EOF');
    expect(readAllWays('HTTP/1.1 200 OK\r\nContent-Le').error).toBe('unexpected EOF');
    expect(readAllWays('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort')).toMatchObject({
      headed: true,
      error: 'unexpected EOF',
      body: 'short',
    });
    expect(readAllWays('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel').error).toBe(
      'unexpected EOF',
    );
  });
});
