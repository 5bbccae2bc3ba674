// The pod network end to end (docs/semantics.md §12, docs/architecture.md §6): the whole local engine, real pause
// processes and namespaces. Two pods listen on the same port side by side, each Ready through its own httpGet
// probe and each answering the host at its own address with its own name; a sidecar reaches its app on localhost;
// a hostNetwork pod keeps the host's network; a hostPort maps 127.0.0.1:<hostPort> to the pod, and a second pod
// asking for it is refused at creation; deleting a pod removes its sandbox. Needs root and namespaces (CI has
// both): without them those tests are skipped with the reason printed; the fallback is tested everywhere.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vethName } from '../../src/adapters/process/pod-network.ts';
import { InvalidError } from '../../src/ports/errors.ts';
import { waitUntil } from '../contract/container-runtime.contract.ts';
import { eventually, namespaceSkipReason, pausesUnder, vethsOnBridge } from '../support/pod-network.ts';
import { E2eEngine, condition, freePort, podManifest, sh } from './support.ts';

const skip = await namespaceSkipReason('test/e2e/pod-network.test.ts');

/** A container serving `<dir>/index.html` (holding the pod's name, from the downward API) on :8080. */
const webServer = (dir: string): object => ({
  ...sh(
    'app',
    `mkdir -p ${dir}/$(POD_NAME) && echo $(POD_NAME) > ${dir}/$(POD_NAME)/index.html && exec python3 -m http.server 8080 --directory ${dir}/$(POD_NAME)`,
  ),
  env: [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
  ],
  ports: [{ name: 'http', containerPort: 8080 }],
  readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
});

