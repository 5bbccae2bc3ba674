// PodflowStack: composes the cloud mode (docs/architecture.md §10). Constructs own their resources; the stack only
// wires them with bind…() calls, each of which grants the IAM permissions and sets the environment variable together.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './api.ts';
import { PodTable } from './pod-table.ts';
import { PodWorkerStateMachine } from './pod-worker-state-machine.ts';
import { PodflowFunctions } from './podflow-functions.ts';
import { Prober } from './prober.ts';
import {
  RestartScheduler,
  SCHEDULE_GROUP_ENV,
  SCHEDULER_ROLE_ARN_ENV,
  WAKEUP_FUNCTION_ARN_ENV,
} from './restart-scheduler.ts';

export interface PodflowStackProps extends StackProps {
  /** PROBER_SHARDS of the prober and the lifecycle function (ProberProps.shards). Default 1. */
  proberShards?: number;
}

export class PodflowStack extends Stack {
  readonly table: PodTable;
  readonly functions: PodflowFunctions;
  readonly scheduler: RestartScheduler;
  readonly podWorker: PodWorkerStateMachine;
  readonly api: Api;
  readonly prober: Prober;

  constructor(scope: Construct, id: string, props: PodflowStackProps = {}) {
    super(scope, id, props);
    this.table = new PodTable(this, 'PodTable');
    this.functions = new PodflowFunctions(this, 'Functions');
    const { lifecycle, wakeup } = this.functions;
    this.scheduler = new RestartScheduler(this, 'RestartScheduler', { wakeupFunction: wakeup });
    this.podWorker = new PodWorkerStateMachine(this, 'PodWorker', { lifecycleFunction: lifecycle });

    // lifecycle: reconciles pods, schedules restart timers, continues as new, completes its own token when the
    // inbox already holds an event.
    this.table.bindReadWrite(lifecycle);
    this.scheduler.bindScheduler(lifecycle);
    this.podWorker.bindStarter(lifecycle);
    this.podWorker.bindTaskResponder(lifecycle);
    // wakeup: delivers timerDue into the inbox and completes the waiting token.
    this.table.bindReadWrite(wakeup);
    this.podWorker.bindTaskResponder(wakeup);

    // api: creates pods (starts their worker), deletes and patches them (completes the waiting token), reads.
    this.api = new Api(this, 'Api');
    const { handler: api } = this.api;
    this.table.bindReadWrite(api);
    this.podWorker.bindStarter(api);
    this.podWorker.bindTaskResponder(api);
    // cloudEngine() (lambdas/wiring.ts) builds every adapter at cold start, the Scheduler one included, and refuses
    // to start without its configuration. The API never schedules a timer nor invokes wakeup, so it gets the
    // environment of bindScheduler without its grants (no scheduler:*, iam:PassRole, lambda:InvokeFunction).
    api.addEnvironment(SCHEDULE_GROUP_ENV, this.scheduler.groupName);
    api.addEnvironment(SCHEDULER_ROLE_ARN_ENV, this.scheduler.invokeRole.roleArn);
    api.addEnvironment(WAKEUP_FUNCTION_ARN_ENV, wakeup.functionArn);

    // prober: leases and registrations, pod reads, Unhealthy/ProbeWarning events and probeResult inbox deliveries
    // (completing the waiting token — granted by Prober itself, SendTaskSuccess only); invokes its own successor.
    this.prober = new Prober(this, 'Prober', {
      stateMachineArn: this.podWorker.stateMachineArn,
      shards: props.proberShards,
    });
    this.table.bindReadWrite(this.prober.handler);
    // lifecycle writes the registrations (startProbes/stopProbes) into the shard the probers read.
    this.prober.bindShards(lifecycle);

    // No container runtime is deployed (docs/architecture.md §10): the prober has no task IPs to reach and runs
    // outside any VPC (infra/prober.ts).

    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.podWorker.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
  }
}
