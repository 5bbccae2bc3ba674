// Api: the Kubernetes-compatible API in the cloud (docs/architecture.md §8, §10; docs/decisions/0004-api.md). An API
// Gateway REST API — not an HTTP API (docs/decisions/0004-api.md): REST APIs have Lambda authorizers with a result cache, per-stage access logs,
// throttling and execution logs, and are what LocalStack's `cdklocal deploy` path uses — whose `ANY /` and `ANY
// /{proxy+}` methods hand every request as a proxy event (payload format 1.0) to the api Lambda (lambdas/api.ts),
// which runs the same Hono app as `podflow serve`. Routing, validation, content negotiation and errors (Kubernetes
// Status objects) are the app's; API Gateway only authenticates — a Lambda TOKEN authorizer on every method accepts
// the `aws eks get-token`-style bearer token kubectl gets from `podflow token` (lambdas/authorizer.ts,
// docs/decisions/0012-kubectl-credentials.md) —, throttles and logs.
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseTransferMode,
  RestApi,
  TokenAuthorizer,
} from 'aws-cdk-lib/aws-apigateway';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type AccessEntry, parseAccessEntries } from '../src/core/access.ts';
import { formatFieldError } from '../src/core/field-errors.ts';
import { createPodflowFunction, FUNCTION_LOG_RETENTION } from './podflow-functions.ts';

/** The authorizer checks a token's shape, asks STS once (≈ 100 ms) and answers; 10 s leaves room for a slow STS. */
export const AUTHORIZER_TIMEOUT = Duration.seconds(10);

/**
 * How long API Gateway reuses an authorizer's answer for the same token: one STS call per token and 5 minutes
 * instead of one per request. A token lives 15 minutes (a changed access entry takes effect within 5).
 */
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);

/**
 * The header's shape, checked by API Gateway before the authorizer runs: anything else is a 401 that costs no
 * invocation.
 */
export const AUTHORIZATION_HEADER_PATTERN = '^Bearer k8s-aws-v1\\.[A-Za-z0-9_-]+$';

/**
 * The integration streams its responses (ResponseTransferMode STREAM, docs/decisions/0017-cloud-watch.md): API
 * Gateway allows a streamed response up to 15 minutes, and the integration timeout may be set that high. The
 * function lives as long, Lambda's maximum; lambdas/api.ts ends a watch 30 s before (CLOUD_MAX_STREAM_SECONDS) so
 * that it ends cleanly and the client watches again.
 */
export const API_TIMEOUT = Duration.minutes(15);

/**
 * The stage, the first segment of every URL (`https://<id>.execute-api.<region>.amazonaws.com/prod/api/v1/…`). Not
 * `v1`: that would read `/v1/api/v1/…`, and the API's versions are Kubernetes', under `/api` and `/apis`.
 */
export const API_STAGE_NAME = 'prod';

/**
 * Every media type is binary, so API Gateway hands request bodies over base64-encoded (`isBase64Encoded: true`,
 * decoded by hono/aws-lambda; api/api-gateway-handler.ts measures the decoded size) and decodes every response the
 * handler base64-encodes. Not optional: hono/aws-lambda base64-encodes any response whose type is not text or
 * JSON/XML — `application/yaml` (`Accept: application/yaml`, api/accept.ts) among them — and without a binary type
 * matching the request's first Accept value API Gateway would pass that base64 text to the client as the body.
 * All types rather than a list: API Gateway matches only the first Accept value, and clients order theirs freely.
 */
export const API_BINARY_MEDIA_TYPES: readonly string[] = ['*/*'];

/**
 * Stage throttling: a cost guard, each request being a Lambda invocation (a watch holds one for up to 15 minutes).
 * Ten times client-go's defaults (k8s.io/client-go/rest/config.go DefaultQPS = 5, DefaultBurst = 10), so a handful
 * of kubectl sessions and controllers never notice it. Above it API Gateway answers 429 Too Many Requests.
 */
export const API_THROTTLING_RATE_LIMIT = 50;
export const API_THROTTLING_BURST_LIMIT = 100;

export interface ApiProps {
  /** Default API_STAGE_NAME. */
  stageName?: string;
  /** Requests per second at the stage, steady and burst. Default API_THROTTLING_RATE_LIMIT / _BURST_LIMIT. */
  throttling?: { rateLimit: number; burstLimit: number };
  /** Retention of the access log. Default FUNCTION_LOG_RETENTION (one month), as the function logs. */
  accessLogRetention?: RetentionDays;
  /**
   * Create the account-level role through which API Gateway writes access and execution logs (the API Gateway
   * account setting, one per account and region; AWS::ApiGateway::Account). Without it set, a stage with logging
   * fails to deploy. Default true; set false where the account already has one managed elsewhere — this would
   * replace it (with an equivalent role), and the role is retained when the stack is deleted.
   */
  cloudWatchRole?: boolean;
  /**
   * The value every token must sign in its `x-k8s-aws-id` header, so that a token made for another podflow (or an
   * EKS cluster) is refused here. `podflow kubeconfig --aws` reads it from the ClusterId output. Default: the stack
   * name.
   */
  clusterId?: string;
  /**
   * Who may do what: IAM users and roles, each with namespaces read-only or read-write (src/core/access.ts). An
   * authenticated principal without an entry is refused everything (403). Default: none — add yourself.
   */
  access?: AccessEntry[];
}

