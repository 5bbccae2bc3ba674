// What the API needs from the environment that hosts it: the engine's use cases, read access to the store, and —
// where a container runtime is attached (local mode) — logs. Each composition root builds one: `podflow serve`
// (cli/commands/serve.ts) from the local engine, the api Lambda (lambdas/api.ts) from the cloud engine.
import type { PropagationPolicy } from '../engine/owner-deletion.ts';
import type { Context } from 'hono';
import type { Grant } from '../core/access.ts';
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import type { FieldError } from '../core/field-errors.ts';
import type { MetricsSamples } from '../core/pod-metrics.ts';
import type { Clock } from '../ports/clock.ts';
import type { ContainerRuntime } from '../ports/container-runtime.ts';
import type { ApiObject, ObjectKey, ObjectStore, StoredObject } from '../ports/object-store.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { PodStore, StoredPod } from '../ports/pod-store.ts';
import type { ObjectChangeSource } from './object-watch.ts';
import type { ChangeSource } from './watch-hub.ts';
import type { ChangeLog } from '../ports/change-log.ts';
import type { ChangeLogWatchSettings } from './change-log-watch.ts';

/** The engine's use cases the API calls (engine/create-engine.ts). */
export interface PodEngine {
  createPod(pod: Pod): Promise<StoredPod>;
  updatePod(key: PodKey, next: Pod, expectedResourceVersion?: string): Promise<StoredPod>;
  updateEphemeralContainers(key: PodKey, next: Pod, expectedResourceVersion?: string): Promise<StoredPod>;
  deletePod(key: PodKey, gracePeriodSeconds?: number): Promise<void>;
  /** A static pod's mirror `deletedUid` deleted through the API: the mirror comes back as `uid`, the pod runs on. */
  replaceMirrorPod(key: PodKey, deletedUid: string, uid: string): Promise<StoredPod>;
  patchConditions(key: PodKey, conditions: PodCondition[]): Promise<void>;
  /** ConfigMaps, Secrets and Namespaces (docs/decisions/0007-api-objects.md). */
  createObject(object: ApiObject): Promise<StoredObject>;
  updateObject(key: ObjectKey, expectedResourceVersion: string, object: ApiObject): Promise<StoredObject>;
  removeObject(
    key: ObjectKey,
    expectedResourceVersion?: string,
  ): Promise<{ resourceVersion: string } | undefined>;
  deleteNamespace(name: string): Promise<StoredObject>;
}

/** A controller's deletion of its owner objects with a propagation policy (engine/owner-deletion.ts). */
export interface OwnerDeleteApi {
  delete(
    namespace: string,
    name: string,
    policy: PropagationPolicy,
    expectedResourceVersion?: string,
  ): Promise<StoredObject | undefined>;
}

export interface ApiDeps {
  engine: PodEngine;
  /**
   * batch/v1 Jobs, where a Job controller runs (local mode). Without it `/apis/batch/v1` answers 404 with a message
   * saying that Jobs are not run here (the cloud).
   */
  jobs?: OwnerDeleteApi;
  /** batch/v1 CronJobs' deletion, where a CronJob controller runs (local mode). */
  cronJobs?: OwnerDeleteApi;
  store: Pick<PodStore, 'get' | 'list' | 'listEvents'>;
  /** ConfigMaps, Secrets and Namespaces, read here; written through the engine. */
  objects: Pick<ObjectStore, 'get' | 'list'>;
  /** Committed changes, pushed in commit order (local mode: ObservablePodStore). Without it watches poll the store. */
  changes?: ChangeSource;
  /** Committed object changes (local mode: ObservableObjectStore). Without it object watches poll the store. */
  objectChanges?: ObjectChangeSource;
  /** Container logs (local mode). Without it `pods/log` answers 501. */
  logs?: Pick<ContainerRuntime, 'logs'>;
  /**
   * The runtime's measurements for metrics.k8s.io PodMetrics (local mode: engine/pod-metrics-collector.ts). Without
   * it the group's requests answer 501 (the cloud).
   */
  metrics?: { samples(): Promise<MetricsSamples> };
  /** Whether `pods/exec` is served (over WebSocket, by the local gateway). Without it: 501. */
  exec?: boolean;
  /** Whether `pods/portforward` is served (an upgrade the local gateway takes, local/port-forward.ts). Without: 501. */
  portForward?: boolean;
  /**
   * Without `exec`: the 501's message for this pod and container (the cloud: how to reach the container with ECS
   * Exec, src/adapters/fargate/ecs-exec-hint.ts). Default: exec is not available from this API.
   */
  execUnavailable?: (pod: Pod, container: string | undefined) => string;
  /**
   * Why ephemeral containers cannot be added here, when they cannot (the cloud: a running Fargate task cannot be
   * given another container): a write of `pods/ephemeralcontainers` answers 501 with it.
   */
  ephemeralContainersUnavailable?: string;
  /**
   * What the host's container runtime adds to admission, after defaulting and validation — as an admission plugin
   * does: field errors (422 Invalid), warnings, and a possibly changed pod (the cloud: Fargate's limits and its
   * size annotation, src/adapters/fargate/fargate-admission.ts). Applied to creates and updates.
   */
  admit?: (pod: Pod) => { pod: Pod; errors: FieldError[]; warnings: string[] };
  clock: Clock;
  newUid: () => string;
  /** Internal faults (answered with 500) and background failures. */
  onError: (err: unknown, context: string) => void;
  /** A bearer token every request must carry (`podflow serve --token`). The cloud authenticates at API Gateway. */
  token?: string;
  /**
   * What the caller may do (the cloud: the grant API Gateway's token authorizer resolved, api/token-authorizer.ts).
   * Without it every caller who passed authentication may do everything.
   */
  grantOf?: (c: Context) => Grant;
  /**
   * Longest watch or `logs -f` in seconds. Unlimited locally (the client's timeoutSeconds, default 30 min); in the
   * cloud API Gateway ends a streamed response after 15 minutes, so watches there end shortly before and clients
   * watch again.
   */
  maxStreamSeconds?: number;
  /** How long DELETE and a status patch wait for the worker to commit what they asked for before answering. */
  settleTimeoutMs?: number;
  /** How often a poll-based watch source lists the store. */
  pollIntervalMs?: number;
  /**
   * The change log (the cloud): watches read it from their version instead of following pushed changes or polling
   * the store (change-log-watch.ts, docs/decisions/0017-cloud-watch.md).
   */
  changeLog?: ChangeLog;
  /** Overrides of the change-log watches' timing (DEFAULT_CHANGE_LOG_WATCH_SETTINGS). */
  watchSettings?: Partial<ChangeLogWatchSettings>;
}
