// The pod network's pure parts (adapters/process/pod-network.ts): addresses, options and their defaults, the
// fallback decision without root, iptables rule splitting; and, as root with iptables, the host's NAT setup.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ensureShim } from '../../../src/adapters/process/shim/build-shim.mjs';
import { pickTestPodCidr } from '../../support/pod-network-global-setup.ts';
import {
  DEFAULT_BRIDGE,
  DEFAULT_POD_CIDR,
  gatewayOf,
  ipToNumber,
  numberToIp,
  parseCidr,
  podAddressRange,
  resolveNetworkOptions,
  listedRule,
  natSetup,
  setUpPodNetwork,
  splitRule,
  tearDownPodNetwork,
  vethName,
} from '../../../src/adapters/process/pod-network.ts';

describe('addresses', () => {
  it.each([
    {
      text: '10.77.0.0/16',
      network: '10.77.0.0',
      gateway: '10.77.0.1',
      first: '10.77.0.2',
      last: '10.77.255.254',
    },
    {
      text: '10.77.3.9/24',
      network: '10.77.3.0',
      gateway: '10.77.3.1',
      first: '10.77.3.2',
      last: '10.77.3.254',
    },
    {
      text: '192.168.5.0/30',
      network: '192.168.5.0',
      gateway: '192.168.5.1',
      first: '192.168.5.2',
      last: '192.168.5.2',
    },
  ])('$text: gateway $gateway, pods $first – $last', ({ text, network, gateway, first, last }) => {
    const cidr = parseCidr(text);
    expect(numberToIp(cidr.network)).toBe(network);
    expect(gatewayOf(cidr)).toBe(gateway);
    const range = podAddressRange(cidr);
    expect([numberToIp(range.first), numberToIp(range.last)]).toEqual([first, last]);
  });

  it.each(['10.77.0.0', '10.77.0.0/31', '10.77.0.0/7', '10.256.0.0/16', 'fd00::/64', ''])(
    'refuses %j',
    (text) => {
      expect(() => parseCidr(text)).toThrow(TypeError);
    },
  );

  it('a veth name is the podflow prefix and the address in hex: 15 characters, unique per address', () => {
    expect(vethName('10.77.0.2')).toBe('podflow0a4d0002');
    expect(vethName('10.77.0.2')).toHaveLength(15);
    expect(numberToIp(ipToNumber('255.1.2.3'))).toBe('255.1.2.3');
  });
});

describe('resolveNetworkOptions', () => {
  it('defaults: auto, 10.77.0.0/16, bridge podflow0; the environment overrides them; options override both', () => {
    const none = resolveNetworkOptions({}, {});
    expect([none.mode, none.cidr.text, none.bridge]).toEqual(['auto', DEFAULT_POD_CIDR, DEFAULT_BRIDGE]);
    const env = { PODFLOW_POD_NETWORK: 'host', PODFLOW_POD_CIDR: '10.99.0.0/20', PODFLOW_BRIDGE: 'podflowx' };
    const fromEnv = resolveNetworkOptions({}, env);
    expect([fromEnv.mode, fromEnv.cidr.text, fromEnv.bridge]).toEqual(['host', '10.99.0.0/20', 'podflowx']);
    const given = resolveNetworkOptions({ mode: 'bridge', podCidr: '10.5.0.0/16', bridge: 'b0' }, env);
    expect([given.mode, given.cidr.text, given.bridge]).toEqual(['bridge', '10.5.0.0/16', 'b0']);
  });

  it.each([
    { name: 'unknown mode', options: { mode: 'slirp' as never } },
    { name: 'bridge name too long', options: { bridge: 'a-very-long-bridge0' } },
    { name: 'bridge name with a slash', options: { bridge: 'a/b' } },
    { name: 'not a CIDR', options: { podCidr: '10.0.0.1' } },
  ])('refuses $name', ({ options }) => {
    expect(() => resolveNetworkOptions(options, {})).toThrow(TypeError);
  });
});

describe('setUpPodNetwork: the fallback is never silent', () => {
  it.each([
    {
      name: 'not root → the host network, with the reason',
      options: { privileged: false },
      warning: /^podflow: pods share the host network \(pod IP 127\.0\.0\.1, .*\): not running as root/,
    },
    {
      name: '--pod-network host → the host network, said so',
      options: { mode: 'host' as const },
      warning: /^podflow: pods share the host network .*: --pod-network host$/,
    },
  ])('$name', async ({ options, warning }) => {
    const net = await setUpPodNetwork('/nonexistent/podflow-shim', resolveNetworkOptions(options, {}));
    expect(net.mode).toBe('host');
    expect(net.warning).toMatch(warning);
    expect(net.warning?.split('\n')).toHaveLength(1);
  });

  it('--pod-network bridge without root fails instead of falling back', async () => {
    await expect(
      setUpPodNetwork(
        '/nonexistent/podflow-shim',
        resolveNetworkOptions({ mode: 'bridge', privileged: false }, {}),
      ),
    ).rejects.toThrow(/cannot give pods a network of their own: not running as root/);
  });
});

const canSetUpNat =
  process.geteuid?.() === 0 && spawnSync('iptables', ['-w', '-t', 'nat', '-S', 'POSTROUTING']).status === 0;

describe('setUpPodNetwork: NAT and forwarding (root, iptables)', () => {
  it.skipIf(!canSetUpNat)(
    'a start finds every rule in one listing per table; a rule that went missing is added again',
    async () => {
      const shim = await ensureShim();
      const bridge = `podflowt${randomBytes(3).toString('hex')}`;
      const o = resolveNetworkOptions({ mode: 'bridge', bridge, podCidr: pickTestPodCidr() }, {});
      const listing = (): Set<string> =>
        new Set(
          ['nat', 'filter'].flatMap((t) =>
            execFileSync('iptables', ['-w', '-t', t, '-S'], { encoding: 'utf8' }).split('\n'),
          ),
        );
      try {
        expect(await setUpPodNetwork(shim, o)).toMatchObject({ mode: 'bridge', nat: true });
        // What the start compares the listings with is what iptables lists: else every start takes the slow way.
        const { chains, rules } = natSetup(o);
        const listed = listing();
        for (const [, chain] of chains) expect(listed).toContain(`-N ${chain}`);
        for (const r of rules) expect(listed).toContain(listedRule(r.chain, r.rule));
        const gone = rules[1]!;
        execFileSync('iptables', ['-w', '-t', gone.table, '-D', gone.chain, ...gone.rule]);
        expect(listing()).not.toContain(listedRule(gone.chain, gone.rule));
        expect(await setUpPodNetwork(shim, o)).toMatchObject({ mode: 'bridge', nat: true });
        expect(listing()).toContain(listedRule(gone.chain, gone.rule));
      } finally {
        await tearDownPodNetwork(bridge, shim);
      }
    },
  );
});

describe('splitRule', () => {
  it('keeps a quoted comment as one argument', () => {
    expect(splitRule('-m comment --comment "podflow podflow0" -j podflow0-MASQ')).toEqual([
      '-m',
      'comment',
      '--comment',
      'podflow podflow0',
      '-j',
      'podflow0-MASQ',
    ]);
  });
});
