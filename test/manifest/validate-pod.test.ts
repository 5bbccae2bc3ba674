// Pod validation, one case per rule, with the API server's exact text
// (pkg/apis/core/validation/validation.go, apimachinery validation; Kubernetes 1.34).
import { describe, expect, it } from 'vitest';
import { admitObject, basePod } from './helpers.ts';
import type { Json } from './helpers.ts';

const DNS_SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS_LABEL_ERR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_ERR =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const INIT_FORBIDDEN = 'Forbidden: may not be set for init containers without restartPolicy=Always';

const c0 = (pod: Json): Json => pod.spec.containers[0];

interface Case {
  name: string;
  mutate: (pod: Json) => void;
  error: string;
}

const cases: Case[] = [
  {
    name: 'metadata.name must be a DNS-1123 subdomain',
    mutate: (p) => (p.metadata.name = 'My_Pod'),
    error: `metadata.name: Invalid value: "My_Pod": ${DNS_SUBDOMAIN_ERR}`,
  },
  {
    name: 'metadata.name is at most 253 characters',
    mutate: (p) => (p.metadata.name = 'a'.repeat(254)),
    error: `metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`,
  },
  {
    name: 'metadata.name or generateName is required',
    mutate: (p) => delete p.metadata.name,
    error: 'metadata.name: Required value: name or generateName is required',
  },
  {
    name: 'metadata.generateName must be a DNS-1123 subdomain prefix',
    mutate: (p) => {
      delete p.metadata.name;
      p.metadata.generateName = 'Web-';
    },
    error: `metadata.generateName: Invalid value: "Web-": ${DNS_SUBDOMAIN_ERR}`,
  },
  {
    name: 'metadata.namespace must be a DNS-1123 label',
    mutate: (p) => (p.metadata.namespace = 'My-NS'),
    error: `metadata.namespace: Invalid value: "My-NS": ${DNS_LABEL_ERR}`,
  },
  {
    name: 'label keys are qualified names',
    mutate: (p) => (p.metadata.labels = { 'bad key': 'x' }),
    error: `metadata.labels: Invalid value: "bad key": ${QUALIFIED_NAME_ERR}`,
  },
  {
    name: 'label keys have at most one slash',
    mutate: (p) => (p.metadata.labels = { 'a/b/c': 'x' }),
    error:
      "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  },
  {
    name: 'label key prefixes are DNS subdomains',
    mutate: (p) => (p.metadata.labels = { 'Example.com/app': 'x' }),
    error: `metadata.labels: Invalid value: "Example.com/app": prefix part ${DNS_SUBDOMAIN_ERR}`,
  },
  {
    name: 'label values are label values',
    mutate: (p) => (p.metadata.labels = { app: '-web' }),
    error:
      "metadata.labels: Invalid value: \"-web\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  },
  {
    name: 'label values are at most 63 characters',
    mutate: (p) => (p.metadata.labels = { app: 'a'.repeat(64) }),
    error: `metadata.labels: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`,
  },
  {
    name: 'annotation keys are qualified names',
    mutate: (p) => (p.metadata.annotations = { 'not valid!': 'x' }),
    error: `metadata.annotations: Invalid value: "not valid!": ${QUALIFIED_NAME_ERR}`,
  },
  {
    name: 'container names are DNS-1123 labels',
    mutate: (p) => (c0(p).name = 'App_1'),
    error: `spec.containers[0].name: Invalid value: "App_1": ${DNS_LABEL_ERR}`,
  },
  {
    name: 'container names contain no dots',
    mutate: (p) => (c0(p).name = 'app.v1'),
    error: 'spec.containers[0].name: Invalid value: "app.v1": must not contain dots',
  },
  {
    name: 'container names are required',
    mutate: (p) => delete c0(p).name,
    error: 'spec.containers[0].name: Required value',
  },
  {
    name: 'container names are unique',
    mutate: (p) => p.spec.containers.push({ name: 'app', image: 'busybox' }),
    error: 'spec.containers[1].name: Duplicate value: "app"',
  },
  {
    name: 'container names are unique across init and app containers',
    mutate: (p) => (p.spec.initContainers = [{ name: 'app', image: 'busybox' }]),
    error: 'spec.initContainers[0].name: Duplicate value: "app"',
  },
  {
    name: 'image is required',
    mutate: (p) => delete c0(p).image,
    error: 'spec.containers[0].image: Required value',
  },
  {
    name: 'image has no surrounding whitespace (pods only)',
    mutate: (p) => (c0(p).image = ' nginx'),
    error: 'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace',
  },
  {
    name: 'at least one container',
    mutate: (p) => (p.spec.containers = []),
    error: 'spec.containers: Required value',
  },
  {
    name: 'restartPolicy is Always, OnFailure or Never',
    mutate: (p) => (p.spec.restartPolicy = 'Sometimes'),
    error:
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  },
  {
    name: 'liveness successThreshold must be 1',
    mutate: (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 }),
    error: 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  },
  {
    name: 'startup successThreshold must be 1',
    mutate: (p) => (c0(p).startupProbe = { tcpSocket: { port: 80 }, successThreshold: 3 }),
    error: 'spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1',
  },
  {
    name: 'a probe needs a handler',
    mutate: (p) => (c0(p).readinessProbe = { periodSeconds: 5 }),
    error: 'spec.containers[0].readinessProbe: Required value: must specify a handler type',
  },
  {
    name: 'a probe has exactly one handler',
    mutate: (p) => (c0(p).livenessProbe = { httpGet: { port: 80 }, tcpSocket: { port: 80 } }),
    error: 'spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
  },
  {
    name: 'exec probes need a command',
    mutate: (p) => (c0(p).livenessProbe = { exec: {} }),
    error: 'spec.containers[0].livenessProbe.exec.command: Required value',
  },
  {
    name: 'initialDelaySeconds is not negative',
    mutate: (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, initialDelaySeconds: -1 }),
    error:
      'spec.containers[0].livenessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0',
  },
  {
    name: 'periodSeconds is not negative',
    mutate: (p) => (c0(p).readinessProbe = { exec: { command: ['true'] }, periodSeconds: -5 }),
    error:
      'spec.containers[0].readinessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0',
  },
  {
    name: 'failureThreshold is not negative',
    mutate: (p) => (c0(p).readinessProbe = { exec: { command: ['true'] }, failureThreshold: -3 }),
    error:
      'spec.containers[0].readinessProbe.failureThreshold: Invalid value: -3: must be greater than or equal to 0',
  },
  {
    name: 'probe-level terminationGracePeriodSeconds not on readiness probes',
    mutate: (p) =>
      (c0(p).readinessProbe = { exec: { command: ['true'] }, terminationGracePeriodSeconds: 10 }),
    error:
      'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes',
  },
  {
    name: 'probe-level terminationGracePeriodSeconds is positive',
    mutate: (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, terminationGracePeriodSeconds: 0 }),
    error:
      'spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0',
  },
  {
    name: 'regular init containers have no liveness probe',
    mutate: (p) =>
      (p.spec.initContainers = [
        { name: 'init', image: 'busybox', livenessProbe: { exec: { command: ['true'] } } },
      ]),
    error: `spec.initContainers[0].livenessProbe: ${INIT_FORBIDDEN}`,
  },
  {
    name: 'regular init containers have no readiness probe',
    mutate: (p) =>
      (p.spec.initContainers = [
        { name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['true'] } } },
      ]),
    error: `spec.initContainers[0].readinessProbe: ${INIT_FORBIDDEN}`,
  },
  {
    name: 'regular init containers have no lifecycle hooks',
    mutate: (p) =>
      (p.spec.initContainers = [
        { name: 'init', image: 'busybox', lifecycle: { preStop: { exec: { command: ['true'] } } } },
      ]),
    error: `spec.initContainers[0].lifecycle: ${INIT_FORBIDDEN}`,
  },
  {
    name: 'init container restartPolicy can only be Always',
    mutate: (p) => (p.spec.initContainers = [{ name: 'init', image: 'busybox', restartPolicy: 'OnFailure' }]),
    error: 'spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
  },
  {
    name: 'app containers have no restartPolicy',
    mutate: (p) => (c0(p).restartPolicy = 'Always'),
    error: 'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
  },
  {
    name: 'containerPort is 1-65535',
    mutate: (p) => (c0(p).ports = [{ containerPort: 70000 }]),
    error:
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  },
  {
    name: 'containerPort is required',
    mutate: (p) => (c0(p).ports = [{ name: 'http' }]),
    error: 'spec.containers[0].ports[0].containerPort: Required value',
  },
  {
    name: 'named ports are at most 15 characters (IANA_SVC_NAME)',
    mutate: (p) => (c0(p).ports = [{ name: 'http-metrics-port', containerPort: 9090 }]),
    error:
      'spec.containers[0].ports[0].name: Invalid value: "http-metrics-port": must be no more than 15 characters',
  },
  {
    name: 'named ports contain a letter',
    mutate: (p) => (c0(p).ports = [{ name: '8080', containerPort: 8080 }]),
    error: 'spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)',
  },
  {
    name: 'port names are unique',
    mutate: (p) =>
      (c0(p).ports = [
        { name: 'http', containerPort: 80 },
        { name: 'http', containerPort: 81 },
      ]),
    error: 'spec.containers[0].ports[1].name: Duplicate value: "http"',
  },
  {
    name: 'port protocols are SCTP, TCP or UDP',
    mutate: (p) => (c0(p).ports = [{ containerPort: 80, protocol: 'HTTP' }]),
    error:
      'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
  },
  {
    name: 'probe port names follow IANA_SVC_NAME',
    mutate: (p) => (c0(p).livenessProbe = { httpGet: { port: 'Web' } }),
    error:
      'spec.containers[0].livenessProbe.httpGet.port: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
  },
  {
    name: 'probe port numbers are 1-65535',
    mutate: (p) => (c0(p).readinessProbe = { tcpSocket: { port: 0 } }),
    error:
      'spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive',
  },
  {
    name: 'httpGet scheme is HTTP or HTTPS',
    mutate: (p) => (c0(p).livenessProbe = { httpGet: { port: 80, scheme: 'FTP' } }),
    error:
      'spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"',
  },
  {
    name: 'env names are printable ASCII without =',
    mutate: (p) => (c0(p).env = [{ name: 'A=B', value: 'x' }]),
    error:
      'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
  },
  {
    name: 'env names are required',
    mutate: (p) => (c0(p).env = [{ value: 'x' }]),
    error: 'spec.containers[0].env[0].name: Required value',
  },
  {
    name: 'env valueFrom names a source',
    mutate: (p) => (c0(p).env = [{ name: 'X', valueFrom: {} }]),
    error:
      'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
  },
  {
    name: 'env valueFrom names exactly one source',
    mutate: (p) =>
      (c0(p).env = [
        {
          name: 'X',
          valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } },
        },
      ]),
    error:
      'spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time',
  },
  {
    name: 'env value and valueFrom exclude each other',
    mutate: (p) =>
      (c0(p).env = [{ name: 'X', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]),
    error:
      'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
  },
  {
    name: 'env fieldRef names a supported field',
    mutate: (p) => (c0(p).env = [{ name: 'PHASE', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }]),
    error:
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
  },
  {
    name: 'env fieldRef must be a known field label',
    mutate: (p) => (c0(p).env = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.foo' } } }]),
    error:
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.foo": error converting fieldPath: field label not supported: spec.foo',
  },
  {
    name: 'env secretKeyRef needs a key',
    mutate: (p) => (c0(p).env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds' } } }]),
    error: 'spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value',
  },
  {
    name: 'env resourceFieldRef names a supported resource',
    mutate: (p) => (c0(p).env = [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }]),
    error:
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"',
  },
  {
    name: 'quantities follow the quantity grammar',
    mutate: (p) => (c0(p).resources = { limits: { cpu: '1x' } }),
    error:
      'spec.containers[0].resources.limits[cpu]: Invalid value: "1x": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
  },
  {
    name: 'cpu requests are at most the cpu limit',
    mutate: (p) => (c0(p).resources = { limits: { cpu: '1' }, requests: { cpu: '2' } }),
    error:
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
  },
  {
    name: 'memory requests are at most the memory limit (canonical quantities)',
    mutate: (p) => (c0(p).resources = { limits: { memory: '131072Ki' }, requests: { memory: '256Mi' } }),
    error:
      'spec.containers[0].resources.requests: Invalid value: "256Mi": must be less than or equal to memory limit of 128Mi',
  },
  {
    name: 'quantities are not negative',
    mutate: (p) => (c0(p).resources = { requests: { memory: '-1' } }),
    error:
      'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
  },
  {
    name: 'resource names are standard container resources',
    mutate: (p) => (c0(p).resources = { limits: { gpu: '1' } }),
    error:
      'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
  },
  {
    name: 'readinessGates condition types are qualified names',
    mutate: (p) => (p.spec.readinessGates = [{ conditionType: 'bad gate!' }]),
    error: `spec.readinessGates[0].conditionType: Invalid value: "bad gate!": ${QUALIFIED_NAME_ERR}`,
  },
  {
    name: 'terminationGracePeriodSeconds is not negative',
    mutate: (p) => (p.spec.terminationGracePeriodSeconds = -1),
    error: 'spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0',
  },
  {
    name: 'activeDeadlineSeconds is positive',
    mutate: (p) => (p.spec.activeDeadlineSeconds = 0),
    error: 'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
  },
  {
    name: 'volume mounts name a volume of the pod',
    mutate: (p) => (c0(p).volumeMounts = [{ name: 'data', mountPath: '/data' }]),
    error: 'spec.containers[0].volumeMounts[0].name: Not found: "data"',
  },
  {
    name: 'volume mounts have a mountPath',
    mutate: (p) => {
      p.spec.volumes = [{ name: 'data', emptyDir: {} }];
      c0(p).volumeMounts = [{ name: 'data' }];
    },
    error: 'spec.containers[0].volumeMounts[0].mountPath: Required value',
  },
  {
    name: 'volume names are unique',
    mutate: (p) =>
      (p.spec.volumes = [
        { name: 'data', emptyDir: {} },
        { name: 'data', emptyDir: {} },
      ]),
    error: 'spec.volumes[1].name: Duplicate value: "data"',
  },
  {
    name: 'volume names are DNS-1123 labels',
    mutate: (p) => (p.spec.volumes = [{ name: 'Data', emptyDir: {} }]),
    error: `spec.volumes[0].name: Invalid value: "Data": ${DNS_LABEL_ERR}`,
  },
  {
    name: 'configMap volumes name their ConfigMap',
    mutate: (p) => (p.spec.volumes = [{ name: 'cfg', configMap: {} }]),
    error: 'spec.volumes[0].configMap.name: Required value',
  },
  {
    name: 'file modes are at most 0777',
    mutate: (p) =>
      (p.spec.volumes = [{ name: 'creds', secret: { secretName: 'creds', defaultMode: 0o1000 } }]),
    error:
      'spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive',
  },
  {
    name: 'mountPaths of a container are unique',
    mutate: (p) => {
      p.spec.volumes = [{ name: 'data', emptyDir: {} }];
      c0(p).volumeMounts = [
        { name: 'data', mountPath: '/data' },
        { name: 'data', mountPath: '/data' },
      ];
    },
    error: 'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
  },
  {
    name: 'hostPath volumes have a path',
    mutate: (p) => (p.spec.volumes = [{ name: 'h', hostPath: { path: '' } }]),
    error: 'spec.volumes[0].hostPath.path: Required value',
  },
  {
    name: 'hostPath types are the known ones',
    mutate: (p) => (p.spec.volumes = [{ name: 'h', hostPath: { path: '/srv', type: 'Dir' } }]),
    error:
      'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
  },
  {
    name: 'downwardAPI volume items read the fields a volume may',
    mutate: (p) =>
      (p.spec.volumes = [
        { name: 'd', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } },
      ]),
    error:
      'spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "status.podIP": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
  },
  {
    name: 'downwardAPI item paths are relative',
    mutate: (p) =>
      (p.spec.volumes = [
        {
          name: 'd',
          downwardAPI: { items: [{ path: '/etc/name', fieldRef: { fieldPath: 'metadata.name' } }] },
        },
      ]),
    error: 'spec.volumes[0].downwardAPI.items[0].path: Invalid value: "/etc/name": must be a relative path',
  },
  {
    name: 'projected sources do not write one path twice',
    mutate: (p) =>
      (p.spec.volumes = [
        {
          name: 'all',
          projected: {
            sources: [
              { configMap: { name: 'c', items: [{ key: 'a', path: 'x' }] } },
              { secret: { name: 's', items: [{ key: 'b', path: 'x' }] } },
            ],
          },
        },
      ]),
    error:
      'spec.volumes[0].projected.sources[1].secret.items[0].path: Invalid value: "x": conflicting duplicate paths',
  },
  {
    name: 'imagePullPolicy is Always, IfNotPresent or Never',
    mutate: (p) => (c0(p).imagePullPolicy = 'Sometimes'),
    error:
      'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
  },
  {
    name: 'terminationMessagePolicy is File or FallbackToLogsOnError',
    mutate: (p) => (c0(p).terminationMessagePolicy = 'Logs'),
    error:
      'spec.containers[0].terminationMessagePolicy: Unsupported value: "Logs": supported values: "File", "FallbackToLogsOnError"',
  },
  {
    name: 'dnsPolicy None needs dnsConfig',
    mutate: (p) => (p.spec.dnsPolicy = 'None'),
    error: 'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None',
  },
  {
    name: 'ephemeral containers cannot be set on create',
    mutate: (p) => (p.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }]),
    error: 'spec.ephemeralContainers: Forbidden: cannot be set on create',
  },
  {
    name: 'a preStop sleep fits in the grace period',
    mutate: (p) => (c0(p).lifecycle = { preStop: { sleep: { seconds: 60 } } }),
    error:
      'spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be non-negative and less than terminationGracePeriodSeconds (30)',
  },
  {
    name: 'lifecycle handlers need a handler type',
    mutate: (p) => (c0(p).lifecycle = { postStart: {} }),
    error: 'spec.containers[0].lifecycle.postStart: Required value: must specify a handler type',
  },
  {
    name: 'runAsUser is a valid uid',
    mutate: (p) => (c0(p).securityContext = { runAsUser: -1 }),
    error:
      'spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive',
  },
];

