// GetCallerIdentity through a token's presigned URL, as aws-iam-authenticator's verifier sends it
// (pkg/token/token.go tokenVerifier.Verify): a GET of the URL with the `x-k8s-aws-id` header set to this API's
// cluster id — so a token minted for another cluster fails the signature — and `Accept: application/json`, no
// redirects followed. `endpoint` (AWS_ENDPOINT_URL_STS, the SDKs' variable for a service's endpoint) sends the request
// to another address — LocalStack, the test emulator — with the token's own `Host`, which the signature covers.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CLUSTER_ID_HEADER } from '../../core/aws-token.ts';
import type { CallerIdentity, GetCallerIdentity } from '../../ports/caller-identity.ts';

/** How long to wait for STS before the caller is refused (API Gateway gives an authorizer 30 s at most). */
export const STS_TIMEOUT_MS = 5_000;

export function stsCallerIdentity(opts: { endpoint?: string } = {}): GetCallerIdentity {
  return (url, clusterId) =>
    new Promise<CallerIdentity>((resolve, reject) => {
      const target = new URL(url);
      const via = opts.endpoint ? new URL(opts.endpoint) : target;
      const request = via.protocol === 'http:' ? httpRequest : httpsRequest;
      const req = request(
        {
          method: 'GET',
          protocol: via.protocol,
          hostname: via.hostname,
          port: via.port || undefined,
          path: `${target.pathname}${target.search}`,
          headers: { host: target.host, [CLUSTER_ID_HEADER]: clusterId, accept: 'application/json' },
          timeout: STS_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) {
              // STS's error code and message, never the URL (it holds the signature).
              const e = (() => {
                try {
                  return (JSON.parse(body) as { Error?: { Code?: string; Message?: string } }).Error;
                } catch {
                  return undefined;
                }
              })();
              reject(new Error(`STS answered ${res.statusCode}${e ? `: ${e.Code}: ${e.Message}` : ''}`));
              return;
            }
            try {
              const r = (
                JSON.parse(body) as {
                  GetCallerIdentityResponse: {
                    GetCallerIdentityResult: { Arn: string; Account: string; UserId: string };
                  };
                }
              ).GetCallerIdentityResponse.GetCallerIdentityResult;
              if (typeof r.Arn !== 'string') throw new Error('no Arn');
              resolve({ arn: r.Arn, account: r.Account, userId: r.UserId });
            } catch (err) {
              reject(new Error(`STS answered 200 with an unreadable body: ${(err as Error).message}`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`STS did not answer within ${STS_TIMEOUT_MS} ms`)));
      req.on('error', (err) => reject(new Error(`STS request failed: ${err.message}`)));
      req.end();
    });
}
