// The web UI in a real browser (headless Chromium through playwright-core) against `podflow serve` with a token:
// the pods list follows the API live, the init-container pod's timeline has its init containers strictly before
// the app, the crash-looping pod's lane shows its instances with growing back-off gaps and CrashLoopBackOff, a
// deletion shows its grace window and the pod leaves the list — each read from the DOM. Every data request the
// page makes carries the token; without it the page asks for one. It measures first paint and saves a screenshot of
// the crash loop's timeline (UPDATE_SCREENSHOTS=1 writes it to docs/ for the README).
//
// Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it); playwright's own browser download is
// not used. Without a Chromium the suite is skipped and says why.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startServe, type ServeHandle } from '../../src/cli/commands/serve.ts';
import { BACKOFF_RESET_MS } from '../../src/core/backoff.ts';
import { deleteAllPods, testIo } from '../api/support.ts';
import { endEverythingUnder } from '../support/runtime-cleanup.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.PODFLOW_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.log(
    `test/ui/browser.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set PODFLOW_CHROMIUM)`,
  );

/** Chromium on a machine without network: no background connections, no first-run, no GPU. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TOKEN = 'ui-test-token';
const SCREENSHOT = 'ui-timeline-crash-loop.png';
const OUT_DIR = join(tmpdir(), 'podflow-ui-test');

let serve: ServeHandle;
let dataDir: string;
let browser: Browser;
let page: Page;
const dataRequests: Array<{ url: string; authorized: boolean }> = [];

const auth = { authorization: `Bearer ${TOKEN}` };
async function applyExample(file: string): Promise<void> {
  const pod = parse(readFileSync(join(ROOT, file), 'utf8')) as object;
  const res = await fetch(`${serve.url}/api/v1/namespaces/default/pods`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(pod),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

/** Numbers of data-* attributes of the instances in a container's lane, in order. */
async function instances(
  container: string,
): Promise<Array<{ instance: number; requested: number; from: number; to: number; exit?: number }>> {
  return page.$$eval(`g.lane[data-container="${container}"] rect.instance`, (rects) =>
    rects.map((r) => ({
      instance: Number(r.getAttribute('data-instance')),
      requested: Number(r.getAttribute('data-requested')),
      from: Number(r.getAttribute('data-from')),
      to: Number(r.getAttribute('data-to')),
      ...(r.hasAttribute('data-exit-code') ? { exit: Number(r.getAttribute('data-exit-code')) } : {}),
    })),
  );
}

