// What the timeline picture shows, computed from the API's data alone: the PodTimeline document
// (`pods/{name}/timeline`, src/core/pod-timeline.ts), the pod's Events and — once the pod is gone — the last Pod
// object its watch delivered. Pure (times in epoch ms, `now` passed in), so the browser code only draws and the
// rules are unit-tested (test/ui/timeline-model.test.ts).
import type { Event, Pod } from 'kubernetes-types/core/v1';
import type { InstanceHistory } from '../../core/pod-history.ts';
import type { ContainerKind } from '../../core/pod-state.ts';
import type { PodTimeline } from '../../core/pod-timeline.ts';

/** How far a running instance has come: running, started (postStart and startup probe done), ready. */
export type RunLevel = 'running' | 'started' | 'ready';

export interface Band {
  from: number;
  to: number;
  level: RunLevel;
}

export interface Wait {
  from: number;
  to: number;
  reason: string;
  message?: string;
}

export interface InstanceView {
  instance: number;
  requestedAt: number;
  runningAt?: number;
  /** Where the instance's bar ends: its exit, or now (or the pod's removal) while it runs. */
  end: number;
  exit?: { at: number; code: number; reason: string; message?: string };
  bands: Band[];
  /** The crash back-off after this instance: planned delay, and the gap actually drawn. */
  backoff?: { from: number; to: number; delayMs: number; waiting: boolean };
}

export interface ContainerLane {
  name: string;
  kind: ContainerKind;
  instances: InstanceView[];
  /** Instances before the first one shown that the engine's bounded history no longer has. */
  dropped: number;
  waits: Wait[];
  probes: Array<{ at: number; probe: string; result: string; instance: number }>;
  hooks: Array<{ hook: string; from: number; to: number; done: boolean; error?: string; instance: number }>;
  kills: Array<{ at: number; reason: string; graceSeconds: number; instance: number }>;
}

export interface ConditionLane {
  type: string;
  spans: Array<{ from: number; to: number; status: string; reason?: string }>;
}

export interface EventMarker {
  key: string;
  at: number;
  first: number;
  type: string;
  reason: string;
  message: string;
  count: number;
  container?: string;
}

export interface TimelineModel {
  start: number;
  end: number;
  /** The pod still exists and runs on: the picture's right edge is now. */
  live: boolean;
  phases: Array<{ from: number; to: number; phase: string }>;
  deletion?: { from: number; deadline: number; to: number; graceSeconds: number };
  removedAt?: number;
  containers: ContainerLane[];
  conditions: ConditionLane[];
  events: EventMarker[];
}

/** The order kubectl describe lists the kubelet's conditions in. */
const CONDITION_ORDER = [
  'PodScheduled',
  'PodReadyToStartContainers',
  'Initialized',
  'ContainersReady',
  'Ready',
];

