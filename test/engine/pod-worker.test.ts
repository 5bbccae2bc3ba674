// The worker's steps as the state machine calls them (infra/generated/pod-worker.asl.json): what each step commits,
// which port calls it makes, and the summary its Choice state routes on. Observations and timers are delivered by
// the test through the engine, as the runtime and the scheduler would. Also here: the Resume step and
// executeActions, which every step uses to carry out what reconcile decided.
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/core/actions.ts';
import { INITIAL_BACKOFF_MS } from '../../src/core/backoff.ts';
import { DEFAULT_ENGINE_SETTINGS } from '../../src/core/engine-settings.ts';
import { ACTIVE_DEADLINE_TIMER_ID, newPodState, restartTimerId } from '../../src/core/reconcile.ts';
import { executeActions } from '../../src/engine/execute-actions.ts';
import { ObservablePodStore, type StoreChange } from '../../src/engine/observable-pod-store.ts';
import { ConflictError } from '../../src/ports/errors.ts';
import { FAKE_POD_IP, InterceptingPodStore } from '../support/engine-fakes.ts';
import { EngineHarness, container, keyOf, uidOf } from '../support/engine-harness.ts';
import { MANUAL_CLOCK_START } from '../support/manual-clock.ts';

const INITS = [container('init-1'), container('init-2')];

describe('admit', () => {
  it.each([
    {
      name: 'app containers only',
      spec: {},
      summary: { hasInitContainers: false, initContainers: [], appContainers: [{ name: 'app' }] },
    },
    {
      name: 'two init containers',
      spec: { initContainers: INITS },
      summary: {
        hasInitContainers: true,
        initContainers: [{ name: 'init-1' }, { name: 'init-2' }],
        appContainers: [{ name: 'app' }],
      },
    },
  ])('summary for the Admit → Sandbox route: $name', async ({ spec, summary }) => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('p', { terminationGracePeriodSeconds: 10, ...spec }));
    expect(await h.step('p', 'admit')).toEqual({
      stage: 'Pending',
      phase: 'Pending',
      deleting: false,
      steps: 1,
      continueAsNew: false,
      graceSeconds: 10 + 5,
      ...summary,
    });
  });

  it('schedules the pod: nodeName, PodScheduled, startTime, a Scheduled event; nothing starts yet', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('p'));
    await h.step('p', 'admit');
    const { pod, engine } = await h.state('p');
    expect(engine).toMatchObject({ scheduled: true, sandboxReady: false, stage: 'Pending' });
    expect(engine.containers.app).toMatchObject({ instance: -1, state: { type: 'waiting' } });
    expect(pod.spec?.nodeName).toBe('podflow-local');
    expect(pod.status?.startTime).toBe('2025-01-01T00:00:00Z');
    expect(await h.condition('p', 'PodScheduled')).toBe('True');
    expect(await h.condition('p', 'PodReadyToStartContainers')).not.toBe('True');
    const [scheduled, ...rest] = await h.events('p');
    expect(rest).toEqual([]);
    expect(scheduled).toMatchObject({
      reason: 'Scheduled',
      type: 'Normal',
      message: 'Successfully assigned default/p to podflow-local',
      source: { component: 'default-scheduler' },
      involvedObject: { kind: 'Pod', name: 'p', uid: uidOf('p') },
    });
    expect(h.runtime.sandboxes).toEqual([]);
    expect(h.runtime.starts).toEqual([]);
  });

  it('a second Admit (a retried Task) changes nothing', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('p'));
    await h.step('p', 'admit');
    const rv = (await h.stored('p')).resourceVersion;
    await h.step('p', 'admit');
    expect((await h.stored('p')).resourceVersion).toBe(rv);
    expect(await h.eventReasons('p')).toEqual(['Scheduled']);
  });

  it('activeDeadlineSeconds arms the deadline timer from the admission instant', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('p', { activeDeadlineSeconds: 60 }));
    h.clock.advance(500);
    await h.step('p', 'admit');
    expect(h.scheduler.calls).toEqual([
      { op: 'schedule', key: keyOf('p'), timerId: ACTIVE_DEADLINE_TIMER_ID, at: MANUAL_CLOCK_START + 60_500 },
    ]);
  });
});

