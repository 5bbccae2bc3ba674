// Static pods: pods the node runs from manifest files in a directory rather than from the API (`podflow serve
// --static-pod-path DIR`), shown in the API as mirror pods. The decisions of the kubelet's file source and mirror
// handling, as pure functions: which files are manifests (pkg/kubelet/config/file.go extractFromDir,
// file_linux.go produceWatchEvent), how a manifest becomes the static pod (pkg/kubelet/config/common.go
// applyDefaults: name suffixed with the node name, uid = the config hash, spec.nodeName, the NoExecute toleration),
// what its mirror carries (pkg/kubelet/pod/mirror_client.go CreateMirrorPod: the config.mirror annotation and a
// controller ownerReference to the Node), and what to do with the pods that exist (pkg/kubelet/kubelet.go
// HandlePodAdditions/Updates/Removes: a changed hash is a different pod, so the old one is killed and the new one
// started; a file that went means its pod goes).
import type { Pod, Toleration } from 'kubernetes-types/core/v1';
import { admitManifestObject } from './manifest/index.ts';
import { formatManifestError, parseManifests } from './manifest/parse-manifests.ts';
import { isPlainObject } from './manifest/kinds.ts';
import { toRfc3339 } from './time.ts';

/** kubelet types.ConfigHashAnnotationKey: the static pod's uid, a hash of its manifest, its file and the node. */
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
/** kubelet types.ConfigMirrorAnnotationKey: on a mirror pod, the hash of the static pod it mirrors. */
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
/** kubelet types.ConfigSourceAnnotationKey: where the pod came from (`file` here; `api` for API pods). */
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
/** kubelet types.ConfigFirstSeenAnnotationKey: when the kubelet first saw the pod. */
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
/** kubelet types.FileSource. */
export const FILE_SOURCE = 'file';

/**
 * How often the directory is read again besides the change notifications: the kubelet's fileCheckFrequency
 * (KubeletConfiguration, default 20 s), which also catches a change a notification missed.
 */
export const DEFAULT_STATIC_POD_RESCAN_MS = 20_000;

/** The file names that hold manifests. */
export const STATIC_POD_MANIFEST_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/**
 * Whether a directory entry is a manifest: not a dotfile — the kubelet globs `[^.]*` (file.go extractFromDir) and its
 * watch ignores names starting with a dot (file_linux.go produceWatchEvent), which is what makes "write a dotfile,
 * then rename it" an atomic update — and named like one. The kubelet reads every other regular file; podflow reads
 * YAML and JSON files only, so an editor's backup (`pod.yaml~`) or a README in the directory is not a broken pod.
 */
export function isStaticPodManifestName(fileName: string): boolean {
  if (fileName.startsWith('.')) return false;
  const lower = fileName.toLowerCase();
  return STATIC_POD_MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext) && lower.length > ext.length);
}

/** common.go generatePodName: unique among nodes by appending the node name. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

/** mirror_client.go IsMirrorPod: a pod with the config.mirror annotation. */
export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
}

/** The config hash of a static pod from a file (undefined: not one). */
export function staticPodHash(pod: Pod): string | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[CONFIG_SOURCE_ANNOTATION] !== FILE_SOURCE) return undefined;
  return annotations[CONFIG_HASH_ANNOTATION];
}

/** JSON with sorted keys: the same object always gives the same text, whatever the order of its fields. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * What the config hash is taken over (the caller digests it; the core does no hashing): the node, the file and the
 * decoded object, as common.go applyDefaults feeds md5 `host:<node>`, `file:<path>` and DeepHashObject(pod). The
 * object, not the text: a comment or a reordering in the file changes nothing, a changed field makes a new pod.
 */
export function staticPodHashInput(nodeName: string, path: string, object: Record<string, unknown>): string {
  return `host:${nodeName}file:${path}${canonicalJson(object)}`;
}

export type ParsedStaticPodFile =
  { ok: true; object: Record<string, unknown> } | { ok: false; errors: string[] };

/**
 * Reads one manifest file: it must hold exactly one object (file.go extractFromFile decodes a single pod; a List or
 * several documents are refused).
 */
export function parseStaticPodFile(text: string, path: string): ParsedStaticPodFile {
  const parsed = parseManifests(text, path);
  if (parsed.errors.length > 0) return { ok: false, errors: parsed.errors.map(formatManifestError) };
  if (parsed.objects.length !== 1 || parsed.objects[0]!.item !== undefined)
    return {
      ok: false,
      errors: [
        `${path}: a static pod manifest holds exactly one Pod (found ${parsed.objects.length === 0 ? 'no object' : 'several'})`,
      ],
    };
  return { ok: true, object: parsed.objects[0]!.object };
}

export interface StaticPodContext {
  path: string;
  nodeName: string;
  /** The Node's uid, for the mirror's ownerReference. */
  nodeUid: string;
  /** The config hash (digest of staticPodHashInput): the pod's uid. */
  hash: string;
  now: number;
}

export type AdmittedStaticPod = { ok: true; pod: Pod } | { ok: false; errors: string[] };

/** helper.AddOrUpdateTolerationInPod with {operator: Exists, effect: NoExecute}: not evicted on node problems. */
const NO_EXECUTE_TOLERATION: Toleration = { operator: 'Exists', effect: 'NoExecute' };

