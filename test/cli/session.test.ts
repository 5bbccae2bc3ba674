// The CLI session shared by `podflow run` and `podflow start`: goals, the wait for them, the deletion with its
// Ctrl-C escalation and bound, the outcome and the exit code. Pods, signals and time are fakes: every case runs in
// milliseconds, and time only moves when a case advances the fake clock.
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import {
  defaultGoal,
  deletionBoundMs,
  parseTimeout,
  PodSession,
  runSession,
  sessionExitCode,
  type Goal,
  type InterruptSignal,
  type PodSource,
  type SessionClock,
  type SessionOutcome,
  type SessionPlan,
  type SessionPod,
  type SessionResult,
  type SignalSource,
} from '../../src/cli/session.ts';

/** Timers that fire only when the test advances the clock. */
class FakeClock implements SessionClock {
  #now = 1_000_000;
  #timers: { at: number; fn: () => void }[] = [];

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + ms, fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward, firing the timers that come due; lets the session react after each. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fn();
      await settle();
    }
    this.#now = until;
    await settle();
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }
}

class FakeSignals implements SignalSource {
  #handler: ((signal: InterruptSignal) => void) | undefined;

  onInterrupt(handler: (signal: InterruptSignal) => void): () => void {
    this.#handler = handler;
    return () => (this.#handler = undefined);
  }

  async send(signal: InterruptSignal = 'SIGINT'): Promise<void> {
    this.#handler?.(signal);
    await settle();
  }

  get listening(): boolean {
    return this.#handler !== undefined;
  }
}

/** Lets pending promise callbacks run (no time passes on the fake clock). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Creates every pod (observing it Pending) and records deletion requests; `removeOn` says when a pod goes away. */
class FakeSource implements PodSource {
  readonly dataDir = '/data';
  readonly terminationMarginSeconds = 5;
  readonly deletions: { name: string; grace: number | undefined }[] = [];
  session: PodSession | undefined;
  /** 'graceful': gone once asked; 'force': only at grace 0; 'never': stuck. */
  removeOn: 'graceful' | 'force' | 'never' = 'graceful';
  /** Already gone when asked (the delete answers NotFound). */
  goneBefore = new Set<string>();

  create(session: PodSession): Promise<void> {
    this.session = session;
    for (const p of session.pods) {
      p.uid = `uid-${p.key.name}`;
      session.observe(pod(p.key.name, { uid: p.uid, restartPolicy: p.manifest.spec?.restartPolicy }));
    }
    return Promise.resolve();
  }

  delete(p: SessionPod, grace?: 0): Promise<boolean> {
    this.deletions.push({ name: p.key.name, grace });
    if (this.goneBefore.has(p.key.name)) return Promise.resolve(false);
    if (this.removeOn === 'graceful' || (this.removeOn === 'force' && grace === 0))
      setImmediate(() => this.session?.observeRemoval(p.key));
    return Promise.resolve(true);
  }
}

function pod(
  name: string,
  opts: {
    uid?: string;
    restartPolicy?: string | undefined;
    phase?: string;
    ready?: boolean;
    grace?: number;
  } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(opts.uid ? { uid: opts.uid } : {}) },
    spec: {
      ...(opts.restartPolicy ? { restartPolicy: opts.restartPolicy } : {}),
      ...(opts.grace !== undefined ? { terminationGracePeriodSeconds: opts.grace } : {}),
      containers: [{ name: 'main', image: 'busybox' }],
    },
    status: {
      phase: opts.phase ?? 'Pending',
      ...(opts.ready !== undefined
        ? { conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }] }
        : {}),
    },
  };
}

/** A session on fakes, run by runSession in the background. */
function startSession(manifests: Pod[], plan: Partial<SessionPlan> = {}, opts: { until?: Goal } = {}) {
  const clock = new FakeClock();
  const signals = new FakeSignals();
  const source = new FakeSource();
  const lines: string[] = [];
  const warnings: string[] = [];
  const decisions: SessionOutcome[] = [];
  const session = new PodSession({
    pods: manifests,
    ...opts,
    signals,
    clock,
    output: { line: (t) => lines.push(t), warn: (t) => warnings.push(t) },
  });
  let result: SessionResult | undefined;
  const running = runSession(session, source, {
    timeoutMs: 0,
    keep: () => false,
    decided: (outcome) => decisions.push(outcome),
    ...plan,
  }).then((r) => (result = r));
  /** The pod as the engine reports it now. */
  const update = async (name: string, status: Parameters<typeof pod>[1]): Promise<void> => {
    const p = session.pods.find((q) => q.key.name === name)!;
    session.observe(pod(name, { uid: p.uid, ...status }));
    await settle();
  };
  return {
    clock,
    signals,
    source,
    session,
    lines,
    warnings,
    decisions,
    update,
    running,
    result: () => result,
  };
}

