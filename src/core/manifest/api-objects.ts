// Admission of the API objects other than pods — ConfigMaps, Secrets and Namespaces — as the API server's registry
// does it for a create or an update, after the object was decoded (types, unknown fields, base64: decode-object.ts):
//  - system fields: rest.BeforeCreate / BeforeUpdate (staging/src/k8s.io/apiserver/pkg/registry/rest/create.go,
//    update.go): uid, creationTimestamp, generateName on create; on update the uid may not change and
//    creationTimestamp and deletionTimestamp are kept;
//  - defaults: pkg/apis/core/v1/defaults.go SetDefaults_Secret (type Opaque), SetDefaults_Namespace (the
//    kubernetes.io/metadata.name label);
//  - conversion: pkg/apis/core/v1/conversion.go Convert_v1_Secret_To_core_Secret (stringData overwrites data, then
//    is dropped: the stored object has only data);
//  - strategies: pkg/registry/core/namespace/strategy.go (status Active and the `kubernetes` finalizer on create; an
//    update keeps spec.finalizers and status), pkg/registry/core/configmap and secret (nothing beyond validation);
//  - validation: pkg/apis/core/validation/validation.go ValidateConfigMap(Update), ValidateSecret(Update),
//    ValidateNamespace(Update), with the API server's texts.
// A field error never shows a Secret's value: only keys, and `<secret contents redacted>` where upstream says so.
import type { ConfigMap, Namespace, Secret } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { decodeBase64, encodeBase64Text } from '../base64.ts';
import { forbidden, invalid, key as keyPath, required, tooLong } from '../field-errors.ts';
import { defaultObjectMetaForCreate, type CreateContext } from './default-pod.ts';
import type { ManifestFieldError } from './manifest-field-errors.ts';
import { isConfigMapKey, isQualifiedName, nameIsDnsLabel, nameIsDnsSubdomain } from './name-rules.ts';
import { validateObjectMeta } from './validate-object-meta.ts';

/** core.MaxSecretSize: data (and a ConfigMap's binaryData) of one object, 1 MiB in total. */
export const MAX_SECRET_SIZE = 1024 * 1024;

/** core.FinalizerKubernetes: the namespace controller's finalizer. */
export const FINALIZER_KUBERNETES = 'kubernetes';

/** core/v1 LabelMetadataName: every namespace carries its name in this label. */
export const LABEL_METADATA_NAME = 'kubernetes.io/metadata.name';

/** core/v1 SecretTypeOpaque, the default type. */
export const SECRET_TYPE_OPAQUE = 'Opaque';

/** The Namespaces that exist from the start and cannot be deleted (apiserver NamespaceLifecycle: immortal ones). */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

/** `field is immutable when \`immutable\` is set`: ValidateConfigMapUpdate / ValidateSecretUpdate. */
const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';
/** apimachineryvalidation.FieldImmutableErrorMsg. */
const FIELD_IMMUTABLE = 'field is immutable';
const REDACTED = '<secret contents redacted>';

export type Admitted<T> = { ok: true; object: T } | { ok: false; errors: ManifestFieldError[] };

const admitted = <T>(object: T, errors: ManifestFieldError[]): Admitted<T> =>
  errors.length > 0 ? { ok: false, errors } : { ok: true, object };

const clone = <T>(value: T): T => structuredClone(value);

/** System fields of a created object, without the pod's generation (ConfigMaps, Secrets, Namespaces have none). */
function metaForCreate(meta: ObjectMeta | undefined, ctx: CreateContext, namespaced: boolean): ObjectMeta {
  const out = { ...defaultObjectMetaForCreate(meta, ctx) } as {
    -readonly [K in keyof ObjectMeta]: ObjectMeta[K];
  };
  delete out.generation;
  if (!namespaced) delete out.namespace;
  return out;
}

/**
 * rest.BeforeUpdate and ValidateObjectMetaUpdate: the uid stays (a different one is an error), creationTimestamp and
 * a deletionTimestamp are the current object's. Labels and annotations are validated with the rest of the object.
 */
function metaForUpdate(
  next: ObjectMeta | undefined,
  current: ObjectMeta | undefined,
): { meta: ObjectMeta; errors: ManifestFieldError[] } {
  const meta = { ...clone(next ?? {}) } as { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };
  const errors: ManifestFieldError[] = [];
  if (!meta.uid) meta.uid = current?.uid;
  else if (meta.uid !== current?.uid) errors.push(invalid('metadata.uid', meta.uid, FIELD_IMMUTABLE));
  if (current?.creationTimestamp) meta.creationTimestamp = current.creationTimestamp;
  if (current?.deletionTimestamp) meta.deletionTimestamp = current.deletionTimestamp;
  delete meta.generation;
  return { meta, errors };
}

