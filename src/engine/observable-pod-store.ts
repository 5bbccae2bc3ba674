// A PodStore decorator that tells listeners about every committed change, in commit order: what `podflow run`
// prints as a timeline and what a watch streams. In one process (local mode) every write goes through it; in the
// cloud writes come from several Lambdas, so the API polls the table instead (api/watch-hub.ts PollingChangeSource).
import type { PodKey } from '../ports/pod-key.ts';
import type { PodEvent } from '../core/pod-events.ts';
import type { EventRecord, ListPage, PodList, PodStore, StoredEvent, StoredPod } from '../ports/pod-store.ts';
import type { PodState } from '../core/pod-state.ts';

export type StoreChange =
  | { type: 'created' | 'updated'; pod: StoredPod }
  | { type: 'removed'; key: PodKey; resourceVersion: string }
  | { type: 'event'; event: StoredEvent };

export class ObservablePodStore implements PodStore {
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private readonly inner: PodStore;

  constructor(inner: PodStore) {
    this.inner = inner;
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: StoreChange): void {
    for (const l of this.listeners) l(change);
  }

  async create(state: PodState): Promise<StoredPod> {
    const pod = await this.inner.create(state);
    this.emit({ type: 'created', pod });
    return pod;
  }

  get(key: PodKey): Promise<StoredPod | undefined> {
    return this.inner.get(key);
  }

  list(namespace?: string, page?: ListPage): Promise<PodList> {
    return this.inner.list(namespace, page);
  }

  listSweepDue(dueBy: number): Promise<PodKey[]> {
    return this.inner.listSweepDue(dueBy);
  }

  async update(
    key: PodKey,
    expectedResourceVersion: string,
    state: PodState,
    consumedEventIds?: readonly string[],
  ): Promise<StoredPod> {
    const pod = await this.inner.update(key, expectedResourceVersion, state, consumedEventIds);
    this.emit({ type: 'updated', pod });
    return pod;
  }

  async remove(
    key: PodKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    const removed = await this.inner.remove(key, expectedResourceVersion);
    if (removed) this.emit({ type: 'removed', key, resourceVersion: removed.resourceVersion });
    return removed;
  }

  deliver(key: PodKey, event: PodEvent): Promise<{ waitToken?: string }> {
    return this.inner.deliver(key, event);
  }

  registerWait(key: PodKey, token: string): Promise<{ registered: boolean; pending: number }> {
    return this.inner.registerWait(key, token);
  }

  restoreWait(key: PodKey, token: string): Promise<void> {
    return this.inner.restoreWait(key, token);
  }

  async recordEvent(record: EventRecord): Promise<StoredEvent> {
    const event = await this.inner.recordEvent(record);
    this.emit({ type: 'event', event });
    return event;
  }

  listEvents(namespace: string, involvedName?: string): Promise<StoredEvent[]> {
    return this.inner.listEvents(namespace, involvedName);
  }
}
