// What a pod's volumes hold and where each container sees them, decided before the runtime touches a file:
//  - pkg/volume/configmap/configmap.go MakePayload, pkg/volume/secret/secret.go MakePayload: one file per key (or per
//    `items` entry, at its `path`), mode item.mode ?? defaultMode ?? 0644; a missing object or key fails the mount
//    unless `optional`.
//  - pkg/volume/downwardapi/downwardapi.go CollectData: one file per item, the fieldRef/resourceFieldRef value.
//  - pkg/volume/projected/projected.go collectData: the sources' files in one directory, defaultMode for all.
//  - pkg/volume/emptydir/empty_dir.go: a directory per pod, tmpfs for `medium: Memory` (sized by sizeLimit).
//  - pkg/kubelet/kubelet_pods.go makeMounts: subPath / subPathExpr (expanded with the container's environment), and
//    every configMap, secret, downwardAPI and projected volume mounted read-only (they are written by the kubelet
//    only, since the fix for CVE-2017-1002102).
// The runtime then writes the files (atomically, with the kubelet's `..data` symlink swap) and makes the mounts; the
// engine calls this again when a ConfigMap or Secret changes, so a running container's files follow it.
import type { Container, KeyToPath, Pod, Volume, VolumeProjection } from 'kubernetes-types/core/v1';
import { expandVariables, resolveDownwardValue, type EnvLookups, type ResolvedEnvVar } from './env.ts';
import { toValue, tryParseQuantity } from './quantity.ts';

/** configMap/secret/downwardAPI/projected defaultMode when unset (ConfigMapVolumeSourceDefaultMode … = 0644). */
export const DEFAULT_VOLUME_FILE_MODE = 0o644;

/** A file of an atomically written volume: a relative path (subdirectories allowed), its mode and content. */
export interface VolumeFile {
  path: string;
  mode: number;
  content: string;
}

/** Where a volume's files come from: decided here, materialized by the runtime. */
export type PodVolume =
  | { name: string; type: 'emptyDir'; medium: '' | 'Memory'; sizeLimitBytes?: number }
  | { name: string; type: 'hostPath'; path: string; hostPathType: string }
  | {
      name: string;
      type: 'files';
      source: 'configMap' | 'secret' | 'downwardAPI' | 'projected';
      files: VolumeFile[];
    };

/** One of a container's mounts, resolved: the volume, the path inside it ('' = all of it) and the target. */
export interface ContainerMount {
  volume: string;
  mountPath: string;
  subPath: string;
  readOnly: boolean;
}

export interface PodVolumesInput {
  pod: Pod;
  lookups: EnvLookups;
  nodeName?: string;
  podIPs?: readonly string[];
  hostIPs?: readonly string[];
}

export type PodVolumesResult = { ok: true; volumes: PodVolume[] } | { ok: false; message: string };

class MountError extends Error {}

/** The ConfigMaps and Secrets the pod's volumes refer to (by name, each once), for the lookups. */
export function volumeConfigReferences(pod: Pick<Pod, 'spec'>): { configMaps: string[]; secrets: string[] } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) {
    if (v.configMap) configMaps.add(v.configMap.name ?? '');
    if (v.secret) secrets.add(v.secret.secretName ?? '');
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) configMaps.add(s.configMap.name ?? '');
      if (s.secret) secrets.add(s.secret.name ?? '');
    }
  }
  return { configMaps: [...configMaps], secrets: [...secrets] };
}

/** Whether the pod has a volume whose files come from the ConfigMap or Secret `name`. */
export function podMountsConfig(pod: Pick<Pod, 'spec'>, kind: 'ConfigMap' | 'Secret', name: string): boolean {
  const refs = volumeConfigReferences(pod);
  return (kind === 'ConfigMap' ? refs.configMaps : refs.secrets).includes(name);
}

/**
 * Every volume of the pod with what it holds. A missing required ConfigMap, Secret or key, or a downward API item
 * that cannot be read, fails with the kubelet's FailedMount text (operation_generator.go: `MountVolume.SetUp failed
 * for volume "x" : …`).
 */
