// The local composition root (docs/architecture.md §9): the same engine and handlers as in the cloud, wired to local adapters —
// a local store (SQLite by default, or the DynamoDB adapter on dynalite or an endpoint: local-store.ts), durable
// local timers in that store, the process runtime, and the committed state machine definition executed by
// aws-local-stepfunctions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWakeupScheduler } from '../adapters/local-timers/local-wakeup-scheduler.ts';
import { ProcessContainerRuntime } from '../adapters/process/process-container-runtime.ts';
import type { PodNetwork, PodNetworkOptions } from '../adapters/process/pod-network.ts';
import { createEngine, type Engine } from '../engine/create-engine.ts';
import { deliverEvent } from '../engine/deliver-event.ts';
import { ObservablePodStore } from '../engine/observable-pod-store.ts';
import { DEFAULT_WORKER_SETTINGS, type EngineDeps, type WorkerSettings } from '../engine/engine-deps.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { PodStore } from '../ports/pod-store.ts';
import type { Prober } from '../ports/prober.ts';
import { DEFAULT_LOCAL_STORE, openLocalStore, type LocalStore, type LocalStoreKind } from './local-store.ts';
import { InProcessHookRunner } from '../engine/in-process-hook-runner.ts';
import { LocalWorkflowClient } from './local-workflow-client.ts';
import { StepPacer } from './step-pacer.ts';
import { createProbeHandlers } from '../adapters/probes/probe-handlers.ts';
import { ProbeManager } from '../engine/prober/probe-manager.ts';
import { randomUUID } from 'node:crypto';
import { SYSTEM_NAMESPACES } from '../core/manifest/api-objects.ts';
import { ObjectStoreConfigSource } from '../engine/object-config-source.ts';
import { ObservableObjectStore } from '../engine/observable-object-store.ts';
import type { JobController } from '../engine/job-controller.ts';
import { DEFAULT_JOB_BACKOFF, type JobBackoffSettings } from '../core/jobs/sync-job.ts';
import type { StaticPodController } from '../engine/static-pod-controller.ts';
import type { CronJobController } from '../engine/cronjob-controller.ts';
import { createWorkloadControllers } from '../engine/workload-controllers.ts';

export const POD_WORKER_ASL_PATH = join(
  import.meta.dirname,
  '..',
  '..',
  'infra',
  'generated',
  'pod-worker.asl.json',
);

export interface LocalEngineOptions {
  /** Where pods, timers, container state and logs live (`.podflow/` by default in the CLI). */
  dataDir: string;
  /**
   * Where pods, inboxes, Events and timers live: `sqlite` (default; <dataDir>/podflow.db) or `dynamodb` (dynalite on
   * LevelDB under <dataDir>/db, or `dynamodbEndpoint`). A data directory written by the other store is refused
   * (DataDirStoreError).
   */
  store?: LocalStoreKind;
  /** With store `dynamodb`: a DynamoDB-compatible endpoint (e.g. LocalStack) instead of in-process dynalite. */
  dynamodbEndpoint?: string;
  /**
   * Keep the store in memory instead of under dataDir (SQLite `:memory:`, or dynalite in memory); containers still
   * use dataDir.
   */
  inMemory?: boolean;
  settings?: Partial<WorkerSettings>;
  clock?: Clock;
  prober?: Prober;
  /** Failures that must not stop the engine (an action that could not be carried out, a worker that crashed). */
  onError?: (err: unknown, context: string) => void;
  /** ConfigMaps and Secrets for containers that refer to them (default: the object store's, as the API serves them). */
  configs?: ConfigSource;
  /** Wraps the store every part of the engine uses (fault injection, instrumentation). */
  decorateStore?: (store: PodStore) => PodStore;
  /** The pod network: a network namespace per pod as root, else the host's (pod-network.ts; flags --pod-network,
   * --pod-cidr). */
  podNetwork?: PodNetworkOptions;
  /** The Job controller's pod re-creation back-off (default 10 s doubling to 6 min; flags --job-backoff-*). */
  jobBackoff?: JobBackoffSettings;
  /**
   * The CronJob controller's time: its clock and timer functions (default: the engine's clock and the host's
   * timers). Tests give it a faster clock so that schedules come in seconds.
   */
  cronClock?: {
    clock: Clock;
    setTimer: (fn: () => void, ms: number) => unknown;
    clearTimer: (handle: unknown) => void;
  };
  /** One line when pods get less than a cluster would give them (the host network fallback, no NAT). Default:
   * stderr. */
  onWarning?: (line: string) => void;
  /**
   * Static pods (core/static-pods.ts): the directory whose manifests run as static pods, shown as mirror pods (flag
   * --static-pod-path), and how often it is read besides its change notifications (default 20 s, the kubelet's
   * fileCheckFrequency; flag --static-pod-rescan).
   */
  staticPods?: { path: string; rescanMs?: number };
  /** Log lines of the engine's controllers (a static pod started, a manifest that cannot run). Default: stderr. */
  onLog?: (line: string) => void;
}

