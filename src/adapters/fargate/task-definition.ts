// A pod spec → the RegisterTaskDefinition input of its Fargate task (docs/decisions/0006-fargate-runtime.md §3, §5,
// §6). Pure and deterministic: the family is the hash of the input itself, so pods (and sandbox generations of one
// pod) with the same rendered spec share one task definition. Golden-tested (test/adapters/fargate/golden/).
import { createHash } from 'node:crypto';
import type {
  ContainerDefinition,
  ContainerDependency,
  KeyValuePair,
  MountPoint,
  PortMapping,
  RegisterTaskDefinitionCommandInput,
  Volume,
} from '@aws-sdk/client-ecs';
import type { Container } from 'kubernetes-types/core/v1';
import { resolveContainerEnvironment } from '../../core/env.ts';
import { podGraceSeconds } from '../../core/grace.ts';
import { containerEntries, type ContainerEntry } from '../../core/pod-spec.ts';
import type { AdmittedPod } from '../../core/pod-state.ts';
import { toMilli, toValue, tryParseQuantity } from '../../core/quantity.ts';
import { MINIMUM_STOP_GRACE_SECONDS } from '../../core/reconcile.ts';
import {
  CPU_UNITS_PER_VCPU,
  ephemeralStorageGiB,
  fargateSizeFor,
  podRequest,
  type FargateSize,
} from './fargate-sizing.ts';
import { PAUSE_CONTAINER } from './sandbox-identity.ts';

/** ContainerDefinition `stopTimeout`: "For tasks that use the Fargate launch type, the max stop timeout value is 120 seconds". */
export const MAX_FARGATE_STOP_TIMEOUT_SECONDS = 120;

/** The Kubernetes pause image as EKS Distro publishes it on ECR Public (docs/decisions/0006-fargate-runtime.md §1). */
export const DEFAULT_PAUSE_IMAGE = 'public.ecr.aws/eks-distro/kubernetes/pause:3.9';

/** awslogs-stream-prefix: streams are `podflow/<container>/<task id>` (awslogs driver naming). */
export const LOG_STREAM_PREFIX = 'podflow';

/** Secrets Manager names of registry credentials: `podflow/<namespace>/<imagePullSecret name>`. */
export const DEFAULT_REGISTRY_SECRET_PREFIX = 'podflow/';

/** The family prefix the IAM policies of the FargateRuntime construct allow RunTask for. */
export const TASK_FAMILY_PREFIX = 'podflow-';

export interface TaskDefinitionSettings {
  executionRoleArn: string;
  taskRoleArn: string;
  /** The log group every container writes to (awslogs). */
  logGroup: string;
  region: string;
  pauseImage: string;
  cpuArchitecture: 'X86_64' | 'ARM64';
  /** status.hostIP and what `fieldRef: status.hostIP` resolves to (the engine's hostIP setting). */
  hostIP: string;
  registrySecretPrefix: string;
}

export interface RenderedTaskDefinition {
  family: string;
  input: RegisterTaskDefinitionCommandInput;
  size: FargateSize;
}

export class TaskDefinitionError extends Error {
  override name = 'TaskDefinitionError';
}

/** The seconds between SIGTERM and SIGKILL a Fargate container gets: the pod's grace, at least 2 s, at most 120 s. */
export const stopTimeoutFor = (graceSeconds: number): number =>
  Math.min(MAX_FARGATE_STOP_TIMEOUT_SECONDS, Math.max(MINIMUM_STOP_GRACE_SECONDS, graceSeconds));

/**
 * Kubernetes `command`/`args` → ECS `entryPoint`/`command`. The CRI replaces the image's ENTRYPOINT with `command`
 * and its CMD with `args`, and a `command` without `args` runs without the image's CMD
 * (pkg/kubelet/kuberuntime/kuberuntime_container.go generateContainerConfig). ECS's `entryPoint` replaces the
 * ENTRYPOINT and `command` the CMD; an entry point given without a command does not inherit the image's CMD (moby
 * daemon/create.go merges the image's Cmd only when no Entrypoint is set), so leaving `command` out is right.
 */