describe('sandbox', () => {
  it.each([
    {
      name: 'without init containers → Running, Initialized, the app container started',
      spec: {},
      stage: 'Running',
      initialized: 'True',
      started: ['app#0'],
    },
    {
      name: 'with init containers → Initializing, the first init container started',
      spec: { initContainers: INITS },
      stage: 'Initializing',
      initialized: 'False',
      started: ['init-1#0'],
    },
  ])('$name', async ({ spec, stage, initialized, started }) => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('p', spec));
    await h.step('p', 'admit');
    const summary = await h.step('p', 'sandbox');
    expect(summary).toMatchObject({ stage, phase: 'Pending', deleting: false });
    expect(h.runtime.sandboxes).toEqual([{ key: keyOf('p'), uid: uidOf('p') }]);
    const state = await h.state('p');
    expect(state.engine.sandboxReady).toBe(true);
    expect(state.pod.status?.podIP).toBe(FAKE_POD_IP);
    expect(await h.condition('p', 'PodReadyToStartContainers')).toBe('True');
    expect(await h.condition('p', 'Initialized')).toBe(initialized);
    expect(h.runtime.startedInstances()).toEqual(started);
  });

  it('hands the runtime the sandbox config: hostname, host network, host ports (generatePodSandboxConfig)', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(
      h.pod('p', {
        hostname: 'front',
        containers: [container('app', { ports: [{ containerPort: 8080, hostPort: 30080 }] })],
      }),
    );
    await h.step('p', 'admit');
    await h.step('p', 'sandbox');
    expect(h.runtime.sandboxConfigs).toEqual([
      {
        hostname: 'front',
        hostNetwork: false,
        portMappings: [
          {
            protocol: 'TCP',
            containerPort: 8080,
            hostPort: 30080,
            fieldPath: 'spec.containers[0].ports[0].hostPort',
          },
        ],
      },
    ]);
  });

  it('launches with the resolved command, env (pod IP included) and limits', async () => {
    const h = new EngineHarness();
    await h.createAndStart(
      h.pod('p', {
        containers: [
          container('app', {
            command: ['echo', '$(GREETING)'],
            args: ['$(POD_IP)'],
            workingDir: '/srv',
            env: [
              { name: 'GREETING', value: 'hello' },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            ],
            resources: { limits: { memory: '64Mi', cpu: '250m' } },
          }),
        ],
      }),
    );
    expect(h.runtime.starts).toEqual([
      {
        key: keyOf('p'),
        podUid: uidOf('p'),
        container: 'app',
        instance: 0,
        image: 'busybox:1.28',
        argv: ['echo', 'hello', FAKE_POD_IP],
        env: [
          { name: 'GREETING', value: 'hello' },
          { name: 'POD_IP', value: FAKE_POD_IP },
        ],
        workingDir: '/srv',
        memoryLimitBytes: 64 * 1024 * 1024,
        cpuLimitMillis: 250,
      },
    ]);
  });

  it('a pod that is gone → summary Gone (the route to Finalize), no sandbox', async () => {
    const h = new EngineHarness();
    const summary = await h.step('p', 'sandbox');
    expect(summary).toMatchObject({ stage: 'Gone', deleting: true, phase: 'Unknown' });
    expect(h.runtime.sandboxes).toEqual([]);
  });
  // The sandbox's own event is observed after everything already waiting in the inbox: a delete (or the active
  // deadline) that came first must keep the containers from starting.
  it.each([
    {
      name: 'a pod deleted before its sandbox is ready starts nothing and is removed',
      spec: {},
      before: (h: EngineHarness) => h.engine.deletePod(keyOf('p')),
      stage: 'Gone',
      phase: undefined,
    },
    {
      name: 'a pod past its active deadline before its sandbox is ready starts nothing and fails',
      spec: { activeDeadlineSeconds: 1 },
      before: async (h: EngineHarness) => {
        h.clock.advance(1000);
        await h.fireTimer('p', ACTIVE_DEADLINE_TIMER_ID);
      },
      stage: 'Finished',
      phase: 'Failed',
    },
  ])('$name', async ({ spec, before, stage, phase }) => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('p', spec));
    await h.step('p', 'admit');
    await before(h);
    const summary = await h.step('p', 'sandbox');
    expect(summary.stage).toBe(stage);
    expect(h.runtime.starts).toEqual([]);
    if (phase) expect(summary.phase).toBe(phase);
    else expect(await h.store.get(keyOf('p'))).toBeUndefined();
  });
});

describe('init containers', () => {
  it('run one at a time: each exit 0 starts the next, the last one starts the app', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { initContainers: INITS }));
    expect(await h.step('p', 'reconcile', { container: 'init-1' })).toMatchObject({ outcome: 'waiting' });

    await h.started('p', 'init-1');
    await h.exited('p', 'init-1', 0, { after: 100 });
    expect(await h.step('p', 'reconcile', { container: 'init-1' })).toMatchObject({
      stage: 'Initializing',
      outcome: 'done',
    });
    expect(h.runtime.startedInstances()).toEqual(['init-1#0', 'init-2#0']);
    expect(await h.step('p', 'reconcile', { container: 'init-2' })).toMatchObject({ outcome: 'waiting' });

    await h.started('p', 'init-2');
    await h.exited('p', 'init-2', 0, { after: 100 });
    expect(await h.step('p', 'reconcile', { container: 'init-2' })).toMatchObject({
      stage: 'Running',
      outcome: 'done',
    });
    expect(h.runtime.startedInstances()).toEqual(['init-1#0', 'init-2#0', 'app#0']);
    expect(await h.condition('p', 'Initialized')).toBe('True');
    expect((await h.status('p', 'init-1')).state?.terminated?.reason).toBe('Completed');
  });

  it('exit 1 under Never → pod Failed, the app never starts, the Map iteration ends (winding)', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { initContainers: INITS, restartPolicy: 'Never' }));
    await h.started('p', 'init-1');
    await h.exited('p', 'init-1', 1, { after: 100 });
    const summary = await h.step('p', 'reconcile', { container: 'init-1' });
    expect(summary).toMatchObject({ phase: 'Failed', stage: 'Finished', outcome: 'winding' });
    expect(h.runtime.startedInstances()).toEqual(['init-1#0']);
    expect(h.scheduler.calls).toEqual([]);
    expect((await h.status('p', 'init-1')).state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('exit 1 under OnFailure → immediate restart, then a back-off timer, then a restart on timerDue', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { initContainers: INITS, restartPolicy: 'OnFailure' }));
    await h.started('p', 'init-1');
    await h.exited('p', 'init-1', 1, { after: 100 });
    // The first crash restarts at once (no back-off entry yet: kuberuntime_manager.go doBackOff).
    expect(await h.step('p', 'reconcile', { container: 'init-1' })).toMatchObject({ outcome: 'waiting' });
    expect(h.runtime.startedInstances()).toEqual(['init-1#0', 'init-1#1']);

    await h.started('p', 'init-1');
    await h.exited('p', 'init-1', 1, { after: 100 });
    const finishedAt = h.clock.now();
    expect(await h.step('p', 'reconcile', { container: 'init-1' })).toMatchObject({
      stage: 'Initializing',
      phase: 'Pending',
      outcome: 'backoff',
    });
    const timerId = restartTimerId('init-1', 2);
    expect(h.scheduler.timer(keyOf('p'), timerId)?.at).toBe(finishedAt + INITIAL_BACKOFF_MS);
    expect((await h.status('p', 'init-1')).state?.waiting?.reason).toBe('CrashLoopBackOff');

    await h.fireTimer('p', timerId);
    expect(await h.step('p', 'reconcile', { container: 'init-1' })).toMatchObject({ outcome: 'waiting' });
    expect(h.runtime.startedInstances()).toEqual(['init-1#0', 'init-1#1', 'init-1#2']);
    expect((await h.status('p', 'init-1')).restartCount).toBe(2);
  });

  it('a timerDue delivered before the back-off is over does not start the container', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { initContainers: INITS, restartPolicy: 'OnFailure' }));
    for (let i = 0; i < 2; i++) {
      await h.started('p', 'init-1');
      await h.exited('p', 'init-1', 1, { after: 100 });
      await h.step('p', 'reconcile', { container: 'init-1' });
    }
    const timerId = restartTimerId('init-1', 2);
    await h.engine.onTimerDue({ key: keyOf('p'), timerId, dueAt: h.clock.now() });
    expect(await h.step('p', 'reconcile', { container: 'init-1' })).toMatchObject({ outcome: 'backoff' });
    expect(h.runtime.startedInstances()).toEqual(['init-1#0', 'init-1#1']);
  });
});

