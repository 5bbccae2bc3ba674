// TEST DOUBLE — not AWS. An Amazon EventBridge emulator speaking AWS JSON 1.1 (`X-Amz-Target: AWSEvents.<Op>`) to the
// real @aws-sdk/client-eventbridge, for podflow's cloud tests. One bus per name (`default` always exists); rules
// with an event pattern or a schedule expression; Lambda targets, invoked asynchronously as EventBridge invokes
// Lambda targets (EventBridge user guide, "Amazon EventBridge targets": Lambda is invoked with InvocationType
// Event), with the target's `Input` or `InputPath` or else the whole event.
//
// Implemented: PutEvents, PutRule, DescribeRule, DeleteRule, ListRules, PutTargets, RemoveTargets,
// ListTargetsByRule. AWS services' own events (ECS Task State Change from the ECS emulator) enter through
// `deliverServiceEvent`, as they do on AWS — PutEvents refuses a `Source` starting with `aws.` per entry
// (NotAuthorizedForSourceException). Limits: at most 10 entries per PutEvents (ValidationException), an entry at most
// 1 MB (its Time, Source, DetailType, Detail and Resources in UTF-8; PutEvents "Calculating PutEvents event entry
// size"), Detail a JSON object (MalformedDetail per entry). Scheduled rules (`rate()`, `cron()`) fire on the
// emulator clock when `fireScheduledRules` is on.
import { randomUUID } from 'node:crypto';
import {
  AwsError,
  checkShape,
  DEFAULT_SCOPE,
  jsonProtocol,
  startWireServer,
  type AwsScope,
  type EmulatorServer,
} from './aws-wire.ts';
import type { EmulatorClock } from './emulator-clock.ts';
import { matchesEventPattern } from './event-pattern.ts';
import { nextFireTime, parseScheduleExpression } from './schedule-expression.ts';

/**
 * PutEvents: the maximum size of an event entry — 256 KB until January 2026, when AWS raised it to 1 MB (AWS Compute
 * Blog, "More room to build: serverless services now support payloads up to 1 MB").
 */
export const MAX_ENTRY_BYTES = 1024 * 1024;
export const MAX_ENTRIES = 10;

export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface RuleTarget {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
  RoleArn?: string;
}

interface Rule {
  name: string;
  arn: string;
  bus: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: Map<string, RuleTarget>;
  cancelSchedule?: () => void;
}

export interface EventBridgeEmulatorOptions {
  clock: EmulatorClock;
  scope?: AwsScope;
  /** Delivers an event to a Lambda target asynchronously (the Lambda emulator's Event invoke). */
  invokeLambda: (functionArn: string, payload: string) => Promise<void>;
  /** Fire `rate()`/`cron()` rules on the clock. Default true. */
  fireScheduledRules?: boolean;
}

export class EventBridgeEmulator {
  readonly #rules = new Map<string, Rule>();
  readonly #opts: EventBridgeEmulatorOptions;
  readonly #scope: AwsScope;
  /** Every event the bus accepted, in order (tests look at what ECS emitted). */
  readonly events: EventBridgeEvent[] = [];
  readonly #listeners = new Set<(e: EventBridgeEvent) => void>();

  constructor(opts: EventBridgeEmulatorOptions) {
    this.#opts = opts;
    this.#scope = opts.scope ?? DEFAULT_SCOPE;
  }

