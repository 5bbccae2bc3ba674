// The engine's use cases outside the worker steps (create, update, delete, status patches, observations, timers,
// resumeAll) and the pieces they deliver through: the inbox protocol (deliver-event.ts), ObservablePodStore and
// InProcessHookRunner. All on the memory store and the fake ports (test/support/engine-fakes.ts).
// test/engine has two files, not one per source file: each test file runs in a forked worker whose start and
// imports cost more than all of its tests, and the folder is meant to run in well under 2 s.
import type { LifecycleHandler, Namespace, Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
import { formatManifestFieldError } from '../../src/core/manifest/manifest-field-errors.ts';
import type { PodEvent } from '../../src/core/pod-events.ts';
import { newPodState, restartTimerId } from '../../src/core/reconcile.ts';
import { deliverOverdueTimers } from '../../src/engine/worker-recovery.ts';
import { deliverEvent } from '../../src/engine/deliver-event.ts';
import { InProcessHookRunner } from '../../src/engine/in-process-hook-runner.ts';
import { ObservablePodStore, type StoreChange } from '../../src/engine/observable-pod-store.ts';
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from '../../src/ports/errors.ts';
import type { HookRequest } from '../../src/ports/hook-runner.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import { FakeContainerRuntime } from '../support/engine-fakes.ts';
import { EngineHarness, container, keyOf, uidOf } from '../support/engine-harness.ts';
import { ManualClock, MANUAL_CLOCK_START } from '../support/manual-clock.ts';
import { opaqueEvent } from '../contract/pod-store.contract.ts';

describe('createPod', () => {
  it('stores the pod with its uid, a resourceVersion and creationTimestamp, unadmitted', async () => {
    const h = new EngineHarness();
    const stored = await h.engine.createPod(h.pod('web'));
    expect(stored.key).toEqual(keyOf('web'));
    expect(stored.resourceVersion).toMatch(/^\d+$/);
    const read = await h.stored('web');
    expect(read.resourceVersion).toBe(stored.resourceVersion);
    expect(read.state.pod.metadata).toMatchObject({
      uid: uidOf('web'),
      resourceVersion: stored.resourceVersion,
      creationTimestamp: '2025-01-01T00:00:00Z',
    });
    expect(read.state.pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(read.state.engine).toMatchObject({ stage: 'Pending', scheduled: false, containers: {} });
    expect(read.inbox).toEqual([]);
  });

  it('starts the pod worker named after the uid, sequence 0, not resuming', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('web'));
    expect(h.workflow.executions).toEqual([
      { name: 'uid-web-0', input: { pod: { namespace: 'default', name: 'web', uid: 'uid-web' }, seq: 0 } },
    ]);
  });

  it('refuses a second pod of the same name with AlreadyExistsError and starts no second worker', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('web'));
    await expect(h.engine.createPod(h.pod('web'))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(h.workflow.executions).toHaveLength(1);
  });

  it('what the runtime cannot give the pod’s sandbox is an InvalidError with its field errors; nothing stored', async () => {
    const h = new EngineHarness();
    h.runtime.admitErrors = [
      {
        type: 'FieldValueForbidden',
        field: 'spec.containers[0].ports[0].hostPort',
        detail: 'host port 8080/TCP is already allocated to pod default/other',
      },
    ];
    const err = await h.engine.createPod(h.pod('web')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).message).toBe(
      'Pod "web" is invalid: spec.containers[0].ports[0].hostPort: Forbidden: host port 8080/TCP is already allocated to pod default/other',
    );
    expect(await h.store.get(keyOf('web'))).toBeUndefined();
    expect(h.workflow.executions).toEqual([]);
  });
});

// Static pods (core/static-pods.ts): served as their mirror, whose identity a delete through the API replaces.
describe('mirror pods', () => {
  it('createPod with a mirror uid keeps it beside the pod’s own uid', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('web'), { mirrorUid: 'mirror-1' });
    const read = await h.stored('web');
    expect(read.state.pod.metadata.uid).toBe(uidOf('web'));
    expect(read.state.engine.mirror).toEqual({ uid: 'mirror-1', creationTimestamp: '2025-01-01T00:00:00Z' });
  });

  it('replaceMirrorPod gives the mirror a new uid and creation time, conditionally; nothing reaches the worker', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('web'), { mirrorUid: 'mirror-1' });
    h.clock.advance(5000);
    await h.engine.replaceMirrorPod(keyOf('web'), 'mirror-1', 'mirror-2');
    const read = await h.stored('web');
    expect(read.state.engine.mirror).toEqual({ uid: 'mirror-2', creationTimestamp: '2025-01-01T00:00:05Z' });
    expect(read.state.pod.metadata.uid).toBe(uidOf('web'));
    expect(read.inbox).toEqual([]);
    // A second delete of the mirror already replaced: its deletion has happened, nothing more is written.
    await h.engine.replaceMirrorPod(keyOf('web'), 'mirror-1', 'mirror-3');
    expect((await h.stored('web')).state.engine.mirror?.uid).toBe('mirror-2');
  });

  it('replaceMirrorPod of a pod that is not a static pod is NotFoundError', async () => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('web'));
    await expect(h.engine.replaceMirrorPod(keyOf('web'), 'x', 'y')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('removeOrphanSandboxes', () => {
  it('removes the sandboxes of pods the store does not have (kuberuntime_gc.go evictSandboxes), keeps the others', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('kept'));
    await h.runtime.createSandbox({ key: keyOf('gone'), uid: uidOf('gone') });
    expect(await h.engine.removeOrphanSandboxes()).toBe(1);
    expect(h.runtime.removedSandboxes).toEqual([{ key: keyOf('gone'), uid: uidOf('gone') }]);
    expect(await h.runtime.listSandboxes()).toEqual([{ key: keyOf('kept'), uid: uidOf('kept') }]);
  });
});

