// The name of a Kubernetes Event: client-go tools/record/event.go makeEvent names it
// fmt.Sprintf("%v.%x", ref.Name, t.UnixNano()) — the object's name and the first occurrence's time in hex
// nanoseconds. podflow's clock has millisecond precision, so the sub-millisecond digits come from a number unique
// to the recording (the store's resourceVersion): two events of one object in the same millisecond (Created and
// Started) still get two names.
export function eventName(objectName: string, atMs: number, unique: number | bigint): string {
  const nanos = BigInt(Math.trunc(atMs)) * 1_000_000n + (BigInt(unique) % 1_000_000n);
  return `${objectName}.${nanos.toString(16)}`;
}
