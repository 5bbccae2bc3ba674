// The process runtime's pod network (docs/architecture.md §6): what a kubelet gets from its CNI plugins, reproduced
// for one host. As root, every pod gets its own network namespace (held by its pause process) with a veth pair on a
// bridge, an address from the pod CIDR, a default route through the bridge, and outbound NAT — the CNI bridge plugin
// with `isGateway` and `ipMasq` (containernetworking/plugins plugins/main/bridge), host-local IPAM
// (ip-allocator.ts) and the portmap plugin for hostPort (plugins/meta/portmap). The per-pod part (veth, address,
// route) is done by the pause process itself (podflow-shim --pause, over rtnetlink): no helper process per pod.
// This module does the once-per-host part — the bridge, forwarding, NAT and hostPort rules — and decides whether
// pods can have a network of their own at all: without root (or without namespaces) they share the host's, as
// before, and the engine says so in one line at startup.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { PortMapping } from '../../ports/container-runtime.ts';
import { ensureShim } from './shim/build-shim.mjs';

export type PodNetworkMode = 'auto' | 'bridge' | 'host';

export interface PodNetworkOptions {
  /**
   * auto: a network namespace per pod when the engine can create them (root, namespaces allowed), else the host's
   * network with a warning. bridge: namespaces or fail. host: every pod shares the host's network (pod IP 127.0.0.1),
   * as a process runtime without isolation does. Default: $PODFLOW_POD_NETWORK, else auto.
   */
  mode?: PodNetworkMode;
  /** Pod addresses come from here; the first is the bridge's (the pods' gateway). Default: $PODFLOW_POD_CIDR, else
   * {@link DEFAULT_POD_CIDR}. */
  podCidr?: string;
  /** The bridge every pod's veth is attached to. Default: $PODFLOW_BRIDGE, else {@link DEFAULT_BRIDGE}. */
  bridge?: string;
  /** Whether the engine may create namespaces and links (root). Default: the effective uid is 0. Tests set false to
   * see the fallback. */
  privileged?: boolean;
  /** Turn on IPv4 forwarding (net.ipv4.ip_forward), as the CNI bridge plugin does, so pods reach beyond the host.
   * Default true. */
  enableIPForward?: boolean;
}

/**
 * 10.77.0.0/16: 65,534 pod addresses in a block no common tool claims by default (Docker takes 172.17.0.0/16,
 * Podman 10.88.0.0/16 and 10.89.x, Flannel and kind 10.244.0.0/16, k3s 10.42/10.43, kube-proxy's services
 * 10.96.0.0/12). Change it with --pod-cidr when it clashes with a network the host reaches.
 */
export const DEFAULT_POD_CIDR = '10.77.0.0/16';
/** The bridge's name (the CNI bridge plugin's default is cni0). */
export const DEFAULT_BRIDGE = 'podflow0';
/** Host ends of the pods' veth pairs: this prefix and the pod address in hex (15 characters, IFNAMSIZ - 1). */
export const VETH_PREFIX = 'podflow';

/** What pods get, decided once when the runtime starts. */
export type PodNetwork =
  | {
      mode: 'bridge';
      bridge: string;
      cidr: Ipv4Cidr;
      /** The bridge's address: the pods' default gateway. */
      gateway: string;
      /** The MTU of the host's default route's interface, given to the bridge and every veth. */
      mtu: number;
      /** iptables is there: outbound NAT and hostPort mappings. */
      nat: boolean;
      /** A line for the user when something is missing (no NAT). */
      warning?: string;
    }
  | { mode: 'host'; warning: string };

// ---------- addresses ----------

