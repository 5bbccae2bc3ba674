// The workload controllers of one process — the Job controller and the CronJob controller — fed by the committed
// changes of its stores, as the kube-controller-manager's informers feed them: a pod's change syncs its Job, a
// Job's change syncs the Job and its CronJob, a CronJob's change syncs the CronJob. The local engine runs them for
// its whole life (local/local-engine.ts); in the cloud the controllers function runs them for one invocation and
// waits for `idle()` before it returns (lambdas/controllers.ts), with durable wake-ups instead of in-process timers.
import type { JobBackoffSettings } from '../core/jobs/sync-job.ts';
import type { Clock } from '../ports/clock.ts';
import { createCronJobController, type CronJobSchedules } from './cronjob-controller.ts';
import { createJobController, type JobControllerDeps } from './job-controller.ts';
import type { ObservableObjectStore } from './observable-object-store.ts';
import type { ObservablePodStore } from './observable-pod-store.ts';
import type { DurableTimer } from './sync-queue.ts';

export interface WorkloadControllersDeps {
  store: ObservablePodStore;
  objects: ObservableObjectStore;
  /** The engine's pod use cases (create-engine.ts). */
  pods: JobControllerDeps['pods'];
  clock: Clock;
  jobBackoff: JobBackoffSettings;
  newUid: () => string;
  /** The CronJob controller's clock and timers, when a test drives schedules with a manual clock. */
  cronClock?: {
    clock: Clock;
    setTimer: (fn: () => void, ms: number) => unknown;
    clearTimer: (handle: unknown) => void;
  };
  /** The cloud: the controllers' next syncs as durable wake-ups, per controller. */
  durableTimers?: { job: DurableTimer; cronJob: DurableTimer };
  /** The cloud: the CronJobs' recurring schedules. */
  cronJobSchedules?: CronJobSchedules;
  onError: (err: unknown, context: string) => void;
}

export type WorkloadControllers = ReturnType<typeof createWorkloadControllers>;

export function createWorkloadControllers(d: WorkloadControllersDeps) {
  const jobs = createJobController({
    store: d.store,
    objects: d.objects,
    pods: d.pods,
    clock: d.clock,
    backoff: d.jobBackoff,
    newUid: d.newUid,
    ...(d.durableTimers && { durableTimer: d.durableTimers.job }),
    onError: d.onError,
  });
  // The CronJob controller creates Jobs through the object store (as the API would) and deletes them through the
  // Job controller's cascading deletion.
  const cronJobs = createCronJobController({
    store: d.store,
    objects: d.objects,
    jobs,
    clock: d.cronClock?.clock ?? d.clock,
    newUid: d.newUid,
    ...(d.cronClock && { setTimer: d.cronClock.setTimer, clearTimer: d.cronClock.clearTimer }),
    ...(d.durableTimers && { durableTimer: d.durableTimers.cronJob }),
    ...(d.cronJobSchedules && { schedules: d.cronJobSchedules }),
    onError: d.onError,
  });
  const stopPodFeed = d.store.subscribe((change) => {
    if (change.type !== 'event') jobs.onPodChange(change);
  });
  const stopObjectFeed = d.objects.subscribe((change) => {
    const key = change.type === 'removed' ? change.key : change.object.key;
    if (key.kind === 'Job') {
      jobs.enqueue(key.namespace, key.name);
      cronJobs.onJobChange(change);
    }
    if (key.kind === 'CronJob') cronJobs.enqueue(key.namespace, key.name);
  });

  return {
    jobs,
    cronJobs,
    /**
     * Every Job and CronJob syncs, read namespace by namespace (a Query per namespace and kind where the table is
     * DynamoDB, not a Scan of every item): the cloud's periodic catch-up of a lost notification. Unlike the
     * controllers' syncAll at a local engine's start it does not look for pods or Jobs whose owner is gone: their
     * owner's removal told the controller when it happened.
     */
    async syncEveryObject(): Promise<void> {
      const { items: namespaces } = await d.objects.list('Namespace');
      for (const ns of namespaces) {
        for (const j of (await d.objects.list('Job', ns.key.name)).items)
          jobs.enqueue(j.key.namespace, j.key.name);
        for (const c of (await d.objects.list('CronJob', ns.key.name)).items)
          cronJobs.enqueue(c.key.namespace, c.key.name);
      }
    },
    /** Resolves once neither controller has work left: a sync of one may have given the other some. */
    async idle(): Promise<void> {
      while (jobs.busy() || cronJobs.busy()) {
        await jobs.idle();
        await cronJobs.idle();
      }
    },
    async close(): Promise<void> {
      stopPodFeed();
      stopObjectFeed();
      await cronJobs.close();
      await jobs.close();
    },
  };
}
