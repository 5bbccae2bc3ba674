// What the pod sandbox (a pause process with the pod's own network, IPC and UTS namespaces, a veth on the bridge
// and an address) adds to bringing a pod to Running, against pods on the host network, in the same run.
// Not part of `npm test`: it measures, it does not assert. Needs root (else both engines fall back to the host
// network, and the bench says so and stops). Run with the pinned Node 22:
//   npx node bench/pod-sandbox.bench.ts [pods=50] [--in-memory] [--store sqlite|dynamodb]
// (data under .podflow/bench-*, or PODFLOW_BENCH_DIR; a bridge and pod CIDR of its own — podflowbench0 and
// 10.79.0.0/16 unless PODFLOW_BRIDGE / PODFLOW_POD_CIDR say otherwise — removed at the end).
//
// Two engines in this process, one per network mode, alternating one pod on each (and which goes first) so machine
// noise hits both alike, all running `sleep 30`:
//   host      --pod-network host: createSandbox writes the sandbox record, the container runs on the host network
//   sandbox   --pod-network bridge: createSandbox starts the pause (unshare, veth on the bridge, eth0 address and
//             route over rtnetlink) and every container joins its namespaces (setns before exec)
// Measured: admitManifests + engine.createPod() → the first committed state with phase Running (as
// apply-to-running.bench.ts), and, beside it, the runtime's createSandbox call alone on a third pair of runtimes.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pod } from 'kubernetes-types/core/v1';
import { pauseDir } from '../src/adapters/process/instance-layout.ts';
import { tearDownPodNetwork, type PodNetworkMode } from '../src/adapters/process/pod-network.ts';
import { ProcessContainerRuntime } from '../src/adapters/process/process-container-runtime.ts';
import { admitManifests } from '../src/core/manifest/index.ts';
import { startLocalEngine } from '../src/local/local-engine.ts';
import { systemClock } from '../src/ports/clock.ts';

const args = process.argv.slice(2);
const PODS = Number(args.find((a) => /^\d+$/.test(a)) ?? 50);
const IN_MEMORY = args.includes('--in-memory');
const storeArg = args.includes('--store') ? args[args.indexOf('--store') + 1] : 'sqlite';
if (storeArg !== 'sqlite' && storeArg !== 'dynamodb')
  throw new Error(`--store sqlite|dynamodb, not ${storeArg}`);
const STORE: 'sqlite' | 'dynamodb' = storeArg;
const WARMUP = 3;
const COMMAND = ['sleep', '30'];
const OWN_BRIDGE = !process.env.PODFLOW_BRIDGE;
const BRIDGE = process.env.PODFLOW_BRIDGE || 'podflowbench0';
const POD_CIDR = process.env.PODFLOW_POD_CIDR || '10.79.0.0/16';

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const ms = (v: number): string => `${v.toFixed(2)} ms`;

function podManifest(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'bench' },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: 'busybox:1.28', command: COMMAND }],
    },
  });
}

/** An engine on its own data directory with the given pod network, and createPod → Running timing. */
async function engineFor(root: string, mode: PodNetworkMode) {
  const local = await startLocalEngine({
    dataDir: join(root, `data-${mode}`),
    inMemory: IN_MEMORY,
    store: STORE,
    podNetwork: { mode, bridge: BRIDGE, podCidr: POD_CIDR },
    onWarning: () => undefined, // the host engine's fallback line is the point here
    onError: (err, context) => console.error(`engine error (${mode}): ${context}:`, err),
  });
  const running = new Map<string, () => void>();
  const removed = new Map<string, () => void>();
  local.store.subscribe((change) => {
    if (change.type === 'removed') return removed.get(change.key.name)?.();
    if (change.type !== 'created' && change.type !== 'updated') return;
    if (change.pod.state.pod.status?.phase === 'Running') running.get(change.pod.key.name)?.();
  });
  const until = (waiters: Map<string, () => void>, name: string): Promise<number> =>
    new Promise((resolve) =>
      waiters.set(name, () => {
        waiters.delete(name);
        resolve(performance.now());
      }),
    );
  const names: string[] = [];
  return {
    local,
    async once(i: number): Promise<number> {
      const name = `pod-${i}`;
      names.push(name);
      const isRunning = until(running, name);
      const t0 = performance.now();
      const admitted = admitManifests(podManifest(name), 'bench.yaml', {
        now: Date.now(),
        newUid: () => randomUUID(),
      });
      if (admitted.errors.length > 0) throw new Error(admitted.errors.join('\n'));
      await local.engine.createPod(admitted.objects[0]!.object as Pod);
      return (await isRunning) - t0;
    },
    async deleteAll(): Promise<void> {
      const gone = Promise.all(names.map((n) => until(removed, n)));
      for (const name of names) await local.engine.deletePod({ namespace: 'bench', name }, 0);
      await gone;
    },
  };
}

