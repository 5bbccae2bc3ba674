// Targeted reconcile rules, one named case each; the golden scenarios (test/golden) show whole lifecycles.
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/core/actions.ts';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../../src/core/engine-settings.ts';
import type { PodEvent } from '../../src/core/pod-events.ts';
import { admittedPod, type PodState } from '../../src/core/pod-state.ts';
import { admitPod, reconcile, reconcileAll } from '../../src/core/reconcile.ts';

const T0 = Date.UTC(2026, 0, 1);

function pod(spec: Partial<Pod['spec']> & object, annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1', ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exit 1'] }], ...spec },
  };
}

/** A tiny driver: applies events, tracks timers, and can play a crash loop. */
class Driver {
  state: PodState;
  now = T0;
  seq = 0;
  timers = new Map<string, number>();
  log: Action[] = [];
  readonly settings: EngineSettings;
  constructor(p: Pod, settings: EngineSettings = DEFAULT_ENGINE_SETTINGS) {
    this.settings = settings;
    const r = admitPod(admittedPod(p), { now: this.now, settings });
    this.state = r.state;
    this.track(r.actions);
  }
  private track(actions: Action[]): Action[] {
    this.log.push(...actions);
    for (const a of actions) {
      if (a.type === 'scheduleTimer') this.timers.set(a.timerId, a.at);
      if (a.type === 'cancelTimer') this.timers.delete(a.timerId);
    }
    return actions;
  }
  send(e: Record<string, unknown> & { type: PodEvent['type'] }, after = 0, id?: string): Action[] {
    this.now += after;
    const ev = { id: id ?? `e${++this.seq}`, at: this.now, ...e } as Record<string, unknown>;
    if (typeof ev.container === 'string' && ev.instance === undefined)
      ev.instance = this.state.engine.containers[ev.container]!.instance;
    if (ev.type === 'containerStarted') ev.startedAt ??= this.now;
    if (ev.type === 'containerExited') ev.finishedAt ??= this.now;
    const r = reconcile(this.state, ev as unknown as PodEvent, { now: this.now, settings: this.settings });
    this.state = r.state;
    return this.track(r.actions);
  }
  fireNextTimer(): Action[] {
    const [id, at] = [...this.timers.entries()].sort((a, b) => a[1] - b[1])[0]!;
    this.timers.delete(id);
    this.now = Math.max(this.now, at);
    return this.send({ type: 'timerDue', timerId: id });
  }
  status(name = 'app') {
    const all = [
      ...(this.state.pod.status?.initContainerStatuses ?? []),
      ...(this.state.pod.status?.containerStatuses ?? []),
    ];
    return all.find((c) => c.name === name)!;
  }
  get phase() {
    return this.state.pod.status?.phase;
  }
  /** Runs `n` crashes (start, run `runMs`, exit 1) and returns the wait before each restart in ms. */
  crashLoop(n: number, runMs = 100): number[] {
    const waits: number[] = [];
    for (let i = 0; i < n; i++) {
      this.send({ type: 'containerStarted', container: 'app' }, 10);
      const exitedAt = this.now + runMs;
      const actions = this.send({ type: 'containerExited', container: 'app', exitCode: 1 }, runMs);
      if (actions.some((a) => a.type === 'startContainer')) {
        waits.push(0);
        continue;
      }
      this.fireNextTimer();
      waits.push(this.now - exitedAt);
    }
    return waits;
  }
}

const ready = (d: Driver) => d.send({ type: 'sandboxReady', podIP: '127.0.0.1' }, 10);

