// A bounded soak: the local engine and its API server in this process, pods created and deleted continuously through
// the API for `minutes`, and what the engine holds sampled every 10 s — does anything grow that should not?
// Not part of `npm test`. Run with the pinned Node 22:
//   npx node bench/soak.ts [minutes=10] [--json]        (npm run soak -- [minutes] [--json])
// Data under .podflow/bench-soak-* (or PODFLOW_BENCH_DIR), removed at the end unless something leaked (then kept, and
// its path printed). As root, pods get network namespaces on a bridge and pod CIDR of the soak's own — podflowsoak0
// and 10.78.0.0/16, unless PODFLOW_BRIDGE / PODFLOW_POD_CIDR say otherwise — removed at the end.
//
// The load, through the API (POST, GET log, DELETE over keep-alive HTTP, and one watch on all pods kept open):
//   long   LONG_LIVE pods `sleep 3600` (restartPolicy Always, a third with an exec readiness probe, a third with an
//          httpGet one against an HTTP server in the soak's process, a fifth with an init container), each deleted
//          (grace 1 s: SIGTERM) LONG_MIN_S..LONG_MAX_S seconds after it was created
//   short  SHORT_LIVE pods in flight that exit: restartPolicy Never printing a line (its log is read and checked),
//          and one in four restartPolicy OnFailure that fails its first attempt (counted in an emptyDir) and succeeds
//          on the second after the default back-off; each deleted (grace 0) once Succeeded
// Before the soak a short prelude (one round of each kind, all deleted) brings the engine to its working set — the
// shim launcher, the pause spawner, the file watches — and the engine is sampled idle: the baseline. After the soak
// everything is deleted and the engine is sampled idle again.
//
// Samples (every 10 s, after a full GC): RSS, JS heap used, the engine's processes (its descendants by parent pid,
// and every process naming its data directory — pause processes are re-parented to init), its open file
// descriptors (/proc/self/fd), the files and directories under its data directory, live pods, the event loop's delay.
// Verdict (exit code 1 on a leak):
//   - processes: none of the pods' (shims, pauses, containers, probes) may be left once every pod is deleted and the
//     engine is idle; only its two helpers (shim launcher, pause spawner);
//   - files: no pod directory, no address reservation, no veth on the bridge left; the data directory holds what it
//     held idle at the baseline;
//   - file descriptors: idle at the end ≤ idle at the baseline;
//   - objects of deleted pods: a heap snapshot of the idle engine at the end may name no pod but those of the last
//     2 × DEFAULT_WATCH_WINDOW watch events — the API keeps that many recent changes (full pod objects) so that a
//     watch can resume (api/watch-hub.ts); anything older still referenced is a leak, whatever the memory figures;
//   - memory: the least-squares slope of RSS and heap, in KiB per minute, over the samples after the first minute
//     (reported), and over the steady phase — once the watch window has filled and been trimmed twice (2 × 2 ×
//     DEFAULT_WATCH_WINDOW changes, and after the first minute): until then the window grows by design, and the
//     heap's high-water mark, which the RSS keeps, settles over its first trims. RSS growing faster than
//     RSS_SLOPE_LIMIT_KIB_PER_MIN in a steady phase of at least STEADY_JUDGED_S is a leak (10-minute runs on the
//     2-core VM read -0.6 to +1.1 MiB/min from the second trim on: the limit is above that noise, and the snapshot
//     check is the exact one). The heap saw-tooths as the window is trimmed (20,000 → 10,000 changes): its slope is
//     read, not judged.
import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomUUID } from 'node:crypto';
import { LAST_RESERVED_FILE } from '../src/adapters/process/ip-allocator.ts';
import { DEFAULT_WATCH_WINDOW } from '../src/api/watch-hub.ts';
import { tearDownPodNetwork } from '../src/adapters/process/pod-network.ts';
import { startLocalEngine } from '../src/local/local-engine.ts';
import { startLocalServer } from '../src/local/local-server.ts';
import { emitReport, loadAverage, positionalArgs, say, type Figure } from './bench-report.ts';

