// Events are not best-effort: with the first two writes of every event occurrence failing — one before it reaches
// the store, one after it landed but before the answer came back (a lost response) — `kubectl describe` still
// shows every reason of the pod's lifecycle, in one row each, with the exact count. Real engine, real processes,
// the real API and kubectl; only the store is wrapped to inject the faults.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../../src/cli/kubeconfig.ts';
import { startLocalServer, type LocalServer } from '../../src/local/local-server.ts';
import type { EventRecord, PodStore } from '../../src/ports/pod-store.ts';
import { E2eEngine } from './support.ts';

const run = promisify(execFile);

/** Fails attempt 1 of each occurrence before writing and attempt 2 after writing; attempt 3 goes through. */
class FlakyEventStore {
  readonly attempts = new Map<string, number>();
  readonly inner: PodStore;
  constructor(inner: PodStore) {
    this.inner = inner;
  }

  wrap(): PodStore {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        if (prop === 'recordEvent') return (record: EventRecord) => this.recordEvent(record);
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  async recordEvent(record: EventRecord) {
    const n = (this.attempts.get(record.occurrence) ?? 0) + 1;
    this.attempts.set(record.occurrence, n);
    if (n === 1) throw new Error(`injected: event write ${record.reason} refused`);
    const stored = await this.inner.recordEvent(record);
    if (n === 2) throw new Error(`injected: the answer to event write ${record.reason} was lost`);
    return stored;
  }
}

let e: E2eEngine;
let flaky: FlakyEventStore | undefined;
let server: LocalServer;
let kubeconfig: string;

beforeAll(async () => {
  e = await E2eEngine.start({
    settings: { eventRetry: { attempts: 5, initialDelayMs: 5, maxDelayMs: 20 } },
    decorateStore: (store) => (flaky = new FlakyEventStore(store)).wrap(),
  });
  server = await startLocalServer({
    engine: e.local,
    port: 0,
    newUid: () => crypto.randomUUID(),
    onError: (err, context) => e.errors.push({ err, context }),
  });
  kubeconfig = join(e.scratch, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: server.url });
});

afterAll(async () => {
  await server?.close();
  await e?.close();
});

describe('event writes that fail', () => {
  it('are retried until they land, counted once each: describe shows every reason once, with its count', async () => {
    const count = join(e.scratch, 'starts');
    await e.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'flaky-events' },
      spec: {
        terminationGracePeriodSeconds: 10,
        containers: [
          {
            name: 'app',
            image: 'busybox',
            // Crashes twice, then runs until it is stopped.
            command: [
              'sh',
              '-c',
              `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}; [ "$n" -ge 2 ] && exec sleep 60; exit 1`,
            ],
            lifecycle: { preStop: { sleep: { seconds: 5 } } },
          },
        ],
      },
    });
    await e.waitFor('the third instance running', () => {
      const app = e.last('flaky-events')?.engine.containers.app;
      return app?.instance === 2 && app.state.type === 'running' ? true : undefined;
    });
    await e.delete('flaky-events');
    await e.waitForEvent('flaky-events', 'Killing');

    const { stdout } = await run('kubectl', ['describe', 'pod', 'flaky-events'], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    const table = stdout.slice(stdout.indexOf('Events:'));
    const rows = table
      .split('\n')
      .slice(3)
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s{2,}/));
    const reasons = rows.map((r) => r[1]);
    // One row per reason: no occurrence was lost, none was written twice.
    expect(new Set(reasons).size, table).toBe(reasons.length);
    expect(reasons, table).toEqual(
      expect.arrayContaining(['Scheduled', 'Created', 'Started', 'BackOff', 'Killing']),
    );
    const age = (reason: string): string => rows.find((r) => r[1] === reason)![2]!;
    // kubectl shows "(xN over …)" for an Event whose count is N > 1.
    expect(age('Created'), table).toMatch(/\(x3 over /);
    expect(age('Started'), table).toMatch(/\(x3 over /);
    expect(age('Scheduled'), table).not.toMatch(/\(x/);
    expect(age('Killing'), table).not.toMatch(/\(x/);

    // Every occurrence went through all three attempts: the faults were really injected.
    expect([...flaky!.attempts.values()].every((n) => n === 3)).toBe(true);
    expect(flaky!.attempts.size).toBeGreaterThanOrEqual(reasons.length);
  });
});