describe('validatePod (through admitManifests)', () => {
  it('accepts the base pod (the control case)', () => {
    const doc = admitObject(basePod());
    expect(doc.errors).toEqual([]);
    expect(doc.valid).toBe(true);
  });

  it.each(cases)('$name', ({ mutate, error }) => {
    const pod = basePod();
    mutate(pod);
    const doc = admitObject(pod);
    expect(doc.valid).toBe(false);
    expect(doc.errors).toContain(error);
  });

  it.each([
    {
      name: 'a native sidecar may have probes and hooks',
      mutate: (p: Json) =>
        (p.spec.initContainers = [
          {
            name: 'proxy',
            image: 'envoy',
            restartPolicy: 'Always',
            readinessProbe: { tcpSocket: { port: 9901 } },
            lifecycle: { preStop: { sleep: { seconds: 5 } } },
          },
        ]),
    },
    { name: 'generateName alone is enough', mutate: (p: Json) => (p.metadata = { generateName: 'web-' }) },
    {
      name: 'requests equal to limits',
      mutate: (p: Json) => (c0(p).resources = { limits: { cpu: '500m' }, requests: { cpu: '0.5' } }),
    },
    {
      name: 'a named port a probe refers to',
      mutate: (p: Json) => {
        c0(p).ports = [{ name: 'http', containerPort: 8080 }];
        c0(p).livenessProbe = { httpGet: { port: 'http', path: '/healthz' } };
      },
    },
    {
      name: 'labels and annotations with a DNS prefix',
      mutate: (p: Json) => (p.metadata.labels = { 'app.kubernetes.io/name': 'web' }),
    },
    {
      name: 'env from a label via fieldRef subscript',
      mutate: (p: Json) =>
        (c0(p).env = [{ name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }]),
    },
    {
      name: 'a preStop sleep of 0 seconds',
      mutate: (p: Json) => (c0(p).lifecycle = { preStop: { sleep: { seconds: 0 } } }),
    },
  ])('valid: $name', ({ mutate }) => {
    const pod = basePod();
    mutate(pod);
    const doc = admitObject(pod);
    expect(doc.errors).toEqual([]);
  });

  it('collects every error instead of stopping at the first', () => {
    const pod = basePod();
    pod.metadata.name = 'Bad_Name';
    c0(pod).livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 };
    c0(pod).ports = [{ containerPort: 0 }];
    const doc = admitObject(pod);
    expect(doc.errors).toHaveLength(3);
    expect(doc.fieldErrors.map((e) => e.field)).toEqual([
      'metadata.name',
      'spec.containers[0].ports[0].containerPort',
      'spec.containers[0].livenessProbe.successThreshold',
    ]);
  });
});
