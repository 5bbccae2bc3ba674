// TEST DOUBLE — not AWS. An Amazon ECS (Fargate launch type) emulator speaking AWS JSON 1.1
// (`X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`) to the real @aws-sdk/client-ecs, for podflow's cloud
// tests and for the contract tests of an ECS container runtime. Tasks run as LOCAL PROCESSES: one per container,
// `entryPoint` + `command` executed directly (images are not pulled: a container with neither, whose image has no
// configuration in the `images` option, is refused at start), in
// its own process group, with the container's `environment` (overrides win) and `workingDirectory`.
//
// Implemented (Amazon ECS API reference): RegisterTaskDefinition, DeregisterTaskDefinition, DescribeTaskDefinition,
// RunTask (with `clientToken` idempotency), StopTask, DescribeTasks, ListTasks, CreateCluster, DescribeClusters.
// Errors: ClientException (bad task definition, unknown/inactive task definition), InvalidParameterException (bad
// RunTask/StopTask parameters), ClusterNotFoundException, ConflictException (a clientToken reused for another
// request, with `resourceIds`).
//
// Task lifecycle ("Amazon ECS task lifecycle"): PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING →
// STOPPING → DEPROVISIONING → STOPPED, each change an `ECS Task State Change` event on the EventBridge emulator's
// default bus with the documented detail ("Amazon ECS task state change events"): lastStatus, desiredStatus,
// containers[] (name, lastStatus, exitCode, reason, networkInterfaces), stopCode, stoppedReason, version (+1 per
// change), taskArn, group, startedBy, connectivity, attachments (the ENI, private IP 127.0.0.1), timestamps as ISO
// strings. Containers: `essential` (an essential container's exit stops the task: EssentialContainerExited),
// `dependsOn` (START, COMPLETE, SUCCESS, HEALTHY), `healthCheck` (CMD / CMD-SHELL, interval, timeout, retries,
// startPeriod), `stopTimeout` (StopTask sends SIGTERM, then SIGKILL after stopTimeout, default 30 s). An exit by
// signal reports exit code 128 + signal number, as Docker does. Container output goes to CloudWatch Logs through the
// `awslogs` driver options: group `awslogs-group` (created if `awslogs-create-group` is "true", otherwise the task
// fails to start when it is missing), stream `<awslogs-stream-prefix>/<container name>/<task id>`.
//
// A container's `memory` (its hard limit) is enforced as Docker's cgroup does it: the resident memory of the
// container's process group is summed every 50 ms and a container over it is killed (SIGKILL, exit 137, reason
// `OutOfMemoryError: Container killed due to memory usage`).
//
// What it does not emulate: images and their entrypoints, networking (every task's IP is 127.0.0.1, ports are the
// host's), the task-level cpu/memory (recorded and validated against the Fargate table only), volumes,
// secrets, ECS Exec, capacity providers, services.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import {
  AwsError,
  checkShape,
  DEFAULT_SCOPE,
  epochSeconds,
  jsonProtocol,
  startWireServer,
  type AwsScope,
  type EmulatorServer,
} from './aws-wire.ts';
import {
  EVENT_OVERHEAD_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_EVENT_BYTES,
  type CloudWatchLogsEmulator,
} from './cloudwatch-logs.ts';
import type { EventBridgeEmulator } from './eventbridge.ts';
import type { IamAuthorizer, RequestContext } from './iam.ts';

/** RunTask overrides: "A total of 8192 characters are allowed for overrides." */
export const MAX_OVERRIDES_CHARS = 8192;
/** StopTask / stopTimeout default (ContainerDefinition stopTimeout: 30 s on Fargate when unset). */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;
/** Fargate's maximum stopTimeout. */
export const MAX_STOP_TIMEOUT_SECONDS = 120;
export const TASK_IP = '127.0.0.1';

/** Fargate task CPU and memory combinations ("Task CPU and memory" in the ECS developer guide). */
const FARGATE_MEMORY: Record<string, number[]> = {
  '256': [512, 1024, 2048],
  '512': [1024, 2048, 3072, 4096],
  '1024': range(2048, 8192, 1024),
  '2048': range(4096, 16384, 1024),
  '4096': range(8192, 30720, 1024),
  '8192': range(16384, 61440, 4096),
  '16384': range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let n = from; n <= to; n += step) out.push(n);
  return out;
}

type Json = Record<string, unknown>;

interface ContainerDefinition {
  name: string;
  image: string;
  essential?: boolean;
  command?: string[];
  entryPoint?: string[];
  environment?: Array<{ name: string; value: string }>;
  workingDirectory?: string;
  dependsOn?: Array<{ containerName: string; condition: 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY' }>;
  healthCheck?: {
    command: string[];
    interval?: number;
    timeout?: number;
    retries?: number;
    startPeriod?: number;
  };
  stopTimeout?: number;
  logConfiguration?: { logDriver: string; options?: Record<string, string> };
  cpu?: number;
  memory?: number;
  [k: string]: unknown;
}

interface TaskDefinition {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  containerDefinitions: ContainerDefinition[];
  registeredAt: number;
  deregisteredAt?: number;
  [k: string]: unknown;
}

type ContainerStatus = 'PENDING' | 'RUNNING' | 'STOPPED';
type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

interface ContainerRun {
  def: ContainerDefinition;
  arn: string;
  runtimeId: string;
  lastStatus: ContainerStatus;
  exitCode?: number;
  reason?: string;
  healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  proc?: ChildProcess;
  env: Record<string, string>;
  argv: string[];
  healthTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  memoryTimer?: NodeJS.Timeout;
  logWrite?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  logFlush?: () => void;
  exited?: Promise<void>;
}

interface TaskRun {
  arn: string;
  id: string;
  clusterArn: string;
  taskDefinition: TaskDefinition;
  containers: ContainerRun[];
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  version: number;
  createdAt: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  executionStoppedAt?: number;
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  group: string;
  startedBy?: string;
  overrides: Json;
  launchType: string;
  cpu?: string;
  memory?: string;
  attachmentId: string;
  eni: string;
  subnet: string;
  tags?: unknown[];
}

export interface EcsEmulatorOptions {
  scope?: AwsScope;
  /** Where `ECS Task State Change` events go. */
  eventBridge?: Pick<EventBridgeEmulator, 'deliverServiceEvent'>;
  /** Where the `awslogs` driver writes. */
  logs?: Pick<CloudWatchLogsEmulator, 'groups' | 'createLogGroup' | 'createLogStream' | 'putLogEvents'>;
  /** Clusters that exist from the start. Default ['default']. */
  clusters?: string[];
  /** How often the awslogs emulation flushes buffered lines. Default 100 ms. */
  logFlushMs?: number;
  /**
   * Checks callers' identity-based policies (iam.ts): `ecs:<Operation>` on the task definition (RegisterTaskDefinition
   * and DescribeTaskDefinition: `*`; RunTask: the task definition), the task (StopTask, DescribeTasks) or the
   * cluster (ListTasks); and for RunTask `iam:PassRole` on the task and execution roles it hands to ECS.
   */
  iam?: IamAuthorizer;
  /**
   * The image configuration (`Entrypoint` and `Cmd`) of images the tests run, by image reference: what Docker
   * takes from the image when the container definition sets no entryPoint/command. An entryPoint in the container
   * definition discards the image's `Cmd`, as Docker does.
   */
  images?: Record<string, ImageConfig>;
}

/** What a container runs when its definition does not say (the image's OCI config). */
export interface ImageConfig {
  entryPoint?: string[];
  command?: string[];
}

export class EcsEmulator {
  readonly #scope: AwsScope;
  readonly #opts: EcsEmulatorOptions;
  readonly #families = new Map<string, TaskDefinition[]>();
  readonly #clusters = new Map<string, string>();
  readonly #tasks = new Map<string, TaskRun>();
  readonly #tokens = new Map<string, { hash: string; taskArns: string[] }>();

