// The support-policy table: what it refuses and warns about, that it covers every field of the types it governs,
// and that docs/supported-fields.md is generated from it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MANIFEST_SCHEMA } from '../../src/core/manifest/schema.generated.ts';
import {
  checkSupportPolicy,
  renderSupportedFieldsDoc,
  SCOPES,
  SUPPORT_POLICY,
} from '../../src/core/manifest/support-policy.ts';
import type { Scope } from '../../src/core/manifest/support-policy.ts';
import { baseCronJob, baseJob, basePod } from './helpers.ts';
import type { Json } from './helpers.ts';

const DOC = fileURLToPath(new URL('../../docs/supported-fields.md', import.meta.url));
const c0 = (p: Json): Json => p.spec.containers[0];

describe('checkSupportPolicy', () => {
  it.each([
    { name: 'hostPID: true', mutate: (p: Json) => (p.spec.hostPID = true), field: 'spec.hostPID' },
    { name: 'hostIPC: true', mutate: (p: Json) => (p.spec.hostIPC = true), field: 'spec.hostIPC' },
    { name: 'hostUsers: false', mutate: (p: Json) => (p.spec.hostUsers = false), field: 'spec.hostUsers' },
    {
      name: 'a privileged container',
      mutate: (p: Json) => (c0(p).securityContext = { privileged: true }),
      field: 'spec.containers[0].securityContext.privileged',
    },
    {
      name: 'a privileged init container',
      mutate: (p: Json) =>
        (p.spec.initContainers = [{ name: 'i', image: 'b', securityContext: { privileged: true } }]),
      field: 'spec.initContainers[0].securityContext.privileged',
    },
    {
      name: 'added capabilities',
      mutate: (p: Json) => (c0(p).securityContext = { capabilities: { add: ['NET_ADMIN'] } }),
      field: 'spec.containers[0].securityContext.capabilities.add',
    },
    {
      name: 'an nfs volume',
      mutate: (p: Json) => (p.spec.volumes = [{ name: 'h', nfs: { server: 'nfs', path: '/' } }]),
      field: 'spec.volumes[0].nfs',
    },
    {
      name: 'a persistentVolumeClaim volume',
      mutate: (p: Json) => (p.spec.volumes = [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }]),
      field: 'spec.volumes[0].persistentVolumeClaim',
    },
    {
      name: 'a projected serviceAccountToken',
      mutate: (p: Json) =>
        (p.spec.volumes = [
          {
            name: 'p',
            projected: { sources: [{ configMap: { name: 'c' } }, { serviceAccountToken: { path: 't' } }] },
          },
        ]),
      field: 'spec.volumes[0].projected.sources[1].serviceAccountToken',
    },
    {
      name: 'a GPU',
      mutate: (p: Json) => (c0(p).resources = { limits: { 'nvidia.com/gpu': '1' } }),
      field: 'spec.containers[0].resources.limits[nvidia.com/gpu]',
    },
    {
      name: 'scheduling gates',
      mutate: (p: Json) => (p.spec.schedulingGates = [{ name: 'wait' }]),
      field: 'spec.schedulingGates',
    },
    { name: 'a Windows pod', mutate: (p: Json) => (p.spec.os = { name: 'windows' }), field: 'spec.os' },
    {
      name: 'volume devices',
      mutate: (p: Json) => (c0(p).volumeDevices = [{ name: 'd', devicePath: '/dev/x' }]),
      field: 'spec.containers[0].volumeDevices',
    },
    {
      name: 'a resourceVersion on create',
      mutate: (p: Json) => (p.metadata.resourceVersion = '1'),
      field: 'metadata.resourceVersion',
    },
  ])('rejects $name', ({ mutate, field }) => {
    const pod = basePod();
    mutate(pod);
    const r = checkSupportPolicy('Pod', pod);
    expect(r.errors.map((e) => [e.type, e.field])).toEqual([['FieldValueForbidden', field]]);
    expect(r.warnings).toEqual([]);
  });

  it.each([
    {
      name: 'nodeSelector',
      mutate: (p: Json) => (p.spec.nodeSelector = { disk: 'ssd' }),
      field: 'spec.nodeSelector',
    },
    {
      name: 'affinity',
      mutate: (p: Json) => (p.spec.affinity = { nodeAffinity: {} }),
      field: 'spec.affinity',
    },
    {
      name: 'tolerations',
      mutate: (p: Json) => (p.spec.tolerations = [{ operator: 'Exists' }]),
      field: 'spec.tolerations',
    },
    {
      name: 'topologySpreadConstraints',
      mutate: (p: Json) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1 }]),
      field: 'spec.topologySpreadConstraints',
    },
    {
      name: 'priorityClassName',
      mutate: (p: Json) => (p.spec.priorityClassName = 'high'),
      field: 'spec.priorityClassName',
    },
    {
      name: 'runtimeClassName',
      mutate: (p: Json) => (p.spec.runtimeClassName = 'gvisor'),
      field: 'spec.runtimeClassName',
    },
    {
      name: 'an explicit dnsPolicy',
      mutate: (p: Json) => (p.spec.dnsPolicy = 'ClusterFirst'),
      field: 'spec.dnsPolicy',
    },
    {
      name: 'dnsConfig',
      mutate: (p: Json) => (p.spec.dnsConfig = { nameservers: ['1.1.1.1'] }),
      field: 'spec.dnsConfig',
    },
    {
      name: 'hostAliases',
      mutate: (p: Json) => (p.spec.hostAliases = [{ ip: '10.0.0.1', hostnames: ['db'] }]),
      field: 'spec.hostAliases',
    },
    {
      name: 'imagePullSecrets',
      mutate: (p: Json) => (p.spec.imagePullSecrets = [{ name: 'reg' }]),
      field: 'spec.imagePullSecrets',
    },
    {
      name: 'serviceAccountName',
      mutate: (p: Json) => (p.spec.serviceAccountName = 'builder'),
      field: 'spec.serviceAccountName',
    },
    {
      name: 'pod runAsUser',
      mutate: (p: Json) => (p.spec.securityContext = { runAsUser: 1000 }),
      field: 'spec.securityContext.runAsUser',
    },
    {
      name: 'container runAsUser',
      mutate: (p: Json) => (c0(p).securityContext = { runAsUser: 1000 }),
      field: 'spec.containers[0].securityContext.runAsUser',
    },
    {
      name: 'a cpu limit',
      mutate: (p: Json) => (c0(p).resources = { limits: { cpu: '1' } }),
      field: 'spec.containers[0].resources.limits[cpu]',
    },
    {
      name: 'mount propagation',
      mutate: (p: Json) => {
        p.spec.volumes = [{ name: 'm', emptyDir: {} }];
        c0(p).volumeMounts = [{ name: 'm', mountPath: '/m', mountPropagation: 'HostToContainer' }];
      },
      field: 'spec.containers[0].volumeMounts[0].mountPropagation',
    },
    { name: 'tty', mutate: (p: Json) => (c0(p).tty = true), field: 'spec.containers[0].tty' },
    {
      name: 'finalizers',
      mutate: (p: Json) => (p.metadata.finalizers = ['example.com/keep']),
      field: 'metadata.finalizers',
    },
  ])('warns about $name', ({ mutate, field }) => {
    const pod = basePod();
    mutate(pod);
    const r = checkSupportPolicy('Pod', pod);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.startsWith(`${field}: `)).toBe(true);
  });

  it.each([
    { name: 'hostNetwork: false', mutate: (p: Json) => (p.spec.hostNetwork = false) },
    {
      name: 'hostNetwork: true (the host’s network namespace)',
      mutate: (p: Json) => (p.spec.hostNetwork = true),
    },
    { name: 'a hostname', mutate: (p: Json) => (p.spec.hostname = 'frontend') },
    {
      name: 'a hostPort that maps (the runtime maps it, or refuses it at creation)',
      mutate: (p: Json) => (c0(p).ports = [{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }]),
    },
    {
      name: 'a hostPort equal to containerPort',
      mutate: (p: Json) => (c0(p).ports = [{ containerPort: 80, hostPort: 80 }]),
    },
    {
      name: 'a memory limit',
      mutate: (p: Json) => (c0(p).resources = { limits: { memory: '64Mi' }, requests: { cpu: '100m' } }),
    },
    {
      name: 'emptyDir, configMap and secret volumes',
      mutate: (p: Json) =>
        (p.spec.volumes = [
          { name: 'a', emptyDir: {} },
          { name: 'b', configMap: { name: 'cfg' } },
          { name: 'c', secret: { secretName: 's' } },
        ]),
    },
    {
      name: 'schedulerName default-scheduler',
      mutate: (p: Json) => (p.spec.schedulerName = 'default-scheduler'),
    },
    { name: 'os linux', mutate: (p: Json) => (p.spec.os = { name: 'linux' }) },
    { name: 'enableServiceLinks', mutate: (p: Json) => (p.spec.enableServiceLinks = true) },
    { name: 'privileged: false', mutate: (p: Json) => (c0(p).securityContext = { privileged: false }) },
  ])('accepts $name silently', ({ mutate }) => {
    const pod = basePod();
    mutate(pod);
    expect(checkSupportPolicy('Pod', pod)).toEqual({ errors: [], warnings: [] });
  });

  it.each([
    {
      name: 'a Job’s pod template',
      kind: 'Job' as const,
      object: () => {
        const j = baseJob();
        j.spec.template.spec.hostPID = true;
        return j;
      },
      field: 'spec.template.spec.hostPID',
    },
    {
      name: 'a CronJob’s pod template',
      kind: 'CronJob' as const,
      object: () => {
        const c = baseCronJob();
        c.spec.jobTemplate.spec.template.spec.volumes = [{ name: 'h', nfs: { server: 'nfs', path: '/' } }];
        return c;
      },
      field: 'spec.jobTemplate.spec.template.spec.volumes[0].nfs',
    },
    {
      name: 'a Job left to another controller',
      kind: 'Job' as const,
      object: () => {
        const j = baseJob();
        j.spec.managedBy = 'example.com/queue';
        return j;
      },
      field: 'spec.managedBy',
    },
  ])('applies to $name', ({ kind, object, field }) => {
    expect(checkSupportPolicy(kind, object()).errors.map((e) => e.field)).toEqual([field]);
  });
});

