// Pod defaulting as the API server applies it on create (pkg/apis/core/v1/defaults.go, registry create path).
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { defaultPod } from '../../src/core/manifest/default-pod.ts';
import type { CreateContext } from '../../src/core/manifest/default-pod.ts';
import { admitObject, basePod, getPath, NOW } from './helpers.ts';
import type { Json } from './helpers.ts';

const ctx = (over: Partial<CreateContext> = {}): CreateContext => ({
  now: NOW,
  newUid: () => 'uid-1',
  ...over,
});

function defaulted(mutate: (p: Json) => void = () => {}, c: CreateContext = ctx()): Pod {
  const pod = basePod();
  mutate(pod);
  return defaultPod(pod as Pod, c);
}

describe('defaultPod', () => {
  it.each([
    {
      name: 'namespace defaults to default',
      mutate: () => {},
      path: 'metadata.namespace',
      expected: 'default',
    },
    {
      name: 'a given namespace is kept',
      mutate: (p: Json) => (p.metadata.namespace = 'team-a'),
      path: 'metadata.namespace',
      expected: 'team-a',
    },
    { name: 'uid comes from newUid', mutate: () => {}, path: 'metadata.uid', expected: 'uid-1' },
    {
      name: 'a given uid is replaced',
      mutate: (p: Json) => (p.metadata.uid = 'mine'),
      path: 'metadata.uid',
      expected: 'uid-1',
    },
    {
      name: 'creationTimestamp is now, RFC 3339 seconds',
      mutate: () => {},
      path: 'metadata.creationTimestamp',
      expected: '2026-01-02T03:04:05Z',
    },
    { name: 'generation is 1', mutate: () => {}, path: 'metadata.generation', expected: 1 },
    {
      name: 'deletionTimestamp is cleared',
      mutate: (p: Json) => (p.metadata.deletionTimestamp = '2020-01-01T00:00:00Z'),
      path: 'metadata.deletionTimestamp',
      expected: undefined,
    },
    {
      name: 'restartPolicy defaults to Always',
      mutate: () => {},
      path: 'spec.restartPolicy',
      expected: 'Always',
    },
    {
      name: 'a given restartPolicy is kept',
      mutate: (p: Json) => (p.spec.restartPolicy = 'Never'),
      path: 'spec.restartPolicy',
      expected: 'Never',
    },
    {
      name: 'dnsPolicy defaults to ClusterFirst',
      mutate: () => {},
      path: 'spec.dnsPolicy',
      expected: 'ClusterFirst',
    },
    {
      name: 'schedulerName defaults to default-scheduler',
      mutate: () => {},
      path: 'spec.schedulerName',
      expected: 'default-scheduler',
    },
    {
      name: 'terminationGracePeriodSeconds defaults to 30',
      mutate: () => {},
      path: 'spec.terminationGracePeriodSeconds',
      expected: 30,
    },
    {
      name: 'a grace period of 0 is kept',
      mutate: (p: Json) => (p.spec.terminationGracePeriodSeconds = 0),
      path: 'spec.terminationGracePeriodSeconds',
      expected: 0,
    },
    { name: 'securityContext defaults to {}', mutate: () => {}, path: 'spec.securityContext', expected: {} },
    {
      name: 'enableServiceLinks defaults to true (pods only)',
      mutate: () => {},
      path: 'spec.enableServiceLinks',
      expected: true,
    },
    {
      name: 'enableServiceLinks false is kept',
      mutate: (p: Json) => (p.spec.enableServiceLinks = false),
      path: 'spec.enableServiceLinks',
      expected: false,
    },
    {
      name: 'terminationMessagePath defaults',
      mutate: () => {},
      path: 'spec.containers[0].terminationMessagePath',
      expected: '/dev/termination-log',
    },
    {
      name: 'terminationMessagePolicy defaults to File',
      mutate: () => {},
      path: 'spec.containers[0].terminationMessagePolicy',
      expected: 'File',
    },
    {
      name: 'port protocol defaults to TCP',
      mutate: (p: Json) => (p.spec.containers[0].ports = [{ containerPort: 80 }]),
      path: 'spec.containers[0].ports[0].protocol',
      expected: 'TCP',
    },
    {
      name: 'a UDP port stays UDP',
      mutate: (p: Json) => (p.spec.containers[0].ports = [{ containerPort: 53, protocol: 'UDP' }]),
      path: 'spec.containers[0].ports[0].protocol',
      expected: 'UDP',
    },
    {
      name: 'probe defaults: timeout 1, period 10, success 1, failure 3',
      mutate: (p: Json) => (p.spec.containers[0].livenessProbe = { exec: { command: ['true'] } }),
      path: 'spec.containers[0].livenessProbe',
      expected: {
        exec: { command: ['true'] },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    },
    {
      name: 'given probe settings are kept',
      mutate: (p: Json) =>
        (p.spec.containers[0].readinessProbe = {
          tcpSocket: { port: 80 },
          periodSeconds: 2,
          failureThreshold: 1,
        }),
      path: 'spec.containers[0].readinessProbe',
      expected: {
        tcpSocket: { port: 80 },
        timeoutSeconds: 1,
        periodSeconds: 2,
        successThreshold: 1,
        failureThreshold: 1,
      },
    },
    {
      name: 'httpGet path defaults to / and scheme to HTTP',
      mutate: (p: Json) => (p.spec.containers[0].startupProbe = { httpGet: { port: 8080 } }),
      path: 'spec.containers[0].startupProbe.httpGet',
      expected: { port: 8080, path: '/', scheme: 'HTTP' },
    },
    {
      name: 'a given httpGet path is kept',
      mutate: (p: Json) =>
        (p.spec.containers[0].readinessProbe = { httpGet: { port: 8080, path: '/ready', scheme: 'HTTPS' } }),
      path: 'spec.containers[0].readinessProbe.httpGet',
      expected: { port: 8080, path: '/ready', scheme: 'HTTPS' },
    },
    {
      name: 'lifecycle httpGet handlers are defaulted too',
      mutate: (p: Json) => (p.spec.containers[0].lifecycle = { preStop: { httpGet: { port: 80 } } }),
      path: 'spec.containers[0].lifecycle.preStop.httpGet',
      expected: { port: 80, path: '/', scheme: 'HTTP' },
    },
    {
      name: 'env fieldRef apiVersion defaults to v1',
      mutate: (p: Json) =>
        (p.spec.containers[0].env = [
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ]),
      path: 'spec.containers[0].env[0].valueFrom.fieldRef',
      expected: { apiVersion: 'v1', fieldPath: 'metadata.name' },
    },
    {
      name: 'requests default to limits',
      mutate: (p: Json) => (p.spec.containers[0].resources = { limits: { cpu: '500m', memory: '128Mi' } }),
      path: 'spec.containers[0].resources.requests',
      expected: { cpu: '500m', memory: '128Mi' },
    },
    {
      name: 'a given request is kept; the missing one comes from the limit',
      mutate: (p: Json) =>
        (p.spec.containers[0].resources = {
          limits: { cpu: '1', memory: '128Mi' },
          requests: { cpu: '100m' },
        }),
      path: 'spec.containers[0].resources.requests',
      expected: { cpu: '100m', memory: '128Mi' },
    },
    {
      name: 'init container requests default to limits',
      mutate: (p: Json) =>
        (p.spec.initContainers = [
          { name: 'init', image: 'busybox', resources: { limits: { memory: '64Mi' } } },
        ]),
      path: 'spec.initContainers[0].resources.requests',
      expected: { memory: '64Mi' },
    },
    {
      name: 'quantities are rounded up to milli-units',
      mutate: (p: Json) => (p.spec.containers[0].resources = { requests: { cpu: '0.1m' } }),
      path: 'spec.containers[0].resources.requests.cpu',
      expected: '1m',
    },
    {
      name: 'a volume without a source is an emptyDir',
      mutate: (p: Json) => (p.spec.volumes = [{ name: 'scratch' }]),
      path: 'spec.volumes[0]',
      expected: { name: 'scratch', emptyDir: {} },
    },
    {
      name: 'secret volumes default to mode 0644',
      mutate: (p: Json) => (p.spec.volumes = [{ name: 'creds', secret: { secretName: 'creds' } }]),
      path: 'spec.volumes[0].secret.defaultMode',
      expected: 0o644,
    },
    {
      name: 'configMap volumes default to mode 0644',
      mutate: (p: Json) => (p.spec.volumes = [{ name: 'cfg', configMap: { name: 'cfg' } }]),
      path: 'spec.volumes[0].configMap.defaultMode',
      expected: 420,
    },
    {
      name: 'with hostNetwork, hostPort defaults to containerPort',
      mutate: (p: Json) => {
        p.spec.hostNetwork = true;
        p.spec.containers[0].ports = [{ containerPort: 8080 }];
      },
      path: 'spec.containers[0].ports[0].hostPort',
      expected: 8080,
    },
    {
      name: 'status is Pending with its QoS class',
      mutate: () => {},
      path: 'status',
      expected: { phase: 'Pending', qosClass: 'BestEffort' },
    },
    {
      name: 'a status in the manifest is replaced',
      mutate: (p: Json) => (p.status = { phase: 'Succeeded' }),
      path: 'status.phase',
      expected: 'Pending',
    },
    {
      name: 'limits equal to requests make a Guaranteed pod',
      mutate: (p: Json) => (p.spec.containers[0].resources = { limits: { cpu: '1', memory: '1Gi' } }),
      path: 'status.qosClass',
      expected: 'Guaranteed',
    },
  ])('$name', ({ mutate, path, expected }) => {
    expect(getPath(defaulted(mutate), path)).toEqual(expected);
  });

  it.each([
    { image: 'nginx', expected: 'Always' },
    { image: 'nginx:latest', expected: 'Always' },
    { image: 'nginx:1.27', expected: 'IfNotPresent' },
    { image: 'registry.local:5000/team/app', expected: 'Always' },
    { image: 'registry.local:5000/team/app:v2', expected: 'IfNotPresent' },
    {
      image: 'app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      expected: 'IfNotPresent',
    },
    {
      image: 'app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      expected: 'Always',
    },
    { image: 'Not A Reference', expected: 'IfNotPresent' },
  ])('imagePullPolicy for $image is $expected', ({ image, expected }) => {
    expect(defaulted((p) => (p.spec.containers[0].image = image)).spec!.containers[0]!.imagePullPolicy).toBe(
      expected,
    );
  });

  it('keeps a given imagePullPolicy', () => {
    expect(
      defaulted((p) => (p.spec.containers[0].imagePullPolicy = 'Never')).spec!.containers[0]!.imagePullPolicy,
    ).toBe('Never');
  });

  it('uses the context namespace for objects that name none', () => {
    expect(defaulted(() => {}, ctx({ namespace: 'ci' })).metadata!.namespace).toBe('ci');
  });

  it('generates a name from generateName with five characters of the SimpleNameGenerator alphabet', () => {
    const pod = defaulted((p) => (p.metadata = { generateName: 'web-' }));
    expect(pod.metadata!.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const again = defaulted((p) => (p.metadata = { generateName: 'web-' }));
    expect(again.metadata!.name).toBe(pod.metadata!.name); // deterministic for the same uid
  });

  it('takes the generateName suffix from the context when given', () => {
    expect(
      defaulted((p) => (p.metadata = { generateName: 'web-' }), ctx({ newNameSuffix: () => 'x7k2q' }))
        .metadata!.name,
    ).toBe('web-x7k2q');
  });

  it('does not default requests in pod templates (only Pods), nor enableServiceLinks', () => {
    const job = admitObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'a', image: 'busybox', resources: { limits: { cpu: '1' } } }],
          },
        },
      },
    });
    expect(getPath(job.object, 'spec.template.spec.containers[0].resources.requests')).toBeUndefined();
    expect(getPath(job.object, 'spec.template.spec.enableServiceLinks')).toBeUndefined();
  });

  it('returns a new object and leaves its input untouched', () => {
    const pod = basePod();
    pod.spec.containers[0].livenessProbe = { httpGet: { port: 80 } };
    const before = structuredClone(pod);
    const out = defaultPod(pod as Pod, ctx());
    expect(pod).toEqual(before);
    expect(out).not.toBe(pod);
    expect(out.spec!.containers[0]).not.toBe(pod.spec.containers[0]);
  });

  it('prints quantities canonically, as the API server stores them (admission decodes them)', () => {
    const pod = basePod();
    pod.spec.containers[0].resources = { limits: { cpu: '1000m', memory: '1024Mi' }, requests: { cpu: 0.5 } };
    const doc = admitObject(pod);
    expect(getPath(doc.object, 'spec.containers[0].resources')).toEqual({
      limits: { cpu: '1', memory: '1Gi' },
      requests: { cpu: '500m', memory: '1Gi' },
    });
  });
});
