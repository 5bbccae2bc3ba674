// Admission of ConfigMaps, Secrets and Namespaces (core/manifest/api-objects.ts) against the API server's rules and
// texts: pkg/apis/core/validation/validation.go ValidateConfigMap(Update), ValidateSecret(Update),
// ValidateNamespace; the namespace strategy; SetDefaults_Secret and the stringData conversion.
import type { ConfigMap, Namespace, Secret } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import {
  admitConfigMap,
  admitConfigMapUpdate,
  admitNamespace,
  admitNamespaceUpdate,
  admitSecret,
  admitSecretUpdate,
  MAX_SECRET_SIZE,
  secretValues,
  type Admitted,
} from '../../src/core/manifest/api-objects.ts';
import { formatManifestFieldError } from '../../src/core/manifest/index.ts';

const NOW = Date.UTC(2026, 0, 1);
const ctx = { now: NOW, newUid: () => 'uid-1' };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function texts<T>(result: Admitted<T>): string[] {
  return result.ok ? [] : result.errors.map(formatManifestFieldError);
}
function object<T>(result: Admitted<T>): T {
  if (!result.ok) throw new Error(result.errors.map(formatManifestFieldError).join('\n'));
  return result.object;
}

const cm = (extra: Partial<ConfigMap> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'app', namespace: 'default' },
  ...extra,
});
const secret = (extra: Partial<Secret> = {}): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'token', namespace: 'default' },
  ...extra,
});

describe('ConfigMap', () => {
  it('create: uid and creationTimestamp set, no generation, data kept', () => {
    const admitted = object(admitConfigMap(cm({ data: { k: 'v' } }), ctx));
    expect(admitted).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'app',
        namespace: 'default',
        uid: 'uid-1',
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      data: { k: 'v' },
    });
  });

  it.each([
    {
      name: 'a key with a character outside [-._a-zA-Z0-9]',
      data: { 'bad key': 'v' },
      want: [
        `data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      ],
    },
    {
      name: 'a key over 253 characters',
      data: { ['k'.repeat(254)]: 'v' },
      want: [
        `data[${'k'.repeat(254)}]: Invalid value: "${'k'.repeat(254)}": must be no more than 253 characters`,
      ],
    },
    { name: 'the key ..', data: { '..': 'v' }, want: [`data[..]: Invalid value: "..": must not be '..'`] },
    {
      name: 'a key starting with ..',
      data: { '..x': 'v' },
      want: [`data[..x]: Invalid value: "..x": must not start with '..'`],
    },
    {
      name: 'data over 1 MiB in total',
      data: { a: 'x'.repeat(MAX_SECRET_SIZE / 2), b: 'x'.repeat(MAX_SECRET_SIZE / 2 + 1) },
      want: ['[]: Too long: may not be more than 1048576 bytes'],
    },
  ])('refuses $name', ({ data, want }) => {
    expect(texts(admitConfigMap(cm({ data: data as Record<string, string> }), ctx))).toEqual(want);
  });

  it('counts binaryData decoded, and refuses a key in both maps', () => {
    expect(texts(admitConfigMap(cm({ data: { k: 'v' }, binaryData: { k: b64('v') } }), ctx))).toEqual([
      'data[k]: Invalid value: "k": duplicate of key present in binaryData',
    ]);
    // Exactly 1 MiB in data + binaryData (decoded) fits; the base64 text of binaryData is longer.
    const half = MAX_SECRET_SIZE / 2;
    const fits = cm({
      data: { a: 'x'.repeat(half) },
      binaryData: { b: Buffer.alloc(half).toString('base64') },
    });
    expect(admitConfigMap(fits, ctx).ok).toBe(true);
  });

  it('refuses a bad name, and a namespace-less one', () => {
    expect(texts(admitConfigMap(cm({ metadata: { name: 'Bad_Name', namespace: 'default' } }), ctx))).toEqual([
      `metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  const current = (extra: Partial<ConfigMap>): ConfigMap => object(admitConfigMap(cm(extra), ctx));

  it('update: the uid and creationTimestamp stay; data may change', () => {
    const old = current({ data: { a: '1' } });
    const next = object(admitConfigMapUpdate(cm({ data: { a: '2' } }), old));
    expect(next.metadata).toEqual(old.metadata);
    expect(next.data).toEqual({ a: '2' });
    expect(texts(admitConfigMapUpdate(cm({ metadata: { ...old.metadata, uid: 'other' } }), old))).toEqual([
      'metadata.uid: Invalid value: "other": field is immutable',
    ]);
  });

  it.each([
    {
      name: 'changing data',
      next: { immutable: true, data: { a: '2' } },
      want: ['data: Forbidden: field is immutable when `immutable` is set'],
    },
    {
      name: 'unsetting immutable',
      next: { immutable: false, data: { a: '1' } },
      want: ['immutable: Forbidden: field is immutable when `immutable` is set'],
    },
    {
      name: 'adding binaryData',
      next: { immutable: true, data: { a: '1' }, binaryData: { b: b64('x') } },
      want: ['binaryData: Forbidden: field is immutable when `immutable` is set'],
    },
    {
      name: 'changing only labels',
      next: {
        immutable: true,
        data: { a: '1' },
        metadata: { name: 'app', namespace: 'default', labels: { x: 'y' } },
      },
      want: [],
    },
  ])('an immutable ConfigMap: $name', ({ next, want }) => {
    const old = current({ immutable: true, data: { a: '1' } });
    expect(texts(admitConfigMapUpdate(cm(next as Partial<ConfigMap>), old))).toEqual(want);
  });
});

describe('Secret', () => {
  it('create: type defaults to Opaque, stringData is merged into data as base64 and dropped', () => {
    const admitted = object(
      admitSecret(
        secret({ data: { a: b64('from data'), b: b64('old') }, stringData: { b: 'new', c: 'ü' } }),
        ctx,
      ),
    );
    expect(admitted.type).toBe('Opaque');
    expect(admitted.stringData).toBeUndefined();
    expect(admitted.data).toEqual({ a: b64('from data'), b: b64('new'), c: b64('ü') });
    expect(secretValues(admitted)).toEqual({ a: 'from data', b: 'new', c: 'ü' });
  });

  it('refuses a bad key (from data or stringData) without showing a value', () => {
    const errors = texts(
      admitSecret(secret({ data: { 'a b': b64('hunter2') }, stringData: { 'c/d': 'hunter3' } }), ctx),
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^data\[a b\]: Invalid value: "a b": a valid config key/);
    expect(errors[1]).toMatch(/^data\[c\/d\]: Invalid value: "c\/d": a valid config key/);
    expect(errors.join('\n')).not.toMatch(/hunter/);
  });

  it('refuses data over 1 MiB (decoded) with the upstream text', () => {
    const big = Buffer.alloc(MAX_SECRET_SIZE + 1).toString('base64');
    expect(texts(admitSecret(secret({ data: { big } }), ctx))).toEqual([
      'data: Too long: may not be more than 1048576 bytes',
    ]);
  });

  it.each([
    {
      type: 'kubernetes.io/tls',
      data: {},
      want: ['data[tls.crt]: Required value', 'data[tls.key]: Required value'],
    },
    {
      type: 'kubernetes.io/basic-auth',
      data: {},
      want: ['data[username]: Required value', 'data[password]: Required value'],
    },
    { type: 'kubernetes.io/basic-auth', data: { password: '' }, want: [] },
    { type: 'kubernetes.io/ssh-auth', data: {}, want: ['data[ssh-privatekey]: Required value'] },
    { type: 'kubernetes.io/dockerconfigjson', data: {}, want: ['data[.dockerconfigjson]: Required value'] },
    {
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64('{"auths": hunter2') },
      want: [
        expect.stringMatching(/^data\[\.dockerconfigjson\]: Invalid value: "<secret contents redacted>": /),
      ],
    },
    {
      type: 'kubernetes.io/service-account-token',
      data: {},
      want: ['metadata.annotations[kubernetes.io/service-account.name]: Required value'],
    },
    { type: 'example.com/custom', data: {}, want: [] },
  ])('type $type with $data', ({ type, data, want }) => {
    expect(texts(admitSecret(secret({ type, data: data as Record<string, string> }), ctx))).toEqual(want);
  });

  it('update: the type is immutable; an immutable Secret keeps its data', () => {
    const tls = object(
      admitSecret(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'YQ==', 'tls.key': 'Yg==' } }), ctx),
    );
    expect(texts(admitSecretUpdate(secret({ data: tls.data }), tls))).toEqual([
      'type: Invalid value: "Opaque": field is immutable',
    ]);
    const frozen = object(admitSecret(secret({ immutable: true, data: { a: 'YQ==' } }), ctx));
    expect(
      texts(admitSecretUpdate(secret({ immutable: true, stringData: { a: 'changed' } }), frozen)),
    ).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
    expect(texts(admitSecretUpdate(secret({ immutable: true, data: { a: 'YQ==' } }), frozen))).toEqual([]);
  });
});

