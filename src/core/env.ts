// A container's environment, command and args, reproduced from the kubelet:
//  - pkg/kubelet/kubelet_pods.go makeEnvironmentVariables, podFieldSelectorRuntimeValue, containerResourceRuntimeValue
//  - pkg/kubelet/kubelet_resources.go defaultPodLimitsForDownwardAPI (missing limits → pod-level limits / node allocatable)
//  - pkg/api/v1/resource/helpers.go ExtractContainerResourceValue, MergeContainerResourceLimits
//  - pkg/apis/core/pods/helpers.go ConvertDownwardAPIFieldLabel, pkg/fieldpath/fieldpath.go ExtractFieldPathAsString
//  - third_party/forked/golang/expansion/expand.go Expand, MappingFuncFor
//  - pkg/kubelet/container/helpers.go ExpandContainerCommandAndArgs
//
// Order of evaluation (makeEnvironmentVariables):
//   1. envFrom sources in order; each key (with the source's prefix) is set as is — not expanded. A later source
//      overrides an earlier one.
//   2. env entries in order: a non-empty `value` is expanded against what is set so far (envFrom values and
//      earlier entries, so a forward reference stays literal); otherwise `valueFrom` is resolved and NOT expanded.
//      An entry overrides an earlier one of the same name.
//   3. command and args are expanded against the final environment.
// A missing required ConfigMap/Secret or key, or an unusable field/resource selector, fails the whole container
// with the kubelet's error text; the kubelet then reports the container waiting with reason
// `CreateContainerConfigError` and that text as message (kuberuntime_container.go startContainer).
//
// Not reproduced: service-link variables (`<SVC>_SERVICE_HOST`…, KUBERNETES_SERVICE_*) — there is no cluster and no
// Service; `fileKeyRef` (alpha EnvFiles). Upstream builds the final list from a Go map (random order); here the
// order is deterministic: first-definition order, keys of one envFrom source sorted (the API serializes maps sorted).

import type {
  Container,
  EnvFromSource,
  EnvVarSource,
  ObjectFieldSelector,
  Pod,
  ResourceFieldSelector,
} from 'kubernetes-types/core/v1';
import { effectiveRequests } from './qos.ts';
import type { PodSpecWithResources, ResourceList } from './qos.ts';
import { QuantityParseError, parseQuantity, toMilli, toValue } from './quantity.ts';
import type { Quantity } from './quantity.ts';

/** ConfigMaps and Secrets of the pod's namespace by name; Secret values already base64-decoded. */
export interface EnvLookups {
  configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * What stands in for the node when no limit is set: `resourceFieldRef` on limits.cpu / limits.memory /
 * limits.ephemeral-storage of a container without that limit reports the node's allocatable (kubelet
 * defaultPodLimitsForDownwardAPI). podflow has no node object, so callers should pass the real capacity of the
 * machine or sandbox that runs the pod; this is only the fallback.
 */
export const DEFAULT_NODE_ALLOCATABLE: Readonly<ResourceList> = {
  cpu: '2',
  memory: '4Gi',
  'ephemeral-storage': '20Gi',
};

export interface ContainerEnvironmentInput {
  pod: Pod;
  container: Container;
  lookups: EnvLookups;
  /** Used for fieldRef spec.nodeName when the pod has no spec.nodeName. */
  nodeName?: string;
  /** Pod IPs, first one primary; defaults to status.podIPs, then status.podIP. */
  podIPs?: readonly string[];
  /** Host IPs, first one primary (upstream reads them from the node); defaults to status.hostIPs, then status.hostIP. */
  hostIPs?: readonly string[];
  /** Node allocatable used for unset limits; defaults to DEFAULT_NODE_ALLOCATABLE. */
  nodeAllocatable?: ResourceList;
}

export interface ResolvedEnvVar {
  name: string;
  value: string;
}

