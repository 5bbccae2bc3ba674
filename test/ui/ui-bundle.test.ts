// The web UI's bundle (scripts/build-ui.ts → src/ui/generated/ui-assets.ts): the committed module must be what the
// sources build to today, and what a browser downloads must stay small.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildUiAssets, renderUiAssetsModule, UI_ASSETS_MODULE } from '../../scripts/build-ui.ts';
import { UI_ASSETS } from '../../src/ui/generated/ui-assets.ts';

/** The budget the UI must stay under: every asset, gzipped. */
const MAX_GZIPPED_BYTES = 300 * 1024;

describe('web UI bundle', () => {
  it('is up to date with src/ui/app (run `npm run build:ui` after changing it)', async () => {
    const built = renderUiAssetsModule(await buildUiAssets());
    expect(readFileSync(UI_ASSETS_MODULE, 'utf8') === built, `${UI_ASSETS_MODULE} is stale`).toBe(true);
  });

  it('is the page, one script and one stylesheet, loaded from the page itself (no CDN)', () => {
    expect(Object.keys(UI_ASSETS).sort()).toEqual(['app.css', 'app.js', 'index.html']);
    const page = UI_ASSETS['index.html']!.body;
    expect(page).toContain('src="app.js"');
    expect(page).toContain('href="app.css"');
    for (const asset of Object.values(UI_ASSETS))
      expect(asset.body).not.toMatch(/\bhttps?:\/\/(?!www\.w3\.org)/);
  });

  it(`is under ${MAX_GZIPPED_BYTES / 1024} KB gzipped`, () => {
    const sizes = Object.fromEntries(
      Object.entries(UI_ASSETS).map(([name, a]) => [name, gzipSync(a.body, { level: 9 }).length]),
    );
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    console.log(`web UI gzipped: ${JSON.stringify(sizes)}, total ${(total / 1024).toFixed(1)} KB`);
    expect(total).toBeLessThan(MAX_GZIPPED_BYTES);
  });
});
