// Which prober shard a pod belongs to (docs/architecture.md §5): a stable hash of namespace/name, so every engine and
// prober process agrees without coordination, and all of a pod's containers and probe types stay with one prober.
import { fnv1a32 } from '../../core/fnv1a.ts';
import type { PodKey } from '../../ports/pod-key.ts';

/**
 * The shard (0 … shards-1) of a pod. The shard count is fixed for a deployment (see
 * docs/decisions/0003-probes.md).
 */
export function shardOf(key: PodKey, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1)
    throw new RangeError(`shard count must be a positive integer: ${shards}`);
  return fnv1a32(`${key.namespace}/${key.name}`) % shards;
}
