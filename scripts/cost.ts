// `npm run cost`: what podflow's cloud control plane costs per idle Running pod and month (docs/decisions/0003-probes.md,
// "Cost model"), from
//   - the template PodflowStack synthesizes (in-process, without bundling: memory sizes, architectures, the prober's
//     settings, schedules, alarms, NAT gateways), or `--template <file>` (e.g. cdk.out/Podflow.template.json);
//   - scripts/cost-measurement.json: the billed units the stack's functions, state machine and schedules use per hour,
//     measured on the emulators by test/cloud/cost-measurement.test.ts (which fails when the file is stale);
//   - the prober's CPU per probe, measured by bench/probes.bench.ts (PROBE_CPU_MS below);
//   - us-east-1 list prices (PRICES below, each with its source).
// Offline; about 3 s. Fargate (the pods' own tasks) is the user's workload and is excluded; the VPC's NAT gateway is
// shown apart, as network.
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { PodflowStack } from '../infra/podflow-stack.ts';
import {
  DEFAULT_PROBER_SYNC_INTERVAL_MS,
  DEFAULT_PROBER_WINDOW_MS,
} from '../src/engine/prober/shard-prober.ts';

/** us-east-1 list prices (USD). */
export const PRICES = {
  /** aws.amazon.com/step-functions/pricing: $0.025 per 1,000 state transitions (Standard). */
  sfnTransition: 0.025 / 1000,
  /** aws.amazon.com/lambda/pricing: $0.20 per 1M requests. */
  lambdaRequest: 0.2 / 1e6,
  /** aws.amazon.com/lambda/pricing: per GB-second, first tier — x86 $0.0000166667, Arm $0.0000133334. */
  lambdaGbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
  /**
   * aws.amazon.com/dynamodb/pricing/on-demand: $0.625 per million write request units, $0.125 per million read request
   * units — halved on 1 November 2024 (from $1.25 and $0.25).
   */
  ddbWriteUnit: 0.625 / 1e6,
  ddbReadUnit: 0.125 / 1e6,
  /** aws.amazon.com/eventbridge/pricing: Scheduler $1.00 per million invocations (scheduled rules: not charged). */
  schedulerInvocation: 1 / 1e6,
  /** aws.amazon.com/cloudwatch/pricing: Logs ingestion (Standard) $0.50 per GB; storage $0.03 per GB-month. */
  logsIngestedGb: 0.5,
  logsStoredGbMonth: 0.03,
  /** aws.amazon.com/cloudwatch/pricing: a standard-resolution alarm $0.10 per month. */
  alarmMonth: 0.1,
  /** aws.amazon.com/sqs/pricing: $0.40 per million requests (the timers' dead-letter queue: only on failures). */
  sqsRequest: 0.4 / 1e6,
  /** aws.amazon.com/vpc/pricing: NAT gateway $0.045 per hour (+ $0.045 per GB); public IPv4 $0.005 per hour. */
  natGatewayHour: 0.045,
  publicIpv4Hour: 0.005,
  /** aws.amazon.com/eks/pricing: $0.10 per cluster-hour (standard support). */
  eksClusterHour: 0.1,
} as const;

/** Hours in AWS's month (pricing pages: 730). */
export const HOURS_PER_MONTH = 730;

/**
 * CPU per httpGet probe in the prober (bench/probes.bench.ts, "prober CPU … CPU-s per 1,000 probes": 0.308 with 1,000
 * workers at 1 s on the 2-core development VM, load ≈ 7). Lambda gives 1 vCPU at 1,769 MB
 * (docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
 */
export const PROBE_CPU_MS = 0.308;
export const MB_PER_VCPU = 1769;
/** A shard is sized to use at most this share of its CPU, so that probes keep their period (event-loop latency). */
export const SHARD_CPU_TARGET = 0.5;

type UsageKind =
  | 'lambda.requests'
  | 'lambda.seconds'
  | 'sfn.transitions'
  | 'ddb.readUnits'
  | 'ddb.writeUnits'
  | 'scheduler.invocations'
  | 'logs.bytes';
type Usage = Record<string, Partial<Record<UsageKind, number>>>;

export interface CostMeasurement {
  measuredWith: string;
  zeroPodsPerHour: Usage;
  idlePodPerHour: Usage;
  proberShardPerHour: { probedPods: number; usage: Usage };
  items: { podItemBytes: number; registrationItemBytes: number };
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}
type Template = { Resources: Record<string, Resource> };