export interface LocalEngine {
  engine: Engine;
  /** Every committed change, in order (timelines, watches). */
  store: ObservablePodStore;
  /** ConfigMaps, Secrets, Namespaces and Jobs, with their committed changes (watches). */
  objects: ObservableObjectStore;
  /** The Job controller (engine/job-controller.ts). */
  jobs: JobController;
  /** The static pod controller, with --static-pod-path (engine/static-pod-controller.ts). */
  staticPods?: StaticPodController;
  /** The CronJob controller (engine/cronjob-controller.ts). */
  cronJobs: CronJobController;
  deps: EngineDeps;
  workflow: LocalWorkflowClient;
  runtime: ProcessContainerRuntime;
  /** Pods whose workers were resumed at start (an engine restart with the same data dir). */
  resumed: number;
  /** What pods get: their own network on the bridge, or the host's. */
  network: PodNetwork;
  /** Stops the engine; containers keep running under their shims and are re-adopted by the next start. */
  close(): Promise<void>;
}

/**
 * Static pods' modules, loaded when a manifest directory is given: reading manifests needs the YAML parser, some
 * seventy modules an engine start without static pods does not load.
 */
async function loadStaticPods() {
  const [source, core, controller] = await Promise.all([
    import('../adapters/static-pods/directory-static-pod-source.ts'),
    import('../core/static-pods.ts'),
    import('../engine/static-pod-controller.ts'),
  ]);
  return {
    DirectoryStaticPodSource: source.DirectoryStaticPodSource,
    DEFAULT_STATIC_POD_RESCAN_MS: core.DEFAULT_STATIC_POD_RESCAN_MS,
    createStaticPodController: controller.createStaticPodController,
  };
}

