// PodTable's encryption at rest: the table holds Secrets (docs/decisions/0007-api-objects.md), so it is
// KMS-encrypted, with the AWS managed key for DynamoDB.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { PodTable } from '../../infra/pod-table.ts';

describe('PodTable encryption', () => {
  it('is KMS with the AWS managed key (SSEEnabled, no key of its own)', () => {
    const stack = new Stack(new App(), 'T');
    new PodTable(stack, 'Pods');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      // SSEEnabled without a KMSMasterKeyId: KMS with the aws/dynamodb key (AWS::DynamoDB::Table SSESpecification).
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
    template.resourceCountIs('AWS::KMS::Key', 0);
  });
});
