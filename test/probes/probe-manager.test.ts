// The ProbeManager with a manual clock and timers (docs/CONVENTIONS.md): when workers probe (initial delay, period,
// jitter inside the first period), what they count (core thresholds), what they gate (startup, termination), what
// they deliver (only changes) and which events they record. Handlers are scripted; real handlers are tested in
// handlers.test.ts and end to end in e2e-*.test.ts. Cases follow pkg/kubelet/prober/worker.go and prober.go.
import type { Container, Probe } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import type { PodEvent } from '../../src/core/pod-events.ts';
import type { ContainerRecord, PodState, ProbeType } from '../../src/core/pod-state.ts';
import type { ProbeAttempt, ProbeHandler, ProbeHandlers } from '../../src/ports/probe-handler.ts';
import { MAX_PROBE_RETRIES, ProbeManager, type ProbeTick } from '../../src/engine/prober/probe-manager.ts';
import type { ContainerInstanceRef } from '../../src/ports/container-runtime.ts';
import type { PodStore, StoredPod } from '../../src/ports/pod-store.ts';
import { ManualTimers } from '../adapters/local-timers/manual-timers.ts';
import { storedEventOf } from '../support/stored-event.ts';

const T0 = Date.UTC(2025, 0, 1);
const UID = 'uid-1';
const key = { namespace: 'default', name: 'web' };
const refOf = (instance = 0, container = 'app'): ContainerInstanceRef => ({
  key,
  podUid: UID,
  container,
  instance,
});

type Script = Array<ProbeAttempt['result']>;
const S = 'success' as const;
const F = 'failure' as const;
const W = 'warning' as const;
const E = 'error' as const;

interface HarnessOptions {
  container: Partial<Container>;
  /** Outcomes per probe type, in call order; the last one repeats. */
  scripts?: Partial<Record<ProbeType, Script>>;
  random?: number[];
  startedAt?: number;
  published?: ContainerRecord['probes'];
  deletion?: boolean;
  instance?: number;
  deliverFails?: number;
}

/** A manager over a one-container pod whose state the fake store serves. */
function harness(o: HarnessOptions) {
  const timers = new ManualTimers(T0);
  const container: Container = { name: 'app', image: 'busybox', ...o.container };
  const instance = o.instance ?? 0;
  const state = {
    pod: { metadata: { name: 'web', namespace: 'default', uid: UID }, spec: { containers: [container] } },
    engine: {
      stage: 'Running',
      scheduled: true,
      sandboxReady: true,
      podIP: '10.0.0.7',
      initialized: true,
      recentEventIds: [],
      containers: {
        app: {
          name: 'app',
          kind: 'app',
          instance,
          state: { type: 'running', startedAt: o.startedAt ?? T0, postStartDone: true },
          probes: o.published ?? {},
        },
      },
      ...(o.deletion ? { deletion: { requestedAt: T0, graceSeconds: 30, deadline: T0 + 30_000 } } : {}),
    },
  } as unknown as PodState;
  const stored: StoredPod = { key, resourceVersion: '1', state, inbox: [] };
  const events: Array<{ reason: string; message: string; fieldPath?: string; type: string }> = [];
  const delivered: PodEvent[] = [];
  const calls: Array<{ probe: ProbeType; at: number; timeoutMs: number }> = [];
  const ticks: ProbeTick[] = [];
  let deliverFails = o.deliverFails ?? 0;
  const store: Pick<PodStore, 'get' | 'recordEvent'> = {
    get: async () => stored,
    recordEvent: async (e) => {
      events.push({
        reason: e.reason,
        message: e.message,
        type: e.type,
        fieldPath: e.involvedObject.fieldPath,
      });
      return storedEventOf(e);
    },
  };
  const typeOf = (p: Probe): ProbeType =>
    p === container.startupProbe ? 'startup' : p === container.readinessProbe ? 'readiness' : 'liveness';
  const counters: Partial<Record<ProbeType, number>> = {};
  const scripted: ProbeHandler = async (probe, _target, timeoutMs) => {
    const type = typeOf(probe);
    calls.push({ probe: type, at: timers.now(), timeoutMs });
    const script = o.scripts?.[type] ?? [S];
    const n = counters[type] ?? 0;
    counters[type] = n + 1;
    const result = script[Math.min(n, script.length - 1)]!;
    return result === 'error' ? { result, error: 'boom' } : { result, output: `${type} said ${result}` };
  };
  const handlers: ProbeHandlers = { exec: scripted, httpGet: scripted, tcpSocket: scripted, grpc: scripted };
  const randoms = [...(o.random ?? [0])];
  const manager = new ProbeManager({
    store,
    deliver: async (_k, event) => {
      if (deliverFails > 0) {
        deliverFails--;
        throw new Error('store unavailable');
      }
      delivered.push(event);
    },
    handlers,
    clock: timers,
    timers,
    random: () => (randoms.length > 1 ? randoms.shift()! : randoms[0]!),
    onTick: (t) => ticks.push(t),
  });
  const results = () => delivered.map((e) => (e.type === 'probeResult' ? `${e.probe}:${e.result}` : e.type));
  const callsOf = (type: ProbeType) => calls.filter((c) => c.probe === type).map((c) => c.at - T0);
  return { manager, timers, events, delivered, calls, callsOf, ticks, results, stored, ref: refOf(instance) };
}

