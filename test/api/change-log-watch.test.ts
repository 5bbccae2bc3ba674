// serveLogWatch (src/api/change-log-watch.ts) on an in-memory change log: what a cloud watch sends, read by read.
// Time is a manual clock the fake sleep moves; the log's items are put by the test as writers would put them.
import { describe, expect, it } from 'vitest';
import { serveLogWatch, type LogWatchedKind } from '../../src/api/change-log-watch.ts';
import type { HubChange, WatchFilter } from '../../src/api/watch-hub.ts';
import type { ApiError } from '../../src/api/status.ts';
import type { ChangeLog, ChangeLogEntry } from '../../src/ports/change-log.ts';
import { ManualClock } from '../support/manual-clock.ts';

interface Obj {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string> };
}
type Entry = ChangeLogEntry & { change?: string; obj?: Obj };

const RETENTION = 3600;

class MemoryLog implements ChangeLog {
  readonly entries: Entry[] = [];
  counter = 0n;
  readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }
  /** A writer took the next version (its item not put yet). */
  take(): string {
    return String(++this.counter);
  }
  put(
    rv: string,
    change: 'created' | 'updated' | 'removed' | 'none',
    name?: string,
    labels?: Record<string, string>,
  ) {
    const expiresAtSeconds = Math.floor(this.clock.now() / 1000) + RETENTION;
    this.entries.push(
      change === 'none'
        ? ({ resourceVersion: rv, expiresAtSeconds, kind: 'none' } as Entry)
        : ({
            resourceVersion: rv,
            expiresAtSeconds,
            kind: 'none',
            change,
            obj: { metadata: { name: name!, resourceVersion: rv, ...(labels ? { labels } : {}) } },
          } as Entry),
    );
    this.entries.sort((a, b) => Number(BigInt(a.resourceVersion) - BigInt(b.resourceVersion)));
  }
  write(change: 'created' | 'updated' | 'removed' | 'none', name?: string, labels?: Record<string, string>) {
    const rv = this.take();
    this.put(rv, change, name, labels);
    return rv;
  }
  async readAfter(after: string, limit: number) {
    return this.entries.filter((e) => BigInt(e.resourceVersion) > BigInt(after)).slice(0, limit);
  }
  async latestAtOrBefore(rv: string) {
    return this.entries.filter((e) => BigInt(e.resourceVersion) <= BigInt(rv)).at(-1);
  }
  async oldest(nowSeconds: number) {
    return this.entries.find((e) => e.expiresAtSeconds > nowSeconds)?.resourceVersion;
  }
  async currentResourceVersion() {
    return String(this.counter);
  }
}

const kind = (listed: Obj[], rv: string): LogWatchedKind<Obj> => ({
  list: async () => ({
    items: listed.map((o) => ({
      key: o.metadata.name,
      resourceVersion: o.metadata.resourceVersion,
      object: o,
    })),
    resourceVersion: rv,
  }),
  changeOf: (e): HubChange<Obj> | undefined => {
    const { change, obj } = e as Entry;
    if (!change || !obj) return undefined;
    if (change === 'removed')
      return { type: 'removed', key: obj.metadata.name, resourceVersion: e.resourceVersion, object: obj };
    return {
      type: 'put',
      key: obj.metadata.name,
      resourceVersion: e.resourceVersion,
      object: obj,
      created: change === 'created',
    };
  },
});

const all: WatchFilter<Obj> = { matches: () => true };
const SETTINGS = { pollIntervalMs: 500, gapWaitMs: 1000, keepAliveMs: 20_000, readLimit: 100 };

/**
 * Runs a watch: `script` is called before each read with the read's number; the watch ends after `reads` reads.
 * Returns what it sent (`EVENT name@rv`, `KEEPALIVE rv`).
 */
async function run(o: {
  log: MemoryLog;
  clock: ManualClock;
  from?: string;
  listed?: Obj[];
  listRv?: string;
  filter?: WatchFilter<Obj>;
  reads: number;
  script?: (read: number) => void;
}): Promise<string[]> {
  const sent: string[] = [];
  let read = 0;
  o.script?.(0);
  await serveLogWatch({
    log: o.log,
    kind: kind(o.listed ?? [], o.listRv ?? '0'),
    filter: o.filter ?? all,
    resourceVersion: o.from,
    emit: (type, obj) => sent.push(`${type} ${obj.metadata.name}@${obj.metadata.resourceVersion}`),
    keepAlive: (rv) => sent.push(`KEEPALIVE ${rv}`),
    closed: () => read >= o.reads,
    clock: o.clock,
    sleep: async (ms) => {
      o.clock.advance(ms);
      read++;
      o.script?.(read);
    },
    settings: SETTINGS,
  });
  return sent;
}

