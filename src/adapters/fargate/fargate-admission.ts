// What the Fargate runtime adds to the API's admission (docs/decisions/0006-fargate-runtime.md §5, §6, §8): it
// refuses, with Kubernetes-style field errors, what a Fargate task cannot run, warns about what it runs differently,
// and writes the task size into the `podflow.io/fargate-size` annotation (EKS writes `CapacityProvisioned`). Pure;
// the cloud API calls it after the usual defaulting and validation (lambdas/api.ts).
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1';
import { forbidden, invalid, notSupported, type FieldError } from '../../core/field-errors.ts';
import {
  ephemeralRequestTooLarge,
  FARGATE_SIZE_ANNOTATION,
  fargateSizeFor,
  formatFargateSize,
  podRequest,
} from './fargate-sizing.ts';
import { PAUSE_CONTAINER } from './sandbox-identity.ts';
import { MAX_FARGATE_STOP_TIMEOUT_SECONDS } from './task-definition.ts';

/** ECS service quotas: "Containers per task definition", 10 — the pause container is one of them. */
export const MAX_POD_CONTAINERS = 9;

export interface FargateAdmission {
  pod: Pod;
  errors: FieldError[];
  warnings: string[];
}

/** Downward API fields that only exist once the task's ENI has an address. */
const AFTER_START_FIELDS = new Set(['status.podIP', 'status.podIPs']);

const EXEC_UNSUPPORTED =
  "podflow's Fargate runtime cannot run a command inside a running container: use httpGet, tcpSocket or grpc";

/**
 * A task definition is readable by anyone with ecs:DescribeTaskDefinition, and its `environment` is plain text: a
 * Secret's value must not go there. Mapping it to ECS `secrets` (valueFrom Secrets Manager or SSM) is not done, so
 * every Secret reference is refused — optional ones too, which would otherwise quietly resolve to nothing.
 */
const SECRET_ENV_UNSUPPORTED =
  "podflow's Fargate runtime does not pass Secrets to containers: their values would be written in plain text into " +
  'the ECS task definition; read the secret inside the container (e.g. from Secrets Manager with the task role)';

/** Task definitions are rendered from the pod alone: no ConfigMap is read (an optional reference resolves to nothing). */
const CONFIGMAP_ENV_UNSUPPORTED =
  "podflow's Fargate runtime does not fill environment variables from ConfigMaps: the container could never start " +
  '(CreateContainerConfigError); set the values in env directly';

function checkContainer(c: Container, path: string, errors: FieldError[], warnings: string[]): void {
  if (c.name === PAUSE_CONTAINER)
    errors.push(invalid(`${path}.name`, c.name, "is reserved for the Fargate task's pause container"));
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    const p = c[probe];
    if (p?.exec) errors.push(forbidden(`${path}.${probe}.exec`, EXEC_UNSUPPORTED));
    if (p?.terminationGracePeriodSeconds !== undefined)
      warnings.push(
        `${path}.${probe}.terminationGracePeriodSeconds: not applied on Fargate: a kill uses the task's stopTimeout (the pod's grace)`,
      );
  }
  for (const hook of ['postStart', 'preStop'] as const) {
    if (c.lifecycle?.[hook]?.exec)
      errors.push(
        forbidden(
          `${path}.lifecycle.${hook}.exec`,
          "podflow's Fargate runtime cannot run a command inside a running container: use httpGet or sleep",
        ),
      );
  }
  (c.env ?? []).forEach((e: EnvVar, i) => {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field && AFTER_START_FIELDS.has(field))
      errors.push(
        forbidden(
          `${path}.env[${i}].valueFrom.fieldRef.fieldPath`,
          `${field} is the task's address, known only once the Fargate task runs, after its environment is fixed: ` +
            'read it inside the container from $ECS_CONTAINER_METADATA_URI_V4/task (Networks[0].IPv4Addresses[0])',
        ),
      );
    if (e.valueFrom?.secretKeyRef)
      errors.push(forbidden(`${path}.env[${i}].valueFrom.secretKeyRef`, SECRET_ENV_UNSUPPORTED));
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref && ref.optional !== true)
      errors.push(forbidden(`${path}.env[${i}].valueFrom.configMapKeyRef`, CONFIGMAP_ENV_UNSUPPORTED));
  });
  (c.envFrom ?? []).forEach((e, i) => {
    if (e.secretRef) errors.push(forbidden(`${path}.envFrom[${i}].secretRef`, SECRET_ENV_UNSUPPORTED));
    if (e.configMapRef && e.configMapRef.optional !== true)
      errors.push(forbidden(`${path}.envFrom[${i}].configMapRef`, CONFIGMAP_ENV_UNSUPPORTED));
  });
  (c.ports ?? []).forEach((p, i) => {
    if (p.protocol === 'SCTP')
      errors.push(notSupported(`${path}.ports[${i}].protocol`, p.protocol, ['TCP', 'UDP']));
  });
  (c.volumeMounts ?? []).forEach((m, i) => {
    if (m.subPath || m.subPathExpr)
      errors.push(forbidden(`${path}.volumeMounts[${i}].subPath`, 'Fargate task volumes are mounted whole'));
  });
}

