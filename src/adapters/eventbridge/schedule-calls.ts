// The two EventBridge Scheduler calls every podflow schedule goes through, for the timers
// (eventbridge-wakeup-scheduler.ts) and the CronJobs' recurring schedules (eventbridge-cron-schedules.ts).
//
// Put: CreateSchedule, and on ConflictException (the name exists) UpdateSchedule with the same full input — an
// in-place replace, so there is never a moment without a schedule (delete + create would leave one, and lose it if
// the process died in between). UpdateSchedule resets omitted optional fields to their defaults, which is harmless
// because the input is always complete. If the schedule completed and was deleted between the two calls
// (ResourceNotFoundException), create again.
// Delete: DeleteSchedule; ResourceNotFoundException means it already ran (and was deleted) or never existed — fine.
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';

export type SchedulerCommand = CreateScheduleCommand | UpdateScheduleCommand | DeleteScheduleCommand;

/** The part of SchedulerClient podflow uses (a real SchedulerClient fits; tests pass a recording fake). */
export interface SchedulerSender {
  send(command: SchedulerCommand): Promise<unknown>;
}

/** CreateSchedule Description: Length Constraints 0–512. */
export const DESCRIPTION_MAX_LENGTH = 512;

/** Create/Update can race with Scheduler deleting a completed schedule; more than three such rounds is reported. */
const REPLACE_ATTEMPTS = 3;

const errorName = (err: unknown): string | undefined => (err as { name?: string } | null)?.name;

/** Creates the schedule or replaces the one of that name in place. */
export async function putSchedule(client: SchedulerSender, input: CreateScheduleCommandInput): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new CreateScheduleCommand(input));
      return;
    } catch (err) {
      if (errorName(err) !== 'ConflictException') throw err;
    }
    try {
      await client.send(new UpdateScheduleCommand(input));
      return;
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException' || attempt >= REPLACE_ATTEMPTS) throw err;
    }
  }
}

/** Deletes the schedule; one that is not there is fine. */
export async function deleteSchedule(
  client: SchedulerSender,
  groupName: string,
  name: string,
): Promise<void> {
  try {
    await client.send(new DeleteScheduleCommand({ Name: name, GroupName: groupName }));
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') throw err;
  }
}
