import { describe, expect, it } from 'vitest';
import {
  advanceChangeLog,
  changeLogSortKey,
  fellBehind,
  tooOldMessage,
  watchStartVerdict,
} from '../../src/core/change-log.ts';

const T0 = Date.UTC(2026, 0, 1);
const rvs = (...n: number[]) => n.map((v) => ({ resourceVersion: String(v) }));
const delivered = (r: { deliver: { resourceVersion: string }[] }) => r.deliver.map((e) => e.resourceVersion);

describe('changeLogSortKey', () => {
  it('orders as numbers when compared as strings', () => {
    const keys = [9, 10, 100, 2].map((n) => changeLogSortKey(BigInt(n)));
    expect([...keys].sort()).toEqual([2, 9, 10, 100].map((n) => changeLogSortKey(String(n))));
    expect(changeLogSortKey('42')).toBe('00000000000000000042');
  });
});

describe('advanceChangeLog', () => {
  it.each([
    {
      name: 'consecutive versions go out at once',
      cursor: 10,
      read: [11, 12, 13],
      out: ['11', '12', '13'],
      to: 13,
    },
    {
      name: 'versions at or below the cursor are skipped',
      cursor: 12,
      read: [11, 12, 13],
      out: ['13'],
      to: 13,
    },
    { name: 'a gap holds back what follows it', cursor: 10, read: [11, 13, 14], out: ['11'], to: 11 },
    { name: 'a gap right after the cursor holds back everything', cursor: 10, read: [12], out: [], to: 10 },
    { name: 'nothing read: nothing moves', cursor: 10, read: [], out: [], to: 10 },
  ])('$name', ({ cursor, read, out, to }) => {
    const r = advanceChangeLog({ cursor: BigInt(cursor) }, rvs(...read), T0, 1000);
    expect(delivered(r)).toEqual(out);
    expect(r.state.cursor).toBe(BigInt(to));
  });

  it('records when a gap was first seen and keeps that time while it stays open', () => {
    const first = advanceChangeLog({ cursor: 10n }, rvs(12), T0, 1000);
    expect(first.state).toEqual({ cursor: 10n, gapSince: T0 });
    const again = advanceChangeLog(first.state, rvs(12), T0 + 500, 1000);
    expect(again.state).toEqual({ cursor: 10n, gapSince: T0 });
    expect(delivered(again)).toEqual([]);
  });

  it('a gap that closes delivers in order and forgets the wait', () => {
    const held = advanceChangeLog({ cursor: 10n }, rvs(12, 13), T0, 1000);
    const closed = advanceChangeLog(held.state, rvs(11, 12, 13), T0 + 200, 1000);
    expect(delivered(closed)).toEqual(['11', '12', '13']);
    expect(closed.state).toEqual({ cursor: 13n });
  });

  it('a gap still open after the wait is given up, and a later gap waits afresh', () => {
    const held = advanceChangeLog({ cursor: 10n }, rvs(12, 13, 15), T0, 1000);
    const r = advanceChangeLog(held.state, rvs(12, 13, 15), T0 + 1000, 1000);
    // 11 given up; 14 is a new gap, first seen now.
    expect(delivered(r)).toEqual(['12', '13']);
    expect(r.state).toEqual({ cursor: 13n, gapSince: T0 + 1000 });
    const later = advanceChangeLog(r.state, rvs(15), T0 + 1999, 1000);
    expect(delivered(later)).toEqual([]);
    expect(delivered(advanceChangeLog(r.state, rvs(15), T0 + 2000, 1000))).toEqual(['15']);
  });
});

describe('watchStartVerdict', () => {
  const now = 1_000_000;
  it.each([
    { name: 'nothing written since the version', from: 50n, current: 50n, atOrBefore: undefined, ok: true },
    {
      name: 'a version above the counter (a list that raced a write)',
      from: 51n,
      current: 50n,
      atOrBefore: undefined,
      ok: true,
    },
    {
      name: 'the item before the version is still held',
      from: 40n,
      current: 50n,
      atOrBefore: { resourceVersion: '39', expiresAtSeconds: now + 1 },
      ok: true,
    },
    {
      name: 'the item before the version expired: 410',
      from: 40n,
      current: 50n,
      atOrBefore: { resourceVersion: '39', expiresAtSeconds: now },
      ok: false,
    },
    {
      name: 'the log holds nothing at or before the version: 410',
      from: 3n,
      current: 50n,
      atOrBefore: undefined,
      ok: false,
    },
  ])('$name', ({ from, current, atOrBefore, ok }) => {
    expect(watchStartVerdict({ from, current, atOrBefore, nowSeconds: now }).ok).toBe(ok);
  });

  it('words the refusal as the API server does', () => {
    expect(
      watchStartVerdict({ from: 3n, current: 50n, atOrBefore: undefined, oldest: '20', nowSeconds: now }),
    ).toEqual({ ok: false, message: 'too old resource version: 3 (19)' });
    expect(tooOldMessage(7n, undefined)).toBe('too old resource version: 7 (8)');
  });
});

describe('fellBehind', () => {
  it('is true when a read item has expired', () => {
    expect(fellBehind([{ resourceVersion: '5', expiresAtSeconds: 100 }], 99)).toBe(false);
    expect(fellBehind([{ resourceVersion: '5', expiresAtSeconds: 100 }], 100)).toBe(true);
    expect(fellBehind([], 100)).toBe(false);
  });
});
