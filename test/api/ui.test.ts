// The web UI's assets at /ui/ and the pod timeline subresource, through the api handler (API Gateway proxy events,
// as both environments call it): the assets are public, every data path — the timeline included — needs the token.
import { afterEach, describe, expect, it } from 'vitest';
import { UI_ASSETS } from '../../src/ui/generated/ui-assets.ts';
import { createTestApi, podManifest, type TestApi } from './support.ts';

const TOKEN = 's3cret-token';
let t: TestApi | undefined;
afterEach(() => t?.close());

describe('web UI assets', () => {
  it.each([
    { path: '/ui/', file: 'index.html', type: 'text/html' },
    { path: '/ui/app.js', file: 'app.js', type: 'text/javascript' },
    { path: '/ui/app.css', file: 'app.css', type: 'text/css' },
  ])('serves $path without a token', async ({ path, file, type }) => {
    t = createTestApi({ token: TOKEN });
    const res = await t.request('GET', path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']?.[0]).toContain(type);
    expect(res.body).toBe(UI_ASSETS[file]!.body);
    expect(res.headers['cache-control']).toEqual(['no-cache']);
  });

  it('redirects /ui to /ui/ relatively (a stage prefix stays)', async () => {
    t = createTestApi({ token: TOKEN });
    const res = await t.request('GET', '/ui');
    expect(res.status).toBe(308);
    expect(res.headers.location).toEqual(['ui/']);
  });

  it('restricts the page to its own script, styles and API', async () => {
    t = createTestApi();
    const csp = (await t.request('GET', '/ui/')).headers['content-security-policy']?.[0] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("default-src 'none'");
  });

  it('answers a revalidation with 304', async () => {
    t = createTestApi();
    const first = await t.request('GET', '/ui/app.js');
    const etag = first.headers.etag![0]!;
    const again = await t.request('GET', '/ui/app.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('knows only its own files: anything else under /ui needs the token, and is not found with it', async () => {
    t = createTestApi({ token: TOKEN });
    expect((await t.request('GET', '/ui/secrets.json')).status).toBe(401);
    const res = await t.request('GET', '/ui/secrets.json', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(res.json.kind).toBe('Status');
  });

  it('serves no other verb on the assets', async () => {
    t = createTestApi();
    expect((await t.request('POST', '/ui/app.js', { body: '{}' })).status).toBe(405);
  });

  it.each([
    '/api/v1/pods',
    '/api/v1/namespaces/default/pods/web/timeline',
    '/api/v1/namespaces/default/events',
    '/api/v1/namespaces/default/pods/web/log',
  ])('refuses the data request %s without the token (401)', async (path) => {
    t = createTestApi({ token: TOKEN });
    const res = await t.request('GET', path);
    expect(res.status).toBe(401);
    expect(res.json.reason).toBe('Unauthorized');
  });
});

describe('pods/{name}/timeline', () => {
  it('serves the engine history of the pod in milliseconds', async () => {
    t = createTestApi({ token: TOKEN });
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const res0 = await t.request('POST', '/api/v1/namespaces/default/pods', {
      ...auth,
      body: podManifest('web'),
    });
    expect(res0.status).toBe(201);
    const res = await t.request('GET', '/api/v1/namespaces/default/pods/web/timeline', auth);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      apiVersion: 'podflow.io/v1alpha1',
      kind: 'PodTimeline',
      metadata: { name: 'web', namespace: 'default', resourceVersion: expect.stringMatching(/^\d+$/) },
      now: t.clock.now(),
      phase: 'Pending',
      // Not admitted by a worker here: no container has a record yet.
      containers: [{ name: 'app', kind: 'app', instances: [] }],
      conditions: [],
      phases: [],
    });
  });

  it('is 404 for a pod that does not exist, and only GET is served', async () => {
    t = createTestApi();
    const missing = await t.request('GET', '/api/v1/namespaces/default/pods/nope/timeline');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ kind: 'Status', reason: 'NotFound' });
    expect((await t.request('DELETE', '/api/v1/namespaces/default/pods/nope/timeline')).status).toBe(405);
  });
});
