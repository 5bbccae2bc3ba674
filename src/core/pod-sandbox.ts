// What the kubelet tells the runtime about a pod's sandbox before any container runs (CRI PodSandboxConfig, built by
// pkg/kubelet/kuberuntime/kuberuntime_sandbox.go generatePodSandboxConfig): the hostname, whether the pod uses the
// host's network, and the host ports to map to it. The process runtime turns it into a pause process holding the
// pod's namespaces (docs/architecture.md §6, docs/semantics.md §12).
import type { Pod } from 'kubernetes-types/core/v1';

/** CRI PortMapping: traffic to hostIP:hostPort (every local address when hostIP is unset) goes to the pod's
 * containerPort. */
export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIP?: string;
  /** Where the mapping comes from, for a runtime's refusal: `spec.containers[0].ports[1].hostPort`. */
  fieldPath: string;
}

export interface PodSandboxConfig {
  /** The pod's hostname (absent for hostNetwork pods: they see the host's, as upstream sets none). */
  hostname?: string;
  /** spec.hostNetwork: the pod shares the host's network and UTS namespaces; its IP is the host's. */
  hostNetwork: boolean;
  portMappings: PortMapping[];
}

/** kubelet_pods.go truncatePodHostnameIfNeeded: a hostname is at most 63 characters. */
export const HOSTNAME_MAX_LENGTH = 63;

/**
 * kubelet_pods.go GeneratePodHostNameAndDomain: spec.hostname if set, else the pod's name; cut to 63 characters
 * without a trailing '-' or '.' (truncatePodHostnameIfNeeded).
 */
export function podHostname(pod: Pod): string {
  const hostname = pod.spec?.hostname || pod.metadata?.name || '';
  if (hostname.length <= HOSTNAME_MAX_LENGTH) return hostname;
  return hostname.slice(0, HOSTNAME_MAX_LENGTH).replace(/[-.]+$/, '');
}

/**
 * generatePodSandboxConfig: the hostname unless the pod uses the host's network, and a port mapping for every port
 * of a regular container (not init containers: upstream iterates pod.Spec.Containers) that asks for a hostPort.
 */
export function podSandboxConfig(pod: Pod): PodSandboxConfig {
  const hostNetwork = pod.spec?.hostNetwork === true;
  const portMappings: PortMapping[] = [];
  (pod.spec?.containers ?? []).forEach((container, ci) => {
    (container.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      portMappings.push({
        protocol: (port.protocol ?? 'TCP') as PortMapping['protocol'],
        containerPort: port.containerPort,
        hostPort: port.hostPort,
        ...(port.hostIP ? { hostIP: port.hostIP } : {}),
        fieldPath: `spec.containers[${ci}].ports[${pi}].hostPort`,
      });
    });
  });
  return { ...(hostNetwork ? {} : { hostname: podHostname(pod) }), hostNetwork, portMappings };
}
