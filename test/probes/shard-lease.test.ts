// The cloud prober's shard ownership against dynalite (docs/decisions/0003-probes.md): the lease item's conditional
// writes (acquire, renew, contention, expiry takeover, release, hand-over), the shard registrations, the stable shard
// assignment, and whole prober runs with short windows — two contenders, a hand-over to an invoked successor, an
// orphaned shard taken over after its lease expired, a stalled run that lost its lease.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbProbeRegistry } from '../../src/adapters/probes/dynamodb-probe-registry.ts';
import { DynamoDbProberLease } from '../../src/adapters/probes/dynamodb-prober-lease.ts';
import type { ProbeType } from '../../src/core/probe-results.ts';
import { RegisteringProber } from '../../src/engine/prober/registering-prober.ts';
import { fnv1a32 } from '../../src/core/fnv1a.ts';
import { shardOf } from '../../src/engine/prober/shard-of.ts';
import {
  adoptOrphanedShards,
  runShardProber,
  startIdleShard,
  syncShardWorkers,
  type ShardProberDeps,
  type ShardRun,
  type ShardWorkers,
} from '../../src/engine/prober/shard-prober.ts';
import { ensureTable, startDynalite, type LocalDynamo } from '../../src/local/dynalite.ts';
import { systemClock } from '../../src/ports/clock.ts';
import type { ContainerInstanceRef } from '../../src/ports/container-runtime.ts';
import type { ProberLease } from '../../src/ports/prober-lease.ts';

const TABLE = 'podflow';
let db: LocalDynamo;
let lease: DynamoDbProberLease;
let registry: DynamoDbProbeRegistry;

beforeAll(async () => {
  db = await startDynalite();
  await ensureTable(db.client, TABLE);
  lease = new DynamoDbProberLease({ client: db.client, tableName: TABLE });
  registry = new DynamoDbProbeRegistry({ client: db.client, tableName: TABLE });
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  // Every case starts from an empty table.
  const { Items } = await db.client.send(new ScanCommand({ TableName: TABLE }));
  for (const item of Items ?? [])
    await db.client.send(new DeleteItemCommand({ TableName: TABLE, Key: { PK: item.PK!, SK: item.SK! } }));
});

const T = 1_750_000_000_000;
const refOf = (name: string, instance = 0, container = 'app'): ContainerInstanceRef => ({
  key: { namespace: 'default', name },
  podUid: `uid-${name}`,
  container,
  instance,
});

