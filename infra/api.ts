// Api: the Kubernetes-compatible API in the cloud (docs/architecture.md §8, §10; docs/decisions/0004-api.md). An API
// Gateway REST API — not an HTTP API (docs/decisions/0004-api.md): REST APIs have IAM auth, per-stage access logs,
// throttling and execution logs, and are what LocalStack's `cdklocal deploy` path uses — whose `ANY /` and `ANY
// /{proxy+}` methods hand every request as a proxy event (payload format 1.0) to the api Lambda (lambdas/api.ts),
// which runs the same Hono app as `podflow serve`. Routing, validation, content negotiation and errors (Kubernetes
// Status objects) are the app's; API Gateway only authenticates (SigV4, AuthorizationType.IAM on every method),
// throttles and logs.
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createPodflowFunction, FUNCTION_LOG_RETENTION } from './podflow-functions.ts';

/**
 * API Gateway ends a REST API's Lambda integration after 29 s (its default integration timeout), so the function
 * need not live longer; lambdas/api.ts ends watches at 25 s to answer inside it.
 */
export const API_TIMEOUT = Duration.seconds(29);

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
 * Stage throttling: a cost guard, each request being a Lambda invocation (a watch holds one for up to 25 s).
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
}

export class Api extends Construct {
  /** The api Lambda (lambdas/api.ts). The stack binds what it needs: the table, the starter, the task responder. */
  readonly handler: NodejsFunction;
  readonly restApi: RestApi;
  readonly accessLogs: LogGroup;
  /** `https://<id>.execute-api.<region>.<suffix>/<stage>/`: a kubeconfig's `server`, or `awscurl`'s base. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps = {}) {
    super(scope, id);
    const stageName = props.stageName ?? API_STAGE_NAME;
    this.handler = createPodflowFunction(this, 'Handler', 'api.ts', API_TIMEOUT);
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? FUNCTION_LOG_RETENTION,
    });

    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'podflow: the Kubernetes-compatible API (IAM auth; every request goes to the api Lambda)',
      // Regional: the callers are CLIs and SDKs, not browsers around the world; an edge endpoint would add a
      // CloudFront hop to each request and nothing else.
      endpointTypes: [EndpointType.REGIONAL],
      binaryMediaTypes: [...API_BINARY_MEDIA_TYPES],
      cloudWatchRole: props.cloudWatchRole ?? true,
      // No request validators, models or CORS: the handler validates as the API server does (Status with field
      // causes), and neither kubectl nor the client libraries are browsers.
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
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

    // One integration for both methods. No test-invoke permissions: the console's test button bypasses IAM auth.
    const integration = new LambdaIntegration(this.handler, { proxy: true, allowTestInvoke: false });
    this.restApi.root.addMethod('ANY', integration);
    this.restApi.root.addResource('{proxy+}').addMethod('ANY', integration);
    this.url = this.restApi.url;

    this.#acknowledgeNagFindings();
  }

  /**
   * Lets `principal` call every method and path of the stage (`execute-api:Invoke`). With IAM auth this is the whole
   * access control: a caller signs each request (SigV4, service `execute-api`) as an identity holding this grant.
   */
  bindInvoker(principal: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee: principal,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.restApi.arnForExecuteApi('*', '/*', this.restApi.deploymentStage.stageName)],
    });
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
        'No WAF web ACL: every method requires SigV4-signed requests (IAM auth), so anonymous traffic is refused ' +
        'before the integration runs and stage throttling bounds what signed callers cost; a web ACL would add a ' +
        'fixed monthly charge to a deployment meant to cost nothing when idle (docs/architecture.md §11). Attach ' +
        'one to the stage where policy requires it.',
    });
    api.acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Authorization is IAM (AuthorizationType.IAM on every method, docs/architecture.md §8): callers are AWS ' +
        'principals signing with SigV4, not Cognito user pool users, so a Cognito authorizer does not apply.',
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
 * One JSON line per request. The identity fields matter with IAM auth: they name the principal that signed, and
 * `error` says why a signature or policy check failed (a 403 never reaches the function's log).
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  '{' +
    Object.entries({
      requestId: AccessLogField.contextRequestId(),
      time: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      caller: AccessLogField.contextIdentityCaller(),
      userArn: AccessLogField.contextIdentityUserArn(),
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
