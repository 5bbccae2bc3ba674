// Pod conditions and Kubernetes Events of real pods (docs/semantics.md §3, §10; kubelet status/generate.go): all five
// conditions with their reasons, messages and transition times as the pod goes through init, running and
// termination, and the events the kubelet would record, read back through `store.listEvents`.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodState } from '../../src/core/pod-state.ts';
import {
  E2eEngine,
  condition,
  countAttempt,
  podManifest,
  restartCount,
  rfc3339Ms,
  sh,
  waitForLine,
} from './support.ts';

let e: E2eEngine;
beforeAll(async () => {
  e = await E2eEngine.start();
});
afterAll(async () => {
  await e?.close();
});

const CONDITION_TYPES = [
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
];

/** `Type=Status(Reason)` of every condition, for one state. */
const conditionLine = (s: PodState): string =>
  CONDITION_TYPES.map((t) => {
    const c = condition(s, t);
    return `${t}=${c?.status ?? '-'}${c?.reason ? `(${c.reason})` : ''}`;
  }).join(' ');

describe('conditions', () => {
  it('all five conditions with reasons, messages and transition times, from admission to termination', async () => {
    const createdAt = Date.now();
    const trapped = join(e.scratch, 'conds.trapped');
    await e.create(
      podManifest('conds', {
        initContainers: [sh('init', 'sleep 0.3')],
        containers: [sh('app', `trap 'exit 0' TERM; echo ready >> ${trapped}; sleep 30 & wait`)],
      }),
    );
    await e.waitForPod('conds', 'Ready', (s) => condition(s, 'Ready')?.status === 'True');
    // Ready is the exec: a SIGTERM before the shell set its trap would end it with 143 (Failed), not exit 0.
    await waitForLine(trapped, 'ready');
    await e.delete('conds');
    await e.waitForRemoval('conds');
    const history = e.history('conds').filter((s) => s.engine.scheduled);

    // The distinct condition sets the pod went through, in order.
    const lines = history.map(conditionLine).filter((l, i, all) => l !== all[i - 1]);
    expect(lines).toEqual([
      'PodReadyToStartContainers=False Initialized=False(ContainersNotInitialized) Ready=False(ContainersNotReady) ContainersReady=False(ContainersNotReady) PodScheduled=True',
      'PodReadyToStartContainers=True Initialized=False(ContainersNotInitialized) Ready=False(ContainersNotReady) ContainersReady=False(ContainersNotReady) PodScheduled=True',
      'PodReadyToStartContainers=True Initialized=True Ready=False(ContainersNotReady) ContainersReady=False(ContainersNotReady) PodScheduled=True',
      'PodReadyToStartContainers=True Initialized=True Ready=True ContainersReady=True PodScheduled=True',
      // Succeeded (every container exited 0 on SIGTERM): generate.go gives Initialized reason PodCompleted.
      // Terminal: the sandbox is gone (kubelet SyncTerminatingPod), so PodReadyToStartContainers is False.
      'PodReadyToStartContainers=False Initialized=True(PodCompleted) Ready=False(PodCompleted) ContainersReady=False(PodCompleted) PodScheduled=True',
    ]);
    // Messages of the False conditions, as generate.go writes them.
    const first = history[0]!;
    expect(condition(first, 'Initialized')?.message).toBe('containers with incomplete status: [init]');
    expect(condition(first, 'ContainersReady')?.message).toBe('containers with unready status: [app]');
    expect(condition(first, 'Ready')?.message).toBe('containers with unready status: [app]');

    // lastTransitionTime moves only when the status does, never backwards, and never before the pod existed or
    // after the state was committed; lastProbeTime stays null; startTime is set once.
    const snapshots = e.snapshots('conds').filter((s) => s.state.engine.scheduled);
    for (const type of CONDITION_TYPES) {
      let previous: { status?: string; at?: string } = {};
      for (const { state, seenAt } of snapshots) {
        const c = condition(state, type)!;
        expect(c.lastProbeTime ?? null).toBeNull();
        const at = rfc3339Ms(c.lastTransitionTime);
        expect(at).toBeGreaterThanOrEqual(Math.floor(createdAt / 1000) * 1000);
        expect(at).toBeLessThanOrEqual(seenAt);
        if (previous.status === c.status) expect(c.lastTransitionTime).toBe(previous.at);
        else if (previous.at) expect(at).toBeGreaterThanOrEqual(rfc3339Ms(previous.at));
        previous = { status: c.status, at: c.lastTransitionTime };
      }
    }
    const startTimes = new Set(snapshots.map((s) => s.state.pod.status?.startTime));
    expect(startTimes.size).toBe(1);
    // Initialized turned True no earlier than the init container's exit (second precision).
    const [init] = e.instances('conds', 'init');
    const initialized = snapshots.find((s) => condition(s.state, 'Initialized')?.status === 'True')!;
    expect(rfc3339Ms(condition(initialized.state, 'Initialized')?.lastTransitionTime)).toBeGreaterThanOrEqual(
      Math.floor(init!.finishedAt! / 1000) * 1000,
    );
  });
});