const exec = (extra: Partial<Probe> = {}): Probe => ({ exec: { command: ['true'] }, ...extra });

describe('ProbeManager timing (worker.go run)', () => {
  it.each([
    {
      name: 'no initial delay, offset 0: probes at start, then every period',
      probe: exec({ periodSeconds: 2 }),
      random: [0],
      expected: [0, 2000, 4000, 6000],
    },
    {
      name: 'initialDelaySeconds 5: nothing before startedAt + 5 s',
      probe: exec({ periodSeconds: 2, initialDelaySeconds: 5 }),
      random: [0],
      expected: [5000, 7000],
    },
    {
      name: 'a random offset inside the first period: 0.5 × 2 s',
      probe: exec({ periodSeconds: 2 }),
      random: [0.5],
      expected: [1000, 3000, 5000, 7000],
    },
    {
      name: 'the offset comes after the initial delay: 5 s + 0.25 × 4 s',
      probe: exec({ periodSeconds: 4, initialDelaySeconds: 5 }),
      random: [0.25],
      expected: [6000],
    },
    {
      name: 'the largest offset stays inside the first period',
      probe: exec({ periodSeconds: 10 }),
      random: [0.9999],
      expected: [9999],
    },
  ])('$name', async ({ probe, random, expected }) => {
    const h = harness({ container: { readinessProbe: probe }, random, scripts: { readiness: [F] } });
    await h.manager.start(h.ref, ['readiness']);
    await h.timers.advance(expected.at(-1)! + 1);
    expect(h.callsOf('readiness')).toEqual(expected);
    h.manager.close();
  });

  it('initial delay counts from the container start, not from the worker start (a late start probes at once)', async () => {
    const h = harness({
      container: { readinessProbe: exec({ periodSeconds: 3, initialDelaySeconds: 2 }) },
      startedAt: T0 - 10_000,
      scripts: { readiness: [F] },
    });
    await h.manager.start(h.ref, ['readiness']);
    await h.timers.advance(3001);
    expect(h.callsOf('readiness')).toEqual([0, 3000]);
    h.manager.close();
  });

  it('a timer that fires a little early does not lose the first probe to the initial-delay gate', async () => {
    const timers = new ManualTimers(T0);
    // Node arms timers from the event loop's cached time: they may fire a few ms early by the wall clock.
    const early = {
      setTimeout: (cb: () => void, ms: number) => timers.setTimeout(cb, Math.max(1, ms - 3)),
      clearTimeout: (h: unknown) => timers.clearTimeout(h),
    };
    const h = harness({
      container: { readinessProbe: exec({ periodSeconds: 1, initialDelaySeconds: 2 }) },
      scripts: { readiness: [F] },
    });
    const calls: number[] = [];
    const manager = new ProbeManager({
      store: { get: async () => h.stored, recordEvent: async (e) => storedEventOf(e) },
      deliver: async () => undefined,
      handlers: {
        exec: async () => {
          calls.push(timers.now() - T0);
          return { result: 'failure', output: '' };
        },
        httpGet: async () => ({ result: 'error', error: 'unused' }),
        tcpSocket: async () => ({ result: 'error', error: 'unused' }),
        grpc: async () => ({ result: 'error', error: 'unused' }),
      },
      clock: timers,
      timers: early,
      random: () => 0,
    });
    await manager.start(h.ref, ['readiness']);
    await timers.advance(2500);
    expect(calls).toEqual([2000]);
    manager.close();
  });

  it('jitter spreads workers started together over the first period', async () => {
    const h = harness({
      container: {
        startupProbe: exec({ periodSeconds: 10 }),
        readinessProbe: exec({ periodSeconds: 10 }),
        livenessProbe: exec({ periodSeconds: 10 }),
      },
      random: [0.1, 0.5, 0.9],
      published: { startup: 'success' },
    });
    await h.manager.start(h.ref, ['startup', 'readiness', 'liveness']);
    await h.timers.advance(10_000);
    const firsts = h.ticks.map((t) => t.dueAt - T0).sort((a, b) => a - b);
    expect(firsts).toEqual([1000, 5000, 9000]);
    h.manager.close();
  });

  it('passes timeoutSeconds to the handler in ms', async () => {
    const h = harness({ container: { livenessProbe: exec({ periodSeconds: 1, timeoutSeconds: 4 }) } });
    await h.manager.start(h.ref, ['liveness']);
    await h.timers.advance(10);
    expect(h.calls[0]!.timeoutMs).toBe(4000);
    h.manager.close();
  });

  it('a tick due while the previous attempt still runs is skipped, the cadence stays', async () => {
    const timers = new ManualTimers(T0);
    let release: (() => void) | undefined;
    const calls: number[] = [];
    const slow: ProbeHandler = () => {
      calls.push(timers.now() - T0);
      return new Promise((resolve) => {
        release = () => resolve({ result: 'success', output: '' });
      });
    };
    const container: Container = { name: 'app', readinessProbe: exec({ periodSeconds: 1 }) };
    const stored = {
      key,
      resourceVersion: '1',
      inbox: [],
      state: {
        pod: { metadata: { uid: UID }, spec: { containers: [container] } },
        engine: {
          containers: {
            app: {
              name: 'app',
              instance: 0,
              state: { type: 'running', startedAt: T0, postStartDone: true },
              probes: {},
            },
          },
        },
      },
    } as unknown as StoredPod;
    const manager = new ProbeManager({
      store: { get: async () => stored, recordEvent: async (e) => storedEventOf(e) },
      deliver: async () => undefined,
      handlers: { exec: slow, httpGet: slow, tcpSocket: slow, grpc: slow },
      clock: timers,
      timers,
      random: () => 0,
    });
    await manager.start(refOf(), ['readiness']);
    await timers.advance(2500); // ticks at 0 (runs, hangs), 1000 and 2000 (skipped)
    release!();
    await timers.advance(1000); // tick at 3000 runs
    expect(calls).toEqual([0, 3000]);
    manager.close();
  });
});

