// The pod's brain: `(state, event, now) → (state', actions)`. Pure and deterministic: the same inputs always give
// the same outputs, so every lifecycle scenario can be replayed from a timeline (test/golden/). It reproduces the
// kubelet's container-level decisions — init sequencing, restarts with crash back-off, probe effects, hooks and
// graceful termination — for one pod (upstream: pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions,
// pkg/kubelet/kuberuntime/kuberuntime_container.go, pkg/kubelet/kubelet_pods.go).
//
// Idempotency (docs/architecture.md §3): an event whose id was applied recently is dropped; an event about a
// container instance that is not the current one, or that repeats what is already known, changes nothing.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { Action } from './actions.ts';
import {
  backOffMessage,
  backoffKey,
  backoffSettingsFor,
  decideRestart,
  formatPod,
  type BackoffSettings,
} from './backoff.ts';
import { sequenceDone } from './container-progress.ts';
import type { EngineSettings } from './engine-settings.ts';
import {
  deletionGraceSeconds,
  graceLeftSeconds,
  killGraceSeconds,
  podGraceSeconds,
  remainingGraceSeconds,
  stopGraceSeconds,
  MINIMUM_STOP_GRACE_SECONDS,
} from './grace.ts';
import { setPodCondition } from './pod-conditions.ts';
import type { PodEvent } from './pod-events.ts';
import { recordHistory } from './pod-history.ts';
import {
  allContainerEntries,
  containerEntries,
  ephemeralEntries,
  findEntry,
  probeOf,
  probeTypesOf,
  type ContainerEntry,
} from './pod-spec.ts';
import {
  admittedPod,
  POD_STATE_SCHEMA_VERSION,
  type AdmittedPod,
  type ContainerRecord,
  type EngineState,
  type PodState,
  type TerminatedState,
} from './pod-state.ts';
import { currentPhase, refreshStatus } from './pod-status.ts';
import { computeQosClass } from './qos.ts';
import { restartsAfterExit, restartsAfterProbeKill } from './restart-policy.ts';
import { formatGoDuration } from './duration.ts';
import { containerWaitsOnConfig } from './config-waits.ts';
import { emptyDirEvictionMessage } from './volumes.ts';
import { toRfc3339 } from './time.ts';

export interface ReconcileContext {
  now: number;
  settings: EngineSettings;
}

export interface ReconcileResult {
  state: PodState;
  actions: Action[];
}

/** How many applied event ids a pod remembers to drop redeliveries (ECS and timers may deliver twice). */
export const RECENT_EVENT_IDS = 64;

export { MINIMUM_STOP_GRACE_SECONDS };

/** Timer ids are deterministic so scheduling twice is harmless. */
export const restartTimerId = (container: string, instance: number): string =>
  `restart/${container}/${instance}`;
export const ACTIVE_DEADLINE_TIMER_ID = 'active-deadline';

/** Conditions the kubelet owns; a status patch may not overwrite them (readiness gates use other types). */
const KUBELET_CONDITIONS = new Set([
  'PodScheduled',
  'PodReadyToStartContainers',
  'Initialized',
  'ContainersReady',
  'Ready',
]);

/** Message of a container that never reported an exit when its pod terminated (kubelet_pods.go). */
const LOST_CONTAINER_MESSAGE = 'The container could not be located when the pod was terminated';

/**
 * A pod as the API stores it at creation: accepted but not yet admitted by a worker (no PodScheduled yet, as
 * between the API server and the scheduler). The worker's Admit step turns it into `admitPod`'s state.
 */
export function newPodState(pod: Pod): PodState {
  const admitted = admittedPod(pod);
  return {
    schemaVersion: POD_STATE_SCHEMA_VERSION,
    pod: { ...admitted, status: { phase: 'Pending', qosClass: computeQosClass(admitted.spec) } },
    engine: {
      stage: 'Pending',
      scheduled: false,
      sandboxReady: false,
      containers: {},
      initialized: false,
      recentEventIds: [],
    },
  };
}

