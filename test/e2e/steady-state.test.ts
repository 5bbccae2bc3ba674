// docs/architecture.md §11, docs/decisions/0002-pod-worker-state-machine.md: steady state costs nothing — a Running
// pod with nothing happening causes no store writes and no state transitions; its worker sits in SuperviseAwait (an
// `await` step waiting for an `event`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2eEngine, podManifest, sh } from './support.ts';

let e: E2eEngine;
beforeAll(async () => {
  e = await E2eEngine.start();
});
afterAll(async () => {
  await e?.close();
});

/** How long the pod is watched doing nothing. A fixed window is the point of this test, not a wait for a state. */
const QUIET_WINDOW_MS = 2_000;

describe('steady state', () => {
  it('a Running pod with no events causes no store writes, and its worker waits in SuperviseAwait', async () => {
    await e.create(
      podManifest('steady', {
        initContainers: [sh('init', 'true')],
        containers: [sh('web', 'exec sleep 30'), sh('sidekick', 'exec sleep 30')],
      }),
    );
    await e.waitForPhase('steady', 'Running');
    // Settled: every container started and the worker parked in SuperviseAwait.
    await e.waitFor('worker in SuperviseAwait', () => {
      const last = e.stepsOf('steady').at(-1);
      return last?.step === 'await' && last.waitFor === 'event';
    });
    const writesBefore = e.recorded.length;
    const stepsBefore = e.stepsOf('steady').length;
    const executions = e.local.workflow.executions;

    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));

    const writes = e.recorded.slice(writesBefore).map(({ change }) => change.type);
    expect(writes).toEqual([]);
    expect(e.stepsOf('steady').slice(stepsBefore)).toEqual([]);
    // One execution for the pod, still running (parked, not finished or restarted).
    expect(e.local.workflow.executions).toEqual(executions);
    expect(executions).toHaveLength(1);
    const stored = await e.local.store.get({ namespace: 'default', name: 'steady' });
    expect(stored?.inbox).toEqual([]);
    expect(stored?.state.pod.status?.phase).toBe('Running');
    // The engine reported nothing going wrong meanwhile.
    expect(e.errors).toEqual([]);
  });
});