export function resolvePodVolumes(input: PodVolumesInput): PodVolumesResult {
  const volumes: PodVolume[] = [];
  for (const volume of input.pod.spec?.volumes ?? []) {
    try {
      const resolved = resolveVolume(volume, input);
      if (resolved) volumes.push(resolved);
    } catch (err) {
      if (err instanceof MountError)
        return {
          ok: false,
          message: `MountVolume.SetUp failed for volume "${volume.name}" : ${err.message}`,
        };
      throw err;
    }
  }
  return { ok: true, volumes };
}

function resolveVolume(volume: Volume, input: PodVolumesInput): PodVolume | undefined {
  const name = volume.name;
  if (volume.emptyDir) {
    const limit = tryParseQuantity(volume.emptyDir.sizeLimit as string | number | undefined);
    return {
      name,
      type: 'emptyDir',
      medium: volume.emptyDir.medium === 'Memory' ? 'Memory' : '',
      ...(limit && toValue(limit) > 0n ? { sizeLimitBytes: Number(toValue(limit)) } : {}),
    };
  }
  if (volume.hostPath) {
    return { name, type: 'hostPath', path: volume.hostPath.path, hostPathType: volume.hostPath.type ?? '' };
  }
  if (volume.configMap) {
    const c = volume.configMap;
    const files = keyFiles(
      'configmap',
      c.name ?? '',
      input.lookups.configMaps,
      c.items,
      c.optional,
      c.defaultMode,
    );
    return { name, type: 'files', source: 'configMap', files };
  }
  if (volume.secret) {
    const s = volume.secret;
    const files = keyFiles(
      'secret',
      s.secretName ?? '',
      input.lookups.secrets,
      s.items,
      s.optional,
      s.defaultMode,
    );
    return { name, type: 'files', source: 'secret', files };
  }
  if (volume.downwardAPI) {
    const d = volume.downwardAPI;
    return {
      name,
      type: 'files',
      source: 'downwardAPI',
      files: downwardFiles(d.items ?? [], d.defaultMode, input),
    };
  }
  if (volume.projected) {
    const files: VolumeFile[] = [];
    for (const source of volume.projected.sources ?? [])
      files.push(...projectionFiles(source, volume.projected.defaultMode, input));
    return { name, type: 'files', source: 'projected', files: dedupe(files) };
  }
  return undefined; // other sources are refused at admission (support policy)
}

/** configmap.go / secret.go MakePayload. */
function keyFiles(
  resource: 'configmap' | 'secret',
  objectName: string,
  objects: EnvLookups['configMaps'],
  items: readonly KeyToPath[] | undefined,
  optional: boolean | undefined,
  defaultMode: number | undefined,
): VolumeFile[] {
  const data = Object.hasOwn(objects, objectName) ? objects[objectName] : undefined;
  if (data === undefined) {
    if (optional) return [];
    throw new MountError(`${resource} "${objectName}" not found`);
  }
  const mode = defaultMode ?? DEFAULT_VOLUME_FILE_MODE;
  if (!items || items.length === 0) {
    return Object.keys(data)
      .sort()
      .map((key) => ({ path: key, mode, content: data[key]! }));
  }
  const files: VolumeFile[] = [];
  for (const item of items) {
    if (!Object.hasOwn(data, item.key)) {
      if (optional) continue;
      throw new MountError(
        resource === 'configmap'
          ? `configmap references non-existent config key: ${item.key}`
          : `references non-existent secret key: ${item.key}`,
      );
    }
    files.push({ path: item.path, mode: item.mode ?? mode, content: data[item.key]! });
  }
  return files;
}

