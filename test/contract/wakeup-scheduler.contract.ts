// The WakeupScheduler contract (ports/wakeup-scheduler.ts), run against every adapter by
// test/contract/wakeup-scheduler.test.ts. Each case gets a fresh harness, so cases run concurrently.
//
// What every adapter guarantees: a timer fires at or after its instant — never before — and at most
// `latenessBoundMs` after it, carrying that instant as dueAt; timers are independent per (pod, timerId); a pending
// timer survives an engine restart; cancelling an unknown or already-fired timer is fine.
// What a path may not be able to do is recall a wake-up already under way (EventBridge's direct Lambda invoke):
// such a harness declares `recallUnsupported` with the reason, and the replace/cancel cases are skipped, by name.
import { describe, it, type ExpectStatic } from 'vitest';
import type { PodKey } from '../../src/ports/pod-key.ts';
import type { TimerDue, WakeupScheduler } from '../../src/ports/wakeup-scheduler.ts';

export interface FiredTimer {
  due: TimerDue;
  /** The harness clock's time when the consumer received it. */
  firedAt: number;
}

export interface WakeupSchedulerHarness {
  scheduler: WakeupScheduler;
  now(): number;
  /** Every timerDue the consumer received, in order. */
  fired: FiredTimer[];
  /** Failures the consumer side saw (a throwing wakeup Lambda, …); must stay empty. */
  errors: unknown[];
  /** Lets `ms` of time pass: a real-clock harness sleeps, a manual-clock harness advances. */
  pass(ms: number): Promise<void>;
  /** Simulates an engine restart: the next `scheduler` is a new instance over the same durable state. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface WakeupSchedulerContractOptions {
  setup(): Promise<WakeupSchedulerHarness>;
  /** Delays ahead of now that exercise the path under test; near < far. */
  delays: { near: number; far: number };
  /** A timer fires no later than this after its instant. */
  latenessBoundMs: number;
  /** Set when cancel/replace cannot stop a wake-up on this path: the reason, shown in the skipped cases' names. */
  recallUnsupported?: string;
}

/** Lets time pass until `instant` (no-op if it already has): waits are absolute, so slow setup cannot skew them. */
const passUntil = (h: WakeupSchedulerHarness, instant: number): Promise<void> =>
  h.pass(Math.max(0, instant - h.now()));

const podA: PodKey = { namespace: 'default', name: 'web-0' };
const podB: PodKey = { namespace: 'team-b', name: 'web-0' };

