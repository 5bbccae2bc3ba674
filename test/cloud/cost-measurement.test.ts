// What the deployed control plane does per hour, measured on the emulators (test/cloud/emulators/usage-meter.ts):
// every billed unit of every call the template's functions, state machine and schedules make, by caller. The result
// is committed as scripts/cost-measurement.json, which `npm run cost` (scripts/cost.ts) prices; this test fails when
// the committed file no longer matches what the stack does (UPDATE_COST_MEASUREMENT=1 rewrites it).
//
//   zeroPodsPerHour     one hour of emulator time with no pod: the scheduled rules (prober supervisor, worker sweep,
//                       runtime reconcile) and whatever they do;
//   idlePodPerHour      the same hour with idle Running pods, minus the above, per pod — plus the steady state's one
//                       loop a day (SuperviseAwait's 24-hour timeout, made to pass at once), ÷ 24; the prober apart;
//   proberShardPerHour  what a shard's run with probed pods does per hour besides running (lease renewals,
//                       registration queries: measured over a minute of real time — the prober runs on real time);
//   items               the stored sizes (DynamoDB item-size rules) of a pod item and a probe registration, which the
//                       cost model scales with the pod count.
// The probes' CPU (what sizes and bills a shard's run) is measured by bench/probes.bench.ts, not here.
import { readFileSync, writeFileSync } from 'node:fs';
import { DynamoDBClient, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { CoreV1Api, type V1Container } from '@kubernetes/client-node';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_PK_PREFIX } from '../../src/adapters/probes/dynamodb-probe-registry.ts';
import { DEFAULT_PROBER_SYNC_INTERVAL_MS } from '../../src/engine/prober/shard-prober.ts';
import { cloudTarget, startCloudHarness, type CloudHarness } from './harness.ts';
import { UsageMeter, type Usage, type UsageKind } from './emulators/usage-meter.ts';
import { eventually } from './support/sdk-config.ts';

const onEmulators = cloudTarget() === 'emulators';
const FILE = new URL('../../scripts/cost-measurement.json', import.meta.url);
const NS = 'default';
/** The issue's reference probe period. */
const PERIOD_SECONDS = 10;
/** Syncs of the prober's shard run measured. */
const SYNCS = 4;
/**
 * The shard's sync interval while measuring (real time): what a sync does does not depend on the interval, so the
 * usage of SYNCS syncs is scaled to an hour of syncs at the default interval.
 */
const MEASURED_SYNC_INTERVAL_MS = 1_000;

export interface CostMeasurement {
  measuredWith: string;
  zeroPodsPerHour: Usage;
  idlePodPerHour: Usage;
  proberShardPerHour: { probedPods: number; usage: Usage };
  items: { podItemBytes: number; registrationItemBytes: number };
}

let h: CloudHarness;
let api: CoreV1Api;
let ddb: DynamoDBClient;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** DynamoDB item size (Developer Guide, "Item sizes"): attribute names plus values; numbers ≈ 1 byte per 2 digits + 1. */
function itemBytes(item: Record<string, AttributeValue>): number {
  const value = (v: AttributeValue): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\./g, '').length / 2) + 1;
    if (v.B !== undefined) return v.B.length;
    if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
    if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
    if (v.NS) return v.NS.reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
    if (v.L) return 3 + v.L.reduce((n, x) => n + 1 + value(x), 0);
    if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + value(x), 0);
    return 0;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + value(v), 0);
}

const scale = (u: Usage, by: number): Usage =>
  Object.fromEntries(
    Object.entries(u).map(([caller, kinds]) => [
      caller,
      Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v * by])),
    ]),
  );
const add = (a: Usage, b: Usage): Usage => {
  const out = scale(a, 1);
  for (const [caller, kinds] of Object.entries(b))
    for (const [k, v] of Object.entries(kinds) as Array<[UsageKind, number]>)
      (out[caller] ??= {})[k] = (out[caller][k] ?? 0) + v;
  return out;
};
const atLeastZero = (u: Usage): Usage =>
  Object.fromEntries(
    Object.entries(u).map(([caller, kinds]) => [
      caller,
      Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, Math.max(0, v)])),
    ]),
  );
const only = (u: Usage, keep: (caller: string) => boolean): Usage =>
  Object.fromEntries(Object.entries(u).filter(([c]) => keep(c)));
/** Rounded for the committed file: units to 1e-6, so that a re-measurement compares without float noise. */
const rounded = (u: Usage): Usage =>
  Object.fromEntries(
    Object.entries(u)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([caller, kinds]) => [
        caller,
        Object.fromEntries(
          Object.entries(kinds)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, Math.round(v * 1e6) / 1e6]),
        ),
      ]),
  );

beforeAll(async () => {
  if (!onEmulators) return;
  h = await startCloudHarness({
    functionEnvironment: { PROBER_SYNC_INTERVAL_MS: String(MEASURED_SYNC_INTERVAL_MS) },
  });
  api = h.kubeConfig.makeApiClient(CoreV1Api);
  ddb = new DynamoDBClient(h.clientConfig('dynamodb'));
}, 60_000);

