// What every handler gets: the deps, the watch hub and the limits derived from the deps.
import type { ApiDeps } from './api-deps.ts';
import type { ApiObject, ObjectKind } from '../ports/object-store.ts';
import type { PodWatchHub, WatchHub } from './watch-hub.ts';
import type { ChangeLog } from '../ports/change-log.ts';
import type { ChangeLogWatchSettings } from './change-log-watch.ts';

export interface ApiContext {
  /** The deps, with `store` serving only what the API shows (served-store.ts). */
  deps: ApiDeps;
  /** The store as the engine sees it, pods a force delete took out of the API included. */
  storeWithRemoved: ApiDeps['store'];
  hub: PodWatchHub;
  /** One watch hub per object kind. */
  objectHubs: Readonly<Record<ObjectKind, WatchHub<ApiObject>>>;
  settleTimeoutMs: number;
  /** Cap of a watch's or a log follow's duration. */
  maxStreamMs: number;
  /** Where watches read changes from in the cloud: the change log (change-log-watch.ts); absent locally. */
  logWatch?: { log: ChangeLog; settings: ChangeLogWatchSettings };
}

/** kube-apiserver --min-request-timeout: a watch without timeoutSeconds lasts about this long. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 1800;
/** How long DELETE waits for the worker to mark the pod terminating before answering (it answers anyway). */
export const DEFAULT_SETTLE_TIMEOUT_MS = 3000;
