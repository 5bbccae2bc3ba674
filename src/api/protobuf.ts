// Request bodies in the API server's protobuf encoding (`application/vnd.kubernetes.protobuf`), for the kinds
// kubectl's typed clients write that way: client-go 1.32's built-in clients send ConfigMaps, Secrets, Namespaces and
// batch/v1 Jobs and CronJobs as protobuf (`kubectl create configmap|secret|namespace`, `kubectl create job
// [--from=cronjob/x]`, `kubectl create cronjob`, and
// the access reviews of `kubectl auth can-i`) and would get a 415 otherwise. A Job's messages (JobSpec, PodSpec,
// Container …) are decoded from the field table of protobuf-schema.generated.ts. Only decoding: responses
// stay JSON, which the same clients accept (`Accept: application/vnd.kubernetes.protobuf,application/json`).
//
// The envelope (apimachinery runtime/serializer/protobuf): the magic `k8s\0`, then a runtime.Unknown { typeMeta = 1
// { apiVersion = 1, kind = 2 }, raw = 2, contentEncoding = 3, contentType = 4 } whose `raw` is the object's message.
// The messages and field numbers are those of k8s.io/api/core/v1/generated.proto and
// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto. The result is the object as its JSON form would carry it
// ([]byte fields as base64 strings, times as RFC 3339), so the same schema decoding and admission follow. Fields
// podflow does not keep (managedFields, a Namespace's status conditions) are skipped, as are unknown field numbers.
import { ApiError, badRequest } from './status.ts';
import { PROTO_MESSAGES } from './protobuf-schema.generated.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

