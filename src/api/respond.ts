// Writing responses: objects as JSON (or YAML when asked), Status errors, and the API server's Warning headers. Every
// answer is a buffered response (buffered-response.ts): its text is made once, here, and a transport that can write
// it directly does.
import type { Context } from 'hono';
import { stringify } from 'yaml';
import type { ResponseFormat } from './accept.ts';
import { contentTypeOf } from './accept.ts';
import { bufferedResponse } from './buffered-response.ts';
import { warningHeaderValue } from './request.ts';
import { statusHeaders, type ApiError } from './status.ts';

/** Warning header values added to a request's answer (addWarnings), until it is made. */
const warningsOf = new WeakMap<Context, string[]>();

export function respond(c: Context, format: ResponseFormat, status: number, body: unknown): Response {
  const text = format.kind === 'yaml' ? stringify(body) : JSON.stringify(body);
  return respondText(c, status, contentTypeOf(format), text);
}

/** The JSON text of objects that are never changed once made (the watch cache's), made once per object. */
const immutableJson = new WeakMap<object, string>();

/** `respond` for an object that is never changed once made: its JSON text is made once. */
export function respondImmutable(c: Context, format: ResponseFormat, status: number, body: object): Response {
  if (format.kind !== 'json') return respond(c, format, status, body);
  let text = immutableJson.get(body);
  if (text === undefined) {
    text = JSON.stringify(body);
    immutableJson.set(body, text);
  }
  return respondText(c, status, contentTypeOf(format), text);
}

/** A text answer, with the warnings added to the request. */
export function respondText(c: Context, status: number, contentType: string, text: string): Response {
  const warnings = warningsOf.get(c);
  return bufferedResponse(
    status,
    warnings ? { 'content-type': contentType, warning: warnings } : { 'content-type': contentType },
    text,
  );
}

export function respondStatus(err: ApiError): Response {
  return bufferedResponse(err.code, statusHeaders(err), JSON.stringify(err.toStatus()));
}

/**
 * Adds `Warning: 299 - "…"` headers, one per warning, as the API server does; kubectl prints each as
 * `Warning: <text>` on stderr.
 */
export function addWarnings(c: Context, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  const values = warningsOf.get(c) ?? [];
  for (const w of warnings) values.push(warningHeaderValue(w));
  warningsOf.set(c, values);
}
