// A recording stand-in for SchedulerClient that also simulates the service closely enough for the contract suite:
// schedules are stored by (group, name); CreateSchedule on an existing name is a ConflictException, Update/Delete of
// a missing one a ResourceNotFoundException; input that the real API rejects (name charset/length, malformed at(),
// role ARN, ranges — from the Scheduler API reference) is a ValidationException; a one-time schedule fires at the
// START of its at() minute (+ an optional invocation lag), hands its Input to the target, and is deleted afterwards
// when ActionAfterCompletion is DELETE. Time comes from ManualTimers. Only what podflow uses is simulated: one-time
// at() schedules in UTC; anything else throws a plain Error so a test cannot silently rely on it.
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import type {
  SchedulerCommand,
  SchedulerSender,
} from '../../../src/adapters/eventbridge/eventbridge-wakeup-scheduler.ts';
import type { ManualTimers } from '../local-timers/manual-timers.ts';

export interface RecordedCommand {
  command: 'CreateSchedule' | 'UpdateSchedule' | 'DeleteSchedule';
  input: Record<string, unknown>;
  at: number;
}

export interface StoredSchedule {
  groupName: string;
  input: CreateScheduleCommandInput;
  /** Epoch ms the at() expression names (UTC). */
  fireAt: number;
}

export interface TargetInvocation {
  arn: string;
  event: unknown;
  at: number;
}

export interface RecordingSchedulerClientOptions {
  timers: ManualTimers;
  /** Called when a schedule fires, with the target ARN and its Input parsed as JSON (templated Lambda target). */
  invokeTarget: (arn: string, event: unknown) => Promise<void> | void;
  /** How long after the start of the minute the service invokes (real Scheduler: somewhere in 0–59 s). */
  invocationLagMs?: number;
}

// Constraints from the EventBridge Scheduler API reference (CreateSchedule, Target, RetryPolicy).
const NAME = /^[0-9a-zA-Z_.-]{1,64}$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const AT_EXPRESSION = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

const validation = (message: string): ValidationException =>
  new ValidationException({ message, Message: message, $metadata: { httpStatusCode: 400 } });
const conflict = (message: string): ConflictException =>
  new ConflictException({ message, Message: message, $metadata: { httpStatusCode: 409 } });
const notFound = (message: string): ResourceNotFoundException =>
  new ResourceNotFoundException({ message, Message: message, $metadata: { httpStatusCode: 404 } });

