// The pod worker's steps: what each Task state of the state machine does
// (docs/decisions/0002-pod-worker-state-machine.md). A step loads the pod, feeds its inbox to the pure core, commits
// the new state with one conditional write (consuming exactly the events it applied), carries out the actions, and
// returns a summary the Choice states route on.
import type { Action } from '../core/actions.ts';
import type { PodEvent } from '../core/pod-events.ts';
import { podSandboxConfig } from '../core/pod-sandbox.ts';
import { containerEntries } from '../core/pod-spec.ts';
import type { PodState } from '../core/pod-state.ts';
import { admitPod, reconcileAll, resumeActions, type ReconcileContext } from '../core/reconcile.ts';
import { isConflict, isNotFound } from '../ports/errors.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { StoredPod } from '../ports/pod-store.ts';
import type { WorkerInput } from '../ports/workflow-client.ts';
import type { EngineDeps } from './engine-deps.ts';
import { executeActions } from './execute-actions.ts';

export type WorkerStep =
  'admit' | 'sandbox' | 'resume' | 'reconcile' | 'forceKill' | 'finalize' | 'continueAsNew' | 'await';

export interface StepInput extends WorkerInput {
  step: WorkerStep;
  /** Supervise loops so far in this execution. */
  loops?: number;
  /** The container a Map iteration is about. */
  container?: string;
  /** Await steps: the task token to complete when an event is (or becomes) pending. */
  token?: string;
  waitFor?: WaitFor;
}

/** What an await task waits for (informational: every await completes on any inbox event). */
export type WaitFor = 'initBackoff' | 'initContainer' | 'containerStart' | 'event' | 'termination';

export type ContainerOutcome = 'done' | 'waiting' | 'backoff' | 'winding';

export interface StepSummary {
  stage: PodState['engine']['stage'] | 'Gone';
  phase: string;
  deleting: boolean;
  loops: number;
  continueAsNew: boolean;
  hasInitContainers: boolean;
  initContainers: Array<{ name: string }>;
  appContainers: Array<{ name: string }>;
  outcome?: ContainerOutcome;
  /** Grace left for termination plus the margin (informational: the definition polls every 30 s). */
  graceSeconds: number;
}

/** DynamoDbPodStore's MAX_CONSUMED_EVENTS_PER_UPDATE (a 4 KB update expression) with room to spare. */
const MAX_EVENTS_PER_COMMIT = 200;

/** Conflicting writers retry; more than this many conflicts in a row means something is badly wrong. */
const MAX_COMMIT_ATTEMPTS = 50;