export interface Ipv4Cidr {
  /** The network address as a 32-bit unsigned number. */
  network: number;
  prefix: number;
  text: string;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new TypeError(`${JSON.stringify(ip)} is not an IPv4 address`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export const numberToIp = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** Parses `a.b.c.d/p` (8 ≤ p ≤ 30: room for a gateway and at least one pod); host bits are cleared. */
export function parseCidr(text: string): Ipv4Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || !(prefix >= 8 && prefix <= 30)) {
    throw new TypeError(
      `${JSON.stringify(text)} is not an IPv4 CIDR with a prefix from /8 to /30 (e.g. 10.77.0.0/16)`,
    );
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ipToNumber(m[1]!) & mask) >>> 0;
  return { network, prefix, text: `${numberToIp(network)}/${prefix}` };
}

/** The first address of the block: the bridge's, the pods' gateway (CNI bridge isGateway with host-local's default). */
export const gatewayOf = (cidr: Ipv4Cidr): string => numberToIp(cidr.network + 1);

/** Pod addresses: from the second address to the last before broadcast (host-local's default range). */
export function podAddressRange(cidr: Ipv4Cidr): { first: number; last: number } {
  const size = 2 ** (32 - cidr.prefix);
  return { first: cidr.network + 2, last: cidr.network + size - 2 };
}

/** The host end of a pod's veth: unique per address, so the kernel refuses a second pod with the same address. */
export const vethName = (podIP: string): string =>
  VETH_PREFIX + ipToNumber(podIP).toString(16).padStart(8, '0');

/**
 * The pod addresses in `cidr` that have a veth on this host: pods of other engines sharing the bridge (each engine
 * allocates from its own data directory), or sandboxes still being torn down. The kernel is the arbiter: a veth
 * name is unique per host, and the name says the address.
 */
export function addressesWithVeth(cidr: Ipv4Cidr): Set<string> {
  const out = new Set<string>();
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    return out;
  }
  const size = 2 ** (32 - cidr.prefix);
  for (const name of names) {
    const m = /^podflow([0-9a-f]{8})$/.exec(name);
    if (!m) continue;
    const n = Number.parseInt(m[1]!, 16);
    if (n >= cidr.network && n < cidr.network + size) out.add(numberToIp(n));
  }
  return out;
}

// ---------- options ----------

export interface ResolvedNetworkOptions {
  mode: PodNetworkMode;
  cidr: Ipv4Cidr;
  bridge: string;
  privileged: boolean;
  enableIPForward: boolean;
}

const MODES: readonly string[] = ['auto', 'bridge', 'host'];

/** Linux interface names: 1–15 characters, no '/', ':' or whitespace (dev_valid_name). */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** The options with their defaults (the environment variables, then the built-in values); throws TypeError on a bad
 * value. */
