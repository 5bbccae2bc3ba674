// Load on the Kubernetes-compatible API (docs/architecture.md §8): 500 pods created through HTTP by 20 concurrent
// clients, gets and lists while they run, one watch seeing every pod; requests/s and p50/p99 latency, next to a
// same-run baseline — the same client hammering a trivial node:http server — so the figures read against this
// machine's speed.
// Not part of `npm test`. Run with the pinned Node 22: `npx node bench/api-load.bench.ts [pods=500] [clients=20]`
// (data under .podflow/bench-api-*, or PODFLOW_BENCH_DIR).
//
// The pods run `true` under restartPolicy Never: each starts a real container (a podflow-shim and a process) and
// finishes at once, so the machine is not drowned by 500 long-running processes while the API is measured. Every pod
// is deleted at the end.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { startLocalEngine } from '../src/local/local-engine.ts';
import { startLocalServer } from '../src/local/local-server.ts';

const PODS = Number(process.argv[2] ?? 500);
const CLIENTS = Number(process.argv[3] ?? 20);
const GETS = 2000;
// Gets run twice: while the 500 workers are still busy, and once every pod has finished.
const LISTS = 20;
const BASELINE_REQUESTS = 4000;

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};

interface Phase {
  name: string;
  requests: number;
  seconds: number;
  latencies: number[];
  errors: number;
}

/** Runs `count` requests over `clients` concurrent loops; each request's latency is recorded. */
async function load(
  name: string,
  count: number,
  clients: number,
  request: (i: number) => Promise<boolean>,
): Promise<Phase> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(clients, count) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const t0 = performance.now();
        const ok = await request(i).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  return { name, requests: count, seconds: (performance.now() - started) / 1000, latencies, errors };
}

const row = (p: Phase): string =>
  `${p.name.padEnd(26)} ${String(p.requests).padStart(6)} ${(p.requests / p.seconds).toFixed(0).padStart(8)} ` +
  `${quantile(p.latencies, 0.5).toFixed(2).padStart(9)} ${quantile(p.latencies, 0.99).toFixed(2).padStart(9)} ${String(p.errors).padStart(6)}`;

const podBody = (name: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'api-load' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] },
  });

async function main(): Promise<void> {
  const base = process.env.PODFLOW_BENCH_DIR ?? join(process.cwd(), '.podflow');
  await mkdir(base, { recursive: true });
  const dataDir = await mkdtemp(join(base, 'bench-api-'));

  // Baseline: the same client against the simplest possible JSON endpoint.
  const trivial = createServer((_req, res) => {
    const body = '{"kind":"Status","status":"Success"}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((r) => trivial.listen(0, '127.0.0.1', () => r()));
  const trivialUrl = `http://127.0.0.1:${(trivial.address() as AddressInfo).port}/`;
  const baseline = await load('baseline GET (node:http)', BASELINE_REQUESTS, CLIENTS, async () => {
    const res = await fetch(trivialUrl);
    await res.arrayBuffer();
    return res.ok;
  });
  trivial.close();

  const onError = (err: unknown, context: string): void => {
    process.stderr.write(`${context}: ${err instanceof Error ? err.message : String(err)}\n`);
  };
  const engine = await startLocalEngine({ dataDir, onError });
  const serve = await startLocalServer({ engine, port: 0, newUid: randomUUID, onError });
  const api = `${serve.url}/api/v1/namespaces/default/pods`;
  try {
    // One watch sees every pod arrive.
    const added = new Set<string>();
    let watchEvents = 0;
    let lastAddedAt = 0;
    const abort = new AbortController();
    const watching = (async () => {
      const res = await fetch(`${api}?watch=true&labelSelector=bench%3Dapi-load`, { signal: abort.signal });
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const event = JSON.parse(buffered.slice(0, nl)) as {
            type: string;
            object: { metadata: { name: string } };
          };
          buffered = buffered.slice(nl + 1);
          watchEvents++;
          if (event.type === 'ADDED') {
            added.add(event.object.metadata.name);
            lastAddedAt = performance.now();
          }
        }
      }
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') throw err;
    });

    const creates = await load(`create (${PODS} pods)`, PODS, CLIENTS, async (i) => {
      const res = await fetch(api, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: podBody(`load-${i}`),
      });
      await res.arrayBuffer();
      return res.status === 201;
    });
    const createsDoneAt = performance.now();
    const gets = await load('get', GETS, CLIENTS, async (i) => {
      const res = await fetch(`${api}/load-${i % PODS}`);
      await res.arrayBuffer();
      return res.ok;
    });
    const lists = await load(`list (${PODS} pods)`, LISTS, 4, async () => {
      const res = await fetch(`${api}?labelSelector=bench%3Dapi-load`);
      const body = (await res.json()) as { items: unknown[] };
      return res.ok && body.items.length === PODS;
    });
    const tables = await load('list as Table', LISTS, 4, async () => {
      const res = await fetch(api, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
      await res.arrayBuffer();
      return res.ok;
    });
    const watchDeadline = Date.now() + 30_000;
    while (added.size < PODS && Date.now() < watchDeadline) await new Promise((r) => setTimeout(r, 50));
    // The same gets once every pod has finished and the engine is quiet: the API and the store alone.
    const quietDeadline = Date.now() + 180_000;
    for (;;) {
      const body = (await (await fetch(`${api}?fieldSelector=status.phase%3DSucceeded`)).json()) as {
        items: unknown[];
      };
      if (body.items.length === PODS || Date.now() > quietDeadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const quietGets = await load('get (engine idle)', GETS, CLIENTS, async (i) => {
      const res = await fetch(`${api}/load-${i % PODS}`);
      await res.arrayBuffer();
      return res.ok;
    });

    console.log(
      `api-load: ${PODS} pods (command true, restartPolicy Never), ${CLIENTS} concurrent clients, loadavg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `${'phase'.padEnd(26)} ${'reqs'.padStart(6)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'errors'.padStart(6)}`,
    );
    for (const p of [baseline, creates, gets, lists, tables, quietGets]) console.log(row(p));
    const ratio = (p: Phase) => (p.requests / p.seconds / (baseline.requests / baseline.seconds)).toFixed(3);
    console.log(
      `throughput vs baseline: create ${ratio(creates)}, get ${ratio(gets)}, get (engine idle) ${ratio(quietGets)}`,
    );
    console.log(
      `watch: ${added.size}/${PODS} pods seen ADDED (${watchEvents} events in all), last ADDED ${(lastAddedAt - createsDoneAt).toFixed(0)} ms after the last create returned`,
    );
    abort.abort();
    await watching;

    const deletes = await load('delete', PODS, CLIENTS, async (i) => {
      const res = await fetch(`${api}/load-${i}?gracePeriodSeconds=0`, { method: 'DELETE' });
      await res.arrayBuffer();
      return res.ok;
    });
    console.log(row(deletes));
    const goneDeadline = Date.now() + 120_000;
    let left = PODS;
    while (Date.now() < goneDeadline) {
      left = ((await (await fetch(api)).json()) as { items: unknown[] }).items.length;
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(left === 0 ? 'cleanup: every pod deleted' : `cleanup: ${left} pods still terminating`);
  } finally {
    await serve.close();
    await engine.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