/** The instant an at() expression names, or a ValidationException as the service would answer. */
function parseAt(expression: string): number {
  const m = AT_EXPRESSION.exec(expression);
  if (!m) throw validation(`Invalid Schedule Expression ${expression}.`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  const sameCalendar =
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s;
  if (!sameCalendar) throw validation(`Invalid Schedule Expression ${expression}.`);
  return t;
}

function validateName(field: string, value: unknown): void {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint`,
    );
  }
}

function validateScheduleInput(input: CreateScheduleCommandInput): number {
  validateName('name', input.Name);
  if (input.GroupName !== undefined) validateName('groupName', input.GroupName);
  if (input.ScheduleExpression === undefined || input.ScheduleExpression.length > 256) {
    throw validation('ScheduleExpression: length 1–256 required');
  }
  if (!input.ScheduleExpression.startsWith('at(')) {
    throw new Error(
      `RecordingSchedulerClient simulates one-time at() schedules only, got ${input.ScheduleExpression}`,
    );
  }
  const fireAt = parseAt(input.ScheduleExpression);
  if (input.ScheduleExpressionTimezone !== undefined && input.ScheduleExpressionTimezone !== 'UTC') {
    throw new Error(`RecordingSchedulerClient simulates UTC only, got ${input.ScheduleExpressionTimezone}`);
  }
  const window = input.FlexibleTimeWindow;
  if (!window || (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE')) {
    throw validation('FlexibleTimeWindow.Mode: OFF or FLEXIBLE required');
  }
  if (window.Mode === 'FLEXIBLE') {
    const max = window.MaximumWindowInMinutes;
    if (max === undefined || max < 1 || max > 1440) throw validation('MaximumWindowInMinutes: 1–1440');
  } else if (window.MaximumWindowInMinutes !== undefined) {
    throw validation('MaximumWindowInMinutes is only valid with Mode FLEXIBLE');
  }
  if (
    input.ActionAfterCompletion !== undefined &&
    !['NONE', 'DELETE'].includes(input.ActionAfterCompletion)
  ) {
    throw validation(`ActionAfterCompletion: NONE or DELETE, got ${input.ActionAfterCompletion}`);
  }
  if (input.Description !== undefined && input.Description.length > 512)
    throw validation('Description: at most 512');
  const target = input.Target;
  if (!target?.Arn || target.Arn.length > 1600) throw validation('Target.Arn: length 1–1600 required');
  if (!target.RoleArn || target.RoleArn.length > 1600 || !ROLE_ARN.test(target.RoleArn)) {
    throw validation(`Target.RoleArn: invalid ${String(target.RoleArn)}`);
  }
  if (target.Input !== undefined) {
    if (target.Input.length < 1) throw validation('Target.Input: length at least 1');
    // Templated Lambda targets require a well-formed JSON Input (API reference, Target.Input).
    if (target.Arn.includes(':lambda:')) {
      try {
        JSON.parse(target.Input);
      } catch {
        throw validation('Target.Input: must be well-formed JSON for a Lambda target');
      }
    }
  }
  const retry = target.RetryPolicy;
  if (
    retry?.MaximumEventAgeInSeconds !== undefined &&
    (retry.MaximumEventAgeInSeconds < 60 || retry.MaximumEventAgeInSeconds > 86_400)
  ) {
    throw validation('RetryPolicy.MaximumEventAgeInSeconds: 60–86400');
  }
  if (
    retry?.MaximumRetryAttempts !== undefined &&
    (retry.MaximumRetryAttempts < 0 || retry.MaximumRetryAttempts > 185)
  ) {
    throw validation('RetryPolicy.MaximumRetryAttempts: 0–185');
  }
  return fireAt;
}

export class RecordingSchedulerClient implements SchedulerSender {
  readonly commands: RecordedCommand[] = [];
  readonly invocations: TargetInvocation[] = [];
  /** Errors thrown by the target (Lambda would retry these; tests assert there are none). */
  readonly targetErrors: unknown[] = [];
  readonly #schedules = new Map<string, StoredSchedule & { handle: unknown }>();
  readonly #timers: ManualTimers;
  readonly #invokeTarget: RecordingSchedulerClientOptions['invokeTarget'];
  readonly #lagMs: number;
  /** Queued failures: the next send of that command throws this error instead of running. */
  readonly #injected: { command: RecordedCommand['command']; error: Error }[] = [];

  constructor(options: RecordingSchedulerClientOptions) {
    this.#timers = options.timers;
    this.#invokeTarget = options.invokeTarget;
    this.#lagMs = options.invocationLagMs ?? 0;
  }

  /** The live schedules (not yet fired, or fired with ActionAfterCompletion NONE). */
  get schedules(): StoredSchedule[] {
    return [...this.#schedules.values()].map(({ groupName, input, fireAt }) => ({
      groupName,
      input,
      fireAt,
    }));
  }

  failNext(command: RecordedCommand['command'], error: Error): void {
    this.#injected.push({ command, error });
  }

  async send(command: SchedulerCommand): Promise<unknown> {
    const name =
      command instanceof CreateScheduleCommand
        ? 'CreateSchedule'
        : command instanceof UpdateScheduleCommand
          ? 'UpdateSchedule'
          : command instanceof DeleteScheduleCommand
            ? 'DeleteSchedule'
            : undefined;
    if (!name)
      throw new Error(
        `RecordingSchedulerClient: unsupported command ${(command as object).constructor.name}`,
      );
    this.commands.push({
      command: name,
      input: structuredClone(command.input) as unknown as Record<string, unknown>,
      at: this.#timers.now(),
    });
    await Promise.resolve(); // a service call is never synchronous
    const injected = this.#injected.findIndex((f) => f.command === name);
    if (injected >= 0) throw this.#injected.splice(injected, 1)[0]!.error;

    const input = command.input;
    const groupName = input.GroupName ?? 'default';
    if (command instanceof DeleteScheduleCommand) {
      validateName('name', input.Name);
      validateName('groupName', groupName);
      const key = `${groupName}/${input.Name}`;
      const existing = this.#schedules.get(key);
      if (!existing) throw notFound(`Schedule ${input.Name} does not exist.`);
      this.#timers.clearTimeout(existing.handle);
      this.#schedules.delete(key);
      return { $metadata: { httpStatusCode: 200 } };
    }
    const scheduleInput = structuredClone(command.input) as CreateScheduleCommandInput;
    const fireAt = validateScheduleInput(scheduleInput);
    const key = `${groupName}/${scheduleInput.Name}`;
    const existing = this.#schedules.get(key);
    if (command instanceof CreateScheduleCommand && existing)
      throw conflict(`Schedule ${scheduleInput.Name} already exists.`);
    if (command instanceof UpdateScheduleCommand && !existing)
      throw notFound(`Schedule ${scheduleInput.Name} does not exist.`);
    if (existing) this.#timers.clearTimeout(existing.handle);
    const stored = { groupName, input: scheduleInput, fireAt, handle: undefined as unknown };
    // The service invokes within the minute at() names; this fake at its start + lag. (A past instant fires at once:
    // not verified against AWS — EventBridgeWakeupScheduler never creates one, see its unit tests.)
    stored.handle = this.#timers.setTimeout(
      () => this.#fire(key, stored),
      Math.max(0, fireAt + this.#lagMs - this.#timers.now()),
    );
    this.#schedules.set(key, stored);
    return {
      ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/${groupName}/${scheduleInput.Name}`,
      $metadata: { httpStatusCode: 200 },
    };
  }

  #fire(key: string, stored: StoredSchedule): void {
    if (this.#schedules.get(key) !== stored) return;
    if (stored.input.ActionAfterCompletion === 'DELETE') this.#schedules.delete(key);
    const target = stored.input.Target!;
    const event: unknown = target.Input === undefined ? {} : JSON.parse(target.Input);
    this.invocations.push({ arn: target.Arn!, event, at: this.#timers.now() });
    void Promise.resolve()
      .then(() => this.#invokeTarget(target.Arn!, event))
      .catch((err: unknown) => this.targetErrors.push(err));
  }
}
