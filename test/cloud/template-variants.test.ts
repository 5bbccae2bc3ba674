// The harness runs what the template says, not a copy of the wiring: a variant of PodflowStack synthesized with two
// changes made in the CDK app — and nothing else edited — behaves differently in the harness.
//
//  1. The prober supervisor rule's schedule (an escape-hatch override of AWS::Events::Rule ScheduleExpression):
//     rate(1 minute) as deployed, rate(5 minutes) here — the supervisor fires later on the emulator clock.
//  2. A second ECS cluster and a Fargate task definition of the app's own: the harness registers them, and the task
//     runs as local processes logging to the template's log group; the stack's functions may not run it.
import { DescribeTaskDefinitionCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { CfnCluster, ContainerImage, FargateTaskDefinition, LogDrivers } from 'aws-cdk-lib/aws-ecs';
import type { CfnRule } from 'aws-cdk-lib/aws-events';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudTarget, startEmulatorHarness, type CloudHarness } from './harness.ts';
import { eventually } from './support/sdk-config.ts';

let h: CloudHarness;

// Variants are synthesized here and run on the emulators only; deploying a variant is not this test's business.
const onEmulators = cloudTarget() === 'emulators';

beforeAll(async () => {
  if (!onEmulators) return;
  h = await startEmulatorHarness({
    synthOptions: {
      customize: (stack) => {
        (stack.prober.supervisor.node.defaultChild as CfnRule).scheduleExpression = 'rate(5 minutes)';
        // A cluster and a Fargate task definition of the app's own, logging to a log group.
        new CfnCluster(stack, 'PodsCluster', { clusterName: 'podflow-pods' });
        const task = new FargateTaskDefinition(stack, 'PodTask', {
          family: 'podflow-pod',
          cpu: 256,
          memoryLimitMiB: 512,
        });
        task.addContainer('app', {
          image: ContainerImage.fromRegistry('busybox'),
          command: ['sh', '-c', 'echo "hello from the template"'],
          logging: LogDrivers.awsLogs({
            streamPrefix: 'pods',
            logGroup: new LogGroup(stack, 'PodLogs', { logGroupName: '/podflow/pods' }),
          }),
        });
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
}, 30_000);

describe.skipIf(!onEmulators)('a variant of the stack, changed only in the CDK app', () => {
  it('the template`s ECS cluster and task definition are registered, and the task runs, logging where the template says', async () => {
    const ecs = new ECSClient(h.clientConfig('ecs'));
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'podflow-pod' }),
    );
    expect(taskDefinition).toMatchObject({
      family: 'podflow-pod',
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [{ name: 'app', image: 'busybox', essential: true }],
    });
    expect(taskDefinition!.executionRoleArn).toMatch(/^arn:aws:iam::123456789012:role\//);
    const { tasks } = await ecs.send(
      new RunTaskCommand({
        cluster: 'podflow-pods',
        taskDefinition: 'podflow-pod',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0123'] } },
      }),
    );
    ecs.destroy();
    const taskId = tasks![0]!.taskArn!.split('/').pop()!;
    // The lifecycle function runs the pods' task definitions only: this one is refused.
    const lifecycle = h.emulators!.lambda.functions.find((f) => f.name.includes('Lifecycle'))!.environment;
    const asLifecycle = new ECSClient({
      ...h.clientConfig('ecs'),
      credentials: {
        accessKeyId: lifecycle.AWS_ACCESS_KEY_ID!,
        secretAccessKey: lifecycle.AWS_SECRET_ACCESS_KEY!,
      },
    });
    await expect(
      asLifecycle.send(
        new RunTaskCommand({
          cluster: 'podflow-pods',
          taskDefinition: 'podflow-pod',
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0123'] } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringMatching(/ecs:RunTask/) });
    asLifecycle.destroy();
    await eventually(
      () =>
        h.emulators!.logs.messages('/podflow/pods', `pods/app/${taskId}`)[0] === 'hello from the template',
    );
  });

  it('the prober supervisor follows the variant`s schedule: not after one minute, after five', async () => {
    const clock = h.emulators!.clock;
    const supervised = () =>
      h.emulators!.lambda.invocations.filter(
        (i) => (i.event as { supervise?: boolean } | null)?.supervise === true,
      );
    expect(supervised()).toEqual([]);
    const [, rule] = h
      .emulators!.resolver.resources('AWS::Events::Rule')
      .find(([id]) => id.startsWith('ProberSupervisor'))!;
    expect(rule.Properties!.ScheduleExpression).toBe('rate(5 minutes)');
    // The previous test moved the clock a minute or two; the first firing is five minutes after the harness started.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(supervised()).toEqual([]);
    clock.advance(5 * 60_000);
    await eventually(() => supervised().length >= 1, 15_000, 100);
  }, 30_000);
});
