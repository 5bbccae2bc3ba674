// Recording a Kubernetes Event, reliably. `kubectl describe`, `kubectl get events -w` and the timeline read the
// lifecycle from events (Created, Started, Killing …), so a write that fails under load must not lose one: it is
// retried with a doubling delay, as client-go's event broadcaster retries a failed sink write
// (tools/record/event.go recordToSink: up to maxTriesPerEvent attempts, sleeping in between). A retry is safe
// because every occurrence carries an id the store counts once (PodStore.recordEvent).
import type { EventRecord, PodStore, StoredEvent } from '../ports/pod-store.ts';

export interface EventRetrySettings {
  /** Attempts in all (client-go: maxTriesPerEvent = 12). */
  attempts: number;
  /** Delay after the first failure; it doubles up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * 10 attempts over about 12 s: long enough to ride out a store that is briefly overloaded, short enough that a
 * step of the pod worker is not held up for long (client-go waits 10 s between tries of a background queue; here the
 * step awaits its events, so the first retries come sooner).
 */
export const DEFAULT_EVENT_RETRY: EventRetrySettings = { attempts: 10, initialDelayMs: 50, maxDelayMs: 3200 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Records the occurrence, retrying failed writes; rejects with the last error once the attempts are used up. */
export async function recordEventWithRetry(
  store: Pick<PodStore, 'recordEvent'>,
  record: EventRecord,
  retry: EventRetrySettings = DEFAULT_EVENT_RETRY,
): Promise<StoredEvent> {
  let delay = retry.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.recordEvent(record);
    } catch (err) {
      if (attempt >= retry.attempts) throw err;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, retry.maxDelayMs);
  }
}
