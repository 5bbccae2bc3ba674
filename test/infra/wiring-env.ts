// What the composition root (lambdas/wiring.ts) reads from the environment, per wiring function: its own `env('X')`
// calls and those of the wiring functions it calls, so a test can check a function's binding against its wiring.
import { readFileSync } from 'node:fs';

const wiring = readFileSync(new URL('../../lambdas/wiring.ts', import.meta.url), 'utf8');

/** The text of `[export] function <name>(…) … { … }` in lambdas/wiring.ts, to its closing brace at column 0. */
export function wiringBody(name: string): string {
  const start = new RegExp(`^(?:export )?(?:async )?function ${name}\\(`, 'm').exec(wiring)?.index;
  if (start === undefined) throw new Error(`${name}() not found in lambdas/wiring.ts`);
  const end = wiring.indexOf('\n}\n', start);
  return wiring.slice(start, end);
}

/** The variables `name()` requires (env('X')), including through the wiring functions it calls. */
export function requiredEnv(name: string, seen = new Set<string>()): string[] {
  return [...requiredEnvWithRuntime(name, seen)].filter((v) => !RUNTIME_DEFINED.has(v)).sort();
}

/**
 * What the Lambda runtime sets in every function itself, never the template (Lambda developer guide, "Defined runtime
 * environment variables").
 */
const RUNTIME_DEFINED = new Set(['AWS_REGION']);

function requiredEnvWithRuntime(name: string, seen: Set<string>): string[] {
  seen.add(name);
  const body = wiringBody(name);
  const out = new Set([...body.matchAll(/\benv\('([A-Z_]+)'\)/g)].map((m) => m[1]!));
  for (const [, callee] of wiring.matchAll(/(?:export )?(?:async )?function (\w+)\(/g)) {
    if (!seen.has(callee!) && new RegExp(`\\b${callee}\\(`).test(body))
      for (const v of requiredEnvWithRuntime(callee!, seen)) out.add(v);
  }
  return [...out].sort();
}
