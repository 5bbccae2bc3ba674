// A bounded history of one pod's lifecycle, kept in the engine state so a timeline can be drawn after the fact
// (docs/decisions/0005-pod-timeline-and-ui.md). A kubelet keeps only a container's current and previous instance
// (status.state and status.lastState), and so does the rest of the engine state; this keeps the last
// HISTORY_INSTANCES instances of every container — when each was asked for, ran, became started and ready, what its
// probes published, its hooks, its kill and its exit, and the back-off after it — plus the pod's condition and phase
// transitions, all in epoch milliseconds.
//
// It is derived bookkeeping: `recordHistory` compares the state before and after one reconcile step (with the
// step's event and actions) and appends what changed. Nothing in the core reads it back to decide anything, so it
// can never change a decision, and a state stored without it (an older podflow's) simply starts its history late.
import type { PodCondition } from 'kubernetes-types/core/v1';
import type { Action } from './actions.ts';
import { isReady, isStarted } from './container-status.ts';
import type { PodEvent } from './pod-events.ts';
import { allContainerEntries } from './pod-spec.ts';
import type { ContainerRecord, PodState, ProbeResult, ProbeType } from './pod-state.ts';

/** Instances kept per container: enough to see a crash loop's back-off curve grow and settle. */
export const HISTORY_INSTANCES = 16;
/** Entries kept per list of one instance (readiness flips, probe results, hooks). */
export const HISTORY_INSTANCE_ENTRIES = 32;
/** Condition transitions kept per pod (a crash loop flips Ready and ContainersReady twice per instance). */
export const HISTORY_CONDITIONS = 128;
/** Phase transitions kept per pod. */
export const HISTORY_PHASES = 16;

export type HookName = 'postStart' | 'preStop';

/** One start of a container (its `instance`, the container id's last part) and what became of it. */
export interface InstanceHistory {
  instance: number;
  /** The engine asked the runtime to start it. */
  requestedAt: number;
  /** The runtime saw it running. */
  runningAt?: number;
  /** ContainerStatus.started turned true: postStart done and the startup probe (if any) succeeded. */
  startedAt?: number;
  /** Transitions of ContainerStatus.ready (not kept for regular init containers, whose ready means exited 0). */
  readiness: Array<{ at: number; ready: boolean }>;
  /** Changes of a published probe result, as the prober reported them (thresholds already counted). */
  probes: Array<{ at: number; probe: ProbeType; result: ProbeResult }>;
  hooks: Array<{ hook: HookName; startedAt: number; finishedAt?: number; error?: string }>;
  /** The engine started killing it: why, when, with which grace. */
  killing?: { at: number; reason: string; graceSeconds: number };
  terminated?: {
    finishedAt: number;
    exitCode: number;
    reason: string;
    message?: string;
  };
  /** After it ended: the crash back-off (CrashLoopBackOff), from its exit until the next start was permitted. */
  backoff?: { from: number; until: number };
}

export interface PodHistory {
  /** When a worker admitted the pod (status.startTime, in milliseconds). */
  admittedAt?: number;
  containers: Record<string, InstanceHistory[]>;
  conditions: Array<{ at: number; type: string; status: string; reason?: string }>;
  phases: Array<{ at: number; phase: string }>;
}

export const emptyHistory = (): PodHistory => ({ containers: {}, conditions: [], phases: [] });

const keepLast = <T>(list: T[], n: number): T[] => (list.length > n ? list.slice(list.length - n) : list);

function terminatedOf(rec: ContainerRecord, instance: number): InstanceHistory['terminated'] {
  const t =
    rec.state.type === 'terminated' && rec.state.instance === instance
      ? rec.state
      : rec.last?.instance === instance
        ? rec.last
        : undefined;
  if (!t) return undefined;
  return {
    finishedAt: t.finishedAt,
    exitCode: t.exitCode,
    reason: t.reason,
    ...(t.message ? { message: t.message } : {}),
  };
}

function conditionChanged(before: PodCondition | undefined, after: PodCondition): boolean {
  return !before || before.status !== after.status || before.reason !== after.reason;
}

/**
 * The history of `after`: `before`'s plus what one step changed. `before` is undefined for a pod being admitted.
 * `event` is the inbox event the step applied (none for admission), `actions` what the step asked for.
 */
