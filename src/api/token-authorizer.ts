// Authentication in the cloud: API Gateway calls a Lambda TOKEN authorizer (lambdas/authorizer.ts) with the request's
// `Authorization` header before any method runs. The authorizer accepts the bearer token `aws eks get-token` /
// `podflow token` produce (core/aws-token.ts), asks STS who signed it, looks the caller up in the access entries
// (core/access.ts) and answers API Gateway's policy document plus a context the api Lambda reads back
// (`grantFromAuthorizer`) to authorize each request. A bad or expired token is "Unauthorized", which API Gateway
// answers 401 (API Gateway developer guide, "Use API Gateway Lambda authorizers": throwing `Unauthorized` from a
// TOKEN authorizer yields 401). A caller with no access entry is authenticated but may do nothing: the API answers
// its requests 403 Forbidden as the API server answers an RBAC denial, which kubectl prints in full.
import { canonicalArn, parseToken } from '../core/aws-token.ts';
import { type AccessEntry, type Grant, grantFor } from '../core/access.ts';
import type { CallerIdentity, GetCallerIdentity } from '../ports/caller-identity.ts';

export interface TokenAuthorizerEvent {
  type: 'TOKEN';
  authorizationToken: string;
  /** `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`. */
  methodArn: string;
}

export interface AuthorizerResult {
  principalId: string;
  policyDocument: {
    Version: '2012-10-17';
    Statement: { Action: 'execute-api:Invoke'; Effect: 'Allow' | 'Deny'; Resource: string }[];
  };
  /** API Gateway passes string, number and boolean values through to `requestContext.authorizer`. */
  context: { user: string; grant: string };
}

/** What API Gateway turns into a 401 (the message must be exactly this). */
export class UnauthorizedError extends Error {
  /** Why, for the authorizer's log (never the caller: API Gateway answers only "Unauthorized"). */
  readonly why: string;
  constructor(why: string) {
    super('Unauthorized');
    this.why = why;
  }
}

/**
 * The policy covers every method and path of the stage, not only the one asked for: API Gateway caches an
 * authorizer's answer per token (resultsCacheTtl) and applies it to the caller's later requests, whatever they are.
 * The per-request decision is the API's, from the grant in the context.
 */
export const stageWildcard = (methodArn: string): string => {
  // arn:aws:execute-api:<region>:<account>:<api-id> / <stage> / <METHOD> / <path…>
  const [api, stage] = methodArn.split('/');
  return `${api}/${stage}/*`;
};

export async function authorizeToken(
  event: TokenAuthorizerEvent,
  opts: {
    clusterId: string;
    entries: readonly AccessEntry[];
    now: number;
    getCallerIdentity: GetCallerIdentity;
  },
): Promise<AuthorizerResult> {
  const header = /^Bearer\s+(\S+)$/i.exec(event.authorizationToken?.trim() ?? '');
  if (!header) throw new UnauthorizedError('no bearer token');
  const parsed = parseToken(header[1]!, opts.now);
  if ('error' in parsed) throw new UnauthorizedError(parsed.error);
  let caller: CallerIdentity;
  try {
    caller = await opts.getCallerIdentity(parsed.url, opts.clusterId);
  } catch (err) {
    throw new UnauthorizedError(
      `sts getCallerIdentity failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const principal = canonicalArn(caller.arn);
  if (typeof principal !== 'string') throw new UnauthorizedError(principal.error);
  const grant = grantFor(opts.entries, principal);
  return {
    principalId: principal,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(event.methodArn) },
      ],
    },
    context: { user: principal, grant: JSON.stringify(grant.namespaces) },
  };
}

/** The grant the authorizer put in `requestContext.authorizer`; undefined when there is none (no authorizer). */
export function grantFromAuthorizer(authorizer: unknown): Grant | undefined {
  const ctx = authorizer as { user?: unknown; grant?: unknown } | null | undefined;
  if (typeof ctx?.user !== 'string' || typeof ctx.grant !== 'string') return undefined;
  const parsed = JSON.parse(ctx.grant) as Record<string, unknown>;
  const namespaces = Object.fromEntries(
    Object.entries(parsed).filter(([, a]) => a === 'read' || a === 'write'),
  ) as Grant['namespaces'];
  return { user: ctx.user, namespaces };
}