export function synthesizedTemplate(): Template {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stack = new PodflowStack(app, 'Podflow');
  return app.synth().getStackByName(stack.stackName).template as Template;
}

/** What the model needs of the template. */
export interface Deployment {
  functions: Map<string, { memoryMb: number; architecture: 'arm64' | 'x86_64' }>;
  prober: {
    id: string;
    memoryMb: number;
    architecture: 'arm64' | 'x86_64';
    shards: number;
    windowMs: number;
    syncMs: number;
  };
  stateMachineType: string;
  alarms: number;
  natGateways: number;
  publicIpv4: number;
  logRetentionDays: number[];
}

export function readDeployment(template: Template): Deployment {
  const functions = new Map<string, { memoryMb: number; architecture: 'arm64' | 'x86_64' }>();
  let prober: Deployment['prober'] | undefined;
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const p = r.Properties ?? {};
    const memoryMb = Number(p.MemorySize ?? 128);
    const architecture = ((p.Architectures as string[] | undefined)?.[0] ?? 'x86_64') as 'arm64' | 'x86_64';
    functions.set(id, { memoryMb, architecture });
    if (String(p.FunctionName ?? '').endsWith('-prober')) {
      const env = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
        {}) as Record<string, unknown>;
      prober = {
        id,
        memoryMb,
        architecture,
        shards: Number(env.PROBER_SHARDS ?? 1),
        windowMs: Number(env.PROBER_WINDOW_MS ?? DEFAULT_PROBER_WINDOW_MS),
        syncMs: Number(env.PROBER_SYNC_INTERVAL_MS ?? DEFAULT_PROBER_SYNC_INTERVAL_MS),
      };
    }
  }
  if (!prober) throw new Error('the template has no prober function (FunctionName …-prober)');
  const of = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);
  return {
    functions,
    prober,
    stateMachineType: String(
      of('AWS::StepFunctions::StateMachine')[0]?.Properties?.StateMachineType ?? 'STANDARD',
    ),
    alarms: of('AWS::CloudWatch::Alarm').length,
    natGateways: of('AWS::EC2::NatGateway').length,
    publicIpv4: of('AWS::EC2::EIP').length,
    logRetentionDays: of('AWS::Logs::LogGroup').map((r) => Number(r.Properties?.RetentionInDays ?? 0)),
  };
}

/** Dollars per month of a usage per hour, by the kind of unit, each function at its template architecture. */
export function usageCost(u: Usage, d: Deployment): { total: number; byTerm: Record<string, number> } {
  const byTerm: Record<string, number> = {};
  const add = (term: string, dollars: number) => (byTerm[term] = (byTerm[term] ?? 0) + dollars);
  // Logs are kept for the retention period: at most a month of ingestion stored (retention ≥ 30 days here).
  const storedMonths = Math.min(1, Math.max(...d.logRetentionDays, 0) / 30);
  for (const [caller, kinds] of Object.entries(u)) {
    const fn = d.functions.get(caller);
    const arch = fn?.architecture ?? 'arm64';
    for (const [kind, perHour] of Object.entries(kinds) as Array<[UsageKind, number]>) {
      const month = perHour * HOURS_PER_MONTH;
      if (kind === 'lambda.requests') add('Lambda requests', month * PRICES.lambdaRequest);
      // Measured seconds at the memory the template gives the function now.
      if (kind === 'lambda.seconds')
        add('Lambda duration', month * ((fn?.memoryMb ?? 128) / 1024) * PRICES.lambdaGbSecond[arch]);
      if (kind === 'sfn.transitions') add('state transitions', month * PRICES.sfnTransition);
      if (kind === 'ddb.readUnits') add('DynamoDB reads', month * PRICES.ddbReadUnit);
      if (kind === 'ddb.writeUnits') add('DynamoDB writes', month * PRICES.ddbWriteUnit);
      if (kind === 'scheduler.invocations') add('Scheduler', month * PRICES.schedulerInvocation);
      if (kind === 'logs.bytes')
        add(
          'CloudWatch Logs',
          (month / 1e9) * (PRICES.logsIngestedGb + storedMonths * PRICES.logsStoredGbMonth),
        );
    }
  }
  return { total: Object.values(byTerm).reduce((a, b) => a + b, 0), byTerm };
}

