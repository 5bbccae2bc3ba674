// Cases from docs/semantics.md §9, pkg/kubelet/kubelet_pods_test.go (TestMakeEnvironmentVariables) and
// third_party/forked/golang/expansion/expand_test.go.
import type {
  Container,
  EnvFromSource,
  EnvVar,
  EnvVarSource,
  Pod,
  ResourceRequirements,
} from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NODE_ALLOCATABLE,
  expandVariables,
  resolveContainerEnvironment,
} from '../../src/core/env.ts';
import type { ContainerEnvironmentInput, EnvLookups } from '../../src/core/env.ts';

const lookups: EnvLookups = {
  configMaps: {
    app: { LOG_LEVEL: 'debug', MODE: 'fast', TEMPLATE: 'x-$(LOG_LEVEL)' },
    other: { MODE: 'slow', EXTRA: '1' },
    weird: { GOOD: 'yes', 'has=equals': 'no', ünïcode: 'no' },
  },
  secrets: {
    db: { password: 's3cret', user: 'admin' },
  },
};

function pod(containers: Container[], extra: Partial<Pod> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-0',
      namespace: 'shop',
      uid: '1234-abcd',
      labels: { app: 'web', tier: 'front' },
      annotations: { 'example.com/owner': 'team-a' },
    },
    spec: { containers, nodeName: 'node-1', serviceAccountName: 'runner' },
    status: {
      podIP: '10.0.0.7',
      podIPs: [{ ip: '10.0.0.7' }, { ip: 'fd00::7' }],
      hostIP: '192.168.1.5',
      hostIPs: [{ ip: '192.168.1.5' }, { ip: 'fd00::5' }],
    },
    ...extra,
  };
}

function container(
  env: EnvVar[] = [],
  envFrom: EnvFromSource[] = [],
  resources?: ResourceRequirements,
): Container {
  return { name: 'main', image: 'busybox', env, envFrom, ...(resources ? { resources } : {}) };
}

function resolve(c: Container, extra: Partial<ContainerEnvironmentInput> = {}, p: Pod = pod([c])) {
  return resolveContainerEnvironment({ pod: p, container: c, lookups, ...extra });
}

function envOf(
  c: Container,
  extra: Partial<ContainerEnvironmentInput> = {},
  p?: Pod,
): Record<string, string> {
  const result = resolve(c, extra, p);
  if (!result.ok) throw new Error(`unexpected failure: ${result.message}`);
  return Object.fromEntries(result.env.map((e) => [e.name, e.value]));
}

const fromValue = (source: EnvVarSource): EnvVar['valueFrom'] => source;

