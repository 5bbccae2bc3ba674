// The pod worker's steps: what each Task state of the state machine does
// (docs/decisions/0002-pod-worker-state-machine.md). A step loads the pod, feeds its inbox to the pure core, commits
// the new state with one conditional write (consuming exactly the events it applied), carries out the actions, and
// returns a summary the Choice states route on.
import type { Action } from '../core/actions.ts';
import type { PodEvent } from '../core/pod-events.ts';
import { containerProgress, type ContainerProgress } from '../core/container-progress.ts';
import { remainingGraceSeconds } from '../core/grace.ts';
import { podSandboxConfig } from '../core/pod-sandbox.ts';
import type { PodState } from '../core/pod-state.ts';
import {
  admitPod,
  forceKillActions,
  reconcileAll,
  resumeActions,
  type ReconcileContext,
} from '../core/reconcile.ts';
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
  /** Lifecycle steps this execution ran so far (its history grows with each: continue-as-new bounds it). */
  steps?: number;
  /** When this execution started (`$$.Execution.StartTime`): continue-as-new also bounds its age. */
  startedAt?: string;
  /** The container a Map iteration is about. */
  container?: string;
  /** Await steps: the task token to complete when an event is (or becomes) pending. */
  token?: string;
  waitFor?: WaitFor;
}

/** What an await task waits for (informational: every await completes on any inbox event). */
export type WaitFor = 'initBackoff' | 'initContainer' | 'containerStart' | 'event' | 'termination';

export type ContainerOutcome = ContainerProgress;

export interface StepSummary {
  stage: PodState['engine']['stage'] | 'Gone';
  phase: string;
  deleting: boolean;
  steps: number;
  /**
   * Time to continue as a new execution: the history (steps) or the age passed its bound. The waiting loops and
   * the container Maps all route on it.
   */
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
  const steps = (input.steps ?? 0) + (input.step === 'await' ? 0 : 1);
  switch (input.step) {
    case 'await':
      await registerWait(deps, key, input.token ?? '');
      return {};
    case 'admit':
      return summarize(deps, input, steps, await commit(deps, key, [], admitIfNew));
    case 'sandbox': {
      const stored = await deps.store.get(key);
      if (!stored) return summarize(deps, input, steps, undefined);
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
      return summarize(deps, input, steps, await commit(deps, key, [ready]));
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
      return summarize(deps, input, steps, await commit(deps, key, [], admitIfNew));
    }
    case 'reconcile':
      return summarize(deps, input, steps, await commit(deps, key, []));
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
      return summarize(deps, input, steps, stored);
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
      return summarize(deps, input, steps, stored);
    }
    case 'continueAsNew':
      await startSuccessor(deps, input);
      return summarize(deps, input, steps, await deps.store.get(key));
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
const admitIfNew: Transition = (state, ctx) => {
  if (state.engine.scheduled) return undefined;
  const admitted = admitPod(state.pod, ctx);
  // A static pod's mirror identity (core/pod-state.ts `mirror`) was given at create: Admit keeps it.
  if (state.engine.mirror === undefined) return admitted;
  return {
    ...admitted,
    state: { ...admitted.state, engine: { ...admitted.state.engine, mirror: state.engine.mirror } },
  };
};

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

function summarize(
  deps: EngineDeps,
  input: StepInput,
  steps: number,
  stored: StoredPod | undefined,
): StepSummary {
  if (!stored) {
    return {
      stage: 'Gone',
      phase: 'Unknown',
      deleting: true,
      steps,
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
  const graceLeft = remainingGraceSeconds(state.engine, spec, deps.clock.now());
  return {
    stage: state.engine.stage,
    phase: state.pod.status?.phase ?? 'Pending',
    deleting: deletion !== undefined,
    steps,
    continueAsNew: shouldContinueAsNew(deps, input, steps),
    hasInitContainers: (spec.initContainers ?? []).length > 0,
    initContainers: (spec.initContainers ?? []).map((c) => ({ name: c.name })),
    appContainers: spec.containers.map((c) => ({ name: c.name })),
    ...(input.container ? { outcome: containerProgress(state, input.container) } : {}),
    graceSeconds: graceLeft + deps.settings.terminationMarginSeconds,
  };
}

/**
 * A Standard execution ends at 25,000 history events and after one year: continue as new before either, counting
 * every lifecycle step (each writes about seven events with its await and choice) and the execution's age.
 */
function shouldContinueAsNew(deps: EngineDeps, input: StepInput, steps: number): boolean {
  if (steps >= deps.settings.maxStepsPerExecution) return true;
  const startedAt = input.startedAt === undefined ? NaN : Date.parse(input.startedAt);
  return deps.clock.now() - startedAt >= deps.settings.maxExecutionAgeMs;
}
