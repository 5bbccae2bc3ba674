// The producer side of the inbox protocol (docs/architecture.md §3): append the event; if a worker is waiting, wake
// it.
import type { PodEvent } from '../core/pod-events.ts';
import { isNotFound } from '../ports/errors.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { EngineDeps } from './engine-deps.ts';

/** What delivery needs: the pods' inboxes, and the workflow to wake a waiting worker. */
export type DeliveryDeps = Pick<EngineDeps, 'store' | 'workflow'>;

/** Delivers an event to a pod's inbox. A pod that no longer exists drops it (its worker is gone too). */
export async function deliverEvent(deps: DeliveryDeps, key: PodKey, event: PodEvent): Promise<void> {
  let waitToken: string | undefined;
  try {
    ({ waitToken } = await deps.store.deliver(key, event));
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (waitToken) await deps.workflow.sendTaskSuccess(waitToken);
}