describe('ProbeManager counting and delivery (worker.go doProbe, results_manager.go Set)', () => {
  it.each([
    {
      name: 'readiness keeps succeeding: one change (not ready → ready), then nothing',
      type: 'readiness' as const,
      probe: exec({ periodSeconds: 1 }),
      script: [S],
      ticks: 20,
      expected: ['readiness:success'],
    },
    {
      name: 'liveness keeps succeeding: nothing at all (alive is the initial value)',
      type: 'liveness' as const,
      probe: exec({ periodSeconds: 1 }),
      script: [S],
      ticks: 20,
      expected: [],
    },
    {
      name: 'readiness keeps failing: nothing (not ready is the initial value)',
      type: 'readiness' as const,
      probe: exec({ periodSeconds: 1 }),
      script: [F],
      ticks: 10,
      expected: [],
    },
    {
      name: 'liveness failureThreshold 3: one change after the third failure, then on hold',
      type: 'liveness' as const,
      probe: exec({ periodSeconds: 1, failureThreshold: 3 }),
      script: [F],
      ticks: 10,
      expected: ['liveness:failure'],
    },
    {
      name: 'liveness: two failures then a success reset the count',
      type: 'liveness' as const,
      probe: exec({ periodSeconds: 1, failureThreshold: 3 }),
      script: [F, F, S, F, F, S],
      ticks: 6,
      expected: [],
    },
    {
      name: 'readiness successThreshold 2, failureThreshold 2: ready after 2, unready after 2',
      type: 'readiness' as const,
      probe: exec({ periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }),
      script: [S, F, S, S, S, F, F, F, S],
      ticks: 9,
      expected: ['readiness:success', 'readiness:failure'],
    },
    {
      name: 'a warning counts as a success',
      type: 'readiness' as const,
      probe: exec({ periodSeconds: 1 }),
      script: [W],
      ticks: 3,
      expected: ['readiness:success'],
    },
    {
      name: 'a prober error is thrown away, not counted (liveness failureThreshold 1 never fires)',
      type: 'liveness' as const,
      probe: exec({ periodSeconds: 1, failureThreshold: 1 }),
      script: [E],
      ticks: 5,
      expected: [],
    },
  ])('$name', async ({ type, probe, script, ticks, expected }) => {
    const field = type === 'readiness' ? 'readinessProbe' : 'livenessProbe';
    const h = harness({ container: { [field]: probe }, scripts: { [type]: script } });
    await h.manager.start(h.ref, [type]);
    await h.timers.advance((ticks - 1) * 1000 + 1);
    expect(h.results()).toEqual(expected);
    h.manager.close();
  });

  it('after a published liveness failure the worker holds: no more probes for this instance', async () => {
    const h = harness({
      container: { livenessProbe: exec({ periodSeconds: 1, failureThreshold: 3 }) },
      scripts: { liveness: [F] },
    });
    await h.manager.start(h.ref, ['liveness']);
    await h.timers.advance(10_000);
    expect(h.callsOf('liveness')).toEqual([0, 1000, 2000]);
    h.manager.close();
  });

  it('an errored attempt is retried up to 3 times within the tick (prober.go maxProbeRetries)', async () => {
    const h = harness({
      container: { livenessProbe: exec({ periodSeconds: 5 }) },
      scripts: { liveness: [E] },
    });
    await h.manager.start(h.ref, ['liveness']);
    await h.timers.advance(1);
    expect(h.callsOf('liveness')).toEqual(Array(MAX_PROBE_RETRIES).fill(0));
    expect(h.events.map((e) => e.message)).toEqual([
      'Liveness probe errored and resulted in unknown state: boom',
    ]);
    h.manager.close();
  });

  it('the delivered event names the instance, the probe, the result and the failure output', async () => {
    const h = harness({
      container: { livenessProbe: exec({ periodSeconds: 1, failureThreshold: 1 }) },
      scripts: { liveness: [F] },
      instance: 3,
    });
    await h.manager.start(h.ref, ['liveness']);
    await h.timers.advance(1);
    expect(h.delivered).toEqual([
      {
        id: `probe/${UID}/app/3/liveness/failure/${T0}`,
        at: T0,
        type: 'probeResult',
        container: 'app',
        instance: 3,
        probe: 'liveness',
        result: 'failure',
        message: 'liveness said failure',
      },
    ]);
    h.manager.close();
  });

  it('a delivery that fails is announced again by the next identical result', async () => {
    const h = harness({
      container: { readinessProbe: exec({ periodSeconds: 1 }) },
      scripts: { readiness: [S] },
      deliverFails: 1,
    });
    await h.manager.start(h.ref, ['readiness']);
    await h.timers.advance(3001);
    expect(h.results()).toEqual(['readiness:success']);
    h.manager.close();
  });

  it('a manager that starts over is seeded from the published results: nothing re-announced', async () => {
    const h = harness({
      container: {
        startupProbe: exec({ periodSeconds: 1 }),
        readinessProbe: exec({ periodSeconds: 1 }),
        livenessProbe: exec({ periodSeconds: 1 }),
      },
      published: { startup: 'success', readiness: 'success' },
    });
    await h.manager.start(h.ref, ['startup', 'readiness', 'liveness']);
    await h.timers.advance(10_000);
    expect(h.results()).toEqual([]);
    expect(h.callsOf('startup')).toEqual([]);
    expect(h.callsOf('readiness').length).toBeGreaterThanOrEqual(10);
    h.manager.close();
  });
});

