// PodWorkerStateMachine: the pod's worker, one Standard execution per pod
// (docs/decisions/0002-pod-worker-state-machine.md). Its states draw the pod's phases; every Task calls the same
// lifecycle Lambda, whose summary ($.last.summary) the Choice states route on. The definition built here is the only
// one: scripts/gen-asl.ts extracts it from the synthesized template into infra/generated/pod-worker.asl.json, which
// local mode runs with aws-local-stepfunctions (every Task overridden by state name — hence the names are unique
// across the whole definition, Map iterators included).
//
// JSONPath only: the local interpreter does not run JSONata.
import { ArnFormat, CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  type IChainable,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import {
  EXECUTION_STATUS_CHANGE,
  FAILED_STATUSES,
  STATES_EVENT_SOURCE,
} from '../src/adapters/stepfunctions/execution-status-change.ts';
import { createPodflowFunction } from './podflow-functions.ts';
import { MAX_BACKOFF_MS } from '../src/core/backoff.ts';
import type { ContainerOutcome, StepSummary, WaitFor, WorkerStep } from '../src/engine/pod-worker.ts';

/** The recovery function reads one pod and starts one execution, or sweeps the table (lambdas/worker-recovery.ts). */
export const RECOVERY_TIMEOUT = Duration.minutes(2);

/**
 * How often the sweep looks for pods whose first worker could not be started at create: a Scan of the table
 * (about one read unit per pod), so every 5 minutes is ≈ 8,600 scans a month — $0.002 per pod-month on demand.
 */
export const SWEEP_RATE = Duration.minutes(5);

/** The scheduled event of the sweep (lambdas/worker-recovery.ts SWEEP_EVENT). */
export const SWEEP_EVENT = { sweep: true };

/** Environment variable through which a starter learns the state machine ARN. */
export const STATE_MACHINE_ARN_ENV = 'STATE_MACHINE_ARN';

// Await timeouts. An await ends with SendTaskSuccess when the pod's inbox receives an event (docs/architecture.md
// §3); the timeout only bounds what a lost wake-up costs: one reconcile poll, never a stuck pod. Each poll costs
// three transitions (await → reconcile → choice). They must also stay below 2^31 ms, the longest setTimeout the local
// interpreter can arm.

/** Crash back-off of an init container: kubelet's MaxContainerBackOff (core/backoff.ts) + one Scheduler minute. */
export const AWAIT_INIT_BACKOFF_TIMEOUT_SECONDS = MAX_BACKOFF_MS / 1000 + 60;
/** An init container runs to completion, possibly for hours: poll every 15 minutes. */
export const AWAIT_INIT_CONTAINER_TIMEOUT_SECONDS = 15 * 60;
/** Starting a container (image pull, Fargate task placement) takes seconds to a few minutes. */
export const AWAIT_CONTAINER_START_TIMEOUT_SECONDS = 5 * 60;
/**
 * Steady state (docs/architecture.md §11): parked in SuperviseAwait until an event. One poll a day (≈90 transitions a
 * month) also lets the handler decide continue-as-new long before Standard's one-year execution limit.
 */
export const SUPERVISE_AWAIT_TIMEOUT_SECONDS = 24 * 60 * 60;
/**
 * TerminateAwait: the safety net behind the runtime's own SIGTERM → SIGKILL (ContainerRuntime.stop enforces the
 * grace period). On timeout, ForceKill SIGKILLs what is still running past its grace deadline + margin.
 *
 * Not the grace left (`$.last.summary.graceSeconds` through TimeoutSecondsPath;
 * docs/decisions/0002-pod-worker-state-machine.md): AWS resolves TimeoutSecondsPath against the state input,
 * aws-local-stepfunctions 3.0.0 against the input after Parameters ({ FunctionName, Payload }), and no path resolves
 * in both, so a dynamic timeout cannot be one definition for both modes. A fixed poll instead, as long as the default
 * grace period (Kubernetes' terminationGracePeriodSeconds default, 30 s); the forceKill step must therefore kill only
 * what is past its deadline + margin and otherwise do nothing.
 */
export const TERMINATE_AWAIT_TIMEOUT_SECONDS = 30;

/** What an await task tells the lifecycle handler it waits for (`waitFor` in the payload). */
export const WAIT_FOR = {
  initBackoff: 'initBackoff',
  initContainer: 'initContainer',
  containerStart: 'containerStart',
  event: 'event',
  termination: 'termination',
} as const satisfies Record<WaitFor, WaitFor>;

/**
 * Retries of every Task beyond LambdaInvoke's own (Lambda service errors): a throttled invoke
 * (Lambda.TooManyRequestsException) and a handler that failed (States.TaskFailed: the store was briefly unavailable,
 * a conflict storm) are tried again with a doubling, fully jittered delay — so workers that failed together do not
 * retry together (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
export const TASK_RETRY = {
  errors: ['Lambda.TooManyRequestsException', Errors.TASKS_FAILED],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 6,
  maxDelay: Duration.seconds(30),
  jitterStrategy: JitterType.FULL,
};

/** The error a container Map iteration fails with to leave the Map and continue as a new execution. */
export const CONTINUE_AS_NEW_ERROR = 'Podflow.ContinueAsNew';

function withRetries(task: LambdaInvoke): LambdaInvoke {
  task.addRetry(TASK_RETRY);
  return task;
}

/**
 * Steps of the lifecycle handler (docs/decisions/0002-pod-worker-state-machine.md "Steps"); `await` is used by the
 * await tasks.
 */
export type LifecycleStep = Exclude<WorkerStep, 'await'>;

// The Choice states route on the step summary the lifecycle handler returns (src/engine/pod-worker.ts StepSummary):
// the field names and values below are checked against that type, so a renamed field fails the typecheck instead
// of sending every pod down a Choice's default branch.
const SUMMARY = '$.last.summary';
const summaryField = (field: keyof StepSummary): string => `${SUMMARY}.${field}`;
type SummaryFlag = {
  [K in keyof StepSummary]-?: StepSummary[K] extends boolean ? K : never;
}[keyof StepSummary];
const anyOf = (field: 'stage' | 'outcome', values: readonly string[]): Condition =>
  values.length === 1
    ? Condition.stringEquals(summaryField(field), values[0]!)
    : Condition.or(...values.map((value) => Condition.stringEquals(summaryField(field), value)));
const stageIs = (...stages: StepSummary['stage'][]): Condition => anyOf('stage', stages);
const outcomeIs = (...outcomes: ContainerOutcome[]): Condition => anyOf('outcome', outcomes);
const flag = (field: SummaryFlag): Condition => Condition.booleanEquals(summaryField(field), true);

export interface PodWorkerStateMachineProps {
  /** The lifecycle handler (lambdas/lifecycle.ts), invoked by every Task. */
  lifecycleFunction: IFunction;
  /**
   * Physical name. Default `<stack name>-pod-worker`. A fixed name lets the ARN be computed without referring to
   * the state machine resource: the lifecycle function both is invoked by the state machine and starts it
   * (continue-as-new), and a Ref in its environment would be a circular dependency.
   */
  stateMachineName?: string;
  /** X-Ray tracing. Default off: a trace per transition is not worth its price in steady state. */
  tracing?: boolean;
  /** Retention of the execution error log. Default one month. */
  logRetention?: RetentionDays;
}

export class PodWorkerStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineName: string;
  /** Computed from the name, so binding a function never makes it depend on the state machine resource. */
  readonly stateMachineArn: string;
  /**
   * lambdas/worker-recovery.ts: an execution that FAILED, TIMED_OUT or was ABORTED is followed by a new one that
   * resumes the pod from the table. The stack binds the table to it.
   */
  readonly recovery: NodejsFunction;
  /** The EventBridge rule that sends this state machine's failed executions to `recovery`. */
  readonly failureRule: Rule;
  /** The schedule of the sweep for pods without a first worker. */
  readonly sweepRule: Rule;
  readonly #lifecycle: IFunction;
  readonly #states: Construct;

  constructor(scope: Construct, id: string, props: PodWorkerStateMachineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.#lifecycle = props.lifecycleFunction;
    this.#states = new Construct(this, 'States');
    this.stateMachineName = props.stateMachineName ?? `${stack.stackName}-pod-worker`;
    this.stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const logGroup = new LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from growing with each state machine.
      logGroupName: `/aws/vendedlogs/states/${this.stateMachineName}`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // Named, so a retained copy would block the next deployment of the stack; error logs are not worth that.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(this.#definition()),
      // Execution history already holds every transition; the log is for failures. Execution data stays out:
      // payloads carry pod keys and summaries, and ERROR with data would copy them into a second store.
      logs: { destination: logGroup, level: LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: props.tracing ?? false,
    });
    this.#acknowledgeNagFindings(props.tracing ?? false);

    // Standard workflows report every status change to the default bus; nothing else resumes a worker that failed
    // (docs/decisions/0002-pod-worker-state-machine.md, "Failures").
    this.recovery = createPodflowFunction(this, 'Recovery', 'worker-recovery.ts', RECOVERY_TIMEOUT);
    this.bindStarter(this.recovery);
    // The sweep delivers overdue timers to the pods' inboxes, waking the workers that wait for them.
    this.bindTaskResponder(this.recovery);
    this.failureRule = new Rule(this, 'ExecutionFailures', {
      description: 'podflow: a pod worker execution that failed, timed out or was aborted → worker recovery',
      eventPattern: {
        source: [STATES_EVENT_SOURCE],
        detailType: [EXECUTION_STATUS_CHANGE],
        detail: { stateMachineArn: [this.stateMachineArn], status: [...FAILED_STATUSES] },
      },
      // EventBridge retries a failed invocation; a retry starts the same execution name, which starts nothing twice.
      targets: [new LambdaTarget(this.recovery, { retryAttempts: 10, maxEventAge: Duration.hours(6) })],
    });
    this.sweepRule = new Rule(this, 'Sweep', {
      description:
        'podflow: start the first worker of pods whose worker could not be started at create; deliver timers whose wake-up was lost',
      schedule: Schedule.rate(SWEEP_RATE),
      targets: [
        new LambdaTarget(this.recovery, {
          event: RuleTargetInput.fromObject(SWEEP_EVENT),
          maxEventAge: SWEEP_RATE,
        }),
      ],
    });
  }

  /** Lets `fn` start worker executions (API create, continue-as-new); it finds the ARN in STATE_MACHINE_ARN. */
  bindStarter(fn: LambdaFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachineArn] }),
    );
    fn.addEnvironment(STATE_MACHINE_ARN_ENV, this.stateMachineArn);
  }

  /**
   * Lets `fn` complete the task tokens of the await states (inbox delivery, docs/architecture.md §3). The token says
   * which; the client is built with STATE_MACHINE_ARN all the same (lambdas/wiring.ts cloudDelivery).
   */
  bindTaskResponder(fn: LambdaFunction): void {
    fn.addEnvironment(STATE_MACHINE_ARN_ENV, this.stateMachineArn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: [this.stateMachineArn],
      }),
    );
  }

  /** The definition of docs/decisions/0002-pod-worker-state-machine.md, state for state. */
  #definition(): IChainable {
    const s = this.#states;
    const done = new Succeed(s, 'Done');
    const finalize = this.#step('Finalize', 'finalize');
    finalize.next(done);
    const continueAsNew = this.#step('ContinueAsNew', 'continueAsNew');
    continueAsNew.next(done);
    // A container Map's iteration cannot continue as new itself (its states end with the iteration): it fails with
    // CONTINUE_AS_NEW_ERROR, which the Map catches into ContinueAsNew — a container crash-looping in an init or start
    // Map then never runs the history past its limit.
    const leaveMap = (name: string): Fail => new Fail(s, name, { error: CONTINUE_AS_NEW_ERROR });

    // Terminate: reconcile until Finished/Gone; ForceKill when the await times out.
    const terminateReconcile = this.#step('TerminateReconcile', 'reconcile');
    const forceKill = this.#step('ForceKill', 'forceKill');
    forceKill.next(terminateReconcile);
    const terminateAwait = this.#await(
      'TerminateAwait',
      WAIT_FOR.termination,
      Timeout.duration(Duration.seconds(TERMINATE_AWAIT_TIMEOUT_SECONDS)),
      forceKill,
    );
    terminateAwait.next(terminateReconcile);
    terminateReconcile.next(
      new Choice(s, 'TerminateOutcome').when(stageIs('Finished', 'Gone'), finalize).otherwise(terminateAwait),
    );

    // Supervise: the steady state.
    const supervise = this.#step('Supervise', 'reconcile');
    const superviseAwait = this.#await(
      'SuperviseAwait',
      WAIT_FOR.event,
      Timeout.duration(Duration.seconds(SUPERVISE_AWAIT_TIMEOUT_SECONDS)),
      supervise,
    );
    superviseAwait.next(supervise);
    supervise.next(
      new Choice(s, 'SuperviseOutcome')
        .when(stageIs('Finished'), finalize)
        .when(flag('deleting'), terminateReconcile)
        .when(flag('continueAsNew'), continueAsNew)
        .otherwise(superviseAwait),
    );

    // StartContainers: one app container after the other (kubelet starts them in order).
    const startContainer = this.#step('StartContainer', 'reconcile', { container: true });
    const awaitContainerStart = this.#await(
      'AwaitContainerStart',
      WAIT_FOR.containerStart,
      Timeout.duration(Duration.seconds(AWAIT_CONTAINER_START_TIMEOUT_SECONDS)),
      startContainer,
    );
    awaitContainerStart.next(startContainer);
    startContainer.next(
      new Choice(s, 'ContainerStartOutcome')
        .when(outcomeIs('done', 'winding'), new Succeed(s, 'ContainerStarted'))
        .when(flag('continueAsNew'), leaveMap('StartContainersContinueAsNew'))
        .otherwise(awaitContainerStart),
    );
    const startContainers = this.#containerMap('StartContainers', 'appContainers', startContainer);
    startContainers.next(supervise);

    const markInitialized = this.#step('MarkInitialized', 'reconcile');
    markInitialized.next(
      new Choice(s, 'AfterInit')
        .when(flag('deleting'), terminateReconcile)
        .when(stageIs('Finished'), finalize)
        .otherwise(startContainers),
    );

    // InitContainers: each runs to completion before the next starts (MaxConcurrency 1).
    const startInitContainer = this.#step('StartInitContainer', 'reconcile', { container: true });
    const reconcileInitContainer = this.#step('ReconcileInitContainer', 'reconcile', { container: true });
    const awaitInitBackoff = this.#await(
      'AwaitInitBackoff',
      WAIT_FOR.initBackoff,
      Timeout.duration(Duration.seconds(AWAIT_INIT_BACKOFF_TIMEOUT_SECONDS)),
      startInitContainer,
    );
    awaitInitBackoff.next(startInitContainer);
    const awaitInitContainer = this.#await(
      'AwaitInitContainer',
      WAIT_FOR.initContainer,
      Timeout.duration(Duration.seconds(AWAIT_INIT_CONTAINER_TIMEOUT_SECONDS)),
      reconcileInitContainer,
    );
    awaitInitContainer.next(reconcileInitContainer);
    const initContainerOutcome = new Choice(s, 'InitContainerOutcome')
      .when(outcomeIs('done', 'winding'), new Succeed(s, 'InitContainerDone'))
      .when(flag('continueAsNew'), leaveMap('InitContainersContinueAsNew'))
      .when(outcomeIs('backoff'), awaitInitBackoff)
      .otherwise(awaitInitContainer);
    startInitContainer.next(initContainerOutcome);
    reconcileInitContainer.next(initContainerOutcome);
    const initContainers = this.#containerMap('InitContainers', 'initContainers', startInitContainer);
    initContainers.next(markInitialized);

    const sandbox = this.#step('Sandbox', 'sandbox');
    sandbox.next(
      new Choice(s, 'AfterSandbox')
        .when(flag('deleting'), terminateReconcile)
        .when(stageIs('Finished', 'Gone'), finalize)
        .when(flag('hasInitContainers'), initContainers)
        .otherwise(markInitialized),
    );
    const admit = this.#step('Admit', 'admit', { steps: false });
    admit.next(sandbox);

    // No Default: a stage outside the summary's enum is a handler bug and fails the execution (States.NoChoiceMatched).
    const resume = this.#step('Resume', 'resume', { steps: false });
    const resumeRoute = new Choice(s, 'ResumeRoute')
      .when(stageIs('Pending'), sandbox)
      .when(stageIs('Initializing'), initContainers)
      .when(stageIs('Running'), supervise)
      .when(stageIs('Terminating'), terminateReconcile)
      .when(stageIs('Finished', 'Gone'), finalize);
    resume.next(resumeRoute);

    // A step that still fails after its retries (or a Map whose iteration did) does not fail the execution: the
    // worker resumes the pod from the store, where every committed decision is, as a restarted engine would. The
    // step count goes on where there is one, so a recurring failure still ends in continue-as-new. What fails even
    // there fails the execution, and the execution-failure rule starts a new worker (WorkerRestarter).
    const recoverResume = this.#step('RecoverResume', 'resume');
    recoverResume.next(resumeRoute);
    const recover = new Choice(s, 'Recover')
      .when(Condition.isPresent(summaryField('steps')), recoverResume)
      .otherwise(resume);
    const recoverable: Array<LambdaInvoke | MapState> = [
      admit,
      sandbox,
      markInitialized,
      supervise,
      superviseAwait,
      terminateReconcile,
      terminateAwait,
      forceKill,
      finalize,
      continueAsNew,
    ];
    for (const state of recoverable) state.addCatch(recover, { errors: [Errors.ALL], resultPath: '$.error' });
    for (const map of [initContainers, startContainers]) {
      map.addCatch(continueAsNew, { errors: [CONTINUE_AS_NEW_ERROR], resultPath: JsonPath.DISCARD });
      map.addCatch(recover, { errors: [Errors.ALL], resultPath: '$.error' });
    }

    // `resume` is optional in WorkerInput (ports/workflow-client.ts); a Choice on a missing path is a States.Runtime
    // error, so presence is tested first.
    return new Choice(s, 'Entry')
      .when(Condition.and(Condition.isPresent('$.resume'), Condition.booleanEquals('$.resume', true)), resume)
      .otherwise(admit);
  }

  /**
   * A lifecycle Task: `{ step, pod, seq, startedAt, steps?, container? }` in, the handler's summary out at
   * $.last.summary. `steps` is passed wherever $.last exists (a missing path would fail the state), i.e. everywhere
   * but Admit and Resume. No TimeoutSeconds: the Lambda timeout (LIFECYCLE_TIMEOUT, 60 s) bounds the call, the same
   * as the interpreter's default task timeout.
   */
  #step(
    name: string,
    step: LifecycleStep,
    options: { steps?: boolean; container?: boolean } = {},
  ): LambdaInvoke {
    const payload: Record<string, unknown> = {
      step,
      pod: JsonPath.objectAt('$.pod'),
      seq: JsonPath.numberAt('$.seq'),
      startedAt: JsonPath.stringAt('$$.Execution.StartTime'),
    };
    if (options.steps ?? true) payload.steps = JsonPath.numberAt(summaryField('steps'));
    if (options.container) payload.container = JsonPath.stringAt('$.container');
    return withRetries(
      new LambdaInvoke(this.#states, name, {
        lambdaFunction: this.#lifecycle,
        payload: TaskInput.fromObject(payload),
        resultSelector: { summary: JsonPath.objectAt('$.Payload') },
        resultPath: '$.last',
        retryOnServiceExceptions: true,
      }),
    );
  }

  /**
   * An await Task: hands the lifecycle handler a task token and parks until the token is completed (an inbox
   * event) or the timeout fires; the timeout is caught and leads to `onTimeout` with the state's input unchanged.
   */
  #await(name: string, waitFor: WaitFor, timeout: Timeout, onTimeout: IChainable): LambdaInvoke {
    const task = new LambdaInvoke(this.#states, name, {
      lambdaFunction: this.#lifecycle,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        step: 'await',
        pod: JsonPath.objectAt('$.pod'),
        token: JsonPath.taskToken,
        waitFor,
      }),
      resultPath: JsonPath.DISCARD,
      taskTimeout: timeout,
      retryOnServiceExceptions: true,
    });
    withRetries(task);
    task.addCatch(onTimeout, { errors: [Errors.TIMEOUT], resultPath: JsonPath.DISCARD });
    return task;
  }

  /** A Map over the summary's container list; each iteration sees `{ pod, seq, container, last }`. */
  #containerMap(
    name: string,
    listField: 'initContainers' | 'appContainers',
    processor: IChainable,
  ): MapState {
    return new MapState(this.#states, name, {
      itemsPath: summaryField(listField),
      itemSelector: {
        pod: JsonPath.objectAt('$.pod'),
        seq: JsonPath.numberAt('$.seq'),
        container: JsonPath.stringAt('$$.Map.Item.Value.name'),
        last: JsonPath.objectAt('$.last'),
      },
      maxConcurrency: 1,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(processor);
  }

  #acknowledgeNagFindings(tracing: boolean): void {
    const v = Validations.of(this.stateMachine);
    const role = Validations.of(this.stateMachine.role);
    const fn = this.#lifecycle.node.defaultChild;
    if (fn instanceof CfnResource) {
      role.acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(fn).getLogicalId(fn)}.Arn>:*]`,
        reason:
          'LambdaInvoke grants lambda:InvokeFunction on the function and its versions (<arn>:*); the ' +
          'wildcard covers only qualifiers of the lifecycle function.',
      });
    }
    role.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs delivery for Step Functions (logs:CreateLogDelivery, PutResourcePolicy, …) supports no ' +
        'resource-level permissions; AWS documents Resource "*" for these actions.',
    });
    v.acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'Logging ALL events would write every transition a second time (execution history keeps them for 90 ' +
        'days); ERROR keeps failures, at no cost in steady state (docs/architecture.md §11).',
    });
    if (!tracing) {
      v.acknowledge({
        id: 'AwsSolutions-SF2',
        reason: 'X-Ray is optional (`tracing: true`); off by default so that a parked pod costs nothing.',
      });
    }
  }
}