describe('expandVariables (expand.go)', () => {
  const vars: Record<string, string> = {
    VAR_A: 'A',
    VAR_B: 'B',
    VAR_C: 'C',
    VAR_REF: '$(VAR_A)',
    VAR_EMPTY: '',
  };
  const lookup = (name: string): string | undefined => (Object.hasOwn(vars, name) ? vars[name] : undefined);
  it.each([
    { name: 'whole string', input: '$(VAR_A)', expected: 'A' },
    { name: 'repeat', input: '$(VAR_A)-$(VAR_A)', expected: 'A-A' },
    { name: 'middle', input: '___$(VAR_B)___', expected: '___B___' },
    { name: 'compound', input: '$(VAR_A)_$(VAR_B)_$(VAR_C)', expected: 'A_B_C' },
    { name: 'escape & expand', input: '$$(VAR_B)_$(VAR_A)', expected: '$(VAR_B)_A' },
    { name: 'compound escape', input: '$$(VAR_A)_$$(VAR_B)', expected: '$(VAR_A)_$(VAR_B)' },
    { name: 'mixed in escapes', input: 'f000-$$VAR_A', expected: 'f000-$VAR_A' },
    { name: 'backslash escape ignored', input: 'foo\\$(VAR_C)bar', expected: 'foo\\Cbar' },
    { name: 'nested var references', input: '$(VAR_A$(VAR_B))', expected: '$(VAR_A$(VAR_B))' },
    { name: 'nested var references second type', input: '$(VAR_A$(VAR_B)', expected: '$(VAR_A$(VAR_B)' },
    { name: 'value is a reference (not re-expanded)', input: '$(VAR_REF)', expected: '$(VAR_A)' },
    { name: 'empty var', input: 'foo$(VAR_EMPTY)bar', expected: 'foobar' },
    { name: 'unterminated expression', input: 'foo$(VAR_Awhoops!', expected: 'foo$(VAR_Awhoops!' },
    { name: 'expression without operator', input: 'f00__(VAR_A)__', expected: 'f00__(VAR_A)__' },
    { name: 'shell special vars pass through', input: '$?_boo_$!', expected: '$?_boo_$!' },
    { name: 'bare operators are ignored', input: '$VAR_A', expected: '$VAR_A' },
    { name: 'undefined vars are passed through', input: '$(VAR_DNE)', expected: '$(VAR_DNE)' },
    {
      name: 'multiple (even) operators, var undefined',
      input: '$$$$$$(BIG_MONEY)',
      expected: '$$$(BIG_MONEY)',
    },
    { name: 'multiple (even) operators, var defined', input: '$$$$$$(VAR_A)', expected: '$$$(VAR_A)' },
    {
      name: 'multiple (odd) operators, var undefined',
      input: '$$$$$$$(GOOD_ODDS)',
      expected: '$$$$(GOOD_ODDS)',
    },
    { name: 'multiple (odd) operators, var defined', input: '$$$$$$$(VAR_A)', expected: '$$$A' },
    { name: 'three operators', input: '$$$', expected: '$$' },
    { name: 'missing open expression', input: '$VAR_A)', expected: '$VAR_A)' },
    { name: 'shell syntax ignored', input: '${VAR_A}', expected: '${VAR_A}' },
    {
      name: 'trailing incomplete expression not consumed',
      input: '$(VAR_B)_______$(A',
      expected: 'B_______$(A',
    },
    { name: 'trailing $( is kept', input: '$(VAR_C)_______$(', expected: 'C_______$(' },
    {
      name: 'operator at end of input string is preserved',
      input: '$(VAR_A)foobarzab$',
      expected: 'Afoobarzab$',
    },
    { name: 'lots of $( in middle', input: '--$($($($($--', expected: '--$($($($($--' },
    {
      name: 'escaped operators in variable names are not escaped',
      input: '$(foo$$var)',
      expected: '$(foo$$var)',
    },
    { name: 'empty name', input: '$()', expected: '$()' },
    { name: 'operator before a non-ASCII character keeps the character', input: '$é$😀', expected: '$é$😀' },
    { name: 'newline not expanded', input: '\n', expected: '\n' },
  ])('$name', ({ input, expected }) => {
    expect(expandVariables(input, lookup)).toBe(expected);
  });
});

