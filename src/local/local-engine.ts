// The local composition root (docs/architecture.md §9): the same engine and handlers as in the cloud, wired to local
// adapters — dynalite for the DynamoDB API, durable local timers, the process runtime, and the committed state
// machine definition executed by aws-local-stepfunctions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbPodStore } from '../adapters/dynamodb/dynamodb-pod-store.ts';
import { LocalWakeupScheduler } from '../adapters/local-timers/local-wakeup-scheduler.ts';
import { ProcessContainerRuntime } from '../adapters/process/process-container-runtime.ts';
import type { PodNetwork, PodNetworkOptions } from '../adapters/process/pod-network.ts';
import { createEngine, type Engine } from '../engine/create-engine.ts';
import { deliverEvent } from '../engine/deliver-event.ts';
import { ObservablePodStore } from '../engine/observable-pod-store.ts';
import { DEFAULT_WORKER_SETTINGS, type EngineDeps, type WorkerSettings } from '../engine/engine-deps.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import type { PodStore } from '../ports/pod-store.ts';
import type { Prober } from '../ports/prober.ts';
import { ensureTable, startDynalite } from './dynalite.ts';
import { InProcessHookRunner } from '../engine/in-process-hook-runner.ts';
import { LocalWorkflowClient } from './local-workflow-client.ts';
import { createProbeHandlers } from '../adapters/probes/probe-handlers.ts';
import { ProbeManager } from '../engine/prober/probe-manager.ts';

export const POD_WORKER_ASL_PATH = join(
  import.meta.dirname,
  '..',
  '..',
  'infra',
  'generated',
  'pod-worker.asl.json',
);
export const LOCAL_TABLE_NAME = 'podflow';

export interface LocalEngineOptions {
  /** Where pods, timers, container state and logs live (`.podflow/` by default in the CLI). */
  dataDir: string;
  /** Keep the DynamoDB data in memory instead of LevelDB under dataDir (tests). */
  inMemory?: boolean;
  settings?: Partial<WorkerSettings>;
  clock?: Clock;
  prober?: Prober;
  /** Failures that must not stop the engine (an action that could not be carried out, a worker that crashed). */
  onError?: (err: unknown, context: string) => void;
  /** Wraps the store every part of the engine uses (fault injection, instrumentation). */
  decorateStore?: (store: PodStore) => PodStore;
  /** The pod network: a network namespace per pod as root, else the host's (pod-network.ts; flags --pod-network,
   * --pod-cidr). */
  podNetwork?: PodNetworkOptions;
  /** One line when pods get less than a cluster would give them (the host network fallback, no NAT). Default:
   * stderr. */
  onWarning?: (line: string) => void;
}

export interface LocalEngine {
  engine: Engine;
  /** Every committed change, in order (timelines, watches). */
  store: ObservablePodStore;
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
  const db = await startDynalite(options.inMemory ? {} : { path: join(options.dataDir, 'db') });
  await ensureTable(db.client, LOCAL_TABLE_NAME);
  const inner = new DynamoDbPodStore({ client: db.client, tableName: LOCAL_TABLE_NAME, clock });
  const store = new ObservablePodStore(options.decorateStore ? options.decorateStore(inner) : inner);
  const definition = JSON.parse(readFileSync(POD_WORKER_ASL_PATH, 'utf8')) as {
    States: Record<string, unknown>;
  };

  // The adapters call back into the engine (timers due, observations, hook outcomes): bind late.
  const bound: { engine?: Engine } = {};
  const ready = (): Engine => {
    if (!bound.engine) throw new Error('engine not started');
    return bound.engine;
  };
  const workflow = new LocalWorkflowClient({
    definition,
    step: (input) => ready().step(input as never),
    onExecutionError: (name, err) => onError(err, `worker ${name}`),
  });
  const scheduler = new LocalWakeupScheduler({
    client: db.client,
    tableName: LOCAL_TABLE_NAME,
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
  const stopObserving = runtime.observe(
    (o) =>
      void ready()
        .onObservation(o)
        .catch((err) => onError(err, 'observation')),
  );
  // Exits that happened while no engine was running reach the inboxes first; then timers re-arm; then every
  // unfinished pod gets a worker that resumes it where its state says it is.
  await runtime.recover();
  await scheduler.start();
  const resumed = await engine.resumeAll();
  // Sandboxes (pause processes, namespaces, addresses, host ports) of pods the store no longer has.
  await engine.removeOrphanSandboxes();

  return {
    engine,
    store,
    deps,
    workflow,
    runtime,
    resumed,
    network,
    async close() {
      ownProber?.close();
      stopObserving();
      await scheduler.stop();
      await workflow.stop();
      await runtime.close();
      await db.close();
    },
  };
}