class Reader {
  #pos = 0;
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  get done(): boolean {
    return this.#pos >= this.bytes.length;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.#pos >= this.bytes.length || shift > 63n) throw new Error('truncated varint');
      const b = this.bytes[this.#pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
  }
  take(n: number): Uint8Array {
    if (n < 0 || this.#pos + n > this.bytes.length) throw new Error('truncated field');
    const out = this.bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
  /** Every field as [number, wire type, value]: a varint (bigint) or length-delimited bytes; fixed widths skipped. */
  *fields(): Generator<[number, number, bigint | Uint8Array]> {
    while (!this.done) {
      const tag = this.varint();
      const field = Number(tag >> 3n);
      const wire = Number(tag & 7n);
      if (wire === 0) yield [field, wire, this.varint()];
      else if (wire === 2) yield [field, wire, this.take(Number(this.varint()))];
      else if (wire === 1) this.take(8);
      else if (wire === 5) this.take(4);
      else throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const str = (v: bigint | Uint8Array): string => (v instanceof Uint8Array ? utf8.decode(v) : String(v));
const bytes = (v: bigint | Uint8Array): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array());
const int = (v: bigint | Uint8Array): number => (typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : 0);
const b64 = (v: Uint8Array): string => Buffer.from(v).toString('base64');

function fields(buf: Uint8Array): Array<[number, bigint | Uint8Array]> {
  return [...new Reader(buf).fields()].map(([n, , v]) => [n, v]);
}

/** A map entry message { key = 1, value = 2 }. */
function entry(buf: Uint8Array): [string, bigint | Uint8Array] {
  let key = '';
  let value: bigint | Uint8Array = new Uint8Array();
  for (const [n, v] of fields(buf)) {
    if (n === 1) key = str(v);
    else if (n === 2) value = v;
  }
  return [key, value];
}

/** meta/v1 Time { seconds = 1, nanos = 2 } as RFC 3339 (seconds precision, as metav1.Time marshals). */
function time(buf: Uint8Array): string {
  let seconds = 0;
  for (const [n, v] of fields(buf)) if (n === 1) seconds = int(v);
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function ownerReference(buf: Uint8Array): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [n, v] of fields(buf)) {
    if (n === 1) o.kind = str(v);
    else if (n === 3) o.name = str(v);
    else if (n === 4) o.uid = str(v);
    else if (n === 5) o.apiVersion = str(v);
    else if (n === 6) o.controller = int(v) !== 0;
    else if (n === 7) o.blockOwnerDeletion = int(v) !== 0;
  }
  return o;
}

function objectMeta(buf: Uint8Array): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const owners: unknown[] = [];
  const finalizers: string[] = [];
  for (const [n, v] of fields(buf)) {
    if (n === 1) m.name = str(v);
    else if (n === 2) m.generateName = str(v);
    else if (n === 3) m.namespace = str(v);
    else if (n === 5) m.uid = str(v);
    else if (n === 6) m.resourceVersion = str(v);
    else if (n === 7) {
      if (int(v) !== 0) m.generation = int(v);
    }
    // A zero metav1.Time marshals as an empty message (the JSON form's null): left out.
    else if (n === 8) {
      if (bytes(v).length > 0) m.creationTimestamp = time(bytes(v));
    } else if (n === 9) m.deletionTimestamp = time(bytes(v));
    else if (n === 10) m.deletionGracePeriodSeconds = int(v);
    else if (n === 11) {
      const [k, val] = entry(bytes(v));
      labels[k] = str(val);
    } else if (n === 12) {
      const [k, val] = entry(bytes(v));
      annotations[k] = str(val);
    } else if (n === 13) owners.push(ownerReference(bytes(v)));
    else if (n === 14) finalizers.push(str(v));
  }
  // Empty strings are the proto's zero values: the JSON form omits them.
  for (const k of Object.keys(m)) if (m[k] === '') delete m[k];
  if (Object.keys(labels).length > 0) m.labels = labels;
  if (Object.keys(annotations).length > 0) m.annotations = annotations;
  if (owners.length > 0) m.ownerReferences = owners;
  if (finalizers.length > 0) m.finalizers = finalizers;
  return m;
}

/** authorization/v1 ResourceAttributes { namespace 1, verb 2, group 3, version 4, resource 5, subresource 6, name 7 }. */
function resourceAttributes(buf: Uint8Array): Record<string, unknown> {
  const names = ['', 'namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
  const o: Record<string, unknown> = {};
  for (const [n, v] of fields(buf)) if (n >= 1 && n <= 7 && str(v) !== '') o[names[n]!] = str(v);
  return o;
}

/** authorization/v1 NonResourceAttributes { path 1, verb 2 }. */
function nonResourceAttributes(buf: Uint8Array): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [n, v] of fields(buf)) {
    if (n === 1) o.path = str(v);
    else if (n === 2) o.verb = str(v);
  }
  return o;
}

/** intstr.IntOrString { type = 1 (0 int, 1 string), intVal = 2, strVal = 3 } as a number or a string. */
function intOrString(buf: Uint8Array): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  for (const [n, v] of fields(buf)) {
    if (n === 1) type = int(v);
    else if (n === 2) intVal = Number(BigInt.asIntN(32, BigInt(int(v))));
    else if (n === 3) strVal = str(v);
  }
  return type === 1 ? strVal : intVal;
}

/** meta/v1 LabelSelector { matchLabels = 1 (map), matchExpressions = 2 { key = 1, operator = 2, values = 3 } }. */
function labelSelector(buf: Uint8Array): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const matchLabels: Record<string, string> = {};
  const expressions: Array<Record<string, unknown>> = [];
  for (const [n, v] of fields(buf)) {
    if (n === 1) {
      const [k, val] = entry(bytes(v));
      matchLabels[k] = str(val);
    } else if (n === 2) {
      const e: Record<string, unknown> = {};
      const values: string[] = [];
      for (const [m, w] of fields(bytes(v))) {
        if (m === 1) e.key = str(w);
        else if (m === 2) e.operator = str(w);
        else if (m === 3) values.push(str(w));
      }
      if (values.length > 0) e.values = values;
      expressions.push(e);
    }
  }
  if (Object.keys(matchLabels).length > 0) o.matchLabels = matchLabels;
  if (expressions.length > 0) o.matchExpressions = expressions;
  return o;
}

