// Load on the Kubernetes-compatible API (docs/architecture.md §8) from a load generator in a separate process (wrk),
// each figure next to the same load on a bare node:http server in the same process and the same run:
//   creates_per_s   500 pods POSTed over 20 connections: 201s per second    (bare: the same POSTs answered 201)
//   running_per_s   those pods reaching phase Running, per second from the first POST
//                                                   (bare: 500 `sleep` spawns, 20 at a time, until each exec'd)
//   get_ratio       GET of one pod, 20 connections: req/s ÷ the bare server's req/s serving the same bytes
//   list500_ms      list of the 500 pods (JSON), one connection: p50 latency (bare: the same bytes); and as a Table
// Not part of `npm test`. Run with the pinned Node 22:
//   npx node bench/api-load.bench.ts [pods=500] [connections=20] [--json]
// Needs wrk (Debian: `apt-get install wrk`); without it the bench says so and exits 0. Data under
// .podflow/bench-api-* (or PODFLOW_BENCH_DIR). The pods run `sleep 600` (grace 0) and are all deleted at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalEngine } from '../src/local/local-engine.ts';
import { startLocalServer } from '../src/local/local-server.ts';
import {
  emitReport,
  loadAverage,
  median,
  positionalArgs,
  say,
  type BenchReport,
  type Figure,
} from './bench-report.ts';

const [podsArg, connectionsArg] = positionalArgs();
const PODS = Number(podsArg ?? 500);
const CONNECTIONS = Number(connectionsArg ?? 20);
/** Seconds of each wrk run for GETs and lists; runs alternate bare and API, ROUNDS times. */
const RUN_SECONDS = 3;
const ROUNDS = 2;
const NAMESPACE = 'default';
const PODS_PATH = `/api/v1/namespaces/${NAMESPACE}/pods`;
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

const podBody = (name: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'api-load' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '600'] }],
    },
  });

/** What the Lua scripts print from `done()`: one line, `WRK {json}`. */
interface WrkResult {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  socketErrors: number;
  non2xx: number;
  created?: number;
  failed?: number;
}

const DONE_LUA = `
function done(summary, latency, requests)
  local e = summary.errors
  local c, f, duration = 0, 0, summary.duration
  for _, t in ipairs(threads) do
    c = c + (t:get("created") or 0)
    f = f + (t:get("failed") or 0)
    local started, finished = t:get("started_us") or 0, t:get("finished_us") or 0
    if finished > 0 then duration = finished - started end
  end
  io.write(string.format('WRK {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"socketErrors":%d,"non2xx":%d,"created":%d,"failed":%d}\\n',
    summary.requests, duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, c, f))
end
threads = {}
function setup(thread) table.insert(threads, thread) end
`;

/**
 * POSTs `total` pods named <prefix><n> and stops once each got its answer; the connections that run out of pods
 * meanwhile send a GET /version (never counted) until the last answer arrives. wrk (4.1) calls request() once while
 * it sets a thread up and never sends that request: the first call is skipped. wrk's own duration is the whole -d
 * whatever the script does, so the script clocks the first POST and the last answer itself (gettimeofday through
 * LuaJIT's ffi) and prints WRK-DONE, on which the bench interrupts wrk (SIGINT: it reports and exits).
 */
const CREATE_LUA = `
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } podflow_timeval;
int gettimeofday(podflow_timeval *tv, void *tz);
]]
local tv = ffi.new("podflow_timeval")
local function now_us()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end
local total, prefix = 0, ""
local calls, posted = 0, 0
created, failed, started_us, finished_us = 0, 0, 0, 0
local template = ${JSON.stringify(podBody('%s'))}
function init(args)
  total = tonumber(args[1])
  prefix = args[2]
end
function request()
  calls = calls + 1
  if calls == 1 or posted >= total then return wrk.format("GET", "/version") end
  if posted == 0 then started_us = now_us() end
  posted = posted + 1
  return wrk.format("POST", "${PODS_PATH}", { ["Content-Type"] = "application/json" },
    string.format(template, prefix .. posted))
end
function response(status, headers, body)
  if status == 201 then created = created + 1 elseif status >= 300 then failed = failed + 1 end
  if created + failed == total then
    finished_us = now_us()
    io.write("WRK-DONE\\n")
    io.flush()
    wrk.thread:stop()
  end
end
${DONE_LUA}`;

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