describe('DynamoDbProberLease (conditional writes on one item per shard)', () => {
  it('acquire a free shard; the holder renews, nobody else does', async () => {
    expect(await lease.acquire(0, 'a', T + 1000, T)).toBe(true);
    expect(await lease.list()).toEqual([{ shard: 0, owner: 'a', expiresAt: T + 1000 }]);
    expect(await lease.renew(0, 'a', T + 2000)).toBe(true);
    expect(await lease.renew(0, 'b', T + 3000)).toBe(false);
    expect(await lease.list()).toEqual([{ shard: 0, owner: 'a', expiresAt: T + 2000 }]);
  });

  it('contention: of 10 simultaneous contenders exactly one gets the shard', async () => {
    const owners = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const won = await Promise.all(owners.map((o) => lease.acquire(3, o, T + 1000, T)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const [held] = await lease.list();
    expect(held!.owner).toBe(owners[won.indexOf(true)]);
  });

  it.each([
    { name: 'before expiry another contender is refused', now: T + 999, taken: true },
    { name: 'at the expiry instant it is still held', now: T + 1000, taken: true },
    { name: 'after expiry another contender takes it over', now: T + 1001, taken: false },
  ])('expiry: $name', async ({ now, taken }) => {
    expect(await lease.acquire(1, 'a', T + 1000, T)).toBe(true);
    expect(await lease.acquire(1, 'b', now + 1000, now)).toBe(!taken);
    // The old holder finds out at its next renewal.
    expect(await lease.renew(1, 'a', now + 1000)).toBe(taken);
  });

  it('re-acquiring a lease one holds extends it (a retried invocation)', async () => {
    expect(await lease.acquire(2, 'a', T + 1000, T)).toBe(true);
    expect(await lease.acquire(2, 'a', T + 5000, T + 10)).toBe(true);
    expect((await lease.list())[0]!.expiresAt).toBe(T + 5000);
  });

  it('release frees the shard at once; a release by anyone else changes nothing', async () => {
    expect(await lease.acquire(0, 'a', T + 60_000, T)).toBe(true);
    await lease.release(0, 'b');
    expect(await lease.acquire(0, 'b', T + 60_000, T)).toBe(false);
    await lease.release(0, 'a');
    await lease.release(0, 'a'); // idempotent
    expect(await lease.acquire(0, 'b', T + 60_000, T)).toBe(true);
  });

  it('hand-over passes the lease to the successor in one write; the predecessor has lost it', async () => {
    expect(await lease.acquire(0, 'a', T + 1000, T)).toBe(true);
    expect(await lease.handOver(0, 'a', 'a2', T + 2000)).toBe(true);
    expect(await lease.renew(0, 'a', T + 3000)).toBe(false);
    expect(await lease.handOver(0, 'a', 'x', T + 3000)).toBe(false);
    expect(await lease.acquire(0, 'a2', T + 3000, T + 100)).toBe(true);
    expect(await lease.list()).toEqual([{ shard: 0, owner: 'a2', expiresAt: T + 3000 }]);
  });
});

describe('DynamoDbProbeRegistry (one item per instance, in its shard partition)', () => {
  it('add, add more, remove some, remove the rest (the item goes)', async () => {
    const ref = refOf('web');
    await registry.add(2, ref, ['readiness']);
    await registry.add(2, ref, ['liveness', 'readiness']);
    expect(await registry.list(2)).toEqual([{ ref, probes: ['readiness', 'liveness'] }]);
    await registry.remove(2, ref, ['liveness']);
    expect(await registry.list(2)).toEqual([{ ref, probes: ['readiness'] }]);
    await registry.remove(2, ref, ['readiness']);
    await registry.remove(2, ref, ['readiness']); // idempotent
    expect(await registry.list(2)).toEqual([]);
    const { Items } = await db.client.send(new ScanCommand({ TableName: TABLE }));
    expect(Items).toEqual([]);
  });

  it('any: whether a shard has a registration at all', async () => {
    expect(await registry.any(3)).toBe(false);
    await registry.add(3, refOf('a'), ['readiness']);
    await registry.add(3, refOf('b'), ['readiness']);
    expect(await registry.any(3)).toBe(true);
    expect(await registry.any(2)).toBe(false);
    await registry.remove(3, refOf('a'), ['readiness']);
    await registry.remove(3, refOf('b'), ['readiness']);
    expect(await registry.any(3)).toBe(false);
  });

  it('lists only its own shard', async () => {
    await registry.add(0, refOf('a'), ['readiness']);
    await registry.add(1, refOf('b'), ['liveness']);
    await registry.add(1, refOf('c', 2, 'side'), ['startup', 'liveness']);
    expect(
      (await registry.list(1)).map(
        (r) => `${r.ref.key.name}/${r.ref.container}#${r.ref.instance}:${r.probes}`,
      ),
    ).toEqual(['b/app#0:liveness', 'c/side#2:startup,liveness']);
  });

  it('RegisteringProber (the engine side in the cloud) writes to the pod’s shard', async () => {
    const prober = new RegisteringProber({ registry, shards: 4 });
    const ref = refOf('api');
    await prober.start(ref, ['startup', 'readiness', 'liveness']);
    await prober.stop(ref, ['startup', 'liveness']);
    expect(await registry.list(shardOf(ref.key, 4))).toEqual([{ ref, probes: ['readiness'] }]);
  });
});

describe('shardOf (stable hash of namespace/name)', () => {
  it.each([
    // FNV-1a 32 of the UTF-8 bytes (values from Go's hash/fnv New32a); pinned so that a change shows up here.
    { text: '', hash: 0x811c9dc5 },
    { text: 'a', hash: 0xe40c292c },
    { text: 'default/web', hash: 0x41d689bb },
    { text: 'café', hash: 0xa82b5049 },
  ])('fnv1a32($text)', ({ text, hash }) => {
    expect(fnv1a32(text)).toBe(hash);
  });

  it('is the same for the same pod, and all of a pod lives in one shard', () => {
    const key = { namespace: 'team-a', name: 'checkout-7f9c' };
    expect(shardOf(key, 8)).toBe(shardOf({ ...key }, 8));
    expect(shardOf(key, 1)).toBe(0);
  });

  it('spreads 4,000 pods over 4 shards within ±10%', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf({ namespace: `ns${i % 7}`, name: `pod-${i}` }, 4)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(100);
  });

  it('refuses a shard count below 1', () => {
    expect(() => shardOf({ namespace: 'a', name: 'b' }, 0)).toThrow(RangeError);
  });
});

/** The real lease, with `afterRelease` run right after each release (to land a write inside a run's let-go). */
function racingLease(afterRelease: (owner: string) => Promise<void>): ProberLease {
  return {
    acquire: (...a) => lease.acquire(...a),
    renew: (...a) => lease.renew(...a),
    handOver: (...a) => lease.handOver(...a),
    list: () => lease.list(),
    release: async (shard, owner) => {
      await lease.release(shard, owner);
      await afterRelease(owner);
    },
  };
}

/**
 * Resolves once `check` holds, polling (bounded): a run's steps are real DynamoDB calls, which a loaded machine slows,
 * so a case waits for the state it expects rather than a fixed time. The expectations after it say what is wrong.
 */
async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Records what a run asked of its workers; `stale` instances make startWorkers say so. */
class FakeWorkers implements ShardWorkers {
  readonly running = new Map<string, { ref: ContainerInstanceRef; probes: ProbeType[] }>();
  readonly started: string[] = [];
  readonly stale: Set<string>;
  closed = false;
  constructor(stale = new Set<string>()) {
    this.stale = stale;
  }
  async startWorkers(ref: ContainerInstanceRef, probes: readonly ProbeType[]) {
    const id = `${ref.key.name}/${ref.container}#${ref.instance}`;
    if (this.stale.has(id)) return 'stale' as const;
    const entry = this.running.get(id) ?? { ref, probes: [] };
    for (const p of probes) if (!entry.probes.includes(p)) entry.probes.push(p);
    this.running.set(id, entry);
    this.started.push(id);
    return 'started' as const;
  }
  async stop(ref: ContainerInstanceRef, probes: ProbeType[]) {
    const id = `${ref.key.name}/${ref.container}#${ref.instance}`;
    const entry = this.running.get(id);
    if (!entry) return;
    entry.probes = entry.probes.filter((p) => !probes.includes(p));
    if (entry.probes.length === 0) this.running.delete(id);
  }
  active() {
    return [...this.running.values()].map((e) => ({ ref: e.ref, probes: [...e.probes] }));
  }
  close() {
    this.closed = true;
    this.running.clear();
  }
}

describe('syncShardWorkers', () => {
  it('starts registered workers, stops unregistered ones, drops stale registrations', async () => {
    await registry.add(0, refOf('a'), ['readiness', 'liveness']);
    await registry.add(0, refOf('gone'), ['readiness']);
    const workers = new FakeWorkers(new Set(['gone/app#0']));
    await syncShardWorkers({ registry }, 0, workers);
    expect(workers.active().map((a) => `${a.ref.key.name}:${a.probes}`)).toEqual(['a:readiness,liveness']);
    expect((await registry.list(0)).map((r) => r.ref.key.name)).toEqual(['a']);
    await registry.remove(0, refOf('a'), ['liveness']);
    await syncShardWorkers({ registry }, 0, workers);
    expect(workers.active().map((a) => `${a.ref.key.name}:${a.probes}`)).toEqual(['a:readiness']);
  });
});

describe('runShardProber (short windows, real dynalite)', () => {
  let ids = 0;
  /** Prober runs started through `invokeProber`, and their outcomes. */
  function deps(overrides: Partial<ShardProberDeps> = {}) {
    const invoked: ShardRun[] = [];
    const workers: FakeWorkers[] = [];
    const d: ShardProberDeps = {
      lease,
      registry,
      createWorkers: () => {
        const w = new FakeWorkers();
        workers.push(w);
        return w;
      },
      clock: systemClock,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      newOwnerId: () => `owner-${++ids}`,
      invokeProber: async (run) => void invoked.push(run),
      ...overrides,
    };
    return { d, invoked, workers };
  }
  /** One shard unless a case is about several (a run also adopts every orphaned shard it sees). */
  const settings = { shards: 1, windowMs: 300, syncIntervalMs: 50, leaseTtlMs: 1_000 };

  it('two contenders for one shard: one runs, the other finds it taken', async () => {
    await registry.add(0, refOf('web'), ['readiness']);
    const { d } = deps();
    const [a, b] = await Promise.all([
      runShardProber(d, settings, { shard: 0, owner: 'A' }),
      runShardProber(d, settings, { shard: 0, owner: 'B' }),
    ]);
    expect([a, b].sort()).toEqual(['handed-over', 'not-acquired']);
  });

  it('hand-over: at the end of its window a run passes the lease to the successor it invokes, which runs on', async () => {
    await registry.add(0, refOf('web'), ['readiness']);
    const successorRuns: Array<Promise<string>> = [];
    const controller = new AbortController();
    const { d, invoked, workers } = deps();
    d.invokeProber = async (run) => {
      invoked.push(run);
      // The successor (another Lambda in the cloud) runs until the test stops it.
      successorRuns.push(runShardProber(d, { ...settings, windowMs: 60_000 }, run, controller.signal));
    };
    try {
      const t0 = Date.now();
      const outcome = await runShardProber(d, settings, { shard: 0, owner: 'first' });
      expect(outcome).toBe('handed-over');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(settings.windowMs);
      expect(invoked).toEqual([{ shard: 0, owner: expect.stringMatching(/^owner-/) }]);
      expect(workers[0]!.closed).toBe(true);
      expect(workers[0]!.started).toContain('web/app#0');
      // The successor holds the lease and probes the shard's registrations.
      await waitFor(() => workers[1]?.active().length === 1);
      const held = (await lease.list()).find((l) => l.shard === 0);
      expect(held?.owner).toBe(invoked[0]!.owner);
      expect(workers[1]!.active().map((a) => a.ref.key.name)).toEqual(['web']);
      expect(await lease.renew(0, 'first', Date.now() + 1000)).toBe(false);
    } finally {
      controller.abort();
    }
    expect(await successorRuns[0]).toBe('stopped');
    expect((await lease.list()).find((l) => l.shard === 0)).toBeUndefined();
  });

  it('a successor that cannot be invoked: the lease is released for the supervisor', async () => {
    await registry.add(1, refOf('web'), ['readiness']);
    const { d } = deps({
      invokeProber: async () => {
        throw new Error('throttled');
      },
      onError: () => undefined,
    });
    expect(await runShardProber(d, { ...settings, shards: 2 }, { shard: 1, owner: 'solo' })).toBe('released');
    expect(await lease.list()).toEqual([]);
  });

  it('expiry takeover: a running prober starts a prober for a shard whose lease expired', async () => {
    const now = Date.now();
    // shard 1's prober died: its lease ran out a moment ago; its probes are still registered.
    expect(await lease.acquire(1, 'dead', now - 1, now - 1000)).toBe(true);
    await registry.add(0, refOf('a'), ['readiness']);
    await registry.add(1, refOf('b'), ['readiness']);
    const { d, invoked } = deps();
    const twoShards = { ...settings, shards: 2, windowMs: 100 };
    expect(await runShardProber(d, twoShards, { shard: 0, owner: 'alive' })).toBe('handed-over');
    const adopted = invoked.find((r) => r.shard === 1);
    expect(adopted).toBeDefined();
    // It took the lease under the new prober's id before invoking it, so nobody else starts a second one.
    const held = (await lease.list()).find((l) => l.shard === 1);
    expect(held?.owner).toBe(adopted!.owner);
    expect(await adoptOrphanedShards(d, twoShards, { unleased: true })).toEqual([]);
  });

  it('a live lease is left alone by the supervisor', async () => {
    const now = Date.now();
    expect(await lease.acquire(0, 'x', now + 10_000, now)).toBe(true);
    expect(await lease.acquire(1, 'y', now + 10_000, now)).toBe(true);
    await registry.add(0, refOf('a'), ['readiness']);
    await registry.add(1, refOf('b'), ['readiness']);
    const { d, invoked } = deps();
    expect(await adoptOrphanedShards(d, { ...settings, shards: 2 }, { unleased: true })).toEqual([]);
    expect(invoked).toEqual([]);
  });

  it('a run that stalls past its lease loses it to a takeover and stops its workers', async () => {
    await registry.add(0, refOf('web'), ['liveness']);
    const { d, workers } = deps();
    const stalled = runShardProber(
      d,
      { shards: 1, windowMs: 10_000, syncIntervalMs: 600, leaseTtlMs: 200 },
      {
        shard: 0,
        owner: 'slow',
      },
    );
    // The run holds the lease; it stalls (its next renewal is 600 ms away) and the lease runs out at 200 ms.
    let expiresAt = 0;
    await waitFor(async () => {
      expiresAt = (await lease.list()).find((l) => l.owner === 'slow')?.expiresAt ?? 0;
      return expiresAt > 0;
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt + 1 - Date.now())));
    const now = Date.now();
    expect(await lease.acquire(0, 'rescuer', now + 10_000, now)).toBe(true);
    expect(await stalled).toBe('lost');
    expect(workers[0]!.closed).toBe(true);
  });

  it('scale to zero: a run whose shard has no registration releases its lease and ends at once', async () => {
    const { d, invoked, workers } = deps();
    const t0 = Date.now();
    expect(await runShardProber(d, { ...settings, windowMs: 60_000 }, { shard: 0, owner: 'idle' })).toBe(
      'idle',
    );
    expect(Date.now() - t0).toBeLessThan(settings.windowMs);
    expect(await lease.list()).toEqual([]);
    expect(invoked).toEqual([]);
    expect(workers[0]!.closed).toBe(true);
  });

  it('scale to zero: when the last registration goes, the run stops its workers and ends within a sync', async () => {
    await registry.add(0, refOf('web'), ['readiness']);
    const { d, workers } = deps();
    const run = runShardProber(d, { ...settings, windowMs: 60_000 }, { shard: 0, owner: 'r' });
    await waitFor(() => workers[0]?.active().length === 1);
    expect(workers[0]!.active().map((a) => a.ref.key.name)).toEqual(['web']);
    const removedAt = Date.now();
    await registry.remove(0, refOf('web'), ['readiness']);
    expect(await run).toBe('idle');
    expect(Date.now() - removedAt).toBeLessThan(settings.syncIntervalMs + 500);
    expect(workers[0]!.closed).toBe(true);
    expect(await lease.list()).toEqual([]);
  });

  it('a probe registered while the run lets go (after its release, before its re-read): the run takes the lease back and probes it', async () => {
    const controller = new AbortController();
    // The registration lands right after the run's release: the run's re-read sees it.
    const racing = racingLease(async (owner) => {
      if (owner === 'r') await registry.add(0, refOf('late'), ['liveness']);
    });
    const { d, workers, invoked } = deps({ lease: racing });
    const run = runShardProber(
      d,
      { ...settings, windowMs: 60_000 },
      { shard: 0, owner: 'r' },
      controller.signal,
    );
    let outcome: string | undefined;
    try {
      await waitFor(() => workers[0]?.active().length === 1);
      expect((await lease.list()).map((l) => l.owner)).toEqual(['r']);
      expect(workers[0]!.active().map((a) => a.ref.key.name)).toEqual(['late']);
      expect(invoked).toEqual([]);
    } finally {
      // The run ends before the next case starts, even when an expectation failed: a run left going would register
      // its probe in the next case's table.
      controller.abort();
      outcome = await run;
    }
    expect(outcome).toBe('stopped');
  });

  it('a probe registered and woken while the run lets go: the woken run has the shard, the old one ends — one run', async () => {
    const woken: ShardRun[] = [];
    const wakeDeps = {
      lease,
      clock: systemClock,
      newOwnerId: () => 'woken',
      invokeProber: async (r: ShardRun) => void woken.push(r),
    };
    const prober = new RegisteringProber({
      registry,
      shards: 1,
      wakeShard: (shard) => startIdleShard(wakeDeps, settings, shard),
    });
    const racing = racingLease(async (owner) => {
      // The engine registers a probe and wakes the shard between the run's release and its re-read.
      if (owner === 'r') await prober.start(refOf('late'), ['readiness']);
    });
    const { d } = deps({ lease: racing });
    expect(await runShardProber(d, { ...settings, windowMs: 60_000 }, { shard: 0, owner: 'r' })).toBe('idle');
    expect(woken).toEqual([{ shard: 0, owner: 'woken' }]);
    expect((await lease.list()).map((l) => l.owner)).toEqual(['woken']);
  });

  it('RegisteringProber wakes an idle shard: lease taken for the new run, then one invoke; a live shard is left alone', async () => {
    const { d, invoked } = deps();
    const prober = new RegisteringProber({
      registry,
      shards: 1,
      wakeShard: (shard) => startIdleShard(d, settings, shard),
    });
    await prober.start(refOf('a'), ['readiness']);
    expect(invoked).toHaveLength(1);
    expect((await lease.list()).map((l) => l.owner)).toEqual([invoked[0]!.owner]);
    await prober.start(refOf('b'), ['liveness']);
    expect(invoked).toHaveLength(1);
    // Registered before the wake: the run it started finds both.
    expect((await registry.list(0)).map((r) => r.ref.key.name).sort()).toEqual(['a', 'b']);
  });

  it('a wake whose invoke fails releases the lease and reports it; the registration stays for the supervisor', async () => {
    const errors: string[] = [];
    const { d } = deps({
      invokeProber: async () => {
        throw new Error('throttled');
      },
      onError: (_err, context) => void errors.push(context),
    });
    const prober = new RegisteringProber({
      registry,
      shards: 1,
      wakeShard: (shard) => startIdleShard(d, settings, shard),
    });
    await prober.start(refOf('a'), ['readiness']);
    expect(errors).toEqual(['prober shard 0: starting a prober']);
    expect(await lease.list()).toEqual([]);
    expect(await registry.any(0)).toBe(true);
    const { d: supervisor, invoked } = deps();
    expect(await adoptOrphanedShards(supervisor, settings, { unleased: true })).toEqual([0]);
    expect(invoked).toHaveLength(1);
  });

  it('running probers adopt only expired leases; unleased idle shards are the supervisor’s (no reads of them per sync)', async () => {
    await registry.add(1, refOf('b'), ['readiness']);
    const { d, invoked } = deps();
    expect(
      await adoptOrphanedShards(d, { ...settings, shards: 2 }, { exceptShard: 0, unleased: false }),
    ).toEqual([]);
    expect(invoked).toEqual([]);
    expect(await adoptOrphanedShards(d, { ...settings, shards: 2 }, { unleased: true })).toEqual([1]);
  });
});
