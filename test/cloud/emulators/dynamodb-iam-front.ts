// TEST DOUBLE support — what dynalite (the DynamoDB test double) does not do: authorize callers. An HTTP front on
// 127.0.0.1 that reads each AWS JSON 1.0 request's operation (`X-Amz-Target: DynamoDB_20120810.<Op>`) and table, asks
// the IAM authorizer whether the caller may perform `dynamodb:<Op>` on the table's ARN — or, for a Query or Scan with
// an IndexName, on the index's, `<table ARN>/index/<name>` (Service Authorization Reference, Amazon DynamoDB: the
// table is the resource of the item and query operations, the index that of a query or scan of it; a grant on the
// table does not cover its indexes) — and forwards what is allowed to dynalite unchanged; a refusal is DynamoDB's AccessDeniedException (400).
//
// With a `meter` (usage-meter.ts), every request also asks dynalite for its consumed capacity (ReturnConsumedCapacity
// TOTAL, removed from the answer again when the caller did not ask) and records the read or write units by the
// caller's role session (the function's name, `states`); a conditional write that fails consumes one write unit, as
// DynamoDB charges it.
import { request } from 'node:http';
import { crc32 } from 'node:zlib';
import {
  accessKeyOf,
  AwsError,
  errorResponse,
  startWireServer,
  type AwsScope,
  type EmulatorServer,
} from './aws-wire.ts';
import type { IamAuthorizer } from './iam.ts';
import type { UsageMeter } from './usage-meter.ts';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export async function startDynamoDbIamFront(opts: {
  /** dynalite's endpoint. */
  target: string;
  iam: IamAuthorizer;
  scope: AwsScope;
  meter?: UsageMeter;
}): Promise<EmulatorServer> {
  const target = new URL(opts.target);
  return startWireServer(async (req) => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let table = '*';
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>;
      table = String(parsed.TableName ?? '*');
      if (parsed.IndexName !== undefined) table += `/index/${String(parsed.IndexName)}`;
    } catch {
      // dynalite answers the malformed body itself.
    }
    const caller =
      opts.iam.principalArn(accessKeyOf(req.headers.authorization))?.split('/').pop() ?? 'unknown';
    const metered = opts.meter && parsed && !parsed.ReturnConsumedCapacity;
    const body = metered
      ? Buffer.from(JSON.stringify({ ...parsed, ReturnConsumedCapacity: 'TOTAL' }))
      : req.body;
    const { partition, region, account } = opts.scope;
    try {
      opts.iam.authorize(
        accessKeyOf(req.headers.authorization),
        `dynamodb:${op}`,
        `arn:${partition}:dynamodb:${region}:${account}:table/${table}`,
      );
    } catch (err) {
      if (err instanceof AwsError) return errorResponse(err, 'application/x-amz-json-1.0');
      throw err;
    }
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host } as unknown as Record<string, string>;
      // The signature is not checked by dynalite; the length must match the (possibly rewritten) body.
      headers['content-length'] = String(body.length);
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (
                v !== undefined &&
                k !== 'content-length' &&
                k !== 'connection' &&
                k !== 'transfer-encoding'
              ) {
                out[k] = Array.isArray(v) ? v.join(', ') : v;
              }
            }
            let answer: Buffer = Buffer.concat(chunks);
            if (metered) {
              answer = meter(opts.meter!, caller, op, parsed!, res.statusCode ?? 500, answer);
              // The SDK checks DynamoDB's body checksum.
              if (out['x-amz-crc32'] !== undefined) out['x-amz-crc32'] = String(crc32(answer));
            }
            resolve({ status: res.statusCode ?? 500, headers: out, body: answer });
          });
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  });
}

/**
 * Records an answer's consumed capacity (read or write units) and drops it from the answer the caller gets. A read
 * request is billed at least one unit, half when eventually consistent, also a Query or Scan that reads nothing
 * (an empty page is rounded up like any other), where dynalite reports 0.
 */
function meter(
  m: UsageMeter,
  caller: string,
  op: string,
  request: Record<string, unknown>,
  status: number,
  answer: Buffer,
): Buffer {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(answer.toString('utf8')) as Record<string, unknown>;
  } catch {
    return answer;
  }
  const kind = WRITES.has(op) ? 'ddb.writeUnits' : 'ddb.readUnits';
  if (status !== 200) {
    if (String(json.__type ?? '').endsWith('ConditionalCheckFailedException')) m.record(caller, kind, 1);
    return answer;
  }
  const consumed = json.ConsumedCapacity as
    { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> | undefined;
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    const least = kind === 'ddb.readUnits' ? (request.ConsistentRead === true ? 1 : 0.5) : 0;
    m.record(caller, kind, Math.max(least, c.CapacityUnits ?? 0));
  }
  delete json.ConsumedCapacity;
  return Buffer.from(JSON.stringify(json));
}
