// `kubectl describe pod` as text, computed as kubectl 1.32 does (k8s.io/kubectl pkg/describe/describe.go describePod,
// describeContainers, describeStatus, DescribeEvents …) and laid out by a port of Go's text/tabwriter with kubectl's
// settings (tabbedString: minwidth 0, tabwidth 8, padding 2, spaces), so what `podflow describe pod` prints reads
// exactly like kubectl's — the odd alignments included (every run of lines with the same number of tab-separated
// cells forms one column block). Pure: the current time comes in as `now` (epoch ms); times print in the local time
// zone as kubectl's do, or in UTC when asked (tests).
import type {
  Container,
  ContainerState,
  ContainerStatus,
  EnvVar,
  Event,
  Pod,
  Probe,
  Volume,
} from 'kubernetes-types/core/v1';
import { computeQosClass, type PodSpecWithResources } from '../core/qos.ts';
import { parseQuantity, toMilli, toValue, tryParseQuantity } from '../core/quantity.ts';
import { humanDuration } from './pod-table.ts';

export interface DescribeOptions {
  /** Epoch milliseconds: ages are computed against it. */
  now: number;
  /** `local` (default, as kubectl) or `utc`. */
  timeZone?: 'local' | 'utc';
}

// ---------- Go's text/tabwriter ----------

/** Display width of a cell: Go's tabwriter counts runes. */
const runeLength = (s: string): number => [...s].length;

/**
 * text/tabwriter's layout of buffered text: lines split into tab-terminated cells (the text after a line's last tab
 * is not a cell of any column), a column's width being the widest cell of its block (consecutive lines that have a
 * cell in that column) plus padding, at least minwidth. Cells are left-aligned and padded with spaces.
 */
export function formatTabbedText(text: string, minwidth = 0, padding = 2): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const out: string[] = new Array<string>(lines.length);
  const widths: number[] = [];
  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i]!;
      out[i] = cells
        .map((c, j) => (j < widths.length ? c + ' '.repeat(Math.max(0, widths[j]! - runeLength(c))) : c))
        .join('');
    }
  };
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      // A cell in this column: a block begins here.
      writeLines(line0, t);
      line0 = t;
      let width = minwidth;
      for (; t < line1; t++) {
        const cells = lines[t]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, runeLength(cells[column]!) + padding);
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n');
}

/**
 * describe.go's prefixWriter over a tabwriter: each write is indented two spaces per level (before its first line
 * only), terminal escapes are defused (printers.WriteEscaped), and flush() lays out what was written so far.
 */
class DescribeWriter {
  #buffer = '';
  #out = '';

  write(level: number, text: string): void {
    this.#buffer += ('  '.repeat(level) + text).replaceAll('\x1b', '^[').replaceAll('\r', '\\r');
  }

  /** Sprintln: the text and a newline, unindented. */
  writeLine(text: string): void {
    this.write(0, `${text}\n`);
  }

  flush(): void {
    this.#out += formatTabbedText(this.#buffer);
    this.#buffer = '';
  }

  toString(): string {
    this.flush();
    return this.#out;
  }
}

// ---------- values as kubectl formats them ----------

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Go's time.RFC1123Z (`Mon, 02 Jan 2006 15:04:05 -0700`); a missing time is Go's zero time. */
export function formatRfc1123z(rfc3339: string | undefined, timeZone: 'local' | 'utc' = 'local'): string {
  const ms = rfc3339 ? Date.parse(rfc3339) : NaN;
  if (Number.isNaN(ms)) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(ms);
  const utc = timeZone === 'utc';
  const offset = utc ? 0 : -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const day = utc ? d.getUTCDay() : d.getDay();
  const date = utc ? d.getUTCDate() : d.getDate();
  const month = utc ? d.getUTCMonth() : d.getMonth();
  const year = utc ? d.getUTCFullYear() : d.getFullYear();
  const time = utc
    ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
    : `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  return `${DAYS[day]}, ${pad2(date)} ${MONTHS[month]} ${year} ${time} ${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

/** translateTimestampSince: `<unknown>` for a missing time, else HumanDuration of the time since. */
function since(rfc3339: string | undefined, now: number): string {
  const ms = rfc3339 ? Date.parse(rfc3339) : NaN;
  return Number.isNaN(ms) ? '<unknown>' : humanDuration(now - ms);
}

const printBool = (b: boolean | undefined): string => (b ? 'True' : 'False');
const orNone = (s: string): string => (s === '' ? '<none>' : s);
/** Go's %v of a []string: `[a b c]`. */
const goList = (items: readonly string[] | undefined): string => `[${(items ?? []).join(' ')}]`;
/** kubectl sorts map keys bytewise (sort.Strings). */
const sortedKeys = (m: Record<string, unknown> | undefined): string[] =>
  Object.keys(m ?? {}).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** describe.go skipAnnotations: never shown. */
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** describe.go maxAnnotationLen. */
const MAX_ANNOTATION_LENGTH = 140;

// ---------- sections ----------

/** printLabelsMultilineWithIndent (also Node-Selectors). */
function printLabels(w: DescribeWriter, title: string, labels: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = sortedKeys(labels);
  if (keys.length === 0) return w.writeLine('<none>');
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, `${k}=${labels![k]}\n`);
  });
}

