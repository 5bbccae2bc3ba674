// The pod sandbox of the process runtime (docs/architecture.md §6): a pause process (podflow-shim --pause, after
// kubernetes build/pause/linux/pause.c) holding the pod's network, IPC and UTS namespaces, with the pod's address on
// a veth on the bridge; every container and every exec joins them. Needs root and namespaces (CI has both); without
// them these tests are skipped with the reason printed, and the fallback (the host network, said in one line) is
// tested at the end either way.
import { execFileSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pauseDir } from '../../../src/adapters/process/instance-layout.ts';
import { IpAllocator } from '../../../src/adapters/process/ip-allocator.ts';
import {
  DEFAULT_POD_CIDR,
  parseCidr,
  tearDownPodNetwork,
  vethName,
} from '../../../src/adapters/process/pod-network.ts';
import {
  PROCESS_POD_IP,
  ProcessContainerRuntime,
  type ProcessContainerRuntimeOptions,
} from '../../../src/adapters/process/process-container-runtime.ts';
import { readShimState } from '../../../src/adapters/process/shim-state.ts';
import { systemClock } from '../../../src/ports/clock.ts';
import type { ContainerLaunch, PodSandboxConfig, SandboxRef } from '../../../src/ports/container-runtime.ts';
import { ObservationLog, waitUntil } from '../../contract/container-runtime.contract.ts';
import {
  eventually,
  namespaceSkipReason,
  nsOf,
  pausesUnder,
  testBridge,
  vethsOnBridge,
} from '../../support/pod-network.ts';

const skip = await namespaceSkipReason('test/adapters/process/sandbox.test.ts');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let seq = 0;
async function setup(options: Partial<ProcessContainerRuntimeOptions> = {}, dataDir?: string) {
  const root = await mkdtemp(join(tmpdir(), 'podflow-sandbox-'));
  const data = dataDir ?? join(root, 'data');
  const runtime = new ProcessContainerRuntime({ dataDir: data, clock: systemClock, ...options });
  const log = new ObservationLog(runtime);
  cleanups.push(async () => {
    for (const sandbox of await runtime.listSandboxes()) await runtime.removeSandbox(sandbox);
    await runtime.close();
    await rm(root, { recursive: true, force: true });
  });
  const sandbox = (name: string): SandboxRef => ({
    key: { namespace: 'default', name },
    uid: `sandbox-${process.pid}-${++seq}`,
  });
  const launch = (pod: SandboxRef, container: string, argv: string[]): ContainerLaunch => ({
    key: pod.key,
    podUid: pod.uid,
    container,
    instance: 0,
    argv,
    env: [],
    workingDir: root,
  });
  const run = async (pod: SandboxRef, container: string, argv: string[]) => {
    const l = launch(pod, container, argv);
    await runtime.start(l);
    const started = await log.waitFor(l, 'started');
    return { launch: l, pid: started.pid! };
  };
  return { root, dataDir: data, runtime, log, sandbox, launch, run };
}

const pausePid = async (dataDir: string, uid: string): Promise<number> =>
  (await readShimState(pauseDir(dataDir, uid)))!.shimPid!;