/** One value of a field of type `type` (a scalar, an apimachinery type, or a message of PROTO_MESSAGES). */
function decodeValue(type: string, v: bigint | Uint8Array): unknown {
  switch (type) {
    case 'string':
      return str(v);
    case 'bytes':
      return b64(bytes(v));
    case 'bool':
      return int(v) !== 0;
    case 'int32':
      return Number(BigInt.asIntN(32, typeof v === 'bigint' ? v : 0n));
    case 'int64':
      return int(v);
    case 'ObjectMeta':
      return objectMeta(bytes(v));
    case 'Time':
      // A zero time marshals as an empty message: the JSON form's null, left out.
      return bytes(v).length === 0 ? undefined : time(bytes(v));
    case 'Quantity':
      return str(fields(bytes(v)).find(([n]) => n === 1)?.[1] ?? new Uint8Array());
    case 'IntOrString':
      return intOrString(bytes(v));
    case 'LabelSelector':
      return labelSelector(bytes(v));
    default:
      return decodeMessage(type, bytes(v));
  }
}

/** A packed repeated scalar (wire type 2 for a numeric field): its varints. */
function packed(buf: Uint8Array): bigint[] {
  const r = new Reader(buf);
  const out: bigint[] = [];
  while (!r.done) out.push(r.varint());
  return out;
}

/**
 * A message of the generated table (protobuf-schema.generated.ts), as its JSON form: fields by their JSON names, lists
 * for repeated fields, objects for maps, inline structs merged into their parent. Empty strings are the proto's zero
 * values and are dropped, as the JSON form omits them.
 */
function decodeMessage(type: string, buf: Uint8Array): Record<string, unknown> {
  const schema = PROTO_MESSAGES[type];
  if (!schema) throw new Error(`no protobuf schema for ${type}`);
  const o: Record<string, unknown> = {};
  for (const [n, v] of fields(buf)) {
    const field = schema[n];
    if (!field) continue;
    const [name, fieldType, flags] = field;
    if (flags.includes('m')) {
      const [k, val] = entry(bytes(v));
      const map = (o[name] ??= {}) as Record<string, unknown>;
      map[k] = decodeValue(fieldType, val);
    } else if (flags.includes('r')) {
      const list = (o[name] ??= []) as unknown[];
      const numeric = fieldType === 'int32' || fieldType === 'int64' || fieldType === 'bool';
      if (numeric && v instanceof Uint8Array) for (const x of packed(v)) list.push(decodeValue(fieldType, x));
      else list.push(decodeValue(fieldType, v));
    } else if (flags.includes('i')) {
      Object.assign(o, decodeValue(fieldType, v));
    } else {
      const value = decodeValue(fieldType, v);
      if (value !== '' && value !== undefined) o[name] = value;
    }
  }
  return o;
}

