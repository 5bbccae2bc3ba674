// The cloud harness: runs exactly what `cdk deploy` deploys — the synthesized template of PodflowStack and the Lambda
// bundles of its cloud assembly — against the AWS APIs, on the target PODFLOW_CLOUD_TARGET names:
//
//   emulators (default)  the test doubles of test/cloud/emulators/ on 127.0.0.1, built from the template here;
//   localstack           a stack `cdklocal deploy` put on LocalStack (AWS_ENDPOINT_URL), found through the outputs
//                        file of the deploy (connectDeployedStack);
//   aws                  a stack `npm run cloud:deploy` put on AWS, same path; only with PODFLOW_CLOUD_AWS=1.
//
// On the emulators each function and the state machine sign their requests with credentials of their own role, and
// the DynamoDB, Lambda, Step Functions, Scheduler and ECS emulators check them against the role's policies in the template
// (emulators/iam.ts): a grant the stack forgot fails here as it would on AWS.
//
// Every target gives the tests the same handles: the API's invoke URL, credentials that may call it, a kubeconfig for
// kubectl whose user is those credentials' token (as `podflow token` makes it; on a deployed stack the plugin itself,
// as `podflow kubeconfig --aws` writes it), a @kubernetes/client-node KubeConfig, and SDK client settings per service.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { DynamoDBClient, CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { KubeConfig } from '@kubernetes/client-node';
import { startDynalite, type LocalDynamo } from '../../src/local/dynalite.ts';
import { startApiGatewayFront, type ApiMethod } from './emulators/api-gateway.ts';
import { DEFAULT_SCOPE, type AwsScope, type EmulatorServer } from './emulators/aws-wire.ts';
import { CloudWatchLogsEmulator } from './emulators/cloudwatch-logs.ts';
import { startDynamoDbIamFront } from './emulators/dynamodb-iam-front.ts';
import { EcsEmulator } from './emulators/ecs.ts';
import { EMULATED_IMAGES } from './support/ecs-environment.ts';
import { OffsetClock } from './emulators/emulator-clock.ts';
import { EventBridgeEmulator } from './emulators/eventbridge.ts';
import { IamAuthorizer, type PolicyStatement } from './emulators/iam.ts';
import { LambdaEmulator } from './emulators/lambda.ts';
import { SchedulerEmulator } from './emulators/scheduler.ts';
import { startStsEmulator } from './emulators/sts.ts';
import { presignToken } from '../../src/adapters/sts/presign-token.ts';
import type { AccessEntry } from '../../src/core/access.ts';
import { type KubeconfigOptions, writeKubeconfig as writeKubeconfigFile } from '../../src/cli/kubeconfig.ts';
import { awsKubeconfig, podflowCommand } from '../../src/cli/commands/cloud.ts';
import type { Credentials } from './emulators/sigv4.ts';
import { StepFunctionsEmulator } from './emulators/stepfunctions.ts';
import { UsageMeter } from './emulators/usage-meter.ts';
import {
  ASSEMBLY_ROOT,
  readAssembly,
  synthesizePodflow,
  TemplateResolver,
  toApiCase,
  type SynthesizedStack,
  type SynthOptions,
} from './cloud-template.ts';

export type CloudTarget = 'emulators' | 'localstack' | 'aws';

export function cloudTarget(): CloudTarget {
  const t = process.env.PODFLOW_CLOUD_TARGET ?? 'emulators';
  if (t !== 'emulators' && t !== 'localstack' && t !== 'aws') {
    throw new Error(`PODFLOW_CLOUD_TARGET must be emulators, localstack or aws, got ${t}`);
  }
  return t;
}

/** The SDK clients' service-specific endpoint variables (AWS SDKs and Tools reference, "Service-specific endpoints"). */
export const ENDPOINT_VARIABLES = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  sfn: 'AWS_ENDPOINT_URL_SFN',
  lambda: 'AWS_ENDPOINT_URL_LAMBDA',
  eventbridge: 'AWS_ENDPOINT_URL_EVENTBRIDGE',
  scheduler: 'AWS_ENDPOINT_URL_SCHEDULER',
  ecs: 'AWS_ENDPOINT_URL_ECS',
  logs: 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
} as const;

export type Service = keyof typeof ENDPOINT_VARIABLES;

