// `npm run cost` (scripts/cost.ts) against the stack as it is: it reads the template PodflowStack synthesizes, the
// measurement it prices belongs to that template, and the README shows what it prints now.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROBER_MEMORY_MB } from '../../infra/prober.ts';
import {
  fixedCost,
  HOURS_PER_MONTH,
  PRICES,
  podCost,
  readDeployment,
  report,
  synthesizedTemplate,
  type CostMeasurement,
  type Deployment,
} from '../../scripts/cost.ts';

let template: ReturnType<typeof synthesizedTemplate>;
let deployment: Deployment;
const measurement = JSON.parse(
  readFileSync(new URL('../../scripts/cost-measurement.json', import.meta.url), 'utf8'),
) as CostMeasurement;

beforeAll(() => {
  template = synthesizedTemplate();
  deployment = readDeployment(template);
}, 60_000);

describe('npm run cost', () => {
  it('reads the prober from the template: its memory, architecture and shard count', () => {
    expect(deployment.prober).toMatchObject({ memoryMb: PROBER_MEMORY_MB, architecture: 'arm64', shards: 1 });
    expect(deployment.stateMachineType).toBe('STANDARD');
  });

  it('prices a measurement of this template: every caller is one of its resources (or the state machine)', () => {
    const callers = [
      ...Object.keys(measurement.zeroPodsPerHour),
      ...Object.keys(measurement.idlePodPerHour),
      ...Object.keys(measurement.proberShardPerHour.usage),
    ];
    expect(callers.length).toBeGreaterThan(0);
    for (const c of callers) if (c !== 'states') expect(Object.keys(template.Resources), c).toContain(c);
  });

  it('bills a shard with probes for its memory every second, shared by its pods', () => {
    const alone = podCost(deployment, measurement, 10, 1);
    const gbSecond = PRICES.lambdaGbSecond[deployment.prober.architecture];
    expect(alone.byTerm['prober: run duration']).toBeCloseTo(
      ((PROBER_MEMORY_MB / 1024) * 3600 * HOURS_PER_MONTH * gbSecond) / 10,
      6,
    );
    expect(podCost(deployment, measurement, 10, 0).byTerm['prober: run duration']).toBeUndefined();
  });

  // Issue 14's targets: the stack as it is and its measured usage, priced.
  it('costs at most $0.02 per idle pod-month at 1,000 pods with 3 probes at 10 s, and at most $1 a month with none', () => {
    expect(podCost(deployment, measurement, 1_000, 3, 10).perPodMonth).toBeLessThanOrEqual(0.02);
    expect(fixedCost(deployment, measurement).total).toBeLessThanOrEqual(1);
  });

  it('the README shows what it prints now', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(report(deployment, measurement, 'PodflowStack synthesized in-process'));
  });
});
