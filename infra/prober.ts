// Prober: the cloud half of docs/decisions/0003-probes.md — the prober Lambda (lambdas/prober.ts) that runs the
// startup, readiness and liveness probes of one shard per invocation, holding the shard through a lease item in the
// pod table and handing it to a successor it invokes itself before its 15 minutes run out, and the schedule that
// adopts shards nobody runs (first deployment, a crashed prober whose successor was never invoked).
//
// VPC placement (`placement`): httpGet, tcpSocket and grpc probes connect to the pod's IP, the ENI of its Fargate
// task, so the function runs in the pods' VPC with the security group the tasks admit (FargateRuntime,
// docs/decisions/0006-fargate-runtime.md §8); DynamoDB, Step Functions and Lambda it reaches through the VPC's
// gateway endpoint and NAT gateway (or interface endpoints). Exec probes are refused at admission.
import { Duration, Stack } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { STATE_MACHINE_ARN_ENV } from './pod-worker-state-machine.ts';
import { createPodflowFunction, namedFunctionArn, type PodflowFunctionOptions } from './podflow-functions.ts';

/**
 * Lambda's maximum. A run lasts its window (engine/prober/shard-prober.ts DEFAULT_PROBER_WINDOW_MS, 14 min),
 * capped at the remaining time minus the hand-over margin (lambdas/prober.ts HANDOVER_MARGIN_MS, 30 s); a longer
 * invocation means fewer hand-overs, each of which restarts the shard's probe workers.
 */
export const PROBER_TIMEOUT = Duration.minutes(15);

/** Environment variable with the shard count (lambdas/wiring.ts proberShards(); default 1 there too). */
export const PROBER_SHARDS_ENV = 'PROBER_SHARDS';

/** Default shard count: one prober invocation running at a time. */
export const DEFAULT_PROBER_SHARDS = 1;

/**
 * How often the supervisor looks for shards without a live lease. EventBridge's finest rate; an orphaned shard
 * is usually adopted sooner by a running prober (every sync, once its lease TTL has passed), so this matters
 * only when no prober runs at all.
 */
export const PROBER_SUPERVISE_RATE = Duration.minutes(1);

/** The scheduled event (lambdas/prober.ts ProberEvent): start a prober for every shard nobody owns. */
export const PROBER_SUPERVISE_EVENT = { supervise: true } as const;

/**
 * The prober's memory, sized by measured CPU (docs/decisions/0003-probes.md, "Sizing"): Lambda allocates CPU in
 * proportion to memory (1,769 MB = one vCPU); an httpGet probe costs ≈ 0.31 ms of CPU (bench/probes.bench.ts), so
 * a shard of 1,000 pods with 3 probes at 10 s (300 probes/s, ≈ 0.093 vCPU) runs at ≈ 43 % of 384 MB's 0.217 vCPU,
 * and its ≈ 3,000 workers (≈ 45 KiB each over a ≈ 100 MiB process) fit with room. A shard is billed for its memory
 * every second it runs, so this is the prober's whole cost per shard: more probes than that per shard take more
 * shards (PROBER_SHARDS), not more memory.
 */
export const PROBER_MEMORY_MB = 384;

/** Environment variable through which the lifecycle function starts a prober for an idle shard (lambdas/wiring.ts). */
export const PROBER_FUNCTION_ARN_ENV = 'PROBER_FUNCTION_ARN';

export class InvalidProberPropsError extends Error {
  override name = 'InvalidProberPropsError';
}

export interface ProberProps {
  /**
   * The pod worker state machine's ARN (PodWorkerStateMachine.stateMachineArn, computed from its name): a probe
   * result that changes is appended to the pod's inbox and, when the worker waits, completes its task token.
   */
  stateMachineArn: string;
  /**
   * PROBER_SHARDS: how many leases, i.e. prober invocations running at once. Fixed for a deployment: the lifecycle
   * function writes each registration into shard fnv1a32("<namespace>/<name>") mod shards, so it must see the
   * same number (bindShards); changing it strands the existing registrations until every pod is resumed.
   * Default DEFAULT_PROBER_SHARDS.
   */
  shards?: number;
  /**
   * Physical name. Default `<stack name>-prober`. A fixed name lets the function's own ARN be computed without
   * referring to the function resource: its role may invoke it (the hand-over), and a GetAtt in the role's
   * policy would be a circular dependency (the function depends on its role's policy).
   */
  functionName?: string;
  /** Run in the pods' VPC so that probes reach pod IPs (FargateRuntime.functionPlacement). */
  placement?: PodflowFunctionOptions['placement'];
  /** The function's memory in MB. Default PROBER_MEMORY_MB. */
  memorySize?: number;
}

