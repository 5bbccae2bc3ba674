// Where the watches of ConfigMaps, Secrets and Namespaces get their objects: a listing of the ObjectStore and its
// changes — pushed in commit order by the local ObservableObjectStore, or, in the cloud where nothing pushes, found
// by listing the kind every interval while a watch is open (changes between two listings collapse into one, and a
// removal takes the listing's version, as PollingChangeSource does for pods).
import type { ObjectChange } from '../engine/observable-object-store.ts';
import {
  OBJECT_API_VERSIONS,
  type ApiObject,
  type ObjectKind,
  type ObjectStore,
  type StoredObject,
} from '../ports/object-store.ts';
import type { HubChange, HubSource } from './watch-hub.ts';
import { DEFAULT_POLL_INTERVAL_MS } from './watch-hub.ts';

/** Tells about committed object changes (ObservableObjectStore). */
export interface ObjectChangeSource {
  subscribe(listener: (change: ObjectChange) => void): () => void;
}

/** `configmap/default/app`: one key space per hub (one hub per kind). */
const keyText = (s: Pick<StoredObject, 'key'>): string => `${s.key.namespace}/${s.key.name}`;

/** The object as GET returns it: apiVersion and kind set, the store's resourceVersion in metadata. */
export function servedObject(stored: StoredObject): ApiObject {
  return {
    ...stored.object,
    apiVersion: OBJECT_API_VERSIONS[stored.key.kind],
    kind: stored.key.kind,
    metadata: { ...stored.object.metadata, resourceVersion: stored.resourceVersion },
  };
}

export interface ObjectWatchSourceOptions {
  objects: Pick<ObjectStore, 'list'>;
  kind: ObjectKind;
  /** Pushed changes (local mode). Without them the kind is listed every `pollIntervalMs` while watched. */
  changes?: ObjectChangeSource;
  pollIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export function objectWatchSource(o: ObjectWatchSourceOptions): HubSource<ApiObject> {
  const list: HubSource<ApiObject>['list'] = async (namespace) => {
    const { items, resourceVersion } = await o.objects.list(o.kind, namespace);
    return {
      items: items.map((s) => ({
        key: keyText(s),
        resourceVersion: s.resourceVersion,
        object: servedObject(s),
      })),
      resourceVersion,
    };
  };
  if (o.changes) {
    const changes = o.changes;
    return {
      list,
      subscribe: (listener) =>
        changes.subscribe((c) => {
          if (c.type === 'removed') {
            if (c.key.kind === o.kind)
              listener({ type: 'removed', key: keyText(c), resourceVersion: c.resourceVersion });
            return;
          }
          if (c.object.key.kind !== o.kind) return;
          listener({
            type: 'put',
            key: keyText(c.object),
            resourceVersion: c.object.resourceVersion,
            object: servedObject(c.object),
            created: c.type === 'created',
          });
        }),
    };
  }
  return { list, subscribe: (listener) => poll(o, listener) };
}

/** Lists the kind every interval until unsubscribed and reports what differs from the previous listing. */
function poll(o: ObjectWatchSourceOptions, listener: (change: HubChange<ApiObject>) => void): () => void {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let snapshot: Map<string, StoredObject> | undefined;
  const tick = async (): Promise<void> => {
    try {
      const { items, resourceVersion } = await o.objects.list(o.kind);
      const next = new Map(items.map((s) => [keyText(s), s]));
      const before = snapshot;
      snapshot = next;
      if (before && running) {
        for (const [key, s] of next) {
          const old = before.get(key);
          if (!old || old.resourceVersion !== s.resourceVersion)
            listener({
              type: 'put',
              key,
              resourceVersion: s.resourceVersion,
              object: servedObject(s),
              created: !old,
            });
        }
        for (const key of before.keys())
          if (!next.has(key)) listener({ type: 'removed', key, resourceVersion });
      }
    } catch (err) {
      o.onError?.(err);
    }
    if (running) timer = setTimeout(() => void tick(), o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
  };
  void tick();
  return () => {
    running = false;
    clearTimeout(timer);
  };
}
