// docs/semantics.md §7 through the real engine: init containers run strictly one at a time in spec order, app
// containers only after the last one exited 0; a failed init container fails the pod under Never and is restarted
// with crash back-off otherwise.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  E2eEngine,
  SCALED_BACKOFF,
  condition,
  containerStatus,
  countAttempt,
  podManifest,
  readExample,
  readLines,
  rfc3339Ms,
  sh,
  backoffViolations,
  restartDelays,
} from './support.ts';

let e: E2eEngine;
beforeAll(async () => {
  e = await E2eEngine.start();
});
afterAll(async () => {
  await e?.close();
});

describe('init containers', () => {
  it('myapp-pod: init containers strictly sequential, Initialized only after the last, then Running', async () => {
    await e.create(readExample('quickstart/myapp-pod.yaml'), 'myapp-pod.yaml');
    const running = await e.waitForPhase('myapp-pod', 'Running', 15_000);

    // Order, from the engine's ms records: each init container started after the previous one finished, and the
    // app container after the last init container.
    const [a] = e.instances('myapp-pod', 'init-myservice');
    const [b] = e.instances('myapp-pod', 'init-mydb');
    const [app] = e.instances('myapp-pod', 'myapp-container');
    expect(a).toMatchObject({ instance: 0, exitCode: 0, reason: 'Completed' });
    expect(b).toMatchObject({ instance: 0, exitCode: 0, reason: 'Completed' });
    expect(a!.finishedAt).toBeLessThanOrEqual(b!.startedAt!);
    expect(b!.finishedAt).toBeLessThanOrEqual(app!.startedAt!);
    // Each init container ran its `sleep 1`.
    expect(a!.finishedAt! - a!.startedAt!).toBeGreaterThanOrEqual(950);
    expect(b!.finishedAt! - b!.startedAt!).toBeGreaterThanOrEqual(950);

    // The published statuses say the same (second precision).
    const inits = running.pod.status?.initContainerStatuses ?? [];
    expect(inits.map((s) => [s.name, s.state?.terminated?.exitCode, s.state?.terminated?.reason])).toEqual([
      ['init-myservice', 0, 'Completed'],
      ['init-mydb', 0, 'Completed'],
    ]);
    expect(inits.every((s) => s.ready && s.restartCount === 0)).toBe(true);
    expect(rfc3339Ms(inits[0]!.state!.terminated!.finishedAt)).toBeLessThanOrEqual(
      rfc3339Ms(inits[1]!.state!.terminated!.startedAt),
    );
    expect(containerStatus(running, 'myapp-container')).toMatchObject({
      ready: true,
      started: true,
      restartCount: 0,
    });

    // In every committed state: never two init containers alive at once, the app container not started before
    // both finished, and Initialized True exactly when both exited 0.
    for (const state of e.history('myapp-pod').filter((s) => s.engine.scheduled)) {
      const recs = state.engine.containers;
      const alive = ['init-myservice', 'init-mydb'].filter((n) =>
        ['starting', 'running'].includes(recs[n]?.state.type ?? ''),
      );
      expect(alive.length).toBeLessThanOrEqual(1);
      const initsDone = ['init-myservice', 'init-mydb'].every((n) => {
        const s = recs[n]?.state;
        return s?.type === 'terminated' && s.exitCode === 0;
      });
      if (!initsDone) {
        expect(recs['myapp-container']?.instance).toBe(-1);
        expect(condition(state, 'Initialized')).toMatchObject({
          status: 'False',
          reason: 'ContainersNotInitialized',
        });
        expect(containerStatus(state, 'myapp-container')?.state?.waiting?.reason).toBe('PodInitializing');
      } else {
        expect(condition(state, 'Initialized')?.status).toBe('True');
      }
      if (recs['init-mydb']?.instance === 0 && recs['init-myservice']?.state.type !== 'terminated') {
        throw new Error('init-mydb started before init-myservice finished');
      }
    }
    // The flip is stamped no earlier than the last init container's exit (RFC3339 seconds).
    const initialized = condition(running, 'Initialized')!;
    expect(rfc3339Ms(initialized.lastTransitionTime)).toBeGreaterThanOrEqual(
      Math.floor(b!.finishedAt! / 1000) * 1000,
    );
    // Messages list the incomplete init containers as the kubelet does.
    const early = e.history('myapp-pod').find((s) => s.engine.scheduled)!;
    expect(condition(early, 'Initialized')?.message).toBe(
      'containers with incomplete status: [init-myservice init-mydb]',
    );
  }, 20_000);

  it('init container failing under Never → pod Failed; the next init and the app never start', async () => {
    const marker = join(e.scratch, 'never-ran');
    await e.create(
      podManifest('init-never', {
        restartPolicy: 'Never',
        initContainers: [sh('init-check', 'exit 1'), sh('init-next', `echo init-next >> '${marker}'`)],
        containers: [sh('app', `echo app >> '${marker}'; sleep 30`)],
      }),
    );
    const failed = await e.waitForPhase('init-never', 'Failed');
    expect(containerStatus(failed, 'init-check')).toMatchObject({
      restartCount: 0,
      ready: false,
      state: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    for (const name of ['init-next', 'app']) {
      expect(failed.engine.containers[name]?.instance).toBe(-1);
      expect(containerStatus(failed, name)?.state?.waiting?.reason).toBe('PodInitializing');
    }
    expect(failed.engine.stage).toBe('Finished');
    expect(condition(failed, 'Initialized')).toMatchObject({ status: 'False' });
    expect(condition(failed, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    await e.waitForEvent('init-never', 'Started');
    const started = (await e.events('init-never')).filter((ev) => ev.reason === 'Started');
    expect(started.map((ev) => ev.involvedObject.fieldPath)).toEqual(['spec.initContainers{init-check}']);
    expect(readLines(marker)).toEqual([]);
    // Nothing else happens to a terminal pod.
    expect(e.history('init-never').at(-1)?.pod.status?.phase).toBe('Failed');
  });

  it('init container failing under OnFailure restarts with back-off (immediate, then initial), then succeeds', async () => {
    const name = 'init-onfailure';
    const attempts = join(e.scratch, `${name}-attempts`);
    const created = await e.create(
      podManifest(name, {
        restartPolicy: 'OnFailure',
        initContainers: [sh('init-flaky', `${countAttempt(attempts)} sleep 0.1; [ $n -ge 3 ] || exit 1`)],
        containers: [sh('app', 'sleep 30')],
      }),
    );
    const running = await e.waitForPhase(name, 'Running');
    expect(readLines(attempts)).toEqual(['3']);
    expect(containerStatus(running, 'init-flaky')).toMatchObject({
      restartCount: 2,
      ready: true,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    const runs = e.instances(name, 'init-flaky');
    expect(runs.map((r) => r.exitCode)).toEqual([1, 1, 0]);
    expect(backoffViolations(restartDelays(runs), [0, SCALED_BACKOFF.initialMs])).toEqual([]);
    // During the wait the init container showed CrashLoopBackOff with the kubelet's message.
    const waiting = e
      .history(name)
      .map((s) => containerStatus(s, 'init-flaky')?.state?.waiting)
      .find((w) => w?.reason === 'CrashLoopBackOff');
    expect(waiting?.message).toBe(
      `back-off 200ms restarting failed container=init-flaky pod=${name}_default(${created.metadata!.uid})`,
    );
    // The app container started only after the init container's successful run.
    const [app] = e.instances(name, 'app');
    expect(app!.startedAt).toBeGreaterThanOrEqual(runs[2]!.finishedAt!);
    await e.waitForEvent(name, 'BackOff');
  });
});
