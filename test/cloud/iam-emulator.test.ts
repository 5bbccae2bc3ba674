// The emulators' IAM evaluation (emulators/iam.ts): the Condition operators the template uses, with IAM's rule that
// a key the request does not carry matches nothing.
import { describe, expect, it } from 'vitest';
import { IamAuthorizer, statementAllows, type PolicyStatement } from './emulators/iam.ts';

const cluster = 'arn:aws:ecs:us-east-1:123456789012:cluster/pods';
const runTask: PolicyStatement = {
  Effect: 'Allow',
  Action: 'ecs:RunTask',
  Resource: 'arn:aws:ecs:us-east-1:123456789012:task-definition/podflow-*',
  Condition: { ArnEquals: { 'ecs:cluster': cluster } },
};
const td = 'arn:aws:ecs:us-east-1:123456789012:task-definition/podflow-abc:1';

describe('IAM conditions in the emulators', () => {
  it('ArnEquals: allowed on the named cluster only; a request without the key is not allowed', () => {
    expect(statementAllows(runTask, 'ecs:RunTask', td, { 'ecs:cluster': cluster })).toBe(true);
    expect(statementAllows(runTask, 'ecs:RunTask', td, { 'ecs:cluster': `${cluster}-other` })).toBe(false);
    expect(statementAllows(runTask, 'ecs:RunTask', td)).toBe(false);
  });

  it('StringEquals on iam:PassedToService, keys case-insensitive; StringNotEquals; unknown operators deny', () => {
    const pass: PolicyStatement = {
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    };
    const role = 'arn:aws:iam::123456789012:role/task';
    expect(
      statementAllows(pass, 'iam:PassRole', role, { 'IAM:PassedToService': 'ecs-tasks.amazonaws.com' }),
    ).toBe(true);
    expect(
      statementAllows(pass, 'iam:PassRole', role, { 'iam:PassedToService': 'scheduler.amazonaws.com' }),
    ).toBe(false);
    const not = {
      ...pass,
      Condition: { StringNotEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    };
    expect(
      statementAllows(not, 'iam:PassRole', role, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }),
    ).toBe(true);
    const unknown = { ...pass, Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } };
    expect(statementAllows(unknown, 'iam:PassRole', role, { 'aws:MultiFactorAuthAge': '1' })).toBe(false);
  });

  it('a denial is worded as AWS words it', () => {
    const iam = new IamAuthorizer();
    iam.addPrincipal('AKIA1', { arn: 'arn:aws:sts::123456789012:assumed-role/r/s', statements: [runTask] });
    expect(() => iam.authorize('AKIA1', 'ecs:RunTask', td, 400, { 'ecs:cluster': 'x' })).toThrow(
      `User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: ecs:RunTask on resource: ${td} because no identity-based policy allows the ecs:RunTask action`,
    );
    expect(() => iam.authorize('AKIA1', 'ecs:RunTask', td, 400, { 'ecs:cluster': cluster })).not.toThrow();
  });
});