export function resolveNetworkOptions(
  options: PodNetworkOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedNetworkOptions {
  const mode = options.mode ?? (env.PODFLOW_POD_NETWORK || 'auto');
  if (!MODES.includes(mode)) {
    throw new TypeError(`pod network ${JSON.stringify(mode)} is not one of ${MODES.join(', ')}`);
  }
  const bridge = options.bridge ?? (env.PODFLOW_BRIDGE || DEFAULT_BRIDGE);
  if (!IFNAME.test(bridge) || bridge === '.' || bridge === '..') {
    throw new TypeError(
      `${JSON.stringify(bridge)} cannot name a network interface (1–15 of A-Z a-z 0-9 _ . -)`,
    );
  }
  return {
    mode: mode as PodNetworkMode,
    cidr: parseCidr(options.podCidr ?? (env.PODFLOW_POD_CIDR || DEFAULT_POD_CIDR)),
    bridge,
    privileged: options.privileged ?? process.geteuid?.() === 0,
    enableIPForward: options.enableIPForward ?? true,
  };
}

// ---------- setting the host up ----------

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; never throws (a missing command is code 127). */
export function run(file: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code =
          err === null
            ? 0
            : typeof (err as NodeJS.ErrnoException).code === 'string'
              ? 127
              : ((err as { code?: number }).code ?? 1);
        resolve({ code, stdout, stderr: stderr || (err && code === 127 ? err.message : '') });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

const HOST_FALLBACK = 'podflow: pods share the host network (pod IP 127.0.0.1, no hostname of their own)';

/**
 * Decides what pods get and sets up the host's part once: the bridge with the gateway address, IPv4 forwarding,
 * and — with iptables — NAT for traffic leaving the pod CIDR, forwarding to and from the bridge, and the chain that
 * hostPort mappings go into. Idempotent: an engine restart finds everything in place.
 */
export async function setUpPodNetwork(shimPath: string, o: ResolvedNetworkOptions): Promise<PodNetwork> {
  if (o.mode === 'host') return { mode: 'host', warning: `${HOST_FALLBACK}: --pod-network host` };
  const fallback = (why: string): PodNetwork => {
    if (o.mode === 'bridge') throw new Error(`podflow: cannot give pods a network of their own: ${why}`);
    return { mode: 'host', warning: `${HOST_FALLBACK}: ${why}` };
  };
  if (!o.privileged) {
    return fallback(
      'not running as root (a network namespace per pod needs root; rootless pod networks are not supported yet)',
    );
  }
  const probe = await run(shimPath, ['--probe-namespaces']);
  if (probe.code !== 0)
    return fallback(`cannot create namespaces: ${probe.stderr.trim() || `exit ${probe.code}`}`);
  const gateway = gatewayOf(o.cidr);
  const mtu = defaultRouteMtu();
  const bridge = await run(shimPath, [
    '--bridge-up',
    o.bridge,
    '--address',
    `${gateway}/${o.cidr.prefix}`,
    '--mtu',
    String(mtu),
  ]);
  if (bridge.code !== 0) return fallback(bridge.stderr.trim() || `bridge ${o.bridge}: exit ${bridge.code}`);
  if (o.enableIPForward) writeSysctl('net/ipv4/ip_forward', '1');
  const nat = await setUpNat(o);
  return {
    mode: 'bridge',
    bridge: o.bridge,
    cidr: o.cidr,
    gateway,
    mtu,
    nat: nat === true,
    ...(nat !== true && {
      warning: `podflow: pods have no outbound NAT and hostPort is refused: ${nat}`,
    }),
  };
}

/** The MTU of the interface the default route uses (/proc/net/route; 1500 when there is none): a veth with a larger
 * MTU than the way out would lose large packets silently. */
function defaultRouteMtu(): number {
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
      if (iface && destination === '00000000' && mask === '00000000') {
        const mtu = Number(readFileSync(`/sys/class/net/${iface}/mtu`, 'utf8').trim());
        if (mtu >= 576) return mtu;
      }
    }
  } catch {
    // No /proc/net/route: the kernel's default.
  }
  return 1500;
}

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function writeSysctl(name: string, value: string): void {
  if (readSysctl(name) === value) return;
  try {
    writeFileSync(`/proc/sys/${name}`, `${value}\n`);
  } catch {
    // A read-only /proc/sys (some containers): pods still reach the host, not beyond.
  }
}

// ---------- iptables ----------

/** The chains of one pod network, named after its bridge (at most 15 + 10 characters; iptables allows 28). */
export const natChains = (bridge: string) => ({
  masquerade: `${bridge}-MASQ`,
  hostPorts: `${bridge}-HOSTPORTS`,
  forward: `${bridge}-FORWARD`,
});

const iptables = (args: string[]): Promise<RunResult> => run('iptables', ['-w', ...args]);

async function ensureChain(table: string, chain: string): Promise<void> {
  const r = await iptables(['-t', table, '-N', chain]);
  if (r.code !== 0 && !/exists/i.test(r.stderr))
    throw new Error(`iptables -t ${table} -N ${chain}: ${r.stderr.trim()}`);
}