export class Prober extends Construct {
  /** The prober Lambda (lambdas/prober.ts). The stack binds the table to it. */
  readonly handler: NodejsFunction;
  readonly shards: number;
  readonly functionName: string;
  /** Computed from the name (see ProberProps.functionName). */
  readonly functionArn: string;
  /** `rate(1 minute)` → `{"supervise": true}`: starts a prober for a shard with probes and no live lease. */
  readonly supervisor: Rule;

  constructor(scope: Construct, id: string, props: ProberProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.shards = props.shards ?? DEFAULT_PROBER_SHARDS;
    if (!Number.isInteger(this.shards) || this.shards < 1) {
      // lambdas/wiring.ts envInt refuses the same values at cold start; better to fail the synth.
      throw new InvalidProberPropsError(`shards must be a positive integer, got ${this.shards}`);
    }
    this.functionName = props.functionName ?? `${stack.stackName}-prober`;
    const named = namedFunctionArn(this, this.functionName);
    if ('tooLong' in named) throw new InvalidProberPropsError(`${named.tooLong}; set functionName`);
    this.functionArn = named.arn;

    // No reserved concurrency: the leases, not the concurrency limit, keep one run per shard (of any number of
    // contenders exactly one wins the conditional write), and a cap of one per shard would throttle — delay —
    // a successor invoked while its predecessor is still finishing.
    this.handler = createPodflowFunction(this, 'Handler', 'prober.ts', PROBER_TIMEOUT, {
      functionName: this.functionName,
      memorySize: props.memorySize ?? PROBER_MEMORY_MB,
      ...(props.placement ? { placement: props.placement } : {}),
    });
    this.bindShards(this.handler);

    // Hand-over: the run invokes its successor (and probers for orphaned shards) asynchronously, as the function
    // it was invoked as (context.invokedFunctionArn: the unqualified ARN — the schedule and the runs themselves
    // never name a version or alias).
    this.handler.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.functionArn] }),
    );

    // cloudProber() (lambdas/wiring.ts) needs STATE_MACHINE_ARN to wake waiting workers, and only ever calls
    // SendTaskSuccess: neither PodWorkerStateMachine.bindStarter (StartExecution) nor bindTaskResponder
    // (SendTaskFailure and SendTaskHeartbeat too) fits.
    this.handler.addToRolePolicy(
      new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [props.stateMachineArn] }),
    );
    this.handler.addEnvironment(STATE_MACHINE_ARN_ENV, props.stateMachineArn);

    this.supervisor = new Rule(this, 'Supervisor', {
      description: 'podflow: start a prober for every shard whose lease is missing or expired',
      schedule: Schedule.rate(PROBER_SUPERVISE_RATE),
      targets: [
        new LambdaTarget(this.handler, {
          event: RuleTargetInput.fromObject(PROBER_SUPERVISE_EVENT),
          // The next event is a minute away and does the same; an older one is worth nothing.
          maxEventAge: PROBER_SUPERVISE_RATE,
        }),
      ],
    });
  }

  /**
   * Tells `fn` the shard count in PROBER_SHARDS. Every function that writes registrations (the lifecycle
   * function: the engine's startProbes/stopProbes actions) must agree with the probers on it.
   */
  bindShards(fn: LambdaFunction): void {
    fn.addEnvironment(PROBER_SHARDS_ENV, String(this.shards));
  }

  /**
   * Lets `fn` start a prober for an idle shard (a shard without probes has no prober running: the lifecycle function
   * starts one when it registers a probe there — lambdas/wiring.ts proberWaker): PROBER_FUNCTION_ARN and an
   * asynchronous Invoke of the unqualified function. The lease it takes first lives in the table `fn` is bound to.
   */
  bindStarter(fn: LambdaFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.functionArn] }),
    );
    fn.addEnvironment(PROBER_FUNCTION_ARN_ENV, this.functionArn);
  }
}