describe('app containers', () => {
  it('StartContainers outcome: waiting until started, done once running', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p'));
    expect(await h.step('p', 'reconcile', { container: 'app' })).toMatchObject({ outcome: 'waiting' });
    await h.started('p', 'app');
    expect(await h.step('p', 'reconcile', { container: 'app' })).toMatchObject({ outcome: 'done' });
    const status = await h.status('p', 'app');
    expect(status).toMatchObject({ ready: true, started: true, restartCount: 0 });
    expect(status.state?.running?.startedAt).toBe('2025-01-01T00:00:00Z');
    expect((await h.state('p')).pod.status?.phase).toBe('Running');
    expect(await h.eventReasons('p')).toEqual(['Scheduled', 'Pulled', 'Created', 'Started']);
  });

  it('app containers start in spec order, each after the previous one started', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { containers: [container('a'), container('b')] }));
    expect(h.runtime.startedInstances()).toEqual(['a#0']);
    await h.started('p', 'a');
    await h.step('p', 'reconcile', { container: 'a' });
    expect(h.runtime.startedInstances()).toEqual(['a#0', 'b#0']);
  });

  it.each([
    { name: 'Always, exit 0 → restarted', policy: 'Always', exitCode: 0, phase: 'Running', restarted: true },
    { name: 'Always, exit 1 → restarted', policy: 'Always', exitCode: 1, phase: 'Running', restarted: true },
    {
      name: 'OnFailure, exit 0 → Succeeded',
      policy: 'OnFailure',
      exitCode: 0,
      phase: 'Succeeded',
      restarted: false,
    },
    {
      name: 'OnFailure, exit 1 → restarted',
      policy: 'OnFailure',
      exitCode: 1,
      phase: 'Running',
      restarted: true,
    },
    { name: 'Never, exit 0 → Succeeded', policy: 'Never', exitCode: 0, phase: 'Succeeded', restarted: false },
    { name: 'Never, exit 1 → Failed', policy: 'Never', exitCode: 1, phase: 'Failed', restarted: false },
  ] as const)('$name', async ({ policy, exitCode, phase, restarted }) => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { restartPolicy: policy }));
    await h.started('p', 'app');
    await h.exited('p', 'app', exitCode, { after: 1000 });
    const summary = await h.step('p', 'reconcile');
    expect(summary.phase).toBe(phase);
    expect(summary.stage).toBe(restarted ? 'Running' : 'Finished');
    expect(h.runtime.startedInstances()).toEqual(restarted ? ['app#0', 'app#1'] : ['app#0']);
  });

  it('a crash loop under Always: immediate, then +10s, +20s, +40s; restartCount and CrashLoopBackOff', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p'));
    const delays: number[] = [];
    for (let crash = 0; crash < 4; crash++) {
      await h.started('p', 'app', { after: 10 });
      await h.exited('p', 'app', 1, { after: 100 });
      const finishedAt = h.clock.now();
      await h.step('p', 'reconcile');
      const rec = (await h.state('p')).engine.containers.app!;
      if (rec.state.type === 'starting') {
        delays.push(0);
        continue;
      }
      const timerId = restartTimerId('app', rec.instance + 1);
      const timer = h.scheduler.timer(keyOf('p'), timerId);
      expect(timer).toBeDefined();
      delays.push(timer!.at - finishedAt);
      const waiting = await h.status('p', 'app');
      expect(waiting.state?.waiting).toEqual({
        reason: 'CrashLoopBackOff',
        message: `back-off ${delays.at(-1)! / 1000}s restarting failed container=app pod=p_default(uid-p)`,
      });
      expect(waiting.restartCount).toBe(rec.instance);
      expect(waiting.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
      await h.fireTimer('p', timerId);
      await h.step('p', 'reconcile');
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000]);
    expect(h.runtime.startedInstances()).toEqual(['app#0', 'app#1', 'app#2', 'app#3', 'app#4']);
    expect((await h.status('p', 'app')).restartCount).toBe(4);
    expect(await h.eventReasons('p')).toContain('BackOff');
  });

  it('a back-off annotation scales the curve', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', {}, { annotations: { 'podflow.io/crash-backoff-initial': '500ms' } }));
    for (let crash = 0; crash < 2; crash++) {
      await h.started('p', 'app');
      await h.exited('p', 'app', 1, { after: 100 });
      await h.step('p', 'reconcile');
    }
    expect(h.scheduler.timer(keyOf('p'), restartTimerId('app', 2))?.at).toBe(h.clock.now() + 500);
  });

  it.each([
    {
      name: 'the same exit delivered twice (same id, consumed in between) → one restart',
      replay: async (h: EngineHarness) => {
        await h.exited('p', 'app', 1, { instance: 0 });
      },
    },
    {
      name: 'an exit about an older instance → ignored',
      replay: async (h: EngineHarness) => {
        await h.engine.onObservation({
          type: 'exited',
          ref: { key: keyOf('p'), podUid: uidOf('p'), container: 'app', instance: 0 },
          exitCode: 2,
          oomKilled: false,
          startedAt: h.clock.now(),
          finishedAt: h.clock.now() + 1,
        });
      },
    },
    {
      name: 'a start about an older instance → ignored',
      replay: async (h: EngineHarness) => {
        await h.started('p', 'app', { instance: 0, after: 5 });
      },
    },
  ])('$name', async ({ replay }) => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p'));
    await h.started('p', 'app');
    await h.exited('p', 'app', 1, { after: 100 });
    await h.step('p', 'reconcile');
    await h.started('p', 'app', { after: 10 });
    await h.step('p', 'reconcile');
    const before = await h.state('p');
    expect(before.engine.containers.app).toMatchObject({ instance: 1, state: { type: 'running' } });

    await replay(h);
    await h.step('p', 'reconcile');

    const after = await h.state('p');
    expect(after.engine.containers.app).toEqual(before.engine.containers.app);
    expect(after.pod.status?.containerStatuses).toEqual(before.pod.status?.containerStatuses);
    expect(h.runtime.startedInstances()).toEqual(['app#0', 'app#1']);
    expect((await h.stored('p')).inbox).toEqual([]);
  });

  const missingConfigMap = container('app', {
    env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }],
  });

  it('a start that cannot be configured (missing ConfigMap) is reported, never launched, and retried', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { containers: [missingConfigMap] }));
    expect(h.runtime.starts).toEqual([]);
    expect((await h.stored('p')).inbox).toMatchObject([
      {
        id: expect.stringMatching(/^uid-p\/app\/0\/startFailed\//),
        type: 'containerStartFailed',
        container: 'app',
        instance: 0,
        reason: 'CreateContainerConfigError',
        message: 'configmap "cfg" not found',
      },
    ]);
    await h.step('p', 'reconcile');
    expect(h.runtime.starts).toEqual([]);
    // Nothing was created: no restart counted, no lastState, retried after the pod worker's back-off period.
    const status = await h.status('p', 'app');
    expect(status.state?.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'configmap "cfg" not found',
    });
    expect(status.restartCount).toBe(0);
    expect(status.lastState).toEqual({});
    expect(h.scheduler.timer(keyOf('p'), restartTimerId('app', 0))?.at).toBe(
      h.clock.now() + DEFAULT_ENGINE_SETTINGS.configErrorRetryMs,
    );
    expect(await h.eventReasons('p')).toEqual(['Scheduled', 'Failed']);
  });

  it('a config error under Never leaves the container waiting CreateContainerConfigError, the pod Pending', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { restartPolicy: 'Never', containers: [missingConfigMap] }));
    await h.step('p', 'reconcile');
    expect((await h.status('p', 'app')).state?.waiting?.reason).toBe('CreateContainerConfigError');
    expect((await h.state('p')).pod.status?.phase).toBe('Pending');
  });

  it('the ConfigMap supplied through the port: the next retry starts the container', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { restartPolicy: 'Never', containers: [missingConfigMap] }));
    await h.step('p', 'reconcile');
    h.fakes.configs.setConfigMap('default', 'cfg', { x: 'value' });
    await h.fireTimer('p', restartTimerId('app', 0));
    await h.step('p', 'reconcile');
    expect(h.runtime.starts).toMatchObject([
      { container: 'app', instance: 0, env: expect.arrayContaining([{ name: 'X', value: 'value' }]) },
    ]);
  });

  it('postStart: the hook runs on start; the container counts as started only when it is done', async () => {
    const h = new EngineHarness();
    await h.createAndStart(
      h.pod('p', {
        terminationGracePeriodSeconds: 12,
        containers: [
          container('app', {
            lifecycle: { postStart: { exec: { command: ['touch', '/tmp/ready'] } } },
            readinessProbe: { exec: { command: ['true'] } },
          }),
        ],
      }),
    );
    await h.started('p', 'app');
    expect(await h.step('p', 'reconcile', { container: 'app' })).toMatchObject({ outcome: 'waiting' });
    // No timeout: a postStart hook is waited for however long it runs (lifecycle/handlers.go).
    expect(h.hooks.described()).toEqual(['postStart app#0']);
    expect(h.hooks.runs[0]).toMatchObject({
      handler: { exec: { command: ['touch', '/tmp/ready'] } },
      podDescription: 'Container "app" in Pod "p_default(uid-p)"',
      podIP: FAKE_POD_IP,
    });
    expect(h.prober.starts).toEqual([]);

    await h.store.deliver(keyOf('p'), {
      id: 'uid-p/app/0/postStartDone',
      at: h.clock.now(),
      type: 'postStartDone',
      container: 'app',
      instance: 0,
    });
    expect(await h.step('p', 'reconcile', { container: 'app' })).toMatchObject({ outcome: 'done' });
    expect(h.prober.starts).toEqual([
      { ref: { key: keyOf('p'), podUid: uidOf('p'), container: 'app', instance: 0 }, probes: ['readiness'] },
    ]);
  });

  it('probes start on start and stop on exit', async () => {
    const h = new EngineHarness();
    await h.createAndStart(
      h.pod('p', {
        restartPolicy: 'Never',
        containers: [
          container('app', {
            livenessProbe: { exec: { command: ['true'] } },
            readinessProbe: { exec: { command: ['true'] } },
          }),
        ],
      }),
    );
    await h.started('p', 'app');
    await h.step('p', 'reconcile');
    await h.exited('p', 'app', 0, { after: 50 });
    await h.step('p', 'reconcile');
    const probeCalls = (calls: typeof h.prober.starts) =>
      calls.map((c) => `${c.ref.container}#${c.ref.instance} ${c.probes.join(',')}`);
    expect(probeCalls(h.prober.starts)).toEqual(['app#0 readiness,liveness']);
    expect(probeCalls(h.prober.stops)).toEqual(['app#0 readiness,liveness']);
  });
});

