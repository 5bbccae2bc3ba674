// Golden lifecycle scenarios: a pod plus a timeline of observations in, the status after each step out
// (test/golden/). The timeline is written in terms a reviewer can check against docs/semantics.md:
//
//   steps:
//     - after: 100                                   # ms after the previous step (or `at:` absolute ms)
//       event: { type: containerStarted, container: app }   # instance defaults to the current one,
//                                                    # startedAt/finishedAt default to now, id is generated
//     - timer: next                                  # jump to the earliest pending timer and deliver it
//     - repeat: 3                                    # run a block several times
//       steps: [...]
//
// The output is a compact, line-per-fact rendering of the pod after each step: phase, conditions, containers and
// the actions reconcile asked for (timers shown relative to now, so a back-off curve reads as +10s, +20s, …).
import type { Pod } from 'kubernetes-types/core/v1';
import type { Action } from '../../src/core/actions.ts';
import type { BackoffSettings } from '../../src/core/backoff.ts';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../../src/core/engine-settings.ts';
import type { PodEvent } from '../../src/core/pod-events.ts';
import { admittedPod, type PodState } from '../../src/core/pod-state.ts';
import { findEntry, probeOf } from '../../src/core/pod-spec.ts';
import { firstProbeDue, probesTriggeredBy } from '../../src/core/probe-results.ts';
import { admitPod, reconcile } from '../../src/core/reconcile.ts';

export interface ScenarioStep {
  at?: number;
  after?: number;
  event?: Record<string, unknown> & { type: PodEvent['type'] };
  timer?: 'next';
  /** With `timer: next`: skip silently when no timer is pending. */
  optional?: boolean;
  repeat?: number;
  steps?: ScenarioStep[];
}

export interface Scenario {
  description: string;
  settings?: { backoff?: Partial<BackoffSettings> };
  pod: Pod;
  steps: ScenarioStep[];
}

export interface StepOutcome {
  t: number;
  input: string;
  state: PodState;
  actions: Action[];
  /** What the prober does as a consequence of the step (core/probe-results.ts), relative to now. */
  prober?: string[];
}

const secs = (ms: number): string => `${+(ms / 1000).toFixed(3)}s`;

/** Runs a scenario through admitPod + reconcile and returns the state after each step. */
export function runScenario(scenario: Scenario, start = Date.UTC(2026, 0, 1)): StepOutcome[] {
  const settings: EngineSettings = {
    ...DEFAULT_ENGINE_SETTINGS,
    backoff: { ...DEFAULT_ENGINE_SETTINGS.backoff, ...scenario.settings?.backoff },
  };
  let now = start;
  let seq = 0;
  const timers = new Map<string, number>();
  const track = (actions: Action[]): void => {
    for (const a of actions) {
      if (a.type === 'scheduleTimer') timers.set(a.timerId, a.at);
      if (a.type === 'cancelTimer') timers.delete(a.timerId);
    }
  };
  const admitted = admitPod(admittedPod(scenario.pod), { now, settings });
  let state = admitted.state;
  track(admitted.actions);
  const outcomes: StepOutcome[] = [{ t: 0, input: 'admit', state, actions: admitted.actions }];

  const runSteps = (steps: ScenarioStep[]): void => {
    for (const step of steps) {
      if (step.repeat !== undefined) {
        for (let i = 0; i < step.repeat; i++) runSteps(step.steps ?? []);
        continue;
      }
      let event: PodEvent;
      if (step.timer === 'next') {
        const next = [...timers.entries()].sort((a, b) => a[1] - b[1])[0];
        if (!next) {
          if (step.optional) continue;
          throw new Error(`step ${outcomes.length}: no timer pending`);
        }
        timers.delete(next[0]);
        now = Math.max(now, next[1]);
        event = { id: `e${++seq}`, at: now, type: 'timerDue', timerId: next[0] };
      } else if (step.event) {
        now = step.at !== undefined ? start + step.at : now + (step.after ?? 0);
        event = completeEvent(step.event, state, now, `e${++seq}`);
      } else {
        throw new Error(`step ${outcomes.length}: needs event, timer or repeat`);
      }
      const result = reconcile(state, event, { now, settings });
      const prober = proberDecisions(state, result.state, event, result.actions, now);
      state = result.state;
      track(result.actions);
      outcomes.push({
        t: now - start,
        input: describeEvent(event),
        state,
        actions: result.actions,
        ...(prober.length > 0 ? { prober } : {}),
      });
    }
  };
  runSteps(scenario.steps);
  return outcomes;
}

function completeEvent(
  raw: ScenarioStep['event'] & object,
  state: PodState,
  now: number,
  id: string,
): PodEvent {
  const e: Record<string, unknown> = { id, at: now, ...raw };
  if (typeof e.container === 'string' && e.instance === undefined) {
    e.instance = state.engine.containers[e.container]?.instance ?? 0;
  }
  if (e.type === 'containerStarted' && e.startedAt === undefined) e.startedAt = now;
  if (e.type === 'containerExited' && e.finishedAt === undefined) e.finishedAt = now;
  return e as unknown as PodEvent;
}

