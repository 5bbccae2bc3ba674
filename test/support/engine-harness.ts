// Drives the engine the way the pod worker state machine and the adapters would, one call at a time, on the fakes
// of engine-fakes.ts: `step('reconcile')` is a Task state, `exited('app', 1)` is the runtime's observation,
// `fireTimer(id)` is the scheduler's wake-up. Nothing runs in the background, so a test reads the store and the
// recorded port calls right after each call.
import type { Container, ContainerStatus, Pod, PodSpec } from 'kubernetes-types/core/v1';
import { defaultPod } from '../../src/core/manifest/default-pod.ts';
import type { PodState } from '../../src/core/pod-state.ts';
import { createEngine, type Engine } from '../../src/engine/create-engine.ts';
import type { StepInput, StepSummary, WaitFor, WorkerStep } from '../../src/engine/pod-worker.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import type { StoredEvent, StoredPod } from '../../src/ports/pod-store.ts';
import { createFakeEngineDeps, type FakeEngineDeps, type FakeEngineOptions } from './engine-fakes.ts';

export const NAMESPACE = 'default';
export const keyOf = (name: string): PodKey => ({ namespace: NAMESPACE, name });
/** Every pod's uid is derived from its name, so execution names and ids are predictable. */
export const uidOf = (name: string): string => `uid-${name}`;

/** A container running `sh -c script` (the fake runtime never runs it). */
export function container(name: string, extra: Partial<Container> = {}): Container {
  return { name, image: 'busybox:1.28', command: ['sh', '-c', 'true'], ...extra };
}

export class EngineHarness {
  readonly fakes: FakeEngineDeps;
  readonly engine: Engine;

  constructor(options: FakeEngineOptions = {}) {
    this.fakes = createFakeEngineDeps(options);
    this.engine = createEngine(this.fakes.deps);
  }

  get clock() {
    return this.fakes.clock;
  }
  get runtime() {
    return this.fakes.runtime;
  }
  get scheduler() {
    return this.fakes.scheduler;
  }
  get workflow() {
    return this.fakes.workflow;
  }
  get prober() {
    return this.fakes.prober;
  }
  get hooks() {
    return this.fakes.hooks;
  }
  get store() {
    return this.fakes.store;
  }

  /** A pod as the API server stores it on create (defaulted: uid, creationTimestamp, grace, policies…). */
  pod(name: string, spec: Partial<PodSpec> = {}, metadata: Pod['metadata'] = {}): Pod {
    return defaultPod(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: NAMESPACE, ...metadata },
        spec: { containers: [container('app')], ...spec },
      },
      { now: this.clock.now(), newUid: () => uidOf(name) },
    );
  }

  input(name: string, step: WorkerStep, extra: Partial<StepInput> = {}): StepInput {
    return { pod: { ...keyOf(name), uid: uidOf(name) }, seq: 0, step, ...extra };
  }

  /** Runs one step as a Task state would and returns its summary. */
  async step(name: string, step: Exclude<WorkerStep, 'await'>, extra: Partial<StepInput> = {}) {
    return (await this.engine.step(this.input(name, step, extra))) as StepSummary;
  }

  /** The SuperviseAwait / AwaitInitContainer / TerminateAwait step with a task token. */
  async await(name: string, token: string, waitFor: WaitFor = 'event'): Promise<void> {
    await this.engine.step(this.input(name, 'await', { token, waitFor }));
  }

  /** createPod, then the Admit and Sandbox steps; returns the Sandbox summary. */
  async createAndStart(pod: Pod): Promise<StepSummary> {
    await this.engine.createPod(pod);
    const name = pod.metadata!.name!;
    await this.step(name, 'admit');
    return this.step(name, 'sandbox');
  }

  async stored(name: string): Promise<StoredPod> {
    const stored = await this.store.get(keyOf(name));
    if (!stored) throw new Error(`pod ${name} is not stored`);
    return stored;
  }

  async state(name: string): Promise<PodState> {
    return (await this.stored(name)).state;
  }

  /** The container's status as the stored pod shows it (init or app). */
  async status(name: string, containerName: string): Promise<ContainerStatus> {
    const status = (await this.state(name)).pod.status ?? {};
    const found = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].find(
      (c) => c.name === containerName,
    );
    if (!found) throw new Error(`pod ${name} has no status for container ${containerName}`);
    return found;
  }

  async condition(name: string, type: string): Promise<string | undefined> {
    const conditions = (await this.state(name)).pod.status?.conditions ?? [];
    return conditions.find((c) => c.type === type)?.status;
  }

  async events(name: string): Promise<StoredEvent[]> {
    return this.store.listEvents(NAMESPACE, name);
  }

  async eventReasons(name: string): Promise<string[]> {
    return (await this.events(name)).map((e) => e.reason);
  }

  private async instanceOf(name: string, containerName: string): Promise<number> {
    return (await this.state(name)).engine.containers[containerName]!.instance;
  }

  private ref(name: string, containerName: string, instance: number) {
    return { key: keyOf(name), podUid: uidOf(name), container: containerName, instance };
  }

  /** The runtime reports an instance started (default: the container's current instance), `after` ms from now. */
  async started(name: string, containerName: string, options: { instance?: number; after?: number } = {}) {
    this.clock.advance(options.after ?? 0);
    const instance = options.instance ?? (await this.instanceOf(name, containerName));
    await this.engine.onObservation({
      type: 'started',
      ref: this.ref(name, containerName, instance),
      startedAt: this.clock.now(),
    });
  }

  /** The runtime reports an instance exited (default: the current instance), `after` ms from now. */
  async exited(
    name: string,
    containerName: string,
    exitCode: number,
    options: { instance?: number; after?: number; startedAt?: number } = {},
  ) {
    this.clock.advance(options.after ?? 0);
    const instance = options.instance ?? (await this.instanceOf(name, containerName));
    await this.engine.onObservation({
      type: 'exited',
      ref: this.ref(name, containerName, instance),
      exitCode,
      oomKilled: false,
      startedAt: options.startedAt ?? this.clock.now(),
      finishedAt: this.clock.now(),
    });
  }

  /** Moves the clock to the pending timer's instant (if later) and delivers it as the scheduler would. */
  async fireTimer(name: string, timerId: string): Promise<void> {
    const timer = this.scheduler.take(keyOf(name), timerId);
    if (!timer) throw new Error(`pod ${name} has no pending timer ${timerId}`);
    if (timer.at > this.clock.now()) this.clock.set(timer.at);
    await this.engine.onTimerDue({ key: timer.key, timerId, dueAt: timer.at });
  }
}