/** GET http://host:port/path from the host, answered within 5 s. */
async function get(host: string, port: number, path: string): Promise<string> {
  const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

/** Retries `get` until the server is up. */
const getEventually = (host: string, port: number, path: string): Promise<string> =>
  waitUntil(`http://${host}:${port}${path}`, () => get(host, port, path).catch(() => undefined), 15_000);

const podConfig = (name: string, extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig => ({
  hostname: name,
  hostNetwork: false,
  portMappings: [],
  ...extra,
});

describe.skipIf(skip)(
  'the pod sandbox: a pause process holding the pod’s namespaces',
  { timeout: 60_000 },
  () => {
    it('each pod: an address of its own from the pod CIDR, its hostname, loopback and eth0; containers join', async () => {
      const { runtime, run, sandbox, dataDir } = await setup();
      const [a, b] = [sandbox('pod-a'), sandbox('pod-b')];
      const ipA = (await runtime.createSandbox(a, podConfig('pod-a'))).podIP;
      const ipB = (await runtime.createSandbox(b, podConfig('pod-b'))).podIP;
      const cidr = parseCidr(process.env.PODFLOW_POD_CIDR ?? '10.77.0.0/16');
      for (const ip of [ipA, ipB]) expect(parseCidr(`${ip}/${cidr.prefix}`).network).toBe(cidr.network);
      expect(ipA).not.toBe(ipB);
      expect(vethsOnBridge()).toEqual(expect.arrayContaining([vethName(ipA), vethName(ipB)]));

      const { pid } = await run(a, 'app', ['sleep', '30']);
      const pause = await pausePid(dataDir, a.uid);
      for (const kind of ['net', 'uts', 'ipc']) {
        expect(nsOf(pid, kind), kind).toBe(nsOf(pause, kind));
        expect(nsOf(pid, kind), kind).not.toBe(nsOf(process.pid, kind));
      }
      // Not the pid or mount namespace: the pod's containers see the host's processes and files (docs/semantics.md).
      expect(nsOf(pid, 'mnt')).toBe(nsOf(process.pid, 'mnt'));

      const seen = await runtime.exec(
        { key: a.key, podUid: a.uid, container: 'app', instance: 0 },
        ['sh', '-c', 'hostname; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort'],
        5000,
      );
      expect(seen.stdout.trim().split('\n')).toEqual(['pod-a', 'eth0', 'lo']);
      expect(seen.exitCode).toBe(0);
    });

    it('two pods listen on the same port; the host reaches each at its address; a sidecar reaches the app on localhost', async () => {
      const { runtime, run, sandbox, root, log, launch } = await setup();
      const pods = [sandbox('web-a'), sandbox('web-b')];
      const ips: string[] = [];
      for (const pod of pods) {
        ips.push((await runtime.createSandbox(pod, podConfig(pod.key.name))).podIP);
        const dir = join(root, pod.key.name);
        await run(pod, 'app', [
          'sh',
          '-c',
          `mkdir -p ${dir} && echo ${pod.key.name} > ${dir}/name && exec python3 -m http.server 8080 --directory ${dir}`,
        ]);
      }
      expect(await getEventually(ips[0]!, 8080, '/name')).toBe('web-a\n');
      expect(await getEventually(ips[1]!, 8080, '/name')).toBe('web-b\n');

      const sidecar = launch(pods[1]!, 'sidecar', [
        'python3',
        '-c',
        'import urllib.request; print(urllib.request.urlopen("http://localhost:8080/name", timeout=5).read().decode().strip())',
      ]);
      await runtime.start(sidecar);
      const exited = await log.waitFor(sidecar, 'exited');
      expect(exited.exitCode).toBe(0);
      expect(await runtime.logs(sidecar)).toEqual(['web-b']);
    });

    it('idempotent, and an engine restart re-adopts the sandbox: same pause, same address', async () => {
      const { runtime, sandbox, dataDir } = await setup();
      const pod = sandbox('keep');
      const first = await runtime.createSandbox(pod, podConfig('keep'));
      const pause = await pausePid(dataDir, pod.uid);
      expect(await runtime.createSandbox(pod, podConfig('keep'))).toEqual(first);
      await runtime.close();

      const { runtime: next } = await setup({}, dataDir);
      await next.recover();
      expect(await next.listSandboxes()).toEqual([{ key: pod.key, uid: pod.uid }]);
      expect(await next.createSandbox(pod, podConfig('keep'))).toEqual(first);
      expect(await pausePid(dataDir, pod.uid)).toBe(pause);
      // The address is still the pod's: a new pod gets another.
      expect((await next.createSandbox(sandbox('other'), podConfig('other'))).podIP).not.toBe(first.podIP);
    });

    it('removeSandbox ends the pause; its namespaces and veth go with it and its address is released', async () => {
      const { runtime, run, sandbox, dataDir } = await setup();
      const pod = sandbox('gone');
      const { podIP } = await runtime.createSandbox(pod, podConfig('gone'));
      const { pid } = await run(pod, 'app', ['sleep', '30']);
      const netns = nsOf(pid);
      await runtime.removeSandbox(pod);
      expect(pausesUnder(dataDir)).toEqual([]);
      expect(existsSync(`/proc/${pid}`) && nsOf(pid) === netns).toBe(false);
      expect(await eventually(() => !vethsOnBridge().includes(vethName(podIP)))).toBe(true);
      const allocations = new IpAllocator(join(dataDir, 'network', testBridge())).allocations();
      expect([...allocations.keys()]).not.toContain(podIP);
      expect(await runtime.listSandboxes()).toEqual([]);
      await runtime.removeSandbox(pod); // idempotent
    });

    it('a pause that died (kill -9) is started again for the pod’s next container, with the same address', async () => {
      const { runtime, run, sandbox, dataDir } = await setup();
      const pod = sandbox('phoenix');
      const { podIP } = await runtime.createSandbox(pod, podConfig('phoenix'));
      process.kill(await pausePid(dataDir, pod.uid), 'SIGKILL');
      await eventually(() => !vethsOnBridge().includes(vethName(podIP)));
      const { pid } = await run(pod, 'app', ['sleep', '30']);
      const pause = await pausePid(dataDir, pod.uid);
      expect(nsOf(pid)).toBe(nsOf(pause));
      expect(vethsOnBridge()).toContain(vethName(podIP));
    });

    it("eth0's MAC is 0a:58 and the address's bytes: an address that passes to a new sandbox keeps the host's neighbour entry right", async () => {
      const { runtime, run, sandbox, dataDir, root } = await setup();
      const pod = sandbox('same-mac');
      const { podIP } = await runtime.createSandbox(pod, podConfig('same-mac'));
      const mac = `0a:58:${podIP
        .split('.')
        .map((n) => Number(n).toString(16).padStart(2, '0'))
        .join(':')}`;
      const eth0Mac = async (container: string) =>
        (
          await runtime.exec(
            { key: pod.key, podUid: pod.uid, container, instance: 0 },
            // netlink answers for the pod's network namespace; /sys is the host's (no mount namespace).
            ['ip', '-br', 'link', 'show', 'eth0'],
            5000,
          )
        ).stdout
          .trim()
          .split(/\s+/)[2];
      const first = await run(pod, 'web', ['python3', '-m', 'http.server', '8080', '--directory', root]);
      expect(await eth0Mac('web')).toBe(mac);
      await getEventually(podIP, 8080, '/');
      // The host learnt the pod's MAC for its address.
      const neighbour = (): string => execFileSync('ip', ['neigh', 'show', podIP], { encoding: 'utf8' });
      expect(neighbour()).toContain(`lladdr ${mac}`);

      // The sandbox goes (its container stopped, its pause killed) while the host's entry is still fresh; the next
      // one takes the same address with a new eth0 — which answers to the MAC the host already has.
      await runtime.stop(first.launch, 0);
      process.kill(await pausePid(dataDir, pod.uid), 'SIGKILL');
      await eventually(() => !vethsOnBridge().includes(vethName(podIP)));
      await run(pod, 'again', ['python3', '-m', 'http.server', '8080', '--directory', root]);
      expect(await eth0Mac('again')).toBe(mac);
      // The kernel may have dropped the entry with the old port; if it kept it, the entry is right.
      const kept = /lladdr (\S+)/.exec(neighbour())?.[1];
      if (kept !== undefined) expect(kept).toBe(mac);
      expect(await getEventually(podIP, 8080, '/')).toContain('Directory listing');
    });

    it('hostNetwork: the host’s address and network, an IPC namespace of the pod', async () => {
      const { runtime, run, sandbox } = await setup();
      const pod = sandbox('node-agent');
      expect(await runtime.createSandbox(pod, { hostNetwork: true, portMappings: [] })).toEqual({
        podIP: PROCESS_POD_IP,
      });
      const { pid } = await run(pod, 'app', ['sleep', '30']);
      expect(nsOf(pid, 'net')).toBe(nsOf(process.pid, 'net'));
      expect(nsOf(pid, 'uts')).toBe(nsOf(process.pid, 'uts'));
      expect(nsOf(pid, 'ipc')).not.toBe(nsOf(process.pid, 'ipc'));
    });

    it('two engines (two data directories) on one bridge never give two pods the same address', async () => {
      const one = await setup();
      const two = await setup();
      const ips: string[] = [];
      for (let i = 0; i < 4; i++) {
        ips.push((await one.runtime.createSandbox(one.sandbox(`one-${i}`))).podIP);
        ips.push((await two.runtime.createSandbox(two.sandbox(`two-${i}`))).podIP);
      }
      expect(new Set(ips).size).toBe(ips.length);
    });

    it('a bridge whose every address another engine holds: the sandbox fails at once, naming the CIDR, and starts no pause', async () => {
      // A bridge of its own with 5 pod addresses: the last /29 of this run's /16 (its allocator reaches it only after
      // ~65,000 pods). The first engine takes all 5; the second, on another data directory (as one whose data was
      // deleted while its pods ran), must see them taken from the host's veths, not try pause after pause.
      const [a, b] = (process.env.PODFLOW_POD_CIDR ?? DEFAULT_POD_CIDR).split('.');
      const network = {
        mode: 'bridge' as const,
        bridge: `${testBridge().slice(0, 11)}full`,
        podCidr: `${a}.${b}.255.240/29`,
      };
      cleanups.push(() => tearDownPodNetwork(network.bridge));
      const one = await setup({ network });
      const two = await setup({ network });
      const ips: string[] = [];
      for (let i = 0; i < 5; i++) ips.push((await one.runtime.createSandbox(one.sandbox(`held-${i}`))).podIP);
      expect(ips.sort()).toEqual([242, 243, 244, 245, 246].map((n) => `${a}.${b}.255.${n}`));
      const started = Date.now();
      await expect(two.runtime.createSandbox(two.sandbox('late'))).rejects.toThrow(
        `no free address left in the pod CIDR ${network.podCidr}`,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(pausesUnder(two.dataDir)).toEqual([]);
      expect(vethsOnBridge(network.bridge)).toHaveLength(5);
      // Once one of them goes, its address is free for the second engine.
      const [first] = await one.runtime.listSandboxes();
      await one.runtime.removeSandbox(first!);
      expect(await eventually(() => vethsOnBridge(network.bridge).length === 4, 10_000)).toBe(true);
      const late = await two.runtime.createSandbox(two.sandbox('late-again'));
      expect(ips).toContain(late.podIP);
      expect(vethsOnBridge(network.bridge)).toHaveLength(5);
    });

    it('hostPort: 127.0.0.1:<hostPort> reaches the pod’s containerPort; a second pod cannot have it; it goes with the sandbox', async () => {
      const { runtime, run, sandbox } = await setup();
      const net = await runtime.network();
      if (net.mode !== 'bridge' || !net.nat) {
        console.warn(`hostPort test skipped: ${net.warning ?? 'no NAT'}`);
        return;
      }
      const hostPort = await freeHostPort();
      const pod = sandbox('mapped');
      const config = podConfig('mapped', {
        portMappings: [
          {
            protocol: 'TCP',
            containerPort: 8080,
            hostPort,
            fieldPath: 'spec.containers[0].ports[0].hostPort',
          },
        ],
      });
      expect(await runtime.admitSandbox(pod, config)).toEqual([]);
      await runtime.createSandbox(pod, config);
      await run(pod, 'app', ['sh', '-c', 'echo mapped > name && exec python3 -m http.server 8080']);
      expect(await getEventually('127.0.0.1', hostPort, '/name')).toBe('mapped\n');

      const rival = sandbox('rival');
      expect(await runtime.admitSandbox(rival, config)).toEqual([
        {
          type: 'FieldValueForbidden',
          field: 'spec.containers[0].ports[0].hostPort',
          detail: `host port ${hostPort}/TCP is already allocated to pod default/mapped`,
        },
      ]);
      await runtime.removeSandbox(pod);
      expect(await runtime.admitSandbox(rival, config)).toEqual([]);
      await expect(get('127.0.0.1', hostPort, '/name')).rejects.toThrow();
    });
  },
);

describe('the fallback: pods share the host network, and the engine says so', { timeout: 30_000 }, () => {
  it.each([
    { name: '--pod-network host', network: { mode: 'host' as const } },
    { name: 'not root', network: { privileged: false } },
  ])('$name: pod IP 127.0.0.1, no pause process, one warning line', async ({ network }) => {
    const { runtime, run, sandbox, dataDir } = await setup({ network });
    const net = await runtime.network();
    expect(net.mode).toBe('host');
    expect(net.warning).toMatch(/^podflow: pods share the host network \(pod IP 127\.0\.0\.1/);
    const pod = sandbox('plain');
    expect(await runtime.createSandbox(pod, podConfig('plain'))).toEqual({ podIP: PROCESS_POD_IP });
    expect(pausesUnder(dataDir)).toEqual([]);
    const { pid } = await run(pod, 'app', ['sleep', '30']);
    expect(nsOf(pid)).toBe(nsOf(process.pid));
  });

  it('a hostPort other than the containerPort is refused with a field error; an equal one is the port itself', async () => {
    const { runtime, sandbox } = await setup({ network: { mode: 'host' } });
    const mapping = {
      protocol: 'TCP' as const,
      containerPort: 8080,
      fieldPath: 'spec.containers[0].ports[0].hostPort',
    };
    const refused = await runtime.admitSandbox(
      sandbox('mapped'),
      podConfig('mapped', { portMappings: [{ ...mapping, hostPort: 18080 }] }),
    );
    expect(refused).toEqual([
      {
        type: 'FieldValueForbidden',
        field: 'spec.containers[0].ports[0].hostPort',
        detail: expect.stringMatching(
          /^cannot map host port 18080\/TCP to container port 8080: pods share the host network/,
        ),
      },
    ]);
    expect(
      await runtime.admitSandbox(
        sandbox('same'),
        podConfig('same', { portMappings: [{ ...mapping, hostPort: 8080 }] }),
      ),
    ).toEqual([]);
  });
});

/** A TCP port nothing on the host listens on (and that 127.0.0.1 refuses), for a hostPort. */
async function freeHostPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '0.0.0.0', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const refused = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return port;
  }
}