describe('a worker that could not be started at create', () => {
  it('createPod still answers with the stored pod and reports the failure', async () => {
    const h = new EngineHarness();
    const start = h.workflow.startExecution.bind(h.workflow);
    h.workflow.startExecution = async () => {
      throw new Error('ServiceUnavailable');
    };
    const stored = await h.engine.createPod(h.pod('web'));
    expect(stored.key).toEqual(keyOf('web'));
    expect(h.fakes.errors.map((e) => [e.context, (e.err as Error).message])).toEqual([
      ['starting the worker of pod default/web', 'ServiceUnavailable'],
    ]);
    h.workflow.startExecution = start;
    expect(h.workflow.executions).toEqual([]);
  });

  it('startMissingWorkers starts the first worker of unadmitted pods created at least olderThanMs ago', async () => {
    const h = new EngineHarness();
    h.workflow.startExecution = async () => {
      throw new Error('ServiceUnavailable');
    };
    await h.engine.createPod(h.pod('old'));
    delete (h.workflow as { startExecution?: unknown }).startExecution; // the prototype's again
    h.clock.advance(60_000);
    await h.engine.createPod(h.pod('young')); // its worker started; too young for the sweep anyway
    await h.createAndStart(h.pod('admitted'));
    h.clock.advance(60_000);
    h.workflow.executions.length = 0;

    expect(await h.engine.startMissingWorkers(90_000)).toBe(1);
    expect(h.workflow.executions).toEqual([
      { name: 'uid-old-0', input: { pod: { namespace: 'default', name: 'old', uid: 'uid-old' }, seq: 0 } },
    ]);
    expect(await h.engine.startMissingWorkers(60_000)).toBe(2);
    expect(h.workflow.executions.map((e) => e.name)).toEqual(['uid-old-0', 'uid-old-0', 'uid-young-0']);
  });
});

