// Real kubectl (1.32) `port-forward` against `podflow serve`: a pod serving HTTP (a real node process in the pod,
// in its own network namespace when the engine runs as root) is reached through the local port kubectl opens, over
// both ways kubectl speaks the protocol (SPDY tunnelled in a WebSocket, its default; plain SPDY, its fallback):
// answers, two connections at once, a 10 MB body intact, a local connection closed midway leaving the pod
// untouched, and a port with no listener getting the kubelet's error line. Traffic goes only to the loopback
// addresses kubectl listens on and, through podflow, to the pod the test created.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, KUBECTL, startServe, type Served } from './harness.ts';

if (!KUBECTL) console.warn('test/kubectl/port-forward skipped: kubectl not found in /usr/bin or on PATH');

const NODE = join(import.meta.dirname, '..', '..', 'node_modules', 'node', 'bin', 'node');
const BIG = 10 * 1024 * 1024;

// The pod's server: `/big` is 10 MiB of a counter pattern, `/slow` answers after 600 ms, anything else names the
// pod and the path. It listens on all addresses, as a server in a pod does.
const SERVER = `
const http = require('http');
const block = Buffer.alloc(65536);
for (let i = 0; i < block.length; i++) block[i] = (i * 7 + (i >> 8)) & 255;
http.createServer((q, s) => {
  if (q.url === '/big') {
    s.writeHead(200, { 'content-length': ${BIG} });
    let sent = 0;
    const more = () => { while (sent < ${BIG}) { sent += block.length; if (!s.write(block)) return s.once('drain', more); } s.end(); };
    return more();
  }
  if (q.url === '/slow') return setTimeout(() => s.end('slow ' + process.env.POD_NAME + '\\n'), 600);
  s.end('hello from ' + process.env.POD_NAME + ' ' + q.url + '\\n');
}).listen(8080);
`;

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: node
      command: [${JSON.stringify(NODE)}, '-e', ${JSON.stringify(SERVER)}]
      env:
        - name: POD_NAME
          valueFrom: { fieldRef: { fieldPath: metadata.name } }
      ports:
        - containerPort: 8080