/** The emulators behind a harness on the `emulators` target, for assertions only a test double can answer. */
export interface Emulators {
  clock: OffsetClock;
  lambda: LambdaEmulator;
  stepFunctions: StepFunctionsEmulator;
  scheduler: SchedulerEmulator;
  eventBridge: EventBridgeEmulator;
  ecs: EcsEmulator;
  logs: CloudWatchLogsEmulator;
  resolver: TemplateResolver;
  synth: SynthesizedStack;
  /** What the calls served so far would bill, by caller (usage-meter.ts). */
  meter: UsageMeter;
  /** Every request API Gateway passed to an integration, in order. */
  apiRequests: Array<{ method: string; path: string; query: string }>;
}

export interface CloudHarness {
  target: CloudTarget;
  scope: AwsScope;
  /**
   * The REST API's invoke URL (`…/prod/`); every method needs a token its authorizer accepts. On the emulators plain
   * HTTP (for fetch); `outputs.ApiUrl` is the HTTPS one, as deployed, which the kubeconfig uses.
   */
  apiUrl: string;
  /** Credentials of a principal with write access to every namespace (and of the SDK clients' calls). */
  credentials: Credentials;
  /** A kubeconfig (bearer token of `credentials`) for kubectl and client-node, pointing at the API. */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** The deployed stack's outputs. */
  outputs: {
    TableName: string;
    StateMachineArn: string;
    ApiUrl: string;
    ClusterArn: string;
    ClusterId: string;
    PodLogGroup: string;
    /** The timers' and the CronJobs' schedule group. */
    ScheduleGroup: string;
    /** The Job and CronJob controllers (lambdas/controllers.ts). */
    ControllersFunctionArn: string;
  };
  /** SDK client configuration for a service of the target. */
  clientConfig(service: Service): { endpoint?: string; region: string; credentials: Credentials };
  emulators?: Emulators;
  /** On the emulators: read-only credentials (an assumed role with read access everywhere) and the STS emulator. */
  auth?: {
    reader: Credentials & { sessionToken: string };
    stsUrl: string;
    /** The CA of the API's HTTPS listener (`outputs.ApiUrl`), for clients that verify it (SSL_CERT_FILE). */
    caFile: string;
  };
  close(): Promise<void>;
}

/** The principal the harness's `credentials` are (an IAM user), and the role of its read-only credentials. */
export const HARNESS_USER = 'podflow-test';
export const HARNESS_READER_ROLE = 'podflow-reader';

/** The access entries the harness synthesizes the stack with: the user writes everywhere, the role reads. */
export const harnessAccess = (scope: AwsScope): AccessEntry[] => [
  {
    principal: `arn:${scope.partition}:iam::${scope.account}:user/${HARNESS_USER}`,
    namespaces: ['*'],
    access: 'write',
  },
  {
    principal: `arn:${scope.partition}:iam::${scope.account}:role/${HARNESS_READER_ROLE}`,
    namespaces: ['*'],
    access: 'read',
  },
];

export interface EmulatorHarnessOptions {
  /** A stack synthesized elsewhere (readAssembly of `npx cdk synth`, or a variant); else PodflowStack is synthesized. */
  synth?: SynthesizedStack;
  synthOptions?: SynthOptions;
  /** Fire scheduled EventBridge rules (the prober supervisor's rate(1 minute)). Default true. */
  fireScheduledRules?: boolean;
  /** Lambda's async retry delays; default 1 s and 2 s (AWS: about 1 and 2 minutes). */
  asyncRetryDelaysMs?: number[];
  /**
   * Check the functions' and the state machine's requests against their roles' policies in the template (iam.ts).
   * Default true.
   */
  enforceIam?: boolean;
  /** Variables set on every function over the template's, as a redeploy with changed settings would. */
  functionEnvironment?: Record<string, string>;
}

