// TEST DOUBLE — not AWS. A CloudWatch Logs emulator speaking AWS JSON 1.1 (`X-Amz-Target: Logs_20140328.<Op>`) to
// the real @aws-sdk/client-cloudwatch-logs, for podflow's cloud tests (test/cloud/). It keeps log groups, streams
// and events in memory. The ECS emulator writes container output into it the way the `awslogs` driver does
// (CreateLogStream once, then PutLogEvents batches), and the Lambda emulator writes function output to each
// function's log group.
//
// Implemented (CloudWatch Logs API reference): CreateLogGroup, DeleteLogGroup, DescribeLogGroups, CreateLogStream,
// DescribeLogStreams, PutLogEvents, GetLogEvents, FilterLogEvents. Limits enforced as PutLogEvents documents them:
// at most 10,000 events and 1,048,576 bytes per batch (each event counts its UTF-8 message bytes plus 26), events in
// chronological order, a batch spanning at most 24 hours, an event at most 256 KB (its message bytes + 26); events
// more than 14 days old or 2 hours ahead are rejected through `rejectedLogEventsInfo`, not as an error.
// Errors: ResourceNotFoundException, ResourceAlreadyExistsException, InvalidParameterException.
import { AwsError, checkShape, jsonProtocol, startWireServer, type EmulatorServer } from './aws-wire.ts';
import type { UsageMeter } from './usage-meter.ts';

/** PutLogEvents: "The maximum batch size is 1,048,576 bytes … the sum of all event messages in UTF-8, plus 26 bytes for each log event." */
export const MAX_BATCH_BYTES = 1_048_576;
export const MAX_BATCH_EVENTS = 10_000;
export const EVENT_OVERHEAD_BYTES = 26;
/** PutLogEvents: "Each log event can be no larger than 256 KB" (counted here as its message bytes + 26). */
export const MAX_EVENT_BYTES = 262_144;
const DAY_MS = 86_400_000;
/** GetLogEvents/FilterLogEvents: at most 10,000 events (and 1 MB) per response. */
export const MAX_EVENTS_PER_RESPONSE = 10_000;

export interface StoredLogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  eventId: string;
}

interface LogStream {
  name: string;
  creationTime: number;
  events: StoredLogEvent[];
}

interface LogGroup {
  name: string;
  creationTime: number;
  streams: Map<string, LogStream>;
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

export class CloudWatchLogsEmulator {
  readonly groups = new Map<string, LogGroup>();
  #eventCounter = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  createLogGroup(name: string): void {
    if (this.groups.has(name))
      throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
    this.groups.set(name, { name, creationTime: this.#now(), streams: new Map() });
  }

  /** Creates the group unless it exists (what a CloudFormation `AWS::Logs::LogGroup` left behind). */
  ensureLogGroup(name: string): void {
    if (!this.groups.has(name)) this.createLogGroup(name);
  }

  #group(name: unknown): LogGroup {
    const g = this.groups.get(String(name));
    if (!g) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  }

  #stream(group: unknown, stream: unknown): LogStream {
    const s = this.#group(group).streams.get(String(stream));
    if (!s) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return s;
  }