describe('deletion and termination', () => {
  async function running(h: EngineHarness, spec: Parameters<EngineHarness['pod']>[1] = {}) {
    await h.createAndStart(h.pod('p', { terminationGracePeriodSeconds: 30, ...spec }));
    await h.started('p', 'app');
    await h.step('p', 'reconcile');
  }

  it('delete with a grace: deletionTimestamp = now + grace, the app stopped with that grace', async () => {
    const h = new EngineHarness();
    await running(h);
    h.clock.advance(2000);
    await h.engine.deletePod(keyOf('p'), 10);
    const summary = await h.step('p', 'reconcile');
    expect(summary).toMatchObject({ stage: 'Terminating', deleting: true, graceSeconds: 10 + 5 });
    const { pod, engine } = await h.state('p');
    expect(pod.metadata?.deletionTimestamp).toBe('2025-01-01T00:00:12Z');
    expect(pod.metadata?.deletionGracePeriodSeconds).toBe(10);
    expect(engine.containers.app?.killing).toMatchObject({ reason: 'Delete', graceSeconds: 10 });
    expect(h.runtime.stoppedInstances()).toEqual(['app#0 grace=10']);
    expect(await h.eventReasons('p')).toContain('Killing');
  });

  it.each([
    { name: 'no grace given → the pod’s terminationGracePeriodSeconds', grace: undefined, stop: 30 },
    { name: 'grace 0 → still the 2 s minimum stop window', grace: 0, stop: 2 },
  ])('$name', async ({ grace, stop }) => {
    const h = new EngineHarness();
    await running(h);
    await h.engine.deletePod(keyOf('p'), grace);
    await h.step('p', 'reconcile');
    expect(h.runtime.stoppedInstances()).toEqual([`app#0 grace=${stop}`]);
  });

  it('preStop: the hook runs with the grace, the stop follows its completion with the grace left', async () => {
    const h = new EngineHarness();
    await running(h, {
      containers: [container('app', { lifecycle: { preStop: { exec: { command: ['drain'] } } } })],
    });
    await h.engine.deletePod(keyOf('p'), 10);
    await h.step('p', 'reconcile');
    expect(h.hooks.described()).toEqual(['preStop app#0 timeout=10']);
    expect(h.runtime.stops).toEqual([]);
    h.clock.advance(4000);
    await h.store.deliver(keyOf('p'), {
      id: 'uid-p/app/0/preStopDone',
      at: h.clock.now(),
      type: 'preStopDone',
      container: 'app',
      instance: 0,
    });
    await h.step('p', 'reconcile');
    expect(h.runtime.stoppedInstances()).toEqual(['app#0 grace=6']);
  });

  it('after the exits: terminal phase, sandbox removed, object removed, summary Gone', async () => {
    const h = new EngineHarness();
    await running(h);
    await h.engine.deletePod(keyOf('p'), 10);
    await h.step('p', 'reconcile');
    await h.exited('p', 'app', 143, { after: 300 });
    const summary = await h.step('p', 'reconcile');
    expect(summary).toMatchObject({ stage: 'Gone', deleting: true });
    expect(await h.store.get(keyOf('p'))).toBeUndefined();
    expect(h.runtime.removedSandboxes).toEqual([{ key: keyOf('p'), uid: uidOf('p') }]);
  });

  it('the last committed state before removal is terminal (what a watch sees as the final pod)', async () => {
    const changes: StoreChange[] = [];
    const h = new EngineHarness({
      wrapStore: (store) => {
        const observable = new ObservablePodStore(store);
        observable.subscribe((c) => changes.push(c));
        return observable;
      },
    });
    await h.createAndStart(h.pod('p', { restartPolicy: 'Never' }));
    await h.started('p', 'app');
    await h.step('p', 'reconcile');
    await h.engine.deletePod(keyOf('p'), 10);
    await h.step('p', 'reconcile');
    await h.exited('p', 'app', 143, { after: 300 });
    await h.step('p', 'reconcile');
    const podChanges = changes.filter((c) => c.type !== 'event');
    expect(podChanges.at(-1)).toEqual({
      type: 'removed',
      key: keyOf('p'),
      resourceVersion: expect.stringMatching(/^\d+$/),
    });
    const last = podChanges.at(-2);
    expect(last?.type).toBe('updated');
    const final = last?.type === 'updated' ? last.pod.state : undefined;
    expect(final?.pod.status?.phase).toBe('Failed');
    expect(final?.engine.stage).toBe('Finished');
    expect(final?.pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 143,
      reason: 'Error',
    });
  });

  it.each([
    { name: 'before the grace and margin run out → no SIGKILL', after: 30_000 + 5_000, kills: [] },
    {
      name: 'past the grace and margin → SIGKILL (grace 0)',
      after: 30_000 + 5_001,
      kills: ['app#0 grace=0'],
    },
  ])('forceKill $name', async ({ after, kills }) => {
    const h = new EngineHarness();
    await running(h);
    await h.engine.deletePod(keyOf('p'));
    await h.step('p', 'reconcile');
    h.runtime.stops.length = 0;
    h.clock.advance(after);
    const summary = await h.step('p', 'forceKill');
    expect(summary).toMatchObject({ stage: 'Terminating', deleting: true, graceSeconds: 0 + 5 });
    expect(h.runtime.stoppedInstances()).toEqual(kills);
  });

  it('a shorter grace in a second delete re-stops with it; a longer one is ignored', async () => {
    const h = new EngineHarness();
    await running(h);
    await h.engine.deletePod(keyOf('p'), 20);
    await h.step('p', 'reconcile');
    h.clock.advance(1);
    await h.engine.deletePod(keyOf('p'), 60);
    await h.step('p', 'reconcile');
    h.clock.advance(1);
    await h.engine.deletePod(keyOf('p'), 3);
    await h.step('p', 'reconcile');
    expect(h.runtime.stoppedInstances()).toEqual(['app#0 grace=20', 'app#0 grace=3']);
    expect((await h.state('p')).pod.metadata?.deletionGracePeriodSeconds).toBe(3);
  });

  it('a pending back-off timer is cancelled when the pod is deleted', async () => {
    const h = new EngineHarness();
    await running(h);
    for (let crash = 0; crash < 2; crash++) {
      await h.exited('p', 'app', 1, { after: 100 });
      await h.step('p', 'reconcile');
      if (crash === 0) await h.started('p', 'app');
    }
    const timerId = restartTimerId('app', 2);
    expect(h.scheduler.timer(keyOf('p'), timerId)).toBeDefined();
    await h.engine.deletePod(keyOf('p'));
    const summary = await h.step('p', 'reconcile');
    expect(h.scheduler.timer(keyOf('p'), timerId)).toBeUndefined();
    expect(summary.stage).toBe('Gone');
  });

  /** A pod deleted and terminated whose removal from the store failed (a store error, or a worker that died). */
  async function finishedButNotRemoved(): Promise<EngineHarness> {
    let failRemove = true;
    const h = new EngineHarness({
      wrapStore: (store) =>
        new InterceptingPodStore(store, {
          beforeRemove: () => {
            if (failRemove) {
              failRemove = false;
              throw new Error('store unavailable');
            }
          },
        }),
    });
    await running(h);
    await h.engine.deletePod(keyOf('p'), 10);
    await h.step('p', 'reconcile');
    await h.exited('p', 'app', 143, { after: 300 });
    expect((await h.step('p', 'reconcile')).stage).toBe('Gone');
    expect(h.fakes.errors.map((e) => e.context)).toEqual(['default/p: deletePod']);
    const left = await h.state('p');
    expect(left.engine).toMatchObject({ stage: 'Finished', deletion: { graceSeconds: 10 } });
    return h;
  }

  it('a removal that failed is carried out by Finalize', async () => {
    const h = await finishedButNotRemoved();
    const summary = await h.step('p', 'finalize');
    expect(summary.stage).toBe('Gone');
    expect(await h.store.get(keyOf('p'))).toBeUndefined();
  });

  it('a removal that never happened is carried out when the engine resumes its pods', async () => {
    const h = await finishedButNotRemoved();
    h.workflow.executions.length = 0;
    expect(await h.engine.resumeAll()).toBe(1);
    const summary = await h.step('p', 'resume', h.workflow.executions[0]!.input);
    expect(summary.stage).toBe('Gone');
    expect(await h.store.get(keyOf('p'))).toBeUndefined();
  });
});