`;

let served: Served;

/** `kubectl port-forward pod/web :PORT…` in the background, and the local port kubectl picked for each. */
async function portForward(ports: number[], extraEnv: NodeJS.ProcessEnv = {}) {
  const pf = served.background(['port-forward', 'pod/web', ...ports.map((p) => `:${p}`)], extraEnv);
  const local = new Map<number, number>();
  await eventually(
    () => {
      for (const m of pf.stdout().matchAll(/^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$/gm))
        local.set(Number(m[2]), Number(m[1]));
      return local.size === ports.length || pf.child.exitCode !== null;
    },
    15_000,
    `kubectl port-forward to listen:\n${pf.stdout()}${pf.stderr()}`,
  );
  expect(pf.child.exitCode, pf.stderr()).toBeNull();
  return { ...pf, local };
}

/** GET on 127.0.0.1:port: status and body (or the socket error). */
function get(port: number, path: string): Promise<{ status?: number; body: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', (err) => resolve({ body: Buffer.concat(chunks), error: err.message }));
    });
    req.on('error', (err) => resolve({ body: Buffer.alloc(0), error: err.message }));
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function expectedBig(): string {
  const block = Buffer.alloc(65536);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7 + (i >> 8)) & 255;
  const hash = createHash('sha256');
  for (let sent = 0; sent < BIG; sent += block.length) hash.update(block);
  return hash.digest('hex');
}

async function podState(): Promise<{ phase: string; restarts: number; uid: string; ip: string }> {
  const pod = parse((await served.kubectl(['get', 'pod', 'web', '-o', 'yaml'])).stdout) as {
    metadata: { uid: string };
    status: { phase: string; podIP: string; containerStatuses: { restartCount: number }[] };
  };
  return {
    phase: pod.status.phase,
    restarts: pod.status.containerStatuses[0]!.restartCount,
    uid: pod.metadata.uid,
    ip: pod.status.podIP,
  };
}

describe.skipIf(!KUBECTL)('kubectl port-forward against podflow serve', () => {
  beforeAll(async () => {
    served = await startServe('kubectl-port-forward');
    const applied = await served.kubectl(['apply', '-f', '-'], { input: POD });
    expect(applied.stdout.trim(), applied.stderr).toBe('pod/web created');
    const ready = await served.kubectl(['wait', '--for=condition=Ready', 'pod/web', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    expect(ready.code, ready.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    if (served) expect(await served.stop(), served.output()).toBe(0);
  }, 60_000);

  it.each([
    ['over WebSocket (kubectl’s default)', {}],
    ['over SPDY (kubectl’s fallback)', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ])(
    'an HTTP GET through the local port gets the pod’s answer; two connections at once %s',
    async (_how, extra) => {
      const pf = await portForward([8080], extra);
      try {
        const port = pf.local.get(8080)!;
        expect(await get(port, '/a')).toEqual({ status: 200, body: Buffer.from('hello from web /a\n') });
        // A slow answer still pending while another connection comes and goes.
        const slow = get(port, '/slow');
        const [fast, other] = await Promise.all([get(port, '/b'), get(port, '/c')]);
        expect(fast.body.toString()).toBe('hello from web /b\n');
        expect(other.body.toString()).toBe('hello from web /c\n');
        expect((await slow).body.toString()).toBe('slow web\n');
        expect(pf.stdout().match(/^Handling connection for \d+$/gm)).toHaveLength(4);
        expect(pf.stderr()).toBe('');
      } finally {
        await pf.stop();
      }
    },
    40_000,
  );

  it('streams a 10 MB body intact; a local connection closed midway leaves the pod untouched', async () => {
    const before = await podState();
    const pf = await portForward([8080]);
    try {
      const port = pf.local.get(8080)!;
      const big = await get(port, '/big');
      expect(big.status).toBe(200);
      expect(big.body.length).toBe(BIG);
      expect(createHash('sha256').update(big.body).digest('hex')).toBe(expectedBig());
      // Close the local connection after the first bytes.
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/big', agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => undefined);
        req.end();
      });
      expect((await get(port, '/after')).body.toString()).toBe('hello from web /after\n');
      expect(pf.child.exitCode).toBeNull();
    } finally {
      await pf.stop();
    }
    expect(await podState()).toEqual(before);
    expect(before.phase).toBe('Running');
  }, 60_000);

  it('a port with no listener: the kubelet’s error line, then kubectl 1.32 ends the forward; the pod is untouched', async () => {
    const before = await podState();
    const pf = await portForward([8080, 8081]);
    try {
      expect((await get(pf.local.get(8080)!, '/ok')).body.toString()).toBe('hello from web /ok\n');
      const refused = await get(pf.local.get(8081)!, '/');
      expect(refused.status).toBeUndefined();
      await eventually(() => pf.child.exitCode !== null, 10_000, 'kubectl port-forward to end');
      // client-go's handleConnection closes the whole connection when the error stream has a message
      // (tools/portforward/portforward.go), and kubectl exits: that is kubectl's behaviour against any cluster.
      const line = `an error occurred forwarding ${pf.local.get(8081)} -> 8081: error forwarding port 8081 to pod ${before.uid}, uid : dial tcp4 ${before.ip}:8081: connect: connection refused`;
      expect(pf.stderr()).toContain(line);
      expect(pf.stderr()).toContain('error: lost connection to pod');
      expect(pf.child.exitCode).toBe(1);
    } finally {
      await pf.stop();
    }
    // The pod is as it was, and a new forward reaches it.
    expect(await podState()).toEqual(before);
    const again = await portForward([8080]);
    try {
      expect((await get(again.local.get(8080)!, '/again')).body.toString()).toBe('hello from web /again\n');
    } finally {
      await again.stop();
    }
  }, 60_000);
});