describe('defaultGoal', () => {
  it.each([
    { restartPolicy: undefined, goal: 'ready' },
    { restartPolicy: 'Always', goal: 'ready' },
    { restartPolicy: 'OnFailure', goal: 'done' },
    { restartPolicy: 'Never', goal: 'done' },
  ])('restartPolicy $restartPolicy → $goal', ({ restartPolicy, goal }) => {
    expect(defaultGoal(pod('p', { restartPolicy }))).toBe(goal);
  });
});

describe('parseTimeout', () => {
  it.each([
    { value: '30s', ms: 30_000 },
    { value: '5m', ms: 300_000 },
    { value: '0', ms: 0 },
  ])('$value → $ms ms', ({ value, ms }) => expect(parseTimeout(value)).toBe(ms));

  it.each(['soon', '-1s'])('%s → usage error', (value) => {
    expect(() => parseTimeout(value)).toThrow(/^--timeout: must/);
  });
});

describe('the goal', () => {
  it.each<{
    name: string;
    restartPolicy?: string;
    until?: Goal;
    status: Parameters<typeof pod>[1];
    exit: number;
  }>([
    {
      name: 'Never pod Succeeded → reached, exit 0',
      restartPolicy: 'Never',
      status: { phase: 'Succeeded' },
      exit: 0,
    },
    {
      name: 'Never pod Failed → reached, exit 1',
      restartPolicy: 'Never',
      status: { phase: 'Failed' },
      exit: 1,
    },
    { name: 'Always pod Ready → reached, exit 0', status: { phase: 'Running', ready: true }, exit: 0 },
    {
      name: 'Always pod Failed (it will never be Ready) → reached, exit 1',
      status: { phase: 'Failed' },
      exit: 1,
    },
    {
      name: '--until ready on a Never pod: Ready is enough',
      restartPolicy: 'Never',
      until: 'ready',
      status: { phase: 'Running', ready: true },
      exit: 0,
    },
  ])('$name', async ({ restartPolicy, until, status, exit }) => {
    const s = startSession([pod('a', { restartPolicy })], {}, until ? { until } : {});
    await settle();
    expect(s.result()).toBeUndefined();
    await s.update('a', status);
    const result = await s.running;
    expect(result.outcome).toBe('reached');
    expect(s.decisions).toEqual(['reached']);
    expect(sessionExitCode(result)).toBe(exit);
    // …then the pod is deleted gracefully, and nothing is left.
    expect(s.source.deletions).toEqual([{ name: 'a', grace: undefined }]);
    expect(result.deleted.map((p) => p.key.name)).toEqual(['a']);
    expect(result.leftBehind).toEqual([]);
  });

  it('waits for every pod: one Ready of two is not the goal', async () => {
    const s = startSession([pod('a'), pod('b')]);
    await s.update('a', { phase: 'Running', ready: true });
    await s.update('b', { phase: 'Running', ready: false });
    expect(s.result()).toBeUndefined();
    await s.update('b', { phase: 'Running', ready: true });
    expect((await s.running).outcome).toBe('reached');
  });

  it('a version of the name with another uid (an earlier pod) is not the session pod', async () => {
    const s = startSession([pod('a', { restartPolicy: 'Never' })]);
    await settle();
    expect(s.session.isStale(pod('a', { uid: 'older', phase: 'Succeeded' }))).toBe(true);
    expect(s.session.observe(pod('a', { uid: 'older', phase: 'Succeeded' }))).toBeUndefined();
    await settle();
    expect(s.result()).toBeUndefined();
    await s.update('a', { phase: 'Succeeded' });
    expect((await s.running).outcome).toBe('reached');
  });

  it('the exit code comes from the pods as they stood at the goal, not as the deletion ends them', async () => {
    const s = startSession([pod('a')]);
    s.source.removeOn = 'never';
    await s.update('a', { phase: 'Running', ready: true });
    // Deleted: SIGTERM ends the container, the pod Failed.
    await s.update('a', { phase: 'Failed' });
    expect(s.session.pods[0]!.latest?.status?.phase).toBe('Failed');
    s.session.observeRemoval({ namespace: 'default', name: 'a' });
    const result = await s.running;
    expect(result.atDecision[0]?.status?.phase).toBe('Running');
    expect(sessionExitCode(result)).toBe(0);
  });
});