describe('continue-as-new bookkeeping', () => {
  it.each([
    { name: 'a pod-level reconcile counts a step', extra: { steps: 4 }, steps: 5, continueAsNew: false },
    {
      name: 'a per-container reconcile counts one too (a Map iteration grows the history)',
      extra: { steps: 4, container: 'app' },
      steps: 5,
      continueAsNew: false,
    },
    {
      name: 'reaching maxStepsPerExecution asks for continue-as-new',
      extra: { steps: 9 },
      steps: 10,
      continueAsNew: true,
    },
    {
      name: 'inside a container Map as well',
      extra: { steps: 9, container: 'app' },
      steps: 10,
      continueAsNew: true,
    },
  ])('$name', async ({ extra, steps, continueAsNew }) => {
    const h = new EngineHarness({ settings: { maxStepsPerExecution: 10 } });
    await h.createAndStart(h.pod('p'));
    expect(await h.step('p', 'reconcile', extra)).toMatchObject({ steps, continueAsNew });
  });

  it.each([
    { name: 'a young execution goes on', ageMs: 1000 - 1, continueAsNew: false },
    { name: 'an execution at maxExecutionAgeMs continues as new', ageMs: 1000, continueAsNew: true },
  ])('$name', async ({ ageMs, continueAsNew }) => {
    const h = new EngineHarness({ settings: { maxExecutionAgeMs: 1000 } });
    await h.createAndStart(h.pod('p'));
    const startedAt = new Date(h.clock.now() - ageMs).toISOString();
    expect(await h.step('p', 'reconcile', { steps: 1, startedAt })).toMatchObject({
      steps: 2,
      continueAsNew,
    });
  });

  it('continueAsNew starts the next execution (seq + 1, resuming) and reports the pod', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p'));
    h.workflow.executions.length = 0;
    const summary = await h.step('p', 'continueAsNew', { seq: 3, steps: 1000 });
    expect(summary).toMatchObject({ stage: 'Running', steps: 1001 });
    expect(h.workflow.executions).toEqual([
      { name: 'uid-p-4', input: { pod: { ...keyOf('p'), uid: uidOf('p') }, seq: 4, resume: true } },
    ]);
  });

  it.each([
    { name: 'an empty inbox → the worker just ends', pending: false, successors: [] },
    {
      name: 'an event that arrived after the last reconcile → a successor',
      pending: true,
      successors: ['uid-p-1'],
    },
  ])('finalize: $name', async ({ pending, successors }) => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { restartPolicy: 'Never' }));
    await h.started('p', 'app');
    await h.exited('p', 'app', 0);
    await h.step('p', 'reconcile');
    if (pending)
      await h.store.deliver(keyOf('p'), { id: 'late', at: h.clock.now(), type: 'deleteRequested' });
    h.workflow.executions.length = 0;
    const summary = await h.step('p', 'finalize');
    expect(summary.stage).toBe('Finished');
    expect(h.workflow.executions.map((e) => e.name)).toEqual(successors);
  });
});

