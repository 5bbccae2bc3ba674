// The Api construct (docs/architecture.md §8, §10; docs/decisions/0004-api.md "Cloud wiring",
// docs/decisions/0012-kubectl-credentials.md): a REST API with the token authorizer on every method, Lambda proxy
// integrations to the api function, and that function's environment and IAM — what
// cloudEngine() needs to start, and nothing of the Scheduler path it never takes.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, API_STAGE_NAME } from '../../infra/api.ts';
import { ESM_REQUIRE_BANNER } from '../../infra/podflow-functions.ts';
import { requiredEnv } from './wiring-env.ts';
import type { PodflowStack } from '../../infra/podflow-stack.ts';
import { bundledHandler, createTestApp } from './podflow-test-app.ts';

let stack: PodflowStack;
let template: Template;

const DEV = 'arn:aws:iam::123456789012:role/Dev';

const logicalId = (construct: IConstruct): string =>
  Stack.of(construct).resolve((construct as CfnFunction).logicalId) as string;
const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const restApi = () => ref(stack.api.restApi.node.defaultChild!);
const stage = () => ref(stack.api.restApi.deploymentStage.node.defaultChild!);
const apiFunction = () => stack.api.handler.node.defaultChild!;
const apiRole = () => ref(stack.api.handler.role!.node.defaultChild!);

/** The statements of every policy attached to the api function's role. */
const apiRoleStatements = (): Record<string, unknown>[] =>
  Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [apiRole()] } })).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
        .PolicyDocument.Statement,
  );
const actionsOf = (statement: Record<string, unknown>): string[] =>
  [statement.Action as string | string[]].flat();

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

beforeAll(() => {
  stack = createTestApp({
    api: { access: [{ principal: DEV, namespaces: ['team-a'], access: 'write' }] },
  }).stack;
  template = Template.fromStack(stack);
});

describe('REST API', () => {
  it('is one regional REST API (not an HTTP API) treating every media type as binary', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: 'Podflow-api',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      // hono/aws-lambda base64-encodes application/yaml answers: only a binary type decodes them for the client.
      BinaryMediaTypes: ['*/*'],
    });
  });

  it('has exactly {proxy+} under the root', () => {
    template.resourceCountIs('AWS::ApiGateway::Resource', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', {
      RestApiId: restApi(),
      ParentId: { 'Fn::GetAtt': [logicalId(stack.api.restApi.node.defaultChild!), 'RootResourceId'] },
      PathPart: '{proxy+}',
    });
  });

  it.each([
    {
      name: 'ANY /',
      resourceId: () => ({
        'Fn::GetAtt': [logicalId(stack.api.restApi.node.defaultChild!), 'RootResourceId'],
      }),
    },
    {
      name: 'ANY /{proxy+}',
      resourceId: () => ref(stack.api.restApi.root.getResource('{proxy+}')!.node.defaultChild!),
    },
  ])(
    '$name: the token authorizer, streaming Lambda proxy integration to the api function',
    ({ resourceId }) => {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        RestApiId: restApi(),
        ResourceId: resourceId(),
        HttpMethod: 'ANY',
        AuthorizationType: 'CUSTOM',
        AuthorizerId: ref(stack.api.node.findChild('TokenAuthorizer').node.defaultChild!),
        Integration: {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          // InvokeWithResponseStream, for 15 minutes (docs/decisions/0017-cloud-watch.md).
          ResponseTransferMode: 'STREAM',
          TimeoutInMillis: 900_000,
          Uri: {
            'Fn::Join': [
              '',
              Match.arrayWith([
                ':lambda:path/2021-11-15/functions/',
                arnOf(apiFunction()),
                '/response-streaming-invocations',
              ]),
            ],
          },
        },
      });
    },
  );

  it('has no other method: nothing answers without a token (no CORS preflight, no open route)', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as {
      Properties: { AuthorizationType: string; HttpMethod: string };
    }[];
    expect(methods.map((m) => [m.Properties.HttpMethod, m.Properties.AuthorizationType])).toEqual([
      ['ANY', 'CUSTOM'],
      ['ANY', 'CUSTOM'],
    ]);
  });

  it('validates nothing itself: the handler answers Kubernetes Status objects', () => {
    template.resourceCountIs('AWS::ApiGateway::RequestValidator', 0);
    template.resourceCountIs('AWS::ApiGateway::Model', 0);
  });

  it('lets API Gateway invoke the function from the stage only (no console test-invoke permissions)', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Permission',
      { FunctionName: arnOf(apiFunction()), Principal: 'apigateway.amazonaws.com' },
      2,
    );
    for (const path of ['/*/', '/*/*']) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: arnOf(apiFunction()),
        Action: 'lambda:InvokeFunction',
        SourceArn: { 'Fn::Join': ['', Match.arrayWith([restApi(), '/', stage(), path])] },
      });
    }
  });
});

