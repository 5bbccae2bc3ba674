// The FargateRuntime construct and its place in PodflowStack (docs/decisions/0006-fargate-runtime.md): the event rule
// and the reconcile schedule, the IAM of what each function calls of the runtime (RunTask held to the cluster and the
// podflow-* families, PassRole to the two task roles), log retention, the network and the environment
// lambdas/wiring.ts reads.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FARGATE_ENV, InvalidFargateRuntimePropsError } from '../../infra/fargate-runtime.ts';
import { ESM_REQUIRE_BANNER } from '../../infra/podflow-functions.ts';
import { PodflowStack, type PodflowStackProps } from '../../infra/podflow-stack.ts';
import { bundledHandler, createTestApp } from './podflow-test-app.ts';

let stack: PodflowStack;
let template: Template;

const logicalId = (c: IConstruct): string => Stack.of(c).resolve((c as CfnFunction).logicalId) as string;
const ref = (c: IConstruct) => ({ Ref: logicalId(c) });
const getAtt = (c: IConstruct, attribute: string) => ({ 'Fn::GetAtt': [logicalId(c), attribute] });
const cluster = () => stack.runtime.cluster.node.defaultChild!;
const clusterArn = () => getAtt(cluster(), 'Arn');
const onCluster = () => ({ ArnEquals: { 'ecs:cluster': clusterArn() } });

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
function statementsOf(t: Template, fn: { role?: { node: { defaultChild?: IConstruct } } }): Statement[] {
  return roleStatements(t, fn.role!);
}
function roleStatements(t: Template, role: { node: { defaultChild?: IConstruct } }): Statement[] {
  return Object.values(
    t.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(role.node.defaultChild!)] } }),
  ).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}
const actions = (statements: Statement[]): string[] => statements.flatMap((s) => [s.Action].flat()).sort();
const ecsActions = (statements: Statement[]) => actions(statements).filter((a) => a.startsWith('ecs:'));

function environmentOf(t: Template, fn: IConstruct): Record<string, unknown> {
  return (
    t.findResources('AWS::Lambda::Function')[logicalId(fn)] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }
  ).Properties.Environment.Variables;
}

function synth(props: PodflowStackProps): { stack: PodflowStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const s = new PodflowStack(app, 'Podflow', props);
  return { stack: s, template: Template.fromStack(s) };
}

beforeAll(() => {
  stack = createTestApp().stack;
  template = Template.fromStack(stack);
});

describe('observer wiring', () => {
  it('an EventBridge rule sends the task state changes of this cluster, and nothing else, to the observer', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: [clusterArn()] },
      },
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: getAtt(stack.runtime.observer.node.defaultChild!, 'Arn'),
          RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 10 },
        }),
      ],
    });
  });

  it('a schedule runs the reconcile every 5 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: getAtt(stack.runtime.observer.node.defaultChild!, 'Arn'),
          Input: JSON.stringify({ reconcile: true }),
        }),
      ],
    });
  });

  it('the observer reads the table, completes task tokens, reads and stops tasks of the cluster', () => {
    const statements = statementsOf(template, stack.runtime.observer);
    expect(ecsActions(statements)).toEqual(['ecs:DescribeTasks', 'ecs:ListTasks', 'ecs:StopTask']);
    expect(actions(statements)).toEqual(
      expect.arrayContaining(['states:SendTaskSuccess', 'dynamodb:UpdateItem']),
    );
    for (const s of statements.filter((x) => [x.Action].flat()[0]!.startsWith('ecs:')))
      expect(s.Condition).toEqual(onCluster());
    expect(environmentOf(template, stack.runtime.observer.node.defaultChild!)).toMatchObject({
      TABLE_NAME: ref(stack.table.table.node.defaultChild!),
      [FARGATE_ENV.cluster]: clusterArn(),
    });
  });
});