describe('updatePod', () => {
  /** A created and admitted pod and what a client would read back. */
  async function admitted(h: EngineHarness, spec: Partial<Pod['spec']> & object = {}): Promise<Pod> {
    await h.engine.createPod(h.pod('web', spec));
    await h.step('web', 'admit');
    return structuredClone((await h.state('web')).pod);
  }

  it.each([
    {
      name: 'restartPolicy changed → spec: Forbidden',
      edit: (p: Pod) => ({ ...p, spec: { ...p.spec!, restartPolicy: 'Never' } }),
      errors: [/^spec: Forbidden: pod updates may not change fields other than/],
    },
    {
      name: 'uid changed → metadata.uid: Invalid value',
      edit: (p: Pod) => ({ ...p, metadata: { ...p.metadata, uid: 'other' } }),
      errors: [/^metadata\.uid: Invalid value: "other": field is immutable$/],
    },
    {
      name: 'activeDeadlineSeconds raised → Invalid value',
      spec: { activeDeadlineSeconds: 60 },
      edit: (p: Pod) => ({ ...p, spec: { ...p.spec!, activeDeadlineSeconds: 120 } }),
      errors: [
        /^spec\.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value$/,
      ],
    },
    {
      name: 'a container added and the uid changed → both errors, collected',
      edit: (p: Pod) => ({
        ...p,
        metadata: { ...p.metadata, uid: 'other' },
        spec: { ...p.spec!, containers: [...p.spec!.containers, container('extra')] },
      }),
      errors: [/^metadata\.uid: /, /^spec: Forbidden: /],
    },
  ])('$name', async ({ spec, edit, errors }) => {
    const h = new EngineHarness();
    const before = await admitted(h, spec);
    const rv = (await h.stored('web')).resourceVersion;
    const err = await h.engine.updatePod(keyOf('web'), edit(before)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    const messages = (err as InvalidError).fieldErrors.map(formatManifestFieldError);
    expect(messages).toHaveLength(errors.length);
    errors.forEach((re, i) => expect(messages[i]).toMatch(re));
    expect((await h.stored('web')).resourceVersion).toBe(rv);
  });

  it('refuses a stale resourceVersion with ConflictError and writes nothing', async () => {
    const h = new EngineHarness();
    const before = await admitted(h);
    const stale = before.metadata!.resourceVersion!;
    await h.engine.patchConditions(keyOf('web'), []); // an inbox write does not move the resourceVersion …
    await h.step('web', 'reconcile'); // … the commit that consumes it does
    const current = (await h.stored('web')).resourceVersion;
    expect(current).not.toBe(stale);
    const labelled = { ...before, metadata: { ...before.metadata, labels: { app: 'x' } } };
    await expect(h.engine.updatePod(keyOf('web'), labelled, stale)).rejects.toBeInstanceOf(ConflictError);
    const after = await h.stored('web');
    expect(after.resourceVersion).toBe(current);
    expect(after.state.pod.metadata?.labels).toBeUndefined();
  });

  it('applies a label change at the current resourceVersion without waking the worker', async () => {
    const h = new EngineHarness();
    const before = await admitted(h);
    const labelled = { ...before, metadata: { ...before.metadata, labels: { app: 'x' } } };
    const saved = await h.engine.updatePod(keyOf('web'), labelled, before.metadata!.resourceVersion);
    expect(Number(saved.resourceVersion)).toBeGreaterThan(Number(before.metadata!.resourceVersion));
    const after = await h.stored('web');
    expect(after.state.pod.metadata?.labels).toEqual({ app: 'x' });
    expect(after.inbox).toEqual([]);
  });

  it('an image change stores the new image and delivers specUpdated naming the container', async () => {
    const h = new EngineHarness();
    const before = await admitted(h, { initContainers: [container('init')] });
    const next: Pod = {
      ...before,
      spec: {
        ...before.spec!,
        containers: [{ ...before.spec!.containers[0]!, image: 'busybox:1.36' }],
      },
    };
    const saved = await h.engine.updatePod(keyOf('web'), next);
    const after = await h.stored('web');
    expect(after.state.pod.spec?.containers[0]?.image).toBe('busybox:1.36');
    expect(after.state.pod.spec?.initContainers?.[0]?.image).toBe('busybox:1.28');
    expect(after.inbox).toEqual([
      {
        id: `spec/${saved.resourceVersion}`,
        at: MANUAL_CLOCK_START,
        type: 'specUpdated',
        containers: ['app'],
      },
    ]);
  });

  it('a pod that does not exist → NotFoundError', async () => {
    const h = new EngineHarness();
    await expect(h.engine.updatePod(keyOf('nope'), h.pod('nope'))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('requests that become inbox events', () => {
  it.each([
    {
      name: 'deletePod with a grace → deleteRequested with that grace',
      act: (h: EngineHarness) => h.engine.deletePod(keyOf('web'), 7),
      event: { id: `delete/${MANUAL_CLOCK_START}/7`, type: 'deleteRequested', gracePeriodSeconds: 7 },
    },
    {
      name: 'deletePod without a grace → deleteRequested without one (the pod’s own applies)',
      act: (h: EngineHarness) => h.engine.deletePod(keyOf('web')),
      event: { id: `delete/${MANUAL_CLOCK_START}/-`, type: 'deleteRequested' },
    },
    {
      name: 'patchConditions → conditionsPatched',
      act: (h: EngineHarness) =>
        h.engine.patchConditions(keyOf('web'), [{ type: 'example.com/gate', status: 'True' }]),
      event: {
        id: expect.stringMatching(new RegExp(`^conditions/${MANUAL_CLOCK_START}/000000000000/[0-9a-f]{12}$`)),
        type: 'conditionsPatched',
        conditions: [{ type: 'example.com/gate', status: 'True' }],
      },
    },
    {
      name: 'onTimerDue → timerDue keyed by timer and due instant',
      act: (h: EngineHarness) =>
        h.engine.onTimerDue({ key: keyOf('web'), timerId: 'restart/app/2', dueAt: 123 }),
      event: { id: 'timer/restart/app/2/123', type: 'timerDue', timerId: 'restart/app/2' },
    },
    {
      name: 'onObservation started → containerStarted keyed by instance',
      act: (h: EngineHarness) =>
        h.engine.onObservation({
          type: 'started',
          ref: { key: keyOf('web'), podUid: 'uid-web', container: 'app', instance: 3 },
          startedAt: 99,
        }),
      event: {
        id: 'uid-web/app/3/started',
        at: 99,
        type: 'containerStarted',
        container: 'app',
        instance: 3,
        startedAt: 99,
      },
    },
    {
      name: 'onObservation exited (lost) → containerExited with lost and signal',
      act: (h: EngineHarness) =>
        h.engine.onObservation({
          type: 'exited',
          ref: { key: keyOf('web'), podUid: 'uid-web', container: 'app', instance: 0 },
          exitCode: 137,
          signal: 9,
          oomKilled: false,
          startedAt: 10,
          finishedAt: 20,
          lost: true,
        }),
      event: {
        id: 'uid-web/app/0/exited',
        at: 20,
        type: 'containerExited',
        container: 'app',
        instance: 0,
        exitCode: 137,
        signal: 9,
        oomKilled: false,
        startedAt: 10,
        finishedAt: 20,
        lost: true,
      },
    },
    {
      name: 'onObservation startFailed → containerStartFailed with the reason',
      act: (h: EngineHarness) =>
        h.engine.onObservation({
          type: 'startFailed',
          ref: { key: keyOf('web'), podUid: 'uid-web', container: 'app', instance: 0 },
          reason: 'RunContainerError',
          message: 'exec: "nope": not found',
          at: 5,
        }),
      event: {
        id: 'uid-web/app/0/startFailed/5',
        at: 5,
        type: 'containerStartFailed',
        container: 'app',
        instance: 0,
        reason: 'RunContainerError',
        message: 'exec: "nope": not found',
      },
    },
  ])('$name', async ({ act, event }) => {
    const h = new EngineHarness();
    await h.engine.createPod(h.pod('web'));
    await act(h);
    const { inbox } = await h.stored('web');
    expect(inbox).toEqual([{ at: MANUAL_CLOCK_START, ...event }]);
  });

  it.each([
    { name: 'reconciled one by one: False then True → True', statuses: ['False', 'True'], between: true },
    { name: 'reconciled one by one: True then False → False', statuses: ['True', 'False'], between: true },
    { name: 'both pending: False then True → True', statuses: ['False', 'True'], between: false },
    { name: 'both pending: True then False → False', statuses: ['True', 'False'], between: false },
  ])('status patches in the same millisecond, $name', async ({ statuses, between }) => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('web', { readinessGates: [{ conditionType: 'example.com/gate' }] }));
    for (const status of statuses) {
      await h.engine.patchConditions(keyOf('web'), [{ type: 'example.com/gate', status }]);
      if (between) await h.step('web', 'reconcile');
    }
    await h.step('web', 'reconcile');
    expect(await h.condition('web', 'example.com/gate')).toBe(statuses.at(-1));
  });

  it('an event for a pod that does not exist is dropped without an error', async () => {
    const h = new EngineHarness();
    await expect(h.engine.deletePod(keyOf('nope'), 0)).resolves.toBeUndefined();
    await expect(
      h.engine.onTimerDue({ key: keyOf('nope'), timerId: 'active-deadline', dueAt: 1 }),
    ).resolves.toBeUndefined();
    expect(h.workflow.executions).toEqual([]);
  });

  it('a delete of a Finished pod starts a worker that resumes it (no worker is waiting any more)', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('job', { restartPolicy: 'Never' }));
    await h.started('job', 'app');
    await h.exited('job', 'app', 0, { after: 1000 });
    expect((await h.step('job', 'reconcile')).stage).toBe('Finished');
    h.workflow.executions.length = 0;
    await h.engine.deletePod(keyOf('job'));
    expect(h.workflow.executions).toEqual([
      {
        name: `uid-job-${h.clock.now()}`,
        input: { pod: { ...keyOf('job'), uid: 'uid-job' }, seq: h.clock.now(), resume: true },
      },
    ]);
  });

  it('a delete of a running pod wakes its worker instead of starting another', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('web'));
    await h.await('web', 'token-1');
    h.workflow.executions.length = 0;
    await h.engine.deletePod(keyOf('web'));
    expect(h.workflow.executions).toEqual([]);
    expect(h.workflow.taskSuccesses).toEqual(['token-1']);
  });
});

