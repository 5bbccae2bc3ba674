// An ObjectStore decorator that tells listeners about every committed change, in commit order — the objects' change
// feed, as ObservablePodStore is the pods': what watches of ConfigMaps, Secrets and Namespaces stream locally. In the
// cloud writes come from several Lambdas, so the API polls the table instead (api/watch-hub.ts).
import type { ApiObject, ObjectKey, ObjectKind, ObjectStore, StoredObject } from '../ports/object-store.ts';

export type ObjectChange =
  | { type: 'created' | 'updated'; object: StoredObject }
  | { type: 'removed'; key: ObjectKey; resourceVersion: string };

export class ObservableObjectStore implements ObjectStore {
  readonly #listeners = new Set<(change: ObjectChange) => void>();
  readonly #inner: ObjectStore;

  constructor(inner: ObjectStore) {
    this.#inner = inner;
  }

  subscribe(listener: (change: ObjectChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: ObjectChange): void {
    for (const l of this.#listeners) l(change);
  }

  async create(object: ApiObject): Promise<StoredObject> {
    const created = await this.#inner.create(object);
    this.#emit({ type: 'created', object: created });
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
    this.#emit({ type: 'updated', object: updated });
    return updated;
  }

  async remove(
    key: ObjectKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined> {
    const removed = await this.#inner.remove(key, expectedResourceVersion);
    if (removed) this.#emit({ type: 'removed', key, resourceVersion: removed.resourceVersion });
    return removed;
  }
}
