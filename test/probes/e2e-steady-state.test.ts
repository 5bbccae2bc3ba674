// Steady state costs nothing (docs/architecture.md §5, §11): once a pod whose probes keep succeeding is Ready, 20
// probe periods pass with zero store writes (of any kind: pod updates, inbox deliveries, wait registrations, events)
// and zero state-machine steps — while the probes demonstrably keep running (the server logs every probe).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, NODE, ProbeE2e, freePort, podManifest, ready, status } from './support.ts';

let e: ProbeE2e;
beforeAll(async () => {
  e = await ProbeE2e.start();
});
afterAll(async () => {
  await e?.close();
});

const PERIODS = 20;

describe('steady state', () => {
  it(`a pod whose startup, readiness and liveness probes keep succeeding: no writes, no transitions for ${PERIODS} periods after Ready`, async () => {
    const port = await freePort();
    const log = join(e.scratch, 'requests.log');
    await e.create(
      podManifest('steady', {
        command: [NODE, join(FIXTURES, 'http-server.ts'), String(port), log],
        startupProbe: { tcpSocket: { port }, periodSeconds: 1, failureThreshold: 30 },
        readinessProbe: { httpGet: { path: '/', port }, periodSeconds: 1 },
        livenessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
      }),
    );
    await e.waitForPod('steady', 'Ready', ready);
    // Ready is committed; the worker then parks in SuperviseAwait (one more step: its wait registration).
    await e.waitFor('the worker parked', () => {
      const last = e.activity.steps.at(-1);
      return (
        last?.step === 'await' && last.waitFor === 'event' && e.activity.writes.at(-1) === 'registerWait'
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const writesBefore = e.activity.writes.length;
    const stepsBefore = e.activity.steps.length;
    const probesBefore = requests(log);
    await new Promise((resolve) => setTimeout(resolve, PERIODS * 1000));
    expect(e.activity.writes.slice(writesBefore)).toEqual([]);
    expect(e.activity.steps.slice(stepsBefore)).toEqual([]);
    // The probes did run meanwhile: one readiness GET per period (± the first/last partial period).
    expect(requests(log) - probesBefore).toBeGreaterThanOrEqual(PERIODS - 2);
    expect(status(e.last('steady'))?.restartCount).toBe(0);
    expect(e.errors).toEqual([]);
  }, 60_000);
});

function requests(log: string): number {
  try {
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('GET /')).length;
  } catch {
    return 0;
  }
}