const parseTime = (s: string | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

function bandsOf(h: InstanceHistory, end: number): Band[] {
  if (h.runningAt === undefined) return [];
  const from = h.runningAt;
  const changes = [h.startedAt, ...h.readiness.map((r) => r.at)].filter(
    (t): t is number => t !== undefined && t > from && t < end,
  );
  const points = [...new Set([from, ...changes])].sort((a, b) => a - b);
  const levelAt = (t: number): RunLevel => {
    if (h.readiness.filter((r) => r.at <= t).at(-1)?.ready) return 'ready';
    return h.startedAt !== undefined && h.startedAt <= t ? 'started' : 'running';
  };
  const bands: Band[] = [];
  points.forEach((at, i) => {
    const to = Math.max(at, points[i + 1] ?? end);
    const level = levelAt(at);
    const prev = bands.at(-1);
    if (prev && prev.level === level) prev.to = to;
    else bands.push({ from: at, to, level });
  });
  return bands;
}

/** Why a container that has not started yet waits (kubelet_pods.go convertToAPIContainerStatuses). */
const notStartedReason = (hasInit: boolean): string => (hasInit ? 'PodInitializing' : 'ContainerCreating');

function containerLane(
  c: PodTimeline['containers'][number],
  start: number,
  end: number,
  hasInit: boolean,
): ContainerLane {
  const lane: ContainerLane = {
    name: c.name,
    kind: c.kind,
    instances: [],
    dropped: c.instances[0]?.instance ?? 0,
    waits: [],
    probes: [],
    hooks: [],
    kills: [],
  };
  const list = c.instances;
  const first = list[0];
  if (!first) {
    lane.waits.push({
      from: start,
      to: end,
      reason: c.waiting?.reason ?? notStartedReason(hasInit),
      ...(c.waiting?.message ? { message: c.waiting.message } : {}),
    });
    return lane;
  }
  // An ephemeral container did not exist before it was added: no wait before its first start.
  if (first.instance === 0 && first.requestedAt > start && c.kind !== 'ephemeral')
    lane.waits.push({ from: start, to: first.requestedAt, reason: notStartedReason(hasInit) });
  list.forEach((h, i) => {
    const next = list[i + 1];
    const t = h.terminated;
    const finishedAt = t ? Math.max(t.finishedAt, h.runningAt ?? h.requestedAt) : undefined;
    const instanceEnd = Math.min(finishedAt ?? end, end);
    const creatingEnd = h.runningAt ?? finishedAt ?? end;
    if (creatingEnd > h.requestedAt)
      lane.waits.push({ from: h.requestedAt, to: Math.min(creatingEnd, end), reason: 'ContainerCreating' });
    const view: InstanceView = {
      instance: h.instance,
      requestedAt: h.requestedAt,
      ...(h.runningAt !== undefined ? { runningAt: h.runningAt } : {}),
      end: instanceEnd,
      bands: bandsOf(h, instanceEnd),
    };
    if (t && finishedAt !== undefined)
      view.exit = {
        at: finishedAt,
        code: t.exitCode,
        reason: t.reason,
        ...(t.message ? { message: t.message } : {}),
      };
    if (h.backoff) {
      const to = Math.min(next?.requestedAt ?? end, end);
      view.backoff = {
        from: h.backoff.from,
        to: Math.max(to, h.backoff.from),
        delayMs: h.backoff.until - h.backoff.from,
        waiting: next === undefined,
      };
    } else if (!next && finishedAt !== undefined && c.waiting && finishedAt < end) {
      // Ended and waiting for a reason other than a back-off (a start that failed for good, a config error).
      lane.waits.push({
        from: finishedAt,
        to: end,
        reason: c.waiting.reason,
        ...(c.waiting.message ? { message: c.waiting.message } : {}),
      });
    }
    lane.instances.push(view);
    for (const p of h.probes) lane.probes.push({ ...p, instance: h.instance });
    for (const k of h.hooks)
      lane.hooks.push({
        hook: k.hook,
        from: k.startedAt,
        to: Math.min(k.finishedAt ?? instanceEnd, end),
        done: k.finishedAt !== undefined,
        ...(k.error ? { error: k.error } : {}),
        instance: h.instance,
      });
    if (h.killing) lane.kills.push({ ...h.killing, instance: h.instance });
  });
  return lane;
}

function conditionLanes(timeline: PodTimeline, end: number): ConditionLane[] {
  const types = [...new Set(timeline.conditions.map((c) => c.type))].sort((a, b) => {
    const ia = CONDITION_ORDER.indexOf(a);
    const ib = CONDITION_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  return types.map((type) => {
    const changes = timeline.conditions.filter((c) => c.type === type);
    return {
      type,
      spans: changes.map((c, i) => ({
        from: c.at,
        to: Math.max(c.at, Math.min(changes[i + 1]?.at ?? end, end)),
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
      })),
    };
  });
}

function eventMarkers(events: readonly Event[], uid: string | undefined): EventMarker[] {
  const out: EventMarker[] = [];
  for (const e of events) {
    if (uid && e.involvedObject.uid && e.involvedObject.uid !== uid) continue;
    const last =
      parseTime(e.lastTimestamp) ?? parseTime(e.eventTime) ?? parseTime(e.metadata.creationTimestamp);
    if (last === undefined) continue;
    const container = /\{(.+)\}$/.exec(e.involvedObject.fieldPath ?? '')?.[1];
    out.push({
      key: `${e.metadata.name ?? last}/${e.reason ?? ''}/${e.involvedObject.fieldPath ?? ''}`,
      at: last,
      first: parseTime(e.firstTimestamp) ?? last,
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      count: e.count ?? 1,
      ...(container ? { container } : {}),
    });
  }
  return out.sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
}

/** The instance number of a podflow container id (`podflow://<uid>/<container>/<n>`). */
const instanceOfId = (id: string | undefined): number | undefined => {
  const m = /\/(\d+)$/.exec(id ?? '');
  return m ? Number(m[1]) : undefined;
};

/**
 * The timeline completed from the pod's last object: a pod is removed right after its final commit, so the last
 * timeline read may miss the final exits. The watch's DELETED object still has them (with second precision).
 */
export function withFinalStatus(timeline: PodTimeline, pod: Pod): PodTimeline {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const deadline = parseTime(pod.metadata?.deletionTimestamp);
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? 0;
  return {
    ...timeline,
    // A deletion the last timeline read did not see yet: the object's deletionTimestamp is its deadline.
    ...(!timeline.deletion && deadline !== undefined
      ? { deletion: { requestedAt: deadline - grace * 1000, graceSeconds: grace, deadline } }
      : {}),
    containers: timeline.containers.map((c) => {
      const status = statuses.find((s) => s.name === c.name);
      const t = status?.state?.terminated;
      const n = instanceOfId(t?.containerID ?? status?.containerID);
      if (!t || n === undefined) return c;
      return {
        ...c,
        instances: c.instances.map((h) =>
          h.instance !== n || h.terminated
            ? h
            : {
                ...h,
                terminated: {
                  finishedAt: parseTime(t.finishedAt) ?? timeline.now,
                  exitCode: t.exitCode,
                  reason: t.reason ?? '',
                  ...(t.signal !== undefined ? { signal: t.signal } : {}),
                  ...(t.message ? { message: t.message } : {}),
                },
              },
        ),
      };
    }),
  };
}

export interface TimelineInput {
  timeline: PodTimeline;
  events: readonly Event[];
  /** The client's now, in the server's clock. */
  now: number;
  /** When the pod's removal was seen (its watch's DELETED), in the server's clock. */
  removedAt?: number;
}

export function buildTimelineModel(input: TimelineInput): TimelineModel {
  const { timeline, removedAt } = input;
  const created = parseTime(timeline.metadata.creationTimestamp);
  const start = timeline.admittedAt ?? created ?? timeline.now;
  const end = Math.max(start + 1, removedAt ?? input.now);
  const hasInit = timeline.containers.some((c) => c.kind === 'init' || c.kind === 'sidecar');
  const phases = timeline.phases.map((p, i) => ({
    from: p.at,
    to: Math.max(p.at, timeline.phases[i + 1]?.at ?? end),
    phase: p.phase,
  }));
  const d = timeline.deletion;
  return {
    start,
    end,
    live: removedAt === undefined,
    phases,
    ...(d
      ? {
          deletion: {
            from: d.requestedAt,
            deadline: d.deadline,
            to: Math.min(d.deadline, end),
            graceSeconds: d.graceSeconds,
          },
        }
      : {}),
    ...(removedAt !== undefined ? { removedAt } : {}),
    containers: timeline.containers.map((c) => containerLane(c, start, end, hasInit)),
    conditions: conditionLanes(timeline, end),
    events: eventMarkers(input.events, timeline.metadata.uid),
  };
}