export function admitForFargate(pod: Pod): FargateAdmission {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const spec = pod.spec;
  if (!spec) return { pod, errors, warnings };
  const init = spec.initContainers ?? [];
  init.forEach((c, i) => checkContainer(c, `spec.initContainers[${i}]`, errors, warnings));
  spec.containers.forEach((c, i) => checkContainer(c, `spec.containers[${i}]`, errors, warnings));
  const count = init.length + spec.containers.length;
  if (count > MAX_POD_CONTAINERS)
    errors.push(
      invalid(
        'spec.containers',
        count,
        `a Fargate task holds at most 10 containers, one of them podflow's pause container: at most ${MAX_POD_CONTAINERS} init and app containers`,
      ),
    );
  // An ECS task volume without a host path is what an emptyDir is; configMap, secret, downwardAPI and projected
  // volumes would need files materialized into the task (not done yet), and a hostPath names a path of a host
  // Fargate does not give: each is refused rather than run without its files.
  (spec.volumes ?? []).forEach((v, i) => {
    if (v.emptyDir) {
      if (v.emptyDir.medium === 'Memory')
        warnings.push(
          `spec.volumes[${i}].emptyDir.medium: Memory is not applied on Fargate: the volume is on the task's ephemeral storage`,
        );
      if (v.emptyDir.sizeLimit !== undefined)
        warnings.push(`spec.volumes[${i}].emptyDir.sizeLimit: not enforced on Fargate`);
      return;
    }
    const kind = Object.keys(v).find((k) => k !== 'name') ?? 'volume';
    errors.push(
      forbidden(
        `spec.volumes[${i}]`,
        kind === 'configMap' || kind === 'secret'
          ? "podflow's Fargate runtime mounts no ConfigMap or Secret volumes: use an emptyDir an init container fills"
          : `podflow's Fargate runtime mounts only emptyDir volumes, not ${kind}`,
      ),
    );
  });
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && grace > MAX_FARGATE_STOP_TIMEOUT_SECONDS)
    warnings.push(
      `spec.terminationGracePeriodSeconds: ${grace} is longer than Fargate allows: containers get SIGKILL ${MAX_FARGATE_STOP_TIMEOUT_SECONDS} s after SIGTERM`,
    );
  if ((spec.imagePullSecrets ?? []).length > 1)
    warnings.push(
      `spec.imagePullSecrets: only the first (${spec.imagePullSecrets![0]!.name ?? ''}) is used: an ECS container takes one registry credential`,
    );
  const request = podRequest(spec);
  if (ephemeralRequestTooLarge(request.ephemeralBytes))
    errors.push(
      invalid(
        'spec.containers[*].resources.requests.ephemeral-storage',
        `${request.ephemeralBytes / 1024n ** 3n}Gi`,
        'Fargate provides at most 175Gi of ephemeral storage to a pod',
      ),
    );
  const size = fargateSizeFor(request);
  if (!size) {
    errors.push(
      invalid(
        'spec.containers[*].resources.requests',
        `cpu ${request.cpuMillis}m, memory ${request.memoryBytes} bytes`,
        "more than Fargate's largest task (16 vCPU, 120 GB, 256 MB of it for the system)",
      ),
    );
    return { pod, errors, warnings };
  }
  const annotations = {
    ...(pod.metadata?.annotations ?? {}),
    [FARGATE_SIZE_ANNOTATION]: formatFargateSize(size),
  };
  return { pod: { ...pod, metadata: { ...pod.metadata, annotations } }, errors, warnings };
}