describe('ProbeManager gates', () => {
  it('startup gates readiness and liveness; once it succeeds they run and it stops', async () => {
    const h = harness({
      container: {
        startupProbe: exec({ periodSeconds: 1, failureThreshold: 30 }),
        readinessProbe: exec({ periodSeconds: 1 }),
        livenessProbe: exec({ periodSeconds: 1, failureThreshold: 1 }),
      },
      scripts: { startup: [F, F, F, S], liveness: [S] },
      random: [0],
    });
    await h.manager.start(h.ref, ['startup', 'readiness', 'liveness']);
    await h.timers.advance(6001);
    expect(h.callsOf('startup')).toEqual([0, 1000, 2000, 3000]);
    // Same-instant ticks run in arming order: the startup worker's success at 3000 opens the gate for the
    // liveness and readiness ticks due at 3000 too. Nothing ran before it.
    expect(h.callsOf('liveness')).toEqual([3000, 4000, 5000, 6000]);
    expect(h.callsOf('readiness')).toEqual([3000, 4000, 5000, 6000]);
    expect(h.results()).toEqual(['startup:success', 'readiness:success']);
    expect(h.events.map((e) => e.message)).toEqual([
      'Startup probe failed: startup said failure',
      'Startup probe failed: startup said failure',
      'Startup probe failed: startup said failure',
    ]);
    h.manager.close();
  });

  it('a worker started more than a period after the prober probes at once: the random offset is for a fresh start only', async () => {
    const h = harness({
      container: { readinessProbe: exec({ periodSeconds: 2 }) },
      startedAt: T0 + 20_000,
      random: [0.5],
      scripts: { readiness: [F] },
    });
    await h.timers.advance(20_000);
    await h.manager.start(h.ref, ['readiness']);
    await h.timers.advance(2001);
    expect(h.callsOf('readiness')).toEqual([20_000, 22_000]);
    h.manager.close();
  });

  it('once startup succeeds, readiness is probed at once, not at its next tick (prober_manager UpdatePodStatus)', async () => {
    const h = harness({
      container: {
        startupProbe: exec({ periodSeconds: 1, failureThreshold: 30 }),
        readinessProbe: exec({ periodSeconds: 10 }),
      },
      scripts: { startup: [F, S], readiness: [S] },
      random: [0],
    });
    await h.manager.start(h.ref, ['startup', 'readiness']);
    await h.timers.advance(10_001);
    expect(h.callsOf('startup')).toEqual([0, 1000]);
    expect(h.callsOf('readiness')).toEqual([1000, 10_000]);
    expect(h.results()).toEqual(['startup:success', 'readiness:success']);
    h.manager.close();
  });

  it('startup failing past its threshold is announced once and holds', async () => {
    const h = harness({
      container: { startupProbe: exec({ periodSeconds: 1, failureThreshold: 2 }), livenessProbe: exec() },
      scripts: { startup: [F] },
    });
    await h.manager.start(h.ref, ['startup', 'liveness']);
    await h.timers.advance(10_000);
    expect(h.results()).toEqual(['startup:failure']);
    expect(h.callsOf('startup')).toEqual([0, 1000]);
    expect(h.callsOf('liveness')).toEqual([]);
    h.manager.close();
  });

  it('while the pod terminates liveness and startup do not probe, readiness does (and may turn unready)', async () => {
    const h = harness({
      container: {
        readinessProbe: exec({ periodSeconds: 1, failureThreshold: 1 }),
        livenessProbe: exec({ periodSeconds: 1, failureThreshold: 1 }),
      },
      deletion: true,
      published: { readiness: 'success' },
      scripts: { readiness: [S, F], liveness: [F] },
    });
    await h.manager.start(h.ref, ['readiness', 'liveness']);
    await h.timers.advance(3001);
    expect(h.callsOf('liveness')).toEqual([]);
    expect(h.callsOf('readiness')).toEqual([0, 1000, 2000, 3000]);
    expect(h.results()).toEqual(['readiness:failure']);
    h.manager.close();
  });

  it('stopProbes for liveness (the engine on delete) stops it; readiness goes on', async () => {
    const h = harness({
      container: { readinessProbe: exec({ periodSeconds: 1 }), livenessProbe: exec({ periodSeconds: 1 }) },
    });
    await h.manager.start(h.ref, ['readiness', 'liveness']);
    await h.timers.advance(1001);
    await h.manager.stop(h.ref, ['liveness']);
    await h.timers.advance(3000);
    expect(h.callsOf('liveness')).toEqual([0, 1000]);
    expect(h.callsOf('readiness')).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(h.manager.active()).toEqual([{ ref: h.ref, probes: ['readiness'] }]);
    h.manager.close();
  });

  it('a result that arrives after stop is dropped', async () => {
    const timers = new ManualTimers(T0);
    let release: (() => void) | undefined;
    const slow: ProbeHandler = () =>
      new Promise((resolve) => (release = () => resolve({ result: 'success', output: '' })));
    const h = harness({ container: { readinessProbe: exec({ periodSeconds: 1 }) } });
    const manager = new ProbeManager({
      store: { get: async () => h.stored, recordEvent: async (e) => storedEventOf(e) },
      deliver: async (_k, e) => void h.delivered.push(e),
      handlers: { exec: slow, httpGet: slow, tcpSocket: slow, grpc: slow },
      clock: timers,
      timers,
      random: () => 0,
    });
    await manager.start(h.ref, ['readiness']);
    await timers.advance(1);
    await manager.stop(h.ref, ['readiness']);
    release!();
    await timers.advance(1);
    expect(h.delivered).toEqual([]);
    manager.close();
  });
});