/** Bytes of a decoded base64 value (decode-object.ts checked it; an invalid one counts its text). */
function decodedLength(value: string): number {
  const decoded = decodeBase64(value);
  return decoded.ok ? decoded.bytes.length : value.length;
}

const utf8Length = (value: string): number => new TextEncoder().encode(value).length;

// ── ConfigMap ──────────────────────────────────────────────────────────────────────────────────────────────────

/** ValidateConfigMap. */
export function validateConfigMap(cm: ConfigMap): ManifestFieldError[] {
  const errors = validateObjectMeta(cm.metadata, nameIsDnsSubdomain);
  let total = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    for (const msg of isConfigMapKey(k)) errors.push(invalid(keyPath('data', k), k, msg));
    if (cm.binaryData && k in cm.binaryData)
      errors.push(invalid(keyPath('data', k), k, 'duplicate of key present in binaryData'));
    total += utf8Length(v);
  }
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    for (const msg of isConfigMapKey(k)) errors.push(invalid(keyPath('binaryData', k), k, msg));
    total += decodedLength(v);
  }
  // field.NewPath(""): the error is about the whole object, and prints its path as `[]`.
  if (total > MAX_SECRET_SIZE) errors.push(tooLong('[]', MAX_SECRET_SIZE));
  return errors;
}

export function admitConfigMap(cm: ConfigMap, ctx: CreateContext): Admitted<ConfigMap> {
  const object: ConfigMap = {
    ...clone(cm),
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metaForCreate(cm.metadata, ctx, true),
  };
  return admitted(object, validateConfigMap(object));
}

/** ValidateConfigMapUpdate: an immutable ConfigMap keeps its data, binaryData and immutability. */
export function admitConfigMapUpdate(next: ConfigMap, current: ConfigMap): Admitted<ConfigMap> {
  const { meta, errors } = metaForUpdate(next.metadata, current.metadata);
  const object: ConfigMap = { ...clone(next), apiVersion: 'v1', kind: 'ConfigMap', metadata: meta };
  if (current.immutable === true) {
    if (object.immutable !== true) errors.push(forbidden('immutable', IMMUTABLE_WHEN_SET));
    if (!sameMap(object.data, current.data)) errors.push(forbidden('data', IMMUTABLE_WHEN_SET));
    if (!sameMap(object.binaryData, current.binaryData))
      errors.push(forbidden('binaryData', IMMUTABLE_WHEN_SET));
  }
  errors.push(...validateConfigMap(object));
  return admitted(object, errors);
}

// ── Secret ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** SetDefaults_Secret, then the v1 → internal conversion: stringData overwrites data (base64 of its UTF-8). */
function normalizeSecret(secret: Secret): Secret {
  const { stringData, ...rest } = clone(secret);
  const data: Record<string, string> = { ...rest.data };
  for (const [k, v] of Object.entries(stringData ?? {})) data[k] = encodeBase64Text(v);
  const hasData = rest.data !== undefined || Object.keys(stringData ?? {}).length > 0;
  return {
    ...rest,
    apiVersion: 'v1',
    kind: 'Secret',
    type: rest.type || SECRET_TYPE_OPAQUE,
    ...(hasData ? { data } : {}),
  };
}

/** ValidateSecret, type by type. Values never appear in an error. */
export function validateSecret(secret: Secret): ManifestFieldError[] {
  const errors = validateObjectMeta(secret.metadata, nameIsDnsSubdomain);
  const data = secret.data ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const msg of isConfigMapKey(k)) errors.push(invalid(keyPath('data', k), k, msg));
    total += decodedLength(v);
  }
  if (total > MAX_SECRET_SIZE) errors.push(tooLong('data', MAX_SECRET_SIZE));
  const has = (k: string): boolean => k in data;
  switch (secret.type) {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata?.annotations?.['kubernetes.io/service-account.name'])
        errors.push(required(keyPath('metadata.annotations', 'kubernetes.io/service-account.name')));
      break;
    case 'kubernetes.io/dockercfg':
      errors.push(...requireJson(data, '.dockercfg'));
      break;
    case 'kubernetes.io/dockerconfigjson':
      errors.push(...requireJson(data, '.dockerconfigjson'));
      break;
    case 'kubernetes.io/basic-auth':
      // Either may be empty, but one of the two must be there.
      if (!has('username') && !has('password'))
        errors.push(required(keyPath('data', 'username')), required(keyPath('data', 'password')));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey'] || decodedLength(data['ssh-privatekey']) === 0)
        errors.push(required(keyPath('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errors.push(required(keyPath('data', 'tls.crt')));
      if (!has('tls.key')) errors.push(required(keyPath('data', 'tls.key')));
      break;
  }
  return errors;
}

/** The docker config key must be there and hold a JSON object; its contents are never shown. */
function requireJson(data: Record<string, string>, k: string): ManifestFieldError[] {
  const value = data[k];
  if (value === undefined) return [required(keyPath('data', k))];
  const decoded = decodeBase64(value);
  const text = decoded.ok ? new TextDecoder().decode(decoded.bytes) : '';
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return [];
    return [
      invalid(
        keyPath('data', k),
        REDACTED,
        'json: cannot unmarshal into Go value of type map[string]interface {}',
      ),
    ];
  } catch (err) {
    return [invalid(keyPath('data', k), REDACTED, (err as Error).message)];
  }
}

