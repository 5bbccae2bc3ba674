// The cloud composition root (docs/architecture.md §10): the shared engine wired to AWS adapters, built once per cold
// start from the environment the CDK binds set (infra/*: TABLE_NAME, STATE_MACHINE_ARN, SCHEDULE_GROUP, FARGATE_*, …).
import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbPodStore } from '../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { EventBridgeWakeupScheduler } from '../src/adapters/eventbridge/eventbridge-wakeup-scheduler.ts';
import { DynamoDbProbeRegistry } from '../src/adapters/probes/dynamodb-probe-registry.ts';
import { DynamoDbProberLease } from '../src/adapters/probes/dynamodb-prober-lease.ts';
import { createProbeHandlers } from '../src/adapters/probes/probe-handlers.ts';
import { ecsExecHint } from '../src/adapters/fargate/ecs-exec-hint.ts';
import { FARGATE_EPHEMERAL_CONTAINERS_UNAVAILABLE } from '../src/adapters/fargate/ephemeral-containers.ts';
import { admitForFargate } from '../src/adapters/fargate/fargate-admission.ts';
import { FargateContainerRuntime, fargateExec } from '../src/adapters/fargate/fargate-container-runtime.ts';
import {
  DEFAULT_PAUSE_IMAGE,
  DEFAULT_REGISTRY_SECRET_PREFIX,
} from '../src/adapters/fargate/task-definition.ts';
import { StepFunctionsWorkflowClient } from '../src/adapters/stepfunctions/step-functions-workflow-client.ts';
import { DynamoDbObjectStore } from '../src/adapters/dynamodb/dynamodb-object-store.ts';
import {
  DEFAULT_CHANGE_LOG_RETENTION_SECONDS,
  type ChangeLogWriting,
} from '../src/adapters/dynamodb/change-log-writer.ts';
import { DynamoDbChangeLog } from '../src/adapters/dynamodb/dynamodb-change-log.ts';
import { createEngine, type Engine } from '../src/engine/create-engine.ts';
import { deliverEvent, type DeliveryDeps } from '../src/engine/deliver-event.ts';
import {
  deliverOverdueTimers,
  restartFailedWorker,
  startMissingWorkers,
} from '../src/engine/worker-recovery.ts';
import type { WorkerRecoveryUseCases } from './worker-recovery.ts';
import { eventFromObservation } from '../src/engine/observation-events.ts';
import { DEFAULT_WORKER_SETTINGS } from '../src/engine/engine-deps.ts';
import { ProbeManager } from '../src/engine/prober/probe-manager.ts';
import { RegisteringProber } from '../src/engine/prober/registering-prober.ts';
import {
  DEFAULT_SHARD_PROBER_SETTINGS,
  startIdleShard,
  type ShardProberDeps,
  type ShardProberSettings,
  type ShardRun,
} from '../src/engine/prober/shard-prober.ts';
import { InProcessHookRunner } from '../src/engine/in-process-hook-runner.ts';
import { LambdaHookRunner } from '../src/adapters/lambda/lambda-hook-runner.ts';
import { ObjectStoreConfigSource } from '../src/engine/object-config-source.ts';
import {
  ControllerNotifyingObjectStore,
  ControllerNotifyingPodStore,
  type NotifyController,
} from '../src/engine/controller-notifier.ts';
import { ObservableObjectStore } from '../src/engine/observable-object-store.ts';
import { ObservablePodStore } from '../src/engine/observable-pod-store.ts';
import type { DurableTimer } from '../src/engine/sync-queue.ts';
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { orphanCronJobJobs } from '../src/engine/cronjob-controller.ts';
import { orphanJobPods } from '../src/engine/job-controller.ts';
import { ownerDeleter } from '../src/engine/owner-deletion.ts';
import { createWorkloadControllers, type WorkloadControllers } from '../src/engine/workload-controllers.ts';
import { DEFAULT_JOB_BACKOFF } from '../src/core/jobs/sync-job.ts';
import { EventBridgeCronSchedules } from '../src/adapters/eventbridge/eventbridge-cron-schedules.ts';
import {
  CONTROLLER_SYNC_TIMER_IDS,
  type ControllerSyncKind,
  type WakeupPayload,
} from '../src/adapters/eventbridge/wakeup-payload.ts';
import type { ObjectStore } from '../src/ports/object-store.ts';
import type { ApiDeps } from '../src/api/api-deps.ts';
import { systemClock, type Clock } from '../src/ports/clock.ts';
import type { ContainerObservation } from '../src/ports/container-runtime.ts';
import type { PodStore } from '../src/ports/pod-store.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (the CDK stack binds it)`);
  return value;
}

