import { describe, expect, it } from 'vitest';
import {
  BACKOFF_RESET_MS,
  CRASH_BACKOFF_INITIAL_ANNOTATION,
  CRASH_BACKOFF_MAX_ANNOTATION,
  CRASH_BACKOFF_RESET_ANNOTATION,
  DEFAULT_BACKOFF,
  INITIAL_BACKOFF_MS,
  MAX_BACKOFF_MS,
  backOffMessage,
  backoffKey,
  backoffSettingsFor,
  decideRestart,
  formatPod,
  hashContainerSpec,
  isInBackOff,
  nextBackoff,
} from '../../src/core/backoff.ts';
import type { BackoffEntry, BackoffSettings } from '../../src/core/backoff.ts';
import { formatFieldError } from '../../src/core/field-errors.ts';

const s = (seconds: number): number => seconds * 1000;
const T0 = Date.UTC(2025, 0, 1); // any fixed epoch; time is injected

const pod = { metadata: { name: 'web', namespace: 'default', uid: '0b6d2c1e-5f6a-4c2b-9a55-2f4f3b1b7e01' } };
const container = { name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'exit 1'] };

/**
 * Drives the event-driven API through a crash loop: the container runs `runMs[i]` after each (re)start, then
 * exits; returns the wait before each restart.
 */
function simulateCrashLoop(runMs: number[], settings: BackoffSettings): number[] {
  let entry: BackoffEntry | undefined;
  let startedAt = T0;
  const waits: number[] = [];
  for (const run of runMs) {
    const finishedAt = startedAt + run;
    const decision = decideRestart(entry, finishedAt, settings);
    waits.push(decision.restartAtMs - finishedAt);
    entry = decision.entry;
    startedAt = decision.restartAtMs;
  }
  return waits;
}

/**
 * The kubelet's way: poll every `pollMs` and call IsInBackOffSince / Next like doBackOff does. Returns the wait
 * before each restart, to check that decideRestart schedules exactly where polling with a fine grain would land.
 */
function simulateKubeletPolling(runMs: number[], settings: BackoffSettings, pollMs: number): number[] {
  let entry: BackoffEntry | undefined;
  let startedAt = T0;
  const waits: number[] = [];
  for (const run of runMs) {
    const finishedAt = startedAt + run;
    let now = finishedAt;
    while (isInBackOff(entry, finishedAt, now, settings)) now += pollMs;
    entry = nextBackoff(entry, finishedAt, settings, now);
    waits.push(now - finishedAt);
    startedAt = now;
  }
  return waits;
}

describe('crash back-off defaults', () => {
  it('matches the kubelet: 10s initial, 300s cap, reset after 600s (2 × cap)', () => {
    expect(INITIAL_BACKOFF_MS).toBe(10_000);
    expect(MAX_BACKOFF_MS).toBe(300_000);
    expect(BACKOFF_RESET_MS).toBe(600_000);
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 });
    expect(Object.isFrozen(DEFAULT_BACKOFF)).toBe(true);
  });
});

