// Defaulting of Pods and pod specs, as the API server applies it on create:
// - pkg/apis/core/v1/defaults.go (SetDefaults_PodSpec, SetDefaults_Pod, SetDefaults_Container, SetDefaults_Probe,
//   SetDefaults_HTTPGetAction, SetDefaults_Volume, …), called through the generated zz_generated.defaults.go;
// - the create path of the registry (staging/src/k8s.io/apiserver/pkg/registry/rest/create.go BeforeCreate and
//   pkg/registry/core/pod/strategy.go PrepareForCreate): uid, creationTimestamp, generation, a fresh status.
// Time and ids are parameters: the core reads no clock and draws no randomness.
// Every function returns a new object; the input is never mutated.
import type {
  Container,
  EnvVar,
  HTTPGetAction,
  LifecycleHandler,
  Pod,
  PodSpec,
  Probe,
  Volume,
} from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { computeQosClass } from '../qos.ts';
import { formatQuantity, tryParseQuantity } from '../quantity.ts';
import { toRfc3339 } from '../time.ts';
import { defaultImagePullPolicy } from './image-reference.ts';
import { DEFAULT_NAMESPACE } from './kinds.ts';
import { MANIFEST_SCHEMA } from './schema.generated.ts';
import { DEFAULT_TERMINATION_GRACE_SECONDS } from '../grace.ts';

/** What defaulting on create needs from outside the core. */
export interface CreateContext {
  /** Epoch milliseconds of the create (metadata.creationTimestamp). */
  now: number;
  /** A new unique id (metadata.uid). */
  newUid: () => string;
  /** Namespace for objects that name none (kubectl: the context's namespace). Default `default`. */
  namespace?: string;
  /**
   * Five random characters for `generateName` (names.SimpleNameGenerator). When absent, they are derived from the
   * object's new uid, which keeps the result deterministic for the caller.
   */
  newNameSuffix?: () => string;
}

/** core/v1 DefaultTerminationGracePeriodSeconds. */
/** core/v1 DefaultSchedulerName. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** core/v1 TerminationMessagePathDefault. */
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** SetDefaults_Probe. */
export const PROBE_DEFAULTS = {
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
} as const;
/** core/v1 SecretVolumeSourceDefaultMode, ConfigMapVolumeSourceDefaultMode, …: 0644. */
export const DEFAULT_VOLUME_MODE = 0o644;
/** core/v1 DefaultEnableServiceLinks. */
export const DEFAULT_ENABLE_SERVICE_LINKS = true;

/** names.SimpleNameGenerator: prefix cut to 58 characters, then 5 characters from this alphabet. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_NAME_LENGTH = 63;
const RANDOM_LENGTH = 5;

const clone = <T>(value: T): T => structuredClone(value);

/** kubernetes-types marks server-set metadata read-only; the create path is what sets them. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Five generateName characters derived from a uid (FNV-1a over its text), when no suffix source is given. */
function suffixFromUid(uid: string): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; round < RANDOM_LENGTH; round++) {
    for (const ch of `${uid}#${round}`) {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += NAME_ALPHABET[h % NAME_ALPHABET.length];
  }
  return out;
}

/**
 * The system fields every created object gets (rest.BeforeCreate + FillObjectMetaSystemFields): namespace,
 * a name from generateName, a new uid, creationTimestamp, generation 1; deletion fields cleared.
 */
export function defaultObjectMetaForCreate(meta: ObjectMeta | undefined, ctx: CreateContext): ObjectMeta {
  const out: Mutable<ObjectMeta> = clone(meta ?? {});
  if (!out.namespace) out.namespace = ctx.namespace ?? DEFAULT_NAMESPACE;
  const uid = ctx.newUid();
  if (!out.name && out.generateName) {
    const prefix = out.generateName.slice(0, MAX_GENERATED_NAME_LENGTH - RANDOM_LENGTH);
    out.name = prefix + (ctx.newNameSuffix ? ctx.newNameSuffix() : suffixFromUid(uid));
  }
  out.uid = uid;
  out.creationTimestamp = toRfc3339(ctx.now);
  out.generation = 1;
  delete out.deletionTimestamp;
  delete out.deletionGracePeriodSeconds;
  delete out.selfLink;
  return out;
}