/** The engine's settings in every function: the node name events and pod status report. */
const CLOUD_SETTINGS = { ...DEFAULT_WORKER_SETTINGS, nodeName: 'podflow-aws' };

const onError = (err: unknown, context: string): void =>
  console.error(JSON.stringify({ level: 'error', context, error: String(err) }));

/**
 * Every store of every function writes the change log the API's watches read (docs/decisions/0017-cloud-watch.md):
 * a version a writer took without its item would hold watches back until they give it up. The retention can be
 * set with PODFLOW_CHANGE_LOG_RETENTION_SECONDS (the cloud tests shorten it).
 */
export function changeLogWriting(): ChangeLogWriting {
  const seconds = Number(process.env.PODFLOW_CHANGE_LOG_RETENTION_SECONDS);
  return {
    retentionSeconds:
      Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_CHANGE_LOG_RETENTION_SECONDS,
    clock: systemClock,
    onError: (err, what) => onError(err, `change log: ${what}`),
  };
}

// ── the Fargate runtime (docs/decisions/0006-fargate-runtime.md; infra/fargate-runtime.ts binds these) ──────────

const list = (name: string): string[] =>
  env(name)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The runtime of this Lambda container: ECS and CloudWatch Logs from the environment FargateRuntime binds. */
function fargateRuntime(
  clock: Clock,
  store: PodStore,
  deliver: (o: ContainerObservation) => Promise<void>,
): FargateContainerRuntime {
  const architecture = process.env.FARGATE_CPU_ARCHITECTURE ?? 'X86_64';
  if (architecture !== 'X86_64' && architecture !== 'ARM64')
    throw new Error(
      `environment variable FARGATE_CPU_ARCHITECTURE must be X86_64 or ARM64, got ${architecture}`,
    );
  return new FargateContainerRuntime({
    ecs: new ECSClient({}),
    logs: new CloudWatchLogsClient({}),
    clock,
    cluster: env('FARGATE_CLUSTER_ARN'),
    subnets: list('FARGATE_SUBNETS'),
    securityGroups: list('FARGATE_SECURITY_GROUPS'),
    assignPublicIp: process.env.FARGATE_ASSIGN_PUBLIC_IP === 'true',
    enableExecuteCommand: process.env.FARGATE_EXEC_ENABLED === 'true',
    taskDefinition: {
      executionRoleArn: env('FARGATE_EXECUTION_ROLE_ARN'),
      taskRoleArn: env('FARGATE_TASK_ROLE_ARN'),
      logGroup: env('FARGATE_LOG_GROUP'),
      region: env('AWS_REGION'),
      pauseImage: process.env.FARGATE_PAUSE_IMAGE || DEFAULT_PAUSE_IMAGE,
      cpuArchitecture: architecture,
      hostIP: DEFAULT_WORKER_SETTINGS.hostIP,
      registrySecretPrefix: DEFAULT_REGISTRY_SECRET_PREFIX,
    },
    loadPod: async (key) => (await store.get(key))?.state,
    // Awaited: the Lambda must not return before the inbox has the observation.
    deliver,
    onError,
  });
}

/**
 * The cloud API's runtime parts: Fargate's admission, the logs, the answers for exec and ephemeral containers, and
 * the change log watches read (lambdas/api.ts).
 */
export function cloudApiRuntime(): Pick<
  ApiDeps,
  | 'admit'
  | 'logs'
  | 'execUnavailable'
  | 'ephemeralContainersUnavailable'
  | 'changeLog'
  | 'watchSettings'
  | 'jobs'
  | 'cronJobs'