  createLogStream(group: string, stream: string): void {
    const g = this.#group(group);
    if (g.streams.has(stream))
      throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    g.streams.set(stream, { name: stream, creationTime: this.#now(), events: [] });
  }

  /** Ingested bytes are recorded here by log group (usage-meter.ts), when set. */
  meter: UsageMeter | undefined;

  putLogEvents(
    group: string,
    stream: string,
    events: ReadonlyArray<{ timestamp: number; message: string }>,
  ): { rejectedLogEventsInfo?: Record<string, number> } {
    const s = this.#stream(group, stream);
    if (events.length === 0)
      throw new AwsError('InvalidParameterException', 'Log events list must not be empty');
    if (events.length > MAX_BATCH_EVENTS) {
      throw new AwsError(
        'InvalidParameterException',
        `Batch too large: at most ${MAX_BATCH_EVENTS} log events`,
      );
    }
    let bytes = 0;
    for (const e of events) {
      const size = byteLength(e.message) + EVENT_OVERHEAD_BYTES;
      if (size > MAX_EVENT_BYTES) throw new AwsError('InvalidParameterException', 'Log event too large');
      bytes += size;
    }
    if (bytes > MAX_BATCH_BYTES)
      throw new AwsError('InvalidParameterException', 'Upload too large: batch exceeds 1048576 bytes');
    this.meter?.record(group, 'logs.bytes', bytes);
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.timestamp < events[i - 1]!.timestamp) {
        throw new AwsError(
          'InvalidParameterException',
          'Log events in a single PutLogEvents request must be in chronological order.',
        );
      }
    }
    if (events[events.length - 1]!.timestamp - events[0]!.timestamp > DAY_MS) {
      throw new AwsError(
        'InvalidParameterException',
        'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
      );
    }
    const now = this.#now();
    const rejected: Record<string, number> = {};
    let tooOldEnd = -1;
    let tooNewStart = events.length;
    events.forEach((e, i) => {
      if (e.timestamp < now - 14 * DAY_MS) tooOldEnd = i;
      if (e.timestamp > now + 2 * 3_600_000 && i < tooNewStart) tooNewStart = i;
    });
    if (tooOldEnd >= 0) rejected.tooOldLogEventEndIndex = tooOldEnd + 1;
    if (tooNewStart < events.length) rejected.tooNewLogEventStartIndex = tooNewStart;
    events.forEach((e, i) => {
      if (i <= tooOldEnd || i >= tooNewStart) return;
      s.events.push({
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: now,
        eventId: String(++this.#eventCounter).padStart(56, '0'),
      });
    });
    // Events are stored ordered by timestamp (stable), as GetLogEvents returns them.
    s.events.sort((a, b) => a.timestamp - b.timestamp);
    return Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {};
  }

  getLogEvents(input: Record<string, unknown>): unknown {
    const s = this.#stream(input.logGroupName ?? input.logGroupIdentifier, input.logStreamName);
    const limit = clampLimit(input.limit);
    const inRange = (e: StoredLogEvent) =>
      (input.startTime === undefined || e.timestamp >= Number(input.startTime)) &&
      (input.endTime === undefined || e.timestamp < Number(input.endTime));
    const all = s.events.filter(inRange);
    // Tokens name a position in the (filtered) event list: f/<i> reads forward from i, b/<i> backward to before i.
    let from: number;
    let to: number;
    const token = typeof input.nextToken === 'string' ? input.nextToken : undefined;
    if (token) {
      const m = /^([fb])\/(\d+)$/.exec(token);
      if (!m) throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid.');
      const pos = Number(m[2]);
      if (m[1] === 'f') {
        from = pos;
        to = Math.min(all.length, pos + limit);
      } else {
        to = pos;
        from = Math.max(0, pos - limit);
      }
    } else if (input.startFromHead === true) {
      from = 0;
      to = Math.min(all.length, limit);
    } else {
      to = all.length;
      from = Math.max(0, to - limit);
    }
    return {
      events: all
        .slice(from, to)
        .map(({ timestamp, message, ingestionTime }) => ({ timestamp, message, ingestionTime })),
      // At the end the forward token stays the one passed in (GetLogEvents: "If you have reached the end of the
      // stream, it returns the same token you passed in").
      nextForwardToken: `f/${to}`,
      nextBackwardToken: `b/${from}`,
    };
  }

  filterLogEvents(input: Record<string, unknown>): unknown {
    const g = this.#group(input.logGroupName ?? input.logGroupIdentifier);
    if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
      throw new AwsError(
        'InvalidParameterException',
        'Cannot specify both logStreamNames and logStreamNamePrefix',
      );
    }
    const names = input.logStreamNames as string[] | undefined;
    const prefix = input.logStreamNamePrefix as string | undefined;
    const matches = compileFilterPattern(typeof input.filterPattern === 'string' ? input.filterPattern : '');
    const events: Array<StoredLogEvent & { logStreamName: string }> = [];
    for (const s of g.streams.values()) {
      if (names && !names.includes(s.name)) continue;
      if (prefix && !s.name.startsWith(prefix)) continue;
      for (const e of s.events) {
        if (input.startTime !== undefined && e.timestamp < Number(input.startTime)) continue;
        if (input.endTime !== undefined && e.timestamp > Number(input.endTime)) continue;
        if (!matches(e.message)) continue;
        events.push({ ...e, logStreamName: s.name });
      }
    }
    events.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
    const start = typeof input.nextToken === 'string' ? decodeOffset(input.nextToken) : 0;
    const limit = clampLimit(input.limit);
    const page = events.slice(start, start + limit);
    const searched = [...g.streams.values()]
      .filter((s) => (!names || names.includes(s.name)) && (!prefix || s.name.startsWith(prefix)))
      .map((s) => ({ logStreamName: s.name, searchedCompletely: true }));
    return {
      events: page.map(({ timestamp, message, ingestionTime, eventId, logStreamName }) => ({
        logStreamName,
        timestamp,
        message,
        ingestionTime,
        eventId,
      })),
      searchedLogStreams: searched,
      ...(start + limit < events.length
        ? { nextToken: Buffer.from(String(start + limit)).toString('base64') }
        : {}),
    };
  }