const MINUTES = Number(positionalArgs()[0] ?? 10);
/** Keep a heap snapshot of the idle engine before and after the soak (in the current directory), for a leak hunt.
 * Writing one inflates the RSS: the memory figures of such a run are not comparable. */
const HEAP_SNAPSHOTS = process.argv.includes('--heap-snapshots');
if (!(MINUTES > 0)) throw new Error(`soak: minutes must be a positive number, not ${positionalArgs()[0]}`);
const SAMPLE_MS = 10_000;
const WARMUP_MS = 60_000;
const LONG_LIVE = 60;
const LONG_MIN_S = 20;
const LONG_MAX_S = 40;
const SHORT_LIVE = 16;
/** RSS growing faster than this over a steady phase of at least STEADY_JUDGED_S is a leak. */
const RSS_SLOPE_LIMIT_KIB_PER_MIN = 2048;
const STEADY_JUDGED_S = 180;
/** The API's watch window holds up to this many recent changes before it is trimmed (api/watch-hub.ts). */
const WATCH_WINDOW_MAX = 2 * DEFAULT_WATCH_WINDOW;
const POD_NAME = /^(long|job|retry)-\d+$/;
const NAMESPACE = 'soak';
const PODS_PATH = `/api/v1/namespaces/${NAMESPACE}/pods`;
const OWN_BRIDGE = !process.env.PODFLOW_BRIDGE;
const BRIDGE = process.env.PODFLOW_BRIDGE || 'podflowsoak0';
const POD_CIDR = process.env.PODFLOW_POD_CIDR || '10.78.0.0/16';

/** A full GC before each memory reading: --expose-gc if given, else the same function through V8's flag. */
const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();

/** The HTTP server the long pods' httpGet readiness probes ask (on loopback, in this process), and its answers. */
let probeTarget = { port: 0, answered: 0 };

// ── the pods ─────────────────────────────────────────────────────────────────────────────────────────────────

type Kind = 'long' | 'job' | 'retry';

function manifest(name: string, kind: Kind, seq: number): object {
  const base = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { soak: kind } } };
  if (kind === 'long') {
    return {
      ...base,
      spec: {
        terminationGracePeriodSeconds: 1,
        ...(seq % 5 === 0 && {
          initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
        }),
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sleep', '3600'],
            ...(seq % 3 === 0 && {
              readinessProbe: { exec: { command: ['true'] }, periodSeconds: 2 },
            }),
            ...(seq % 3 === 1 && {
              readinessProbe: {
                httpGet: { host: '127.0.0.1', port: probeTarget.port, path: '/healthz' },
                periodSeconds: 2,
              },
            }),
          },
        ],
      },
    };
  }
  if (kind === 'job') {
    return {
      ...base,
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        containers: [
          { name: 'app', image: 'busybox', command: ['sh', '-c', `echo done ${name}; sleep 0.2`] },
        ],
      },
    };
  }
  // Fails its first attempt, succeeds on the second (the attempt is counted in the pod's emptyDir).
  return {
    ...base,
    spec: {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: [
            'sh',
            '-c',
            `n=$(cat /scratch/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /scratch/n; echo attempt $n; [ $n -ge 2 ]`,
          ],
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        },
      ],
    },
  };
}

// ── the API, over keep-alive HTTP ────────────────────────────────────────────────────────────────────────────

const newAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: 8 });
let agent = newAgent();
let apiBase = '';

