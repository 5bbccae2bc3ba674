// How big a Fargate task a pod gets (docs/decisions/0006-fargate-runtime.md §5), computed as EKS on Fargate does
// (EKS User Guide, "Understand Fargate Pod configuration details"): the pod's request — the larger of the largest
// init container request and the sum of the long-running containers' requests — plus 256 MB for the system, rounded
// up to the smallest valid vCPU/memory combination of that page's table. Pure: the admission writes the result into
// the `podflow.io/fargate-size` annotation and the task definition uses the same numbers.
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import { isSidecar } from '../../core/pod-spec.ts';
import { toMilli, toValue, tryParseQuantity } from '../../core/quantity.ts';

/** The annotation that reports the chosen size, in the format of EKS's `CapacityProvisioned` (`0.25vCPU 0.5GB`). */
export const FARGATE_SIZE_ANNOTATION = 'podflow.io/fargate-size';

/** EKS: "Fargate adds 256 MB to each Pod's memory reservation for the required Kubernetes components". */
export const SYSTEM_MEMORY_MIB = 256;

/** ECS CPU units per vCPU (ContainerDefinition `cpu`). */
export const CPU_UNITS_PER_VCPU = 1024;

const MIB = 1024n * 1024n;
const GIB = 1024n * MIB;

/** Memory values (MiB) from `from` to `to` GB in steps of `step` GB. */
const gbRange = (from: number, to: number, step: number): number[] =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => (from + i * step) * 1024);

/**
 * The valid task CPU (units) and memory (MiB) combinations: EKS pod configuration page table, the same values as
 * ECS RegisterTaskDefinition `memory` for Fargate (8 and 16 vCPU need Linux platform version 1.4.0).
 */
export const FARGATE_CPU_MEMORY: ReadonlyArray<{ cpu: number; memoryMiB: readonly number[] }> = [
  { cpu: 256, memoryMiB: [512, 1024, 2048] },
  { cpu: 512, memoryMiB: gbRange(1, 4, 1) },
  { cpu: 1024, memoryMiB: gbRange(2, 8, 1) },
  { cpu: 2048, memoryMiB: gbRange(4, 16, 1) },
  { cpu: 4096, memoryMiB: gbRange(8, 30, 1) },
  { cpu: 8192, memoryMiB: gbRange(16, 60, 4) },
  { cpu: 16384, memoryMiB: gbRange(32, 120, 8) },
];

/** A task size: CPU units and memory in MiB, as RegisterTaskDefinition takes them. */
export interface FargateSize {
  cpu: number;
  memoryMiB: number;
}

/** What a pod asks for: millicores, memory and ephemeral storage in bytes. */
export interface PodRequest {
  cpuMillis: bigint;
  memoryBytes: bigint;
  ephemeralBytes: bigint;
}

type Resource = 'cpu' | 'memory' | 'ephemeral-storage';

/** A container's request of one resource; a missing request is the limit (pkg/apis/core/v1/defaults.go). */
function requestOf(c: Container, resource: Resource): bigint {
  const q = tryParseQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]);
  if (!q) return 0n;
  return resource === 'cpu' ? toMilli(q) : toValue(q);
}

function podRequestOf(spec: PodSpec, resource: Resource): bigint {
  // staging/src/k8s.io/component-helpers/resource/helpers.go PodRequests: the long-running containers (app
  // containers and sidecars) add up; each regular init container runs beside the sidecars started before it; the
  // pod needs the larger of the two. Without sidecars this is EKS's rule.
  let longRunning = spec.containers.reduce((sum, c) => sum + requestOf(c, resource), 0n);
  let sidecars = 0n;
  let init = 0n;
  for (const c of spec.initContainers ?? []) {
    let value = requestOf(c, resource);
    if (isSidecar(c)) {
      longRunning += value;
      sidecars += value;
      value = sidecars;
    } else {
      value += sidecars;
    }
    if (value > init) init = value;
  }
  return longRunning > init ? longRunning : init;
}

export function podRequest(spec: PodSpec): PodRequest {
  return {
    cpuMillis: podRequestOf(spec, 'cpu'),
    memoryBytes: podRequestOf(spec, 'memory'),
    ephemeralBytes: podRequestOf(spec, 'ephemeral-storage'),
  };
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/**
 * The smallest combination that holds the request plus the system's 256 MiB: the fewest vCPUs whose memory range
 * reaches the memory, then the least memory of that row (EKS: "a request for 1 vCPU and 8 GB memory will have 256
 * MB added to its memory request, and will provision a Fargate task with 2 vCPUs and 9 GB memory"). Undefined when
 * no combination is large enough.
 */
export function fargateSizeFor(
  request: Pick<PodRequest, 'cpuMillis' | 'memoryBytes'>,
): FargateSize | undefined {
  const cpuUnits = Number(ceilDiv(request.cpuMillis * BigInt(CPU_UNITS_PER_VCPU), 1000n));
  const memoryMiB = Number(ceilDiv(request.memoryBytes, MIB)) + SYSTEM_MEMORY_MIB;
  for (const row of FARGATE_CPU_MEMORY) {
    if (row.cpu < cpuUnits) continue;
    const memory = row.memoryMiB.find((m) => m >= memoryMiB);
    if (memory !== undefined) return { cpu: row.cpu, memoryMiB: memory };
  }
  return undefined;
}

/** The largest valid size, for messages. */
export const LARGEST_FARGATE_SIZE: FargateSize = { cpu: 16384, memoryMiB: 122880 };

/** `0.25vCPU 0.5GB`, `2vCPU 9GB`: EKS's CapacityProvisioned format. */
export function formatFargateSize(size: FargateSize): string {
  return `${size.cpu / CPU_UNITS_PER_VCPU}vCPU ${size.memoryMiB / 1024}GB`;
}

/** Ephemeral storage every Fargate task has without asking (Fargate task ephemeral storage, EKS pod configuration). */
export const DEFAULT_EPHEMERAL_STORAGE_GIB = 20;
/** EKS: "You can increase the total amount of ephemeral storage up to a maximum of 175 GiB". */
export const MAX_EPHEMERAL_STORAGE_REQUEST_GIB = 175;
/** ECS EphemeralStorage sizeInGiB bounds. */
export const MIN_TASK_EPHEMERAL_STORAGE_GIB = 21;
export const MAX_TASK_EPHEMERAL_STORAGE_GIB = 200;

/**
 * The task's `ephemeralStorage.sizeInGiB`, or undefined for Fargate's default 20 GiB: what EKS provisions for the
 * requests — their sum plus 10 % plus 5 GiB ("a request of 100 GiB will provision a Fargate task with 115 GiB
 * ephemeral storage") — when that is more than the default.
 */
export function ephemeralStorageGiB(ephemeralBytes: bigint): number | undefined {
  if (ephemeralBytes <= 0n) return undefined;
  // sum × 1.1 + 5 GiB, in GiB, rounded up: ceil((11 × sum + 50 GiB) / (10 GiB)).
  const size = Number(ceilDiv(11n * ephemeralBytes + 50n * GIB, 10n * GIB));
  if (size <= DEFAULT_EPHEMERAL_STORAGE_GIB) return undefined;
  return Math.min(MAX_TASK_EPHEMERAL_STORAGE_GIB, Math.max(MIN_TASK_EPHEMERAL_STORAGE_GIB, size));
}

export const ephemeralRequestTooLarge = (ephemeralBytes: bigint): boolean =>
  ephemeralBytes > BigInt(MAX_EPHEMERAL_STORAGE_REQUEST_GIB) * GIB;
