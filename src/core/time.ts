// Kubernetes serializes metav1.Time as RFC 3339 with second precision (`2026-11-28T00:09:06Z`); the core keeps
// epoch milliseconds internally and formats at the edge of the status.

/** `metav1.Time`: RFC 3339, seconds precision, UTC. */
export function toRfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `metav1.MicroTime` / CRI log timestamps: RFC 3339 with fractional seconds. */
export function toRfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export function parseRfc3339(s: string): number {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`not an RFC 3339 time: ${JSON.stringify(s)}`);
  return t;
}