/** Reason the kubelet gives a container whose config could not be generated (kuberuntime ErrCreateContainerConfig). */
export const CREATE_CONTAINER_CONFIG_ERROR = 'CreateContainerConfigError';

export type ContainerEnvironment =
  | {
      ok: true;
      env: ResolvedEnvVar[];
      /** Expanded command; empty when the container sets none (the image ENTRYPOINT applies). */
      command: string[];
      /** Expanded args; empty when the container sets none (the image CMD applies). */
      args: string[];
    }
  | { ok: false; reason: typeof CREATE_CONTAINER_CONFIG_ERROR; message: string };

const OPERATOR = '$';
const REFERENCE_OPENER = '(';
const REFERENCE_CLOSER = ')';

/**
 * expand.go Expand with MappingFuncFor semantics: `$(NAME)` is replaced by lookup(NAME), or kept as written when
 * lookup returns undefined; `$$` is an escaped `$` (so `$$(X)` yields the literal `$(X)`); `$` followed by anything
 * else, an unterminated `$(…`, or a final `$` stay as written. Names are not validated: `$(A$(B)` reads the name
 * `A$(B`. Values substituted are not expanded again.
 */
export function expandVariables(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== OPERATOR || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    // tryReadVariableName on input[cursor+1:]; `advance` counts the characters consumed after the operator.
    const next = input.codePointAt(cursor + 1)!;
    const nextChar = String.fromCodePoint(next);
    let advance: number;
    if (nextChar === OPERATOR) {
      out += OPERATOR; // escaped operator
      advance = 1;
    } else if (nextChar === REFERENCE_OPENER) {
      const close = input.indexOf(REFERENCE_CLOSER, cursor + 2);
      if (close === -1) {
        out += OPERATOR + REFERENCE_OPENER; // incomplete reference: emit `$(` and rescan after it
        advance = 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `${OPERATOR}${REFERENCE_OPENER}${name}${REFERENCE_CLOSER}`;
        advance = close - cursor;
      }
    } else {
      out += OPERATOR + nextChar; // not an expression: the operator and the next rune pass through
      advance = nextChar.length;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** Thrown inside this module only; becomes the CreateContainerConfigError message. */
class EnvConfigError extends Error {}

/** A variable whose optional source is missing is left out (the kubelet's `continue`). */
const OMIT = Symbol('omit');

function notFound(resource: 'configmap' | 'secret', name: string): EnvConfigError {
  // apierrors.NewNotFound(corev1.Resource("configmap"|"secret"), name), as the kubelet's watch-based managers return it.
  return new EnvConfigError(`${resource} "${name}" not found`);
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * validation.go IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation, GA in 1.34): non-empty, printable ASCII,
 * no `=`. The current kubelet no longer filters envFrom keys at all (issue kubernetes#130099: the
 * InvalidEnvironmentVariableNames event is gone) because every legal ConfigMap/Secret key and prefix passes this
 * rule; podflow's lookups are not API-validated, so a key failing it (which no runtime could set) is skipped.
 */
function isRelaxedEnvVarName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x3d) return false;
  }
  return true;
}

interface Context {
  input: ContainerEnvironmentInput;
  namespace: string;
  podIPs: readonly string[];
  hostIPs: readonly string[];
}

/** The container's environment, command and args as the kubelet would hand them to the runtime. */
/** The ConfigMaps and Secrets a container's environment refers to (by name, each once), for the lookups. */
export function configReferences(container: Container): { configMaps: string[]; secrets: string[] } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) configMaps.add(source.configMapRef.name ?? '');
    if (source.secretRef) secrets.add(source.secretRef.name ?? '');
  }
  for (const { valueFrom } of container.env ?? []) {
    if (valueFrom?.configMapKeyRef) configMaps.add(valueFrom.configMapKeyRef.name ?? '');
    if (valueFrom?.secretKeyRef) secrets.add(valueFrom.secretKeyRef.name ?? '');
  }
  return { configMaps: [...configMaps], secrets: [...secrets] };
}

