import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../src/core/field-errors.ts';
import {
  changedImages,
  POD_UPDATE_FORBIDDEN,
  validatePodUpdate,
} from '../../src/core/manifest/validate-pod-update.ts';

const old: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', labels: { app: 'web' } },
  spec: {
    activeDeadlineSeconds: 600,
    tolerations: [{ key: 'a', operator: 'Exists' }],
    initContainers: [{ name: 'init', image: 'busybox:1.28', command: ['true'] }],
    containers: [{ name: 'app', image: 'busybox:1.28', command: ['sleep', '9'] }],
  },
};

const edit = (f: (p: Pod) => void): Pod => {
  const p = structuredClone(old);
  f(p);
  return p;
};

describe('validatePodUpdate (docs/semantics.md §10)', () => {
  it.each([
    {
      name: 'labels and annotations may change',
      next: edit((p) => (p.metadata!.labels = { app: 'web', tier: 'x' })),
      errors: [],
    },
    {
      name: 'a container image may change',
      next: edit((p) => (p.spec!.containers[0]!.image = 'busybox:1.36')),
      errors: [],
    },
    {
      name: 'an init container image may change',
      next: edit((p) => (p.spec!.initContainers![0]!.image = 'busybox:1.36')),
      errors: [],
    },
    {
      name: 'activeDeadlineSeconds may be lowered',
      next: edit((p) => (p.spec!.activeDeadlineSeconds = 60)),
      errors: [],
    },
    {
      name: 'activeDeadlineSeconds may not be raised',
      next: edit((p) => (p.spec!.activeDeadlineSeconds = 6000)),
      errors: [
        'spec.activeDeadlineSeconds: Invalid value: 6000: must be less than or equal to previous value',
      ],
    },
    {
      name: 'tolerations may be added',
      next: edit((p) => p.spec!.tolerations!.push({ key: 'b', operator: 'Exists' })),
      errors: [],
    },
    {
      name: 'tolerations may not be removed',
      next: edit((p) => (p.spec!.tolerations = [])),
      errors: [
        'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
      ],
    },
    {
      name: 'a command change is forbidden with the API server text',
      next: edit((p) => (p.spec!.containers[0]!.command = ['sleep', '10'])),
      errors: [`spec: Forbidden: ${POD_UPDATE_FORBIDDEN}`],
    },
    {
      name: 'adding a container is forbidden',
      next: edit((p) => p.spec!.containers.push({ name: 'b', image: 'x' })),
      errors: [`spec: Forbidden: ${POD_UPDATE_FORBIDDEN}`],
    },
    {
      name: 'the uid is immutable',
      next: edit((p) => ((p.metadata as { uid?: string }).uid = 'other')),
      errors: ['metadata.uid: Invalid value: "other": field is immutable'],
    },
  ])('$name', ({ next, errors }) => {
    expect(validatePodUpdate(next, old).map(formatFieldError)).toEqual(errors);
  });

  it('names the containers whose image changed', () => {
    const next = edit((p) => {
      p.spec!.containers[0]!.image = 'busybox:1.36';
    });
    expect(changedImages(next.spec!, old.spec!)).toEqual(['app']);
  });
});
