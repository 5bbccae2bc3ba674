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
import {
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { HTTPHeader, Probe } from 'kubernetes-types/core/v1';
import type { ProbeAttempt, ProbeHandler, ProbeTarget } from '../../ports/probe-handler.ts';
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
  request: { url: URL; headers: ReadonlyMap<string, string[]>; host?: string } | { error: string };
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
  return doHttpProbe(request.url, request.headers, request.host, timeoutMs);
};

/** request.go NewRequestForHTTPGetAction: URL and headers, or the error that makes the probe error. */
function prepareRequest(probe: Probe, target: ProbeTarget): PreparedRequest['request'] {
  const action = probe.httpGet!;
  const port = resolveContainerPort(action.port, target.container);
  if ('error' in port) return port;
  const scheme = (action.scheme || 'HTTP').toLowerCase();
  const host = action.host || target.podIP;
  const path = action.path ?? '';
  let url: URL;
  try {
    // formatURL: the path is parsed as a URL reference (it may carry a query); Go's URL.String adds the '/'.
    url = new URL(`${scheme}://${joinHostPort(host, port.port)}${path.startsWith('/') ? path : `/${path}`}`);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { headers, host: hostHeader } = probeHeaders(action.httpHeaders ?? []);
  return { url, headers, ...(hostHeader ? { host: hostHeader } : {}) };
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

/** Runs the GET (and its same-host redirects) within one deadline. */
export function doHttpProbe(
  url: URL,
  headers: ReadonlyMap<string, string[]>,
  hostHeader: string | undefined,
  timeoutMs: number,
): Promise<ProbeAttempt> {
  return new Promise<ProbeAttempt>((resolve) => {
    let settled = false;
    let current: ClientRequest | undefined;
    let response: IncomingMessage | undefined;
    let currentUrl = url;
    let readingBody = false;
    const finish = (attempt: ProbeAttempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
      // A response read to its end closes by itself (Connection: close); anything else is cut off.
      if (!response?.complete) {
        response?.destroy();
        current?.destroy();
      }
    };
    // http.Client.Timeout: one deadline for connecting, redirects, headers and the body.
    const timer = setTimeout(() => {
      if (readingBody) {
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
    const via: URL[] = [];

    const send = (target: URL, host: string | undefined): void => {
      if (settled) return;
      currentUrl = target;
      via.push(target);
      const https = target.protocol === 'https:';
      const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const outgoing: OutgoingHttpHeaders = Object.fromEntries(headers);
      if (host) outgoing.Host = host;
      const req = (https ? httpsRequest : httpRequest)({
        method: 'GET',
        protocol: target.protocol,
        hostname,
        port: target.port || (https ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        headers: outgoing,
        // DisableKeepAlives: a fresh connection per probe, `Connection: close`.
        agent: false,
        // InsecureSkipVerify; SNI with the URL's host name, none for an IP.
        ...(https ? { rejectUnauthorized: false, servername: isIP(hostname) ? '' : hostname } : {}),
      });
      current = req;
      req.once('error', (err) =>
        finish({
          result: 'failure',
          output: `Get ${JSON.stringify(target.href)}: ${goNetError(err, target)}`,
        }),
      );
      req.once('response', (res) => {
        response = res;
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (FOLLOWED_REDIRECTS.has(status) && location) {
          let next: URL;
          try {
            next = new URL(location, target);
          } catch {
            finish({
              result: 'failure',
              output: `Get ${JSON.stringify(target.href)}: failed to parse Location header ${JSON.stringify(location)}`,
            });
            return;
          }
          // RedirectChecker: another host name → stop here with this response (a warning below).
          if (next.hostname === via[0]!.hostname) {
            if (via.length >= MAX_REQUESTS) {
              finish({
                result: 'failure',
                output: `Get ${JSON.stringify(next.href)}: stopped after 10 redirects`,
              });
              return;
            }
            res.resume();
            res.destroy();
            response = undefined;
            // net/http: a custom Host survives a redirect to a relative location only (golang/go#22233).
            send(next, /^[A-Za-z][A-Za-z0-9+.-]*:/.test(location) ? undefined : host);
            return;
          }
        }
        readingBody = true;
        const chunks: Buffer[] = [];
        let length = 0;
        const done = (): void => {
          const body = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BODY_BYTES).toString('utf8');
          finish(classify(status, body));
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          length += chunk.length;
          // ReadAtMost: stop reading at the limit; truncation is not an error.
          if (length >= MAX_RESPONSE_BODY_BYTES) done();
        });
        res.once('end', done);
        res.once('error', (err) => finish({ result: 'error', error: err.message }));
        // The connection ended before the body did (Go: unexpected EOF while reading the body).
        res.once('close', () => {
          if (!res.complete) finish({ result: 'error', error: 'unexpected EOF' });
        });
      });
      req.end();
    };
    send(url, hostHeader);
  });
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
