// Which containers wait for a ConfigMap or Secret: those whose start failed with CreateContainerConfigError (a
// missing object or key, docs/semantics.md §9) and that wait for their retry, and that refer to the object by name
// (env valueFrom or envFrom, or a volume of the pod: the kubelet mounts every volume before it starts a container). The engine wakes such pods when the object is created or changed; reconcile retries
// exactly these containers (reconcile.ts onConfigChanged).
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { configReferences, CREATE_CONTAINER_CONFIG_ERROR } from './env.ts';
import { containerEntries } from './pod-spec.ts';
import type { ContainerRecord, PodState } from './pod-state.ts';
import { volumeConfigReferences } from './volumes.ts';

export type ConfigKind = 'ConfigMap' | 'Secret';

/** Whether this container's start waits for the ConfigMap or Secret `name` to (re)appear. */
export function containerWaitsOnConfig(
  container: Container,
  rec: ContainerRecord | undefined,
  kind: ConfigKind,
  name: string,
  pod?: Pick<Pod, 'spec'>,
): boolean {
  if (
    !rec?.restartTimer ||
    rec.state.type !== 'waiting' ||
    rec.state.reason !== CREATE_CONTAINER_CONFIG_ERROR
  )
    return false;
  const refs = configReferences(container);
  const volumes = pod ? volumeConfigReferences(pod) : { configMaps: [], secrets: [] };
  return kind === 'ConfigMap'
    ? refs.configMaps.includes(name) || volumes.configMaps.includes(name)
    : refs.secrets.includes(name) || volumes.secrets.includes(name);
}

/** Whether any container of the pod waits for the ConfigMap or Secret `name`. */
export function podWaitsOnConfig(state: PodState, kind: ConfigKind, name: string): boolean {
  return containerEntries(state.pod.spec).some((entry) =>
    containerWaitsOnConfig(
      entry.container as Container,
      state.engine.containers[entry.container.name],
      kind,
      name,
      state.pod,
    ),
  );
}