> {
  const e = cloudEngine();
  const objects = e.deps.objects!;
  // A DELETE of a Job or CronJob: the owner marked (Foreground) or removed, its dependents orphaned first (Orphan),
  // here; the store's writes tell the controllers function, which syncs and collects (cloudEngine above).
  const ownerDeletion = { objects, clock: systemClock, queue: { enqueue: () => {}, arm: () => {} } };
  const cluster = env('FARGATE_CLUSTER_ARN');
  const execEnabled = process.env.FARGATE_EXEC_ENABLED === 'true';
  // PODFLOW_WATCH_KEEPALIVE_SECONDS: how long a quiet watch waits before a BOOKMARK (the cloud tests shorten it).
  const bookmarkSeconds = Number(process.env.PODFLOW_WATCH_KEEPALIVE_SECONDS);
  return {
    // Watches read the change log the stores write (src/api/change-log-watch.ts).
    changeLog: new DynamoDbChangeLog({ client: new DynamoDBClient({}), tableName: env('TABLE_NAME') }),
    ...(Number.isFinite(bookmarkSeconds) && bookmarkSeconds > 0
      ? { watchSettings: { keepAliveMs: bookmarkSeconds * 1000 } }
      : {}),
    admit: admitForFargate,
    logs: e.deps.runtime,
    execUnavailable: (pod, container) => ecsExecHint(pod, container, cluster, execEnabled),
    ephemeralContainersUnavailable: FARGATE_EPHEMERAL_CONTAINERS_UNAVAILABLE,
    jobs: {
      delete: ownerDeleter({
        ...ownerDeletion,
        kind: 'Job',
        orphanDependents: (job) => orphanJobPods({ store: e.deps.store, pods: e }, job as Job),
      }),
    },
    cronJobs: {
      delete: ownerDeleter({
        ...ownerDeletion,
        kind: 'CronJob',
        orphanDependents: async (cronJob) => {
          await orphanCronJobJobs(objects, cronJob as CronJob);
        },
      }),
    },
  };
}

let delivery: DeliveryDeps | undefined;

/**
 * What the functions that only deliver events need (wakeup, observer, prober): the table and the state machine —
 * not the Scheduler's or the runtime's configuration, which the engine's other use cases need.
 */
export function cloudDelivery(): DeliveryDeps {
  delivery ??= {
    store: new DynamoDbPodStore({
      client: new DynamoDBClient({}),
      tableName: env('TABLE_NAME'),
      clock: systemClock,
      changeLog: changeLogWriting(),
    }),
    workflow: new StepFunctionsWorkflowClient({
      client: new SFNClient({}),
      stateMachineArn: env('STATE_MACHINE_ARN'),
    }),
  };
  return delivery;
}

let recovery: WorkerRecoveryUseCases | undefined;

/** The worker recovery Lambda's use cases (lambdas/worker-recovery.ts): the table and the state machine. */
export function cloudRecovery(): WorkerRecoveryUseCases {
  if (recovery) return recovery;
  const deps = { ...cloudDelivery(), clock: systemClock, settings: CLOUD_SETTINGS };
  recovery = {
    restartFailedWorker: (failed, status) => restartFailedWorker(deps, failed, status),
    startMissingWorkers: (olderThanMs) => startMissingWorkers(deps, olderThanMs),
    deliverOverdueTimers: (overdueAfterMs) => deliverOverdueTimers(deps, overdueAfterMs),
  };
  return recovery;
}

let hooks: InProcessHookRunner | undefined;

/** The hook Lambda's runner (lambdas/hook.ts): runs one hook to its end and delivers the outcome. */
export function cloudHooks(): InProcessHookRunner {
  hooks ??= new InProcessHookRunner({
    // Fargate cannot exec into a container: the admission refuses exec hooks, and one stored before fails.
    runtime: { exec: fargateExec },
    clock: systemClock,
    deliver: (key, event) => deliverEvent(cloudDelivery(), key, event),
    onError,
  });
  return hooks;
}

let observer: FargateContainerRuntime | undefined;

/**
 * The observer Lambda's runtime (lambdas/observer.ts), built once per cold start: what it observes goes to the pods'
 * inboxes through the engine's delivery use case.
 */
export function cloudObserver(): FargateContainerRuntime {
  if (observer) return observer;
  const deps = cloudDelivery();
  observer = fargateRuntime(systemClock, deps.store, async (o) => {
    const { key, event } = eventFromObservation(o);
    await deliverEvent(deps, key, event);
  });
  return observer;
}

/** What wraps the table's stores of an engine (the functions' variants of cloudEngine below). */
type StoreDecoration = (
  store: DynamoDbPodStore,
  objects: DynamoDbObjectStore,
) => { store: PodStore; objects: ObjectStore };

