// What a cloud prober reads and writes to own a shard of the probe work (docs/architecture.md §5,
// docs/decisions/0003-probes.md):
//  - ProberLease: which prober owns shard n right now (one lease item per shard, conditional writes only);
//  - ProbeRegistry: which container instances of shard n have probe workers to run (one item per instance,
//    written by the engine's `startProbes`/`stopProbes` actions through RegisteringProber).
// Locally none of this exists: the ProbeManager is the engine's Prober directly, one shard, no lease.
// Adapters: DynamoDbProberLease, DynamoDbProbeRegistry (adapters/probes/). Tests: test/probes/shard-lease.test.ts.
import type { ProbeType } from '../core/probe-results.ts';
import type { ContainerInstanceRef } from './container-runtime.ts';

/** A shard's lease as stored: who holds it and until when (epoch ms). */
export interface ShardLease {
  shard: number;
  owner: string;
  expiresAt: number;
}

export interface ProberLease {
  /**
   * Takes shard `shard` for `owner` until `expiresAt` if nobody holds it, if its holder's lease ran out before
   * `now`, or if `owner` holds it already. Atomic: of any number of concurrent contenders at most one gets it.
   * Resolves true when `owner` holds the lease afterwards.
   */
  acquire(shard: number, owner: string, expiresAt: number, now: number): Promise<boolean>;

  /** Extends the lease to `expiresAt` if `owner` still holds it; false when it was lost (taken over or released). */
  renew(shard: number, owner: string, expiresAt: number): Promise<boolean>;

  /**
   * Passes the lease held by `owner` straight to `successor` (until `expiresAt`) in one conditional write, so the
   * shard is never free during a hand-over. False when `owner` no longer held it.
   */
  handOver(shard: number, owner: string, successor: string, expiresAt: number): Promise<boolean>;

  /** Gives the lease up if `owner` holds it, so another prober may take it at once. Idempotent. */
  release(shard: number, owner: string): Promise<void>;

  /** Every stored lease (a shard nobody ever held has none). */
  list(): Promise<ShardLease[]>;
}

/** The probe workers one container instance needs. */
export interface ProbeRegistration {
  ref: ContainerInstanceRef;
  probes: ProbeType[];
}

export interface ProbeRegistry {
  /** Adds probe types to the instance's registration in `shard` (creating it). Idempotent. */
  add(shard: number, ref: ContainerInstanceRef, probes: readonly ProbeType[]): Promise<void>;

  /** Removes probe types from the instance's registration; the registration goes with the last one. Idempotent. */
  remove(shard: number, ref: ContainerInstanceRef, probes: readonly ProbeType[]): Promise<void>;

  /** Every registration of `shard`. */
  list(shard: number): Promise<ProbeRegistration[]>;

  /** Whether `shard` has a registration at all (a strongly consistent read of at most one item). */
  any(shard: number): Promise<boolean>;
}
