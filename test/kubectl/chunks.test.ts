// Real kubectl (1.32) paging a long list (`--chunk-size`, apiserver `limit`/`continue`): 500 pods, read 50 at a
// time, each chunk one store read of at most 50 pods, every pod printed once and in order — as JSON names and as the
// server-side Table kubectl prints by default. The API app is the one `podflow serve` and the api Lambda serve
// (test/api/support.ts createTestApi: the real use cases on an in-memory store, no workers), behind the local
// gateway; skipped without a kubectl binary.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/local/gateway.ts';
import type { ListPage } from '../../src/ports/pod-store.ts';
import { createTestApi, podManifest, type TestApi } from '../api/support.ts';

const KUBECTL = ['/usr/bin/kubectl'].find((p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});
if (!KUBECTL) console.warn('test/kubectl/chunks skipped: kubectl not found in /usr/bin');

const PODS = 500;
const names = Array.from({ length: PODS }, (_, i) => `p-${String(i).padStart(3, '0')}`);

let t: TestApi;
let gateway: Gateway;
let dir: string;
/** Every pod list the store served: its page and how many pods it returned. */
const reads: Array<{ page?: ListPage; items: number }> = [];

beforeAll(async () => {
  t = createTestApi();
  for (const name of names) await t.createPod(podManifest(name));
  const list = t.store.list.bind(t.store);
  t.store.list = async (namespace, page) => {
    const out = await list(namespace, page);
    reads.push({ ...(page ? { page } : {}), items: out.items.length });
    return out;
  };
  gateway = await startGateway({
    app: t.api.app,
    port: 0,
    onError: (err) => {
      throw err;
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'podflow-chunks-'));
  writeFileSync(
    join(dir, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: podflow, cluster: { server: "${gateway.url}" } }]`,
      'users: [{ name: me, user: {} }]',
      'contexts: [{ name: podflow, context: { cluster: podflow, user: me, namespace: default } }]',
      'current-context: podflow',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function kubectl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL!, args, {
      env: { KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir, PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!KUBECTL)('kubectl get --chunk-size over 500 pods', { timeout: 60_000 }, () => {
  it('-o name: 10 chunks of 50, each one store read of 50 pods; every pod once, in order', async () => {
    reads.length = 0;
    const out = await kubectl(['get', 'pods', '--chunk-size=50', '-o', 'name']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split('\n')).toEqual(names.map((n) => `pod/${n}`));
    expect(reads).toHaveLength(PODS / 50);
    expect(reads.every((r) => r.page?.limit === 50 && r.items === 50)).toBe(true);
    expect(reads[0]!.page?.after).toBeUndefined();
    expect(reads.slice(1).map((r) => r.page?.after?.name)).toEqual(
      Array.from({ length: PODS / 50 - 1 }, (_, i) => names[(i + 1) * 50 - 1]),
    );
  });

  it('the default Table output: one header, 500 rows, chunk by chunk', async () => {
    reads.length = 0;
    const out = await kubectl(['get', 'pods', '--chunk-size=50']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(names);
    expect(reads).toHaveLength(PODS / 50);
  });

  it('a continue token the server did not issue is refused with 400', async () => {
    const res = await fetch(`${gateway.url}/api/v1/namespaces/default/pods?limit=5&continue=bm90LWEtdG9rZW4`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      reason: 'BadRequest',
      message: expect.stringMatching(/^invalid continue token/),
    });
  });
});
