// Protobuf bodies of batch/v1 Jobs and CronJobs (src/api/protobuf.ts with the field table generated from
// k8s.io/api's generated.proto): what `kubectl create job [--from=cronjob/x]` and `kubectl create cronjob` send,
// decoded into the JSON form admission reads — nested messages, repeated fields, maps, the inline embeddings (a
// Volume's source, a Probe's handler), IntOrString, Quantity, int32/int64, and a zero Time left out.
import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from '../../src/api/protobuf.ts';
import { ApiError } from '../../src/api/status.ts';

const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  while (v > 0x7fn) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
const len = (field: number, bytes: number[] | string): number[] => {
  const b = typeof bytes === 'string' ? [...Buffer.from(bytes)] : bytes;
  return [...varint((field << 3) | 2), ...varint(b.length), ...b];
};
const num = (field: number, v: number | boolean): number[] => [...varint(field << 3), ...varint(Number(v))];
const entry = (field: number, key: string, value: number[]): number[] =>
  len(field, [...len(1, key), ...len(2, value)]);
const envelope = (apiVersion: string, kind: string, raw: number[]): Uint8Array =>
  Uint8Array.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...len(1, [...len(1, apiVersion), ...len(2, kind)]),
    ...len(2, raw),
  ]);

/** PodSpec { volumes 1, containers 2, restartPolicy 3, hostNetwork 11 }. */
const podSpec = [
  // Volume { name 1, volumeSource 2 (inline) { emptyDir 2 { medium 1, sizeLimit 2 (Quantity { string 1 }) } } }
  ...len(1, [...len(1, 'scratch'), ...len(2, len(2, [...len(1, 'Memory'), ...len(2, len(1, '64Mi'))]))]),
  // Container { name 1, image 2, command 3 (repeated), env 7, resources 8 { limits 1 (map) }, readinessProbe 11,
  // stdin 16 (false, as proto2 carries a non-pointer zero) }
  ...len(2, [
    ...len(1, 'check'),
    ...len(2, 'node:22'),
    ...len(3, 'node'),
    ...len(3, '-e'),
    ...len(7, [...len(1, 'CHECKS'), ...len(2, 'http://127.0.0.1:8091/healthz')]),
    ...len(8, entry(1, 'cpu', len(1, '100m'))),
    // Probe { handler 1 (inline) { httpGet 2 { path 1, port 2 (IntOrString { type 1, intVal 2, strVal 3 }) } },
    // periodSeconds 4 }
    ...len(11, [
      ...len(1, len(2, [...len(1, '/healthz'), ...len(2, [...num(1, 1), ...len(3, 'http')])])),
      ...num(4, 5),
    ]),
    ...num(16, false),
  ]),
  ...len(3, 'Never'),
  ...num(11, true),
];

/** JobSpec { parallelism 1, activeDeadlineSeconds 3 (int64), template 6, backoffLimit 7 }. */
const jobSpec = [
  ...num(1, 2),
  ...num(3, 50),
  // PodTemplateSpec { metadata 1 { creationTimestamp 8: a zero Time, an empty message }, spec 2 }
  ...len(6, [...len(1, len(8, [])), ...len(2, podSpec)]),
  ...num(7, 0),
];

const expectedPodSpec = {
  volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
  containers: [
    {
      name: 'check',
      image: 'node:22',
      command: ['node', '-e'],
      env: [{ name: 'CHECKS', value: 'http://127.0.0.1:8091/healthz' }],
      resources: { limits: { cpu: '100m' } },
      readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
      stdin: false,
    },
  ],
  restartPolicy: 'Never',
  hostNetwork: true,
};

describe('protobuf batch/v1 bodies', () => {
  it('a Job (kubectl create job --from=cronjob/x): annotations, owner, the whole pod template; no status', () => {
    const raw = [
      // ObjectMeta { name 1, annotations 12, ownerReferences 13 { kind 1, name 3, uid 4, apiVersion 5, controller 6 } }
      ...len(1, [
        ...len(1, 'check-now'),
        ...entry(12, 'cronjob.kubernetes.io/instantiate', [...Buffer.from('manual')]),
        ...len(13, [
          ...len(1, 'CronJob'),
          ...len(3, 'health-check'),
          ...len(4, 'u-1'),
          ...len(5, 'batch/v1'),
          ...num(6, true),
        ]),
      ]),
      ...len(2, jobSpec),
      ...len(3, []),
    ];
    expect(decodeProtobufObject(envelope('batch/v1', 'Job', raw), 'Job')).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'check-now',
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [
          { kind: 'CronJob', name: 'health-check', uid: 'u-1', apiVersion: 'batch/v1', controller: true },
        ],
      },
      spec: {
        parallelism: 2,
        activeDeadlineSeconds: 50,
        template: { metadata: {}, spec: expectedPodSpec },
        backoffLimit: 0,
      },
    });
  });

  it('a CronJob (kubectl create cronjob): schedule, timeZone, policies, the job template', () => {
    // CronJobSpec { schedule 1, startingDeadlineSeconds 2, concurrencyPolicy 3, suspend 4, jobTemplate 5
    // { metadata 1, spec 2 }, successfulJobsHistoryLimit 6, failedJobsHistoryLimit 7, timeZone 8 }
    const raw = [
      ...len(1, len(1, 'health-check')),
      ...len(2, [
        ...len(1, '* * * * *'),
        ...num(2, 30),
        ...len(3, 'Forbid'),
        ...num(4, false),
        ...len(5, [...len(1, len(1, 'health-check')), ...len(2, jobSpec)]),
        ...num(6, 3),
        ...num(7, 3),
        ...len(8, 'Europe/Berlin'),
      ]),
    ];
    const decoded = decodeProtobufObject(envelope('batch/v1', 'CronJob', raw), 'CronJob');
    expect(decoded).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'health-check' },
      spec: {
        schedule: '* * * * *',
        startingDeadlineSeconds: 30,
        concurrencyPolicy: 'Forbid',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        timeZone: 'Europe/Berlin',
        jobTemplate: { metadata: { name: 'health-check' }, spec: { template: { spec: expectedPodSpec } } },
      },
    });
  });

  it('an int32 carries its sign (a negative value is ten bytes on the wire)', () => {
    const raw = [...len(1, len(1, 'neg')), ...len(2, num(7, -1))];
    expect(decodeProtobufObject(envelope('batch/v1', 'Job', raw), 'Job')).toMatchObject({
      spec: { backoffLimit: -1 },
    });
  });

  it('a Job envelope sent to the CronJob resource, or of another version, is the API server 400', () => {
    for (const [apiVersion, kind] of [
      ['batch/v1', 'Job'],
      ['batch/v1beta1', 'CronJob'],
    ] as const) {
      let err: unknown;
      try {
        decodeProtobufObject(envelope(apiVersion, kind, len(1, len(1, 'x'))), 'CronJob');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).message).toContain(
        `no kind "${kind}" is registered for version "${apiVersion}"`,
      );
    }
  });
});