afterAll(async () => {
  ddb?.destroy();
  await h?.close();
}, 30_000);

describe.skipIf(!onEmulators)('cost measurement (emulators)', () => {
  it('measures the control plane per hour and per idle pod; scripts/cost-measurement.json matches', async () => {
    const { clock, lambda, meter: emulatorMeter, stepFunctions, synth, resolver } = h.emulators!;
    clock.freeze();
    // Callers by the template's logical ids (physical names carry a random suffix per harness).
    const logical = new Map<string, string>();
    for (const type of ['AWS::Lambda::Function', 'AWS::Logs::LogGroup', 'AWS::Scheduler::ScheduleGroup'])
      for (const [id] of resolver.resources(type)) logical.set(resolver.physicalName(id), id);
    const byLogicalId = (u: Usage): Usage =>
      Object.fromEntries(
        Object.entries(u).map(([caller, kinds]) => [
          logical.get(caller.replace(/^schedule-group\//, '')) ?? caller,
          kinds,
        ]),
      );
    const meter = { snapshot: () => byLogicalId(emulatorMeter.snapshot()) };
    const proberFn = lambda.functions.find((f) => f.name.endsWith('-prober'))!;
    const proberName = logical.get(proberFn.name)!;
    const prober = { logGroup: logical.get(proberFn.logGroup)! };
    const podLogGroup = logical.get(h.outputs.PodLogGroup)!;
    /** Resolves once no invocation but `longRunning` ones (a shard's run) has been in flight for 300 ms. */
    const settle = async (longRunning: number) => {
      let quietSince = Date.now();
      await eventually(() => {
        if (lambda.inFlight > longRunning) quietSince = Date.now();
        return Date.now() - quietSince >= 300;
      }, 60_000);
    };
    const simulatedHour = async (longRunning: number): Promise<Usage> => {
      const before = meter.snapshot();
      for (let minute = 0; minute < 60; minute++) {
        clock.advance(60_000);
        await settle(longRunning);
      }
      return UsageMeter.since(before, meter.snapshot());
    };

    // 1. No pod: the fixed hour, of a deployment that has served a request (its system namespaces exist, which the
    // controllers' sweep reads whether pods exist or not).
    await api.listNamespace();
    await settle(0);
    const zeroPods = await simulatedHour(0);
    expect(zeroPods[proberName]?.['lambda.requests']).toBe(60);

    // 2. Idle Running pods: no probe, one readiness probe, readiness + liveness + startup, all httpGet at 10 s.
    const containerFor = async (probes: number): Promise<V1Container> => {
      if (probes === 0) return { name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 86400'] };
      const port = await freePort();
      const probe = { httpGet: { path: '/', port }, periodSeconds: PERIOD_SECONDS };
      return {
        name: 'app',
        image: 'node',
        command: [
          'node',
          '-e',
          `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`,
        ],
        readinessProbe: probe,
        ...(probes === 3 ? { livenessProbe: probe, startupProbe: probe } : {}),
      };
    };
    const pods = [0, 1, 3];
    for (const probes of pods) {
      await api.createNamespacedPod({
        namespace: NS,
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `idle-${probes}` },
          spec: { terminationGracePeriodSeconds: 2, containers: [await containerFor(probes)] },
        },
      });
    }
    for (const probes of pods) {
      await eventually(
        async () =>
          (await api.readNamespacedPod({ name: `idle-${probes}`, namespace: NS })).status
            ?.containerStatuses?.[0]?.ready === true,
        90_000,
        200,
      );
    }
    // The probed pods' shard has a run (one invocation in flight for its window).
    await settle(1);

    // 2a. The prober's shard run over SYNCS syncs of real time (each begins with the lease renewal, its only write
    // while no probe result changes, and then reads the registrations and the leases), scaled to an hour of syncs at
    // the default interval. The window opens and closes half an interval after a renewal, between two syncs, so that
    // it holds whole syncs: opened at the renewal itself, it would count that sync's reads or not by a race.
    const renewals = () => meter.snapshot()[proberName]?.['ddb.writeUnits'] ?? 0;
    const betweenSyncs = async (): Promise<number> => {
      const seen = renewals();
      await eventually(() => renewals() > seen, 10 * MEASURED_SYNC_INTERVAL_MS, 10);
      await new Promise((resolve) => setTimeout(resolve, MEASURED_SYNC_INTERVAL_MS / 2));
      return renewals();
    };
    const first = await betweenSyncs();
    const proberBefore = meter.snapshot();
    while ((await betweenSyncs()) < first + SYNCS);
    const proberAfter = meter.snapshot();
    const syncs = (proberAfter[proberName]?.['ddb.writeUnits'] ?? 0) - first;
    const proberShard = scale(
      only(UsageMeter.since(proberBefore, proberAfter), (c) => c === proberName || c === prober.logGroup),
      3_600_000 / DEFAULT_PROBER_SYNC_INTERVAL_MS / syncs,
    );

    // 2b. An hour of emulator time with the pods, the prober's own usage apart.
    const withPods = await simulatedHour(1);
    // The pods' own log group is the workload's; the prober is measured apart (2a) and modelled per shard.
    const notProber = (c: string) => c !== proberName && c !== prober.logGroup && c !== podLogGroup;
    const hourly = add(only(withPods, notProber), scale(only(zeroPods, notProber), -1));

    // 2c. The steady state's daily loop: every SuperviseAwait times out now, and each worker goes round once.
    const loopBefore = meter.snapshot();
    expect(await stepFunctions.timeOutWaits('SuperviseAwait')).toBe(pods.length);
    await eventually(() => stepFunctions.waitingIn('SuperviseAwait') === pods.length, 60_000, 100);
    await settle(1);
    const loop = only(UsageMeter.since(loopBefore, meter.snapshot()), notProber);
    // The scheduled functions' durations and log lines with and without the pods differ by less than the emulator's
    // noise (worker threads on a shared machine): a negative difference counts as none.
    const idlePod = atLeastZero(scale(add(hourly, scale(loop, 1 / 24)), 1 / pods.length));

    // 3. Item sizes.
    const { Items: items = [] } = await ddb.send(new ScanCommand({ TableName: h.outputs.TableName }));
    const podItem = items.find((i) => i.SK?.S?.startsWith('pod#') || i.PK?.S?.startsWith('pod#'));
    const { Items: registrations = [] } = await ddb.send(
      new QueryCommand({
        TableName: h.outputs.TableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: `${REGISTRY_PK_PREFIX}0` } },
      }),
    );
    expect(podItem).toBeDefined();
    expect(registrations).toHaveLength(2);

    const measured: CostMeasurement = {
      measuredWith: `the stack ${synth.stackName} on the emulators; pods ${pods.map((p) => `${p} probes`).join(', ')} at ${PERIOD_SECONDS} s`,
      zeroPodsPerHour: rounded(zeroPods),
      idlePodPerHour: rounded(idlePod),
      proberShardPerHour: { probedPods: 2, usage: rounded(proberShard) },
      items: {
        podItemBytes: itemBytes(podItem!),
        registrationItemBytes: Math.max(...registrations.map(itemBytes)),
      },
    };
    if (process.env.UPDATE_COST_MEASUREMENT === '1') {
      writeFileSync(FILE, `${JSON.stringify(measured, null, 2)}\n`);
      return;
    }
    const committed = JSON.parse(readFileSync(FILE, 'utf8')) as CostMeasurement;
    compareMeasurements(committed, measured);
  }, 600_000);
});

