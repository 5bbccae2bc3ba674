// vitest globalSetup: a pod network of this run's own. As root the process runtime gives every pod a network
// namespace on a bridge (adapters/process/pod-network.ts); tests must not touch a bridge or address block anything
// else uses, and must leave the host as they found it. So the run picks a bridge name with a per-run suffix and a
// /16 no route of the host covers, hands both to every test worker and every engine a test spawns through the
// environment (PODFLOW_BRIDGE, PODFLOW_POD_CIDR — what the runtime's defaults read), and at the end ends any pause
// process left on that bridge, removes the bridge and its iptables chains, and restores net.ipv4.ip_forward.
// Without root nothing is set up: the runtime falls back to the host network.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tearDownPodNetwork } from '../../src/adapters/process/pod-network.ts';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Destination and mask of every IPv4 route of the host (/proc/net/route, little-endian hex). */
function hostRoutes(): Array<{ network: number; mask: number }> {
  const le = (hex: string): number => Buffer.from(hex, 'hex').readUInt32LE(0);
  try {
    return readFileSync('/proc/net/route', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length > 7)
      .map((f) => ({ network: le(f[1]!), mask: le(f[7]!) }));
  } catch {
    return [];
  }
}

/** A 10.x.0.0/16 (x in 128–254) that no route of the host overlaps, other than the default route. */
export function pickTestPodCidr(random: () => number = Math.random): string {
  const routes = hostRoutes().filter((r) => r.mask !== 0);
  for (let tries = 0; tries < 200; tries++) {
    const x = 128 + Math.floor(random() * 127);
    const network = ((10 << 24) | (x << 16)) >>> 0;
    const mask = 0xffff0000;
    const overlaps = routes.some((r) => {
      const common = (r.mask & mask) >>> 0;
      return (r.network & common) >>> 0 === (network & common) >>> 0;
    });
    if (!overlaps) return `10.${x}.0.0/16`;
  }
  throw new Error('no free 10.x.0.0/16 for the test pod network');
}

/** Pause processes (podflow-shim --pause) attached to `bridge`: pid and sandbox directory. */
export function pausesOnBridge(bridge: string): Array<{ pid: number; dir: string }> {
  const pids: Array<{ pid: number; dir: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = argv.indexOf('--bridge');
    if (argv.includes('--pause') && at > 0 && argv[at + 1] === bridge) {
      pids.push({ pid: Number(entry), dir: argv[argv.indexOf('--dir') + 1] ?? '?' });
    }
  }
  return pids;
}

export default function setup(): (() => Promise<void>) | undefined {
  if (process.geteuid?.() !== 0) return undefined;
  if (process.env.PODFLOW_BRIDGE || process.env.PODFLOW_POD_CIDR) return undefined; // the caller chose: keep it
  const bridge = `podflowt${randomBytes(3).toString('hex')}`;
  process.env.PODFLOW_BRIDGE = bridge;
  process.env.PODFLOW_POD_CIDR = pickTestPodCidr();
  let ipForward: string | undefined;
  try {
    ipForward = readFileSync(IP_FORWARD, 'utf8');
  } catch {
    ipForward = undefined;
  }
  return async () => {
    const left = pausesOnBridge(bridge);
    if (left.length > 0) {
      // A test that leaves a sandbox behind leaks a pause process, a network namespace and a veth: say which.
      console.warn(
        `podflow test teardown: ended ${left.length} pause processes left on ${bridge}: ` +
          left.map((p) => `${p.pid} (${p.dir})`).join(', '),
      );
    }
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    await tearDownPodNetwork(bridge);
    if (ipForward !== undefined) {
      try {
        writeFileSync(IP_FORWARD, ipForward);
      } catch {
        // Read-only /proc/sys: nothing was changed either.
      }
    }
  };
}
