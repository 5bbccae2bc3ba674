// Reading the CRI log format podflow-shim writes: `<RFC3339Nano> <stdout|stderr> <F|P> <content>` per line
// (kubelet: pkg/kubelet/kuberuntime/logs/logs.go parseCRILog; writer: containerd internal/cri/io/logger.go).
// P lines are chunks of one long line (or the end of output without a newline); they are joined with what
// follows on the same stream until its F line, as kubelet's log reader does.
import type { LogOptions } from '../../ports/container-runtime.ts';

export interface CriLogEntry {
  /** The timestamp as written (RFC3339Nano). */
  time: string;
  /** Epoch milliseconds (floor). */
  timeMs: number;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  content: string;
}

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/** Epoch ms of an RFC3339(Nano) timestamp, NaN when malformed. */
export function parseRfc3339NanoMs(time: string): number {
  const m = TIME.exec(time);
  if (!m) return Number.NaN;
  const base = Date.parse(`${m[1]}${m[3]}`);
  const millis = Number((m[2] ?? '').padEnd(3, '0').slice(0, 3));
  return base + millis;
}

export function parseCriLine(line: string): CriLogEntry | undefined {
  const s1 = line.indexOf(' ');
  const s2 = line.indexOf(' ', s1 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const time = line.slice(0, s1);
  const stream = line.slice(s1 + 1, s2);
  const tag = line.slice(s2 + 1, s2 + 2);
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined;
  // "<tag> <content>"; an empty F line may come without the space before the (empty) content.
  const content = line.length > s2 + 2 ? line.slice(s2 + 3) : '';
  const timeMs = parseRfc3339NanoMs(time);
  if (Number.isNaN(timeMs)) return undefined;
  return { time, timeMs, stream, partial: tag === 'P', content };
}

/** Whole lines: P chunks joined with the rest of their line; a line keeps its first chunk's timestamp. */
export function assembleCriLog(text: string): CriLogEntry[] {
  const out: CriLogEntry[] = [];
  const pending = new Map<string, CriLogEntry>();
  const records = text.split('\n');
  // Every record the shim writes ends with a newline; a last one without is still being written: skip it.
  records.pop();
  for (const raw of records) {
    if (raw === '') continue;
    const entry = parseCriLine(raw);
    if (!entry) continue;
    const head = pending.get(entry.stream);
    const joined = head ? { ...head, content: head.content + entry.content, partial: entry.partial } : entry;
    if (entry.partial) {
      pending.set(entry.stream, joined);
    } else {
      pending.delete(entry.stream);
      out.push(joined);
    }
  }
  // Output that ended without a newline is still a line of the log.
  out.push(...pending.values());
  return out;
}

/** kubectl prints RFC3339Nano as Go formats it: trailing zeros of the fraction trimmed. */
export function formatLogTime(time: string): string {
  return time.replace(/\.(\d*?)0+(Z|[+-]\d\d:\d\d)$/, (_m, digits: string, zone: string) =>
    digits ? `.${digits}${zone}` : zone,
  );
}

/**
 * Applies kubectl logs options (kubelet ReadLogs: tail, then since; timestamps are monotonic in one file, so the
 * order does not change the result).
 */
export function selectLogLines(entries: CriLogEntry[], options: LogOptions = {}): string[] {
  let selected = entries;
  if (options.tailLines !== undefined)
    selected = options.tailLines <= 0 ? [] : selected.slice(-options.tailLines);
  if (options.sinceTime !== undefined) {
    const since = options.sinceTime;
    selected = selected.filter((e) => e.timeMs >= since);
  }
  return selected.map((e) => (options.timestamps ? `${formatLogTime(e.time)} ${e.content}` : e.content));
}
