// The cloud resources of PodflowStack (docs/architecture.md §10): each construct's resources and the IAM its bind…()
// calls grant.
import { Stack, type CfnResource } from 'aws-cdk-lib';
import { SWEEP_EVENT as LAMBDA_SWEEP_EVENT } from '../../lambdas/worker-recovery.ts';
import { SWEEP_EVENT } from '../../infra/pod-worker-state-machine.ts';
import { requiredEnv } from './wiring-env.ts';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER } from '../../infra/podflow-functions.ts';
import type { PodflowStack } from '../../infra/podflow-stack.ts';
import { createTestApp } from './podflow-test-app.ts';

let stack: PodflowStack;
let template: Template;
const ref = (construct: IConstruct) => ({
  Ref: Stack.of(construct).resolve((construct as CfnFunction).logicalId),
});
const arnOf = (construct: IConstruct) => ({
  'Fn::GetAtt': [Stack.of(construct).resolve((construct as CfnFunction).logicalId), 'Arn'],
});
/** The statements of the default policy attached to `fn`'s role. */
const roleOf = (fn: { role?: { node: { defaultChild?: IConstruct } } }) => ref(fn.role!.node.defaultChild!);

beforeAll(() => {
  stack = createTestApp().stack;
  template = Template.fromStack(stack);
});

describe('PodTable', () => {
  it('is a PK/SK table billed per request, with PITR, TTL on expiresAt and the sweep index (keys only)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'PK', AttributeType: 'S' },
        { AttributeName: 'SK', AttributeType: 'S' },
        { AttributeName: 'sweepAt', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'sweep',
          KeySchema: [{ AttributeName: 'sweepAt', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('is retained when it leaves the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it.each(['lifecycle', 'wakeup'] as const)(
    'is readable and writable by %s, which finds it in TABLE_NAME',
    (name) => {
      const fn = stack.functions[name];
      const table = stack.table.table.node.defaultChild!;
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Role: arnOf(fn.role!.node.defaultChild!),
        Environment: { Variables: Match.objectLike({ TABLE_NAME: ref(table) }) },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [roleOf(fn)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              // arrayWith keeps order: CDK's grantReadWriteData order.
              Action: Match.arrayWith([
                'dynamodb:Query',
                'dynamodb:GetItem',
                'dynamodb:ConditionCheckItem',
                'dynamodb:PutItem',
                'dynamodb:UpdateItem',
                'dynamodb:DeleteItem',
              ]),
              Resource: arnOf(table),
            }),
          ]),
        },
      });
    },
  );
});

describe('PodTable index', () => {
  it('only the worker recovery function reads an index: Scan of the sweep index', () => {
    const onIndexes: Array<{ roles: unknown; action: unknown; resource: unknown }> = [];
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      const { Roles, PolicyDocument } = policy.Properties as {
        Roles: unknown;
        PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> };
      };
      for (const s of PolicyDocument.Statement)
        if (JSON.stringify(s.Resource).includes('/index/'))
          onIndexes.push({ roles: Roles, action: s.Action, resource: s.Resource });
    }
    const table = stack.table.table.node.defaultChild!;
    expect(onIndexes).toEqual([
      {
        roles: [roleOf(stack.podWorker.recovery)],
        action: 'dynamodb:Scan',
        resource: { 'Fn::Join': ['', [arnOf(table), '/index/sweep']] },
      },
    ]);
  });
});

describe('PodflowFunctions', () => {
  it.each([
    { name: 'lifecycle', timeout: 60 },
    { name: 'wakeup', timeout: 900 },
  ] as const)('$name: nodejs22.x on arm64, 512 MB, $timeout s', ({ name, timeout }) => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: arnOf(stack.functions[name].role!.node.defaultChild!),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: timeout,
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: Match.anyValue() },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });

  it('keeps function logs for a month, in log groups the functions alone may write', () => {
    // lifecycle, wakeup, hook, api, authorizer, prober, observer, recovery and controllers functions, the state
    // machine, the API's access log, the pods.
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 12);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [roleOf(stack.functions.lifecycle)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow' }),
        ]),
      },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain(
      'AWSLambdaBasicExecutionRole',
    );
  });
});