describe('runtime IAM (bindRuntime on lifecycle)', () => {
  const lifecycle = () => statementsOf(template, stack.functions.lifecycle);

  it('RunTask: only the podflow-* task-definition families, only on the pod cluster', () => {
    expect(lifecycle()).toContainEqual({
      Action: 'ecs:RunTask',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ecs:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':task-definition/podflow-*',
          ],
        ],
      },
      Condition: onCluster(),
    });
  });

  it('PassRole: the execution and task roles only, to ECS tasks only', () => {
    expect(lifecycle()).toContainEqual({
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Resource: [
        getAtt(stack.runtime.executionRole.node.defaultChild!, 'Arn'),
        getAtt(stack.runtime.taskRole.node.defaultChild!, 'Arn'),
      ],
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
  });

  it('stops and reads tasks of the cluster; tags tasks only as RunTask creates them; manages task definitions', () => {
    const taskArns = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ecs:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':task/',
          ref(cluster()),
          '/*',
        ],
      ],
    };
    expect(lifecycle()).toContainEqual({
      Action: 'ecs:StopTask',
      Effect: 'Allow',
      Resource: taskArns,
      Condition: onCluster(),
    });
    expect(lifecycle()).toContainEqual({
      Action: 'ecs:DescribeTasks',
      Effect: 'Allow',
      Resource: taskArns,
      Condition: onCluster(),
    });
    expect(lifecycle()).toContainEqual({
      Action: 'ecs:TagResource',
      Effect: 'Allow',
      Resource: taskArns,
      Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    });
    expect(ecsActions(lifecycle())).toEqual([
      'ecs:DeregisterTaskDefinition',
      'ecs:DescribeTaskDefinition',
      'ecs:DescribeTasks',
      'ecs:ListTasks',
      'ecs:RegisterTaskDefinition',
      'ecs:RunTask',
      'ecs:StopTask',
      'ecs:TagResource',
    ]);
  });

  it('the api reads logs and tasks but runs and stops nothing; wakeup and the prober get no ECS grant', () => {
    expect(ecsActions(statementsOf(template, stack.api.handler))).toEqual([
      'ecs:DescribeTasks',
      'ecs:ListTasks',
    ]);
    expect(actions(statementsOf(template, stack.api.handler))).toContain('logs:GetLogEvents');
    expect(ecsActions(statementsOf(template, stack.functions.wakeup))).toEqual([]);
    expect(ecsActions(statementsOf(template, stack.prober.handler))).toEqual([]);
  });
});

describe('roles, logs and network', () => {
  it('container logs: one group, kept a month; the execution role writes it, pulls from ECR, reads podflow/ secrets', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const exec = roleStatements(template, stack.runtime.executionRole);
    expect(actions(exec)).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetAuthorizationToken',
      'ecr:GetDownloadUrlForLayer',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('the task roles may be assumed by ECS tasks of this account only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ],
      },
    });
  });

  it('a VPC of two AZs with one NAT gateway and free gateway endpoints for DynamoDB and S3', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' }, 2);
  });

  it('tasks admit the functions’ group on every TCP port (probes and hooks) and each other', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
      GroupId: getAtt(stack.runtime.taskSecurityGroup.node.defaultChild!, 'GroupId'),
      SourceSecurityGroupId: getAtt(stack.runtime.functionSecurityGroup.node.defaultChild!, 'GroupId'),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: '-1',
      GroupId: getAtt(stack.runtime.taskSecurityGroup.node.defaultChild!, 'GroupId'),
      SourceSecurityGroupId: getAtt(stack.runtime.taskSecurityGroup.node.defaultChild!, 'GroupId'),
    });
  });

  it('lifecycle and the prober run in the private subnets with the functions’ group; the api and observer do not', () => {
    const vpcConfig = {
      SecurityGroupIds: [getAtt(stack.runtime.functionSecurityGroup.node.defaultChild!, 'GroupId')],
      SubnetIds: stack.runtime.vpc.privateSubnets.map((s) => ref(s.node.defaultChild!)),
    };
    const fns = template.findResources('AWS::Lambda::Function');
    const config = (fn: IConstruct) =>
      (fns[logicalId(fn)] as { Properties: { VpcConfig?: unknown } }).Properties.VpcConfig;
    expect(config(stack.functions.lifecycle.node.defaultChild!)).toEqual(vpcConfig);
    expect(config(stack.prober.handler.node.defaultChild!)).toEqual(vpcConfig);
    expect(config(stack.api.handler.node.defaultChild!)).toBeUndefined();
    expect(config(stack.runtime.observer.node.defaultChild!)).toBeUndefined();
  });
});