  /** Calls `fn` with every event the bus accepts. */
  onEvent(fn: (e: EventBridgeEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #key(bus: string, name: string): string {
    return `${bus}/${name}`;
  }

  putRule(input: {
    Name: string;
    EventBusName?: string;
    EventPattern?: string;
    ScheduleExpression?: string;
    State?: string;
    Description?: string;
  }): string {
    const bus = input.EventBusName ?? 'default';
    if (!input.EventPattern && !input.ScheduleExpression) {
      throw new AwsError(
        'ValidationException',
        'Parameter(s) EventPattern or ScheduleExpression must be specified.',
      );
    }
    if (input.EventPattern) {
      try {
        matchesEventPattern(JSON.parse(input.EventPattern), {});
      } catch (err) {
        throw new AwsError(
          'InvalidEventPatternException',
          `Event pattern is not valid. Reason: ${(err as Error).message}`,
        );
      }
    }
    if (input.ScheduleExpression) {
      if (bus !== 'default')
        throw new AwsError(
          'ValidationException',
          'ScheduleExpression is supported only on the default event bus.',
        );
      try {
        parseScheduleExpression(input.ScheduleExpression);
      } catch {
        throw new AwsError('ValidationException', 'Parameter ScheduleExpression is not valid.');
      }
    }
    const key = this.#key(bus, input.Name);
    const existing = this.#rules.get(key);
    existing?.cancelSchedule?.();
    const rule: Rule = {
      name: input.Name,
      arn: `arn:${this.#scope.partition}:events:${this.#scope.region}:${this.#scope.account}:rule/${bus === 'default' ? '' : `${bus}/`}${input.Name}`,
      bus,
      state: input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      targets: existing?.targets ?? new Map(),
      ...(input.EventPattern ? { eventPattern: input.EventPattern } : {}),
      ...(input.ScheduleExpression ? { scheduleExpression: input.ScheduleExpression } : {}),
      ...(input.Description ? { description: input.Description } : {}),
    };
    this.#rules.set(key, rule);
    this.#armSchedule(rule);
    return rule.arn;
  }

  putTargets(ruleName: string, bus: string | undefined, targets: RuleTarget[]): void {
    const rule = this.#rule(ruleName, bus);
    for (const t of targets) {
      if (t.Input !== undefined && t.InputPath !== undefined) {
        throw new AwsError(
          'ValidationException',
          'Only one of Input, InputPath or InputTransformer may be specified.',
        );
      }
      rule.targets.set(t.Id, t);
    }
  }

  #rule(name: string, bus: string | undefined): Rule {
    const rule = this.#rules.get(this.#key(bus ?? 'default', name));
    if (!rule)
      throw new AwsError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${bus ?? 'default'}.`,
      );
    return rule;
  }

  #armSchedule(rule: Rule): void {
    if (!rule.scheduleExpression || this.#opts.fireScheduledRules === false) return;
    const expr = parseScheduleExpression(rule.scheduleExpression);
    // A rate counts its periods from when the rule was armed (not from each firing, which would drift a
    // millisecond per period).
    const start = this.#opts.clock.now();
    const arm = (after: number) => {
      const next = nextFireTime(expr, after, start);
      if (next === undefined) return;
      rule.cancelSchedule = this.#opts.clock.at(next, () => {
        if (rule.state === 'ENABLED') {
          this.#deliverToRule(rule, {
            version: '0',
            id: randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: this.#scope.account,
            time: isoSeconds(next),
            region: this.#scope.region,
            resources: [rule.arn],
            detail: {},
          });
        }
        arm(next + 1);
      });
    };
    arm(this.#opts.clock.now());
  }

  /** An AWS service's event (source `aws.*`), as the service puts it on the account's default bus. */
  deliverServiceEvent(
    event: Omit<EventBridgeEvent, 'version' | 'id' | 'account' | 'region' | 'time'> & { time?: string },
  ): void {
    this.#accept(
      {
        version: '0',
        id: randomUUID(),
        account: this.#scope.account,
        region: this.#scope.region,
        ...event,
        time: event.time ?? isoSeconds(this.#opts.clock.now()),
      },
      'default',
    );
  }

  #accept(event: EventBridgeEvent, bus: string): void {
    this.events.push(event);
    for (const l of this.#listeners) l(event);
    for (const rule of this.#rules.values()) {
      if (rule.bus !== bus || rule.state !== 'ENABLED' || !rule.eventPattern) continue;
      if (matchesEventPattern(JSON.parse(rule.eventPattern), event as never))
        this.#deliverToRule(rule, event);
    }
  }

  #deliverToRule(rule: Rule, event: EventBridgeEvent): void {
    for (const target of rule.targets.values()) {
      const payload =
        target.Input !== undefined
          ? target.Input
          : target.InputPath !== undefined
            ? JSON.stringify(selectPath(event, target.InputPath))
            : JSON.stringify(event);
      if (/^arn:[^:]+:lambda:/.test(target.Arn)) {
        void this.#opts.invokeLambda(target.Arn, payload).catch(() => undefined);
      }
    }
  }

  putEvents(entries: Array<Record<string, unknown>>): unknown {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
      );
    }
    let failed = 0;
    const results = entries.map((e) => {
      const fail = (code: string, message: string) => {
        failed++;
        return { ErrorCode: code, ErrorMessage: message };
      };
      if (typeof e.Source !== 'string' || typeof e.DetailType !== 'string' || typeof e.Detail !== 'string') {
        return fail('InvalidArgument', 'Parameters Source, DetailType and Detail are required.');
      }
      if (e.Source.startsWith('aws.'))
        return fail('NotAuthorizedForSourceException', 'Not authorized for the source.');
      const size =
        (e.Time !== undefined ? 14 : 0) +
        Buffer.byteLength(e.Source) +
        Buffer.byteLength(e.DetailType) +
        Buffer.byteLength(e.Detail) +
        ((e.Resources as string[] | undefined) ?? []).reduce((n, r) => n + Buffer.byteLength(r), 0);
      if (size > MAX_ENTRY_BYTES)
        return fail('InvalidArgument', 'Total size of the entries in the request is over the limit.');
      let detail: unknown;
      try {
        detail = JSON.parse(e.Detail);
      } catch {
        return fail('MalformedDetail', 'Detail is malformed.');
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        return fail('MalformedDetail', 'Detail is malformed.');
      }
      const event: EventBridgeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': e.DetailType,
        source: e.Source,
        account: this.#scope.account,
        time: isoSeconds(typeof e.Time === 'number' ? e.Time * 1000 : this.#opts.clock.now()),
        region: this.#scope.region,
        resources: (e.Resources as string[] | undefined) ?? [],
        detail,
      };
      this.#accept(event, typeof e.EventBusName === 'string' ? busName(e.EventBusName) : 'default');
      return { EventId: event.id };
    });
    return { FailedEntryCount: failed, Entries: results };
  }

  close(): void {
    for (const r of this.#rules.values()) r.cancelSchedule?.();
  }

  async listen(): Promise<EmulatorServer> {
    return startWireServer(
      jsonProtocol('AWSEvents', '1.1', {
        PutEvents: (i) => {
          checkShape(i, { required: ['Entries'], optional: ['EndpointId'] });
          return this.putEvents(i.Entries as Array<Record<string, unknown>>);
        },
        PutRule: (i) => {
          checkShape(i, {
            required: ['Name'],
            optional: [
              'ScheduleExpression',
              'EventPattern',
              'State',
              'Description',
              'RoleArn',
              'Tags',
              'EventBusName',
            ],
          });
          return { RuleArn: this.putRule(i as never) };
        },
        DescribeRule: (i) => {
          checkShape(i, { required: ['Name'], optional: ['EventBusName'] });
          const r = this.#rule(String(i.Name), i.EventBusName as string | undefined);
          return {
            Name: r.name,
            Arn: r.arn,
            EventBusName: r.bus,
            State: r.state,
            ...(r.eventPattern ? { EventPattern: r.eventPattern } : {}),
            ...(r.scheduleExpression ? { ScheduleExpression: r.scheduleExpression } : {}),
            ...(r.description ? { Description: r.description } : {}),
          };
        },
        DeleteRule: (i) => {
          checkShape(i, { required: ['Name'], optional: ['EventBusName', 'Force'] });
          const key = this.#key((i.EventBusName as string | undefined) ?? 'default', String(i.Name));
          const r = this.#rules.get(key);
          if (r && r.targets.size > 0)
            throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
          r?.cancelSchedule?.();
          this.#rules.delete(key);
          return {};
        },
        ListRules: (i) => {
          checkShape(i, { optional: ['NamePrefix', 'EventBusName', 'NextToken', 'Limit'] });
          const bus = (i.EventBusName as string | undefined) ?? 'default';
          const prefix = (i.NamePrefix as string | undefined) ?? '';
          return {
            Rules: [...this.#rules.values()]
              .filter((r) => r.bus === bus && r.name.startsWith(prefix))
              .map((r) => ({
                Name: r.name,
                Arn: r.arn,
                State: r.state,
                EventBusName: r.bus,
                EventPattern: r.eventPattern,
                ScheduleExpression: r.scheduleExpression,
              })),
          };
        },
        PutTargets: (i) => {
          checkShape(i, { required: ['Rule', 'Targets'], optional: ['EventBusName'] });
          this.putTargets(String(i.Rule), i.EventBusName as string | undefined, i.Targets as RuleTarget[]);
          return { FailedEntryCount: 0, FailedEntries: [] };
        },
        RemoveTargets: (i) => {
          checkShape(i, { required: ['Rule', 'Ids'], optional: ['EventBusName', 'Force'] });
          const r = this.#rule(String(i.Rule), i.EventBusName as string | undefined);
          for (const id of i.Ids as string[]) r.targets.delete(id);
          return { FailedEntryCount: 0, FailedEntries: [] };
        },
        ListTargetsByRule: (i) => {
          checkShape(i, { required: ['Rule'], optional: ['EventBusName', 'NextToken', 'Limit'] });
          return {
            Targets: [...this.#rule(String(i.Rule), i.EventBusName as string | undefined).targets.values()],
          };
        },
      }),
    );
  }
}

/** An event bus given by name or ARN. */
const busName = (nameOrArn: string): string =>
  nameOrArn.replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, '');

/** Event times are ISO 8601 without fractional seconds (`2024-01-01T00:00:00Z`). */
export const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** A JSONPath of the form `$.a.b` (what InputPath takes). */
function selectPath(event: unknown, path: string): unknown {
  if (path === '$') return event;
  let v: unknown = event;
  for (const part of path.replace(/^\$\.?/, '').split('.')) {
    v = (v as Record<string, unknown> | undefined)?.[part];
  }
  return v;
}