describe('stage', () => {
  it(`is "${API_STAGE_NAME}", throttled, with execution logs for errors and no data tracing`, () => {
    template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      RestApiId: restApi(),
      StageName: 'prod',
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        },
      ],
    });
  });

  it('writes one JSON access log line per request, with the principal, the authorizer status and the error, to a month-long log group', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: arnOf(stack.api.accessLogs.node.defaultChild!) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const [stageResource] = Object.values(template.findResources('AWS::ApiGateway::Stage')) as {
      Properties: { AccessLogSetting: { Format: string } };
    }[];
    const format = stageResource!.Properties.AccessLogSetting.Format;
    // API Gateway substitutes each $context variable; messageString arrives already quoted.
    const line = JSON.parse(format.replace('$context.error.messageString', '"Forbidden"')) as Record<
      string,
      string
    >;
    expect(line).toMatchObject({
      requestId: '$context.requestId',
      principal: '$context.authorizer.principalId',
      authorizer: '$context.authorizer.status',
      status: '$context.status',
      error: 'Forbidden',
    });
  });

  it('deploys after the account-level CloudWatch role is set (logging needs it)', () => {
    const account = stack.api.restApi.node.findChild('Account');
    template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([logicalId(account)]) });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
      },
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            Match.arrayWith([':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']),
          ],
        },
      ],
    });
  });
});

describe('api function', () => {
  it('is nodejs22.x on arm64, 512 MB, 900 s (a streamed response lasts up to 15 minutes), logging to its own group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: arnOf(stack.api.handler.role!.node.defaultChild!),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 900,
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
  });

  it('gets every environment variable cloudEngine() (lambdas/wiring.ts) requires', () => {
    const required = requiredEnv('cloudEngine');
    // The names as of this writing; a new one read by cloudEngine() must be bound to the api function too.
    expect(required).toEqual(
      expect.arrayContaining([
        'SCHEDULER_ROLE_ARN',
        'SCHEDULE_GROUP',
        'STATE_MACHINE_ARN',
        'TABLE_NAME',
        'TIMERS_DLQ_ARN',
        'WAKEUP_FUNCTION_ARN',
        'CONTROLLERS_FUNCTION_ARN',
      ]),
    );
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(apiFunction())] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining(required));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: arnOf(stack.api.handler.role!.node.defaultChild!),
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          TABLE_NAME: ref(stack.table.table.node.defaultChild!),
          STATE_MACHINE_ARN: stateMachineArn,
          SCHEDULE_GROUP: 'podflow-timers',
          SCHEDULER_ROLE_ARN: arnOf(stack.scheduler.invokeRole.node.defaultChild!),
          WAKEUP_FUNCTION_ARN: arnOf(stack.functions.wakeup.node.defaultChild!),
        },
      },
    });
  });

  it.each([
    {
      name: 'reads and writes the table',
      statement: () => ({
        Action: Match.arrayWith([
          'dynamodb:Query',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ]),
        Resource: arnOf(stack.table.table.node.defaultChild!),
      }),
    },
    {
      name: 'starts worker executions (create)',
      statement: () => ({ Action: 'states:StartExecution', Resource: stateMachineArn }),
    },
    {
      name: 'completes waiting task tokens (delete, update, status patch)',
      statement: () => ({ Action: Match.arrayWith(['states:SendTaskSuccess']), Resource: stateMachineArn }),
    },
  ])('$name', ({ statement }) => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [apiRole()],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', ...statement() })]) },
    });
  });

  it('invokes the controllers function, and no other: a Job or CronJob written is a sync it asks for', () => {
    const invokes = apiRoleStatements().filter((st) => actionsOf(st).includes('lambda:InvokeFunction'));
    expect(invokes.map((st) => st.Resource)).toEqual([stack.resolve(stack.controllers.functionArn)]);
  });

  it.each(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'iam:PassRole'])(
    'may not %s: the API never schedules timers',
    (action) => {
      const statements = apiRoleStatements();
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.flatMap(actionsOf)).not.toContain(action);
    },
  );

  it('has no wildcard action', () => {
    const actions = apiRoleStatements().flatMap(actionsOf);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  });
});

