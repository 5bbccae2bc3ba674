// A cloud prober's run (docs/architecture.md §5, docs/decisions/0003-probes.md): a Lambda invocation owns one shard
// of the probe work through a lease item and runs a ProbeManager for the shard's registered container instances, for
// up to a window (a Lambda lives at most 15 minutes), then hands the lease straight to a successor it invokes. A
// prober that dies simply stops renewing: once its lease has expired, any other prober (or the scheduled supervisor)
// takes the orphaned shard over by starting a new prober for it.
//
// Every sync (default 15 s) the run renews its lease, lists its shard's registrations and starts/stops workers to
// match, and looks for orphaned shards. Results still reach the pods only on change (ProbeManager).
//
// A shard with nothing to probe has no run (scale to zero): a run whose shard has no registration left releases its
// lease and ends; the engine's RegisteringProber starts a run (startIdleShard) when it registers a probe in a shard
// whose lease is free; the scheduled supervisor starts a run for a shard that has registrations and no live lease.
// The race between a run letting go and a registration arriving is closed by re-reading after the release: see
// letGoIfIdle.
import type { Clock } from '../../ports/clock.ts';
import type { ContainerInstanceRef } from '../../ports/container-runtime.ts';
import type { ProberLease, ProbeRegistry } from '../../ports/prober-lease.ts';
import type { ProbeType } from '../../core/probe-results.ts';
import type { StartOutcome } from './probe-manager.ts';

/** Lambda's 15-minute limit minus a minute for the hand-over and the successor's cold start overlap. */
export const DEFAULT_PROBER_WINDOW_MS = 14 * 60_000;
/** How often a run renews its lease and re-reads its shard's registrations. */
export const DEFAULT_PROBER_SYNC_INTERVAL_MS = 15_000;
/** A lease not renewed for this long is free to take: three missed syncs. */
export const DEFAULT_PROBER_LEASE_TTL_MS = 45_000;

/** What a run needs of its shard's probe manager (ProbeManager). */
export interface ShardWorkers {
  startWorkers(ref: ContainerInstanceRef, probes: readonly ProbeType[]): Promise<StartOutcome>;
  stop(ref: ContainerInstanceRef, probes: ProbeType[]): Promise<void>;
  active(): Array<{ ref: ContainerInstanceRef; probes: ProbeType[] }>;
  close(): void;
}

export interface ShardProberSettings {
  shards: number;
  windowMs: number;
  syncIntervalMs: number;
  leaseTtlMs: number;
}

export const DEFAULT_SHARD_PROBER_SETTINGS: Omit<ShardProberSettings, 'shards'> = {
  windowMs: DEFAULT_PROBER_WINDOW_MS,
  syncIntervalMs: DEFAULT_PROBER_SYNC_INTERVAL_MS,
  leaseTtlMs: DEFAULT_PROBER_LEASE_TTL_MS,
};

/** Which prober should run: a shard and the owner id its lease is (or will be) held under. */
export interface ShardRun {
  shard: number;
  owner: string;
}

export interface ShardProberDeps {
  lease: ProberLease;
  registry: ProbeRegistry;
  /** A fresh probe manager for one run (its workers end with the run). */
  createWorkers: () => ShardWorkers;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  newOwnerId: () => string;
  /** Starts a prober run elsewhere (cloud: an asynchronous invoke of the prober Lambda). */
  invokeProber: (run: ShardRun) => Promise<void>;
  onError?: (err: unknown, context: string) => void;
}

export type ShardRunOutcome =
  /** Another prober holds the shard's live lease: nothing to do. */
  | 'not-acquired'
  /** The lease was taken over (this run had stalled past its TTL): workers stopped. */
  | 'lost'
  /** The window ended; the lease went to the successor this run invoked. */
  | 'handed-over'
  /** The window ended but no successor could be started: the lease was released for the supervisor. */
  | 'released'
  /** Stopped from outside (`signal`): the lease was released. */
  | 'stopped'
  /** The shard had no registration left: the lease was released and the run ended (scale to zero). */
  | 'idle';

/** Runs one shard for one window. `signal` ends it early (tests, shutdown). */
export async function runShardProber(
  deps: ShardProberDeps,
  settings: ShardProberSettings,
  run: ShardRun,
  signal?: AbortSignal,
): Promise<ShardRunOutcome> {
  const { lease, clock } = deps;
  const { shard, owner } = run;
  const started = clock.now();
  if (!(await lease.acquire(shard, owner, started + settings.leaseTtlMs, started))) return 'not-acquired';
  const deadline = started + settings.windowMs;
  const workers = deps.createWorkers();
  try {
    for (let first = true; ; first = false) {
      if (!first && !(await lease.renew(shard, owner, clock.now() + settings.leaseTtlMs))) return 'lost';
      const registered = await syncShardWorkers(deps, shard, workers);
      if (registered === 0 && workers.active().length === 0 && (await letGoIfIdle(deps, settings, run)))
        return 'idle';
      await adoptOrphanedShards(deps, settings, { exceptShard: shard, unleased: false });
      const remaining = deadline - clock.now();
      if (remaining <= 0 || signal?.aborted) break;
      await deps.sleep(Math.min(settings.syncIntervalMs, remaining));
      if (signal?.aborted) break;
    }
  } finally {
    workers.close();
  }
  if (signal?.aborted) {
    await lease.release(shard, owner);
    return 'stopped';
  }
  // Hand-over: the lease goes to the successor's id in one conditional write, then the successor is started.
  const successor = deps.newOwnerId();
  if (!(await lease.handOver(shard, owner, successor, clock.now() + settings.leaseTtlMs))) return 'lost';
  try {
    await deps.invokeProber({ shard, owner: successor });
    return 'handed-over';
  } catch (err) {
    deps.onError?.(err, `prober shard ${shard}: invoking the successor`);
    await lease.release(shard, successor);
    return 'released';
  }
}

