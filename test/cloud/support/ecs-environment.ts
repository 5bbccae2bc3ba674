// What a contract test of an ECS container runtime needs, in one call: the ECS emulator (tasks as local processes),
// the EventBridge emulator its `ECS Task State Change` events go to, and the CloudWatch Logs emulator its `awslogs`
// driver writes to — each on its own 127.0.0.1 endpoint for the real SDK clients (@aws-sdk/client-ecs,
// client-eventbridge, client-cloudwatch-logs), with the environment variables a process would set to reach them.
//
//   const env = await startEcsEnvironment();
//   const ecs = new ECSClient(env.clientConfig('ecs'));
//   env.eventBridge.onEvent((e) => …);            // or a rule: env.eventBridge.putRule / putTargets
//   env.logs.messages('/podflow/containers', 'pods/app/<task id>');
//   await env.close();
import type { EmulatorServer } from '../emulators/aws-wire.ts';
import { DEFAULT_SCOPE } from '../emulators/aws-wire.ts';
import { CloudWatchLogsEmulator } from '../emulators/cloudwatch-logs.ts';
import { DEFAULT_PAUSE_IMAGE } from '../../../src/adapters/fargate/task-definition.ts';
import { EcsEmulator, type EcsEmulatorOptions, type ImageConfig } from '../emulators/ecs.ts';
import { OffsetClock } from '../emulators/emulator-clock.ts';
import { EventBridgeEmulator } from '../emulators/eventbridge.ts';
import { TEST_CREDENTIALS } from './sdk-config.ts';

/**
 * The images the emulated tasks run without a command of their own: the pause container of every pod task
 * (src/adapters/fargate/task-definition.ts). Like /pause, it holds the task until it is told to stop and exits 0 then.
 */
export const EMULATED_IMAGES: Record<string, ImageConfig> = {
  [DEFAULT_PAUSE_IMAGE]: {
    entryPoint: ['sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'],
  },
};

export interface EcsEnvironment {
  ecs: EcsEmulator;
  eventBridge: EventBridgeEmulator;
  logs: CloudWatchLogsEmulator;
  clock: OffsetClock;
  endpoints: { ecs: string; eventbridge: string; logs: string };
  /** AWS_ENDPOINT_URL_ECS, _EVENTBRIDGE, _CLOUDWATCH_LOGS, region and test credentials. */
  env: Record<string, string>;
  clientConfig(service: 'ecs' | 'eventbridge' | 'logs'): {
    endpoint: string;
    region: string;
    credentials: typeof TEST_CREDENTIALS;
    maxAttempts: number;
  };
  close(): Promise<void>;
}

export async function startEcsEnvironment(
  options: Pick<EcsEmulatorOptions, 'clusters' | 'logFlushMs' | 'images'> & {
    /** Invoked for Lambda targets of EventBridge rules. Default: nothing. */
    invokeLambda?: (functionArn: string, payload: string) => Promise<void>;
  } = {},
): Promise<EcsEnvironment> {
  const clock = new OffsetClock();
  const logs = new CloudWatchLogsEmulator();
  const eventBridge = new EventBridgeEmulator({
    clock,
    invokeLambda: options.invokeLambda ?? (async () => undefined),
  });
  const ecs = new EcsEmulator({
    eventBridge,
    logs,
    clusters: options.clusters,
    logFlushMs: options.logFlushMs,
    images: options.images,
  });
  const servers: EmulatorServer[] = [await ecs.listen(), await eventBridge.listen(), await logs.listen()];
  const endpoints = { ecs: servers[0]!.url, eventbridge: servers[1]!.url, logs: servers[2]!.url };
  return {
    ecs,
    eventBridge,
    logs,
    clock,
    endpoints,
    env: {
      AWS_ENDPOINT_URL_ECS: endpoints.ecs,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoints.logs,
      AWS_REGION: DEFAULT_SCOPE.region,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    },
    clientConfig: (service) => ({
      endpoint: endpoints[service],
      region: DEFAULT_SCOPE.region,
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
    }),
    close: async () => {
      await ecs.close();
      eventBridge.close();
      clock.clear();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
