// FargateContainerRuntime: the cloud's ContainerRuntime (docs/architecture.md §6, docs/decisions/0006-fargate-runtime.md).
// One ECS Fargate task per pod sandbox; a restart replaces the task; observations come from ECS task state change
// events (the observer Lambda calls onTaskStateChange), from a periodic reconcile, and from `start` reading the task
// when the core asks for an instance the task already runs. ECS is the source of truth: the runtime keeps only a
// cache, so any Lambda can serve any call.
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type DesiredStatus,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { forbidden, invalid, type FieldError } from '../../core/field-errors.ts';
import { containerEntries } from '../../core/pod-spec.ts';
import type { PodState } from '../../core/pod-state.ts';
import type { Clock } from '../../ports/clock.ts';
import type {
  ContainerInstanceRef,
  ContainerLaunch,
  ContainerObservation,
  ContainerRuntime,
  ExecResult,
  LogOptions,
  PodSandboxConfig,
  SandboxRef,
} from '../../ports/container-runtime.ts';
import { NotFoundError } from '../../ports/errors.ts';
import type { PodKey } from '../../ports/pod-key.ts';
import { newsFor } from './observation-gate.ts';
import {
  clientTokenFor,
  encodeSandboxIdentity,
  nextSandbox,
  PAUSE_CONTAINER,
  SANDBOX_ENV,
  startedByFor,
  type EngineInstance,
  type SandboxIdentity,
} from './sandbox-identity.ts';
import {
  logStreamName,
  renderTaskDefinition,
  TaskDefinitionError,
  type TaskDefinitionSettings,
} from './task-definition.ts';
import {
  observationsOf,
  taskIdFromContainerId,
  taskIdOf,
  taskViewFromDescribe,
  taskViewFromEvent,
  type TaskView,
} from './task-observations.ts';

/** How long createSandbox waits for the task's ENI to have an address (the lifecycle step's timeout is 60 s). */
export const DEFAULT_SANDBOX_IP_WAIT_MS = 25_000;
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** DescribeTasks takes at most 100 tasks per call (DescribeTasks `tasks`). */
const DESCRIBE_BATCH = 100;
/** GetLogEvents returns at most 10,000 events per call; `limit` may not exceed it. */
const MAX_LOG_EVENTS = 10_000;
/** Pages of log events read for one `logs` call (a bound on time and memory, as the kubelet bounds log reads). */
const MAX_LOG_PAGES = 20;
/** Event versions remembered per Lambda container (duplicate deliveries arrive close together). */
const MAX_REMEMBERED_VERSIONS = 10_000;

/** `kubectl exec` and exec probes on Fargate (docs/decisions/0006-fargate-runtime.md §8). */
export const FARGATE_EXEC_MESSAGE =
  "podflow's Fargate runtime cannot run a command in a container (exec probes and exec hooks are refused at " +
  'admission); for a shell use ECS Exec: aws ecs execute-command --cluster <cluster> --task <task id> --container ' +
  '<container> --interactive --command sh (the FargateRuntime construct enables it with enableExecuteCommand)';

/** What an exec into a Fargate container answers (the prober's exec handler gets it too). */
export const fargateExec = async (): Promise<ExecResult> => ({
  exitCode: 126,
  stdout: '',
  stderr: FARGATE_EXEC_MESSAGE,
  timedOut: false,
});

export interface FargateContainerRuntimeOptions {
  ecs: Pick<ECSClient, 'send'>;
  logs: Pick<CloudWatchLogsClient, 'send'>;
  clock: Clock;
  /** The cluster's ARN. */
  cluster: string;
  subnets: readonly string[];
  securityGroups: readonly string[];
  assignPublicIp: boolean;
  taskDefinition: TaskDefinitionSettings;
  /**
   * The pod's stored state: its spec defines the task, and its engine bookkeeping says which instances the core has
   * started (what is news, observation-gate.ts) and which task an instance ran in (logs).
   */
  loadPod: (key: PodKey) => Promise<PodState | undefined>;
  /**
   * Where observations go, awaited: a Lambda must not return before the pod's inbox has them. Listeners registered
   * with observe() are called too.
   */
  deliver?: (observation: ContainerObservation) => Promise<void>;
  /** Run tasks with ECS Exec enabled (the task role must allow the Session Manager channels). */
  enableExecuteCommand?: boolean;
  sandboxIpWaitMs?: number;
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onError?: (err: unknown, context: string) => void;
}

