// The pod a Job creates, as the Job controller builds it from the Job's template (pkg/controller/job/
// job_controller.go manageJob → podControl.CreatePodsWithGenerateName, indexed_job_utils.go): the template's labels,
// annotations and spec, a controller ownerReference to the Job, `generateName` `<job>-` (Indexed: `<job>-<index>-`)
// and, in Indexed mode, the completion index as annotation and label, the JOB_COMPLETION_INDEX env var of every
// container (a fieldRef to the annotation) and the hostname `<job>-<index>`.
import type { Job } from 'kubernetes-types/batch/v1';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';

/** batch.JobCompletionIndexAnnotation (and, with PodIndexLabel, the label of the same name). */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** indexed_job_utils.go completionIndexEnvName. */
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** validation.DNS1123SubdomainMaxLength - the generated suffix: podGenerateNameWithIndex cuts the prefix to fit. */
const MAX_GENERATE_NAME_PREFIX = 63 - 5;

/** metav1.NewControllerRef(job, batch/v1 Job). */
export function jobControllerRef(job: Job): OwnerReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata?.name ?? '',
    uid: job.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The controller reference of a pod (metav1.GetControllerOf), if any. */
export const controllerOf = (pod: Pod): OwnerReference | undefined =>
  (pod.metadata?.ownerReferences ?? []).find((r) => r.controller === true);

/** Whether the pod's controller is this Job (by uid, as the controller's claim checks). */
export const isControlledBy = (pod: Pod, job: Job): boolean => {
  const ref = controllerOf(pod);
  return ref !== undefined && ref.kind === 'Job' && ref.uid === job.metadata?.uid;
};

/** getCompletionIndex: the pod's index annotation, or undefined when absent or malformed. */
export function completionIndexOf(pod: Pod): number | undefined {
  const text = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** podGenerateNameWithIndex: `<job>-<index>-`, the job name cut so that the whole fits. */
function generateNameFor(jobName: string, index: number | undefined): string {
  if (index === undefined) return `${jobName}-`.slice(0, MAX_GENERATE_NAME_PREFIX);
  const suffix = `-${index}-`;
  return `${jobName.slice(0, Math.max(0, MAX_GENERATE_NAME_PREFIX - suffix.length))}${suffix}`;
}

/** addCompletionIndexEnvVariable: unless the container sets JOB_COMPLETION_INDEX itself. */
function withIndexEnv(container: Container): Container {
  if ((container.env ?? []).some((e) => e.name === COMPLETION_INDEX_ENV)) return container;
  return {
    ...container,
    env: [
      ...(container.env ?? []),
      {
        name: COMPLETION_INDEX_ENV,
        valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } },
      },
    ],
  };
}

/** The pod (not yet defaulted: the create path defaults and validates it) for one new pod of the Job. */
export function podForJob(job: Job, index: number | undefined): Pod {
  const template = structuredClone(job.spec?.template ?? {});
  const name = job.metadata?.name ?? '';
  const labels = { ...(template.metadata?.labels ?? {}) };
  const annotations = { ...(template.metadata?.annotations ?? {}) };
  let spec = template.spec ?? { containers: [] };
  if (index !== undefined) {
    annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    labels[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    spec = {
      ...spec,
      containers: spec.containers.map(withIndexEnv),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(withIndexEnv) } : {}),
      ...(spec.hostname ? {} : { hostname: `${name}-${index}` }),
    };
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: generateNameFor(name, index),
      namespace: job.metadata?.namespace ?? 'default',
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [jobControllerRef(job)],
    },
    spec,
  };
}