/** A key and a self-signed certificate for 127.0.0.1 (openssl), in `dir`. */
function selfSignedCertificate(dir: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

/** Writes `options` (cli/kubeconfig.ts, as `podflow` writes kubeconfigs) to `dir/kubeconfig` and loads it. */
const writeKubeconfig = (
  dir: string,
  options: KubeconfigOptions,
): { path: string; kubeConfig: KubeConfig } => {
  const path = join(dir, 'kubeconfig');
  writeKubeconfigFile(path, { name: 'podflow-cloud', ...options });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return { path, kubeConfig };
};

/**
 * AWS::DynamoDB::Table `SSESpecification` as CreateTable takes it (`SSEEnabled` → `Enabled`; enabled without a type
 * is KMS with the AWS managed key aws/dynamodb, which needs no grant beyond the table's). A customer managed key
 * (`KMSMasterKeyId`) would need KMS, which no emulator here provides: refused rather than ignored.
 */
export function sseSpecification(
  tableId: string,
  spec: unknown,
): Pick<CreateTableCommandInput, 'SSESpecification'> {
  if (spec === undefined) return {};
  const { SSEEnabled, SSEType, KMSMasterKeyId, ...rest } = spec as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof SSEEnabled !== 'boolean')
    throw new Error(
      `table ${tableId}: SSESpecification ${JSON.stringify(spec)} is not one the harness knows`,
    );
  if (KMSMasterKeyId !== undefined)
    throw new Error(
      `table ${tableId}: a customer managed KMS key (${JSON.stringify(KMSMasterKeyId)}) is not emulated`,
    );
  if (SSEType !== undefined && SSEType !== 'KMS')
    throw new Error(`table ${tableId}: SSEType ${JSON.stringify(SSEType)} is not KMS`);
  return { SSESpecification: SSEEnabled ? { Enabled: true, SSEType: 'KMS' } : { Enabled: false } };
}

