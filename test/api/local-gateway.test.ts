// The local gateway and `podflow serve`: HTTP requests reach the API's app as fetch Requests, buffered or streamed;
// exec speaks the channel protocol over WebSocket (v5 with the close signal, v4); --token guards every path; the kubeconfig points at the server; shutdown ends open watches and returns.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parse } from 'yaml';
import { bufferedResponse } from '../../src/api/buffered-response.ts';
import { exitStatus } from '../../src/local/exec-websocket.ts';
import { isStreamingRequest, startGateway } from '../../src/local/gateway.ts';
import { selfSignedCertificate } from '../../src/local/serving-certificate.ts';
import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import { startTestServe, type TestServe } from './support.ts';

describe('gateway: HTTP → the app', () => {
  /** A gateway in front of `app`; every error it reports fails the test unless `errors` collects it. */
  async function gatewayFor(app: Hono, errors?: unknown[]) {
    return startGateway({
      app,
      port: 0,
      onError: (err) => {
        if (!errors) throw err;
        errors.push(err);
      },
    });
  }

  it('with a certificate, one port answers TLS and plain HTTP; a connection that never speaks does not hold up close', async () => {
    const tls = selfSignedCertificate();
    const app = new Hono();
    app.get('/ping', (c) => c.text('pong'));
    const gw = await startGateway({
      app,
      port: 0,
      tls,
      onError: (err) => {
        throw err;
      },
    });
    const silent = connect(gw.port, '127.0.0.1');
    await new Promise((resolve) => silent.once('connect', resolve));
    try {
      expect(gw.tlsUrl).toBe(`https://127.0.0.1:${gw.port}`);
      expect(await (await fetch(`${gw.url}/ping`)).text()).toBe('pong');
      const overTls = await new Promise<string>((resolve, reject) => {
        httpsGet(`${gw.tlsUrl}/ping`, { ca: tls.cert }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        }).once('error', reject);
      });
      // Verified against the certificate as its CA: the TLS handshake took place on the same port.
      expect(overTls).toBe('pong');
    } finally {
      const closed = await Promise.race([
        gw.close().then(() => 'closed'),
        new Promise((r) => setTimeout(() => r('still open'), 10_000)),
      ]);
      expect(closed).toBe('closed');
      expect(silent.destroyed || silent.readableEnded).toBe(true);
    }
  });

  it('delivers method, URL, every header value and the body; writes status, headers and body back', async () => {
    const seen: Array<{ method: string; url: string; headers: Headers; body: string }> = [];
    const app = new Hono();
    app.post('/api/v1/namespaces/default/pods', async (c) => {
      seen.push({
        method: c.req.method,
        url: c.req.url,
        headers: c.req.raw.headers,
        body: await c.req.text(),
      });
      c.header('warning', '299 - "a"', { append: true });
      c.header('warning', '299 - "b"', { append: true });
      return c.json({ ok: true }, 201);
    });
    const gw = await gatewayFor(app);
    try {
      const res = await fetch(`${gw.url}/api/v1/namespaces/default/pods?labelSelector=a%3Db&x=1&x=2`, {
        method: 'POST',
        headers: [
          ['content-type', 'application/json'],
          ['x-multi', 'one'],
          ['x-multi', 'two'],
        ],
        body: '{"kind":"Pod"}',
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ ok: true });
      expect(res.headers.get('warning')).toBe('299 - "a", 299 - "b"');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const r = seen[0]!;
      expect(r.method).toBe('POST');
      const url = new URL(r.url);
      expect(url.host).toBe(`127.0.0.1:${gw.port}`);
      expect(url.pathname).toBe('/api/v1/namespaces/default/pods');
      expect(url.searchParams.get('labelSelector')).toBe('a=b');
      expect(url.searchParams.getAll('x')).toEqual(['1', '2']);
      expect(r.headers.get('x-multi')).toBe('one, two');
      expect(r.body).toBe('{"kind":"Pod"}');
    } finally {
      await gw.close();
    }
  });

  it('a binary body arrives byte for byte, and a binary response leaves so', async () => {
    const app = new Hono();
    app.post('/echo', async (c) =>
      c.body(new Uint8Array(await c.req.arrayBuffer()).reverse(), 200, {
        'content-type': 'application/octet-stream',
      }),
    );
    const gw = await gatewayFor(app);
    try {
      const res = await fetch(`${gw.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array([0, 1, 2, 255]),
      });
      expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([255, 2, 1, 0]);
      expect(res.headers.get('content-length')).toBe('4');
    } finally {
      await gw.close();
    }
  });

  it('refuses a body over the API limit with a 413 Status before the app sees it', async () => {
    let called = 0;
    const app = new Hono();
    app.post('/x', () => {
      called++;
      return new Response('');
    });
    const gw = await gatewayFor(app);
    try {
      const res = await fetch(`${gw.url}/x`, { method: 'POST', body: 'x'.repeat(300 * 1024) });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
      expect(called).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('an app that throws is a 500 Status, reported', async () => {
    const errors: unknown[] = [];
    const gw = await gatewayFor(
      { fetch: () => Promise.reject(new Error('boom')) } as unknown as Hono,
      errors,
    );
    try {
      const res = await fetch(`${gw.url}/anything`);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({
        kind: 'Status',
        reason: 'InternalError',
        message: 'Internal error occurred: boom',
      });
      expect(errors).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });

  it('answers made in one event-loop turn are written together: each client gets its own, whole', async () => {
    const app = new Hono();
    app.get('/n/:n', (c) =>
      bufferedResponse(
        200,
        { 'content-type': 'text/plain', 'x-n': c.req.param('n') },
        c.req.param('n').repeat(2000),
      ),
    );
    const gw = await gatewayFor(app);
    try {
      const answers = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const res = await fetch(`${gw.url}/n/${i}`);
          return { header: res.headers.get('x-n'), body: await res.text() };
        }),
      );
      expect(answers).toEqual(
        Array.from({ length: 50 }, (_, i) => ({ header: String(i), body: String(i).repeat(2000) })),
      );
    } finally {
      await gw.close();
    }
  });

  it('a buffered answer that cannot be written (a header node:http refuses) is a 500 Status, reported; the others of its turn go out', async () => {
    const errors: unknown[] = [];
    const app = new Hono();
    app.get('/bad', () => bufferedResponse(200, { 'x-bad': 'line\nbreak' }, 'never'));
    app.get('/good', () => bufferedResponse(200, { 'content-type': 'text/plain' }, 'fine'));
    const gw = await gatewayFor(app, errors);
    try {
      const [bad, good] = await Promise.all([fetch(`${gw.url}/bad`), fetch(`${gw.url}/good`)]);
      expect(bad.status).toBe(500);
      expect(await bad.json()).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
      expect(good.status).toBe(200);
      expect(await good.text()).toBe('fine');
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toMatch(/x-bad/);
    } finally {
      await gw.close();
    }
  });

  it.each([
    { method: 'GET', url: '/api/v1/pods?watch=true', streaming: true },
    { method: 'GET', url: '/api/v1/namespaces/d/pods?watch=1', streaming: true },
    { method: 'GET', url: '/api/v1/namespaces/d/pods?watch=false', streaming: false },
    { method: 'GET', url: '/api/v1/namespaces/d/pods/p/log?follow=true', streaming: true },
    { method: 'GET', url: '/api/v1/namespaces/d/pods/p/log', streaming: false },
    { method: 'POST', url: '/api/v1/namespaces/d/pods?watch=true', streaming: false },
  ])('$method $url streams: $streaming', ({ method, url, streaming }) => {
    expect(isStreamingRequest(method, new URL(url, 'http://x'))).toBe(streaming);
  });
});

describe('podflow serve', () => {
  let serve: TestServe;
  const TOKEN = 'gateway-test-token';
  const auth = { authorization: `Bearer ${TOKEN}` };
  const pods = () => `${serve.url}/api/v1/namespaces/default/pods`;

  beforeAll(async () => {
    serve = await startTestServe({ token: TOKEN });
    const res = await fetch(pods(), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'shell' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'sh',
              image: 'busybox',
              env: [{ name: 'WHO', value: 'podflow' }],
              command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
            },
          ],
        },
      }),
    });
    expect(res.status).toBe(201);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const pod = (await (await fetch(`${pods()}/shell`, { headers: auth })).json()) as {
        status: { phase: string; containerStatuses?: Array<{ started?: boolean }> };
      };
      if (pod.status.containerStatuses?.[0]?.started) break;
      if (Date.now() > deadline) throw new Error('shell pod did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);

  afterAll(async () => {
    await serve?.dispose();
  }, 30_000);

  it('writes a kubeconfig for its https:// URL, CA and token, readable only by its owner', async () => {
    const config = parse(await readFile(serve.kubeconfig, 'utf8')) as {
      'current-context': string;
      clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
      users: Array<{ user: { token: string } }>;
      contexts: Array<{ context: { namespace: string } }>;
    };
    expect(config['current-context']).toBe('podflow');
    // With a token the kubeconfig names TLS on the same port: kubectl sends a token only over TLS.
    expect(config.clusters[0]!.cluster.server).toBe(serve.url.replace('http://', 'https://'));
    expect(config.clusters[0]!.cluster['certificate-authority-data']).toBe(
      Buffer.from(await readFile(join(serve.dataDir, 'serving.crt'))).toString('base64'),
    );
    expect(config.users[0]!.user.token).toBe(TOKEN);
    expect(config.contexts[0]!.context.namespace).toBe('default');
    const { stat } = await import('node:fs/promises');
    expect((await stat(serve.kubeconfig)).mode & 0o777).toBe(0o600);
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it.each([
    { name: 'a buffered request', path: '/api/v1' },
    { name: 'a watch (streaming path)', path: '/api/v1/pods?watch=true&timeoutSeconds=1' },
  ])('--token: $name without the token is 401', async ({ path }) => {
    const res = await fetch(`${serve.url}${path}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  /** Opens an exec WebSocket and collects what each channel carried until the server closes. */
  function exec(
    query: string,
    protocols: string[],
    send: (ws: WebSocket) => void = () => {},
    headers: Record<string, string> = auth,
  ) {
    return new Promise<{ protocol: string; channels: Record<number, string>; closed: boolean }>(
      (resolve, reject) => {
        const ws = new WebSocket(
          `${serve.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/shell/exec?${query}`,
          protocols,
          { headers },
        );
        const channels: Record<number, string> = {};
        ws.on('open', () => send(ws));
        ws.on('message', (data: Buffer) => {
          channels[data[0]!] = (channels[data[0]!] ?? '') + data.subarray(1).toString();
        });
        ws.on('close', () => resolve({ protocol: ws.protocol, channels, closed: true }));
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
        });
        ws.on('error', reject);
      },
    );
  }

  it('exec v5: stdin, then the close signal [255, 0]; stdout, stderr and a Success status', async () => {
    const r = await exec(
      'command=sh&command=-c&command=cat%3B%20echo%20%24WHO%20%3E%262&stdin=true&stdout=true&stderr=true',
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
      (ws) => {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('piped\n')]));
        ws.send(Buffer.from([255, 0]));
      },
    );
    expect(r.protocol).toBe('v5.channel.k8s.io');
    expect(r.channels[1]).toBe('piped\n');
    expect(r.channels[2]).toBe('podflow\n');
    expect(JSON.parse(r.channels[3]!)).toEqual({ metadata: {}, status: 'Success' });
  });

  it('exec v4: a non-zero exit is a NonZeroExitCode status with the code as cause', async () => {
    const r = await exec('command=sh&command=-c&command=exit%205&stdout=true&stderr=true', [
      'v4.channel.k8s.io',
    ]);
    expect(r.protocol).toBe('v4.channel.k8s.io');
    expect(JSON.parse(r.channels[3]!)).toEqual(exitStatus(5, ['sh', '-c', 'exit 5']));
    expect(JSON.parse(r.channels[3]!)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '5' }] },
    });
  });

  it('exec of a command that does not exist exits 127 with the runtime’s message', async () => {
    const r = await exec('command=no-such-command&stdout=true&stderr=true', ['v5.channel.k8s.io']);
    expect(r.channels[2]).toContain('executable file not found in $PATH');
    expect(JSON.parse(r.channels[3]!)).toMatchObject({
      reason: 'NonZeroExitCode',
      details: { causes: [{ message: '127' }] },
    });
  });

  it.each([
    {
      name: 'no token',
      query: 'command=true&stdout=true',
      protocols: ['v5.channel.k8s.io'],
      headers: {},
      status: /^401 .*"reason":"Unauthorized"/,
    },
    {
      name: 'no command',
      query: 'stdout=true',
      protocols: ['v5.channel.k8s.io'],
      headers: auth,
      status: /^400 .*you must specify at least 1 command/,
    },
    {
      name: 'no stream',
      query: 'command=true',
      protocols: ['v5.channel.k8s.io'],
      headers: auth,
      status: /^400 .*at least 1 of stdin, stdout, stderr/,
    },
    {
      name: 'unknown container',
      query: 'command=true&stdout=true&container=nope',
      protocols: ['v5.channel.k8s.io'],
      headers: auth,
      status: /^400 .*container nope is not valid for pod shell/,
    },
    {
      name: 'only an old protocol',
      query: 'command=true&stdout=true',
      protocols: ['v3.channel.k8s.io'],
      headers: auth,
      status: /^400 .*podflow serves exec over WebSocket/,
    },
  ])('exec refused before the upgrade: $name', async ({ query, protocols, headers, status }) => {
    await expect(exec(query, protocols, () => {}, headers)).rejects.toThrow(status);
  });

  it('graceful shutdown ends open watches and returns', async () => {
    const other = await startTestServe();
    const res = await fetch(`${other.url}/api/v1/pods?watch=true`);
    expect(res.status).toBe(200);
    const reading = (async () => {
      for await (const _chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        // drain
      }
      return 'ended';
    })().catch(() => 'ended');
    const started = Date.now();
    await other.dispose();
    expect(await reading).toBe('ended');
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});

describe('serve data directory', () => {
  it('refuses a port in use with a usage error, and leaves nothing behind', async () => {
    const first = await startTestServe();
    try {
      const port = Number(new URL(first.url).port);
      const dataDir = await mkdtemp(join(tmpdir(), 'podflow-port-'));
      const { startServe } = await import('../../src/cli/commands/serve.ts');
      const { testIo } = await import('./support.ts');
      await expect(
        startServe(
          { port, dataDir, inMemory: true, crashBackoffMax: 300_000, crashBackoffReset: 600_000 },
          testIo(),
        ),
      ).rejects.toThrow(/port \d+ on 127\.0\.0\.1 is in use/);
      await rm(dataDir, { recursive: true, force: true });
    } finally {
      await first.dispose();
    }
  }, 30_000);
});