export function resolveContainerEnvironment(input: ContainerEnvironmentInput): ContainerEnvironment {
  const { pod, container } = input;
  const status = pod.status ?? {};
  const ctx: Context = {
    input,
    namespace: pod.metadata?.namespace || 'default',
    podIPs: input.podIPs ?? ipList(status.podIPs, status.podIP),
    hostIPs: input.hostIPs ?? ipList(status.hostIPs, status.hostIP),
  };
  const env = new Map<string, string>();
  try {
    for (const source of container.envFrom ?? []) addEnvFrom(env, source, ctx);
    const lookup = (name: string): string | undefined => env.get(name);
    for (const envVar of container.env ?? []) {
      let value: string | typeof OMIT;
      if (envVar.value !== undefined && envVar.value !== '') value = expandVariables(envVar.value, lookup);
      else if (envVar.valueFrom !== undefined) value = resolveValueFrom(envVar.valueFrom, ctx);
      else value = '';
      if (value !== OMIT) env.set(envVar.name, value);
    }
  } catch (err) {
    if (err instanceof EnvConfigError)
      return { ok: false, reason: CREATE_CONTAINER_CONFIG_ERROR, message: err.message };
    throw err;
  }
  const lookup = (name: string): string | undefined => env.get(name);
  return {
    ok: true,
    env: [...env].map(([name, value]) => ({ name, value })),
    command: (container.command ?? []).map((s) => expandVariables(s, lookup)),
    args: (container.args ?? []).map((s) => expandVariables(s, lookup)),
  };
}

/**
 * One downwardAPI volume item's value (pkg/volume/downwardapi/downwardapi.go CollectData: fieldpath.ExtractFieldPathAsString
 * for fieldRef, resource.ExtractResourceValueByContainerNameAndNodeAllocatable for resourceFieldRef), with the same
 * rules and error texts as the env's valueFrom.
 */
export function resolveDownwardValue(
  input: ContainerEnvironmentInput,
  source: { fieldRef?: ObjectFieldSelector; resourceFieldRef?: ResourceFieldSelector },
): { ok: true; value: string } | { ok: false; message: string } {
  const pod = input.pod;
  const ctx: Context = {
    input,
    namespace: pod.metadata?.namespace || 'default',
    podIPs: input.podIPs ?? ipList(pod.status?.podIPs, pod.status?.podIP),
    hostIPs: input.hostIPs ?? ipList(pod.status?.hostIPs, pod.status?.hostIP),
  };
  try {
    if (source.fieldRef) return { ok: true, value: podFieldValue(source.fieldRef, ctx) };
    if (source.resourceFieldRef)
      return { ok: true, value: containerResourceValue(source.resourceFieldRef, ctx) };
    return { ok: true, value: '' };
  } catch (err) {
    if (err instanceof EnvConfigError) return { ok: false, message: err.message };
    throw err;
  }
}

function ipList(list: ReadonlyArray<{ ip?: string }> | undefined, single: string | undefined): string[] {
  const ips = (list ?? []).map((entry) => entry.ip ?? '').filter((ip) => ip !== '');
  if (ips.length > 0) return ips;
  return single ? [single] : [];
}

function addEnvFrom(env: Map<string, string>, source: EnvFromSource, ctx: Context): void {
  const ref = source.configMapRef ?? source.secretRef;
  if (ref === undefined) return;
  const kind = source.configMapRef !== undefined ? 'configmap' : 'secret';
  const name = ref.name ?? '';
  const data = own(kind === 'configmap' ? ctx.input.lookups.configMaps : ctx.input.lookups.secrets, name);
  if (data === undefined) {
    if (ref.optional === true) return;
    throw notFound(kind, name);
  }
  for (const key of Object.keys(data).sort()) {
    const envName = (source.prefix ?? '') + key;
    if (isRelaxedEnvVarName(envName)) env.set(envName, data[key]!);
  }
}

