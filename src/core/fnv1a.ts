// FNV-1a, the hash the kubelet uses for container specs (pkg/kubelet/container/helpers.go HashContainer uses
// hash/fnv New32a). One implementation for every stable hash podflow computes: the back-off key's spec hash and the
// prober shard of a pod.

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text`: the same value in every process and release. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const byte = (b: number): void => {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  };
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) byte(cp);
    else if (cp < 0x800) {
      byte(0xc0 | (cp >> 6));
      byte(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      byte(0xe0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    } else {
      byte(0xf0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3f));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    }
  }
  return hash >>> 0;
}
