// ObjectStore: the API objects other than pods — ConfigMaps, Secrets, Jobs, CronJobs (namespaced) and Namespaces (cluster-scoped) —
// as the API server's registry keeps them (docs/decisions/0007-api-objects.md). Adapters: DynamoDbObjectStore (the
// cloud, and `--store dynamodb` locally), SqliteObjectStore (local mode's default), MemoryObjectStore (unit tests).
// Contract suite: test/contract/object-store.contract.ts.
//
// Guarantees:
//  - An object is stored whole, as JSON, and read back equal (the store keeps its own copy); its key is its kind, its
//    namespace ('' for a cluster-scoped kind) and its name, taken from the object itself.
//  - Every write (create, update, remove) takes the next number of the same table-wide resourceVersion sequence the
//    PodStore uses (one counter for pods, events and these objects, like etcd's revision), so versions are comparable
//    across kinds: a watch may resume from a version a list of another kind returned. The version also appears in
//    metadata.resourceVersion of what the store returns.
//  - create refuses an existing key (AlreadyExistsError); update and remove with an expected version change nothing
//    and throw ConflictError when it is stale; update of a missing object is NotFoundError; remove is idempotent.
//  - An object whose item would exceed DynamoDB's 400 KB is refused with TooLargeError before anything is written;
//    the size is `objectItemBytes`, counted the same way by every adapter.
//  - Reads are strongly consistent; list returns one kind (optionally one namespace), sorted by namespace and name,
//    with the store's current resourceVersion (every change up to it is reflected in the items).
import type { ObjectMeta } from 'kubernetes-types/meta/v1';

