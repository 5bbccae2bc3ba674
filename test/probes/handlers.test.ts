// The probe handlers against real sockets and processes (adapters/probes/): httpGet against a node:http server,
// tcpSocket against a listener and a closed port, grpc against a grpc.health.v1 server (grpc-health-check's
// HealthImplementation), exec through ProcessContainerRuntime in a running container. Cases and expected texts
// follow pkg/probe/http/http.go + request.go, pkg/probe/tcp/tcp.go, pkg/probe/grpc/grpc.go, pkg/probe/exec/exec.go.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import healthCheck from 'grpc-health-check';
import type { Container, Probe } from 'kubernetes-types/core/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecProbe } from '../../src/adapters/probes/exec-probe.ts';
import { probeGrpc } from '../../src/adapters/probes/grpc-probe.ts';
import {
  KUBE_PROBE_USER_AGENT,
  MAX_RESPONSE_BODY_BYTES,
  probeHttpGet,
} from '../../src/adapters/probes/http-get-probe.ts';
import { probeTcpSocket } from '../../src/adapters/probes/tcp-socket-probe.ts';
import { ProcessContainerRuntime } from '../../src/adapters/process/process-container-runtime.ts';
import {
  runProbeHandler,
  type ProbeAttempt,
  type ProbeHandlers,
  type ProbeTarget,
} from '../../src/ports/probe-handler.ts';
import { systemClock } from '../../src/ports/clock.ts';
import type { ContainerInstanceRef, ContainerObservation } from '../../src/ports/container-runtime.ts';

const HOST = '127.0.0.1';
const ref: ContainerInstanceRef = {
  key: { namespace: 'default', name: 'web' },
  podUid: 'uid-h',
  container: 'app',
  instance: 0,
};
const target = (container: Partial<Container> = {}, podIP = HOST): ProbeTarget => ({
  ref,
  container: { name: 'app', ...container },
  podIP,
  podName: 'web_default',
});

/** A port nothing listens on (bound, read, closed). */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const listen = async (server: Server | ReturnType<typeof createTcpServer>): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
};

// ── httpGet ──────────────────────────────────────────────────────────────────────────────────────────────

let httpPort: number;
let httpServer: Server;
/** Request headers of the last /echo request. */
let lastHeaders: IncomingHttpHeaders = {};
let loopRequests = 0;

beforeAll(async () => {
  httpServer = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    switch (url.pathname) {
      case '/ok':
        res.end('ok');
        return;
      case '/moved':
        res.writeHead(301, { Location: '/ok' }).end('moved');
        return;
      case '/other-host':
        // localhost is another host name than 127.0.0.1: the probe stops here (ErrUseLastResponse).
        res.writeHead(302, { Location: `http://localhost:${httpPort}/ok` }).end('elsewhere');
        return;
      case '/loop':
        loopRequests++;
        res.writeHead(302, { Location: '/loop' }).end();
        return;
      case '/not-found':
        res.writeHead(404).end('nope');
        return;
      case '/error':
        res.writeHead(500).end('broken');
        return;
      case '/slow':
        return; // never answers
      case '/big':
        res.end('x'.repeat(5 * MAX_RESPONSE_BODY_BYTES));
        return;
      case '/echo':
        lastHeaders = req.headers;
        res.end(JSON.stringify(req.headers));
        return;
      case '/redirect-keeps-host':
        res.writeHead(302, { Location: '/echo' }).end();
        return;
      default:
        res.writeHead(404).end();
    }
  });
  httpPort = await listen(httpServer);
});
afterAll(async () => {
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(resolve));
});

const httpGet = (path: string, extra: Partial<NonNullable<Probe['httpGet']>> = {}): Probe => ({
  httpGet: { path, port: httpPort, ...extra },
});