describe('resolveContainerEnvironment: order, override and expansion', () => {
  it.each<{ name: string; env?: EnvVar[]; envFrom?: EnvFromSource[]; expected: Array<[string, string]> }>([
    {
      name: 'entries keep declaration order',
      env: [
        { name: 'B', value: '2' },
        { name: 'A', value: '1' },
      ],
      expected: [
        ['B', '2'],
        ['A', '1'],
      ],
    },
    {
      name: 'a later entry overrides an earlier one of the same name',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
        { name: 'A', value: '3' },
      ],
      expected: [
        ['A', '3'],
        ['B', '2'],
      ],
    },
    {
      name: '$(NAME) expands against earlier entries, chained',
      env: [
        { name: 'FOO', value: 'bar' },
        { name: 'ZOO', value: '$(FOO)-1' },
        { name: 'BLU', value: '$(ZOO)-2' },
      ],
      expected: [
        ['FOO', 'bar'],
        ['ZOO', 'bar-1'],
        ['BLU', 'bar-1-2'],
      ],
    },
    {
      name: 'a forward reference stays literal',
      env: [
        { name: 'A', value: 'x-$(B)' },
        { name: 'B', value: 'b' },
      ],
      expected: [
        ['A', 'x-$(B)'],
        ['B', 'b'],
      ],
    },
    {
      name: 'an unresolved reference stays literal',
      env: [{ name: 'A', value: '$(NOPE)/bin' }],
      expected: [['A', '$(NOPE)/bin']],
    },
    {
      name: '$$ escapes: $$(A) is the literal $(A), $$HOME is $HOME',
      env: [
        { name: 'A', value: 'a' },
        { name: 'B', value: '$$(A) $$HOME $(A)' },
      ],
      expected: [
        ['A', 'a'],
        ['B', '$(A) $HOME a'],
      ],
    },
    {
      name: 'a self reference reads the previous value',
      env: [
        { name: 'PATH', value: '/bin' },
        { name: 'PATH', value: '/opt/bin:$(PATH)' },
      ],
      expected: [['PATH', '/opt/bin:/bin']],
    },
    {
      name: 'valueFrom values are not expanded',
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'T', valueFrom: fromValue({ configMapKeyRef: { name: 'app', key: 'TEMPLATE' } }) },
      ],
      expected: [
        ['LOG_LEVEL', 'info'],
        ['T', 'x-$(LOG_LEVEL)'],
      ],
    },
    {
      name: 'envFrom comes first, its values unexpanded, and env can reference them',
      envFrom: [{ configMapRef: { name: 'app' } }],
      env: [{ name: 'LEVEL', value: 'level=$(LOG_LEVEL)' }],
      expected: [
        ['LOG_LEVEL', 'debug'],
        ['MODE', 'fast'],
        ['TEMPLATE', 'x-$(LOG_LEVEL)'],
        ['LEVEL', 'level=debug'],
      ],
    },
    {
      name: 'env overrides an envFrom key',
      envFrom: [{ configMapRef: { name: 'other' } }],
      env: [{ name: 'MODE', value: 'manual' }],
      expected: [
        ['EXTRA', '1'],
        ['MODE', 'manual'],
      ],
    },
    {
      name: 'a later envFrom source overrides an earlier one',
      envFrom: [{ configMapRef: { name: 'app' } }, { configMapRef: { name: 'other' } }],
      expected: [
        ['LOG_LEVEL', 'debug'],
        ['MODE', 'slow'],
        ['TEMPLATE', 'x-$(LOG_LEVEL)'],
        ['EXTRA', '1'],
      ],
    },
    {
      name: 'envFrom prefix is prepended to every key',
      envFrom: [{ prefix: 'DB_', secretRef: { name: 'db' } }],
      expected: [
        ['DB_password', 's3cret'],
        ['DB_user', 'admin'],
      ],
    },
    {
      name: 'envFrom keys that are not valid environment variable names are skipped',
      envFrom: [{ configMapRef: { name: 'weird' } }],
      expected: [['GOOD', 'yes']],
    },
    {
      name: 'optional envFrom source that does not exist is skipped',
      envFrom: [
        { configMapRef: { name: 'missing', optional: true } },
        { secretRef: { name: 'missing', optional: true } },
      ],
      env: [{ name: 'A', value: '1' }],
      expected: [['A', '1']],
    },
    {
      name: 'an entry with neither value nor valueFrom is empty',
      env: [{ name: 'EMPTY' }, { name: 'ALSO_EMPTY', value: '' }],
      expected: [
        ['EMPTY', ''],
        ['ALSO_EMPTY', ''],
      ],
    },
    {
      name: 'secretKeyRef reads the decoded secret value',
      env: [{ name: 'PASSWORD', valueFrom: fromValue({ secretKeyRef: { name: 'db', key: 'password' } }) }],
      expected: [['PASSWORD', 's3cret']],
    },
    {
      name: 'optional configMapKeyRef with a missing ConfigMap or key omits the variable',
      env: [
        {
          name: 'A',
          valueFrom: fromValue({ configMapKeyRef: { name: 'missing', key: 'k', optional: true } }),
        },
        {
          name: 'B',
          valueFrom: fromValue({ configMapKeyRef: { name: 'app', key: 'nope', optional: true } }),
        },
        { name: 'C', valueFrom: fromValue({ secretKeyRef: { name: 'db', key: 'nope', optional: true } }) },
      ],
      expected: [],
    },
    {
      name: 'an omitted optional ref does not clear an earlier value',
      envFrom: [{ configMapRef: { name: 'other' } }],
      env: [
        {
          name: 'MODE',
          valueFrom: fromValue({ configMapKeyRef: { name: 'missing', key: 'MODE', optional: true } }),
        },
      ],
      expected: [
        ['EXTRA', '1'],
        ['MODE', 'slow'],
      ],
    },
  ])('$name', ({ env, envFrom, expected }) => {
    const result = resolve(container(env, envFrom));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.env.map((e) => [e.name, e.value])).toEqual(expected);
  });
});

