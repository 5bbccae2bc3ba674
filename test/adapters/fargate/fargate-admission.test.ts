// What the cloud API's admission adds for the Fargate runtime (docs/decisions/0006-fargate-runtime.md §5, §6, §8):
// errors for what a task cannot run, warnings for what it runs differently, the size annotation.
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { admitForFargate } from '../../../src/adapters/fargate/fargate-admission.ts';
import { formatFieldError } from '../../../src/core/field-errors.ts';

const pod = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', annotations: { team: 'a' } },
  spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
});

const errorsOf = (p: Pod): string[] => admitForFargate(p).errors.map(formatFieldError);

describe('Fargate admission', () => {
  it('writes the task size in EKS CapacityProvisioned format and keeps the other annotations', () => {
    const admitted = admitForFargate(
      pod({
        containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1', memory: '8Gi' } } }],
      }),
    );
    expect(admitted.errors).toEqual([]);
    expect(admitted.pod.metadata?.annotations).toEqual({ team: 'a', 'podflow.io/fargate-size': '2vCPU 9GB' });
  });

  it.each([
    {
      name: 'an exec liveness probe',
      spec: {
        containers: [{ name: 'app', image: 'x', livenessProbe: { exec: { command: ['true'] } } }],
      },
      want: /^spec\.containers\[0\]\.livenessProbe\.exec: Forbidden: podflow's Fargate runtime cannot run a command/,
    },
    {
      name: 'an exec preStop hook of an init container',
      spec: {
        initContainers: [{ name: 'i', image: 'x', lifecycle: { preStop: { exec: { command: ['true'] } } } }],
      },
      want: /^spec\.initContainers\[0\]\.lifecycle\.preStop\.exec: Forbidden: .*use httpGet or sleep$/,
    },
    {
      name: 'env from status.podIP',
      spec: {
        containers: [
          {
            name: 'app',
            image: 'x',
            env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          },
        ],
      },
      want: /^spec\.containers\[0\]\.env\[0\]\.valueFrom\.fieldRef\.fieldPath: Forbidden: status\.podIP is the task's address.*ECS_CONTAINER_METADATA_URI_V4/,
    },
    {
      name: 'a required Secret reference',
      spec: {
        containers: [
          {
            name: 'app',
            image: 'x',
            env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
          },
        ],
      },
      want: /^spec\.containers\[0\]\.env\[0\]\.valueFrom\.secretKeyRef: Forbidden: podflow's Fargate runtime does not pass Secrets to containers: their values would be written in plain text into the ECS task definition/,
    },
    {
      name: 'an optional Secret reference (its value would be in the task definition as well)',
      spec: {
        containers: [
          {
            name: 'app',
            image: 'x',
            env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } }],
          },
        ],
      },
      want: /^spec\.containers\[0\]\.env\[0\]\.valueFrom\.secretKeyRef: Forbidden: .*plain text into the ECS task definition/,
    },
    {
      name: 'env from a Secret of an init container (envFrom secretRef, optional)',
      spec: {
        initContainers: [{ name: 'i', image: 'x', envFrom: [{ secretRef: { name: 's', optional: true } }] }],
      },
      want: /^spec\.initContainers\[0\]\.envFrom\[0\]\.secretRef: Forbidden: .*plain text into the ECS task definition/,
    },
    {
      name: 'a required ConfigMap reference',
      spec: {
        containers: [
          {
            name: 'app',
            image: 'x',
            env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }],
          },
        ],
      },
      want: /^spec\.containers\[0\]\.env\[0\]\.valueFrom\.configMapKeyRef: Forbidden: podflow's Fargate runtime does not fill environment variables from ConfigMaps/,
    },
    {
      name: 'env from a required ConfigMap',
      spec: { containers: [{ name: 'app', image: 'x', envFrom: [{ configMapRef: { name: 'c' } }] }] },
      want: /^spec\.containers\[0\]\.envFrom\[0\]\.configMapRef: Forbidden: .*from ConfigMaps/,
    },
    {
      name: 'ten containers',
      spec: {
        containers: Array.from({ length: 10 }, (_, i) => ({ name: `c${i}`, image: 'x' })),
      },
      want: /^spec\.containers: Invalid value: 10: a Fargate task holds at most 10 containers/,
    },
    {
      name: 'the pause container name',
      spec: { containers: [{ name: 'podflow-pause', image: 'x' }] },
      want: /^spec\.containers\[0\]\.name: Invalid value: "podflow-pause": is reserved/,
    },
    {
      name: 'an SCTP port',
      spec: { containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 9, protocol: 'SCTP' }] }] },
      want: /^spec\.containers\[0\]\.ports\[0\]\.protocol: Unsupported value: "SCTP"/,
    },
    {
      name: 'more than 16 vCPU',
      spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '32' } } }] },
      want: /^spec\.containers\[\*\]\.resources\.requests: Invalid value: .*largest task/,
    },
    {
      name: 'more than 175Gi of ephemeral storage',
      spec: {
        containers: [{ name: 'app', image: 'x', resources: { requests: { 'ephemeral-storage': '200Gi' } } }],
      },
      want: /ephemeral-storage: Invalid value: "200Gi": Fargate provides at most 175Gi/,
    },
    {
      name: 'a configMap volume',
      spec: { volumes: [{ name: 'cfg', configMap: { name: 'c' } }] },
      want: /^spec\.volumes\[0\]: Forbidden: podflow's Fargate runtime mounts no ConfigMap or Secret volumes/,
    },
    {
      name: 'a hostPath volume',
      spec: { volumes: [{ name: 'h', hostPath: { path: '/srv' } }] },
      want: /^spec\.volumes\[0\]: Forbidden: podflow's Fargate runtime mounts only emptyDir volumes, not hostPath$/,
    },
    {
      name: 'a downwardAPI volume',
      spec: { volumes: [{ name: 'd', downwardAPI: { items: [] } }] },
      want: /^spec\.volumes\[0\]: Forbidden: podflow's Fargate runtime mounts only emptyDir volumes, not downwardAPI$/,
    },
    {
      name: 'a projected volume',
      spec: { volumes: [{ name: 'p', projected: { sources: [] } }] },
      want: /^spec\.volumes\[0\]: Forbidden: podflow's Fargate runtime mounts only emptyDir volumes, not projected$/,
    },
  ])('refuses $name', ({ spec, want }) => {
    const errors = errorsOf(pod(spec as Partial<NonNullable<Pod['spec']>>));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(want);
  });

  it('allows optional ConfigMap references, httpGet/tcpSocket/grpc probes, httpGet and sleep hooks', () => {
    const spec = {
      containers: [
        {
          name: 'app',
          image: 'x',
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c', key: 'k', optional: true } } }],
          readinessProbe: { httpGet: { port: 80 } },
          livenessProbe: { tcpSocket: { port: 80 } },
          startupProbe: { grpc: { port: 9000 } },
          lifecycle: { postStart: { httpGet: { port: 80 } }, preStop: { sleep: { seconds: 5 } } },
        },
      ],
    };
    expect(errorsOf(pod(spec))).toEqual([]);
  });

  it('warns about a grace beyond 120 s, probe-level graces and extra pull secrets', () => {
    const { warnings, errors } = admitForFargate(
      pod({
        terminationGracePeriodSeconds: 600,
        imagePullSecrets: [{ name: 'a' }, { name: 'b' }],
        containers: [
          {
            name: 'app',
            image: 'x',
            livenessProbe: { httpGet: { port: 80 }, terminationGracePeriodSeconds: 5 },
          },
        ],
      }),
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: not applied on Fargate: a kill uses the task's stopTimeout (the pod's grace)",
      'spec.terminationGracePeriodSeconds: 600 is longer than Fargate allows: containers get SIGKILL 120 s after SIGTERM',
      'spec.imagePullSecrets: only the first (a) is used: an ECS container takes one registry credential',
    ]);
  });
});