/** The engine on the table, the state machine, Scheduler, the prober shards, the hook function and ECS. */
function buildCloudEngine(decorate: StoreDecoration): {
  engine: Engine;
  scheduler: EventBridgeWakeupScheduler;
} {
  const clock = systemClock;
  const dynamo = new DynamoDBClient({});
  const changeLog = changeLogWriting();
  // ConfigMaps, Secrets, Namespaces, Jobs and CronJobs on the same table (KMS-encrypted at rest: infra/pod-table.ts).
  const { store, objects } = decorate(
    new DynamoDbPodStore({ client: dynamo, tableName: env('TABLE_NAME'), clock, changeLog }),
    new DynamoDbObjectStore({ client: dynamo, tableName: env('TABLE_NAME'), changeLog }),
  );
  const workflow = new StepFunctionsWorkflowClient({
    client: new SFNClient({}),
    stateMachineArn: env('STATE_MACHINE_ARN'),
  });
  const lambda = new LambdaClient({});
  const wakeupFunctionArn = env('WAKEUP_FUNCTION_ARN');
  const scheduler = new EventBridgeWakeupScheduler({
    client: new SchedulerClient({}),
    clock,
    groupName: env('SCHEDULE_GROUP'),
    wakeupFunctionArn,
    schedulerRoleArn: env('SCHEDULER_ROLE_ARN'),
    deadLetterQueueArn: env('TIMERS_DLQ_ARN'),
    invokeWakeupAsync: (payload) => invokeAsync(lambda, wakeupFunctionArn, payload),
  });
  const bound: { engine?: Engine } = {};
  const runtime = fargateRuntime(clock, store, (o) => bound.engine!.onObservation(o));
  bound.engine = createEngine({
    store,
    objects,
    // The ConfigMaps and Secrets the API stores, read when the engine resolves a container's env at its start. The
    // Fargate runtime renders task definitions from the spec alone: admission refuses env from Secrets there.
    configs: new ObjectStoreConfigSource(objects),
    runtime,
    scheduler,
    workflow,
    // startProbes/stopProbes become registrations in the pod's shard; the prober Lambda owning the shard runs them.
    // A shard without probes has no prober: registering one in it starts its prober (startIdleShard).
    prober: new RegisteringProber({
      registry: new DynamoDbProbeRegistry({ client: dynamo, tableName: env('TABLE_NAME') }),
      shards: proberShards(),
      wakeShard: proberWaker(dynamo, lambda, clock),
    }),
    // A hook runs in an invocation of the hook Lambda of its own (cloudHooks below), not in the step.
    hooks: new LambdaHookRunner({ client: lambda, functionArn: env('HOOK_FUNCTION_ARN') }),
    clock,
    settings: CLOUD_SETTINGS,
    onError,
  });
  return { engine: bound.engine, scheduler };
}

/** An asynchronous invoke (InvocationType Event) of a function with a JSON payload. */
async function invokeAsync(lambda: LambdaClient, functionArn: string, payload: unknown): Promise<void> {
  await lambda.send(
    new InvokeCommand({
      FunctionName: functionArn,
      InvocationType: 'Event',
      Payload: JSON.stringify(payload),
    }),
  );
}

/** The controllers function's sync of one Job or CronJob, asked for with an asynchronous invoke. */
export function controllersInvoker(lambda: LambdaClient = new LambdaClient({})): NotifyController {
  const functionArn = env('CONTROLLERS_FUNCTION_ARN');
  return (kind, namespace, name) =>
    invokeAsync(lambda, functionArn, {
      namespace,
      name,
      timerId: CONTROLLER_SYNC_TIMER_IDS[kind],
      dueAt: 0,
    } satisfies WakeupPayload);
}

let engine: Engine | undefined;

/**
 * The engine of this Lambda container (the api and lifecycle functions), built on first use. Its writes a workload
 * controller must see — a Job or CronJob written, a Job's pod changed in what the Job counts — ask the controllers
 * function to sync (engine/controller-notifier.ts).
 */
export function cloudEngine(): Engine {
  if (engine) return engine;
  const notify = controllersInvoker();
  engine = buildCloudEngine((store, objects) => ({
    store: new ControllerNotifyingPodStore(store, notify),
    objects: new ControllerNotifyingObjectStore(objects, notify),
  })).engine;
  return engine;
}

let controllers: WorkloadControllers | undefined;

/**
 * The controllers function's Job and CronJob controllers (lambdas/controllers.ts): fed by this function's own
 * writes, as locally; their next syncs are durable timers through the wakeup function, and each CronJob has its
 * recurring Scheduler schedule targeting this function.
 */
