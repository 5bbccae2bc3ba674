// FargateRuntime: where pods run in the cloud (docs/decisions/0006-fargate-runtime.md) — an ECS cluster for
// Fargate tasks in a VPC (created, or imported), the security groups that let podflow's functions reach the pods,
// the log group of every container, the execution and task roles, and the observer Lambda that ECS task state
// change events (an EventBridge rule on this cluster) and a reconcile schedule invoke. The bind…() methods grant a
// function what it calls of the runtime and set the FARGATE_* environment lambdas/wiring.ts reads.
import { ArnFormat, Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import {
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
  type ISecurityGroup,
  type ISubnet,
  type IVpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { Cluster } from 'aws-cdk-lib/aws-ecs';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_PAUSE_IMAGE, TASK_FAMILY_PREFIX } from '../src/adapters/fargate/task-definition.ts';
import { ECS_EVENT_SOURCE, TASK_STATE_CHANGE } from '../src/adapters/fargate/task-observations.ts';
import { createPodflowFunction } from './podflow-functions.ts';

/** How often the observer reads every task of the cluster, for events EventBridge did not deliver. */
export const DEFAULT_RECONCILE_RATE = Duration.minutes(5);

/** Container logs are kept a month, as the functions' (podflow-functions.ts FUNCTION_LOG_RETENTION). */
export const DEFAULT_POD_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** The observer handles one event: a few reads and deliveries, and at most a StopTask. */
export const OBSERVER_TIMEOUT = Duration.seconds(60);

/** The scheduled event of lambdas/observer.ts. */
export const RECONCILE_EVENT = { reconcile: true } as const;

/** The environment lambdas/wiring.ts reads (fargateRuntime()). */
export const FARGATE_ENV = {
  cluster: 'FARGATE_CLUSTER_ARN',
  subnets: 'FARGATE_SUBNETS',
  securityGroups: 'FARGATE_SECURITY_GROUPS',
  assignPublicIp: 'FARGATE_ASSIGN_PUBLIC_IP',
  logGroup: 'FARGATE_LOG_GROUP',
  executionRole: 'FARGATE_EXECUTION_ROLE_ARN',
  taskRole: 'FARGATE_TASK_ROLE_ARN',
  cpuArchitecture: 'FARGATE_CPU_ARCHITECTURE',
  pauseImage: 'FARGATE_PAUSE_IMAGE',
  execEnabled: 'FARGATE_EXEC_ENABLED',
} as const;

/** An existing VPC to run pods in (stack props): its private subnets host the tasks and the functions. */
export interface ImportedNetwork {
  vpcId: string;
  availabilityZones: string[];
  privateSubnetIds: string[];
  /** Needed with assignPublicIp: the tasks then run here. */
  publicSubnetIds?: string[];
}

export interface FargateRuntimeProps {
  /** Run in this VPC instead of creating one. */
  network?: ImportedNetwork;
  /**
   * NAT gateways of a created VPC (default 1: ≈ $32.85 a month plus $0.045 per GB in us-east-1). With 0, tasks and
   * functions reach AWS through interfaceEndpoints, and images only from ECR.
   */
  natGateways?: number;
  /**
   * Interface endpoints for the AWS APIs the functions and tasks call (ECS, ECR, CloudWatch Logs, Step Functions,
   * Scheduler, Lambda, Secrets Manager — eight endpoints, ECR having two): ≈ $7.30 a month each per AZ. Default: only
   * when natGateways is 0.
   */
  interfaceEndpoints?: boolean;
  /** Tasks in the public subnets with a public IP (no NAT needed for image pulls). Default false. */
  assignPublicIp?: boolean;
  /** Retention of the container logs. Default a month. */
  logRetention?: RetentionDays;
  /** Run tasks with ECS Exec (`aws ecs execute-command`) and let the task role open its channels. Default false. */
  enableExecuteCommand?: boolean;
  /** Default X86_64: most images are built for it. ARM64 is 20 % cheaper (Graviton). */
  cpuArchitecture?: 'X86_64' | 'ARM64';
  /** Default the Kubernetes pause image on ECR Public (task-definition.ts DEFAULT_PAUSE_IMAGE). */
  pauseImage?: string;
  /** Default DEFAULT_RECONCILE_RATE. */
  reconcileRate?: Duration;
}

export class InvalidFargateRuntimePropsError extends Error {
  override name = 'InvalidFargateRuntimePropsError';
}

/** Where a function that reaches pods runs: the VPC, its private subnets, the functions' security group. */
export interface FunctionPlacement {
  vpc: IVpc;
  vpcSubnets: SubnetSelection;
  securityGroups: ISecurityGroup[];
}

/** cdk-nag IAM5 findings of a role's policy, by the resource cdk-nag names, with the reason each is needed. */
function acknowledgeWildcards(role: IConstruct, reasons: Record<string, string>): void {
  Validations.of(role).acknowledge(
    ...Object.entries(reasons).map(([resource, reason]) => ({
      id: `AwsSolutions-IAM5[Resource::${resource}]`,
      reason,
    })),
  );
}

export class FargateRuntime extends Construct {
  readonly vpc: IVpc;
  readonly cluster: Cluster;
  /** The tasks' group: admits the functions' group on every TCP port, and the tasks among themselves. */
  readonly taskSecurityGroup: SecurityGroup;
  /** The group of the functions that probe pods and run their hooks (prober, lifecycle). */
  readonly functionSecurityGroup: SecurityGroup;
  readonly taskSubnets: ISubnet[];
  readonly logGroup: LogGroup;
  /** Pulls images, writes logs, reads registry credentials (`podflow/*` secrets). */
  readonly executionRole: Role;
  /** The pods' AWS identity: nothing by default (plus the ECS Exec channels when enabled). */
  readonly taskRole: Role;
  /** lambdas/observer.ts. The stack binds the table and the state machine to it. */
  readonly observer: NodejsFunction;
  readonly taskStateRule: Rule;
  readonly reconcileRule: Rule;
  readonly functionPlacement: FunctionPlacement;
  readonly #props: FargateRuntimeProps;

  constructor(scope: Construct, id: string, props: FargateRuntimeProps = {}) {
    super(scope, id);
    this.#props = props;
    const stack = Stack.of(this);
    const natGateways = props.natGateways ?? 1;
    const interfaceEndpoints = props.interfaceEndpoints ?? natGateways === 0;
    const privateType = natGateways > 0 ? SubnetType.PRIVATE_WITH_EGRESS : SubnetType.PRIVATE_ISOLATED;

    if (props.network) {
      this.vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: props.network.vpcId,
        availabilityZones: props.network.availabilityZones,
        privateSubnetIds: props.network.privateSubnetIds,
        ...(props.network.publicSubnetIds ? { publicSubnetIds: props.network.publicSubnetIds } : {}),
      });
    } else {
      const vpc = new Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways,
        subnetConfiguration: [
          { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'private', subnetType: privateType, cidrMask: 20 },
        ],
        // Free, and they keep DynamoDB and ECR's image layers (S3) off the NAT gateway's per-GB charge.
        gatewayEndpoints: {
          DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
          S3: { service: GatewayVpcEndpointAwsService.S3 },
        },
      });
      Validations.of(vpc).acknowledge({
        id: 'AwsSolutions-VPC7',
        reason:
          'No VPC flow logs by default: they cost per GB ingested for every pod connection, and the pods are the ' +
          "user's workloads; enable them on the VPC (or pass an existing one with its own) where policy requires.",
      });
      this.vpc = vpc;
    }
    const privateSubnets: SubnetSelection = props.network
      ? { subnets: this.vpc.privateSubnets }
      : { subnetType: privateType };
    this.taskSubnets = props.assignPublicIp
      ? this.vpc.publicSubnets
      : this.vpc.selectSubnets(privateSubnets).subnets;
    if (this.taskSubnets.length === 0)
      throw new InvalidFargateRuntimePropsError(
        props.assignPublicIp
          ? 'assignPublicIp needs public subnets: give network.publicSubnetIds'
          : 'the network has no private subnets for the tasks',
      );

    if (interfaceEndpoints) {
      for (const [name, service] of Object.entries({
        Ecs: InterfaceVpcEndpointAwsService.ECS,
        EcrApi: InterfaceVpcEndpointAwsService.ECR,
        EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
        Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
        StepFunctions: InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
        // EventBridge Scheduler has no named constant in aws-cdk-lib: its endpoint service is com.amazonaws.<region>.scheduler.
        Scheduler: new InterfaceVpcEndpointAwsService('scheduler'),
        Lambda: InterfaceVpcEndpointAwsService.LAMBDA,
        SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      })) {
        this.vpc.addInterfaceEndpoint(`${name}Endpoint`, { service, subnets: privateSubnets });
      }
    }

    this.functionSecurityGroup = new SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'podflow functions that probe pods and run their hooks (prober, lifecycle)',
      allowAllOutbound: true,
    });
    this.taskSecurityGroup = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'podflow pods (Fargate tasks)',
      allowAllOutbound: true,
    });
    // A probe or hook may name any port, declared in the pod or not (docs/decisions/0006-fargate-runtime.md §8).
    this.taskSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      Port.allTcp(),
      'podflow probes and hooks',
    );
    // Pods reach each other, as a cluster network allows by default.
    this.taskSecurityGroup.addIngressRule(this.taskSecurityGroup, Port.allTraffic(), 'pod to pod');
    this.functionPlacement = {
      vpc: this.vpc,
      vpcSubnets: privateSubnets,
      securityGroups: [this.functionSecurityGroup],
    };

    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc });
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-ECS4',
      reason:
        'No Container Insights by default: its metrics are charged per task and metric, while podflow reports ' +
        'pod state through the Kubernetes API; enable it on the cluster where the metrics are wanted.',
    });

    this.logGroup = new LogGroup(this, 'PodLogs', {
      retention: props.logRetention ?? DEFAULT_POD_LOG_RETENTION,
    });

    // Only ECS tasks of this account may assume the roles (the confused-deputy conditions ECS documents).
    const ecsTasks = () =>
      new ServicePrincipal('ecs-tasks.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ecs', resource: '*' }) },
        },
      });
    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: ecsTasks(),
      description: 'podflow pods: pull images, write container logs, read registry credentials',
    });
    this.executionRole.addToPolicy(
      new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    );
    this.executionRole.addToPolicy(
      new PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' })],
      }),
    );
    this.logGroup.grantWrite(this.executionRole);
    this.executionRole.addToPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: 'podflow/*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    acknowledgeWildcards(this.executionRole, {
      '*': 'ecr:GetAuthorizationToken has no resource-level permissions (ECR documentation).',
      'arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*':
        'Pods name their images: the role may pull from any ECR repository of the account, nothing else of it.',
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:podflow/*':
        'The registry credentials imagePullSecrets name live under podflow/<namespace>/ ' +
        '(docs/decisions/0006-fargate-runtime.md §6); no other secret is readable.',
    });

    this.taskRole = new Role(this, 'TaskRole', {
      assumedBy: ecsTasks(),
      description: 'podflow pods: their AWS identity (attach what your workloads need)',
    });
    if (props.enableExecuteCommand) {
      this.taskRole.addToPolicy(
        new PolicyStatement({
          actions: [
            'ssmmessages:CreateControlChannel',
            'ssmmessages:CreateDataChannel',
            'ssmmessages:OpenControlChannel',
            'ssmmessages:OpenDataChannel',
          ],
          resources: ['*'],
        }),
      );
      acknowledgeWildcards(this.taskRole, {
        '*':
          'ECS Exec: the Session Manager channel actions have no resource-level permissions (ECS Exec ' +
          'documentation); granted only with enableExecuteCommand.',
      });
    }

    this.observer = createPodflowFunction(this, 'Observer', 'observer.ts', OBSERVER_TIMEOUT);
    this.bindObserver(this.observer);
    this.taskStateRule = new Rule(this, 'TaskStateChanges', {
      description: 'podflow: task state changes of the pod cluster → the observer',
      eventPattern: {
        source: [ECS_EVENT_SOURCE],
        detailType: [TASK_STATE_CHANGE],
        detail: { clusterArn: [this.cluster.clusterArn] },
      },
      // EventBridge retries a failed invocation; an old state change is still worth applying (ids dedupe).
      targets: [new LambdaTarget(this.observer, { retryAttempts: 10, maxEventAge: Duration.hours(6) })],
    });
    const reconcileRate = props.reconcileRate ?? DEFAULT_RECONCILE_RATE;
    this.reconcileRule = new Rule(this, 'Reconcile', {
      description: 'podflow: read every pod task, for state changes EventBridge did not deliver',
      schedule: Schedule.rate(reconcileRate),
      targets: [
        new LambdaTarget(this.observer, {
          event: RuleTargetInput.fromObject(RECONCILE_EVENT),
          maxEventAge: reconcileRate,
        }),
      ],
    });
  }

  /** The task ARNs of this cluster (`task/<cluster name>/<id>`). */
  get #taskArns(): string {
    return Stack.of(this).formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${this.cluster.clusterName}/*`,
    });
  }

  #onCluster(): Record<string, Record<string, string>> {
    return { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
  }

  /** The FARGATE_* environment alone: functions that build the engine but never call the runtime (wakeup). */
  bindEnvironment(fn: LambdaFunction): void {
    const p = this.#props;
    fn.addEnvironment(FARGATE_ENV.cluster, this.cluster.clusterArn);
    fn.addEnvironment(FARGATE_ENV.subnets, this.taskSubnets.map((s) => s.subnetId).join(','));
    fn.addEnvironment(FARGATE_ENV.securityGroups, this.taskSecurityGroup.securityGroupId);
    fn.addEnvironment(FARGATE_ENV.assignPublicIp, String(p.assignPublicIp ?? false));
    fn.addEnvironment(FARGATE_ENV.logGroup, this.logGroup.logGroupName);
    fn.addEnvironment(FARGATE_ENV.executionRole, this.executionRole.roleArn);
    fn.addEnvironment(FARGATE_ENV.taskRole, this.taskRole.roleArn);
    fn.addEnvironment(FARGATE_ENV.cpuArchitecture, p.cpuArchitecture ?? 'X86_64');
    fn.addEnvironment(FARGATE_ENV.pauseImage, p.pauseImage ?? DEFAULT_PAUSE_IMAGE);
    fn.addEnvironment(FARGATE_ENV.execEnabled, String(p.enableExecuteCommand ?? false));
  }

  /** The findings cdk-nag reports for the task ARN wildcard, with the cluster's logical id in them. */
  get #taskArnFinding(): string {
    const id = Stack.of(this).getLogicalId(this.cluster.node.defaultChild as CfnElement);
    return `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${id}>/*`;
  }

  /** Reading the cluster's tasks (DescribeTasks, ListTasks), on this cluster only. */
  #grantRead(fn: LambdaFunction): void {
    acknowledgeWildcards(fn.role!, {
      '*': 'ecs:ListTasks has no task resource (its resource type is the container instance); the ecs:cluster condition limits it to the pod cluster.',
      [this.#taskArnFinding]:
        'Tasks are created per pod at run time: every task of the pod cluster, and the ecs:cluster condition holds it to that cluster.',
    });
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ecs:DescribeTasks'],
        resources: [this.#taskArns],
        conditions: this.#onCluster(),
      }),
    );
    // ListTasks has no task resource (its resource is the container instance): the cluster condition bounds it.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: this.#onCluster() }),
    );
  }

  #grantStop(fn: LambdaFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ecs:StopTask'],
        resources: [this.#taskArns],
        conditions: this.#onCluster(),
      }),
    );
  }

  /**
   * Everything the runtime does (the lifecycle function): run tasks of the `podflow-*` families on this cluster
   * only, tag them as they start, stop and read them, register and deregister task definitions, pass the task and
   * execution roles to ECS tasks, read container logs.
   */
  bindRuntime(fn: LambdaFunction): void {
    const stack = Stack.of(this);
    this.bindEnvironment(fn);
    this.#grantRead(fn);
    this.#grantStop(fn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [
          stack.formatArn({
            service: 'ecs',
            resource: 'task-definition',
            resourceName: `${TASK_FAMILY_PREFIX}*`,
          }),
        ],
        conditions: this.#onCluster(),
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [this.#taskArns],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
    );
    // RegisterTaskDefinition, DeregisterTaskDefinition and DescribeTaskDefinition have no resource-level permissions.
    acknowledgeWildcards(fn.role!, {
      '*':
        'ecs:ListTasks, RegisterTaskDefinition, DeregisterTaskDefinition and DescribeTaskDefinition have no ' +
        'resource-level permissions (ECS service authorization reference); ListTasks is held to the pod cluster ' +
        'by its ecs:cluster condition.',
      [`arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition/${TASK_FAMILY_PREFIX}*`]:
        'Task definitions are registered per rendered pod spec (family podflow-<hash>): RunTask may use those ' +
        'families only, and only on the pod cluster (ecs:cluster condition).',
    });
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition'],
        resources: ['*'],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.executionRole.roleArn, this.taskRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    this.#grantLogs(fn);
  }

  /** The observer: read tasks, stop those with nothing left to run or no pod. */
  bindObserver(fn: LambdaFunction): void {
    this.bindEnvironment(fn);
    this.#grantRead(fn);
    this.#grantStop(fn);
  }

  /** The api function: `kubectl logs` (CloudWatch Logs) and finding an instance's task. */
  bindLogReader(fn: LambdaFunction): void {
    this.bindEnvironment(fn);
    this.#grantRead(fn);
    this.#grantLogs(fn);
  }

  #grantLogs(fn: LambdaFunction): void {
    // The group's ARN (`…:log-group:<name>:*`) covers its streams.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['logs:GetLogEvents'], resources: [this.logGroup.logGroupArn] }),
    );
  }
}