export interface PodCost {
  pods: number;
  probes: number;
  /** Control plane per pod-month: fixed share + the pod's own + its prober share. */
  perPodMonth: number;
  byTerm: Record<string, number>;
  shardsNeeded: number;
  naivePerPodMonth: number;
  eksPerPodMonth: number;
}

/** The prober's shards for `pods` pods with `probes` probes each every `periodSeconds`. */
export function shardsNeeded(d: Deployment, pods: number, probes: number, periodSeconds: number): number {
  if (pods * probes === 0) return 0;
  const probesPerSecond = (pods * probes) / periodSeconds;
  const capacity = ((d.prober.memoryMb / MB_PER_VCPU) * SHARD_CPU_TARGET) / (PROBE_CPU_MS / 1000);
  return Math.max(1, Math.ceil(probesPerSecond / capacity));
}

export function podCost(
  d: Deployment,
  m: CostMeasurement,
  pods: number,
  probes: number,
  periodSeconds = 10,
): PodCost {
  const fixed = fixedCost(d, m);
  const own = usageCost(m.idlePodPerHour, d);
  const byTerm: Record<string, number> = {};
  const add = (term: string, dollars: number) => (byTerm[term] = (byTerm[term] ?? 0) + dollars);
  for (const [t, v] of Object.entries(fixed.byTerm)) add(`fixed: ${t}`, v / pods);
  for (const [t, v] of Object.entries(own.byTerm)) add(t, v);
  const shards = shardsNeeded(d, pods, probes, periodSeconds);
  if (shards > 0) {
    const { prober } = d;
    const gbSecondPrice = PRICES.lambdaGbSecond[prober.architecture];
    // A shard with probes runs all the time: its memory is billed every second (the whole point of sizing it).
    add(
      'prober: run duration',
      (shards * (prober.memoryMb / 1024) * 3600 * HOURS_PER_MONTH * gbSecondPrice) / pods,
    );
    add(
      'prober: invocations',
      (shards * (3_600_000 / prober.windowMs) * HOURS_PER_MONTH * PRICES.lambdaRequest) / pods,
    );
    // Per sync: the lease renewal (the measured writes), the lease list and the registration query, which reads
    // every registration of the shard (consistent: 4 KB per unit).
    const measured = m.proberShardPerHour.usage[prober.id] ?? {};
    const syncsPerHour = 3_600_000 / prober.syncMs;
    const measuredSyncs = 3_600_000 / DEFAULT_PROBER_SYNC_INTERVAL_MS;
    const regUnits = (n: number) => Math.ceil((n * m.items.registrationItemBytes) / 4096);
    const otherReadsPerSync =
      (measured['ddb.readUnits'] ?? 0) / measuredSyncs - regUnits(m.proberShardPerHour.probedPods);
    const readsPerSync = otherReadsPerSync + regUnits(pods / shards);
    const writesPerSync = (measured['ddb.writeUnits'] ?? 0) / measuredSyncs;
    add(
      'prober: DynamoDB',
      (shards *
        syncsPerHour *
        HOURS_PER_MONTH *
        (readsPerSync * PRICES.ddbReadUnit + writesPerSync * PRICES.ddbWriteUnit)) /
        pods,
    );
    // Each run reads each registered pod once when it starts its workers.
    add(
      'prober: DynamoDB',
      (3_600_000 / prober.windowMs) *
        HOURS_PER_MONTH *
        Math.ceil(m.items.podItemBytes / 4096) *
        PRICES.ddbReadUnit,
    );
    const logBytes = Object.entries(m.proberShardPerHour.usage)
      .filter(([c]) => c !== prober.id)
      .reduce((n, [, k]) => n + (k['logs.bytes'] ?? 0), 0);
    add(
      'prober: logs',
      (shards * logBytes * HOURS_PER_MONTH * (PRICES.logsIngestedGb + PRICES.logsStoredGbMonth)) / 1e9 / pods,
    );
  }
  const perPodMonth = Object.values(byTerm).reduce((a, b) => a + b, 0);
  return {
    pods,
    probes,
    perPodMonth,
    byTerm,
    shardsNeeded: shards,
    // The naive design: every probe a state transition of the pod's workflow (nothing else counted: a lower bound).
    naivePerPodMonth: probes * (3600 / periodSeconds) * HOURS_PER_MONTH * PRICES.sfnTransition,
    eksPerPodMonth: (PRICES.eksClusterHour * HOURS_PER_MONTH) / pods,
  };
}

