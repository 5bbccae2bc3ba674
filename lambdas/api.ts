// The api Lambda (docs/architecture.md §8, §10): API Gateway REST API (token authorizer, lambdas/authorizer.ts) → this function → the
// Kubernetes-compatible API (api/). Thin: the wiring builds the cloud engine once per cold start; the handler turns
// each proxy event into a request for the same Hono app `podflow serve` runs. With the Fargate runtime
// (docs/decisions/0006-fargate-runtime.md): its admission (limits, the size annotation), logs from CloudWatch Logs,
// and exec answered 501 with the ECS Exec command. The function streams its responses (API Gateway REST response
// streaming, docs/decisions/0017-cloud-watch.md): watches read the table's change log and write each event as they
// read it, and end shortly before API Gateway's 15-minute limit (clients watch again).
import { randomUUID } from 'node:crypto';
import { createApiApp } from '../src/api/create-api-app.ts';
import type { ApiGatewayProxyEvent } from '../src/api/api-gateway-handler.ts';
import {
  createApiGatewayStreamHandler,
  type ApiGatewayStreamHandler,
  type HttpResponseStreamFrom,
  type ResponseStream,
} from '../src/api/api-gateway-stream-handler.ts';
import { grantFromAuthorizer } from '../src/api/token-authorizer.ts';
import { NO_ACCESS } from '../src/core/access.ts';
import { SYSTEM_NAMESPACES } from '../src/core/manifest/api-objects.ts';
import { systemClock } from '../src/ports/clock.ts';
import type { ObjectStore } from '../src/ports/object-store.ts';

/**
 * A streamed response lasts at most 15 minutes (API Gateway developer guide, "Stream the integration response for
 * your proxy integrations"), and the function's timeout is the same 900 s (infra/api.ts API_TIMEOUT): a watch ends
 * 30 s before, cleanly, so the client watches again from its last version instead of seeing a cut connection.
 */
export const CLOUD_MAX_STREAM_SECONDS = 870;

/**
 * The Node.js runtime's global for response streaming (Lambda developer guide, "Response streaming for Lambda
 * functions"): `streamifyResponse` marks a handler as streaming, `HttpResponseStream.from` writes the prelude.
 */
declare const awslambda: {
  streamifyResponse(
    handler: (event: ApiGatewayProxyEvent, stream: ResponseStream, context: unknown) => Promise<void>,
  ): unknown;
  HttpResponseStream: { from: HttpResponseStreamFrom };
};

const logError = (err: unknown, context: string): void =>
  console.error(
    JSON.stringify({
      level: 'error',
      context,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    }),
  );

let wired: ApiGatewayStreamHandler | undefined;

/**
 * The object store as the API reads it, the system namespaces made sure of before the first read of a Namespace
 * (reading one, listing them, or checking the namespace of a create): once per container, a few reads once they
 * exist. A failure fails that request and the next read tries again. Requests that read no Namespace (discovery,
 * pods) make no such call.
 */
function withSystemNamespaces(
  objects: Pick<ObjectStore, 'get' | 'list'>,
  ensure: () => Promise<void>,
): Pick<ObjectStore, 'get' | 'list'> {
  let ensured: Promise<void> | undefined;
  const ready = (): Promise<void> =>
    (ensured ??= ensure().catch((err: unknown) => {
      ensured = undefined;
      throw err;
    }));
  return {
    get: async (key) => {
      if (key.kind === 'Namespace') await ready();
      return objects.get(key);
    },
    list: async (kind, namespace) => {
      if (kind === 'Namespace') await ready();
      return objects.list(kind, namespace);
    },
  };
}

/**
 * Lambda entry point, streaming: the wiring module is imported on first use, so the handler module loads without AWS
 * env (only the runtime's `awslambda` global).
 */
export const handler = awslambda.streamifyResponse(async (event, stream) => {
  if (!wired) {
    const { cloudApiRuntime, cloudEngine } = await import('./wiring.ts');
    const engine = cloudEngine();
    const { app } = createApiApp({
      engine,
      store: engine.deps.store,
      ...cloudApiRuntime(),
      objects: withSystemNamespaces(engine.deps.objects!, () =>
        engine.ensureNamespaces(SYSTEM_NAMESPACES, randomUUID),
      ),
      clock: systemClock,
      newUid: randomUUID,
      onError: logError,
      maxStreamSeconds: CLOUD_MAX_STREAM_SECONDS,
      // Every method has the token authorizer: a request without its grant is refused, never let through.
      grantOf: (c) =>
        grantFromAuthorizer(
          (c.env as { event?: ApiGatewayProxyEvent } | undefined)?.event?.requestContext.authorizer,
        ) ?? NO_ACCESS,
    });
    wired = createApiGatewayStreamHandler(
      app,
      (s, prelude) => awslambda.HttpResponseStream.from(s, prelude),
      (err) => logError(err, 'api handler'),
    );
  }
  await wired(event, stream);
});