describe('httpGet (pkg/probe/http)', () => {
  it.each([
    {
      name: '200 → success, output = body',
      probe: () => httpGet('/ok'),
      expected: { result: 'success', output: 'ok' },
    },
    {
      name: '301 to the same host → followed → success',
      probe: () => httpGet('/moved'),
      expected: { result: 'success', output: 'ok' },
    },
    {
      name: '302 to another host → not followed → warning with the 3xx body',
      probe: () => httpGet('/other-host'),
      expected: { result: 'warning', output: 'Probe terminated redirects, Response body: elsewhere' },
    },
    {
      name: '404 → failure with the status, never the body',
      probe: () => httpGet('/not-found'),
      expected: { result: 'failure', output: 'HTTP probe failed with statuscode: 404' },
    },
    {
      name: '500 → failure',
      probe: () => httpGet('/error'),
      expected: { result: 'failure', output: 'HTTP probe failed with statuscode: 500' },
    },
    {
      name: 'a redirect loop → failure after 10 requests',
      probe: () => httpGet('/loop'),
      expected: {
        result: 'failure',
        output: expect.stringMatching(/^Get "http:\/\/127\.0\.0\.1:\d+\/loop": stopped after 10 redirects$/),
      },
    },
    {
      name: 'named port → the container port of that name',
      probe: () => ({ httpGet: { path: '/ok', port: 'http' } }),
      container: () => ({ ports: [{ name: 'http', containerPort: httpPort }] }),
      expected: { result: 'success', output: 'ok' },
    },
    {
      name: 'unknown port name → prober error (not counted)',
      probe: () => ({ httpGet: { path: '/ok', port: 'nope' } }),
      expected: { result: 'error', error: 'port "nope" not found' },
    },
    {
      name: 'host defaults to the pod IP',
      probe: () => httpGet('/ok'),
      podIP: HOST,
      expected: { result: 'success', output: 'ok' },
    },
    {
      name: 'an explicit host wins over the pod IP',
      probe: () => httpGet('/ok', { host: HOST }),
      podIP: '192.0.2.1',
      expected: { result: 'success', output: 'ok' },
    },
  ])('$name', async ({ probe, container, podIP, expected }) => {
    const attempt = await probeHttpGet(probe(), target(container?.(), podIP), 2_000);
    expect(attempt).toEqual(expected);
  });

  it('a redirect loop makes exactly 10 requests', async () => {
    loopRequests = 0;
    await probeHttpGet(httpGet('/loop'), target(), 2_000);
    expect(loopRequests).toBe(10);
  });

  it('connection refused → failure with the dial error', async () => {
    const port = await freePort();
    const attempt = await probeHttpGet({ httpGet: { path: '/', port } }, target(), 1_000);
    expect(attempt).toEqual({
      result: 'failure',
      output: `Get "http://${HOST}:${port}/": dial tcp ${HOST}:${port}: connect: connection refused`,
    });
  });

  it('no answer within timeoutSeconds → failure (client timeout), on time', async () => {
    const t0 = Date.now();
    const attempt = await probeHttpGet(httpGet('/slow'), target(), 300);
    const elapsed = Date.now() - t0;
    expect(attempt.result).toBe('failure');
    expect((attempt as { output: string }).output).toContain(
      'Client.Timeout exceeded while awaiting headers',
    );
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('reads at most 10 KiB of the body (truncation is not an error)', async () => {
    const attempt = await probeHttpGet(httpGet('/big'), target(), 2_000);
    expect(attempt.result).toBe('success');
    expect((attempt as { output: string }).output).toHaveLength(MAX_RESPONSE_BODY_BYTES);
  });

  it.each([
    {
      name: 'defaults: User-Agent kube-probe/1.35, Accept */*, Connection close, no Accept-Encoding',
      headers: [],
      expected: { 'user-agent': KUBE_PROBE_USER_AGENT, accept: '*/*', connection: 'close', host: 'HOSTPORT' },
      absent: ['accept-encoding'],
    },
    {
      name: 'custom headers are sent; names are canonicalized; repeated names add values',
      headers: [
        { name: 'x-probe', value: 'liveness' },
        { name: 'X-Multi', value: 'a' },
        { name: 'x-multi', value: 'b' },
      ],
      expected: { 'x-probe': 'liveness', 'x-multi': 'a, b', 'user-agent': KUBE_PROBE_USER_AGENT },
      absent: [],
    },
    {
      name: 'a probe User-Agent and Accept replace the defaults',
      headers: [
        { name: 'User-Agent', value: 'my-agent' },
        { name: 'Accept', value: 'application/json' },
      ],
      expected: { 'user-agent': 'my-agent', accept: 'application/json' },
      absent: [],
    },
    {
      name: 'an empty Accept removes the header',
      headers: [{ name: 'Accept', value: '' }],
      expected: {},
      absent: ['accept'],
    },
    {
      name: 'a Host header sets the request Host',
      headers: [{ name: 'Host', value: 'example.test' }],
      expected: { host: 'example.test' },
      absent: [],
    },
  ])('headers: $name', async ({ headers, expected, absent }) => {
    const attempt = await probeHttpGet(httpGet('/echo', { httpHeaders: headers }), target(), 2_000);
    expect(attempt.result).toBe('success');
    const want = Object.fromEntries(
      Object.entries(expected).map(([k, v]) => [k, v === 'HOSTPORT' ? `${HOST}:${httpPort}` : v]),
    );
    expect(lastHeaders).toMatchObject(want);
    for (const name of absent) expect(lastHeaders).not.toHaveProperty(name);
  });

  it('a Host header survives a same-host redirect to a relative location (net/http)', async () => {
    const probe = httpGet('/redirect-keeps-host', { httpHeaders: [{ name: 'Host', value: 'example.test' }] });
    const attempt = await probeHttpGet(probe, target(), 2_000);
    expect(attempt.result).toBe('success');
    expect(lastHeaders.host).toBe('example.test');
  });

  it('leaves no socket open, whatever the outcome (answered, redirected, truncated, timed out, refused)', async () => {
    // Every socket of this process is a probe's or the test servers' side of one: at rest there are none. A
    // connection closes on both sides a moment after the probe is done (the server reads its FIN), so wait for it.
    const openSockets = async (): Promise<number> => {
      const count = (): number =>
        process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;
      for (let waited = 0; count() > 0 && waited < 2_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return count();
    };
    expect(await openSockets()).toBe(0);
    const refused = await freePort();
    const probes = [
      ...['/ok', '/moved', '/loop', '/other-host', '/big', '/not-found', '/slow'].map((path) =>
        httpGet(path),
      ),
      { httpGet: { path: '/', port: refused } },
    ];
    for (let round = 0; round < 5; round++) {
      const attempts = await Promise.all(probes.map((probe) => probeHttpGet(probe, target(), 300)));
      expect(attempts.map((a) => a.result)).toEqual([
        'success',
        'success',
        'failure',
        'warning',
        'success',
        'failure',
        'failure',
        'failure',
      ]);
    }
    expect(await openSockets()).toBe(0);
  });

  it('HTTPS with a self-signed certificate: TLS is not verified', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'podflow-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=probe.test',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const server = createHttpsServer(
        { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
        (_req, res) => res.end('secure'),
      );
      const port = await listen(server);
      try {
        const attempt = await probeHttpGet(
          { httpGet: { path: '/', port, scheme: 'HTTPS' } },
          target(),
          2_000,
        );
        expect(attempt).toEqual({ result: 'success', output: 'secure' });
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A TCP server that records each request's bytes and answers with `answer` (raw bytes; `undefined`: close at once
 * without a byte), then closes: what a probe meets from servers that are not node:http.
 */
async function rawHttpServer(answer: () => string | undefined) {
  const requests: string[] = [];
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    let request = '';
    socket.on('data', (chunk) => {
      request += chunk.toString('latin1');
      if (!request.includes('\r\n\r\n')) return;
      requests.push(request);
      const bytes = answer();
      if (bytes === undefined) socket.destroy();
      else socket.end(bytes, 'latin1');
    });
    socket.on('error', () => undefined);
  });
  const port = await listen(server);
  return {
    port,
    requests,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('httpGet on the wire (net/http Request.write, ReadResponse)', () => {
  it('sends the request net/http sends: Host, User-Agent, Connection: close, then the headers sorted, one line per value', async () => {
    const server = await rawHttpServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    try {
      const probe: Probe = {
        httpGet: {
          path: '/health?full=1',
          port: server.port,
          httpHeaders: [
            { name: 'x-b', value: ' two ' },
            { name: 'X-A', value: 'one' },
            { name: 'x-b', value: 'three' },
          ],
        },
      };
      expect(await probeHttpGet(probe, target(), 2_000)).toEqual({ result: 'success', output: 'ok' });
      expect(server.requests).toEqual([
        'GET /health?full=1 HTTP/1.1\r\n' +
          `Host: ${HOST}:${server.port}\r\n` +
          `User-Agent: ${KUBE_PROBE_USER_AGENT}\r\n` +
          'Connection: close\r\n' +
          'Accept: */*\r\n' +
          'X-A: one\r\n' +
          'X-B: two\r\n' +
          'X-B: three\r\n' +
          '\r\n',
      ]);
    } finally {
      await server.close();
    }
  });

  it('a header value with CR LF is refused before any connection (no header smuggling), naming the header only', async () => {
    const server = await rawHttpServer(() => 'HTTP/1.1 200 OK\r\n\r\n');
    try {
      const probe: Probe = {
        httpGet: {
          path: '/',
          port: server.port,
          httpHeaders: [{ name: 'X-Token', value: 'secret\r\nX-Evil: 1' }],
        },
      };
      expect(await probeHttpGet(probe, target(), 2_000)).toEqual({
        result: 'failure',
        output: `Get "http://${HOST}:${server.port}/": net/http: invalid header field value for "X-Token"`,
      });
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it.each([
    {
      name: 'a chunked body → success with the body',
      answer: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nall\r\n5\r\n good\r\n0\r\n\r\n',
      expected: { result: 'success', output: 'all good' },
    },
    {
      name: 'a body that runs to the end of the connection → success',
      answer: 'HTTP/1.0 200 OK\r\n\r\nlegacy',
      expected: { result: 'success', output: 'legacy' },
    },
    {
      name: '100 Continue before the answer → the answer counts',
      answer: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n',
      expected: { result: 'failure', output: 'HTTP probe failed with statuscode: 503' },
    },
    {
      name: 'not HTTP → failure with the transport error',
      answer: 'garbage\r\n\r\n',
      expected: {
        result: 'failure',
        output:
          'Get "URL": net/http: HTTP/1.x transport connection broken: malformed HTTP response "garbage"',
      },
    },
    {
      name: 'closed without an answer → failure EOF',
      answer: undefined,
      expected: { result: 'failure', output: 'Get "URL": EOF' },
    },
    {
      name: 'a body shorter than its Content-Length → error (a body read error is Unknown)',
      answer: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort',
      expected: { result: 'error', error: 'unexpected EOF' },
    },
  ])('$name', async ({ answer, expected }) => {
    const server = await rawHttpServer(() => answer);
    try {
      const attempt = await probeHttpGet({ httpGet: { path: '/', port: server.port } }, target(), 2_000);
      const url = `http://${HOST}:${server.port}/`;
      expect(attempt).toEqual(
        expected.output === undefined
          ? expected
          : { ...expected, output: expected.output.replace('URL', url) },
      );
    } finally {
      await server.close();
    }
  });
});

// ── tcpSocket ────────────────────────────────────────────────────────────────────────────────────────────

describe('tcpSocket (pkg/probe/tcp)', () => {
  it('an open port → success', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listen(server);
    try {
      expect(await probeTcpSocket({ tcpSocket: { port } }, target(), 1_000)).toEqual({
        result: 'success',
        output: '',
      });
      expect(
        await probeTcpSocket(
          { tcpSocket: { port: 'svc' } },
          target({ ports: [{ name: 'svc', containerPort: port }] }),
          1_000,
        ),
      ).toEqual({ result: 'success', output: '' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a closed port → failure with the dial error', async () => {
    const port = await freePort();
    expect(await probeTcpSocket({ tcpSocket: { port } }, target(), 1_000)).toEqual({
      result: 'failure',
      output: `dial tcp ${HOST}:${port}: connect: connection refused`,
    });
  });
});

// ── grpc ─────────────────────────────────────────────────────────────────────────────────────────────────

describe('grpc (pkg/probe/grpc)', () => {
  let server: grpc.Server;
  let port: number;
  beforeAll(async () => {
    server = new grpc.Server();
    const health = new healthCheck.HealthImplementation({
      '': 'SERVING',
      'svc.ok': 'SERVING',
      'svc.down': 'NOT_SERVING',
    });
    health.addToServer(server);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${HOST}:0`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
  });
  afterAll(() => server.forceShutdown());

  it.each([
    {
      name: 'SERVING (no service name) → success',
      service: undefined,
      expected: { result: 'success', output: 'service healthy' },
    },
    {
      name: 'SERVING service → success',
      service: 'svc.ok',
      expected: { result: 'success', output: 'service healthy' },
    },
    {
      name: 'NOT_SERVING → failure',
      service: 'svc.down',
      expected: { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' },
    },
    {
      name: 'unknown service → failure (NotFound)',
      service: 'svc.unknown',
      expected: {
        result: 'failure',
        output:
          'error: health rpc probe failed: rpc error: code = NotFound desc = Health status unknown for service svc.unknown',
      },
    },
  ])('$name', async ({ service, expected }) => {
    const probe: Probe = { grpc: { port, ...(service !== undefined ? { service } : {}) } };
    expect(await probeGrpc(probe, target(), 2_000)).toEqual(expected);
  });

  it('no server → failure after the timeout (connect within the deadline)', async () => {
    const closed = await freePort();
    const t0 = Date.now();
    const attempt = await probeGrpc({ grpc: { port: closed } }, target(), 1_000);
    expect(attempt).toEqual({
      result: 'failure',
      output: `timeout: failed to connect service "${HOST}:${closed}" within 1s: context deadline exceeded`,
    });
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

// ── exec ─────────────────────────────────────────────────────────────────────────────────────────────────

describe('exec (pkg/probe/exec) through ProcessContainerRuntime', () => {
  let root: string;
  let runtime: ProcessContainerRuntime;
  const execRef: ContainerInstanceRef = { ...ref, podUid: 'uid-exec' };
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'podflow-exec-probe-'));
    runtime = new ProcessContainerRuntime({ dataDir: join(root, 'data'), clock: systemClock });
    await runtime.createSandbox({ key: execRef.key, uid: execRef.podUid });
    const started = new Promise<void>((resolve) => {
      const stop = runtime.observe((o: ContainerObservation) => {
        if (o.type === 'started') {
          stop();
          resolve();
        }
      });
    });
    await runtime.start({ ...execRef, argv: ['sleep', '60'], env: [{ name: 'GREETING', value: 'hi' }] });
    await started;
  });
  afterAll(async () => {
    await runtime.stop(execRef, 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await runtime.removeSandbox({ key: execRef.key, uid: execRef.podUid });
    await runtime.close();
    await rm(root, { recursive: true, force: true });
  });

  const execProbe = (command: string[]): Probe => ({ exec: { command } });
  const containerWithEnv: Partial<Container> = {
    env: [
      { name: 'GREETING', value: 'hi' },
      { name: 'FROM_FIELD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
  };

  it.each([
    {
      name: 'exit 0 → success with the output',
      command: ['sh', '-c', 'echo fine'],
      expected: { result: 'success', output: 'fine\n' },
    },
    {
      name: 'exit 1 → failure with stdout then stderr',
      command: ['sh', '-c', 'echo out; echo err >&2; exit 1'],
      expected: { result: 'failure', output: 'out\nerr\n' },
    },
    {
      name: 'runs in the container environment',
      command: ['sh', '-c', 'echo "$GREETING"'],
      expected: { result: 'success', output: 'hi\n' },
    },
    {
      name: '$(VAR) expands to static env values only (valueFrom → empty)',
      command: ['echo', '$(GREETING)', '[$(FROM_FIELD)]', '$(UNKNOWN)'],
      expected: { result: 'success', output: 'hi [] $(UNKNOWN)\n' },
    },
    {
      name: 'timeout → failure "command … timed out"',
      command: ['sh', '-c', 'sleep 5'],
      timeoutMs: 300,
      expected: { result: 'failure', output: 'command "sh -c sleep 5" timed out' },
    },
  ])('$name', async ({ command, timeoutMs, expected }) => {
    const handler = createExecProbe(runtime);
    const attempt: ProbeAttempt = await handler(
      execProbe(command),
      { ...target(containerWithEnv), ref: execRef },
      timeoutMs ?? 5_000,
    );
    expect(attempt).toEqual(expected);
  });

  it('a container that is not running → prober error (not counted)', async () => {
    const handler = createExecProbe(runtime);
    const gone = { ...execRef, instance: 7 };
    const attempt = await handler(execProbe(['true']), { ...target(), ref: gone }, 1_000);
    expect(attempt.result).toBe('error');
  });
});

describe('runProbeHandler (prober.go newProberAction)', () => {
  const named = (name: string) => async (): Promise<ProbeAttempt> => ({ result: 'success', output: name });
  const handlers: ProbeHandlers = {
    exec: named('exec'),
    httpGet: named('httpGet'),
    tcpSocket: named('tcpSocket'),
    grpc: named('grpc'),
  };
  it.each([
    { name: 'exec', probe: { exec: { command: ['true'] } }, expected: { result: 'success', output: 'exec' } },
    { name: 'httpGet', probe: { httpGet: { port: 1 } }, expected: { result: 'success', output: 'httpGet' } },
    {
      name: 'tcpSocket',
      probe: { tcpSocket: { port: 1 } },
      expected: { result: 'success', output: 'tcpSocket' },
    },
    { name: 'grpc', probe: { grpc: { port: 1 } }, expected: { result: 'success', output: 'grpc' } },
    {
      name: 'no handler → prober error',
      probe: {},
      expected: { result: 'error', error: 'missing probe handler for web_default:app' },
    },
  ])('$name', async ({ probe, expected }) => {
    expect(await runProbeHandler(handlers, probe as Probe, target(), 1_000)).toEqual(expected);
  });
});