describe.skipIf(!hasChromium)('web UI in a browser', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'podflow-ui-'));
    mkdirSync(OUT_DIR, { recursive: true });
    serve = await startServe(
      {
        port: 0,
        dataDir,
        inMemory: true,
        token: TOKEN,
        // Fast crash back-off (the crash-loop example's annotations say the same, per pod).
        crashBackoffInitial: 200,
        crashBackoffMax: 1000,
        crashBackoffReset: BACKOFF_RESET_MS,
      },
      testIo(),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api'))
        void r
          .allHeaders()
          .then((h) =>
            dataRequests.push({ url: r.url(), authorized: h.authorization === auth.authorization }),
          );
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (serve) {
      await deleteAllPods(serve.url, TOKEN);
      await serve.stop();
      await endEverythingUnder(serve.dataDir);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('opens at the address serve prints, paints within a second and lists pods live as they are applied', async () => {
    expect(serve.uiUrl).toBe(`${serve.url}/ui/#token=${TOKEN}`);
    await page.goto(serve.uiUrl);
    await page.waitForSelector('table#pods');
    // Evaluated in the page (a string: this file is typed for Node, without the DOM's types).
    const paint = (await page.evaluate(
      `Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, Math.round(e.startTime)]))`,
    )) as Record<string, number>;
    console.log(`web UI paint timings (ms): ${JSON.stringify(paint)}`);
    expect(paint['first-paint']).toBeLessThan(1000);
    // The token left the address bar (it was in the fragment, never sent to the server).
    expect(page.url()).not.toContain(TOKEN);
    await page.waitForSelector('#conn[data-state="live"]');
    expect(await page.$$('table#pods tbody tr')).toHaveLength(0);

    await applyExample('examples/quickstart/myapp-pod.yaml');
    await applyExample('examples/crash-loop/crash-loop.yaml');
    await page.waitForSelector('tr[data-pod="default/myapp-pod"]');
    await page.waitForSelector('tr[data-pod="default/crash-loop"]');
    // The list follows the watch: the crash loop's STATUS changes without a reload.
    await page.waitForSelector(
      'tr[data-pod="default/crash-loop"] td[data-col="status"]:text("CrashLoopBackOff")',
      {
        timeout: 15_000,
      },
    );
    await page.waitForSelector('tr[data-pod="default/myapp-pod"] td[data-col="ready"]:text("1/1")', {
      timeout: 15_000,
    });
  }, 60_000);

  it('filters by label selector and by phase, through the API', async () => {
    await page.fill('#label-selector', 'app=crash-loop');
    await page.click('form.filters button[type="submit"]');
    await expect.poll(() => page.locator('table#pods tbody tr').count()).toBe(1);
    expect(
      await page.$$eval('table#pods tbody tr', (rows) => rows.map((r) => r.getAttribute('data-pod'))),
    ).toEqual(['default/crash-loop']);
    await page.fill('#label-selector', '');
    await page.selectOption('#phase-filter', 'Succeeded');
    await expect.poll(() => page.locator('table#pods tbody tr').count()).toBe(0);
    await page.selectOption('#phase-filter', '');
    await expect.poll(() => page.locator('table#pods tbody tr').count()).toBe(2);
    // A selector the API cannot parse is shown, not retried.
    await page.fill('#label-selector', 'app in (');
    await page.click('form.filters button[type="submit"]');
    await page.waitForSelector('p.empty[role="alert"]:text("refused")');
    await page.fill('#label-selector', '');
    await page.click('form.filters button[type="submit"]');
    await expect.poll(() => page.locator('table#pods tbody tr').count()).toBe(2);
  }, 30_000);

  it('draws the init containers of myapp-pod strictly before its app container', async () => {
    await page.click('tr[data-pod="default/myapp-pod"] a');
    await page.waitForSelector('g.lane[data-container="myapp-container"] rect.instance');
    const [svc] = await instances('init-myservice');
    const [db] = await instances('init-mydb');
    const [app] = await instances('myapp-container');
    expect(svc).toMatchObject({ instance: 0, exit: 0 });
    expect(db).toMatchObject({ instance: 0, exit: 0 });
    expect(svc!.to).toBeLessThan(db!.requested);
    expect(db!.to).toBeLessThan(app!.requested);
    expect(app!.exit).toBeUndefined();
    expect(
      await page.$$eval('g.lane[data-kind="init"]', (g) => g.map((x) => x.getAttribute('data-container'))),
    ).toEqual(['init-myservice', 'init-mydb']);
    // A lane per condition, Initialized among them.
    await page.waitForSelector('g.lane[data-condition="Initialized"] rect.cond.true');
  }, 30_000);

  it('shows the crash loop: at least 3 instances, growing back-off gaps, CrashLoopBackOff', async () => {
    await page.click('nav a[href="#/"]');
    await page.click('tr[data-pod="default/crash-loop"] a');
    await expect
      .poll(() => page.locator('g.lane[data-container="app"] rect.instance').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(5);
    const app = await instances('app');
    expect(app.length).toBeGreaterThanOrEqual(3);
    for (const i of app.slice(0, 3)) expect(i.exit).toBe(1);
    const gaps = await page.$$eval('g.lane[data-container="app"] g.backoff', (gs) =>
      gs.map((g) => ({
        delay: Number(g.getAttribute('data-delay-ms')),
        reason: g.getAttribute('data-reason'),
      })),
    );
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect(gaps.every((g) => g.reason === 'CrashLoopBackOff')).toBe(true);
    // 200 ms doubling (the first restart is immediate, so it has no gap), capped by the per-pod 2 s.
    expect(gaps[1]!.delay).toBeGreaterThan(gaps[0]!.delay);
    expect(gaps.slice(0, 3).map((g) => g.delay)).toEqual([200, 400, 800]);
    // The gaps drawn grow too: the next instance is asked for after each back-off.
    const drawn = app.slice(1, 4).map((i, n) => app[n + 2]!.requested - i.to);
    expect(drawn[1]).toBeGreaterThan(drawn[0]!);
    expect(await page.textContent('svg.timeline')).toContain('CrashLoopBackOff');
    await page.waitForSelector('#events td:text("BackOff")');
    await page.screenshot({ path: join(OUT_DIR, SCREENSHOT), fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1')
      copyFileSync(join(OUT_DIR, SCREENSHOT), join(ROOT, 'docs', SCREENSHOT));
    // By keyboard: + zooms the focused chart (the axis changes), Enter on an instance opens its logs — instance #0
    // is older than the previous one, whose logs a kubelet no longer keeps.
    const ticks = await page.$$eval('g.axis .tick text', (t) => t.map((x) => x.textContent).join(' '));
    await page.focus('div.chart');
    await page.keyboard.press('+');
    await expect
      .poll(() => page.$$eval('g.axis .tick text', (t) => t.map((x) => x.textContent).join(' ')))
      .not.toBe(ticks);
    await page.keyboard.press('0');
    await page.focus('g.lane[data-container="app"] rect.instance[data-instance="0"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.logs-state:text("only the current and the previous instance")');
    await page.selectOption('#logs-container', 'app');
    // The logs pane follows the app container (its current or last instance).
    await expect.poll(() => page.textContent('#log-output'), { timeout: 10_000 }).toContain('started at');
  }, 60_000);

  it('shows a deletion with its grace window, then the pod leaves the list', async () => {
    await page.click('nav a[href="#/"]');
    await page.click('tr[data-pod="default/myapp-pod"] a');
    await page.waitForSelector('g.lane[data-container="myapp-container"] rect.instance');
    const res = await fetch(`${serve.url}/api/v1/namespaces/default/pods/myapp-pod`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(res.status).toBe(200);
    const grace = await page.waitForSelector('g.grace-window');
    expect(await grace.getAttribute('data-grace-seconds')).toBe('30');
    await page.waitForSelector('.removed-note');
    // A vertical line has no area: attached is what can be asked of it.
    await page.waitForSelector('line.removed', { state: 'attached' });
    await page.click('nav a[href="#/"]');
    await page.waitForSelector('tr[data-pod="default/crash-loop"]');
    expect(await page.$('tr[data-pod="default/myapp-pod"]')).toBeNull();
  }, 60_000);

  it('sent the token with every data request; without it the API says 401 and the page asks for it', async () => {
    expect(dataRequests.length).toBeGreaterThan(5);
    expect(dataRequests.filter((r) => !r.authorized)).toEqual([]);
    for (const path of ['/api/v1/pods', '/api/v1/namespaces/default/pods/crash-loop/timeline'])
      expect((await fetch(`${serve.url}${path}`)).status).toBe(401);

    const fresh = await browser.newPage();
    await fresh.goto(`${serve.url}/ui/`);
    const dialog = await fresh.waitForSelector('#token-dialog[open]');
    expect(await dialog.textContent()).toContain('needs a token');
    await fresh.fill('#token-input', TOKEN);
    await fresh.click('#token-form button[type="submit"]');
    await fresh.waitForSelector('tr[data-pod="default/crash-loop"]');
    await fresh.close();
  }, 30_000);
});
