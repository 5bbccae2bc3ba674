// Client-side apply (cli/commands/apply.ts): the last-applied annotation exactly as kubectl writes it, the three-way
// strategic merge patch (checked by applying it with the server's own strategic merge, api/patch.ts), and reading
// manifests into objects.
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { mergeStrategic } from '../../src/api/patch.ts';
import {
  goJson,
  LAST_APPLIED_ANNOTATION,
  modifiedConfiguration,
  readManifestObjects,
  threeWayMergePatch,
} from '../../src/cli/commands/apply.ts';

type Obj = Record<string, unknown>;

const pod = (o: { labels?: Obj; containers?: Obj[]; extra?: Obj } = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', ...(o.labels ? { labels: o.labels } : {}) },
  spec: {
    containers: o.containers ?? [{ name: 'main', image: 'busybox', command: ['sleep', '60'] }],
    ...o.extra,
  },
});

/** What the API server keeps besides what was applied: defaults and status. */
const live = (applied: Obj): Obj => {
  const spec = applied.spec as { containers: Obj[] };
  return {
    ...applied,
    metadata: { ...(applied.metadata as Obj), uid: 'u1', resourceVersion: '7' },
    spec: {
      ...spec,
      containers: spec.containers.map((c) => ({
        ...c,
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
      })),
      restartPolicy: 'Always',
      nodeName: 'podflow-local',
    },
    status: { phase: 'Running' },
  };
};

describe('the last-applied configuration', () => {
  it('is kubectl’s byte for byte: keys sorted, empty annotations kept, & < > escaped, a trailing newline', () => {
    // kubectl 1.32 `apply -f` of this manifest stored exactly this annotation (podflow serve, default namespace).
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web2', labels: { app: 'web' }, namespace: 'default' },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"],
            env: [{ name: 'GREETING', value: 'hi & <bye>' }],
          },
        ],
      },
    };
    const { object, lastApplied } = modifiedConfiguration(manifest, true);
    expect(lastApplied).toBe(
      '{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"labels":{"app":"web"},"name":"web2","namespace":"default"},"spec":{"containers":[{"command":["sh","-c","trap \'exit 0\' TERM; while true; do sleep 0.2; done"],"env":[{"name":"GREETING","value":"hi \\u0026 \\u003cbye\\u003e"}],"image":"busybox","name":"main"}],"terminationGracePeriodSeconds":2}}\n',
    );
    expect((object.metadata as { annotations: Obj }).annotations).toEqual({
      [LAST_APPLIED_ANNOTATION]: lastApplied,
    });
  });

  it('leaves an earlier last-applied annotation out of the new one', () => {
    const manifest = {
      ...pod(),
      metadata: { name: 'web', annotations: { a: '1', [LAST_APPLIED_ANNOTATION]: 'old' } },
    };
    expect(modifiedConfiguration(manifest, false).lastApplied).toContain('"annotations":{"a":"1"}');
  });

  it('goJson escapes as Go’s encoding/json', () => {
    expect(goJson({ b: '<&>\u2028', a: [1, { d: null, c: true }] })).toBe(
      '{"a":[1,{"c":true,"d":null}],"b":"\\u003c\\u0026\\u003e\\u2028"}\n',
    );
  });
});