/** The message of one kind, as its JSON form. */
const MESSAGES: Readonly<Record<string, (buf: Uint8Array) => Record<string, unknown>>> = {
  // batch/v1 Job, from the generated table (client-go's typed client: `kubectl create job`, `--from=cronjob/x`). A
  // status sent in is dropped: a create never takes one.
  Job(buf) {
    const { status: _status, ...job } = decodeMessage('Job', buf);
    return job;
  },
  CronJob(buf) {
    const { status: _status, ...cronJob } = decodeMessage('CronJob', buf);
    return cronJob;
  },
  // authorization/v1: { metadata 1, spec 2, status 3 }; the spec of an access review is { resourceAttributes 1,
  // nonResourceAttributes 2 }, of a rules review { namespace 1 }. A status sent in is ignored (the server writes it).
  SelfSubjectAccessReview(buf) {
    const o: Record<string, unknown> = {};
    for (const [n, v] of fields(buf)) {
      if (n === 1) o.metadata = objectMeta(bytes(v));
      else if (n === 2) {
        const spec: Record<string, unknown> = {};
        for (const [m, w] of fields(bytes(v))) {
          if (m === 1) spec.resourceAttributes = resourceAttributes(bytes(w));
          else if (m === 2) spec.nonResourceAttributes = nonResourceAttributes(bytes(w));
        }
        o.spec = spec;
      }
    }
    return o;
  },
  SelfSubjectRulesReview(buf) {
    const o: Record<string, unknown> = {};
    for (const [n, v] of fields(buf)) {
      if (n === 1) o.metadata = objectMeta(bytes(v));
      else if (n === 2) {
        const namespace = fields(bytes(v)).find(([m]) => m === 1);
        o.spec = namespace ? { namespace: str(namespace[1]) } : {};
      }
    }
    return o;
  },
  ConfigMap(buf) {
    const o: Record<string, unknown> = {};
    const data: Record<string, string> = {};
    const binaryData: Record<string, string> = {};
    let hasData = false;
    let hasBinary = false;
    for (const [n, v] of fields(buf)) {
      if (n === 1) o.metadata = objectMeta(bytes(v));
      else if (n === 2) {
        const [k, val] = entry(bytes(v));
        data[k] = str(val);
        hasData = true;
      } else if (n === 3) {
        const [k, val] = entry(bytes(v));
        binaryData[k] = b64(bytes(val));
        hasBinary = true;
      } else if (n === 4) o.immutable = int(v) !== 0;
    }
    if (hasData) o.data = data;
    if (hasBinary) o.binaryData = binaryData;
    return o;
  },
  Secret(buf) {
    const o: Record<string, unknown> = {};
    const data: Record<string, string> = {};
    const stringData: Record<string, string> = {};
    let hasData = false;
    let hasStringData = false;
    for (const [n, v] of fields(buf)) {
      if (n === 1) o.metadata = objectMeta(bytes(v));
      else if (n === 2) {
        const [k, val] = entry(bytes(v));
        data[k] = b64(bytes(val));
        hasData = true;
      } else if (n === 3) {
        if (str(v) !== '') o.type = str(v);
      } else if (n === 4) {
        const [k, val] = entry(bytes(v));
        stringData[k] = str(val);
        hasStringData = true;
      } else if (n === 5) o.immutable = int(v) !== 0;
    }
    if (hasData) o.data = data;
    if (hasStringData) o.stringData = stringData;
    return o;
  },
  Namespace(buf) {
    const o: Record<string, unknown> = {};
    for (const [n, v] of fields(buf)) {
      if (n === 1) o.metadata = objectMeta(bytes(v));
      else if (n === 2) {
        const finalizers = fields(bytes(v))
          .filter(([f]) => f === 1)
          .map(([, val]) => str(val));
        o.spec = finalizers.length > 0 ? { finalizers } : {};
      } else if (n === 3) {
        const phase = fields(bytes(v)).find(([f]) => f === 1);
        o.status = phase ? { phase: str(phase[1]) } : {};
      }
    }
    return o;
  },
};

/** The kinds whose protobuf bodies are understood. */
export const PROTOBUF_KINDS: ReadonlySet<string> = new Set(Object.keys(MESSAGES));

/** The apiVersion of each kind (core v1 but for the access reviews). */
const API_VERSIONS: Readonly<Record<string, string>> = {
  SelfSubjectAccessReview: 'authorization.k8s.io/v1',
  SelfSubjectRulesReview: 'authorization.k8s.io/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/**
 * Decodes a protobuf request body into the object's JSON form, apiVersion and kind from the envelope. A body that is
 * not a protobuf envelope, or holds a kind other than `kind`, is the API server's 400. Messages never quote the body.
 */
export function decodeProtobufObject(body: Uint8Array, kind: string): Record<string, unknown> {
  const unrecognized = (why: string) =>
    badRequest(`the object provided is unrecognized (must be of type ${kind}): ${why}`);
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b))
    throw unrecognized(
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  try {
    let apiVersion = '';
    let bodyKind = '';
    let raw: Uint8Array = new Uint8Array();
    let encoding = '';
    for (const [n, v] of fields(body.subarray(MAGIC.length))) {
      if (n === 1) {
        for (const [m, w] of fields(bytes(v))) {
          if (m === 1) apiVersion = str(w);
          else if (m === 2) bodyKind = str(w);
        }
      } else if (n === 2) raw = bytes(v);
      else if (n === 3) encoding = str(v);
    }
    if (encoding !== '') throw new Error(`content encoding ${JSON.stringify(encoding)} is not supported`);
    const decode = MESSAGES[bodyKind];
    if (apiVersion !== (API_VERSIONS[kind] ?? 'v1') || !decode || bodyKind !== kind)
      throw unrecognized(`no kind "${bodyKind}" is registered for version "${apiVersion}" in protobuf`);
    return { apiVersion, kind: bodyKind, ...decode(raw) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw unrecognized(`unable to decode the protobuf message: ${(err as Error).message}`);
  }
}
