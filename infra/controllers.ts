// Controllers: the Job and CronJob controllers in the cloud (lambdas/controllers.ts; docs/decisions/0011-jobs.md,
// 0013-cronjobs.md). One function with reserved concurrency 1 — one sync at a time, as one kube-controller-manager
// leads — invoked asynchronously (Lambda queues the events while one runs) by:
//   - the functions that write pods, Jobs and CronJobs (bindNotifier: the api and lifecycle functions), after a change
//     a controller must see;
//   - the wakeup function, when a controller's timer is due (a Job's back-off, deadline or TTL);
//   - each CronJob's recurring EventBridge Scheduler schedule, in the timers' schedule group, through the same invoke
//     role;
//   - a sweep every SWEEP_RATE that syncs every Job and CronJob: a lost notification delays a sync, never loses it.
import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { createPodflowFunction, namedFunctionArn } from './podflow-functions.ts';

/** Environment variable through which a function finds the controllers function (lambdas/wiring.ts). */
export const CONTROLLERS_FUNCTION_ARN_ENV = 'CONTROLLERS_FUNCTION_ARN';

/**
 * A sync reads the object and its namespace's pods or Jobs and writes a few items; a sweep syncs every Job and
 * CronJob one after the other. Two minutes bound both well beyond what they take.
 */
export const CONTROLLERS_TIMEOUT = Duration.minutes(2);

/**
 * How often every Job and CronJob syncs anyway: a List of the Jobs, CronJobs and pods (a Scan, about one read unit
 * per item), as the recovery sweep of the pods does.
 */
export const CONTROLLERS_SWEEP_RATE = Duration.minutes(5);

/** The sweep's event (lambdas/controllers.ts). */
export const CONTROLLERS_SWEEP_EVENT = { sweep: true };

export interface ControllersProps {
  /** Physical name (default `<stack>-controllers`): fixed so that the function can name itself as a target. */
  functionName?: string;
}

export class Controllers extends Construct {
  readonly handler: NodejsFunction;
  readonly functionName: string;
  /** Computed from the name, so that the function's own environment can hold it without a circular reference. */
  readonly functionArn: string;
  readonly sweep: Rule;

  constructor(scope: Construct, id: string, props: ControllersProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.functionName = props.functionName ?? `${stack.stackName}-controllers`;
    const named = namedFunctionArn(this, this.functionName);
    if ('tooLong' in named) throw new RangeError(`${named.tooLong}; set functionName`);
    this.functionArn = named.arn;
    this.handler = createPodflowFunction(this, 'Handler', 'controllers.ts', CONTROLLERS_TIMEOUT, {
      functionName: this.functionName,
      reservedConcurrentExecutions: 1,
    });
    // The CronJobs' schedules name it as their target.
    this.handler.addEnvironment(CONTROLLERS_FUNCTION_ARN_ENV, this.functionArn);
    this.sweep = new Rule(this, 'Sweep', {
      description: 'podflow: every Job and CronJob syncs (what a lost notification left behind)',
      schedule: Schedule.rate(CONTROLLERS_SWEEP_RATE),
      targets: [
        new LambdaTarget(this.handler, {
          event: RuleTargetInput.fromObject(CONTROLLERS_SWEEP_EVENT),
          maxEventAge: CONTROLLERS_SWEEP_RATE,
        }),
      ],
    });
  }

  /**
   * Lets `fn` ask for a sync (an asynchronous Invoke of the unqualified function) and tells it where, in
   * CONTROLLERS_FUNCTION_ARN: the functions whose writes a controller must see, and the wakeup function.
   */
  bindNotifier(fn: LambdaFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.functionArn] }),
    );
    fn.addEnvironment(CONTROLLERS_FUNCTION_ARN_ENV, this.functionArn);
  }
}
