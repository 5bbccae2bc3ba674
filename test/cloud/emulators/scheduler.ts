// TEST DOUBLE — not AWS. An Amazon EventBridge Scheduler emulator speaking REST-JSON to the real
// @aws-sdk/client-scheduler, for podflow's cloud tests.
//
// Implemented (EventBridge Scheduler API reference): CreateSchedule (POST /schedules/{Name}), GetSchedule (GET),
// UpdateSchedule (PUT: replaces the whole schedule, omitted optional fields back to their defaults), DeleteSchedule
// (DELETE), ListSchedules, CreateScheduleGroup, GetScheduleGroup. Expressions `at()`, `rate()`, `cron()`
// (schedule-expression.ts) in the schedule's ScheduleExpressionTimezone, any IANA zone (default UTC; GetSchedule
// echoes the zone as given): `at()` and `cron()` name wall-clock times in that zone, with Scheduler's documented
// daylight-saving behaviour — a cron time the zone skips (spring forward) does not fire that day, one it repeats
// (fall back) fires once, before the shift ("Daylight savings time on EventBridge Scheduler",
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time; the cases the
// page leaves open, and how the emulator settles them, are in schedule-expression.ts); `rate()` ignores the zone.
// FlexibleTimeWindow OFF or FLEXIBLE (MaximumWindowInMinutes 1–1440), ActionAfterCompletion NONE/DELETE, State
// ENABLED/DISABLED, the schedule group, a Lambda target with its Input.
// Errors: ResourceNotFoundException (404: schedule or group), ConflictException (409: the name exists),
// ValidationException (400: name pattern, expression, time zone, window, input length 8192). The time zone's
// message text is the emulator's own (AWS's wording for an unknown zone is not documented); tests match the code.
//
// When it fires: Scheduler "invokes targets with 60-second precision": a schedule for 12:01 fires somewhere in
// 12:01:00–12:01:59, never before 12:01. The emulator fires at the scheduled instant plus `fireDelayMs` (default 0;
// a test may set up to 59,999 to play a late firing), plus, with a FLEXIBLE window, no further delay (the start of
// the window is a legal choice). Time is the emulator clock, which a test advances instead of waiting. A Lambda
// target is invoked asynchronously (InvocationType Event) with the target's Input as the payload; a one-time
// schedule with ActionAfterCompletion DELETE is deleted once it has invoked its target.
import {
  accessKeyOf,
  AwsError,
  DEFAULT_SCOPE,
  epochSeconds,
  jsonResponse,
  restProtocol,
  startWireServer,
  type AwsScope,
  type EmulatorServer,
  type WireRequest,
} from './aws-wire.ts';
import type { EmulatorClock } from './emulator-clock.ts';
import type { IamAuthorizer } from './iam.ts';
import {
  isTimeZone,
  nextFireTime,
  parseScheduleExpression,
  type ScheduleExpression,
} from './schedule-expression.ts';
import type { UsageMeter } from './usage-meter.ts';

export const MAX_TARGET_INPUT_CHARS = 8192;
const NAME_PATTERN = /^[0-9a-zA-Z_.-]{1,64}$/;

interface Schedule {
  name: string;
  group: string;
  arn: string;
  expression: ScheduleExpression;
  body: Record<string, unknown>;
  createdAt: number;
  modifiedAt: number;
  cancel?: () => void;
  fired: number;
}

export interface SchedulerEmulatorOptions {
  /** Firings are recorded here (usage-meter.ts), by schedule group. */
  meter?: UsageMeter;
  clock: EmulatorClock;
  scope?: AwsScope;
  /** Invokes a Lambda target asynchronously (the Lambda emulator's Event invoke). */
  invokeLambda: (functionArn: string, payload: string) => Promise<void>;
  /** Added to each firing instant (0–59,999 ms): where in its minute the schedule fires. Default 0. */
  fireDelayMs?: number;
  /**
   * Checks callers' identity-based policies (iam.ts): scheduler:<Operation> on the schedule, and iam:PassRole on
   * the target's role for Create/UpdateSchedule ("Set up the execution role").
   */
  iam?: IamAuthorizer;
}

