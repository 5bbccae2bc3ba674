// `kubectl get pods` columns — NAME READY STATUS RESTARTS AGE — computed as kubectl's server-side printer does
// (kubernetes: pkg/printers/internalversion/printers.go printPod), so what the CLI shows and the API's Table output
// read exactly like a cluster's. Pure: the current time comes in as `now` (epoch ms).
import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1';

/** pkg/apis/core/v1 PodReasonSchedulingGated: the PodScheduled condition's reason while scheduling gates remain. */
const SCHEDULING_GATED = 'SchedulingGated';
/** pkg/util/node NodeUnreachablePodReason: pods of a lost node are shown as `Unknown` once being deleted. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

/** pkg/api/v1/pod IsRestartableInitContainer: a native sidecar (`restartPolicy: Always` init container). */
function isRestartableInitContainer(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

function hasTrueCondition(pod: Pod, type: string): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** When the container's previous instance finished (`lastState.terminated.finishedAt`, epoch ms), 0 if none. */
function lastRestart(c: ContainerStatus): number {
  const at = c.lastState?.terminated?.finishedAt;
  return at ? Date.parse(at) : 0;
}

interface PodSummary {
  ready: number;
  total: number;
  status: string;
  restarts: number;
  /** When the most recently restarted container's previous instance finished, epoch ms; 0 if none. */
  lastRestartAt: number;
}

/** printPod, minus the formatting of times: READY counts, the STATUS reason, RESTARTS. */
function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const initSpecs = new Map((spec?.initContainers ?? []).map((c) => [c.name, c]));
  const initStatuses = status.initContainerStatuses ?? [];
  const appStatuses = status.containerStatuses ?? [];
  let total = spec?.containers.length ?? 0;
  for (const c of spec?.initContainers ?? []) if (isRestartableInitContainer(c)) total++;
  let ready = 0;

  let reason = status.reason || status.phase || '';
  // A pod still held back by scheduling gates says so instead of Pending.
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === SCHEDULING_GATED) reason = SCHEDULING_GATED;
  }

  // Init containers, in order: the first one that has not completed (or, for a sidecar, started) names the status.
  let restarts = 0;
  let lastRestartAt = 0;
  let sidecarRestarts = 0;
  let sidecarLastRestartAt = 0;
  let initializing = false;
  for (const [i, c] of initStatuses.entries()) {
    restarts += c.restartCount;
    lastRestartAt = Math.max(lastRestartAt, lastRestart(c));
    const sidecar = isRestartableInitContainer(initSpecs.get(c.name));
    if (sidecar) {
      sidecarRestarts += c.restartCount;
      sidecarLastRestartAt = Math.max(sidecarLastRestartAt, lastRestart(c));
    }
    const t = c.state?.terminated;
    const w = c.state?.waiting;
    if (t && t.exitCode === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (t) {
      // Initialization failed.
      if (!t.reason) reason = t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
      else reason = `Init:${t.reason}`;
    } else if (w && w.reason && w.reason !== 'PodInitializing') {
      reason = `Init:${w.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasTrueCondition(pod, 'Initialized')) {
    // From here on only sidecars' restarts count among the init containers'.
    restarts = sidecarRestarts;
    lastRestartAt = sidecarLastRestartAt;
    let hasRunning = false;
    // Walked backwards, so the first container with something to say has the last word.
    for (let i = appStatuses.length - 1; i >= 0; i--) {
      const c = appStatuses[i]!;
      restarts += c.restartCount;
      lastRestartAt = Math.max(lastRestartAt, lastRestart(c));
      const w = c.state?.waiting;
      const t = c.state?.terminated;
      if (w && w.reason) reason = w.reason;
      else if (t && t.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A pod with a container that completed while another still runs is Running (or NotReady), not Completed.
    if (reason === 'Completed' && hasRunning)
      reason = hasTrueCondition(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp && status.reason === NODE_UNREACHABLE_POD_REASON) reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !isTerminalPhase(status.phase)) reason = 'Terminating';

  return { ready, total, status: reason, restarts, lastRestartAt };
}

/**
 * The STATUS column of `kubectl get pods`: `Init:0/2`, `Init:CrashLoopBackOff`, `PodInitializing`, `Running`,
 * `Completed`, `Error`, `CrashLoopBackOff`, `NotReady`, `Terminating` … (printPod's `reason`).
 */
export function podStatusText(pod: Pod): string {
  return summarizePod(pod).status;
}

/**
 * apimachinery pkg/util/duration HumanDuration: `45s`, `2m5s`, `12m`, `3h20m`, `2d5h`, `400d`, `3y20d` — about
 * two significant figures, as kubectl's AGE column and `(5m ago)` show durations.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  // Up to 2 s in the future is clock skew between machines: treated as now.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** printers.go translateTimestampSince: `<unknown>` for a missing time, else HumanDuration of the time since. */
function timeSince(rfc3339: string | undefined, now: number): string {
  if (!rfc3339) return '<unknown>';
  return humanDuration(now - Date.parse(rfc3339));
}

export interface PodTableRow {
  name: string;
  ready: string;
  status: string;
  restarts: string;
  age: string;
}

export const POD_TABLE_HEADERS: readonly string[] = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];

/** One `kubectl get pods` row. RESTARTS reads `2 (15s ago)` once a container has restarted. */
export function podTableRow(pod: Pod, now: number): PodTableRow {
  const s = summarizePod(pod);
  const restarts =
    s.restarts !== 0 && s.lastRestartAt > 0
      ? `${s.restarts} (${humanDuration(now - s.lastRestartAt)} ago)`
      : String(s.restarts);
  return {
    name: pod.metadata?.name ?? '',
    ready: `${s.ready}/${s.total}`,
    status: s.status,
    restarts,
    age: timeSince(pod.metadata?.creationTimestamp, now),
  };
}

/**
 * kubectl's tabwriter (cli-runtime pkg/printers/tabwriter.go): minimum cell width 6, padding 3, spaces; the last
 * column is not padded.
 */
const TABWRITER_MIN_WIDTH = 6;
const TABWRITER_PADDING = 3;

/** Lays out rows of cells as kubectl does: each column as wide as its widest cell plus 3, at least 6. */
export function formatColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, TABWRITER_MIN_WIDTH, cell.length + TABWRITER_PADDING);
    });
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(''),
  );
}

/** `kubectl get pods` as text: the header and one line per pod, each ending in a newline. */
export function renderPodTable(pods: readonly Pod[], now: number): string {
  const rows = pods.map((p) => podTableRow(p, now));
  const lines = formatColumns([
    POD_TABLE_HEADERS,
    ...rows.map((r) => [r.name, r.ready, r.status, r.restarts, r.age]),
  ]);
  return lines.map((l) => `${l}\n`).join('');
}
