// Reading requests the way the API server does: bodies up to a limit, query parameters with Go's parsing rules
// (strconv.ParseBool / ParseInt), fieldValidation and dryRun directives.
import type { Context } from 'hono';
import { badRequest, tooLarge } from './status.ts';

/**
 * docs/architecture.md §7: podflow refuses objects over 256 KiB (a pod item must stay well under DynamoDB's 400 KB).
 * A request body larger than that cannot hold an acceptable object, so it is refused before it is parsed.
 */
export const MAX_REQUEST_BODY_BYTES = 256 * 1024;

/**
 * The API server's own request body limit (apiserver MaxRequestBodyBytes, 3 MiB): room for a ConfigMap or Secret of
 * 1 MiB of data sent as base64 or protobuf. The largest body any route takes; each route caps its own kind below it.
 */
export const MAX_API_BODY_BYTES = 3 * 1024 * 1024;

/** The body as text; 413 when it is over the limit (by Content-Length or by what arrives). */
export async function readBody(c: Context, limit = MAX_REQUEST_BODY_BYTES): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(c, limit));
}

/** The request body as bytes (a protobuf body), with the same limit. */
export async function readBodyBytes(c: Context, limit = MAX_REQUEST_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(`limit is ${limit}`);
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > limit) throw tooLarge(`limit is ${limit}`);
  return new Uint8Array(buffer);
}

/** The media type of the request body, lower-cased, without parameters. */
export function requestMediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The last value of a query parameter (Go's url.Values.Get takes the first; kubectl sends each once). */
export const queryParam = (c: Context, name: string): string | undefined => c.req.query(name);

/** strconv.ParseBool, as the API server's query parameter conversion uses it. */
export function boolParam(c: Context, name: string): boolean | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(raw)) return false;
  throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
}

/** strconv.ParseInt(raw, 10, 64); `min` rejects what the API server's validation rejects. */
export function intParam(c: Context, name: string, min?: number): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^[+-]?\d+$/.test(raw))
    throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value))
    throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`);
  if (min !== undefined && value < min)
    throw badRequest(`${name}: Invalid value: ${value}: must be greater than or equal to ${min}`);
  return value;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The `fieldValidation` query parameter (default Warn, as the API server's). */
export function fieldValidationParam(c: Context): FieldValidation {
  const raw = c.req.query('fieldValidation');
  if (raw === undefined || raw === '') return 'Warn';
  if (raw === 'Strict' || raw === 'Warn' || raw === 'Ignore') return raw;
  throw badRequest(
    `fieldValidation: Unsupported value: ${JSON.stringify(raw)}: supported values: "Ignore", "Strict", "Warn"`,
  );
}

/** `dryRun=All`: validate and answer as if done, change nothing. Any other value is refused (400). */
export function dryRunParam(c: Context): boolean {
  const values = c.req.queries('dryRun') ?? [];
  for (const v of values) {
    if (v !== 'All')
      throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

/**
 * The API server's Warning header value (apiserver pkg/endpoints/warning, net.NewWarningHeader):
 * `299 - "text"` with `"` and `\` escaped. HTTP header values must be Latin-1: other characters become `?`.
 */
export function warningHeaderValue(text: string): string {
  const quoted = text.replace(/[\\"]/g, (ch) => `\\${ch}`).replace(/[^\x20-\x7e\t]/g, '?');
  return `299 - "${quoted}"`;
}

/**
 * Bodies nest at most this deep. A Pod nests about 10 levels; the limit keeps the recursive walks (decoding, patching)
 * far from the call stack's end — the API server's JSON decoder has such a limit too (sigs.k8s.io/json max depth).
 */
export const MAX_BODY_DEPTH = 1000;

/** Throws 400 when a parsed body nests deeper than MAX_BODY_DEPTH (checked without recursion). */
export function checkBodyDepth(value: unknown, max = MAX_BODY_DEPTH): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max)
      throw badRequest(`the request body nests deeper than ${max} levels: json: exceeded max depth`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}
