// The controllers Lambda (docs/decisions/0011-jobs.md, 0013-cronjobs.md): the Job and CronJob controllers in the
// cloud. Reserved concurrency 1 (infra/controllers.ts): one invocation at a time, as one kube-controller-manager
// leads, so that two syncs of a Job never both create its next pod. Events:
//   {namespace, name, timerId: 'sync.Job' | 'sync.CronJob', dueAt}  sync that object — from the api and lifecycle
//     functions after a change it must see (engine/controller-notifier.ts), from the wakeup function when a timer
//     the controller armed is due (a Job's back-off, deadline or TTL), from a CronJob's recurring schedule;
//   { sweep: true } (a schedule)  every Job and CronJob syncs, namespace by namespace: what a lost notification left
//     behind is caught up.
// A sync's own consequences (the Job a CronJob created, the Job's pods it created, a Job's status that its CronJob
// reads) run in the same invocation, which returns once the controllers are idle.
import { controllerOfTimer, decodeWakeupPayload } from '../src/adapters/eventbridge/wakeup-payload.ts';
import type { WorkloadControllers } from '../src/engine/workload-controllers.ts';

export function createControllersHandler(wire: () => WorkloadControllers): (event: unknown) => Promise<void> {
  return async (event) => {
    const controllers = wire();
    if ((event as { sweep?: unknown } | null)?.sweep === true) await controllers.syncEveryObject();
    else {
      const { namespace, name, timerId } = decodeWakeupPayload(event);
      const kind = controllerOfTimer(timerId);
      if (!kind)
        throw new Error(`controllers: ${timerId} is not a controller's sync (sync.Job, sync.CronJob)`);
      (kind === 'Job' ? controllers.jobs : controllers.cronJobs).enqueue(namespace, name);
    }
    await controllers.idle();
  };
}

let wired: ((event: unknown) => Promise<void>) | undefined;

/** Lambda entry point: the wiring module is imported on first use, so unit tests of the factory need no AWS env. */
export const handler = async (event: unknown): Promise<void> => {
  if (!wired) {
    const { cloudControllers } = await import('./wiring.ts');
    wired = createControllersHandler(cloudControllers);
  }
  await wired(event);
};
