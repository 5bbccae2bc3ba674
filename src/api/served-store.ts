// What the API serves of the store: a pod that a force delete took out of the API (core/pod-state.ts
// `removedFromApi`) is gone for every request — get, list, watch, patch, logs — while the engine still holds it
// to kill its containers, as the API server has deleted an object whose containers the kubelet is still stopping.
import type { PodStore, StoredPod } from '../ports/pod-store.ts';

export type ServedStore = Pick<PodStore, 'get' | 'list' | 'listEvents'>;

export const isServed = (stored: StoredPod): boolean => stored.state.engine.removedFromApi !== true;

export function servedStore(store: ServedStore): ServedStore {
  return {
    async get(key) {
      const stored = await store.get(key);
      return stored && isServed(stored) ? stored : undefined;
    },
    async list(namespace, page) {
      // A page keeps its continuation: the next page starts after the last pod read, served or not.
      const list = await store.list(namespace, page);
      return { ...list, items: list.items.filter(isServed) };
    },
    listEvents: (namespace, involvedName) => store.listEvents(namespace, involvedName),
  };
}