/**
 * The static pod a manifest describes, as its mirror shows it: common.go applyDefaults (name `<name>-<node>`,
 * namespace `default` when empty, uid and config.hash = the hash, spec.nodeName, the NoExecute toleration,
 * config.source/config.seen) and mirror_client.go CreateMirrorPod (config.mirror = the hash, one controller
 * ownerReference to the Node), then the API server's defaulting and validation of any pod.
 */
export function admitStaticPod(object: Record<string, unknown>, ctx: StaticPodContext): AdmittedStaticPod {
  if (object.kind !== 'Pod' || object.apiVersion !== 'v1')
    return {
      ok: false,
      errors: [
        `${ctx.path}: a static pod manifest must be a v1 Pod (found ${String(object.apiVersion ?? '?')} ${String(object.kind ?? '?')})`,
      ],
    };
  const metadata = isPlainObject(object.metadata) ? object.metadata : {};
  const spec = isPlainObject(object.spec) ? object.spec : undefined;
  if (typeof metadata.name !== 'string' || metadata.name === '')
    return { ok: false, errors: [`${ctx.path}: metadata.name: Required value`] };
  const annotations = isPlainObject(metadata.annotations) ? metadata.annotations : {};
  const tolerations = spec && Array.isArray(spec.tolerations) ? (spec.tolerations as unknown[]) : [];
  const tolerated = tolerations.some(
    (t) => isPlainObject(t) && t.operator === 'Exists' && t.effect === 'NoExecute' && t.key === undefined,
  );
  const raw: Record<string, unknown> = {
    ...object,
    metadata: {
      ...metadata,
      name: staticPodName(metadata.name, ctx.nodeName),
      namespace:
        typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default',
      uid: ctx.hash,
      annotations: {
        ...annotations,
        [CONFIG_HASH_ANNOTATION]: ctx.hash,
        [CONFIG_MIRROR_ANNOTATION]: ctx.hash,
        [CONFIG_SOURCE_ANNOTATION]: FILE_SOURCE,
        [CONFIG_SEEN_ANNOTATION]: toRfc3339(ctx.now),
      },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Node', name: ctx.nodeName, uid: ctx.nodeUid, controller: true },
      ],
    },
    ...(spec
      ? {
          spec: {
            ...spec,
            nodeName: ctx.nodeName,
            tolerations: tolerated ? tolerations : [...tolerations, NO_EXECUTE_TOLERATION],
          },
        }
      : {}),
  };
  const admitted = admitManifestObject(raw, ctx.path, {
    strict: false,
    now: ctx.now,
    newUid: () => ctx.hash,
  });
  if (!admitted.valid || !admitted.object)
    return { ok: false, errors: admitted.errors.map((e) => `${ctx.path}: ${e}`) };
  return { ok: true, pod: admitted.object as Pod };
}

/** A static pod a file asks for. */
export interface DesiredStaticPod {
  path: string;
  hash: string;
  pod: Pod;
}

/** A pod the store holds under a name a static pod may use. */
export interface ExistingPod {
  namespace: string;
  name: string;
  /** Its config hash when it is a static pod (staticPodHash). */
  hash: string | undefined;
  /** Its deletion is under way: wait for it to be gone. */
  deleting: boolean;
}

export interface StaticPodPlan {
  /** Start these (no pod of the name exists). */
  create: DesiredStaticPod[];
  /** Delete these gracefully: `changed` — its file now says something else (created again once gone), `gone` —
   * its file went. */
  remove: { namespace: string; name: string; reason: 'changed' | 'gone' }[];
  /** Files whose pod cannot run, with why. */
  conflicts: { path: string; message: string }[];
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * What to do to make the static pods the files ask for run, and only those (kubelet.go HandlePodAdditions,
 * HandlePodUpdates, HandlePodRemoves with the file source's SET semantics): a new file's pod is started; a file whose
 * hash changed is a different pod, so the old one is killed and the new one started once the old one is gone (they
 * share the name); a file that went takes its pod with it. Two files naming the same pod: the first path wins and
 * the other is reported (config.go filterInvalidPods: "duplicate pod name"). A pod of the name that is not a static
 * pod (made through the API) is left alone and reported.
 */
export function planStaticPods(
  desired: readonly DesiredStaticPod[],
  existing: readonly ExistingPod[],
): StaticPodPlan {
  const plan: StaticPodPlan = { create: [], remove: [], conflicts: [] };
  const byKey = new Map(existing.map((p) => [keyOf(p.namespace, p.name), p]));
  const wanted = new Map<string, DesiredStaticPod>();
  for (const d of [...desired].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const namespace = d.pod.metadata?.namespace ?? 'default';
    const name = d.pod.metadata?.name ?? '';
    const k = keyOf(namespace, name);
    const first = wanted.get(k);
    if (first) {
      plan.conflicts.push({
        path: d.path,
        message: `duplicate pod name ${JSON.stringify(name)}: pod ${k} is already defined in ${first.path}, ignoring`,
      });
      continue;
    }
    wanted.set(k, d);
    const current = byKey.get(k);
    if (!current) {
      plan.create.push(d);
      continue;
    }
    if (current.hash === undefined) {
      plan.conflicts.push({
        path: d.path,
        message: `pod ${k} exists and is not a static pod: delete it to let the static pod run`,
      });
      continue;
    }
    if (current.hash !== d.hash && !current.deleting)
      plan.remove.push({ namespace, name, reason: 'changed' });
  }
  for (const p of existing) {
    if (p.hash === undefined || p.deleting || wanted.has(keyOf(p.namespace, p.name))) continue;
    plan.remove.push({ namespace: p.namespace, name: p.name, reason: 'gone' });
  }
  return plan;
}
