// The Prober construct (docs/decisions/0003-probes.md "Cloud"): the prober function, what cloudProber() needs to
// start, the IAM of exactly what a run does (leases, registrations, pod reads, events and inbox deliveries in the
// table, SendTaskSuccess, invoking itself), the supervisor schedule, and the shard count it shares with lifecycle.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER } from '../../infra/podflow-functions.ts';
import { requiredEnv, wiringBody } from './wiring-env.ts';
import { PodflowStack } from '../../infra/podflow-stack.ts';
import { InvalidProberPropsError } from '../../infra/prober.ts';
import { bundledHandler, createTestApp } from './podflow-test-app.ts';

let stack: PodflowStack;
let template: Template;

const logicalId = (construct: IConstruct): string =>
  Stack.of(construct).resolve((construct as CfnFunction).logicalId) as string;
const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const arnOfAttr = (construct: IConstruct, attribute: string) => ({
  'Fn::GetAtt': [logicalId(construct), attribute],
});
const proberFunction = () => stack.prober.handler.node.defaultChild!;
const proberRole = () => ref(stack.prober.handler.role!.node.defaultChild!);

type Statement = { Action: string | string[]; Effect: string; Resource: unknown; Condition?: unknown };
/** The statements of every policy attached to the prober's role. */
const proberStatements = (): Statement[] =>
  Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [proberRole()] } }),
  ).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
const actionsOf = (statement: Statement): string[] => [statement.Action].flat();

const environmentOf = (t: Template, fn: IConstruct): Record<string, unknown> =>
  (
    t.findResources('AWS::Lambda::Function')[logicalId(fn)] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }
  ).Properties.Environment.Variables;

