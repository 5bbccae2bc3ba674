// The prober Lambda (docs/architecture.md §5, docs/decisions/0003-probes.md). Thin: decode the event, run one use
// case.
//   { shard: n, owner?: id }   run shard n for one window, then hand over to a successor (a successor, or a
//                              prober started for an orphaned shard, comes with the owner id its lease was taken
//                              for; a bare { shard } contends for the lease like anyone else)
//   { supervise: true }        from a schedule (rate 1 minute): start a prober for every shard that has probe
//                              registrations and no live lease (a shard without probes has no prober)
// The window is capped by the invocation's remaining time, keeping a margin for the hand-over.
import {
  adoptOrphanedShards,
  runShardProber,
  type ShardProberDeps,
  type ShardProberSettings,
  type ShardRunOutcome,
} from '../src/engine/prober/shard-prober.ts';

/** Time kept back from the invocation's remaining time for the hand-over writes and the successor's invoke. */
export const HANDOVER_MARGIN_MS = 30_000;

export type ProberEvent = { shard: number; owner?: string } | { supervise: true };

/** The part of the Lambda context the handler uses. */
export interface ProberContext {
  invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
}

export class InvalidProberEventError extends Error {
  override name = 'InvalidProberEventError';
}

export function decodeProberEvent(event: unknown, shards: number): ProberEvent {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e.supervise === true) return { supervise: true };
  const shard = e.shard;
  if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new InvalidProberEventError(
      `prober event needs a shard in 0…${shards - 1} or supervise: true, got ${JSON.stringify(event)}`,
    );
  }
  if (e.owner !== undefined && typeof e.owner !== 'string') {
    throw new InvalidProberEventError(`prober event owner must be a string, got ${JSON.stringify(e.owner)}`);
  }
  return { shard, ...(typeof e.owner === 'string' ? { owner: e.owner } : {}) };
}

export type ProberResult = { outcome: ShardRunOutcome } | { adopted: number[] };

export function createProberHandler(
  wire: (functionArn: string) => { deps: ShardProberDeps; settings: ShardProberSettings },
): (event: unknown, context: ProberContext) => Promise<ProberResult> {
  return async (event, context) => {
    const { deps, settings } = wire(context.invokedFunctionArn);
    const decoded = decodeProberEvent(event, settings.shards);
    if ('supervise' in decoded)
      return { adopted: await adoptOrphanedShards(deps, settings, { unleased: true }) };
    const windowMs = Math.max(
      0,
      Math.min(settings.windowMs, context.getRemainingTimeInMillis() - HANDOVER_MARGIN_MS),
    );
    const owner = decoded.owner ?? deps.newOwnerId();
    return {
      outcome: await runShardProber(deps, { ...settings, windowMs }, { shard: decoded.shard, owner }),
    };
  };
}

let wired: ((event: unknown, context: ProberContext) => Promise<ProberResult>) | undefined;

/** Lambda entry point: the wiring module is imported on first use, so unit tests of the factory need no AWS env. */
export const handler = async (event: unknown, context: ProberContext): Promise<ProberResult> => {
  if (!wired) {
    const { cloudProber } = await import('./wiring.ts');
    wired = createProberHandler(cloudProber);
  }
  return wired(event, context);
};
