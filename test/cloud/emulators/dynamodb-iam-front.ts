// TEST DOUBLE support — what dynalite (the DynamoDB test double) does not do: authorize callers. An HTTP front on
// 127.0.0.1 that reads each AWS JSON 1.0 request's operation (`X-Amz-Target: DynamoDB_20120810.<Op>`) and table, asks
// the IAM authorizer whether the caller may perform `dynamodb:<Op>` on the table's ARN (Service Authorization
// Reference, Amazon DynamoDB: the table is the resource of the item and query operations), and forwards what is
// allowed to dynalite unchanged; a refusal is DynamoDB's AccessDeniedException (400).
import { request } from 'node:http';
import {
  accessKeyOf,
  AwsError,
  errorResponse,
  startWireServer,
  type AwsScope,
  type EmulatorServer,
} from './aws-wire.ts';
import type { IamAuthorizer } from './iam.ts';

export async function startDynamoDbIamFront(opts: {
  /** dynalite's endpoint. */
  target: string;
  iam: IamAuthorizer;
  scope: AwsScope;
}): Promise<EmulatorServer> {
  const target = new URL(opts.target);
  return startWireServer(async (req) => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let table = '*';
    try {
      table = String(
        (JSON.parse(req.body.toString('utf8') || '{}') as { TableName?: string }).TableName ?? '*',
      );
    } catch {
      // dynalite answers the malformed body itself.
    }
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
            resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(req.body);
    });
  });
}