/** The pause's time on a CPU and waiting on a run queue, in ms (/proc/<pid>/schedstat: ns, ns, timeslices). */
function readPauseSchedstat(
  dataDir: string,
  uid: string,
): { onCpuMs: number; waitingMs: number } | undefined {
  try {
    const pid = /^shimPid=(\d+)$/m.exec(readFileSync(pauseDir(dataDir, uid) + '/state', 'utf8'))?.[1];
    const [onCpu, waiting] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { onCpuMs: onCpu! / 1e6, waitingMs: waiting! / 1e6 };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const base = process.env.PODFLOW_BENCH_DIR ?? join(process.cwd(), '.podflow');
  await mkdir(base, { recursive: true });
  const root = await mkdtemp(join(base, 'bench-sandbox-'));
  const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const host = await engineFor(root, 'host');
  let sandbox: Awaited<ReturnType<typeof engineFor>>;
  try {
    sandbox = await engineFor(root, 'bridge');
  } catch (err) {
    console.log(`no pod network here, nothing to compare: ${(err as Error).message}`);
    await host.local.close();
    await rm(root, { recursive: true, force: true });
    return;
  }

  const hostMs: number[] = [];
  const sandboxMs: number[] = [];
  for (let i = 0; i < WARMUP + PODS; i++) {
    // Alternating which goes first, so neither always runs right after the other's work.
    let h: number;
    let s: number;
    if (i % 2 === 0) {
      h = await host.once(i);
      s = await sandbox.once(i);
    } else {
      s = await sandbox.once(i);
      h = await host.once(i);
    }
    if (i >= WARMUP) {
      hostMs.push(h);
      sandboxMs.push(s);
    }
  }

  // createSandbox alone, alternating, on runtimes of their own (no engine around them).
  const runtimes = (['host', 'bridge'] as const).map(
    (mode) =>
      new ProcessContainerRuntime({
        dataDir: join(root, `runtime-${mode}`),
        clock: systemClock,
        network: { mode, bridge: BRIDGE, podCidr: POD_CIDR },
      }),
  );
  const sandboxCalls: [number[], number[]] = [[], []];
  const pauseOnCpu: number[] = [];
  const pauseWaiting: number[] = [];
  for (let i = 0; i < WARMUP + PODS; i++) {
    for (const [r, runtime] of runtimes.entries()) {
      const ref = { key: { namespace: 'bench', name: `s-${i}` }, uid: randomUUID() };
      const t0 = performance.now();
      await runtime.createSandbox(ref);
      if (i < WARMUP) continue;
      sandboxCalls[r]!.push(performance.now() - t0);
      const pause = r === 1 ? readPauseSchedstat(join(root, 'runtime-bridge'), ref.uid) : undefined;
      if (pause) {
        pauseOnCpu.push(pause.onCpuMs);
        pauseWaiting.push(pause.waitingMs);
      }
    }
  }

  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `node ${process.version}, ${PODS} pods of \`${COMMAND.join(' ')}\` per mode (after ${WARMUP} warm-up), ` +
      `store ${STORE === 'sqlite' ? 'SQLite' : 'DynamoDB on dynalite'} ${IN_MEMORY ? 'in memory' : 'on disk'}, bridge ${BRIDGE} ${POD_CIDR}, load average ${load}`,
  );
  const row = (label: string, values: number[]): string =>
    `  ${label.padEnd(9)} p50 ${ms(quantile(values, 0.5))}   p95 ${ms(quantile(values, 0.95))}`;
  console.log('createPod → phase Running committed');
  console.log(row('host', hostMs));
  console.log(row('sandbox', sandboxMs));
  const diffs = sandboxMs.map((s, i) => s - hostMs[i]!);
  console.log(
    `  added    p50 ${ms(quantile(sandboxMs, 0.5) - quantile(hostMs, 0.5))} (difference of the p50s), ` +
      `p50 of pairwise differences ${ms(quantile(diffs, 0.5))}`,
  );
  console.log('runtime.createSandbox alone');
  console.log(row('host', sandboxCalls[0]));
  console.log(row('sandbox', sandboxCalls[1]));
  // What the machine's load does to it: the pause's own time on a CPU and waiting for one (/proc/<pid>/schedstat),
  // from its fork to now (it has been idle since it reported).
  console.log('the pause process setting the sandbox up (/proc/<pid>/schedstat)');
  console.log(row('on CPU', pauseOnCpu));
  console.log(row('waiting', pauseWaiting) + '   (runnable, waiting for a CPU)');

  await host.deleteAll();
  await sandbox.deleteAll();
  for (const runtime of runtimes) {
    for (const s of await runtime.listSandboxes()) await runtime.removeSandbox(s);
    await runtime.close();
  }
  await host.local.close();
  await sandbox.local.close();
  await rm(root, { recursive: true, force: true });
  if (OWN_BRIDGE) {
    await tearDownPodNetwork(BRIDGE);
    writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward);
  }
}

await main();