describe('environment', () => {
  it('every FARGATE_* variable lambdas/wiring.ts reads is bound to the functions that build the runtime', () => {
    const wiring = readFileSync(new URL('../../lambdas/wiring.ts', import.meta.url), 'utf8');
    const read = new Set(
      [...wiring.matchAll(/\b(?:env|list)\('(FARGATE_[A-Z_]+)'\)|process\.env\.(FARGATE_[A-Z_]+)/g)].map(
        (m) => (m[1] ?? m[2])!,
      ),
    );
    expect([...read].sort()).toEqual(Object.values(FARGATE_ENV).sort());
    for (const fn of [stack.functions.lifecycle, stack.api.handler, stack.runtime.observer]) {
      expect(Object.keys(environmentOf(template, fn.node.defaultChild!))).toEqual(
        expect.arrayContaining(Object.values(FARGATE_ENV)),
      );
    }
    expect(environmentOf(template, stack.functions.lifecycle.node.defaultChild!)).toMatchObject({
      [FARGATE_ENV.subnets]: {
        'Fn::Join': [
          '',
          [
            ref(stack.runtime.vpc.privateSubnets[0]!.node.defaultChild!),
            ',',
            ref(stack.runtime.vpc.privateSubnets[1]!.node.defaultChild!),
          ],
        ],
      },
      [FARGATE_ENV.securityGroups]: getAtt(stack.runtime.taskSecurityGroup.node.defaultChild!, 'GroupId'),
      [FARGATE_ENV.assignPublicIp]: 'false',
      [FARGATE_ENV.execEnabled]: 'false',
      [FARGATE_ENV.cpuArchitecture]: 'X86_64',
      [FARGATE_ENV.pauseImage]: 'public.ecr.aws/eks-distro/kubernetes/pause:3.9',
    });
  });
});

describe('options', () => {
  it('an imported VPC: no VPC resource, tasks and functions in the given private subnets', () => {
    const imported = synth({
      network: {
        vpcId: 'vpc-0a1b2c3d',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-aaa', 'subnet-bbb'],
      },
    });
    imported.template.resourceCountIs('AWS::EC2::VPC', 0);
    expect(
      environmentOf(imported.template, imported.stack.functions.lifecycle.node.defaultChild!),
    ).toMatchObject({
      [FARGATE_ENV.subnets]: 'subnet-aaa,subnet-bbb',
    });
    imported.template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0a1b2c3d' });
  });

  it('public IPs need public subnets: an imported network without them is refused at synth', () => {
    expect(() =>
      synth({
        network: { vpcId: 'vpc-1', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-a'] },
        fargate: { assignPublicIp: true },
      }),
    ).toThrow(InvalidFargateRuntimePropsError);
  });

  it('no NAT gateway: interface endpoints for the AWS APIs instead', () => {
    const { template: t } = synth({ fargate: { natGateways: 0 } });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 8);
  });

  it('ECS Exec: the task role may open the Session Manager channels and the runtime says so', () => {
    const { stack: s, template: t } = synth({
      fargate: { enableExecuteCommand: true, cpuArchitecture: 'ARM64' },
    });
    expect(actions(roleStatements(t, s.runtime.taskRole))).toEqual([
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ]);
    expect(environmentOf(t, s.functions.lifecycle.node.defaultChild!)).toMatchObject({
      [FARGATE_ENV.execEnabled]: 'true',
      [FARGATE_ENV.cpuArchitecture]: 'ARM64',
    });
  });
});

describe('observer bundle (real esbuild)', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'podflow-cdk-observer-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is one ESM file with the createRequire banner, the AWS SDK left to the runtime', () => {
    const { stack: bundled } = createTestApp({ bundling: true, outdir });
    Template.fromStack(bundled);
    const { code } = bundledHandler(outdir, bundled.runtime.observer);
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    for (const [, before] of code.matchAll(/(.{4})"@aws-sdk\//g)) expect(before).toBe('from');
    // esbuild bundles every Lambda of the stack: about 10 s on an idle 2-core machine, 20+ s under load.
  }, 120_000);
});