  describeLogStreams(input: Record<string, unknown>): unknown {
    const g = this.#group(input.logGroupName ?? input.logGroupIdentifier);
    const prefix = typeof input.logStreamNamePrefix === 'string' ? input.logStreamNamePrefix : '';
    const streams = [...g.streams.values()]
      .filter((s) => s.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (input.descending === true) streams.reverse();
    return {
      logStreams: streams.map((s) => ({
        logStreamName: s.name,
        creationTime: s.creationTime,
        ...(s.events.length > 0
          ? {
              firstEventTimestamp: s.events[0]!.timestamp,
              lastEventTimestamp: s.events[s.events.length - 1]!.timestamp,
              lastIngestionTime: s.events[s.events.length - 1]!.ingestionTime,
            }
          : {}),
        storedBytes: 0,
      })),
    };
  }

  /** Messages of one stream, in order (tests). */
  messages(group: string, stream: string): string[] {
    return (
      this.groups
        .get(group)
        ?.streams.get(stream)
        ?.events.map((e) => e.message) ?? []
    );
  }

  async listen(): Promise<EmulatorServer> {
    const groupShape = { optional: ['logGroupName', 'logGroupIdentifier'] };
    return startWireServer(
      jsonProtocol('Logs_20140328', '1.1', {
        CreateLogGroup: (i) => {
          checkShape(
            i,
            { required: ['logGroupName'], optional: ['kmsKeyId', 'tags', 'logGroupClass'] },
            { unknown: 'InvalidParameterException', missing: 'InvalidParameterException' },
          );
          this.createLogGroup(String(i.logGroupName));
          return {};
        },
        DeleteLogGroup: (i) => {
          checkShape(i, { required: ['logGroupName'] });
          this.#group(i.logGroupName);
          this.groups.delete(String(i.logGroupName));
          return {};
        },
        DescribeLogGroups: (i) => {
          checkShape(i, {
            optional: [
              'logGroupNamePrefix',
              'logGroupNamePattern',
              'limit',
              'nextToken',
              'accountIdentifiers',
              'includeLinkedAccounts',
              'logGroupClass',
            ],
          });
          const prefix = typeof i.logGroupNamePrefix === 'string' ? i.logGroupNamePrefix : '';
          return {
            logGroups: [...this.groups.values()]
              .filter((g) => g.name.startsWith(prefix))
              .map((g) => ({ logGroupName: g.name, creationTime: g.creationTime, storedBytes: 0 })),
          };
        },
        CreateLogStream: (i) => {
          checkShape(
            i,
            { required: ['logGroupName', 'logStreamName'] },
            { missing: 'InvalidParameterException' },
          );
          this.createLogStream(String(i.logGroupName), String(i.logStreamName));
          return {};
        },
        DescribeLogStreams: (i) => {
          checkShape(i, {
            optional: [
              ...groupShape.optional,
              'logStreamNamePrefix',
              'orderBy',
              'descending',
              'nextToken',
              'limit',
            ],
          });
          return this.describeLogStreams(i);
        },
        PutLogEvents: (i) => {
          checkShape(
            i,
            {
              required: ['logGroupName', 'logStreamName', 'logEvents'],
              optional: ['sequenceToken', 'entity'],
            },
            { missing: 'InvalidParameterException' },
          );
          return this.putLogEvents(
            String(i.logGroupName),
            String(i.logStreamName),
            i.logEvents as Array<{ timestamp: number; message: string }>,
          );
        },
        GetLogEvents: (i) => {
          checkShape(
            i,
            {
              required: ['logStreamName'],
              optional: [
                ...groupShape.optional,
                'startTime',
                'endTime',
                'nextToken',
                'limit',
                'startFromHead',
                'unmask',
              ],
            },
            { missing: 'InvalidParameterException' },
          );
          return this.getLogEvents(i);
        },
        FilterLogEvents: (i) => {
          checkShape(i, {
            optional: [
              ...groupShape.optional,
              'logStreamNames',
              'logStreamNamePrefix',
              'startTime',
              'endTime',
              'filterPattern',
              'nextToken',
              'limit',
              'interleaved',
              'unmask',
            ],
          });
          return this.filterLogEvents(i);
        },
      }),
    );
  }
}

function clampLimit(raw: unknown): number {
  if (raw === undefined) return MAX_EVENTS_PER_RESPONSE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_EVENTS_PER_RESPONSE) {
    throw new AwsError(
      'InvalidParameterException',
      `1 validation error detected: Value '${String(raw)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000`,
    );
  }
  return n;
}

function decodeOffset(token: string): number {
  const n = Number(Buffer.from(token, 'base64').toString('utf8'));
  if (!Number.isInteger(n) || n < 0)
    throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid.');
  return n;
}

/**
 * The unstructured-log subset of filter pattern syntax ("Filter pattern syntax for metric filters, subscription
 * filters, filter log events"): terms that must all occur (case-sensitive), `"quoted phrases"`, `-term` that must
 * not occur, and `?a ?b` (any of). An empty pattern matches every event. JSON and space-delimited patterns are not
 * emulated (podflow does not use them): they are refused rather than matched wrongly.
 */
export function compileFilterPattern(pattern: string): (message: string) => boolean {
  const trimmed = pattern.trim();
  if (trimmed === '') return () => true;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    throw new AwsError(
      'InvalidParameterException',
      'the emulator supports unstructured filter patterns only',
    );
  }
  const terms = [...trimmed.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)].map((m) => ({
    op: m[1] ?? '',
    text: m[2] ?? m[3] ?? '',
  }));
  const anyOf = terms.filter((t) => t.op === '?');
  const all = terms.filter((t) => t.op === '');
  const none = terms.filter((t) => t.op === '-');
  return (message) =>
    (anyOf.length === 0 || anyOf.some((t) => message.includes(t.text))) &&
    all.every((t) => message.includes(t.text)) &&
    none.every((t) => !message.includes(t.text));
}