describe('resumeAll', () => {
  it('gives every unfinished pod (and a finished one with pending events) a resuming worker', async () => {
    const h = new EngineHarness();
    await h.store.create(newPodState(h.pod('stored-only')));
    await h.createAndStart(h.pod('running'));
    await h.createAndStart(h.pod('done', { restartPolicy: 'Never' }));
    await h.started('done', 'app');
    await h.exited('done', 'app', 0);
    await h.step('done', 'reconcile');
    await h.createAndStart(h.pod('done-deleted', { restartPolicy: 'Never' }));
    await h.started('done-deleted', 'app');
    await h.exited('done-deleted', 'app', 0);
    await h.step('done-deleted', 'reconcile');
    await h.engine.onTimerDue({ key: keyOf('done-deleted'), timerId: 'stale', dueAt: 0 }); // pending, no worker
    h.workflow.executions.length = 0;

    const resumed = await h.engine.resumeAll();

    expect(resumed).toBe(3);
    const now = h.clock.now() * 1000;
    expect(h.workflow.executions.map((e) => [e.input.pod.name, e.input.resume, e.name])).toEqual([
      ['done-deleted', true, `uid-done-deleted-${now}`],
      ['running', true, `uid-running-${now + 1}`],
      ['stored-only', true, `uid-stored-only-${now + 2}`],
    ]);
  });
});

describe('restartFailedWorker', () => {
  const failedInput = (name: string, seq: number, recoveries?: number) => ({
    pod: { namespace: 'default', name, uid: uidOf(name) },
    seq,
    ...(recoveries !== undefined ? { recoveries } : {}),
  });

  it('starts <uid>-<seq+1> resuming the pod, counting the failure; reported twice, it names the same execution', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('web'));
    h.workflow.executions.length = 0;
    expect(await h.engine.restartFailedWorker(failedInput('web', 4), 'FAILED')).toBe('restarted');
    expect(await h.engine.restartFailedWorker(failedInput('web', 4), 'FAILED')).toBe('restarted');
    expect(h.workflow.executions).toEqual([
      { name: 'uid-web-5', input: { ...failedInput('web', 5), resume: true, recoveries: 1 } },
      { name: 'uid-web-5', input: { ...failedInput('web', 5), resume: true, recoveries: 1 } },
    ]);
    expect(await h.engine.restartFailedWorker(failedInput('web', 5, 1), 'TIMED_OUT')).toBe('restarted');
    expect(h.workflow.executions[2]).toMatchObject({ name: 'uid-web-6', input: { recoveries: 2 } });
  });

  it('needs no worker for a pod that is gone, was replaced (another uid) or is finished with nothing to do', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('done', { restartPolicy: 'Never' }));
    await h.started('done', 'app');
    await h.exited('done', 'app', 0);
    await h.step('done', 'reconcile');
    h.workflow.executions.length = 0;
    expect(await h.engine.restartFailedWorker(failedInput('done', 0), 'FAILED')).toBe('not-needed');
    expect(await h.engine.restartFailedWorker(failedInput('gone', 0), 'FAILED')).toBe('not-needed');
    const other = { ...failedInput('done', 0), pod: { ...failedInput('done', 0).pod, uid: 'an-older-uid' } };
    expect(await h.engine.restartFailedWorker(other, 'ABORTED')).toBe('not-needed');
    expect(h.workflow.executions).toEqual([]);
  });

  it('after maxWorkerRecoveries failures in a row it starts nothing and says so in a Warning event, once', async () => {
    const h = new EngineHarness();
    await h.createAndStart(h.pod('web'));
    h.workflow.executions.length = 0;
    const max = h.fakes.deps.settings.maxWorkerRecoveries;
    expect(max).toBe(3);
    expect(await h.engine.restartFailedWorker(failedInput('web', 7, max), 'FAILED')).toBe('gave-up');
    expect(await h.engine.restartFailedWorker(failedInput('web', 7, max), 'FAILED')).toBe('gave-up');
    expect(h.workflow.executions).toEqual([]);
    const warnings = (await h.events('web')).filter((e) => e.reason === 'FailedWorker');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      type: 'Warning',
      count: 1,
      message:
        'worker uid-web-7 ended FAILED: 4 workers of this pod failed in a row, so no new one is started until podflow resumes its pods',
    });
  });
});

