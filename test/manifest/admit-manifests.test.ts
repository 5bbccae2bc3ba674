// admitManifests end to end: kinds, unknown and duplicate fields (warn vs strict), decoding types, size, labels.
import { describe, expect, it } from 'vitest';
import {
  admitManifestObject,
  admitManifests,
  MAX_MANIFEST_OBJECT_BYTES,
} from '../../src/core/manifest/index.ts';
import { admitObject, admitText, basePod, getPath, NOW } from './helpers.ts';

const POD_WITH_TYPOS = `apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  lables:
    app: myapp
spec:
  containers:
  - name: app
    image: busybox:1.36
    imagee: busybox
`;

describe('admitManifests', () => {
  describe('unknown fields', () => {
    it('are warnings by default (fieldValidation=Warn), and the object is admitted without them', () => {
      const r = admitText(POD_WITH_TYPOS, { source: 'pod.yaml' });
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([
        'pod.yaml: unknown field "metadata.lables"',
        'pod.yaml: unknown field "spec.containers[0].imagee"',
      ]);
      expect(r.objects).toHaveLength(1);
      expect(getPath(r.objects[0]!.object, 'metadata.lables')).toBeUndefined();
      expect(getPath(r.objects[0]!.object, 'spec.containers[0].imagee')).toBeUndefined();
    });

    it('are errors in strict mode (fieldValidation=Strict), with the strict decoding text', () => {
      const r = admitText(POD_WITH_TYPOS, { source: 'pod.yaml', strict: true });
      expect(r.errors).toEqual([
        'pod.yaml: strict decoding error: unknown field "metadata.lables"',
        'pod.yaml: strict decoding error: unknown field "spec.containers[0].imagee"',
      ]);
      expect(r.objects).toEqual([]);
      expect(r.documents[0]!.valid).toBe(false);
    });

    it('match case-sensitively, as the API server’s decoder does', () => {
      const pod = basePod();
      pod.spec.containers[0].Image = 'x';
      expect(admitObject(pod).warnings).toContain('unknown field "spec.containers[0].Image"');
    });

    it('are found in Job templates with their full path', () => {
      const r = admitText(
        'apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: a, image: b, comand: [x]}]\n',
      );
      expect(r.documents[0]!.warnings).toContain('unknown field "spec.template.spec.containers[0].comand"');
    });
  });

  describe('duplicate fields', () => {
    const dup =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\nspec:\n  containers: [{name: c, image: d}]\n';
    it('warn by default, with go-yaml’s text', () => {
      expect(admitText(dup).documents[0]!.warnings).toEqual(['line 5: key "name" already set in map']);
    });
    it('fail in strict mode', () => {
      expect(admitText(dup, { strict: true }).documents[0]!.errors).toEqual([
        'strict decoding error: line 5: key "name" already set in map',
      ]);
    });
  });

  describe('kinds', () => {
    it.each([
      {
        name: 'an unregistered kind',
        text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n',
        error:
          'no kind "Deployment" is registered for version "apps/v1" (podflow admits v1 Pod, batch/v1 Job, batch/v1 CronJob)',
      },
      {
        name: 'a registered kind at another version',
        text: 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n',
        error:
          'no kind "CronJob" is registered for version "batch/v1beta1" (podflow admits v1 Pod, batch/v1 Job, batch/v1 CronJob)',
      },
      {
        name: 'a missing kind',
        text: 'apiVersion: v1\nmetadata: {name: a}\n',
        error: 'Object \'Kind\' is missing in \'{"apiVersion":"v1","metadata":{"name":"a"}}\'',
      },
      {
        name: 'a missing apiVersion',
        text: 'kind: Pod\nmetadata: {name: a}\n',
        error: 'Object \'apiVersion\' is missing in \'{"kind":"Pod","metadata":{"name":"a"}}\'',
      },
    ])('refuses $name as the API server does', ({ text, error }) => {
      expect(admitText(text).documents[0]!.errors).toEqual([error]);
    });
  });

  describe('decoding', () => {
    it.each([
      {
        name: 'an unquoted yes where a string belongs',
        mutate: (p: Record<string, any>) => (p.spec.containers[0].env = [{ name: 'DEBUG', value: true }]), // eslint-disable-line @typescript-eslint/no-explicit-any
        error:
          'json: cannot unmarshal bool into Go struct field EnvVar.spec.containers.env.value of type string',
      },
      {
        name: 'a fractional number where an integer belongs',
        mutate: (p: Record<string, any>) => (p.spec.terminationGracePeriodSeconds = 1.5), // eslint-disable-line @typescript-eslint/no-explicit-any
        error:
          'json: cannot unmarshal number 1.5 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64',
      },
      {
        name: 'a string where a list belongs',
        mutate: (p: Record<string, any>) => (p.spec.containers[0].command = 'sleep 10'), // eslint-disable-line @typescript-eslint/no-explicit-any
        error:
          'json: cannot unmarshal string into Go struct field Container.spec.containers.command of type []string',
      },
      {
        name: 'a list where an object belongs',
        mutate: (p: Record<string, any>) => (p.spec = []), // eslint-disable-line @typescript-eslint/no-explicit-any
        error: 'json: cannot unmarshal array into Go struct field Pod.spec of type v1.PodSpec',
      },
    ])('reports a type error with encoding/json’s text: $name', ({ mutate, error }) => {
      const pod = basePod();
      mutate(pod);
      const doc = admitObject(pod);
      expect(doc.valid).toBe(false);
      expect(doc.errors).toContain(error);
    });

    it('treats null as unset', () => {
      const pod = basePod();
      pod.spec.nodeName = null;
      pod.metadata.labels = null;
      expect(admitObject(pod).errors).toEqual([]);
    });
  });

  it(`refuses an object larger than ${MAX_MANIFEST_OBJECT_BYTES} bytes (docs/architecture.md §7)`, () => {
    const pod = basePod();
    pod.metadata.annotations = { big: 'x'.repeat(MAX_MANIFEST_OBJECT_BYTES) };
    const doc = admitObject(pod);
    expect(doc.valid).toBe(false);
    expect(doc.errors[0]).toMatch(
      /^the object is \d+ bytes as JSON; podflow admits at most 262144 bytes \(256 KiB\) per object/,
    );
  });

  it('refuses metadata.resourceVersion on create', () => {
    const pod = basePod();
    pod.metadata.resourceVersion = '42';
    expect(admitObject(pod).errors).toContain(
      'metadata.resourceVersion: Forbidden: resourceVersion should not be set on objects to be created (the API server’s rule; podflow assigns it).',
    );
  });

  it('labels messages with the document when the text holds several objects', () => {
    const text = `${POD_WITH_TYPOS}---\napiVersion: v1\nkind: Pod\nmetadata: {name: Bad}\nspec: {containers: [{name: a, image: b}]}\n`;
    const r = admitText(text, { source: 'all.yaml' });
    expect(r.warnings[0]).toBe('all.yaml (document 1): unknown field "metadata.lables"');
    expect(r.errors[0]).toMatch(/^all\.yaml \(document 2\): metadata\.name: Invalid value: "Bad": /);
    expect(r.documents.map((d) => [d.valid, d.description])).toEqual([
      [true, 'Pod default/myapp-pod'],
      [false, 'Pod default/Bad'],
    ]);
    expect(r.objects.map((o) => o.doc)).toEqual([0]);
  });

  it('gives each object its own uid and the creation time', () => {
    const r = admitText(`${POD_WITH_TYPOS}---\n${POD_WITH_TYPOS.replace('myapp-pod', 'other')}`);
    expect(r.objects.map((o) => o.object.metadata!.uid)).toEqual([
      '00000000-0000-0000-0000-000000000001',
      '00000000-0000-0000-0000-000000000002',
    ]);
    expect(r.objects[0]!.object.metadata!.creationTimestamp).toBe('2026-01-02T03:04:05Z');
  });

  it('reports support-policy refusals as Forbidden field errors and warnings as warnings', () => {
    const pod = basePod();
    pod.spec.hostPID = true;
    pod.spec.nodeSelector = { disk: 'ssd' };
    const doc = admitObject(pod);
    expect(doc.fieldErrors.map((e) => [e.type, e.field])).toEqual([['FieldValueForbidden', 'spec.hostPID']]);
    expect(doc.warnings).toEqual([
      'spec.nodeSelector: ignored: there is no scheduler and there are no nodes; podflow runs every pod itself.',
    ]);
  });
});