/** Builds the state of a newly admitted pod (spec already defaulted and validated) and its first actions. */
export function admitPod(pod: AdmittedPod, ctx: ReconcileContext): ReconcileResult {
  const spec = { ...pod.spec, nodeName: pod.spec.nodeName ?? ctx.settings.nodeName };
  const containers: Record<string, ContainerRecord> = {};
  for (const entry of containerEntries(spec)) {
    containers[entry.container.name] = {
      name: entry.container.name,
      kind: entry.kind,
      instance: -1,
      state: { type: 'waiting', reason: 'ContainerCreating' },
      probes: {},
    };
  }
  const engine: EngineState = {
    stage: 'Pending',
    scheduled: true,
    sandboxReady: false,
    containers,
    initialized: (spec.initContainers ?? []).length === 0,
    recentEventIds: [],
  };
  const admitted: AdmittedPod = {
    ...pod,
    spec,
    status: { phase: 'Pending', hostIP: ctx.settings.hostIP, startTime: toRfc3339(ctx.now) },
  };
  const actions: Action[] = [
    {
      type: 'recordEvent',
      eventType: 'Normal',
      reason: 'Scheduled',
      component: 'default-scheduler',
      message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${spec.nodeName}`,
    },
  ];
  if (spec.activeDeadlineSeconds !== undefined) {
    actions.push({
      type: 'scheduleTimer',
      timerId: ACTIVE_DEADLINE_TIMER_ID,
      at: ctx.now + spec.activeDeadlineSeconds * 1000,
    });
  }
  const state: PodState = { schemaVersion: POD_STATE_SCHEMA_VERSION, pod: admitted, engine };
  state.pod = refreshStatus(state, ctx.now);
  engine.history = recordHistory(undefined, state, undefined, actions, ctx.now);
  return { state, actions };
}

/**
 * The timers a pod's state waits for: each container's restart timer (a crash back-off, a config-error retry) and
 * the activeDeadlineSeconds deadline until it has passed. Delivering one twice is harmless: its event is dropped
 * as a duplicate, or finds nothing left to do.
 */
export function pendingTimers(state: PodState): Array<{ timerId: string; at: number }> {
  const timers: Array<{ timerId: string; at: number }> = [];
  for (const entry of allContainerEntries(state.pod.spec)) {
    const timer = state.engine.containers[entry.container.name]?.restartTimer;
    if (timer) timers.push({ timerId: timer.id, at: timer.at });
  }
  const deadline = state.pod.spec.activeDeadlineSeconds;
  if (deadline !== undefined && !state.engine.deadlineExceeded && state.pod.status?.startTime) {
    timers.push({
      timerId: ACTIVE_DEADLINE_TIMER_ID,
      at: Date.parse(state.pod.status.startTime) + deadline * 1000,
    });
  }
  return timers;
}

/**
 * The instant from which the worker sweep (engine/worker-recovery.ts) has something to check on the pod, or undefined
 * when it has nothing: a pod not yet admitted, from its creation (its first worker may never have started); else its
 * earliest pending timer (that timer's wake-up may be lost). Stores keep it beside the state, so that the sweep reads
 * only these pods and not every idle one (the DynamoDB store: a sparse index).
 */
export function sweepAt(state: PodState): number | undefined {
  const { engine, pod } = state;
  if (engine.stage === 'Pending' && !engine.scheduled) {
    const created = Date.parse(pod.metadata.creationTimestamp ?? '');
    return Number.isFinite(created) ? created : undefined;
  }
  let earliest: number | undefined;
  for (const { at } of pendingTimers(state)) if (earliest === undefined || at < earliest) earliest = at;
  return earliest;
}

/**
 * The idempotent actions implied by a state: what a worker re-issues when it resumes a pod whose previous worker
 * died between committing a state and carrying out its actions (docs/architecture.md §3). Starting an instance that
 * already started, re-scheduling a timer or re-stopping a dying container is harmless by the ports' contracts.
 */
export function resumeActions(state: PodState, now: number): Action[] {
  const actions: Action[] = [];
  const spec = state.pod.spec;
  const deletion = state.engine.deletion;
  // A deleted pod that finished terminating is removed by the actions of the commit that finished it; if those did
  // not happen (a failed store write, a worker that died right after the commit), nothing else would remove it.
  if (deletion && state.engine.stage === 'Finished')
    return [{ type: 'removeSandbox' }, { type: 'deletePod' }];
  for (const entry of allContainerEntries(spec)) {
    const rec = state.engine.containers[entry.container.name];
    if (!rec) continue;
    const ref = { container: rec.name, instance: rec.instance };
    if (rec.state.type === 'starting') actions.push({ type: 'startContainer', ...ref });
    if (rec.state.type !== 'running') continue;
    if (rec.killing) {
      const left = graceLeftSeconds(rec.killing.requestedAt, rec.killing.graceSeconds, now);
      actions.push({ type: 'stopContainer', ...ref, graceSeconds: left });
      continue;
    }
    if (!rec.state.postStartDone && !rec.state.hookError) {
      actions.push({ type: 'runHook', hook: 'postStart', ...ref });
      continue;
    }
    const probes = probeTypesOf(entry.container).filter((p) => !deletion || p === 'readiness');
    if (probes.length > 0) actions.push({ type: 'startProbes', ...ref, probes });
  }
  for (const timer of pendingTimers(state)) actions.push({ type: 'scheduleTimer', ...timer });
  return actions;
}

/**
 * Terminate's await is a safety poll (every 30 s): the runtime's stop already escalates SIGTERM → SIGKILL. Only a
 * container still running past its kill deadline plus the margin gets an explicit SIGKILL.
 */
export function forceKillActions(state: PodState, now: number, marginSeconds: number): Action[] {
  return Object.values(state.engine.containers)
    .filter(
      (rec) =>
        rec.state.type === 'running' &&
        rec.killing &&
        now > rec.killing.requestedAt + (rec.killing.graceSeconds + marginSeconds) * 1000,
    )
    .map((rec) => ({ type: 'stopContainer', container: rec.name, instance: rec.instance, graceSeconds: 0 }));
}

/** Applies one inbox event. */
export function reconcile(state: PodState, event: PodEvent, ctx: ReconcileContext): ReconcileResult {
  if (state.engine.recentEventIds.includes(event.id)) return { state, actions: [] };
  const s: PodState = structuredClone(state);
  const r = new Reconciler(s, ctx);
  r.apply(event);
  r.advance();
  s.engine.recentEventIds = [...s.engine.recentEventIds, event.id].slice(-RECENT_EVENT_IDS);
  s.pod = refreshStatus(s, ctx.now);
  r.settle();
  s.pod = refreshStatus(s, ctx.now);
  s.engine.history = recordHistory(state, s, event, r.actions, ctx.now);
  return { state: s, actions: r.actions };
}

/** Applies a timeline of events in order (what the worker does with a batch taken from the inbox). */
export function reconcileAll(
  state: PodState,
  events: readonly PodEvent[],
  ctx: ReconcileContext,
): ReconcileResult {
  const actions: Action[] = [];
  let current = state;
  for (const event of inLifecycleOrder(events)) {
    const result = reconcile(current, event, ctx);
    current = result.state;
    actions.push(...result.actions);
  }
  return { state: current, actions };
}

/**
 * The batch with every container instance's start before its exit. The inbox orders events by (at, id); a container
 * that exits within the millisecond it started has both observations at the same `at`, and their ids
 * (…/<instance>/exited, …/<instance>/started) sort the exit first — applied in that order, the start would find the
 * instance terminated and be dropped with its Created/Started events, which the kubelet records whenever a start
 * succeeds (kuberuntime_container.go startContainer), however soon the process ends.
 */
function inLifecycleOrder(events: readonly PodEvent[]): readonly PodEvent[] {
  const ordered = [...events];
  for (let i = 0; i < ordered.length; i++) {
    const exit = ordered[i]!;
    if (exit.type !== 'containerExited') continue;
    const start = ordered.findIndex(
      (e, k) =>
        k > i &&
        e.type === 'containerStarted' &&
        e.container === exit.container &&
        e.instance === exit.instance,
    );
    if (start < 0) continue;
    ordered.splice(i, 0, ...ordered.splice(start, 1));
    i++; // the exit moved one place on
  }
  return ordered;
}

class Reconciler {
  readonly actions: Action[] = [];
  private readonly now: number;
  private readonly engine: EngineState;
  private readonly s: PodState;
  private readonly ctx: ReconcileContext;

  constructor(s: PodState, ctx: ReconcileContext) {
    this.s = s;
    this.ctx = ctx;
    this.now = ctx.now;
    this.engine = s.engine;
  }

  private get pod(): AdmittedPod {
    return this.s.pod;
  }

  private get deleting(): boolean {
    return this.engine.deletion !== undefined;
  }

  /**
   * Nothing starts any more: the pod is being deleted, ran out of deadline, reached a terminal phase, or every app
   * container has terminated for good — then its sidecars are stopped too (kuberuntime_manager.go
   * computePodActions: no regular container left to run → kill the pod).
   */
  private get winding(): boolean {
    if (this.stopping) return true;
    return (
      this.engine.initialized &&
      this.records().every(({ entry, rec }) => entry.kind !== 'app' || this.finishedForGood(entry, rec))
    );
  }

  /** The pod is being deleted, ran out of deadline, or reached a terminal phase. */
  private get stopping(): boolean {
    const phase = currentPhase(this.pod);
    return (
      this.deleting ||
      this.engine.deadlineExceeded === true ||
      this.engine.evicted !== undefined ||
      phase === 'Succeeded' ||
      phase === 'Failed'
    );
  }

  private finishedForGood(entry: ContainerEntry, rec: ContainerRecord): boolean {
    return rec.state.type === 'terminated' && !restartsAfterExit(entry, this.pod.spec, rec.state.exitCode);
  }

  apply(event: PodEvent): void {
    switch (event.type) {
      case 'sandboxReady':
        if (this.engine.sandboxReady) return;
        this.engine.sandboxReady = true;
        this.engine.podIP = event.podIP;
        return;
      case 'containerStarted':
        return this.onStarted(
          event.container,
          event.instance,
          event.startedAt,
          event.image,
          event.podIP,
          event.containerID,
        );
      case 'containerExited': {
        const reason = event.lost
          ? 'ContainerStatusUnknown'
          : event.oomKilled
            ? 'OOMKilled'
            : event.exitCode === 0
              ? 'Completed'
              : 'Error';
        return this.onExited(event.container, event.instance, {
          exitCode: event.exitCode,
          reason,
          ...(event.message ? { message: event.message } : {}),
          ...(event.startedAt !== undefined ? { startedAt: event.startedAt } : {}),
          finishedAt: event.finishedAt,
          instance: event.instance,
        });
      }
      case 'containerStartFailed':
        return this.onStartFailed(event.container, event.instance, event.reason, event.message);
      case 'postStartDone':
        return this.onPostStartDone(event.container, event.instance, event.error);
      case 'preStopDone':
        return this.onPreStopDone(event.container, event.instance, event.error);
      case 'probeResult':
        return this.onProbeResult(event.container, event.instance, event.probe, event.result);
      case 'timerDue':
        return this.onTimerDue(event.timerId);
      case 'deleteRequested':
        return this.onDeleteRequested(event.gracePeriodSeconds, event.at);
      case 'conditionsPatched':
        return this.onConditionsPatched(event.conditions);
      case 'specUpdated':
        return this.onSpecUpdated(event.containers);
      case 'ephemeralContainersAdded':
        return; // advance() starts them
      case 'configChanged':
        return this.onConfigChanged(event.kind, event.name);
      case 'emptyDirUsage':
        return this.onEmptyDirUsage(event.volume, event.usedBytes);
    }
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────────────────────

  private onStarted(
    name: string,
    instance: number,
    startedAt: number,
    image: Extract<PodEvent, { type: 'containerStarted' }>['image'],
    podIP: string | undefined,
    containerID: string | undefined,
  ): void {
    const found = this.current(name, instance);
    if (!found || found.rec.state.type !== 'starting') return;
    const { entry, rec } = found;
    // kubelet_pods.go generateAPIPodStatus takes the pod IPs from the current sandbox: a runtime that gave the pod
    // a new sandbox (a replaced Fargate task, docs/decisions/0006-fargate-runtime.md §2) reports its address.
    if (podIP) this.engine.podIP = podIP;
    const postStart = entry.container.lifecycle?.postStart;
    rec.state = {
      type: 'running',
      startedAt,
      postStartDone: !postStart,
      ...(containerID ? { containerID } : {}),
    };
    if (image?.id) rec.imageID = image.id;
    this.imageEvents(entry, image);
    this.event('Normal', 'Created', `Created container: ${name}`, entry);
    this.event('Normal', 'Started', `Started container ${name}`, entry);
    if (this.winding) {
      // Started while the pod was already winding down (a start raced a delete): stop it at once.
      this.kill(
        entry,
        rec,
        'Delete',
        remainingGraceSeconds(this.engine, this.pod.spec, this.now),
        `Stopping container ${name}`,
      );
      return;
    }
    if (postStart) {
      // No timeout: lifecycle/handlers.go runs a postStart exec with RunInContainer(…, 0) and the container stays
      // ContainerCreating until it returns, however long that is.
      this.actions.push({ type: 'runHook', hook: 'postStart', container: name, instance });
    } else {
      this.startProbes(entry, rec);
    }
  }

  private onPostStartDone(name: string, instance: number, error: string | undefined): void {
    const found = this.current(name, instance);
    const running = found?.rec.state;
    if (!found || running?.type !== 'running' || running.postStartDone) return;
    const { entry, rec } = found;
    if (!error) {
      running.postStartDone = true;
      this.startProbes(entry, rec);
      return;
    }
    // kuberuntime_container.go startContainer: a failed postStart kills the container (reason
    // FailedPostStartHook) through killContainer — preStop included; the restart policy then applies to its exit.
    running.hookError = error;
    this.event('Warning', 'FailedPostStartHook', error, entry);
    this.kill(entry, rec, 'PostStartHookError', podGraceSeconds(this.pod.spec), `Stopping container ${name}`);
  }

  private onPreStopDone(name: string, instance: number, error: string | undefined): void {
    const found = this.current(name, instance);
    if (!found || !found.rec.killing || found.rec.state.type !== 'running') return;
    const { entry, rec } = found;
    if (error) this.event('Warning', 'FailedPreStopHook', error, entry);
    // The grace left after the hook, but never less than 2s (kuberuntime_container.go killContainer).
    const left = graceLeftSeconds(rec.killing!.requestedAt, rec.killing!.graceSeconds, this.now);
    this.actions.push({
      type: 'stopContainer',
      container: name,
      instance,
      graceSeconds: stopGraceSeconds(left),
    });
  }

  private onExited(name: string, instance: number, terminated: TerminatedState): void {
    const found = this.current(name, instance);
    if (!found) return;
    const { entry, rec } = found;
    if (rec.state.type === 'terminated' || rec.state.type === 'waiting') return; // duplicate exit
    const containerID = rec.state.type === 'running' ? rec.state.containerID : undefined;
    rec.state = { type: 'terminated', ...terminated, ...(containerID ? { containerID } : {}) };
    const stillProbing = probeTypesOf(entry.container);
    if (stillProbing.length > 0) {
      this.actions.push({ type: 'stopProbes', container: name, instance, probes: stillProbing });
    }
    rec.probes = {};
    const killedFor = rec.killing?.reason;
    delete rec.killing;
    if (this.stopping) return;
    // kuberuntime_manager.go computePodActions: a container whose spec changed is restarted regardless of the
    // restart policy, and its new spec hash starts a fresh back-off curve; one killed for a failed liveness or
    // startup probe is restarted unless the policy is Never, whatever it exited with.
    if (killedFor === 'SpecChange') return this.startInstance(entry, rec);
    const restarts =
      killedFor === 'Liveness' || killedFor === 'Startup'
        ? restartsAfterProbeKill(entry, this.pod.spec)
        : restartsAfterExit(entry, this.pod.spec, terminated.exitCode);
    // Once every app container is done for good, sidecars and init containers are not started again (the pod
    // winds down); an app container that restarts is, by that very decision, not done.
    if (!restarts || (entry.kind !== 'app' && this.winding)) return;
    this.scheduleRestart(entry, rec, terminated.finishedAt);
  }

  /** An update changed these containers' images (the only container field a pod update may change). */
  private onSpecUpdated(names: string[]): void {
    for (const name of names) {
      const entry = findEntry(this.pod.spec, name);
      const rec = this.engine.containers[name];
      if (!entry || !rec || this.winding) continue;
      if (rec.restartTimer) {
        // Waiting out a back-off for the old spec: the new spec starts now.
        this.actions.push({ type: 'cancelTimer', timerId: rec.restartTimer.id });
        delete rec.restartTimer;
        this.startInstance(entry, rec);
        continue;
      }
      this.kill(
        entry,
        rec,
        'SpecChange',
        podGraceSeconds(this.pod.spec),
        `Container ${name} definition changed, will be restarted`,
      );
    }
    const deadline = this.pod.spec.activeDeadlineSeconds;
    if (deadline !== undefined && !this.engine.deadlineExceeded && this.pod.status?.startTime) {
      // activeDeadlineSeconds may be lowered by an update: re-arm the timer (scheduling the same id replaces it).
      const at = Date.parse(this.pod.status.startTime) + deadline * 1000;
      this.actions.push({ type: 'scheduleTimer', timerId: ACTIVE_DEADLINE_TIMER_ID, at });
    }
  }

  /**
   * A start that failed. kuberuntime_container.go startContainer, in two stages:
   * - the container could not be created (its config — env from a missing ConfigMap or Secret key, no command to
   *   run — could not be generated: CreateContainerConfigError; CreateContainer failed: CreateContainerError; its
   *   image could not be pulled: ErrImagePull): nothing exists, so nothing exited — restartCount stays, no
   *   lastState, the container waits with the reason (ImagePullBackOff for a pull), whatever the restart policy,
   *   and the pod worker tries again after its back-off period (pod_workers.go backOffPeriod, 10 s);
   * - it was created but could not start (the command cannot be executed: RunContainerError): the runtime reports it
   *   exited with 128, reason StartError (containerd's wording), and the restart policy applies; while a restart
   *   waits out its back-off the container shows RunContainerError.
   */
  private onStartFailed(name: string, instance: number, reason: string, message: string): void {
    const found = this.current(name, instance);
    if (!found || found.rec.state.type !== 'starting') return;
    const { entry, rec } = found;
    this.event('Warning', 'Failed', `Error: ${message}`, entry);
    if (reason !== 'RunContainerError') {
      rec.instance -= 1;
      // pkg/kubelet/images/image_manager.go: while a failed pull waits to be tried again the container shows
      // ImagePullBackOff, `Back-off pulling image "<image>"`.
      rec.state =
        reason === 'ErrImagePull'
          ? {
              type: 'waiting',
              reason: 'ImagePullBackOff',
              message: `Back-off pulling image ${JSON.stringify(entry.container.image ?? '')}`,
            }
          : { type: 'waiting', reason, message };
      if (this.winding) return;
      const at = this.now + this.ctx.settings.configErrorRetryMs;
      rec.restartTimer = { id: restartTimerId(name, rec.instance + 1), at };
      this.actions.push({ type: 'scheduleTimer', timerId: rec.restartTimer.id, at });
      return;
    }
    rec.state = {
      type: 'terminated',
      exitCode: 128,
      reason: 'StartError',
      message,
      finishedAt: this.now,
      instance,
    };
    if (this.winding || !restartsAfterExit(entry, this.pod.spec, 128)) return;
    this.scheduleRestart(entry, rec, this.now);
    const after = rec.state as ContainerRecord['state'];
    if (after.type === 'waiting') rec.state = { type: 'waiting', reason: 'RunContainerError', message };
  }

  private onProbeResult(
    name: string,
    instance: number,
    probe: 'startup' | 'readiness' | 'liveness',
    result: 'success' | 'failure',
  ): void {
    const found = this.current(name, instance);
    if (!found || found.rec.state.type !== 'running') return;
    const { entry, rec } = found;
    if (rec.probes[probe] === result) return;
    rec.probes[probe] = result;
    if (result === 'success' || probe === 'readiness') return;
    if (this.deleting || rec.killing) return;
    // prober_manager + computePodActions: a failed liveness or startup probe kills the container; it is restarted
    // (under the restart policy) with the usual back-off. The kill uses the probe's own grace when set.
    const spec = probeOf(entry.container, probe)!;
    const grace = spec.terminationGracePeriodSeconds ?? podGraceSeconds(this.pod.spec);
    const restarts = restartsAfterProbeKill(entry, this.pod.spec);
    const message = `Container ${name} failed ${probe} probe${restarts ? ', will be restarted' : ''}`;
    this.kill(entry, rec, probe === 'liveness' ? 'Liveness' : 'Startup', grace, message);
  }

  private onTimerDue(timerId: string): void {
    if (timerId === ACTIVE_DEADLINE_TIMER_ID) {
      if (this.winding) return;
      // pkg/kubelet/active_deadline.go: past spec.activeDeadlineSeconds the pod fails; its containers are killed.
      this.engine.deadlineExceeded = true;
      this.s.pod = { ...this.pod, status: { ...this.pod.status, phase: 'Failed' } };
      this.actions.push({
        type: 'recordEvent',
        eventType: 'Normal',
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      });
      return;
    }
    const rec = Object.values(this.engine.containers).find((c) => c.restartTimer?.id === timerId);
    if (!rec || !rec.restartTimer) return; // stale or duplicate
    const timer = rec.restartTimer;
    if (this.now < timer.at) return; // early delivery: the timer will be delivered again
    delete rec.restartTimer;
    if (this.winding) return;
    const entry = findEntry(this.pod.spec, rec.name)!;
    if (timer.backoff) rec.backoff = timer.backoff;
    this.startInstance(entry, rec);
  }

  /**
   * A ConfigMap or Secret was created or changed. A container that refers to it and waits with
   * CreateContainerConfigError for its retry (onStartFailed) is started again now, its retry timer cancelled; if the
   * reference still does not resolve, the start fails again and a new retry is scheduled. The kubelet retries such a
   * container at its next pod sync (pod_workers.go backOffPeriod, up to 10 s later; its configmap and secret
   * managers only feed a cache): podflow retries at once (docs/semantics.md §9).
   */
  private onConfigChanged(kind: 'ConfigMap' | 'Secret', name: string): void {
    if (this.winding) return;
    for (const { entry, rec } of this.records()) {
      const timer = rec.restartTimer;
      if (!timer || !containerWaitsOnConfig(entry.container as Container, rec, kind, name, this.pod))
        continue;
      delete rec.restartTimer;
      this.actions.push({ type: 'cancelTimer', timerId: timer.id });
      this.startInstance(entry, rec);
    }
  }

  /**
   * The eviction manager's emptyDir check (eviction_manager.go localStorageEviction → emptyDirLimitEviction): an
   * emptyDir over its sizeLimit evicts the pod — it fails with reason Evicted, a Warning `Evicted` event says why, and
   * its containers are stopped as for an exceeded deadline.
   */
  private onEmptyDirUsage(volume: string, usedBytes: number): void {
    if (this.stopping) return;
    const message = emptyDirEvictionMessage(this.pod, volume, usedBytes);
    if (message === undefined) return;
    this.engine.evicted = { message };
    this.s.pod = { ...this.pod, status: { ...this.pod.status, phase: 'Failed' } };
    this.actions.push({ type: 'recordEvent', eventType: 'Warning', reason: 'Evicted', message });
  }

  private onDeleteRequested(requestedGrace: number | undefined, requestedAt: number): void {
    const grace = deletionGraceSeconds(this.pod.spec, requestedGrace);
    // The API server stamps deletionTimestamp when the delete is requested, not when a kubelet gets to it.
    const deadline = Math.min(requestedAt, this.now) + grace * 1000;
    if (this.engine.deletion && deadline >= this.engine.deletion.deadline) return; // a delete may only shorten the grace
    this.engine.deletion = { requestedAt: Math.min(requestedAt, this.now), graceSeconds: grace, deadline };
    const metadata = {
      ...this.pod.metadata,
      deletionTimestamp: toRfc3339(deadline),
      deletionGracePeriodSeconds: grace,
    };
    this.s.pod = { ...this.pod, metadata };
    for (const { entry, rec } of this.records()) {
      const killGrace = killGraceSeconds(grace);
      if (rec.killing && rec.state.type === 'running' && killGrace < rec.killing.graceSeconds) {
        // A shorter grace (e.g. `--grace-period=0 --force`) overrides a kill already in progress.
        rec.killing.graceSeconds = killGrace;
        this.actions.push({
          type: 'stopContainer',
          container: rec.name,
          instance: rec.instance,
          graceSeconds: stopGraceSeconds(killGrace),
        });
      }
      const liveProbes = probeTypesOf(entry.container).filter((p) => p !== 'readiness');
      if (rec.state.type === 'running' && liveProbes.length > 0) {
        // Liveness and startup stop while the pod terminates; readiness keeps probing (docs/semantics.md §5).
        this.actions.push({
          type: 'stopProbes',
          container: rec.name,
          instance: rec.instance,
          probes: liveProbes,
        });
      }
    }
  }

  private onConditionsPatched(conditions: NonNullable<Pod['status']>['conditions']): void {
    let existing = this.pod.status?.conditions ?? [];
    for (const c of conditions ?? []) {
      if (KUBELET_CONDITIONS.has(c.type)) continue;
      existing = setPodCondition(existing, c, toRfc3339(this.now));
    }
    this.s.pod = { ...this.pod, status: { ...this.pod.status, conditions: existing } };
  }

  // ── what to start next ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Starts what may start now: init containers strictly one at a time in spec order (a sidecar counts as done once
   * started), then app containers in spec order, each after the previous one started (postStart included).
   * Declarative, so calling it after any event is safe.
   */
  advance(): void {
    if (!this.engine.sandboxReady || this.winding) return;
    this.startEphemeralContainers();
    for (const entry of containerEntries(this.pod.spec)) {
      const rec = this.engine.containers[entry.container.name]!;
      if (entry.kind === 'app' && !this.engine.initialized) {
        this.engine.initialized = true;
      }
      if (rec.instance < 0 && !rec.restartTimer) {
        this.startInstance(entry, rec);
        return;
      }
      if (!sequenceDone(entry, rec, this.engine.initialized)) return;
    }
  }

  /**
   * Ephemeral containers added to the spec (the ephemeralcontainers subresource) that have no record yet are started
   * now, whatever the start sequence is doing: kuberuntime_manager.go computePodActions puts every ephemeral container
   * without a status in EphemeralContainersToStart ("may be started even if initialization is not yet complete") and
   * SyncPod starts them before the init containers. Once started they are never started again (restartsAfterExit).
   */
  private startEphemeralContainers(): void {
    for (const entry of ephemeralEntries(this.pod.spec)) {
      if (this.engine.containers[entry.container.name]) continue;
      const rec: ContainerRecord = {
        name: entry.container.name,
        kind: 'ephemeral',
        instance: -1,
        state: { type: 'waiting', reason: 'ContainerCreating' },
        probes: {},
      };
      this.engine.containers[rec.name] = rec;
      this.startInstance(entry, rec);
    }
  }

  /**
   * After the status is recomputed: a pod that just turned terminal (or is being deleted) stops what still runs —
   * app and regular init containers first, sidecars last in reverse spec order — and, once nothing runs, ends.
   */
  settle(): void {
    if (!this.winding) {
      this.engine.stage = !this.engine.sandboxReady
        ? 'Pending'
        : this.engine.initialized
          ? 'Running'
          : 'Initializing';
      return;
    }
    this.engine.stage = 'Terminating';
    const grace = killGraceSeconds(remainingGraceSeconds(this.engine, this.pod.spec, this.now));
    for (const { rec } of this.records()) {
      if (rec.restartTimer) {
        this.actions.push({ type: 'cancelTimer', timerId: rec.restartTimer.id });
        delete rec.restartTimer;
      }
    }
    const live = this.records().filter(
      ({ rec }) => rec.state.type === 'running' || rec.state.type === 'starting',
    );
    const nonSidecars = live.filter(({ entry }) => entry.kind !== 'sidecar');
    for (const { entry, rec } of nonSidecars)
      this.kill(entry, rec, 'Delete', grace, `Stopping container ${rec.name}`);
    if (nonSidecars.length === 0) {
      // kuberuntime_termination_order.go: a sidecar gets SIGTERM once every container after it has exited.
      const lastSidecar = live.filter(({ entry }) => entry.kind === 'sidecar').at(-1);
      if (lastSidecar)
        this.kill(
          lastSidecar.entry,
          lastSidecar.rec,
          'Delete',
          grace,
          `Stopping container ${lastSidecar.rec.name}`,
        );
    }
    if (live.length > 0) return;
    this.engine.stage = 'Finished';
    if (this.deleting) {
      this.markNeverReportedAsLost();
      this.actions.push({ type: 'removeSandbox' }, { type: 'deletePod' });
    }
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  /** Every container that has a record: init and app containers always, ephemeral ones once picked up. */
  private records(): Array<{ entry: ContainerEntry; rec: ContainerRecord }> {
    return allContainerEntries(this.pod.spec).flatMap((entry) => {
      const rec = this.engine.containers[entry.container.name];
      return rec ? [{ entry, rec }] : [];
    });
  }

  /** The record if `instance` is the container's current instance; stale events find nothing. */
  private current(
    name: string,
    instance: number,
  ): { entry: ContainerEntry; rec: ContainerRecord } | undefined {
    const rec = this.engine.containers[name];
    const entry = findEntry(this.pod.spec, name);
    if (!rec || !entry || rec.instance !== instance) return undefined;
    return { entry, rec };
  }

  private startInstance(entry: ContainerEntry, rec: ContainerRecord): void {
    if (rec.state.type === 'terminated') {
      const { type: _type, ...last } = rec.state;
      rec.last = last;
    }
    rec.instance += 1;
    rec.state = { type: 'starting', requestedAt: this.now };
    rec.probes = {};
    delete rec.killing;
    this.actions.push({ type: 'startContainer', container: entry.container.name, instance: rec.instance });
  }

  private startProbes(entry: ContainerEntry, rec: ContainerRecord): void {
    const probes = probeTypesOf(entry.container);
    if (probes.length > 0)
      this.actions.push({ type: 'startProbes', container: rec.name, instance: rec.instance, probes });
  }

  private backoffSettings(): BackoffSettings {
    const tuned = backoffSettingsFor(this.pod.metadata?.annotations ?? {}, this.ctx.settings.backoff);
    return 'settings' in tuned ? tuned.settings : this.ctx.settings.backoff;
  }

  /**
   * kuberuntime_manager.go doBackOff: the first restart is immediate; later ones wait the current back-off
   * (10s doubling to 300s, reset after 600s of good running). The container shows CrashLoopBackOff meanwhile.
   */
  private scheduleRestart(entry: ContainerEntry, rec: ContainerRecord, finishedAt: number): void {
    const settings = this.backoffSettings();
    const key = backoffKey(this.pod, entry.container as Container);
    const previous =
      rec.backoff && rec.backoff.key === key
        ? { delayMs: rec.backoff.delayMs, lastUpdateMs: rec.backoff.lastUpdateMs }
        : undefined;
    const decision = decideRestart(previous, finishedAt, settings, this.now);
    const next = { key, delayMs: decision.entry.delayMs, lastUpdateMs: decision.entry.lastUpdateMs };
    if (decision.restartAtMs <= this.now) {
      rec.backoff = next;
      this.startInstance(entry, rec);
      return;
    }
    const { type: _type, ...last } = rec.state as Extract<ContainerRecord['state'], { type: 'terminated' }>;
    rec.last = last;
    rec.state = {
      type: 'waiting',
      reason: 'CrashLoopBackOff',
      message: backOffMessage(decision.delayMs, rec.name, this.pod),
    };
    rec.restartTimer = {
      id: restartTimerId(rec.name, rec.instance + 1),
      at: decision.restartAtMs,
      backoff: next,
    };
    this.actions.push({ type: 'scheduleTimer', timerId: rec.restartTimer.id, at: decision.restartAtMs });
    this.event(
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${rec.name} in pod ${formatPod(this.pod)}`,
      entry,
    );
  }

  /**
   * The image events of a start (images/image_manager.go EnsureImageExists): `Pulled … already present on
   * machine` when the runtime had the image, `Pulling` then `Pulled … in <duration>` when it pulled it.
   */
  private imageEvents(
    entry: ContainerEntry,
    image: Extract<PodEvent, { type: 'containerStarted' }>['image'],
  ): void {
    const ref = entry.container.image ?? '';
    if (image?.pulledInMs === undefined) {
      this.event('Normal', 'Pulled', `Container image "${ref}" already present on machine`, entry);
      return;
    }
    const took = formatGoDuration(image.pulledInMs);
    this.event('Normal', 'Pulling', `Pulling image "${ref}"`, entry);
    this.event(
      'Normal',
      'Pulled',
      `Successfully pulled image "${ref}" in ${took} (${took} including waiting)`,
      entry,
    );
  }

  /** Starts killing a live instance: preStop first when it has one (and there is grace for it), then SIGTERM. */
  private kill(
    entry: ContainerEntry,
    rec: ContainerRecord,
    reason: NonNullable<ContainerRecord['killing']>['reason'],
    graceSeconds: number,
    message: string,
    runPreStop = true,
  ): void {
    if (rec.killing || rec.state.type !== 'running') return;
    rec.killing = { reason, requestedAt: this.now, graceSeconds };
    this.event('Normal', 'Killing', message, entry);
    const preStop = entry.container.lifecycle?.preStop;
    if (runPreStop && preStop && graceSeconds > 0) {
      this.actions.push({
        type: 'runHook',
        hook: 'preStop',
        container: rec.name,
        instance: rec.instance,
        timeoutSeconds: graceSeconds,
      });
    } else {
      this.actions.push({
        type: 'stopContainer',
        container: rec.name,
        instance: rec.instance,
        graceSeconds: stopGraceSeconds(graceSeconds),
      });
    }
  }

  /** kubelet_pods.go: a container with no terminated state when its pod ends is reported lost (exit 137). */
  private markNeverReportedAsLost(): void {
    for (const { rec } of this.records()) {
      if (rec.state.type === 'terminated') continue;
      if (rec.state.type === 'waiting' && rec.last) {
        rec.state = { type: 'terminated', ...rec.last };
        continue;
      }
      if (rec.instance < 0) continue;
      rec.state = {
        type: 'terminated',
        exitCode: 137,
        reason: 'ContainerStatusUnknown',
        message: LOST_CONTAINER_MESSAGE,
        finishedAt: this.now,
        instance: rec.instance,
      };
    }
  }

  private event(
    eventType: 'Normal' | 'Warning',
    reason: string,
    message: string,
    entry?: ContainerEntry,
  ): void {
    this.actions.push({
      type: 'recordEvent',
      eventType,
      reason,
      message,
      ...(entry ? { fieldPath: entry.fieldPath } : {}),
    });
  }
}