async function ensureRule(table: string, chain: string, rule: string[], insert = false): Promise<void> {
  if ((await iptables(['-t', table, '-C', chain, ...rule])).code === 0) return;
  const r = await iptables(['-t', table, insert ? '-I' : '-A', chain, ...(insert ? ['1'] : []), ...rule]);
  if (r.code !== 0) throw new Error(`iptables -t ${table} ${chain} ${rule.join(' ')}: ${r.stderr.trim()}`);
}

export interface NatRule {
  table: 'nat' | 'filter';
  chain: string;
  rule: string[];
  /** First in its chain (-I … 1) rather than appended. */
  insert?: true;
}

/**
 * The CNI bridge plugin's ipMasq (traffic from the pod CIDR that leaves through another interface is masqueraded),
 * the CNI firewall plugin's forwarding accepts (a FORWARD policy of DROP, as Docker sets, must not cut pods off),
 * and the portmap plugin's chains: DNAT for local destinations (PREROUTING for other hosts, OUTPUT for this one),
 * with route_localnet on the bridge and masquerading of 127.0.0.0/8 so that 127.0.0.1:hostPort reaches the pod too.
 */
export function natSetup(o: ResolvedNetworkOptions): {
  chains: Array<[NatRule['table'], string]>;
  rules: NatRule[];
} {
  const c = natChains(o.bridge);
  const tag = ['-m', 'comment', '--comment', `podflow ${o.bridge}`];
  const local = ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.hostPorts];
  return {
    chains: natChainTables(o.bridge),
    rules: [
      {
        table: 'nat',
        chain: c.masquerade,
        rule: ['-s', o.cidr.text, '!', '-o', o.bridge, '-j', 'MASQUERADE'],
      },
      { table: 'nat', chain: c.masquerade, rule: ['-s', '127.0.0.0/8', '-o', o.bridge, '-j', 'MASQUERADE'] },
      { table: 'nat', chain: 'POSTROUTING', rule: [...tag, '-j', c.masquerade] },
      { table: 'nat', chain: 'PREROUTING', rule: [...tag, ...local] },
      { table: 'nat', chain: 'OUTPUT', rule: [...tag, ...local] },
      { table: 'filter', chain: c.forward, rule: ['-i', o.bridge, '-j', 'ACCEPT'] },
      { table: 'filter', chain: c.forward, rule: ['-o', o.bridge, '-j', 'ACCEPT'] },
      { table: 'filter', chain: 'FORWARD', rule: [...tag, '-j', c.forward], insert: true },
    ],
  };
}

/** A pod network's own chains, each with its table. */
const natChainTables = (bridge: string): Array<[NatRule['table'], string]> => {
  const c = natChains(bridge);
  return [
    ['nat', c.masquerade],
    ['nat', c.hostPorts],
    ['filter', c.forward],
  ];
};

/** A rule as `iptables -S` prints it: an argument with a space in double quotes. */
export const listedRule = (chain: string, rule: string[]): string =>
  ['-A', chain, ...rule.map((a) => (a.includes(' ') ? `"${a}"` : a))].join(' ');

/**
 * Sets up NAT and forwarding (natSetup). An engine start usually finds all of it in place: one listing per table
 * says so, where checking each rule (iptables -C) costs a process per rule. Returns true, or why not.
 */
async function setUpNat(o: ResolvedNetworkOptions): Promise<true | string> {
  const [nat, filter] = await Promise.all([iptables(['-t', 'nat', '-S']), iptables(['-t', 'filter', '-S'])]);
  if (nat.code === 127) return 'iptables not found (install it: apt-get install iptables)';
  if (nat.code !== 0) return `iptables does not work here: ${nat.stderr.trim()}`;
  const { chains, rules } = natSetup(o);
  const listed = new Set([...nat.stdout.split('\n'), ...filter.stdout.split('\n')]);
  const present = (table: NatRule['table'], line: string): boolean =>
    (table === 'nat' ? nat : filter).code === 0 && listed.has(line);
  const complete =
    chains.every(([table, chain]) => present(table, `-N ${chain}`)) &&
    rules.every((r) => present(r.table, listedRule(r.chain, r.rule)));
  if (!complete) {
    try {
      for (const [table, chain] of chains) await ensureChain(table, chain);
      for (const r of rules) await ensureRule(r.table, r.chain, r.rule, r.insert);
    } catch (err) {
      return (err as Error).message;
    }
  }
  writeSysctl(`net/ipv4/conf/${o.bridge}/route_localnet`, '1');
  return true;
}