/**
 * A run whose shard has nothing to probe gives the shard up. The lease goes first (a conditional delete), then the
 * registrations are read again: a probe registered before that read is seen here and the run takes the lease back
 * (false: carry on — unless a RegisteringProber took the free lease first and started a run of its own, then true);
 * one registered after it finds the lease free, and its RegisteringProber starts a run (startIdleShard). Either way
 * no registration is left without a run. True when the run should end.
 */
async function letGoIfIdle(
  deps: Pick<ShardProberDeps, 'lease' | 'registry' | 'clock'>,
  settings: Pick<ShardProberSettings, 'leaseTtlMs'>,
  { shard, owner }: ShardRun,
): Promise<boolean> {
  await deps.lease.release(shard, owner);
  if (!(await deps.registry.any(shard))) return true;
  const now = deps.clock.now();
  return !(await deps.lease.acquire(shard, owner, now + settings.leaseTtlMs, now));
}

/**
 * Makes the run's workers match the shard's registrations; drops registrations whose instance is gone. Resolves the
 * number of registrations kept (a registration whose start failed counts: it is tried again next sync).
 */
export async function syncShardWorkers(
  deps: Pick<ShardProberDeps, 'registry' | 'onError'>,
  shard: number,
  workers: ShardWorkers,
): Promise<number> {
  const registrations = await deps.registry.list(shard);
  const wanted = new Map<string, ProbeType[]>();
  let kept = 0;
  for (const { ref, probes } of registrations) {
    wanted.set(instanceKey(ref), probes);
    try {
      if ((await workers.startWorkers(ref, probes)) === 'stale')
        await deps.registry.remove(shard, ref, probes);
      else kept++;
    } catch (err) {
      kept++;
      deps.onError?.(err, `prober shard ${shard}: ${instanceKey(ref)}`);
    }
  }
  for (const { ref, probes } of workers.active()) {
    const keep = wanted.get(instanceKey(ref)) ?? [];
    const gone = probes.filter((p) => !keep.includes(p));
    if (gone.length > 0) await workers.stop(ref, gone);
  }
  return kept;
}

/**
 * Starts a prober for every shard that has registrations and whose lease has expired (a run died) or — with
 * `unleased`, what the scheduled supervisor passes — is missing (a lost start: the RegisteringProber's invoke failed,
 * first deployment). A shard without registrations is left alone: it needs no run. Running probers pass `unleased:
 * false`, so they read the registrations only of shards whose run died, not of every idle shard every sync. The lease
 * is taken first under the new prober's id, so two supervisors never start two.
 */
export async function adoptOrphanedShards(
  deps: Pick<ShardProberDeps, 'lease' | 'registry' | 'clock' | 'newOwnerId' | 'invokeProber' | 'onError'>,
  settings: Pick<ShardProberSettings, 'shards' | 'leaseTtlMs'>,
  options: { exceptShard?: number; unleased: boolean },
): Promise<number[]> {
  const now = deps.clock.now();
  const leases = new Map((await deps.lease.list()).map((l) => [l.shard, l]));
  const adopted: number[] = [];
  for (let shard = 0; shard < settings.shards; shard++) {
    if (shard === options.exceptShard) continue;
    const held = leases.get(shard);
    if (held ? held.expiresAt >= now : !options.unleased) continue;
    if (!(await deps.registry.any(shard))) continue;
    if (await startIdleShard(deps, settings, shard, now)) adopted.push(shard);
  }
  return adopted;
}

/**
 * Starts a prober for `shard` if nobody holds its lease (missing or expired): the lease is taken under the new run's
 * id in one conditional write, then the run is invoked with that id. What RegisteringProber calls after registering
 * a probe, so that a probe in an idle shard is probed at once rather than at the supervisor's next tick. A failed
 * invoke releases the lease again (the supervisor retries within its rate) and is reported, not thrown: the
 * registration is stored, and the run is only late. True when a run was started.
 */
export async function startIdleShard(
  deps: Pick<ShardProberDeps, 'lease' | 'clock' | 'newOwnerId' | 'invokeProber' | 'onError'>,
  settings: Pick<ShardProberSettings, 'leaseTtlMs'>,
  shard: number,
  now = deps.clock.now(),
): Promise<boolean> {
  const owner = deps.newOwnerId();
  if (!(await deps.lease.acquire(shard, owner, now + settings.leaseTtlMs, now))) return false;
  try {
    await deps.invokeProber({ shard, owner });
    return true;
  } catch (err) {
    deps.onError?.(err, `prober shard ${shard}: starting a prober`);
    await deps.lease.release(shard, owner);
    return false;
  }
}

const instanceKey = (ref: ContainerInstanceRef): string => `${ref.podUid}/${ref.container}/${ref.instance}`;