export function describeWakeupSchedulerContract(
  adapter: string,
  options: WakeupSchedulerContractOptions,
): void {
  const { delays, latenessBoundMs: bound } = options;
  const recall = options.recallUnsupported === undefined;
  const needsRecall = (name: string): string =>
    recall ? name : `${name} — skipped: ${options.recallUnsupported}`;

  /** Runs `body` with a fresh harness and checks what every case must leave behind. */
  const withHarness =
    (body: (h: WakeupSchedulerHarness, expect: ExpectStatic) => Promise<void>) =>
    async ({ expect }: { expect: ExpectStatic }): Promise<void> => {
      const h = await options.setup();
      try {
        await body(h, expect);
        expect(h.errors).toEqual([]);
      } finally {
        await h.close();
      }
    };

  describe.concurrent(`WakeupScheduler contract: ${adapter}`, () => {
    it(
      'fires once, at or after its instant and within the precision bound, carrying the instant as dueAt',
      withHarness(async (h, expect) => {
        const at = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'backoff-1', at);
        await passUntil(h, at + 2 * bound); // past the bound: nothing more may come
        expect(h.fired.map((f) => f.due)).toEqual([{ key: podA, timerId: 'backoff-1', dueAt: at }]);
        expect(h.fired[0]!.firedAt).toBeGreaterThanOrEqual(at);
        expect(h.fired[0]!.firedAt - at).toBeLessThanOrEqual(bound);
      }),
    );

    it(
      'does not fire before its instant',
      withHarness(async (h, expect) => {
        const at = h.now() + delays.far;
        await h.scheduler.scheduleAt(podA, 'backoff-1', at);
        await passUntil(h, at - (delays.far - delays.near));
        expect(h.fired).toEqual([]);
      }),
    );

    it(
      'an instant in the past fires as soon as possible',
      withHarness(async (h, expect) => {
        const requestedAt = h.now();
        const at = requestedAt - 5_000;
        await h.scheduler.scheduleAt(podA, 'late', at);
        await passUntil(h, requestedAt + bound);
        expect(h.fired.map((f) => f.due)).toEqual([{ key: podA, timerId: 'late', dueAt: at }]);
        expect(h.fired[0]!.firedAt - requestedAt).toBeLessThanOrEqual(bound);
      }),
    );

    it(
      'timers are independent per pod and per timerId',
      withHarness(async (h, expect) => {
        const at = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'backoff-1', at);
        await h.scheduler.scheduleAt(podA, 'backoff-2', at + 1);
        await h.scheduler.scheduleAt(podB, 'backoff-1', at + 2);
        await passUntil(h, at + 2 + 2 * bound);
        const got = h.fired.map(
          (f) => `${f.due.key.namespace}/${f.due.key.name}/${f.due.timerId}@${f.due.dueAt - at}`,
        );
        expect(got.sort()).toEqual([
          'default/web-0/backoff-1@0',
          'default/web-0/backoff-2@1',
          'team-b/web-0/backoff-1@2',
        ]);
      }),
    );

    it(
      'a timerId may be scheduled again after it fired, and fires again',
      withHarness(async (h, expect) => {
        const first = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'probe', first);
        await passUntil(h, first + bound);
        const second = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'probe', second);
        await passUntil(h, second + bound);
        expect(h.fired.map((f) => f.due.dueAt)).toEqual([first, second]);
      }),
    );

    it(
      'a pending timer survives an engine restart',
      withHarness(async (h, expect) => {
        const at = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'backoff-1', at);
        await h.restart();
        await passUntil(h, at + 2 * bound);
        expect(h.fired.map((f) => f.due)).toEqual([{ key: podA, timerId: 'backoff-1', dueAt: at }]);
      }),
    );

    it(
      'cancelling an unknown timer is not an error',
      withHarness(async (h, expect) => {
        await expect(h.scheduler.cancel(podA, 'never-scheduled')).resolves.toBeUndefined();
        await expect(h.scheduler.cancel(podA, 'never-scheduled')).resolves.toBeUndefined();
      }),
    );

    it(
      'cancelling a timer that already fired is not an error',
      withHarness(async (h, expect) => {
        const at = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'backoff-1', at);
        await passUntil(h, at + bound);
        await expect(h.scheduler.cancel(podA, 'backoff-1')).resolves.toBeUndefined();
        expect(h.fired).toHaveLength(1);
      }),
    );

    it.skipIf(!recall)(
      needsRecall('cancel prevents firing'),
      withHarness(async (h, expect) => {
        const at = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'backoff-1', at);
        await h.scheduler.scheduleAt(podA, 'backoff-2', at);
        await h.scheduler.cancel(podA, 'backoff-1');
        await passUntil(h, at + (delays.far - delays.near) + bound);
        expect(h.fired.map((f) => f.due.timerId)).toEqual(['backoff-2']);
      }),
    );

    it.skipIf(!recall)(
      needsRecall(
        'scheduling the same id again replaces the instant: a later one fires once, at the second instant',
      ),
      withHarness(async (h, expect) => {
        const first = h.now() + delays.near;
        const second = h.now() + delays.far;
        await h.scheduler.scheduleAt(podA, 'backoff-1', first);
        await h.scheduler.scheduleAt(podA, 'backoff-1', second);
        await passUntil(h, second + 2 * bound);
        expect(h.fired.map((f) => f.due.dueAt)).toEqual([second]);
        expect(h.fired[0]!.firedAt).toBeGreaterThanOrEqual(second);
      }),
    );

    it.skipIf(!recall)(
      needsRecall(
        'scheduling the same id again replaces the instant: an earlier one fires once, at the second instant',
      ),
      withHarness(async (h, expect) => {
        const first = h.now() + delays.far;
        const second = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'backoff-1', first);
        await h.scheduler.scheduleAt(podA, 'backoff-1', second);
        await passUntil(h, first + 2 * bound);
        expect(h.fired.map((f) => f.due.dueAt)).toEqual([second]);
        expect(h.fired[0]!.firedAt - second).toBeLessThanOrEqual(bound);
      }),
    );

    it(
      'scheduling the same id at the same instant twice fires once',
      withHarness(async (h, expect) => {
        const at = h.now() + delays.near;
        await h.scheduler.scheduleAt(podA, 'backoff-1', at);
        await h.scheduler.scheduleAt(podA, 'backoff-1', at);
        await passUntil(h, at + 2 * bound);
        // A direct-path adapter may legitimately deliver the duplicate (at-least-once); it still fires at `at`.
        expect(h.fired.length).toBeGreaterThanOrEqual(1);
        if (recall) expect(h.fired).toHaveLength(1);
        expect(h.fired.every((f) => f.due.dueAt === at && f.firedAt >= at)).toBe(true);
      }),
    );

    it.skipIf(!recall)(
      needsRecall('a cancelled timerId scheduled again fires at the new instant only'),
      withHarness(async (h, expect) => {
        await h.scheduler.scheduleAt(podA, 'backoff-1', h.now() + delays.near);
        await h.scheduler.cancel(podA, 'backoff-1');
        const again = h.now() + delays.far;
        await h.scheduler.scheduleAt(podA, 'backoff-1', again);
        await passUntil(h, again + 2 * bound);
        expect(h.fired.map((f) => f.due.dueAt)).toEqual([again]);
      }),
    );
  });
}
