// Pod and pod-template validation with the API server's texts, reproduced from
// pkg/apis/core/validation/validation.go (Kubernetes 1.34): ValidatePodCreate, ValidatePodSpec,
// ValidatePodTemplateSpec and the container, probe, port, env, volume and resource checks they call.
// It runs on the defaulted object, as the API server does (decode → default → validate), and collects every error.
//
// Not reproduced (the fields are warned about or rejected by support-policy.ts instead): affinity,
// topologySpreadConstraints, resourceClaims, Windows/host-process rules, the exotic volume sources' own fields,
// pod-level resource aggregation.
import { FIELD_LABELS } from '../env.ts';
import type {
  Container,
  EnvFromSource,
  EnvVar,
  HTTPGetAction,
  LifecycleHandler,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Toleration,
  Volume,
  VolumeMount,
} from 'kubernetes-types/core/v1';
import { child, duplicate, forbidden, index, invalid, key, notSupported, required } from '../field-errors.ts';
import { compareQuantities, formatQuantity, toMilli, tryParseQuantity } from '../quantity.ts';
import { notFound } from './manifest-field-errors.ts';
import type { ManifestFieldError } from './manifest-field-errors.ts';
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDns1123Label,
  isHttpHeaderName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDnsSubdomain,
  IS_NEGATIVE_ERROR,
} from './name-rules.ts';
import { validateAnnotations, validateLabels, validateObjectMeta } from './validate-object-meta.ts';

type Errors = ManifestFieldError[];

export interface PodValidationOptions {
  /** The spec belongs to a Pod, not a template (pod-only rules apply: hostPort = containerPort, image whitespace). */
  resourceIsPod: boolean;
}

const INT32_MAX = 2_147_483_647;

/** validation.go fileModeErrorMsg. */
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

const INIT_CONTAINER_FIELD_FORBIDDEN = 'may not be set for init containers without restartPolicy=Always';

function nonNegative(value: number | undefined, path: string): Errors {
  return value !== undefined && value < 0 ? [invalid(path, value, IS_NEGATIVE_ERROR)] : [];
}

function dnsLabel(value: string, path: string): Errors {
  return isDns1123Label(value).map((msg) => invalid(path, value, msg));
}

function qualifiedName(value: string, path: string): Errors {
  return isQualifiedName(value).map((msg) => invalid(path, value, msg));
}

// ---------------------------------------------------------------------------------------------------------------
// Volumes

/** The source field of a volume (`emptyDir`, `hostPath`…), every one that is set. */
function volumeSources(volume: Volume): string[] {
  return Object.keys(volume).filter(
    (k) => k !== 'name' && (volume as unknown as Record<string, unknown>)[k] !== undefined,
  );
}

/** validateLocalDescendingPath + validateLocalNonReservedPath. */
function validateLocalNonReservedPath(p: string, path: string): Errors {
  const errs: Errors = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(path, p, "must not start with '..'"));
  return errs;
}

function validateKeyToPaths(
  items: Array<{ key: string; path: string; mode?: number }> | undefined,
  path: string,
): Errors {
  const errs: Errors = [];
  (items ?? []).forEach((item, i) => {
    const p = index(child(path, 'items'), i);
    if (!item.key) errs.push(required(child(p, 'key')));
    if (!item.path) errs.push(required(child(p, 'path')));
    else errs.push(...validateLocalNonReservedPath(item.path, child(p, 'path')));
    if (item.mode !== undefined && (item.mode > 0o777 || item.mode < 0))
      errs.push(invalid(child(p, 'mode'), item.mode, FILE_MODE_ERROR));
  });
  return errs;
}

function validateMode(mode: number | undefined, path: string): Errors {
  return mode !== undefined && (mode > 0o777 || mode < 0) ? [invalid(path, mode, FILE_MODE_ERROR)] : [];
}

/** validation.go validHostPathTypes. */
const HOST_PATH_TYPES = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

/** validateHostPathVolumeSource: path required, no `..`, a known type. */
function validateHostPath(source: NonNullable<Volume['hostPath']>, path: string): Errors {
  const errs: Errors = [];
  if (!source.path) errs.push(required(child(path, 'path')));
  else if (source.path.split('/').includes('..'))
    errs.push(invalid(child(path, 'path'), source.path, "must not contain '..'"));
  if (source.type !== undefined && !HOST_PATH_TYPES.includes(source.type))
    errs.push(notSupported(child(path, 'type'), source.type, HOST_PATH_TYPES));
  return errs;
}

/** validation.go validVolumeDownwardAPIFieldPathExpressions (and the subscripted labels/annotations). */
const VOLUME_DOWNWARD_FIELDS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
];

