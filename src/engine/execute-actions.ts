// Carries out what reconcile decided, through the ports. Every action is idempotent by its port's contract, so
// carrying one out twice (a retried Lambda, a resumed worker) is harmless. A failing action is reported and the
// rest still run: one stuck container must not stop a pod's termination.
//
// Events are written beside the other actions, in their order, each retried until it lands (record-event.ts): a
// slow event write never delays a container start, and the step still returns only once every event is stored.
import { processArgv } from '../core/image-entrypoint.ts';
import type { Container } from 'kubernetes-types/core/v1';
import type { Action } from '../core/actions.ts';
import { configReferences, resolveContainerEnvironment, type EnvLookups } from '../core/env.ts';
import { formatPod } from '../core/backoff.ts';
import { findEntry } from '../core/pod-spec.ts';
import type { PodState } from '../core/pod-state.ts';
import { containerMounts, resolvePodVolumes, volumeConfigReferences } from '../core/volumes.ts';
import { toMilli, toValue, tryParseQuantity } from '../core/quantity.ts';
import type { ContainerInstanceRef, ContainerLaunch } from '../ports/container-runtime.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { EventRecord } from '../ports/pod-store.ts';
import { deliverEvent } from './deliver-event.ts';
import type { EngineDeps } from './engine-deps.ts';
import { finalizeNamespace } from './namespace-controller.ts';
import { recordEventWithRetry } from './record-event.ts';

/**
 * `occurrence` names this batch of actions, stably across a re-run of the same batch (the committed
 * resourceVersion): each event's occurrence id derives from it, so a re-run records no event twice.
 */
export async function executeActions(
  deps: EngineDeps,
  key: PodKey,
  state: PodState,
  actions: readonly Action[],
  occurrence: string,
): Promise<void> {
  const report = (action: Action) => (err: unknown) =>
    deps.onError?.(err, `${key.namespace}/${key.name}: ${action.type}`);
  let events: Promise<void> = Promise.resolve();
  for (const [index, action] of actions.entries()) {
    if (action.type === 'recordEvent') {
      const record = eventRecord(deps, key, state, action, `${occurrence}/${index}`);
      events = events.then(() =>
        recordEventWithRetry(deps.store, record, deps.settings.eventRetry).then(
          () => undefined,
          report(action),
        ),
      );
      continue;
    }
    try {
      await executeAction(deps, key, state, action);
    } catch (err) {
      report(action)(err);
    }
  }
  await events;
}

function eventRecord(
  deps: EngineDeps,
  key: PodKey,
  state: PodState,
  action: Extract<Action, { type: 'recordEvent' }>,
  occurrence: string,
): EventRecord {
  return {
    namespace: key.namespace,
    involvedObject: {
      kind: 'Pod',
      namespace: key.namespace,
      name: key.name,
      uid: state.pod.metadata.uid,
      ...(action.fieldPath ? { fieldPath: action.fieldPath } : {}),
    },
    type: action.eventType,
    reason: action.reason,
    message: action.message,
    source: action.component
      ? { component: action.component }
      : { component: 'kubelet', host: deps.settings.nodeName },
    at: deps.clock.now(),
    occurrence,
  };
}

function instanceRef(
  key: PodKey,
  state: PodState,
  container: string,
  instance: number,
): ContainerInstanceRef {
  return { key, podUid: state.pod.metadata.uid, container, instance };
}

async function executeAction(
  deps: EngineDeps,
  key: PodKey,
  state: PodState,
  action: Exclude<Action, { type: 'recordEvent' }>,
): Promise<void> {
  const { pod } = state;
  const uid = pod.metadata.uid;
  switch (action.type) {
    case 'startContainer': {
      const launch = await buildLaunch(deps, key, state, action.container, action.instance);
      if ('error' in launch) {
        await deliverEvent(deps, key, {
          id: `${uid}/${action.container}/${action.instance}/startFailed/${deps.clock.now()}`,
          at: deps.clock.now(),
          type: 'containerStartFailed',
          container: action.container,
          instance: action.instance,
          reason: 'CreateContainerConfigError',
          message: launch.error,
        });
        return;
      }
      return deps.runtime.start(launch);
    }
    case 'stopContainer':
      return deps.runtime.stop(
        instanceRef(key, state, action.container, action.instance),
        action.graceSeconds,
      );
    case 'runHook': {
      const container = findEntry(pod.spec, action.container)?.container;
      const handler = container?.lifecycle?.[action.hook];
      if (!container || !handler) return;
      return deps.hooks.run({
        ref: instanceRef(key, state, action.container, action.instance),
        hook: action.hook,
        handler,
        container,
        ...(action.timeoutSeconds !== undefined ? { timeoutSeconds: action.timeoutSeconds } : {}),
        podDescription: `Container "${action.container}" in Pod "${formatPod(pod)}"`,
        podIP: state.engine.podIP ?? deps.settings.hostIP,
      });
    }
    case 'startProbes':
      return deps.prober.start(instanceRef(key, state, action.container, action.instance), action.probes);
    case 'stopProbes':
      return deps.prober.stop(instanceRef(key, state, action.container, action.instance), action.probes);
    case 'scheduleTimer':
      return deps.scheduler.scheduleAt(key, action.timerId, action.at);
    case 'cancelTimer':
      return deps.scheduler.cancel(key, action.timerId);
    case 'removeSandbox':
      return deps.runtime.removeSandbox({ key, uid });
    case 'deletePod':
      await deps.store.remove(key);
      // The namespace controller's next pass: a Terminating namespace goes with its last pod.
      if (deps.objects) await finalizeNamespace({ ...deps, objects: deps.objects }, key.namespace);
      return;
  }
}

