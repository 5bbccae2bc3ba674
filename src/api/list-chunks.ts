// List chunking (apiserver `limit` and `continue`, KEP 365): a list with `limit` answers at most that many items and,
// when more follow, a `metadata.continue` token that kubectl (`--chunk-size`, 500 by default) and client-go send back
// for the next chunk. The token has the API server's shape (apiserver/pkg/storage continue.go EncodeContinue):
// base64 of {"v":"meta.k8s.io/v1","rv":<the first chunk's resourceVersion>,"start":"<namespace>/<name>\u0000"} —
// "start after this key". Every chunk reports the first chunk's resourceVersion, as the API server does; unlike etcd,
// the stores serve later chunks from their current state, not from a snapshot at that version (README "Limits").
import type { Context } from 'hono';
import type { ListPage } from '../ports/pod-store.ts';
import type { PodKey } from '../ports/pod-key.ts';
import { intParam } from './request.ts';
import { badRequest } from './status.ts';

const TOKEN_VERSION = 'meta.k8s.io/v1';

export interface ChunkRequest {
  page?: ListPage;
  /** The resourceVersion every chunk of the list reports: the first chunk's. */
  resourceVersion?: string;
}

/** `limit` (0 or absent: everything) and `continue` of a list request. */
export function chunkRequest(c: Context): ChunkRequest {
  const limit = intParam(c, 'limit', 0) ?? 0;
  const token = c.req.query('continue');
  if (token === undefined || token === '') return limit > 0 ? { page: { limit } } : {};
  const { rv, after } = decodeContinue(token);
  // A continuation without a limit reads the rest (the API server's default chunking is the client's limit).
  return { page: { limit: limit > 0 ? limit : Number.MAX_SAFE_INTEGER, after }, resourceVersion: rv };
}

export function encodeContinue(resourceVersion: string, after: PodKey): string {
  const start = `${after.namespace}/${after.name}\u0000`;
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, rv: Number(resourceVersion), start })).toString(
    'base64url',
  );
}

/** The token's resourceVersion and key; a token this server did not issue is 400, as the API server answers. */
export function decodeContinue(token: string): { rv: string; after: PodKey } {
  let parsed: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw badRequest(
      'invalid continue token: continue key is not valid: the token is not base64-encoded JSON',
    );
  }
  const start = typeof parsed.start === 'string' && parsed.start.endsWith('\u0000') ? parsed.start : '';
  const m = /^([^/]+)\/([^/]+)$/.exec(start.slice(0, -1));
  if (parsed.v !== TOKEN_VERSION || !Number.isSafeInteger(parsed.rv) || (parsed.rv as number) < 0 || !m) {
    throw badRequest(
      `invalid continue token: continue key is not valid: server does not recognize this encoded key`,
    );
  }
  return { rv: String(parsed.rv), after: { namespace: m[1]!, name: m[2]! } };
}