describe('serveLogWatch', () => {
  it('from a version: every change after it, in order, as each read finds it', async () => {
    const clock = new ManualClock();
    const log = new MemoryLog(clock);
    log.write('created', 'a'); // 1
    const from = log.write('updated', 'a'); // 2
    log.write('created', 'b'); // 3
    const sent = await run({
      log,
      clock,
      from,
      reads: 3,
      script: (read) => {
        if (read === 1) log.write('none'); // an Event's version: nothing to send
        if (read === 2) log.write('removed', 'b');
      },
    });
    expect(sent).toEqual(['ADDED b@3', 'DELETED b@5']);
  });

  it('a missing version holds later ones until it appears, or for gapWaitMs, then is given up', async () => {
    const clock = new ManualClock();
    const log = new MemoryLog(clock);
    const filled = await run({
      log,
      clock,
      from: '0',
      reads: 2,
      script: (read) => {
        if (read === 0) {
          log.take(); // 1: its writer has not put the item yet
          log.write('created', 'b'); // 2
        }
        if (read === 1) log.put('1', 'created', 'a'); // … and now has
      },
    });
    expect(filled).toEqual(['ADDED a@1', 'ADDED b@2']);

    const clock2 = new ManualClock();
    const log2 = new MemoryLog(clock2);
    const givenUp = await run({
      log: log2,
      clock: clock2,
      from: '0',
      reads: 3,
      script: (read) => {
        if (read === 0) {
          log2.take(); // 1: a writer that died after taking it
          log2.write('created', 'b'); // 2
        }
      },
    });
    // Reads at 0, 500 and 1000 ms: held for the first two, given up at the third.
    expect(givenUp).toEqual(['ADDED b@2']);
    // Two reads (0 and 500 ms) are not enough to give it up.
    const clock3 = new ManualClock();
    const log3 = new MemoryLog(clock3);
    log3.take();
    log3.write('created', 'b');
    expect(await run({ log: log3, clock: clock3, from: '0', reads: 2 })).toEqual([]);
  });

  it('without a version: the listing as ADDED, then changes after it, a listed version not sent twice', async () => {
    const clock = new ManualClock();
    const log = new MemoryLog(clock);
    log.write('created', 'a'); // 1
    log.write('created', 'b'); // 2: the listing read the counter at 1 and then saw b already
    const sent = await run({
      log,
      clock,
      listed: [
        { metadata: { name: 'a', resourceVersion: '1' } },
        { metadata: { name: 'b', resourceVersion: '2' } },
      ],
      listRv: '1',
      reads: 2,
      script: (read) => {
        if (read === 1) log.write('updated', 'b');
      },
    });
    expect(sent).toEqual(['ADDED a@1', 'ADDED b@2', 'MODIFIED b@3']);
  });

  it('an object that starts or stops matching the selector arrives as ADDED or DELETED', async () => {
    const clock = new ManualClock();
    const log = new MemoryLog(clock);
    const filter: WatchFilter<Obj> = { matches: (o) => o.metadata.labels?.tier === 'web' };
    const sent = await run({
      log,
      clock,
      filter,
      listed: [],
      listRv: '0',
      reads: 1,
      script: (read) => {
        if (read !== 0) return;
        log.write('created', 'a', { tier: 'db' }); // not shown
        log.write('updated', 'a', { tier: 'web' }); // starts matching
        log.write('updated', 'a', { tier: 'web' }); // still matching
        log.write('updated', 'a', { tier: 'db' }); // stops matching
      },
    });
    expect(sent).toEqual(['ADDED a@2', 'MODIFIED a@3', 'DELETED a@4']);
  });

  it('a keep-alive at the latest version read after keepAliveMs without a write', async () => {
    const clock = new ManualClock();
    const log = new MemoryLog(clock);
    log.write('created', 'a');
    const reads = SETTINGS.keepAliveMs / SETTINGS.pollIntervalMs + 1;
    const sent = await run({ log, clock, from: '0', reads });
    expect(sent).toEqual(['ADDED a@1', 'KEEPALIVE 1']);
  });

  it.each([
    {
      name: 'the item before the version expired and something changed since: 410 Expired',
      expireFirst: true,
      error: /^too old resource version: 1 \(1\)$/,
    },
    { name: 'the item before the version is held: served', expireFirst: false, error: undefined },
  ])('$name', async ({ expireFirst, error }) => {
    const clock = new ManualClock();
    const log = new MemoryLog(clock);
    log.write('created', 'a'); // 1
    if (expireFirst) clock.advance((RETENTION + 1) * 1000);
    log.write('updated', 'a'); // 2
    const result = await run({ log, clock, from: '1', reads: 1 }).then(
      (sent) => ({ sent }),
      (err: ApiError) => ({ err }),
    );
    if (error) {
      expect('err' in result && result.err).toMatchObject({ code: 410, reason: 'Expired' });
      expect('err' in result && result.err.message).toMatch(error);
    } else expect(result).toEqual({ sent: ['MODIFIED a@2'] });
  });

  it('a live watch that reads an expired item fell behind: 410 Expired', async () => {
    const clock = new ManualClock();
    const log = new MemoryLog(clock);
    log.write('created', 'a');
    log.write('updated', 'a');
    // The watch lists (at version 0) and reads the log, whose items expired meanwhile.
    clock.advance((RETENTION + 5) * 1000);
    await expect(run({ log, clock, reads: 1 })).rejects.toMatchObject({ code: 410, reason: 'Expired' });
  });
});
