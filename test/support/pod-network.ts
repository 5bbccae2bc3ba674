// What the tests of the pod network look at on the host: network namespaces, the veths on the run's bridge, pause
// processes. And whether the host lets the engine give pods networks of their own at all (root, namespaces): when
// not, those tests are skipped with the reason printed, and the fallback is tested instead.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodNetwork } from '../../src/adapters/process/pod-network.ts';
import { ProcessContainerRuntime } from '../../src/adapters/process/process-container-runtime.ts';
import { systemClock } from '../../src/ports/clock.ts';

/** What the runtime decides on this host with the run's defaults (test/support/pod-network-global-setup.ts). */
export async function probePodNetwork(): Promise<PodNetwork> {
  const root = await mkdtemp(join(tmpdir(), 'podflow-netprobe-'));
  const runtime = new ProcessContainerRuntime({ dataDir: join(root, 'data'), clock: systemClock });
  try {
    return await runtime.network();
  } finally {
    await runtime.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Why the namespace tests cannot run here, or undefined when they can (printed once per file). */
export async function namespaceSkipReason(file: string): Promise<string | undefined> {
  const net = await probePodNetwork();
  if (net.mode === 'bridge') return undefined;
  const reason = `${file}: pod network tests skipped: ${net.warning}`;
  console.warn(reason);
  return reason;
}

/** The run's bridge (PODFLOW_BRIDGE set by the global setup, else the default). */
export const testBridge = (): string => process.env.PODFLOW_BRIDGE || 'podflow0';

/** The veths attached to the bridge (its ports: /sys/class/net/<bridge>/brif). */
export function vethsOnBridge(bridge = testBridge()): string[] {
  try {
    return readdirSync(`/sys/class/net/${bridge}/brif`).sort();
  } catch {
    return [];
  }
}

/**
 * Every network namespace some process on the host is in, other than the host's own, with the processes in it. A
 * namespace is named by its inode, which the kernel hands out again once the namespace is gone: a name seen at two
 * times is the same namespace only if a process stayed in it between them.
 */
export function netNamespaces(): Map<string, Set<number>> {
  const host = nsOf(1) ?? nsOf(process.pid);
  const out = new Map<string, Set<number>>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ns = nsOf(Number(entry));
    if (!ns || ns === host) continue;
    if (!out.has(ns)) out.set(ns, new Set());
    out.get(ns)!.add(Number(entry));
  }
  return out;
}

/** `net:[4026531840]` of a process, or undefined when it is gone. */
export function nsOf(pid: number, kind = 'net'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

/** Pause processes (podflow-shim --pause) whose --dir is under `dataDir`. */
export function pausesUnder(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const dir = argv[argv.indexOf('--dir') + 1];
    if (argv.includes('--pause') && dir?.startsWith(dataDir)) pids.push(Number(entry));
  }
  return pids;
}

/** Waits (polling, bounded) until `check` holds: the kernel tears a network namespace down asynchronously. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