describe('commit', () => {
  it('a conflicting write is re-read and re-applied; the actions run once', async () => {
    let conflicts = 1;
    const h = new EngineHarness({
      wrapStore: (store) =>
        new InterceptingPodStore(store, {
          beforeUpdate: (_key, state) => {
            if (state.engine.sandboxReady && conflicts > 0) {
              conflicts--;
              throw new ConflictError('concurrent write');
            }
          },
        }),
    });
    const summary = await h.createAndStart(h.pod('p'));
    expect(conflicts).toBe(0);
    expect(summary.stage).toBe('Running');
    expect(h.runtime.startedInstances()).toEqual(['app#0']);
    expect(h.fakes.errors).toEqual([]);
  });

  it('a write that keeps conflicting gives up with an error naming the pod', async () => {
    const h = new EngineHarness({
      wrapStore: (store) =>
        new InterceptingPodStore(store, {
          beforeUpdate: (_key, state) => {
            if (state.engine.sandboxReady) throw new ConflictError('concurrent write');
          },
        }),
    });
    await h.engine.createPod(h.pod('p'));
    await h.step('p', 'admit');
    await expect(h.step('p', 'sandbox')).rejects.toThrow(
      /^pod default\/p: gave up after \d+ conflicting writes$/,
    );
    expect(h.runtime.starts).toEqual([]);
  });
});

// The Resume step: a worker started for a pod whose previous worker ended or was lost (engine restart,
// continue-as-new, an event for a finished pod). It re-issues the idempotent actions the stored state implies,
// applies what is pending, and its summary's stage is what ResumeRoute branches on:
// Pending → Sandbox, Initializing → InitContainers, Running → Supervise, Terminating → TerminateReconcile,
// Finished / Gone → Finalize.
/** Clears what the ports recorded so far: only the Resume step's own calls remain. */
function forget(h: EngineHarness): void {
  h.runtime.starts.length = 0;
  h.runtime.stops.length = 0;
  h.scheduler.calls.length = 0;
  h.prober.starts.length = 0;
  h.hooks.runs.length = 0;
  h.workflow.executions.length = 0;
}

