// Shared by the Fargate adapter tests: task definition settings and pods admitted as the API admits them.
import type { Pod } from 'kubernetes-types/core/v1';
import {
  DEFAULT_PAUSE_IMAGE,
  DEFAULT_REGISTRY_SECRET_PREFIX,
  type TaskDefinitionSettings,
} from '../../../src/adapters/fargate/task-definition.ts';
import { admitManifests } from '../../../src/core/manifest/index.ts';
import { admittedPod, type AdmittedPod } from '../../../src/core/pod-state.ts';

export const SETTINGS: TaskDefinitionSettings = {
  executionRoleArn: 'arn:aws:iam::123456789012:role/podflow-execution',
  taskRoleArn: 'arn:aws:iam::123456789012:role/podflow-task',
  logGroup: '/podflow/pods',
  region: 'us-east-1',
  pauseImage: DEFAULT_PAUSE_IMAGE,
  cpuArchitecture: 'X86_64',
  hostIP: '10.0.0.1',
  registrySecretPrefix: DEFAULT_REGISTRY_SECRET_PREFIX,
};

/** A manifest admitted as the API admits it: defaulted, validated, a fixed uid. */
export function admit(yaml: string, namespace = 'default'): AdmittedPod {
  const result = admitManifests(yaml, 'test', {
    strict: true,
    now: Date.UTC(2026, 0, 1),
    newUid: () => '6f1c2b9a-0d3e-4c5f-8a7b-9e8d7c6b5a41',
    namespace,
  });
  const doc = result.documents[0]!;
  if (!doc.valid) throw new Error(result.errors.join('\n'));
  return admittedPod(doc.object as Pod);
}