/** The portmap plugin's DNAT rules of one pod, tagged with its uid so that they can be found and removed. */
function hostPortRules(bridge: string, uid: string, podIP: string, mappings: PortMapping[]): string[] {
  const chain = natChains(bridge).hostPorts;
  return mappings.map((m) =>
    [
      `-A ${chain}`,
      `-p ${m.protocol.toLowerCase()}`,
      m.hostIP && m.hostIP !== '0.0.0.0' ? `-d ${m.hostIP}/32` : '',
      `--dport ${m.hostPort}`,
      `-m comment --comment podflow:${uid}`,
      `-j DNAT --to-destination ${podIP}:${m.containerPort}`,
    ]
      .filter(Boolean)
      .join(' '),
  );
}

async function restoreNat(lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const r = await run('iptables-restore', ['-w', '--noflush'], `*nat\n${lines.join('\n')}\nCOMMIT\n`);
  if (r.code !== 0) throw new Error(`iptables-restore: ${r.stderr.trim()}`);
}

/** Replaces the pod's hostPort rules with these (idempotent: a sandbox re-created after a reboot adds them again). */
export async function mapHostPorts(
  bridge: string,
  uid: string,
  podIP: string,
  mappings: PortMapping[],
): Promise<void> {
  await unmapHostPorts(bridge, uid);
  await restoreNat(hostPortRules(bridge, uid, podIP, mappings));
}

/** Removes every hostPort rule of the pod. */
export async function unmapHostPorts(bridge: string, uid: string): Promise<void> {
  const listed = await iptables(['-t', 'nat', '-S', natChains(bridge).hostPorts]);
  if (listed.code !== 0) return;
  const mine = listed.stdout
    .split('\n')
    .filter((line) => line.startsWith('-A ') && line.includes(`podflow:${uid}`))
    .map((line) => `-D${line.slice(2)}`);
  await restoreNat(mine);
}

/**
 * Removes the host's part of a pod network: the jumps, the chains and the bridge. Not something the engine does (a
 * kubelet leaves cni0 in place too); for tests and for someone cleaning up a host.
 */
export async function tearDownPodNetwork(bridge: string, shimPath?: string): Promise<void> {
  const tag = `podflow ${bridge}`;
  for (const [table, chains] of [
    ['nat', ['POSTROUTING', 'PREROUTING', 'OUTPUT']],
    ['filter', ['FORWARD']],
  ] as const) {
    for (const chain of chains) {
      const listed = await iptables(['-t', table, '-S', chain]);
      const jumps = listed.stdout.split('\n').filter((l) => l.startsWith('-A ') && l.includes(tag));
      for (const jump of jumps) {
        // `-S` prints the rule as it was added (quoted comment included): hand it back with -D through a shell-free
        // split that keeps the quoted comment whole.
        const args = splitRule(jump.slice(3 + chain.length + 1));
        await iptables(['-t', table, '-D', chain, ...args]);
      }
    }
  }
  for (const [table, chain] of natChainTables(bridge)) {
    await iptables(['-t', table, '-F', chain]);
    await iptables(['-t', table, '-X', chain]);
  }
  await run(shimPath ?? (await ensureShim()), ['--bridge-down', bridge]);
}

/** Splits an `iptables -S` rule into arguments; double-quoted words (comments) stay one argument. */
export function splitRule(rule: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rule)) !== null) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}