describe('resolveContainerEnvironment: missing required references → CreateContainerConfigError', () => {
  it.each<{ name: string; env?: EnvVar[]; envFrom?: EnvFromSource[]; message: string }>([
    {
      name: 'envFrom ConfigMap not found',
      envFrom: [{ configMapRef: { name: 'x' } }],
      message: 'configmap "x" not found',
    },
    {
      name: 'envFrom Secret not found',
      envFrom: [{ secretRef: { name: 's', optional: false } }],
      message: 'secret "s" not found',
    },
    {
      name: 'configMapKeyRef ConfigMap not found',
      env: [{ name: 'A', valueFrom: fromValue({ configMapKeyRef: { name: 'x', key: 'k' } }) }],
      message: 'configmap "x" not found',
    },
    {
      name: 'configMapKeyRef key not found',
      env: [{ name: 'A', valueFrom: fromValue({ configMapKeyRef: { name: 'app', key: 'k' } }) }],
      message: "couldn't find key k in ConfigMap shop/app",
    },
    {
      name: 'secretKeyRef Secret not found',
      env: [{ name: 'A', valueFrom: fromValue({ secretKeyRef: { name: 's', key: 'k' } }) }],
      message: 'secret "s" not found',
    },
    {
      name: 'secretKeyRef key not found',
      env: [
        { name: 'A', valueFrom: fromValue({ secretKeyRef: { name: 'db', key: 'token', optional: false } }) },
      ],
      message: "couldn't find key token in Secret shop/db",
    },
    {
      name: 'a name inherited from Object.prototype is not a ConfigMap',
      env: [{ name: 'A', valueFrom: fromValue({ configMapKeyRef: { name: 'constructor', key: 'k' } }) }],
      message: 'configmap "constructor" not found',
    },
    {
      name: 'field label not supported',
      env: [{ name: 'A', valueFrom: fromValue({ fieldRef: { fieldPath: 'spec.containers' } }) }],
      message: 'field label not supported: spec.containers',
    },
    {
      name: 'field label the kubelet cannot read',
      env: [{ name: 'A', valueFrom: fromValue({ fieldRef: { fieldPath: 'status.phase' } }) }],
      message: 'unsupported fieldPath: status.phase',
    },
    {
      name: 'subscript on a field that has none',
      env: [{ name: 'A', valueFrom: fromValue({ fieldRef: { fieldPath: "metadata.name['x']" } }) }],
      message: "field label does not support subscript: metadata.name['x']",
    },
    {
      name: 'field selector of another API version',
      env: [
        { name: 'A', valueFrom: fromValue({ fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } }) },
      ],
      message: 'unsupported pod version: v2',
    },
    {
      name: 'unsupported container resource',
      env: [{ name: 'A', valueFrom: fromValue({ resourceFieldRef: { resource: 'limits.nvidia.com/gpu' } }) }],
      message: 'unsupported container resource : limits.nvidia.com/gpu',
    },
    {
      name: 'resourceFieldRef of an unknown container',
      env: [
        {
          name: 'A',
          valueFrom: fromValue({ resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } }),
        },
      ],
      message: 'container ghost not found',
    },
  ])('$name', ({ env, envFrom, message }) => {
    expect(resolve(container(env, envFrom))).toEqual({
      ok: false,
      reason: 'CreateContainerConfigError',
      message,
    });
  });

  it('uses the default namespace when the pod has none', () => {
    const c = container([
      { name: 'A', valueFrom: fromValue({ configMapKeyRef: { name: 'app', key: 'k' } }) },
    ]);
    const p = pod([c]);
    delete p.metadata!.namespace;
    expect(resolve(c, {}, p)).toMatchObject({
      ok: false,
      message: "couldn't find key k in ConfigMap default/app",
    });
  });
});