describe('the timeout', () => {
  it('passes: outcome timeout, exit 2, the pods are still deleted', async () => {
    const missed: string[] = [];
    const s = startSession([pod('a', { restartPolicy: 'Never' }), pod('b', { restartPolicy: 'Never' })], {
      timeoutMs: 60_000,
      // As the commands name the pods that missed their goal.
      decided: () => missed.push(...s.session.pods.filter((p) => !p.settled).map((p) => p.key.name)),
    });
    await s.update('a', { phase: 'Running' });
    await s.update('b', { phase: 'Succeeded' });
    await s.clock.advance(59_999);
    expect(s.result()).toBeUndefined();
    await s.clock.advance(1);
    const result = await s.running;
    expect(result.outcome).toBe('timeout');
    expect(missed).toEqual(['a']);
    expect(sessionExitCode(result)).toBe(2);
    expect(s.source.deletions).toEqual([
      { name: 'a', grace: undefined },
      { name: 'b', grace: undefined },
    ]);
  });

  it('0 waits forever', async () => {
    const s = startSession([pod('a', { restartPolicy: 'Never' })], { timeoutMs: 0 });
    await s.clock.advance(24 * 3600_000);
    expect(s.result()).toBeUndefined();
    expect(s.clock.pendingTimers).toBe(0);
    await s.update('a', { phase: 'Succeeded' });
    expect((await s.running).outcome).toBe('reached');
  });

  it('the goal reached in time cancels the timer', async () => {
    const s = startSession([pod('a', { restartPolicy: 'Never' })], { timeoutMs: 60_000 });
    await s.update('a', { phase: 'Succeeded' });
    await s.running;
    expect(s.clock.pendingTimers).toBe(0);
  });
});