describe('admitManifestObject (an API request body, already parsed)', () => {
  const withTypo = (): Record<string, unknown> => {
    const pod = basePod();
    pod.spec.containers[0].imagee = 'busybox';
    return pod;
  };
  const invalid = (): Record<string, unknown> => {
    const pod = basePod();
    pod.spec.containers[0].name = 'Not_A_Name';
    return pod;
  };
  const badType = (): Record<string, unknown> => {
    const pod = basePod();
    pod.spec.containers = 'app';
    return pod;
  };
  it.each([
    { name: 'a valid pod', object: basePod, strict: false },
    { name: 'an unknown field (warning)', object: withTypo, strict: false },
    { name: 'an unknown field under Strict (error)', object: withTypo, strict: true },
    { name: 'a field error', object: invalid, strict: false },
    { name: 'a type error', object: badType, strict: false },
  ])('judges $name as the same object written as JSON text', ({ object, strict }) => {
    let a = 0;
    let b = 0;
    const fromObject = admitManifestObject(object(), 'request body', {
      now: NOW,
      newUid: () => `uid-${++a}`,
      strict,
    });
    const fromText = admitManifests(JSON.stringify(object()), 'request body', {
      now: NOW,
      newUid: () => `uid-${++b}`,
      strict,
    }).documents[0];
    expect(fromObject).toEqual(fromText);
  });
});
