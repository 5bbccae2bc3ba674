// What every handler gets: the deps, the watch hub and the limits derived from the deps.
import type { ApiDeps } from './api-deps.ts';
import type { PodWatchHub } from './watch-hub.ts';

export interface ApiContext {
  deps: ApiDeps;
  hub: PodWatchHub;
  settleTimeoutMs: number;
  /** Cap of a watch's or a log follow's duration. */
  maxStreamMs: number;
}

/** kube-apiserver --min-request-timeout: a watch without timeoutSeconds lasts about this long. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 1800;
/** How long DELETE waits for the worker to mark the pod terminating before answering (it answers anyway). */
export const DEFAULT_SETTLE_TIMEOUT_MS = 3000;