/** SetDefaults_HTTPGetAction: path `/`, scheme HTTP. */
function defaultHttpGet(action: HTTPGetAction): HTTPGetAction {
  return { ...action, path: action.path || '/', scheme: action.scheme || 'HTTP' };
}

/** SetDefaults_Probe (+ its httpGet). A 0 counts as unset, as in Go. */
function defaultProbe(probe: Probe): Probe {
  const out: Probe = { ...probe };
  out.timeoutSeconds = probe.timeoutSeconds || PROBE_DEFAULTS.timeoutSeconds;
  out.periodSeconds = probe.periodSeconds || PROBE_DEFAULTS.periodSeconds;
  out.successThreshold = probe.successThreshold || PROBE_DEFAULTS.successThreshold;
  out.failureThreshold = probe.failureThreshold || PROBE_DEFAULTS.failureThreshold;
  if (probe.httpGet) out.httpGet = defaultHttpGet(probe.httpGet);
  return out;
}

function defaultLifecycleHandler(handler: LifecycleHandler): LifecycleHandler {
  return handler.httpGet ? { ...handler, httpGet: defaultHttpGet(handler.httpGet) } : handler;
}

/** SetDefaults_ObjectFieldSelector: fieldRef.apiVersion `v1`. */
function defaultEnvVar(env: EnvVar): EnvVar {
  if (!env.valueFrom?.fieldRef) return env;
  return {
    ...env,
    valueFrom: { ...env.valueFrom, fieldRef: { apiVersion: 'v1', ...env.valueFrom.fieldRef } },
  };
}

/**
 * SetDefaults_ResourceList: every quantity rounded up to milli-units (`0.1m` → `1m`), "to maintain API
 * compatibility" (upstream TODO #18538).
 */
function roundResourceList(list: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!list) return list;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(list)) {
    const q = tryParseQuantity(value);
    if (!q) {
      out[name] = value;
      continue;
    }
    const step = 1_000_000n; // nano-units per milli-unit
    const rem = q.nanos % step;
    const nanos = rem === 0n ? q.nanos : q.nanos > 0n ? q.nanos - rem + step : q.nanos - rem;
    out[name] = formatQuantity({ nanos, format: q.format });
  }
  return out;
}

/** SetDefaults_Container and what the generated defaulters apply inside a container. */
export function defaultContainer(container: Container): Container {
  const c: Container = clone(container);
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultImagePullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = DEFAULT_TERMINATION_MESSAGE_PATH;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  if (c.ports) c.ports = c.ports.map((p) => ({ ...p, protocol: p.protocol || 'TCP' })); // SetDefaults_ContainerPort
  if (c.env) c.env = c.env.map(defaultEnvVar);
  if (c.resources) {
    const limits = roundResourceList(c.resources.limits);
    const requests = roundResourceList(c.resources.requests);
    c.resources = { ...c.resources, ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) };
  }
  if (c.livenessProbe) c.livenessProbe = defaultProbe(c.livenessProbe);
  if (c.readinessProbe) c.readinessProbe = defaultProbe(c.readinessProbe);
  if (c.startupProbe) c.startupProbe = defaultProbe(c.startupProbe);
  if (c.lifecycle) {
    c.lifecycle = { ...c.lifecycle };
    if (c.lifecycle.postStart) c.lifecycle.postStart = defaultLifecycleHandler(c.lifecycle.postStart);
    if (c.lifecycle.preStop) c.lifecycle.preStop = defaultLifecycleHandler(c.lifecycle.preStop);
  }
  return c;
}

/** Every volume source field of core/v1 Volume (all but `name`), from the generated schema. */
const VOLUME_SOURCE_FIELDS = Object.keys(MANIFEST_SCHEMA.V1Volume ?? {}).filter((k) => k !== 'name');