export async function runWorkerStep(
  deps: EngineDeps,
  input: StepInput,
): Promise<StepSummary | Record<string, never>> {
  const key: PodKey = { namespace: input.pod.namespace, name: input.pod.name };
  const loops = (input.loops ?? 0) + (input.step === 'reconcile' && !input.container ? 1 : 0);
  switch (input.step) {
    case 'await':
      await registerWait(deps, key, input.token ?? '');
      return {};
    case 'admit':
      return summarize(deps, input, loops, await commit(deps, key, [], admitIfNew));
    case 'sandbox': {
      const stored = await deps.store.get(key);
      if (!stored) return summarize(deps, input, loops, undefined);
      // kuberuntime_sandbox.go generatePodSandboxConfig: hostname, host network, port mappings.
      const { podIP } = await deps.runtime.createSandbox(
        { key, uid: input.pod.uid },
        podSandboxConfig(stored.state.pod),
      );
      const ready: PodEvent = {
        id: `${input.pod.uid}/sandboxReady`,
        at: deps.clock.now(),
        type: 'sandboxReady',
        podIP,
      };
      return summarize(deps, input, loops, await commit(deps, key, [ready]));
    }
    case 'resume': {
      // The previous worker may have died between committing a state and carrying out its actions: re-issue the
      // idempotent actions the state implies, then apply whatever is pending.
      const stored = await deps.store.get(key);
      if (stored)
        await executeActions(
          deps,
          key,
          stored.state,
          resumeActions(stored.state, deps.clock.now()),
          `${input.pod.uid}/${stored.resourceVersion}/resume`,
        );
      // A pod whose engine died between the create and its Admit step was never admitted: admit it now.
      return summarize(deps, input, loops, await commit(deps, key, [], admitIfNew));
    }
    case 'reconcile':
      return summarize(deps, input, loops, await commit(deps, key, []));
    case 'forceKill': {
      const stored = await deps.store.get(key);
      if (stored)
        await executeActions(
          deps,
          key,
          stored.state,
          forceKillActions(stored.state, deps.clock.now(), deps.settings.terminationMarginSeconds),
          `${input.pod.uid}/${stored.resourceVersion}/forceKill`,
        );
      return summarize(deps, input, loops, stored);
    }
    case 'finalize': {
      let stored = await deps.store.get(key);
      // A deleted pod whose removal did not happen (the store refused it, or the Task was retried after the commit
      // that finished the pod): remove it now.
      if (stored && stored.state.engine.stage === 'Finished' && stored.state.engine.deletion) {
        await executeActions(
          deps,
          key,
          stored.state,
          resumeActions(stored.state, deps.clock.now()),
          `${input.pod.uid}/${stored.resourceVersion}/finalize`,
        );
        stored = await deps.store.get(key);
      }
      // An event that arrived after the last reconcile (a delete of a finished pod) gets a worker of its own.
      if (stored && stored.inbox.length > 0) await startSuccessor(deps, input);
      return summarize(deps, input, loops, stored);
    }
    case 'continueAsNew':
      await startSuccessor(deps, input);
      return summarize(deps, input, loops, await deps.store.get(key));
  }
}

/** Starts the next execution of this pod's worker (continue-as-new): same pod, seq + 1, resuming. */
async function startSuccessor(deps: EngineDeps, input: StepInput): Promise<void> {
  const seq = input.seq + 1;
  await deps.workflow.startExecution(`${input.pod.uid}-${seq}`, { pod: input.pod, seq, resume: true });
}

/** docs/architecture.md §3: register the token, or — if events are already pending — complete it at once. */
async function registerWait(deps: EngineDeps, key: PodKey, token: string): Promise<void> {
  try {
    const { registered } = await deps.store.registerWait(key, token);
    if (registered) return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await deps.workflow.sendTaskSuccess(token);
}

type Transition = (
  state: PodState,
  ctx: ReconcileContext,
) => { state: PodState; actions: Action[] } | undefined;

/** The Admit transition, for a pod no worker admitted yet (also on resume: the engine may have died before Admit). */
const admitIfNew: Transition = (state, ctx) =>
  state.engine.scheduled ? undefined : admitPod(state.pod, ctx);

/**
 * Applies the pending inbox, then `extra` events, to the stored state and commits it, conditional on the
 * resourceVersion it read; on a conflict it re-reads and re-applies. Actions run only after the commit.
 */
async function commit(
  deps: EngineDeps,
  key: PodKey,
  extra: PodEvent[],
  transition?: Transition,
): Promise<StoredPod | undefined> {
  for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
    const stored = await deps.store.get(key);
    if (!stored) return undefined;
    const ctx: ReconcileContext = { now: deps.clock.now(), settings: deps.settings };
    // One conditional write can consume a bounded number of events; the rest wait for the next loop.
    const inbox = stored.inbox.slice(0, MAX_EVENTS_PER_COMMIT);
    // `extra` (the sandbox becoming ready) is observed now, after everything already in the inbox: applied first, it
    // would start a container of a pod whose deletion or active deadline came before it.
    const events = [...inbox, ...extra];
    const first = transition ? transition(stored.state, ctx) : undefined;
    if (!first && events.length === 0) return stored;
    const base = first?.state ?? stored.state;
    const result = events.length > 0 ? reconcileAll(base, events, ctx) : { state: base, actions: [] };
    const actions = [...(first?.actions ?? []), ...result.actions];
    let saved: StoredPod;
    try {
      saved = await deps.store.update(
        key,
        stored.resourceVersion,
        result.state,
        inbox.map((e) => e.id),
      );
    } catch (err) {
      if (isConflict(err)) continue;
      if (isNotFound(err)) return undefined;
      throw err;
    }
    await executeActions(
      deps,
      key,
      result.state,
      actions,
      `${result.state.pod.metadata.uid}/${saved.resourceVersion}`,
    );
    // deletePod removed the object: report it gone.
    return actions.some((a) => a.type === 'deletePod') ? undefined : saved;
  }
  throw new Error(
    `pod ${key.namespace}/${key.name}: gave up after ${MAX_COMMIT_ATTEMPTS} conflicting writes`,
  );
}

