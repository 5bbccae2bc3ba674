// Which prober shard a pod belongs to (docs/architecture.md §5): a stable hash of namespace/name, so every engine and
// prober process agrees without coordination, and all of a pod's containers and probe types stay with one prober.
import type { PodKey } from '../../ports/pod-key.ts';

/** FNV-1a, 32 bit, over the UTF-16 code units of `namespace/name`: stable across processes and releases. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The shard (0 … shards-1) of a pod. The shard count is fixed for a deployment (see
 * docs/decisions/0003-probes.md).
 */
export function shardOf(key: PodKey, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1)
    throw new RangeError(`shard count must be a positive integer: ${shards}`);
  return fnv1a32(`${key.namespace}/${key.name}`) % shards;
}