function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** printAnnotationsMultiline: long or multi-line values on lines of their own, cut at 138 characters. */
function printAnnotations(
  w: DescribeWriter,
  title: string,
  annotations: Record<string, string> | undefined,
): void {
  w.write(0, `${title}:\t`);
  const keys = sortedKeys(annotations).filter((k) => k !== LAST_APPLIED_ANNOTATION);
  if (keys.length === 0) return w.writeLine('<none>');
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, '\t');
    const value = annotations![k]!.replace(/\n$/, '');
    if (Buffer.byteLength(value) + Buffer.byteLength(k) + 2 > MAX_ANNOTATION_LENGTH || value.includes('\n')) {
      w.write(0, `${k}:\n`);
      for (const s of value.split('\n')) w.write(0, `\t  ${shorten(s, MAX_ANNOTATION_LENGTH - 2)}\n`);
    } else {
      w.write(0, `${k}: ${value}\n`);
    }
  });
}

/** printTolerationsMultilineWithIndent. */
function printTolerations(w: DescribeWriter, pod: Pod): void {
  w.write(0, 'Tolerations:\t');
  const tolerations = [...(pod.spec?.tolerations ?? [])].sort((a, b) =>
    (a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0,
  );
  if (tolerations.length === 0) return w.writeLine('<none>');
  tolerations.forEach((t, i) => {
    if (i !== 0) w.write(0, '\t');
    let text = t.key ?? '';
    if (t.value) text += `=${t.value}`;
    if (t.effect) text += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) text += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null)
      text += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${text}\n`);
  });
}

function describeResources(
  w: DescribeWriter,
  resources: Container['resources'] | undefined,
  level: number,
): void {
  if (!resources) return;
  const limits = resources.limits ?? {};
  const requests = resources.requests ?? {};
  if (Object.keys(limits).length > 0) w.write(level, 'Limits:\n');
  for (const name of sortedKeys(limits)) w.write(level + 1, `${name}:\t${String(limits[name])}\n`);
  if (Object.keys(requests).length > 0) w.write(level, 'Requests:\n');
  for (const name of sortedKeys(requests)) w.write(level + 1, `${name}:\t${String(requests[name])}\n`);
}

/** DescribeProbe (kubectl 1.32 wording: `#success=1 #failure=3`). */
export function describeProbe(probe: Probe): string {
  const attrs = `delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 0}s period=${probe.periodSeconds ?? 0}s #success=${probe.successThreshold ?? 0} #failure=${probe.failureThreshold ?? 0}`;
  if (probe.exec) return `exec ${goList(probe.exec.command)} ${attrs}`;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = String(g.port ?? '');
    const host = port === '' ? (g.host ?? '') : `${g.host ?? ''}:${port}`;
    return `http-get ${(g.scheme ?? '').toLowerCase()}://${host}${g.path ?? ''} ${attrs}`;
  }
  if (probe.tcpSocket)
    return `tcp-socket ${probe.tcpSocket.host ?? ''}:${String(probe.tcpSocket.port)} ${attrs}`;
  if (probe.grpc) return `grpc <pod>:${probe.grpc.port} ${probe.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

/** describeStatus: Running / Waiting / Terminated with their details. */
function describeState(
  w: DescribeWriter,
  title: string,
  state: ContainerState | undefined,
  tz: 'local' | 'utc',
): void {
  if (state?.running) {
    w.write(2, `${title}:\tRunning\n`);
    w.write(3, `Started:\t${formatRfc1123z(state.running.startedAt, tz)}\n`);
  } else if (state?.waiting) {
    w.write(2, `${title}:\tWaiting\n`);
    if (state.waiting.reason) w.write(3, `Reason:\t${state.waiting.reason}\n`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.write(2, `${title}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if (t.signal && t.signal > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${formatRfc1123z(t.startedAt, tz)}\n`);
    w.write(3, `Finished:\t${formatRfc1123z(t.finishedAt, tz)}\n`);
  } else {
    w.write(2, `${title}:\tWaiting\n`);
  }
}

/** EnvValueRetriever: the value a downward-API field reference resolves to (fieldpath.ExtractFieldPathAsString). */
function fieldRefValue(pod: Pod, fieldPath: string): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((p) => p.ip).join(',');
    default:
      return '';
  }
}

const ONE = parseQuantity(1);
const ceilDivide = (a: bigint, b: bigint): bigint =>
  a % b === 0n ? a / b : a / b + (a > 0n === b > 0n ? 1n : 0n);

/**
 * A resourceFieldRef's value as describe shows it (kubectl pkg/util/resource ExtractContainerResourceValue): the
 * container's own limit or request — not the node's — divided by the divisor and rounded up, cpu in milli-units;
 * 0 for limits.cpu and limits.memory reads `node allocatable`; an unsupported resource is empty.
 */
function resourceRefValue(container: Container, ref: { resource: string; divisor?: unknown }): string {
  const dot = ref.resource.indexOf('.');
  const side = ref.resource.slice(0, dot);
  const name = ref.resource.slice(dot + 1);
  if (dot <= 0 || (side !== 'limits' && side !== 'requests')) return '';
  const list = side === 'limits' ? container.resources?.limits : container.resources?.requests;
  const quantity = tryParseQuantity(list?.[name] as string | number | undefined) ?? parseQuantity(0);
  const parsed = tryParseQuantity(ref.divisor as string | number | undefined);
  const divisor = parsed && parsed.nanos !== 0n ? parsed : ONE;
  const value = (
    name === 'cpu'
      ? ceilDivide(toMilli(quantity), toMilli(divisor))
      : ceilDivide(toValue(quantity), toValue(divisor) || 1n)
  ).toString();
  return value === '0' && (ref.resource === 'limits.cpu' || ref.resource === 'limits.memory')
    ? 'node allocatable'
    : value;
}

function describeEnv(w: DescribeWriter, pod: Pod, container: Container): void {
  const env: EnvVar[] = container.env ?? [];
  w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    if (!e.valueFrom) {
      (e.value ?? '').split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
      continue;
    }
    const from = e.valueFrom;
    if (from.fieldRef) {
      const apiVersion = from.fieldRef.apiVersion ?? 'v1';
      w.write(
        3,
        `${e.name}:\t${fieldRefValue(pod, from.fieldRef.fieldPath)} (${apiVersion}:${from.fieldRef.fieldPath})\n`,
      );
    } else if (from.resourceFieldRef) {
      w.write(
        3,
        `${e.name}:\t${resourceRefValue(container, from.resourceFieldRef)} (${from.resourceFieldRef.resource})\n`,
      );
    } else if (from.secretKeyRef) {
      const r = from.secretKeyRef;
      w.write(
        3,
        `${e.name}:\t<set to the key '${r.key}' in secret '${r.name ?? ''}'>\tOptional: ${r.optional === true}\n`,
      );
    } else if (from.configMapKeyRef) {
      const r = from.configMapKeyRef;
      w.write(
        3,
        `${e.name}:\t<set to the key '${r.key}' of config map '${r.name ?? ''}'>\tOptional: ${r.optional === true}\n`,
      );
    }
  }
}

function describeEnvFrom(w: DescribeWriter, container: Container): void {
  const envFrom = container.envFrom ?? [];
  if (envFrom.length === 0) return;
  w.write(2, 'Environment Variables from:\n');
  for (const e of envFrom) {
    const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
    const ref = e.configMapRef ?? e.secretRef;
    const optional = ref?.optional === true;
    const name = ref?.name ?? '';
    if (!e.prefix) w.write(3, `${name}\t${from}\tOptional: ${optional}\n`);
    else w.write(3, `${name}\t${from} with prefix '${e.prefix}'\tOptional: ${optional}\n`);
  }
}

function describeMounts(w: DescribeWriter, container: Container): void {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) =>
    a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0,
  );
  w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${JSON.stringify(m.subPath)}`] : [])];
    w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
  }
  const devices = [...(container.volumeDevices ?? [])].sort((a, b) =>
    a.devicePath < b.devicePath ? -1 : a.devicePath > b.devicePath ? 1 : 0,
  );
  if (devices.length > 0) {
    w.write(2, `Devices:${mounts.length === 0 ? '\t<none>' : ''}\n`);
    for (const d of devices) w.write(3, `${d.devicePath} from ${d.name}\n`);
  }
}