export function entryPointAndCommand(
  container: Pick<Container, 'command' | 'args'>,
  expanded: { command: string[]; args: string[] },
): { entryPoint?: string[]; command?: string[] } {
  const hasCommand = container.command !== undefined && container.command.length > 0;
  const hasArgs = container.args !== undefined && container.args.length > 0;
  return {
    ...(hasCommand ? { entryPoint: expanded.command } : {}),
    ...(hasArgs ? { command: expanded.args } : {}),
  };
}

const MIB = 1024n * 1024n;
const ceilMiB = (bytes: bigint): number => Number((bytes + MIB - 1n) / MIB);

function memoryOf(c: Container): { memory?: number; memoryReservation?: number } {
  const limit = tryParseQuantity(c.resources?.limits?.memory);
  const request = tryParseQuantity(c.resources?.requests?.memory);
  const memory = limit ? ceilMiB(toValue(limit)) : undefined;
  const reservation = request ? ceilMiB(toValue(request)) : undefined;
  return {
    // ContainerDefinition `memory`: the hard limit — exceeding it is the OOM kill (OutOfMemoryError, 137).
    ...(memory !== undefined && memory > 0 ? { memory } : {}),
    // `memoryReservation`: the soft limit; it must not exceed `memory`.
    ...(reservation !== undefined && reservation > 0 && (memory === undefined || reservation < memory)
      ? { memoryReservation: reservation }
      : {}),
  };
}

function cpuUnitsOf(c: Container): number | undefined {
  const q = tryParseQuantity(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu);
  if (!q) return undefined;
  const units = Number((toMilli(q) * BigInt(CPU_UNITS_PER_VCPU) + 999n) / 1000n);
  return units > 0 ? units : undefined;
}

/** `runAsUser[:runAsGroup]`, the container's security context over the pod's. */
function userOf(pod: AdmittedPod, c: Container): string | undefined {
  const uid = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? pod.spec.securityContext?.runAsGroup;
  if (uid === undefined) return undefined;
  return gid === undefined ? String(uid) : `${uid}:${gid}`;
}

/** The later of two entries with one name wins, in the place of the first (kubelet makeEnvironmentVariables). */
function environmentOf(env: ReadonlyArray<{ name: string; value: string }>): KeyValuePair[] {
  const byName = new Map<string, string>();
  for (const e of env) byName.set(e.name, e.value);
  return [...byName].map(([name, value]) => ({ name, value }));
}

/**
 * Start order as dependsOn (§3): each regular init container after the previous init container succeeded (or, a
 * sidecar, started); the first app container after the last init container; every further app container after the
 * previous one started; every app container after every sidecar started, which also makes ECS stop the sidecars
 * last ("When a dependency is defined for container startup, for container shutdown it is reversed").
 */
function dependenciesOf(entries: readonly ContainerEntry[], index: number): ContainerDependency[] {
  const entry = entries[index]!;
  const previous = entries[index - 1];
  const deps: ContainerDependency[] = [];
  if (!previous) deps.push({ containerName: PAUSE_CONTAINER, condition: 'START' });
  else if (previous.kind === 'init')
    deps.push({ containerName: previous.container.name, condition: 'SUCCESS' });
  else deps.push({ containerName: previous.container.name, condition: 'START' });
  if (entry.kind === 'app') {
    for (const sidecar of entries.filter((e) => e.kind === 'sidecar')) {
      if (sidecar !== previous) deps.push({ containerName: sidecar.container.name, condition: 'START' });
    }
  }
  return deps;
}

function portMappingsOf(c: Container): PortMapping[] {
  return (c.ports ?? []).map((p) => ({
    containerPort: p.containerPort,
    protocol: p.protocol === 'UDP' ? 'udp' : 'tcp',
  }));
}

function mountPointsOf(c: Container, emptyDirs: ReadonlySet<string>): MountPoint[] {
  return (c.volumeMounts ?? [])
    .filter((m) => emptyDirs.has(m.name))
    .map((m) => ({ sourceVolume: m.name, containerPath: m.mountPath, readOnly: m.readOnly === true }));
}

/**
 * The task definition of a pod. Throws TaskDefinitionError for what admission (fargate-admission.ts) refuses — a
 * pod larger than Fargate's largest task, an environment that cannot be resolved before the task runs.
 */
