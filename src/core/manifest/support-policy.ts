// What podflow does with each field of a Pod, Job or CronJob: the single table that decides admission warnings and
// refusals, and from which docs/supported-fields.md is generated (`npm run gen:docs`; a test fails on drift).
//
// Status:
// - supported: honoured, to the extent the note says;
// - warn:      accepted, but not honoured — admission returns a warning saying why;
// - reject:    podflow cannot honour it — admission fails with a Forbidden field error saying why.
// A warn/reject row fires only when its condition holds (by default: whenever the field is set). Rules are checked
// on the object as written, before defaulting, so a default never triggers a warning.
// Every field of the types listed in SCOPES has a row (a test checks this against the generated schema), so adding
// a field to the Kubernetes API shows up here as a failing test, not as a silent "supported".
import { forbidden } from '../field-errors.ts';
import type { FieldError } from '../field-errors.ts';
import { isPlainObject } from './kinds.ts';
import type { ManifestKind } from './kinds.ts';

export type SupportStatus = 'supported' | 'warn' | 'reject';

export type Scope =
  | 'metadata'
  | 'podSpec'
  | 'podSecurityContext'
  | 'container'
  | 'containerSecurityContext'
  | 'volume'
  | 'jobSpec'
  | 'cronJobSpec';

/** Where a field sits, for the condition of a row. */
export interface FieldContext {
  /** The object holding the field (e.g. the port, for `ports[*].hostPort`). */
  parent: Record<string, unknown>;
  /** The map key, for `[*]` over a map. */
  key?: string;
}

export interface Condition {
  /** Shown in the doc's "When" column. */
  text: string;
  test: (value: unknown, ctx: FieldContext) => boolean;
}

export interface SupportRule {
  scope: Scope;
  /** Path within the scope: `hostNetwork`, `ports[*].hostPort`, `resources.limits[cpu]` (`[*]`: every item or key). */
  field: string;
  status: SupportStatus;
  /** For warn/reject: when the row fires. Absent: whenever the field is set. */
  when?: Condition;
  /** What podflow does, in one sentence (the doc's last column, and the text of the warning or error). */
  does: string;
  /** The refusal comes from Kubernetes validation already (validate-pod.ts); the row only documents it. */
  byValidation?: true;
}

/** Each scope: its schema type (for the completeness test) and where it sits, as shown in the doc. */
export const SCOPES: Readonly<
  Record<Scope, { schemaType: string; title: string; prefix: string; where: string }>
> = {
  metadata: {
    schemaType: 'V1ObjectMeta',
    title: 'Object metadata',
    prefix: 'metadata.',
    where: '`metadata` of a Pod, Job or CronJob.',
  },
  podSpec: {
    schemaType: 'V1PodSpec',
    title: 'Pod spec',
    prefix: 'spec.',
    where:
      '`spec` of a Pod; `spec.template.spec` of a Job; `spec.jobTemplate.spec.template.spec` of a CronJob.',
  },
  podSecurityContext: {
    schemaType: 'V1PodSecurityContext',
    title: 'Pod security context',
    prefix: 'spec.securityContext.',
    where: '`securityContext` of a pod spec.',
  },
  container: {
    schemaType: 'V1Container',
    title: 'Containers',
    prefix: 'spec.containers[*].',
    where: 'Every entry of `containers`, `initContainers` and `ephemeralContainers` of a pod spec.',
  },
  containerSecurityContext: {
    schemaType: 'V1SecurityContext',
    title: 'Container security context',
    prefix: 'spec.containers[*].securityContext.',
    where: '`securityContext` of every container, init container and ephemeral container.',
  },
  volume: {
    schemaType: 'V1Volume',
    title: 'Volumes',
    prefix: 'spec.volumes[*].',
    where: 'Every entry of `volumes` of a pod spec.',
  },
  jobSpec: {
    schemaType: 'V1JobSpec',
    title: 'Job spec',
    prefix: 'spec.',
    where: '`spec` of a Job; `spec.jobTemplate.spec` of a CronJob.',
  },
  cronJobSpec: {
    schemaType: 'V1CronJobSpec',
    title: 'CronJob spec',
    prefix: 'spec.',
    where: '`spec` of a CronJob.',
  },
};

const isSet: Condition = { text: 'set', test: (v) => v !== undefined };
const isTrue: Condition = { text: '`true`', test: (v) => v === true };
const isFalse: Condition = { text: '`false`', test: (v) => v === false };
const nonEmpty: Condition = {
  text: 'not empty',
  test: (v) => (Array.isArray(v) ? v.length > 0 : v !== undefined),
};
const notEquals = (value: string): Condition => ({
  text: `not \`${value}\``,
  test: (v) => v !== undefined && v !== value,
});

const NO_SCHEDULER = 'ignored: there is no scheduler and there are no nodes; podflow runs every pod itself.';
const NO_CLUSTER_DNS =
  'ignored: there is no cluster DNS; containers use the resolver of the host (process runtime) or of the VPC (Fargate).';
const HOST_NAMESPACES =
  'podflow cannot grant the host’s process or IPC namespace: Fargate tasks cannot join them, and pods get no host access.';
