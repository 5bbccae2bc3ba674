// The api Lambda (docs/architecture.md §8, §10): API Gateway REST API (IAM auth) → this function → the
// Kubernetes-compatible API (api/). Thin: the wiring builds the cloud engine once per cold start; the handler turns
// each proxy event into a request for the same Hono app `podflow serve` runs. With the Fargate runtime
// (docs/decisions/0006-fargate-runtime.md): its admission (limits, the size annotation), logs from CloudWatch Logs,
// and exec answered 501 with the ECS Exec command; watches poll the table (DynamoDB Streams are not used) and end
// after 25 s, inside API Gateway's 29 s integration timeout (clients re-watch).
import { randomUUID } from 'node:crypto';
import { createApiApp } from '../src/api/create-api-app.ts';
import {
  createApiGatewayHandler,
  type ApiGatewayHandler,
  type ApiGatewayProxyEvent,
} from '../src/api/api-gateway-handler.ts';
import { systemClock } from '../src/ports/clock.ts';

/** API Gateway ends an integration after 29 s: a watch must end before. */
export const CLOUD_MAX_STREAM_SECONDS = 25;

const logError = (err: unknown, context: string): void =>
  console.error(
    JSON.stringify({
      level: 'error',
      context,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    }),
  );

let wired: ApiGatewayHandler | undefined;

/** Lambda entry point: the wiring module is imported on first use, so the handler module loads without AWS env. */
export const handler = async (event: ApiGatewayProxyEvent) => {
  if (!wired) {
    const { cloudApiRuntime, cloudEngine } = await import('./wiring.ts');
    const engine = cloudEngine();
    const { app } = createApiApp({
      engine,
      store: engine.deps.store,
      ...cloudApiRuntime(),
      clock: systemClock,
      newUid: randomUUID,
      onError: logError,
      maxStreamSeconds: CLOUD_MAX_STREAM_SECONDS,
    });
    wired = createApiGatewayHandler(app, (err) => logError(err, 'api handler'));
  }
  return wired(event);
};
