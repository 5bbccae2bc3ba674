// The table-wide resourceVersion of the in-memory stores: one counter that MemoryPodStore and MemoryObjectStore share
// when they stand for one table, as DynamoDbPodStore and DynamoDbObjectStore share the counter item of theirs.
export class MemoryRevision {
  #value = 0;

  /** Takes the next version. */
  next(): number {
    return ++this.#value;
  }

  /** The last version taken (0 before any write). */
  get current(): number {
    return this.#value;
  }
}