describe('decideRestart: the back-off curve', () => {
  it.each([
    {
      name: 'container crashing right after each restart: immediate, then 10/20/40/80/160/300/300 s',
      settings: DEFAULT_BACKOFF,
      runs: Array<number>(8).fill(s(1)),
      waits: [0, 10, 20, 40, 80, 160, 300, 300].map(s),
    },
    {
      name: 'container exiting at once (0 ms runs) follows the same curve',
      settings: DEFAULT_BACKOFF,
      runs: Array<number>(5).fill(0),
      waits: [0, 10, 20, 40, 80].map(s),
    },
    {
      name: 'a run longer than reset (601 s) restarts at once and the curve starts again at 10 s',
      settings: DEFAULT_BACKOFF,
      runs: [s(1), s(1), s(1), s(1), s(601), s(1), s(1)],
      waits: [0, s(10), s(20), s(40), 0, s(10), s(20)],
    },
    {
      name: 'a run of exactly reset (600 s) is not enough (hasExpired is strict >)',
      settings: DEFAULT_BACKOFF,
      runs: [s(1), s(1), s(1), s(600)],
      waits: [0, s(10), s(20), s(40)],
    },
    {
      name: 'reset counts run time, not the wait: long 300 s waits never reset the curve by themselves',
      settings: DEFAULT_BACKOFF,
      runs: Array<number>(10).fill(s(301)),
      waits: [0, 10, 20, 40, 80, 160, 300, 300, 300, 300].map(s),
    },
    {
      name: 'scaled settings (initial 200ms, max 1.6s): immediate, 200, 400, 800, 1600, 1600 ms',
      settings: { initialMs: 200, maxMs: 1_600, resetMs: 3_200 },
      runs: Array<number>(6).fill(10),
      waits: [0, 200, 400, 800, 1_600, 1_600],
    },
    {
      name: 'scaled settings reset after a run longer than 3.2 s',
      settings: { initialMs: 200, maxMs: 1_600, resetMs: 3_200 },
      runs: [10, 10, 10, 3_201, 10],
      waits: [0, 200, 400, 0, 200],
    },
  ])('$name', ({ settings, runs, waits }) => {
    expect(simulateCrashLoop(runs, settings)).toEqual(waits);
  });

  it.each([
    { name: 'default curve, fast crashes', settings: DEFAULT_BACKOFF, runs: Array<number>(9).fill(s(2)) },
    {
      name: 'default curve with a reset',
      settings: DEFAULT_BACKOFF,
      runs: [s(1), s(1), s(1), s(700), s(1), s(1)],
    },
    {
      name: 'scaled curve',
      settings: { initialMs: 200, maxMs: 1_600, resetMs: 3_200 },
      runs: [5, 5, 5, 5, 4_000, 5],
    },
  ])(
    'schedules exactly where kubelet-style polling (1 ms grain) would restart: $name',
    ({ settings, runs }) => {
      expect(simulateCrashLoop(runs, settings)).toEqual(simulateKubeletPolling(runs, settings, 1));
    },
  );

  it('first crash (no entry): restart at finishedAt, entry becomes initial with lastUpdate = restart time', () => {
    const d = decideRestart(undefined, T0 + s(5), DEFAULT_BACKOFF);
    expect(d).toEqual({
      restartAtMs: T0 + s(5),
      delayMs: 0,
      entry: { delayMs: s(10), lastUpdateMs: T0 + s(5) },
    });
  });

  it('in back-off: waits entry.delayMs from finishedAt, then doubles with lastUpdate = restart time', () => {
    const entry = { delayMs: s(40), lastUpdateMs: T0 };
    const d = decideRestart(entry, T0 + s(3), DEFAULT_BACKOFF);
    expect(d).toEqual({
      restartAtMs: T0 + s(43),
      delayMs: s(40),
      entry: { delayMs: s(80), lastUpdateMs: T0 + s(43) },
    });
  });

  it('an exit processed after its back-off already ended restarts now, and lastUpdate is now', () => {
    const entry = { delayMs: s(10), lastUpdateMs: T0 };
    const d = decideRestart(entry, T0 + s(1), DEFAULT_BACKOFF, T0 + s(30));
    expect(d.restartAtMs).toBe(T0 + s(30));
    expect(d.entry).toEqual({ delayMs: s(20), lastUpdateMs: T0 + s(30) });
  });
});

