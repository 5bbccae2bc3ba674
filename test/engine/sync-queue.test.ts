import { describe, expect, it } from 'vitest';
import { createSyncQueue } from '../../src/engine/sync-queue.ts';

const clock = { now: () => 1_000_000 };

describe('createSyncQueue', () => {
  it('one sync at a time per object; changes during a sync make exactly one more pass', async () => {
    const passes: string[] = [];
    let release: (() => void) | undefined;
    const queue = createSyncQueue({
      sync: async (ns, name) => {
        passes.push(`${ns}/${name}`);
        if (passes.length === 1) await new Promise<void>((r) => (release = r));
      },
      clock,
      onError: () => {},
      what: 'job',
    });
    queue.enqueue('default', 'a');
    queue.enqueue('default', 'a');
    queue.enqueue('default', 'a');
    await new Promise((r) => setImmediate(r));
    release!();
    await queue.idle();
    expect(passes).toEqual(['default/a', 'default/a']);
  });

  it('a sync that throws is reported with the object and does not stop the queue', async () => {
    const errors: string[] = [];
    const queue = createSyncQueue({
      sync: () => Promise.reject(new Error('boom')),
      clock,
      onError: (_err, context) => errors.push(context),
      what: 'cronjob',
    });
    queue.enqueue('team-a', 'nightly');
    await queue.idle();
    expect(errors).toEqual(['cronjob team-a/nightly: sync']);
  });

  it('an instant beyond setTimeout’s range is armed at its maximum, not fired at once', async () => {
    const armed: number[] = [];
    const queue = createSyncQueue({
      sync: async () => {},
      clock,
      setTimer: (_fn, ms) => armed.push(ms),
      clearTimer: () => {},
      onError: () => {},
      what: 'job',
    });
    queue.arm('default', 'ttl', clock.now() + 30 * 24 * 3600 * 1000); // ttlSecondsAfterFinished of 30 days
    queue.arm('default', 'soon', clock.now() + 500);
    queue.arm('default', 'past', clock.now() - 500);
    expect(armed).toEqual([2_147_483_647, 500, 0]);
    expect(queue.armedAt('default', 'ttl')).toBe(clock.now() + 30 * 24 * 3600 * 1000);
    await queue.close();
  });

  it('re-arming replaces the instant; undefined disarms; nothing is armed after close', async () => {
    const cleared: unknown[] = [];
    let n = 0;
    const queue = createSyncQueue({
      sync: async () => {},
      clock,
      setTimer: () => ++n,
      clearTimer: (h) => cleared.push(h),
      onError: () => {},
      what: 'job',
    });
    queue.arm('default', 'a', 2_000_000);
    queue.arm('default', 'a', 2_000_000); // same instant: kept
    queue.arm('default', 'a', 3_000_000);
    queue.arm('default', 'a', undefined);
    expect(cleared).toEqual([1, 2]);
    expect(queue.armedAt('default', 'a')).toBeUndefined();
    await queue.close();
    queue.arm('default', 'a', 2_000_000);
    expect(queue.armedAt('default', 'a')).toBeUndefined();
  });
});