describe('Namespace', () => {
  const ns = (extra: Partial<Namespace> = {}): Namespace => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a' },
    ...extra,
  });

  it('create: status Active, the kubernetes finalizer, the name label, no namespace', () => {
    expect(object(admitNamespace(ns(), ctx))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'team-a',
        uid: 'uid-1',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { 'kubernetes.io/metadata.name': 'team-a' },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  it.each([
    {
      name: 'a name that is no DNS label',
      object: ns({ metadata: { name: 'team.a' } }),
      want: ['metadata.name: Invalid value: "team.a": must not contain dots'],
    },
    {
      name: 'a finalizer that is neither standard nor qualified',
      object: ns({ spec: { finalizers: ['mine'] } }),
      want: [
        'spec.finalizers: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
      ],
    },
    {
      name: 'a qualified finalizer',
      object: ns({ spec: { finalizers: ['example.com/cleanup'] } }),
      want: [],
    },
  ])('$name', ({ object: o, want }) => {
    expect(texts(admitNamespace(o, ctx)).filter((t) => !t.startsWith('metadata.namespace'))).toEqual(want);
  });

  it('update: labels may change (the name label stays), spec and status are kept', () => {
    const old = object(admitNamespace(ns(), ctx));
    const next = object(
      admitNamespaceUpdate(
        ns({
          metadata: { name: 'team-a', labels: { team: 'a' } },
          spec: { finalizers: [] },
          status: { phase: 'Terminating' },
        }),
        old,
      ),
    );
    expect(next.metadata?.labels).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'team-a' });
    expect(next.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(next.status).toEqual({ phase: 'Active' });
  });
});
