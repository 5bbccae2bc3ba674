import { describe, expect, it } from 'vitest';
import {
  firstProbeDue,
  probesTriggeredBy,
  initialProbeResult,
  newProbeWorkerState,
  recordProbeOutcome,
  resetProbeWorkerForNewContainer,
  shouldProbe,
} from '../../src/core/probe-results.ts';
import type {
  ProbeResult,
  ProbeThresholds,
  ProbeType,
  ProbeWorkerState,
  RawProbeResult,
} from '../../src/core/probe-results.ts';

// Cases follow pkg/kubelet/prober/worker.go doProbe and worker_test.go.

const S: RawProbeResult = 'success';
const F: RawProbeResult = 'failure';

interface Step {
  result: ProbeResult;
  changed: boolean;
}

/** Feeds raw results to one worker; returns the published result and the change flag after each. */
function run(
  type: ProbeType,
  probe: ProbeThresholds,
  raws: RawProbeResult[],
  state: ProbeWorkerState = newProbeWorkerState(type),
): { steps: Step[]; state: ProbeWorkerState } {
  const steps: Step[] = [];
  for (const raw of raws) {
    const outcome = recordProbeOutcome(state, raw, probe, type);
    state = outcome.state;
    steps.push({ result: state.result, changed: outcome.changed });
  }
  return { steps, state };
}

const step = (result: ProbeResult, changed = false): Step => ({ result, changed });

describe('initialProbeResult (worker.go newWorker initialValue)', () => {
  it.each([
    { type: 'readiness' as const, expected: 'failure' },
    { type: 'liveness' as const, expected: 'success' },
    { type: 'startup' as const, expected: 'unknown' },
  ])('$type starts $expected', ({ type, expected }) => {
    expect(initialProbeResult(type)).toBe(expected);
    expect(newProbeWorkerState(type)).toEqual({ result: expected, lastRaw: null, run: 0, onHold: false });
  });
});

describe('recordProbeOutcome (worker.go doProbe counting)', () => {
  it.each([
    {
      name: 'readiness, successThreshold 1: the first success publishes Success',
      type: 'readiness' as const,
      probe: { successThreshold: 1, failureThreshold: 3 },
      raws: [S],
      steps: [step('success', true)],
    },
    {
      name: 'readiness, failureThreshold 3: ready until the third consecutive failure',
      type: 'readiness' as const,
      probe: { successThreshold: 1, failureThreshold: 3 },
      raws: [S, F, F, F, F],
      steps: [
        step('success', true),
        step('success'),
        step('success'),
        step('failure', true),
        step('failure'),
      ],
    },
    {
      name: 'readiness, successThreshold 3: not ready until the third consecutive success',
      type: 'readiness' as const,
      probe: { successThreshold: 3, failureThreshold: 3 },
      raws: [S, S, S],
      steps: [step('failure'), step('failure'), step('success', true)],
    },
    {
      name: 'readiness: an interrupting failure restarts the success run',
      type: 'readiness' as const,
      probe: { successThreshold: 2, failureThreshold: 3 },
      raws: [S, F, S, S],
      steps: [step('failure'), step('failure'), step('failure'), step('success', true)],
    },
    {
      name: 'readiness: an interrupting success restarts the failure run',
      type: 'readiness' as const,
      probe: { successThreshold: 1, failureThreshold: 2 },
      raws: [S, F, S, F, F],
      steps: [
        step('success', true),
        step('success'),
        step('success'),
        step('success'),
        step('failure', true),
      ],
    },
    {
      name: 'readiness: repeated publication of the same result is not a change',
      type: 'readiness' as const,
      probe: { successThreshold: 1, failureThreshold: 1 },
      raws: [F, F, S, S],
      steps: [step('failure'), step('failure'), step('success', true), step('success')],
    },
    {
      name: 'readiness never holds: it recovers after a published failure',
      type: 'readiness' as const,
      probe: { successThreshold: 1, failureThreshold: 1 },
      raws: [S, F, S],
      steps: [step('success', true), step('failure', true), step('success', true)],
    },
    {
      name: 'missing thresholds take the API defaults (success 1, failure 3)',
      type: 'readiness' as const,
      probe: {},
      raws: [S, F, F, F],
      steps: [step('success', true), step('success'), step('success'), step('failure', true)],
    },
    {
      name: 'liveness starts Success: a success is not a change',
      type: 'liveness' as const,
      probe: { successThreshold: 1, failureThreshold: 3 },
      raws: [S, S],
      steps: [step('success'), step('success')],
    },
    {
      name: 'liveness: failureThreshold consecutive failures publish Failure, then the worker holds',
      type: 'liveness' as const,
      probe: { successThreshold: 1, failureThreshold: 3 },
      raws: [F, F, F, S, S],
      steps: [step('success'), step('success'), step('failure', true), step('failure'), step('failure')],
    },
    {
      name: 'startup starts Unknown: failureThreshold failures publish Failure',
      type: 'startup' as const,
      probe: { successThreshold: 1, failureThreshold: 2 },
      raws: [F, F, S],
      steps: [step('unknown'), step('failure', true), step('failure')],
    },
    {
      name: 'startup: a published Success also holds the worker (kubernetes#117153)',
      type: 'startup' as const,
      probe: { successThreshold: 1, failureThreshold: 30 },
      raws: [F, F, S, F],
      steps: [step('unknown'), step('unknown'), step('success', true), step('success')],
    },
  ])('$name', ({ type, probe, raws, steps }) => {
    expect(run(type, probe, raws).steps).toEqual(steps);
  });

  it('liveness failure published: onHold and the run resets to 0', () => {
    const { state } = run('liveness', { failureThreshold: 2 }, [F, F]);
    expect(state).toEqual({ result: 'failure', lastRaw: 'failure', run: 0, onHold: true });
  });

  it('startup success published: onHold too, so the worker stops probing (kubernetes#117153)', () => {
    const { state } = run('startup', { failureThreshold: 30 }, [F, S]);
    expect(state).toEqual({ result: 'success', lastRaw: 'success', run: 0, onHold: true });
  });

  it('below the threshold only the run changes', () => {
    const { state } = run('readiness', { failureThreshold: 3 }, [S, F, F]);
    expect(state).toEqual({ result: 'success', lastRaw: 'failure', run: 2, onHold: false });
  });

  it('an outcome recorded while on hold is ignored (upstream does not probe then)', () => {
    const held: ProbeWorkerState = { result: 'failure', lastRaw: 'failure', run: 0, onHold: true };
    expect(recordProbeOutcome(held, F, { failureThreshold: 1 }, 'liveness')).toEqual({
      state: held,
      changed: false,
    });
  });
});

