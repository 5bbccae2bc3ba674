// Ephemeral containers in reconcile (kuberuntime_manager.go computePodActions / SyncPod): started once when added,
// whatever the start sequence is doing; never restarted; no part of the phase, readiness or the start sequence;
// stopped with the pod.
import type { EphemeralContainer, Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/core/actions.ts';
import { DEFAULT_ENGINE_SETTINGS } from '../../src/core/engine-settings.ts';
import type { PodEvent } from '../../src/core/pod-events.ts';
import { admittedPod, type PodState } from '../../src/core/pod-state.ts';
import { admitPod, reconcile, resumeActions } from '../../src/core/reconcile.ts';

const T0 = Date.UTC(2026, 0, 1);

function pod(spec: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: {
      restartPolicy: 'Always',
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      ...spec,
    },
  };
}

const debug = (name: string): EphemeralContainer => ({
  name,
  image: 'busybox',
  command: ['sh'],
  stdin: true,
  targetContainerName: 'app',
});

class Driver {
  state: PodState;
  now = T0;
  seq = 0;
  constructor(p: Pod) {
    this.state = admitPod(admittedPod(p), { now: this.now, settings: DEFAULT_ENGINE_SETTINGS }).state;
  }
  send(e: Record<string, unknown> & { type: PodEvent['type'] }, after = 10): Action[] {
    this.now += after;
    const ev = { id: `e${++this.seq}`, at: this.now, ...e } as Record<string, unknown>;
    if (typeof ev.container === 'string' && ev.instance === undefined)
      ev.instance = this.state.engine.containers[ev.container]!.instance;
    if (ev.type === 'containerStarted') ev.startedAt ??= this.now;
    if (ev.type === 'containerExited') ev.finishedAt ??= this.now;
    const r = reconcile(this.state, ev as unknown as PodEvent, {
      now: this.now,
      settings: DEFAULT_ENGINE_SETTINGS,
    });
    this.state = r.state;
    return r.actions;
  }
  /** What the subresource's update stores: the spec with the added containers (engine.updateEphemeralContainers). */
  add(...containers: EphemeralContainer[]): Action[] {
    const spec = this.state.pod.spec;
    this.state = {
      ...this.state,
      pod: {
        ...this.state.pod,
        spec: { ...spec, ephemeralContainers: [...(spec.ephemeralContainers ?? []), ...containers] },
      },
    };
    return this.send({ type: 'ephemeralContainersAdded', containers: containers.map((c) => c.name) });
  }
  ephemeral(name: string) {
    return this.state.pod.status?.ephemeralContainerStatuses?.find((c) => c.name === name);
  }
  ready(): string | undefined {
    return this.state.pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  }
}

const starts = (actions: Action[]) =>
  actions.filter((a) => a.type === 'startContainer').map((a) => `${a.container}/${a.instance}`);

/** A running pod: sandbox up, app started. */
function running(p = pod()): Driver {
  const d = new Driver(p);
  d.send({ type: 'sandboxReady', podIP: '10.0.0.2' });
  d.send({ type: 'containerStarted', container: 'app' });
  return d;
}