/** SetDefaults_Volume and the volume-source defaulters that apply to the sources podflow can meet. */
function defaultVolume(volume: Volume): Volume {
  const v = clone(volume) as Volume & Record<string, unknown>;
  // "if all pointer fields are nil": a volume with no source is an emptyDir.
  if (!VOLUME_SOURCE_FIELDS.some((k) => v[k] !== undefined)) v.emptyDir = {};
  if (v.secret && v.secret.defaultMode === undefined) v.secret.defaultMode = DEFAULT_VOLUME_MODE;
  if (v.configMap && v.configMap.defaultMode === undefined) v.configMap.defaultMode = DEFAULT_VOLUME_MODE;
  if (v.downwardAPI) {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DEFAULT_VOLUME_MODE;
    v.downwardAPI.items = v.downwardAPI.items?.map((item) =>
      item.fieldRef ? { ...item, fieldRef: { apiVersion: 'v1', ...item.fieldRef } } : item,
    );
    if (v.downwardAPI.items === undefined) delete v.downwardAPI.items;
  }
  if (v.projected) {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = DEFAULT_VOLUME_MODE;
    for (const source of v.projected.sources ?? []) {
      if (source.serviceAccountToken && source.serviceAccountToken.expirationSeconds === undefined) {
        source.serviceAccountToken.expirationSeconds = 3600; // SetDefaults_ServiceAccountTokenProjection
      }
      for (const item of source.downwardAPI?.items ?? []) {
        if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
      }
    }
  }
  if (v.hostPath && v.hostPath.type === undefined) v.hostPath.type = ''; // SetDefaults_HostPathVolumeSource: HostPathUnset
  return v;
}

/**
 * Defaults of any pod spec — a Pod's, or a Job/CronJob template's (SetDefaults_PodSpec and the nested defaulters):
 * dnsPolicy ClusterFirst, restartPolicy Always, securityContext {}, terminationGracePeriodSeconds 30,
 * schedulerName default-scheduler, container/probe/port/volume defaults.
 */
export function defaultPodSpec(spec: PodSpec | undefined): PodSpec {
  const s: PodSpec = clone(spec ?? ({} as PodSpec));
  if (!s.dnsPolicy) s.dnsPolicy = 'ClusterFirst';
  if (!s.restartPolicy) s.restartPolicy = 'Always';
  if (!s.securityContext) s.securityContext = {};
  if (s.terminationGracePeriodSeconds === undefined)
    s.terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_SECONDS;
  if (!s.schedulerName) s.schedulerName = DEFAULT_SCHEDULER_NAME;
  if (s.volumes) s.volumes = s.volumes.map(defaultVolume);
  if (s.initContainers) s.initContainers = s.initContainers.map(defaultContainer);
  s.containers = (s.containers ?? []).map(defaultContainer);
  if (s.ephemeralContainers)
    s.ephemeralContainers = s.ephemeralContainers.map((c) => defaultContainer(c as Container));
  return s;
}

/**
 * SetDefaults_Pod — the part that applies to Pods only, not to templates ("we only want this defaulting semantic to
 * take place on a v1.Pod and not a v1.PodTemplate"): requests default to limits, enableServiceLinks true, and with
 * hostNetwork every container port's hostPort defaults to its containerPort.
 */
function defaultPodOnlyFields(spec: PodSpec): PodSpec {
  const s = spec;
  const requestsFromLimits = (c: Container): Container => {
    const limits = c.resources?.limits;
    if (!limits) return c;
    const requests = { ...limits, ...(c.resources?.requests ?? {}) };
    return { ...c, resources: { ...c.resources, requests } };
  };
  s.containers = s.containers.map(requestsFromLimits);
  if (s.initContainers) s.initContainers = s.initContainers.map(requestsFromLimits);
  if (s.enableServiceLinks === undefined) s.enableServiceLinks = DEFAULT_ENABLE_SERVICE_LINKS;
  if (s.hostNetwork) {
    const hostPorts = (c: Container): Container =>
      c.ports ? { ...c, ports: c.ports.map((p) => ({ ...p, hostPort: p.hostPort || p.containerPort })) } : c;
    s.containers = s.containers.map(hostPorts);
    if (s.initContainers) s.initContainers = s.initContainers.map(hostPorts);
  }
  return s;
}

/**
 * A Pod as the API server stores it after create: metadata system fields, every spec default, and a fresh status
 * (pod strategy PrepareForCreate: `phase: Pending` and the QoS class; whatever status the manifest carried is dropped).
 */
export function defaultPod(pod: Pod, ctx: CreateContext): Pod {
  const spec = defaultPodOnlyFields(defaultPodSpec(pod.spec));
  return {
    ...clone(pod),
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: defaultObjectMetaForCreate(pod.metadata, ctx),
    spec,
    status: { phase: 'Pending', qosClass: computeQosClass(spec) },
  };
}