const get = async (url: string): Promise<string> =>
  (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();

describe.skipIf(skip)('pods with networks of their own', { timeout: 60_000 }, () => {
  let e: E2eEngine;
  beforeAll(async () => {
    e = await E2eEngine.start();
  });
  afterAll(async () => {
    await e?.close();
  });

  it('two pods on port 8080 side by side: each Ready through its own probe, each answering with its own name', async () => {
    for (const name of ['web-a', 'web-b']) {
      await e.create(
        podManifest(name, {
          containers: [
            webServer(e.scratch),
            // A sidecar reaches the app on localhost: they share the pod's network namespace.
            sh(
              'sidecar',
              `until python3 -c 'import urllib.request; print(urllib.request.urlopen("http://localhost:8080/", timeout=1).read().decode().strip())'; do sleep 0.2; done; exec sleep 600`,
            ),
          ],
        }),
      );
    }
    const states = await Promise.all(
      ['web-a', 'web-b'].map((name) =>
        e.waitForPod(name, 'Ready', (s) => condition(s, 'Ready')?.status === 'True', 30_000),
      ),
    );
    const ips = states.map((s) => s.pod.status!.podIP!);
    expect(new Set(ips).size).toBe(2);
    for (const [i, s] of states.entries()) {
      expect(s.pod.status!.podIPs).toEqual([{ ip: ips[i] }]);
      expect(condition(s, 'PodReadyToStartContainers')?.status).toBe('True');
      expect(await get(`http://${ips[i]}:8080/`)).toBe(`${s.pod.metadata.name}\n`);
    }
    for (const name of ['web-a', 'web-b']) {
      const sidecar = e.last(name)!.engine.containers.sidecar!;
      const ref = {
        key: { namespace: 'default', name },
        podUid: e.last(name)!.pod.metadata.uid,
        container: 'sidecar',
        instance: sidecar.instance,
      };
      await waitUntil(
        `${name}'s sidecar to read the app on localhost`,
        async () => (await e.local.runtime.logs(ref)).includes(name) || undefined,
      );
      // The downward API's status.podIP is the pod's own address.
      const env = await e.local.runtime.exec(
        { ...ref, container: 'app' },
        ['sh', '-c', 'echo $POD_IP'],
        5000,
      );
      expect(env.stdout.trim()).toBe(e.last(name)!.pod.status!.podIP);
    }
  });

  it('a hostNetwork pod keeps the host’s network and name; its IP is the host’s', async () => {
    await e.create(
      podManifest('node-agent', { hostNetwork: true, containers: [sh('agent', 'exec sleep 600')] }),
    );
    const s = await e.waitForPhase('node-agent', 'Running');
    expect(s.pod.status?.podIP).toBe('127.0.0.1');
    const ref = {
      key: { namespace: 'default', name: 'node-agent' },
      podUid: s.pod.metadata.uid,
      container: 'agent',
      instance: 0,
    };
    const seen = await e.local.runtime.exec(ref, ['sh', '-c', 'cat /proc/sys/kernel/hostname'], 5000);
    expect(seen.stdout.trim()).toBe((await import('node:os')).hostname());
  });

  it('hostPort: 127.0.0.1:<hostPort> reaches the pod; a second pod asking for it is refused at creation', async () => {
    const net = await e.local.runtime.network();
    if (net.mode !== 'bridge' || !net.nat) {
      console.warn(`hostPort e2e skipped: ${net.warning ?? 'no NAT'}`);
      return;
    }
    const hostPort = await freePort();
    const mapped = (name: string) =>
      podManifest(name, {
        containers: [{ ...webServer(e.scratch), ports: [{ name: 'http', containerPort: 8080, hostPort }] }],
      });
    await e.create(mapped('published'));
    await e.waitForPod('published', 'Ready', (s) => condition(s, 'Ready')?.status === 'True', 30_000);
    expect(await get(`http://127.0.0.1:${hostPort}/`)).toBe('published\n');
    const refused = await e.create(mapped('rival')).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InvalidError);
    expect((refused as InvalidError).message).toBe(
      `Pod "rival" is invalid: spec.containers[0].ports[0].hostPort: Forbidden: host port ${hostPort}/TCP is already allocated to pod default/published`,
    );
  });

  it('deleting a pod removes its sandbox: pause process, veth and address', async () => {
    await e.create(podManifest('short-lived', { containers: [sh('app', 'exec sleep 600')] }));
    const s = await e.waitForPhase('short-lived', 'Running');
    const veth = vethName(s.pod.status!.podIP!);
    const pauseDir = join(e.dataDir, 'pods', s.pod.metadata.uid);
    expect(vethsOnBridge()).toContain(veth);
    await e.delete('short-lived', 0);
    await e.waitForRemoval('short-lived');
    expect(existsSync(pauseDir)).toBe(false);
    expect(await eventually(() => !vethsOnBridge().includes(veth))).toBe(true);
    expect(pausesUnder(pauseDir)).toEqual([]);
  });
});

describe('pods on the host network (the fallback)', { timeout: 60_000 }, () => {
  it('the engine says so in one line at startup; pods get 127.0.0.1; a hostPort it cannot map is refused', async () => {
    const e = await E2eEngine.start({ podNetwork: { mode: 'host' } });
    try {
      expect(e.warnings).toEqual([
        'podflow: pods share the host network (pod IP 127.0.0.1, no hostname of their own): --pod-network host',
      ]);
      await e.create(podManifest('plain', { containers: [sh('app', 'exec sleep 600')] }));
      const s = await e.waitForPhase('plain', 'Running');
      expect(s.pod.status?.podIP).toBe('127.0.0.1');
      expect(pausesUnder(e.dataDir)).toEqual([]);
      const refused = await e
        .create(
          podManifest('mapped', {
            containers: [sh('app', 'sleep 1', { ports: [{ containerPort: 80, hostPort: 18080 }] })],
          }),
        )
        .catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(InvalidError);
      expect((refused as InvalidError).fieldErrors.map((f) => f.field)).toEqual([
        'spec.containers[0].ports[0].hostPort',
      ]);
    } finally {
      await e.close();
    }
  });
});