function describeContainers(
  w: DescribeWriter,
  pod: Pod,
  label: string,
  containers: readonly Container[],
  statuses: readonly ContainerStatus[] | undefined,
  tz: 'local' | 'utc',
): void {
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  w.write(0, `${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  for (const c of containers) {
    const status = byName.get(c.name);
    w.write(1, `${c.name}:\n`);
    if (status) w.write(2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    if (status) w.write(2, `Image ID:\t${status.imageID ?? ''}\n`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? ''}`).join(', ');
    w.write(2, ports.includes(',') ? `Ports:\t${ports}\n` : `Port:\t${orNone(ports)}\n`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? ''}`).join(', ');
    w.write(
      2,
      hostPorts.includes(',') ? `Host Ports:\t${hostPorts}\n` : `Host Port:\t${orNone(hostPorts)}\n`,
    );
    const seccomp = c.securityContext?.seccompProfile;
    if (seccomp) {
      w.write(2, `SeccompProfile:\t${seccomp.type}\n`);
      if (seccomp.type === 'Localhost') w.write(3, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
    }
    if ((c.command ?? []).length > 0) {
      w.write(2, 'Command:\n');
      for (const part of c.command!) for (const s of part.split('\n')) w.write(3, `${s}\n`);
    }
    if ((c.args ?? []).length > 0) {
      w.write(2, 'Args:\n');
      for (const part of c.args!) for (const s of part.split('\n')) w.write(3, `${s}\n`);
    }
    if (status) {
      describeState(w, 'State', status.state, tz);
      if (status.lastState?.terminated) describeState(w, 'Last State', status.lastState, tz);
      w.write(2, `Ready:\t${printBool(status.ready)}\n`);
      w.write(2, `Restart Count:\t${status.restartCount}\n`);
    }
    describeResources(w, c.resources, 2);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    describeEnvFrom(w, c);
    describeEnv(w, pod, c);
    describeMounts(w, c);
  }
}

/** describeVolumes, for the volume types a local pod uses; others read `<unknown>` as kubectl's default case. */
function describeVolumes(w: DescribeWriter, volumes: readonly Volume[] | undefined): void {
  if (!volumes || volumes.length === 0) return w.write(0, 'Volumes:\t<none>\n');
  w.write(0, 'Volumes:\n');
  for (const v of volumes) {
    w.write(1, `${v.name}:\n`);
    if (v.hostPath) {
      w.write(
        2,
        `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type ?? '<none>'}\n`,
      );
    } else if (v.emptyDir) {
      const limit =
        v.emptyDir.sizeLimit !== undefined && String(v.emptyDir.sizeLimit) !== '0'
          ? String(v.emptyDir.sizeLimit)
          : '<unset>';
      w.write(
        2,
        `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${limit}\n`,
      );
    } else if (v.secret) {
      w.write(
        2,
        `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${v.secret.optional === true}\n`,
      );
    } else if (v.configMap) {
      w.write(
        2,
        `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${v.configMap.optional === true}\n`,
      );
    } else if (v.persistentVolumeClaim) {
      w.write(
        2,
        `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${v.persistentVolumeClaim.claimName}\n    ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`,
      );
    } else if (v.downwardAPI) {
      w.write(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
      for (const item of v.downwardAPI.items ?? []) {
        if (item.fieldRef) w.write(3, `${item.fieldRef.fieldPath} -> ${item.path}\n`);
        if (item.resourceFieldRef) w.write(3, `${item.resourceFieldRef.resource} -> ${item.path}\n`);
      }
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

/** The Events section (DescribeEvents): oldest first by last occurrence, in a table of its own. */
function describeEvents(w: DescribeWriter, events: readonly Event[], now: number): void {
  if (events.length === 0) return w.write(0, 'Events:\t<none>\n');
  w.flush();
  const lastSeen = (e: Event): number => Date.parse(e.lastTimestamp ?? '') || 0;
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => lastSeen(a.e) - lastSeen(b.e) || a.i - b.i);
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const { e } of sorted) {
    const first = e.eventTime ? since(e.eventTime, now) : since(e.firstTimestamp, now);
    const series = e.series;
    let interval = first;
    if (series) interval = `${since(series.lastObservedTime, now)} (x${series.count ?? 0} over ${first})`;
    else if ((e.count ?? 0) > 1) interval = `${since(e.lastTimestamp, now)} (x${e.count} over ${first})`;
    const source = e.source?.component || e.reportingComponent || '';
    w.write(1, `${e.type ?? ''}\t${e.reason ?? ''}\t${interval}\t${source}\t${(e.message ?? '').trim()}\n`);
  }
}

/**
 * `kubectl describe pod` for `pod` and its `events` (undefined: the Events section is left out, as with
 * `--show-events=false`).
 */
export function describePod(pod: Pod, events: readonly Event[] | undefined, o: DescribeOptions): string {
  const tz = o.timeZone ?? 'local';
  const w = new DescribeWriter();
  const meta = pod.metadata ?? {};
  const spec = pod.spec;
  const status = pod.status ?? {};
  w.write(0, `Name:\t${meta.name ?? ''}\n`);
  w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
  if (spec?.priority !== undefined && spec.priority !== null) w.write(0, `Priority:\t${spec.priority}\n`);
  if (spec?.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec?.runtimeClassName) w.write(0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  if (spec?.serviceAccountName) w.write(0, `Service Account:\t${spec.serviceAccountName}\n`);
  w.write(0, spec?.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (status.startTime) w.write(0, `Start Time:\t${formatRfc1123z(status.startTime, tz)}\n`);
  printLabels(w, 'Labels', meta.labels);
  printAnnotations(w, 'Annotations', meta.annotations);
  if (meta.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    w.write(0, `Status:\tTerminating (lasts ${since(meta.deletionTimestamp, o.now)})\n`);
    w.write(0, `Termination Grace Period:\t${meta.deletionGracePeriodSeconds ?? 0}s\n`);
  } else {
    w.write(0, `Status:\t${status.phase ?? ''}\n`);
  }
  if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(0, `Message:\t${status.message}\n`);
  const seccomp = spec?.securityContext?.seccompProfile;
  if (seccomp) {
    w.write(0, `SeccompProfile:\t${seccomp.type}\n`);
    if (seccomp.type === 'Localhost') w.write(0, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
  }
  w.write(0, `IP:\t${status.podIP ?? ''}\n`);
  if ((status.podIPs ?? []).length === 0) w.write(0, 'IPs:\t<none>\n');
  else {
    w.write(0, 'IPs:\n');
    for (const ip of status.podIPs!) w.write(1, `IP:\t${ip.ip}\n`);
  }
  const controller = (meta.ownerReferences ?? []).find((r) => r.controller === true);
  if (controller) w.write(0, `Controlled By:\t${controller.kind}/${controller.name}\n`);
  if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
  const podResources = (spec as PodSpecWithResources | undefined)?.resources;
  if (podResources) {
    w.write(0, 'Resources:\n');
    describeResources(w, podResources, 1);
  }
  if ((spec?.initContainers ?? []).length > 0)
    describeContainers(w, pod, 'Init Containers', spec!.initContainers!, status.initContainerStatuses, tz);
  describeContainers(w, pod, 'Containers', spec?.containers ?? [], status.containerStatuses, tz);
  if ((spec?.ephemeralContainers ?? []).length > 0)
    describeContainers(
      w,
      pod,
      'Ephemeral Containers',
      spec!.ephemeralContainers! as Container[],
      status.ephemeralContainerStatuses,
      tz,
    );
  if ((spec?.readinessGates ?? []).length > 0) {
    w.write(0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of spec!.readinessGates!) {
      const c = (status.conditions ?? []).find((x) => x.type === g.conditionType);
      w.write(1, `${g.conditionType} \t${c?.status ?? '<none>'} \n`);
    }
  }
  if ((status.conditions ?? []).length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of status.conditions!) w.write(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, spec?.volumes);
  w.write(0, `QoS Class:\t${status.qosClass ?? (spec ? computeQosClass(spec) : '')}\n`);
  printLabels(w, 'Node-Selectors', spec?.nodeSelector);
  printTolerations(w, pod);
  if (events) describeEvents(w, events, o.now);
  return w.toString();
}
