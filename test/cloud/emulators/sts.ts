// TEST DOUBLE — not AWS. AWS STS's GetCallerIdentity as podflow's token authorizer calls it: a GET of a presigned URL
// (`/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-…`), the way aws-iam-authenticator's server and EKS verify a
// `k8s-aws-v1.` token. The signature is checked over the request as received — the `host` header the caller sent
// (STS's own host name, which the presigned URL signed) and every signed header, `x-k8s-aws-id` among them — with
// the credentials the harness issued; the credential scope must name the region of the host
// (`sts.<region>.amazonaws.com`; `us-east-1` for the global `sts.amazonaws.com`) and service `sts`. Temporary
// credentials must carry their session token. A URL is accepted for 15 minutes after its X-Amz-Date whatever its
// X-Amz-Expires, as STS does. The answer is the JSON form when the caller sends `Accept: application/json`
// (what the authenticators send), else the Query protocol's XML. Errors: 403 with the Query protocol's error shape
// (`<ErrorResponse><Error><Type>Sender</Type><Code>…`), or its JSON form. Any other action is 400 InvalidAction.
import {
  startWireServer,
  type EmulatorServer,
  type WireRequest,
  type WireResponse,
  requestId,
} from './aws-wire.ts';
import { verifyPresigned, type KnownCredentials } from './sigv4.ts';

/** STS keeps a presigned GetCallerIdentity valid this long after its X-Amz-Date. */
export const PRESIGNED_LIFETIME_MS = 15 * 60_000;

export interface StsIdentity extends KnownCredentials {
  /** `arn:aws:iam::123456789012:user/alice`, or `arn:aws:sts::123456789012:assumed-role/Role/session`. */
  arn: string;
  /** `AIDA…` for a user, `AROA…:session` for an assumed role. */
  userId: string;
}

export interface StsEmulatorOptions {
  account: string;
  identities: (accessKeyId: string) => StsIdentity | undefined;
  now?: () => number;
}

export interface StsEmulator extends EmulatorServer {
  /** GetCallerIdentity calls answered (successfully or not). */
  readonly calls: number;
}

const regionOfHost = (host: string): string | undefined => {
  if (host === 'sts.amazonaws.com') return 'us-east-1';
  return /^sts\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
};

export async function startStsEmulator(opts: StsEmulatorOptions): Promise<StsEmulator> {
  const now = opts.now ?? Date.now;
  let calls = 0;
  const respond = (req: WireRequest, status: number, json: unknown, xml: string): WireResponse => {
    const wantsJson = String(req.headers.accept ?? '').includes('application/json');
    return {
      status,
      headers: {
        'content-type': wantsJson ? 'application/json' : 'text/xml',
        'x-amzn-requestid': requestId(),
      },
      body: wantsJson ? JSON.stringify(json) : xml,
    };
  };
  const error = (req: WireRequest, status: number, code: string, message: string): WireResponse =>
    respond(
      req,
      status,
      { Error: { Code: code, Message: message, Type: 'Sender' }, RequestId: requestId() },
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
    );
  const handle = async (req: WireRequest): Promise<WireResponse> => {
    calls += 1;
    if (req.path !== '/' || req.query.get('Action') !== 'GetCallerIdentity' || req.method !== 'GET')
      return error(
        req,
        400,
        'InvalidAction',
        `Could not find operation ${req.query.get('Action') ?? ''} for version NO_VERSION_SPECIFIED`,
      );
    if (req.query.get('Version') !== '2011-06-15')
      return error(
        req,
        400,
        'InvalidAction',
        'Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED',
      );
    const host = String(req.headers.host ?? '');
    const region = regionOfHost(host);
    if (!region) return error(req, 400, 'InvalidAction', `unknown STS host ${host}`);
    const verdict = verifyPresigned(
      { method: req.method, path: req.path, query: req.query, headers: req.headers, body: req.body },
      opts.identities,
      region,
      'sts',
      now(),
      PRESIGNED_LIFETIME_MS,
    );
    if (!verdict.ok) return error(req, 403, verdict.errorType, verdict.message);
    const id = opts.identities(verdict.accessKeyId)!;
    const result = { Account: opts.account, Arn: id.arn, UserId: id.userId };
    return respond(
      req,
      200,
      {
        GetCallerIdentityResponse: {
          GetCallerIdentityResult: result,
          ResponseMetadata: { RequestId: requestId() },
        },
      },
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${id.arn}</Arn><UserId>${id.userId}</UserId><Account>${opts.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  };
  const server = await startWireServer(handle);
  return {
    url: server.url,
    close: () => server.close(),
    get calls() {
      return calls;
    },
  };
}
