// The web UI's static assets at /ui/ (docs/decisions/0005-pod-timeline-and-ui.md): the page, its script and its
// stylesheet, bundled from src/ui/app/ into src/ui/generated/ui-assets.ts, so the cloud's api Lambda and
// `podflow serve` serve the same bytes from the same app. The assets are public — they hold no data — and every
// request the page makes for data goes to the API and carries the token like any other client's.
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { UI_ASSETS } from '../ui/generated/ui-assets.ts';
import { pathNotFound } from './status.ts';

export const UI_PATH = '/ui';

/**
 * The page may load only its own script and stylesheet and talk only to the API it came from. Styles set from the
 * script go through the CSSOM, which style-src does not restrict.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const etags: Record<string, string> = Object.fromEntries(
  Object.entries(UI_ASSETS).map(([name, a]) => [
    name,
    `"${createHash('sha256').update(a.body).digest('base64url').slice(0, 22)}"`,
  ]),
);

/** The asset a public path names: `/ui/` is the page, `/ui/<file>` a file of the bundle. */
export function uiAssetName(path: string): string | undefined {
  if (path === `${UI_PATH}/`) return 'index.html';
  if (!path.startsWith(`${UI_PATH}/`)) return undefined;
  const name = path.slice(UI_PATH.length + 1);
  return Object.hasOwn(UI_ASSETS, name) ? name : undefined;
}

/** Paths that need no token: the assets, and `/ui` (a redirect to the page). */
export const isPublicUiPath = (path: string): boolean => path === UI_PATH || uiAssetName(path) !== undefined;

export function serveUiAsset(c: Context): Response {
  const path = c.req.path;
  // Relative, so that a stage prefix in front of the API (API Gateway's /prod) is kept.
  if (path === UI_PATH) return new Response(null, { status: 308, headers: { location: 'ui/' } });
  const name = uiAssetName(path);
  const asset = name ? UI_ASSETS[name] : undefined;
  if (!name || !asset) throw pathNotFound();
  const etag = etags[name]!;
  const headers: Record<string, string> = {
    'content-type': asset.contentType,
    // Revalidated on every load: a rebuilt podflow serves its own UI at once.
    'cache-control': 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (name === 'index.html') headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
  if (c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(asset.body, { status: 200, headers });
}
