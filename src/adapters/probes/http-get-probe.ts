// httpGet probe handler, reproducing pkg/probe/http:
//  - request.go NewRequestForHTTPGetAction / newProbeRequest: scheme (default http), host (default the pod IP),
//    port by number or container port name, path, httpHeaders (a Host header sets the request's Host);
//    `User-Agent: kube-probe/<major>.<minor>` and `Accept: */*` unless the probe sets them (an empty Accept
//    removes the header);
//  - http.go: no keep-alive, no proxy, no compression, TLS not verified (InsecureSkipVerify); one client timeout
//    for the whole exchange; redirects followed only to the same host name (RedirectChecker with
//    followNonLocalRedirects=false), at most 10 requests ("stopped after 10 redirects"); a redirect to another
//    host ends the chain with that 3xx response (http.ErrUseLastResponse);
//  - DoHTTPProbe: body read capped at 10 KiB (maxRespBodyLength; truncation is not an error); 200–299 success
//    (output = body), 300–399 warning (`Probe terminated redirects, Response body: …`, still a success),
//    otherwise failure `HTTP probe failed with statuscode: N` (never the body: kubernetes#99425); a transport
//    error or timeout is a failure whose output is Go's error text (`Get "url": …`), a failed body read an error.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { HTTPHeader, Probe } from 'kubernetes-types/core/v1';
import type { ProbeAttempt, ProbeHandler, ProbeTarget } from '../../ports/probe-handler.ts';
import { Http1ResponseReader } from './http1-response.ts';
import { joinHostPort, resolveContainerPort } from './resolve-container-port.ts';

/** component-base/version: the kubelet version podflow follows (docs/semantics.md: v1.33–1.35). */
export const KUBE_PROBE_USER_AGENT = 'kube-probe/1.35';
/** pkg/probe/http/http.go maxRespBodyLength: 10 KiB. */
export const MAX_RESPONSE_BODY_BYTES = 10 * 1024;
/** RedirectChecker: "stopped after 10 redirects" once 10 requests were made. */
export const MAX_REQUESTS = 10;
/** net/http client.go redirectBehavior: the codes a Go client follows (with a Location). */
const FOLLOWED_REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A probe's request, built once per probe spec and pod IP (prober.go httpProberAction caches its request too). */
interface PreparedRequest {
  podIP: string;
  request: ProbeRequest | { error: string };
}
interface ProbeRequest {
  url: URL;
  /** The Host the first request names: host:port as formatURL writes it, or the probe's Host header. */
  host: string;
  /** The probe's Host header, which a redirect to a relative location keeps (golang/go#22233). */
  hostHeader?: string;
  headers: ReadonlyMap<string, string[]>;
  /** The first request's bytes, or why net/http would refuse to send it. */
  head: Buffer | { invalid: string };
}
const prepared = new WeakMap<Probe, PreparedRequest>();

export const probeHttpGet: ProbeHandler = (probe: Probe, target: ProbeTarget, timeoutMs: number) => {
  let entry = prepared.get(probe);
  if (!entry || entry.podIP !== target.podIP) {
    entry = { podIP: target.podIP, request: prepareRequest(probe, target) };
    prepared.set(probe, entry);
  }
  const { request } = entry;
  if ('error' in request) return Promise.resolve({ result: 'error', error: request.error });
  return doHttpProbe(request, timeoutMs);
};

/** request.go NewRequestForHTTPGetAction: URL and headers, or the error that makes the probe error. */
function prepareRequest(probe: Probe, target: ProbeTarget): PreparedRequest['request'] {
  const action = probe.httpGet!;
  const port = resolveContainerPort(action.port, target.container);
  if ('error' in port) return port;
  const scheme = (action.scheme || 'HTTP').toLowerCase();
  const authority = joinHostPort(action.host || target.podIP, port.port);
  const path = action.path ?? '';
  let url: URL;
  try {
    // formatURL: the path is parsed as a URL reference (it may carry a query); Go's URL.String adds the '/'.
    url = new URL(`${scheme}://${authority}${path.startsWith('/') ? path : `/${path}`}`);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { headers, host: hostHeader } = probeHeaders(action.httpHeaders ?? []);
  const host = hostHeader ?? authority;
  return { url, host, ...(hostHeader ? { hostHeader } : {}), headers, head: requestHead(url, host, headers) };
}

/** textproto.CanonicalMIMEHeaderKey (what http.Header.Add applies): `x-probe` → `X-Probe`. */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(name)) return name;
  return name
    .split('-')
    .map((part) => (part ? part[0]!.toUpperCase() + part.slice(1).toLowerCase() : part))
    .join('-');
}