export async function startLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? ((err, context) => console.error(`podflow: ${context}:`, err));
  const settings: WorkerSettings = { ...DEFAULT_WORKER_SETTINGS, ...options.settings };
  const runtime = new ProcessContainerRuntime({
    dataDir: options.dataDir,
    clock,
    ...(options.podNetwork && { network: options.podNetwork }),
  });
  // Decided (and the host's part set up) before anything runs, and said once: never a silent half-setup.
  let network: PodNetwork;
  try {
    network = await runtime.network();
  } catch (err) {
    await runtime.close();
    throw err;
  }
  if (network.warning) (options.onWarning ?? ((line) => process.stderr.write(`${line}\n`)))(network.warning);
  const definition = JSON.parse(readFileSync(POD_WORKER_ASL_PATH, 'utf8')) as {
    States: Record<string, unknown>;
  };
  let backend: LocalStore;
  try {
    backend = await openLocalStore({
      kind: options.store ?? DEFAULT_LOCAL_STORE,
      dataDir: options.dataDir,
      inMemory: options.inMemory === true,
      dynamodbEndpoint: options.dynamodbEndpoint,
      clock,
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const store = new ObservablePodStore(
    options.decorateStore ? options.decorateStore(backend.store) : backend.store,
  );
  const objects = new ObservableObjectStore(backend.objects);

  // The adapters call back into the engine (timers due, observations, hook outcomes): bind late.
  const bound: { engine?: Engine } = {};
  const ready = (): Engine => {
    if (!bound.engine) throw new Error('engine not started');
    return bound.engine;
  };
  const workflow = new LocalWorkflowClient({
    definition,
    pacer: new StepPacer(),
    step: (input) => ready().step(input as never),
    // As the cloud's worker recovery does on a failed execution (lambdas/worker-recovery.ts).
    onExecutionError: async (name, input, err) => {
      onError(err, `worker ${name}`);
      await ready()
        .restartFailedWorker(input, 'FAILED')
        .catch((e: unknown) => onError(e, `restarting worker ${name}`));
    },
  });
  const scheduler = new LocalWakeupScheduler({
    table: backend.timers,
    clock,
    onDue: (due) => ready().onTimerDue(due),
  });
  const hooks = new InProcessHookRunner({
    runtime,
    clock,
    deliver: (key, event) => deliverEvent({ store, workflow }, key, event),
    onError,
  });
  // Probes run in-process: one shard, no lease (docs/decisions/0003-probes.md); results reach the inbox only on
  // change.
  const ownProber = options.prober
    ? undefined
    : new ProbeManager({
        store,
        deliver: (key, event) => deliverEvent({ store, workflow }, key, event),
        handlers: createProbeHandlers({ runtime }),
        clock,
        hostIP: settings.hostIP,
        nodeName: settings.nodeName,
        onError,
      });
  const deps: EngineDeps = {
    store,
    objects,
    configs: options.configs ?? new ObjectStoreConfigSource(objects),
    runtime,
    scheduler,
    workflow,
    prober: options.prober ?? ownProber!,
    hooks,
    clock,
    settings,
    onError,
  };
  const engine = createEngine(deps);
  bound.engine = engine;
  // The Job and CronJob controllers, on the engine's own pod use cases; they follow the stores' committed changes.
  const workloads = createWorkloadControllers({
    store,
    objects,
    pods: engine,
    clock,
    jobBackoff: options.jobBackoff ?? DEFAULT_JOB_BACKOFF,
    newUid: randomUUID,
    ...(options.cronClock && { cronClock: options.cronClock }),
    onError,
  });
  const { jobs, cronJobs } = workloads;
  let staticPods: StaticPodController | undefined;
  if (options.staticPods) {
    const { DirectoryStaticPodSource, DEFAULT_STATIC_POD_RESCAN_MS, createStaticPodController } =
      await loadStaticPods();
    staticPods = createStaticPodController({
      source: new DirectoryStaticPodSource(options.staticPods.path),
      store,
      objects,
      pods: engine,
      clock,
      nodeName: settings.nodeName,
      newUid: randomUUID,
      rescanMs: options.staticPods.rescanMs ?? DEFAULT_STATIC_POD_RESCAN_MS,
      onLog: options.onLog ?? ((line) => process.stderr.write(`podflow: ${line}\n`)),
      onError,
    });
  }
  const feed = staticPods;
  const stopStaticPodFeed = feed
    ? store.subscribe((change) => {
        if (change.type !== 'event') feed.onPodChange(change);
      })
    : undefined;
  const stopObserving = runtime.observe(
    (o) =>
      void ready()
        .onObservation(o)
        .catch((err) => onError(err, 'observation')),
  );
  const stopUsage = runtime.observeVolumeUsage(
    (u) =>
      void ready()
        .onVolumeUsage(u)
        .catch((err) => onError(err, 'volume usage')),
  );
  // Exits that happened while no engine was running reach the inboxes first; then timers re-arm; then every
  // unfinished pod gets a worker that resumes it where its state says it is.
  await runtime.recover();
  await scheduler.start();
  // The system namespaces exist from the start, and so does every namespace a stored pod lives in (a data directory
  // written before namespaces were objects) — before resumeAll, whose namespace pass must not find them missing.
  const { items: pods } = await store.list();
  await engine.ensureNamespaces([...SYSTEM_NAMESPACES, ...pods.map((p) => p.key.namespace)], randomUUID);
  const resumed = await engine.resumeAll();
  // Sandboxes (pause processes, namespaces, addresses, host ports) of pods the store no longer has.
  await engine.removeOrphanSandboxes();
  // Every Job syncs: pods that finished while no engine ran are counted, back-off and deadline timers re-armed.
  await jobs.syncAll();
  // Static pods last: the pods made before a restart are resumed by now, so a sync finds them and leaves them be.
  await staticPods?.start();

  // Every CronJob syncs: the most recent schedule missed while no engine ran starts (within its deadline), and the
  // next wake-up is armed.
  await cronJobs.syncAll();

  return {
    engine,
    store,
    objects,
    jobs,
    ...(staticPods && { staticPods }),
    cronJobs,
    deps,
    workflow,
    runtime,
    resumed,
    network,
    async close() {
      stopStaticPodFeed?.();
      await staticPods?.close();
      await workloads.close();
      ownProber?.close();
      stopObserving();
      stopUsage();
      await scheduler.stop();
      await workflow.stop();
      await runtime.close();
      await backend.close();
    },
  };
}
