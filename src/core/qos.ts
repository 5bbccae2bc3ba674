// Pod QoS class, reproduced from pkg/apis/core/v1/helper/qos/qos.go (GetPodQOS / ComputePodQOS), on a pod as the
// API server would have defaulted it (pkg/apis/core/v1/defaults.go SetDefaults_Pod: a container's missing requests
// default to its limits, resource by resource).
//
// Upstream, over containers + initContainers (ephemeral containers cannot have resources), considering cpu and
// memory only and only quantities > 0:
//   requests[r] = Σ requests, limits[r] = Σ limits
//   isGuaranteed = every container has both a cpu and a memory limit > 0
//   no requests and no limits at all            → BestEffort
//   isGuaranteed and requests[r] == limits[r] for every requested r and len(requests) == len(limits)
//                                               → Guaranteed
//   otherwise                                   → Burstable
// With pod-level resources (KEP-2837, `spec.resources`, beta in 1.34) the same test runs on the pod-level lists alone.

import type { Container, PodSpec, ResourceRequirements } from 'kubernetes-types/core/v1';
import { addQuantities, compareQuantities, tryParseQuantity } from './quantity.ts';
import type { Quantity } from './quantity.ts';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** A resource list as manifests carry it: kubernetes-types says string, YAML may give numbers. */
export type ResourceList = NonNullable<ResourceRequirements['limits']>;

/** PodSpec plus pod-level resources (KEP-2837), which kubernetes-types 1.30 does not declare yet. */
export type PodSpecWithResources = PodSpec & { resources?: ResourceRequirements };

/** qos.go supportedQoSComputeResources. */
const QOS_RESOURCES = ['cpu', 'memory'] as const;

/**
 * The requests a container effectively has (defaults.go SetDefaults_Pod): each resource with a limit but no request
 * gets a request equal to the limit; explicit requests are kept, including ones without a limit. Returns a new object.
 */
export function effectiveRequests(container: Pick<Container, 'resources'>): ResourceList {
  return defaultRequestsToLimits(container.resources);
}

function defaultRequestsToLimits(resources: ResourceRequirements | undefined): ResourceList {
  const result: ResourceList = { ...(resources?.requests ?? {}) };
  for (const [name, limit] of Object.entries(resources?.limits ?? {})) {
    if (!(name in result)) result[name] = limit;
  }
  return result;
}

/**
 * Positive cpu/memory quantities of a list. A quantity that does not parse is ignored here: validation reports it,
 * and the pod never reaches the kubelet upstream.
 */
function positiveQosQuantities(list: ResourceList | undefined): Map<string, Quantity> {
  const found = new Map<string, Quantity>();
  for (const name of QOS_RESOURCES) {
    const raw = list?.[name] as string | number | undefined;
    const q = tryParseQuantity(raw);
    if (q !== undefined && q.nanos > 0n) found.set(name, q);
  }
  return found;
}

function addInto(total: Map<string, Quantity>, more: Map<string, Quantity>): void {
  for (const [name, q] of more) {
    const prev = total.get(name);
    total.set(name, prev === undefined ? q : addQuantities(prev, q));
  }
}

/** resourcehelper.IsPodLevelResourcesSet: pod-level requests or limits name a supported (cpu/memory) resource. */
function podLevelResourcesSet(spec: PodSpecWithResources): boolean {
  const r = spec.resources;
  return QOS_RESOURCES.some((name) => r?.requests?.[name] !== undefined || r?.limits?.[name] !== undefined);
}

/** The QoS class the API server would record in `status.qosClass`. */
export function computeQosClass(spec: PodSpecWithResources): QosClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let isGuaranteed = true;

  if (podLevelResourcesSet(spec)) {
    // ComputePodQOS: pod-level resources decide alone; their requests default to limits like a container's.
    addInto(requests, positiveQosQuantities(defaultRequestsToLimits(spec.resources)));
    const podLimits = positiveQosQuantities(spec.resources?.limits);
    addInto(limits, podLimits);
    if (!QOS_RESOURCES.every((name) => podLimits.has(name))) isGuaranteed = false;
  } else {
    for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      addInto(requests, positiveQosQuantities(effectiveRequests(container)));
      const containerLimits = positiveQosQuantities(container.resources?.limits);
      addInto(limits, containerLimits);
      if (!QOS_RESOURCES.every((name) => containerLimits.has(name))) isGuaranteed = false;
    }
  }

  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (limit === undefined || compareQuantities(limit, request) !== 0) {
        isGuaranteed = false;
        break;
      }
    }
  }
  return isGuaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