describe('ephemeral containers in reconcile', () => {
  it('an added ephemeral container is started once, with its events on spec.ephemeralContainers{…}', () => {
    const d = running();
    const actions = d.add(debug('debugger'));
    expect(starts(actions)).toEqual(['debugger/0']);
    expect(d.ephemeral('debugger')?.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    const started = d.send({ type: 'containerStarted', container: 'debugger' });
    expect(started.filter((a) => a.type === 'recordEvent').map((a) => `${a.reason} ${a.fieldPath}`)).toEqual([
      'Pulled spec.ephemeralContainers{debugger}',
      'Created spec.ephemeralContainers{debugger}',
      'Started spec.ephemeralContainers{debugger}',
    ]);
    expect(d.ephemeral('debugger')).toMatchObject({
      name: 'debugger',
      ready: false,
      restartCount: 0,
      state: { running: {} },
    });
    // `started` comes from the prober manager, which does not see ephemeral containers.
    expect(d.ephemeral('debugger')).not.toHaveProperty('started');
  });

  it.each([
    { name: 'exit 0 under restartPolicy Always', exitCode: 0, reason: 'Completed' },
    { name: 'exit 1 under restartPolicy Always', exitCode: 1, reason: 'Error' },
  ])('never restarted: $name', ({ exitCode, reason }) => {
    const d = running();
    d.add(debug('debugger'));
    d.send({ type: 'containerStarted', container: 'debugger' });
    const actions = d.send({ type: 'containerExited', container: 'debugger', exitCode });
    expect(starts(actions)).toEqual([]);
    expect(actions.filter((a) => a.type === 'scheduleTimer')).toEqual([]);
    expect(d.ephemeral('debugger')).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode, reason } },
    });
    // Later events start nothing either.
    expect(starts(d.send({ type: 'conditionsPatched', conditions: [] }))).toEqual([]);
    expect(d.state.pod.status?.phase).toBe('Running');
    expect(d.ready()).toBe('True');
  });

  it('a start that cannot be executed (StartError) is not retried', () => {
    const d = running();
    d.add(debug('debugger'));
    const actions = d.send({
      type: 'containerStartFailed',
      container: 'debugger',
      reason: 'RunContainerError',
      message: 'exec: "nope": executable file not found in $PATH',
    });
    expect(starts(actions)).toEqual([]);
    expect(d.ephemeral('debugger')?.state?.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
  });

  it('neither the phase nor readiness depends on it', () => {
    const d = running();
    expect(d.ready()).toBe('True');
    d.add(debug('debugger'));
    expect(d.ready()).toBe('True');
    d.send({ type: 'containerStarted', container: 'debugger' });
    expect([d.state.pod.status?.phase, d.ready()]).toEqual(['Running', 'True']);
    expect(d.state.pod.status?.containerStatuses?.map((c) => c.name)).toEqual(['app']);
  });

  it('a pod whose app container finished for good stops its running ephemeral container and ends', () => {
    const d = running(pod({ restartPolicy: 'Never' }));
    d.add(debug('debugger'));
    d.send({ type: 'containerStarted', container: 'debugger' });
    const actions = d.send({ type: 'containerExited', container: 'app', exitCode: 0 });
    expect(d.state.pod.status?.phase).toBe('Succeeded');
    expect(actions.filter((a) => a.type === 'stopContainer').map((a) => a.container)).toEqual(['debugger']);
    d.send({ type: 'containerExited', container: 'debugger', exitCode: 137 });
    expect(d.state.engine.stage).toBe('Finished');
  });

  it('is started while an init container still runs (computePodActions: before initialization completes)', () => {
    const d = new Driver(
      pod({ initContainers: [{ name: 'init', image: 'busybox', command: ['sleep', '60'] }] }),
    );
    d.send({ type: 'sandboxReady', podIP: '10.0.0.2' });
    d.send({ type: 'containerStarted', container: 'init' });
    expect(starts(d.add(debug('debugger')))).toEqual(['debugger/0']);
    expect(d.state.pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('False');
  });

  it('is not started in a pod that already finished', () => {
    const d = running(pod({ restartPolicy: 'Never' }));
    d.send({ type: 'containerExited', container: 'app', exitCode: 0 });
    expect(d.state.engine.stage).toBe('Finished');
    expect(starts(d.add(debug('late')))).toEqual([]);
    expect(d.ephemeral('late')).toBeUndefined();
  });

  it('a resumed worker starts an ephemeral container committed as starting', () => {
    const d = running();
    d.add(debug('debugger'));
    expect(resumeActions(d.state, d.now)).toContainEqual({
      type: 'startContainer',
      container: 'debugger',
      instance: 0,
    });
  });
});
