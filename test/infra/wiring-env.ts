// What the composition root (lambdas/wiring.ts) reads from the environment, per wiring function: its own `env('X')`
// calls and those of the wiring functions it calls, so a test can check a function's binding against its wiring.
import { readFileSync } from 'node:fs';

const wiring = readFileSync(new URL('../../lambdas/wiring.ts', import.meta.url), 'utf8');

/** The body of `export function <name>(…) … { … }` in lambdas/wiring.ts. */
export function wiringBody(name: string): string {
  const body = new RegExp(`export function ${name}\\([^)]*\\)[^\\n]*\\{\\n([\\s\\S]*?)\\n\\}\\n`).exec(
    wiring,
  )?.[1];
  if (body === undefined) throw new Error(`${name}() not found in lambdas/wiring.ts`);
  return body;
}

/** The variables `name()` requires (env('X')), including through the exported wiring functions it calls. */
export function requiredEnv(name: string, seen = new Set<string>()): string[] {
  seen.add(name);
  const body = wiringBody(name);
  const out = new Set([...body.matchAll(/\benv\('([A-Z_]+)'\)/g)].map((m) => m[1]!));
  for (const [, callee] of wiring.matchAll(/export function (\w+)\(/g)) {
    if (!seen.has(callee!) && new RegExp(`\\b${callee}\\(`).test(body))
      for (const v of requiredEnv(callee!, seen)) out.add(v);
  }
  return [...out].sort();
}