/** newProbeRequest's header rules; the Host header becomes the request's Host and is not sent twice. */
export function probeHeaders(list: readonly HTTPHeader[]): { headers: Map<string, string[]>; host?: string } {
  const headers = new Map<string, string[]>();
  for (const { name, value } of list) {
    const key = canonicalHeaderKey(name);
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  if (!headers.has('User-Agent')) headers.set('User-Agent', [KUBE_PROBE_USER_AGENT]);
  if (!headers.has('Accept')) headers.set('Accept', ['*/*']);
  else if (headers.get('Accept')![0] === '') headers.delete('Accept');
  // net/http Request.write: a User-Agent set to "" means none at all.
  if (headers.get('User-Agent')![0] === '') headers.delete('User-Agent');
  const host = headers.get('Host')?.[0];
  headers.delete('Host');
  return { headers, ...(host ? { host } : {}) };
}

/** httpguts.ValidHeaderFieldValue: no control characters but HTAB (no CR or LF: nothing can be smuggled in). */
// eslint-disable-next-line no-control-regex
const INVALID_FIELD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
/** httpguts.ValidHostHeader, in short: no controls, spaces or characters outside a URL authority. */
// eslint-disable-next-line no-control-regex
const INVALID_HOST = /[\x00-\x20\x7f"<>\\^`{|}]/;

/**
 * The bytes of a GET as net/http's Request.write sends it with DisableKeepAlives and DisableCompression: the
 * request line, Host, User-Agent (its first value only), `Connection: close`, then the other headers sorted by
 * name, one line per value. Or the transport's error when a value could not be sent (Transport.roundTrip checks
 * every value; the error names the header but never its value, which may be a secret).
 */
function requestHead(
  url: URL,
  host: string,
  headers: ReadonlyMap<string, string[]>,
): Buffer | { invalid: string } {
  if (!host || INVALID_HOST.test(host)) return { invalid: 'http: invalid Host header' };
  let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${host}\r\n`;
  const agent = headers.get('User-Agent')?.[0];
  if (agent !== undefined) head += `User-Agent: ${trimString(agent)}\r\n`;
  // transferWriter.writeHeader: unless the request's own Connection header already says close.
  if (!headers.get('Connection')?.some((v) => /(^|,)\s*close\s*(,|$)/i.test(v)))
    head += 'Connection: close\r\n';
  for (const name of [...headers.keys()].sort()) {
    for (const value of headers.get(name)!) {
      if (INVALID_FIELD_VALUE.test(value)) {
        return { invalid: `net/http: invalid header field value for ${JSON.stringify(name)}` };
      }
      if (name !== 'User-Agent') head += `${name}: ${trimString(value)}\r\n`;
    }
  }
  return Buffer.from(`${head}\r\n`, 'utf8');
}

/** textproto.TrimString: ASCII white space off both ends (what Header.write does to each value). */
const trimString = (value: string): string => value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

/**
 * Runs the GET (and its same-host redirects) within one deadline, each on a fresh connection that closes after
 * its response (DisableKeepAlives). The response is read by Http1ResponseReader rather than node:http: a probe
 * needs the status, a Location and 10 KiB of body, and node:http's client machinery (an Agent, a ClientRequest,
 * an IncomingMessage stream) is about a quarter of a probe's CPU (bench/README.md, probe_cpu_ratio).
 */
function doHttpProbe(request: ProbeRequest, timeoutMs: number): Promise<ProbeAttempt> {
  return new Promise<ProbeAttempt>((resolve) => {
    let settled = false;
    let socket: Socket | undefined;
    let reader: Http1ResponseReader | undefined;
    let currentUrl = request.url;
    const finish = (attempt: ProbeAttempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(attempt);
    };
    // http.Client.Timeout: one deadline for connecting, redirects, headers and the body.
    const timer = setTimeout(() => {
      if (reader?.headed) {
        finish({
          result: 'error',
          error: 'context deadline exceeded (Client.Timeout or context cancellation while reading body)',
        });
      } else {
        finish({
          result: 'failure',
          output: `Get ${JSON.stringify(currentUrl.href)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        });
      }
    }, timeoutMs);
    let requests = 0;

    const send = (target: URL, head: Buffer | { invalid: string }, host: string): void => {
      currentUrl = target;
      requests++;
      const failed = (detail: string): void =>
        finish({ result: 'failure', output: `Get ${JSON.stringify(target.href)}: ${detail}` });
      if (!Buffer.isBuffer(head)) {
        failed(head.invalid);
        return;
      }
      const https = target.protocol === 'https:';
      const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = Number(target.port) || (https ? 443 : 80);
      const current = https
        ? // InsecureSkipVerify; SNI with the URL's host name, none for an IP.
          tlsConnect({
            host: hostname,
            port,
            rejectUnauthorized: false,
            servername: isIP(hostname) ? '' : hostname,
          })
        : netConnect({ host: hostname, port });
      socket = current;
      const response = new Http1ResponseReader(MAX_RESPONSE_BODY_BYTES);
      reader = response;
      // Written once connected (a socket buffers what is written while it connects).
      current.write(head);
      const settle = (): void => {
        if (response.error !== undefined) {
          // A broken head fails the request (the transport's error); a broken body is a read error (Unknown).
          if (response.headed) finish({ result: 'error', error: response.error });
          else failed(transportReadError(response.error));
          return;
        }
        if (!response.headed) return;
        const location = response.location;
        if (FOLLOWED_REDIRECTS.has(response.status) && location) {
          let next: URL;
          try {
            next = new URL(location, target);
          } catch {
            failed(`failed to parse Location header ${JSON.stringify(location)}`);
            return;
          }
          // RedirectChecker: another host name → stop here with this response (a warning below).
          if (next.hostname === request.url.hostname) {
            if (requests >= MAX_REQUESTS) {
              finish({
                result: 'failure',
                output: `Get ${JSON.stringify(next.href)}: stopped after 10 redirects`,
              });
              return;
            }
            current.removeAllListeners('data').removeAllListeners('end');
            current.destroy();
            // net/http: the Host header survives a redirect to a relative location only (golang/go#22233);
            // otherwise the request names the new URL's host.
            const relative = !/^([A-Za-z][A-Za-z0-9+.-]*:|\/\/)/.test(location);
            const nextHost = relative ? host : next.host;
            send(next, requestHead(next, nextHost, request.headers), nextHost);
            return;
          }
        }
        if (response.done) finish(classify(response.status, response.body()));
      };
      current.on('data', (chunk: Buffer) => {
        response.push(chunk);
        settle();
      });
      current.once('end', () => {
        response.end();
        settle();
      });
      current.once('error', (err: NodeJS.ErrnoException) => {
        const detail = goNetError(err, target);
        if (response.headed) finish({ result: 'error', error: detail });
        else failed(detail);
      });
    };
    send(request.url, request.head, request.host);
  });
}

/** transport.go: a response that could not be read fails the round trip with these words (EOF stays bare). */
function transportReadError(error: string): string {
  return error === 'EOF' || error === 'unexpected EOF'
    ? error
    : `net/http: HTTP/1.x transport connection broken: ${error}`;
}

function classify(status: number, body: string): ProbeAttempt {
  if (status >= 200 && status < 400) {
    if (status >= 300)
      return { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` };
    return { result: 'success', output: body };
  }
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` };
}

/** Node's socket errors in Go's net error wording (what kubelet events show), where one maps cleanly. */
export function goNetError(err: NodeJS.ErrnoException, target: URL): string {
  const addr = `${target.hostname}:${target.port || (target.protocol === 'https:' ? 443 : 80)}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ECONNRESET':
      return err.message === 'socket hang up' ? 'EOF' : `read tcp ${addr}: read: connection reset by peer`;
    default:
      return err.message;
  }
}