describe('Indexed Jobs', () => {
  it('are run: completionMode Indexed, backoffLimitPerIndex, maxFailedIndexes and successPolicy pass', () => {
    const j = baseJob();
    j.spec.completionMode = 'Indexed';
    j.spec.completions = 3;
    j.spec.backoffLimitPerIndex = 1;
    j.spec.maxFailedIndexes = 1;
    j.spec.successPolicy = { rules: [{ succeededIndexes: '0' }] };
    expect(checkSupportPolicy('Job', j)).toEqual({ errors: [], warnings: [] });
  });
});

describe('SUPPORT_POLICY table', () => {
  it.each(Object.entries(SCOPES) as Array<[Scope, (typeof SCOPES)[Scope]]>)(
    'has a row for every field of %s (so new API fields are decided, not silently supported)',
    (scope, { schemaType }) => {
      const fields = Object.keys(MANIFEST_SCHEMA[schemaType] ?? {});
      expect(fields.length).toBeGreaterThan(0);
      const covered = new Set(
        SUPPORT_POLICY.filter((r) => r.scope === scope).map((r) => r.field.split(/[.[]/)[0]),
      );
      expect(fields.filter((f) => !covered.has(f))).toEqual([]);
    },
  );

  it('has one row per scope and field', () => {
    const keys = SUPPORT_POLICY.map((r) => `${r.scope}:${r.field}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('says what podflow does in a full sentence on every row', () => {
    expect(SUPPORT_POLICY.filter((r) => !/^.{3,}\.$/.test(r.does)).map((r) => r.field)).toEqual([]);
  });
});

describe('docs/supported-fields.md', () => {
  it('is generated from the table (run `npm run gen:docs` after changing it)', async () => {
    expect(await readFile(DOC, 'utf8')).toBe(renderSupportedFieldsDoc());
  });

  it('lists every row', () => {
    const doc = renderSupportedFieldsDoc();
    const rows = doc.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(SUPPORT_POLICY.length);
  });
});

describe('volume sources the process runtime provides', () => {
  it('accepts emptyDir (Memory, sizeLimit), configMap, secret, downwardAPI, projected and hostPath volumes without a word', () => {
    const pod = basePod();
    pod.spec.volumes = [
      { name: 'a', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'b', configMap: { name: 'c' } },
      { name: 'c', secret: { secretName: 's' } },
      { name: 'd', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
      { name: 'e', projected: { sources: [{ configMap: { name: 'c' } }, { secret: { name: 's' } }] } },
      { name: 'f', hostPath: { path: '/srv', type: 'DirectoryOrCreate' } },
    ];
    const r = checkSupportPolicy('Pod', pod);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});