describe('isInBackOff / nextBackoff (flowcontrol IsInBackOffSince / Next)', () => {
  const entry: BackoffEntry = { delayMs: s(20), lastUpdateMs: T0 };
  it.each([
    {
      name: 'no entry: never restarted, no back-off',
      entry: undefined,
      finishedAt: T0,
      now: T0,
      expected: false,
    },
    { name: 'just after the crash', entry, finishedAt: T0 + s(5), now: T0 + s(5), expected: true },
    { name: '1 ms before the delay ends', entry, finishedAt: T0 + s(5), now: T0 + s(25) - 1, expected: true },
    {
      name: 'exactly when the delay ends (strict <)',
      entry,
      finishedAt: T0 + s(5),
      now: T0 + s(25),
      expected: false,
    },
    {
      name: 'expired entry: ran > reset since last restart',
      entry,
      finishedAt: T0 + s(601),
      now: T0 + s(601),
      expected: false,
    },
  ])('$name → $expected', ({ entry, finishedAt, now, expected }) => {
    expect(isInBackOff(entry, finishedAt, now, DEFAULT_BACKOFF)).toBe(expected);
  });

  it.each([
    { name: 'no entry → initial', entry: undefined, finishedAt: T0, delay: s(10) },
    { name: 'doubles', entry: { delayMs: s(80), lastUpdateMs: T0 }, finishedAt: T0 + s(1), delay: s(160) },
    {
      name: 'caps at max',
      entry: { delayMs: s(160), lastUpdateMs: T0 },
      finishedAt: T0 + s(1),
      delay: s(300),
    },
    {
      name: 'stays at max',
      entry: { delayMs: s(300), lastUpdateMs: T0 },
      finishedAt: T0 + s(1),
      delay: s(300),
    },
    {
      name: 'expired → initial',
      entry: { delayMs: s(300), lastUpdateMs: T0 },
      finishedAt: T0 + s(700),
      delay: s(10),
    },
  ])('nextBackoff: $name', ({ entry, finishedAt, delay }) => {
    const now = finishedAt + s(7);
    expect(nextBackoff(entry, finishedAt, DEFAULT_BACKOFF, now)).toEqual({
      delayMs: delay,
      lastUpdateMs: now,
    });
  });
});