describe('crash back-off through reconcile', () => {
  it.each([
    {
      name: 'kubelet default curve: immediate, then 10/20/40/80/160/300/300 s',
      settings: DEFAULT_ENGINE_SETTINGS.backoff,
      annotations: undefined,
      want: [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
    },
    {
      name: 'engine setting scaled to 200ms..1.6s',
      settings: { initialMs: 200, maxMs: 1600, resetMs: 3200 },
      annotations: undefined,
      want: [0, 200, 400, 800, 1600, 1600],
    },
    {
      name: 'per-pod annotations override the engine curve',
      settings: DEFAULT_ENGINE_SETTINGS.backoff,
      annotations: { 'podflow.io/crash-backoff-initial': '1s', 'podflow.io/crash-backoff-max': '4s' },
      want: [0, 1000, 2000, 4000, 4000],
    },
  ])('$name', ({ settings, annotations, want }) => {
    const d = new Driver(pod({}, annotations), { ...DEFAULT_ENGINE_SETTINGS, backoff: settings });
    ready(d);
    expect(d.crashLoop(want.length)).toEqual(want);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    d.send({ type: 'containerExited', container: 'app', exitCode: 1 }, 100);
    expect(d.status().state?.waiting?.reason).toBe('CrashLoopBackOff');
  });

  it('resets the curve after a run longer than the reset time', () => {
    const d = new Driver(pod({}));
    ready(d);
    expect(d.crashLoop(4)).toEqual([0, 10_000, 20_000, 40_000]);
    expect(d.crashLoop(1, 600_001)).toEqual([0]);
    expect(d.crashLoop(2)).toEqual([10_000, 20_000]);
  });

  it('shows CrashLoopBackOff with the kubelet message and counts restarts', () => {
    const d = new Driver(pod({}));
    ready(d);
    d.crashLoop(3);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    d.send({ type: 'containerExited', container: 'app', exitCode: 1 }, 100);
    const s = d.status();
    expect(s.restartCount).toBe(3);
    expect(s.state?.waiting?.message).toBe(
      'back-off 40s restarting failed container=app pod=p_default(uid-1)',
    );
    expect(s.lastState?.terminated?.exitCode).toBe(1);
    expect(
      d.log.filter((a) => a.type === 'recordEvent' && a.reason === 'BackOff').length,
    ).toBeGreaterThanOrEqual(3);
  });
});

describe('restart policy on exit', () => {
  it.each([
    { name: 'Always restarts exit 0', policy: 'Always', exit: 0, restarts: true, phase: 'Running' },
    { name: 'Always restarts exit 1', policy: 'Always', exit: 1, restarts: true, phase: 'Running' },
    { name: 'OnFailure restarts exit 1', policy: 'OnFailure', exit: 1, restarts: true, phase: 'Running' },
    {
      name: 'OnFailure does not restart exit 0 → Succeeded',
      policy: 'OnFailure',
      exit: 0,
      restarts: false,
      phase: 'Succeeded',
    },
    {
      name: 'Never does not restart exit 1 → Failed',
      policy: 'Never',
      exit: 1,
      restarts: false,
      phase: 'Failed',
    },
    {
      name: 'Never does not restart exit 0 → Succeeded',
      policy: 'Never',
      exit: 0,
      restarts: false,
      phase: 'Succeeded',
    },
  ])('$name', ({ policy, exit, restarts, phase }) => {
    const d = new Driver(pod({ restartPolicy: policy }));
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    const actions = d.send({ type: 'containerExited', container: 'app', exitCode: exit }, 100);
    expect(actions.some((a) => a.type === 'startContainer')).toBe(restarts);
    expect(d.phase).toBe(phase);
  });

  it('OOMKilled exit is reported with reason OOMKilled and 137', () => {
    const d = new Driver(pod({ restartPolicy: 'Never' }));
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    d.send({ type: 'containerExited', container: 'app', exitCode: 137, signal: 9, oomKilled: true }, 100);
    expect(d.status().state?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(d.phase).toBe('Failed');
  });
});

describe('idempotency', () => {
  it('drops a redelivered event (same id)', () => {
    const d = new Driver(pod({}));
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    const first = d.send({ type: 'containerExited', container: 'app', exitCode: 1 }, 100, 'dup');
    const again = d.send({ type: 'containerExited', container: 'app', exitCode: 1, instance: 0 }, 5, 'dup');
    expect(first.some((a) => a.type === 'startContainer')).toBe(true);
    expect(again).toEqual([]);
    expect(d.status().restartCount).toBe(1);
  });

  it('ignores an exit of an instance that is not the current one', () => {
    const d = new Driver(pod({}));
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    expect(d.send({ type: 'containerExited', container: 'app', instance: 3, exitCode: 1 }, 10)).toEqual([]);
    expect(d.status().state?.running).toBeDefined();
  });

  it('ignores a timer that fires twice', () => {
    const d = new Driver(pod({}));
    ready(d);
    d.crashLoop(1);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    d.send({ type: 'containerExited', container: 'app', exitCode: 1 }, 100);
    const [id] = [...d.timers.keys()];
    d.fireNextTimer();
    expect(d.send({ type: 'timerDue', timerId: id! }, 1)).toEqual([]);
    expect(d.status().restartCount).toBe(2);
  });
});

describe('a batch from the inbox', () => {
  // The inbox hands events back ordered by (at, id); a container that exits within the millisecond it started has
  // both observations at the same `at`, and its ids (<uid>/<container>/<n>/exited, …/started) sort the exit first.
  it.each([
    { name: 'exit sorted before its start (same instant)', order: ['exited', 'started'] },
    { name: 'start before exit', order: ['started', 'exited'] },
  ])('$name: the start is applied first — Pulled, Created and Started, then the exit', ({ order }) => {
    const d = new Driver(pod({ restartPolicy: 'Never' }));
    ready(d);
    const at = d.now + 10;
    const observed: Record<string, PodEvent> = {
      started: {
        id: 'uid-1/app/0/started',
        at,
        type: 'containerStarted',
        container: 'app',
        instance: 0,
        startedAt: at,
      },
      exited: {
        id: 'uid-1/app/0/exited',
        at,
        type: 'containerExited',
        container: 'app',
        instance: 0,
        exitCode: 0,
        oomKilled: false,
        startedAt: at,
        finishedAt: at,
      },
    };
    const { state, actions } = reconcileAll(
      d.state,
      order.map((o) => observed[o]!),
      { now: at, settings: DEFAULT_ENGINE_SETTINGS },
    );
    expect(actions.filter((a) => a.type === 'recordEvent').map((a) => a.reason)).toEqual([
      'Pulled',
      'Created',
      'Started',
    ]);
    expect(state.pod.status?.phase).toBe('Succeeded');
    expect(state.pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
  });
});

describe('deletion', () => {
  it.each([
    { name: 'grace from the request wins over the spec', requested: 5, spec: 30, want: 5, stop: 5 },
    {
      name: 'grace defaults to spec.terminationGracePeriodSeconds',
      requested: undefined,
      spec: 12,
      want: 12,
      stop: 12,
    },
    {
      name: 'grace 0: deletion at once, but SIGTERM still gets the 2 s minimum window (killContainer)',
      requested: 0,
      spec: 30,
      want: 0,
      stop: 2,
    },
    { name: 'grace 1 is raised to the 2 s minimum window', requested: 1, spec: 30, want: 1, stop: 2 },
  ])('$name', ({ requested, spec, want, stop }) => {
    const d = new Driver(
      pod({
        terminationGracePeriodSeconds: spec,
        containers: [{ name: 'app', image: 'x', command: ['sleep', '9'] }],
      }),
    );
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    const actions = d.send(
      { type: 'deleteRequested', ...(requested !== undefined ? { gracePeriodSeconds: requested } : {}) },
      10,
    );
    expect(actions).toContainEqual({
      type: 'stopContainer',
      container: 'app',
      instance: 0,
      graceSeconds: stop,
    });
    expect(d.state.pod.metadata?.deletionGracePeriodSeconds).toBe(want);
    expect(Date.parse(d.state.pod.metadata!.deletionTimestamp!)).toBe(
      Math.floor((d.now + want * 1000) / 1000) * 1000,
    );
  });

  it('a second delete may shorten the grace but not lengthen it', () => {
    const d = new Driver(pod({ containers: [{ name: 'app', image: 'x', command: ['sleep', '9'] }] }));
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    d.send({ type: 'deleteRequested', gracePeriodSeconds: 30 }, 10);
    expect(d.send({ type: 'deleteRequested', gracePeriodSeconds: 60 }, 10)).toEqual([]);
    expect(d.send({ type: 'deleteRequested', gracePeriodSeconds: 0 }, 10)).toContainEqual({
      type: 'stopContainer',
      container: 'app',
      instance: 0,
      graceSeconds: 2,
    });
  });

  it('deleting a pod that already finished removes it at once', () => {
    const d = new Driver(pod({ restartPolicy: 'Never' }));
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    d.send({ type: 'containerExited', container: 'app', exitCode: 0 }, 10);
    expect(d.send({ type: 'deleteRequested' }, 10)).toEqual([
      { type: 'removeSandbox' },
      { type: 'deletePod' },
    ]);
    expect(d.phase).toBe('Succeeded');
  });

  it('deleting a crash-looping pod cancels its restart timer and ends Failed', () => {
    const d = new Driver(pod({}));
    ready(d);
    d.crashLoop(1);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    d.send({ type: 'containerExited', container: 'app', exitCode: 1 }, 100);
    const actions = d.send({ type: 'deleteRequested' }, 10);
    expect(actions.filter((a) => a.type === 'cancelTimer')).toHaveLength(1);
    expect(actions.at(-1)).toEqual({ type: 'deletePod' });
    expect(d.phase).toBe('Failed');
  });

  it('deleting a pod whose container never started ends Failed with nothing to stop', () => {
    const d = new Driver(pod({}));
    const actions = d.send({ type: 'deleteRequested' }, 10);
    expect(actions).toEqual([{ type: 'removeSandbox' }, { type: 'deletePod' }]);
    expect(d.phase).toBe('Failed');
  });

  it('a container that starts after the delete is stopped at once', () => {
    const d = new Driver(pod({ containers: [{ name: 'app', image: 'x', command: ['sleep', '9'] }] }));
    ready(d);
    d.send({ type: 'deleteRequested', gracePeriodSeconds: 10 }, 10);
    const actions = d.send({ type: 'containerStarted', container: 'app' }, 1000);
    expect(actions).toContainEqual({ type: 'stopContainer', container: 'app', instance: 0, graceSeconds: 9 });
  });
});

describe('start failures', () => {
  it('RunContainerError: event Failed, waiting reason kept during back-off', () => {
    const d = new Driver(pod({}));
    ready(d);
    d.send(
      {
        type: 'containerStartFailed',
        container: 'app',
        reason: 'RunContainerError',
        message: 'exec: "nope": executable file not found in $PATH',
      },
      10,
    );
    // first failure restarts at once (instance 1), the second one waits
    d.send(
      {
        type: 'containerStartFailed',
        container: 'app',
        reason: 'RunContainerError',
        message: 'exec: "nope": executable file not found in $PATH',
      },
      10,
    );
    expect(d.status().state?.waiting).toEqual({
      reason: 'RunContainerError',
      message: 'exec: "nope": executable file not found in $PATH',
    });
    expect(d.log.filter((a) => a.type === 'recordEvent' && a.reason === 'Failed')).toHaveLength(2);
  });

  it('ErrImagePull: nothing was created — ImagePullBackOff while it waits to be tried again, no restart counted', () => {
    const d = new Driver(pod({ restartPolicy: 'Never' }));
    ready(d);
    const pullFailed = {
      type: 'containerStartFailed' as const,
      container: 'app',
      reason: 'ErrImagePull',
      message: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
    };
    d.send(pullFailed, 10);
    expect(d.status().state?.waiting).toEqual({
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "busybox"',
    });
    expect(d.status().restartCount).toBe(0);
    expect(d.status().lastState).toEqual({});
    expect(d.phase).toBe('Pending');
    expect(d.log.filter((a) => a.type === 'recordEvent' && a.reason === 'Failed')).toHaveLength(1);
    expect(d.log.some((a) => a.type === 'scheduleTimer')).toBe(true);
  });

  it('under restartPolicy Never a start failure fails the pod', () => {
    const d = new Driver(pod({ restartPolicy: 'Never' }));
    ready(d);
    d.send(
      {
        type: 'containerStartFailed',
        container: 'app',
        reason: 'RunContainerError',
        message: 'no such file',
      },
      10,
    );
    expect(d.phase).toBe('Failed');
  });
});

describe('what a runtime reports with a start', () => {
  it('a start that names its sandbox address moves status.podIP (a replaced sandbox)', () => {
    const d = new Driver(pod({}));
    d.send({ type: 'sandboxReady', podIP: '10.0.1.5' }, 10);
    expect(d.state.pod.status?.podIP).toBe('10.0.1.5');
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    expect(d.state.pod.status?.podIP).toBe('10.0.1.5');
    d.send({ type: 'containerExited', container: 'app', exitCode: 1 }, 100);
    d.send({ type: 'containerStarted', container: 'app', podIP: '10.0.2.9' }, 10);
    expect(d.state.pod.status?.podIP).toBe('10.0.2.9');
    expect(d.state.pod.status?.podIPs).toEqual([{ ip: '10.0.2.9' }]);
  });

  it('a start of an instance that is not the current one moves nothing', () => {
    const d = new Driver(pod({}));
    d.send({ type: 'sandboxReady', podIP: '10.0.1.5' }, 10);
    d.send({ type: 'containerStarted', container: 'app', instance: 3, podIP: '10.9.9.9' }, 10);
    expect(d.state.pod.status?.podIP).toBe('10.0.1.5');
  });

  it("the runtime's container id is the status containerID, and lastState's after a restart", () => {
    const d = new Driver(pod({}));
    ready(d);
    const first = 'fargate://1a2b/app/0';
    d.send({ type: 'containerStarted', container: 'app', containerID: first }, 10);
    expect(d.status().containerID).toBe(first);
    d.send({ type: 'containerExited', container: 'app', exitCode: 1 }, 100); // restarts at once: instance 1
    expect(d.status().lastState?.terminated?.containerID).toBe(first);
    d.send({ type: 'containerStarted', container: 'app', containerID: 'fargate://3c4d/app/1' }, 10);
    expect(d.status().containerID).toBe('fargate://3c4d/app/1');
    expect(d.status().lastState?.terminated?.containerID).toBe(first);
  });

  it('without one, the containerID stays podflow://<uid>/<container>/<instance>', () => {
    const d = new Driver(pod({}));
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    expect(d.status().containerID).toBe('podflow://uid-1/app/0');
  });
});

describe('probes', () => {
  const probed = () =>
    pod({
      containers: [
        {
          name: 'app',
          image: 'x',
          command: ['sleep', '99'],
          startupProbe: { exec: { command: ['true'] }, failureThreshold: 30 },
          readinessProbe: { tcpSocket: { port: 80 } },
          livenessProbe: { httpGet: { port: 80, path: '/' } },
        },
      ],
    });

  it('started and ready follow the startup and readiness results', () => {
    const d = new Driver(probed());
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    expect(d.status()).toMatchObject({ started: false, ready: false });
    d.send({ type: 'probeResult', container: 'app', probe: 'startup', result: 'success' }, 10);
    expect(d.status()).toMatchObject({ started: true, ready: false });
    d.send({ type: 'probeResult', container: 'app', probe: 'readiness', result: 'success' }, 10);
    expect(d.status()).toMatchObject({ started: true, ready: true });
    const readyCond = d.state.pod.status?.conditions?.find((c) => c.type === 'Ready');
    expect(readyCond?.status).toBe('True');
  });

  it('a startup probe failure kills the container with the startup message', () => {
    const d = new Driver(probed());
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    const actions = d.send(
      { type: 'probeResult', container: 'app', probe: 'startup', result: 'failure' },
      10,
    );
    expect(actions).toContainEqual(
      expect.objectContaining({
        reason: 'Killing',
        message: 'Container app failed startup probe, will be restarted',
      }),
    );
  });

  it('under Never a liveness failure kills without "will be restarted"', () => {
    const p = probed();
    p.spec!.restartPolicy = 'Never';
    const d = new Driver(p);
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    const actions = d.send(
      { type: 'probeResult', container: 'app', probe: 'liveness', result: 'failure' },
      10,
    );
    expect(actions).toContainEqual(
      expect.objectContaining({ reason: 'Killing', message: 'Container app failed liveness probe' }),
    );
  });

  it('deletion stops liveness and startup probing but keeps readiness', () => {
    const d = new Driver(probed());
    ready(d);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    const actions = d.send({ type: 'deleteRequested' }, 10);
    expect(actions).toContainEqual({
      type: 'stopProbes',
      container: 'app',
      instance: 0,
      probes: ['startup', 'liveness'],
    });
  });
});

describe('sidecars', () => {
  it('a sidecar with a startup probe holds the next init container until it passes', () => {
    const d = new Driver(
      pod({
        initContainers: [
          {
            name: 'proxy',
            image: 'x',
            restartPolicy: 'Always',
            command: ['sleep', '99'],
            startupProbe: { tcpSocket: { port: 1 } },
          },
          { name: 'migrate', image: 'x', command: ['true'] },
        ],
      }),
    );
    ready(d);
    expect(
      d.send({ type: 'containerStarted', container: 'proxy' }, 10).some((a) => a.type === 'startContainer'),
    ).toBe(false);
    expect(
      d.send({ type: 'probeResult', container: 'proxy', probe: 'startup', result: 'success' }, 10),
    ).toContainEqual({ type: 'startContainer', container: 'migrate', instance: 0 });
  });

  it('sidecars stop after the app containers, in reverse spec order', () => {
    const d = new Driver(
      pod({
        restartPolicy: 'Never',
        initContainers: [
          { name: 'a', image: 'x', restartPolicy: 'Always', command: ['sleep', '99'] },
          { name: 'b', image: 'x', restartPolicy: 'Always', command: ['sleep', '99'] },
        ],
      }),
    );
    ready(d);
    d.send({ type: 'containerStarted', container: 'a' }, 10);
    d.send({ type: 'containerStarted', container: 'b' }, 10);
    d.send({ type: 'containerStarted', container: 'app' }, 10);
    const stops1 = d
      .send({ type: 'containerExited', container: 'app', exitCode: 0 }, 10)
      .filter((a) => a.type === 'stopContainer');
    expect(stops1.map((a) => (a as { container: string }).container)).toEqual(['b']);
    const stops2 = d
      .send({ type: 'containerExited', container: 'b', exitCode: 143 }, 10)
      .filter((a) => a.type === 'stopContainer');
    expect(stops2.map((a) => (a as { container: string }).container)).toEqual(['a']);
    d.send({ type: 'containerExited', container: 'a', exitCode: 143 }, 10);
    expect(d.phase).toBe('Succeeded');
    expect(d.state.engine.stage).toBe('Finished');
  });
});
