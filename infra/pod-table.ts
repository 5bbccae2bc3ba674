// PodTable: the single DynamoDB table of the PodStore and the ObjectStore (docs/architecture.md §7). Pods live at
// PK = ns#<namespace>, SK = pod#<name>; ConfigMaps and Secrets beside them (SK = configmap#<name>, secret#<name>),
// Namespaces at PK = cluster; event items carry `expiresAt` (epoch seconds) and are deleted by DynamoDB TTL.
// Encrypted at rest with the account's KMS key for DynamoDB (aws/dynamodb), since it holds Secrets
// (docs/decisions/0007-api-objects.md).
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SWEEP_AT_ATTRIBUTE, SWEEP_INDEX } from '../src/adapters/dynamodb/dynamodb-pod-store.ts';

/** The TTL attribute of event items (epoch seconds, as DynamoDB TTL requires). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Environment variable through which a bound function learns the table name. */
export const TABLE_NAME_ENV = 'TABLE_NAME';

export interface PodTableProps {
  /**
   * What CloudFormation does with the table when it leaves the stack. Default RETAIN: the table holds every
   * pod's spec and status, and deleting a stack must not delete them.
   */
  removalPolicy?: RemovalPolicy;
}

export class PodTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: PodTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'PK', type: AttributeType.STRING },
      sortKey: { name: 'SK', type: AttributeType.STRING },
      // On-demand: a pod that sits in Supervise writes nothing (docs/architecture.md §11), so provisioned capacity
      // would be paid for idle.
      billingMode: BillingMode.PAY_PER_REQUEST,
      // KMS, with the AWS managed key: every use is in CloudTrail, and reading an item still takes the table's IAM
      // grant (the key policy allows DynamoDB on behalf of the account's principals).
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // The worker sweep's sparse index (dynamodb-pod-store.ts, the layout): only pods not yet admitted or with a
    // pending timer have its key. Keys only: the sweep reads each candidate's item itself, consistently.
    this.table.addGlobalSecondaryIndex({
      indexName: SWEEP_INDEX,
      partitionKey: { name: SWEEP_AT_ATTRIBUTE, type: AttributeType.NUMBER },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }

  /** Lets `fn` read and write pod and event items; it finds the table in TABLE_NAME. */
  bindReadWrite(fn: LambdaFunction): void {
    // What Table.grantReadWriteData grants (aws-cdk-lib aws-dynamodb perms.ts, without the stream-only reads), on the
    // table alone: that method also grants every index (`<table>/index/*`), which only the worker sweep reads.
    Grant.addToPrincipal({
      grantee: fn,
      actions: [
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:GetItem',
        'dynamodb:Scan',
        'dynamodb:ConditionCheckItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
      ],
      resourceArns: [this.table.tableArn],
    });
    fn.addEnvironment(TABLE_NAME_ENV, this.table.tableName);
  }

  /** Lets `fn` (the worker sweep) Scan the sweep index. */
  bindSweep(fn: LambdaFunction): void {
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:Scan'],
      resourceArns: [`${this.table.tableArn}/index/${SWEEP_INDEX}`],
    });
  }
}