export function recordHistory(
  before: PodState | undefined,
  after: PodState,
  event: PodEvent | undefined,
  actions: readonly Action[],
  now: number,
): PodHistory {
  const prior = before?.engine.history ?? emptyHistory();
  const history: PodHistory = {
    ...prior,
    containers: { ...prior.containers },
    conditions: [...prior.conditions],
    phases: [...prior.phases],
  };
  if (after.engine.scheduled && history.admittedAt === undefined && !before?.engine.scheduled)
    history.admittedAt = now;

  for (const entry of allContainerEntries(after.pod.spec)) {
    const name = entry.container.name;
    const next = after.engine.containers[name];
    if (!next) continue;
    const prev = before?.engine.containers[name];
    const list = (prior.containers[name] ?? []).map((i) => ({ ...i }));
    const prevInstance = prev?.instance ?? -1;
    for (let i = Math.max(prevInstance + 1, 0); i <= next.instance; i++) {
      list.push({
        instance: i,
        requestedAt: next.state.type === 'starting' && i === next.instance ? next.state.requestedAt : now,
        readiness: [],
        probes: [],
        hooks: [],
      });
    }
    // The instance that just ended may have been replaced in the same step (the first restart is immediate): its
    // exit is then in `last`.
    for (const h of list.slice(-2)) {
      if (!h.terminated) {
        const t = terminatedOf(next, h.instance);
        if (t) h.terminated = t;
      }
    }
    const current = list.find((h) => h.instance === next.instance);
    if (current) {
      const same = prev !== undefined && prev.instance === next.instance;
      if (next.state.type === 'running' && current.runningAt === undefined)
        current.runningAt = next.state.startedAt;
      if (current.startedAt === undefined && isStarted(next, !!entry.container.startupProbe))
        current.startedAt = now;
      if (entry.kind !== 'init') {
        const wasReady = same && isReady(entry, prev);
        const ready = isReady(entry, next);
        if (ready !== wasReady && (ready || current.readiness.length > 0))
          current.readiness = keepLast([...current.readiness, { at: now, ready }], HISTORY_INSTANCE_ENTRIES);
      }
      const probes = [...current.probes];
      for (const [probe, result] of Object.entries(next.probes) as Array<[ProbeType, ProbeResult]>) {
        if (!same || prev.probes[probe] !== result) probes.push({ at: now, probe, result });
      }
      current.probes = keepLast(probes, HISTORY_INSTANCE_ENTRIES);
      if (next.killing && !(same && prev.killing))
        current.killing = {
          at: next.killing.requestedAt,
          reason: next.killing.reason,
          graceSeconds: next.killing.graceSeconds,
        };
      const hooks = current.hooks.map((h) => ({ ...h }));
      for (const a of actions) {
        if (a.type === 'runHook' && a.container === name && a.instance === next.instance)
          hooks.push({ hook: a.hook, startedAt: now });
      }
      if (
        event &&
        (event.type === 'postStartDone' || event.type === 'preStopDone') &&
        event.container === name &&
        event.instance === next.instance
      ) {
        const hook: HookName = event.type === 'postStartDone' ? 'postStart' : 'preStop';
        const open = hooks.findLast((h) => h.hook === hook && h.finishedAt === undefined);
        if (open) {
          open.finishedAt = now;
          if (event.error) open.error = event.error;
        }
      }
      current.hooks = keepLast(hooks, HISTORY_INSTANCE_ENTRIES);
      // The back-off counts from the exit (backoff.ts decideRestart: restartAt = finishedAt + delay).
      if (next.restartTimer && next.restartTimer.id !== prev?.restartTimer?.id)
        current.backoff = { from: current.terminated?.finishedAt ?? now, until: next.restartTimer.at };
    }
    history.containers[name] = keepLast(list, HISTORY_INSTANCES);
  }

  const beforeConditions = before?.pod.status?.conditions ?? [];
  for (const c of after.pod.status?.conditions ?? []) {
    if (
      !conditionChanged(
        beforeConditions.find((b) => b.type === c.type),
        c,
      )
    )
      continue;
    history.conditions.push({
      at: now,
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
    });
  }
  history.conditions = keepLast(history.conditions, HISTORY_CONDITIONS);
  const phase = after.pod.status?.phase;
  if (phase && phase !== before?.pod.status?.phase) {
    history.phases = keepLast([...history.phases, { at: now, phase }], HISTORY_PHASES);
  }
  return history;
}