describe('resolveContainerEnvironment: fieldRef', () => {
  it.each<{
    name: string;
    fieldPath: string;
    apiVersion?: string;
    extra?: Partial<ContainerEnvironmentInput>;
    podPatch?: (p: Pod) => Pod;
    expected: string;
  }>([
    { name: 'metadata.name', fieldPath: 'metadata.name', expected: 'web-0' },
    { name: 'metadata.namespace', fieldPath: 'metadata.namespace', expected: 'shop' },
    { name: 'metadata.uid', fieldPath: 'metadata.uid', expected: '1234-abcd' },
    { name: "metadata.labels['app']", fieldPath: "metadata.labels['app']", expected: 'web' },
    { name: 'a missing label is empty', fieldPath: "metadata.labels['nope']", expected: '' },
    {
      name: "metadata.annotations['example.com/owner']",
      fieldPath: "metadata.annotations['example.com/owner']",
      expected: 'team-a',
    },
    {
      name: 'whole metadata.labels, sorted key="value" lines',
      fieldPath: 'metadata.labels',
      expected: 'app="web"\ntier="front"',
    },
    { name: 'spec.nodeName', fieldPath: 'spec.nodeName', expected: 'node-1' },
    {
      name: 'spec.nodeName falls back to the input node name',
      fieldPath: 'spec.nodeName',
      extra: { nodeName: 'local' },
      podPatch: (p) => ({ ...p, spec: { ...p.spec!, nodeName: undefined } }),
      expected: 'local',
    },
    { name: 'spec.host is the old name of spec.nodeName', fieldPath: 'spec.host', expected: 'node-1' },
    { name: 'spec.serviceAccountName', fieldPath: 'spec.serviceAccountName', expected: 'runner' },
    { name: 'explicit apiVersion v1', fieldPath: 'metadata.name', apiVersion: 'v1', expected: 'web-0' },
    { name: 'status.podIP is the first pod IP', fieldPath: 'status.podIP', expected: '10.0.0.7' },
    { name: 'status.podIPs joined with commas', fieldPath: 'status.podIPs', expected: '10.0.0.7,fd00::7' },
    {
      name: 'status.podIP from the input overrides status',
      fieldPath: 'status.podIP',
      extra: { podIPs: ['127.0.0.1'] },
      expected: '127.0.0.1',
    },
    {
      name: 'status.podIPs without a list uses status.podIP',
      fieldPath: 'status.podIPs',
      podPatch: (p) => ({ ...p, status: { ...p.status, podIPs: undefined } }),
      expected: '10.0.0.7',
    },
    {
      name: 'status.podIP before an IP is assigned is empty',
      fieldPath: 'status.podIP',
      podPatch: (p) => ({ ...p, status: undefined }),
      expected: '',
    },
    { name: 'status.hostIP', fieldPath: 'status.hostIP', expected: '192.168.1.5' },
    {
      name: 'status.hostIPs joined with commas',
      fieldPath: 'status.hostIPs',
      expected: '192.168.1.5,fd00::5',
    },
    {
      name: 'status.hostIP from the input',
      fieldPath: 'status.hostIP',
      extra: { hostIPs: ['172.17.0.1'] },
      expected: '172.17.0.1',
    },
  ])('$name', ({ fieldPath, apiVersion, extra, podPatch, expected }) => {
    const c = container([
      { name: 'V', valueFrom: fromValue({ fieldRef: { fieldPath, ...(apiVersion ? { apiVersion } : {}) } }) },
    ]);
    const p = podPatch ? podPatch(pod([c])) : pod([c]);
    expect(envOf(c, extra, p)).toEqual({ V: expected });
  });
});

