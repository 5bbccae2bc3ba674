// EventBridgeCronSchedules: the CronJobs' recurring schedules in the cloud (docs/decisions/0013-cronjobs.md). Each
// CronJob has one EventBridge Scheduler schedule `cron(...)` in its time zone (two when its days are an OR of days
// of the month and days of the week: cron-expression.ts) that invokes the controllers function with the CronJob's
// key; the CronJob controller's sync then decides, as it does locally, which scheduled time is due and whether a
// Job starts (core/cron/sync-cronjob.ts) — a second firing for the same time starts nothing (the Job's name is the
// time's). Suspended, the schedule stays, DISABLED. A schedule with no recurring form (`@every`) gets none: the
// controller arms its next run as a timer instead (CronJobSchedules.put answers false).
//
// Scheduler fires a recurring schedule within its minute (flexible time window OFF), so a run starts up to a minute
// after its scheduled time, as the cloud's timers do.
import type { CreateScheduleCommandInput, RetryPolicy } from '@aws-sdk/client-scheduler';
import type { CronJob } from 'kubernetes-types/batch/v1';
import { DEFAULT_CRON_ZONE } from '../../core/cron/sync-cronjob.ts';
import { parseCronSchedule } from '../../core/manifest/cron.ts';
import type { CronJobSchedules } from '../../engine/cronjob-controller.ts';
import { eventBridgeCronExpressions } from './cron-expression.ts';
import {
  DESCRIPTION_MAX_LENGTH,
  deleteSchedule,
  putSchedule,
  type SchedulerSender,
} from './schedule-calls.ts';
import { scheduleNameFor } from './schedule-name.ts';
import { CONTROLLER_SYNC_TIMER_IDS, type WakeupPayload } from './wakeup-payload.ts';

/**
 * The names of a CronJob's schedules (with scheduleNameFor): the first expression's, and the second's (days of the
 * week, OR) — not the controller's sync timerId, which names the one-time timer of a schedule without a recurring
 * form.
 */
const NAME_PARTS = ['cronjob', 'cronjob.days-of-week'] as const;

export interface EventBridgeCronSchedulesOptions {
  client: SchedulerSender;
  groupName: string;
  /** The controllers function, target of every CronJob schedule. */
  controllersFunctionArn: string;
  /** The role Scheduler assumes to invoke the target. */
  schedulerRoleArn: string;
  retryPolicy?: RetryPolicy;
  /** Where a firing goes that Scheduler could not deliver after its retries. */
  deadLetterQueueArn?: string;
}

export class EventBridgeCronSchedules implements CronJobSchedules {
  readonly #o: EventBridgeCronSchedulesOptions;
  /** The input last put per schedule name by this process: an unchanged CronJob costs no call. */
  readonly #put = new Map<string, string>();

  constructor(options: EventBridgeCronSchedulesOptions) {
    this.#o = options;
  }

  async put(cronJob: CronJob): Promise<boolean> {
    const namespace = cronJob.metadata?.namespace ?? 'default';
    const name = cronJob.metadata?.name ?? '';
    const parsed = parseCronSchedule(cronJob.spec?.schedule ?? '');
    const expressions = parsed.ok ? eventBridgeCronExpressions(parsed.schedule) : undefined;
    if (!parsed.ok || !expressions) {
      await this.remove(namespace, name);
      return false;
    }
    // A `TZ=` in the schedule wins over spec.timeZone, as the controller reads it (sync-cronjob.ts).
    const zone = parsed.schedule.kind === 'spec' ? parsed.schedule.timeZone : undefined;
    const timeZone = zone ?? cronJob.spec?.timeZone ?? DEFAULT_CRON_ZONE;
    for (const [i, part] of NAME_PARTS.entries()) {
      const scheduleName = scheduleNameFor({ namespace, name }, part);
      const expression = expressions[i];
      if (expression === undefined) {
        await this.#delete(scheduleName);
        continue;
      }
      const input = this.#input(
        scheduleName,
        namespace,
        name,
        expression,
        timeZone,
        cronJob.spec?.suspend === true,
      );
      const text = JSON.stringify(input);
      if (this.#put.get(scheduleName) === text) continue;
      await putSchedule(this.#o.client, input);
      this.#put.set(scheduleName, text);
    }
    return true;
  }

  async remove(namespace: string, name: string): Promise<void> {
    for (const part of NAME_PARTS) await this.#delete(scheduleNameFor({ namespace, name }, part));
  }

  async #delete(scheduleName: string): Promise<void> {
    this.#put.delete(scheduleName);
    await deleteSchedule(this.#o.client, this.#o.groupName, scheduleName);
  }

  #input(
    scheduleName: string,
    namespace: string,
    name: string,
    expression: string,
    timeZone: string,
    suspended: boolean,
  ): CreateScheduleCommandInput {
    // dueAt 0: the sync is due when it arrives; the controller computes the scheduled time itself.
    const payload: WakeupPayload = { namespace, name, timerId: CONTROLLER_SYNC_TIMER_IDS.CronJob, dueAt: 0 };
    return {
      Name: scheduleName,
      GroupName: this.#o.groupName,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: timeZone,
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: suspended ? 'DISABLED' : 'ENABLED',
      Description: `podflow CronJob ${namespace}/${name}`.slice(0, DESCRIPTION_MAX_LENGTH),
      Target: {
        Arn: this.#o.controllersFunctionArn,
        RoleArn: this.#o.schedulerRoleArn,
        Input: JSON.stringify(payload),
        ...(this.#o.retryPolicy ? { RetryPolicy: { ...this.#o.retryPolicy } } : {}),
        ...(this.#o.deadLetterQueueArn ? { DeadLetterConfig: { Arn: this.#o.deadLetterQueueArn } } : {}),
      },
    };
  }
}