/**
 * The prober's decisions a step leads to, as the engine's probe manager takes them: when each probe a
 * `startProbes` action starts first runs (a prober that has run for long: no random offset), and the probes a
 * changed startup result runs at once.
 */
function proberDecisions(
  before: PodState,
  after: PodState,
  event: PodEvent,
  actions: Action[],
  now: number,
): string[] {
  const out: string[] = [];
  for (const a of actions) {
    if (a.type !== 'startProbes') continue;
    const rec = after.engine.containers[a.container];
    const entry = findEntry(after.pod.spec, a.container);
    if (rec?.state.type !== 'running' || !entry) continue;
    for (const type of a.probes) {
      const probe = probeOf(entry.container, type);
      if (!probe) continue;
      const { dueAtMs } = firstProbeDue({
        probe,
        nowMs: now,
        containerStartedAtMs: rec.state.startedAt,
        proberStartedAtMs: Number.NEGATIVE_INFINITY,
        random: 0,
      });
      out.push(`${a.container}#${a.instance} ${type} first probe in ${secs(dueAtMs - now)}`);
    }
  }
  if (event.type === 'probeResult') {
    const was = before.engine.containers[event.container];
    const is = after.engine.containers[event.container];
    if (was && is && was.instance === event.instance) {
      const triggered = probesTriggeredBy(event.probe, {
        startedBefore: was.probes.startup === 'success',
        startedNow: is.probes.startup === 'success',
        ready: is.probes.readiness === 'success',
      });
      for (const type of triggered) out.push(`${event.container}#${event.instance} ${type} probe now`);
    }
  }
  return out;
}

function describeEvent(e: PodEvent): string {
  const fields = Object.entries(e)
    .filter(([k]) => !['id', 'at', 'type', 'startedAt', 'finishedAt'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [e.type, ...fields].join(' ');
}

function describeAction(a: Action, now: number): string {
  switch (a.type) {
    case 'startContainer':
      return `start ${a.container}#${a.instance}`;
    case 'stopContainer':
      return `stop ${a.container}#${a.instance} grace=${a.graceSeconds}s`;
    case 'runHook':
      return `${a.hook} ${a.container}#${a.instance}${a.timeoutSeconds !== undefined ? ` timeout=${a.timeoutSeconds}s` : ''}`;
    case 'startProbes':
    case 'stopProbes':
      return `${a.type} ${a.container}#${a.instance} ${a.probes.join(',')}`;
    case 'scheduleTimer':
      return `timer ${a.timerId} in ${secs(a.at - now)}`;
    case 'cancelTimer':
      return `cancel ${a.timerId}`;
    case 'recordEvent':
      return `event ${a.eventType} ${a.reason}${a.fieldPath ? ` ${a.fieldPath}` : ''}: ${a.message}`;
    default:
      return a.type;
  }
}

/** A reviewable rendering of one pod after a step. */
export function renderOutcome(o: StepOutcome, start = Date.UTC(2026, 0, 1)): Record<string, unknown> {
  const { pod } = o.state;
  const status = pod.status ?? {};
  const containers: Record<string, string> = {};
  for (const cs of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    const st = cs.state ?? {};
    let text = st.running
      ? `running since ${st.running.startedAt}`
      : st.waiting
        ? `waiting ${st.waiting.reason}${st.waiting.message ? ` (${st.waiting.message})` : ''}`
        : st.terminated
          ? `terminated ${st.terminated.reason} exit=${st.terminated.exitCode}${st.terminated.signal ? ` signal=${st.terminated.signal}` : ''}`
          : 'no state';
    text += ` restarts=${cs.restartCount} ready=${cs.ready} started=${cs.started}`;
    const last = cs.lastState?.terminated;
    if (last) text += ` last=${last.reason}/${last.exitCode}`;
    containers[cs.name] = text;
  }
  const conditions: Record<string, string> = {};
  for (const c of status.conditions ?? []) {
    conditions[c.type] =
      [c.status, c.reason, c.message].filter(Boolean).join(' ') + ` @${c.lastTransitionTime ?? '-'}`;
  }
  const now = start + o.t;
  return {
    t: secs(o.t),
    input: o.input,
    phase: `${status.phase}${status.reason ? ` (${status.reason})` : ''}`,
    stage: o.state.engine.stage,
    ...(pod.metadata?.deletionTimestamp ? { deletionTimestamp: pod.metadata.deletionTimestamp } : {}),
    conditions,
    containers,
    actions: o.actions.map((a) => describeAction(a, now)),
    ...(o.prober ? { prober: o.prober } : {}),
  };
}
