// The static pod decisions (core/static-pods.ts), from the kubelet's file source (pkg/kubelet/config/file.go,
// file_linux.go, common.go applyDefaults), its mirror client (pkg/kubelet/pod/mirror_client.go) and its pod
// additions, updates and removals (pkg/kubelet/kubelet.go).
import { describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  admitStaticPod,
  CONFIG_HASH_ANNOTATION,
  CONFIG_MIRROR_ANNOTATION,
  CONFIG_SEEN_ANNOTATION,
  CONFIG_SOURCE_ANNOTATION,
  isMirrorPod,
  isStaticPodManifestName,
  parseStaticPodFile,
  planStaticPods,
  staticPodHash,
  staticPodHashInput,
  staticPodName,
  type DesiredStaticPod,
  type ExistingPod,
} from '../../src/core/static-pods.ts';

const T0 = Date.UTC(2025, 0, 1);
const CTX = {
  path: '/etc/pods/web.yaml',
  nodeName: 'podflow-local',
  nodeUid: 'node-uid',
  hash: 'h1',
  now: T0,
};
const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  containers:
    - name: web
      image: busybox
      command: [sleep, '3600']
`;

const parsed = (text: string): Record<string, unknown> => {
  const r = parseStaticPodFile(text, CTX.path);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.object;
};

describe('isStaticPodManifestName', () => {
  it.each([
    { name: 'web.yaml', manifest: true },
    { name: 'web.yml', manifest: true },
    { name: 'web.json', manifest: true },
    { name: 'WEB.YAML', manifest: true },
    { name: '.web.yaml (a dotfile: file.go globs [^.]*)', file: '.web.yaml', manifest: false },
    { name: '.web.yaml.swp', manifest: false },
    { name: 'web.yaml~ (an editor backup)', file: 'web.yaml~', manifest: false },
    { name: 'README.md', manifest: false },
    { name: '.yaml (nothing but the extension)', file: '.yaml', manifest: false },
  ])('$name → $manifest', ({ name, file, manifest }) => {
    expect(isStaticPodManifestName(file ?? name)).toBe(manifest);
  });
});

describe('staticPodName', () => {
  it('appends the node name in lower case (common.go generatePodName)', () => {
    expect(staticPodName('web', 'Podflow-Local')).toBe('web-podflow-local');
  });
});

describe('staticPodHashInput', () => {
  it('is the same for the same object whatever its field order or formatting', () => {
    const a = parsed(WEB);
    const b = parsed(`{"spec":{"containers":[{"command":["sleep","3600"],"image":"busybox","name":"web"}]},
      "metadata":{"labels":{"app":"web"},"name":"web"},"kind":"Pod","apiVersion":"v1"}  # a comment`);
    expect(staticPodHashInput('n', '/p', a)).toBe(staticPodHashInput('n', '/p', b));
  });

  it.each([
    { name: 'a changed field', node: 'n', path: '/p', text: WEB.replace('3600', '60') },
    { name: 'another file', node: 'n', path: '/q', text: WEB },
    { name: 'another node', node: 'm', path: '/p', text: WEB },
  ])('differs for $name', ({ node, path, text }) => {
    expect(staticPodHashInput(node, path, parsed(text))).not.toBe(staticPodHashInput('n', '/p', parsed(WEB)));
  });
});

describe('parseStaticPodFile', () => {
  it.each([
    { name: 'YAML that does not parse', text: 'kind: [', error: /web\.yaml:1/ },
    { name: 'two documents', text: `${WEB}---\n${WEB}`, error: /exactly one Pod \(found several\)/ },
    {
      name: 'a List',
      text: '{"kind":"List","apiVersion":"v1","items":[{"kind":"Pod"}]}',
      error: /exactly one/,
    },
    { name: 'an empty file', text: '', error: /found no object/ },
  ])('refuses $name', ({ text, error }) => {
    const r = parseStaticPodFile(text, CTX.path);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(error);
  });
});

