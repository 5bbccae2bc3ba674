// The engine: the use cases every environment shares, bound to one set of ports (docs/decisions/0001-layers.md).
// Local mode and the Lambda wiring each build the ports and call createEngine; nothing here knows which environment
// it runs in.
import { createHash } from 'node:crypto';
import type { Namespace, Pod, PodCondition } from 'kubernetes-types/core/v1';
import { podWaitsOnConfig } from '../core/config-waits.ts';
import { podMountsConfig } from '../core/volumes.ts';
import { admitNamespace } from '../core/manifest/api-objects.ts';
import { markTerminating } from '../core/namespace-deletion.ts';
import type { PodEvent } from '../core/pod-events.ts';
import { applyPodUpdate } from '../core/manifest/validate-pod-update.ts';
import { applyEphemeralContainersUpdate } from '../core/manifest/ephemeral-containers-update.ts';
import { isForceDelete } from '../core/grace.ts';
import { podSandboxConfig } from '../core/pod-sandbox.ts';
import { newPodState } from '../core/reconcile.ts';
import { toRfc3339 } from '../core/time.ts';
import { ConflictError, isAlreadyExists, isConflict, NotFoundError } from '../ports/errors.ts';
import type { ApiObject, ObjectKey, ObjectStore, StoredObject } from '../ports/object-store.ts';
import type { ContainerObservation, VolumeUsage } from '../ports/container-runtime.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { StoredPod } from '../ports/pod-store.ts';
import type { TimerDue } from '../ports/wakeup-scheduler.ts';
import { deliverEvent } from './deliver-event.ts';
import { refreshPodVolumes } from './execute-actions.ts';
import { InvalidError } from '../ports/errors.ts';
import type { EngineDeps } from './engine-deps.ts';
import { finalizeNamespace, namespaceKey, type FinalizeOutcome } from './namespace-controller.ts';
import { eventFromObservation, timerDueEvent } from './observation-events.ts';
import { runWorkerStep, type StepInput } from './pod-worker.ts';
import { firstWorker, needsWorker, restartFailedWorker, startMissingWorkers } from './worker-recovery.ts';
import type { WorkerInput } from '../ports/workflow-client.ts';

export type Engine = ReturnType<typeof createEngine>;

