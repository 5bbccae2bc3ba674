// Contract of the ECS emulator (test/cloud/emulators/ecs.ts) through the real @aws-sdk/client-ecs: the calls an ECS
// Fargate container runtime makes are accepted and their responses parse; the documented errors come back with
// their documented codes; tasks run as local processes and report through ECS Task State Change events and the
// awslogs driver.
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  DeregisterTaskDefinitionCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ContainerDefinition,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBridgeEvent } from './emulators/eventbridge.ts';
import { startEcsEnvironment, type EcsEnvironment } from './support/ecs-environment.ts';
import { eventually } from './support/sdk-config.ts';

let env: EcsEnvironment;
let logs: EcsEnvironment['logs'];
let bus: EcsEnvironment['eventBridge'];
let client: ECSClient;
let logsClient: CloudWatchLogsClient;
const ruleDeliveries: Array<{ arn: string; event: EventBridgeEvent }> = [];

const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/podflow-task-execution';
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0123'], assignPublicIp: 'DISABLED' as const } };
const awslogs = (group: string, createGroup = false) => ({
  logDriver: 'awslogs' as const,
  options: {
    'awslogs-group': group,
    'awslogs-region': 'us-east-1',
    'awslogs-stream-prefix': 'pods',
    ...(createGroup ? { 'awslogs-create-group': 'true' } : {}),
  },
});

async function register(family: string, containers: ContainerDefinition[]): Promise<string> {
  const { taskDefinition } = await client.send(
    new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn: EXECUTION_ROLE,
      containerDefinitions: containers,
    }),
  );
  return taskDefinition!.taskDefinitionArn!;
}

async function run(taskDefinition: string, extra: Partial<RunTaskCommandInput> = {}): Promise<string> {
  const out = await client.send(
    new RunTaskCommand({ taskDefinition, launchType: 'FARGATE', networkConfiguration: NETWORK, ...extra }),
  );
  return out.tasks![0]!.taskArn!;
}

const eventsOf = (taskArn: string): EventBridgeEvent[] =>
  bus.events.filter((e) => e['detail-type'] === 'ECS Task State Change' && e.resources[0] === taskArn);
const detailOf = (e: EventBridgeEvent) =>
  e.detail as {
    lastStatus: string;
    desiredStatus: string;
    version: number;
    stopCode?: string;
    stoppedReason?: string;
    containers: Array<{ name: string; lastStatus: string; exitCode?: number; reason?: string }>;
    attachments: Array<{ details: Array<{ name: string; value: string }> }>;
    group: string;
    startedBy?: string;
    connectivity?: string;
    taskArn: string;
    createdAt: string;
  };
const stopped = (taskArn: string) =>
  eventually(
    () =>
      eventsOf(taskArn)
        .map(detailOf)
        .find((d) => d.lastStatus === 'STOPPED'),
    15_000,
  );

beforeAll(async () => {
  env = await startEcsEnvironment({
    logFlushMs: 20,
    invokeLambda: async (arn, payload) =>
      void ruleDeliveries.push({ arn, event: JSON.parse(payload) as EventBridgeEvent }),
  });
  ({ logs, eventBridge: bus } = env);
  client = new ECSClient(env.clientConfig('ecs'));
  logsClient = new CloudWatchLogsClient(env.clientConfig('logs'));
  logs.createLogGroup('/podflow/containers');
});

afterAll(async () => {
  client.destroy();
  logsClient.destroy();
  await env.close();
});