describe('ProbeManager starting and stopping workers', () => {
  it.each([
    { name: 'an earlier instance', instance: 0, current: 1 },
    { name: 'a later instance than the pod knows', instance: 2, current: 1 },
  ])('start for $name creates nothing (stale)', async ({ instance, current }) => {
    const h = harness({ container: { readinessProbe: exec() }, instance: current });
    expect(await h.manager.startWorkers(refOf(instance), ['readiness'])).toBe('stale');
    expect(h.manager.active()).toEqual([]);
  });

  it('start is idempotent per instance and probe type; a new instance supersedes the old workers', async () => {
    const h = harness({ container: { readinessProbe: exec({ periodSeconds: 1 }) }, instance: 1 });
    await h.manager.start(refOf(1), ['readiness']);
    await h.manager.start(refOf(1), ['readiness']);
    await h.timers.advance(2001);
    expect(h.callsOf('readiness')).toEqual([0, 1000, 2000]);
    (h.stored.state.engine.containers.app as ContainerRecord).instance = 2;
    await h.manager.start(refOf(2), ['readiness']);
    expect(h.manager.active()).toEqual([{ ref: refOf(2), probes: ['readiness'] }]);
    h.manager.close();
  });

  it('close stops every timer', async () => {
    const h = harness({ container: { readinessProbe: exec(), livenessProbe: exec() } });
    await h.manager.start(h.ref, ['readiness', 'liveness']);
    expect(h.timers.pendingCount).toBe(2);
    h.manager.close();
    expect(h.timers.pendingCount).toBe(0);
  });
});

