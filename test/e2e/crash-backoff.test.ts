// Crash back-off through the real engine (docs/semantics.md §1, core/backoff.ts): the first restart is immediate,
// then the delay doubles from the initial value up to the cap; a container that ran longer than the reset time before
// failing starts a fresh curve; per-pod annotations tune the curve. The engine runs the scaled curve (200 ms initial,
// 1.6 s cap, 3.2 s reset). Each restart's back-off is the one the engine decided (exactly the nominal delay), and
// nothing happens early: the timer is due no sooner than exit + back-off, the start is decided no sooner than the
// timer, the process exec'd after the decision (support.ts backoffViolations). How soon after its due instant a
// restart happens measures the machine's load, not the engine's rules: that is a benchmark figure.
//
// The crashing commands sleep 0.1 s before failing: the instance is then seen running before it exits, as a real
// crash-looping program would be (an instant exit makes `started` and `exited` race into the inbox, and the
// immediate restart then costs an extra reconcile loop).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  E2eEngine,
  SCALED_BACKOFF,
  containerStatus,
  countAttempt,
  podManifest,
  readLines,
  restartCount,
  sh,
  backoffViolations,
  restartDelays,
  type InstanceTimes,
  waitForLines,
} from './support.ts';

let e: E2eEngine;
/** An engine that continues a worker as new after 10 lifecycle steps. */
let small: E2eEngine;
beforeAll(async () => {
  [e, small] = await Promise.all([
    E2eEngine.start(),
    E2eEngine.start({ settings: { maxStepsPerExecution: 10 } }),
  ]);
});
afterAll(async () => {
  await Promise.all([e?.close(), small?.close()]);
});

/** The CrashLoopBackOff message of each wait (one per restartCount at which the container waited), in order. */
function waitingMessages(name: string, container: string): string[] {
  const byRestart = new Map<number, string>();
  for (const s of e.history(name)) {
    const status = containerStatus(s, container);
    const waiting = status?.state?.waiting;
    if (waiting?.reason === 'CrashLoopBackOff') byRestart.set(status!.restartCount!, waiting.message!);
  }
  return [...byRestart.values()];
}

function expectDelays(runs: InstanceTimes[], nominalMs: number[]): void {
  expect(backoffViolations(restartDelays(runs), nominalMs)).toEqual([]);
}