describe('task definitions', () => {
  it('registers revisions and describes them by family, family:revision and ARN', async () => {
    const first = await register('defs', [{ name: 'main', image: 'busybox', command: ['true'] }]);
    const second = await register('defs', [{ name: 'main', image: 'busybox', command: ['false'] }]);
    expect(first).toBe('arn:aws:ecs:us-east-1:123456789012:task-definition/defs:1');
    expect(second).toMatch(/\/defs:2$/);
    for (const ref of ['defs', 'defs:2', second]) {
      const { taskDefinition } = await client.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: ref }),
      );
      expect(taskDefinition).toMatchObject({ revision: 2, status: 'ACTIVE', family: 'defs' });
      expect(taskDefinition!.registeredAt).toBeInstanceOf(Date);
      expect(taskDefinition!.containerDefinitions![0]).toMatchObject({ essential: true, command: ['false'] });
    }
    const { taskDefinition } = await client.send(
      new DeregisterTaskDefinitionCommand({ taskDefinition: second }),
    );
    expect(taskDefinition!.status).toBe('INACTIVE');
    const latest = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'defs' }));
    expect(latest.taskDefinition!.revision).toBe(1);
    await expect(run(second)).rejects.toMatchObject({ name: 'ClientException' });
  });

  it.each([
    {
      name: 'an unknown task definition',
      send: () => client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope:7' })),
      code: 'ClientException',
      message: /Unable to describe task definition/,
    },
    {
      name: 'a Fargate CPU/memory pair that does not exist',
      send: () =>
        client.send(
          new RegisterTaskDefinitionCommand({
            family: 'bad',
            requiresCompatibilities: ['FARGATE'],
            networkMode: 'awsvpc',
            cpu: '256',
            memory: '4096',
            containerDefinitions: [{ name: 'm', image: 'i' }],
          }),
        ),
      code: 'ClientException',
      message: /No Fargate configuration exists for given values: 256 CPU, 4096 memory/,
    },
    {
      name: 'awslogs on Fargate without an execution role',
      send: () =>
        client.send(
          new RegisterTaskDefinitionCommand({
            family: 'bad',
            requiresCompatibilities: ['FARGATE'],
            networkMode: 'awsvpc',
            cpu: '256',
            memory: '512',
            containerDefinitions: [{ name: 'm', image: 'i', logConfiguration: awslogs('/x') }],
          }),
        ),
      code: 'ClientException',
      message: /execution role ARN to support log driver awslogs/,
    },
    {
      name: 'awslogs on Fargate without awslogs-stream-prefix',
      send: () =>
        client.send(
          new RegisterTaskDefinitionCommand({
            family: 'bad',
            requiresCompatibilities: ['FARGATE'],
            networkMode: 'awsvpc',
            cpu: '256',
            memory: '512',
            executionRoleArn: EXECUTION_ROLE,
            containerDefinitions: [
              {
                name: 'm',
                image: 'i',
                logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/x' } },
              },
            ],
          }),
        ),
      code: 'ClientException',
      message: /awslogs-stream-prefix/,
    },
    {
      name: 'Fargate with the bridge network mode',
      send: () =>
        client.send(
          new RegisterTaskDefinitionCommand({
            family: 'bad',
            requiresCompatibilities: ['FARGATE'],
            networkMode: 'bridge',
            cpu: '256',
            memory: '512',
            containerDefinitions: [{ name: 'm', image: 'i' }],
          }),
        ),
      code: 'ClientException',
      message: /awsvpc/,
    },
    {
      name: 'a container without an image',
      send: () =>
        client.send(
          new RegisterTaskDefinitionCommand({
            family: 'bad',
            containerDefinitions: [{ name: 'm' } as ContainerDefinition],
          }),
        ),
      code: 'ClientException',
      message: /image/,
    },
    {
      name: 'RunTask without the awsvpc network configuration',
      send: async () => {
        const td = await register('nonet', [{ name: 'm', image: 'i', command: ['true'] }]);
        return client.send(new RunTaskCommand({ taskDefinition: td, launchType: 'FARGATE' }));
      },
      code: 'InvalidParameterException',
      message: /Network Configuration must be provided/,
    },
    {
      name: 'RunTask on a cluster that does not exist',
      send: () =>
        client.send(
          new RunTaskCommand({ taskDefinition: 'defs:1', cluster: 'nope', networkConfiguration: NETWORK }),
        ),
      code: 'ClusterNotFoundException',
      message: /Cluster not found/,
    },
    {
      name: 'an override for a container the task definition lacks',
      send: () =>
        client.send(
          new RunTaskCommand({
            taskDefinition: 'defs:1',
            networkConfiguration: NETWORK,
            overrides: { containerOverrides: [{ name: 'ghost', command: ['x'] }] },
          }),
        ),
      code: 'InvalidParameterException',
      message: /not a container in the TaskDefinition/,
    },
    {
      name: 'StopTask of a task that does not exist',
      send: () => client.send(new StopTaskCommand({ task: '0123456789abcdef0123456789abcdef' })),
      code: 'InvalidParameterException',
      message: /task was not found/,
    },
  ])('refuses $name with $code', async ({ send, code, message }) => {
    const err = (await send().then(
      () => undefined,
      (e: unknown) => e,
    )) as { name: string; message: string; $metadata: { httpStatusCode: number } } | undefined;
    expect(err?.name).toBe(code);
    expect(err?.message).toMatch(message);
    expect(err?.$metadata.httpStatusCode).toBe(400);
  });
});