/** Starts the emulators and builds, from the template alone, the resources `cdk deploy` would create. */
export async function startEmulatorHarness(options: EmulatorHarnessOptions = {}): Promise<CloudHarness> {
  // PODFLOW_CLOUD_ASSEMBLY=cdk.out runs the assembly `npx cdk synth` wrote instead of synthesizing one.
  const assembly = process.env.PODFLOW_CLOUD_ASSEMBLY;
  const synth =
    options.synth ??
    (assembly && !options.synthOptions
      ? readAssembly(assembly)
      : synthesizePodflow({
          ...options.synthOptions,
          props: {
            ...options.synthOptions?.props,
            api: { access: harnessAccess(DEFAULT_SCOPE), ...options.synthOptions?.props?.api },
          },
        }));
  const scope = DEFAULT_SCOPE;
  const resolver = new TemplateResolver(synth, scope);
  const clock = new OffsetClock();
  const credentials: Credentials = {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  const closers: Array<() => Promise<void> | void> = [];
  const servers: EmulatorServer[] = [];
  // The roles of the template's functions and state machine, each signing with credentials of its own.
  const iam = options.enforceIam === false ? undefined : new IamAuthorizer();
  const roleCredentials = (roleArnValue: unknown, session: string): Credentials => {
    const issued: Credentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
    };
    const roleId = (roleArnValue as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
    if (iam && roleId) {
      iam.addPrincipal(issued.accessKeyId, {
        arn: `arn:${scope.partition}:sts::${scope.account}:assumed-role/${resolver.physicalName(roleId)}/${session}`,
        statements: roleStatements(resolver, synth, roleId),
      });
    }
    return issued;
  };
  const meter = new UsageMeter();
  try {
    const logs = new CloudWatchLogsEmulator();
    logs.meter = meter;
    const lambda = new LambdaEmulator({
      clock,
      logs,
      meter,
      asyncRetryDelaysMs: options.asyncRetryDelaysMs ?? [1000, 2000],
      echoLogs: process.env.PODFLOW_CLOUD_DEBUG === '1',
      ...(iam ? { iam } : {}),
    });
    closers.push(() => lambda.close());
    const invokeAsync = async (arn: string, payload: string) =>
      void (await lambda.invoke(arn, payload, 'Event'));
    const eventBridge = new EventBridgeEmulator({
      clock,
      invokeLambda: invokeAsync,
      fireScheduledRules: options.fireScheduledRules ?? true,
    });
    closers.push(() => eventBridge.close());
    const scheduler = new SchedulerEmulator({
      clock,
      invokeLambda: invokeAsync,
      meter,
      ...(iam ? { iam } : {}),
    });
    closers.push(() => scheduler.close());
    const ecs = new EcsEmulator({ eventBridge, logs, images: EMULATED_IMAGES, ...(iam ? { iam } : {}) });
    closers.push(() => ecs.close());
    const dynamo: LocalDynamo = await startDynalite();
    closers.push(() => dynamo.close());
    const lambdaServer = await lambda.listen();
    servers.push(lambdaServer);
    // Step Functions invokes the Task states' functions as the state machine's role (podflow has one state machine).
    const stateMachines = resolver.resources('AWS::StepFunctions::StateMachine');
    const lambdaClient = new LambdaClient({
      endpoint: lambdaServer.url,
      region: scope.region,
      credentials:
        stateMachines.length === 1
          ? roleCredentials(stateMachines[0]![1].Properties?.RoleArn, 'states')
          : credentials,
      maxAttempts: 1,
    });
    closers.push(() => lambdaClient.destroy());
    const stepFunctions = new StepFunctionsEmulator({
      lambda: lambdaClient,
      scope,
      eventBridge,
      meter,
      ...(iam ? { iam } : {}),
    });
    closers.push(() => stepFunctions.close());
    const dynamoFront = iam
      ? await startDynamoDbIamFront({ target: dynamo.endpoint, iam, scope, meter })
      : undefined;
    if (dynamoFront) servers.push(dynamoFront);
    const endpoints: Record<Service, string> = {
      dynamodb: dynamoFront?.url ?? dynamo.endpoint,
      lambda: lambdaServer.url,
      sfn: (await listenOn(stepFunctions, servers)).url,
      eventbridge: (await listenOn(eventBridge, servers)).url,
      scheduler: (await listenOn(scheduler, servers)).url,
      ecs: (await listenOn(ecs, servers)).url,
      logs: (await listenOn(logs, servers)).url,
    };
    // STS for the token authorizer: the harness user, and an assumed role's temporary credentials.
    const reader = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(30).toString('base64'),
    };
    const sts = await startStsEmulator({
      account: scope.account,
      identities: (id) =>
        id === credentials.accessKeyId
          ? {
              ...credentials,
              arn: `arn:${scope.partition}:iam::${scope.account}:user/${HARNESS_USER}`,
              userId: 'AIDAHARNESSUSER',
            }
          : id === reader.accessKeyId
            ? {
                ...reader,
                arn: `arn:${scope.partition}:sts::${scope.account}:assumed-role/${HARNESS_READER_ROLE}/test`,
                userId: 'AROAHARNESSREADER:test',
              }
            : undefined,
    });
    servers.push(sts);

    // The network the container runtime's tasks and VPC functions use: ids as EC2 would hand them out (the ECS
    // emulator runs tasks as local processes, so subnets and security groups only have to be well-formed).
    const ec2Prefix: Record<string, string> = {
      'AWS::EC2::VPC': 'vpc',
      'AWS::EC2::Subnet': 'subnet',
      'AWS::EC2::SecurityGroup': 'sg',
      'AWS::EC2::RouteTable': 'rtb',
      'AWS::EC2::InternetGateway': 'igw',
      'AWS::EC2::NatGateway': 'nat',
      'AWS::EC2::VPCEndpoint': 'vpce',
      'AWS::EC2::EIP': 'eipalloc',
    };
    for (const [type, prefix] of Object.entries(ec2Prefix)) {
      for (const [id] of resolver.resources(type)) {
        const physical = `${prefix}-${randomBytes(8).toString('hex').slice(0, 17)}`;
        resolver.setRef(id, physical);
        if (type === 'AWS::EC2::SecurityGroup') resolver.setRef(`${id}.GroupId`, physical);
        if (type === 'AWS::EC2::EIP') resolver.setRef(`${id}.AllocationId`, physical);
      }
    }

    // Log groups and schedule groups, as CloudFormation creates them.
    for (const [id] of resolver.resources('AWS::Logs::LogGroup'))
      logs.ensureLogGroup(resolver.physicalName(id));
    for (const [id] of resolver.resources('AWS::Scheduler::ScheduleGroup'))
      scheduler.createGroup(resolver.physicalName(id));

    // ECS clusters and task definitions (the container runtime's, once the stack deploys one).
    const ecsAdmin = new ECSClient({
      endpoint: endpoints.ecs,
      region: scope.region,
      credentials,
      maxAttempts: 1,
    });
    closers.push(() => ecsAdmin.destroy());
    for (const [id] of resolver.resources('AWS::ECS::Cluster')) {
      await ecsAdmin.send(new CreateClusterCommand({ clusterName: resolver.physicalName(id) }));
    }
    for (const [id, r] of resolver.resources('AWS::ECS::TaskDefinition')) {
      const input = toApiCase(resolver.resolve(r.Properties ?? {})) as Record<string, unknown>;
      delete input.tags;
      await ecsAdmin.send(
        new RegisterTaskDefinitionCommand({
          ...(input as object),
          family: resolver.physicalName(id),
        } as never),
      );
    }

    // Tables: the template's key schema, attributes, billing, indexes and encryption at rest (dynalite has no TTL,
    // streams or PITR, and accepts an SSESpecification without encrypting anything).
    const ddb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: scope.region, credentials });
    closers.push(() => ddb.destroy());
    for (const [id, r] of resolver.resources('AWS::DynamoDB::Table')) {
      const p = resolver.resolve(r.Properties ?? {}) as Record<string, unknown>;
      const input: CreateTableCommandInput = {
        TableName: resolver.physicalName(id),
        KeySchema: p.KeySchema as never,
        AttributeDefinitions: p.AttributeDefinitions as never,
        BillingMode: (p.BillingMode as 'PAY_PER_REQUEST' | undefined) ?? 'PROVISIONED',
        ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput as never } : {}),
        ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as never } : {}),
        ...(p.LocalSecondaryIndexes ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes as never } : {}),
        ...sseSpecification(id, p.SSESpecification),
      };
      await ddb.send(new CreateTableCommand(input));
    }

    // The REST API: its id, stage and resources, so Refs to them resolve.
    const [restApi] = resolver.resources('AWS::ApiGateway::RestApi');
    const restApiId = randomBytes(5).toString('hex');
    let stageName = 'prod';
    if (restApi) {
      resolver.setRef(restApi[0], restApiId);
      resolver.setRef(`${restApi[0]}.RootResourceId`, 'root');
      for (const [id, r] of resolver.resources('AWS::ApiGateway::Stage')) {
        stageName = String(r.Properties?.StageName);
        resolver.setRef(id, stageName);
      }
      for (const [id] of resolver.resources('AWS::ApiGateway::Resource')) resolver.setRef(id, id);
    }

    // Functions: the bundle of the asset directory, the template's environment resolved to the emulated account, and
    // what the Lambda runtime adds (region, credentials, function name) — plus the endpoints of the emulators.
    const endpointEnv = Object.fromEntries([
      ...(Object.keys(ENDPOINT_VARIABLES) as Service[]).map((s) => [ENDPOINT_VARIABLES[s], endpoints[s]]),
      ['AWS_ENDPOINT_URL_STS', sts.url],
    ]);
    for (const [id, r] of resolver.resources('AWS::Lambda::Function')) {
      const p = r.Properties ?? {};
      const name = resolver.physicalName(id);
      const key = String((p.Code as { S3Key?: unknown } | undefined)?.S3Key ?? '');
      const codeDir = join(synth.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
      const logGroup = p.LoggingConfig
        ? String(
            resolver.resolve((p.LoggingConfig as { LogGroup?: unknown }).LogGroup ?? `/aws/lambda/${name}`),
          )
        : `/aws/lambda/${name}`;
      const variables = resolver.resolve(
        (p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
      ) as Record<string, string>;
      const functionCredentials = roleCredentials(p.Role, name);
      lambda.register({
        name,
        arn: resolver.arn(id),
        codeDir,
        handler: String(p.Handler),
        timeoutSeconds: Number(p.Timeout ?? 3),
        memoryMb: Number(p.MemorySize ?? 128),
        logGroup,
        ...(p.ReservedConcurrentExecutions !== undefined
          ? { reservedConcurrency: Number(resolver.resolve(p.ReservedConcurrentExecutions)) }
          : {}),
        environment: {
          ...variables,
          ...endpointEnv,
          AWS_REGION: scope.region,
          AWS_DEFAULT_REGION: scope.region,
          AWS_ACCESS_KEY_ID: functionCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: functionCredentials.secretAccessKey,
          AWS_SESSION_TOKEN: randomBytes(30).toString('base64'),
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_LAMBDA_FUNCTION_NAME: name,
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(p.MemorySize ?? 128),
          AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
          AWS_EXECUTION_ENV: `AWS_Lambda_${String(p.Runtime ?? 'nodejs22.x')}`,
          LAMBDA_TASK_ROOT: codeDir,
          _HANDLER: String(p.Handler),
          TZ: ':UTC',
          ...options.functionEnvironment,
        },
      });
    }

    // State machines: the template's definition, its Fn::Join resolved against the emulated account.
    for (const [id, r] of resolver.resources('AWS::StepFunctions::StateMachine')) {
      const p = r.Properties ?? {};
      const definition =
        p.DefinitionString !== undefined
          ? JSON.parse(String(resolver.resolve(p.DefinitionString)))
          : resolver.resolve(p.Definition);
      stepFunctions.registerStateMachine({
        name: resolver.physicalName(id),
        definition,
        roleArn: String(resolver.resolve(p.RoleArn)),
      });
    }

    // Rules: pattern or schedule, state and targets as the template declares them.
    for (const [id, r] of resolver.resources('AWS::Events::Rule')) {
      const p = resolver.resolve(r.Properties ?? {}) as Record<string, unknown>;
      const name = resolver.physicalName(id);
      eventBridge.putRule({
        Name: name,
        ...(p.EventBusName ? { EventBusName: String(p.EventBusName) } : {}),
        ...(p.EventPattern
          ? {
              EventPattern:
                typeof p.EventPattern === 'string' ? p.EventPattern : JSON.stringify(p.EventPattern),
            }
          : {}),
        ...(p.ScheduleExpression ? { ScheduleExpression: String(p.ScheduleExpression) } : {}),
        State: String(p.State ?? 'ENABLED'),
      });
      eventBridge.putTargets(name, p.EventBusName as string | undefined, (p.Targets as never[]) ?? []);
    }

    // API methods: the resource tree, each method's authorization and its proxy integration's function.
    const pathOf = (resourceRef: unknown): string => {
      const ref = resolver.resolve(resourceRef);
      if (ref === 'root') return '/';
      const res = resolver.resources('AWS::ApiGateway::Resource').find(([id]) => id === ref)?.[1];
      if (!res) throw new Error(`unknown API resource ${String(ref)}`);
      const parent = pathOf(res.Properties?.ParentId);
      return `${parent === '/' ? '' : parent}/${String(res.Properties?.PathPart)}`;
    };
    const functionOfUri = (value: unknown): string => {
      const uri = String(resolver.resolve(value ?? ''));
      // Invoke, or InvokeWithResponseStream for a streaming integration (API version 2021-11-15).
      const fn = /functions\/(arn:[^/]+)\/(?:response-streaming-)?invocations$/.exec(uri)?.[1];
      if (!fn) throw new Error(`not a Lambda function's invocation URI: ${uri}`);
      return fn;
    };
    const authorizers = new Map(
      resolver.resources('AWS::ApiGateway::Authorizer').map(([id, r]) => {
        const p = r.Properties ?? {};
        if (p.Type !== 'TOKEN') throw new Error(`authorizer ${id}: type ${String(p.Type)} is not emulated`);
        const header = /^method\.request\.header\.(.+)$/.exec(String(p.IdentitySource))?.[1];
        if (!header) throw new Error(`authorizer ${id}: identity source ${String(p.IdentitySource)}`);
        resolver.setRef(id, id);
        return [
          id,
          {
            functionArn: functionOfUri(p.AuthorizerUri),
            header: header.toLowerCase(),
            ...(p.IdentityValidationExpression
              ? { validationExpression: String(p.IdentityValidationExpression) }
              : {}),
            ttlSeconds: Number(p.AuthorizerResultTtlInSeconds ?? 300),
          },
        ] as const;
      }),
    );
    const methods: ApiMethod[] = resolver.resources('AWS::ApiGateway::Method').map(([, r]) => {
      const p = r.Properties ?? {};
      const integration = (p.Integration ?? {}) as {
        Uri?: unknown;
        ResponseTransferMode?: unknown;
        TimeoutInMillis?: unknown;
      };
      const authorizationType = String(p.AuthorizationType ?? 'NONE') as ApiMethod['authorizationType'];
      const authorizer =
        p.AuthorizerId === undefined ? undefined : authorizers.get(String(resolver.resolve(p.AuthorizerId)));
      return {
        resourcePath: pathOf(p.ResourceId),
        httpMethod: String(p.HttpMethod),
        authorizationType,
        ...(authorizer ? { authorizer } : {}),
        functionArn: functionOfUri(integration.Uri),
        ...(integration.ResponseTransferMode === 'STREAM' ? { responseTransferMode: 'STREAM' as const } : {}),
        ...(integration.TimeoutInMillis !== undefined
          ? { timeoutMs: Number(integration.TimeoutInMillis) }
          : {}),
      };
    });
    const binaryMediaTypes = (restApi?.[1].Properties?.BinaryMediaTypes as string[] | undefined) ?? [];
    const apiRequests: Array<{ method: string; path: string; query: string }> = [];
    // API Gateway is HTTPS, and kubectl sends credentials over TLS only: a certificate for 127.0.0.1, made here.
    const dir = mkdtempSync(join(tmpdir(), 'podflow-cloud-'));
    const tls = selfSignedCertificate(dir);
    const api = await startApiGatewayFront({
      restApiId,
      stageName,
      methods,
      // CloudFormation stores */* as */~1* (a JSON-pointer escape); API Gateway reads it back as */*.
      binaryMediaTypes: binaryMediaTypes.map((t) => t.replace('~1', '/')),
      credentials: (id) => (id === credentials.accessKeyId ? credentials : undefined),
      invoke: (arn, event) => lambda.invoke(arn, event, 'RequestResponse'),
      invokeStream: (arn, event, onChunk, signal) =>
        lambda.invokeWithResponseStream(arn, event, onChunk, signal),
      requests: apiRequests,
      scope,
      tls,
    });
    servers.push(api);
    const outputs = resolver.resolve(
      Object.fromEntries(
        Object.entries(synth.template.Outputs ?? {}).map(([k, v]) => [
          k,
          k === 'ApiUrl' ? api.invokeUrl : v.Value,
        ]),
      ),
    ) as CloudHarness['outputs'];
    // kubectl and client-node carry a token of the harness user, minted as `podflow token` mints it (good for 15
    // minutes: longer than any harness lives). The exec plugin itself is tested with `podflow kubeconfig --aws`.
    const { token } = await presignToken({
      clusterId: outputs.ClusterId,
      region: scope.region,
      credentials,
      now: Date.now(),
    });
    const { path: kubeconfigPath, kubeConfig } = writeKubeconfig(dir, {
      server: api.tlsInvokeUrl!,
      token,
      certificateAuthority: tls.cert.toString('utf8'),
    });
    return {
      target: 'emulators',
      scope,
      apiUrl: api.invokeUrl,
      credentials,
      kubeconfigPath,
      kubeConfig,
      outputs: { ...outputs, ApiUrl: api.tlsInvokeUrl! },
      auth: { reader, stsUrl: sts.url, caFile: join(dir, 'cert.pem') },
      clientConfig: (service) => ({ endpoint: endpoints[service], region: scope.region, credentials }),
      emulators: {
        clock,
        lambda,
        stepFunctions,
        scheduler,
        eventBridge,
        ecs,
        logs,
        resolver,
        synth,
        meter,
        apiRequests,
      },
      close: async () => {
        clock.clear();
        for (const s of servers) await s.close();
        for (const c of closers.reverse()) await c();
        rmSync(dir, { recursive: true, force: true });
        if (
          !options.synth &&
          process.env.PODFLOW_CLOUD_KEEP !== '1' &&
          synth.assemblyDir.startsWith(ASSEMBLY_ROOT)
        ) {
          rmSync(synth.assemblyDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    for (const s of servers) await s.close().catch(() => undefined);
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
    throw err;
  }
}

/**
 * The Allow statements of a role: the AWS::IAM::Policy resources attached to it and its inline policies, resolved
 * against the emulated account. A statement naming something the harness cannot resolve is left out (it would allow
 * nothing the emulators serve).
 */
function roleStatements(
  resolver: TemplateResolver,
  synth: SynthesizedStack,
  roleId: string,
): PolicyStatement[] {
  const documents: unknown[] = [];
  for (const [, r] of resolver.resources('AWS::IAM::Policy')) {
    const roles = (r.Properties?.Roles as Array<{ Ref?: string }> | undefined) ?? [];
    if (roles.some((x) => x.Ref === roleId)) documents.push(r.Properties?.PolicyDocument);
  }
  const role = synth.template.Resources[roleId];
  for (const p of (role?.Properties?.Policies as Array<{ PolicyDocument?: unknown }> | undefined) ?? []) {
    documents.push(p.PolicyDocument);
  }
  const statements: PolicyStatement[] = [];
  for (const doc of documents) {
    const raw = (doc as { Statement?: unknown } | undefined)?.Statement;
    for (const st of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      try {
        statements.push(resolver.resolve(st) as PolicyStatement);
      } catch {
        // e.g. a resource type the harness does not emulate
      }
    }
  }
  return statements;
}

async function listenOn(
  emulator: { listen(): Promise<EmulatorServer> },
  servers: EmulatorServer[],
): Promise<EmulatorServer> {
  const s = await emulator.listen();
  servers.push(s);
  return s;
}

/**
 * A stack already deployed — on LocalStack by `cdklocal deploy --outputs-file …`, or on AWS by `npm run
 * cloud:deploy` — found through the deploy's outputs file (default cdk.out/podflow-outputs.json). Endpoints come from
 * the environment (AWS_ENDPOINT_URL for LocalStack; none for AWS); credentials from the default chain's variables.
 */
export async function connectDeployedStack(target: 'localstack' | 'aws'): Promise<CloudHarness> {
  const file = process.env.PODFLOW_CLOUD_OUTPUTS ?? 'cdk.out/podflow-outputs.json';
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, CloudHarness['outputs']>;
  const outputs = all.Podflow ?? Object.values(all)[0];
  if (!outputs?.ApiUrl) throw new Error(`${file} holds no ApiUrl output of the Podflow stack`);
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const credentials: Credentials = {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? (target === 'localstack' ? 'test' : ''),
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? (target === 'localstack' ? 'test' : ''),
  };
  if (!credentials.accessKeyId)
    throw new Error(
      'set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (a principal with an access entry of the stack)',
    );
  const dir = mkdtempSync(join(tmpdir(), 'podflow-cloud-'));
  // The kubeconfig `podflow kubeconfig --aws` writes; the plugin gets the credentials of this environment.
  const exec = awsKubeconfig({
    server: outputs.ApiUrl,
    clusterId: outputs.ClusterId,
    region,
    podflow: podflowCommand(),
  }).exec!;
  const { path: kubeconfigPath, kubeConfig } = writeKubeconfig(dir, {
    server: outputs.ApiUrl,
    exec: {
      ...exec,
      env: Object.entries(process.env)
        .filter(([k, v]) => k.startsWith('AWS_') && v !== undefined)
        .map(([name, value]) => ({ name, value: value! })),
    },
  });
  const endpoint =
    target === 'localstack'
      ? (process.env.AWS_ENDPOINT_URL ?? 'http://localhost.localstack.cloud:4566')
      : undefined;
  return {
    target,
    scope: { ...DEFAULT_SCOPE, region },
    apiUrl: outputs.ApiUrl,
    credentials,
    kubeconfigPath,
    kubeConfig,
    outputs,
    clientConfig: () => ({ ...(endpoint ? { endpoint } : {}), region, credentials }),
    close: async () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What a test run against AWS costs, printed before it starts (us-east-1 list prices, rounded up): the run creates a
 * handful of pods, each a Standard execution of some 20–40 state transitions ($0.025 per 1,000), ~40 Lambda
 * invocations of ≤1 s at 512 MB ($0.20 per million + $0.0000083 per 512 MB-second), ~200 DynamoDB on-demand
 * requests, API Gateway REST calls ($3.50 per million), CloudWatch Logs ingestion ($0.50 per GB). The prober's
 * supervising rule runs every minute for as long as the stack exists: about 43,200 invocations a month.
 */
export const AWS_COST_ESTIMATE = [
  'podflow cloud tests against AWS (PODFLOW_CLOUD_TARGET=aws, PODFLOW_CLOUD_AWS=1):',
  '  one run: < $0.01 (≈ 10 pods × 40 transitions, ≈ 400 Lambda invocations, ≈ 2,000 DynamoDB requests, ≈ 200 API calls)',
  '  the deployed stack while idle: ≈ $0.10/month (prober supervisor rule: 43,200 short invocations) + log storage',
  '  run `npm run cloud:destroy` afterwards; the pod table is retained (RemovalPolicy RETAIN) and must be deleted by hand',
].join('\n');

/** Starts the harness on the configured target. The AWS target refuses to start without PODFLOW_CLOUD_AWS=1 or in CI. */
export async function startCloudHarness(options: EmulatorHarnessOptions = {}): Promise<CloudHarness> {
  const target = cloudTarget();
  if (target === 'emulators') return startEmulatorHarness(options);
  if (target === 'aws') {
    if (process.env.PODFLOW_CLOUD_AWS !== '1' || process.env.CI) {
      throw new Error('PODFLOW_CLOUD_TARGET=aws needs PODFLOW_CLOUD_AWS=1 and never runs in CI');
    }
    console.warn(AWS_COST_ESTIMATE);
  }
  return connectDeployedStack(target);
}