export function renderTaskDefinition(
  pod: AdmittedPod,
  settings: TaskDefinitionSettings,
): RenderedTaskDefinition {
  const spec = pod.spec;
  const request = podRequest(spec);
  const size = fargateSizeFor(request);
  if (!size)
    throw new TaskDefinitionError(`the pod needs more than Fargate's largest task (16 vCPU, 120 GB)`);
  const stopTimeout = stopTimeoutFor(podGraceSeconds(spec));
  const logConfiguration = {
    logDriver: 'awslogs' as const,
    options: {
      'awslogs-group': settings.logGroup,
      'awslogs-region': settings.region,
      'awslogs-stream-prefix': LOG_STREAM_PREFIX,
    },
  };
  const emptyDirs = new Set((spec.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
  const pullSecret = spec.imagePullSecrets?.[0]?.name;
  const entries = containerEntries(spec);
  const containers: ContainerDefinition[] = entries.map((entry, index) => {
    const c = entry.container;
    const resolved = resolveContainerEnvironment({
      pod,
      container: c,
      lookups: { configMaps: {}, secrets: {} },
      ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
      // status.podIP is the ENI's address, known only once the task runs: admission refuses env that reads it.
      podIPs: [],
      hostIPs: [settings.hostIP],
    });
    if (!resolved.ok)
      throw new TaskDefinitionError(`container ${JSON.stringify(c.name)}: ${resolved.message}`);
    const user = userOf(pod, c);
    const ports = portMappingsOf(c);
    const mounts = mountPointsOf(c, emptyDirs);
    const cpu = cpuUnitsOf(c);
    const environment = environmentOf(resolved.env);
    return {
      name: c.name,
      image: c.image,
      essential: false,
      ...entryPointAndCommand(c, resolved),
      ...(environment.length > 0 ? { environment } : {}),
      ...(c.workingDir ? { workingDirectory: c.workingDir } : {}),
      ...(ports.length > 0 ? { portMappings: ports } : {}),
      ...(cpu !== undefined ? { cpu } : {}),
      ...memoryOf(c),
      ...(mounts.length > 0 ? { mountPoints: mounts } : {}),
      ...(user ? { user } : {}),
      ...(c.securityContext?.readOnlyRootFilesystem ? { readonlyRootFilesystem: true } : {}),
      ...(c.stdin ? { interactive: true } : {}),
      ...(c.tty ? { pseudoTerminal: true } : {}),
      dependsOn: dependenciesOf(entries, index),
      stopTimeout,
      ...(pullSecret
        ? {
            repositoryCredentials: {
              credentialsParameter: `${settings.registrySecretPrefix}${pod.metadata.namespace}/${pullSecret}`,
            },
          }
        : {}),
      logConfiguration,
    };
  });
  const pause: ContainerDefinition = {
    name: PAUSE_CONTAINER,
    image: settings.pauseImage,
    essential: true,
    stopTimeout: MINIMUM_STOP_GRACE_SECONDS,
    logConfiguration,
  };
  const volumes: Volume[] = [...emptyDirs].map((name) => ({ name }));
  const ephemeral = ephemeralStorageGiB(request.ephemeralBytes);
  const body: Omit<RegisterTaskDefinitionCommandInput, 'family'> = {
    taskRoleArn: settings.taskRoleArn,
    executionRoleArn: settings.executionRoleArn,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(size.cpu),
    memory: String(size.memoryMiB),
    runtimePlatform: { cpuArchitecture: settings.cpuArchitecture, operatingSystemFamily: 'LINUX' },
    containerDefinitions: [pause, ...containers],
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(ephemeral !== undefined ? { ephemeralStorage: { sizeInGiB: ephemeral } } : {}),
  };
  const family = `${TASK_FAMILY_PREFIX}${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16)}`;
  return { family, size, input: { family, ...body } };
}

/** The CloudWatch Logs stream of a container of a task (awslogs: `<prefix>/<container name>/<task id>`). */
export const logStreamName = (container: string, taskId: string): string =>
  `${LOG_STREAM_PREFIX}/${container}/${taskId}`;
