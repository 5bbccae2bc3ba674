// Liveness and startup probes through the real engine (startLocalEngine with its default ProbeManager, real
// containers under the shim, real sockets): a failing liveness probe kills and restarts the container (Unhealthy,
// then Killing, restartCount +1), a startup probe holds liveness off until it passes, and a grpc liveness probe
// against a grpc.health.v1 server. docs/semantics.md §5; pkg/kubelet/prober/worker.go, prober.go.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, NODE, ProbeE2e, freePort, podManifest, status } from './support.ts';

let e: ProbeE2e;
beforeAll(async () => {
  e = await ProbeE2e.start();
});
afterAll(async () => {
  await e?.close();
});

describe('liveness and startup probes, end to end', () => {
  it('exec liveness: the container removes its health file after 2 s → Unhealthy ×failureThreshold, Killing, restart', async () => {
    const dir = join(e.scratch, 'liveness');
    const healthy = join(dir, 'healthy');
    await e.create(
      podManifest('liveness-exec', {
        command: ['sh', '-c', `mkdir -p ${dir}; touch ${healthy}; sleep 2; rm -f ${healthy}; sleep 600`],
        livenessProbe: { exec: { command: ['cat', healthy] }, periodSeconds: 1, failureThreshold: 2 },
      }),
    );
    const restarted = await e.waitForPod(
      'liveness-exec',
      'restarted once',
      (s) => (status(s)?.restartCount ?? 0) >= 1,
      20_000,
    );
    expect(status(restarted)?.restartCount).toBe(1);
    // The killed instance's exit is its last state: it was stopped, not crashed on its own.
    expect(status(restarted)?.lastState?.terminated).toBeDefined();
    const events = e.events('liveness-exec');
    const killing = events.findIndex((ev) => ev.reason === 'Killing');
    expect(killing).toBeGreaterThan(0);
    expect(events[killing]!.message).toBe('Container app failed liveness probe, will be restarted');
    const unhealthyBefore = events.slice(0, killing).filter((ev) => ev.reason === 'Unhealthy');
    // failureThreshold 2: exactly two consecutive failures before the kill, each an Unhealthy event.
    expect(unhealthyBefore.map((ev) => ev.message.split(':')[0])).toEqual([
      'Liveness probe failed',
      'Liveness probe failed',
    ]);
    expect(unhealthyBefore[0]!.message).toContain('No such file or directory');
    // The health file was there for 2 s: no failure before that.
    const started = e.history('liveness-exec').find((s) => s.engine.containers.app?.state.type === 'running');
    const startedAt = (started!.engine.containers.app!.state as { startedAt: number }).startedAt;
    expect(unhealthyBefore[0]!.seenAt - startedAt).toBeGreaterThanOrEqual(1_900);
  });

  it('a startup probe with a long failureThreshold holds liveness off until it passes', async () => {
    const dir = join(e.scratch, 'startup');
    const marker = join(dir, 'started');
    const livenessLog = join(dir, 'liveness.log');
    await e.create(
      podManifest('slow-start', {
        command: ['sh', '-c', `mkdir -p ${dir}; sleep 2; touch ${marker}; sleep 600`],
        startupProbe: { exec: { command: ['test', '-f', marker] }, periodSeconds: 1, failureThreshold: 30 },
        // Would kill at its first run if it ran before the container is up: it fails while the marker is missing.
        livenessProbe: {
          exec: { command: ['sh', '-c', `date +%s%3N >> ${livenessLog}; test -f ${marker}`] },
          periodSeconds: 1,
          failureThreshold: 1,
        },
      }),
    );
    await e.waitForPod('slow-start', 'started', (s) => status(s)?.started === true, 15_000);
    await e.waitFor(
      'two liveness runs',
      () => existsSync(livenessLog) && readFileSync(livenessLog, 'utf8').trim().split('\n').length >= 2,
    );
    const markerAt = statSync(marker).mtimeMs;
    const runs = readFileSync(livenessLog, 'utf8').trim().split('\n').map(Number);
    expect(Math.min(...runs)).toBeGreaterThanOrEqual(Math.floor(markerAt));
    expect(status(e.last('slow-start'))?.restartCount).toBe(0);
    const reasons = e.events('slow-start').map((ev) => `${ev.reason}: ${ev.message.split(':')[0]}`);
    expect(reasons).toContain('Unhealthy: Startup probe failed');
    expect(reasons.filter((r) => r.includes('Liveness'))).toEqual([]);
    expect(reasons).not.toContain('Killing: Container app failed startup probe, will be restarted');
  });

  it('grpc liveness against a grpc.health.v1 server: SERVING keeps it alive, NOT_SERVING restarts it', async () => {
    const port = await freePort();
    const flag = join(e.scratch, 'grpc-not-serving');
    await e.create(
      podManifest('grpc-live', {
        command: [NODE, join(FIXTURES, 'grpc-health-server.ts'), String(port), flag],
        ports: [{ containerPort: port }],
        livenessProbe: { grpc: { port }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 3 },
      }),
    );
    await e.waitForPod('grpc-live', 'running', (s) => status(s)?.state?.running !== undefined);
    // SERVING for several periods: alive (a probe before the server listens may fail, three in a row would kill).
    const servingSince = Date.now();
    await e.waitFor('5 s of SERVING', () => Date.now() - servingSince >= 5_000 || undefined, 10_000);
    expect(status(e.last('grpc-live'))?.restartCount).toBe(0);
    expect(e.events('grpc-live').filter((ev) => ev.reason === 'Killing')).toEqual([]);
    writeFileSync(flag, '');
    await e.waitForPod('grpc-live', 'restarted', (s) => (status(s)?.restartCount ?? 0) >= 1, 15_000);
    const events = e.events('grpc-live');
    const killing = events.findIndex((ev) => ev.reason === 'Killing');
    expect(events[killing]?.message).toBe('Container app failed liveness probe, will be restarted');
    expect(
      events
        .slice(0, killing)
        .filter((ev) => ev.reason === 'Unhealthy')
        .slice(-3)
        .map((ev) => ev.message),
    ).toEqual(Array(3).fill('Liveness probe failed: service unhealthy (responded with "NOT_SERVING")'));
  });
});