  constructor(opts: EcsEmulatorOptions = {}) {
    this.#opts = opts;
    this.#scope = opts.scope ?? DEFAULT_SCOPE;
    for (const c of opts.clusters ?? ['default']) this.#createCluster(c);
  }

  #arn(resource: string): string {
    return `arn:${this.#scope.partition}:ecs:${this.#scope.region}:${this.#scope.account}:${resource}`;
  }

  #createCluster(name: string): string {
    const arn = this.#clusters.get(name) ?? this.#arn(`cluster/${name}`);
    this.#clusters.set(name, arn);
    return arn;
  }

  #cluster(nameOrArn: unknown): { name: string; arn: string } {
    const name = String(nameOrArn ?? 'default').replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:cluster\//, '');
    const arn = this.#clusters.get(name);
    if (!arn) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return { name, arn };
  }

  // ── task definitions ────────────────────────────────────────────────────────────────────────────────────────

  registerTaskDefinition(input: Json): TaskDefinition {
    checkShape(
      input,
      {
        required: ['family', 'containerDefinitions'],
        optional: [
          'taskRoleArn',
          'executionRoleArn',
          'networkMode',
          'volumes',
          'placementConstraints',
          'requiresCompatibilities',
          'cpu',
          'memory',
          'tags',
          'pidMode',
          'ipcMode',
          'proxyConfiguration',
          'inferenceAccelerators',
          'ephemeralStorage',
          'runtimePlatform',
          'enableFaultInjection',
        ],
      },
      { unknown: 'ClientException', missing: 'ClientException' },
    );
    const family = String(input.family);
    if (!/^[a-zA-Z0-9_-]{1,255}$/.test(family)) {
      throw new AwsError(
        'ClientException',
        'Family contains invalid characters or is too long (up to 255 letters, numbers, hyphens and underscores).',
      );
    }
    const defs = input.containerDefinitions as ContainerDefinition[];
    if (!Array.isArray(defs) || defs.length === 0) {
      throw new AwsError('ClientException', 'Container definitions must not be empty.');
    }
    const names = new Set<string>();
    for (const d of defs) {
      if (!d.name || !/^[a-zA-Z0-9_-]{1,255}$/.test(d.name))
        throw new AwsError('ClientException', 'Container.name contains invalid characters.');
      if (names.has(d.name)) throw new AwsError('ClientException', `Duplicate container name: ${d.name}.`);
      names.add(d.name);
      if (!d.image) throw new AwsError('ClientException', 'Container.image should not be null or empty.');
      if (d.stopTimeout !== undefined && (d.stopTimeout < 0 || d.stopTimeout > MAX_STOP_TIMEOUT_SECONDS)) {
        throw new AwsError(
          'ClientException',
          `Container.stopTimeout must be between 0 and ${MAX_STOP_TIMEOUT_SECONDS} seconds on Fargate.`,
        );
      }
    }
    for (const d of defs) {
      for (const dep of d.dependsOn ?? []) {
        if (!names.has(dep.containerName)) {
          throw new AwsError(
            'ClientException',
            `Container ${d.name} depends on ${dep.containerName}, which is not a container in the task definition.`,
          );
        }
        if (!['START', 'COMPLETE', 'SUCCESS', 'HEALTHY'].includes(dep.condition)) {
          throw new AwsError('ClientException', `Invalid dependsOn condition: ${dep.condition}.`);
        }
        if (dep.condition === 'HEALTHY' && !defs.find((x) => x.name === dep.containerName)?.healthCheck) {
          throw new AwsError(
            'ClientException',
            `Container ${dep.containerName} has no health check; the HEALTHY condition needs one.`,
          );
        }
      }
    }
    if (!defs.some((d) => d.essential !== false)) {
      throw new AwsError('ClientException', 'At least one essential container is required.');
    }
    const compat = (input.requiresCompatibilities as string[] | undefined) ?? [];
    if (compat.includes('FARGATE')) {
      if (input.networkMode !== 'awsvpc')
        throw new AwsError('ClientException', "Fargate only supports network mode 'awsvpc'.");
      if (input.cpu === undefined)
        throw new AwsError('ClientException', "Fargate requires that 'cpu' be defined at the task level.");
      if (input.memory === undefined)
        throw new AwsError('ClientException', "Fargate requires that 'memory' be defined at the task level.");
      if (!FARGATE_MEMORY[String(input.cpu)]?.includes(Number(input.memory))) {
        throw new AwsError(
          'ClientException',
          `No Fargate configuration exists for given values: ${String(input.cpu)} CPU, ${String(input.memory)} memory.`,
        );
      }
      const awslogs = defs.filter((d) => d.logConfiguration?.logDriver === 'awslogs');
      if (awslogs.length > 0 && !input.executionRoleArn) {
        throw new AwsError(
          'ClientException',
          'Fargate requires task definition to have execution role ARN to support log driver awslogs.',
        );
      }
      if (awslogs.some((d) => !d.logConfiguration?.options?.['awslogs-stream-prefix'])) {
        throw new AwsError(
          'ClientException',
          'Fargate requires log configuration options to include awslogs-stream-prefix to support log driver awslogs.',
        );
      }
    }
    const revisions = this.#families.get(family) ?? [];
    const revision = revisions.length + 1;
    const td: TaskDefinition = {
      ...input,
      family,
      revision,
      taskDefinitionArn: this.#arn(`task-definition/${family}:${revision}`),
      status: 'ACTIVE',
      // DescribeTaskDefinition returns the defaults ECS fills in for members the request left out.
      containerDefinitions: defs.map((d) => ({
        cpu: 0,
        essential: true,
        environment: [],
        portMappings: [],
        mountPoints: [],
        volumesFrom: [],
        systemControls: [],
        ...d,
      })),
      registeredAt: Date.now(),
      compatibilities: compat.includes('FARGATE') ? ['EC2', 'FARGATE'] : ['EC2'],
    };
    delete (td as Json).tags;
    revisions.push(td);
    this.#families.set(family, revisions);
    return td;
  }

  #taskDefinition(ref: unknown): TaskDefinition {
    const text = String(ref ?? '');
    const m = /^(?:arn:[^:]+:ecs:[^:]*:[^:]*:task-definition\/)?([a-zA-Z0-9_-]+)(?::(\d+))?$/.exec(text);
    const revisions = m ? this.#families.get(m[1]!) : undefined;
    if (!m || !revisions) throw new AwsError('ClientException', 'Unable to describe task definition.');
    if (m[2] !== undefined) {
      const td = revisions[Number(m[2]) - 1];
      if (!td) throw new AwsError('ClientException', 'Unable to describe task definition.');
      return td;
    }
    // A family without a revision means its latest ACTIVE revision.
    const latest = [...revisions].reverse().find((t) => t.status === 'ACTIVE');
    if (!latest) throw new AwsError('ClientException', 'Unable to describe task definition.');
    return latest;
  }

  // ── tasks ───────────────────────────────────────────────────────────────────────────────────────────────────

  runTask(input: Json): { tasks: Json[]; failures: Json[] } {
    checkShape(
      input,
      {
        required: ['taskDefinition'],
        optional: [
          'capacityProviderStrategy',
          'cluster',
          'count',
          'enableECSManagedTags',
          'enableExecuteCommand',
          'group',
          'launchType',
          'networkConfiguration',
          'overrides',
          'placementConstraints',
          'placementStrategy',
          'platformVersion',
          'propagateTags',
          'referenceId',
          'startedBy',
          'tags',
          'clientToken',
          'volumeConfigurations',
        ],
      },
      { unknown: 'InvalidParameterException', missing: 'InvalidParameterException' },
    );
    const cluster = this.#cluster(input.cluster);
    const td = this.#taskDefinition(input.taskDefinition);
    if (td.status !== 'ACTIVE') throw new AwsError('ClientException', 'TaskDefinition is inactive');
    const count = input.count === undefined ? 1 : Number(input.count);
    if (!Number.isInteger(count) || count < 1 || count > 10) {
      throw new AwsError('InvalidParameterException', 'Count must be between 1 and 10.');
    }
    if (typeof input.startedBy === 'string' && input.startedBy.length > 36) {
      throw new AwsError('InvalidParameterException', 'startedBy must be at most 36 characters.');
    }
    if (typeof input.clientToken === 'string' && input.clientToken.length > 64) {
      throw new AwsError('InvalidParameterException', 'clientToken must be at most 64 characters.');
    }
    const launchType = (input.launchType as string | undefined) ?? 'FARGATE';
    const subnets = (
      input.networkConfiguration as { awsvpcConfiguration?: { subnets?: string[] } } | undefined
    )?.awsvpcConfiguration?.subnets;
    if (td.networkMode === 'awsvpc' && (!subnets || subnets.length === 0)) {
      throw new AwsError(
        'InvalidParameterException',
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    const overrides = (input.overrides as Json | undefined) ?? {};
    if (JSON.stringify(overrides).length > MAX_OVERRIDES_CHARS) {
      throw new AwsError(
        'InvalidParameterException',
        `Container Overrides length must be at most ${MAX_OVERRIDES_CHARS}`,
      );
    }
    const containerOverrides = (overrides.containerOverrides as Array<Json> | undefined) ?? [];
    for (const o of containerOverrides) {
      if (!td.containerDefinitions.some((d) => d.name === o.name)) {
        throw new AwsError(
          'InvalidParameterException',
          `Override for container named ${String(o.name)} is not a container in the TaskDefinition.`,
        );
      }
    }
    // Idempotency ("RunTask: clientToken"): the same token and request give the same tasks; the same token with
    // another request is a ConflictException naming the tasks the token already started.
    if (typeof input.clientToken === 'string') {
      const hash = createHash('sha256')
        .update(JSON.stringify({ ...input, cluster: cluster.arn, taskDefinition: td.taskDefinitionArn }))
        .digest('hex');
      const seen = this.#tokens.get(`${cluster.arn}/${input.clientToken}`);
      if (seen) {
        if (seen.hash !== hash) {
          throw new AwsError(
            'ConflictException',
            'The RunTask request could not be processed due to conflicts. The provided clientToken is already in use with a different RunTask request.',
            400,
            { resourceIds: seen.taskArns },
          );
        }
        return { tasks: seen.taskArns.map((a) => this.#describe(this.#tasks.get(a)!)), failures: [] };
      }
      const tasks = this.#startTasks(
        td,
        cluster,
        count,
        launchType,
        overrides,
        input,
        subnets?.[0] ?? 'subnet-local',
      );
      this.#tokens.set(`${cluster.arn}/${input.clientToken}`, { hash, taskArns: tasks.map((t) => t.arn) });
      return { tasks: tasks.map((t) => this.#describe(t)), failures: [] };
    }
    const tasks = this.#startTasks(
      td,
      cluster,
      count,
      launchType,
      overrides,
      input,
      subnets?.[0] ?? 'subnet-local',
    );
    return { tasks: tasks.map((t) => this.#describe(t)), failures: [] };
  }

  #startTasks(
    td: TaskDefinition,
    cluster: { name: string; arn: string },
    count: number,
    launchType: string,
    overrides: Json,
    input: Json,
    subnet: string,
  ): TaskRun[] {
    const out: TaskRun[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomBytes(16).toString('hex');
      const arn = this.#arn(`task/${cluster.name}/${id}`);
      const containerOverrides = (overrides.containerOverrides as Array<Json> | undefined) ?? [];
      const task: TaskRun = {
        arn,
        id,
        clusterArn: cluster.arn,
        taskDefinition: td,
        lastStatus: 'PROVISIONING',
        desiredStatus: 'RUNNING',
        version: 1,
        createdAt: Date.now(),
        group: (input.group as string | undefined) ?? `family:${td.family}`,
        ...(typeof input.startedBy === 'string' ? { startedBy: input.startedBy } : {}),
        overrides: { containerOverrides: [], inferenceAcceleratorOverrides: [], ...overrides },
        launchType,
        ...(td.cpu !== undefined ? { cpu: String((overrides.cpu as string | undefined) ?? td.cpu) } : {}),
        ...(td.memory !== undefined
          ? { memory: String((overrides.memory as string | undefined) ?? td.memory) }
          : {}),
        attachmentId: randomUUID(),
        eni: `eni-${randomBytes(8).toString('hex').slice(0, 17)}`,
        subnet,
        ...(input.tags ? { tags: input.tags as unknown[] } : {}),
        containers: td.containerDefinitions.map((def) => {
          const o = containerOverrides.find((c) => c.name === def.name) ?? {};
          const env: Record<string, string> = {};
          for (const e of def.environment ?? []) env[e.name] = e.value;
          for (const e of (o.environment as Array<{ name: string; value: string }> | undefined) ?? [])
            env[e.name] = e.value;
          const image = this.#opts.images?.[def.image];
          const entryPoint = def.entryPoint ?? image?.entryPoint ?? [];
          const command =
            (o.command as string[] | undefined) ??
            def.command ??
            (def.entryPoint ? [] : (image?.command ?? []));
          return {
            def,
            arn: this.#arn(`container/${cluster.name}/${id}/${randomUUID()}`),
            runtimeId: `${id}-${randomBytes(5).toString('hex')}`,
            lastStatus: 'PENDING' as const,
            healthStatus: 'UNKNOWN' as const,
            env,
            argv: [...entryPoint, ...command],
          };
        }),
      };
      this.#tasks.set(arn, task);
      out.push(task);
      this.#emit(task);
      setImmediate(() => void this.#provision(task));
    }
    return out;
  }

  #emit(task: TaskRun): void {
    this.#opts.eventBridge?.deliverServiceEvent({
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      resources: [task.arn],
      detail: this.#eventDetail(task),
    });
  }

  #setStatus(task: TaskRun, status: TaskStatus): void {
    if (task.lastStatus === status) return;
    task.lastStatus = status;
    task.version++;
    this.#emit(task);
  }

  async #provision(task: TaskRun): Promise<void> {
    if (task.desiredStatus === 'STOPPED') return this.#finish(task);
    this.#setStatus(task, 'PENDING');
    task.pullStartedAt = Date.now();
    task.pullStoppedAt = Date.now();
    // The awslogs driver validates its log group before the containers start (Fargate: ResourceInitializationError).
    for (const c of task.containers) {
      const failure = this.#prepareLogs(task, c);
      if (failure) {
        for (const x of task.containers) {
          x.lastStatus = 'STOPPED';
          if (x === c) x.reason = failure;
        }
        task.desiredStatus = 'STOPPED';
        task.stopCode = 'TaskFailedToStart';
        task.stoppedReason = failure;
        task.stoppingAt = Date.now();
        return this.#finish(task);
      }
    }
    this.#setStatus(task, 'ACTIVATING');
    task.connectivityAt = Date.now();
    this.#advance(task);
  }

  #prepareLogs(task: TaskRun, c: ContainerRun): string | undefined {
    const cfg = c.def.logConfiguration;
    if (!cfg || cfg.logDriver !== 'awslogs' || !this.#opts.logs) return undefined;
    const logs = this.#opts.logs;
    const group = cfg.options?.['awslogs-group'];
    if (!group)
      return 'ResourceInitializationError: failed to validate logger args: awslogs-group is required';
    if (!logs.groups.has(group)) {
      if (cfg.options?.['awslogs-create-group'] === 'true') logs.createLogGroup(group);
      else {
        return `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1`;
      }
    }
    const prefix = cfg.options?.['awslogs-stream-prefix'];
    const stream = prefix ? `${prefix}/${c.def.name}/${task.id}` : task.id;
    if (!logs.groups.get(group)!.streams.has(stream)) logs.createLogStream(group, stream);
    const pending: Array<{ timestamp: number; message: string }> = [];
    // Docker reads stdout and stderr each with its own line reader: a line of one is never split by the other.
    const partial = { stdout: '', stderr: '' };
    // The awslogs driver sends batches within PutLogEvents' limits (10,000 events, 1,048,576 bytes counting 26 per
    // event) and splits a line longer than one event may be (docker's awslogs: maximumBytesPerEvent = 262,144 - 26).
    const flush = () => {
      while (pending.length > 0) {
        let bytes = 0;
        let n = 0;
        while (n < pending.length && n < MAX_BATCH_EVENTS) {
          const size = Buffer.byteLength(pending[n]!.message) + EVENT_OVERHEAD_BYTES;
          if (n > 0 && bytes + size > MAX_BATCH_BYTES) break;
          bytes += size;
          n++;
        }
        try {
          logs.putLogEvents(group, stream, pending.splice(0, n));
        } catch {
          // The real driver drops what CloudWatch refuses (non-blocking mode); so does the emulator.
        }
      }
    };
    const push = (timestamp: number, line: string) => {
      for (const piece of splitUtf8(line, MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES))
        pending.push({ timestamp, message: piece });
    };
    const timer = setInterval(flush, this.#opts.logFlushMs ?? 100);
    timer.unref();
    c.logFlush = () => {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream]) push(Date.now(), partial[stream]);
        partial[stream] = '';
      }
      flush();
      clearInterval(timer);
    };
    c.logWrite = (stream, chunk) => {
      const lines = (partial[stream] + chunk.toString('utf8')).split('\n');
      partial[stream] = lines.pop() ?? '';
      const now = Date.now();
      for (const line of lines) push(now, line);
    };
    return undefined;
  }

  /** Starts every container whose dependencies are met; stops the task when nothing more can happen. */
  #advance(task: TaskRun): void {
    if (task.desiredStatus === 'STOPPED') return;
    for (const c of task.containers) {
      if (c.lastStatus !== 'PENDING' || c.proc) continue;
      const verdict = this.#dependencies(task, c);
      if (verdict === 'wait') continue;
      if (verdict !== 'ok') {
        c.lastStatus = 'STOPPED';
        c.reason = verdict;
        if (c.def.essential !== false) return this.#stopTask(task, 'TaskFailedToStart', verdict);
        continue;
      }
      this.#startContainer(task, c);
    }
    const started = task.containers.filter((c) => c.lastStatus !== 'PENDING');
    if (
      task.lastStatus === 'ACTIVATING' &&
      started.length > 0 &&
      started.some((c) => c.lastStatus === 'RUNNING')
    ) {
      task.startedAt = Date.now();
      this.#setStatus(task, 'RUNNING');
    }
    if (task.containers.every((c) => c.lastStatus === 'STOPPED')) {
      this.#stopTask(task, 'EssentialContainerExited', 'Essential container in task exited');
    }
  }

  /** 'ok' to start, 'wait', or the reason it can never start. */
  #dependencies(task: TaskRun, c: ContainerRun): string {
    for (const dep of c.def.dependsOn ?? []) {
      const d = task.containers.find((x) => x.def.name === dep.containerName)!;
      switch (dep.condition) {
        case 'START':
          if (d.lastStatus === 'PENDING') return 'wait';
          break;
        case 'COMPLETE':
          if (d.lastStatus !== 'STOPPED') return 'wait';
          break;
        case 'SUCCESS':
          if (d.lastStatus !== 'STOPPED') return 'wait';
          if (d.exitCode !== 0) {
            return `DependencyViolation: dependency ${d.def.name} exited with code ${String(d.exitCode)}, condition SUCCESS not met`;
          }
          break;
        case 'HEALTHY':
          if (d.healthStatus === 'HEALTHY') break;
          if (d.lastStatus === 'STOPPED' || d.healthStatus === 'UNHEALTHY') {
            return `DependencyViolation: dependency ${d.def.name} did not become HEALTHY`;
          }
          return 'wait';
      }
    }
    return 'ok';
  }

  #startContainer(task: TaskRun, c: ContainerRun): void {
    if (c.argv.length === 0) {
      c.lastStatus = 'STOPPED';
      c.reason =
        'CannotStartContainerError: the ECS emulator runs local processes and has no image entrypoint: set command or entryPoint';
      if (c.def.essential !== false) this.#stopTask(task, 'TaskFailedToStart', c.reason);
      else this.#afterExit(task, c);
      return;
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
      AWS_REGION: this.#scope.region,
      AWS_DEFAULT_REGION: this.#scope.region,
      HOSTNAME: `ip-127-0-0-1.${this.#scope.region}.compute.internal`,
      ...c.env,
    };
    const cwd =
      c.def.workingDirectory && existsSync(c.def.workingDirectory) ? c.def.workingDirectory : undefined;
    let proc: ChildProcess;
    try {
      proc = spawn(c.argv[0]!, c.argv.slice(1), {
        env,
        cwd,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      this.#failStart(task, c, String(err));
      return;
    }
    c.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => c.logWrite?.('stdout', d));
    proc.stderr?.on('data', (d: Buffer) => c.logWrite?.('stderr', d));
    let spawned = false;
    c.exited = new Promise<void>((resolve) => {
      proc.once('error', (err: NodeJS.ErrnoException) => {
        if (!spawned) {
          // Docker's wording for a missing executable.
          this.#failStart(
            task,
            c,
            err.code === 'ENOENT'
              ? `CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${c.argv[0]}": executable file not found in $PATH: unknown`
              : `CannotStartContainerError: ${err.message}`,
          );
        }
        resolve();
      });
      proc.once('exit', (code, signal) => {
        c.exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
        // The container ends with its main process: Docker kills what else runs in it (a background child would
        // otherwise hold its output open).
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          // nothing left
        }
      });
      // Stopped once all its output is read: the awslogs driver has every line when ECS reports the stop.
      proc.once('close', () => {
        if (!spawned) return; // a start that failed: #failStart has reported it
        c.lastStatus = 'STOPPED';
        this.#clearContainerTimers(c);
        c.logFlush?.();
        this.#afterExit(task, c);
        resolve();
      });
    });
    proc.once('spawn', () => {
      spawned = true;
      c.lastStatus = 'RUNNING';
      this.#startHealthCheck(task, c);
      this.#enforceMemory(c);
      task.version++;
      this.#emit(task);
      this.#advance(task);
    });
  }

  #failStart(task: TaskRun, c: ContainerRun, reason: string): void {
    c.lastStatus = 'STOPPED';
    c.reason = reason;
    c.proc = undefined;
    c.logFlush?.();
    if (c.def.essential !== false) this.#stopTask(task, 'TaskFailedToStart', reason);
    else this.#afterExit(task, c);
  }

  #clearContainerTimers(c: ContainerRun): void {
    if (c.healthTimer) clearTimeout(c.healthTimer);
    if (c.killTimer) clearTimeout(c.killTimer);
    if (c.memoryTimer) clearInterval(c.memoryTimer);
  }

  /** The container's `memory` hard limit ("If your container attempts to exceed the memory specified here, the
   * container is killed", ContainerDefinition memory). */
  #enforceMemory(c: ContainerRun): void {
    const limitMiB = c.def.memory;
    const pgid = c.proc?.pid;
    if (limitMiB === undefined || !pgid) return;
    c.memoryTimer = setInterval(() => {
      if (c.lastStatus !== 'RUNNING' || groupRssBytes(pgid) <= limitMiB * 1024 * 1024) return;
      clearInterval(c.memoryTimer);
      c.reason = 'OutOfMemoryError: Container killed due to memory usage';
      this.#signal(c, 'SIGKILL');
    }, MEMORY_POLL_MS);
    c.memoryTimer.unref();
  }

  #afterExit(task: TaskRun, c: ContainerRun): void {
    if (task.desiredStatus === 'STOPPED') {
      task.version++;
      this.#emit(task);
      if (task.containers.every((x) => x.lastStatus === 'STOPPED' || !x.proc)) void this.#finish(task);
      return;
    }
    if (c.def.essential !== false) {
      this.#stopTask(task, 'EssentialContainerExited', 'Essential container in task exited');
      return;
    }
    task.version++;
    this.#emit(task);
    this.#advance(task);
  }

  #startHealthCheck(task: TaskRun, c: ContainerRun): void {
    const hc = c.def.healthCheck;
    if (!hc) return;
    const interval = (hc.interval ?? 30) * 1000;
    const timeout = (hc.timeout ?? 5) * 1000;
    const retries = hc.retries ?? 3;
    const startPeriodEnds = Date.now() + (hc.startPeriod ?? 0) * 1000;
    let failures = 0;
    const [kind, ...rest] = hc.command;
    const argv = kind === 'CMD-SHELL' ? ['/bin/sh', '-c', rest.join(' ')] : rest;
    const probe = () => {
      if (c.lastStatus !== 'RUNNING') return;
      const p = spawn(argv[0]!, argv.slice(1), {
        env: { PATH: process.env.PATH ?? '', ...c.env },
        stdio: 'ignore',
      });
      const t = setTimeout(() => p.kill('SIGKILL'), timeout);
      const done = (ok: boolean) => {
        clearTimeout(t);
        const before = c.healthStatus;
        if (ok) {
          failures = 0;
          c.healthStatus = 'HEALTHY';
        } else if (Date.now() >= startPeriodEnds && ++failures >= retries) {
          c.healthStatus = 'UNHEALTHY';
        }
        if (before !== c.healthStatus) {
          task.version++;
          this.#emit(task);
          this.#advance(task);
        }
        if (c.lastStatus === 'RUNNING') c.healthTimer = setTimeout(probe, interval);
      };
      p.once('error', () => done(false));
      p.once('exit', (code) => done(code === 0));
    };
    // The first check runs right away (Docker runs it after one interval; ECS reports within the interval too):
    // the emulator's tests should not wait a whole interval for HEALTHY.
    c.healthTimer = setTimeout(probe, 0);
  }

  #stopTask(task: TaskRun, stopCode: string, reason: string): void {
    if (task.desiredStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = Date.now();
    const wasRunning = task.lastStatus === 'RUNNING';
    if (wasRunning) task.lastStatus = 'DEACTIVATING';
    task.version++;
    this.#emit(task);
    for (const c of task.containers) {
      if (c.lastStatus === 'PENDING') c.lastStatus = 'STOPPED';
      if (c.proc && c.lastStatus === 'RUNNING') {
        const stopTimeout = (c.def.stopTimeout ?? DEFAULT_STOP_TIMEOUT_SECONDS) * 1000;
        this.#signal(c, 'SIGTERM');
        c.killTimer = setTimeout(() => this.#signal(c, 'SIGKILL'), stopTimeout);
      }
    }
    if (wasRunning) this.#setStatus(task, 'STOPPING');
    if (task.containers.every((c) => c.lastStatus === 'STOPPED')) void this.#finish(task);
  }

  #signal(c: ContainerRun, signal: NodeJS.Signals): void {
    const pid = c.proc?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        c.proc?.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  async #finish(task: TaskRun): Promise<void> {
    if (task.lastStatus === 'STOPPED' || task.lastStatus === 'DEPROVISIONING') return;
    await Promise.all(task.containers.map((c) => c.exited));
    // Another caller may have finished the task while this one waited for the exits.
    if ((task.lastStatus as TaskStatus) === 'STOPPED' || (task.lastStatus as TaskStatus) === 'DEPROVISIONING')
      return;
    for (const c of task.containers) c.logFlush?.();
    task.executionStoppedAt = Date.now();
    if (task.lastStatus === 'RUNNING' || task.lastStatus === 'DEACTIVATING')
      this.#setStatus(task, 'STOPPING');
    this.#setStatus(task, 'DEPROVISIONING');
    task.stoppedAt = Date.now();
    this.#setStatus(task, 'STOPPED');
  }

  stopTask(input: Json): Json {
    checkShape(
      input,
      { required: ['task'], optional: ['cluster', 'reason'] },
      { unknown: 'InvalidParameterException', missing: 'InvalidParameterException' },
    );
    const cluster = this.#cluster(input.cluster);
    const task = this.#findTask(cluster, input.task);
    if (!task) throw new AwsError('InvalidParameterException', 'The referenced task was not found.');
    if (typeof input.reason === 'string' && input.reason.length > 1024) {
      throw new AwsError('InvalidParameterException', 'reason must be at most 1024 characters.');
    }
    this.#stopTask(
      task,
      'UserInitiated',
      typeof input.reason === 'string' ? input.reason : 'Task stopped by user',
    );
    return this.#describe(task);
  }

  #findTask(cluster: { name: string; arn: string }, ref: unknown): TaskRun | undefined {
    const text = String(ref);
    const id = text.includes('/') ? text.slice(text.lastIndexOf('/') + 1) : text;
    const task = this.#tasks.get(this.#arn(`task/${cluster.name}/${id}`));
    return task;
  }

  describeTasks(input: Json): Json {
    checkShape(
      input,
      { required: ['tasks'], optional: ['cluster', 'include'] },
      { unknown: 'InvalidParameterException', missing: 'InvalidParameterException' },
    );
    const cluster = this.#cluster(input.cluster);
    const refs = input.tasks as string[];
    if (!Array.isArray(refs) || refs.length === 0 || refs.length > 100) {
      throw new AwsError(
        'InvalidParameterException',
        'Tasks cannot be empty and must contain at most 100 elements.',
      );
    }
    const tasks: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const t = this.#findTask(cluster, ref);
      if (t)
        tasks.push(this.#describe(t, (input.include as string[] | undefined)?.includes('TAGS') ?? false));
      else
        failures.push({
          arn: ref.startsWith('arn:') ? ref : this.#arn(`task/${cluster.name}/${ref}`),
          reason: 'MISSING',
        });
    }
    return { tasks, failures };
  }

  listTasks(input: Json): Json {
    checkShape(
      input,
      {
        optional: [
          'cluster',
          'containerInstance',
          'family',
          'nextToken',
          'maxResults',
          'startedBy',
          'serviceName',
          'desiredStatus',
          'launchType',
        ],
      },
      { unknown: 'InvalidParameterException' },
    );
    const cluster = this.#cluster(input.cluster);
    const desired = (input.desiredStatus as string | undefined) ?? 'RUNNING';
    const max = input.maxResults === undefined ? 100 : Number(input.maxResults);
    if (!Number.isInteger(max) || max < 1 || max > 100) {
      throw new AwsError('InvalidParameterException', 'maxResults must be between 1 and 100.');
    }
    const arns = [...this.#tasks.values()]
      .filter(
        (t) =>
          t.clusterArn === cluster.arn &&
          t.desiredStatus === desired &&
          (input.family === undefined || t.taskDefinition.family === input.family) &&
          (input.startedBy === undefined || t.startedBy === input.startedBy) &&
          (input.launchType === undefined || t.launchType === input.launchType),
      )
      .map((t) => t.arn);
    const start =
      typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
    const page = arns.slice(start, start + max);
    return {
      taskArns: page,
      ...(start + max < arns.length
        ? { nextToken: Buffer.from(String(start + max)).toString('base64') }
        : {}),
    };
  }

  /** The Task object of DescribeTasks (timestamps as epoch seconds, the JSON protocol's encoding). */
  #describe(t: TaskRun, includeTags = false): Json {
    const ts = (ms: number | undefined) => (ms === undefined ? undefined : epochSeconds(ms));
    return compact({
      taskArn: t.arn,
      clusterArn: t.clusterArn,
      taskDefinitionArn: t.taskDefinition.taskDefinitionArn,
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      launchType: t.launchType,
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      cpu: t.cpu,
      memory: t.memory,
      group: t.group,
      startedBy: t.startedBy,
      version: t.version,
      connectivity: t.connectivityAt !== undefined ? 'CONNECTED' : undefined,
      connectivityAt: ts(t.connectivityAt),
      createdAt: ts(t.createdAt),
      pullStartedAt: ts(t.pullStartedAt),
      pullStoppedAt: ts(t.pullStoppedAt),
      startedAt: ts(t.startedAt),
      stoppingAt: ts(t.stoppingAt),
      stoppedAt: ts(t.stoppedAt),
      executionStoppedAt: ts(t.executionStoppedAt),
      stopCode: t.stopCode,
      stoppedReason: t.stoppedReason,
      availabilityZone: `${this.#scope.region}a`,
      overrides: t.overrides,
      attachments: [this.#attachment(t)],
      healthStatus: taskHealth(t),
      containers: t.containers.map((c) => this.#container(t, c)),
      enableExecuteCommand: false,
      ephemeralStorage: { sizeInGiB: 20 },
      tags: includeTags ? (t.tags ?? []) : undefined,
    });
  }

  #attachment(t: TaskRun): Json {
    const stopped = t.lastStatus === 'STOPPED';
    return {
      id: t.attachmentId,
      type: 'ElasticNetworkInterface',
      status: stopped ? 'DELETED' : t.lastStatus === 'PROVISIONING' ? 'PRECREATED' : 'ATTACHED',
      details: [
        { name: 'subnetId', value: t.subnet },
        { name: 'networkInterfaceId', value: t.eni },
        { name: 'macAddress', value: '02:00:00:00:00:01' },
        { name: 'privateDnsName', value: `ip-127-0-0-1.${this.#scope.region}.compute.internal` },
        { name: 'privateIPv4Address', value: TASK_IP },
      ],
    };
  }

  #container(t: TaskRun, c: ContainerRun): Json {
    return compact({
      containerArn: c.arn,
      taskArn: t.arn,
      name: c.def.name,
      image: c.def.image,
      runtimeId: c.proc ? c.runtimeId : undefined,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
      healthStatus: c.def.healthCheck ? c.healthStatus : undefined,
      networkBindings: [],
      networkInterfaces: [{ attachmentId: t.attachmentId, privateIpv4Address: TASK_IP }],
      cpu: c.def.cpu !== undefined ? String(c.def.cpu) : '0',
      memory: c.def.memory !== undefined ? String(c.def.memory) : undefined,
    });
  }

  /** The `detail` of an ECS Task State Change event: the Task, its timestamps as ISO 8601 strings. */
  #eventDetail(t: TaskRun): Json {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const base = this.#describe(t);
    return compact({
      ...base,
      connectivityAt: iso(t.connectivityAt),
      createdAt: iso(t.createdAt),
      pullStartedAt: iso(t.pullStartedAt),
      pullStoppedAt: iso(t.pullStoppedAt),
      startedAt: iso(t.startedAt),
      stoppingAt: iso(t.stoppingAt),
      stoppedAt: iso(t.stoppedAt),
      executionStoppedAt: iso(t.executionStoppedAt),
      updatedAt: new Date().toISOString(),
    });
  }

  /** Kills every process of every task (harness shutdown). */
  async close(): Promise<void> {
    for (const t of this.#tasks.values()) {
      for (const c of t.containers) {
        this.#clearContainerTimers(c);
        if (c.proc && c.lastStatus === 'RUNNING') this.#signal(c, 'SIGKILL');
      }
    }
    await Promise.all([...this.#tasks.values()].flatMap((t) => t.containers.map((c) => c.exited)));
  }

  #authorize(operation: string, input: Json, accessKeyId: string | undefined): void {
    const iam = this.#opts.iam;
    if (!iam) return;
    const cluster = String(input.cluster ?? 'default').replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:cluster\//, '');
    const taskArn = (ref: unknown) => {
      const text = String(ref);
      return text.startsWith('arn:') ? text : this.#arn(`task/${cluster}/${text}`);
    };
    let resources: string[] = ['*'];
    if (operation === 'RunTask') {
      const ref = String(input.taskDefinition ?? '');
      resources = [ref.startsWith('arn:') ? ref : this.#arn(`task-definition/${ref}`)];
    } else if (operation === 'StopTask') resources = [taskArn(input.task)];
    else if (operation === 'DescribeTasks')
      resources = ((input.tasks as unknown[] | undefined) ?? []).map(taskArn);
    else if (operation === 'ListTasks') resources = [this.#arn(`container-instance/${cluster}/*`)];
    // ecs:cluster is the cluster the request names ("Condition keys for Amazon ECS"); RegisterTaskDefinition and
    // DescribeTaskDefinition name none.
    const context: RequestContext =
      operation === 'RegisterTaskDefinition' || operation === 'DescribeTaskDefinition'
        ? {}
        : { 'ecs:cluster': this.#arn(`cluster/${cluster}`) };
    for (const r of resources) iam.authorize(accessKeyId, `ecs:${operation}`, r, 400, context);
    if (operation === 'RunTask') {
      // Tagging on creation needs ecs:TagResource too, with ecs:CreateAction naming the creating call ("Grant
      // permission to tag resources on creation").
      if (((input.tags as unknown[] | undefined) ?? []).length > 0)
        iam.authorize(accessKeyId, 'ecs:TagResource', this.#arn(`task/${cluster}/*`), 400, {
          ...context,
          'ecs:CreateAction': 'RunTask',
        });
      let td: TaskDefinition | undefined;
      try {
        td = this.#taskDefinition(input.taskDefinition);
      } catch {
        td = undefined; // RunTask itself answers for an unknown task definition
      }
      const overrides = (input.overrides as Json | undefined) ?? {};
      for (const role of [
        overrides.taskRoleArn ?? td?.taskRoleArn,
        overrides.executionRoleArn ?? td?.executionRoleArn,
      ]) {
        if (typeof role === 'string')
          iam.authorize(accessKeyId, 'iam:PassRole', role, 400, {
            'iam:PassedToService': 'ecs-tasks.amazonaws.com',
          });
      }
    }
  }

  async listen(): Promise<EmulatorServer> {
    return startWireServer(
      jsonProtocol(
        'AmazonEC2ContainerServiceV20141113',
        '1.1',
        {
          RegisterTaskDefinition: (i) => ({
            taskDefinition: this.registerTaskDefinition(i),
            tags: i.tags ?? [],
          }),
          DeregisterTaskDefinition: (i) => {
            checkShape(
              i,
              { required: ['taskDefinition'] },
              { unknown: 'ClientException', missing: 'ClientException' },
            );
            if (!/:\d+$/.test(String(i.taskDefinition))) {
              throw new AwsError(
                'ClientException',
                'A revision must be specified: family:revision or the full ARN.',
              );
            }
            const td = this.#taskDefinition(i.taskDefinition);
            td.status = 'INACTIVE';
            td.deregisteredAt = Date.now();
            return { taskDefinition: this.#describeTaskDefinition(td) };
          },
          DescribeTaskDefinition: (i) => {
            checkShape(
              i,
              { required: ['taskDefinition'], optional: ['include'] },
              { unknown: 'ClientException', missing: 'ClientException' },
            );
            return {
              taskDefinition: this.#describeTaskDefinition(this.#taskDefinition(i.taskDefinition)),
              tags: [],
            };
          },
          RunTask: (i) => this.runTask(i),
          StopTask: (i) => ({ task: this.stopTask(i) }),
          DescribeTasks: (i) => this.describeTasks(i),
          ListTasks: (i) => this.listTasks(i),
          CreateCluster: (i) => {
            checkShape(i, {
              optional: [
                'clusterName',
                'tags',
                'settings',
                'configuration',
                'capacityProviders',
                'defaultCapacityProviderStrategy',
                'serviceConnectDefaults',
              ],
            });
            const name = (i.clusterName as string | undefined) ?? 'default';
            return {
              cluster: { clusterArn: this.#createCluster(name), clusterName: name, status: 'ACTIVE' },
            };
          },
          DescribeClusters: (i) => {
            checkShape(i, { optional: ['clusters', 'include'] });
            const names = (i.clusters as string[] | undefined) ?? ['default'];
            const clusters: Json[] = [];
            const failures: Json[] = [];
            for (const n of names) {
              try {
                const c = this.#cluster(n);
                const running = [...this.#tasks.values()].filter(
                  (t) => t.clusterArn === c.arn && t.lastStatus !== 'STOPPED',
                );
                clusters.push({
                  clusterArn: c.arn,
                  clusterName: c.name,
                  status: 'ACTIVE',
                  runningTasksCount: running.filter((t) => t.lastStatus === 'RUNNING').length,
                  pendingTasksCount: running.filter((t) => t.lastStatus !== 'RUNNING').length,
                });
              } catch {
                failures.push({ arn: n, reason: 'MISSING' });
              }
            }
            return { clusters, failures };
          },
        },
        (op, input, accessKeyId) => this.#authorize(op, input, accessKeyId),
      ),
    );
  }

  #describeTaskDefinition(td: TaskDefinition): Json {
    return compact({
      ...td,
      registeredAt: epochSeconds(td.registeredAt),
      deregisteredAt: td.deregisteredAt === undefined ? undefined : epochSeconds(td.deregisteredAt),
    });
  }
}

/** How often a container's resident memory is compared with its `memory` limit. */
const MEMORY_POLL_MS = 50;
/** Linux's page size on the machines the tests run on (x86_64 and arm64 with 4 KiB pages). */
const PAGE_BYTES = 4096;

/** The resident memory of every process in a process group: `rss` (pages) of /proc/<pid>/stat, summed. */
function groupRssBytes(pgid: number): number {
  let pages = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // After the `(comm)` field: state ppid pgrp … with rss the 22nd (proc(5): field 24).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) pages += Number(fields[21]);
  }
  return pages * PAGE_BYTES;
}

/** `text` in pieces of at most `maxBytes` UTF-8 bytes, cut between characters. */
function splitUtf8(text: string, maxBytes: number): string[] {
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const pieces: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > maxBytes) {
      pieces.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += size;
  }
  pieces.push(current);
  return pieces;
}

function taskHealth(t: TaskRun): string {
  const checked = t.containers.filter((c) => c.def.healthCheck && c.def.essential !== false);
  if (checked.length === 0) return 'UNKNOWN';
  if (checked.some((c) => c.healthStatus === 'UNHEALTHY')) return 'UNHEALTHY';
  return checked.every((c) => c.healthStatus === 'HEALTHY') ? 'HEALTHY' : 'UNKNOWN';
}

function compact(o: Json): Json {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