describe('Ctrl-C', () => {
  it.each<{ signal: InterruptSignal; exit: number }>([
    { signal: 'SIGINT', exit: 130 },
    { signal: 'SIGTERM', exit: 143 },
  ])('$signal while waiting: graceful deletion, exit $exit', async ({ signal, exit }) => {
    const s = startSession([pod('a'), pod('b')]);
    await s.update('a', { phase: 'Running', ready: true });
    await s.signals.send(signal);
    const result = await s.running;
    expect(result).toMatchObject({ outcome: 'interrupted', signal });
    expect(s.decisions).toEqual(['interrupted']);
    expect(s.source.deletions).toEqual([
      { name: 'a', grace: undefined },
      { name: 'b', grace: undefined },
    ]);
    expect(s.lines).toEqual([]);
    expect(s.warnings).toEqual([]);
    expect(sessionExitCode(result)).toBe(exit);
    // A command whose Ctrl-C is how it stops (`start` serving on) exits 0.
    expect(sessionExitCode(result, { signalIsStop: true })).toBe(0);
  });

  it('again during the deletion: grace 0; once more: stop waiting, with a warning for the pod not gone', async () => {
    const s = startSession([pod('a', { restartPolicy: 'Never' })]);
    s.source.removeOn = 'never';
    await s.update('a', { phase: 'Running' });
    await s.signals.send('SIGINT');
    expect(s.source.deletions).toEqual([{ name: 'a', grace: undefined }]);
    await s.signals.send('SIGINT');
    expect(s.source.deletions).toEqual([
      { name: 'a', grace: undefined },
      { name: 'a', grace: 0 },
    ]);
    expect(s.lines).toEqual(['SIGINT: deleting with grace 0']);
    expect(s.result()).toBeUndefined();
    await s.signals.send('SIGTERM');
    const result = await s.running;
    expect(s.lines).toEqual([
      'SIGINT: deleting with grace 0',
      'SIGTERM: not waiting for the deletion any more',
    ]);
    expect(s.warnings).toEqual([
      'warning: pod a was not gone when podflow stopped waiting; its containers may still run (data in /data)\n',
    ]);
    expect(result.leftBehind.map((p) => p.key.name)).toEqual(['a']);
    expect(sessionExitCode(result)).toBe(130);
  });

  it('grace 0 ends a stuck deletion: no warning', async () => {
    const s = startSession([pod('a', { restartPolicy: 'Never' })]);
    s.source.removeOn = 'force';
    await s.signals.send('SIGINT');
    await s.signals.send('SIGINT');
    const result = await s.running;
    expect(s.lines).toEqual(['SIGINT: deleting with grace 0']);
    expect(s.warnings).toEqual([]);
    expect(result.deleted.map((p) => p.key.name)).toEqual(['a']);
  });

  it('with keep, the goal leaves the pods; with keep for everything but Ctrl-C, Ctrl-C still deletes', async () => {
    const kept = startSession([pod('a', { restartPolicy: 'Never' })], { keep: () => true });
    await kept.update('a', { phase: 'Succeeded' });
    const result = await kept.running;
    expect(kept.source.deletions).toEqual([]);
    expect(result.leftBehind.map((p) => p.key.name)).toEqual(['a']);

    const run = startSession([pod('a', { restartPolicy: 'Never' })], { keep: (o) => o !== 'interrupted' });
    await run.signals.send('SIGINT');
    await run.running;
    expect(run.source.deletions).toEqual([{ name: 'a', grace: undefined }]);
  });

  it('holding after the goal (start serving on): waits for Ctrl-C, then deletes; decided twice', async () => {
    const s = startSession([pod('a', { restartPolicy: 'Never' })], {
      holdUntilSignal: true,
      timeoutMs: 1000,
    });
    await s.update('a', { phase: 'Failed' });
    await s.clock.advance(3600_000);
    expect(s.decisions).toEqual(['reached']);
    expect(s.source.deletions).toEqual([]);
    await s.signals.send('SIGINT');
    const result = await s.running;
    expect(s.decisions).toEqual(['reached', 'interrupted']);
    expect(result.outcome).toBe('interrupted');
    expect(s.source.deletions).toEqual([{ name: 'a', grace: undefined }]);
    expect(sessionExitCode(result, { signalIsStop: true })).toBe(0);
  });

  it('stops listening once closed', () => {
    const s = startSession([pod('a')]);
    expect(s.signals.listening).toBe(true);
    s.session.close();
    expect(s.signals.listening).toBe(false);
  });
});

describe('the deletion bound', () => {
  it('is the grace period, the termination margin and the slack', () => {
    expect(deletionBoundMs(30, 5)).toBe(65_000);
    expect(deletionBoundMs(0, 5)).toBe(35_000);
  });

  it('a deletion that exceeds it: the session stops waiting with a warning', async () => {
    // The longest grace period counts: 10 s + 5 s margin + 30 s slack.
    const s = startSession([pod('a', { restartPolicy: 'Never', grace: 10 }), pod('b', { grace: 2 })]);
    s.source.removeOn = 'never';
    await s.update('a', { phase: 'Succeeded', grace: 10 });
    await s.update('b', { phase: 'Running', ready: true, grace: 2 });
    await s.clock.advance(44_999);
    expect(s.result()).toBeUndefined();
    s.session.observeRemoval({ namespace: 'default', name: 'b' });
    await s.clock.advance(1);
    const result = await s.running;
    expect(s.warnings).toEqual([
      'warning: pod a was not gone when podflow stopped waiting; its containers may still run (data in /data)\n',
    ]);
    expect(result.deleted.map((p) => p.key.name)).toEqual(['b']);
    expect(result.leftBehind.map((p) => p.key.name)).toEqual(['a']);
    expect(result.deletionMs).toBe(45_000);
    // The goal was reached: the exit code says so, whatever the deletion did.
    expect(sessionExitCode(result)).toBe(0);
  });

  it('a pod already gone when asked (NotFound) is not waited for', async () => {
    const s = startSession([pod('a', { restartPolicy: 'Never' })]);
    s.source.removeOn = 'never';
    s.source.goneBefore.add('a');
    await s.update('a', { phase: 'Succeeded' });
    const result = await s.running;
    expect(s.warnings).toEqual([]);
    expect(result.leftBehind).toEqual([]);
    expect(result.deletionMs).toBe(0);
  });
});
