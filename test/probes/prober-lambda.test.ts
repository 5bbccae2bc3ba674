// The prober Lambda entry (lambdas/prober.ts): event decoding, the supervise event, and a shard run whose window
// is capped by the invocation's remaining time. Runs the real use cases on dynalite with fake workers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbProbeRegistry } from '../../src/adapters/probes/dynamodb-probe-registry.ts';
import { DynamoDbProberLease } from '../../src/adapters/probes/dynamodb-prober-lease.ts';
import type { ShardProberDeps, ShardRun } from '../../src/engine/prober/shard-prober.ts';
import {
  HANDOVER_MARGIN_MS,
  InvalidProberEventError,
  createProberHandler,
  decodeProberEvent,
} from '../../lambdas/prober.ts';
import { ensureTable, startDynalite, type LocalDynamo } from '../../src/local/dynalite.ts';
import { systemClock } from '../../src/ports/clock.ts';

let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
  await ensureTable(db.client, 'podflow');
});
afterAll(async () => {
  await db?.close();
});

describe('decodeProberEvent', () => {
  it.each([
    { name: 'a shard', event: { shard: 2 }, expected: { shard: 2 } },
    {
      name: 'a shard with its owner id',
      event: { shard: 0, owner: 'o-1' },
      expected: { shard: 0, owner: 'o-1' },
    },
    { name: 'the supervisor', event: { supervise: true }, expected: { supervise: true } },
  ])('$name', ({ event, expected }) => {
    expect(decodeProberEvent(event, 4)).toEqual(expected);
  });

  it.each([
    { name: 'nothing', event: undefined },
    { name: 'a shard out of range', event: { shard: 4 } },
    { name: 'a fractional shard', event: { shard: 1.5 } },
    { name: 'a non-string owner', event: { shard: 1, owner: 7 } },
  ])('rejects $name', ({ event }) => {
    expect(() => decodeProberEvent(event, 4)).toThrow(InvalidProberEventError);
  });
});

describe('prober handler', () => {
  function wire() {
    const invoked: Array<{ arn: string; run: ShardRun }> = [];
    let ids = 0;
    const build = (functionArn: string) => {
      const deps: ShardProberDeps = {
        lease: new DynamoDbProberLease({ client: db.client, tableName: 'podflow' }),
        registry: new DynamoDbProbeRegistry({ client: db.client, tableName: 'podflow' }),
        createWorkers: () => ({
          startWorkers: async () => 'started' as const,
          stop: async () => undefined,
          active: () => [],
          close: () => undefined,
        }),
        clock: systemClock,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        newOwnerId: () => `o-${++ids}`,
        invokeProber: async (run) => void invoked.push({ arn: functionArn, run }),
      };
      return { deps, settings: { shards: 2, windowMs: 60_000, syncIntervalMs: 20, leaseTtlMs: 5_000 } };
    };
    return { handler: createProberHandler(build), invoked };
  }
  const ARN = 'arn:aws:lambda:eu-west-1:111111111111:function:prober';

  const registry = () => new DynamoDbProbeRegistry({ client: db.client, tableName: 'podflow' });
  const ref = (name: string) => ({
    key: { namespace: 'default', name },
    podUid: `uid-${name}`,
    container: 'app',
    instance: 0,
  });

  it('supervise starts no prober while no shard has a probe (scale to zero)', async () => {
    const { handler, invoked } = wire();
    expect(
      await handler({ supervise: true }, { invokedFunctionArn: ARN, getRemainingTimeInMillis: () => 60_000 }),
    ).toEqual({ adopted: [] });
    expect(invoked).toEqual([]);
  });

  it('supervise starts a prober for every shard with probes and without a live lease, through the same function', async () => {
    await registry().add(0, ref('a'), ['readiness']);
    await registry().add(1, ref('b'), ['liveness']);
    const { handler, invoked } = wire();
    const result = await handler(
      { supervise: true },
      { invokedFunctionArn: ARN, getRemainingTimeInMillis: () => 60_000 },
    );
    expect(result).toEqual({ adopted: [0, 1] });
    expect(invoked.map((i) => `${i.arn}#${i.run.shard}`)).toEqual([`${ARN}#0`, `${ARN}#1`]);
    // A second supervisor finds both leases live.
    expect(
      await handler({ supervise: true }, { invokedFunctionArn: ARN, getRemainingTimeInMillis: () => 60_000 }),
    ).toEqual({
      adopted: [],
    });
  });

  it('a shard run ends before the invocation does (remaining time − hand-over margin) and hands over', async () => {
    const { handler, invoked } = wire();
    // The supervisor above took shard 0 under o-1: its prober arrives with that owner id (alone: a free shard).
    const t0 = Date.now();
    const result = await handler(
      { shard: 0, owner: 'o-1' },
      { invokedFunctionArn: ARN, getRemainingTimeInMillis: () => HANDOVER_MARGIN_MS + 200 },
    );
    const elapsed = Date.now() - t0;
    expect(result).toEqual({ outcome: 'handed-over' });
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(5_000);
    expect(invoked.at(-1)?.run.shard).toBe(0);
  });
});
