// The cloud composition root (STYLE §8): the shared engine wired to AWS adapters, built once per cold start from
// the environment the CDK binds set (infra/*: TABLE_NAME, STATE_MACHINE_ARN, SCHEDULE_GROUP, …).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbPodStore } from '../adapters/dynamodb/dynamodb-pod-store.ts';
import { EventBridgeWakeupScheduler } from '../adapters/eventbridge/eventbridge-wakeup-scheduler.ts';
import { NoopProber } from '../adapters/noop/noop-prober.ts';
import { StepFunctionsWorkflowClient } from '../adapters/stepfunctions/step-functions-workflow-client.ts';
import { UnavailableContainerRuntime } from '../adapters/unavailable/unavailable-container-runtime.ts';
import { DEFAULT_ENGINE_SETTINGS } from '../core/engine-settings.ts';
import { createEngine, type Engine } from '../engine/create-engine.ts';
import { deliverEvent } from '../engine/deliver-event.ts';
import { DEFAULT_MAX_SUPERVISE_LOOPS } from '../engine/engine-deps.ts';
import { LocalHookRunner } from '../local/local-hook-runner.ts';
import { systemClock } from '../ports/clock.ts';

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
  const store = new DynamoDbPodStore({ client: new DynamoDBClient({}), tableName: env('TABLE_NAME'), clock });
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
    runtime,
    scheduler,
    workflow,
    // Probes and hooks run in-process for now; the prober Lambdas come with the probes issue.
    prober: new NoopProber(),
    hooks: new LocalHookRunner({
      runtime,
      clock,
      deliver: (key, event) => deliverEvent({ store, workflow }, key, event),
    }),
    clock,
    settings: {
      ...DEFAULT_ENGINE_SETTINGS,
      nodeName: 'podflow-aws',
      maxSuperviseLoops: DEFAULT_MAX_SUPERVISE_LOOPS,
      terminationMarginSeconds: 5,
    },
    onError: (err, context) => console.error(JSON.stringify({ level: 'error', context, error: String(err) })),
  });
  runtime.observe((o) => void engine!.onObservation(o));
  return engine;
}
