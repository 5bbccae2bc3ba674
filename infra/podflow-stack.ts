// PodflowStack: composes the cloud mode (docs/architecture.md §10). Constructs own their resources; the stack only
// wires them with bind…() calls, each of which grants the IAM permissions and sets the environment variable together.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api, type ApiProps } from './api.ts';
import { Controllers } from './controllers.ts';
import { FargateRuntime, type FargateRuntimeProps, type ImportedNetwork } from './fargate-runtime.ts';
import { PodTable } from './pod-table.ts';
import { PodWorkerStateMachine } from './pod-worker-state-machine.ts';
import { HOOK_FUNCTION_ARN_ENV, PodflowFunctions } from './podflow-functions.ts';
import { Prober } from './prober.ts';
import { RestartScheduler } from './restart-scheduler.ts';

export interface PodflowStackProps extends StackProps {
  /** PROBER_SHARDS of the prober and the lifecycle function (ProberProps.shards). Default 1. */
  proberShards?: number;
  /** Run pods in this existing VPC (its private subnets) instead of a new one. */
  network?: ImportedNetwork;
  /** The Fargate runtime's other settings (NAT gateways, endpoints, public IPs, log retention, ECS Exec, …). */
  fargate?: Omit<FargateRuntimeProps, 'network'>;
  /** The API's settings: who may use it (access entries), its cluster id, throttling, … */
  api?: ApiProps;
}

export class PodflowStack extends Stack {
  readonly table: PodTable;
  readonly functions: PodflowFunctions;
  readonly scheduler: RestartScheduler;
  readonly podWorker: PodWorkerStateMachine;
  readonly api: Api;
  readonly prober: Prober;
  readonly runtime: FargateRuntime;
  readonly controllers: Controllers;

  constructor(scope: Construct, id: string, props: PodflowStackProps = {}) {
    super(scope, id, props);
    this.table = new PodTable(this, 'PodTable');
    // Pods run as Fargate tasks (docs/decisions/0006-fargate-runtime.md). The functions that connect to pod IPs —
    // lifecycle (httpGet hooks) and the prober — run in the pods' VPC.
    this.runtime = new FargateRuntime(this, 'Runtime', {
      ...props.fargate,
      ...(props.network ? { network: props.network } : {}),
    });
    const placement = this.runtime.functionPlacement;
    this.functions = new PodflowFunctions(this, 'Functions', { lifecyclePlacement: placement });
    const { lifecycle, wakeup } = this.functions;
    this.scheduler = new RestartScheduler(this, 'RestartScheduler', { wakeupFunction: wakeup });
    this.podWorker = new PodWorkerStateMachine(this, 'PodWorker', { lifecycleFunction: lifecycle });

    // lifecycle: reconciles pods, schedules restart timers, continues as new, completes its own token when the
    // inbox already holds an event.
    this.table.bindReadWrite(lifecycle);
    this.runtime.bindRuntime(lifecycle);
    this.scheduler.bindScheduler(lifecycle);
    this.podWorker.bindStarter(lifecycle);
    this.podWorker.bindTaskResponder(lifecycle);
    this.functions.bindHookStarter(lifecycle);
    // hook: runs a postStart/preStop hook, delivers its outcome and completes the waiting token.
    this.table.bindReadWrite(this.functions.hook);
    this.podWorker.bindTaskResponder(this.functions.hook);
    // wakeup: delivers timerDue into the inbox and completes the waiting token (lambdas/wiring.ts cloudDelivery).
    this.table.bindReadWrite(wakeup);
    this.podWorker.bindTaskResponder(wakeup);

    // api: creates pods (starts their worker), deletes and patches them (completes the waiting token), reads.
    this.api = new Api(this, 'Api', props.api);
    const { handler: api } = this.api;
    this.table.bindReadWrite(api);
    this.podWorker.bindStarter(api);
    this.podWorker.bindTaskResponder(api);
    // kubectl logs reads CloudWatch Logs; exec answers 501 with the ECS Exec command.
    this.runtime.bindLogReader(api);
    // cloudEngine() (lambdas/wiring.ts) builds every adapter at cold start, the Scheduler one included, and refuses
    // to start without its configuration. The API never schedules a timer nor invokes wakeup, so it gets the
    // environment of bindScheduler without its grants (no scheduler:*, iam:PassRole, lambda:InvokeFunction).
    this.scheduler.bindEnvironment(api);
    api.addEnvironment(HOOK_FUNCTION_ARN_ENV, this.functions.hook.functionArn);

    // prober: leases and registrations, pod reads, Unhealthy/ProbeWarning events and probeResult inbox deliveries
    // (completing the waiting token — granted by Prober itself, SendTaskSuccess only); invokes its own successor.
    this.prober = new Prober(this, 'Prober', {
      stateMachineArn: this.podWorker.stateMachineArn,
      shards: props.proberShards,
      placement,
    });
    this.table.bindReadWrite(this.prober.handler);
    // lifecycle writes the registrations (startProbes/stopProbes) into the shard the probers read; the api builds the
    // same engine (cloudEngine()), so it is told the same count.
    this.prober.bindShards(lifecycle);
    this.prober.bindShards(api);
    // A shard without probes has no prober running: lifecycle starts one when it registers a probe in it.
    this.prober.bindStarter(lifecycle);

    // worker recovery: a failed execution's pod is read, and a new worker started (the construct grants the start).
    this.table.bindReadWrite(this.podWorker.recovery);
    this.table.bindSweep(this.podWorker.recovery);

    // observer: ECS task state changes → the pods' inboxes (reads pods, delivers, completes the waiting token).
    this.table.bindReadWrite(this.runtime.observer);
    this.podWorker.bindTaskResponder(this.runtime.observer);

    // controllers: the Job and CronJob controllers. They create and delete pods as the api does (the engine's use
    // cases: the table, worker starts and deliveries), arm their timers through the wakeup function and keep each
    // CronJob's recurring schedule in the timers' group; the engine they build reads the runtime's environment.
    this.controllers = new Controllers(this, 'Controllers');
    const { handler: controllers } = this.controllers;
    this.table.bindReadWrite(controllers);
    this.podWorker.bindStarter(controllers);
    this.podWorker.bindTaskResponder(controllers);
    this.scheduler.bindScheduler(controllers);
    this.scheduler.allowTarget(this.controllers.functionArn);
    this.runtime.bindEnvironment(controllers);
    this.prober.bindShards(controllers);
    controllers.addEnvironment(HOOK_FUNCTION_ARN_ENV, this.functions.hook.functionArn);
    // Who tells them: the api (Jobs, CronJobs, pods deleted), lifecycle (a Job's pods changing phase), wakeup (their
    // timers).
    this.controllers.bindNotifier(api);
    this.controllers.bindNotifier(lifecycle);
    this.controllers.bindNotifier(wakeup);

    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.podWorker.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    // What `podflow kubeconfig --aws` reads besides ApiUrl.
    new CfnOutput(this, 'ClusterId', { value: this.api.clusterId });
    new CfnOutput(this, 'Region', { value: this.region });
    new CfnOutput(this, 'ClusterArn', { value: this.runtime.cluster.clusterArn });
    new CfnOutput(this, 'PodLogGroup', { value: this.runtime.logGroup.logGroupName });
    // Where the CronJobs' schedules are, and their target (what `aws scheduler list-schedules` is asked about).
    new CfnOutput(this, 'ScheduleGroup', { value: this.scheduler.groupName });
    new CfnOutput(this, 'ControllersFunctionArn', { value: this.controllers.functionArn });
  }
}