/**
 * Counts (requests, transitions, schedule invocations) must match exactly; units that depend on item sizes within
 * 25 %; log bytes within a factor of 3 (or 2,000 bytes an hour); durations are not compared (load, not design).
 */
export function compareMeasurements(committed: CostMeasurement, measured: CostMeasurement): void {
  const stale =
    'scripts/cost-measurement.json is stale: UPDATE_COST_MEASUREMENT=1 npx vitest run test/cloud/cost-measurement.test.ts';
  const check = (path: string, a: Usage, b: Usage) => {
    expect(Object.keys(b).sort(), `${stale} (${path} callers)`).toEqual(Object.keys(a).sort());
    for (const [caller, kinds] of Object.entries(a)) {
      expect(Object.keys(b[caller]!).sort(), `${stale} (${path}.${caller})`).toEqual(
        Object.keys(kinds).sort(),
      );
      for (const [kind, value] of Object.entries(kinds) as Array<[UsageKind, number]>) {
        const now = b[caller]![kind]!;
        const where = `${stale} (${path}.${caller}.${kind}: committed ${value}, measured ${now})`;
        if (kind === 'lambda.requests' || kind === 'sfn.transitions' || kind === 'scheduler.invocations')
          expect(now, where).toBe(value);
        else if (kind === 'ddb.readUnits' || kind === 'ddb.writeUnits')
          expect(Math.abs(now - value), where).toBeLessThanOrEqual(0.25 * Math.max(value, 1));
        else if (kind === 'lambda.seconds') {
          // Not compared: a duration is the machine's load as much as the design's (a scheduled function's hour
          // measured 1.5 s on an idle machine and 13.7 s at a load of 10 on 2 cores). Durations are what
          // UPDATE_COST_MEASUREMENT=1 records on an idle machine; a change of the design shows in the requests, units
          // and log bytes compared here.
          continue;
        } else {
          const [factor, negligible] = [3, 2_000];
          if (Math.abs(now - value) <= negligible) continue;
          expect(now, where).toBeLessThanOrEqual(value * factor);
          expect(now, where).toBeGreaterThanOrEqual(value / factor);
        }
      }
    }
  };
  check('zeroPodsPerHour', committed.zeroPodsPerHour, measured.zeroPodsPerHour);
  check('idlePodPerHour', committed.idlePodPerHour, measured.idlePodPerHour);
  check('proberShardPerHour', committed.proberShardPerHour.usage, measured.proberShardPerHour.usage);
  expect(Math.abs(measured.items.podItemBytes - committed.items.podItemBytes), stale).toBeLessThanOrEqual(
    0.25 * committed.items.podItemBytes,
  );
  expect(measured.items.registrationItemBytes, stale).toBeGreaterThan(0);
}