export const OBJECT_KINDS = ['ConfigMap', 'Secret', 'Namespace', 'Job', 'CronJob'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** Kinds with no namespace (the API server's cluster-scoped resources). */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<ObjectKind> = new Set<ObjectKind>(['Namespace']);

/** The resource (URL path segment, and the word of the API server's messages) of each kind. */
export const OBJECT_RESOURCES: Readonly<Record<ObjectKind, string>> = {
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Namespace: 'namespaces',
  Job: 'jobs',
  CronJob: 'cronjobs',
};

/** The group/version each kind is served in. */
export const OBJECT_API_VERSIONS: Readonly<Record<ObjectKind, string>> = {
  ConfigMap: 'v1',
  Secret: 'v1',
  Namespace: 'v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/** A Kubernetes object as JSON: apiVersion, kind, metadata and whatever else its kind has. */
export interface ApiObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectKey {
  kind: ObjectKind;
  /** '' for a cluster-scoped kind. */
  namespace: string;
  name: string;
}

export interface StoredObject {
  key: ObjectKey;
  /** Decimal string from the table-wide sequence; also in object.metadata.resourceVersion. */
  resourceVersion: string;
  object: ApiObject;
}

export interface ObjectStore {
  /** Stores a new object (its kind, namespace and name from the object). AlreadyExistsError if the key exists. */
  create(object: ApiObject): Promise<StoredObject>;

  /** The object, or undefined. */
  get(key: ObjectKey): Promise<StoredObject | undefined>;

  /** Every object of a kind (of one namespace if given), sorted, and the store's current resourceVersion. */
  list(kind: ObjectKind, namespace?: string): Promise<{ items: StoredObject[]; resourceVersion: string }>;

  /**
   * Replaces the object if its resourceVersion is still `expectedResourceVersion` (else ConflictError). The object
   * must name the same key. NotFoundError if it is gone; TooLargeError if it would not fit.
   */
  update(key: ObjectKey, expectedResourceVersion: string, object: ApiObject): Promise<StoredObject>;

  /**
   * Removes the object (only at `expectedResourceVersion` if given: else ConflictError). Idempotent: undefined when
   * there was nothing to remove. The removal takes a resourceVersion of its own, as PodStore.remove's does.
   */
  remove(key: ObjectKey, expectedResourceVersion?: string): Promise<{ resourceVersion: string } | undefined>;
}

export const isObjectKind = (kind: unknown): kind is ObjectKind =>
  typeof kind === 'string' && (OBJECT_KINDS as readonly string[]).includes(kind);

export const isClusterScoped = (kind: ObjectKind): boolean => CLUSTER_SCOPED_KINDS.has(kind);

/**
 * The key an object is stored under, from its kind and metadata. TypeError for an unknown kind, a missing name, a
 * namespaced kind without a namespace or a cluster-scoped one with a namespace: callers (the API) decide those first.
 */
export function objectKeyOf(object: ApiObject): ObjectKey {
  const kind = object.kind;
  if (!isObjectKind(kind)) throw new TypeError(`the object store keeps no kind ${JSON.stringify(kind)}`);
  const name = object.metadata?.name;
  const namespace = object.metadata?.namespace ?? '';
  if (!name) throw new TypeError(`a stored ${kind} needs metadata.name`);
  if (isClusterScoped(kind) ? namespace !== '' : namespace === '')
    throw new TypeError(
      isClusterScoped(kind)
        ? `${kind} ${name} is cluster-scoped: it has no metadata.namespace`
        : `a stored ${kind} needs metadata.namespace`,
    );
  return { kind, namespace, name };
}

/** `configmap default/app`, `namespace team-a`: how messages name a key. */
export const objectKeyText = (key: ObjectKey): string =>
  `${key.kind.toLowerCase()} ${key.namespace === '' ? '' : `${key.namespace}/`}${key.name}`;

export const sameObjectKey = (a: ObjectKey, b: ObjectKey): boolean =>
  a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

/** DynamoDB's item size limit ("Service, account, and table quotas": 400 KB), which this contract carries. */
export const MAX_OBJECT_ITEM_BYTES = 400 * 1024;

/**
 * What the object's DynamoDB item weighs (Developer Guide, "Item sizes and formats": attribute names plus UTF-8
 * values): PK `ns#<namespace>` (or `cluster`), SK `<kind>#<name>`, the object's JSON and rv at the widest number
 * (21 bytes). Every adapter refuses an object above MAX_OBJECT_ITEM_BYTES by this count, so what one accepts the
 * cloud can store.
 */
export function objectItemBytes(key: ObjectKey, objectJson: string): number {
  const utf8 = (s: string): number => new TextEncoder().encode(s).length;
  return (
    'PK'.length +
    utf8(objectPartitionKey(key)) +
    'SK'.length +
    utf8(objectSortKey(key)) +
    'object'.length +
    utf8(objectJson) +
    ('rv'.length + 21)
  );
}

/** The single table's partition of an object: its namespace's (`ns#<namespace>`), or `cluster` when it has none. */
export const objectPartitionKey = (key: ObjectKey): string =>
  key.namespace === '' ? 'cluster' : `ns#${key.namespace}`;

/** The sort key: a prefix per kind (`configmap#`, `secret#`, `namespace#`, `job#`, `cronjob#`) and the name. */
export const objectSortKey = (key: ObjectKey): string => `${objectSortPrefix(key.kind)}${key.name}`;

export const objectSortPrefix = (kind: ObjectKind): string => `${kind.toLowerCase()}#`;

// Kubernetes' wording (k8s.io/apimachinery/pkg/api/errors: NewNotFound, NewAlreadyExists, NewConflict), plus the
// namespace, as the PodStore adapters word theirs.
const where = (key: ObjectKey): string => (key.namespace === '' ? '' : ` (namespace ${key.namespace})`);
export const objectNotFoundMessage = (key: ObjectKey): string =>
  `${OBJECT_RESOURCES[key.kind]} "${key.name}" not found${where(key)}`;
export const objectAlreadyExistsMessage = (key: ObjectKey): string =>
  `${OBJECT_RESOURCES[key.kind]} "${key.name}" already exists${where(key)}`;
export const objectConflictMessage = (key: ObjectKey): string =>
  `Operation cannot be fulfilled on ${OBJECT_RESOURCES[key.kind]} "${key.name}"${where(key)}: the object has been modified; please apply your changes to the latest version and try again`;
export const objectTooLargeMessage = (key: ObjectKey, bytes: number): string =>
  `${objectKeyText(key)} would be ${bytes} bytes; DynamoDB items are limited to 400 KB`;