describe('threeWayMergePatch', () => {
  const main = (o: Obj = {}): Obj => ({ name: 'main', image: 'busybox', command: ['sleep', '60'], ...o });
  it.each<{ name: string; original: Obj; modified: Obj; current?: Obj; patch: Obj }>([
    {
      name: 'nothing changed: {} (unchanged), whatever the server added',
      original: pod(),
      modified: pod(),
      patch: {},
    },
    {
      name: 'a changed label',
      original: pod({ labels: { app: 'web', tier: 'a' } }),
      modified: pod({ labels: { app: 'web', tier: 'b' } }),
      patch: { metadata: { labels: { tier: 'b' } } },
    },
    {
      name: 'a label the last apply set and this one does not: null (deleted)',
      original: pod({ labels: { app: 'web', tier: 'a' } }),
      modified: pod({ labels: { app: 'web' } }),
      patch: { metadata: { labels: { tier: null } } },
    },
    {
      name: 'a label someone else added is left alone',
      original: pod({ labels: { app: 'web' } }),
      modified: pod({ labels: { app: 'web' } }),
      current: live(pod({ labels: { app: 'web', team: 'x' } })),
      patch: {},
    },
    {
      name: 'a label someone else changed is set back (overwrite)',
      original: pod({ labels: { app: 'web' } }),
      modified: pod({ labels: { app: 'web' } }),
      current: live(pod({ labels: { app: 'other' } })),
      patch: { metadata: { labels: { app: 'web' } } },
    },
    {
      name: 'a container’s image: merged by name, with the element order',
      original: pod(),
      modified: pod({ containers: [main({ image: 'busybox:1.36' })] }),
      patch: {
        spec: {
          containers: [{ name: 'main', image: 'busybox:1.36' }],
          '$setElementOrder/containers': [{ name: 'main' }],
        },
      },
    },
    {
      name: 'an env var dropped: $patch delete by name',
      original: pod({
        containers: [
          main({
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          }),
        ],
      }),
      modified: pod({ containers: [main({ env: [{ name: 'A', value: '1' }] })] }),
      patch: {
        spec: {
          containers: [
            { name: 'main', env: [{ name: 'B', $patch: 'delete' }], '$setElementOrder/env': [{ name: 'A' }] },
          ],
          '$setElementOrder/containers': [{ name: 'main' }],
        },
      },
    },
    {
      name: 'an atomic list (command) is replaced whole',
      original: pod(),
      modified: pod({ containers: [main({ command: ['sleep', '61'] })] }),
      patch: {
        spec: {
          containers: [{ name: 'main', command: ['sleep', '61'] }],
          '$setElementOrder/containers': [{ name: 'main' }],
        },
      },
    },
    {
      name: 'a field no longer applied: null',
      original: pod({ extra: { activeDeadlineSeconds: 60 } }),
      modified: pod(),
      patch: { spec: { activeDeadlineSeconds: null } },
    },
  ])('$name', ({ original, modified, current, patch }) => {
    const live_ = current ?? live(original);
    const got = threeWayMergePatch(original, modified, live_);
    expect(got).toEqual(patch);
    // Applied by the server's strategic merge, the patch brings every applied field to the manifest's value and
    // removes what the last apply set and this one does not; the rest of the live object stays.
    const merged = mergeStrategic(live_, got) as Pod;
    const labels = (o: Obj): Obj => ((o.metadata as Obj).labels as Obj | undefined) ?? {};
    for (const [k, v] of Object.entries(labels(modified))) expect(merged.metadata?.labels?.[k]).toBe(v);
    for (const k of Object.keys(labels(original)))
      if (!(k in labels(modified))) expect(merged.metadata?.labels ?? {}).not.toHaveProperty(k);
    const spec = modified.spec as NonNullable<Pod['spec']>;
    expect(merged.spec?.containers.map((c) => [c.name, c.image, c.command, c.env])).toEqual(
      spec.containers.map((c) => [c.name, c.image, c.command, c.env]),
    );
    expect(merged.spec?.containers[0]?.imagePullPolicy).toBe('Always');
    expect(merged.spec?.activeDeadlineSeconds).toBe(spec.activeDeadlineSeconds);
  });
});

describe('readManifestObjects', () => {
  it.each([
    {
      name: 'several documents, empty ones skipped',
      text: '---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n# nothing\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n',
      names: ['a', 'b'],
      errors: [],
    },
    {
      name: 'a List is expanded',
      text: '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"c"}}]}',
      names: ['c'],
      errors: [],
    },
    {
      name: 'no kind, no apiVersion',
      text: 'metadata: {name: d}\n',
      names: [],
      errors: ['error validating "f.yaml": error validating data: [apiVersion not set, kind not set]'],
    },
    {
      name: 'YAML that does not parse',
      text: 'a: [1\n',
      names: [],
      errors: [expect.stringMatching(/^error parsing f\.yaml: /)],
    },
  ])('$name', ({ text, names, errors }) => {
    const r = readManifestObjects([{ name: 'f.yaml', text }]);
    expect(r.objects.map((o) => (o.object.metadata as Obj).name)).toEqual(names);
    expect(r.errors).toEqual(errors);
  });
});
