// The step pacer (src/local/step-pacer.ts): steps start at once while the loop's turn has room, later ones wait for
// the next turn in order, and what the loop polled meanwhile (here: an immediate queued in between) runs between
// the slices. Time is injected: each step's synchronous part advances it by 1 ms.
import { describe, expect, it } from 'vitest';
import { StepPacer } from '../../src/local/step-pacer.ts';

function pacer(sliceMs: number) {
  let now = 0;
  const order: string[] = [];
  const p = new StepPacer({ sliceMs, now: () => now });
  const step = (name: string) =>
    p.run(async () => {
      now += 1; // the step's synchronous work
      order.push(name);
      await Promise.resolve();
      return name;
    });
  return { p, order, step };
}

describe('StepPacer', () => {
  it('starts steps while the slice has room, the rest in later turns, in the order they came', async () => {
    const { p, order, step } = pacer(3);
    const done = Promise.all(Array.from({ length: 8 }, (_, i) => step(`s${i}`)));
    expect(order).toEqual(['s0', 's1', 's2']); // 3 ms of starts at once; the others wait for a later turn
    // Something the loop does between turns (a request read from its socket).
    setImmediate(() => order.push('io'));
    expect(await done).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
    expect(order.indexOf('io')).toBeGreaterThan(0);
    expect(order.indexOf('io')).toBeLessThan(order.length - 1);
    expect(order.filter((o) => o !== 'io')).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
    expect(p.waiting).toBe(0);
  });

  it('a slice holds about sliceMs of step starts', async () => {
    const { order, step } = pacer(4);
    const turns: number[] = [];
    let turn = 0;
    const tick = (): void => {
      turn++;
      if (turn < 50) setImmediate(tick);
    };
    setImmediate(tick);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        step(`s${i}`).then(() => {
          turns[i] = turn;
        }),
      ),
    );
    expect(order).toHaveLength(20);
    const perTurn = new Map<number, number>();
    for (const t of turns) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    // 1 ms per step, 4 ms per slice: at most 4 steps in any turn, and more than one turn.
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(4);
    expect(perTurn.size).toBeGreaterThanOrEqual(5);
  });

  it('a step that fails rejects its own run only; the next ones still start', async () => {
    const p = new StepPacer({ sliceMs: 1, now: () => 0 });
    const failed = p.run(() => Promise.reject(new Error('boom')));
    const next = p.run(async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  it('an idle loop starts every step at once when time does not pass', async () => {
    const p = new StepPacer({ sliceMs: 4, now: () => 0 });
    const started: number[] = [];
    const all = Array.from({ length: 50 }, (_, i) => p.run(async () => started.push(i)));
    await Promise.resolve();
    await Promise.resolve();
    expect(started.length).toBeGreaterThan(1);
    await Promise.all(all);
    expect(started).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
