// What a store would hand back for one recorded occurrence, for stubs that record events without a store.
import type { EventRecord, StoredEvent } from '../../src/ports/pod-store.ts';

export function storedEventOf(record: EventRecord): StoredEvent {
  const { at, occurrence: _occurrence, ...event } = record;
  const time = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    ...event,
    name: `${record.involvedObject.name}.${at}`,
    count: 1,
    firstTimestamp: time,
    lastTimestamp: time,
  };
}
