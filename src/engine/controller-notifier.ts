// Store decorators for the functions that write pods, Jobs and CronJobs but do not run the workload controllers (the
// cloud's api and lifecycle functions): after a committed change a controller must see, they tell it — the cloud's
// stand-in for the informers that feed kube-controller-manager. The controllers function itself runs the local feed
// (workload-controllers.ts) and is never told about its own writes.
//
// What a controller must see: a Job or CronJob written or removed (the Job's controlling CronJob too, as
// cronjob_controllerv2.go updateJob enqueues it); a pod a Job owns created, removed, or changed in what the Job
// controller counts — phase, deletion, readiness, owners (job_controller.go updatePod). Worker steps write a pod
// many times without such a change; those writes tell nobody. The decorator compares a write with the version of
// the pod this process read before it (a step reads the pod, then writes it conditionally on that version); when it
// has not read that version it tells, which costs one more sync and loses nothing.
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodEvent } from '../core/pod-events.ts';
import type { PodState } from '../core/pod-state.ts';
import type { ApiObject, ObjectKey, ObjectKind, ObjectStore, StoredObject } from '../ports/object-store.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { EventRecord, ListPage, PodList, PodStore, StoredEvent, StoredPod } from '../ports/pod-store.ts';
import { cronJobOwnerOf } from './cronjob-controller.ts';
import { jobOwnerOf } from './job-controller.ts';

export type ControllerKind = 'Job' | 'CronJob';

/** Makes the controller of `kind` sync the object (the cloud: an asynchronous invoke of the controllers function). */
export type NotifyController = (kind: ControllerKind, namespace: string, name: string) => Promise<void>;

export class ControllerNotifyingObjectStore implements ObjectStore {
  readonly #inner: ObjectStore;
  readonly #notify: NotifyController;

  constructor(inner: ObjectStore, notify: NotifyController) {
    this.#inner = inner;
    this.#notify = notify;
  }

  async #changed(key: ObjectKey, object: ApiObject | undefined): Promise<void> {
    if (key.kind === 'CronJob') await this.#notify('CronJob', key.namespace, key.name);
    if (key.kind !== 'Job') return;
    await this.#notify('Job', key.namespace, key.name);
    const owner = object && cronJobOwnerOf(object);
    if (owner) await this.#notify('CronJob', key.namespace, owner);
  }

  async create(object: ApiObject): Promise<StoredObject> {
    const created = await this.#inner.create(object);
    await this.#changed(created.key, created.object);
    return created;
  }

  get(key: ObjectKey): Promise<StoredObject | undefined> {
    return this.#inner.get(key);
  }

  list(kind: ObjectKind, namespace?: string): Promise<{ items: StoredObject[]; resourceVersion: string }> {
    return this.#inner.list(kind, namespace);
  }

  async update(key: ObjectKey, expectedResourceVersion: string, object: ApiObject): Promise<StoredObject> {
    const updated = await this.#inner.update(key, expectedResourceVersion, object);
    await this.#changed(updated.key, updated.object);
    return updated;
  }

  async remove(
    key: ObjectKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    // A removed Job's CronJob is told too: read before, while the Job still names it.
    const before = key.kind === 'Job' ? await this.#inner.get(key) : undefined;
    const removed = await this.#inner.remove(key, expectedResourceVersion);
    if (removed) await this.#changed(key, before?.object);
    return removed;
  }
}

/** What of a pod the Job controller counts. */
const countedOf = (pod: Pod): string =>
  JSON.stringify([
    pod.status?.phase,
    pod.metadata?.deletionTimestamp,
    pod.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    pod.metadata?.ownerReferences,
  ]);

/** Pods remembered per process: a bound on memory in a long-lived container; a forgotten pod's write tells. */
const MAX_REMEMBERED = 10_000;

const keyText = (key: PodKey): string => `${key.namespace}/${key.name}`;

export class ControllerNotifyingPodStore implements PodStore {
  readonly #inner: PodStore;
  readonly #notify: NotifyController;
  /** The last version of each pod this process read or wrote: what it counted, and its Job. */
  readonly #seen = new Map<string, { resourceVersion: string; counted: string; job?: string }>();

  constructor(inner: PodStore, notify: NotifyController) {
    this.#inner = inner;
    this.#notify = notify;
  }

  /** Remembers the version; its Job's name, if a Job owns it. */
  #remember(stored: StoredPod): string | undefined {
    const pod = stored.state.pod as Pod;
    const job = jobOwnerOf(pod)?.name;
    const k = keyText(stored.key);
    this.#seen.delete(k);
    if (this.#seen.size >= MAX_REMEMBERED) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(k, {
      resourceVersion: stored.resourceVersion,
      counted: countedOf(pod),
      ...(job && { job }),
    });
    return job;
  }

  async create(state: PodState): Promise<StoredPod> {
    const created = await this.#inner.create(state);
    const job = this.#remember(created);
    if (job) await this.#notify('Job', created.key.namespace, job);
    return created;
  }

  async get(key: PodKey): Promise<StoredPod | undefined> {
    const stored = await this.#inner.get(key);
    if (stored) this.#remember(stored);
    return stored;
  }

  list(namespace?: string, page?: ListPage): Promise<PodList> {
    return this.#inner.list(namespace, page);
  }

  listSweepDue(dueBy: number): Promise<PodKey[]> {
    return this.#inner.listSweepDue(dueBy);
  }

  async update(
    key: PodKey,
    expectedResourceVersion: string,
    state: PodState,
    consumedEventIds?: readonly string[],
  ): Promise<StoredPod> {
    const before = this.#seen.get(keyText(key));
    const updated = await this.#inner.update(key, expectedResourceVersion, state, consumedEventIds);
    const job = this.#remember(updated);
    const unchanged =
      before?.resourceVersion === expectedResourceVersion &&
      before.counted === this.#seen.get(keyText(key))?.counted;
    const owner = job ?? before?.job;
    if (owner && !unchanged) await this.#notify('Job', key.namespace, owner);
    return updated;
  }

  async remove(
    key: PodKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    const k = keyText(key);
    const job =
      this.#seen.get(k)?.job ?? jobOwnerOf(((await this.#inner.get(key))?.state.pod ?? {}) as Pod)?.name;
    const removed = await this.#inner.remove(key, expectedResourceVersion);
    this.#seen.delete(k);
    if (removed && job) await this.#notify('Job', key.namespace, job);
    return removed;
  }

  deliver(key: PodKey, event: PodEvent): Promise<{ waitToken?: string }> {
    return this.#inner.deliver(key, event);
  }

  registerWait(key: PodKey, token: string): Promise<{ registered: boolean; pending: number }> {
    return this.#inner.registerWait(key, token);
  }

  restoreWait(key: PodKey, token: string): Promise<void> {
    return this.#inner.restoreWait(key, token);
  }

  recordEvent(record: EventRecord): Promise<StoredEvent> {
    return this.#inner.recordEvent(record);
  }

  listEvents(namespace: string, involvedName?: string): Promise<StoredEvent[]> {
    return this.#inner.listEvents(namespace, involvedName);
  }
}