async function wrk(
  url: string,
  options: { connections: number; seconds: number; script: string; args?: string[]; headers?: string[] },
): Promise<WrkResult> {
  const argv = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--timeout',
    '30s',
    '-s',
    options.script,
    ...(options.headers ?? []).flatMap((h) => ['-H', h]),
    url,
    ...(options.args ? ['--', ...options.args] : []),
  ];
  const child = spawn('wrk', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    // The create script's work is done: wrk would otherwise sleep out its whole -d.
    if (out.includes('WRK-DONE\n') && !child.killed) child.kill('SIGINT');
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('WRK '));
  if (code !== 0 || !line) throw new Error(`wrk ${argv.join(' ')} failed (${code}): ${err}${out}`);
  return JSON.parse(line.slice(4)) as WrkResult;
}

const perSecond = (r: WrkResult, count = r.requests): number => count / (r.durationUs / 1e6);

/** A bare node:http server: POST answers 201 with a small object, GET answers `body` as it is set. */
async function bareServer(): Promise<{ server: Server; url: string; serve(body: string): void }> {
  let body = Buffer.from('{}');
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      req.resume();
      req.on('end', () => {
        const out = '{"kind":"Pod"}';
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': String(out.length) });
        res.end(out);
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (text) => (body = Buffer.from(text)),
  };
}

/** `count` raw spawns of `sleep 600`, `concurrency` at a time, each until its 'spawn' event: seconds in all. */
async function rawSpawns(count: number, concurrency: number): Promise<number> {
  const children: ChildProcess[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const child = spawn('sleep', ['600'], { stdio: 'ignore' });
        children.push(child);
        await new Promise<void>((resolve, reject) => {
          child.once('spawn', resolve);
          child.once('error', reject);
        });
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  return seconds;
}

async function main(): Promise<void> {
  if (!hasWrk()) {
    say('api-load: skipped — wrk is not installed (Debian: apt-get install wrk)');
    emitReport({
      bench: 'api-load',
      loadBefore: loadAverage(),
      loadAfter: loadAverage(),
      figures: {},
      notes: { skipped: 'wrk not installed' },
    });
    return;
  }
  const loadBefore = loadAverage();
  const base = process.env.PODFLOW_BENCH_DIR ?? join(process.cwd(), '.podflow');
  await mkdir(base, { recursive: true });
  const root = await mkdtemp(join(base, 'bench-api-'));
  const dataDir = join(root, 'data');
  const scripts = {
    create: join(root, 'create.lua'),
    plain: join(root, 'plain.lua'),
  };
  await writeFile(scripts.create, CREATE_LUA);
  await writeFile(scripts.plain, DONE_LUA);

  const bare = await bareServer();
  const errors: string[] = [];
  const onError = (err: unknown, context: string): void => {
    errors.push(`${context}: ${err instanceof Error ? err.message : String(err)}`);
  };
  const local = await startLocalEngine({ dataDir, onError });
  const serve = await startLocalServer({ engine: local, port: 0, newUid: randomUUID, onError });

  // When each pod was first committed Running, and when the store last changed (the engine's quiet moments).
  const runningAt = new Map<string, number>();
  const removed = new Set<string>();
  let lastChange = performance.now();
  local.store.subscribe((change) => {
    lastChange = performance.now();
    if (change.type === 'removed') {
      removed.add(change.key.name);
      return;
    }
    if (change.type !== 'created' && change.type !== 'updated') return;
    const name = change.pod.key.name;
    if (change.pod.state.pod.status?.phase === 'Running' && !runningAt.has(name))
      runningAt.set(name, performance.now());
  });
  const until = async (what: string, done: () => boolean, timeoutMs: number): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      if (performance.now() > deadline) throw new Error(`api-load: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const quiet = () => until('a quiet engine', () => performance.now() - lastChange > 500, 60_000);

  try {
    // Creates: bare first, then the API.
    const bareCreates = await wrk(bare.url, {
      connections: CONNECTIONS,
      seconds: 120,
      script: scripts.create,
      args: [String(PODS), 'bare-'],
    });
    const spawnSeconds = await rawSpawns(PODS, CONNECTIONS);

    const t0 = performance.now();
    const creates = await wrk(serve.url, {
      connections: CONNECTIONS,
      seconds: 120,
      script: scripts.create,
      args: [String(PODS), 'load-'],
    });
    const createsDone = performance.now();
    if (creates.created !== PODS)
      throw new Error(
        `api-load: ${creates.created} of ${PODS} creates answered 201 (${creates.failed} refused)`,
      );
    await until(`${PODS} pods Running`, () => runningAt.size >= PODS, 180_000);
    const lastRunning = Math.max(...runningAt.values());
    const runningSeconds = (lastRunning - t0) / 1000;
    await quiet();

    // GET one pod, alternating the bare server (same bytes) and the API.
    const getPath = `${PODS_PATH}/load-1`;
    const podJson = await (await fetch(`${serve.url}${getPath}`)).text();
    bare.serve(podJson);
    const bareGets: number[] = [];
    const apiGets: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareGets.push(
        perSecond(
          await wrk(`${bare.url}${getPath}`, {
            connections: CONNECTIONS,
            seconds: RUN_SECONDS,
            script: scripts.plain,
          }),
        ),
      );
      const api = await wrk(`${serve.url}${getPath}`, {
        connections: CONNECTIONS,
        seconds: RUN_SECONDS,
        script: scripts.plain,
      });
      if (api.non2xx > 0 || api.socketErrors > 0)
        throw new Error(`api-load: GET errors ${JSON.stringify(api)}`);
      apiGets.push(perSecond(api));
    }

    // Lists of every pod, one connection: latency.
    const listLatency = async (url: string, headers: string[] = []): Promise<number> =>
      (await wrk(url, { connections: 1, seconds: RUN_SECONDS, script: scripts.plain, headers })).p50Us / 1000;
    const listJson = await (await fetch(`${serve.url}${PODS_PATH}`)).text();
    const listed = (JSON.parse(listJson) as { items: unknown[] }).items.length;
    bare.serve(listJson);
    const bareList: number[] = [];
    const apiList: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareList.push(await listLatency(`${bare.url}${PODS_PATH}`));
      apiList.push(await listLatency(`${serve.url}${PODS_PATH}`));
    }
    const tableJson = await (
      await fetch(`${serve.url}${PODS_PATH}`, { headers: { accept: TABLE_ACCEPT } })
    ).text();
    bare.serve(tableJson);
    const bareTable: number[] = [];
    const apiTable: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareTable.push(await listLatency(`${bare.url}${PODS_PATH}`));
      apiTable.push(await listLatency(`${serve.url}${PODS_PATH}`, [`Accept: ${TABLE_ACCEPT}`]));
    }

    // Every pod deleted (grace 0), all gone.
    const tDelete = performance.now();
    for (let i = 1; i <= PODS; i++)
      await local.engine.deletePod({ namespace: NAMESPACE, name: `load-${i}` }, 0);
    await until('every pod removed', () => removed.size >= PODS, 180_000);
    const deleteSeconds = (performance.now() - tDelete) / 1000;

    const figures: Record<string, Figure> = {
      creates_per_s: {
        value: perSecond(creates, creates.created),
        unit: '/s',
        baseline: perSecond(bareCreates, bareCreates.created),
        baselineIs: 'the same POSTs answered 201 by a bare node:http server',
      },
      running_per_s: {
        value: PODS / runningSeconds,
        unit: '/s',
        baseline: PODS / spawnSeconds,
        baselineIs: `${PODS} raw spawns of sleep, ${CONNECTIONS} at a time`,
      },
      get_ratio: {
        value: median(apiGets) / median(bareGets),
        unit: '×',
        baseline: 1,
        baselineIs: `${median(bareGets).toFixed(0)} req/s of a bare node:http server serving the same bytes`,
      },
      list500_ms: {
        value: median(apiList),
        unit: 'ms',
        baseline: median(bareList),
        baselineIs: 'p50 of a bare node:http server serving the same bytes',
      },
      list500_table_ms: {
        value: median(apiTable),
        unit: 'ms',
        baseline: median(bareTable),
        baselineIs: 'p50 of a bare node:http server serving the same bytes',
      },
    };
    const report: BenchReport = {
      bench: 'api-load',
      loadBefore,
      loadAfter: loadAverage(),
      figures,
      notes: {
        pods: PODS,
        connections: CONNECTIONS,
        listed,
        get_req_per_s: median(apiGets),
        create_p50_ms: creates.p50Us / 1000,
        create_p99_ms: creates.p99Us / 1000,
        creates_seconds: (createsDone - t0) / 1000,
        running_seconds: runningSeconds,
        delete_seconds: deleteSeconds,
        list_bytes: listJson.length,
        table_bytes: tableJson.length,
        engine_errors: errors.length,
      },
    };
    say(
      `api-load: ${PODS} pods, ${CONNECTIONS} connections (wrk), node ${process.version}, load ${loadBefore.join(' ')} → ${report.loadAfter.join(' ')}`,
    );
    for (const [name, f] of Object.entries(figures))
      say(
        `  ${name.padEnd(18)} ${f.value.toFixed(2).padStart(10)} ${f.unit.padEnd(3)} baseline ${f.baseline.toFixed(2)} (${f.baselineIs})`,
      );
    say(`  notes ${JSON.stringify(report.notes)}`);
    if (errors.length > 0) say(`  engine errors: ${errors.slice(0, 5).join('; ')}`);
    emitReport(report);
  } finally {
    await serve.close();
    await local.close();
    bare.server.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