describe('PodWorkerStateMachine', () => {
  it('is a named STANDARD state machine logging errors', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'Podflow-pod-worker',
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: false }),
    });
  });

  it('invokes the lifecycle function (and nothing else) from its role', () => {
    const role = stack.podWorker.stateMachine.role.node.defaultChild!;
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(role)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: [
              arnOf(stack.functions.lifecycle.node.defaultChild!),
              { 'Fn::Join': ['', [arnOf(stack.functions.lifecycle.node.defaultChild!), ':*']] },
            ],
          }),
        ]),
      },
    });
  });

  const stateMachineArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':states:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':stateMachine:Podflow-pod-worker',
      ],
    ],
  };

  it('lets lifecycle start executions (continue-as-new) and tells it the ARN in STATE_MACHINE_ARN', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: arnOf(stack.functions.lifecycle.role!.node.defaultChild!),
      Environment: { Variables: Match.objectLike({ STATE_MACHINE_ARN: stateMachineArn }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [roleOf(stack.functions.lifecycle)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'states:StartExecution', Resource: stateMachineArn }),
        ]),
      },
    });
  });

  it.each(['lifecycle', 'wakeup'] as const)(
    'lets %s complete await task tokens (SendTaskSuccess)',
    (name) => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [roleOf(stack.functions[name])],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
              Resource: stateMachineArn,
            }),
          ]),
        },
      });
    },
  );

  it('gives wakeup what cloudDelivery() and controllersInvoker() (lambdas/wiring.ts) require: the table, the state machine and the controllers function, nothing else', () => {
    expect(requiredEnv('cloudDelivery')).toEqual(['STATE_MACHINE_ARN', 'TABLE_NAME']);
    expect(requiredEnv('controllersInvoker')).toEqual(['CONTROLLERS_FUNCTION_ARN']);
    const required = [...requiredEnv('cloudDelivery'), ...requiredEnv('controllersInvoker')].sort();
    const fn =
      template.toJSON().Resources[
        stack.resolve((stack.functions.wakeup.node.defaultChild as CfnFunction).logicalId)
      ];
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(
      ['NODE_OPTIONS', ...required].sort(),
    );
  });

  it('sends its FAILED, TIMED_OUT and ABORTED executions (and no others) to the worker recovery function', () => {
    const recovery = stack.podWorker.recovery;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [stack.resolve(stack.podWorker.stateMachineArn)],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: arnOf(recovery.node.defaultChild!),
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 21600 },
        }),
      ],
    });
    // What cloudRecovery() reads, and the grants to read the pod, start its next worker and wake a worker waiting for
    // a timer the sweep delivers.
    const fn =
      template.toJSON().Resources[stack.resolve((recovery.node.defaultChild as CfnFunction).logicalId)];
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
      'NODE_OPTIONS',
      ...requiredEnv('cloudRecovery'),
    ]);
    expect(requiredEnv('cloudRecovery')).toEqual(['STATE_MACHINE_ARN', 'TABLE_NAME']);
    const policies = JSON.stringify(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [roleOf(recovery)] } }),
    );
    expect(policies).toContain('states:StartExecution');
    expect(policies).toContain('states:SendTaskSuccess');
    expect(policies).toContain('dynamodb:GetItem');
    expect(policies).toContain('dynamodb:UpdateItem');
    expect(policies).not.toContain('ecs:');
  });

  it('sweeps for pods without a first worker every 5 minutes, with the event the function reads', () => {
    expect(SWEEP_EVENT).toEqual(LAMBDA_SWEEP_EVENT);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: arnOf(stack.podWorker.recovery.node.defaultChild!),
          Input: JSON.stringify(LAMBDA_SWEEP_EVENT),
        }),
      ],
    });
  });

  it('runs hooks in the hook function: lifecycle may invoke it, and it gets what cloudHooks() requires', () => {
    const hook = stack.functions.hook;
    const fn = template.toJSON().Resources[stack.resolve((hook.node.defaultChild as CfnFunction).logicalId)];
    expect(fn.Properties.Timeout).toBe(900);
    expect(fn.Properties.VpcConfig).toBeDefined();
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
      'NODE_OPTIONS',
      ...requiredEnv('cloudHooks'),
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [roleOf(stack.functions.lifecycle)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: arnOf(hook.node.defaultChild!),
          }),
        ]),
      },
    });
    for (const f of [stack.functions.lifecycle, stack.api.handler]) {
      const r = template.toJSON().Resources[stack.resolve((f.node.defaultChild as CfnFunction).logicalId)];
      expect(r.Properties.Environment.Variables.HOOK_FUNCTION_ARN).toEqual(arnOf(hook.node.defaultChild!));
    }
  });

  it('does not let wakeup start executions', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [roleOf(stack.functions.wakeup)] },
    });
    expect(JSON.stringify(policies)).not.toContain('states:StartExecution');
  });
});

