// The harness runs what the template says, not a copy of the wiring: a variant of PodflowStack synthesized with three
// changes made in the CDK app — and nothing else edited — behaves differently in the harness.
//
//  1. The wakeup function gets the environment cloudEngine() reads (STATE_MACHINE_ARN, SCHEDULE_GROUP,
//     SCHEDULER_ROLE_ARN, WAKEUP_FUNCTION_ARN; PodflowStack binds only TABLE_NAME to it). As deployed, its cold
//     start fails and a crash back-off timer is never delivered (deployed-composition.test.ts); with the variables,
//     the timer arrives — by the direct path and through Scheduler — and the container is started again.
//  2. The prober supervisor rule's schedule (an escape-hatch override of AWS::Events::Rule ScheduleExpression):
//     rate(1 minute) as deployed, rate(5 minutes) here — the supervisor fires later on the emulator clock.
//  3. An ECS cluster and a Fargate task definition (what a container runtime on ECS will add): the harness registers
//     them, and the task runs as local processes logging to the template's log group.
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CoreV1Api } from '@kubernetes/client-node';
import { DescribeTaskDefinitionCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { CfnCluster, ContainerImage, FargateTaskDefinition, LogDrivers } from 'aws-cdk-lib/aws-ecs';
import type { CfnRule } from 'aws-cdk-lib/aws-events';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_MACHINE_ARN_ENV } from '../../infra/pod-worker-state-machine.ts';
import {
  SCHEDULE_GROUP_ENV,
  SCHEDULER_ROLE_ARN_ENV,
  WAKEUP_FUNCTION_ARN_ENV,
} from '../../infra/restart-scheduler.ts';
import { cloudTarget, startEmulatorHarness, type CloudHarness } from './harness.ts';
import { eventually } from './support/sdk-config.ts';

let h: CloudHarness;
let api: CoreV1Api;

// Variants are synthesized here and run on the emulators only; deploying a variant is not this test's business.
const onEmulators = cloudTarget() === 'emulators';

beforeAll(async () => {
  if (!onEmulators) return;
  h = await startEmulatorHarness({
    synthOptions: {
      customize: (stack) => {
        const { wakeup } = stack.functions;
        wakeup.addEnvironment(STATE_MACHINE_ARN_ENV, stack.podWorker.stateMachineArn);
        wakeup.addEnvironment(SCHEDULE_GROUP_ENV, stack.scheduler.groupName);
        wakeup.addEnvironment(SCHEDULER_ROLE_ARN_ENV, stack.scheduler.invokeRole.roleArn);
        wakeup.addEnvironment(WAKEUP_FUNCTION_ARN_ENV, wakeup.functionArn);
        (stack.prober.supervisor.node.defaultChild as CfnRule).scheduleExpression = 'rate(5 minutes)';
        // What a container runtime on ECS will add: a cluster and a Fargate task definition logging to a log group.
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
  api = h.kubeConfig.makeApiClient(CoreV1Api);
}, 60_000);

afterAll(async () => {
  await h?.close();
}, 30_000);

const wakeups = () => h.emulators!.lambda.invocations.filter((i) => i.function.includes('Wakeup'));

describe.skipIf(!onEmulators)('a variant of the stack, changed only in the CDK app', () => {
  it('the wakeup function starts with the environment the variant gives it, and the back-off timer restarts the container', async () => {
    const fn = h.emulators!.lambda.functions.find((f) => f.name.includes('Wakeup'))!;
    expect(fn.environment[STATE_MACHINE_ARN_ENV]).toBe(h.outputs.StateMachineArn);
    await api.createNamespacedPod({
      namespace: 'default',
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'crashy' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'app', image: 'busybox', command: ['true'] }],
        },
      },
    });
    // Instance 1 starts at once, instance 2 after the first back-off (10 s): only a delivered timer can start it.
    const pod = await eventually(
      async () => {
        const p = await api.readNamespacedPod({ name: 'crashy', namespace: 'default' });
        return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? p : undefined;
      },
      40_000,
      250,
    );
    expect(pod.status!.containerStatuses![0]!.state!.waiting?.reason).toMatch(
      /RunContainerError|ContainerCreating/,
    );
    expect(wakeups()[0]).toMatchObject({ type: 'Event', outcome: 'ok', event: { timerId: 'restart/app/2' } });
  }, 60_000);

  it('a timer scheduled through EventBridge Scheduler reaches the wakeup function when its minute comes', async () => {
    // A timerDue due now (the function delivers it at once instead of sleeping out a back-off); reconcile drops it,
    // as it is not the pod's pending timer — what matters here is that the function runs and delivers.
    const timer = { id: 'restart/app/99', at: Date.now() };
    const scheduler = new SchedulerClient(h.clientConfig('scheduler'));
    const clock = h.emulators!.clock;
    const minute = Math.ceil(clock.now() / 60_000) * 60_000 + 60_000;
    const wakeupArn = h.emulators!.lambda.functions.find((f) => f.name.includes('Wakeup'))!.arn;
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'harness-timer',
        GroupName: 'podflow-timers',
        ScheduleExpression: `at(${new Date(minute).toISOString().slice(0, 19)})`,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: wakeupArn,
          RoleArn: 'arn:aws:iam::123456789012:role/scheduler',
          Input: JSON.stringify({ namespace: 'default', name: 'crashy', timerId: timer.id, dueAt: timer.at }),
        },
      }),
    );
    scheduler.destroy();
    const before = wakeups().length;
    clock.advance(minute - clock.now());
    const fired = await eventually(
      () =>
        wakeups()
          .slice(before)
          .find((w) => (w.event as { timerId?: string }).timerId === timer.id && w.type === 'Event'),
      30_000,
      100,
    );
    expect(fired.outcome).toBe('ok');
    expect(h.emulators!.scheduler.firings.map((f) => f.name)).toContain('harness-timer');
  }, 60_000);

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
    // The lifecycle function has no ECS grants in this stack: a runtime wired into it would be refused until the
    // stack grants ecs:RunTask (and iam:PassRole on the task's roles).
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
    const rule = h.emulators!.resolver.resources('AWS::Events::Rule')[0]![1];
    expect(rule.Properties!.ScheduleExpression).toBe('rate(5 minutes)');
    // The previous test moved the clock a minute or two; the first firing is five minutes after the harness started.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(supervised()).toEqual([]);
    clock.advance(5 * 60_000);
    await eventually(() => supervised().length >= 1, 15_000, 100);
  }, 30_000);
});