// The inbox protocol (docs/architecture.md §3) between a producer (deliverEvent) and the worker's await step: an event either
// finds a registered wait token and completes it, or stays in the inbox and makes the next await return at once.
const event = (id: string, at = 0): PodEvent => ({ id, at, type: 'conditionsPatched', conditions: [] });

async function started(): Promise<EngineHarness> {
  const h = new EngineHarness();
  await h.createAndStart(h.pod('p'));
  return h;
}

describe('deliver and await', () => {
  it('an await with an empty inbox registers its token and completes nothing', async () => {
    const h = await started();
    await h.await('p', 'token-1');
    expect(h.workflow.taskSuccesses).toEqual([]);
  });

  it('an event delivered while a token waits completes it exactly once', async () => {
    const h = await started();
    await h.await('p', 'token-1');
    await deliverEvent(h.fakes.deps, keyOf('p'), event('e1'));
    await deliverEvent(h.fakes.deps, keyOf('p'), event('e2'));
    expect(h.workflow.taskSuccesses).toEqual(['token-1']);
    expect((await h.stored('p')).inbox.map((e) => e.id)).toEqual(['e1', 'e2']);
  });

  it('an event delivered with no waiter stays in the inbox; the next await completes at once', async () => {
    const h = await started();
    await deliverEvent(h.fakes.deps, keyOf('p'), event('e1'));
    expect(h.workflow.taskSuccesses).toEqual([]);
    expect((await h.stored('p')).inbox.map((e) => e.id)).toEqual(['e1']);
    await h.await('p', 'token-2');
    expect(h.workflow.taskSuccesses).toEqual(['token-2']);
    // The await does not consume: the reconcile that follows does.
    expect((await h.stored('p')).inbox.map((e) => e.id)).toEqual(['e1']);
    await h.step('p', 'reconcile');
    expect((await h.stored('p')).inbox).toEqual([]);
    await h.await('p', 'token-3');
    expect(h.workflow.taskSuccesses).toEqual(['token-2']);
  });

  it('the same event id delivered twice while pending is one inbox entry', async () => {
    const h = await started();
    await deliverEvent(h.fakes.deps, keyOf('p'), event('e1', 5));
    await deliverEvent(h.fakes.deps, keyOf('p'), event('e1', 6));
    expect((await h.stored('p')).inbox).toEqual([event('e1', 5)]);
  });

  it('the inbox hands events back ordered by (at, id), whatever the delivery order', async () => {
    const h = await started();
    for (const [id, at] of [
      ['b', 2],
      ['c', 1],
      ['a', 2],
    ] as const)
      await deliverEvent(h.fakes.deps, keyOf('p'), event(id, at));
    expect((await h.stored('p')).inbox.map((e) => e.id)).toEqual(['c', 'a', 'b']);
  });

  it('a token registered again replaces the earlier one (only the latest await is woken)', async () => {
    const h = await started();
    await h.await('p', 'token-old');
    await h.await('p', 'token-new');
    await deliverEvent(h.fakes.deps, keyOf('p'), event('e1'));
    expect(h.workflow.taskSuccesses).toEqual(['token-new']);
  });

  it('an event for a pod that is gone is dropped; an await for it completes at once', async () => {
    const h = new EngineHarness();
    await expect(deliverEvent(h.fakes.deps, keyOf('p'), event('e1'))).resolves.toBeUndefined();
    expect(h.workflow.taskSuccesses).toEqual([]);
    await h.await('p', 'token-1');
    expect(h.workflow.taskSuccesses).toEqual(['token-1']);
  });

  it('a SendTaskSuccess that fails puts the token back and reaches the producer; its retry wakes the worker', async () => {
    const h = await started();
    await h.await('p', 'token-1');
    const { workflow } = h.fakes.deps;
    const failing = {
      ...h.fakes.deps,
      workflow: {
        startExecution: workflow.startExecution.bind(workflow),
        sendTaskSuccess: async () => {
          throw new Error('ThrottlingException: Rate exceeded');
        },
      },
    };
    await expect(deliverEvent(failing, keyOf('p'), event('e1'))).rejects.toThrow('Rate exceeded');
    expect(h.workflow.taskSuccesses).toEqual([]);
    // The producer retries the same event: it is in the inbox once, and this time the worker is woken.
    await deliverEvent(h.fakes.deps, keyOf('p'), event('e1'));
    expect(h.workflow.taskSuccesses).toEqual(['token-1']);
    expect((await h.stored('p')).inbox.map((e) => e.id)).toEqual(['e1']);
  });

  it('a store failure other than NotFound reaches the producer', async () => {
    const h = await started();
    await expect(deliverEvent(h.fakes.deps, keyOf('p'), { ...event('e1'), id: '' })).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});

// ObservablePodStore: every committed change reaches the listeners in commit order; reads and inbox writes are
// not changes of the object.
describe('ObservablePodStore', () => {
  it('tells listeners about creates, updates, events and removals, in order; not about inbox writes', async () => {
    const store = new ObservablePodStore(new MemoryPodStore({ clock: new ManualClock() }));
    const seen: string[] = [];
    store.subscribe((c: StoreChange) =>
      seen.push(
        c.type === 'event'
          ? `event ${c.event.reason}`
          : c.type === 'removed'
            ? 'removed'
            : `${c.type} ${c.pod.resourceVersion}`,
      ),
    );
    const state = newPodState(new EngineHarness().pod('p'));
    const created = await store.create(state);
    await store.deliver(keyOf('p'), opaqueEvent({ id: 'e', at: 0, type: 'x' }));
    await store.registerWait(keyOf('p'), 't');
    await store.get(keyOf('p'));
    const updated = await store.update(keyOf('p'), created.resourceVersion, state, ['e']);
    await store.recordEvent({
      occurrence: 'o-1',
      namespace: 'default',
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
      type: 'Normal',
      reason: 'Hello',
      message: 'hi',
      at: 0,
    });
    await store.remove(keyOf('p'));
    expect(seen).toEqual([
      `created ${created.resourceVersion}`,
      `updated ${updated.resourceVersion}`,
      'event Hello',
      'removed',
    ]);
  });

  it('a failed write is not reported; an unsubscribed listener hears nothing more', async () => {
    const store = new ObservablePodStore(new MemoryPodStore({ clock: new ManualClock() }));
    const seen: string[] = [];
    const unsubscribe = store.subscribe((c) => seen.push(c.type));
    const state = newPodState(new EngineHarness().pod('p'));
    await store.create(state);
    await expect(store.update(keyOf('p'), '999', state)).rejects.toBeInstanceOf(ConflictError);
    unsubscribe();
    await store.remove(keyOf('p'));
    expect(seen).toEqual(['created']);
  });
});

// InProcessHookRunner: runs postStart/preStop handlers and delivers their outcome as an inbox event, with the
// kubelet's failure messages (pkg/kubelet/lifecycle/handlers.go). Exec goes through the (fake) runtime.
function runner(runtime = new FakeContainerRuntime()) {
  const delivered: Array<{ key: PodKey; event: PodEvent }> = [];
  const errors: string[] = [];
  let settle!: () => void;
  let pending = 0;
  const idle = () =>
    new Promise<void>((resolve) => {
      settle = resolve;
      if (pending === 0) resolve();
    });
  const hooks = new InProcessHookRunner({
    runtime,
    clock: new ManualClock(),
    deliver: (key, event) => {
      delivered.push({ key, event });
      if (--pending === 0) settle?.();
      return Promise.resolve();
    },
    onError: (_err, context) => errors.push(context),
  });
  const run = (request: HookRequest) => {
    pending++;
    hooks.run(request);
  };
  return { runtime, delivered, errors, run, idle, hooks };
}

const request = (hook: 'postStart' | 'preStop', handler: LifecycleHandler): HookRequest => ({
  ref: { key: keyOf('p'), podUid: uidOf('p'), container: 'app', instance: 2 },
  hook,
  handler,
  container: { name: 'app', image: 'busybox', ports: [{ name: 'web', containerPort: 8080 }] },
  timeoutSeconds: 3,
  podDescription: 'Container "app" in Pod "p_default(uid-p)"',
  podIP: '127.0.0.1',
});

describe('InProcessHookRunner', () => {
  it.each([
    {
      name: 'exec postStart exits 0 → postStartDone without error',
      hook: 'postStart' as const,
      exec: { exitCode: 0, stdout: '', stderr: '', timedOut: false },
      event: { type: 'postStartDone' },
    },
    {
      name: 'exec preStop exits 2 → preStopDone with the kubelet message',
      hook: 'preStop' as const,
      exec: { exitCode: 2, stdout: 'out ', stderr: 'err', timedOut: false },
      event: {
        type: 'preStopDone',
        error:
          'Exec lifecycle hook ([drain now]) for Container "app" in Pod "p_default(uid-p)" failed - error: ' +
          'command \'drain now\' exited with 2: out err, message: "out err"',
      },
    },
    {
      name: 'exec that times out → error says so',
      hook: 'postStart' as const,
      exec: { exitCode: -1, stdout: '', stderr: '', timedOut: true },
      event: {
        type: 'postStartDone',
        error:
          'Exec lifecycle hook ([drain now]) for Container "app" in Pod "p_default(uid-p)" failed - error: ' +
          'command \'drain now\' timed out, message: ""',
      },
    },
  ])('$name', async ({ hook, exec, event }) => {
    const r = runner();
    r.runtime.execResult = exec;
    r.run(request(hook, { exec: { command: ['drain', 'now'] } }));
    await r.idle();
    expect(r.runtime.execs).toEqual([
      { ref: request(hook, {}).ref, argv: ['drain', 'now'], timeoutMs: 3000 },
    ]);
    expect(r.delivered).toEqual([
      {
        key: keyOf('p'),
        event: {
          id: `uid-p/app/2/${hook}Done`,
          at: new ManualClock().now(),
          container: 'app',
          instance: 2,
          ...event,
        },
      },
    ]);
  });

  it('a handler with no action → error naming the hook', async () => {
    const r = runner();
    r.run(request('preStop', {}));
    await r.idle();
    expect(r.delivered[0]?.event).toMatchObject({
      type: 'preStopDone',
      error:
        'preStop handler for Container "app" in Pod "p_default(uid-p)" has no exec, httpGet or sleep action',
    });
  });

  it('the same (instance, hook) requested again while it runs is not run twice', async () => {
    const r = runner();
    r.run(request('postStart', { exec: { command: ['x'] } }));
    r.hooks.run(request('postStart', { exec: { command: ['x'] } }));
    await r.idle();
    expect(r.runtime.execs).toHaveLength(1);
    expect(r.delivered).toHaveLength(1);
  });

  it('a runtime that throws is reported through onError, nothing delivered', async () => {
    const r = runner();
    r.runtime.failWith('exec', new Error('gone'));
    r.hooks.run(request('postStart', { exec: { command: ['x'] } }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.errors).toEqual(['uid-p/app/2/postStart']);
    expect(r.delivered).toEqual([]);
  });
});

describe('ConfigMaps and Secrets wake the pods waiting for them', () => {
  const cmKey = (name: string) => ({ kind: 'ConfigMap' as const, namespace: 'default', name });
  const configMap = (name: string, data: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default' },
    data,
  });
  const needsCfg = container('app', {
    env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }],
  });

  /** A pod whose container failed to start for the missing ConfigMap and whose worker waits (token-1). */
  async function waitingPod(h: EngineHarness, app = needsCfg): Promise<void> {
    await h.createAndStart(h.pod('p', { containers: [app] }));
    await h.step('p', 'reconcile');
    expect((await h.status('p', 'app')).state?.waiting?.reason).toBe('CreateContainerConfigError');
    await h.await('p', 'token-1');
  }

  it('creating the ConfigMap delivers configChanged, wakes the worker, and the container starts with the value', async () => {
    const h = new EngineHarness({ configSource: 'objects' });
    await waitingPod(h);
    const created = await h.engine.createObject(configMap('cfg', { x: 'value' }));
    expect((await h.stored('p')).inbox).toMatchObject([
      {
        id: `config/ConfigMap/cfg/${created.resourceVersion}`,
        type: 'configChanged',
        kind: 'ConfigMap',
        name: 'cfg',
      },
    ]);
    expect(h.workflow.taskSuccesses).toEqual(['token-1']);
    await h.step('p', 'reconcile');
    expect(h.runtime.starts).toMatchObject([
      { container: 'app', instance: 0, env: expect.arrayContaining([{ name: 'X', value: 'value' }]) },
    ]);
    expect(h.scheduler.timer(keyOf('p'), restartTimerId('app', 0))).toBeUndefined();
  });

  it('a retry timer whose wake-up was lost is delivered by the sweep once overdue, as the wake-up would have been', async () => {
    const h = new EngineHarness({ configSource: 'objects' });
    await waitingPod(h);
    const timer = (await h.stored('p')).state.engine.containers.app!.restartTimer!;
    const deps = { store: h.store, workflow: h.workflow, clock: h.clock };
    // The wake-up never comes (the scheduler's timer is never fired). Not overdue yet: nothing.
    h.clock.advance(timer.at - h.clock.now() + 59_000);
    expect(await deliverOverdueTimers(deps, 60_000)).toBe(0);
    expect((await h.stored('p')).inbox).toEqual([]);
    h.clock.advance(1_000);
    expect(await deliverOverdueTimers(deps, 60_000)).toBe(1);
    expect((await h.stored('p')).inbox).toMatchObject([
      { id: `timer/${timer.id}/${timer.at}`, type: 'timerDue', timerId: timer.id },
    ]);
    expect(h.workflow.taskSuccesses).toEqual(['token-1']);
    // The wake-up arriving after all is the same event: the inbox keeps one.
    await h.engine.onTimerDue({ key: keyOf('p'), timerId: timer.id, dueAt: timer.at });
    expect((await h.stored('p')).inbox).toHaveLength(1);
    // The worker applies it: the start is retried.
    await h.step('p', 'reconcile');
    expect((await h.stored('p')).state.engine.containers.app!.restartTimer).toBeUndefined();
    expect((await h.status('p', 'app')).state?.waiting?.reason).toBe('ContainerCreating');
    expect(await deliverOverdueTimers(deps, 60_000)).toBe(0);
  });

  it('a Secret (envFrom) reaches the container decoded', async () => {
    const h = new EngineHarness({ configSource: 'objects' });
    await waitingPod(h, container('app', { envFrom: [{ secretRef: { name: 'token' } }] }));
    await h.engine.createObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'token', namespace: 'default' },
      type: 'Opaque',
      data: { TOKEN: Buffer.from('s3cret ☃').toString('base64') },
    });
    await h.step('p', 'reconcile');
    expect(h.runtime.starts[0]?.env).toEqual([{ name: 'TOKEN', value: 's3cret ☃' }]);
  });

  it('updating the ConfigMap (the missing key added) wakes the pod too', async () => {
    const h = new EngineHarness({ configSource: 'objects' });
    const first = await h.engine.createObject(configMap('cfg', { other: 'y' }));
    await waitingPod(h);
    expect((await h.status('p', 'app')).state?.waiting?.message).toBe(
      "couldn't find key x in ConfigMap default/cfg",
    );
    await h.engine.updateObject(cmKey('cfg'), first.resourceVersion, configMap('cfg', { x: 'now' }));
    await h.step('p', 'reconcile');
    expect(h.runtime.starts[0]?.env).toEqual([{ name: 'X', value: 'now' }]);
  });

  it.each([
    { name: 'an object of another name', object: configMap('unrelated', { x: '1' }) },
    {
      name: 'a Secret of the same name',
      object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cfg', namespace: 'default' }, data: {} },
    },
    {
      name: 'the ConfigMap in another namespace',
      object: { ...configMap('cfg', { x: '1' }), metadata: { name: 'cfg', namespace: 'other' } },
    },
  ])('$name wakes nobody', async ({ object }) => {
    const h = new EngineHarness({ configSource: 'objects' });
    await waitingPod(h);
    await h.engine.createObject(object);
    expect((await h.stored('p')).inbox).toEqual([]);
    expect(h.workflow.taskSuccesses).toEqual([]);
  });

  it('a running pod that refers to the ConfigMap is not woken by its change', async () => {
    const h = new EngineHarness({ configSource: 'objects' });
    const cm = await h.engine.createObject(configMap('cfg', { x: '1' }));
    await h.createAndStart(h.pod('p', { containers: [needsCfg] }));
    await h.started('p', 'app');
    await h.step('p', 'reconcile');
    await h.await('p', 'token-1');
    await h.engine.updateObject(cmKey('cfg'), cm.resourceVersion, configMap('cfg', { x: '2' }));
    expect(h.workflow.taskSuccesses).toEqual([]);
  });
});