describe('resetProbeWorkerForNewContainer (doProbe on a new container ID)', () => {
  it('liveness after a kill: publishes Success again, releases the hold, counts from zero', () => {
    const { state: held } = run('liveness', { failureThreshold: 3 }, [F, F, F]);
    const fresh = resetProbeWorkerForNewContainer(held, 'liveness');
    expect(fresh).toEqual({ result: 'success', lastRaw: 'failure', run: 0, onHold: false });
    // A new instance needs the full failureThreshold again.
    expect(run('liveness', { failureThreshold: 3 }, [F, F, F], fresh).steps).toEqual([
      step('success'),
      step('success'),
      step('failure', true),
    ]);
  });

  it('startup: back to Unknown and probing again', () => {
    const { state: held } = run('startup', { failureThreshold: 1 }, [F]);
    expect(resetProbeWorkerForNewContainer(held, 'startup')).toEqual({
      result: 'unknown',
      lastRaw: 'failure',
      run: 0,
      onHold: false,
    });
  });

  it('readiness keeps its run across instances, as upstream does (lastResult/resultRun are not reset)', () => {
    const probe = { successThreshold: 3, failureThreshold: 3 };
    const { state: old } = run('readiness', probe, [S, S, S, S, S]);
    const fresh = resetProbeWorkerForNewContainer(old, 'readiness');
    expect(fresh.result).toBe('failure');
    expect(run('readiness', probe, [S], fresh).steps).toEqual([step('success', true)]);
  });
});