describe('backoffKey (kuberuntime GetStableKey)', () => {
  it('is pod name, namespace, uid, container name and an 8-hex-digit spec hash', () => {
    expect(backoffKey(pod, container)).toMatch(
      /^web_default_0b6d2c1e-5f6a-4c2b-9a55-2f4f3b1b7e01_app_[0-9a-f]{8}$/,
    );
  });

  it('does not depend on the order fields were written in', () => {
    const reordered = { command: ['sh', '-c', 'exit 1'], image: 'busybox:1.28', name: 'app' };
    expect(hashContainerSpec(reordered)).toBe(hashContainerSpec(container));
    expect(backoffKey(pod, reordered)).toBe(backoffKey(pod, container));
  });

  it.each([
    { name: 'a changed image', changed: { ...container, image: 'busybox:1.36' } },
    { name: 'a changed command', changed: { ...container, command: ['sh', '-c', 'exit 2'] } },
    { name: 'an added env var', changed: { ...container, env: [{ name: 'A', value: 'b' }] } },
  ])('$name gives a new key, hence a fresh curve (immediate restart)', ({ changed }) => {
    expect(backoffKey(pod, changed)).not.toBe(backoffKey(pod, container));
    // The engine looks entries up by key: the new key has none, so the next crash restarts at once.
    const entries = new Map<string, BackoffEntry>([
      [backoffKey(pod, container), { delayMs: s(160), lastUpdateMs: T0 }],
    ]);
    const d = decideRestart(entries.get(backoffKey(pod, changed)), T0 + s(2), DEFAULT_BACKOFF);
    expect(d.delayMs).toBe(0);
    expect(d.entry.delayMs).toBe(s(10));
  });

  it('differs between pods with the same name but another uid', () => {
    const other = { metadata: { ...pod.metadata, uid: 'another-uid' } };
    expect(backoffKey(other, container)).not.toBe(backoffKey(pod, container));
  });

  it('hashes non-ASCII text as UTF-8 deterministically', () => {
    const a = hashContainerSpec({ name: 'app', command: ['echo', '안녕하세요 🙂'] });
    expect(a).toBe(hashContainerSpec({ command: ['echo', '안녕하세요 🙂'], name: 'app' }));
    expect(a).not.toBe(hashContainerSpec({ name: 'app', command: ['echo', '안녕하세요'] }));
  });

  it('is FNV-1a 32 over the canonical JSON ("{}" for an empty spec)', () => {
    // FNV-1a 32 of the bytes "{}" computed independently: offset 0x811c9dc5, prime 0x01000193.
    let h = 0x811c9dc5;
    for (const b of [0x7b, 0x7d]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    expect(hashContainerSpec({})).toBe(h.toString(16).padStart(8, '0'));
  });
});

describe('CrashLoopBackOff message (doBackOff, format.Pod)', () => {
  it.each([
    { delay: s(10), text: '10s' },
    { delay: s(40), text: '40s' },
    { delay: s(160), text: '2m40s' },
    { delay: s(300), text: '5m0s' },
    { delay: 200, text: '200ms' },
    { delay: 1_600, text: '1.6s' },
  ])('back-off $text', ({ delay, text }) => {
    expect(backOffMessage(delay, 'app', pod)).toBe(
      `back-off ${text} restarting failed container=app pod=web_default(0b6d2c1e-5f6a-4c2b-9a55-2f4f3b1b7e01)`,
    );
  });

  it('formats the pod as NAME_NAMESPACE(UID)', () => {
    expect(formatPod({ metadata: { name: 'a', namespace: 'ns', uid: 'u' } })).toBe('a_ns(u)');
  });
});

describe('backoffSettingsFor (podflow.io/crash-backoff-* annotations)', () => {
  const field = (name: string): string => `metadata.annotations[${name}]`;
  it.each<{ name: string; annotations: Record<string, string> | undefined; settings: BackoffSettings }>([
    { name: 'no annotations → engine defaults', annotations: undefined, settings: DEFAULT_BACKOFF },
    { name: 'unrelated annotations → engine defaults', annotations: { a: 'b' }, settings: DEFAULT_BACKOFF },
    {
      name: 'scaled curve',
      annotations: {
        [CRASH_BACKOFF_INITIAL_ANNOTATION]: '200ms',
        [CRASH_BACKOFF_MAX_ANNOTATION]: '1.6s',
        [CRASH_BACKOFF_RESET_ANNOTATION]: '3200ms',
      },
      settings: { initialMs: 200, maxMs: 1_600, resetMs: 3_200 },
    },
    {
      name: 'only max: initial and reset keep the defaults',
      annotations: { [CRASH_BACKOFF_MAX_ANNOTATION]: '1m' },
      settings: { initialMs: s(10), maxMs: s(60), resetMs: s(600) },
    },
    {
      name: 'max below the default initial pulls initial down (kubelet newCrashLoopBackOff)',
      annotations: { [CRASH_BACKOFF_MAX_ANNOTATION]: '5s' },
      settings: { initialMs: s(5), maxMs: s(5), resetMs: s(600) },
    },
    {
      name: 'compound and boundary values (100ms, 1h)',
      annotations: { [CRASH_BACKOFF_INITIAL_ANNOTATION]: '100ms', [CRASH_BACKOFF_MAX_ANNOTATION]: '1h' },
      settings: { initialMs: 100, maxMs: 3_600_000, resetMs: s(600) },
    },
  ])('$name', ({ annotations, settings }) => {
    expect(backoffSettingsFor(annotations)).toEqual({ settings });
  });

  it('uses the engine defaults passed in', () => {
    const engine = { initialMs: 1_000, maxMs: 60_000, resetMs: 120_000 };
    expect(backoffSettingsFor({}, engine)).toEqual({ settings: engine });
    expect(backoffSettingsFor({ [CRASH_BACKOFF_INITIAL_ANNOTATION]: '2s' }, engine)).toEqual({
      settings: { ...engine, initialMs: 2_000 },
    });
  });

  it.each([
    {
      name: 'unparsable value',
      annotations: { [CRASH_BACKOFF_MAX_ANNOTATION]: 'five minutes' },
      errors: [
        `${field(CRASH_BACKOFF_MAX_ANNOTATION)}: Invalid value: "five minutes": must be a duration such as 500ms, 10s or 5m (time: invalid duration "five minutes")`,
      ],
    },
    {
      name: 'number without unit',
      annotations: { [CRASH_BACKOFF_INITIAL_ANNOTATION]: '10' },
      errors: [
        `${field(CRASH_BACKOFF_INITIAL_ANNOTATION)}: Invalid value: "10": must be a duration such as 500ms, 10s or 5m (time: missing unit in duration "10")`,
      ],
    },
    {
      name: 'below 100ms',
      annotations: { [CRASH_BACKOFF_INITIAL_ANNOTATION]: '50ms' },
      errors: [
        `${field(CRASH_BACKOFF_INITIAL_ANNOTATION)}: Invalid value: "50ms": must be between 100ms and 1h0m0s`,
      ],
    },
    {
      name: 'zero and negative',
      annotations: { [CRASH_BACKOFF_INITIAL_ANNOTATION]: '0', [CRASH_BACKOFF_RESET_ANNOTATION]: '-10s' },
      errors: [
        `${field(CRASH_BACKOFF_INITIAL_ANNOTATION)}: Invalid value: "0": must be between 100ms and 1h0m0s`,
        `${field(CRASH_BACKOFF_RESET_ANNOTATION)}: Invalid value: "-10s": must be between 100ms and 1h0m0s`,
      ],
    },
    {
      name: 'above 1h',
      annotations: { [CRASH_BACKOFF_MAX_ANNOTATION]: '2h' },
      errors: [
        `${field(CRASH_BACKOFF_MAX_ANNOTATION)}: Invalid value: "2h": must be between 100ms and 1h0m0s`,
      ],
    },
    {
      name: 'initial greater than max',
      annotations: { [CRASH_BACKOFF_INITIAL_ANNOTATION]: '30s', [CRASH_BACKOFF_MAX_ANNOTATION]: '20s' },
      errors: [
        `${field(CRASH_BACKOFF_INITIAL_ANNOTATION)}: Invalid value: "30s": must be less than or equal to the maximum back-off (20s)`,
      ],
    },
    {
      name: 'initial greater than the default max',
      annotations: { [CRASH_BACKOFF_INITIAL_ANNOTATION]: '10m' },
      errors: [
        `${field(CRASH_BACKOFF_INITIAL_ANNOTATION)}: Invalid value: "10m": must be less than or equal to the maximum back-off (5m0s)`,
      ],
    },
    {
      name: 'every error is collected',
      annotations: {
        [CRASH_BACKOFF_INITIAL_ANNOTATION]: 'x',
        [CRASH_BACKOFF_MAX_ANNOTATION]: '1d',
        [CRASH_BACKOFF_RESET_ANNOTATION]: '1ms',
      },
      errors: [
        `${field(CRASH_BACKOFF_INITIAL_ANNOTATION)}: Invalid value: "x": must be a duration such as 500ms, 10s or 5m (time: invalid duration "x")`,
        `${field(CRASH_BACKOFF_MAX_ANNOTATION)}: Invalid value: "1d": must be a duration such as 500ms, 10s or 5m (time: unknown unit "d" in duration "1d")`,
        `${field(CRASH_BACKOFF_RESET_ANNOTATION)}: Invalid value: "1ms": must be between 100ms and 1h0m0s`,
      ],
    },
  ] as { name: string; annotations: Record<string, string>; errors: string[] }[])(
    'field error: $name',
    ({ annotations, errors }) => {
      const result = backoffSettingsFor(annotations);
      expect('errors' in result).toBe(true);
      if (!('errors' in result)) return;
      expect(result.errors.map(formatFieldError)).toEqual(errors);
      expect(result.errors.every((e) => e.type === 'FieldValueInvalid')).toBe(true);
    },
  );
});