export function admitSecret(secret: Secret, ctx: CreateContext): Admitted<Secret> {
  const normalized = normalizeSecret(secret);
  const object: Secret = { ...normalized, metadata: metaForCreate(secret.metadata, ctx, true) };
  return admitted(object, validateSecret(object));
}

/** ValidateSecretUpdate: the type never changes; an immutable Secret keeps its data and immutability. */
export function admitSecretUpdate(next: Secret, current: Secret): Admitted<Secret> {
  const { meta, errors } = metaForUpdate(next.metadata, current.metadata);
  const object: Secret = { ...normalizeSecret(next), metadata: meta };
  if (object.type !== current.type) errors.push(invalid('type', object.type, FIELD_IMMUTABLE));
  if (current.immutable === true) {
    if (object.immutable !== true) errors.push(forbidden('immutable', IMMUTABLE_WHEN_SET));
    if (!sameMap(object.data, current.data)) errors.push(forbidden('data', IMMUTABLE_WHEN_SET));
  }
  errors.push(...validateSecret(object));
  return admitted(object, errors);
}

/** A Secret's data as the kubelet hands it to a container: each value's bytes, read as UTF-8 text. */
export function secretValues(secret: Pick<Secret, 'data'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    const decoded = decodeBase64(v);
    if (decoded.ok) out[k] = new TextDecoder().decode(decoded.bytes);
  }
  return out;
}

// ── Namespace ──────────────────────────────────────────────────────────────────────────────────────────────────

/** helper.IsStandardFinalizerName: the one finalizer a name without a domain may be. */
function validateFinalizerName(name: string, path: string): ManifestFieldError[] {
  const errors = isQualifiedName(name).map((msg) => invalid(path, name, msg));
  if (errors.length === 0 && !name.includes('/') && name !== FINALIZER_KUBERNETES)
    errors.push(invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified'));
  return errors;
}

/** ValidateNamespace: a DNS label name, no namespace of its own, valid finalizers. */
export function validateNamespace(ns: Namespace): ManifestFieldError[] {
  const errors = validateObjectMeta(ns.metadata, nameIsDnsLabel, 'metadata', { namespaced: false });
  for (const f of ns.spec?.finalizers ?? []) errors.push(...validateFinalizerName(f, 'spec.finalizers'));
  return errors;
}

/** SetDefaults_Namespace: the name label (on every write, so it cannot be removed or changed). */
function withNameLabel(meta: ObjectMeta): ObjectMeta {
  return meta.name ? { ...meta, labels: { ...meta.labels, [LABEL_METADATA_NAME]: meta.name } } : meta;
}

/** The namespace strategy's PrepareForCreate: status Active, the `kubernetes` finalizer added. */
export function admitNamespace(ns: Namespace, ctx: CreateContext): Admitted<Namespace> {
  const finalizers = ns.spec?.finalizers ?? [];
  const object: Namespace = {
    ...clone(ns),
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: withNameLabel(metaForCreate(ns.metadata, ctx, false)),
    spec: {
      ...ns.spec,
      finalizers: finalizers.includes(FINALIZER_KUBERNETES)
        ? finalizers
        : [...finalizers, FINALIZER_KUBERNETES],
    },
    status: { phase: 'Active' },
  };
  return admitted(object, validateNamespace(object));
}

/** PrepareForUpdate: spec.finalizers and status are the current object's (they change through the controller). */
export function admitNamespaceUpdate(next: Namespace, current: Namespace): Admitted<Namespace> {
  const { meta, errors } = metaForUpdate(next.metadata, current.metadata);
  const object: Namespace = {
    ...clone(next),
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: withNameLabel(meta),
    spec: clone(current.spec ?? {}),
    status: clone(current.status ?? {}),
  };
  if (object.metadata?.namespace) errors.push(forbidden('metadata.namespace', 'not allowed on this type'));
  errors.push(...validateNamespace(object));
  return admitted(object, errors);
}

/** A namespace name a URL or a manifest may carry (NameIsDNSLabel). */
export const namespaceNameErrors = (name: string): string[] => nameIsDnsLabel(name, false);

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** Two string maps hold the same entries (reflect.DeepEqual, except that an absent map equals an empty one). */
function sameMap(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
) {
  const ak = Object.keys(a ?? {});
  const bk = Object.keys(b ?? {});
  return ak.length === bk.length && ak.every((k) => b !== undefined && k in b && b[k] === a![k]);
}