function downwardFiles(
  items: ReadonlyArray<NonNullable<NonNullable<Volume['downwardAPI']>['items']>[number]>,
  defaultMode: number | undefined,
  input: PodVolumesInput,
): VolumeFile[] {
  const container = input.pod.spec?.containers?.[0] ?? ({ name: '' } as Container);
  return items.map((item) => {
    const value = resolveDownwardValue(
      {
        pod: input.pod,
        container,
        lookups: input.lookups,
        ...(input.nodeName !== undefined && { nodeName: input.nodeName }),
        ...(input.podIPs !== undefined && { podIPs: input.podIPs }),
        ...(input.hostIPs !== undefined && { hostIPs: input.hostIPs }),
      },
      {
        ...(item.fieldRef && { fieldRef: item.fieldRef }),
        ...(item.resourceFieldRef && { resourceFieldRef: item.resourceFieldRef }),
      },
    );
    if (!value.ok) throw new MountError(value.message);
    return {
      path: item.path,
      mode: item.mode ?? defaultMode ?? DEFAULT_VOLUME_FILE_MODE,
      content: value.value,
    };
  });
}

/** projected.go collectData: each source as its own volume would, with the projected volume's defaultMode. */
function projectionFiles(
  source: VolumeProjection,
  defaultMode: number | undefined,
  input: PodVolumesInput,
): VolumeFile[] {
  if (source.configMap) {
    const c = source.configMap;
    return keyFiles('configmap', c.name ?? '', input.lookups.configMaps, c.items, c.optional, defaultMode);
  }
  if (source.secret) {
    const s = source.secret;
    return keyFiles('secret', s.name ?? '', input.lookups.secrets, s.items, s.optional, defaultMode);
  }
  if (source.downwardAPI) return downwardFiles(source.downwardAPI.items ?? [], defaultMode, input);
  return []; // serviceAccountToken and clusterTrustBundle are refused at admission
}

/** A later source's file replaces an earlier one at the same path (collectData fills one map). */
function dedupe(files: VolumeFile[]): VolumeFile[] {
  const byPath = new Map<string, VolumeFile>();
  for (const f of files) byPath.set(f.path, f);
  return [...byPath.values()];
}

export type ContainerMountsResult = { ok: true; mounts: ContainerMount[] } | { ok: false; message: string };

/**
 * kubelet_pods.go makeMounts: the container's volumeMounts with subPathExpr expanded against its environment
 * (an expansion that leaves an absolute path or `..` fails the start, as the kubelet's does), readOnly forced for
 * the volumes the kubelet writes.
 */
export function containerMounts(
  pod: Pick<Pod, 'spec'>,
  container: Pick<Container, 'volumeMounts' | 'name'>,
  env: readonly ResolvedEnvVar[],
): ContainerMountsResult {
  const byName = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const values = new Map(env.map((e) => [e.name, e.value]));
  const mounts: ContainerMount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const volume = byName.get(m.name);
    if (!volume) continue; // refused at admission
    let subPath = m.subPath ?? '';
    if (m.subPathExpr) {
      subPath = expandVariables(m.subPathExpr, (n) => values.get(n));
      if (subPath.startsWith('/') || subPath.split('/').includes('..'))
        return {
          ok: false,
          message: `failed to prepare subPath for volumeMount "${m.name}" of container "${container.name}"`,
        };
    }
    const written = !!(volume.configMap || volume.secret || volume.downwardAPI || volume.projected);
    mounts.push({
      volume: m.name,
      mountPath: m.mountPath,
      subPath,
      readOnly: written || m.readOnly === true,
    });
  }
  return { ok: true, mounts };
}

/**
 * The kubelet's emptyDir limit eviction (pkg/kubelet/eviction/eviction_manager.go emptyDirLimitEviction): a pod
 * whose emptyDir `volume` uses more than its sizeLimit is evicted with this message (helpers.go emptyDirMessageFmt,
 * trailing space included); undefined when the usage is within the limit or the volume has none.
 */
export function emptyDirEvictionMessage(
  pod: Pick<Pod, 'spec'>,
  volume: string,
  usedBytes: number,
): string | undefined {
  const v = pod.spec?.volumes?.find((x) => x.name === volume);
  const raw = v?.emptyDir?.sizeLimit as string | number | undefined;
  const limit = tryParseQuantity(raw);
  if (!limit || toValue(limit) <= 0n || BigInt(Math.floor(usedBytes)) <= toValue(limit)) return undefined;
  return `Usage of EmptyDir volume "${volume}" exceeds the limit "${String(raw)}". `;
}