describe('ProbeManager events (prober.go probe)', () => {
  it.each([
    {
      name: 'failure → Unhealthy "<Type> probe failed: <output>"',
      type: 'liveness' as const,
      result: F,
      event: { reason: 'Unhealthy', message: 'Liveness probe failed: liveness said failure' },
    },
    {
      name: 'warning → ProbeWarning "<Type> probe warning: <output>"',
      type: 'readiness' as const,
      result: W,
      event: { reason: 'ProbeWarning', message: 'Readiness probe warning: readiness said warning' },
    },
    {
      name: 'error → Unhealthy "<Type> probe errored and resulted in unknown state: <err>"',
      type: 'readiness' as const,
      result: E,
      event: { reason: 'Unhealthy', message: 'Readiness probe errored and resulted in unknown state: boom' },
    },
    { name: 'success → no event', type: 'readiness' as const, result: S, event: undefined },
  ])('$name', async ({ type, result, event }) => {
    const field = type === 'readiness' ? 'readinessProbe' : 'livenessProbe';
    const h = harness({ container: { [field]: exec({ periodSeconds: 5 }) }, scripts: { [type]: [result] } });
    await h.manager.start(h.ref, [type]);
    await h.timers.advance(1);
    expect(h.events).toEqual(event ? [{ ...event, type: 'Warning', fieldPath: 'spec.containers{app}' }] : []);
    h.manager.close();
  });
});
