// An ephemeral container in the pod timeline: a lane from the moment it was added (no wait before it existed), its
// instance started and ended, and the pod's other lanes as before.
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SETTINGS } from '../../src/core/engine-settings.ts';
import type { PodEvent } from '../../src/core/pod-events.ts';
import { admittedPod, type PodState } from '../../src/core/pod-state.ts';
import { podTimeline } from '../../src/core/pod-timeline.ts';
import { admitPod, reconcile } from '../../src/core/reconcile.ts';
import { buildTimelineModel } from '../../src/ui/model/timeline-model.ts';

const T0 = Date.UTC(2026, 0, 1);
const POD: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'uid-1', creationTimestamp: new Date(T0).toISOString() },
  spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
};

describe('ephemeral containers in the timeline', () => {
  it('get a lane that starts when they were added', () => {
    const settings = DEFAULT_ENGINE_SETTINGS;
    let state: PodState = admitPod(admittedPod(POD), { now: T0, settings }).state;
    let seq = 0;
    const send = (at: number, e: Record<string, unknown>) => {
      state = reconcile(state, { id: `e${++seq}`, at, ...e } as unknown as PodEvent, {
        now: at,
        settings,
      }).state;
    };
    send(T0 + 10, { type: 'sandboxReady', podIP: '10.0.0.2' });
    send(T0 + 20, { type: 'containerStarted', container: 'app', instance: 0, startedAt: T0 + 20 });
    state = {
      ...state,
      pod: {
        ...state.pod,
        spec: { ...state.pod.spec, ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] },
      },
    };
    send(T0 + 60_000, { type: 'ephemeralContainersAdded', containers: ['dbg'] });
    send(T0 + 60_010, { type: 'containerStarted', container: 'dbg', instance: 0, startedAt: T0 + 60_010 });
    send(T0 + 70_000, {
      type: 'containerExited',
      container: 'dbg',
      instance: 0,
      exitCode: 0,
      finishedAt: T0 + 70_000,
    });

    const timeline = podTimeline(state, '1', T0 + 80_000);
    expect(timeline.containers.map((c) => [c.name, c.kind])).toEqual([
      ['app', 'app'],
      ['dbg', 'ephemeral'],
    ]);
    const model = buildTimelineModel({ timeline, events: [], now: T0 + 80_000 });
    const lane = model.containers.find((c) => c.name === 'dbg')!;
    // Only its own creation: nothing from the pod's start to when it was added.
    expect(lane.waits).toEqual([{ from: T0 + 60_000, to: T0 + 60_010, reason: 'ContainerCreating' }]);
    expect(lane.instances).toHaveLength(1);
    expect(lane.instances[0]).toMatchObject({
      requestedAt: T0 + 60_000,
      runningAt: T0 + 60_010,
      exit: { at: T0 + 70_000, code: 0 },
    });
  });
});