describe('resolveContainerEnvironment: resourceFieldRef', () => {
  const limited: ResourceRequirements = {
    requests: { cpu: '250m' },
    limits: { cpu: '500m', memory: '128Mi', 'ephemeral-storage': '1Gi' },
  };
  it.each<{
    name: string;
    resource: string;
    divisor?: string;
    resources?: ResourceRequirements;
    extra?: Partial<ContainerEnvironmentInput>;
    podResources?: ResourceRequirements;
    expected: string;
  }>([
    {
      name: 'limits.cpu 500m, divisor 1 → rounded up to 1',
      resource: 'limits.cpu',
      resources: limited,
      expected: '1',
    },
    {
      name: 'limits.cpu 500m, divisor 1m → 500',
      resource: 'limits.cpu',
      divisor: '1m',
      resources: limited,
      expected: '500',
    },
    {
      name: 'requests.cpu 250m, divisor 1m → 250',
      resource: 'requests.cpu',
      divisor: '1m',
      resources: limited,
      expected: '250',
    },
    {
      name: 'limits.memory 128Mi → bytes',
      resource: 'limits.memory',
      resources: limited,
      expected: '134217728',
    },
    {
      name: 'limits.memory 128Mi, divisor 1Mi → 128',
      resource: 'limits.memory',
      divisor: '1Mi',
      resources: limited,
      expected: '128',
    },
    {
      name: 'limits.memory 100M, divisor 1Mi → ceil(95.37) = 96',
      resource: 'limits.memory',
      divisor: '1Mi',
      resources: { limits: { memory: '100M' } },
      expected: '96',
    },
    {
      name: 'requests.memory defaults to the limit',
      resource: 'requests.memory',
      divisor: '1Mi',
      resources: limited,
      expected: '128',
    },
    {
      name: 'requests.memory with neither request nor limit → 0',
      resource: 'requests.memory',
      resources: { requests: { cpu: '1' } },
      expected: '0',
    },
    {
      name: 'limits.ephemeral-storage, divisor 1Mi',
      resource: 'limits.ephemeral-storage',
      divisor: '1Mi',
      resources: limited,
      expected: '1024',
    },
    {
      name: 'divisor 0 means 1',
      resource: 'limits.cpu',
      divisor: '0',
      resources: { limits: { cpu: '2' } },
      expected: '2',
    },
    {
      name: 'divisor 1k on memory',
      resource: 'limits.memory',
      divisor: '1k',
      resources: { limits: { memory: '1Mi' } },
      expected: '1049',
    },
    {
      name: 'limits.cpu without a limit → node allocatable from the input',
      resource: 'limits.cpu',
      divisor: '1m',
      extra: { nodeAllocatable: { cpu: '4', memory: '8Gi' } },
      expected: '4000',
    },
    {
      name: 'limits.cpu without a limit → documented default allocatable',
      resource: 'limits.cpu',
      expected: String(DEFAULT_NODE_ALLOCATABLE.cpu),
    },
    {
      name: 'limits.memory without a limit → default allocatable',
      resource: 'limits.memory',
      divisor: '1Gi',
      expected: '4',
    },
    {
      name: 'a zero limit counts as unset',
      resource: 'limits.cpu',
      resources: { limits: { cpu: '0' } },
      extra: { nodeAllocatable: { cpu: '3' } },
      expected: '3',
    },
    {
      name: 'pod-level limits stand in for node allocatable',
      resource: 'limits.memory',
      divisor: '1Mi',
      podResources: { limits: { memory: '512Mi' } },
      expected: '512',
    },
    {
      name: 'requests.cpu without request or limit → 0 (not allocatable)',
      resource: 'requests.cpu',
      expected: '0',
    },
    {
      name: 'hugepages limit',
      resource: 'limits.hugepages-2Mi',
      divisor: '1Mi',
      resources: { limits: { 'hugepages-2Mi': '64Mi' } },
      expected: '64',
    },
  ])('$name', ({ resource, divisor, resources, extra, podResources, expected }) => {
    const c = container(
      [
        {
          name: 'V',
          valueFrom: fromValue({ resourceFieldRef: { resource, ...(divisor ? { divisor } : {}) } }),
        },
      ],
      [],
      resources,
    );
    const p = pod([c]);
    if (podResources) (p.spec as { resources?: ResourceRequirements }).resources = podResources;
    expect(envOf(c, extra, p)).toEqual({ V: expected });
  });

  it('containerName reads another container of the pod', () => {
    const sidecar: Container = { name: 'sidecar', image: 'envoy', resources: { limits: { memory: '64Mi' } } };
    const c = container([
      {
        name: 'V',
        valueFrom: fromValue({
          resourceFieldRef: { containerName: 'sidecar', resource: 'limits.memory', divisor: '1Mi' },
        }),
      },
    ]);
    expect(envOf(c, {}, pod([c, sidecar]))).toEqual({ V: '64' });
  });
});

describe('resolveContainerEnvironment: command and args', () => {
  it.each<{
    name: string;
    env: EnvVar[];
    command?: string[];
    args?: string[];
    expected: { command: string[]; args: string[] };
  }>([
    {
      name: 'expanded against the final environment, including entries declared after a reference in env',
      env: [
        { name: 'GREETING', value: 'hello' },
        { name: 'WHO', value: 'world' },
      ],
      command: ['/bin/echo', '$(GREETING)'],
      args: ['$(WHO)', '$$(WHO)', '$(MISSING)', '$$$'],
      expected: { command: ['/bin/echo', 'hello'], args: ['world', '$(WHO)', '$(MISSING)', '$$'] },
    },
    {
      name: 'overridden variables expand to their final value',
      env: [
        { name: 'A', value: '1' },
        { name: 'A', value: '2' },
      ],
      args: ['a=$(A)'],
      expected: { command: [], args: ['a=2'] },
    },
    {
      name: 'valueFrom variables are available to args',
      env: [{ name: 'POD', valueFrom: fromValue({ fieldRef: { fieldPath: 'metadata.name' } }) }],
      args: ['--name=$(POD)'],
      expected: { command: [], args: ['--name=web-0'] },
    },
    {
      name: 'no command and no args → empty lists (image defaults apply)',
      env: [],
      expected: { command: [], args: [] },
    },
  ])('$name', ({ env, command, args, expected }) => {
    const c: Container = { ...container(env), ...(command ? { command } : {}), ...(args ? { args } : {}) };
    const result = resolve(c);
    expect(result.ok).toBe(true);
    if (result.ok) expect({ command: result.command, args: result.args }).toEqual(expected);
  });
});