describe('tasks as local processes', () => {
  it('runs a task to the exit of its essential container: events, exit code, logs, ENI, describe and list', async () => {
    const td = await register('job', [
      {
        name: 'sidecar',
        image: 'busybox',
        essential: false,
        command: ['sh', '-c', 'echo sidecar up; sleep 30'],
        logConfiguration: awslogs('/podflow/containers'),
      },
      {
        name: 'main',
        image: 'busybox',
        command: ['sh', '-c', 'echo "hello $GREETING"; echo oops >&2; exit 3'],
        environment: [{ name: 'GREETING', value: 'default' }],
        dependsOn: [{ containerName: 'sidecar', condition: 'START' }],
        logConfiguration: awslogs('/podflow/containers'),
      },
    ]);
    const taskArn = await run(td, {
      startedBy: 'podflow',
      overrides: {
        containerOverrides: [{ name: 'main', environment: [{ name: 'GREETING', value: 'world' }] }],
      },
    });
    expect(taskArn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\/default\/[0-9a-f]{32}$/);
    const last = await stopped(taskArn);
    const statuses = eventsOf(taskArn).map((e) => detailOf(e).lastStatus);
    expect([...new Set(statuses)]).toEqual([
      'PROVISIONING',
      'PENDING',
      'ACTIVATING',
      'RUNNING',
      'DEACTIVATING',
      'STOPPING',
      'DEPROVISIONING',
      'STOPPED',
    ]);
    const versions = eventsOf(taskArn).map((e) => detailOf(e).version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(last).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      group: 'family:job',
      startedBy: 'podflow',
      connectivity: 'CONNECTED',
    });
    expect(last.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(last.attachments[0]!.details).toContainEqual({ name: 'privateIPv4Address', value: '127.0.0.1' });
    const main = last.containers.find((c) => c.name === 'main')!;
    const sidecar = last.containers.find((c) => c.name === 'sidecar')!;
    expect(main).toMatchObject({ lastStatus: 'STOPPED', exitCode: 3 });
    expect(sidecar).toMatchObject({ lastStatus: 'STOPPED', exitCode: 143 }); // SIGTERM when the task stopped

    const taskId = taskArn.split('/').pop()!;
    const out = await logsClient.send(
      new GetLogEventsCommand({
        logGroupName: '/podflow/containers',
        logStreamName: `pods/main/${taskId}`,
        startFromHead: true,
      }),
    );
    expect(out.events!.map((e) => e.message)).toEqual(['hello world', 'oops']);
    expect(logs.messages('/podflow/containers', `pods/sidecar/${taskId}`)).toEqual(['sidecar up']);

    const { tasks, failures } = await client.send(
      new DescribeTasksCommand({ tasks: [taskArn, 'ffffffffffffffffffffffffffffffff'] }),
    );
    expect(tasks![0]).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      launchType: 'FARGATE',
    });
    expect(tasks![0]!.stoppedAt).toBeInstanceOf(Date);
    expect(
      tasks![0]!.containers!.find((c) => c.name === 'main')!.networkInterfaces![0]!.privateIpv4Address,
    ).toBe('127.0.0.1');
    expect(failures).toEqual([
      {
        arn: 'arn:aws:ecs:us-east-1:123456789012:task/default/ffffffffffffffffffffffffffffffff',
        reason: 'MISSING',
      },
    ]);
    const listed = await client.send(
      new ListTasksCommand({ desiredStatus: 'STOPPED', startedBy: 'podflow' }),
    );
    expect(listed.taskArns).toContain(taskArn);
    const running = await client.send(new ListTasksCommand({ family: 'job' }));
    expect(running.taskArns).not.toContain(taskArn);
  });

  it('RunTask with a clientToken is idempotent; the same token for another request is a ConflictException', async () => {
    const td = await register('idem', [{ name: 'm', image: 'i', command: ['sleep', '30'], stopTimeout: 1 }]);
    const first = await run(td, { clientToken: 'pod-uid-1/m/0' });
    const again = await run(td, { clientToken: 'pod-uid-1/m/0' });
    expect(again).toBe(first);
    const err = (await run(td, { clientToken: 'pod-uid-1/m/0', startedBy: 'other' }).catch(
      (e: unknown) => e,
    )) as {
      name: string;
      resourceIds?: string[];
    };
    expect(err.name).toBe('ConflictException');
    expect(err.resourceIds).toEqual([first]);
    await client.send(new StopTaskCommand({ task: first }));
    await stopped(first);
  });

  it.each([
    { name: 'a process that exits on SIGTERM', script: 'echo ready; sleep 30', exitCode: 143 },
    {
      name: 'a process that ignores SIGTERM is killed after stopTimeout',
      script: "trap '' TERM; echo ready; sleep 30 & wait; sleep 30",
      exitCode: 137,
    },
  ])('StopTask: $name (exit $exitCode)', async ({ script, exitCode }) => {
    const td = await register('stop', [
      {
        name: 'm',
        image: 'i',
        command: ['sh', '-c', script],
        stopTimeout: 1,
        logConfiguration: awslogs('/podflow/containers'),
      },
    ]);
    const taskArn = await run(td);
    // The process is ready (its trap set) once it said so in its log.
    await eventually(() =>
      logs.messages('/podflow/containers', `pods/m/${taskArn.split('/').pop()}`).includes('ready'),
    );
    const started = Date.now();
    const { task } = await client.send(new StopTaskCommand({ task: taskArn, reason: 'pod deleted' }));
    expect(task).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'pod deleted',
    });
    const last = await stopped(taskArn);
    expect(last.containers[0]).toMatchObject({ exitCode });
    if (exitCode === 137) expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('dependsOn SUCCESS, HEALTHY and COMPLETE order the containers; a failed SUCCESS dependency keeps the dependent from starting', async () => {
    const td = await register('deps', [
      { name: 'init', image: 'i', essential: false, command: ['sh', '-c', 'exit 0'] },
      {
        name: 'db',
        image: 'i',
        essential: false,
        command: ['sleep', '30'],
        healthCheck: { command: ['CMD-SHELL', 'true'], interval: 5, timeout: 2, retries: 1 },
        stopTimeout: 1,
      },
      {
        name: 'app',
        image: 'i',
        command: ['sh', '-c', 'echo started'],
        dependsOn: [
          { containerName: 'init', condition: 'SUCCESS' },
          { containerName: 'db', condition: 'HEALTHY' },
        ],
      },
    ]);
    const ok = await stopped(await run(td));
    expect(ok.containers.find((c) => c.name === 'app')).toMatchObject({ exitCode: 0 });
    expect(ok.stopCode).toBe('EssentialContainerExited');

    const completed = await register('deps-complete', [
      { name: 'init', image: 'i', essential: false, command: ['sh', '-c', 'exit 1'] },
      {
        name: 'app',
        image: 'i',
        command: ['true'],
        dependsOn: [{ containerName: 'init', condition: 'COMPLETE' }],
      },
    ]);
    const ran = await stopped(await run(completed));
    expect(ran.containers.find((c) => c.name === 'app')).toMatchObject({ exitCode: 0 });

    const failing = await register('deps-fail', [
      { name: 'init', image: 'i', essential: false, command: ['sh', '-c', 'exit 1'] },
      {
        name: 'app',
        image: 'i',
        command: ['true'],
        dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }],
      },
    ]);
    const failed = await stopped(await run(failing));
    expect(failed.stopCode).toBe('TaskFailedToStart');
    expect(failed.containers.find((c) => c.name === 'app')!.exitCode).toBeUndefined();
    expect(failed.containers.find((c) => c.name === 'init')!.exitCode).toBe(1);
  });

  it.each([
    {
      name: 'an executable that does not exist',
      container: { name: 'm', image: 'i', command: ['/nonexistent/podflow-binary'] },
      reason: /^CannotStartContainerError: .*executable file not found/,
    },
    {
      name: 'a container without command or entryPoint (no image to take them from)',
      container: { name: 'm', image: 'i' },
      reason: /^CannotStartContainerError: /,
    },
    {
      name: 'an awslogs group that does not exist',
      container: { name: 'm', image: 'i', command: ['true'], logConfiguration: awslogs('/missing') },
      reason: /^ResourceInitializationError: .*log group does not exist/,
    },
  ])(
    'a task whose essential container cannot start stops with TaskFailedToStart: $name',
    async ({ container, reason }) => {
      const td = await register('nostart', [container as ContainerDefinition]);
      const last = await stopped(await run(td));
      expect(last.stopCode).toBe('TaskFailedToStart');
      expect(last.containers[0]!.reason).toMatch(reason);
    },
  );

  it('awslogs-create-group creates the group on first use', async () => {
    const td = await register('mkgroup', [
      { name: 'm', image: 'i', command: ['echo', 'hi'], logConfiguration: awslogs('/podflow/new', true) },
    ]);
    const taskArn = await run(td);
    await stopped(taskArn);
    await eventually(() => logs.messages('/podflow/new', `pods/m/${taskArn.split('/').pop()}`)[0] === 'hi');
  });
  it('containerOverrides command replaces the command; entryPoint stays in front of it', async () => {
    const td = await register('entry', [
      {
        name: 'm',
        image: 'i',
        entryPoint: ['sh', '-c'],
        command: ['echo from the definition'],
        logConfiguration: awslogs('/podflow/containers'),
      },
    ]);
    const taskArn = await run(td, {
      overrides: { containerOverrides: [{ name: 'm', command: ['echo "from the override: $0"'] }] },
    });
    await stopped(taskArn);
    await eventually(() => logs.messages('/podflow/containers', `pods/m/${taskArn.split('/').pop()}`)[0]);
    expect(logs.messages('/podflow/containers', `pods/m/${taskArn.split('/').pop()}`)).toEqual([
      'from the override: sh',
    ]);
  });

  it('an EventBridge rule on ECS Task State Change events delivers the STOPPED ones of a cluster to its Lambda target', async () => {
    const sink = 'arn:aws:lambda:us-east-1:123456789012:function:task-events';
    bus.putRule({
      Name: 'stopped-tasks',
      EventPattern: JSON.stringify({
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: ['arn:aws:ecs:us-east-1:123456789012:cluster/default'],
          lastStatus: ['STOPPED'],
        },
      }),
    });
    bus.putTargets('stopped-tasks', undefined, [{ Id: 'sink', Arn: sink }]);
    const td = await register('evented', [{ name: 'm', image: 'i', command: ['sh', '-c', 'exit 7'] }]);
    const taskArn = await run(td, { startedBy: 'podflow/pod-uid' });
    const delivered = await eventually(() => ruleDeliveries.find((d) => d.event.resources[0] === taskArn));
    expect(delivered.arn).toBe(sink);
    expect(delivered.event).toMatchObject({
      source: 'aws.ecs',
      'detail-type': 'ECS Task State Change',
      account: '123456789012',
      region: 'us-east-1',
      detail: {
        lastStatus: 'STOPPED',
        startedBy: 'podflow/pod-uid',
        containers: [{ name: 'm', exitCode: 7 }],
      },
    });
    // Only the STOPPED event of that task matched.
    expect(ruleDeliveries.filter((d) => d.event.resources[0] === taskArn)).toHaveLength(1);
  });
  it("awslogs keeps stdout's and stderr's lines whole, however their writes interleave", async () => {
    // Each stream writes half a line, then (in later writes) the rest of it.
    const script = 'printf out-; printf err- >&2; sleep 0.1; echo line; sleep 0.1; echo line >&2';
    const td = await register('streams', [
      {
        name: 'm',
        image: 'i',
        command: ['sh', '-c', script],
        logConfiguration: awslogs('/podflow/containers'),
      },
    ]);
    const taskArn = await run(td);
    await stopped(taskArn);
    const stream = `pods/m/${taskArn.split('/').pop()}`;
    const messages = await eventually(() => {
      const m = logs.messages('/podflow/containers', stream);
      return m.length === 2 ? m : undefined;
    });
    expect([...messages].sort()).toEqual(['err-line', 'out-line']);
  });

  it('a stopped container has all its output in CloudWatch Logs when the STOPPED event comes; a child it left behind is killed with it', async () => {
    const td = await register('complete', [
      {
        name: 'm',
        image: 'i',
        command: ['sh', '-c', 'sleep 300 & seq 1 30000; echo last'],
        logConfiguration: awslogs('/podflow/containers'),
      },
    ]);
    const t0 = Date.now();
    const taskArn = await run(td);
    await stopped(taskArn);
    expect(Date.now() - t0).toBeLessThan(60_000); // not held open by the background sleep's copy of stdout
    const messages = logs.messages('/podflow/containers', `pods/m/${taskArn.split('/').pop()}`);
    expect(messages).toHaveLength(30_001);
    expect(messages.at(-1)).toBe('last');
  });

  it('a container over its memory hard limit is killed: exit 137, OutOfMemoryError; the task stops', async () => {
    const td = await register('oom', [
      {
        name: 'm',
        image: 'i',
        memory: 64,
        command: ['python3', '-c', 'b = bytearray(200*1024*1024); import time; time.sleep(10)'],
      },
    ]);
    const t0 = Date.now();
    const taskArn = await run(td);
    const detail = await stopped(taskArn);
    expect(Date.now() - t0).toBeLessThan(9_000); // killed, not ended by its own sleep
    expect(detail.containers[0]).toMatchObject({
      exitCode: 137,
      reason: 'OutOfMemoryError: Container killed due to memory usage',
    });
    expect(detail.stoppedReason).toBe('Essential container in task exited');
  });

  it('awslogs splits a line longer than one log event and sends a large output in batches CloudWatch accepts', async () => {
    const td = await register('chatty', [
      {
        name: 'm',
        image: 'i',
        command: ['sh', '-c', "head -c 300000 /dev/zero | tr '\\0' x; echo; seq 1 20000"],
        logConfiguration: awslogs('/podflow/containers'),
      },
    ]);
    const taskArn = await run(td);
    await stopped(taskArn);
    const messages = await eventually(() => {
      const m = logs.messages('/podflow/containers', `pods/m/${taskArn.split('/').pop()}`);
      return m.length === 20_002 ? m : undefined;
    });
    expect(messages.slice(0, 2).map((m) => m.length)).toEqual([262_118, 300_000 - 262_118]);
    expect(messages.at(-1)).toBe('20000');
  });
});
