// What a pod's volumes hold and where its containers mount them (src/core/volumes.ts), cases from
// pkg/volume/configmap/configmap.go, pkg/volume/secret/secret.go, pkg/volume/downwardapi/downwardapi.go,
// pkg/volume/projected/projected.go MakePayload/CollectData and kubelet_pods.go makeMounts.
import type { Pod, Volume } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import {
  containerMounts,
  emptyDirEvictionMessage,
  podMountsConfig,
  resolvePodVolumes,
  volumeConfigReferences,
} from '../../src/core/volumes.ts';
import type { EnvLookups } from '../../src/core/env.ts';

const lookups: EnvLookups = {
  configMaps: { app: { 'b.conf': 'B', 'a.conf': 'A' } },
  secrets: { db: { password: 's3cret' } },
};

const podWith = (volumes: Volume[]): Pod => ({
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u-1',
    labels: { tier: 'web', app: 'x' },
    annotations: { note: 'hi' },
  },
  spec: {
    containers: [{ name: 'c', image: 'busybox', resources: { limits: { memory: '64Mi' } } }],
    volumes,
  },
});

const resolve = (volumes: Volume[]) => resolvePodVolumes({ pod: podWith(volumes), lookups });

describe('resolvePodVolumes', () => {
  it.each([
    {
      name: 'configMap: one file per key, sorted, mode 0644 by default',
      volume: { name: 'v', configMap: { name: 'app' } },
      files: [
        { path: 'a.conf', mode: 0o644, content: 'A' },
        { path: 'b.conf', mode: 0o644, content: 'B' },
      ],
    },
    {
      name: 'configMap: defaultMode applies to every file',
      volume: { name: 'v', configMap: { name: 'app', defaultMode: 0o400 } },
      files: [
        { path: 'a.conf', mode: 0o400, content: 'A' },
        { path: 'b.conf', mode: 0o400, content: 'B' },
      ],
    },
    {
      name: 'configMap items: only the listed keys, at their paths, item mode over defaultMode',
      volume: {
        name: 'v',
        configMap: {
          name: 'app',
          defaultMode: 0o440,
          items: [
            { key: 'a.conf', path: 'conf/a', mode: 0o600 },
            { key: 'b.conf', path: 'b' },
          ],
        },
      },
      files: [
        { path: 'conf/a', mode: 0o600, content: 'A' },
        { path: 'b', mode: 0o440, content: 'B' },
      ],
    },
    {
      name: 'secret: decoded values, 0644 by default',
      volume: { name: 'v', secret: { secretName: 'db' } },
      files: [{ path: 'password', mode: 0o644, content: 's3cret' }],
    },
    {
      name: 'missing optional configMap: an empty volume',
      volume: { name: 'v', configMap: { name: 'nope', optional: true } },
      files: [],
    },
    {
      name: 'optional configMap with a missing item key: the key is skipped',
      volume: {
        name: 'v',
        configMap: {
          name: 'app',
          optional: true,
          items: [
            { key: 'zz', path: 'zz' },
            { key: 'a.conf', path: 'a' },
          ],
        },
      },
      files: [{ path: 'a', mode: 0o644, content: 'A' }],
    },
    {
      name: 'downwardAPI: name, labels as sorted key="value" lines, a resource limit',
      volume: {
        name: 'v',
        downwardAPI: {
          items: [
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            {
              path: 'mem',
              resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' },
              mode: 0o600,
            },
          ],
        },
      },
      files: [
        { path: 'name', mode: 0o644, content: 'p' },
        { path: 'labels', mode: 0o644, content: 'app="x"\ntier="web"' },
        { path: 'mem', mode: 0o600, content: '64' },
      ],
    },
    {
      name: 'projected: every source in one directory, the projected defaultMode',
      volume: {
        name: 'v',
        projected: {
          defaultMode: 0o440,
          sources: [
            { configMap: { name: 'app', items: [{ key: 'a.conf', path: 'a' }] } },
            { secret: { name: 'db' } },
            { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
      files: [
        { path: 'a', mode: 0o440, content: 'A' },
        { path: 'password', mode: 0o440, content: 's3cret' },
        { path: 'ns', mode: 0o440, content: 'ns' },
      ],
    },
  ])('$name', ({ volume, files }) => {
    const result = resolve([volume as Volume]);
    expect(result).toEqual({
      ok: true,
      volumes: [{ name: 'v', type: 'files', source: expect.any(String), files }],
    });
  });

  it.each([
    {
      name: 'missing configMap',
      volume: { name: 'cfg', configMap: { name: 'nope' } },
      message: 'MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found',
    },
    {
      name: 'missing secret',
      volume: { name: 'sec', secret: { secretName: 'nope' } },
      message: 'MountVolume.SetUp failed for volume "sec" : secret "nope" not found',
    },
    {
      name: 'missing configMap key in items',
      volume: { name: 'cfg', configMap: { name: 'app', items: [{ key: 'zz', path: 'zz' }] } },
      message: 'MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: zz',
    },
    {
      name: 'missing secret key in items',
      volume: { name: 'sec', secret: { secretName: 'db', items: [{ key: 'zz', path: 'zz' }] } },
      message: 'MountVolume.SetUp failed for volume "sec" : references non-existent secret key: zz',
    },
    {
      name: 'missing secret in a projected volume',
      volume: { name: 'all', projected: { sources: [{ secret: { name: 'nope' } }] } },
      message: 'MountVolume.SetUp failed for volume "all" : secret "nope" not found',
    },
  ])('fails: $name', ({ volume, message }) => {
    expect(resolve([volume as Volume])).toEqual({ ok: false, message });
  });

  it('emptyDir: medium and sizeLimit in bytes; hostPath: path and type', () => {
    expect(
      resolve([
        { name: 'a', emptyDir: {} },
        { name: 'b', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        { name: 'c', hostPath: { path: '/srv', type: 'DirectoryOrCreate' } },
      ]),
    ).toEqual({
      ok: true,
      volumes: [
        { name: 'a', type: 'emptyDir', medium: '' },
        { name: 'b', type: 'emptyDir', medium: 'Memory', sizeLimitBytes: 1048576 },
        { name: 'c', type: 'hostPath', path: '/srv', hostPathType: 'DirectoryOrCreate' },
      ],
    });
  });
});

describe('references', () => {
  it('names the ConfigMaps and Secrets of configMap, secret and projected volumes', () => {
    const pod = podWith([
      { name: 'a', configMap: { name: 'one' } },
      { name: 'b', secret: { secretName: 's1' } },
      { name: 'c', projected: { sources: [{ configMap: { name: 'two' } }, { secret: { name: 's2' } }] } },
      { name: 'd', emptyDir: {} },
    ]);
    expect(volumeConfigReferences(pod)).toEqual({ configMaps: ['one', 'two'], secrets: ['s1', 's2'] });
    expect(podMountsConfig(pod, 'ConfigMap', 'two')).toBe(true);
    expect(podMountsConfig(pod, 'Secret', 'one')).toBe(false);
  });
});

describe('containerMounts (makeMounts)', () => {
  const pod = podWith([
    { name: 'data', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'app' } },
  ]);
  it.each([
    {
      name: 'an emptyDir mount is writable unless readOnly',
      mounts: [
        { name: 'data', mountPath: '/data' },
        { name: 'data', mountPath: '/ro', readOnly: true },
      ],
      expected: [
        { volume: 'data', mountPath: '/data', subPath: '', readOnly: false },
        { volume: 'data', mountPath: '/ro', subPath: '', readOnly: true },
      ],
    },
    {
      name: 'a configMap mount is always read-only',
      mounts: [{ name: 'cfg', mountPath: '/etc/cfg', readOnly: false }],
      expected: [{ volume: 'cfg', mountPath: '/etc/cfg', subPath: '', readOnly: true }],
    },
    {
      name: 'subPath, and subPathExpr expanded with the container env',
      mounts: [
        { name: 'data', mountPath: '/a', subPath: 'x/y' },
        { name: 'data', mountPath: '/b', subPathExpr: 'logs/$(POD_NAME)' },
      ],
      expected: [
        { volume: 'data', mountPath: '/a', subPath: 'x/y', readOnly: false },
        { volume: 'data', mountPath: '/b', subPath: 'logs/p', readOnly: false },
      ],
    },
  ])('$name', ({ mounts, expected }) => {
    const result = containerMounts(pod, { name: 'c', volumeMounts: mounts }, [
      { name: 'POD_NAME', value: 'p' },
    ]);
    expect(result).toEqual({ ok: true, mounts: expected });
  });

  it('a subPathExpr that expands to an absolute path fails the start', () => {
    const result = containerMounts(
      pod,
      { name: 'c', volumeMounts: [{ name: 'data', mountPath: '/a', subPathExpr: '$(P)' }] },
      [{ name: 'P', value: '/etc' }],
    );
    expect(result.ok).toBe(false);
  });
});

describe('emptyDirEvictionMessage (eviction_manager.go emptyDirLimitEviction)', () => {
  const pod = podWith([
    { name: 'scratch', emptyDir: { sizeLimit: '1Mi' } },
    { name: 'free', emptyDir: {} },
  ]);
  it.each([
    { name: 'at the limit: no eviction', volume: 'scratch', used: 1048576, want: undefined },
    {
      name: 'one byte over: evicted with the kubelet message',
      volume: 'scratch',
      used: 1048577,
      want: 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ',
    },
    { name: 'a volume without sizeLimit is never evicted', volume: 'free', used: 1e12, want: undefined },
    { name: 'an unknown volume is not evicted', volume: 'nope', used: 1e12, want: undefined },
  ])('$name', ({ volume, used, want }) => {
    expect(emptyDirEvictionMessage(pod, volume, used)).toBe(want);
  });
});