describe('RestartScheduler', () => {
  it('creates the podflow-timers schedule group', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'podflow-timers' });
  });

  it('has a role only EventBridge Scheduler of this account may assume', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  it('lets that role invoke the wakeup and controllers functions, unqualified, and send what it cannot deliver to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack.scheduler.invokeRole.node.defaultChild!)],
      PolicyDocument: {
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: arnOf(stack.functions.wakeup.node.defaultChild!),
          },
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Effect: 'Allow',
            Resource: arnOf(stack.scheduler.deadLetterQueue.node.defaultChild!),
          }),
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: stack.resolve(stack.controllers.functionArn),
          },
        ],
      },
    });
  });

  it('a wake-up that cannot be delivered goes to an encrypted dead-letter queue with an alarm, from Scheduler and from Lambda', () => {
    const queue = stack.scheduler.deadLetterQueue.node.defaultChild!;
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    // The wakeup function's asynchronous invocations (the direct path): two retries, then the queue.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(stack.functions.wakeup.node.defaultChild!),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(queue) } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [stack.resolve((queue as CfnResource).logicalId), 'QueueName'] },
        },
      ],
    });
    // Schedules name it as their DeadLetterConfig (adapters/eventbridge: TIMERS_DLQ_ARN).
    const lifecycle =
      template.toJSON().Resources[
        stack.resolve((stack.functions.lifecycle.node.defaultChild as CfnFunction).logicalId)
      ];
    expect(lifecycle.Properties.Environment.Variables.TIMERS_DLQ_ARN).toEqual(arnOf(queue));
  });

  it('lets lifecycle manage schedules of the group, pass the role to Scheduler and invoke wakeup directly', () => {
    const scheduleArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':scheduler:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':schedule/podflow-timers/*',
        ],
      ],
    };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [roleOf(stack.functions.lifecycle)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
            Effect: 'Allow',
            Resource: scheduleArn,
          },
          {
            Action: 'iam:PassRole',
            Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
            Effect: 'Allow',
            Resource: arnOf(stack.scheduler.invokeRole.node.defaultChild!),
          },
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: arnOf(stack.functions.wakeup.node.defaultChild!),
          },
        ]),
      },
    });
  });

  it('tells lifecycle the group, the role and the target', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: arnOf(stack.functions.lifecycle.role!.node.defaultChild!),
      Environment: {
        Variables: Match.objectLike({
          SCHEDULE_GROUP: 'podflow-timers',
          SCHEDULER_ROLE_ARN: arnOf(stack.scheduler.invokeRole.node.defaultChild!),
          WAKEUP_FUNCTION_ARN: arnOf(stack.functions.wakeup.node.defaultChild!),
        }),
      },
    });
  });
});

describe('Controllers', () => {
  const fnOf = () =>
    template.toJSON().Resources[
      stack.resolve((stack.controllers.handler.node.defaultChild as CfnFunction).logicalId)
    ] as { Properties: { ReservedConcurrentExecutions?: number; Environment: { Variables: object } } };

  it('runs one invocation at a time (reserved concurrency 1), named so that its CronJob schedules can target it', () => {
    expect(fnOf().Properties.ReservedConcurrentExecutions).toBe(1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${stack.stackName}-controllers`,
      ReservedConcurrentExecutions: 1,
    });
  });

  it('gets every environment variable cloudControllers() (lambdas/wiring.ts) requires', () => {
    const required = requiredEnv('cloudControllers');
    expect(required).toEqual(
      expect.arrayContaining(['CONTROLLERS_FUNCTION_ARN', 'SCHEDULE_GROUP', 'TABLE_NAME']),
    );
    expect(Object.keys(fnOf().Properties.Environment.Variables)).toEqual(expect.arrayContaining(required));
  });

  it('starts workers, completes their tokens, and keeps schedules in the timers’ group with the invoke role', () => {
    const policies = JSON.stringify(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [roleOf(stack.controllers.handler)] },
      }),
    );
    for (const action of [
      'states:StartExecution',
      'states:SendTaskSuccess',
      'scheduler:CreateSchedule',
      'scheduler:UpdateSchedule',
      'scheduler:DeleteSchedule',
      'iam:PassRole',
      'dynamodb:Query',
      'dynamodb:PutItem',
    ])
      expect(policies, action).toContain(action);
  });

  it('sweeps every 5 minutes with the event lambdas/controllers.ts takes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: arnOf(stack.controllers.handler.node.defaultChild!),
          Input: JSON.stringify({ sweep: true }),
        }),
      ],
    });
  });

  it.each(['api', 'lifecycle', 'wakeup'] as const)('lets the %s function ask it for a sync', (name) => {
    const fn = name === 'api' ? stack.api.handler : stack.functions[name];
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [roleOf(fn)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: stack.resolve(stack.controllers.functionArn),
          },
        ]),
      },
    });
  });
});

describe('outputs', () => {
  it('exports the table name and the state machine ARN', () => {
    template.hasOutput('TableName', { Value: ref(stack.table.table.node.defaultChild!) });
    template.hasOutput('StateMachineArn', { Value: ref(stack.podWorker.stateMachine.node.defaultChild!) });
  });
});

describe('Lambda bundles (real esbuild)', () => {
  let outdir: string;
  let bundled: PodflowStack;
  let bundledTemplate: Template;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'podflow-cdk-'));
    const created = createTestApp({ bundling: true, outdir });
    bundled = created.stack;
    bundledTemplate = Template.fromStack(bundled); // synthesizes into outdir, running esbuild
    // esbuild bundles every Lambda of the stack here: about 10 s on an idle 2-core machine.
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it.each(['lifecycle', 'wakeup'] as const)(
    '%s is one ESM file that starts with the createRequire banner',
    (name) => {
      const logicalId = Stack.of(bundled).resolve(
        (bundled.functions[name].node.defaultChild as CfnFunction).logicalId,
      );
      const { Code } = bundledTemplate.toJSON().Resources[logicalId].Properties as {
        Code: { S3Key: string };
      };
      const assetDir = join(outdir, `asset.${Code.S3Key.replace(/\.zip$/, '')}`);
      const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // The AWS SDK stays external (the runtime provides it): it appears only as import specifiers.
      for (const [, before] of code.matchAll(/(.{4})"@aws-sdk\//g)) expect(before).toBe('from');
      expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    },
  );
});