export class Api extends Construct {
  /** The api Lambda (lambdas/api.ts). The stack binds what it needs: the table, the starter, the task responder. */
  readonly handler: NodejsFunction;
  /** The TOKEN authorizer of every method (lambdas/authorizer.ts). */
  readonly authorizer: NodejsFunction;
  readonly clusterId: string;
  readonly restApi: RestApi;
  readonly accessLogs: LogGroup;
  /** `https://<id>.execute-api.<region>.<suffix>/<stage>/`: a kubeconfig's `server`, or `awscurl`'s base. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps = {}) {
    super(scope, id);
    const stageName = props.stageName ?? API_STAGE_NAME;
    this.handler = createPodflowFunction(this, 'Handler', 'api.ts', API_TIMEOUT);
    this.clusterId = props.clusterId ?? Stack.of(this).stackName;
    const access = parseAccessEntries(props.access ?? []);
    if ('errors' in access)
      throw new Error(`Api access entries are invalid: ${access.errors.map(formatFieldError).join('; ')}`);
    this.authorizer = createPodflowFunction(this, 'Authorizer', 'authorizer.ts', AUTHORIZER_TIMEOUT);
    this.authorizer.addEnvironment('PODFLOW_CLUSTER_ID', this.clusterId);
    this.authorizer.addEnvironment('PODFLOW_ACCESS', JSON.stringify(access.entries));
    const authorizer = new TokenAuthorizer(this, 'TokenAuthorizer', {
      handler: this.authorizer,
      identitySource: 'method.request.header.Authorization',
      validationRegex: AUTHORIZATION_HEADER_PATTERN,
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? FUNCTION_LOG_RETENTION,
    });

    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description:
        'podflow: the Kubernetes-compatible API (token authorizer; every request goes to the api Lambda)',
      // Regional: the callers are CLIs and SDKs, not browsers around the world; an edge endpoint would add a
      // CloudFront hop to each request and nothing else.
      endpointTypes: [EndpointType.REGIONAL],
      binaryMediaTypes: [...API_BINARY_MEDIA_TYPES],
      cloudWatchRole: props.cloudWatchRole ?? true,
      // No request validators, models or CORS: the handler validates as the API server does (Status with field
      // causes), and neither kubectl nor the client libraries are browsers.
      defaultMethodOptions: { authorizer },
      deployOptions: {
        stageName,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
        // Execution logs for errors only (authorization failures, integration errors); INFO would log each request
        // a second time, and data tracing would log pod specs with their environment.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttling?.rateLimit ?? API_THROTTLING_RATE_LIMIT,
        throttlingBurstLimit: props.throttling?.burstLimit ?? API_THROTTLING_BURST_LIMIT,
      },
    });
    // RestApi outputs its URL on its own, under a generated name; the stack exports it as ApiUrl instead.
    this.restApi.node.tryRemoveChild('Endpoint');

    // One integration for both methods. No test-invoke permissions: the console's test button bypasses the authorizer.
    // Streamed (InvokeWithResponseStream): a watch writes each event as it happens, for up to API_TIMEOUT; every
    // other response is written whole the same way, and no longer bounded by the 10 MB buffered payload.
    const integration = new LambdaIntegration(this.handler, {
      proxy: true,
      allowTestInvoke: false,
      responseTransferMode: ResponseTransferMode.STREAM,
      timeout: API_TIMEOUT,
    });
    this.restApi.root.addMethod('ANY', integration);
    this.restApi.root.addResource('{proxy+}').addMethod('ANY', integration);
    this.url = this.restApi.url;

    this.#acknowledgeNagFindings();
  }

  #acknowledgeNagFindings(): void {
    const api = Validations.of(this.restApi);
    api.acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'The handler validates requests: it decodes and validates bodies as the Kubernetes API server does and ' +
        'answers Status objects with field causes (422 Invalid), which an API Gateway validator cannot produce.',
    });
    api.acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL: every method requires a bearer token of the shape the authorizer checks (a header ' +
        'pattern API Gateway applies before any invocation), so anonymous traffic is refused ' +
        'before the integration runs and stage throttling bounds what signed callers cost; a web ACL would add a ' +
        'fixed monthly charge to a deployment meant to cost nothing when idle (docs/architecture.md §11). Attach ' +
        'one to the stage where policy requires it.',
    });
    api.acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers are AWS principals proving who they are with a presigned STS GetCallerIdentity (the token ' +
        'authorizer on every method, docs/decisions/0012-kubectl-credentials.md), not Cognito user pool users, so ' +
        'a Cognito authorizer does not apply.',
    });
    const role = this.restApi.node.tryFindChild('CloudWatchRole');
    if (role) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway logs through (access and execution logs of every API in the account ' +
          'and region); AWS documents this managed policy for it, and any narrower policy would break the logs of ' +
          'other APIs sharing the account setting.',
      });
    }
  }
}

/**
 * One JSON line per request. `principal` is the IAM principal the authorizer found (its principalId), `authorizer`
 * the authorizer's status, and `error` says why a request was refused before the function (a 401 or 403 never
 * reaches the function's log).
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  '{' +
    Object.entries({
      requestId: AccessLogField.contextRequestId(),
      time: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      principal: AccessLogField.contextAuthorizerPrincipalId(),
      authorizer: AccessLogField.contextAuthorizerStatus(),
      method: AccessLogField.contextHttpMethod(),
      path: AccessLogField.contextPath(),
      protocol: AccessLogField.contextProtocol(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
    })
      .map(([name, field]) => `"${name}":"${field}"`)
      .join(',') +
    // messageString is the message already quoted and escaped, so the line stays valid JSON. (The other fields are
    // ids, ARNs, numbers and an encoded path; free text such as the user agent is left out for the same reason.)
    `,"error":${AccessLogField.contextErrorMessageString()}}`,
);