describe('token authorizer', () => {
  const authorizerFunction = () => stack.api.authorizer.node.defaultChild!;

  it('is a TOKEN authorizer on the Authorization header, shape-checked by API Gateway, cached 5 minutes', () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      RestApiId: restApi(),
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      IdentityValidationExpression: '^Bearer k8s-aws-v1\\.[A-Za-z0-9_-]+$',
      AuthorizerResultTtlInSeconds: 300,
      AuthorizerUri: {
        'Fn::Join': [
          '',
          Match.arrayWith([
            ':lambda:path/2015-03-31/functions/',
            arnOf(authorizerFunction()),
            '/invocations',
          ]),
        ],
      },
    });
    const pattern = new RegExp('^Bearer k8s-aws-v1\\.[A-Za-z0-9_-]+$');
    expect(pattern.test('Bearer k8s-aws-v1.aHR0cHM6Ly9zdHM')).toBe(true);
    expect(pattern.test('Bearer s3cret')).toBe(false);
  });

  it('gets the cluster id (the stack name) and the access entries, and no AWS permission but its logs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: arnOf(stack.api.authorizer.role!.node.defaultChild!),
      Timeout: 10,
      Environment: {
        Variables: {
          PODFLOW_CLUSTER_ID: 'Podflow',
          PODFLOW_ACCESS: JSON.stringify([{ principal: DEV, namespaces: ['team-a'], access: 'write' }]),
        },
      },
    });
    const role = ref(stack.api.authorizer.role!.node.defaultChild!);
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [role] } }),
    ).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
    expect(statements.flatMap(actionsOf).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('refuses invalid access entries at synth, naming the field', () => {
    const scope = new Stack();
    expect(
      () =>
        new Api(scope, 'Api', {
          access: [{ principal: 'alice', namespaces: ['*'], access: 'write' }],
        }),
    ).toThrow(/access\[0\]\.principal: Invalid value: "alice"/);
  });
});

describe('outputs', () => {
  it('exports the stage URL as ApiUrl, and only there', () => {
    template.hasOutput('ApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            restApi(),
            '.execute-api.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            '/',
            stage(),
            '/',
          ],
        ],
      },
    });
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual([
      'ApiUrl',
      'ClusterArn',
      'ClusterId',
      'ControllersFunctionArn',
      'PodLogGroup',
      'Region',
      'ScheduleGroup',
      'StateMachineArn',
      'TableName',
    ]);
  });
});

describe('api bundle (real esbuild)', () => {
  let outdir: string;
  let bundled: PodflowStack;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'podflow-cdk-api-'));
    bundled = createTestApp({ bundling: true, outdir }).stack;
    // esbuild bundles every Lambda of the stack: about 10 s on an idle 2-core machine, 20+ s under load.
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is one ESM file (wiring included) that starts with the createRequire banner', () => {
    const { code, assetDir } = bundledHandler(outdir, bundled.api.handler);
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    // lambdas/api.ts imports the wiring lazily; without code splitting esbuild inlines it, so nothing is left to load.
    expect(code).not.toMatch(/import\(\s*["']\.\/wiring/);
    // The AWS SDK stays external (the runtime provides it): it appears as import specifiers, and as keys of the
    // dependency list of the package.json that api/discovery.ts imports, never as bundled code.
    const sdkMentions = [...code.matchAll(/(.{4})"(@aws-sdk\/[\w-]+)"(.)/g)];
    expect(sdkMentions.filter(([, before]) => before === 'from').length).toBeGreaterThan(0);
    for (const [mention, before, , after] of sdkMentions)
      expect(before === 'from' || after === ':', mention).toBe(true);
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
  });
});