/**
 * Terminate's await is a safety poll (every 30 s): the runtime's stop already escalates SIGTERM → SIGKILL. Only a
 * container still running past its kill deadline plus the margin gets an explicit SIGKILL.
 */
function forceKillActions(state: PodState, now: number, marginSeconds: number): Action[] {
  return Object.values(state.engine.containers)
    .filter(
      (rec) =>
        rec.state.type === 'running' &&
        rec.killing &&
        now > rec.killing.requestedAt + (rec.killing.graceSeconds + marginSeconds) * 1000,
    )
    .map((rec) => ({ type: 'stopContainer', container: rec.name, instance: rec.instance, graceSeconds: 0 }));
}

function containerOutcome(state: PodState, name: string): ContainerOutcome {
  const { engine } = state;
  if (engine.deletion || engine.stage === 'Terminating' || engine.stage === 'Finished') return 'winding';
  const rec = engine.containers[name];
  const entry = containerEntries(state.pod.spec).find((e) => e.container.name === name);
  if (!rec || !entry) return 'done';
  if (rec.restartTimer) return 'backoff';
  switch (entry.kind) {
    case 'init':
      return rec.state.type === 'terminated' && rec.state.exitCode === 0 ? 'done' : 'waiting';
    case 'sidecar':
      return engine.initialized || (rec.state.type === 'running' && rec.state.postStartDone)
        ? 'done'
        : 'waiting';
    case 'app':
      // Started (postStart included), or already past it: the next container may start.
      if (rec.state.type === 'starting' || (rec.state.type === 'waiting' && rec.instance < 0))
        return 'waiting';
      if (rec.state.type === 'running' && !rec.state.postStartDone && !rec.state.hookError) return 'waiting';
      return 'done';
  }
}

function summarize(
  deps: EngineDeps,
  input: StepInput,
  loops: number,
  stored: StoredPod | undefined,
): StepSummary {
  if (!stored) {
    return {
      stage: 'Gone',
      phase: 'Unknown',
      deleting: true,
      loops,
      continueAsNew: false,
      hasInitContainers: false,
      initContainers: [],
      appContainers: [],
      graceSeconds: 1,
      ...(input.container ? { outcome: 'winding' as const } : {}),
    };
  }
  const { state } = stored;
  const spec = state.pod.spec;
  const deletion = state.engine.deletion;
  const graceLeft = deletion
    ? Math.max(0, Math.ceil((deletion.deadline - deps.clock.now()) / 1000))
    : (spec.terminationGracePeriodSeconds ?? 30);
  return {
    stage: state.engine.stage,
    phase: state.pod.status?.phase ?? 'Pending',
    deleting: deletion !== undefined,
    loops,
    continueAsNew: loops >= deps.settings.maxSuperviseLoops,
    hasInitContainers: (spec.initContainers ?? []).length > 0,
    initContainers: (spec.initContainers ?? []).map((c) => ({ name: c.name })),
    appContainers: spec.containers.map((c) => ({ name: c.name })),
    ...(input.container ? { outcome: containerOutcome(state, input.container) } : {}),
    graceSeconds: graceLeft + deps.settings.terminationMarginSeconds,
  };
}