interface ResumeCase {
  name: string;
  /** Brings pod `p` into the stage under test. */
  setup: (h: EngineHarness) => Promise<void>;
  stage: string;
  /** What the Resume step asked of the ports, summarized. */
  starts?: string[];
  stops?: string[];
  timers?: string[];
  hooks?: string[];
  probes?: string[];
}

const cases: ResumeCase[] = [
  {
    name: 'stored but never admitted → admitted now, Pending (→ Sandbox)',
    setup: async (h) => {
      await h.store.create(newPodState(h.pod('p')));
    },
    stage: 'Pending',
  },
  {
    name: 'admitted, no sandbox yet → Pending (→ Sandbox)',
    setup: async (h) => {
      await h.engine.createPod(h.pod('p'));
      await h.step('p', 'admit');
    },
    stage: 'Pending',
  },
  {
    name: 'an init container being started → its start re-issued, Initializing (→ InitContainers)',
    setup: async (h) => {
      await h.createAndStart(h.pod('p', { initContainers: [container('init')] }));
    },
    stage: 'Initializing',
    starts: ['init#0'],
  },
  {
    name: 'app running with probes → probes restarted, Running (→ Supervise)',
    setup: async (h) => {
      await h.createAndStart(
        h.pod('p', { containers: [container('app', { livenessProbe: { exec: { command: ['true'] } } })] }),
      );
      await h.started('p', 'app');
      await h.step('p', 'reconcile');
    },
    stage: 'Running',
    probes: ['app#0 liveness'],
  },
  {
    name: 'app running, postStart not done → hook re-run, Running',
    setup: async (h) => {
      await h.createAndStart(
        h.pod('p', {
          terminationGracePeriodSeconds: 8,
          containers: [container('app', { lifecycle: { postStart: { exec: { command: ['true'] } } } })],
        }),
      );
      await h.started('p', 'app');
      await h.step('p', 'reconcile');
    },
    stage: 'Running',
    hooks: ['postStart app#0'],
  },
  {
    name: 'app in crash back-off → its timer re-armed at the same instant, Running',
    setup: async (h) => {
      await h.createAndStart(h.pod('p'));
      for (let crash = 0; crash < 2; crash++) {
        await h.started('p', 'app');
        await h.exited('p', 'app', 1, { after: 100 });
        await h.step('p', 'reconcile');
      }
    },
    stage: 'Running',
    timers: [`${restartTimerId('app', 2)} +10000`],
  },
  {
    name: 'being deleted → the stop re-issued with the grace left, Terminating (→ TerminateReconcile)',
    setup: async (h) => {
      await h.createAndStart(h.pod('p'));
      await h.started('p', 'app');
      await h.step('p', 'reconcile');
      await h.engine.deletePod(keyOf('p'), 20);
      await h.step('p', 'reconcile');
      h.clock.advance(5500);
    },
    stage: 'Terminating',
    stops: ['app#0 grace=15'],
  },
  {
    name: 'Succeeded → Finished (→ Finalize)',
    setup: async (h) => {
      await h.createAndStart(h.pod('p', { restartPolicy: 'Never' }));
      await h.started('p', 'app');
      await h.exited('p', 'app', 0);
      await h.step('p', 'reconcile');
    },
    stage: 'Finished',
  },
  {
    name: 'no longer stored → Gone (→ Finalize)',
    setup: async () => {},
    stage: 'Gone',
  },
];

describe('resume', () => {
  it.each(cases)(
    '$name',
    async ({ setup, stage, starts = [], stops = [], timers = [], hooks = [], probes = [] }) => {
      const h = new EngineHarness();
      await setup(h);
      forget(h);
      const now = h.clock.now();

      const summary = await h.step('p', 'resume', { resume: true, seq: 1 });

      expect(summary.stage).toBe(stage);
      expect(h.runtime.startedInstances()).toEqual(starts);
      expect(h.runtime.stoppedInstances()).toEqual(stops);
      expect(
        h.scheduler.calls.map((c) => (c.op === 'schedule' ? `${c.timerId} +${c.at - now}` : c.timerId)),
      ).toEqual(timers);
      expect(h.hooks.described()).toEqual(hooks);
      expect(
        h.prober.starts.map((p) => `${p.ref.container}#${p.ref.instance} ${p.probes.join(',')}`),
      ).toEqual(probes);
    },
  );

  it('a pod stored but never admitted gets admitted once (PodScheduled, Scheduled event)', async () => {
    const h = new EngineHarness();
    await h.store.create(newPodState(h.pod('p')));
    await h.step('p', 'resume', { resume: true });
    await h.step('p', 'resume', { resume: true });
    expect((await h.state('p')).engine.scheduled).toBe(true);
    expect(await h.condition('p', 'PodScheduled')).toBe('True');
    expect(await h.eventReasons('p')).toEqual(['Scheduled']);
  });

  it('applies what arrived while no worker ran: an exit → the restart', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p'));
    await h.started('p', 'app');
    await h.step('p', 'reconcile');
    await h.exited('p', 'app', 1, { after: 1000 });
    forget(h);
    const summary = await h.step('p', 'resume', { resume: true });
    expect(summary.stage).toBe('Running');
    expect(h.runtime.startedInstances()).toEqual(['app#1']);
    expect((await h.stored('p')).inbox).toEqual([]);
  });

  it('a delete of a finished pod: the resumed worker removes it', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { restartPolicy: 'Never' }));
    await h.started('p', 'app');
    await h.exited('p', 'app', 0);
    await h.step('p', 'reconcile');
    await h.engine.deletePod(keyOf('p'));
    const [execution] = h.workflow.executions.slice(-1);
    expect(execution?.input.resume).toBe(true);
    const summary = await h.step('p', 'resume', execution!.input);
    expect(summary.stage).toBe('Gone');
    expect(await h.store.get(keyOf('p'))).toBeUndefined();
  });
});

