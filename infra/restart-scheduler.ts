// RestartScheduler: where the pods' wake-up timers (crash back-off restarts, activeDeadlineSeconds) live in the cloud
// (docs/architecture.md §4). The EventBridgeWakeupScheduler adapter creates one-time schedules in this group;
// Scheduler fires them by assuming the role below and invoking the wakeup Lambda, which sleeps out the remaining
// seconds and delivers `timerDue`. Short delays skip Scheduler: the adapter invokes the wakeup Lambda asynchronously
// itself.
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Default schedule group name. Schedule names are unique per group (adapters/eventbridge/schedule-name.ts). */
export const DEFAULT_SCHEDULE_GROUP = 'podflow-timers';

export const SCHEDULE_GROUP_ENV = 'SCHEDULE_GROUP';
export const SCHEDULER_ROLE_ARN_ENV = 'SCHEDULER_ROLE_ARN';
export const WAKEUP_FUNCTION_ARN_ENV = 'WAKEUP_FUNCTION_ARN';
export const TIMERS_DLQ_ARN_ENV = 'TIMERS_DLQ_ARN';

export interface RestartSchedulerProps {
  /** Target of every schedule (lambdas/wakeup.ts). */
  wakeupFunction: IFunction;
  /** Default DEFAULT_SCHEDULE_GROUP; a second deployment in the same account and region needs another name. */
  groupName?: string;
}

export class RestartScheduler extends Construct {
  readonly groupName: string;
  /** The role EventBridge Scheduler assumes to invoke the wakeup function. */
  readonly invokeRole: Role;
  readonly wakeupFunction: IFunction;
  readonly group: CfnScheduleGroup;
  /**
   * Where a wake-up goes that could not be delivered: a schedule Scheduler could not invoke the wakeup function for
   * after its retries (Target DeadLetterConfig), and an asynchronous invocation of the wakeup function that failed
   * after Lambda's two retries (on-failure destination). The worker recovery sweep delivers such a timer anyway
   * once it is overdue (docs/decisions/0002-pod-worker-state-machine.md, "Failures"); the alarm says it happened.
   */
  readonly deadLetterQueue: Queue;
  /** In ALARM while the dead-letter queue holds a message. */
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: RestartSchedulerProps) {
    super(scope, id);
    this.groupName = props.groupName ?? DEFAULT_SCHEDULE_GROUP;
    this.wakeupFunction = props.wakeupFunction;
    this.group = new CfnScheduleGroup(this, 'Group', { name: this.groupName });

    const stack = Stack.of(this);
    // Confused-deputy guard (Scheduler user guide, "Set up the execution role"): only Scheduler acting for this
    // account may assume the role.
    this.invokeRole = new Role(this, 'InvokeRole', {
      description: 'Assumed by EventBridge Scheduler to invoke the podflow wakeup function',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.invokeRole.addToPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        // The unqualified ARN only: schedules target the function itself, never a version or alias.
        resources: [props.wakeupFunction.functionArn],
      }),
    );

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // Scheduler sends a schedule's undeliverable event with the schedule's execution role ("Configuring a
    // dead-letter queue for EventBridge Scheduler": the role needs sqs:SendMessage on the queue).
    this.deadLetterQueue.grantSendMessages(this.invokeRole);
    props.wakeupFunction.configureAsyncInvoke({
      onFailure: new SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
    });
    this.deadLetterAlarm = new Alarm(this, 'DeadLettersAlarm', {
      alarmDescription:
        'podflow: a pod timer wake-up could not be delivered (the recovery sweep delivers it late)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the timers (Scheduler and the wakeup function).',
    });
  }

  /**
   * Lets `fn` run the EventBridgeWakeupScheduler adapter: create, replace and delete schedules in the group, hand
   * Scheduler the invoke role, and invoke the wakeup function directly for short delays. Sets SCHEDULE_GROUP,
   * SCHEDULER_ROLE_ARN, WAKEUP_FUNCTION_ARN and TIMERS_DLQ_ARN.
   */
  bindScheduler(fn: LambdaFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        resources: [this.#scheduleArnPattern()],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.invokeRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    // The direct path (delays under a minute): an asynchronous Invoke of the same function.
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['lambda:InvokeFunction'],
        resources: [this.wakeupFunction.functionArn],
      }),
    );
    this.bindEnvironment(fn);
    // The grant lands in the function role's policy, so that is where the finding is acknowledged.
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.groupName}/*]`,
      reason:
        'Schedule names are created at run time, one per (pod, timer) (adapters/eventbridge/schedule-name.ts); the ' +
        'wildcard is confined to the podflow schedule group.',
    });
  }

  /**
   * Lets Scheduler invoke `functionArn` too, with the same role: the target of schedules other than the timers (the
   * CronJobs' recurring schedules invoke the controllers function).
   */
  allowTarget(functionArn: string): void {
    this.invokeRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [functionArn] }),
    );
  }

  /**
   * What the EventBridgeWakeupScheduler adapter reads (lambdas/wiring.ts): SCHEDULE_GROUP, SCHEDULER_ROLE_ARN,
   * WAKEUP_FUNCTION_ARN and TIMERS_DLQ_ARN — without the grants bindScheduler adds.
   */
  bindEnvironment(fn: LambdaFunction): void {
    fn.addEnvironment(SCHEDULE_GROUP_ENV, this.groupName);
    fn.addEnvironment(SCHEDULER_ROLE_ARN_ENV, this.invokeRole.roleArn);
    fn.addEnvironment(WAKEUP_FUNCTION_ARN_ENV, this.wakeupFunction.functionArn);
    fn.addEnvironment(TIMERS_DLQ_ARN_ENV, this.deadLetterQueue.queueArn);
  }

  /** Every schedule of the group: arn:…:scheduler:<region>:<account>:schedule/<group>/*. */
  #scheduleArnPattern(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.groupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}
