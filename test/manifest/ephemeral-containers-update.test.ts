// The pods/ephemeralcontainers update (ValidatePodEphemeralContainersUpdate, validateEphemeralContainers,
// podEphemeralContainersStrategy): additions only, the allow list of fields, unique names, a target that exists.
import type { EphemeralContainer, Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { formatManifestFieldError } from '../../src/core/manifest/manifest-field-errors.ts';
import { applyEphemeralContainersUpdate } from '../../src/core/manifest/ephemeral-containers-update.ts';
import { defaultPod } from '../../src/core/manifest/default-pod.ts';
import { applyPodUpdate } from '../../src/core/manifest/validate-pod-update.ts';
import { admittedPod, type AdmittedPod } from '../../src/core/pod-state.ts';

const opts = { now: Date.UTC(2026, 0, 1), newUid: () => 'uid-1' };

function stored(ephemeral: EphemeralContainer[] = []): AdmittedPod {
  const pod = defaultPod(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x', namespace: 'default' },
      spec: {
        initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      },
    },
    opts,
  );
  // Stored ephemeral containers were defaulted when they were added.
  const defaulted = defaultPod({ ...pod, spec: { ...pod.spec!, ephemeralContainers: ephemeral } }, opts);
  return admittedPod(ephemeral.length > 0 ? defaulted : pod);
}

const debugger0: EphemeralContainer = { name: 'debugger', image: 'busybox', command: ['sh'], stdin: true };

/** The request: the stored pod with `list` as its ephemeral containers, defaulted as the API server defaults it. */
function request(current: AdmittedPod, list: EphemeralContainer[], edit: (p: Pod) => Pod = (p) => p): Pod {
  return defaultPod(edit({ ...current, spec: { ...current.spec, ephemeralContainers: list } }), opts);
}

const messages = (current: AdmittedPod, next: Pod): string[] => {
  const r = applyEphemeralContainersUpdate(current, next);
  return r.ok ? [] : r.errors.map(formatManifestFieldError);
};

describe('pods/ephemeralcontainers update', () => {
  it('adds a container: the stored pod with the new list; every other change in the request is dropped', () => {
    const current = stored();
    const next = request(current, [{ ...debugger0, targetContainerName: 'app' }], (p) => ({
      ...p,
      metadata: { ...p.metadata, labels: { sneaky: 'yes' } },
      spec: { ...p.spec!, activeDeadlineSeconds: 5 },
    }));
    const r = applyEphemeralContainersUpdate(current, next);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.added).toEqual(['debugger']);
    expect(r.pod.spec.ephemeralContainers?.map((c) => [c.name, c.targetContainerName])).toEqual([
      ['debugger', 'app'],
    ]);
    expect(r.pod.metadata.labels).toBeUndefined();
    expect(r.pod.spec.activeDeadlineSeconds).toBeUndefined();
  });

  it('the same list again adds nothing', () => {
    const current = stored([debugger0]);
    const r = applyEphemeralContainersUpdate(current, request(current, current.spec.ephemeralContainers!));
    expect(r).toMatchObject({ ok: true, added: [] });
  });

  it.each([
    {
      name: 'removing an existing one',
      before: [debugger0],
      list: (old: EphemeralContainer[]) => old.slice(1),
      errors: [
        'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" may not be removed',
      ],
    },
    {
      name: 'changing an existing one',
      before: [debugger0],
      list: (old: EphemeralContainer[]) => [{ ...old[0]!, image: 'alpine' }],
      errors: [
        'spec.ephemeralContainers[debugger]: Forbidden: existing ephemeral containers "debugger" may not be changed',
      ],
    },
    {
      name: 'ports and probes set',
      before: [],
      list: () => [
        {
          ...debugger0,
          ports: [{ containerPort: 80 }],
          readinessProbe: { exec: { command: ['true'] } },
          livenessProbe: { exec: { command: ['true'] } },
        },
      ],
      errors: [
        'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
        'spec.ephemeralContainers[0].livenessProbe: Forbidden: cannot be set for an Ephemeral Container',
        'spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container',
      ],
    },
    {
      name: 'lifecycle and resources set',
      before: [],
      list: () => [
        {
          ...debugger0,
          resources: { limits: { memory: '64Mi' } },
          lifecycle: { postStart: { exec: { command: ['true'] } } },
        },
      ],
      errors: [
        'spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container',
        'spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container',
      ],
    },
    {
      name: 'a name another container has',
      before: [],
      list: () => [{ ...debugger0, name: 'app' }],
      errors: ['spec.ephemeralContainers[0].name: Duplicate value: "app"'],
    },
    {
      name: 'a name an init container has',
      before: [],
      list: () => [{ ...debugger0, name: 'init' }],
      errors: ['spec.ephemeralContainers[0].name: Duplicate value: "init"'],
    },
    {
      name: 'a target that is no container of the pod',
      before: [],
      list: () => [{ ...debugger0, targetContainerName: 'nope' }],
      errors: ['spec.ephemeralContainers[0].targetContainerName: Not found: "nope"'],
    },
    {
      name: 'a target that is another ephemeral container',
      before: [debugger0],
      list: (old: EphemeralContainer[]) => [
        ...old,
        { ...debugger0, name: 'second', targetContainerName: 'debugger' },
      ],
      errors: ['spec.ephemeralContainers[1].targetContainerName: Not found: "debugger"'],
    },
    {
      name: 'a volume mount with subPath',
      before: [],
      list: () => [{ ...debugger0, volumeMounts: [{ name: 'data', mountPath: '/data', subPath: 'x' }] }],
      errors: [
        'spec.ephemeralContainers[0].volumeMounts[0].name: Not found: "data"',
        'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container',
      ],
    },
    {
      name: 'no image',
      before: [],
      list: () => [{ name: 'debugger', command: ['sh'] }],
      errors: ['spec.ephemeralContainers[0].image: Required value'],
    },
  ])('422: $name', ({ before, list, errors }) => {
    const current = stored(before);
    const next = request(current, list(current.spec.ephemeralContainers ?? []));
    expect(messages(current, next)).toEqual(errors);
  });

  it('an update of the pod itself keeps the ephemeral containers (they change through the subresource only)', () => {
    const current = stored([debugger0]);
    const next = defaultPod({ ...current, spec: { ...current.spec, ephemeralContainers: [] } }, opts);
    const r = applyPodUpdate(current, next);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.pod.spec.ephemeralContainers?.map((c) => c.name)).toEqual(['debugger']);
  });
});
