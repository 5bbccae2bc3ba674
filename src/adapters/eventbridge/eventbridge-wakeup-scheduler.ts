// EventBridgeWakeupScheduler: the cloud WakeupScheduler (docs/architecture.md §4, §10). Two paths, one target — the
// wakeup Lambda, which sleeps until `dueAt` and then delivers `timerDue`:
//
//  - Scheduler path: a one-time EventBridge Scheduler schedule `at(<start of the due minute>)` in UTC, flexible
//    window OFF, deleted by Scheduler after it ran (ActionAfterCompletion DELETE). Scheduler only has 60-second
//    precision (see at-expression.ts), so the Lambda waits out the remaining seconds.
//  - Direct path: when Scheduler would fire less than `directThresholdMs` from now (short back-offs, instants in
//    the past), the wakeup Lambda is invoked asynchronously right away and sleeps the whole delay. The Lambda
//    wiring passes `invokeWakeupAsync` = Lambda Invoke with InvocationType 'Event' (@aws-sdk/client-lambda); an
//    async invoke is retried by Lambda on failure, and the sleep is bounded by the function timeout, so
//    directThresholdMs + 60 s must stay under MAX_DIRECT_WAIT_MS.
//
// Replace and cancel: putSchedule and deleteSchedule (schedule-calls.ts).
//
// What cannot be recalled: a direct invocation already in flight, and a Scheduler invocation that already happened
// (the Lambda is sleeping out the last seconds of the minute). cancel/replace after that still lets the old instant
// be delivered once, with its original `dueAt`; the consumer drops a timerDue whose (timerId, dueAt) is not the
// pod's pending timer, exactly as it drops the duplicates the port allows.
import type { CreateScheduleCommandInput, RetryPolicy } from '@aws-sdk/client-scheduler';
import type { Clock } from '../../ports/clock.ts';
import type { PodKey } from '../../ports/pod-key.ts';
import type { WakeupScheduler } from '../../ports/wakeup-scheduler.ts';
import { atExpression, MINUTE_MS, startOfMinute } from './at-expression.ts';
import { DEFAULT_DIRECT_THRESHOLD_MS, MAX_DIRECT_WAIT_MS } from './direct-wakeup.ts';
import {
  DESCRIPTION_MAX_LENGTH,
  deleteSchedule,
  putSchedule,
  type SchedulerSender,
} from './schedule-calls.ts';
import { scheduleNameFor } from './schedule-name.ts';
import type { WakeupPayload } from './wakeup-payload.ts';

export { DEFAULT_DIRECT_THRESHOLD_MS, MAX_DIRECT_WAIT_MS };
export type { SchedulerCommand, SchedulerSender } from './schedule-calls.ts';

export interface EventBridgeWakeupSchedulerOptions {
  client: SchedulerSender;
  clock: Clock;
  /** The schedule group (created by infra); schedule names are unique per group. */
  groupName: string;
  /** The wakeup Lambda, target of every schedule. */
  wakeupFunctionArn: string;
  /** The role Scheduler assumes to invoke the target (needs lambda:InvokeFunction on the wakeup function). */
  schedulerRoleArn: string;
  /** Invokes the wakeup Lambda asynchronously (Lambda Invoke, InvocationType 'Event') with this payload. */
  invokeWakeupAsync: (payload: WakeupPayload) => Promise<void>;
  /** Default DEFAULT_DIRECT_THRESHOLD_MS; must satisfy threshold + 60 s ≤ MAX_DIRECT_WAIT_MS. */
  directThresholdMs?: number;
  /** Scheduler's retry policy for invoking the target; Scheduler's defaults (185 attempts, 24 h) when absent. */
  retryPolicy?: RetryPolicy;
  /**
   * The SQS queue a schedule's event goes to when Scheduler could not invoke the wakeup function after its retries
   * (Target DeadLetterConfig): a lost timer is then seen (the queue's alarm) instead of silently dropped.
   */
  deadLetterQueueArn?: string;
}

