// ProbeRegistry on the single table (docs/decisions/0003-probes.md): one item per container instance with probes, in
// its shard's partition, so a prober reads its whole shard with one Query:
//
//   registration  PK = prober-shard#<n>  SK = probe#<pod uid>#<container>#<instance>
//                 namespace S, name S, uid S, container S, instance N, probes SS (startup/readiness/liveness)
//
// add ADDs to the probe set (creating the item); remove DELETEs from it and then deletes the item only if the set
// is gone (a string set cannot be empty in DynamoDB), so a concurrent add is never lost. Key prefixes differ from
// the pod items' (`pod#`), which the pod store's listing filters on.
import {
  DeleteItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { ProbeType } from '../../core/probe-results.ts';
import type { ContainerInstanceRef } from '../../ports/container-runtime.ts';
import type { ProbeRegistration, ProbeRegistry } from '../../ports/prober-lease.ts';
import { CONDITION_FAILED, sendToTable, type LowLevelClient } from './dynamodb-send.ts';

export const REGISTRY_PK_PREFIX = 'prober-shard#';
const PROBE_TYPES: readonly ProbeType[] = ['startup', 'readiness', 'liveness'];

const registrationKey = (shard: number, ref: ContainerInstanceRef): Record<string, AttributeValue> => ({
  PK: { S: `${REGISTRY_PK_PREFIX}${shard}` },
  SK: { S: `probe#${ref.podUid}#${ref.container}#${ref.instance}` },
});

export class DynamoDbProbeRegistry implements ProbeRegistry {
  readonly #client: LowLevelClient;
  readonly #table: string;

  constructor(options: { client: LowLevelClient; tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async add(shard: number, ref: ContainerInstanceRef, probes: readonly ProbeType[]): Promise<void> {
    if (probes.length === 0) return;
    await sendToTable(this.#table, `register probes of ${describe(ref)}`, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: registrationKey(shard, ref),
          UpdateExpression:
            'SET #ns = :ns, #name = :name, #uid = :uid, #container = :container, #instance = :instance ADD #probes :probes',
          ExpressionAttributeNames: {
            '#ns': 'namespace',
            '#name': 'name',
            '#uid': 'uid',
            '#container': 'container',
            '#instance': 'instance',
            '#probes': 'probes',
          },
          ExpressionAttributeValues: {
            ':ns': { S: ref.key.namespace },
            ':name': { S: ref.key.name },
            ':uid': { S: ref.podUid },
            ':container': { S: ref.container },
            ':instance': { N: String(ref.instance) },
            ':probes': { SS: [...new Set(probes)] },
          },
        }),
      ),
    );
  }

  async remove(shard: number, ref: ContainerInstanceRef, probes: readonly ProbeType[]): Promise<void> {
    if (probes.length === 0) return;
    const key = registrationKey(shard, ref);
    const updated = await sendToTable(this.#table, `unregister probes of ${describe(ref)}`, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: 'DELETE #probes :probes',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#probes': 'probes' },
          ExpressionAttributeValues: { ':probes': { SS: [...new Set(probes)] } },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (updated === CONDITION_FAILED || (updated.Attributes?.probes?.SS?.length ?? 0) > 0) return;
    await sendToTable(this.#table, `drop registration of ${describe(ref)}`, () =>
      this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: key,
          ConditionExpression: 'attribute_not_exists(#probes)',
          ExpressionAttributeNames: { '#probes': 'probes' },
        }),
      ),
    );
  }

  async list(shard: number): Promise<ProbeRegistration[]> {
    const out: ProbeRegistration[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await sendToTable(this.#table, `list probe registrations of shard ${shard}`, () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: `${REGISTRY_PK_PREFIX}${shard}` } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      if (page === CONDITION_FAILED)
        throw new Error('list probe registrations: unexpected condition failure');
      for (const item of page.Items ?? []) {
        const probes = (item.probes?.SS ?? []).filter((p): p is ProbeType =>
          (PROBE_TYPES as readonly string[]).includes(p),
        );
        if (probes.length === 0) continue;
        out.push({
          ref: {
            key: { namespace: item.namespace!.S!, name: item.name!.S! },
            podUid: item.uid!.S!,
            container: item.container!.S!,
            instance: Number(item.instance!.N),
          },
          probes: PROBE_TYPES.filter((t) => probes.includes(t)),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  async any(shard: number): Promise<boolean> {
    // Limit 1: a registration item is small (≈ 200 bytes), so this costs one read unit however full the shard is.
    const page = await sendToTable(this.#table, `look for probe registrations of shard ${shard}`, () =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': { S: `${REGISTRY_PK_PREFIX}${shard}` } },
          ConsistentRead: true,
          Limit: 1,
        }),
      ),
    );
    if (page === CONDITION_FAILED)
      throw new Error('look for probe registrations: unexpected condition failure');
    return (page.Items?.length ?? 0) > 0;
  }
}

const describe = (ref: ContainerInstanceRef): string =>
  `${ref.key.namespace}/${ref.key.name}/${ref.container}#${ref.instance}`;