describe('namespaces', () => {
  const nsKey = (name: string) => ({ kind: 'Namespace' as const, namespace: '', name });

  it('ensureNamespaces creates the missing ones, Active, and leaves existing ones as they are', async () => {
    const h = new EngineHarness();
    let uid = 0;
    await h.engine.ensureNamespaces(['default', 'kube-system'], () => `uid-${++uid}`);
    const before = await h.fakes.objects.get(nsKey('default'));
    await h.engine.ensureNamespaces(
      ['default', 'kube-system', 'kube-public', 'Not_Valid'],
      () => `uid-${++uid}`,
    );
    expect(await h.fakes.objects.get(nsKey('default'))).toEqual(before);
    const { items } = await h.fakes.objects.list('Namespace');
    expect(items.map((i) => i.key.name)).toEqual(['default', 'kube-public', 'kube-system']);
    expect(items[1]!.object).toMatchObject({
      metadata: {
        name: 'kube-public',
        uid: 'uid-3',
        labels: { 'kubernetes.io/metadata.name': 'kube-public' },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  it('deleteNamespace: Terminating at once, ConfigMaps and Secrets gone, pods deleted gracefully, removed with the last pod', async () => {
    const h = new EngineHarness();
    await h.engine.ensureNamespaces(['default', 'other'], () => 'uid-ns');
    const cm = (namespace: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace },
      data: {},
    });
    await h.engine.createObject(cm('default'));
    await h.engine.createObject(cm('other'));
    await h.engine.createObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'default' },
    });
    for (const name of ['p1', 'p2']) {
      await h.engine.createPod(h.pod(name));
      await h.step(name, 'admit');
    }

    const marked = await h.engine.deleteNamespace('default');
    expect(marked.object).toMatchObject({
      metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' },
      status: { phase: 'Terminating' },
    });
    expect((await h.fakes.objects.list('ConfigMap')).items.map((o) => o.key.namespace)).toEqual(['other']);
    expect((await h.fakes.objects.list('Secret')).items).toEqual([]);
    for (const name of ['p1', 'p2'])
      expect((await h.stored(name)).inbox.map((e) => e.type)).toEqual(['deleteRequested']);
    const waiting = (await h.fakes.objects.get(nsKey('default')))!.object as Namespace;
    expect(waiting.status?.conditions?.find((c) => c.type === 'NamespaceContentRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: pods. has 2 resource instances',
    });
    // A second delete while Terminating changes nothing and requests nothing twice.
    await h.engine.deleteNamespace('default');
    expect((await h.stored('p1')).inbox).toHaveLength(1);

    // The workers remove the pods (nothing ran yet): the namespace goes with the last one.
    expect((await h.step('p1', 'sandbox')).stage).toBe('Gone');
    expect(await h.fakes.objects.get(nsKey('default'))).toBeDefined();
    expect((await h.step('p2', 'sandbox')).stage).toBe('Gone');
    expect(await h.fakes.objects.get(nsKey('default'))).toBeUndefined();
    expect(await h.fakes.objects.get(nsKey('other'))).toBeDefined();
  });

  it('deleteNamespace of an empty namespace removes it at once; of a missing one is NotFoundError', async () => {
    const h = new EngineHarness();
    await h.engine.ensureNamespaces(['empty'], () => 'uid-ns');
    await h.engine.deleteNamespace('empty');
    expect(await h.fakes.objects.get(nsKey('empty'))).toBeUndefined();
    await expect(h.engine.deleteNamespace('empty')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('resumeAll finishes a deletion the last process left: pods not yet asked are deleted', async () => {
    const h = new EngineHarness();
    await h.engine.ensureNamespaces(['default'], () => 'uid-ns');
    const ns = (await h.fakes.objects.get(nsKey('default')))!;
    await h.fakes.objects.update(nsKey('default'), ns.resourceVersion, {
      ...ns.object,
      metadata: { ...ns.object.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' },
      status: { phase: 'Terminating' },
    });
    await h.engine.createPod(h.pod('late'));
    await h.engine.resumeAll();
    expect((await h.stored('late')).inbox.map((e) => e.type)).toEqual(['deleteRequested']);
  });
});
