// cdk-nag AwsSolutions checks (docs/architecture.md §10: nothing of the cloud path runs in CI, so synth assertions
// and nag stand in). cdk-nag 3 is a policy-validation plugin: findings are not Annotations any more; `validateScope`
// is its entry point for tests, and rules are acknowledged with Validations.of(construct).acknowledge({ id, reason
// }).
import { Validations, type Acknowledgment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestApp } from './podflow-test-app.ts';

const findings = (report: ReturnType<AwsSolutionsChecks['validateScope']>): string[] =>
  report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description}`),
  );

describe('cdk-nag AwsSolutions', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('finds nothing that is not acknowledged', () => {
    const { app } = createTestApp();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgment has a reason and silences a finding that really occurs', () => {
    const acknowledged: Acknowledgment[] = [];
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation((...rules: Acknowledgment[]) => {
      acknowledged.push(...rules);
    });
    const { app } = createTestApp();
    const ruleNames = new Set(new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName));
    // aws-cdk-lib acknowledges CloudFormation validator rules of its own (core Stack: CloudFormation-Validate::W3010
    // for Fn::GetAZs): only this project's cdk-nag acknowledgments are checked.
    const ours = acknowledged.filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(ours.length).toBeGreaterThan(0);
    for (const { id, reason } of ours) {
      expect(reason.length, `reason for ${id}`).toBeGreaterThan(40);
      expect(ruleNames.has(id), `${id} is acknowledged but never found`).toBe(true);
    }
    // …and nothing else is found: the acknowledgments are the complete list.
    expect([...ruleNames].sort()).toEqual([...new Set(ours.map((a) => a.id))].sort());
  });
});
