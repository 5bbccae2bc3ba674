// The cloud composition root (docs/architecture.md §10): the shared engine wired to AWS adapters, built once per cold
// start from the environment the CDK binds set (infra/*: TABLE_NAME, STATE_MACHINE_ARN, SCHEDULE_GROUP, …).
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbPodStore } from '../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { EventBridgeWakeupScheduler } from '../src/adapters/eventbridge/eventbridge-wakeup-scheduler.ts';
import { DynamoDbProbeRegistry } from '../src/adapters/probes/dynamodb-probe-registry.ts';
import { DynamoDbProberLease } from '../src/adapters/probes/dynamodb-prober-lease.ts';
import { createProbeHandlers } from '../src/adapters/probes/probe-handlers.ts';
import { StepFunctionsWorkflowClient } from '../src/adapters/stepfunctions/step-functions-workflow-client.ts';
import { DynamoDbObjectStore } from '../src/adapters/dynamodb/dynamodb-object-store.ts';
import { UnavailableContainerRuntime } from '../src/adapters/unavailable/unavailable-container-runtime.ts';
import { createEngine, type Engine } from '../src/engine/create-engine.ts';
import { deliverEvent } from '../src/engine/deliver-event.ts';
import { DEFAULT_WORKER_SETTINGS } from '../src/engine/engine-deps.ts';
import { ProbeManager } from '../src/engine/prober/probe-manager.ts';
import { RegisteringProber } from '../src/engine/prober/registering-prober.ts';
import {
  DEFAULT_SHARD_PROBER_SETTINGS,
  type ShardProberDeps,
  type ShardProberSettings,
} from '../src/engine/prober/shard-prober.ts';
import { InProcessHookRunner } from '../src/engine/in-process-hook-runner.ts';
import { ObjectStoreConfigSource } from '../src/engine/object-config-source.ts';
import { systemClock } from '../src/ports/clock.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (the CDK stack binds it)`);
  return value;
}

let engine: Engine | undefined;

/** The engine of this Lambda container, built on first use. */
export function cloudEngine(): Engine {
  if (engine) return engine;
  const clock = systemClock;
  const dynamo = new DynamoDBClient({});
  const store = new DynamoDbPodStore({ client: dynamo, tableName: env('TABLE_NAME'), clock });
  // ConfigMaps, Secrets and Namespaces on the same table (KMS-encrypted at rest: infra/pod-table.ts).
  const objects = new DynamoDbObjectStore({ client: dynamo, tableName: env('TABLE_NAME') });
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
    invokeWakeupAsync: async (payload) => {
      await lambda.send(
        new InvokeCommand({
          FunctionName: wakeupFunctionArn,
          InvocationType: 'Event',
          Payload: JSON.stringify(payload),
        }),
      );
    },
  });
  const runtime = new UnavailableContainerRuntime(clock);
  engine = createEngine({
    store,
    objects,
    // The ConfigMaps and Secrets the API stores, read when a container starts (its env is resolved here even though
    // no container runtime is attached in the cloud).
    configs: new ObjectStoreConfigSource(objects),
    runtime,
    scheduler,
    workflow,
    // startProbes/stopProbes become registrations in the pod's shard; the prober Lambda owning the shard runs them.
    prober: new RegisteringProber({
      registry: new DynamoDbProbeRegistry({ client: dynamo, tableName: env('TABLE_NAME') }),
      shards: proberShards(),
    }),
    hooks: new InProcessHookRunner({
      runtime,
      clock,
      deliver: (key, event) => deliverEvent({ store, workflow }, key, event),
    }),
    clock,
    settings: { ...DEFAULT_WORKER_SETTINGS, nodeName: 'podflow-aws' },
    onError: (err, context) => console.error(JSON.stringify({ level: 'error', context, error: String(err) })),
  });
  runtime.observe((o) => void engine!.onObservation(o));
  return engine;
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

let proberWiring:
  | { deps: Omit<ShardProberDeps, 'invokeProber'>; settings: ShardProberSettings; lambda: LambdaClient }
  | undefined;

/** The prober's use-case dependencies, built once per cold start; `functionArn` is where successors are invoked. */
export function cloudProber(functionArn: string): { deps: ShardProberDeps; settings: ShardProberSettings } {
  if (!proberWiring) {
    const clock = systemClock;
    const tableName = env('TABLE_NAME');
    const dynamo = new DynamoDBClient({});
    const store = new DynamoDbPodStore({ client: dynamo, tableName, clock });
    const workflow = new StepFunctionsWorkflowClient({
      client: new SFNClient({}),
      stateMachineArn: env('STATE_MACHINE_ARN'),
    });
    // The cloud has no runtime that can exec into a container: exec probes report a prober error.
    const runtime = new UnavailableContainerRuntime(clock);
    const onError = (err: unknown, context: string) =>
      console.error(JSON.stringify({ level: 'error', context, error: String(err) }));
    proberWiring = {
      lambda: new LambdaClient({}),
      deps: {
        lease: new DynamoDbProberLease({ client: dynamo, tableName }),
        registry: new DynamoDbProbeRegistry({ client: dynamo, tableName }),
        createWorkers: () =>
          new ProbeManager({
            store,
            deliver: (key, event) => deliverEvent({ store, workflow }, key, event),
            handlers: createProbeHandlers({ runtime }),
            clock,
            nodeName: 'podflow-aws',
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
      invokeProber: async (run) => {
        await lambda.send(
          new InvokeCommand({
            FunctionName: functionArn,
            InvocationType: 'Event',
            Payload: JSON.stringify(run),
          }),
        );
      },
    },
  };
}
