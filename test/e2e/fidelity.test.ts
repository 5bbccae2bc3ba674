// Kubelet fidelity, end to end: ordinary manifests whose outcome on a real cluster is known, run through the real
// state machine definition, the local engine and real processes. One case per rule (docs/semantics.md), each
// naming the upstream code it follows.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConfigSource } from '../../src/adapters/memory/memory-config-source.ts';
import { writeKubeconfig } from '../../src/cli/kubeconfig.ts';
import { startLocalServer, type LocalServer } from '../../src/local/local-server.ts';
import { condition, containerStatus, E2eEngine, podManifest, restartCount, sh } from './support.ts';

const run = promisify(execFile);

let e: E2eEngine;
const configs = new MemoryConfigSource();

beforeAll(async () => {
  e = await E2eEngine.start({ configs, settings: { configErrorRetryMs: 300 } });
});
afterAll(async () => {
  await e?.close();
});

const reasons = (name: string): string[] => e.recordedEvents(name).map((ev) => ev.reason);

describe('config errors are not crashes (kuberuntime_container.go startContainer)', () => {
  it.each(['Never', 'OnFailure', 'Always'])(
    'a missing ConfigMap key under %s: waiting CreateContainerConfigError, Pending, no restart; starts once it exists',
    async (restartPolicy) => {
      const name = `config-${restartPolicy.toLowerCase()}`;
      const cm = `settings-${restartPolicy.toLowerCase()}`;
      await e.create(
        podManifest(name, {
          restartPolicy,
          containers: [
            sh('app', 'echo "greeting=$GREETING"; sleep 60', {
              env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: cm, key: 'hello' } } }],
            }),
          ],
        }),
      );
      const waiting = await e.waitForPod(
        name,
        'waiting CreateContainerConfigError',
        (s) => containerStatus(s, 'app')?.state?.waiting?.reason === 'CreateContainerConfigError',
      );
      const status = containerStatus(waiting, 'app')!;
      expect(status.state?.waiting?.message).toBe(`configmap "${cm}" not found`);
      expect(status.restartCount).toBe(0);
      expect(status.lastState).toEqual({});
      expect(waiting.pod.status?.phase).toBe('Pending');
      await e.waitForEvent(name, 'Failed');
      expect(e.recordedEvents(name).find((ev) => ev.reason === 'Failed')).toMatchObject({
        type: 'Warning',
        message: `Error: configmap "${cm}" not found`,
      });

      // The ConfigMap appears without the key: the message says which key.
      configs.setConfigMap('default', cm, { other: 'x' });
      await e.waitForPod(name, 'the missing key named', (s) =>
        (containerStatus(s, 'app')?.state?.waiting?.message ?? '').startsWith("couldn't find key hello"),
      );
      configs.setConfigMap('default', cm, { hello: 'world' });
      const running = await e.waitForPhase(name, 'Running');
      expect(restartCount(running, 'app')).toBe(0);
      expect(e.history(name).every((s) => s.pod.status?.phase !== 'Failed')).toBe(true);
    },
  );
});

describe('finished pods have no sandbox (status/generate.go, kubelet.go SyncTerminatingPod)', () => {
  it('PodReadyToStartContainers turns False once the pod Succeeded', async () => {
    await e.create(podManifest('one-shot', { restartPolicy: 'Never', containers: [sh('job', 'true')] }));
    const done = await e.waitForPhase('one-shot', 'Succeeded');
    expect(condition(done, 'PodReadyToStartContainers')?.status).toBe('False');
    expect(
      e.history('one-shot').some((s) => condition(s, 'PodReadyToStartContainers')?.status === 'True'),
    ).toBe(true);
  });
});

