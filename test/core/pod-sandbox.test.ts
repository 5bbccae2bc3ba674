// The sandbox config the engine hands the runtime (core/pod-sandbox.ts; upstream kuberuntime_sandbox.go
// generatePodSandboxConfig and kubelet_pods.go GeneratePodHostNameAndDomain).
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { HOSTNAME_MAX_LENGTH, podHostname, podSandboxConfig } from '../../src/core/pod-sandbox.ts';

const pod = (name: string, spec: Pod['spec'] = { containers: [] }): Pod => ({ metadata: { name }, spec });

describe('podHostname (GeneratePodHostNameAndDomain)', () => {
  it.each([
    { name: 'the pod name', pod: pod('web-1'), expected: 'web-1' },
    {
      name: 'spec.hostname wins',
      pod: pod('web-1', { containers: [], hostname: 'frontend' }),
      expected: 'frontend',
    },
    {
      name: 'longer than 63: cut, without a trailing - or .',
      pod: pod(`${'a'.repeat(61)}-.bcd`),
      expected: 'a'.repeat(61),
    },
    { name: 'exactly 63: kept', pod: pod('b'.repeat(63)), expected: 'b'.repeat(63) },
  ])('$name', ({ pod: p, expected }) => {
    expect(podHostname(p)).toBe(expected);
    expect(podHostname(p).length).toBeLessThanOrEqual(HOSTNAME_MAX_LENGTH);
  });
});

describe('podSandboxConfig (generatePodSandboxConfig)', () => {
  it('hostname, no host network, a mapping per hostPort of a regular container with its field path', () => {
    const config = podSandboxConfig(
      pod('web', {
        initContainers: [{ name: 'init', ports: [{ containerPort: 1, hostPort: 1001 }] }],
        containers: [
          { name: 'a', ports: [{ containerPort: 80 }, { containerPort: 8080, hostPort: 30080 }] },
          { name: 'b', ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' }] },
        ],
      }),
    );
    expect(config).toEqual({
      hostname: 'web',
      hostNetwork: false,
      portMappings: [
        {
          protocol: 'TCP',
          containerPort: 8080,
          hostPort: 30080,
          fieldPath: 'spec.containers[0].ports[1].hostPort',
        },
        {
          protocol: 'UDP',
          containerPort: 53,
          hostPort: 5353,
          hostIP: '127.0.0.1',
          fieldPath: 'spec.containers[1].ports[0].hostPort',
        },
      ],
    });
  });

  it('a hostNetwork pod gets no hostname: it sees the host’s', () => {
    const config = podSandboxConfig(pod('node-agent', { hostNetwork: true, containers: [{ name: 'a' }] }));
    expect(config).toEqual({ hostNetwork: true, portMappings: [] });
  });
});