/** Resolves env and argv as the kubelet does before CreateContainer (kubelet_pods.go makeEnvironmentVariables). */
async function buildLaunch(
  deps: EngineDeps,
  key: PodKey,
  state: PodState,
  name: string,
  instance: number,
): Promise<ContainerLaunch | { error: string }> {
  const { pod } = state;
  const container = findEntry(pod.spec, name)?.container as Container;
  const podIP = state.engine.podIP ?? deps.settings.hostIP;
  const lookups = await lookupsFor(deps, key.namespace, container, pod);
  const resolved = resolveContainerEnvironment({
    pod,
    container,
    lookups,
    nodeName: pod.spec.nodeName ?? deps.settings.nodeName,
    podIPs: [podIP],
    hostIPs: [deps.settings.hostIP],
  });
  if (!resolved.ok) return { error: resolved.message };
  // kubelet: every volume of the pod is set up before any of its containers starts (volume_manager.go
  // WaitForAttachAndMount); a volume that cannot be is the start's failure here (docs/decisions/0010-volumes.md).
  const volumes = podVolumesFor(deps, pod, lookups, podIP);
  if (!volumes.ok) return { error: volumes.message };
  const mounts = containerMounts(pod, container, resolved.env);
  if (!mounts.ok) return { error: mounts.message };
  // Without `command` a container runs its image's entrypoint, which a process runtime does not have
  // (core/image-entrypoint.ts): argv is `args` for an image without one, else empty and the runtime reports
  // CreateContainerConfigError saying what to add.
  const argv = processArgv(container.image, container.command ? resolved.command : undefined, resolved.args);
  const memory = tryParseQuantity(container.resources?.limits?.memory);
  const cpu = tryParseQuantity(container.resources?.limits?.cpu);
  return {
    ...instanceRef(key, state, name, instance),
    ...(container.image ? { image: container.image } : {}),
    argv,
    env: resolved.env,
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    ...(memory ? { memoryLimitBytes: Number(toValue(memory)) } : {}),
    ...(cpu ? { cpuLimitMillis: Number(toMilli(cpu)) } : {}),
    ...(volumes.volumes.length > 0 && { volumes: volumes.volumes }),
    ...(mounts.mounts.length > 0 && { mounts: mounts.mounts }),
    ...(container.stdin === true && { stdin: true }),
  };
}

function podVolumesFor(
  deps: EngineDeps,
  pod: PodState['pod'],
  lookups: EnvLookups,
  podIP: string,
): ReturnType<typeof resolvePodVolumes> {
  return resolvePodVolumes({
    pod,
    lookups,
    nodeName: pod.spec.nodeName ?? deps.settings.nodeName,
    podIPs: [podIP],
    hostIPs: [deps.settings.hostIP],
  });
}

/**
 * A ConfigMap or Secret changed: the pod's volumes are resolved again and handed to the runtime, which rewrites the
 * files that changed (kubelet: the periodic remount of a running pod's volumes, pkg/volume/util/atomic_writer.go).
 * A volume that does not resolve now (the object was deleted) keeps its files, as the kubelet's does.
 */
export async function refreshPodVolumes(deps: EngineDeps, key: PodKey, state: PodState): Promise<void> {
  if (!deps.runtime.updateVolumes || !state.pod.spec.volumes?.length) return;
  const lookups = await lookupsFor(deps, key.namespace, { name: '' }, state.pod);
  const volumes = podVolumesFor(deps, state.pod, lookups, state.engine.podIP ?? deps.settings.hostIP);
  if (!volumes.ok) return;
  await deps.runtime.updateVolumes({ key, uid: state.pod.metadata.uid }, volumes.volumes);
}

/** The ConfigMaps and Secrets the container and the pod's volumes refer to, read through the port; missing ones are
 * left out. */
async function lookupsFor(
  deps: EngineDeps,
  namespace: string,
  container: Container,
  pod: PodState['pod'],
): Promise<EnvLookups> {
  const env = configReferences(container);
  const vols = volumeConfigReferences(pod);
  const refs = {
    configMaps: [...new Set([...env.configMaps, ...vols.configMaps])],
    secrets: [...new Set([...env.secrets, ...vols.secrets])],
  };
  const read = async (
    names: string[],
    get: (namespace: string, name: string) => Promise<Readonly<Record<string, string>> | undefined>,
  ): Promise<Record<string, Readonly<Record<string, string>>>> => {
    const found: Record<string, Readonly<Record<string, string>>> = {};
    for (const name of names) {
      const data = await get(namespace, name);
      if (data) found[name] = data;
    }
    return found;
  };
  return {
    configMaps: await read(refs.configMaps, (ns, n) => deps.configs.configMap(ns, n)),
    secrets: await read(refs.secrets, (ns, n) => deps.configs.secret(ns, n)),
  };
}