export function cloudControllers(): WorkloadControllers {
  if (controllers) return controllers;
  let observed: { store: ObservablePodStore; objects: ObservableObjectStore } | undefined;
  const { engine: controllerEngine, scheduler } = buildCloudEngine((store, objects) => {
    observed = { store: new ObservablePodStore(store), objects: new ObservableObjectStore(objects) };
    return observed;
  });
  const timer = (kind: ControllerSyncKind): DurableTimer => ({
    arm: (namespace, name, at) =>
      at === undefined
        ? scheduler.cancel({ namespace, name }, CONTROLLER_SYNC_TIMER_IDS[kind])
        : scheduler.scheduleAt({ namespace, name }, CONTROLLER_SYNC_TIMER_IDS[kind], at),
  });
  controllers = createWorkloadControllers({
    store: observed!.store,
    objects: observed!.objects,
    pods: controllerEngine,
    clock: systemClock,
    jobBackoff: DEFAULT_JOB_BACKOFF,
    newUid: randomUUID,
    durableTimers: { job: timer('Job'), cronJob: timer('CronJob') },
    cronJobSchedules: new EventBridgeCronSchedules({
      client: new SchedulerClient({}),
      groupName: env('SCHEDULE_GROUP'),
      controllersFunctionArn: env('CONTROLLERS_FUNCTION_ARN'),
      schedulerRoleArn: env('SCHEDULER_ROLE_ARN'),
      deadLetterQueueArn: env('TIMERS_DLQ_ARN'),
    }),
    onError,
  });
  return controllers;
}

// ── the prober Lambda (lambdas/prober.ts, docs/decisions/0003-probes.md) ───────────────────────────────────────

/** A positive integer from the environment, or the default. */
function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`environment variable ${name} must be a positive integer`);
  return value;
}

/** PROBER_SHARDS (default 1): fixed for a deployment — the engine and the probers must agree on it. */
export const proberShards = (): number => envInt('PROBER_SHARDS', 1);

/**
 * The engine's side of a prober start (RegisteringProber wakeShard): with PROBER_FUNCTION_ARN (infra/prober.ts
 * bindStarter: the lifecycle function, which runs startProbes), take a free lease and invoke a run for it; without
 * it (the api function, which never starts containers) nothing — the supervisor would start the run.
 */
function proberWaker(
  dynamo: DynamoDBClient,
  lambda: LambdaClient,
  clock: Clock,
): ((shard: number) => Promise<unknown>) | undefined {
  const functionArn = process.env.PROBER_FUNCTION_ARN;
  if (!functionArn) return undefined;
  const deps = {
    lease: new DynamoDbProberLease({ client: dynamo, tableName: env('TABLE_NAME') }),
    clock,
    newOwnerId: () => randomUUID(),
    invokeProber: (run: ShardRun) => invokeAsync(lambda, functionArn, run),
    onError,
  };
  const settings = {
    leaseTtlMs: envInt('PROBER_LEASE_TTL_MS', DEFAULT_SHARD_PROBER_SETTINGS.leaseTtlMs),
  };
  return (shard) => startIdleShard(deps, settings, shard);
}

let proberWiring:
  | { deps: Omit<ShardProberDeps, 'invokeProber'>; settings: ShardProberSettings; lambda: LambdaClient }
  | undefined;

/** The prober's use-case dependencies, built once per cold start; `functionArn` is where successors are invoked. */
export function cloudProber(functionArn: string): { deps: ShardProberDeps; settings: ShardProberSettings } {
  if (!proberWiring) {
    const clock = systemClock;
    const tableName = env('TABLE_NAME');
    const dynamo = new DynamoDBClient({});
    const delivery = cloudDelivery();
    // Fargate cannot exec into a container: the admission refuses exec probes, and one stored before answers 126.
    const runtime = { exec: fargateExec };
    proberWiring = {
      lambda: new LambdaClient({}),
      deps: {
        lease: new DynamoDbProberLease({ client: dynamo, tableName }),
        registry: new DynamoDbProbeRegistry({ client: dynamo, tableName }),
        createWorkers: () =>
          new ProbeManager({
            store: delivery.store,
            deliver: (key, event) => deliverEvent(delivery, key, event),
            handlers: createProbeHandlers({ runtime }),
            clock,
            nodeName: CLOUD_SETTINGS.nodeName,
            onError,
          }),
        clock,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        newOwnerId: () => randomUUID(),
        onError,
      },
      settings: {
        shards: proberShards(),
        windowMs: envInt('PROBER_WINDOW_MS', DEFAULT_SHARD_PROBER_SETTINGS.windowMs),
        syncIntervalMs: envInt('PROBER_SYNC_INTERVAL_MS', DEFAULT_SHARD_PROBER_SETTINGS.syncIntervalMs),
        leaseTtlMs: envInt('PROBER_LEASE_TTL_MS', DEFAULT_SHARD_PROBER_SETTINGS.leaseTtlMs),
      },
    };
  }
  const { lambda } = proberWiring;
  return {
    settings: proberWiring.settings,
    deps: {
      ...proberWiring.deps,
      invokeProber: (run) => invokeAsync(lambda, functionArn, run),
    },
  };
}
