// Graceful deletion through the real engine (docs/semantics.md §6, §2): deletionTimestamp = now + grace (the
// request's, else the spec's), no more restarts, SIGTERM, SIGKILL when the grace runs out, a terminal phase — Failed
// unless every container exited 0 on SIGTERM — and then the object is removed.
import { join } from 'node:path';
import type { PodState } from '../../src/core/pod-state.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  E2eEngine,
  NOW_MS,
  condition,
  containerStatus,
  podManifest,
  readLines,
  restartCount,
  rfc3339Ms,
  sh,
  waitForLine,
} from './support.ts';

let e: E2eEngine;
beforeAll(async () => {
  e = await E2eEngine.start();
});
afterAll(async () => {
  await e?.close();
});

/** The last state committed before the object was removed. */
const lastBeforeRemoval = (name: string): PodState => {
  expect(e.removed(name), `${name} removed`).toBe(true);
  return e.last(name)!;
};

describe('graceful deletion', () => {
  it.concurrent.for([
    {
      name: "request's grace (2 s) wins over the spec's (5 s)",
      pod: 'grace-request',
      spec: 5,
      request: 2,
      expected: 2,
    },
    {
      name: "spec's grace (3 s) when the request gives none",
      pod: 'grace-spec',
      spec: 3,
      request: undefined,
      expected: 3,
    },
  ])('deletionTimestamp = now + grace: $name; SIGTERM → 143 → Failed → removed', async (c, { expect }) => {
    await e.create(
      podManifest(c.pod, { terminationGracePeriodSeconds: c.spec, containers: [sh('app', 'exec sleep 30')] }),
    );
    await e.waitForPhase(c.pod, 'Running');
    const before = Date.now();
    await e.delete(c.pod, c.request);
    const after = Date.now();
    const deleting = await e.waitForPod(
      c.pod,
      'deletionTimestamp',
      (s) => !!s.pod.metadata?.deletionTimestamp,
    );
    const deletion = deleting.engine.deletion!;
    expect(deletion.graceSeconds).toBe(c.expected);
    expect(deletion.deadline - deletion.requestedAt).toBe(c.expected * 1000);
    expect(deletion.deadline).toBeGreaterThanOrEqual(before + c.expected * 1000);
    // Stamped at the delete request (between `before` and `after`), as the API server does.
    expect(deletion.deadline).toBeLessThanOrEqual(after + c.expected * 1000);
    expect(deleting.pod.metadata?.deletionGracePeriodSeconds).toBe(c.expected);
    expect(rfc3339Ms(deleting.pod.metadata?.deletionTimestamp)).toBe(
      Math.floor(deletion.deadline / 1000) * 1000,
    );

    await e.waitForRemoval(c.pod);
    const last = lastBeforeRemoval(c.pod);
    expect(last.pod.status?.phase).toBe('Failed');
    expect(containerStatus(last, 'app')?.state?.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    // The kubelet never sets `signal`: 143 = 128 + SIGTERM says it.
    expect(containerStatus(last, 'app')?.state?.terminated).not.toHaveProperty('signal');
    // SIGTERM ended it (143), inside the window the engine gave it: the whole grace.
    expect(e.stops.filter((s) => s.pod === c.pod).map((s) => s.graceSeconds)).toEqual([
      deletion.graceSeconds,
    ]);
    expect(condition(last, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    // Phases never go back: Running → Failed, then gone.
    const phases = e
      .history(c.pod)
      .map((s) => s.pod.status?.phase)
      .filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['Pending', 'Running', 'Failed']);
    await e.waitForEvent(c.pod, 'Killing');
    expect(e.recordedEvents(c.pod).find((ev) => ev.reason === 'Killing')).toMatchObject({
      type: 'Normal',
      message: 'Stopping container app',
      fieldPath: 'spec.containers{app}',
    });
  });

  // The API server sets metadata.deletionTimestamp = now + grace on the DELETE itself. podflow's deletePod
  // (engine/create-engine.ts) records the request time as the event's `at`, and core/reconcile.ts onDeleteRequested
  // computes the deadline from it, not from the reconcile's clock: latency between the request and the worker's
  // reconcile (a busy worker, a Lambda cold start, a worker resumed after an engine restart) must not move the
  // deletionTimestamp — and the SIGKILL deadline — later. Reproduced by holding this pod's worker steps for 1.5 s
  // after the delete, as a slow worker would.
  it('deletionTimestamp = the delete request time + grace, however late the worker applies it', async () => {
    await e.create(
      podManifest('late-delete', {
        terminationGracePeriodSeconds: 5,
        containers: [sh('app', 'exec sleep 30')],
      }),
    );
    await e.waitForPhase('late-delete', 'Running');
    const step = e.local.engine.step;
    e.local.engine.step = async (input) => {
      if (input.pod.name === 'late-delete' && input.step !== 'await')
        await new Promise((resolve) => setTimeout(resolve, 1500));
      return step(input);
    };
    try {
      const before = Date.now();
      await e.delete('late-delete');
      const after = Date.now();
      const deleting = await e.waitForPod('late-delete', 'deletionTimestamp', (s) => !!s.engine.deletion);
      // Computed from the reconcile's clock, the deadline would be ≈ after + 5 s + 1.5 s.
      expect(deleting.engine.deletion!.deadline).toBeGreaterThanOrEqual(before + 5000);
      expect(deleting.engine.deletion!.deadline).toBeLessThanOrEqual(after + 5000 + 100);
    } finally {
      e.local.engine.step = step;
    }
  });

  /** A container that records SIGTERM and keeps running: only SIGKILL ends it. It writes `ready` once trapping. */
  const stubborn = (log: string): object =>
    sh(
      'app',
      `trap 'echo term ${NOW_MS} >> ${log}' TERM; echo ready >> ${log}; while :; do sleep 0.05; done`,
    );
  /** The SIGTERM lines of a stubborn container's log: the instants it got SIGTERM. */
  const termsOf = (log: string): number[] =>
    readLines(log)
      .filter((l) => l.startsWith('term '))
      .map((l) => Number(l.split(' ')[1]));

  it.concurrent(
    'a container ignoring SIGTERM is SIGKILLed when the grace runs out (exit 137)',
    async ({ expect }) => {
      const log = join(e.scratch, 'stubborn.log');
      await e.create(
        podManifest('stubborn', { terminationGracePeriodSeconds: 30, containers: [stubborn(log)] }),
      );
      await e.waitForPhase('stubborn', 'Running');
      // Running is the exec; a SIGTERM before the shell set its trap would end it (143), not test the SIGKILL.
      await waitForLine(log, 'ready');
      await e.delete('stubborn', 2);
      await e.waitForRemoval('stubborn');
      const last = lastBeforeRemoval('stubborn');
      const deletion = last.engine.deletion!;
      const [app] = e.instances('stubborn', 'app');
      expect(app).toMatchObject({ exitCode: 137 });
      expect(termsOf(log).length).toBeGreaterThanOrEqual(1); // it did get SIGTERM first
      // The engine gave it the grace (2 s) as its SIGTERM→SIGKILL window, and SIGKILL (137) came no earlier.
      expect(e.stops.filter((s) => s.pod === 'stubborn').map((s) => s.graceSeconds)).toEqual([2]);
      expect(app!.finishedAt! - deletion.requestedAt).toBeGreaterThanOrEqual(2000 - 50);
      expect(last.pod.status?.phase).toBe('Failed');
      expect(containerStatus(last, 'app')?.state?.terminated).toMatchObject({
        exitCode: 137,
        reason: 'Error',
      });
    },
  );

  // The kubelet gives every container at least 2 s between SIGTERM and SIGKILL, with or without a preStop hook
  // (kuberuntime_container.go killContainer, v1.27+: grace = override; minus preStop; then "always give containers a
  // minimal shutdown window to avoid unnecessary SIGKILLs": if grace < minimumGracePeriodInSeconds (2) → 2; the pod
  // worker also never passes less than 1). podflow: core/reconcile.ts stopGrace, MINIMUM_STOP_GRACE_SECONDS
  // (docs/semantics.md §1, §6).
  it('short graces (1 s, 0 s) still leave 2 s between SIGTERM and SIGKILL, as the kubelet does', async () => {
    const cases = [1, 0].map((grace) => ({
      grace,
      name: `short-grace-${grace}`,
      log: join(e.scratch, `short-${grace}.log`),
    }));
    for (const c of cases) await e.create(podManifest(c.name, { containers: [stubborn(c.log)] }));
    for (const c of cases) await e.waitForPhase(c.name, 'Running');
    for (const c of cases) await waitForLine(c.log, 'ready');
    for (const c of cases) await e.delete(c.name, c.grace);
    for (const c of cases) await e.waitForRemoval(c.name);
    for (const c of cases) {
      const [app] = e.instances(c.name, 'app');
      const term = termsOf(c.log);
      // Without the minimum: grace 1 would SIGKILL ~1 s after SIGTERM, grace 0 at once without any SIGTERM.
      expect(term.length, `grace ${c.grace}: SIGTERM received`).toBeGreaterThanOrEqual(1);
      expect(app!.finishedAt! - term[0]!, `grace ${c.grace}: SIGTERM → SIGKILL`).toBeGreaterThanOrEqual(
        2000 - 50,
      );
    }
  });

  it.concurrent('every container exits 0 on SIGTERM → Succeeded before removal', async ({ expect }) => {
    const trapped = join(e.scratch, 'clean-exit.trapped');
    await e.create(
      podManifest('clean-exit', {
        initContainers: [sh('setup', 'sleep 0.1')],
        containers: ['web', 'worker'].map((name) =>
          sh(name, `trap 'exit 0' TERM; echo ${name} >> ${trapped}; sleep 30 & wait`),
        ),
      }),
    );
    await e.waitForPhase('clean-exit', 'Running');
    for (const name of ['web', 'worker']) await waitForLine(trapped, name);
    await e.delete('clean-exit');
    await e.waitForRemoval('clean-exit');
    const last = lastBeforeRemoval('clean-exit');
    expect(last.pod.status?.phase).toBe('Succeeded');
    for (const name of ['web', 'worker'])
      expect(containerStatus(last, name)?.state?.terminated).toMatchObject({
        exitCode: 0,
        reason: 'Completed',
      });
    expect(condition(last, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(e.history('clean-exit').some((s) => s.pod.status?.phase === 'Failed')).toBe(false);
  });

  it.concurrent(
    'a delete during crash back-off cancels the restart: no new instance, removed at once',
    async ({ expect }) => {
      await e.create(
        podManifest(
          'backoff-delete',
          { containers: [sh('app', 'sleep 0.1; exit 1')] },
          {
            annotations: { 'podflow.io/crash-backoff-initial': '20s', 'podflow.io/crash-backoff-max': '20s' },
          },
        ),
      );
      const waiting = await e.waitForPod(
        'backoff-delete',
        'CrashLoopBackOff',
        (s) => containerStatus(s, 'app')?.state?.waiting?.reason === 'CrashLoopBackOff',
      );
      const count = restartCount(waiting, 'app');
      const before = Date.now();
      await e.delete('backoff-delete');
      await e.waitForRemoval('backoff-delete');
      // Gone without waiting out the 20 s back-off: its timer was cancelled.
      expect(Date.now() - before).toBeLessThan(20_000);
      const last = lastBeforeRemoval('backoff-delete');
      expect(restartCount(last, 'app')).toBe(count);
      expect(last.pod.status?.phase).toBe('Failed');
      expect(last.engine.containers.app?.restartTimer).toBeUndefined();
    },
  );

  it.concurrent(
    'a delete during init stops the init container; the app container never starts',
    async ({ expect }) => {
      await e.create(
        podManifest('init-delete', {
          initContainers: [sh('slow-init', 'exec sleep 30')],
          containers: [sh('app', 'exec sleep 30')],
        }),
      );
      await e.waitForPod(
        'init-delete',
        'init running',
        (s) => s.engine.containers['slow-init']?.state.type === 'running',
      );
      await e.delete('init-delete', 1);
      await e.waitForRemoval('init-delete');
      const last = lastBeforeRemoval('init-delete');
      expect(last.engine.containers.app?.instance).toBe(-1);
      expect(containerStatus(last, 'slow-init')?.state?.terminated).toMatchObject({ exitCode: 143 });
      expect(last.pod.status?.phase).toBe('Failed');
    },
  );

  it.concurrent('deleting a pod that already Succeeded removes it', async ({ expect }) => {
    await e.create(podManifest('done-delete', { restartPolicy: 'Never', containers: [sh('app', 'exit 0')] }));
    await e.waitForPhase('done-delete', 'Succeeded');
    await e.waitForPod('done-delete', 'finished', (s) => s.engine.stage === 'Finished');
    await e.delete('done-delete');
    await e.waitForRemoval('done-delete');
    expect(lastBeforeRemoval('done-delete').pod.status?.phase).toBe('Succeeded');
  });
});