function resolveValueFrom(source: EnvVarSource, ctx: Context): string | typeof OMIT {
  if (source.fieldRef !== undefined) return podFieldValue(source.fieldRef, ctx);
  if (source.resourceFieldRef !== undefined) return containerResourceValue(source.resourceFieldRef, ctx);
  if (source.configMapKeyRef !== undefined) return keyRefValue('configmap', source.configMapKeyRef, ctx);
  if (source.secretKeyRef !== undefined) return keyRefValue('secret', source.secretKeyRef, ctx);
  return '';
}

function keyRefValue(
  kind: 'configmap' | 'secret',
  ref: { name?: string; key: string; optional?: boolean },
  ctx: Context,
): string | typeof OMIT {
  const name = ref.name ?? '';
  const optional = ref.optional === true;
  const data = own(kind === 'configmap' ? ctx.input.lookups.configMaps : ctx.input.lookups.secrets, name);
  if (data === undefined) {
    if (optional) return OMIT;
    throw notFound(kind, name);
  }
  const value = own(data, ref.key);
  if (value === undefined) {
    if (optional) return OMIT;
    const kindText = kind === 'configmap' ? 'ConfigMap' : 'Secret';
    throw new EnvConfigError(`couldn't find key ${ref.key} in ${kindText} ${ctx.namespace}/${name}`);
  }
  return value;
}

/** pods/helpers.go ConvertDownwardAPIFieldLabel: the labels a v1 pod field selector may name. */
export const FIELD_LABELS: ReadonlySet<string> = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

/** fieldpath.go SplitMaybeSubscriptedPath: `metadata.labels['key']` → ['metadata.labels', 'key']. */
function splitSubscriptedPath(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const trimmed = fieldPath.slice(0, -2);
  const at = trimmed.indexOf("['");
  if (at <= 0) return undefined;
  return [trimmed.slice(0, at), trimmed.slice(at + 2)];
}

