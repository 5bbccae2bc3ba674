// Writing responses: objects as JSON (or YAML when asked), Status errors, and the API server's Warning headers.
import type { Context } from 'hono';
import { stringify } from 'yaml';
import type { ResponseFormat } from './accept.ts';
import { contentTypeOf } from './accept.ts';
import { warningHeaderValue } from './request.ts';
import type { ApiError } from './status.ts';

export function respond(c: Context, format: ResponseFormat, status: number, body: unknown): Response {
  const text = format.kind === 'yaml' ? stringify(body) : JSON.stringify(body);
  // Through the context, so headers set on it (warnings) are kept.
  return c.body(text, status as 200, { 'content-type': contentTypeOf(format) });
}

export function respondStatus(err: ApiError): Response {
  return new Response(JSON.stringify(err.toStatus()), {
    status: err.code,
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * Adds `Warning: 299 - "…"` headers, one per warning, as the API server does; kubectl prints each as
 * `Warning: <text>` on stderr.
 */
export function addWarnings(c: Context, warnings: readonly string[]): void {
  for (const w of warnings) c.header('Warning', warningHeaderValue(w), { append: true });
}
