// The API's Lambda TOKEN authorizer (api/token-authorizer.ts; docs/decisions/0012-kubectl-credentials.md): API
// Gateway calls it with the `Authorization` header of a request and caches its answer per token. Configuration from
// the environment the stack sets: PODFLOW_CLUSTER_ID (the `x-k8s-aws-id` a token must sign) and PODFLOW_ACCESS (the
// access entries, JSON, checked at synth). AWS_ENDPOINT_URL_STS (else AWS_ENDPOINT_URL), when set, sends the STS call
// elsewhere (LocalStack, the test emulators). A refusal is logged with its reason — never the token, which is a credential for 15 minutes.
import { parseAccessEntries, type AccessEntry } from '../src/core/access.ts';
import { stsCallerIdentity } from '../src/adapters/sts/sts-caller-identity.ts';
import {
  authorizeToken,
  UnauthorizedError,
  type AuthorizerResult,
  type TokenAuthorizerEvent,
} from '../src/api/token-authorizer.ts';
import { systemClock, type Clock } from '../src/ports/clock.ts';
import type { GetCallerIdentity } from '../src/ports/caller-identity.ts';

export interface AuthorizerDeps {
  clusterId: string;
  entries: readonly AccessEntry[];
  clock: Clock;
  getCallerIdentity: GetCallerIdentity;
  log: (line: Record<string, unknown>) => void;
}

export function createAuthorizerHandler(
  deps: AuthorizerDeps,
): (event: TokenAuthorizerEvent) => Promise<AuthorizerResult> {
  return async (event) => {
    try {
      const result = await authorizeToken(event, { ...deps, now: deps.clock.now() });
      deps.log({ level: 'info', msg: 'authenticated', user: result.principalId });
      return result;
    } catch (err) {
      if (err instanceof UnauthorizedError) deps.log({ level: 'info', msg: 'unauthorized', why: err.why });
      throw err;
    }
  };
}

/** The configuration in the environment, refused loudly if malformed (the stack checks it at synth). */
export function authorizerConfigFromEnv(env: NodeJS.ProcessEnv): {
  clusterId: string;
  entries: AccessEntry[];
} {
  const clusterId = env.PODFLOW_CLUSTER_ID;
  if (!clusterId) throw new Error('PODFLOW_CLUSTER_ID is not set');
  const parsed = parseAccessEntries(JSON.parse(env.PODFLOW_ACCESS ?? '[]'));
  if ('errors' in parsed) throw new Error(`PODFLOW_ACCESS: ${JSON.stringify(parsed.errors)}`);
  return { clusterId, entries: parsed.entries };
}

/** The SDKs' endpoint variables: the service's own, else the global one (LocalStack). */
const stsEndpoint = process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;

let wired: ((event: TokenAuthorizerEvent) => Promise<AuthorizerResult>) | undefined;

export const handler = (event: TokenAuthorizerEvent): Promise<AuthorizerResult> => {
  wired ??= createAuthorizerHandler({
    ...authorizerConfigFromEnv(process.env),
    clock: systemClock,
    getCallerIdentity: stsCallerIdentity(stsEndpoint ? { endpoint: stsEndpoint } : {}),
    log: (line) => console.log(JSON.stringify(line)),
  });
  return wired(event);
};
