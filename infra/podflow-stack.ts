// PodflowStack: composes the cloud mode (DESIGN §10). Constructs own their resources; the stack only wires them
// with bind…() calls, each of which grants the IAM permissions and sets the environment variable together.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PodTable } from './pod-table.ts';
import { PodWorkerStateMachine } from './pod-worker-state-machine.ts';
import { PodflowFunctions } from './podflow-functions.ts';
import { RestartScheduler } from './restart-scheduler.ts';

export class PodflowStack extends Stack {
  readonly table: PodTable;
  readonly functions: PodflowFunctions;
  readonly scheduler: RestartScheduler;
  readonly podWorker: PodWorkerStateMachine;

  constructor(scope: Construct, id: string, props?: StackProps) {
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

    // TODO(api, fargate): Api (REST API + api Lambda, bindStarter/bindReadWrite) and FargateRuntime come in later issues.

    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.podWorker.stateMachine.stateMachineArn });
  }
}