describe('admitStaticPod', () => {
  it('makes the mirror as applyDefaults and CreateMirrorPod do', () => {
    const r = admitStaticPod(parsed(WEB), CTX);
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    const pod = r.pod;
    expect(pod.metadata?.name).toBe('web-podflow-local');
    expect(pod.metadata?.namespace).toBe('default');
    expect(pod.metadata?.uid).toBe('h1');
    expect(pod.metadata?.labels).toEqual({ app: 'web' });
    expect(pod.metadata?.annotations).toEqual({
      [CONFIG_HASH_ANNOTATION]: 'h1',
      [CONFIG_MIRROR_ANNOTATION]: 'h1',
      [CONFIG_SOURCE_ANNOTATION]: 'file',
      [CONFIG_SEEN_ANNOTATION]: '2025-01-01T00:00:00Z',
    });
    expect(pod.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: 'podflow-local', uid: 'node-uid', controller: true },
    ]);
    expect(pod.spec?.nodeName).toBe('podflow-local');
    expect(pod.spec?.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
    expect(pod.spec?.restartPolicy).toBe('Always'); // the API server's defaults too
    expect(isMirrorPod(pod)).toBe(true);
    expect(staticPodHash(pod)).toBe('h1');
  });

  it('keeps the namespace and an existing NoExecute toleration', () => {
    const text = WEB.replace('  name: web\n', '  name: web\n  namespace: ops\n').replace(
      'spec:\n',
      'spec:\n  tolerations: [{operator: Exists, effect: NoExecute}]\n',
    );
    const r = admitStaticPod(parsed(text), CTX);
    expect(r.ok && r.pod.metadata?.namespace).toBe('ops');
    expect(r.ok && r.pod.spec?.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
  });

  it.each([
    {
      name: 'not a Pod',
      text: WEB.replace('kind: Pod', 'kind: Job').replace('v1', 'batch/v1'),
      error: /must be a v1 Pod/,
    },
    { name: 'no name', text: WEB.replace('  name: web\n', ''), error: /metadata\.name: Required value/ },
    {
      name: 'an invalid pod',
      text: WEB.replace('restartPolicy', 'x').replace('spec:\n', 'spec:\n  restartPolicy: Sometimes\n'),
      error: /spec\.restartPolicy: Unsupported value: "Sometimes"/,
    },
  ])('refuses $name, with the file and the field', ({ text, error }) => {
    const r = admitStaticPod(parsed(text), CTX);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.join('\n')).toMatch(error);
      expect(r.errors.every((e) => e.startsWith(CTX.path))).toBe(true);
    }
  });
});

describe('planStaticPods', () => {
  const desired = (path: string, name: string, hash: string): DesiredStaticPod => ({
    path,
    hash,
    pod: { metadata: { name, namespace: 'default' } } as Pod,
  });
  const existing = (name: string, hash: string | undefined, deleting = false): ExistingPod => ({
    namespace: 'default',
    name,
    hash,
    deleting,
  });

  it.each([
    {
      name: 'a new file → create',
      want: [desired('/d/a.yaml', 'a-n', 'h1')],
      have: [],
      create: ['a-n'],
      remove: [],
      conflicts: [],
    },
    {
      name: 'unchanged → nothing (an engine restart re-adopts its pods)',
      want: [desired('/d/a.yaml', 'a-n', 'h1')],
      have: [existing('a-n', 'h1')],
      create: [],
      remove: [],
      conflicts: [],
    },
    {
      name: 'a changed hash → kill the old pod first',
      want: [desired('/d/a.yaml', 'a-n', 'h2')],
      have: [existing('a-n', 'h1')],
      create: [],
      remove: ['a-n changed'],
      conflicts: [],
    },
    {
      name: 'a changed hash while the old pod terminates → wait',
      want: [desired('/d/a.yaml', 'a-n', 'h2')],
      have: [existing('a-n', 'h1', true)],
      create: [],
      remove: [],
      conflicts: [],
    },
    {
      name: 'a file gone → delete its pod; API pods are left alone',
      want: [],
      have: [existing('a-n', 'h1'), existing('api-pod', undefined)],
      create: [],
      remove: ['a-n gone'],
      conflicts: [],
    },
    {
      name: 'two files name one pod → the first path wins',
      want: [desired('/d/b.yaml', 'a-n', 'h2'), desired('/d/a.yaml', 'a-n', 'h1')],
      have: [],
      create: ['a-n'],
      remove: [],
      conflicts: ['/d/b.yaml'],
    },
    {
      name: 'an API pod holds the name → reported, not touched',
      want: [desired('/d/a.yaml', 'a-n', 'h1')],
      have: [existing('a-n', undefined)],
      create: [],
      remove: [],
      conflicts: ['/d/a.yaml'],
    },
  ])('$name', ({ want, have, create, remove, conflicts }) => {
    const plan = planStaticPods(want, have);
    expect(plan.create.map((d) => d.pod.metadata?.name)).toEqual(create);
    expect(plan.create.map((d) => d.hash)).toEqual(create.length > 0 ? ['h1'] : []);
    expect(plan.remove.map((r) => `${r.name} ${r.reason}`)).toEqual(remove);
    expect(plan.conflicts.map((c) => c.path)).toEqual(conflicts);
  });
});