function call(method: string, path: string, body?: object): Promise<{ status: number; text: string }> {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      `${apiBase}${path}`,
      {
        method,
        agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// ── what the engine holds ────────────────────────────────────────────────────────────────────────────────────

interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

function allProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // ended, not reaped yet
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.push({ pid: Number(entry), ppid: Number(fields[1]), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The engine's processes: its descendants, and any process naming its data directory (pauses have init as parent). */
function engineProcesses(dataDir: string): { descendants: number; helpers: ProcInfo[]; pods: ProcInfo[] } {
  const procs = allProcesses();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const mine = new Map<number, ProcInfo>();
  const queue = [...(children.get(process.pid) ?? [])];
  while (queue.length > 0) {
    const p = queue.pop()!;
    if (mine.has(p.pid)) continue;
    mine.set(p.pid, p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  const descendants = mine.size;
  for (const p of procs) if (p.cmdline.includes(dataDir)) mine.set(p.pid, p);
  const isHelper = (p: ProcInfo): boolean =>
    p.ppid === process.pid &&
    (p.cmdline.includes('shim-launcher-child.mjs') || p.cmdline.endsWith('podflow-shim --spawner'));
  const all = [...mine.values()];
  return { descendants, helpers: all.filter(isHelper), pods: all.filter((p) => !isHelper(p)) };
}

function openFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory's own fd, closed meanwhile
    }
  }
  return out;
}

/** Every file and directory under `dir` (relative paths). */
function filesUnder(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[]).sort();
  } catch {
    return [];
  }
}

const entries = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

const fileBytes = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

interface Sample {
  /** Seconds since the soak started. */
  t: number;
  /** Watch events received so far: the API's watch window is full from WATCH_WINDOW_MAX on. */
  watchEvents: number;
  rssKiB: number;
  heapKiB: number;
  /** The engine's descendants (shim launcher, pause spawner, shims, containers) by parent pid. */
  descendants: number;
  /** Processes of pods: shims, pauses, containers, probes. */
  podProcesses: number;
  fds: number;
  files: number;
  livePods: number;
  /** SQLite database and WAL, KiB. */
  dbKiB: number;
  loopDelayP99Ms: number;
  created: number;
  removed: number;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? NaN : sxy / sxx;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const base = process.env.PODFLOW_BENCH_DIR ?? join(process.cwd(), '.podflow');
  await mkdir(base, { recursive: true });
  const root = await mkdtemp(join(base, 'bench-soak-'));
  const dataDir = resolve(root, 'data');
  let ipForward: string | undefined;
  try {
    ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  } catch {
    ipForward = undefined;
  }
  const errors: string[] = [];
  const onError = (err: unknown, context: string): void => {
    errors.push(`${context}: ${err instanceof Error ? err.message : String(err)}`);
  };
  const probeServer = createServer((_req, res) => {
    probeTarget.answered++;
    res.end('ok');
  });
  await new Promise<void>((done) => probeServer.listen(0, '127.0.0.1', done));
  probeTarget = { port: (probeServer.address() as { port: number }).port, answered: 0 };
  const local = await startLocalEngine({
    dataDir,
    onError,
    onWarning: (line) => say(`engine: ${line}`),
    podNetwork: { bridge: BRIDGE, podCidr: POD_CIDR },
  });
  const server = await startLocalServer({ engine: local, port: 0, newUid: randomUUID, onError });
  apiBase = server.url;
  const bridge = local.network.mode === 'bridge' ? local.network.bridge : undefined;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  // ── the driver's view: every pod it made, what phase the engine committed, when it must go ─────────────────
  interface Live {
    kind: Kind;
    phase: string;
    deleteAt?: number;
    deleting: boolean;
  }
  const live = new Map<string, Live>();
  let seq = 0;
  let created = 0;
  let removedCount = 0;
  let apiFailures = 0;
  let logMismatches = 0;
  local.store.subscribe((change) => {
    if (change.type === 'removed') {
      if (live.delete(change.key.name)) removedCount++;
      return;
    }
    if (change.type !== 'created' && change.type !== 'updated') return;
    const pod = live.get(change.pod.key.name);
    if (pod) pod.phase = change.pod.state.pod.status?.phase ?? '';
  });
  const apiFailure = (what: string, status: number, text: string): void => {
    apiFailures++;
    if (apiFailures <= 5) say(`soak: ${what} answered ${status}: ${text.slice(0, 200)}`);
  };

  const create = async (kind: Kind): Promise<void> => {
    const n = seq++;
    const name = `${kind}-${n}`;
    const deleteAt =
      kind === 'long'
        ? Date.now() + (LONG_MIN_S + ((n * 7919) % (LONG_MAX_S - LONG_MIN_S + 1))) * 1000
        : undefined;
    live.set(name, { kind, phase: '', deleting: false, ...(deleteAt !== undefined && { deleteAt }) });
    const res = await call('POST', PODS_PATH, manifest(name, kind, n));
    if (res.status !== 201) {
      live.delete(name);
      apiFailure(`POST ${name}`, res.status, res.text);
      return;
    }
    created++;
  };
  const remove = async (name: string, grace: number): Promise<void> => {
    const pod = live.get(name);
    if (!pod || pod.deleting) return;
    pod.deleting = true;
    const res = await call('DELETE', `${PODS_PATH}/${name}?gracePeriodSeconds=${grace}`);
    if (res.status === 200 || res.status === 202) return;
    apiFailure(`DELETE ${name}`, res.status, res.text);
    if (res.status === 404) live.delete(name);
    else pod.deleting = false; // tried again by the next tick
  };
  /** A finished short pod: its log says what it printed, then it goes. */
  const reap = async (name: string, pod: Live): Promise<void> => {
    pod.deleting = true;
    const res = await call('GET', `${PODS_PATH}/${name}/log`);
    const expected = pod.kind === 'job' ? `done ${name}\n` : 'attempt 2\n';
    if (res.status !== 200) apiFailure(`GET ${name}/log`, res.status, res.text);
    else if (res.text !== expected) logMismatches++;
    pod.deleting = false;
    await remove(name, 0);
  };

  /** One pass of the driver: delete what is due, create what is missing. */
  let ticking = false;
  const tick = async (creating: boolean): Promise<void> => {
    if (ticking) return;
    ticking = true;
    try {
      const now = Date.now();
      const work: Array<Promise<void>> = [];
      let longLive = 0;
      let shortLive = 0;
      for (const [name, pod] of live) {
        if (pod.deleting) continue;
        if (pod.kind === 'long') {
          if (!creating || (pod.deleteAt ?? 0) <= now) work.push(remove(name, 1));
          else longLive++;
        } else if (pod.phase === 'Succeeded' || pod.phase === 'Failed') {
          work.push(reap(name, pod));
        } else {
          shortLive++;
        }
      }
      if (creating) {
        for (let i = longLive; i < LONG_LIVE; i++) work.push(create('long'));
        for (let i = shortLive; i < SHORT_LIVE; i++) work.push(create(seq % 4 === 3 ? 'retry' : 'job'));
      }
      await Promise.all(work);
    } catch (err) {
      onError(err, 'driver');
    } finally {
      ticking = false;
    }
  };

  /** Deletes everything and waits until the store is empty and no worker runs, then for the processes to end. */
  const drain = async (what: string): Promise<boolean> => {
    const deadline = performance.now() + 180_000;
    while (live.size > 0 || (await local.store.list(NAMESPACE)).items.length > 0) {
      if (performance.now() > deadline) {
        say(`soak: ${what}: ${live.size} pods still there after 180 s`);
        return false;
      }
      await tick(false);
      await sleep(200);
    }
    while (local.workflow.executions.length > 0 && performance.now() < deadline) await sleep(50);
    // Processes of deleted pods are gone by the time the pod is removed; give a killed one a moment to leave /proc.
    while (engineProcesses(dataDir).pods.length > 0 && performance.now() < deadline) await sleep(100);
    await sleep(2_000);
    return true;
  };

  const idle = () => {
    gc();
    const mem = process.memoryUsage();
    const procs = engineProcesses(dataDir);
    const fds = openFds();
    return {
      rssKiB: mem.rss / 1024,
      heapKiB: mem.heapUsed / 1024,
      procs,
      fds,
      files: filesUnder(dataDir),
    };
  };

  // ── prelude: one round of each kind, all deleted; then the idle baseline ────────────────────────────────────
  say(
    `soak: node ${process.version}, ${MINUTES} min, ${LONG_LIVE} long-lived + ${SHORT_LIVE} short-lived pods ` +
      `in flight, pod network ${local.network.mode}${bridge ? ` on ${bridge} ${POD_CIDR}` : ''}, ` +
      `data ${dataDir}, load average ${loadBefore.join(' ')}`,
  );
  const ns = await call('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NAMESPACE },
  });
  if (ns.status !== 201) throw new Error(`soak: creating namespace ${NAMESPACE}: ${ns.status} ${ns.text}`);
  await Promise.all([create('long'), create('long'), create('job'), create('job'), create('retry')]);
  /** Pods changed before the watch opened (by number: a list of their names would keep the names in the heap) are
   * in the API's window until WATCH_WINDOW_MAX changes followed. */
  const preludePods = seq;
  const preludeDeadline = performance.now() + 60_000;
  while (
    [...live.values()].some((p) => (p.kind === 'long' ? p.phase !== 'Running' : p.phase !== 'Succeeded')) &&
    performance.now() < preludeDeadline
  )
    await sleep(100);
  await drain('prelude');
  // The connections the prelude opened are closed, as they are at the end: the baseline counts none.
  agent.destroy();
  agent = newAgent();
  await sleep(500);
  const baseline = idle();
  if (HEAP_SNAPSHOTS)
    say(`heap snapshot before: ${writeHeapSnapshot(`soak-before-${process.pid}.heapsnapshot`)}`);
  say(
    `idle baseline: RSS ${(baseline.rssKiB / 1024).toFixed(1)} MiB, heap ${(baseline.heapKiB / 1024).toFixed(1)} MiB, ` +
      `${baseline.fds.length} fds, ${baseline.files.length} files, helpers ${baseline.procs.helpers.length}, ` +
      `pod processes ${baseline.procs.pods.length}`,
  );

  // ── the soak ─────────────────────────────────────────────────────────────────────────────────────────────────
  // The watch a client would keep open (kubectl get -w): every event read, and the pod names of the last
  // WATCH_WINDOW_MAX kept — the pods whose objects the API may still hold at the end.
  let watchEvents = 0;
  const recentNames: string[] = new Array<string>(WATCH_WINDOW_MAX).fill('');
  let watchBuffer = '';
  const watch = httpRequest(`${apiBase}${PODS_PATH}?watch=true`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      watchBuffer += d;
      let nl: number;
      while ((nl = watchBuffer.indexOf('\n')) >= 0) {
        const line = watchBuffer.slice(0, nl);
        watchBuffer = watchBuffer.slice(nl + 1);
        const event = JSON.parse(line) as { object?: { metadata?: { name?: string } } };
        recentNames[watchEvents++ % WATCH_WINDOW_MAX] = event.object?.metadata?.name ?? '';
      }
    });
    res.on('error', () => undefined);
  });
  watch.on('error', () => undefined);
  watch.end();
  const samples: Sample[] = [];
  const t0 = Date.now();
  const end = t0 + MINUTES * 60_000;
  const sample = async (): Promise<Sample> => {
    gc();
    const mem = process.memoryUsage();
    const procs = engineProcesses(dataDir);
    const s: Sample = {
      t: (Date.now() - t0) / 1000,
      watchEvents,
      rssKiB: mem.rss / 1024,
      heapKiB: mem.heapUsed / 1024,
      descendants: procs.descendants,
      podProcesses: procs.pods.length,
      fds: openFds().length,
      files: filesUnder(dataDir).length,
      livePods: (await local.store.list(NAMESPACE)).items.length,
      dbKiB: (fileBytes(join(dataDir, 'podflow.db')) + fileBytes(join(dataDir, 'podflow.db-wal'))) / 1024,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      created,
      removed: removedCount,
    };
    loop.reset();
    samples.push(s);
    say(
      `${s.t.toFixed(0).padStart(5)} s  RSS ${(s.rssKiB / 1024).toFixed(1)} MiB  heap ${(s.heapKiB / 1024).toFixed(1)} MiB  ` +
        `procs ${s.podProcesses}  fds ${s.fds}  files ${s.files}  pods ${s.livePods}  ` +
        `created ${s.created}  removed ${s.removed}  loop p99 ${s.loopDelayP99Ms.toFixed(0)} ms`,
    );
    return s;
  };
  let nextSample = t0 + SAMPLE_MS;
  while (Date.now() < end) {
    await tick(true);
    if (Date.now() >= nextSample) {
      await sample();
      nextSample += SAMPLE_MS;
    }
    await sleep(100);
  }
  const soakCreated = created;
  const soakSeconds = (Date.now() - t0) / 1000;

  // ── drain, and the idle engine again ─────────────────────────────────────────────────────────────────────────
  const drained = await drain('end');
  watch.destroy();
  agent.destroy();
  await sleep(500); // the server's ends of the closed connections
  const final = idle();
  loop.disable();
  // Pods still named in the heap that the watch window cannot explain (the snapshot after the measurements: writing
  // it grows the RSS).
  const allowed = new Set(recentNames);
  const inWindow = (name: string): boolean =>
    allowed.has(name) ||
    (watchEvents < WATCH_WINDOW_MAX && Number(name.slice(name.indexOf('-') + 1)) < preludePods);
  const snapshotFile = writeHeapSnapshot(
    HEAP_SNAPSHOTS ? `soak-after-${process.pid}.heapsnapshot` : join(root, 'after.heapsnapshot'),
  );
  const named = (JSON.parse(readFileSync(snapshotFile, 'utf8')) as { strings: string[] }).strings.filter(
    (n) => POD_NAME.test(n),
  );
  if (HEAP_SNAPSHOTS) say(`heap snapshot after: ${snapshotFile}`);
  else await rm(snapshotFile, { force: true });
  const staleNames = named.filter((n) => !inWindow(n));

  const firstMinute = samples.filter((s) => s.t * 1000 >= WARMUP_MS);
  const rssSlope = slope(firstMinute.map((s) => [s.t / 60, s.rssKiB]));
  const heapSlope = slope(firstMinute.map((s) => [s.t / 60, s.heapKiB]));
  const steady = firstMinute.filter((s) => s.watchEvents >= 2 * WATCH_WINDOW_MAX);
  const steadySeconds = steady.length > 1 ? steady.at(-1)!.t - steady[0]!.t : 0;
  const rssSlopeSteady = slope(steady.map((s) => [s.t / 60, s.rssKiB]));
  const heapSlopeSteady = slope(steady.map((s) => [s.t / 60, s.heapKiB]));
  const leftoverPods = entries(join(dataDir, 'pods'));
  const addressFiles = bridge
    ? entries(join(dataDir, 'network', bridge)).filter((f) => f !== LAST_RESERVED_FILE)
    : [];
  const veths = bridge ? entries(`/sys/class/net/${bridge}/brif`) : [];
  const extraFds = (() => {
    const left = [...baseline.fds];
    return final.fds.filter((fd) => {
      const i = left.indexOf(fd);
      if (i >= 0) left.splice(i, 1);
      return i < 0;
    });
  })();
  const newFiles = final.files.filter((f) => !baseline.files.includes(f));

  const problems: string[] = [];
  if (!drained) problems.push('not every pod was removed');
  if (final.procs.pods.length > 0)
    problems.push(
      `${final.procs.pods.length} pod processes left: ${final.procs.pods
        .slice(0, 5)
        .map((p) => `${p.pid} ${p.cmdline}`)
        .join('; ')}`,
    );
  if (leftoverPods.length > 0) problems.push(`${leftoverPods.length} pod directories left`);
  if (addressFiles.length > 0) problems.push(`${addressFiles.length} pod addresses still reserved`);
  if (veths.length > 0) problems.push(`${veths.length} veths left on ${bridge}`);
  if (newFiles.length > 0)
    problems.push(`files in the data directory not there idle before: ${newFiles.slice(0, 10)}`);
  if (final.fds.length > baseline.fds.length)
    problems.push(
      `${final.fds.length - baseline.fds.length} more fds than idle before: ${extraFds.slice(0, 10)}`,
    );
  // Not leaks, but a soak that did not run as designed proves nothing.
  const failures: string[] = [];
  if (apiFailures > 0) failures.push(`${apiFailures} API calls failed`);
  if (logMismatches > 0) failures.push(`${logMismatches} pods whose log was not what they printed`);
  if (soakCreated === 0) failures.push('no pod was created');
  if (probeTarget.answered === 0) failures.push('no httpGet probe reached the probe server');
  if (staleNames.length > 0)
    problems.push(
      `${staleNames.length} deleted pods older than the watch window still named in the heap, e.g. ` +
        staleNames.slice(0, 5).join(', '),
    );
  if (steadySeconds >= STEADY_JUDGED_S && rssSlopeSteady > RSS_SLOPE_LIMIT_KIB_PER_MIN)
    problems.push(
      `RSS grows ${rssSlopeSteady.toFixed(0)} KiB/min in the steady phase (limit ${RSS_SLOPE_LIMIT_KIB_PER_MIN})`,
    );

  say('');
  say(
    '    t s   RSS MiB  heap MiB  pod procs  descendants   fds  files  pods  DB KiB  loop p99 ms  created  removed',
  );
  for (const s of samples) {
    say(
      `${s.t.toFixed(0).padStart(7)} ${(s.rssKiB / 1024).toFixed(1).padStart(9)} ${(s.heapKiB / 1024).toFixed(1).padStart(9)} ` +
        `${String(s.podProcesses).padStart(10)} ${String(s.descendants).padStart(12)} ${String(s.fds).padStart(5)} ` +
        `${String(s.files).padStart(6)} ${String(s.livePods).padStart(5)} ${s.dbKiB.toFixed(0).padStart(7)} ` +
        `${s.loopDelayP99Ms.toFixed(0).padStart(12)} ${String(s.created).padStart(8)} ${String(s.removed).padStart(8)}`,
    );
  }
  say('');
  say(
    `${soakCreated} pods created in ${soakSeconds.toFixed(0)} s (${(soakCreated / soakSeconds).toFixed(1)}/s), ` +
      `${removedCount} removed; ${watchEvents} watch events; API failures ${apiFailures}, log mismatches ` +
      `${logMismatches}, engine errors ${errors.length}; httpGet probes answered ${probeTarget.answered}`,
  );
  say(
    `RSS slope after the first minute ${rssSlope.toFixed(0)} KiB/min, heap ${heapSlope.toFixed(0)} KiB/min ` +
      `(${firstMinute.length} samples); steady phase (watch window trimmed twice) from ${steady[0]?.t.toFixed(0) ?? '—'} s: ` +
      `RSS ${rssSlopeSteady.toFixed(0)} KiB/min, heap ${heapSlopeSteady.toFixed(0)} KiB/min (${steady.length} samples` +
      `${steadySeconds >= STEADY_JUDGED_S ? '' : `, under ${STEADY_JUDGED_S} s: not judged`})`,
  );
  say(
    `heap snapshot of the idle engine: ${named.length} pod names, all among the last ${WATCH_WINDOW_MAX} watch ` +
      `events' ${allowed.size - (allowed.has('') ? 1 : 0)} pods` +
      (staleNames.length > 0 ? ` EXCEPT ${staleNames.length}: ${staleNames.slice(0, 5).join(', ')}` : ''),
  );
  say(
    `idle before → after: RSS ${(baseline.rssKiB / 1024).toFixed(1)} → ${(final.rssKiB / 1024).toFixed(1)} MiB, ` +
      `heap ${(baseline.heapKiB / 1024).toFixed(1)} → ${(final.heapKiB / 1024).toFixed(1)} MiB, ` +
      `fds ${baseline.fds.length} → ${final.fds.length}, files ${baseline.files.length} → ${final.files.length}, ` +
      `pod processes ${baseline.procs.pods.length} → ${final.procs.pods.length}, ` +
      `helpers ${baseline.procs.helpers.length} → ${final.procs.helpers.length}`,
  );
  say(
    `fds first sample → last sample: ${samples[0]?.fds ?? NaN} → ${samples.at(-1)?.fds ?? NaN}; left after the ` +
      `drain: ${leftoverPods.length} pod dirs, ${addressFiles.length} reserved addresses, ${veths.length} veths`,
  );
  if (errors.length > 0) say(`engine errors (first 5):\n  ${errors.slice(0, 5).join('\n  ')}`);
  say(problems.length === 0 ? 'verdict: no leak' : `verdict: LEAK\n  ${problems.join('\n  ')}`);
  if (failures.length > 0) say(`the run itself failed:\n  ${failures.join('\n  ')}`);

  await server.close();
  await local.close();
  probeServer.close();
  if (problems.length === 0 && failures.length === 0) await rm(root, { recursive: true, force: true });
  else say(`data kept in ${root}`);
  if (OWN_BRIDGE && bridge) {
    await tearDownPodNetwork(BRIDGE);
    if (ipForward !== undefined) writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward);
  }

  const figures: Record<string, Figure> = {
    soak_rss_slope_kib_per_min: {
      value: rssSlope,
      unit: 'KiB/min',
      baseline: 0,
      baselineIs: 'flat; least squares over the samples after the first minute',
    },
    soak_rss_steady_slope_kib_per_min: {
      value: rssSlopeSteady,
      unit: 'KiB/min',
      baseline: 0,
      baselineIs: "flat; least squares over the samples once the API's watch window was trimmed twice",
    },
    soak_heap_slope_kib_per_min: {
      value: heapSlope,
      unit: 'KiB/min',
      baseline: 0,
      baselineIs: 'flat; least squares over the samples after the first minute',
    },
    soak_stale_pods_in_heap: {
      value: staleNames.length,
      unit: '',
      baseline: 0,
      baselineIs: `deleted pods named in the idle heap beyond the last ${WATCH_WINDOW_MAX} watch events`,
    },
    soak_leaked_processes: {
      value: final.procs.pods.length,
      unit: '',
      baseline: baseline.procs.pods.length,
      baselineIs: 'pod processes of the idle engine before the soak',
    },
    soak_leftover_files: {
      value: newFiles.length + leftoverPods.length + addressFiles.length,
      unit: '',
      baseline: 0,
      baselineIs: 'files under the data directory not there idle before the soak',
    },
    soak_fd_growth: {
      value: final.fds.length - baseline.fds.length,
      unit: '',
      baseline: 0,
      baselineIs: `open fds of the idle engine after the soak minus before it (${baseline.fds.length})`,
    },
  };
  emitReport({
    bench: 'soak',
    loadBefore,
    loadAfter: loadAverage(),
    figures,
    notes: {
      minutes: MINUTES,
      seconds: soakSeconds,
      created: soakCreated,
      removed: removedCount,
      creates_per_s: soakCreated / soakSeconds,
      watch_events: watchEvents,
      steady_from_s: steady[0]?.t,
      steady_seconds: steadySeconds,
      heap_slope_steady_kib_per_min: heapSlopeSteady,
      pods_named_in_heap: named.length,
      api_failures: apiFailures,
      log_mismatches: logMismatches,
      engine_errors: errors.length,
      http_probes_answered: probeTarget.answered,
      pod_network: local.network.mode,
      idle_before: {
        rss_kib: baseline.rssKiB,
        heap_kib: baseline.heapKiB,
        fds: baseline.fds.length,
        files: baseline.files.length,
      },
      idle_after: {
        rss_kib: final.rssKiB,
        heap_kib: final.heapKiB,
        fds: final.fds.length,
        files: final.files.length,
      },
      fds_first_sample: samples[0]?.fds,
      fds_last_sample: samples.at(-1)?.fds,
      extra_fds: extraFds,
      leftover_pod_dirs: leftoverPods.length,
      reserved_addresses: addressFiles.length,
      veths: veths.length,
      problems,
      failures,
      samples,
    },
  });
  if (problems.length > 0 || failures.length > 0) process.exitCode = 1;
}

await main();
