// docs/semantics.md §2 and §7 through the real engine: app containers start only after the init containers, and the
// pod's restartPolicy decides what an exit means (kubelet ShouldContainerBeRestarted + getPhase).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  E2eEngine,
  condition,
  containerStatus,
  countAttempt,
  podManifest,
  readLines,
  restartCount,
  sh,
} from './support.ts';

let e: E2eEngine;
beforeAll(async () => {
  e = await E2eEngine.start();
});
afterAll(async () => {
  await e?.close();
});

interface Case {
  name: string;
  pod: string;
  policy: 'Always' | 'OnFailure' | 'Never';
  /** The app container's script; `$n` is its attempt number (1, 2, …). */
  script: string;
  /** What the test waits for. */
  until: 'Succeeded' | 'Failed' | { restarts: number };
  expectPhase: string;
  expectRestarts: number | 'atLeast2';
  lastExit: number;
}

const cases: Case[] = [
  {
    name: 'Never, exit 0 → Succeeded, not restarted',
    pod: 'never-zero',
    policy: 'Never',
    script: 'sleep 0.1; exit 0',
    until: 'Succeeded',
    expectPhase: 'Succeeded',
    expectRestarts: 0,
    lastExit: 0,
  },
  {
    name: 'Never, exit 1 → Failed, not restarted',
    pod: 'never-one',
    policy: 'Never',
    script: 'sleep 0.1; exit 1',
    until: 'Failed',
    expectPhase: 'Failed',
    expectRestarts: 0,
    lastExit: 1,
  },
  {
    name: 'OnFailure, exit 0 → Succeeded, not restarted',
    pod: 'onfailure-zero',
    policy: 'OnFailure',
    script: 'sleep 0.1; exit 0',
    until: 'Succeeded',
    expectPhase: 'Succeeded',
    expectRestarts: 0,
    lastExit: 0,
  },
  {
    name: 'OnFailure, exit 1 then exit 0 → restarted once, then Succeeded',
    pod: 'onfailure-retry',
    policy: 'OnFailure',
    script: 'sleep 0.1; [ $n -ge 2 ] || exit 1',
    until: 'Succeeded',
    expectPhase: 'Succeeded',
    expectRestarts: 1,
    lastExit: 0,
  },
  {
    name: 'Always, exit 0 → restarted (with back-off), pod stays Running',
    pod: 'always-zero',
    policy: 'Always',
    script: 'sleep 0.1; exit 0',
    until: { restarts: 2 },
    expectPhase: 'Running',
    expectRestarts: 'atLeast2',
    lastExit: 0,
  },
];

describe('restart policies', () => {
  it.concurrent.for(cases)('$name', async (c, { expect }) => {
    const attempts = join(e.scratch, `${c.pod}-attempts`);
    await e.create(
      podManifest(c.pod, {
        restartPolicy: c.policy,
        initContainers: [sh('setup', 'sleep 0.2')],
        containers: [sh('app', `${countAttempt(attempts)} ${c.script}`)],
      }),
    );
    const state =
      typeof c.until === 'string'
        ? await e.waitForPhase(c.pod, c.until)
        : await e.waitForPod(
            c.pod,
            `restartCount ${(c.until as { restarts: number }).restarts}`,
            (s) => restartCount(s, 'app') >= (c.until as { restarts: number }).restarts,
          );
    expect(state.pod.status?.phase).toBe(c.expectPhase);

    // The app container started only after the init container exited 0.
    const [setup] = e.instances(c.pod, 'setup');
    const runs = e.instances(c.pod, 'app');
    expect(setup).toMatchObject({ exitCode: 0 });
    expect(runs[0]!.startedAt).toBeGreaterThanOrEqual(setup!.finishedAt!);

    const status = containerStatus(state, 'app')!;
    if (c.expectRestarts === 'atLeast2') expect(status.restartCount).toBeGreaterThanOrEqual(2);
    else expect(status.restartCount).toBe(c.expectRestarts);
    // One process per instance: every instance that exited ran its command once (the newest may still be
    // starting), and no pid appears twice.
    const pids = readLines(`${attempts}.pids`);
    const finished = runs.filter((r) => r.finishedAt !== undefined);
    expect(new Set(pids).size).toBe(pids.length);
    expect(pids.length).toBeGreaterThanOrEqual(finished.length);
    expect(pids.length).toBeLessThanOrEqual(runs.length);
    expect(finished.at(-1)?.exitCode).toBe(c.lastExit);

    if (c.expectPhase === 'Succeeded' || c.expectPhase === 'Failed') {
      expect(state.engine.stage).toBe('Finished');
      expect(status.state?.terminated).toMatchObject({
        exitCode: c.lastExit,
        reason: c.lastExit === 0 ? 'Completed' : 'Error',
      });
      const terminal = c.expectPhase === 'Succeeded' ? 'PodCompleted' : 'PodFailed';
      expect(condition(state, 'ContainersReady')).toMatchObject({ status: 'False', reason: terminal });
      expect(condition(state, 'Ready')).toMatchObject({ status: 'False', reason: terminal });
      // A terminal pod stays terminal and is not removed without a delete.
      expect(e.history(c.pod).at(-1)?.pod.status?.phase).toBe(c.expectPhase);
      expect(e.removed(c.pod)).toBe(false);
    } else {
      // Under Always an exit is never final: the pod stays Running between instances.
      const phases = e
        .history(c.pod)
        .map((s) => s.pod.status?.phase)
        .filter((p, i, all) => p !== all[i - 1]);
      expect(phases).toEqual(['Pending', 'Running']);
    }
  });
});