export class SchedulerEmulator {
  readonly #opts: SchedulerEmulatorOptions;
  readonly #scope: AwsScope;
  readonly #groups = new Map<string, { arn: string; createdAt: number }>();
  readonly #schedules = new Map<string, Schedule>();
  /** Every target invocation (tests): schedule name, when it fired on the emulator clock, the payload. */
  readonly firings: Array<{ group: string; name: string; at: number; payload: string }> = [];

  constructor(opts: SchedulerEmulatorOptions) {
    this.#opts = opts;
    this.#scope = opts.scope ?? DEFAULT_SCOPE;
    this.createGroup('default');
  }

  createGroup(name: string): string {
    if (this.#groups.has(name))
      throw new AwsError('ConflictException', `Schedule group ${name} already exists.`, 409);
    const arn = `arn:${this.#scope.partition}:scheduler:${this.#scope.region}:${this.#scope.account}:schedule-group/${name}`;
    this.#groups.set(name, { arn, createdAt: this.#opts.clock.now() });
    return arn;
  }

  get schedules(): ReadonlyMap<string, Readonly<Schedule>> {
    return this.#schedules;
  }

  #validate(name: string, body: Record<string, unknown>): { group: string; expression: ScheduleExpression } {
    const allowed = new Set([
      'ActionAfterCompletion',
      'ClientToken',
      'Description',
      'EndDate',
      'FlexibleTimeWindow',
      'GroupName',
      'KmsKeyArn',
      'ScheduleExpression',
      'ScheduleExpressionTimezone',
      'StartDate',
      'State',
      'Target',
    ]);
    for (const k of Object.keys(body))
      if (!allowed.has(k)) throw new AwsError('ValidationException', `Unrecognized field "${k}"`);
    if (!NAME_PATTERN.test(name)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+`,
      );
    }
    for (const k of ['ScheduleExpression', 'FlexibleTimeWindow', 'Target']) {
      if (body[k] === undefined)
        throw new AwsError(
          'ValidationException',
          `1 validation error detected: Value null at '${k.charAt(0).toLowerCase()}${k.slice(1)}' failed to satisfy constraint: Member must not be null`,
        );
    }
    const group = (body.GroupName as string | undefined) ?? 'default';
    if (!this.#groups.has(group))
      throw new AwsError('ResourceNotFoundException', `Schedule group ${group} does not exist.`, 404);
    const tz = body.ScheduleExpressionTimezone as string | undefined;
    if (tz !== undefined && (typeof tz !== 'string' || !isTimeZone(tz))) {
      throw new AwsError('ValidationException', `Invalid Schedule Expression Timezone ${String(tz)}.`);
    }
    let expression: ScheduleExpression;
    try {
      expression = parseScheduleExpression(String(body.ScheduleExpression), tz);
    } catch {
      throw new AwsError(
        'ValidationException',
        `Invalid Schedule Expression ${String(body.ScheduleExpression)}.`,
      );
    }
    const window = body.FlexibleTimeWindow as { Mode?: string; MaximumWindowInMinutes?: number };
    if (window.Mode === 'FLEXIBLE') {
      const m = window.MaximumWindowInMinutes;
      if (typeof m !== 'number' || m < 1 || m > 1440) {
        throw new AwsError(
          'ValidationException',
          'MaximumWindowInMinutes must be between 1 and 1440 when the mode is FLEXIBLE.',
        );
      }
    } else if (window.Mode !== 'OFF') {
      throw new AwsError('ValidationException', `Invalid FlexibleTimeWindow mode ${String(window.Mode)}.`);
    } else if (window.MaximumWindowInMinutes !== undefined) {
      throw new AwsError(
        'ValidationException',
        'MaximumWindowInMinutes must not be set when the mode is OFF.',
      );
    }
    const target = body.Target as { Arn?: string; RoleArn?: string; Input?: string };
    if (!target.Arn || !target.RoleArn)
      throw new AwsError('ValidationException', 'Target Arn and RoleArn are required.');
    if (typeof target.Input === 'string' && target.Input.length > MAX_TARGET_INPUT_CHARS) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'target.input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TARGET_INPUT_CHARS}`,
      );
    }
    const after = body.ActionAfterCompletion as string | undefined;
    if (after !== undefined && after !== 'NONE' && after !== 'DELETE')
      throw new AwsError('ValidationException', `Invalid ActionAfterCompletion ${after}.`);
    return { group, expression };
  }

  #key(group: string, name: string): string {
    return `${group}/${name}`;
  }

  /** Arms the next firing at or after now, and after `notBefore` (the instant just fired, which must not fire again). */
  #arm(s: Schedule, notBefore = -Infinity): void {
    s.cancel?.();
    s.cancel = undefined;
    if (s.body.State === 'DISABLED') return;
    const next = nextFireTime(s.expression, Math.max(this.#opts.clock.now(), notBefore), s.modifiedAt);
    if (next === undefined || (s.expression.kind === 'at' && s.fired > 0)) return;
    s.cancel = this.#opts.clock.at(next + (this.#opts.fireDelayMs ?? 0), () => this.#fire(s, next));
  }

  #fire(s: Schedule, due: number): void {
    s.cancel = undefined;
    if (this.#schedules.get(this.#key(s.group, s.name)) !== s) return;
    const target = s.body.Target as { Arn: string; Input?: string };
    const payload = target.Input ?? '{}';
    s.fired++;
    this.firings.push({ group: s.group, name: s.name, at: this.#opts.clock.now(), payload });
    this.#opts.meter?.record(`schedule-group/${s.group}`, 'scheduler.invocations', 1);
    if (/^arn:[^:]+:lambda:/.test(target.Arn))
      void this.#opts.invokeLambda(target.Arn, payload).catch(() => undefined);
    if (s.expression.kind === 'at') {
      if (s.body.ActionAfterCompletion === 'DELETE') this.#schedules.delete(this.#key(s.group, s.name));
      return;
    }
    this.#arm(s, due + 1);
  }

  createSchedule(name: string, body: Record<string, unknown>): string {
    const { group, expression } = this.#validate(name, body);
    const key = this.#key(group, name);
    if (this.#schedules.has(key))
      throw new AwsError('ConflictException', `Schedule ${name} already exists.`, 409);
    const now = this.#opts.clock.now();
    const s: Schedule = {
      name,
      group,
      arn: `arn:${this.#scope.partition}:scheduler:${this.#scope.region}:${this.#scope.account}:schedule/${group}/${name}`,
      expression,
      body,
      createdAt: now,
      modifiedAt: now,
      fired: 0,
    };
    this.#schedules.set(key, s);
    this.#arm(s);
    return s.arn;
  }

  updateSchedule(name: string, body: Record<string, unknown>): string {
    const { group, expression } = this.#validate(name, body);
    const s = this.#schedules.get(this.#key(group, name));
    if (!s) throw new AwsError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
    s.expression = expression;
    s.body = body;
    s.modifiedAt = this.#opts.clock.now();
    s.fired = 0;
    this.#arm(s);
    return s.arn;
  }

  deleteSchedule(name: string, group = 'default'): void {
    const s = this.#schedules.get(this.#key(group, name));
    if (!s) throw new AwsError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
    s.cancel?.();
    this.#schedules.delete(this.#key(group, name));
  }

  close(): void {
    for (const s of this.#schedules.values()) s.cancel?.();
  }

  #describe(s: Schedule): Record<string, unknown> {
    const { ClientToken: _token, GroupName: _group, ...rest } = s.body;
    return {
      ActionAfterCompletion: 'NONE',
      State: 'ENABLED',
      ScheduleExpressionTimezone: 'UTC',
      ...rest,
      Arn: s.arn,
      Name: s.name,
      GroupName: s.group,
      CreationDate: epochSeconds(s.createdAt),
      LastModificationDate: epochSeconds(s.modifiedAt),
    };
  }

  #authorize(req: WireRequest, operation: string, name: string, body: Record<string, unknown> = {}): void {
    const iam = this.#opts.iam;
    if (!iam) return;
    const caller = accessKeyOf(req.headers.authorization);
    const group = (body.GroupName as string | undefined) ?? req.query.get('groupName') ?? 'default';
    const { partition, region, account } = this.#scope;
    iam.authorize(
      caller,
      `scheduler:${operation}`,
      `arn:${partition}:scheduler:${region}:${account}:schedule/${group}/${name}`,
      403,
    );
    const role = (body.Target as { RoleArn?: string } | undefined)?.RoleArn;
    if (role)
      iam.authorize(caller, 'iam:PassRole', role, 403, { 'iam:PassedToService': 'scheduler.amazonaws.com' });
  }

  async listen(): Promise<EmulatorServer> {
    const body = (req: WireRequest): Record<string, unknown> =>
      req.body.length === 0 ? {} : (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>);
    return startWireServer(
      restProtocol([
        {
          method: 'POST',
          path: '/schedules/{Name}',
          handle: async (req, l) => {
            this.#authorize(req, 'CreateSchedule', l.Name!, body(req));
            return jsonResponse(200, { ScheduleArn: this.createSchedule(l.Name!, body(req)) });
          },
        },
        {
          method: 'PUT',
          path: '/schedules/{Name}',
          handle: async (req, l) => {
            this.#authorize(req, 'UpdateSchedule', l.Name!, body(req));
            return jsonResponse(200, { ScheduleArn: this.updateSchedule(l.Name!, body(req)) });
          },
        },
        {
          method: 'GET',
          path: '/schedules/{Name}',
          handle: async (req, l) => {
            this.#authorize(req, 'GetSchedule', l.Name!);
            const group = req.query.get('groupName') ?? 'default';
            const s = this.#schedules.get(this.#key(group, l.Name!));
            if (!s)
              throw new AwsError('ResourceNotFoundException', `Schedule ${l.Name} does not exist.`, 404);
            return jsonResponse(200, this.#describe(s));
          },
        },
        {
          method: 'DELETE',
          path: '/schedules/{Name}',
          handle: async (req, l) => {
            this.#authorize(req, 'DeleteSchedule', l.Name!);
            this.deleteSchedule(l.Name!, req.query.get('groupName') ?? 'default');
            return jsonResponse(200, {});
          },
        },
        {
          method: 'GET',
          path: '/schedules',
          handle: async (req) => {
            const group = req.query.get('ScheduleGroup');
            const prefix = req.query.get('NamePrefix') ?? '';
            return jsonResponse(200, {
              Schedules: [...this.#schedules.values()]
                .filter((s) => (!group || s.group === group) && s.name.startsWith(prefix))
                .map((s) => ({
                  Arn: s.arn,
                  Name: s.name,
                  GroupName: s.group,
                  State: (s.body.State as string | undefined) ?? 'ENABLED',
                  CreationDate: epochSeconds(s.createdAt),
                  LastModificationDate: epochSeconds(s.modifiedAt),
                  Target: { Arn: (s.body.Target as { Arn: string }).Arn },
                })),
            });
          },
        },
        {
          method: 'POST',
          path: '/schedule-groups/{Name}',
          handle: async (_req, l) => jsonResponse(200, { ScheduleGroupArn: this.createGroup(l.Name!) }),
        },
        {
          method: 'GET',
          path: '/schedule-groups/{Name}',
          handle: async (_req, l) => {
            const g = this.#groups.get(l.Name!);
            if (!g)
              throw new AwsError(
                'ResourceNotFoundException',
                `Schedule group ${l.Name} does not exist.`,
                404,
              );
            return jsonResponse(200, {
              Arn: g.arn,
              Name: l.Name,
              State: 'ACTIVE',
              CreationDate: epochSeconds(g.createdAt),
              LastModificationDate: epochSeconds(g.createdAt),
            });
          },
        },
      ]),
    );
  }
}