/** RunTask answered with failures instead of a task (capacity, a bad definition). */
export class RunTaskFailedError extends Error {
  override name = 'RunTaskFailedError';
}

const describeRef = (r: ContainerInstanceRef): string =>
  `container ${JSON.stringify(r.container)} (instance ${r.instance}) of pod ${r.key.namespace}/${r.key.name}`;

const isStopping = (t: TaskView): boolean =>
  t.lastStatus === 'STOPPED' || t.lastStatus === 'DEPROVISIONING' || t.desiredStatus === 'STOPPED';

const errorName = (err: unknown): string => (err as { name?: string } | undefined)?.name ?? '';

export class FargateContainerRuntime implements ContainerRuntime {
  readonly #o: FargateContainerRuntimeOptions;
  readonly #listeners = new Set<(o: ContainerObservation) => void>();
  /** The tasks seen per pod uid, by task ARN (a cache: ECS is the truth). */
  readonly #tasks = new Map<string, Map<string, TaskView>>();
  /** Task definition ARNs by family. */
  readonly #families = new Map<string, string>();
  /** The highest event version handled per task ARN. */
  readonly #versions = new Map<string, number>();

  constructor(options: FargateContainerRuntimeOptions) {
    this.#o = options;
  }

  get #sleep(): (ms: number) => Promise<void> {
    return this.#o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  // ── the port ────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Starts the pod's first task (generation 0, every container at instance 0) and waits a bounded time for its ENI's
   * address. Never throws: a task that could not start is retried, and reported, by the first `start`; an address
   * not known yet comes with the first `started` observation. The sandbox config changes nothing in the task: its
   * ports are the pod's containerPorts on the task's own interface (awsvpc), which is what the host ports
   * admitSandbox lets through (hostPort = containerPort) ask for, and an awsvpc task takes no hostname (ECS refuses
   * `hostname` in that network mode): containers see the task's.
   */
  async createSandbox(sandbox: SandboxRef, _config?: PodSandboxConfig): Promise<{ podIP: string }> {
    try {
      const state = await this.#o.loadPod(sandbox.key);
      if (!state || state.pod.metadata.uid !== sandbox.uid) return { podIP: '' };
      const views = await this.#podTasks(sandbox.uid);
      const task = latest(views) ?? (await this.#runSandbox(state, undefined, undefined));
      return { podIP: (await this.#waitForAddress(task)) ?? '' };
    } catch (err) {
      this.#o.onError?.(err, `createSandbox ${sandbox.key.namespace}/${sandbox.key.name}`);
      return { podIP: '' };
    }
  }

  /** Stops every task of the pod and deregisters the task definitions no running task uses any more. */
  async removeSandbox(sandbox: SandboxRef): Promise<void> {
    const views = await this.#podTasks(sandbox.uid);
    for (const v of views) {
      if (!isStopping(v)) await this.#stopTask(v, 'podflow: the pod was deleted');
    }
    const definitions = new Set(views.map((v) => v.taskDefinitionArn).filter((a): a is string => !!a));
    for (const arn of definitions) {
      const family = familyOf(arn);
      const running = await this.#listTasks({ family, desiredStatus: 'RUNNING' });
      const mine = new Set(views.map((v) => v.taskArn));
      if (running.some((t) => !mine.has(t))) continue;
      try {
        await this.#o.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
        this.#families.delete(family);
      } catch (err) {
        this.#o.onError?.(err, `deregister ${arn}`);
      }
    }
    this.#tasks.delete(sandbox.uid);
  }

  /**
   * The pods that have a task running or about to run (ListTasks with desiredStatus RUNNING, every task podflow
   * started: those with a sandbox identity), one per pod however many tasks a replacement left running.
   */
  async listSandboxes(): Promise<SandboxRef[]> {
    const byUid = new Map<string, SandboxRef>();
    for (const view of await this.#describe(await this.#listTasks({ desiredStatus: 'RUNNING' }))) {
      this.#remember(view);
      const identity = view.identity;
      if (!identity || isStopping(view) || byUid.has(identity.uid)) continue;
      byUid.set(identity.uid, {
        key: { namespace: identity.key.namespace, name: identity.key.name },
        uid: identity.uid,
      });
    }
    return [...byUid.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  }

  /**
   * What a Fargate task cannot give the pod's sandbox. Its network is awsvpc: the task has an interface of its own
   * (the pod IP) and no host to share, so `hostNetwork` is refused, and a port is reachable only as itself on that
   * interface, so a `hostPort` must equal its `containerPort` (ECS: "hostPort can be left blank or it must be the
   * same value as the containerPort"). Host ports never collide: every pod has its own interface.
   */
  async admitSandbox(_sandbox: SandboxRef, config: PodSandboxConfig): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    if (config.hostNetwork)
      errors.push(
        forbidden(
          'spec.hostNetwork',
          "podflow's Fargate runtime gives every pod its own network interface (awsvpc): there is no host network to share",
        ),
      );
    for (const m of config.portMappings) {
      if (m.hostPort === m.containerPort) continue;
      errors.push(
        invalid(
          m.fieldPath,
          m.hostPort,
          `must equal containerPort (${m.containerPort}): a Fargate task's ports are reachable only as themselves ` +
            "on the task's own network interface (awsvpc)",
        ),
      );
    }
    return errors;
  }

  /**
   * Makes sure a task runs the instance (§2): a task that already holds it is read and what it did is reported;
   * otherwise the current task, if it still runs, is stopped and a new one started. Idempotent: the new task's
   * identity and client token are derived from the current task, so a retried call finds or re-requests the same
   * task. A failure to start is reported as `startFailed` (the core retries with back-off).
   */
  async start(launch: ContainerLaunch): Promise<void> {
    const ref = refOf(launch);
    const state = await this.#o.loadPod(launch.key);
    if (!state || state.pod.metadata.uid !== launch.podUid) return;
    try {
      const views = await this.#podTasks(launch.podUid);
      const holding = holder(views, launch.container, launch.instance);
      if (holding) {
        await this.#report(holding, state);
        return;
      }
      const current = latest(views);
      if (current && !isStopping(current)) {
        await this.#stopTask(
          current,
          `podflow: replacing the task to start container ${launch.container} (instance ${launch.instance})`,
        );
      }
      const task = await this.#runSandbox(state, current, {
        container: launch.container,
        instance: launch.instance,
      });
      await this.#report(task, state);
    } catch (err) {
      const configError = err instanceof TaskDefinitionError;
      await this.#emit({
        type: 'startFailed',
        ref,
        reason: configError ? 'CreateContainerConfigError' : 'RunContainerError',
        message: configError
          ? err.message
          : `could not start the Fargate task: ${err instanceof Error ? err.message : String(err)}`,
        at: this.#o.clock.now(),
      });
    }
  }

  /**
   * Fargate cannot stop one container of a task: stopping any stops the task (SIGTERM to every container, SIGKILL
   * after the task definition's stopTimeout — the pod's grace, at most 120 s; `graceSeconds` cannot change it).
   * Stopping an exited instance, or one whose task is already stopping, is a no-op.
   */
  async stop(ref: ContainerInstanceRef, _graceSeconds: number): Promise<void> {
    const views = await this.#podTasks(ref.podUid);
    const task = holder(views, ref.container, ref.instance);
    if (!task || isStopping(task)) return;
    if (task.containers.find((c) => c.name === ref.container)?.lastStatus === 'STOPPED') return;
    await this.#stopTask(task, `podflow: stopping container ${ref.container} (instance ${ref.instance})`);
  }

  exec(_ref: ContainerInstanceRef, _argv: string[], _timeoutMs: number): Promise<ExecResult> {
    return fargateExec();
  }

  /** The instance's lines from CloudWatch Logs: stream `podflow/<container>/<task id>` of the task it ran in. */
  async logs(ref: ContainerInstanceRef, options: LogOptions = {}): Promise<string[]> {
    const taskId = await this.#taskIdFor(ref);
    if (!taskId) throw new NotFoundError(`${describeRef(ref)} not found`);
    const base = {
      logGroupName: this.#o.taskDefinition.logGroup,
      logStreamName: logStreamName(ref.container, taskId),
    };
    type LogEvent = { timestamp?: number; message?: string };
    let events: LogEvent[] = [];
    try {
      if (options.sinceTime !== undefined) {
        // From an instant on, oldest first.
        let token: string | undefined;
        for (let page = 0; page < MAX_LOG_PAGES; page++) {
          const out = await this.#o.logs.send(
            new GetLogEventsCommand({
              ...base,
              startFromHead: true,
              startTime: options.sinceTime,
              ...(token ? { nextToken: token } : {}),
            }),
          );
          events.push(...(out.events ?? []));
          // GetLogEvents: the end of the stream is reached when the same token comes back.
          if (!out.nextForwardToken || out.nextForwardToken === token || (out.events ?? []).length === 0)
            break;
          token = out.nextForwardToken;
        }
      } else {
        // From the end backwards, so that a stream longer than what one call reads loses its oldest lines, not its
        // newest (what `kubectl logs` and `--tail` are for); each page comes oldest first.
        if (options.tailLines === 0) return [];
        const want = options.tailLines ?? Infinity;
        let token: string | undefined;
        for (let page = 0; page < MAX_LOG_PAGES && events.length < want; page++) {
          const out = await this.#o.logs.send(
            new GetLogEventsCommand({
              ...base,
              startFromHead: false,
              ...(Number.isFinite(want) ? { limit: Math.min(want - events.length, MAX_LOG_EVENTS) } : {}),
              ...(token ? { nextToken: token } : {}),
            }),
          );
          events = [...(out.events ?? []), ...events];
          if (!out.nextBackwardToken || out.nextBackwardToken === token || (out.events ?? []).length === 0)
            break;
          token = out.nextBackwardToken;
        }
      }
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return []; // nothing written yet
      throw err;
    }
    let lines = events.map((e) =>
      options.timestamps
        ? `${new Date(e.timestamp ?? 0).toISOString()} ${e.message ?? ''}`
        : (e.message ?? ''),
    );
    if (options.tailLines !== undefined) lines = lines.slice(Math.max(0, lines.length - options.tailLines));
    return lines;
  }

  observe(listener: (observation: ContainerObservation) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Nothing to re-adopt: every call reads ECS, and the reconcile run reports what events missed. */
  async recover(): Promise<ContainerInstanceRef[]> {
    return [];
  }

  async close(): Promise<void> {}

  // ── the observer's use cases ────────────────────────────────────────────────────────────────────────────────

  /**
   * One `ECS Task State Change` event (lambdas/observer.ts): reports what is news for the pod and stops a task that
   * has nothing left to run. An event whose `detail.version` this runtime already handled for the task is a
   * duplicate ("Duplicate events have the same version in the detail object") and is skipped.
   */
  async onTaskStateChange(event: unknown): Promise<void> {
    const view = taskViewFromEvent(event);
    if (!view?.identity) return;
    if (view.version !== undefined) {
      const seen = this.#versions.get(view.taskArn);
      if (seen !== undefined && view.version <= seen) return;
      if (this.#versions.size >= MAX_REMEMBERED_VERSIONS) this.#versions.clear();
      this.#versions.set(view.taskArn, view.version);
    }
    await this.#handle(view);
  }

  /** The periodic catch-up for missed events: every running and recently stopped task of the cluster. */
  async reconcile(): Promise<{ tasks: number }> {
    let count = 0;
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      const arns = await this.#listTasks({ desiredStatus });
      for (const view of await this.#describe(arns)) {
        if (!view.identity) continue;
        count++;
        await this.#handle(view);
      }
    }
    return { tasks: count };
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────────────────

  async #handle(view: TaskView): Promise<void> {
    const identity = view.identity!;
    this.#remember(view);
    const state = await this.#o.loadPod(identity.key);
    if (!state || state.pod.metadata.uid !== identity.uid) {
      // A task whose pod is gone (deleted while its task started): nothing will ever stop it otherwise.
      if (!isStopping(view)) await this.#stopTask(view, 'podflow: the pod no longer exists');
      return;
    }
    await this.#report(view, state);
    const podContainers = view.containers.filter((c) => c.name !== PAUSE_CONTAINER);
    if (
      !isStopping(view) &&
      podContainers.length > 0 &&
      podContainers.every((c) => c.lastStatus === 'STOPPED')
    ) {
      // Fargate cannot start a container in a running task: one whose containers all exited can only idle.
      await this.#stopTask(view, 'podflow: every container of the pod has exited');
    }
  }

  /** Delivers what the task says that is news for the pod's state. */
  async #report(view: TaskView, state: PodState): Promise<void> {
    if (!view.identity) return;
    for (const o of observationsOf(view, view.identity, this.#o.clock.now())) {
      const news = newsFor(state, o);
      if (news) await this.#emit(news);
    }
  }

  async #emit(o: ContainerObservation): Promise<void> {
    for (const listener of this.#listeners) {
      try {
        listener(o);
      } catch {
        // Listeners must not throw (port contract); one that does must not starve the others.
      }
    }
    await this.#o.deliver?.(o);
  }

  /** Runs the task that follows `current` (or the first one), registering its task definition when needed. */
  async #runSandbox(
    state: PodState,
    current: TaskView | undefined,
    launch: { container: string; instance: number } | undefined,
  ): Promise<TaskView> {
    const pod = state.pod;
    const containers = containerEntries(pod.spec).map((e) => e.container.name);
    const engine: Record<string, EngineInstance> = {};
    for (const r of Object.values(state.engine.containers)) {
      engine[r.name] = { instance: r.instance, starting: r.state.type === 'starting' };
    }
    // The instance this start is for, as the core asked for it (its state already says so; the request decides).
    if (launch) engine[launch.container] = { instance: launch.instance, starting: true };
    const identity = nextSandbox(
      {
        key: { namespace: pod.metadata.namespace, name: pod.metadata.name },
        uid: pod.metadata.uid,
        containers,
      },
      current?.identity,
      engine,
    );
    const rendered = renderTaskDefinition(pod, this.#o.taskDefinition);
    let definition = await this.#ensureTaskDefinition(rendered.family, rendered.input);
    try {
      return await this.#runTask(definition, identity);
    } catch (err) {
      // Deregistered meanwhile (another pod's removeSandbox): register it again, once.
      if (!/inactive/i.test(err instanceof Error ? err.message : '')) throw err;
      this.#families.delete(rendered.family);
      definition = await this.#ensureTaskDefinition(rendered.family, rendered.input, true);
      return this.#runTask(definition, identity);
    }
  }

  async #runTask(taskDefinition: string, identity: SandboxIdentity): Promise<TaskView> {
    const out = await this.#o.ecs.send(
      new RunTaskCommand({
        cluster: this.#o.cluster,
        taskDefinition,
        launchType: 'FARGATE',
        count: 1,
        clientToken: clientTokenFor(identity.uid, identity.generation),
        startedBy: startedByFor(identity.uid),
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: [...this.#o.subnets],
            securityGroups: [...this.#o.securityGroups],
            assignPublicIp: this.#o.assignPublicIp ? 'ENABLED' : 'DISABLED',
          },
        },
        overrides: {
          containerOverrides: [
            {
              name: PAUSE_CONTAINER,
              environment: [{ name: SANDBOX_ENV, value: encodeSandboxIdentity(identity) }],
            },
          ],
        },
        ...(this.#o.enableExecuteCommand ? { enableExecuteCommand: true } : {}),
        tags: [
          { key: 'podflow.io/namespace', value: identity.key.namespace },
          { key: 'podflow.io/name', value: identity.key.name },
          { key: 'podflow.io/uid', value: identity.uid },
        ],
      }),
    );
    const task = out.tasks?.[0];
    const view = task ? taskViewFromDescribe(task) : undefined;
    if (!view) {
      const reasons = (out.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(': '));
      throw new RunTaskFailedError(reasons.join('; ') || 'RunTask started no task');
    }
    this.#remember(view);
    return view;
  }

  async #ensureTaskDefinition(
    family: string,
    input: ConstructorParameters<typeof RegisterTaskDefinitionCommand>[0],
    register = false,
  ): Promise<string> {
    const known = this.#families.get(family);
    if (known && !register) return known;
    if (!register) {
      try {
        const out = await this.#o.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
        const d = out.taskDefinition;
        if (d?.status === 'ACTIVE' && d.taskDefinitionArn) {
          this.#families.set(family, d.taskDefinitionArn);
          return d.taskDefinitionArn;
        }
      } catch (err) {
        // ClientException "Unable to describe task definition": the family has no active revision yet.
        if (errorName(err) !== 'ClientException') throw err;
      }
    }
    const out = await this.#o.ecs.send(new RegisterTaskDefinitionCommand(input));
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new Error(`RegisterTaskDefinition returned no ARN for ${family}`);
    this.#families.set(family, arn);
    return arn;
  }

  async #stopTask(view: TaskView, reason: string): Promise<void> {
    try {
      const out = await this.#o.ecs.send(
        new StopTaskCommand({ cluster: this.#o.cluster, task: view.taskArn, reason: reason.slice(0, 255) }),
      );
      const stopped = out.task ? taskViewFromDescribe(out.task) : undefined;
      this.#remember(stopped ?? { ...view, desiredStatus: 'STOPPED' });
    } catch (err) {
      // A task ECS no longer knows is stopped.
      if (errorName(err) !== 'InvalidParameterException') throw err;
    }
  }

  /** Polls the task until its ENI has an address, or the wait is over. */
  async #waitForAddress(task: TaskView): Promise<string | undefined> {
    const waitMs = this.#o.sandboxIpWaitMs ?? DEFAULT_SANDBOX_IP_WAIT_MS;
    const deadline = this.#o.clock.now() + waitMs;
    let view: TaskView | undefined = task;
    while (view && !view.podIP && !isStopping(view) && this.#o.clock.now() < deadline) {
      await this.#sleep(this.#o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
      view = (await this.#describe([task.taskArn]))[0];
    }
    return view?.podIP;
  }

  /** Every task of the pod ECS still lists (running, and stopped for about an hour), merged into the cache. */
  async #podTasks(uid: string): Promise<TaskView[]> {
    const startedBy = startedByFor(uid);
    const arns = new Set<string>();
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      for (const arn of await this.#listTasks({ startedBy, desiredStatus })) arns.add(arn);
    }
    for (const v of await this.#describe([...arns])) this.#remember(v);
    return [...(this.#tasks.get(uid)?.values() ?? [])].filter((v) => v.identity?.uid === uid);
  }

  async #listTasks(filter: {
    startedBy?: string;
    family?: string;
    desiredStatus: DesiredStatus;
  }): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.#o.ecs.send(
        new ListTasksCommand({ cluster: this.#o.cluster, ...filter, ...(nextToken ? { nextToken } : {}) }),
      );
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return arns;
  }

  async #describe(arns: string[]): Promise<TaskView[]> {
    const views: TaskView[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      const out = await this.#o.ecs.send(
        new DescribeTasksCommand({ cluster: this.#o.cluster, tasks: arns.slice(i, i + DESCRIBE_BATCH) }),
      );
      for (const t of out.tasks ?? []) {
        const v = taskViewFromDescribe(t as Task);
        if (v) views.push(v);
      }
    }
    return views;
  }

  #remember(view: TaskView): void {
    const uid = view.identity?.uid;
    if (!uid) return;
    let tasks = this.#tasks.get(uid);
    if (!tasks) this.#tasks.set(uid, (tasks = new Map()));
    tasks.set(view.taskArn, view);
  }

  /** The task an instance ran in: from the container id the engine recorded for it, else from ECS's tasks. */
  async #taskIdFor(ref: ContainerInstanceRef): Promise<string | undefined> {
    const state = await this.#o.loadPod(ref.key);
    const rec = state?.pod.metadata.uid === ref.podUid ? state.engine.containers[ref.container] : undefined;
    if (rec) {
      const current =
        rec.instance === ref.instance && (rec.state.type === 'running' || rec.state.type === 'terminated')
          ? rec.state.containerID
          : undefined;
      const last = rec.last?.instance === ref.instance ? rec.last.containerID : undefined;
      const id = taskIdFromContainerId(current ?? last);
      if (id) return id;
    }
    const task = holder(await this.#podTasks(ref.podUid), ref.container, ref.instance);
    return task ? taskIdOf(task.taskArn) : undefined;
  }
}

const refOf = (r: ContainerInstanceRef): ContainerInstanceRef => ({
  key: { namespace: r.key.namespace, name: r.key.name },
  podUid: r.podUid,
  container: r.container,
  instance: r.instance,
});

/** The newest task of a pod: the highest sandbox generation. */
function latest(views: readonly TaskView[]): TaskView | undefined {
  return [...views].sort((a, b) => (b.identity?.generation ?? 0) - (a.identity?.generation ?? 0))[0];
}

/** The task that runs (or ran) `container` at `instance`, the newest if several did. */
function holder(views: readonly TaskView[], container: string, instance: number): TaskView | undefined {
  return latest(views.filter((v) => v.identity?.instances[container] === instance));
}

/** `arn:…:task-definition/<family>:<revision>` → `<family>`. */
function familyOf(taskDefinitionArn: string): string {
  const name = taskDefinitionArn.slice(taskDefinitionArn.lastIndexOf('/') + 1);
  return name.includes(':') ? name.slice(0, name.lastIndexOf(':')) : name;
}
