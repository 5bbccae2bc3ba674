// Walks an ASL definition, Map iterators included (test helper).
import type { Asl } from '../../infra/extract-asl.ts';

export type AslState = Record<string, unknown> & { Type: string };
interface Graph {
  StartAt: string;
  States: Record<string, AslState>;
}

/** Every state of the definition with its name, depth-first, iterators right after their Map state. */
export function allStates(asl: Asl | Graph): [string, AslState][] {
  const out: [string, AslState][] = [];
  for (const [name, state] of Object.entries((asl as Graph).States)) {
    out.push([name, state]);
    const processor = (state.ItemProcessor ?? state.Iterator) as Graph | undefined;
    if (state.Type === 'Map' && processor) out.push(...allStates(processor));
  }
  return out;
}

/** `A -next-> B`, `A -choice-> B`, `A -default-> B`, `A -catch-> B` for every transition. */
export function edges(asl: Asl): string[] {
  const out: string[] = [];
  for (const [name, state] of allStates(asl)) {
    if (typeof state.Next === 'string') out.push(`${name} -next-> ${state.Next}`);
    for (const rule of (state.Choices as { Next: string }[] | undefined) ?? [])
      out.push(`${name} -choice-> ${rule.Next}`);
    if (typeof state.Default === 'string') out.push(`${name} -default-> ${state.Default}`);
    for (const c of (state.Catch as { Next: string }[] | undefined) ?? [])
      out.push(`${name} -catch-> ${c.Next}`);
  }
  return out;
}

/** Every value of `key` anywhere in `value`. */
export function valuesOfKey(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesOfKey(v, key));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(k === key ? [v] : []), ...valuesOfKey(v, key)]);
}
