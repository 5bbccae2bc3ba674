// The api handler as API Gateway invokes it: a REST API (v1) proxy event in, a proxy result out — the one entry
// point of the API in the cloud (lambdas/api.ts) and, through the local gateway's HTTP → event translation, of
// `podflow serve`. Hono's aws-lambda adapter does the Request/Response translation; this wrapper refuses oversized
// bodies before anything decodes them and guarantees a Status even if the adapter itself fails.
import type { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { MAX_API_BODY_BYTES } from './request.ts';
import { ApiError, statusHeaders, tooLarge } from './status.ts';

/** API Gateway REST API proxy integration event (payload format 1.0). */
export interface ApiGatewayProxyEvent {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string | undefined>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string | undefined> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  requestContext: {
    accountId: string;
    apiId: string;
    authorizer: Record<string, unknown>;
    domainName: string;
    domainPrefix: string;
    extendedRequestId: string;
    httpMethod: string;
    identity: Record<string, string | null>;
    path: string;
    protocol: string;
    requestId: string;
    requestTime: string;
    requestTimeEpoch: number;
    resourceId?: string;
    resourcePath: string;
    stage: string;
  };
  body: string | null;
  isBase64Encoded: boolean;
}

export interface ApiGatewayProxyResult {
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

export type ApiGatewayHandler = (event: ApiGatewayProxyEvent) => Promise<ApiGatewayProxyResult>;

/** Size of the decoded body of an event. */
export function eventBodyBytes(event: Pick<ApiGatewayProxyEvent, 'body' | 'isBase64Encoded'>): number {
  if (!event.body) return 0;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').length : Buffer.byteLength(event.body);
}

function statusResult(err: ApiError): ApiGatewayProxyResult {
  return {
    statusCode: err.code,
    multiValueHeaders: Object.fromEntries(Object.entries(statusHeaders(err)).map(([k, v]) => [k, [v]])),
    body: JSON.stringify(err.toStatus()),
    isBase64Encoded: false,
  };
}

export function createApiGatewayHandler(app: Hono, onError: (err: unknown) => void): ApiGatewayHandler {
  const handler = handle(app);
  return async (event) => {
    // API Gateway accepts up to 10 MB; no route takes more than the API server's 3 MiB (pods: 256 KiB,
    // docs/architecture.md §7; ConfigMaps and Secrets: 1 MiB of data).
    if (eventBodyBytes(event) > MAX_API_BODY_BYTES)
      return statusResult(tooLarge(`limit is ${MAX_API_BODY_BYTES}`));
    try {
      const result = (await handler(event as never)) as ApiGatewayProxyResult;
      // The adapter answers an event it cannot turn into a Request (e.g. a malformed path) with a bare text.
      if (result.statusCode === 400 && result.body === 'Invalid request')
        return statusResult(
          new ApiError(400, 'BadRequest', 'the request could not be read: malformed path or headers'),
        );
      return result;
    } catch (err) {
      onError(err);
      const message = err instanceof Error ? err.message : String(err);
      return statusResult(new ApiError(500, 'InternalError', `Internal error occurred: ${message}`));
    }
  };
}