export function createEngine(deps: EngineDeps) {
  const workerName = (uid: string, seq: number) => `${uid}-${seq}`;
  let resumeSeq = 0;
  let patchSeq = 0;

  /** Starts a worker that resumes the pod where its state says it is. */
  const resume = async (stored: StoredPod, seq: number): Promise<void> => {
    const uid = stored.state.pod.metadata.uid;
    await deps.workflow.startExecution(workerName(uid, seq), {
      pod: { ...stored.key, uid },
      seq,
      resume: true,
    });
  };

  const deliver = async (key: PodKey, event: PodEvent): Promise<void> => {
    await deliverEvent(deps, key, event);
    // A finished pod has no worker waiting: give the event one (e.g. a delete of a Succeeded pod).
    const stored = await deps.store.get(key);
    if (stored && stored.state.engine.stage === 'Finished' && stored.inbox.length > 0) {
      await resume(stored, deps.clock.now());
    }
  };

  const objects = (): ObjectStore => {
    if (!deps.objects)
      throw new Error('this engine has no object store: ConfigMaps, Secrets and Namespaces are not served');
    return deps.objects;
  };

  /**
   * A ConfigMap or Secret was created or changed: every pod of its namespace with a container waiting for it
   * (CreateContainerConfigError) gets a configChanged event, so the container starts now rather than at its retry
   * (docs/semantics.md §9). The event id carries the object's resourceVersion: a redelivery is dropped. A failed
   * delivery is reported, not thrown — the object is stored, and the retry timer still covers that pod.
   */
  const wakeConfigWaiters = async (stored: StoredObject): Promise<void> => {
    const { kind, namespace, name } = stored.key;
    if (kind !== 'ConfigMap' && kind !== 'Secret') return;
    const { items } = await deps.store.list(namespace);
    for (const pod of items) {
      if (podMountsConfig(pod.state.pod, kind, name) && pod.state.engine.stage !== 'Finished') {
        await refreshPodVolumes(deps, pod.key, pod.state).catch((err: unknown) =>
          deps.onError?.(
            err,
            `${pod.key.namespace}/${pod.key.name}: update volumes from ${kind.toLowerCase()} ${name}`,
          ),
        );
      }
      if (!podWaitsOnConfig(pod.state, kind, name)) continue;
      try {
        await deliverEvent(deps, pod.key, {
          id: `config/${kind}/${name}/${stored.resourceVersion}`,
          at: deps.clock.now(),
          type: 'configChanged',
          kind,
          name,
        });
      } catch (err) {
        deps.onError?.(err, `${pod.key.namespace}/${pod.key.name}: wake for ${kind.toLowerCase()} ${name}`);
      }
    }
  };

  /** The engine's graceful pod deletion, for the namespace controller. */
  const requestPodDeletion = async (key: PodKey): Promise<void> => {
    const now = deps.clock.now();
    await deliver(key, { id: `delete/${now}/-`, at: now, type: 'deleteRequested' });
  };

  const removeFromApi = async (key: PodKey): Promise<void> => {
    for (;;) {
      const stored = await deps.store.get(key);
      if (!stored || stored.state.engine.removedFromApi) return;
      const state = { ...stored.state, engine: { ...stored.state.engine, removedFromApi: true } };
      try {
        await deps.store.update(key, stored.resourceVersion, state);
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  };

  return {
    deps,

    /** A Task state of the worker state machine. */
    step: (input: StepInput) => runWorkerStep(deps, input),

    /**
     * Stores a new (defaulted, validated) pod and starts its worker. AlreadyExistsError if the name is taken;
     * InvalidError when the runtime cannot give the pod what its sandbox needs (a host port it cannot map, or one
     * another pod holds: what the scheduler's NodePorts filter would keep off the node). The pod exists once stored,
     * as an object the API server accepted: a worker that could not be started is reported, not thrown (a client's
     * retry would only get AlreadyExists), and `startMissingWorkers` starts it.
     */
    async createPod(pod: Pod, options: { mirrorUid?: string } = {}): Promise<StoredPod> {
      const refusals = await deps.runtime.admitSandbox(
        {
          key: { namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '' },
          uid: pod.metadata?.uid ?? '',
        },
        podSandboxConfig(pod),
      );
      if (refusals.length > 0) throw new InvalidError('Pod', pod.metadata?.name ?? '', refusals);
      const created = newPodState(pod);
      // A static pod (core/static-pods.ts) is served as its mirror, whose uid the API assigns.
      const state =
        options.mirrorUid === undefined
          ? created
          : {
              ...created,
              engine: {
                ...created.engine,
                mirror: {
                  uid: options.mirrorUid,
                  creationTimestamp: created.pod.metadata.creationTimestamp ?? toRfc3339(deps.clock.now()),
                },
              },
            };
      const stored = await deps.store.create(state);
      try {
        await deps.workflow.startExecution(...firstWorker(stored));
      } catch (err) {
        deps.onError?.(err, `starting the worker of pod ${stored.key.namespace}/${stored.key.name}`);
      }
      return stored;
    },

    /** Starts the first worker of every pod whose worker could not be started at create (worker-recovery.ts). */
    startMissingWorkers: (olderThanMs: number) => startMissingWorkers(deps, olderThanMs),

    /**
     * Updates a pod as the API server's PUT does (docs/semantics.md §10): labels and annotations, container images,
     * activeDeadlineSeconds (lower only) and tolerations (additions) may change; anything else is InvalidError.
     * `next` must be defaulted. With `expectedResourceVersion`, a stale write is a ConflictError (a precondition);
     * without it, a conflicting concurrent write is retried. Changed images restart their containers.
     */
    async updatePod(key: PodKey, next: Pod, expectedResourceVersion?: string): Promise<StoredPod> {
      for (;;) {
        const stored = await deps.store.get(key);
        if (!stored) throw new NotFoundError(`pods "${key.name}" not found`);
        if (expectedResourceVersion !== undefined && expectedResourceVersion !== stored.resourceVersion) {
          throw new ConflictError(
            `Operation cannot be fulfilled on pods "${key.name}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        }
        const update = applyPodUpdate(stored.state.pod, next);
        if (!update.ok) throw new InvalidError('Pod', key.name, update.errors);
        let saved: StoredPod;
        try {
          saved = await deps.store.update(key, stored.resourceVersion, { ...stored.state, pod: update.pod });
        } catch (err) {
          if (isConflict(err) && expectedResourceVersion === undefined) continue;
          throw err;
        }
        if (update.changedContainers.length > 0 || update.deadlineChanged) {
          await deliver(key, {
            id: `spec/${saved.resourceVersion}`,
            at: deps.clock.now(),
            type: 'specUpdated',
            containers: update.changedContainers,
          });
        }
        return saved;
      }
    },

    /**
     * The pods/ephemeralcontainers subresource's update (`kubectl debug`): the pod takes `next`'s
     * spec.ephemeralContainers, which may only add to the stored ones (applyEphemeralContainersUpdate); anything else
     * of `next` is ignored. `next` must be defaulted. Preconditions and retries as {@link updatePod}. The added
     * containers are started by the pod's worker, woken by an `ephemeralContainersAdded` event.
     */
    async updateEphemeralContainers(
      key: PodKey,
      next: Pod,
      expectedResourceVersion?: string,
    ): Promise<StoredPod> {
      for (;;) {
        const stored = await deps.store.get(key);
        if (!stored) throw new NotFoundError(`pods "${key.name}" not found`);
        if (expectedResourceVersion !== undefined && expectedResourceVersion !== stored.resourceVersion) {
          throw new ConflictError(
            `Operation cannot be fulfilled on pods "${key.name}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        }
        const update = applyEphemeralContainersUpdate(stored.state.pod, next);
        if (!update.ok) throw new InvalidError('Pod', key.name, update.errors);
        if (update.added.length === 0) return stored;
        let saved: StoredPod;
        try {
          saved = await deps.store.update(key, stored.resourceVersion, { ...stored.state, pod: update.pod });
        } catch (err) {
          if (isConflict(err) && expectedResourceVersion === undefined) continue;
          throw err;
        }
        await deliver(key, {
          id: `ephemeral/${saved.resourceVersion}`,
          at: deps.clock.now(),
          type: 'ephemeralContainersAdded',
          containers: update.added,
        });
        return saved;
      }
    },

    /**
     * Graceful deletion (docs/semantics.md §6): the worker terminates the pod, then removes the object. A force
     * delete (grace 0) first takes the object out of the API, in one conditional write, so that it is gone when
     * this returns; the worker still kills the containers (preStop included) and then drops it.
     */
    async deletePod(key: PodKey, gracePeriodSeconds?: number): Promise<void> {
      if (isForceDelete(gracePeriodSeconds)) await removeFromApi(key);
      const now = deps.clock.now();
      await deliver(key, {
        id: `delete/${now}/${gracePeriodSeconds ?? '-'}`,
        at: now,
        type: 'deleteRequested',
        ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
      });
    },

    /**
     * A static pod's mirror was deleted through the API: the kubelet deletes the mirror and creates it again with
     * a new uid while the static pod runs on (pkg/kubelet/kubelet.go syncPod, pkg/kubelet/pod/mirror_client.go
     * DeleteMirrorPod/CreateMirrorPod) — one conditional write of the mirror's identity; nothing reaches the worker.
     * `deletedUid` is the mirror the request deleted: when another request replaced that one meanwhile, its deletion
     * has happened and nothing more is written. NotFoundError if the pod is gone or is not a static pod.
     */
    async replaceMirrorPod(key: PodKey, deletedUid: string, uid: string): Promise<StoredPod> {
      for (;;) {
        const stored = await deps.store.get(key);
        if (!stored || stored.state.engine.mirror === undefined)
          throw new NotFoundError(`pods "${key.name}" not found`);
        if (stored.state.engine.mirror.uid !== deletedUid) return stored;
        const mirror = { uid, creationTimestamp: toRfc3339(deps.clock.now()) };
        try {
          return await deps.store.update(key, stored.resourceVersion, {
            ...stored.state,
            engine: { ...stored.state.engine, mirror },
          });
        } catch (err) {
          if (!isConflict(err)) throw err;
        }
      }
    },

    /** Status subresource: readiness gates and other conditions written by controllers. */
    async patchConditions(key: PodKey, conditions: PodCondition[]): Promise<void> {
      const now = deps.clock.now();
      // Every patch needs an id of its own: the inbox keeps the first of two equal ids and reconcile drops a repeated
      // one, so a second patch in the same millisecond would be lost. The inbox orders by (at, id): the padded
      // sequence keeps this engine's patches of one millisecond in order; the digest tells apart those of two
      // processes (API Lambdas) that reach the same sequence number.
      const seq = String(patchSeq++).padStart(12, '0');
      const digest = createHash('sha256').update(JSON.stringify(conditions)).digest('hex').slice(0, 12);
      await deliver(key, {
        id: `conditions/${now}/${seq}/${digest}`,
        at: now,
        type: 'conditionsPatched',
        conditions,
      });
    },

    /** A runtime observation (container started / exited / could not start) for the pod's inbox. */
    onObservation: async (o: ContainerObservation): Promise<void> => {
      const { key, event } = eventFromObservation(o);
      await deliverEvent(deps, key, event);
    },

    /** An emptyDir over its sizeLimit (the runtime's usage check): the pod decides its eviction. One event per volume
     * and pod: a repeated report is dropped by its id. */
    onVolumeUsage: async (u: VolumeUsage): Promise<void> => {
      const stored = await deps.store.get(u.sandbox.key);
      if (!stored || stored.state.pod.metadata.uid !== u.sandbox.uid) return;
      if (stored.state.engine.evicted || stored.state.engine.stage === 'Finished') return;
      await deliverEvent(deps, u.sandbox.key, {
        id: `${u.sandbox.uid}/emptyDir/${u.volume}/over-limit`,
        at: u.at,
        type: 'emptyDirUsage',
        volume: u.volume,
        usedBytes: u.usedBytes,
      });
    },

    /** A wake-up timer fired (back-off over, active deadline). */
    onTimerDue: async (t: TimerDue): Promise<void> => {
      await deliverEvent(deps, t.key, timerDueEvent(t, deps.clock.now()));
    },

    /** A worker execution failed: start the next one from the store (worker-recovery.ts). */
    restartFailedWorker: (failed: WorkerInput, status: string) => restartFailedWorker(deps, failed, status),

    /**
     * Removes the sandboxes of pods the store no longer has (a removal an engine crash interrupted, or a store that
     * was not kept: `--in-memory` on a data directory) — the kubelet's container GC evicts the sandboxes of deleted
     * pods (pkg/kubelet/kuberuntime/kuberuntime_gc.go evictSandboxes). Called at engine start, before any pod is
     * created. Returns how many it removed.
     */
    async removeOrphanSandboxes(): Promise<number> {
      const { items } = await deps.store.list();
      const live = new Set(items.map((p) => p.state.pod.metadata.uid));
      let removed = 0;
      for (const sandbox of await deps.runtime.listSandboxes()) {
        if (live.has(sandbox.uid)) continue;
        await deps.runtime.removeSandbox(sandbox);
        removed++;
      }
      return removed;
    },

    /**
     * At engine start: every pod that has not finished gets a worker that resumes it, and so does a finished one with
     * pending events or a deletion whose removal did not happen. Then every Terminating namespace gets a pass of the
     * namespace controller (a deletion the last process did not finish).
     */
    async resumeAll(): Promise<number> {
      const { items } = await deps.store.list();
      let resumed = 0;
      for (const stored of items) {
        if (!needsWorker(stored)) continue;
        await resume(stored, deps.clock.now() * 1000 + resumeSeq++);
        resumed++;
      }
      if (deps.objects) {
        for (const ns of (await deps.objects.list('Namespace')).items) {
          await finalizeNamespace({ ...deps, objects: deps.objects }, ns.key.name, requestPodDeletion).catch(
            (err: unknown) => deps.onError?.(err, `namespace ${ns.key.name}: finalize`),
          );
        }
      }
      return resumed;
    },

    // ── API objects: ConfigMaps, Secrets, Namespaces (docs/decisions/0007-api-objects.md) ──────────────────────

    /**
     * Stores a new object the API admitted (AlreadyExistsError if the name is taken). A ConfigMap or Secret wakes the
     * pods waiting for it.
     */
    async createObject(object: ApiObject): Promise<StoredObject> {
      const stored = await objects().create(object);
      await wakeConfigWaiters(stored);
      return stored;
    },

    /** Replaces an object at `expectedResourceVersion` (ConflictError when stale); wakes waiting pods as create does. */
    async updateObject(
      key: ObjectKey,
      expectedResourceVersion: string,
      object: ApiObject,
    ): Promise<StoredObject> {
      const stored = await objects().update(key, expectedResourceVersion, object);
      await wakeConfigWaiters(stored);
      return stored;
    },

    /** Removes a ConfigMap or Secret (a Namespace goes through deleteNamespace). */
    removeObject(
      key: ObjectKey,
      expectedResourceVersion?: string,
    ): Promise<{ resourceVersion: string } | undefined> {
      return objects().remove(key, expectedResourceVersion);
    },

    /**
     * Deletes a namespace as the API server and the namespace controller do: the Namespace is marked Terminating
     * (deletionTimestamp, status.phase) at once and returned; then its ConfigMaps and Secrets are deleted, its pods
     * deleted gracefully, and it is removed with its last pod (finalizeNamespace). NotFoundError if it does not exist.
     */
    async deleteNamespace(name: string): Promise<StoredObject> {
      for (;;) {
        const current = await objects().get(namespaceKey(name));
        if (!current) throw new NotFoundError(`namespaces "${name}" not found`);
        let marked = current;
        const ns = current.object as Namespace;
        if (ns.status?.phase !== 'Terminating' || !ns.metadata?.deletionTimestamp) {
          try {
            marked = await objects().update(
              namespaceKey(name),
              current.resourceVersion,
              markTerminating(ns, deps.clock.now()) as ApiObject,
            );
          } catch (err) {
            if (isConflict(err)) continue;
            throw err;
          }
        }
        await finalizeNamespace({ ...deps, objects: objects() }, name, requestPodDeletion);
        return marked;
      }
    },

    /** One pass of the namespace controller over `name` (namespace-controller.ts). */
    finalizeNamespace(name: string): Promise<FinalizeOutcome> {
      return finalizeNamespace({ ...deps, objects: objects() }, name, requestPodDeletion);
    },

    /**
     * Creates the Namespaces among `names` that do not exist, Active (the system namespaces at start, and those
     * pods of an older data directory live in). Idempotent; a concurrent creator wins harmlessly.
     */
    async ensureNamespaces(names: readonly string[], newUid: () => string): Promise<void> {
      for (const name of new Set(names)) {
        if (await objects().get(namespaceKey(name))) continue;
        const admitted = admitNamespace({ metadata: { name } }, { now: deps.clock.now(), newUid });
        if (!admitted.ok) continue; // not a valid namespace name: there is nothing to create
        try {
          await objects().create(admitted.object as ApiObject);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
      }
    },
  };
}