/** What the deployment costs with no pod: the scheduled functions' measured hour, and alarms. */
export function fixedCost(
  d: Deployment,
  m: CostMeasurement,
): { total: number; byTerm: Record<string, number> } {
  const { byTerm } = usageCost(m.zeroPodsPerHour, d);
  if (d.alarms > 0) byTerm['CloudWatch alarms'] = d.alarms * PRICES.alarmMonth;
  return { total: Object.values(byTerm).reduce((a, b) => a + b, 0), byTerm };
}

const usd = (v: number): string =>
  v >= 100
    ? `$${v.toFixed(0)}`
    : v >= 1
      ? `$${v.toFixed(2)}`
      : v >= 0.01
        ? `$${v.toFixed(3)}`
        : `$${v.toFixed(4)}`;

export function report(d: Deployment, m: CostMeasurement, source: string): string {
  const lines: string[] = [];
  const fixed = fixedCost(d, m);
  const network =
    (d.natGateways * PRICES.natGatewayHour + d.publicIpv4 * PRICES.publicIpv4Hour) * HOURS_PER_MONTH;
  lines.push(`podflow control plane cost, us-east-1 list prices (scripts/cost.ts PRICES)`);
  lines.push(`template: ${source}; usage: scripts/cost-measurement.json (${m.measuredWith})`);
  lines.push(
    `prober: ${d.prober.memoryMb} MB ${d.prober.architecture}, PROBER_SHARDS ${d.prober.shards}, sync ${d.prober.syncMs / 1000} s, window ${d.prober.windowMs / 60_000} min; ` +
      `a shard runs only while it has probes; ${PROBE_CPU_MS} ms CPU per probe → ${Math.floor(((d.prober.memoryMb / MB_PER_VCPU) * SHARD_CPU_TARGET) / (PROBE_CPU_MS / 1000))} probes/s per shard at ${SHARD_CPU_TARGET * 100} % CPU`,
  );
  lines.push(`state machine: ${d.stateMachineType}`);
  lines.push('');
  lines.push(
    `fixed, zero pods: ${usd(fixed.total)}/month (${Object.entries(fixed.byTerm)
      .map(([t, v]) => `${t} ${usd(v)}`)
      .join(', ')})`,
  );
  lines.push(
    `network, apart: ${usd(network)}/month (${d.natGateways} NAT gateway, ${d.publicIpv4} public IPv4 address; natGateways: 0 or an existing VPC removes it)`,
  );
  lines.push(`excluded: Fargate (the pods' own tasks: the user's workload), API calls, storage of pod items`);
  lines.push('');
  const header = [
    'pods',
    'probes/pod',
    'podflow $/pod-month',
    'prober shards',
    'naive: transition per probe',
    'EKS cluster fee',
  ];
  const rows: string[][] = [];
  for (const pods of [10, 1_000, 100_000]) {
    for (const probes of [0, 1, 3]) {
      const c = podCost(d, m, pods, probes);
      rows.push([
        pods.toLocaleString('en-US'),
        String(probes),
        usd(c.perPodMonth),
        c.shardsNeeded === 0 ? '—' : String(c.shardsNeeded),
        usd(c.naivePerPodMonth),
        usd(c.eksPerPodMonth),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i < 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  lines.push(fmt(header));
  for (const r of rows) lines.push(fmt(r));
  lines.push('');
  const ref = podCost(d, m, 1_000, 3);
  lines.push(`1,000 pods, 3 probes each at 10 s: ${usd(ref.perPodMonth)} per pod-month, of which`);
  for (const [t, v] of Object.entries(ref.byTerm).sort(([, a], [, b]) => b - a))
    lines.push(`  ${usd(v).padStart(8)}  ${t}`);
  if (d.prober.shards < Math.max(...[10, 1_000, 100_000].map((p) => shardsNeeded(d, p, 3, 10))))
    lines.push(
      `PROBER_SHARDS ${d.prober.shards}: the rows with more shards assume the stack's proberShards set to that count.`,
    );
  return lines.join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--template');
  const file = at >= 0 ? args[at + 1] : undefined;
  const template = file ? (JSON.parse(readFileSync(file, 'utf8')) as Template) : synthesizedTemplate();
  const measurement = JSON.parse(
    readFileSync(new URL('./cost-measurement.json', import.meta.url), 'utf8'),
  ) as CostMeasurement;
  console.log(report(readDeployment(template), measurement, file ?? 'PodflowStack synthesized in-process'));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