/** fieldpath.go FormatMap: `key="value"` lines, keys sorted, values quoted like Go's %q. */
function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map![key])}`)
    .join('\n');
}

function podFieldValue(selector: ObjectFieldSelector, ctx: Context): string {
  const { pod } = ctx.input;
  const version = selector.apiVersion || 'v1'; // defaults.go: fieldRef.apiVersion defaults to "v1"
  if (version !== 'v1') throw new EnvConfigError(`unsupported pod version: ${version}`);
  const fieldPath = selector.fieldPath;
  const subscripted = splitSubscriptedPath(fieldPath);
  if (subscripted !== undefined) {
    const [path, key] = subscripted;
    if (path === 'metadata.annotations') return own(pod.metadata?.annotations ?? {}, key) ?? '';
    if (path === 'metadata.labels') return own(pod.metadata?.labels ?? {}, key) ?? '';
    throw new EnvConfigError(`field label does not support subscript: ${fieldPath}`);
  }
  const label = fieldPath === 'spec.host' ? 'spec.nodeName' : fieldPath; // old v1 clients sent spec.host
  if (!FIELD_LABELS.has(label)) throw new EnvConfigError(`field label not supported: ${fieldPath}`);
  switch (label) {
    case 'spec.nodeName':
      return pod.spec?.nodeName || ctx.input.nodeName || '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return ctx.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return ctx.hostIPs.join(',');
    case 'status.podIP':
      return ctx.podIPs[0] ?? '';
    case 'status.podIPs':
      return ctx.podIPs.join(',');
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return ctx.namespace;
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    default:
      // spec.restartPolicy, spec.schedulerName, status.phase pass the label check but the kubelet cannot read them.
      throw new EnvConfigError(`unsupported fieldPath: ${label}`);
  }
}

/** Resources whose unset (or zero) limit the kubelet replaces for the downward API (MergeContainerResourceLimits). */
const DEFAULTED_LIMITS = ['cpu', 'memory', 'ephemeral-storage'] as const;
/** Resources pod-level limits can set (resourcehelper.IsSupportedPodLevelResource). */
const POD_LEVEL_RESOURCES = new Set(['cpu', 'memory']);

const ONE: Quantity = { nanos: 1_000_000_000n, format: 'DecimalSI' };
const ZERO: Quantity = { nanos: 0n, format: 'DecimalSI' };

function quantityOf(raw: string | number | undefined): Quantity {
  if (raw === undefined) return ZERO; // ResourceList.Cpu() etc. return a zero quantity when absent
  try {
    return parseQuantity(raw);
  } catch (err) {
    if (err instanceof QuantityParseError) throw new EnvConfigError(err.message);
    throw err;
  }
}

/** Ceiling of a / b (Go: int64(math.Ceil(float64(a) / float64(b)))), exactly. */
function ceilDivide(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n === b < 0n ? q + 1n : q;
}

/** kubelet_resources.go defaultPodLimitsForDownwardAPI: the limits a container shows to the downward API. */
function downwardApiLimits(container: Container, ctx: Context): ResourceList {
  const allocatable: ResourceList = { ...(ctx.input.nodeAllocatable ?? DEFAULT_NODE_ALLOCATABLE) };
  const podLimits = (ctx.input.pod.spec as PodSpecWithResources | undefined)?.resources?.limits ?? {};
  for (const [name, value] of Object.entries(podLimits)) {
    // Pod-level limits (KEP-2837) stand in for node allocatable when they are set.
    if (POD_LEVEL_RESOURCES.has(name) && quantityOf(value).nanos !== 0n) allocatable[name] = value;
  }
  const limits: ResourceList = { ...(container.resources?.limits ?? {}) };
  for (const name of DEFAULTED_LIMITS) {
    const current = limits[name] as string | number | undefined;
    if ((current === undefined || quantityOf(current).nanos === 0n) && allocatable[name] !== undefined)
      limits[name] = allocatable[name];
  }
  return limits;
}

function findContainer(ctx: Context, name: string): Container {
  const spec = ctx.input.pod.spec;
  const found = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].find((c) => c.name === name);
  if (found === undefined) throw new EnvConfigError(`container ${name} not found`);
  return found;
}

/**
 * helpers.go ExtractContainerResourceValue: `limits.<r>` / `requests.<r>` of the container (or of
 * `containerName`), divided by the divisor (default and zero mean 1) and rounded up: cpu in milli-units
 * (ceil(MilliValue / divisor.MilliValue), so `250m` with divisor 1 is 1), others in whole units
 * (ceil(Value / divisor.Value)). Requests are read after API defaulting (requests default to limits).
 */
function containerResourceValue(selector: ResourceFieldSelector, ctx: Context): string {
  const container = selector.containerName ? findContainer(ctx, selector.containerName) : ctx.input.container;
  const divisorRaw = selector.divisor as string | number | undefined;
  const parsedDivisor = divisorRaw === undefined ? ONE : quantityOf(divisorRaw);
  const divisor = parsedDivisor.nanos === 0n ? ONE : parsedDivisor;
  const dot = selector.resource.indexOf('.');
  const side = selector.resource.slice(0, dot);
  const resource = selector.resource.slice(dot + 1);
  const supported =
    dot > 0 &&
    (side === 'limits' || side === 'requests') &&
    (resource === 'cpu' ||
      resource === 'memory' ||
      resource === 'ephemeral-storage' ||
      resource.startsWith('hugepages-'));
  if (!supported) throw new EnvConfigError(`unsupported container resource : ${selector.resource}`);
  const list = side === 'limits' ? downwardApiLimits(container, ctx) : effectiveRequests(container);
  const quantity = quantityOf(list[resource] as string | number | undefined);
  const result =
    resource === 'cpu'
      ? ceilDivide(toMilli(quantity), toMilli(divisor))
      : ceilDivide(toValue(quantity), toValue(divisor));
  return result.toString();
}