describe('postStart (lifecycle/handlers.go, kuberuntime_container.go)', () => {
  it('has no timeout: a hook longer than the grace period is waited for, then the container runs', async () => {
    await e.create(
      podManifest('slow-hook', {
        terminationGracePeriodSeconds: 1,
        containers: [
          sh('app', 'sleep 60', {
            lifecycle: { postStart: { exec: { command: ['sh', '-c', 'sleep 2.5'] } } },
          }),
        ],
      }),
    );
    const running = await e.waitForPod(
      'slow-hook',
      'running',
      (s) => containerStatus(s, 'app')?.state?.running !== undefined,
    );
    expect(restartCount(running, 'app')).toBe(0);
    expect(reasons('slow-hook')).not.toContain('FailedPostStartHook');
    expect(reasons('slow-hook')).not.toContain('Killing');
    // It waited ContainerCreating meanwhile, never started before the hook finished.
    const [first] = e.instances('slow-hook', 'app');
    const runningSince = Date.parse(containerStatus(running, 'app')!.state!.running!.startedAt!);
    expect(first!.startedAt).toBeDefined();
    expect(runningSince).toBeGreaterThanOrEqual(Math.floor(first!.startedAt! / 1000) * 1000);
  });

  it('a failed postStart kills the container through the normal kill path: preStop runs', async () => {
    const marker = join(e.scratch, 'prestop-after-poststart');
    await e.create(
      podManifest('bad-hook', {
        restartPolicy: 'Never',
        containers: [
          sh('app', 'sleep 60', {
            lifecycle: {
              postStart: { exec: { command: ['sh', '-c', 'exit 3'] } },
              preStop: { exec: { command: ['sh', '-c', `touch ${marker}`] } },
            },
          }),
        ],
      }),
    );
    await e.waitForPhase('bad-hook', 'Failed');
    expect(reasons('bad-hook')).toContain('FailedPostStartHook');
    expect(existsSync(marker)).toBe(true);
  });
});

describe('a probe kill restarts unless restartPolicy is Never (kuberuntime_manager.go computePodActions)', () => {
  it('under OnFailure, a container killed for liveness that exits 0 on SIGTERM is restarted', async () => {
    // Alive until the shell has set its trap (a kill before it would end the container with 143, not 0).
    const trapped = join(e.scratch, 'liveness-onfailure.trapped');
    await e.create(
      podManifest('liveness-onfailure', {
        restartPolicy: 'OnFailure',
        containers: [
          sh('app', `trap 'exit 0' TERM; touch ${trapped}; sleep 60 & wait`, {
            livenessProbe: {
              exec: { command: ['test', '!', '-f', trapped] },
              periodSeconds: 1,
              failureThreshold: 1,
            },
          }),
        ],
      }),
    );
    const restarted = await e.waitForPod(
      'liveness-onfailure',
      'restarted',
      (s) => restartCount(s, 'app') >= 1,
    );
    expect(containerStatus(restarted, 'app')?.lastState?.terminated).toMatchObject({ exitCode: 0 });
    expect(e.history('liveness-onfailure').every((s) => s.pod.status?.phase !== 'Succeeded')).toBe(true);
    expect(e.recordedEvents('liveness-onfailure').find((ev) => ev.reason === 'Killing')?.message).toBe(
      'Container app failed liveness probe, will be restarted',
    );
  });
});

describe('start errors are terminated states (containerd StartError)', () => {
  it('a command that cannot be executed: terminated 128 StartError with the message, no lastState, Failed', async () => {
    await e.create(
      podManifest('typo', {
        restartPolicy: 'Never',
        containers: [{ name: 'app', image: 'busybox:1.28', command: ['no-such-command-podflow'] }],
      }),
    );
    const failed = await e.waitForPhase('typo', 'Failed');
    const status = containerStatus(failed, 'app')!;
    expect(status.state?.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(status.state?.terminated?.message).toContain('no-such-command-podflow');
    expect(status.lastState).toEqual({});
    expect(status.restartCount).toBe(0);
  });

  it('under Always it waits RunContainerError while the back-off is pending, lastState StartError', async () => {
    await e.create(
      podManifest('typo-always', {
        containers: [{ name: 'app', image: 'busybox:1.28', command: ['no-such-command-podflow'] }],
      }),
    );
    const waiting = await e.waitForPod(
      'typo-always',
      'waiting RunContainerError',
      (s) => containerStatus(s, 'app')?.state?.waiting?.reason === 'RunContainerError',
    );
    expect(containerStatus(waiting, 'app')?.lastState?.terminated).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
    });
    await e.delete('typo-always', 0);
  });
});

