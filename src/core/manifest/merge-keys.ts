// The Pod's strategic-merge-patch metadata: which lists merge element by element and on which key. Upstream these
// are the `patchMergeKey`/`patchStrategy` struct tags of k8s.io/api/core/v1/types.go, compiled into both the API
// server and kubectl; here one table serves the API's patch handler and `podflow apply`.

/**
 * Patch merge keys of the Pod's lists, by path without indexes. Lists not named here are atomic: the patch's list
 * replaces the object's.
 */
const CONTAINER_LISTS = ['spec.containers', 'spec.initContainers', 'spec.ephemeralContainers'];
export const POD_MERGE_KEYS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(CONTAINER_LISTS.map((l) => [l, 'name'])),
  ...Object.fromEntries(CONTAINER_LISTS.map((l) => [`${l}.env`, 'name'])),
  ...Object.fromEntries(CONTAINER_LISTS.map((l) => [`${l}.ports`, 'containerPort'])),
  ...Object.fromEntries(CONTAINER_LISTS.map((l) => [`${l}.volumeMounts`, 'mountPath'])),
  ...Object.fromEntries(CONTAINER_LISTS.map((l) => [`${l}.volumeDevices`, 'devicePath'])),
  ...Object.fromEntries(CONTAINER_LISTS.map((l) => [`${l}.resizePolicy`, 'resourceName'])),
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.hostAliases': 'ip',
  'spec.schedulingGates': 'name',
  'spec.resourceClaims': 'name',
  'spec.topologySpreadConstraints': 'topologyKey',
  'status.conditions': 'type',
  'status.podIPs': 'ip',
  'status.hostIPs': 'ip',
  'metadata.ownerReferences': 'uid',
};

/** Lists of scalars with `patchStrategy:"merge"`: a patch adds its values (a set union). */
export const PRIMITIVE_MERGE_LISTS: ReadonlySet<string> = new Set(['metadata.finalizers']);

/**
 * Lists whose patch strategy is also `retainKeys` (`patchStrategy:"merge,retainKeys"` in types.go: a volume's or
 * claim's source is a union, and a patch that switches it drops the other member).
 */
export const RETAIN_KEYS_LISTS: ReadonlySet<string> = new Set(['spec.volumes', 'spec.resourceClaims']);

/**
 * `+listMapKey` of the merged lists where it is more than the merge key (types.go): a port is identified by port
 * and protocol, a spread constraint by topology key and what to do when unsatisfiable.
 */
export const LIST_MAP_KEYS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(CONTAINER_LISTS.map((l) => [`${l}.ports`, ['containerPort', 'protocol']])),
  'spec.topologySpreadConstraints': ['topologyKey', 'whenUnsatisfiable'],
};