const RUN_AS =
  'not applied by the process runtime (containers run as podflow’s own user); on Fargate it becomes the container’s `user`.';
const NOT_APPLIED_CONFINEMENT =
  'not applied: podflow installs no such confinement on the processes it starts.';
const NOT_CLOSED_ON_DETACH =
  'ignored: the container’s stdin stays open after the first attach ends (a process runtime pipe, no CRI stdinOnce).';
const NO_TERMINAL =
  'ignored: podflow allocates no terminal; `kubectl attach -t` gets the output without one (stderr on stdout).';
const EXTENDED_RESOURCE: Condition = {
  text: 'an extended resource (`vendor.com/x`) or `hugepages-*`',
  test: (_v, ctx) => ctx.key !== undefined && (ctx.key.includes('/') || ctx.key.startsWith('hugepages-')),
};

/** Volume sources podflow provides; every other source is refused. */
export const SUPPORTED_VOLUME_SOURCES = [
  'emptyDir',
  'configMap',
  'secret',
  'downwardAPI',
  'projected',
  'hostPath',
] as const;
const UNSUPPORTED_VOLUME_SOURCES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'csi',
  'ephemeral',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'image',
  'iscsi',
  'nfs',
  'persistentVolumeClaim',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
];

export const SUPPORT_POLICY: readonly SupportRule[] = [
  // ---- metadata
  { scope: 'metadata', field: 'name', status: 'supported', does: 'the object’s name.' },
  {
    scope: 'metadata',
    field: 'generateName',
    status: 'supported',
    does: 'a name is generated from it on create, as the API server does.',
  },
  {
    scope: 'metadata',
    field: 'namespace',
    status: 'supported',
    does: 'any valid name; namespaces need not be created first. Default `default`.',
  },
  {
    scope: 'metadata',
    field: 'labels',
    status: 'supported',
    does: 'stored; label selectors (`get -l`, Job selectors) use them.',
  },
  { scope: 'metadata', field: 'annotations', status: 'supported', does: 'stored.' },
  { scope: 'metadata', field: 'uid', status: 'supported', does: 'replaced by a new uid on create.' },
  {
    scope: 'metadata',
    field: 'creationTimestamp',
    status: 'supported',
    does: 'set by podflow on create; a given value is replaced.',
  },
  { scope: 'metadata', field: 'generation', status: 'supported', does: 'set to 1 on create.' },
  {
    scope: 'metadata',
    field: 'deletionTimestamp',
    status: 'supported',
    does: 'cleared on create; set by a delete.',
  },
  {
    scope: 'metadata',
    field: 'deletionGracePeriodSeconds',
    status: 'supported',
    does: 'cleared on create; set by a delete.',
  },
  { scope: 'metadata', field: 'selfLink', status: 'supported', does: 'cleared (deprecated in Kubernetes).' },
  {
    scope: 'metadata',
    field: 'resourceVersion',
    status: 'reject',
    does: 'resourceVersion should not be set on objects to be created (the API server’s rule; podflow assigns it).',
  },
  {
    scope: 'metadata',
    field: 'finalizers',
    status: 'warn',
    when: nonEmpty,
    does: 'recorded, not honoured: nothing in podflow removes finalizers, and deletion does not wait for them.',
  },
  {
    scope: 'metadata',
    field: 'ownerReferences',
    status: 'warn',
    when: nonEmpty,
    does: 'honoured when the owner is a Job (deleting it deletes or orphans this pod, by propagation policy); owners of other kinds are recorded only.',
  },
  {
    scope: 'metadata',
    field: 'managedFields',
    status: 'warn',
    when: nonEmpty,
    does: 'ignored: podflow does not track field managers.',
  },

  // ---- pod spec
  {
    scope: 'podSpec',
    field: 'containers',
    status: 'supported',
    does: 'started after the init containers, supervised and restarted per restartPolicy.',
  },
  {
    scope: 'podSpec',
    field: 'initContainers',
    status: 'supported',
    does: 'run one at a time, in order; `restartPolicy: Always` makes a native sidecar.',
  },
  {
    scope: 'podSpec',
    field: 'restartPolicy',
    status: 'supported',
    does: 'Always, OnFailure and Never, with the kubelet’s crash back-off.',
  },
  {
    scope: 'podSpec',
    field: 'terminationGracePeriodSeconds',
    status: 'supported',
    does: 'SIGTERM, then SIGKILL when it runs out; Fargate caps a stop at 120 s.',
  },
  {
    scope: 'podSpec',
    field: 'activeDeadlineSeconds',
    status: 'supported',
    does: 'the pod fails with reason DeadlineExceeded when it runs longer.',
  },
  {
    scope: 'podSpec',
    field: 'readinessGates',
    status: 'supported',
    does: 'conditions written through the status subresource gate Ready.',
  },
  { scope: 'podSpec', field: 'volumes', status: 'supported', does: 'see Volumes.' },
  { scope: 'podSpec', field: 'securityContext', status: 'supported', does: 'see Pod security context.' },
  {
    scope: 'podSpec',
    field: 'enableServiceLinks',
    status: 'supported',
    does: 'accepted; there are no Services, so there are no service variables to inject.',
  },
  {
    scope: 'podSpec',
    field: 'ephemeralContainers',
    status: 'reject',
    byValidation: true,
    does: 'cannot be set on create, as in Kubernetes; added later through the `pods/ephemeralcontainers` subresource (`kubectl debug`), locally only: a Fargate task cannot be given another container.',
  },
  {
    scope: 'podSpec',
    field: 'hostNetwork',
    status: 'supported',
    does: 'the pod shares the host’s network and hostname (process runtime; its IPC namespace stays its own), and its IP is the host’s: 127.0.0.1 locally.',
  },
  { scope: 'podSpec', field: 'hostPID', status: 'reject', when: isTrue, does: HOST_NAMESPACES },
  { scope: 'podSpec', field: 'hostIPC', status: 'reject', when: isTrue, does: HOST_NAMESPACES },
  {
    scope: 'podSpec',
    field: 'hostUsers',
    status: 'reject',
    when: isFalse,
    does: 'podflow cannot create user namespaces: containers run in the runtime’s own.',
  },
  {
    scope: 'podSpec',
    field: 'resourceClaims',
    status: 'reject',
    when: nonEmpty,
    does: 'podflow has no dynamic resource allocation (DRA).',
  },
  {
    scope: 'podSpec',
    field: 'schedulingGates',
    status: 'reject',
    when: nonEmpty,
    does: 'podflow starts a pod at once; it cannot hold one until its scheduling gates are removed.',
  },
  {
    scope: 'podSpec',
    field: 'os',
    status: 'reject',
    when: { text: '`name: windows`', test: (v) => isPlainObject(v) && v.name === 'windows' },
    does: 'podflow runs Linux tasks (Fargate) and host processes (locally), never Windows containers.',
  },
  { scope: 'podSpec', field: 'affinity', status: 'warn', does: NO_SCHEDULER },
  { scope: 'podSpec', field: 'nodeSelector', status: 'warn', does: NO_SCHEDULER },
  { scope: 'podSpec', field: 'nodeName', status: 'warn', does: NO_SCHEDULER },
  { scope: 'podSpec', field: 'tolerations', status: 'warn', when: nonEmpty, does: NO_SCHEDULER },
  {
    scope: 'podSpec',
    field: 'topologySpreadConstraints',
    status: 'warn',
    when: nonEmpty,
    does: NO_SCHEDULER,
  },
  {
    scope: 'podSpec',
    field: 'schedulerName',
    status: 'warn',
    when: notEquals('default-scheduler'),
    does: NO_SCHEDULER,
  },
  {
    scope: 'podSpec',
    field: 'schedulingGroup',
    status: 'warn',
    does: 'ignored: there is no gang scheduling.',
  },
  {
    scope: 'podSpec',
    field: 'priority',
    status: 'warn',
    does: 'ignored: pods are not ranked and nothing is preempted.',
  },
  {
    scope: 'podSpec',
    field: 'priorityClassName',
    status: 'warn',
    does: 'ignored: pods are not ranked and nothing is preempted.',
  },
  {
    scope: 'podSpec',
    field: 'preemptionPolicy',
    status: 'warn',
    does: 'ignored: pods are not ranked and nothing is preempted.',
  },
  {
    scope: 'podSpec',
    field: 'runtimeClassName',
    status: 'warn',
    does: 'ignored: podflow’s configuration picks the runtime (process, fargate, lambda).',
  },
  { scope: 'podSpec', field: 'overhead', status: 'warn', does: 'ignored: no RuntimeClass adds overhead.' },
  {
    scope: 'podSpec',
    field: 'resources',
    status: 'warn',
    does: 'recorded, not enforced: podflow enforces limits per container (pod-level resources).',
  },
  { scope: 'podSpec', field: 'dnsPolicy', status: 'warn', does: NO_CLUSTER_DNS },
  { scope: 'podSpec', field: 'dnsConfig', status: 'warn', does: NO_CLUSTER_DNS },
  { scope: 'podSpec', field: 'subdomain', status: 'warn', does: NO_CLUSTER_DNS },
  { scope: 'podSpec', field: 'setHostnameAsFQDN', status: 'warn', when: isTrue, does: NO_CLUSTER_DNS },
  {
    scope: 'podSpec',
    field: 'hostname',
    status: 'supported',
    does: 'the pod’s hostname (default: its name) in its own UTS namespace (process runtime as root; without root containers see the host’s name).',
  },
  {
    scope: 'podSpec',
    field: 'hostnameOverride',
    status: 'warn',
    does: 'ignored: containers see the host’s name (process runtime) or the task’s (Fargate).',
  },
  {
    scope: 'podSpec',
    field: 'hostAliases',
    status: 'warn',
    when: nonEmpty,
    does: 'ignored: containers see the host’s /etc/hosts (process runtime); Fargate tasks cannot add entries.',
  },
  {
    scope: 'podSpec',
    field: 'imagePullSecrets',
    status: 'warn',
    when: nonEmpty,
    does: 'ignored: the process runtime pulls no images; Fargate pulls with the task execution role.',
  },
  {
    scope: 'podSpec',
    field: 'serviceAccountName',
    status: 'warn',
    does: 'ignored: there are no service accounts and no token is mounted; on AWS the task role grants permissions.',
  },
  {
    scope: 'podSpec',
    field: 'serviceAccount',
    status: 'warn',
    does: 'ignored: there are no service accounts and no token is mounted; on AWS the task role grants permissions.',
  },
  {
    scope: 'podSpec',
    field: 'automountServiceAccountToken',
    status: 'warn',
    when: isTrue,
    does: 'ignored: podflow mounts no service account token.',
  },
  {
    scope: 'podSpec',
    field: 'shareProcessNamespace',
    status: 'warn',
    when: isTrue,
    does: 'not enforced: the process runtime does not isolate process namespaces, so containers see the host’s processes.',
  },

  // ---- pod security context
  { scope: 'podSecurityContext', field: 'runAsUser', status: 'warn', does: RUN_AS },
  { scope: 'podSecurityContext', field: 'runAsGroup', status: 'warn', does: RUN_AS },
  {
    scope: 'podSecurityContext',
    field: 'runAsNonRoot',
    status: 'warn',
    when: isTrue,
    does: 'not verified: the process runtime runs containers as podflow’s own user, whoever that is.',
  },
  {
    scope: 'podSecurityContext',
    field: 'fsGroup',
    status: 'warn',
    does: 'not applied: volume ownership and supplementary groups are not changed.',
  },
  {
    scope: 'podSecurityContext',
    field: 'fsGroupChangePolicy',
    status: 'warn',
    does: 'not applied: volume ownership is not changed.',
  },
  {
    scope: 'podSecurityContext',
    field: 'supplementalGroups',
    status: 'warn',
    when: nonEmpty,
    does: 'not applied: processes keep podflow’s groups.',
  },
  {
    scope: 'podSecurityContext',
    field: 'supplementalGroupsPolicy',
    status: 'warn',
    does: 'not applied: processes keep podflow’s groups.',
  },
  { scope: 'podSecurityContext', field: 'seccompProfile', status: 'warn', does: NOT_APPLIED_CONFINEMENT },
  { scope: 'podSecurityContext', field: 'appArmorProfile', status: 'warn', does: NOT_APPLIED_CONFINEMENT },
  { scope: 'podSecurityContext', field: 'seLinuxOptions', status: 'warn', does: NOT_APPLIED_CONFINEMENT },
  {
    scope: 'podSecurityContext',
    field: 'seLinuxChangePolicy',
    status: 'warn',
    does: NOT_APPLIED_CONFINEMENT,
  },
  {
    scope: 'podSecurityContext',
    field: 'sysctls',
    status: 'warn',
    when: nonEmpty,
    does: 'not applied: containers share the kernel settings of the host (process runtime) or of Fargate.',
  },
  { scope: 'podSecurityContext', field: 'windowsOptions', status: 'warn', does: 'ignored: Windows only.' },

  // ---- containers
  { scope: 'container', field: 'name', status: 'supported', does: 'the container’s name.' },
  {
    scope: 'container',
    field: 'image',
    status: 'supported',
    does: 'the task image on Fargate; with the process runtime it selects a known local entrypoint, else command is required.',
  },
  {
    scope: 'container',
    field: 'command',
    status: 'supported',
    does: 'the program to run, `$(VAR)` expanded.',
  },
  { scope: 'container', field: 'args', status: 'supported', does: 'its arguments, `$(VAR)` expanded.' },
  { scope: 'container', field: 'workingDir', status: 'supported', does: 'the process’s working directory.' },
  {
    scope: 'container',
    field: 'env',
    status: 'supported',
    does: 'values, `$(VAR)` expansion, fieldRef, resourceFieldRef, configMapKeyRef and secretKeyRef.',
  },
  {
    scope: 'container',
    field: 'envFrom',
    status: 'supported',
    does: 'every key of a ConfigMap or Secret, with an optional prefix.',
  },
  {
    scope: 'container',
    field: 'imagePullPolicy',
    status: 'supported',
    does: 'recorded; the process runtime pulls no images.',
  },
  {
    scope: 'container',
    field: 'livenessProbe',
    status: 'supported',
    does: 'probed (exec, httpGet, tcpSocket, grpc); failure kills and restarts the container.',
  },
  {
    scope: 'container',
    field: 'readinessProbe',
    status: 'supported',
    does: 'probed; failure clears ready, never restarts.',
  },
  {
    scope: 'container',
    field: 'startupProbe',
    status: 'supported',
    does: 'probed; gates liveness and readiness until it succeeds.',
  },
  {
    scope: 'container',
    field: 'lifecycle',
    status: 'supported',
    does: 'postStart and preStop hooks (exec, httpGet, sleep).',
  },
  {
    scope: 'container',
    field: 'restartPolicy',
    status: 'supported',
    does: 'init containers only: `Always` makes a native sidecar.',
  },
  {
    scope: 'container',
    field: 'terminationMessagePolicy',
    status: 'supported',
    does: '`FallbackToLogsOnError` takes the message from the end of the log.',
  },
  {
    scope: 'container',
    field: 'securityContext',
    status: 'supported',
    does: 'see Container security context.',
  },
  {
    scope: 'container',
    field: 'volumeMounts',
    status: 'supported',
    does: 'each mount at its mountPath: a bind mount in the container’s own mount namespace as root, else under `$PODFLOW_ROOT` (see README, Volumes).',
  },
  {
    scope: 'container',
    field: 'volumeMounts[*].name',
    status: 'reject',
    byValidation: true,
    does: 'a mount must name a volume of the pod (`Not found` otherwise, as in Kubernetes).',
  },
  {
    scope: 'container',
    field: 'volumeMounts[*].mountPropagation',
    status: 'warn',
    does: 'not applied: there is no mount propagation.',
  },
  { scope: 'container', field: 'volumeMounts[*].recursiveReadOnly', status: 'warn', does: 'not applied.' },
  {
    scope: 'container',
    field: 'ports',
    status: 'supported',
    does: 'recorded; a container listens in its pod’s network namespace, at the pod IP (process runtime as root), on the host’s interfaces (process runtime without root), or on the task’s ENI (Fargate).',
  },
  {
    scope: 'container',
    field: 'ports[*].hostPort',
    status: 'supported',
    does: 'mapped to the pod’s containerPort with iptables DNAT, 127.0.0.1 included (process runtime as root); refused at creation, with a Forbidden field error, where the runtime cannot map it or another pod holds it.',
  },
  {
    scope: 'container',
    field: 'ports[*].hostIP',
    status: 'supported',
    does: 'the host address a hostPort mapping applies to (default: every local address).',
  },
  { scope: 'container', field: 'resources', status: 'supported', does: 'see the rows below.' },
  {
    scope: 'container',
    field: 'resources.limits[memory]',
    status: 'supported',
    does: 'enforced: a container above it is killed (OOMKilled, exit 137); sizes Fargate tasks.',
  },
  {
    scope: 'container',
    field: 'resources.limits[cpu]',
    status: 'warn',
    does: 'recorded, not enforced by the process runtime; sizes Fargate tasks.',
  },
  {
    scope: 'container',
    field: 'resources.limits[ephemeral-storage]',
    status: 'warn',
    does: 'recorded, not enforced: disk use is not limited.',
  },
  {
    scope: 'container',
    field: 'resources.limits[*]',
    status: 'reject',
    when: EXTENDED_RESOURCE,
    does: 'podflow cannot allocate devices or huge pages.',
  },
  {
    scope: 'container',
    field: 'resources.requests',
    status: 'supported',
    does: 'recorded: decide the QoS class and size Fargate tasks.',
  },
  {
    scope: 'container',
    field: 'resources.requests[*]',
    status: 'reject',
    when: EXTENDED_RESOURCE,
    does: 'podflow cannot allocate devices or huge pages.',
  },
  {
    scope: 'container',
    field: 'resources.claims',
    status: 'reject',
    when: nonEmpty,
    does: 'podflow has no dynamic resource allocation (DRA).',
  },
  {
    scope: 'container',
    field: 'resizePolicy',
    status: 'warn',
    when: nonEmpty,
    does: 'ignored: resources cannot be resized in place.',
  },
  {
    scope: 'container',
    field: 'restartPolicyRules',
    status: 'reject',
    when: nonEmpty,
    does: 'container restart rules are not implemented.',
  },
  {
    scope: 'container',
    field: 'volumeDevices',
    status: 'reject',
    when: nonEmpty,
    does: 'podflow cannot attach raw block devices.',
  },
  {
    scope: 'container',
    field: 'terminationMessagePath',
    status: 'warn',
    does: 'ignored: podflow cannot read a file from the container; use `terminationMessagePolicy: FallbackToLogsOnError`.',
  },
  {
    scope: 'container',
    field: 'stdin',
    status: 'supported',
    does: 'locally the container’s stdin is a pipe `kubectl attach -i` writes to, open until the container ends (as without `stdinOnce`); Fargate containers get no stdin.',
  },
  { scope: 'container', field: 'stdinOnce', status: 'warn', when: isTrue, does: NOT_CLOSED_ON_DETACH },
  { scope: 'container', field: 'tty', status: 'warn', when: isTrue, does: NO_TERMINAL },

  // ---- container security context
  {
    scope: 'containerSecurityContext',
    field: 'privileged',
    status: 'reject',
    when: isTrue,
    does: 'privileged containers are not allowed: podflow gives containers no host privileges.',
  },
  {
    scope: 'containerSecurityContext',
    field: 'capabilities',
    status: 'supported',
    does: 'see the rows below.',
  },
  {
    scope: 'containerSecurityContext',
    field: 'capabilities.add',
    status: 'reject',
    when: nonEmpty,
    does: 'podflow cannot grant Linux capabilities.',
  },
  {
    scope: 'containerSecurityContext',
    field: 'capabilities.drop',
    status: 'warn',
    when: nonEmpty,
    does: NOT_APPLIED_CONFINEMENT,
  },
  {
    scope: 'containerSecurityContext',
    field: 'allowPrivilegeEscalation',
    status: 'warn',
    when: isFalse,
    does: NOT_APPLIED_CONFINEMENT,
  },
  {
    scope: 'containerSecurityContext',
    field: 'readOnlyRootFilesystem',
    status: 'warn',
    when: isTrue,
    does: 'not enforced by the process runtime; applied to Fargate tasks.',
  },
  { scope: 'containerSecurityContext', field: 'runAsUser', status: 'warn', does: RUN_AS },
  { scope: 'containerSecurityContext', field: 'runAsGroup', status: 'warn', does: RUN_AS },
  {
    scope: 'containerSecurityContext',
    field: 'runAsNonRoot',
    status: 'warn',
    when: isTrue,
    does: 'not verified: the process runtime runs containers as podflow’s own user, whoever that is.',
  },
  {
    scope: 'containerSecurityContext',
    field: 'seccompProfile',
    status: 'warn',
    does: NOT_APPLIED_CONFINEMENT,
  },
  {
    scope: 'containerSecurityContext',
    field: 'appArmorProfile',
    status: 'warn',
    does: NOT_APPLIED_CONFINEMENT,
  },
  {
    scope: 'containerSecurityContext',
    field: 'seLinuxOptions',
    status: 'warn',
    does: NOT_APPLIED_CONFINEMENT,
  },
  { scope: 'containerSecurityContext', field: 'procMount', status: 'warn', does: NOT_APPLIED_CONFINEMENT },
  {
    scope: 'containerSecurityContext',
    field: 'windowsOptions',
    status: 'warn',
    does: 'ignored: Windows only.',
  },

  // ---- volumes
  { scope: 'volume', field: 'name', status: 'supported', does: 'what volumeMounts refer to.' },
  {
    scope: 'volume',
    field: 'emptyDir',
    status: 'supported',
    does: 'a fresh directory per pod, shared by its containers, removed with the pod (process runtime); a task volume (Fargate).',
  },
  {
    scope: 'volume',
    field: 'emptyDir.medium',
    status: 'supported',
    does: '`Memory`: a tmpfs when podflow runs as root; on disk without root and on Fargate.',
  },
  {
    scope: 'volume',
    field: 'emptyDir.sizeLimit',
    status: 'supported',
    does: 'a pod whose emptyDir grows past it is evicted (checked every 10 s); also the size of a `Memory` tmpfs (process runtime; not applied on Fargate).',
  },
  {
    scope: 'volume',
    field: 'configMap',
    status: 'supported',
    does: 'the ConfigMap’s keys as files (items, modes, optional), updated in place when the ConfigMap changes (process runtime; refused on Fargate).',
  },
  {
    scope: 'volume',
    field: 'secret',
    status: 'supported',
    does: 'the Secret’s keys as files (items, modes, optional; a tmpfs as root), updated in place (process runtime; refused on Fargate).',
  },
  {
    scope: 'volume',
    field: 'downwardAPI',
    status: 'supported',
    does: 'fieldRef and resourceFieldRef values as files (process runtime; refused on Fargate).',
  },
  {
    scope: 'volume',
    field: 'projected',
    status: 'supported',
    does: 'configMap, secret and downwardAPI sources in one directory (process runtime; refused on Fargate).',
  },
  {
    scope: 'volume',
    field: 'projected.sources[*].serviceAccountToken',
    status: 'reject',
    does: 'there are no service accounts or tokens.',
  },
  {
    scope: 'volume',
    field: 'projected.sources[*].clusterTrustBundle',
    status: 'reject',
    does: 'there are no ClusterTrustBundles.',
  },
  {
    scope: 'volume',
    field: 'projected.sources[*].podCertificate',
    status: 'reject',
    does: 'there are no pod certificates.',
  },
  {
    scope: 'volume',
    field: 'hostPath',
    status: 'supported',
    does: 'a path of the machine podflow runs on, with the type’s check (process runtime only; refused on Fargate).',
  },
  ...UNSUPPORTED_VOLUME_SOURCES.map((source): SupportRule => ({
    scope: 'volume',
    field: source,
    status: 'reject',
    does: 'podflow provides only emptyDir, configMap, secret, downwardAPI, projected and hostPath volumes.',
  })),

  // ---- job spec
  {
    scope: 'jobSpec',
    field: 'template',
    status: 'supported',
    does: 'the pods’ template (restartPolicy OnFailure or Never).',
  },
  {
    scope: 'jobSpec',
    field: 'completions',
    status: 'supported',
    does: 'the Job completes after this many successful pods.',
  },
  {
    scope: 'jobSpec',
    field: 'parallelism',
    status: 'supported',
    does: 'at most this many pods run at once.',
  },
  {
    scope: 'jobSpec',
    field: 'backoffLimit',
    status: 'supported',
    does: 'failed pods (and restarts under OnFailure) before the Job fails with BackoffLimitExceeded.',
  },
  {
    scope: 'jobSpec',
    field: 'activeDeadlineSeconds',
    status: 'supported',
    does: 'the Job fails with DeadlineExceeded when it runs longer.',
  },
  {
    scope: 'jobSpec',
    field: 'ttlSecondsAfterFinished',
    status: 'supported',
    does: 'the finished Job and its pods are deleted after it (foreground deletion, as the TTL controller does).',
  },
  {
    scope: 'jobSpec',
    field: 'podFailurePolicy',
    status: 'supported',
    does: 'rules on exit codes and pod conditions (FailJob, FailIndex, Ignore, Count).',
  },
  { scope: 'jobSpec', field: 'suspend', status: 'supported', does: 'a suspended Job starts no pods.' },
  {
    scope: 'jobSpec',
    field: 'selector',
    status: 'supported',
    does: 'generated from the Job’s uid unless manualSelector is true.',
  },
  { scope: 'jobSpec', field: 'manualSelector', status: 'supported', does: 'keeps a hand-written selector.' },
  {
    scope: 'jobSpec',
    field: 'podReplacementPolicy',
    status: 'supported',
    does: 'Failed: a replacement waits until the pod it replaces is terminal; TerminatingOrFailed (the default without a podFailurePolicy): it does not wait.',
  },
  {
    scope: 'jobSpec',
    field: 'completionMode',
    status: 'supported',
    does: 'NonIndexed, or Indexed: each pod gets its index (annotation and label batch.kubernetes.io/job-completion-index, env JOB_COMPLETION_INDEX, hostname `<job>-<index>`).',
  },
  {
    scope: 'jobSpec',
    field: 'backoffLimitPerIndex',
    status: 'supported',
    does: 'failures allowed per index of an Indexed Job; an index past it is failed (failedIndexes).',
  },
  {
    scope: 'jobSpec',
    field: 'maxFailedIndexes',
    status: 'supported',
    does: 'the Job fails with MaxFailedIndexesExceeded once more indexes than this have failed.',
  },
  {
    scope: 'jobSpec',
    field: 'successPolicy',
    status: 'supported',
    does: 'rules on succeeded indexes and counts: the Job succeeds early (SuccessCriteriaMet, reason SuccessPolicy).',
  },
  {
    scope: 'jobSpec',
    field: 'managedBy',
    status: 'reject',
    when: notEquals('kubernetes.io/job-controller'),
    does: 'podflow’s own Job controller runs every Job; it cannot leave one to another controller.',
  },

  // ---- cronjob spec
  {
    scope: 'cronJobSpec',
    field: 'schedule',
    status: 'supported',
    does: 'standard five-field cron or @hourly-style descriptors (robfig/cron syntax).',
  },
  {
    scope: 'cronJobSpec',
    field: 'timeZone',
    status: 'supported',
    does: 'an IANA zone name; the runtime’s time-zone data decides which exist.',
  },
  {
    scope: 'cronJobSpec',
    field: 'concurrencyPolicy',
    status: 'supported',
    does: 'Allow, Forbid or Replace.',
  },
  {
    scope: 'cronJobSpec',
    field: 'startingDeadlineSeconds',
    status: 'supported',
    does: 'a run later than this after its time is skipped.',
  },
  {
    scope: 'cronJobSpec',
    field: 'suspend',
    status: 'supported',
    does: 'a suspended CronJob starts no Jobs.',
  },
  {
    scope: 'cronJobSpec',
    field: 'successfulJobsHistoryLimit',
    status: 'supported',
    does: 'finished Jobs kept.',
  },
  { scope: 'cronJobSpec', field: 'failedJobsHistoryLimit', status: 'supported', does: 'failed Jobs kept.' },
  {
    scope: 'cronJobSpec',
    field: 'jobTemplate',
    status: 'supported',
    does: 'the Jobs it creates (see Job spec).',
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Checking an object

interface Match {
  path: string;
  value: unknown;
  ctx: FieldContext;
}

/** Values at `field` (segments separated by `.`; `[*]` every item of a list or a map, `[key]` one map key). */
function collect(base: unknown, basePath: string, field: string): Match[] {
  const segments = field.replace(/\[([^\]]+)\]/g, '.[$1]').split('.');
  let current: Match[] = [{ path: basePath, value: base, ctx: { parent: {} } }];
  for (const seg of segments) {
    const next: Match[] = [];
    for (const m of current) {
      if (seg === '[*]') {
        if (Array.isArray(m.value)) {
          m.value.forEach((v, i) => next.push({ path: `${m.path}[${i}]`, value: v, ctx: { parent: {} } }));
        } else if (isPlainObject(m.value)) {
          const parent = m.value;
          for (const [k, v] of Object.entries(parent))
            next.push({ path: `${m.path}[${k}]`, value: v, ctx: { parent, key: k } });
        }
      } else if (seg.startsWith('[') && isPlainObject(m.value)) {
        const k = seg.slice(1, -1);
        if (m.value[k] !== undefined)
          next.push({ path: `${m.path}${seg}`, value: m.value[k], ctx: { parent: m.value, key: k } });
      } else if (isPlainObject(m.value) && m.value[seg] !== undefined) {
        next.push({ path: m.path ? `${m.path}.${seg}` : seg, value: m.value[seg], ctx: { parent: m.value } });
      }
    }
    current = next;
  }
  return current;
}

/** Where each scope sits in an object of each kind. */
function scopeBases(
  kind: ManifestKind,
  object: Record<string, unknown>,
): Array<{ scope: Scope; base: unknown; path: string }> {
  const out: Array<{ scope: Scope; base: unknown; path: string }> = [
    { scope: 'metadata', base: object.metadata, path: 'metadata' },
  ];
  const podSpecAt = (spec: unknown, path: string): void => {
    out.push({ scope: 'podSpec', base: spec, path });
    if (!isPlainObject(spec)) return;
    out.push({ scope: 'podSecurityContext', base: spec.securityContext, path: `${path}.securityContext` });
    // Ephemeral containers are containers too (EphemeralContainerCommon): what podflow does with a field is the same.
    for (const list of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
      const containers = spec[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((c, i) => {
        const cPath = `${path}.${list}[${i}]`;
        out.push({ scope: 'container', base: c, path: cPath });
        if (isPlainObject(c))
          out.push({
            scope: 'containerSecurityContext',
            base: c.securityContext,
            path: `${cPath}.securityContext`,
          });
      });
    }
    if (Array.isArray(spec.volumes))
      spec.volumes.forEach((v, i) => out.push({ scope: 'volume', base: v, path: `${path}.volumes[${i}]` }));
  };
  const jobSpecAt = (spec: unknown, path: string): void => {
    out.push({ scope: 'jobSpec', base: spec, path });
    if (isPlainObject(spec) && isPlainObject(spec.template))
      podSpecAt(spec.template.spec, `${path}.template.spec`);
  };
  const spec = object.spec;
  if (kind === 'Pod') podSpecAt(spec, 'spec');
  else if (kind === 'Job') jobSpecAt(spec, 'spec');
  else {
    out.push({ scope: 'cronJobSpec', base: spec, path: 'spec' });
    if (isPlainObject(spec) && isPlainObject(spec.jobTemplate))
      jobSpecAt(spec.jobTemplate.spec, 'spec.jobTemplate.spec');
  }
  return out;
}

export interface SupportCheckResult {
  /** Fields podflow cannot honour: `spec.hostNetwork: Forbidden: podflow cannot grant host namespaces: …`. */
  errors: FieldError[];
  /** Fields podflow accepts and ignores: `spec.nodeSelector: ignored: there is no scheduler …`. */
  warnings: string[];
}

/** Applies the table to an object as written (decoded, not yet defaulted). */
export function checkSupportPolicy(kind: ManifestKind, object: Record<string, unknown>): SupportCheckResult {
  const result: SupportCheckResult = { errors: [], warnings: [] };
  for (const { scope, base, path } of scopeBases(kind, object)) {
    if (base === undefined) continue;
    for (const rule of SUPPORT_POLICY) {
      if (rule.scope !== scope || rule.status === 'supported' || rule.byValidation) continue;
      const when = rule.when ?? isSet;
      for (const m of collect(base, path, rule.field)) {
        if (!when.test(m.value, m.ctx)) continue;
        if (rule.status === 'reject') result.errors.push(forbidden(m.path, rule.does));
        else result.warnings.push(`${m.path}: ${rule.does}`);
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// The document

const STATUS_TEXT: Record<SupportStatus, string> = {
  supported: 'supported',
  warn: '⚠ warn',
  reject: '✗ reject',
};

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|');

/** docs/supported-fields.md, generated from SUPPORT_POLICY. */
export function renderSupportedFieldsDoc(): string {
  const lines = [
    '<!-- GENERATED from core/manifest/support-policy.ts by `npm run gen:docs` — do not edit by hand. -->',
    '',
    '# Supported fields',
    '',
    'podflow admits `v1` Pods and `batch/v1` Jobs and CronJobs, validated and defaulted as the Kubernetes API server',
    'does. This table says what it does with each field:',
    '',
    '- **supported** — honoured, as the note says;',
    '- **⚠ warn** — accepted but not honoured: `podflow validate`, `run` and the API answer with a warning;',
    '- **✗ reject** — podflow cannot honour it: the object is refused with a `Forbidden` field error.',
    '',
    'A warn or reject row applies only under its condition (“When”, by default whenever the field is set), checked',
    'on the object as written, so defaults never warn. Fields the API server does not know are warned about',
    '(`unknown field "…"`), or refused with `--strict`.',
    '',
  ];
  for (const [scope, info] of Object.entries(SCOPES) as Array<[Scope, (typeof SCOPES)[Scope]]>) {
    lines.push(
      `## ${info.title}`,
      '',
      info.where,
      '',
      '| Field | Status | When | What podflow does |',
      '| --- | --- | --- | --- |',
    );
    for (const rule of SUPPORT_POLICY.filter((r) => r.scope === scope)) {
      const when =
        rule.status === 'supported'
          ? ''
          : rule.byValidation
            ? 'always (Kubernetes validation)'
            : (rule.when ?? isSet).text;
      lines.push(
        `| \`${info.prefix}${rule.field}\` | ${STATUS_TEXT[rule.status]} | ${escapeCell(when)} | ${escapeCell(rule.does)} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