/** validateDownwardAPIVolumeFile for each item: path, mode, exactly one of fieldRef / resourceFieldRef. */
function validateDownwardItems(items: NonNullable<Volume['downwardAPI']>['items'], path: string): Errors {
  const errs: Errors = [];
  (items ?? []).forEach((item, i) => {
    const p = index(child(path, 'items'), i);
    if (!item.path) errs.push(required(child(p, 'path')));
    else errs.push(...validateLocalNonReservedPath(item.path, child(p, 'path')));
    errs.push(...validateMode(item.mode, child(p, 'mode')));
    if (item.fieldRef && item.resourceFieldRef) {
      errs.push(invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    } else if (item.fieldRef) {
      const fp = item.fieldRef.fieldPath;
      const subscripted = /^metadata\.(labels|annotations)\['.+'\]$/.test(fp);
      if (!fp) errs.push(required(child(child(p, 'fieldRef'), 'fieldPath')));
      else if (!subscripted && !VOLUME_DOWNWARD_FIELDS.includes(fp))
        errs.push(notSupported(child(child(p, 'fieldRef'), 'fieldPath'), fp, VOLUME_DOWNWARD_FIELDS));
    } else if (item.resourceFieldRef) {
      if (!item.resourceFieldRef.containerName)
        errs.push(required(child(child(p, 'resourceFieldRef'), 'containerName')));
    } else {
      errs.push(required(p, 'one of fieldRef and resourceFieldRef is required'));
    }
  });
  return errs;
}

/** validateProjectedVolumeSource: one source type per entry, their items, no path twice. */
function validateProjected(source: NonNullable<Volume['projected']>, path: string): Errors {
  const errs: Errors = [];
  errs.push(...validateMode(source.defaultMode, child(path, 'defaultMode')));
  const paths = new Set<string>();
  const claim = (p: string, at: string): void => {
    if (paths.has(p)) errs.push(invalid(at, p, 'conflicting duplicate paths'));
    paths.add(p);
  };
  (source.sources ?? []).forEach((src, i) => {
    const p = index(child(path, 'sources'), i);
    const kinds = Object.keys(src).filter((k) => (src as Record<string, unknown>)[k] !== undefined);
    if (kinds.length > 1) errs.push(forbidden(p, 'may not specify more than 1 volume type per source'));
    if (src.configMap) {
      const cp = child(p, 'configMap');
      if (!src.configMap.name) errs.push(required(child(cp, 'name')));
      errs.push(...validateKeyToPaths(src.configMap.items, cp));
      (src.configMap.items ?? []).forEach((it, j) =>
        claim(it.path, child(index(child(cp, 'items'), j), 'path')),
      );
    }
    if (src.secret) {
      const sp = child(p, 'secret');
      if (!src.secret.name) errs.push(required(child(sp, 'name')));
      errs.push(...validateKeyToPaths(src.secret.items, sp));
      (src.secret.items ?? []).forEach((it, j) =>
        claim(it.path, child(index(child(sp, 'items'), j), 'path')),
      );
    }
    if (src.downwardAPI) {
      const dp = child(p, 'downwardAPI');
      errs.push(...validateDownwardItems(src.downwardAPI.items, dp));
      (src.downwardAPI.items ?? []).forEach((it, j) =>
        claim(it.path, child(index(child(dp, 'items'), j), 'path')),
      );
    }
  });
  return errs;
}

/** validateVolumeSource for the sources podflow provides; the others are refused by the support policy. */
function validateVolumeSource(volume: Volume, path: string): Errors {
  const errs: Errors = [];
  const sources = volumeSources(volume);
  if (sources.length === 0) errs.push(required(path, 'must specify a volume type'));
  sources
    .slice(1)
    .forEach((s) => errs.push(forbidden(child(path, s), 'may not specify more than 1 volume type')));
  if (volume.configMap) {
    const p = child(path, 'configMap');
    if (!volume.configMap.name) errs.push(required(child(p, 'name')));
    errs.push(...validateMode(volume.configMap.defaultMode, child(p, 'defaultMode')));
    errs.push(...validateKeyToPaths(volume.configMap.items, p));
  }
  if (volume.secret) {
    const p = child(path, 'secret');
    if (!volume.secret.secretName) errs.push(required(child(p, 'secretName')));
    errs.push(...validateMode(volume.secret.defaultMode, child(p, 'defaultMode')));
    errs.push(...validateKeyToPaths(volume.secret.items, p));
  }
  if (volume.hostPath) errs.push(...validateHostPath(volume.hostPath, child(path, 'hostPath')));
  if (volume.downwardAPI) {
    const p = child(path, 'downwardAPI');
    errs.push(...validateMode(volume.downwardAPI.defaultMode, child(p, 'defaultMode')));
    errs.push(...validateDownwardItems(volume.downwardAPI.items, p));
  }
  if (volume.projected) errs.push(...validateProjected(volume.projected, child(path, 'projected')));
  if (
    volume.emptyDir?.medium !== undefined &&
    !['', 'Memory', 'HugePages'].includes(volume.emptyDir.medium)
  ) {
    if (!volume.emptyDir.medium.startsWith('HugePages-')) {
      errs.push(
        notSupported(child(child(path, 'emptyDir'), 'medium'), volume.emptyDir.medium, [
          '',
          'Memory',
          'HugePages',
        ]),
      );
    }
  }
  return errs;
}

/** ValidateVolumes: names are DNS labels and unique; a volume with errors is not mountable. */
function validateVolumes(volumes: Volume[] | undefined, path: string): { names: Set<string>; errs: Errors } {
  const names = new Set<string>();
  const errs: Errors = [];
  (volumes ?? []).forEach((vol, i) => {
    const p = index(path, i);
    const namePath = child(p, 'name');
    const el = validateVolumeSource(vol, p);
    if (!vol.name) el.push(required(namePath));
    else el.push(...dnsLabel(vol.name, namePath));
    if (names.has(vol.name)) el.push(duplicate(namePath, vol.name));
    if (el.length === 0) names.add(vol.name);
    else errs.push(...el);
  });
  return { names, errs };
}

/** ValidateVolumeMounts: the volume must exist (`Not found`), mountPath required and unique. */
function validateVolumeMounts(mounts: VolumeMount[] | undefined, volumes: Set<string>, path: string): Errors {
  const errs: Errors = [];
  const mountPoints = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = index(path, i);
    if (!m.name) errs.push(required(child(p, 'name')));
    if (!volumes.has(m.name)) errs.push(notFound(child(p, 'name'), m.name));
    if (!m.mountPath) errs.push(required(child(p, 'mountPath')));
    if (mountPoints.has(m.mountPath))
      errs.push(invalid(child(p, 'mountPath'), m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPathOnly(m.subPath, child(path, 'subPath')));
    if (m.subPathExpr) {
      if (m.subPath)
        errs.push(
          invalid(child(p, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'),
        );
      errs.push(...validateLocalDescendingPathOnly(m.subPathExpr, child(path, 'subPathExpr')));
    }
    if (m.mountPropagation !== undefined) {
      const supported = ['Bidirectional', 'HostToContainer', 'None'];
      if (!supported.includes(m.mountPropagation)) {
        errs.push(notSupported(child(path, 'mountPropagation'), m.mountPropagation, supported));
      }
    }
  });
  return errs;
}

/** validateLocalDescendingPath (note: upstream reports subPath errors on the list's path, not the item's). */
function validateLocalDescendingPathOnly(p: string, path: string): Errors {
  const errs: Errors = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Ports, handlers, probes, lifecycle

/** validateContainerPorts. */
function validateContainerPorts(ports: Container['ports'], path: string): Errors {
  const errs: Errors = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = index(path, i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) msgs.forEach((msg) => errs.push(invalid(child(p, 'name'), port.name, msg)));
      else if (names.has(port.name)) errs.push(duplicate(child(p, 'name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(child(p, 'containerPort')));
    else
      isValidPortNum(port.containerPort).forEach((msg) =>
        errs.push(invalid(child(p, 'containerPort'), port.containerPort, msg)),
      );
    if (port.hostPort)
      isValidPortNum(port.hostPort).forEach((msg) =>
        errs.push(invalid(child(p, 'hostPort'), port.hostPort, msg)),
      );
    if (!port.protocol) errs.push(required(child(p, 'protocol')));
    else if (!['SCTP', 'TCP', 'UDP'].includes(port.protocol)) {
      errs.push(notSupported(child(p, 'protocol'), port.protocol, ['SCTP', 'TCP', 'UDP']));
    }
  });
  return errs;
}

/** AccumulateUniqueHostPorts: one protocol/hostIP/hostPort per pod (init containers are checked one by one). */
function checkHostPortConflicts(containers: Container[], path: string): Errors {
  const errs: Errors = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const id = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${port.hostPort}`;
      if (seen.has(id))
        errs.push(duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), id));
      else seen.add(id);
    });
  });
  return errs;
}

/** ValidatePortNumOrName: a port number 1-65535 or an IANA_SVC_NAME. */
function validatePortNumOrName(port: number | string | undefined, path: string): Errors {
  if (typeof port === 'number') return isValidPortNum(port).map((msg) => invalid(path, port, msg));
  return isValidPortName(port ?? '').map((msg) => invalid(path, port ?? '', msg));
}

function validateHttpGet(http: HTTPGetAction, path: string): Errors {
  const errs: Errors = [];
  if (!http.path) errs.push(required(child(path, 'path')));
  errs.push(...validatePortNumOrName(http.port, child(path, 'port')));
  if (!['HTTP', 'HTTPS'].includes(http.scheme ?? ''))
    errs.push(notSupported(child(path, 'scheme'), http.scheme ?? '', ['HTTP', 'HTTPS']));
  for (const header of http.httpHeaders ?? []) {
    isHttpHeaderName(header.name).forEach((msg) =>
      errs.push(invalid(child(path, 'httpHeaders'), header.name, msg)),
    );
  }
  return errs;
}

interface Handler {
  exec?: { command?: string[] };
  httpGet?: HTTPGetAction;
  tcpSocket?: { port: number | string };
  grpc?: { port: number; service?: string };
  sleep?: { seconds: number };
}

/** validateHandler: exactly one handler type; each handler's own fields. */
function validateHandler(handler: Handler, gracePeriod: number | undefined, path: string): Errors {
  const errs: Errors = [];
  let count = 0;
  const one = (name: keyof Handler, check: () => Errors): void => {
    if (handler[name] === undefined) return;
    if (count > 0) errs.push(forbidden(child(path, name), 'may not specify more than 1 handler type'));
    else {
      count++;
      errs.push(...check());
    }
  };
  one('exec', () =>
    (handler.exec?.command ?? []).length === 0 ? [required(child(child(path, 'exec'), 'command'))] : [],
  );
  one('httpGet', () => validateHttpGet(handler.httpGet!, child(path, 'httpGet')));
  one('tcpSocket', () =>
    validatePortNumOrName(handler.tcpSocket!.port, child(child(path, 'tcpSocket'), 'port')),
  );
  one('grpc', () => validatePortNumOrName(handler.grpc!.port, child(child(path, 'grpc'), 'port')));
  one('sleep', () => {
    const seconds = handler.sleep!.seconds;
    // PodLifecycleSleepActionAllowZero (on by default since 1.33): 0 is allowed, at most the grace period.
    if (gracePeriod !== undefined && (seconds < 0 || seconds > gracePeriod)) {
      return [
        invalid(
          child(path, 'sleep'),
          seconds,
          `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`,
        ),
      ];
    }
    return [];
  });
  if (count === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

/** validateProbe: one handler; counts non-negative (a 0 was defaulted already); probe grace > 0. */
function validateProbe(probe: Probe, gracePeriod: number | undefined, path: string): Errors {
  const errs = validateHandler(probe as Handler, gracePeriod, path);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    errs.push(...nonNegative(probe[f], child(path, f)));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(
      invalid(
        child(path, 'terminationGracePeriodSeconds'),
        probe.terminationGracePeriodSeconds,
        'must be greater than 0',
      ),
    );
  }
  return errs;
}

/** validateLivenessProbe / validateStartupProbe: successThreshold must be 1. */
function validateLivenessOrStartupProbe(
  probe: Probe | undefined,
  gracePeriod: number | undefined,
  path: string,
): Errors {
  if (!probe) return [];
  const errs = validateProbe(probe, gracePeriod, path);
  if (probe.successThreshold !== 1)
    errs.push(invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1'));
  return errs;
}

/** validateReadinessProbe: no probe-level terminationGracePeriodSeconds. */
function validateReadinessProbe(
  probe: Probe | undefined,
  gracePeriod: number | undefined,
  path: string,
): Errors {
  if (!probe) return [];
  const errs = validateProbe(probe, gracePeriod, path);
  if (probe.terminationGracePeriodSeconds !== undefined) {
    errs.push(
      invalid(
        child(path, 'terminationGracePeriodSeconds'),
        probe.terminationGracePeriodSeconds,
        'must not be set for readinessProbes',
      ),
    );
  }
  return errs;
}

function validateLifecycle(
  lifecycle: Container['lifecycle'],
  gracePeriod: number | undefined,
  path: string,
): Errors {
  const errs: Errors = [];
  if (lifecycle?.postStart)
    errs.push(
      ...validateHandler(
        lifecycle.postStart as LifecycleHandler & Handler,
        gracePeriod,
        child(path, 'postStart'),
      ),
    );
  if (lifecycle?.preStop)
    errs.push(
      ...validateHandler(
        lifecycle.preStop as LifecycleHandler & Handler,
        gracePeriod,
        child(path, 'preStop'),
      ),
    );
  return errs;
}

function validateProbesAndLifecycle(c: Container, gracePeriod: number | undefined, path: string): Errors {
  return [
    ...(c.lifecycle ? validateLifecycle(c.lifecycle, gracePeriod, child(path, 'lifecycle')) : []),
    ...validateLivenessOrStartupProbe(c.livenessProbe, gracePeriod, child(path, 'livenessProbe')),
    ...validateReadinessProbe(c.readinessProbe, gracePeriod, child(path, 'readinessProbe')),
    ...validateLivenessOrStartupProbe(c.startupProbe, gracePeriod, child(path, 'startupProbe')),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Environment

const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const RESOURCE_FIELD_PATHS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];
const MEMORY_DIVISORS = new Set([
  '1',
  '1k',
  '1M',
  '1G',
  '1T',
  '1P',
  '1E',
  '1Ki',
  '1Mi',
  '1Gi',
  '1Ti',
  '1Pi',
  '1Ei',
]);

/** fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['app']` → [`metadata.labels`, `app`]. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

function validateFieldRef(ref: { apiVersion?: string; fieldPath: string }, path: string): Errors {
  if (!ref.apiVersion) return [required(child(path, 'apiVersion'))];
  if (!ref.fieldPath) return [required(child(path, 'fieldPath'))];
  const fieldPathPath = child(path, 'fieldPath');
  const split = splitSubscript(ref.fieldPath);
  let conversionError: string | undefined;
  if (ref.apiVersion !== 'v1') conversionError = `unsupported pod version: ${ref.apiVersion}`;
  else if (split && split[0] !== 'metadata.annotations' && split[0] !== 'metadata.labels') {
    conversionError = `field label does not support subscript: ${ref.fieldPath}`;
  } else if (!split && !FIELD_LABELS.has(ref.fieldPath) && ref.fieldPath !== 'spec.host') {
    conversionError = `field label not supported: ${ref.fieldPath}`;
  }
  if (conversionError)
    return [invalid(fieldPathPath, ref.fieldPath, `error converting fieldPath: ${conversionError}`)];
  if (split)
    return qualifiedName(split[0] === 'metadata.annotations' ? split[1].toLowerCase() : split[1], path);
  const internal = ref.fieldPath === 'spec.host' ? 'spec.nodeName' : ref.fieldPath;
  return ENV_FIELD_PATHS.includes(internal) ? [] : [notSupported(fieldPathPath, internal, ENV_FIELD_PATHS)];
}

function validateResourceFieldRef(
  ref: { resource: string; divisor?: string | number },
  path: string,
): Errors {
  const errs: Errors = [];
  if (!ref.resource) errs.push(required(child(path, 'resource')));
  else if (
    !RESOURCE_FIELD_PATHS.includes(ref.resource) &&
    !/^(requests|limits)\.hugepages-/.test(ref.resource)
  ) {
    errs.push(notSupported(child(path, 'resource'), ref.resource, RESOURCE_FIELD_PATHS));
  }
  const divisor = tryParseQuantity(ref.divisor);
  if (divisor && divisor.nanos !== 0n) {
    const text = formatQuantity(divisor);
    if (/cpu$/.test(ref.resource) && text !== '1m' && text !== '1') {
      errs.push(
        invalid(
          child(path, 'divisor'),
          ref.resource,
          "only divisor's values 1m and 1 are supported with the cpu resource",
        ),
      );
    } else if (/memory$/.test(ref.resource) && !MEMORY_DIVISORS.has(text)) {
      errs.push(
        invalid(
          child(path, 'divisor'),
          ref.resource,
          "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource",
        ),
      );
    }
  }
  return errs;
}

/** validateConfigMapKeySelector / validateSecretKeySelector. */
function validateKeySelector(ref: { name?: string; key: string }, path: string): Errors {
  const errs: Errors = nameIsDnsSubdomain(ref.name ?? '', false).map((msg) =>
    invalid(child(path, 'name'), ref.name ?? '', msg),
  );
  if (!ref.key) errs.push(required(child(path, 'key')));
  else isConfigMapKey(ref.key).forEach((msg) => errs.push(invalid(child(path, 'key'), ref.key, msg)));
  return errs;
}

/** ValidateEnv + validateEnvVarValueFrom: a name; valueFrom names exactly one source and excludes `value`. */
function validateEnv(env: EnvVar[] | undefined, path: string): Errors {
  const errs: Errors = [];
  (env ?? []).forEach((ev, i) => {
    const p = index(path, i);
    if (!ev.name) errs.push(required(child(p, 'name')));
    else isRelaxedEnvVarName(ev.name).forEach((msg) => errs.push(invalid(child(p, 'name'), ev.name, msg)));
    if (!ev.valueFrom) return;
    const vf = child(p, 'valueFrom');
    let sources = 0;
    if (ev.valueFrom.fieldRef) {
      sources++;
      errs.push(...validateFieldRef(ev.valueFrom.fieldRef, child(vf, 'fieldRef')));
    }
    if (ev.valueFrom.resourceFieldRef) {
      sources++;
      errs.push(
        ...validateResourceFieldRef(
          ev.valueFrom.resourceFieldRef as { resource: string; divisor?: string },
          child(vf, 'resourceFieldRef'),
        ),
      );
    }
    if (ev.valueFrom.configMapKeyRef) {
      sources++;
      errs.push(...validateKeySelector(ev.valueFrom.configMapKeyRef, child(vf, 'configMapKeyRef')));
    }
    if (ev.valueFrom.secretKeyRef) {
      sources++;
      errs.push(...validateKeySelector(ev.valueFrom.secretKeyRef, child(vf, 'secretKeyRef')));
    }
    if (sources === 0) {
      errs.push(
        invalid(
          vf,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if (ev.value) {
      errs.push(invalid(vf, '', 'may not be specified when `value` is not empty'));
    } else if (sources > 1) {
      errs.push(invalid(vf, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

/** ValidateEnvFrom. */
function validateEnvFrom(envFrom: EnvFromSource[] | undefined, path: string): Errors {
  const errs: Errors = [];
  (envFrom ?? []).forEach((ev, i) => {
    const p = index(path, i);
    if (ev.prefix)
      isRelaxedEnvVarName(ev.prefix).forEach((msg) => errs.push(invalid(child(p, 'prefix'), ev.prefix, msg)));
    let sources = 0;
    for (const [field, ref] of [
      ['configMapRef', ev.configMapRef],
      ['secretRef', ev.secretRef],
    ] as const) {
      if (!ref) continue;
      sources++;
      const rp = child(p, field);
      if (!ref.name) errs.push(required(child(rp, 'name')));
      else
        nameIsDnsSubdomain(ref.name, true).forEach((msg) =>
          errs.push(invalid(child(rp, 'name'), ref.name, msg)),
        );
    }
    if (sources === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1)
      errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Resources

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
/** helper.IsNativeResource: no domain, or a kubernetes.io domain. */
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
/** helper.IsOvercommitAllowed: native resources except hugepages. */
const overcommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name);

/** validateContainerResourceName. */
function validateContainerResourceName(name: string, path: string): Errors {
  const errs = qualifiedName(name, path);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (
    !isNative(name) &&
    (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length > 0)
  ) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** validateResourceRequirements: names, non-negative values, integers for extended resources, requests ≤ limits. */
export function validateResourceRequirements(
  resources: ResourceRequirements | undefined,
  path: string,
): Errors {
  const errs: Errors = [];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = resources?.limits ?? {};
  const requests = resources?.requests ?? {};
  let cpuOrMemory = false;
  let hugePages = false;
  const checkValue = (name: string, value: string, p: string): void => {
    errs.push(...validateContainerResourceName(name, p));
    const q = tryParseQuantity(value);
    if (!q) return; // reported while decoding
    if (q.nanos < 0n) errs.push(invalid(p, formatQuantity(q), IS_NEGATIVE_ERROR));
    if (!isNative(name) && toMilli(q) % 1000n !== 0n)
      errs.push(invalid(p, formatQuantity(q), 'must be an integer'));
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
    if (isHugePages(name)) hugePages = true;
  };
  for (const [name, value] of Object.entries(limits)) checkValue(name, value, key(limPath, name));
  for (const [name, value] of Object.entries(requests)) {
    checkValue(name, value, key(reqPath, name));
    const q = tryParseQuantity(value);
    const limitValue = limits[name];
    if (limitValue !== undefined) {
      const l = tryParseQuantity(limitValue);
      if (!q || !l) continue;
      const cmp = compareQuantities(q, l);
      if (cmp !== 0 && !overcommitAllowed(name)) {
        errs.push(
          invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(l)}`),
        );
      } else if (cmp > 0) {
        errs.push(
          invalid(
            reqPath,
            formatQuantity(q),
            `must be less than or equal to ${name} limit of ${formatQuantity(l)}`,
          ),
        );
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  if (!cpuOrMemory && hugePages) errs.push(forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Containers

/** validateContainerCommon: what every container kind must satisfy. */
function validateContainerCommon(c: Container, volumes: Set<string>, path: string): Errors {
  const errs: Errors = [];
  const namePath = child(path, 'name');
  if (!c.name) errs.push(required(namePath));
  else errs.push(...dnsLabel(c.name, namePath));
  if (!c.image) errs.push(required(child(path, 'image')));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(required(child(path, 'terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(notSupported(child(path, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  errs.push(...validateContainerPorts(c.ports, child(path, 'ports')));
  errs.push(...validateEnv(c.env, child(path, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, child(path, 'envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, child(path, 'volumeMounts')));
  if (!c.imagePullPolicy) errs.push(required(child(path, 'imagePullPolicy')));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy)) {
    errs.push(
      notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']),
    );
  }
  errs.push(...validateResourceRequirements(c.resources, child(path, 'resources')));
  const sc = c.securityContext;
  if (sc) {
    const sp = child(path, 'securityContext');
    for (const f of ['runAsUser', 'runAsGroup'] as const) {
      const v = sc[f];
      if (v !== undefined && (v < 0 || v > INT32_MAX))
        errs.push(invalid(child(sp, f), v, inclusiveRangeError(0, INT32_MAX)));
    }
    if (sc.allowPrivilegeEscalation === false && sc.privileged === true) {
      errs.push(invalid(sp, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    }
  }
  return errs;
}

/**
 * validation.go allowedEphemeralContainerFields: the Container fields an ephemeral container may not set (the allow
 * list's `false` entries) — "Ephemeral containers should not be relied upon for fundamental pod services".
 */
export const EPHEMERAL_CONTAINER_FORBIDDEN_FIELDS = [
  'ports',
  'resources',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'resizePolicy',
  'restartPolicy',
] as const;

/** Go's reflect.Value.IsZero for a decoded JSON value: absent, or an object with nothing set. */
function isZeroValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'object' && !Array.isArray(v))
    return Object.values(v as Record<string, unknown>).every(isZeroValue);
  return false;
}

/**
 * validation.go validateEphemeralContainers: each is a container (validateContainerCommon and
 * validateContainerOnlyForPod), its name unique across every container of the pod, its targetContainerName a
 * regular or init container, none of the forbidden fields set (validateFieldAllowList), no volume subPath.
 */
export function validateEphemeralContainers(spec: PodSpec, path: string): Errors {
  const list = spec.ephemeralContainers ?? [];
  if (list.length === 0) return [];
  const errs: Errors = [];
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  const others = new Set([...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name));
  const all = new Set(others);
  list.forEach((ec, i) => {
    const p = index(path, i);
    const { targetContainerName, ...c } = ec;
    errs.push(...validateContainerCommon(c as Container, volumes, p));
    if (c.image !== undefined && c.image !== c.image.trim())
      errs.push(invalid(child(p, 'image'), c.image, 'must not have leading or trailing whitespace'));
    if (all.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    else all.add(c.name);
    if (targetContainerName && !others.has(targetContainerName))
      errs.push(notFound(child(p, 'targetContainerName'), targetContainerName));
    for (const f of EPHEMERAL_CONTAINER_FORBIDDEN_FIELDS) {
      if (!isZeroValue((c as Record<string, unknown>)[f]))
        errs.push(forbidden(child(p, f), 'cannot be set for an Ephemeral Container'));
    }
    (c.volumeMounts ?? []).forEach((vm, vi) => {
      const vp = index(child(p, 'volumeMounts'), vi);
      if (vm.subPath) errs.push(forbidden(child(vp, 'subPath'), 'cannot be set for an Ephemeral Container'));
      if (vm.subPathExpr)
        errs.push(forbidden(child(vp, 'subPathExpr'), 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

/** validateContainers: at least one; unique names; probes/lifecycle; no container-level restartPolicy. */
function validateContainers(
  containers: Container[] | undefined,
  volumes: Set<string>,
  grace: number | undefined,
  path: string,
): Errors {
  if (!containers || containers.length === 0) return [required(path)];
  const errs: Errors = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, p));
    if (names.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    else names.add(c.name);
    errs.push(...validateProbesAndLifecycle(c, grace, p));
    if (c.restartPolicy !== undefined)
      errs.push(forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

/**
 * validateInitContainers: names unique across init and regular containers; restartPolicy only `Always` (a native
 * sidecar); a regular init container may have neither probes nor lifecycle hooks.
 */
function validateInitContainers(
  inits: Container[] | undefined,
  regular: Container[] | undefined,
  volumes: Set<string>,
  grace: number | undefined,
  path: string,
): Errors {
  const errs: Errors = [];
  const names = new Set((regular ?? []).map((c) => c.name));
  (inits ?? []).forEach((c, i) => {
    const p = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, p));
    let sidecar = false;
    if (c.restartPolicy !== undefined) {
      if (c.restartPolicy !== 'Always')
        errs.push(notSupported(child(p, 'restartPolicy'), c.restartPolicy, ['Always']));
      sidecar = c.restartPolicy === 'Always';
    }
    if (names.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    else if (c.name) names.add(c.name);
    errs.push(...checkHostPortConflicts([c], path));
    if (sidecar) errs.push(...validateProbesAndLifecycle(c, grace, p));
    else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[f] !== undefined) errs.push(forbidden(child(p, f), INIT_CONTAINER_FIELD_FORBIDDEN));
      }
    }
    if ((c.resizePolicy ?? []).length > 0)
      errs.push(invalid(child(p, 'resizePolicy'), c.resizePolicy, 'must not be set for init containers'));
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Pod spec

/** ValidateTolerations. */
function validateTolerations(tolerations: Toleration[] | undefined, path: string): Errors {
  const errs: Errors = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = index(path, i);
    if (t.key) errs.push(...qualifiedName(t.key, child(p, 'key')));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(
        invalid(
          child(p, 'operator'),
          t.operator ?? '',
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(
        invalid(
          child(p, 'effect'),
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length > 0) errs.push(invalid(child(p, 'operator'), t.value ?? '', msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value)
          errs.push(
            invalid(child(p, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"),
          );
        break;
      default:
        errs.push(notSupported(child(p, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errs.push(notSupported(child(p, 'effect'), t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    }
  });
  return errs;
}

/** ValidatePodSpec. */
export function validatePodSpec(spec: PodSpec | undefined, path: string, opts: PodValidationOptions): Errors {
  const s: PodSpec = spec ?? ({ containers: [] } as PodSpec);
  const errs: Errors = [];
  const grace = s.terminationGracePeriodSeconds;
  if (grace === undefined) errs.push(required(child(path, 'terminationGracePeriodSeconds')));
  // Not an upstream check (since 1.27 the API server turns a negative grace period into 1 s); podflow refuses it.
  errs.push(...nonNegative(grace, child(path, 'terminationGracePeriodSeconds')));

  const { names: volumes, errs: volumeErrs } = validateVolumes(s.volumes, child(path, 'volumes'));
  errs.push(...volumeErrs);
  errs.push(...validateContainers(s.containers, volumes, grace, child(path, 'containers')));
  errs.push(
    ...validateInitContainers(s.initContainers, s.containers, volumes, grace, child(path, 'initContainers')),
  );

  if (s.hostNetwork) {
    s.containers?.forEach((c, ci) =>
      (c.ports ?? []).forEach((port, pi) => {
        const hp = port.hostPort ?? 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== port.containerPort) {
          const p = child(index(child(index(child(path, 'containers'), ci), 'ports'), pi), 'hostPort');
          errs.push(invalid(p, hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      }),
    );
  }

  const restartPolicies = ['Always', 'OnFailure', 'Never'];
  if (!s.restartPolicy) errs.push(required(child(path, 'restartPolicy')));
  else if (!restartPolicies.includes(s.restartPolicy))
    errs.push(notSupported(child(path, 'restartPolicy'), s.restartPolicy, restartPolicies));

  const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (!s.dnsPolicy) errs.push(required(child(path, 'dnsPolicy')));
  else if (!dnsPolicies.includes(s.dnsPolicy))
    errs.push(notSupported(child(path, 'dnsPolicy'), s.dnsPolicy, dnsPolicies));
  if (s.dnsPolicy === 'None') {
    if (!s.dnsConfig)
      errs.push(required(child(path, 'dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
    else if ((s.dnsConfig.nameservers ?? []).length === 0) {
      errs.push(
        required(
          child(child(path, 'dnsConfig'), 'nameservers'),
          'must provide at least one DNS nameserver when `dnsPolicy` is None',
        ),
      );
    }
  }

  errs.push(...validateLabels(s.nodeSelector, child(path, 'nodeSelector')));
  (s.readinessGates ?? []).forEach((g, i) =>
    errs.push(
      ...qualifiedName(g.conditionType, child(index(child(path, 'readinessGates'), i), 'conditionType')),
    ),
  );
  const gates = new Set<string>();
  (s.schedulingGates ?? []).forEach((g, i) => {
    const p = index(child(path, 'schedulingGates'), i);
    errs.push(...qualifiedName(g.name, p));
    if (gates.has(g.name)) errs.push(duplicate(p, g.name));
    gates.add(g.name);
  });
  for (const f of ['serviceAccountName', 'nodeName', 'priorityClassName', 'runtimeClassName'] as const) {
    const v = s[f];
    if (v) nameIsDnsSubdomain(v, false).forEach((msg) => errs.push(invalid(child(path, f), v, msg)));
  }
  if (
    s.activeDeadlineSeconds !== undefined &&
    (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > INT32_MAX)
  ) {
    errs.push(
      invalid(
        child(path, 'activeDeadlineSeconds'),
        s.activeDeadlineSeconds,
        inclusiveRangeError(1, INT32_MAX),
      ),
    );
  }
  if (s.hostname) errs.push(...dnsLabel(s.hostname, child(path, 'hostname')));
  if (s.subdomain) errs.push(...dnsLabel(s.subdomain, child(path, 'subdomain')));
  errs.push(...validateTolerations(s.tolerations, child(path, 'tolerations')));
  if (s.preemptionPolicy !== undefined && !['PreemptLowerPriority', 'Never'].includes(s.preemptionPolicy)) {
    errs.push(
      notSupported(child(path, 'preemptionPolicy'), s.preemptionPolicy, ['PreemptLowerPriority', 'Never']),
    );
  }
  if (s.os !== undefined && !['linux', 'windows'].includes(s.os.name)) {
    errs.push(notSupported(child(child(path, 'os'), 'name'), s.os.name, ['linux', 'windows']));
  }
  const psc = s.securityContext;
  if (psc) {
    for (const f of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const v = psc[f];
      if (v !== undefined && (v < 0 || v > INT32_MAX))
        errs.push(invalid(child(child(path, 'securityContext'), f), v, inclusiveRangeError(0, INT32_MAX)));
    }
  }
  return errs;
}

/** ValidatePodTemplateSpec: labels, annotations, the spec; no ephemeral containers in templates. */
export function validatePodTemplateSpec(template: PodTemplateSpec | undefined, path: string): Errors {
  const t = template ?? {};
  const errs: Errors = [
    ...validateLabels(t.metadata?.labels, child(child(path, 'metadata'), 'labels')),
    ...validateAnnotations(t.metadata?.annotations, child(child(path, 'metadata'), 'annotations')),
    ...validatePodSpec(t.spec, child(path, 'spec'), { resourceIsPod: false }),
  ];
  if ((t.spec?.ephemeralContainers ?? []).length > 0) {
    errs.push(
      forbidden(
        child(child(path, 'spec'), 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}

/** ValidatePodCreate: metadata, spec, pod-only container checks; ephemeral containers only via their subresource. */
export function validatePod(pod: Pod): Errors {
  const errs: Errors = [
    ...validateObjectMeta(pod.metadata, nameIsDnsSubdomain),
    ...validatePodSpec(pod.spec, 'spec', { resourceIsPod: true }),
  ];
  for (const list of ['containers', 'initContainers'] as const) {
    (pod.spec?.[list] ?? []).forEach((c, i) => {
      if (c.image !== undefined && c.image !== c.image.trim()) {
        errs.push(
          invalid(
            child(index(child('spec', list), i), 'image'),
            c.image,
            'must not have leading or trailing whitespace',
          ),
        );
      }
    });
  }
  if ((pod.spec?.ephemeralContainers ?? []).length > 0)
    errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (pod.spec?.nodeName && (pod.spec.schedulingGates ?? []).length > 0) {
    errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}
