// PodflowFunctions: the Lambda entry points of the pod worker (DESIGN §2 "lambdas"). Each is bundled by esbuild
// from the TypeScript entry in lambdas/ into one ESM file; the AWS SDK v3 that the nodejs22.x runtime ships is
// left out of the bundle. The api function is built the same way (createPodflowFunction) by the Api construct.
import { Duration, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

/**
 * esbuild's ESM output has no `require`, but CommonJS dependencies bundled into it (the AWS SDK's own deps,
 * pino's) call it for Node built-ins; this banner gives the module a real one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __podflowCreateRequire } from 'node:module'; const require = __podflowCreateRequire(import.meta.url);";

/**
 * Lifecycle handler: reconcile + carry out the actions of one step. 60 s is also what the local interpreter
 * (aws-local-stepfunctions) allows a Task without TimeoutSeconds, so both modes bound a step alike.
 */
export const LIFECYCLE_TIMEOUT = Duration.seconds(60);

/**
 * Wakeup: sleeps until the timer's due second before delivering (Scheduler fires at the start of the minute,
 * direct invokes up to MAX_DIRECT_WAIT_MS early — adapters/eventbridge/eventbridge-wakeup-scheduler.ts), so it
 * gets Lambda's maximum, 15 minutes.
 */
export const WAKEUP_TIMEOUT = Duration.minutes(15);

export const FUNCTION_MEMORY_MB = 512;

/** CloudWatch Logs retention of the function logs. */
export const FUNCTION_LOG_RETENTION = RetentionDays.ONE_MONTH;

const entry = (file: string): string => fileURLToPath(new URL(`../lambdas/${file}`, import.meta.url));

/**
 * One podflow Lambda, bundled from `lambdas/<file>` the way every entry point is (ESM, node22, arm64, 512 MB, the
 * AWS SDK left to the runtime), with its own log group and a role that may write only to it. The log group and
 * role get the ids `<id>Logs` and `<id>Role` next to the function in `scope`.
 */
export function createPodflowFunction(
  scope: Construct,
  id: string,
  file: string,
  timeout: Duration,
): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: FUNCTION_LOG_RETENTION });
  // An own role instead of the default AWSLambdaBasicExecutionRole: that managed policy lets the function write
  // to any log group; this one may only write to its own.
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, id, {
    entry: entry(file),
    handler: 'handler',
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: FUNCTION_MEMORY_MB,
    timeout,
    role,
    logGroup,
    environment: { NODE_OPTIONS: '--enable-source-maps' },
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      // Prefer the ESM build of dependencies that ship both.
      mainFields: ['module', 'main'],
      banner: ESM_REQUIRE_BANNER,
      minify: true,
      sourceMap: true,
      externalModules: ['@aws-sdk/*'],
    },
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'nodejs22.x on purpose: the project pins Node 22 (package.json `node`), so local mode and Lambda run the ' +
      'same major; the runtime moves together with that pin.',
  });
  return fn;
}

export class PodflowFunctions extends Construct {
  /** Entry of every Task state of the pod worker state machine (lambdas/lifecycle.ts). */
  readonly lifecycle: NodejsFunction;
  /** Target of restart timers (lambdas/wakeup.ts). */
  readonly wakeup: NodejsFunction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.lifecycle = createPodflowFunction(this, 'Lifecycle', 'lifecycle.ts', LIFECYCLE_TIMEOUT);
    this.wakeup = createPodflowFunction(this, 'Wakeup', 'wakeup.ts', WAKEUP_TIMEOUT);
  }
}