export class EventBridgeWakeupScheduler implements WakeupScheduler {
  readonly #client: SchedulerSender;
  readonly #clock: Clock;
  readonly #groupName: string;
  readonly #wakeupFunctionArn: string;
  readonly #schedulerRoleArn: string;
  readonly #invokeWakeupAsync: (payload: WakeupPayload) => Promise<void>;
  readonly #directThresholdMs: number;
  readonly #retryPolicy: RetryPolicy | undefined;
  readonly #deadLetterQueueArn: string | undefined;

  constructor(options: EventBridgeWakeupSchedulerOptions) {
    const threshold = options.directThresholdMs ?? DEFAULT_DIRECT_THRESHOLD_MS;
    if (!(threshold >= 0) || threshold + MINUTE_MS > MAX_DIRECT_WAIT_MS) {
      throw new RangeError(
        `directThresholdMs must be in [0, ${MAX_DIRECT_WAIT_MS - MINUTE_MS}] so a direct wake-up fits a Lambda invocation, got ${threshold}`,
      );
    }
    this.#client = options.client;
    this.#clock = options.clock;
    this.#groupName = options.groupName;
    this.#wakeupFunctionArn = options.wakeupFunctionArn;
    this.#schedulerRoleArn = options.schedulerRoleArn;
    this.#invokeWakeupAsync = options.invokeWakeupAsync;
    this.#directThresholdMs = threshold;
    this.#retryPolicy = options.retryPolicy;
    this.#deadLetterQueueArn = options.deadLetterQueueArn;
  }

  async scheduleAt(key: PodKey, timerId: string, at: number): Promise<void> {
    if (!Number.isFinite(at)) throw new TypeError(`scheduleAt: at must be epoch milliseconds, got ${at}`);
    const payload: WakeupPayload = { namespace: key.namespace, name: key.name, timerId, dueAt: at };
    const fireAt = startOfMinute(at);
    if (fireAt - this.#clock.now() < this.#directThresholdMs) {
      // A schedule left from an earlier, later instant of this timer would fire again: the new instant replaces it.
      await this.#deleteSchedule(scheduleNameFor(key, timerId));
      await this.#invokeWakeupAsync(payload);
      return;
    }
    await this.#putSchedule(this.#scheduleInput(key, timerId, at));
  }

  async cancel(key: PodKey, timerId: string): Promise<void> {
    await this.#deleteSchedule(scheduleNameFor(key, timerId));
  }

  /** The CreateSchedule input of a timer on the Scheduler path; UpdateSchedule takes the very same. */
  #scheduleInput(key: PodKey, timerId: string, at: number): CreateScheduleCommandInput {
    const payload: WakeupPayload = { namespace: key.namespace, name: key.name, timerId, dueAt: at };
    const description = `podflow timer ${key.namespace}/${key.name} ${timerId} due ${new Date(at).toISOString()}`;
    return {
      Name: scheduleNameFor(key, timerId),
      GroupName: this.#groupName,
      ScheduleExpression: atExpression(startOfMinute(at)),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: description.slice(0, DESCRIPTION_MAX_LENGTH),
      Target: {
        Arn: this.#wakeupFunctionArn,
        RoleArn: this.#schedulerRoleArn,
        Input: JSON.stringify(payload),
        ...(this.#retryPolicy ? { RetryPolicy: { ...this.#retryPolicy } } : {}),
        ...(this.#deadLetterQueueArn ? { DeadLetterConfig: { Arn: this.#deadLetterQueueArn } } : {}),
      },
    };
  }

  async #putSchedule(input: CreateScheduleCommandInput): Promise<void> {
    await putSchedule(this.#client, input);
  }

  async #deleteSchedule(name: string): Promise<void> {
    await deleteSchedule(this.#client, this.#groupName, name);
  }
}