const pseudoArn = (service: string, resource: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resource}`,
    ],
  ],
});
const stateMachineArn = pseudoArn('states', 'stateMachine:Podflow-pod-worker');
const proberArn = pseudoArn('lambda', 'function:Podflow-prober');

beforeAll(() => {
  stack = createTestApp().stack;
  template = Template.fromStack(stack);
});

describe('prober function', () => {
  it('is nodejs22.x on arm64, 384 MB (sized by measured CPU: PROBER_MEMORY_MB), 900 s (Lambda maximum), named, logging to its own group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'Podflow-prober',
      Role: arnOf(stack.prober.handler.role!.node.defaultChild!),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 384,
      Timeout: 900,
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: ref(stack.prober.node.findChild('HandlerLogs').node.defaultChild!) },
    });
  });

  it('has no reserved concurrency (leases keep one run per shard) and runs in the pods’ VPC (probes reach pod IPs)', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(proberFunction())] as {
      Properties: Record<string, unknown>;
    };
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn.Properties.VpcConfig).toEqual({
      SecurityGroupIds: [arnOfAttr(stack.runtime.functionSecurityGroup.node.defaultChild!, 'GroupId')],
      SubnetIds: stack.runtime.vpc.privateSubnets.map((s) => ref(s.node.defaultChild!)),
    });
  });

  it('gets the table, the state machine ARN and the shard count', () => {
    expect(environmentOf(template, proberFunction())).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      TABLE_NAME: ref(stack.table.table.node.defaultChild!),
      STATE_MACHINE_ARN: stateMachineArn,
      PROBER_SHARDS: '1',
    });
  });

  it('gets every environment variable cloudProber() (lambdas/wiring.ts) requires, and the shard count it reads', () => {
    const wiring = readFileSync(new URL('../../lambdas/wiring.ts', import.meta.url), 'utf8');
    const body = wiringBody('cloudProber');
    const required = requiredEnv('cloudProber');
    // The names as of this writing; a new one read by cloudProber() must be bound to the prober too.
    expect(required).toEqual(expect.arrayContaining(['STATE_MACHINE_ARN', 'TABLE_NAME']));
    // Optional settings, read directly or through a helper such as proberShards() (`const f = () => envInt(…)`).
    const helpers = new Map(
      [...wiring.matchAll(/const (\w+) = \(\)[^=]*=> envInt\('([A-Z_]+)'/g)].map((m) => [m[1]!, m[2]!]),
    );
    const optional = new Set([...body.matchAll(/\benvInt\('([A-Z_]+)'/g)].map((m) => m[1]!));
    for (const [helper, name] of helpers) if (new RegExp(`\\b${helper}\\(\\)`).test(body)) optional.add(name);
    // PROBER_SHARDS must be set, not defaulted: lifecycle writes registrations by it (bindShards). The run's
    // tunables keep the code's defaults (engine/prober/shard-prober.ts); a new setting shows up here.
    expect([...optional].sort()).toEqual([
      'PROBER_LEASE_TTL_MS',
      'PROBER_SHARDS',
      'PROBER_SYNC_INTERVAL_MS',
      'PROBER_WINDOW_MS',
    ]);
    expect(Object.keys(environmentOf(template, proberFunction()))).toEqual(
      expect.arrayContaining([...required, 'PROBER_SHARDS']),
    );
  });

  it('runs cloudProber() only: cloudEngine() and its Scheduler configuration are never built in the prober', () => {
    const handler = readFileSync(new URL('../../lambdas/prober.ts', import.meta.url), 'utf8');
    expect(handler).toMatch(/\{ cloudProber \} = await import\('\.\/wiring\.ts'\)/);
    expect(handler).not.toMatch(/cloudEngine/);
  });
});

describe('prober start from the lifecycle function (scale to zero)', () => {
  const lifecycleFn = () => stack.functions.lifecycle.node.defaultChild!;
  it('lifecycle gets PROBER_FUNCTION_ARN (the prober, by the ARN built from its name) and may invoke it', () => {
    expect(environmentOf(template, lifecycleFn())).toMatchObject({ PROBER_FUNCTION_ARN: proberArn });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack.functions.lifecycle.role!.node.defaultChild!)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: proberArn }),
        ]),
      },
    });
  });

  it('the api function (which never starts a container) gets neither', () => {
    expect(environmentOf(template, stack.api.handler.node.defaultChild!)).not.toHaveProperty(
      'PROBER_FUNCTION_ARN',
    );
  });

  it('buildCloudEngine() reads PROBER_FUNCTION_ARN (optional) and wakes shards through startIdleShard', () => {
    const wiring = readFileSync(new URL('../../lambdas/wiring.ts', import.meta.url), 'utf8');
    expect(wiring).toMatch(/process\.env\.PROBER_FUNCTION_ARN/);
    expect(wiringBody('buildCloudEngine')).toMatch(/wakeShard: proberWaker\(/);
  });
});

describe('prober IAM', () => {
  it.each([
    {
      name: 'reads and writes the table (leases, registrations, pods, events, inbox deliveries)',
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
      name: 'completes waiting task tokens (a changed probe result wakes the worker), SendTaskSuccess only',
      statement: () => ({ Action: 'states:SendTaskSuccess', Resource: stateMachineArn }),
    },
    {
      name: 'invokes itself (the successor, probers for orphaned shards), by the ARN built from its name',
      statement: () => ({ Action: 'lambda:InvokeFunction', Resource: proberArn }),
    },
  ])('$name', ({ statement }) => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [proberRole()],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', ...statement() })]) },
    });
  });

  it('may do nothing else: logs, dynamodb on the table, SendTaskSuccess, InvokeFunction on itself', () => {
    const statements = proberStatements();
    const other = statements.flatMap(actionsOf).filter((a) => !a.startsWith('dynamodb:'));
    expect(other.sort()).toEqual([
      'lambda:InvokeFunction',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'states:SendTaskSuccess',
    ]);
    const table = arnOf(stack.table.table.node.defaultChild!);
    for (const s of statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:'))))
      expect(s.Resource).toEqual(table);
    const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => s.Resource)).toEqual([proberArn]);
  });

  it.each([
    'scheduler:CreateSchedule',
    'scheduler:DeleteSchedule',
    'iam:PassRole',
    'states:StartExecution',
    'states:SendTaskFailure',
  ])('may not %s', (action) => {
    const actions = proberStatements().flatMap(actionsOf);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions).not.toContain(action);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  });

  it('names the function in its role policy without referring to it (no circular dependency)', () => {
    const policies = JSON.stringify(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [proberRole()] } }),
    );
    expect(policies).not.toContain(logicalId(proberFunction()));
    expect(stack.prober.functionName).toBe('Podflow-prober');
  });
});

describe('supervisor schedule', () => {
  it('sends {"supervise": true} to the prober every minute; older events are dropped', () => {
    const [rule] = Object.values(
      template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(1 minute)' } }),
    ) as {
      Properties: {
        ScheduleExpression: string;
        State: string;
        Targets: { Arn: unknown; Input: string; RetryPolicy?: unknown }[];
      };
    }[];
    expect(rule!.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule!.Properties.State).toBe('ENABLED');
    expect(rule!.Properties.Targets).toHaveLength(1);
    const [target] = rule!.Properties.Targets;
    expect(target!.Arn).toEqual(arnOf(proberFunction()));
    expect(JSON.parse(target!.Input)).toEqual({ supervise: true });
    expect(target!.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 60 });
  });

  it('lets EventBridge invoke the prober from that rule only', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Permission',
      { FunctionName: arnOf(proberFunction()), Principal: 'events.amazonaws.com' },
      1,
    );
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(proberFunction()),
      Principal: 'events.amazonaws.com',
      SourceArn: arnOf(stack.prober.supervisor.node.defaultChild!),
    });
  });
});

describe('shard count', () => {
  it.each([
    { name: 'default', proberShards: undefined, expected: '1' },
    { name: 'proberShards: 4', proberShards: 4, expected: '4' },
  ])(
    '$name: lifecycle and the api build the engine with the PROBER_SHARDS the prober reads ($expected)',
    ({ proberShards, expected }) => {
      const app = new App({
        context: { 'aws:cdk:bundling-stacks': [] },
        builtinCloudFormationValidation: false,
      });
      const s = new PodflowStack(app, 'Podflow', { proberShards });
      const t = Template.fromStack(s);
      expect(environmentOf(t, s.prober.handler.node.defaultChild!).PROBER_SHARDS).toBe(expected);
      expect(environmentOf(t, s.functions.lifecycle.node.defaultChild!).PROBER_SHARDS).toBe(expected);
      expect(environmentOf(t, s.api.handler.node.defaultChild!).PROBER_SHARDS).toBe(expected);
    },
  );

  it.each([
    { name: 'zero', proberShards: 0 },
    { name: 'negative', proberShards: -1 },
    { name: 'fractional', proberShards: 1.5 },
  ])('$name shard count fails the synth (wiring.ts would refuse it at cold start)', ({ proberShards }) => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    expect(() => new PodflowStack(app, 'Podflow', { proberShards })).toThrow(InvalidProberPropsError);
  });

  it('refuses a default function name beyond Lambda’s 64 characters', () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    expect(() => new PodflowStack(app, 'P'.repeat(60))).toThrow(InvalidProberPropsError);
  });
});

describe('prober bundle (real esbuild)', () => {
  let outdir: string;
  let bundled: PodflowStack;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'podflow-cdk-prober-'));
    bundled = createTestApp({ bundling: true, outdir }).stack;
    // esbuild bundles every Lambda of the stack here: about 10 s on an idle 2-core machine, 20+ s under load
    // (as stack.test.ts allows).
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is one ESM file (wiring included) that starts with the createRequire banner', () => {
    const { code, assetDir } = bundledHandler(outdir, bundled.prober.handler);
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    // lambdas/prober.ts imports the wiring lazily; without code splitting esbuild inlines it.
    expect(code).not.toMatch(/import\(\s*["']\.\/wiring/);
    // The AWS SDK stays external (the runtime provides it): it appears only as import specifiers.
    for (const [, before] of code.matchAll(/(.{4})"@aws-sdk\//g)) expect(before).toBe('from');
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
  });
});