describe('crash back-off', () => {
  it(
    'crash loop: immediate, then 1×, 2×, 4×, 8× the initial up to the cap; CrashLoopBackOff with the kubelet message',
    { timeout: 20_000 },
    async () => {
      const name = 'crashy';
      const attempts = join(e.scratch, name);
      const created = await e.create(
        podManifest(name, { containers: [sh('app', `${countAttempt(attempts)} sleep 0.1; exit 1`)] }),
      );
      const uid = created.metadata!.uid!;
      // Instance 5 started after the capped delay, and its exit put the container back into CrashLoopBackOff.
      const looping = await e.waitForPod(
        name,
        'instance 5 exited, waiting again',
        (s) => restartCount(s, 'app') >= 5 && s.engine.containers.app?.state.type === 'waiting',
        15_000,
      );
      const status = containerStatus(looping, 'app')!;
      expect(status.restartCount).toBe(5);
      expect(status.state?.waiting?.reason).toBe('CrashLoopBackOff');
      expect(status.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
      expect(status.ready).toBe(false);
      expect(looping.pod.status?.phase).toBe('Running');

      const { initialMs, maxMs } = SCALED_BACKOFF;
      const runs = e.instances(name, 'app');
      expect(runs.map((r) => r.exitCode)).toEqual([1, 1, 1, 1, 1, 1]);
      expectDelays(runs, [0, initialMs, 2 * initialMs, 4 * initialMs, maxMs]);

      // The message of every wait, as the kubelet writes it (Go durations); the first restart had none.
      const pod = `pod=${name}_default(${uid})`;
      expect(waitingMessages(name, 'app')).toEqual([
        `back-off 200ms restarting failed container=app ${pod}`,
        `back-off 400ms restarting failed container=app ${pod}`,
        `back-off 800ms restarting failed container=app ${pod}`,
        `back-off 1.6s restarting failed container=app ${pod}`,
        `back-off 1.6s restarting failed container=app ${pod}`,
      ]);
      // Under Always the pod never leaves Running between instances.
      const phases = e.history(name).map((s) => s.pod.status?.phase);
      expect(phases.slice(phases.indexOf('Running'))).not.toContain('Pending');
      // One process per instance.
      expect(readLines(`${attempts}.pids`)).toHaveLength(6);
      // BackOff events aggregate into one Event whose count grows.
      await e.waitForEvent(name, 'BackOff');
      const backOff = (await e.events(name)).filter((ev) => ev.reason === 'BackOff');
      expect(backOff).toHaveLength(1);
      expect(backOff[0]).toMatchObject({
        type: 'Warning',
        message: `Back-off restarting failed container app in pod ${name}_default(${uid})`,
        involvedObject: { fieldPath: 'spec.containers{app}' },
      });
      expect(backOff[0]!.count).toBeGreaterThanOrEqual(4);
    },
  );

  it(
    'back-off reset: a container that ran longer than the reset time restarts immediately, on a fresh curve',
    { timeout: 25_000 },
    async () => {
      const name = 'resetty';
      const attempts = join(e.scratch, name);
      const longRunMs = SCALED_BACKOFF.resetMs + 300;
      // Attempts 1–3 fail at once, attempt 4 runs past the reset time and fails, attempt 5 fails at once,
      // attempt 6 stays up.
      const script =
        `${countAttempt(attempts)} ` +
        `case $n in 4) sleep ${longRunMs / 1000}; exit 1;; 5) sleep 0.1; exit 1;; 6) exec sleep 30;; esac; ` +
        'sleep 0.1; exit 1';
      await e.create(podManifest(name, { containers: [sh('app', script)] }));
      const state = await e.waitForPod(
        name,
        'instance 5 running',
        (s) =>
          restartCount(s, 'app') === 5 && s.pod.status?.containerStatuses?.[0]?.state?.running !== undefined,
        20_000,
      );
      expect(state.pod.status?.phase).toBe('Running');
      const runs = e.instances(name, 'app');
      expect(runs[3]!.finishedAt! - runs[3]!.startedAt!).toBeGreaterThan(SCALED_BACKOFF.resetMs);
      const { initialMs } = SCALED_BACKOFF;
      // Without the reset the fourth restart would wait 4× the initial (800 ms).
      expectDelays(runs, [0, initialMs, 2 * initialMs, 0, initialMs]);
      // One process per instance. The sixth is reported running when its shell is exec'd, before the shell's first
      // command writes its pid: wait for that line, then no more than six.
      await waitForLines(`${attempts}.pids`, 'sixth pid', (lines) => lines.length >= 6, 5_000);
      expect(readLines(`${attempts}.pids`)).toHaveLength(6);
    },
  );

  it(
    'per-pod annotations podflow.io/crash-backoff-initial, -max and -reset override the engine curve',
    { timeout: 25_000 },
    async () => {
      const name = 'tuned';
      const attempts = join(e.scratch, name);
      // initial 300ms and cap 600ms (the engine's: 200ms, 1.6s), reset 1.2s (engine: 3.2s). Attempts 1–4 fail at
      // once, attempt 5 runs 1.5 s (longer than the pod's reset, shorter than the engine's) and fails, attempt 6
      // fails at once, attempt 7 stays up.
      const script =
        `${countAttempt(attempts)} ` +
        'case $n in 5) sleep 1.5; exit 1;; 7) exec sleep 30;; esac; sleep 0.1; exit 1';
      const created = await e.create(
        podManifest(
          name,
          { containers: [sh('app', script)] },
          {
            annotations: {
              'podflow.io/crash-backoff-initial': '300ms',
              'podflow.io/crash-backoff-max': '600ms',
              'podflow.io/crash-backoff-reset': '1.2s',
            },
          },
        ),
      );
      await e.waitForPod(
        name,
        'instance 6 running',
        (s) =>
          restartCount(s, 'app') === 6 && s.pod.status?.containerStatuses?.[0]?.state?.running !== undefined,
        20_000,
      );
      const runs = e.instances(name, 'app');
      expectDelays(runs, [0, 300, 600, 600, 0, 300]);
      const pod = `pod=${name}_default(${created.metadata!.uid})`;
      expect(waitingMessages(name, 'app')).toEqual([
        `back-off 300ms restarting failed container=app ${pod}`,
        `back-off 600ms restarting failed container=app ${pod}`,
        `back-off 600ms restarting failed container=app ${pod}`,
        `back-off 300ms restarting failed container=app ${pod}`,
      ]);
    },
  );
});

// Not timing-sensitive: these run concurrently, after the timed ones.
describe.concurrent(
  'continue-as-new bounds a crash loop (docs/decisions/0002-pod-worker-state-machine.md: far below 25,000 history events)',
  () => {
    const FAST = { 'podflow.io/crash-backoff-initial': '100ms', 'podflow.io/crash-backoff-max': '100ms' };

    /** The worker continued as new at least twice, and restartCount never went backwards across executions. */
    function expectContinuedAsNew(name: string, container: string): void {
      const steps = small.stepsOf(name);
      expect(steps.filter((s) => s.step === 'continueAsNew').length).toBeGreaterThanOrEqual(2);
      const counts = small.history(name).map((s) => restartCount(s, container));
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
    }

    it('crash-looping app container: the worker continues as new after maxStepsPerExecution', async () => {
      await small.create(
        podManifest('loop-app', { containers: [sh('app', 'sleep 0.2; exit 1')] }, { annotations: FAST }),
      );
      await small.waitForPod('loop-app', 'restartCount 8', (s) => restartCount(s, 'app') >= 8, 15_000);
      expectContinuedAsNew('loop-app', 'app');
    }, 20_000);

    // Inside the InitContainers Map: the iteration fails with Podflow.ContinueAsNew, the Map catches it.
    it('crash-looping init container: the worker continues as new from inside its Map', async () => {
      await small.create(
        podManifest(
          'loop-init',
          { initContainers: [sh('init', 'sleep 0.2; exit 1')], containers: [sh('app', 'sleep 30')] },
          { annotations: FAST },
        ),
      );
      await small.waitForPod('loop-init', 'restartCount 8', (s) => restartCount(s, 'init') >= 8, 15_000);
      expectContinuedAsNew('loop-init', 'init');
    }, 20_000);
  },
);
