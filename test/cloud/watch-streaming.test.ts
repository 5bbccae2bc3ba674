// Watches in the cloud (docs/decisions/0017-cloud-watch.md), end to end on the emulators target: kubectl and
// client-node → API Gateway's streaming Lambda proxy integration (InvokeWithResponseStream, chunked to the client) →
// the api Lambda reading the table's change log → each event written as it is read. The stores of every function
// write the log (lambdas/wiring.ts); the harness shortens its retention (so that a version can be made too old in
// seconds) and the keep-alive interval (so that bookmarks come within a test's time).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions, Watch, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudTarget, startCloudHarness, type CloudHarness } from './harness.ts';
import { kubectlPath } from './support/kubectl.ts';
import { eventually } from './support/sdk-config.ts';

const RETENTION_SECONDS = 8;
const KEEPALIVE_SECONDS = 2;
const NS = 'default';

let h: CloudHarness;
let api: CoreV1Api;

const pod = (name: string, suite: string, step: string): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { suite, step } },
  spec: {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'app', image: 'busybox', command: ['sleep', '600'] }],
  },
});

const label = (name: string, step: string): Promise<V1Pod> =>
  api.patchNamespacedPod(
    { name, namespace: NS, body: { metadata: { labels: { step } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );

/** The watch requests API Gateway passed on whose query matches `selector`. */
const watchRequests = (selector: string) =>
  h.emulators!.apiRequests.filter(
    (r) =>
      new URLSearchParams(r.query).get('watch') === 'true' && r.query.includes(encodeURIComponent(selector)),
  );

interface WatchEvent {
  type: string;
  object: {
    metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> };
    code?: number;
    reason?: string;
    message?: string;
  };
}

/** A client-node watch collecting its events until `done`. */
function collect(path: string, query: Record<string, string | number | boolean>) {
  const events: WatchEvent[] = [];
  let ended: Error | null | undefined;
  let abort: (() => void) | undefined;
  const started = new Watch(h.kubeConfig)
    .watch(
      path,
      query,
      (type, object) => events.push({ type, object } as WatchEvent),
      (err: Error | null) => (ended = err ?? null),
    )
    .then((controller) => (abort = () => controller.abort()));
  return {
    events,
    ended: () => ended,
    stop: async () => {
      await started;
      abort?.();
    },
  };
}

beforeAll(async () => {
  h = await startCloudHarness({
    functionEnvironment: {
      PODFLOW_CHANGE_LOG_RETENTION_SECONDS: String(RETENTION_SECONDS),
      PODFLOW_WATCH_KEEPALIVE_SECONDS: String(KEEPALIVE_SECONDS),
    },
  });
  api = h.kubeConfig.makeApiClient(CoreV1Api);
}, 60_000);

afterAll(async () => {
  await h?.close();
}, 30_000);

describe.skipIf(cloudTarget() !== 'emulators')('watch through API Gateway response streaming', () => {
  it.skipIf(!kubectlPath)(
    'kubectl get pods -w prints each change within 2 s of the request that made it, for 60 s on one connection',
    async () => {
      const suite = 'watch-live';
      const home = mkdtempSync(join(tmpdir(), 'podflow-watch-kubectl-'));
      const lines: Array<{ at: number; text: string }> = [];
      let kubectl: ChildProcess | undefined;
      await api.createNamespacedPod({ namespace: NS, body: pod('live-warm', 'watch-warm', 'w0') });
      try {
        kubectl = spawn(
          kubectlPath!,
          ['get', 'pods', '-w', '--output-watch-events', '-l', `suite=${suite}`, '-L', 'step'],
          {
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: h.kubeconfigPath },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stderr = '';
        let pending = '';
        kubectl.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        kubectl.stdout!.on('data', (d: Buffer) => {
          const at = Date.now();
          pending += d.toString();
          const parts = pending.split('\n');
          pending = parts.pop()!;
          for (const text of parts) lines.push({ at, text });
        });
        const watchStarted = Date.now();
        // kubectl lists, then watches from the list's version: wait for its watch request.
        await eventually(() => watchRequests(`suite=${suite}`).length === 1, 15_000);
        // The watch holds one api environment for its whole life; the writes below need another. Started (and its
        // patch path run once) before anything is timed: what is measured is the watch, not a Lambda cold start.
        await label('live-warm', 'w1');
        await label('live-warm', 'w2');

        /** Does `write`, then waits for a line with all of `words`: the time from the request to the line. */
        const timed = async (write: () => Promise<unknown>, words: string[]): Promise<number> => {
          const from = lines.length;
          const start = Date.now();
          await write();
          writeMs.push(Date.now() - start);
          const line = await eventually(
            () => lines.slice(from).find((l) => words.every((w) => l.text.split(/\s+/).includes(w))),
            10_000,
          );
          return line.at - start;
        };
        const latencies: Record<string, number> = {};
        const writeMs: number[] = [];
        const names = ['live-a', 'live-b', 'live-c'];
        for (const [i, name] of names.entries()) {
          latencies[`${name} created`] = await timed(
            () => api.createNamespacedPod({ namespace: NS, body: pod(name, suite, `c${i}`) }),
            ['ADDED', name, `c${i}`],
          );
          await new Promise((r) => setTimeout(r, 4000));
          latencies[`${name} labelled`] = await timed(
            () => label(name, `m${i}`),
            ['MODIFIED', name, `m${i}`],
          );
          await new Promise((r) => setTimeout(r, 4000));
        }
        for (const name of names) {
          // The delete marks the pod terminating (a change the API commits: MODIFIED within the bound); the worker
          // removes it once its container stopped (DELETED).
          latencies[`${name} deleting`] = await timed(
            () => api.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 1 }),
            ['MODIFIED', name],
          );
          await new Promise((r) => setTimeout(r, 3000));
        }
        for (const name of names)
          await eventually(
            () => lines.some((l) => /^DELETED\s/.test(l.text) && l.text.includes(name)),
            30_000,
          );
        // The worker's own transitions came through the same stream (the container started).
        expect(lines.some((l) => l.text.includes('live-a') && /\bRunning\b/.test(l.text))).toBe(true);
        const remaining = 61_000 - (Date.now() - watchStarted);
        if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));

        console.log(
          `kubectl get -w latencies (ms): ${JSON.stringify(latencies)}; the writes took ${writeMs.join(', ')}\n` +
            lines.map((l) => `+${((l.at - watchStarted) / 1000).toFixed(1)}s ${l.text}`).join('\n'),
        );
        for (const [what, ms] of Object.entries(latencies)) expect(ms, what).toBeLessThanOrEqual(2000);
        expect(Date.now() - watchStarted).toBeGreaterThanOrEqual(60_000);
        expect(kubectl.exitCode, `kubectl ended: ${stderr}`).toBeNull();
        expect(stderr).toBe('');
        // One watch for the whole minute: kubectl never had to open another.
        expect(watchRequests(`suite=${suite}`)).toHaveLength(1);
      } finally {
        kubectl?.kill('SIGTERM');
        await api.deleteNamespacedPod({ name: 'live-warm', namespace: NS, gracePeriodSeconds: 0 });
        rmSync(home, { recursive: true, force: true });
      }
    },
    120_000,
  );

  it('a watch from a list’s resourceVersion gets exactly the changes after it, in order', async () => {
    const suite = 'watch-resume';
    const before = await api.createNamespacedPod({ namespace: NS, body: pod('resume-old', suite, 'x') });
    const list = await api.listNamespacedPod({ namespace: NS, labelSelector: `suite=${suite}` });
    const from = BigInt(list.metadata!.resourceVersion!);
    expect(BigInt(before.metadata!.resourceVersion!)).toBeLessThanOrEqual(from);
    const created = await api.createNamespacedPod({ namespace: NS, body: pod('resume-new', suite, 'c') });
    const labelled = await label('resume-new', 'm');
    // The watch starts after the changes: they come from the log, not from a live push.
    const w = collect(`/api/v1/namespaces/${NS}/pods`, {
      labelSelector: `suite=${suite}`,
      resourceVersion: String(from),
    });
    try {
      await eventually(
        () =>
          w.events.some(
            (e) =>
              e.type === 'MODIFIED' &&
              e.object.metadata?.resourceVersion === labelled.metadata!.resourceVersion,
          ),
        10_000,
      );
      const mine = w.events.filter((e) => e.object.metadata?.name === 'resume-new');
      const at = (e: WatchEvent) => [
        e.type,
        e.object.metadata?.resourceVersion,
        e.object.metadata?.labels?.step,
      ];
      // The pod's worker writes too (its admission and status): those changes may come between the create and the
      // label, each a MODIFIED of the object as it was before the label.
      const labelledAt = mine.findIndex(
        (e) => e.object.metadata?.resourceVersion === labelled.metadata!.resourceVersion,
      );
      expect(mine.slice(0, labelledAt + 1).map(at)).toEqual([
        ['ADDED', created.metadata!.resourceVersion, 'c'],
        ...mine.slice(1, labelledAt).map((e) => ['MODIFIED', e.object.metadata?.resourceVersion, 'c']),
        ['MODIFIED', labelled.metadata!.resourceVersion, 'm'],
      ]);
      // Nothing at or before the version it resumed from; versions only grow.
      const versions = w.events.map((e) => BigInt(e.object.metadata!.resourceVersion!));
      expect(versions.every((v) => v > from)).toBe(true);
      expect([...versions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(versions);
      expect(w.events.some((e) => e.object.metadata?.name === 'resume-old' && e.type === 'ADDED')).toBe(
        false,
      );
    } finally {
      await w.stop();
      await api.deleteNamespacedPod({ name: 'resume-old', namespace: NS, gracePeriodSeconds: 0 });
      await api.deleteNamespacedPod({ name: 'resume-new', namespace: NS, gracePeriodSeconds: 0 });
    }
  }, 30_000);

  it('a watch from a version older than the change log keeps is answered 410 Expired, as the API server does', async () => {
    const suite = 'watch-expired';
    const created = await api.createNamespacedPod({ namespace: NS, body: pod('expired-a', suite, 'c') });
    const old = created.metadata!.resourceVersion!;
    // The log item of that version and the ones around it expire; a later change makes the version stale.
    await new Promise((r) => setTimeout(r, (RETENTION_SECONDS + 2) * 1000));
    await label('expired-a', 'm');
    const w = collect(`/api/v1/namespaces/${NS}/pods`, {
      labelSelector: `suite=${suite}`,
      resourceVersion: old,
    });
    try {
      const error = await eventually(() => w.events.find((e) => e.type === 'ERROR'), 10_000);
      expect(error.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
      expect(error.object.message).toMatch(new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`));
      // The stream ends after the error: client-go relists.
      await eventually(() => w.ended() !== undefined, 10_000);
      // A version the log still holds is served.
      const fresh = await api.listNamespacedPod({ namespace: NS, labelSelector: `suite=${suite}` });
      const again = collect(`/api/v1/namespaces/${NS}/pods`, {
        labelSelector: `suite=${suite}`,
        resourceVersion: fresh.metadata!.resourceVersion!,
        timeoutSeconds: 3,
      });
      await eventually(() => again.ended() !== undefined, 10_000);
      expect(again.events.filter((e) => e.type === 'ERROR')).toEqual([]);
    } finally {
      await w.stop();
      await api.deleteNamespacedPod({ name: 'expired-a', namespace: NS, gracePeriodSeconds: 0 });
    }
  }, 40_000);

  it('client-node’s Watch: ADDED as the pod is created, BOOKMARKs while quiet, and a clean end at timeoutSeconds', async () => {
    const suite = 'watch-client-node';
    const list = await api.listNamespacedPod({ namespace: NS, labelSelector: `suite=${suite}` });
    const started = Date.now();
    const w = collect(`/api/v1/namespaces/${NS}/pods`, {
      labelSelector: `suite=${suite}`,
      resourceVersion: list.metadata!.resourceVersion!,
      allowWatchBookmarks: true,
      timeoutSeconds: 8,
    });
    try {
      await api.createNamespacedPod({ namespace: NS, body: pod('client-node-a', suite, 'c') });
      await eventually(
        () => w.events.some((e) => e.type === 'ADDED' && e.object.metadata?.name === 'client-node-a'),
        5_000,
      );
      await eventually(() => w.ended() !== undefined, 15_000, 50);
      const elapsed = Date.now() - started;
      expect(w.ended()).toBeNull(); // done without an error: the server ended the stream
      expect(elapsed).toBeGreaterThanOrEqual(7_500);
      const bookmarks = w.events.filter((e) => e.type === 'BOOKMARK');
      expect(bookmarks.length).toBeGreaterThanOrEqual(1);
      const lastAdded = w.events.findLast((e) => e.type === 'ADDED')!;
      // A bookmark carries a version at or after every event before it.
      const lastBookmark = bookmarks.at(-1)!;
      expect(BigInt(lastBookmark.object.metadata!.resourceVersion!)).toBeGreaterThanOrEqual(
        BigInt(lastAdded.object.metadata!.resourceVersion!),
      );
      expect(lastBookmark.object).toMatchObject({ kind: 'Pod', apiVersion: 'v1' });
    } finally {
      await w.stop();
      await api.deleteNamespacedPod({ name: 'client-node-a', namespace: NS, gracePeriodSeconds: 0 });
    }
  }, 40_000);
  it('an events watch: each Event as it is recorded (ADDED, then MODIFIED as its count grows), from a listing’s version', async () => {
    const name = 'events-watched';
    const list = await api.listNamespacedEvent({ namespace: NS });
    const w = collect(`/api/v1/namespaces/${NS}/events`, {
      fieldSelector: `involvedObject.name=${name}`,
      resourceVersion: list.metadata!.resourceVersion!,
      allowWatchBookmarks: true,
      timeoutSeconds: 30,
    });
    interface EventObject {
      reason?: string;
      count?: number;
      involvedObject?: { name?: string };
      metadata?: { resourceVersion?: string };
    }
    // The watch event's type apart from the Event's own (Normal, Warning).
    const seen = () => w.events.map((e) => ({ ...(e.object as EventObject), watch: e.type }));
    try {
      const created = Date.now();
      // A container that exits at once under Always: Scheduled, Pulled, Created, Started, then BackOff, aggregated.
      await api.createNamespacedPod({
        namespace: NS,
        body: {
          ...pod(name, 'watch-events', 'e'),
          spec: {
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exit 1'] }],
          },
        },
      });
      await eventually(() => seen().some((e) => e.watch === 'ADDED' && e.reason === 'Scheduled'), 5_000, 50);
      expect(Date.now() - created).toBeLessThan(5_000);
      await eventually(() => seen().some((e) => e.watch === 'ADDED' && e.reason === 'Started'), 15_000, 50);
      // The second exit's Started is the same Event, its count 2.
      await eventually(
        () => seen().some((e) => e.watch === 'MODIFIED' && e.reason === 'Started' && e.count === 2),
        30_000,
        100,
      );
      const ofPod = seen().filter((e) => e.watch !== 'BOOKMARK');
      expect(ofPod.every((e) => e.involvedObject?.name === name)).toBe(true);
      // In version order, each Event version once.
      const versions = ofPod.map((e) => BigInt(e.metadata!.resourceVersion!));
      expect(versions).toEqual([...versions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(new Set(versions).size).toBe(versions.length);
    } finally {
      await w.stop();
      await api.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 0 });
    }
  }, 60_000);
});
