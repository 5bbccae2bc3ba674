import { describe, expect, it } from 'vitest';
import { InvalidWakeupPayloadError } from '../../src/adapters/eventbridge/wakeup-payload.ts';
import { MAX_DIRECT_WAIT_MS } from '../../src/adapters/eventbridge/direct-wakeup.ts';
import { createWakeupHandler, handler, WakeupTooEarlyError } from '../../lambdas/wakeup.ts';
import type { TimerDue } from '../../src/ports/wakeup-scheduler.ts';
import { ManualTimers } from '../adapters/local-timers/manual-timers.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 5, 0, 120); // Scheduler invoked 120 ms into the minute

/** `sleepCoverage` < 1 simulates a sleep that wakes early (covers only that fraction of what was asked). */
function setup(options: { maxWaitMs?: number; sleepCoverage?: number } = {}) {
  const timers = new ManualTimers(NOW);
  const delivered: (TimerDue & { deliveredAt: number })[] = [];
  const sleeps: number[] = [];
  const coverage = options.sleepCoverage ?? 1;
  const sleep = (ms: number): Promise<void> => timers.sleep(Math.ceil(ms * coverage));
  const wakeup = createWakeupHandler({
    clock: timers,
    sleep: (ms) => {
      sleeps.push(ms);
      return sleep(ms);
    },
    deliver: async (due) => {
      delivered.push({ ...due, deliveredAt: timers.now() });
    },
    ...(options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs }),
  });
  return { timers, delivered, sleeps, wakeup };
}

describe('wakeup handler', () => {
  it('sleeps until dueAt, then delivers timerDue for the pod', async () => {
    const { timers, delivered, sleeps, wakeup } = setup();
    const dueAt = NOW + 42_380;
    const done = wakeup({ namespace: 'default', name: 'web-0', timerId: 'backoff-c1-3', dueAt });
    await timers.advance(42_379);
    expect(delivered).toEqual([]);
    await timers.advance(1);
    await done;
    expect(delivered).toEqual([
      { key: { namespace: 'default', name: 'web-0' }, timerId: 'backoff-c1-3', dueAt, deliveredAt: dueAt },
    ]);
    expect(sleeps).toEqual([42_380]);
  });

  it.each([
    { name: 'due now', offset: 0 },
    { name: 'overdue (a retried invocation)', offset: -90_000 },
  ])('delivers at once without sleeping when $name', async ({ offset }) => {
    const { delivered, sleeps, wakeup } = setup();
    await wakeup({ namespace: 'default', name: 'web-0', timerId: 't', dueAt: NOW + offset });
    expect(delivered.map((d) => d.deliveredAt)).toEqual([NOW]);
    expect(sleeps).toEqual([]);
  });

  it('sleeps again when a sleep wakes early, so it never delivers before dueAt', async () => {
    const { timers, delivered, sleeps, wakeup } = setup({ sleepCoverage: 0.5 });
    const done = wakeup({ namespace: 'default', name: 'web-0', timerId: 't', dueAt: NOW + 8_000 });
    await timers.advance(10_000);
    await done;
    // Each sleep asks for what is left by the clock: 8000, 4000, 2000, … down to the last millisecond.
    expect(sleeps.slice(0, 4)).toEqual([8_000, 4_000, 2_000, 1_000]);
    expect(sleeps.at(-1)).toBe(1);
    expect(delivered.map((d) => d.deliveredAt)).toEqual([NOW + 8_000]);
  });

  it('accepts the payload as JSON text too', async () => {
    const { delivered, wakeup } = setup();
    await wakeup(JSON.stringify({ namespace: 'ns', name: 'p', timerId: 't', dueAt: NOW - 1 }));
    expect(delivered.map((d) => d.key)).toEqual([{ namespace: 'ns', name: 'p' }]);
  });

  it.each([
    { name: 'not JSON', event: 'wake up', message: 'not JSON' },
    { name: 'not an object', event: [1, 2], message: 'expected an object' },
    {
      name: 'missing fields, all reported',
      event: { namespace: '', dueAt: 'soon' },
      message:
        'namespace: Required value, name: Required value, timerId: Required value, dueAt: Invalid value',
    },
  ])('rejects a malformed payload ($name) without delivering', async ({ event, message }) => {
    const { delivered, wakeup } = setup();
    await expect(wakeup(event)).rejects.toThrow(InvalidWakeupPayloadError);
    await expect(wakeup(event)).rejects.toThrow(message);
    expect(delivered).toEqual([]);
  });

  it('refuses to sleep longer than the function can (a routing or clock error), by default MAX_DIRECT_WAIT_MS', async () => {
    const { delivered, sleeps, wakeup } = setup();
    const payload = {
      namespace: 'default',
      name: 'web-0',
      timerId: 't',
      dueAt: NOW + MAX_DIRECT_WAIT_MS + 1,
    };
    await expect(wakeup(payload)).rejects.toThrow(WakeupTooEarlyError);
    expect(sleeps).toEqual([]);
    expect(delivered).toEqual([]);
  });

  it('waits exactly up to maxWaitMs', async () => {
    const { timers, delivered, wakeup } = setup({ maxWaitMs: 60_000 });
    const done = wakeup({ namespace: 'default', name: 'web-0', timerId: 't', dueAt: NOW + 60_000 });
    await timers.advance(60_000);
    await done;
    expect(delivered).toHaveLength(1);
  });

  it('the Lambda entry point names the missing binding outside a deployed stack', async () => {
    delete process.env.TABLE_NAME;
    await expect(handler({ namespace: 'default', name: 'web-0', timerId: 't', dueAt: 0 })).rejects.toThrow(
      'environment variable TABLE_NAME is not set',
    );
  });
});
