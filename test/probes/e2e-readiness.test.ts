// Readiness through the real engine: httpGet against a server the container starts turns the pod Ready, and
// unready again (never restarted) when the container kills its server; tcpSocket readiness; a 3xx answer is a
// success plus a ProbeWarning event. docs/semantics.md §5, §3; pkg/probe/http, pkg/probe/tcp.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, NODE, ProbeE2e, freePort, podManifest, ready, status } from './support.ts';

let e: ProbeE2e;
beforeAll(async () => {
  e = await ProbeE2e.start();
});
afterAll(async () => {
  await e?.close();
});

const server = (port: number) => `${NODE} ${join(FIXTURES, 'http-server.ts')} ${port}`;

describe('readiness probes, end to end', () => {
  it('httpGet on a named port: Ready once the server answers, unready when it stops — no restart', async () => {
    const port = await freePort();
    const stop = join(e.scratch, 'stop-server');
    await e.create(
      podManifest('web', {
        // The container keeps running after it killed its server child.
        command: [
          'sh',
          '-c',
          `${server(port)} & pid=$!; while [ ! -f ${stop} ]; do sleep 0.1; done; kill $pid; sleep 600`,
        ],
        ports: [{ name: 'http', containerPort: port }],
        readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1, failureThreshold: 2 },
      }),
    );
    const readyState = await e.waitForPod('web', 'Ready', ready);
    expect(status(readyState)?.ready).toBe(true);
    expect(readyState.pod.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
    writeFileSync(stop, '');
    const unready = await e.waitForPod('web', 'not Ready again', (s) => !ready(s), 15_000);
    expect(unready.pod.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    expect(status(unready)?.state?.running).toBeDefined();
    expect(status(unready)?.restartCount).toBe(0);
    const failures = e
      .events('web')
      .filter((ev) => ev.reason === 'Unhealthy')
      .map((ev) => ev.message);
    // The probe goes to the pod's own address (its sandbox's), as the kubelet's does.
    const podIP = unready.pod.status?.podIP ?? '';
    expect(podIP).not.toBe('');
    expect(failures.at(-1)).toBe(
      `Readiness probe failed: Get "http://${podIP}:${port}/": dial tcp ${podIP}:${port}: connect: connection refused`,
    );
    expect(e.events('web').some((ev) => ev.reason === 'Killing')).toBe(false);
  });

  it('tcpSocket: Ready once the port accepts connections', async () => {
    const port = await freePort();
    await e.create(
      podManifest('tcp', {
        command: ['sh', '-c', `sleep 1; exec ${server(port)}`],
        readinessProbe: { tcpSocket: { port }, periodSeconds: 1 },
      }),
    );
    const s = await e.waitForPod('tcp', 'Ready', ready);
    expect(status(s)?.restartCount).toBe(0);
  });

  it('a 3xx answer (redirect to another host) is a success plus a ProbeWarning event', async () => {
    const port = await freePort();
    await e.create(
      podManifest('redirect', {
        command: ['sh', '-c', `exec ${server(port)}`],
        readinessProbe: { httpGet: { path: '/redirect-other', port }, periodSeconds: 1 },
      }),
    );
    await e.waitForPod('redirect', 'Ready', ready);
    const warning = await e.waitForEvent('redirect', 'ProbeWarning');
    expect(warning.message).toBe(
      'Readiness probe warning: Probe terminated redirects, Response body: see localhost',
    );
  });
});