// executeActions: each action goes to its port; a failing one is reported through onError and the rest still run
// (one stuck container must not stop a pod's termination).
async function runningPod(h: EngineHarness, spec: Parameters<EngineHarness['pod']>[1] = {}) {
  await h.createAndStart(h.pod('p', spec));
  await h.started('p', 'app');
  await h.step('p', 'reconcile');
  h.runtime.starts.length = 0;
  return h.state('p');
}

const ref = { key: keyOf('p'), podUid: uidOf('p'), container: 'app', instance: 0 };

describe('executeActions', () => {
  it.each([
    {
      name: 'the runtime refuses the stop → reported, the timer and the event still happen',
      fail: 'stop' as const,
      actions: [
        { type: 'stopContainer', container: 'app', instance: 0, graceSeconds: 5 },
        { type: 'scheduleTimer', timerId: 't1', at: 42 },
        { type: 'recordEvent', eventType: 'Warning', reason: 'Oops', message: 'after the failure' },
      ] satisfies Action[],
      context: 'default/p: stopContainer',
    },
    {
      name: 'the runtime refuses the start → reported, the stop of another instance still happens',
      fail: 'start' as const,
      actions: [
        { type: 'startContainer', container: 'app', instance: 1 },
        { type: 'stopContainer', container: 'app', instance: 0, graceSeconds: 5 },
        { type: 'scheduleTimer', timerId: 't1', at: 42 },
        { type: 'recordEvent', eventType: 'Warning', reason: 'Oops', message: 'after the failure' },
      ] satisfies Action[],
      context: 'default/p: startContainer',
    },
  ])('$name', async ({ fail, actions, context }) => {
    const h = new EngineHarness();
    const state = await runningPod(h);
    const boom = new Error(`${fail} failed`);
    h.runtime.failWith(fail, boom);

    await executeActions(h.fakes.deps, keyOf('p'), state, actions, 'batch-1');

    expect(h.fakes.errors).toEqual([{ err: boom, context }]);
    expect(h.scheduler.calls).toEqual([{ op: 'schedule', key: keyOf('p'), timerId: 't1', at: 42 }]);
    expect((await h.events('p')).map((e) => e.reason)).toContain('Oops');
    if (fail === 'start') expect(h.runtime.stops).toEqual([{ ref, graceSeconds: 5 }]);
  });

  it('every action type reaches its port', async () => {
    const h = new EngineHarness();
    const state = await runningPod(h, {
      containers: [container('app', { lifecycle: { preStop: { exec: { command: ['drain'] } } } })],
    });
    const actions: Action[] = [
      { type: 'startContainer', container: 'app', instance: 1 },
      { type: 'stopContainer', container: 'app', instance: 0, graceSeconds: 3 },
      { type: 'runHook', hook: 'preStop', container: 'app', instance: 0, timeoutSeconds: 9 },
      { type: 'startProbes', container: 'app', instance: 0, probes: ['readiness'] },
      { type: 'stopProbes', container: 'app', instance: 0, probes: ['liveness'] },
      { type: 'scheduleTimer', timerId: 't', at: 7 },
      { type: 'cancelTimer', timerId: 't' },
      {
        type: 'recordEvent',
        eventType: 'Normal',
        reason: 'Pulled',
        message: 'pulled',
        fieldPath: 'spec.containers{app}',
      },
      { type: 'removeSandbox' },
      { type: 'deletePod' },
    ];
    await executeActions(h.fakes.deps, keyOf('p'), state, actions, 'batch-1');

    expect(h.fakes.errors).toEqual([]);
    expect(h.runtime.startedInstances()).toEqual(['app#1']);
    expect(h.runtime.stops).toEqual([{ ref, graceSeconds: 3 }]);
    expect(h.hooks.runs).toEqual([
      {
        ref,
        hook: 'preStop',
        handler: { exec: { command: ['drain'] } },
        container: state.pod.spec.containers[0],
        timeoutSeconds: 9,
        podDescription: 'Container "app" in Pod "p_default(uid-p)"',
        podIP: state.engine.podIP,
      },
    ]);
    expect(h.prober.starts).toEqual([{ ref, probes: ['readiness'] }]);
    expect(h.prober.stops).toEqual([{ ref, probes: ['liveness'] }]);
    expect(h.scheduler.calls.map((c) => c.op)).toEqual(['schedule', 'cancel']);
    const pulled = (await h.events('p')).find((e) => e.reason === 'Pulled');
    expect(pulled).toMatchObject({
      involvedObject: { kind: 'Pod', name: 'p', uid: uidOf('p'), fieldPath: 'spec.containers{app}' },
      source: { component: 'kubelet', host: 'podflow-local' },
    });
    expect(h.runtime.removedSandboxes).toEqual([{ key: keyOf('p'), uid: uidOf('p') }]);
    expect(await h.store.get(keyOf('p'))).toBeUndefined();
  });

  it('a hook the container does not define is not run', async () => {
    const h = new EngineHarness();
    const state = await runningPod(h);
    await executeActions(
      h.fakes.deps,
      keyOf('p'),
      state,
      [{ type: 'runHook', hook: 'preStop', container: 'app', instance: 0, timeoutSeconds: 9 }],
      'batch-1',
    );
    expect(h.hooks.runs).toEqual([]);
    expect(h.fakes.errors).toEqual([]);
  });

  it('a container without command gets an empty argv (the runtime says what to add)', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('p', { containers: [{ name: 'app', image: 'nginx' }] }));
    expect(h.runtime.starts).toMatchObject([{ container: 'app', image: 'nginx', argv: [] }]);
  });

  it('without onError a failing action is swallowed and the rest still run', async () => {
    const h = new EngineHarness();
    const state = await runningPod(h);
    h.runtime.failWith('stop', new Error('stop failed'));
    const { onError: _onError, ...deps } = h.fakes.deps;
    await executeActions(
      deps,
      keyOf('p'),
      state,
      [
        { type: 'stopContainer', container: 'app', instance: 0, graceSeconds: 5 },
        { type: 'scheduleTimer', timerId: 't1', at: 42 },
      ],
      'batch-1',
    );
    expect(h.scheduler.calls).toHaveLength(1);
  });
});