describe('terminated.signal is never set (kubelet_pods.go convertToAPIContainerStatuses)', () => {
  it('a container ended by SIGTERM shows exit 143 and no signal', async () => {
    await e.create(podManifest('sigterm', { containers: [sh('app', 'sleep 60')] }));
    await e.waitForPhase('sigterm', 'Running');
    await e.delete('sigterm');
    const last = await e.waitForPod(
      'sigterm',
      'terminated',
      (s) => containerStatus(s, 'app')?.state?.terminated !== undefined,
    );
    const terminated = containerStatus(last, 'app')!.state!.terminated!;
    expect(terminated.exitCode).toBe(143);
    expect(terminated).not.toHaveProperty('signal');
  });
});

describe('readiness is checked at once (prober_manager.go UpdatePodStatus, prober/worker.go)', () => {
  it('once startup succeeds the pod is Ready at once, not a readiness period (300 s) later', async () => {
    await e.create(
      podManifest('ready-fast', {
        containers: [
          sh('app', 'sleep 60', {
            startupProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 300 },
          }),
        ],
      }),
    );
    const startup = await e.waitForPod(
      'ready-fast',
      'started',
      (s) => containerStatus(s, 'app')?.started === true,
    );
    const ready = await e.waitForPod('ready-fast', 'Ready', (s) => condition(s, 'Ready')?.status === 'True');
    // The condition's transition comes within a few seconds of the start, not a readiness period later.
    const startedAt = Date.parse(containerStatus(startup, 'app')!.state!.running!.startedAt!);
    expect(Date.parse(condition(ready, 'Ready')!.lastTransitionTime!) - startedAt).toBeLessThanOrEqual(5000);
  });
});

describe('image events (images/image_manager.go)', () => {
  it('Pulled "already present on machine" precedes Created and Started; imageID is filled', async () => {
    await e.create(podManifest('images', { containers: [sh('app', 'sleep 60')] }));
    const running = await e.waitForPhase('images', 'Running');
    await e.waitForEvent('images', 'Started');
    expect(reasons('images').filter((r) => r !== 'Scheduled')).toEqual(['Pulled', 'Created', 'Started']);
    expect(e.recordedEvents('images').find((ev) => ev.reason === 'Pulled')?.message).toBe(
      'Container image "busybox:1.28" already present on machine',
    );
    expect(containerStatus(running, 'app')?.imageID).toBe('busybox:1.28');
  });
});

describe('force delete removes the object at once (rest/delete.go; the kubelet still kills)', () => {
  let server: LocalServer;
  let kubeconfig: string;
  beforeAll(async () => {
    server = await startLocalServer({
      engine: e.local,
      port: 0,
      newUid: () => crypto.randomUUID(),
      onError: (err, context) => e.errors.push({ err, context }),
    });
    kubeconfig = join(e.scratch, 'kubeconfig');
    writeKubeconfig(kubeconfig, { server: server.url });
  });
  afterAll(async () => {
    await server?.close();
  });
  const kubectl = (...args: string[]) =>
    run('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig } }).catch(
      (err: { stdout: string; stderr: string; code: number }) => err,
    );

  it('gone from the API when kubectl returns; preStop ran and the container was killed; the name is free', async () => {
    const marker = join(e.scratch, 'force-prestop');
    await e.create(
      podManifest('forced', {
        terminationGracePeriodSeconds: 30,
        containers: [
          sh('app', "trap '' TERM; sleep 60 & wait; sleep 60", {
            lifecycle: { preStop: { exec: { command: ['sh', '-c', `touch ${marker}`] } } },
          }),
        ],
      }),
    );
    await e.waitForPhase('forced', 'Running');
    const deleted = await kubectl('delete', 'pod', 'forced', '--grace-period=0', '--force');
    expect(deleted.stdout).toContain('pod "forced" force deleted');
    const got = await kubectl('get', 'pod', 'forced');
    expect(got.stderr).toContain('Error from server (NotFound): pods "forced" not found');
    // The engine still terminates it: preStop, then SIGTERM (ignored), SIGKILL after the 2 s window.
    await e.waitForRemoval('forced', 15_000);
    expect(existsSync(marker)).toBe(true);
    const [app] = e.instances('forced', 'app');
    expect(app!.exitCode).toBe(137);
    const created = await kubectl('run', 'forced', '--image=busybox:1.28', '--restart=Never', '--', 'true');
    expect(created.stdout).toContain('pod/forced created');
  });
});
