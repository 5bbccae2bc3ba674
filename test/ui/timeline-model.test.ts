// What the timeline picture shows (src/ui/model/timeline-model.ts), from PodTimeline documents of the golden
// scenarios' states (src/core/pod-timeline.ts) and hand-made events.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { podTimeline } from '../../src/core/pod-timeline.ts';
import { formatDuration, formatOffset } from '../../src/ui/model/format.ts';
import { listQuery, podRow } from '../../src/ui/model/pod-rows.ts';
import { buildTimelineModel, withFinalStatus } from '../../src/ui/model/timeline-model.ts';
import { parseWatchLine, splitLines } from '../../src/ui/model/watch-lines.ts';
import { runScenario, type Scenario } from '../support/scenario.ts';

const START = Date.UTC(2026, 0, 1);
const outcomesOf = (name: string) =>
  runScenario(
    parse(
      readFileSync(join(import.meta.dirname, '..', 'golden', 'scenarios', `${name}.yaml`), 'utf8'),
    ) as Scenario,
    START,
  );

describe('timeline model', () => {
  it('puts init containers strictly before the app, waiting PodInitializing until then', () => {
    const final = outcomesOf('init-sequence-success').at(-1)!.state;
    const m = buildTimelineModel({
      timeline: podTimeline(final, '1', START + 5000),
      events: [],
      now: START + 5000,
    });
    const [svc, db, app] = m.containers;
    expect(m.containers.map((c) => [c.name, c.kind])).toEqual([
      ['init-myservice', 'init'],
      ['init-mydb', 'init'],
      ['myapp-container', 'app'],
    ]);
    expect(svc!.instances[0]!.exit).toMatchObject({ code: 0, reason: 'Completed' });
    expect(db!.instances[0]!.requestedAt).toBeGreaterThanOrEqual(svc!.instances[0]!.end);
    expect(app!.instances[0]!.requestedAt).toBeGreaterThanOrEqual(db!.instances[0]!.end);
    expect(app!.waits[0]).toMatchObject({ from: START, reason: 'PodInitializing' });
    expect(app!.instances[0]!.bands.map((b) => b.level)).toEqual(['ready']);
    expect(app!.instances[0]!.end).toBe(START + 5000);
    expect(m.conditions.map((c) => c.type)).toEqual([
      'PodScheduled',
      'PodReadyToStartContainers',
      'Initialized',
      'ContainersReady',
      'Ready',
    ]);
  });

  it('shows a crash loop: an instance per start, doubling back-off gaps, the live wait', () => {
    const outcomes = outcomesOf('crash-loop-backoff');
    const waiting = outcomes.filter((o) => o.state.engine.containers.app!.restartTimer).at(4)!;
    const now = waiting.t + START + 1000;
    const m = buildTimelineModel({ timeline: podTimeline(waiting.state, '1', now), events: [], now });
    const app = m.containers[0]!;
    expect(app.instances.length).toBeGreaterThanOrEqual(5);
    const delays = app.instances.filter((i) => i.backoff).map((i) => i.backoff!.delayMs);
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000]);
    const lastGap = app.instances.at(-1)!.backoff!;
    expect(lastGap).toMatchObject({ waiting: true, to: now });
    for (const i of app.instances.slice(0, -1)) expect(i.exit).toMatchObject({ code: 1, reason: 'Error' });
  });

  it('shows the grace window of a deletion and, once removed, the exits the last object reports', () => {
    const outcomes = outcomesOf('graceful-termination');
    const deleting = outcomes.find((o) => o.state.engine.deletion)!.state;
    const timeline = podTimeline(deleting, '1', START + 6000);
    const live = buildTimelineModel({ timeline, events: [], now: START + 6000 });
    expect(live.deletion).toMatchObject({ graceSeconds: 30, to: START + 6000 });
    expect(live.containers[0]!.instances[0]!.exit).toBeUndefined();
    const lastPod: Pod = {
      ...deleting.pod,
      status: {
        containerStatuses: [
          {
            name: 'server',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            containerID: `podflow://${deleting.pod.metadata.uid}/server/0`,
            state: {
              terminated: { exitCode: 143, signal: 15, reason: 'Error', finishedAt: '2026-01-01T00:00:05Z' },
            },
          },
        ],
      },
    };
    const removed = buildTimelineModel({
      timeline: withFinalStatus(timeline, lastPod),
      events: [],
      now: START + 7000,
      removedAt: START + 6500,
    });
    expect(removed.live).toBe(false);
    expect(removed.end).toBe(START + 6500);
    expect(removed.removedAt).toBe(START + 6500);
    expect(removed.containers[0]!.instances[0]!.exit).toMatchObject({ code: 143 });
  });

  it('places events of this pod only, with their container', () => {
    const final = outcomesOf('init-sequence-success').at(-1)!.state;
    const ev = (name: string, uid: string, fieldPath?: string): Event => ({
      metadata: { name },
      involvedObject: { uid, ...(fieldPath ? { fieldPath } : {}) },
      reason: 'Started',
      message: `m-${name}`,
      type: 'Normal',
      count: 2,
      firstTimestamp: '2026-01-01T00:00:01Z',
      lastTimestamp: '2026-01-01T00:00:02Z',
    });
    const m = buildTimelineModel({
      timeline: podTimeline(final, '1', START + 3000),
      events: [ev('a', final.pod.metadata.uid, 'spec.initContainers{init-mydb}'), ev('b', 'another-uid')],
      now: START + 3000,
    });
    expect(m.events).toEqual([
      expect.objectContaining({
        key: 'a/Started/spec.initContainers{init-mydb}',
        at: START + 2000,
        first: START + 1000,
        count: 2,
        container: 'init-mydb',
      }),
    ]);
  });
});

describe('formatting and the pods list', () => {
  it.each([
    [0, '0ms'],
    [200, '200ms'],
    [1500, '1.5s'],
    [12_340, '12.3s'],
    [125_000, '2m5s'],
  ])('formats %i ms as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('formats offsets with a sign', () => {
    expect(formatOffset(0)).toBe('+0');
    expect(formatOffset(400)).toBe('+400ms');
  });

  it('turns the filters into selectors the API applies', () => {
    expect(listQuery({ labelSelector: ' app=myapp ', phase: 'Running' }).toString()).toBe(
      'labelSelector=app%3Dmyapp&fieldSelector=status.phase%3DRunning',
    );
    expect(listQuery({ labelSelector: '', phase: '' }).toString()).toBe('');
  });

  it('reads a row as kubectl get pods does', () => {
    const final = outcomesOf('init-sequence-success').at(-1)!.state;
    const row = podRow(
      { ...final.pod, metadata: { ...final.pod.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } },
      START + 65_000,
    );
    expect(row).toMatchObject({
      key: 'default/myapp-pod',
      phase: 'Running',
      status: 'Running',
      ready: '1/1',
      age: '65s',
    });
  });

  it('splits a watch stream into whole lines', () => {
    const a = splitLines('', '{"type":"ADDED","object":1}\n{"type":"MOD');
    expect(a.lines.map((l) => parseWatchLine<number>(l)?.type)).toEqual(['ADDED']);
    const b = splitLines(a.rest, 'IFIED","object":2}\n');
    expect(b.lines.map((l) => parseWatchLine<number>(l)?.object)).toEqual([2]);
    expect(b.rest).toBe('');
    expect(parseWatchLine('not json')).toBeUndefined();
  });
});
