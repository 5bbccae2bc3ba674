// `kubectl debug` against `podflow serve` with real kubectl 1.32 (only the kubeconfig), on both local stores: an
// ephemeral container added through pods/ephemeralcontainers, attached to over pods/attach, in the pod's sandbox;
// never restarted; no effect on the pod's phase or readiness; invalid updates refused with 422 and the field path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, KUBECTL, startServe, type Served } from './harness.ts';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: x
spec:
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
`;

interface PodView {
  status: {
    phase: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses: Array<{ name: string; restartCount: number; ready: boolean }>;
    ephemeralContainerStatuses?: Array<{
      name: string;
      restartCount: number;
      ready: boolean;
      state: Record<string, { exitCode?: number; reason?: string } | undefined>;
    }>;
  };
}

describe.skipIf(!KUBECTL).each([{ store: 'sqlite' }, { store: 'dynamodb' }])(
  'kubectl debug against podflow serve (--store $store)',
  ({ store }) => {
    let served: Served;

    const podView = async (): Promise<PodView> => {
      const r = await served.kubectl(['get', 'pod', 'x', '-o', 'json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as PodView;
    };
    const ephemeral = async (name: string) =>
      (await podView()).status.ephemeralContainerStatuses?.find((c) => c.name === name);
    const ready = (p: PodView) => p.status.conditions?.find((c) => c.type === 'Ready')?.status;

    beforeAll(async () => {
      served = await startServe(`kubectl-debug-${store}`, ['--store', store]);
      const applied = await served.kubectl(['apply', '-f', '-'], { input: POD });
      expect(applied.stdout.trim(), applied.stderr).toBe('pod/x created');
      const waited = await served.kubectl(['wait', '--for=condition=Ready', 'pod/x', '--timeout=30s'], {
        timeoutMs: 40_000,
      });
      expect(waited.code, waited.stderr).toBe(0);
    }, 60_000);

    afterAll(async () => {
      if (served) expect(await served.stop(), served.output()).toBe(0);
    }, 60_000);

    it('kubectl debug -i … -- sh runs the piped commands in a shell and prints their output', async () => {
      const r = await served.kubectl(
        ['debug', '-i', 'pod/x', '--image=busybox', '--container=shell', '--', 'sh'],
        { input: 'echo hello-from-debug; exit\n', timeoutMs: 40_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('hello-from-debug\n');
      await eventually(
        async () => (await ephemeral('shell'))?.state.terminated !== undefined,
        10_000,
        'the exit',
      );
      expect(await ephemeral('shell')).toMatchObject({
        restartCount: 0,
        ready: false,
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      });
      // Its output is in its log too.
      const logs = await served.kubectl(['logs', 'x', '-c', 'shell']);
      expect([logs.code, logs.stdout], logs.stderr).toEqual([0, 'hello-from-debug\n']);
    }, 60_000);

    it('the debug shell shares the pod’s UTS and network namespaces: the namespaces and hostname of its app container', async () => {
      const probe = 'readlink /proc/self/ns/net /proc/self/ns/uts; cat /proc/sys/kernel/hostname';
      const app = await served.kubectl(['exec', 'x', '-c', 'app', '--', 'sh', '-c', probe]);
      expect(app.code, app.stderr).toBe(0);
      const r = await served.kubectl(
        ['debug', '-i', 'pod/x', '--image=busybox', '--container=net', '--', 'sh'],
        {
          input: `${probe}; exit\n`,
          timeoutMs: 40_000,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(app.stdout);
    }, 60_000);

    it('kubectl debug … -- sleep 3600: Running, the pod unaffected; a container that exits is never restarted', async () => {
      const before = await podView();
      const r = await served.kubectl([
        'debug',
        'pod/x',
        '--image=busybox',
        '--container=sleeper',
        '--',
        'sleep',
        '3600',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const state = async (): Promise<string> =>
        (
          await served.kubectl([
            'get',
            'pod',
            'x',
            '-o',
            'jsonpath={.status.ephemeralContainerStatuses[?(@.name=="sleeper")].state}',
          ])
        ).stdout;
      await eventually(
        async () => (await state()).includes('"running"'),
        20_000,
        'the ephemeral container to run',
      );
      const during = await podView();
      expect([during.status.phase, ready(during)]).toEqual(['Running', 'True']);
      expect(during.status.containerStatuses).toEqual(before.status.containerStatuses);

      const quick = await served.kubectl([
        'debug',
        'pod/x',
        '--image=busybox',
        '--container=quick',
        '--',
        'sh',
        '-c',
        'exit 3',
      ]);
      expect(quick.code, quick.stderr).toBe(0);
      await eventually(
        async () => (await ephemeral('quick'))?.state.terminated !== undefined,
        20_000,
        'the exit',
      );
      // Restarts would be immediate for a first exit (kuberuntime_manager.go doBackOff); give the worker time to try.
      await new Promise((r) => setTimeout(r, 2000));
      expect(await ephemeral('quick')).toMatchObject({
        restartCount: 0,
        state: { terminated: { exitCode: 3, reason: 'Error' } },
      });
      const after = await podView();
      expect([after.status.phase, ready(after)]).toEqual(['Running', 'True']);
      expect(after.status.containerStatuses.map((c) => c.restartCount)).toEqual([0]);
      expect(
        after.status.ephemeralContainerStatuses?.find((c) => c.name === 'sleeper')?.state.running,
      ).toBeDefined();
    }, 90_000);

    it('kubectl describe pod lists the ephemeral containers', async () => {
      const r = await served.kubectl(['describe', 'pod', 'x']);
      expect(r.code, r.stderr).toBe(0);
      const section = r.stdout.slice(
        r.stdout.indexOf('Ephemeral Containers:'),
        r.stdout.indexOf('Conditions:'),
      );
      expect(section).toMatch(/^Ephemeral Containers:\n {2}shell:\n/);
      expect(section).toMatch(/ {2}sleeper:\n[\s\S]*?State: +Running/);
      expect(section).toMatch(/ {2}quick:\n[\s\S]*?State: +Terminated\n +Reason: +Error\n +Exit Code: +3/);
    });

    it.each([
      {
        name: 'removing an ephemeral container',
        type: 'json',
        patch: '[{"op":"remove","path":"/spec/ephemeralContainers/0"}]',
        message:
          'spec.ephemeralContainers: Forbidden: existing ephemeral containers "shell" may not be removed',
      },
      {
        name: 'changing an ephemeral container',
        type: 'json',
        patch: '[{"op":"replace","path":"/spec/ephemeralContainers/0/image","value":"alpine"}]',
        message:
          'spec.ephemeralContainers[shell]: Forbidden: existing ephemeral containers "shell" may not be changed',
      },
      {
        name: 'ports and a probe',
        type: 'strategic',
        patch: JSON.stringify({
          spec: {
            ephemeralContainers: [
              {
                name: 'bad',
                image: 'busybox',
                command: ['sh'],
                ports: [{ containerPort: 80 }],
                readinessProbe: { exec: { command: ['true'] } },
              },
            ],
          },
        }),
        message:
          '* spec.ephemeralContainers[4].ports: Forbidden: cannot be set for an Ephemeral Container\n' +
          '* spec.ephemeralContainers[4].readinessProbe: Forbidden: cannot be set for an Ephemeral Container',
      },
    ])('422 with the field path: $name', async ({ type, patch, message }) => {
      const r = await served.kubectl([
        'patch',
        'pod',
        'x',
        '--subresource=ephemeralcontainers',
        `--type=${type}`,
        '-p',
        patch,
        '-v=6',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/PATCH \S+\/pods\/x\/ephemeralcontainers\S* 422 Unprocessable Entity/);
      expect(r.stderr).toContain(message);
      expect((await podView()).status.ephemeralContainerStatuses?.map((c) => c.name)).toEqual([
        'shell',
        'net',
        'sleeper',
        'quick',
      ]);
    });
  },
);
