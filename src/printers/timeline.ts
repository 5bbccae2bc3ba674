// The readable timeline `podflow run` and `podflow start` stream: one line per change — phase, condition flips,
// container state changes, Kubernetes events — each with the time since start. Pure: it diffs two snapshots of a
// pod (as the store's change feed delivers them) and formats events; the commands do the I/O.
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';

/** `   0.31s`: seconds since start, right-aligned so that the lines of a run line up. */
export function formatElapsed(ms: number): string {
  return `${(ms / 1000).toFixed(2).padStart(7)}s`;
}

/**
 * One timeline line: `   0.31s  myapp-pod  init-myservice: running`. `pod` names the pod when more than one runs;
 * its label is padded to `width` so the texts line up.
 */
export function formatTimelineLine(
  elapsedMs: number,
  text: string,
  pod?: { label: string; width: number },
): string {
  return `${formatElapsed(elapsedMs)}  ${pod ? `${pod.label.padEnd(pod.width)}  ` : ''}${text}`;
}

/** Messages (hook output, termination messages) may span lines; a timeline entry is one line. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ⏎ ');
}

/** A Kubernetes Event about the pod: `event Normal Started: Started container init-mydb`. */
export function describeEvent(event: { type: string; reason: string; message: string }): string {
  return `event ${event.type} ${event.reason}: ${oneLine(event.message)}`;
}

/** The entry for a pod object that is gone (its graceful deletion finished). */
export const POD_DELETED_TEXT = 'deleted';

function containerState(c: ContainerStatus): string {
  const s = c.state ?? {};
  if (s.running) return c.ready ? 'running, ready' : 'running';
  if (s.terminated) {
    const t = s.terminated;
    const signal = t.signal ? `, signal ${t.signal}` : '';
    return `terminated ${t.reason ?? ''} (exit ${t.exitCode}${signal})${t.message ? `: ${oneLine(t.message)}` : ''}`;
  }
  if (s.waiting)
    return `waiting ${s.waiting.reason ?? ''}${s.waiting.message ? `: ${oneLine(s.waiting.message)}` : ''}`;
  return 'unknown';
}

function statuses(pod: Pod | undefined): Map<string, ContainerStatus> {
  const all = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
  return new Map(all.map((c) => [c.name, c]));
}

/**
 * A container's first status, before anything happened to it: kubelet's "not started yet" waiting reasons
 * (kubelet_pods.go convertToAPIContainerStatuses). Printing them for every container of a new pod says nothing the
 * next lines will not; any later change from them is printed.
 */
const NOT_STARTED_REASONS = new Set(['PodInitializing', 'ContainerCreating']);

/**
 * What changed between two snapshots of one pod, as timeline entries (without the time prefix). `before` is
 * undefined for the first snapshot (the pod was created): then only what is already notable is listed — conditions
 * that start out True, not the False ones every new pod has, and no containers that merely have not started.
 */
export function describePodChange(before: Pod | undefined, after: Pod): string[] {
  const lines: string[] = [];
  if (!before) lines.push('created');
  const phase = after.status?.phase;
  // Every pod is created Pending: `created` says that much.
  if (phase && phase !== before?.status?.phase && (before || phase !== 'Pending')) {
    const { reason, message } = after.status ?? {};
    const why = reason ? ` (${reason}${message ? `: ${oneLine(message)}` : ''})` : '';
    lines.push(`phase ${phase}${why}`);
  }
  const grace = after.metadata?.deletionGracePeriodSeconds;
  if (
    after.metadata?.deletionTimestamp &&
    (!before?.metadata?.deletionTimestamp || grace !== before.metadata.deletionGracePeriodSeconds)
  ) {
    // A second delete may shorten the grace (`--grace-period=0`): that is a change worth a line too.
    lines.push(`terminating (grace ${grace}s)`);
  }
  const oldConditions = new Map((before?.status?.conditions ?? []).map((c) => [c.type, c.status]));
  for (const c of after.status?.conditions ?? []) {
    const old = oldConditions.get(c.type);
    if (old === c.status) continue;
    if (old === undefined && c.status !== 'True') continue;
    lines.push(`condition ${c.type}=${c.status}${c.status !== 'True' && c.reason ? ` (${c.reason})` : ''}`);
  }
  const old = statuses(before);
  for (const [name, c] of statuses(after)) {
    const prev = old.get(name);
    if (!prev && NOT_STARTED_REASONS.has(c.state?.waiting?.reason ?? '')) continue;
    const now = containerState(c);
    // A restart replaces the terminated state before any snapshot shows it: say how the last instance ended.
    const last = c.lastState?.terminated;
    const lastText = last ? `, last ${last.reason ?? 'terminated'} (exit ${last.exitCode})` : '';
    const restarted =
      prev && c.restartCount > prev.restartCount ? ` [restarts ${c.restartCount}${lastText}]` : '';
    if (!prev || containerState(prev) !== now || restarted) lines.push(`${name}: ${now}${restarted}`);
  }
  return lines;
}