describe('events', () => {
  it('Scheduled, Created, Started, BackOff, FailedPostStartHook, FailedPreStopHook, Killing via store.listEvents', async () => {
    const attempts = join(e.scratch, 'eventful-attempts');
    const marker = join(e.scratch, 'eventful-poststart');
    const created = await e.create(
      podManifest('eventful', {
        terminationGracePeriodSeconds: 3,
        containers: [
          // Crashes twice (the second crash waits: BackOff), then runs.
          sh(
            'crasher',
            `${countAttempt(attempts)} sleep 0.1; [ $n -ge 3 ] || exit 1; trap 'exit 0' TERM; sleep 30 & wait`,
          ),
          {
            // postStart fails once (FailedPostStartHook), preStop always fails (FailedPreStopHook).
            ...sh('hooky', "trap 'exit 0' TERM; sleep 30 & wait"),
            lifecycle: {
              postStart: {
                exec: { command: ['sh', '-c', `[ -f ${marker} ] && exit 0; touch ${marker}; exit 1`] },
              },
              preStop: { exec: { command: ['sh', '-c', 'exit 1'] } },
            },
          },
        ],
      }),
    );
    await e.waitForPod(
      'eventful',
      'both running',
      (s) => restartCount(s, 'crasher') === 2 && condition(s, 'ContainersReady')?.status === 'True',
    );
    await e.delete('eventful');
    await e.waitForRemoval('eventful');
    await e.waitForEvent('eventful', 'FailedPreStopHook');

    // Events outlive the pod object.
    const events = await e.events('eventful');
    const uid = created.metadata!.uid!;
    for (const ev of events) {
      expect(ev).toMatchObject({
        namespace: 'default',
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'eventful', uid },
      });
      // The scheduler reports Scheduled (kube-scheduler's source has no host); the kubelet everything else.
      if (ev.reason === 'Scheduled') expect(ev.source?.component).toBe('default-scheduler');
      else expect(ev.source).toEqual({ component: 'kubelet', host: 'podflow-local' });
      expect(ev.count).toBeGreaterThanOrEqual(1);
      expect(rfc3339Ms(ev.lastTimestamp)).toBeGreaterThanOrEqual(rfc3339Ms(ev.firstTimestamp));
    }
    const find = (reason: string, container?: string) =>
      events.filter(
        (ev) =>
          ev.reason === reason &&
          (container === undefined
            ? ev.involvedObject.fieldPath === undefined
            : ev.involvedObject.fieldPath === `spec.containers{${container}}`),
      );
    expect(find('Scheduled')).toEqual([
      expect.objectContaining({
        type: 'Normal',
        message: 'Successfully assigned default/eventful to podflow-local',
        count: 1,
      }),
    ]);
    for (const name of ['crasher', 'hooky']) {
      expect(find('Created', name)).toEqual([
        expect.objectContaining({ type: 'Normal', message: `Created container: ${name}` }),
      ]);
      expect(find('Started', name)).toEqual([
        expect.objectContaining({ type: 'Normal', message: `Started container ${name}` }),
      ]);
      expect(find('Killing', name)).toEqual([
        expect.objectContaining({ type: 'Normal', message: `Stopping container ${name}` }),
      ]);
    }
    // Aggregated like the kubelet's event recorder: same object, reason and message → one Event, count grows.
    expect(find('Created', 'crasher')[0]!.count).toBe(3);
    expect(find('Started', 'crasher')[0]!.count).toBe(3);
    expect(find('Created', 'hooky')[0]!.count).toBe(2);
    expect(find('Killing', 'hooky')[0]!.count).toBe(2); // the postStart kill and the delete
    expect(find('BackOff', 'crasher')).toEqual([
      expect.objectContaining({
        type: 'Warning',
        message: `Back-off restarting failed container crasher in pod eventful_default(${uid})`,
        count: 1,
      }),
    ]);
    expect(find('FailedPostStartHook', 'hooky')).toEqual([
      expect.objectContaining({ type: 'Warning', count: 1 }),
    ]);
    // preStop runs on both kills (the postStart failure's goes through killContainer too) and fails both times.
    expect(find('FailedPreStopHook', 'hooky')).toEqual([
      expect.objectContaining({ type: 'Warning', count: 2 }),
    ]);
    // Oldest first: Scheduled comes before everything, Killing after every start.
    const reasons = events.map((ev) => ev.reason);
    expect(reasons[0]).toBe('Scheduled');
    expect(reasons.lastIndexOf('Started')).toBeLessThan(reasons.indexOf('FailedPreStopHook'));
  });
});
