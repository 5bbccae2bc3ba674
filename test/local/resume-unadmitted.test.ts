// An engine that dies between storing a new pod and its worker's Admit step leaves a pod no worker admitted.
// The next engine's Resume must admit it (not crash on its missing container records).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { admitManifests } from '../../src/core/manifest/index.ts';
import { newPodState } from '../../src/core/reconcile.ts';
import { startLocalEngine } from '../../src/local/local-engine.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'podflow-unadmitted-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('resumes a pod that was stored but never admitted', async () => {
  const text = `apiVersion: v1
kind: Pod
metadata: { name: orphan }
spec:
  restartPolicy: Never
  containers: [{ name: app, image: busybox, command: ['true'] }]
`;
  const pod = admitManifests(text, 'inline', { now: Date.now(), newUid: randomUUID }).objects[0]!.object;
  const first = await startLocalEngine({ dataDir });
  await first.store.create(newPodState(pod as never)); // stored, but no worker was started
  await first.close();

  const second = await startLocalEngine({ dataDir });
  try {
    expect(second.resumed).toBe(1);
    const key = { namespace: 'default', name: 'orphan' };
    for (let i = 0; i < 100; i++) {
      const phase = (await second.store.get(key))?.state.pod.status?.phase;
      if (phase === 'Succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await second.store.get(key))?.state.pod.status?.phase).toBe('Succeeded');
  } finally {
    // The finished pod keeps its sandbox until it is deleted: remove it (its pause process) with the data dir.
    for (const sandbox of await second.runtime.listSandboxes()) await second.runtime.removeSandbox(sandbox);
    await second.close();
  }
});