describe('shouldProbe (doProbe gates)', () => {
  const START = Date.UTC(2025, 0, 1);
  const base = { containerStartedAtMs: START, initialDelaySeconds: 10, started: true, terminating: false };
  it.each([
    {
      name: 'readiness before initialDelaySeconds',
      input: { ...base, type: 'readiness' as const, nowMs: START + 5_000 },
      expected: false,
    },
    {
      name: 'readiness at exactly initialDelaySeconds',
      input: { ...base, type: 'readiness' as const, nowMs: START + 10_000 },
      expected: true,
    },
    {
      name: 'elapsed seconds are truncated like int32(): 9.999s < 10s',
      input: { ...base, type: 'liveness' as const, nowMs: START + 9_999 },
      expected: false,
    },
    {
      name: 'initialDelaySeconds 0 probes at once',
      input: { ...base, type: 'readiness' as const, initialDelaySeconds: 0, nowMs: START },
      expected: true,
    },
    {
      name: 'missing initialDelaySeconds defaults to 0',
      input: {
        type: 'liveness' as const,
        containerStartedAtMs: START,
        nowMs: START,
        started: true,
        terminating: false,
      },
      expected: true,
    },
    {
      name: 'startup probe runs until the container has started',
      input: { ...base, type: 'startup' as const, started: false, nowMs: START + 60_000 },
      expected: true,
    },
    {
      name: 'startup probe stops once started',
      input: { ...base, type: 'startup' as const, started: true, nowMs: START + 60_000 },
      expected: false,
    },
    {
      name: 'startup probe also waits for its initialDelaySeconds',
      input: { ...base, type: 'startup' as const, started: false, nowMs: START + 1_000 },
      expected: false,
    },
    {
      name: 'liveness is gated by the startup probe',
      input: { ...base, type: 'liveness' as const, started: false, nowMs: START + 60_000 },
      expected: false,
    },
    {
      name: 'readiness is gated by the startup probe',
      input: { ...base, type: 'readiness' as const, started: false, nowMs: START + 60_000 },
      expected: false,
    },
    {
      name: 'liveness after start',
      input: { ...base, type: 'liveness' as const, nowMs: START + 60_000 },
      expected: true,
    },
    {
      name: 'liveness stops while the pod terminates',
      input: { ...base, type: 'liveness' as const, terminating: true, nowMs: START + 60_000 },
      expected: false,
    },
    {
      name: 'startup stops while the pod terminates',
      input: { ...base, type: 'startup' as const, started: false, terminating: true, nowMs: START + 60_000 },
      expected: false,
    },
    {
      name: 'readiness keeps probing while the pod terminates',
      input: { ...base, type: 'readiness' as const, terminating: true, nowMs: START + 60_000 },
      expected: true,
    },
  ])('$name → $expected', ({ input, expected }) => {
    expect(shouldProbe(input)).toBe(expected);
  });
});

describe('firstProbeDue (worker.go run)', () => {
  const T = 1_000_000;
  const longRunning = T - 3_600_000;
  it('at once for a container started earlier; after initialDelaySeconds for a new one; never a period later', () => {
    const probe = { periodSeconds: 300, initialDelaySeconds: 5 };
    expect(
      firstProbeDue({
        probe,
        nowMs: T,
        containerStartedAtMs: T - 60_000,
        proberStartedAtMs: longRunning,
        random: 0.9,
      }),
    ).toEqual({ notBeforeMs: T - 55_000, dueAtMs: T });
    expect(
      firstProbeDue({
        probe,
        nowMs: T,
        containerStartedAtMs: T,
        proberStartedAtMs: longRunning,
        random: 0.9,
      }),
    ).toEqual({ notBeforeMs: T + 5_000, dueAtMs: T + 5_000 });
  });
  it('a prober started less than a period ago waits a random part of the period first; the default period is 10 s', () => {
    const due = (random: number, proberStartedAtMs: number) =>
      firstProbeDue({ probe: {}, nowMs: T, containerStartedAtMs: T - 60_000, proberStartedAtMs, random })
        .dueAtMs;
    expect(due(0.5, T - 1_000)).toBe(T + 5_000);
    expect(due(0.999, T - 9_999)).toBe(T + 9_990);
    expect(due(0.5, T - 10_000)).toBe(T); // a period or more ago: no offset
  });
});

describe('probesTriggeredBy (prober_manager.go UpdatePodStatus)', () => {
  it('a startup success of a container not ready yet runs its readiness probe at once; nothing else does', () => {
    expect(probesTriggeredBy('startup', { startedBefore: false, startedNow: true, ready: false })).toEqual([
      'readiness',
    ]);
    expect(probesTriggeredBy('startup', { startedBefore: false, startedNow: true, ready: true })).toEqual([]);
    expect(probesTriggeredBy('startup', { startedBefore: true, startedNow: true, ready: false })).toEqual([]);
    expect(probesTriggeredBy('startup', { startedBefore: false, startedNow: false, ready: false })).toEqual(
      [],
    );
    expect(probesTriggeredBy('readiness', { startedBefore: false, startedNow: true, ready: false })).toEqual(
      [],
    );
  });
});
