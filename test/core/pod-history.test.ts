// The engine's bounded lifecycle history (src/core/pod-history.ts) and the timeline document projected from it
// (src/core/pod-timeline.ts), driven through admitPod + reconcile with the golden scenarios' timelines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HISTORY_INSTANCES, type PodHistory } from '../../src/core/pod-history.ts';
import { podTimeline } from '../../src/core/pod-timeline.ts';
import { DEFAULT_ENGINE_SETTINGS } from '../../src/core/engine-settings.ts';
import { admittedPod } from '../../src/core/pod-state.ts';
import { admitPod, reconcile } from '../../src/core/reconcile.ts';
import { runScenario, type Scenario, type StepOutcome } from '../support/scenario.ts';

const START = Date.UTC(2026, 0, 1);
const scenario = (name: string): Scenario =>
  parse(
    readFileSync(join(import.meta.dirname, '..', 'golden', 'scenarios', `${name}.yaml`), 'utf8'),
  ) as Scenario;
const last = (outcomes: StepOutcome[]): StepOutcome => outcomes[outcomes.length - 1]!;
const historyOf = (o: StepOutcome): PodHistory => o.state.engine.history!;

describe('pod history', () => {
  it('records init containers one after the other, then the app, with ms times', () => {
    const outcomes = runScenario(scenario('init-sequence-success'), START);
    const h = historyOf(last(outcomes));
    const svc = h.containers['init-myservice']!;
    const db = h.containers['init-mydb']!;
    const app = h.containers['myapp-container']!;
    expect(svc).toHaveLength(1);
    expect(db).toHaveLength(1);
    expect(app).toHaveLength(1);
    expect(svc[0]!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(db[0]!.requestedAt).toBeGreaterThanOrEqual(svc[0]!.terminated!.finishedAt);
    expect(app[0]!.requestedAt).toBeGreaterThanOrEqual(db[0]!.terminated!.finishedAt);
    expect(app[0]!.runningAt).toBe(START + 50 + 20 + 1000 + 20 + 1000 + 20);
    expect(app[0]!.startedAt).toBe(app[0]!.runningAt);
    expect(app[0]!.readiness).toEqual([{ at: app[0]!.runningAt, ready: true }]);
    expect(h.admittedAt).toBe(START);
    // Initialized turned True after the last init container exited.
    const initialized = h.conditions.filter((c) => c.type === 'Initialized');
    expect(initialized.map((c) => c.status)).toEqual(['False', 'True']);
    expect(initialized[1]!.at).toBe(db[0]!.terminated!.finishedAt);
    expect(h.phases.map((p) => p.phase)).toEqual(['Pending', 'Running']);
  });

  it('records every crash and the back-off after it: the first restart immediate, then doubling waits', () => {
    const h = historyOf(last(runScenario(scenario('crash-loop-backoff'), START)));
    const app = h.containers.app!;
    expect(app.length).toBeGreaterThanOrEqual(8);
    expect(app.map((i) => i.instance)).toEqual(app.map((_, n) => app[0]!.instance + n));
    for (const i of app.slice(0, -1)) expect(i.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(app[0]!.backoff).toBeUndefined();
    const waits = app.slice(1, 7).map((i) => i.backoff!.until - i.backoff!.from);
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000]);
    // The next instance is asked for when its back-off ends.
    expect(app[2]!.requestedAt).toBe(app[1]!.backoff!.until);
    // Ready flips with each instance, each flip recorded once.
    const ready = h.conditions.filter((c) => c.type === 'Ready').map((c) => c.status);
    expect(ready.slice(0, 4)).toEqual(['False', 'True', 'False', 'True']);
  });

  it('keeps the last HISTORY_INSTANCES instances of a container', () => {
    const crashy = scenario('crash-loop-backoff');
    const long: Scenario = {
      ...crashy,
      steps: [
        crashy.steps[0]!,
        {
          repeat: HISTORY_INSTANCES + 5,
          steps: [
            { timer: 'next', optional: true },
            { after: 10, event: { type: 'containerStarted', container: 'app' } },
            { after: 100, event: { type: 'containerExited', container: 'app', exitCode: 1 } },
          ],
        },
      ],
    };
    const app = historyOf(last(runScenario(long, START))).containers.app!;
    expect(app).toHaveLength(HISTORY_INSTANCES);
    expect(app[app.length - 1]!.instance).toBe(HISTORY_INSTANCES + 4);
    expect(app[0]!.instance).toBe(5);
  });

  it('records hooks with their outcome, the kill and its grace', () => {
    const h = historyOf(last(runScenario(scenario('poststart-prestop'), START)));
    const [first, second] = h.containers['lifecycle-demo-container']!;
    expect(first!.hooks).toEqual([
      {
        hook: 'postStart',
        startedAt: first!.runningAt,
        finishedAt: first!.runningAt! + 100,
        error: 'Exec lifecycle hook failed: exit 1',
      },
      // The kill after a failed postStart goes through killContainer: preStop runs first.
      { hook: 'preStop', startedAt: first!.runningAt! + 100, finishedAt: first!.runningAt! + 9100 },
    ]);
    expect(first!.killing).toMatchObject({ reason: 'PostStartHookError', graceSeconds: 10 });
    expect(first!.startedAt).toBeUndefined();
    expect(second!.hooks.map((x) => [x.hook, x.finishedAt! - x.startedAt])).toEqual([
      ['postStart', 100],
      ['preStop', 9000],
    ]);
    expect(second!.killing).toMatchObject({ reason: 'Delete', graceSeconds: 10 });
    expect(second!.terminated).toMatchObject({ exitCode: 0 });
  });

  it('records published probe results and readiness flips of an instance', () => {
    const h = historyOf(last(runScenario(scenario('liveness-failure-restart'), START)));
    const [first] = h.containers.liveness!;
    expect(first!.probes.map((p) => `${p.probe}=${p.result}`)).toEqual([
      'readiness=success',
      'readiness=failure',
      'liveness=failure',
    ]);
    expect(first!.readiness.map((r) => r.ready)).toEqual([true, false]);
    expect(first!.killing).toMatchObject({ reason: 'Liveness', graceSeconds: 5 });
  });

  it('starts late, without complaint, on a state stored before history existed', () => {
    const settings = DEFAULT_ENGINE_SETTINGS;
    const pod = admittedPod(scenario('crash-loop-backoff').pod);
    const admitted = admitPod(pod, { now: START, settings }).state;
    delete admitted.engine.history;
    const { state } = reconcile(
      admitted,
      { id: 'e1', at: START + 5, type: 'sandboxReady', podIP: '127.0.0.1' },
      { now: START + 5, settings },
    );
    expect(state.engine.history?.containers.app).toEqual([
      { instance: 0, requestedAt: START + 5, readiness: [], probes: [], hooks: [] },
    ]);
  });
});

describe('pod timeline document', () => {
  it('serves the history with the pod identity, deletion and what each container waits for', () => {
    const outcomes = runScenario(scenario('crash-loop-backoff'), START);
    // Right after a crash: waiting in CrashLoopBackOff until the restart timer.
    const crashed = outcomes.find(
      (o) => o.state.engine.containers.app!.restartTimer && o.state.engine.containers.app!.instance >= 2,
    )!;
    const doc = podTimeline(crashed.state, '42', START + 1);
    expect(doc).toMatchObject({
      apiVersion: 'podflow.io/v1alpha1',
      kind: 'PodTimeline',
      metadata: { name: 'crashy', namespace: 'default', resourceVersion: '42' },
      now: START + 1,
      phase: 'Running',
      admittedAt: START,
    });
    expect(doc.containers).toHaveLength(1);
    expect(doc.containers[0]!.waiting).toEqual({
      reason: 'CrashLoopBackOff',
      message: expect.stringContaining('back-off'),
      until: crashed.state.engine.containers.app!.restartTimer!.at,
    });
    const deleting = last(runScenario(scenario('graceful-termination'), START)).state;
    const gone = podTimeline(deleting, '7', START);
    expect(gone.deletion).toEqual(deleting.engine.deletion);
  });
});
