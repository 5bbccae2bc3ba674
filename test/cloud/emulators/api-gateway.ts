// TEST DOUBLE — not AWS. The front of an API Gateway REST API as the template declares it, for podflow's cloud tests:
// an HTTP server on 127.0.0.1 whose paths are `/<stage>/<resource path>`, which matches each request to a method of
// the template (`ANY /` and `ANY /{proxy+}` for podflow), enforces the method's authorization, and calls its
// AWS_PROXY integration — the Lambda function of the integration URI — with the REST API proxy event (payload format
// 1.0, API Gateway developer guide "Input format of a Lambda function for proxy integration"), then writes the
// function's proxy result back (decoding a base64 body when `isBase64Encoded`).
//
// Authorization: a method with AuthorizationType AWS_IAM requires a SigV4-signed request (service `execute-api`)
// whose signature verifies with credentials the harness issued (sigv4.ts); otherwise 403 with API Gateway's
// `x-amzn-ErrorType` and `{"message": …}`. NONE lets the request through. CUSTOM runs the method's Lambda TOKEN
// authorizer as the developer guide ("Use API Gateway Lambda authorizers") describes it: no identity header, or one
// the validation expression does not match, is 401 `{"message":"Unauthorized"}` without an invocation; the function
// gets `{type: 'TOKEN', authorizationToken, methodArn}`; an error whose message is `Unauthorized` is 401, any other
// error or an answer without a policy 500 (AuthorizerConfigurationException); a policy that denies the method's ARN,
// or allows nothing matching it, 403 AccessDeniedException ("User is not authorized to access this resource", "…
// with an explicit deny"). The answer is cached per token for the authorizer's TTL and applied to later requests;
// its `principalId` and `context` reach the integration as `requestContext.authorizer`. COGNITO is refused at start. A path no method matches is a 403 "Missing Authentication
// Token", as API Gateway answers. Binary media types from the RestApi: a request body whose content type matches one
// is passed base64-encoded (`*/*` — podflow's — matches all). Limits: a 10 MB payload (413), the 29 s integration
// timeout (504 "Endpoint request timed out"); a function error is a 502 "Internal server error".
//
// Response streaming (developer guide, "Stream the integration response for your proxy integrations"; "Set up a
// Lambda proxy integration with payload response streaming"): a method whose integration has ResponseTransferMode
// STREAM invokes its function with InvokeWithResponseStream (the integration URI's `response-streaming-invocations`),
// reads the prelude the function writes (JSON with statusCode, headers, cookies; then 8 NUL bytes), answers with its
// status and headers, and passes every later chunk to the client as it arrives (chunked). No binary media type
// applies to the response. The integration timeout (TimeoutInMillis) bounds the time to the prelude; the stream
// ends at the integration timeout or 15 minutes, whichever is first, or after 5 minutes without a chunk (regional
// endpoints) — the client sees the response end, and the function's stream is closed.
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_SCOPE,
  startWireServer,
  type AwsScope,
  type EmulatorServer,
  type WireRequest,
  type WireResponse,
} from './aws-wire.ts';
import { PreludeReader, type Prelude } from './lambda-streaming.ts';
import { verifyRequest, type Credentials } from './sigv4.ts';

export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
export const INTEGRATION_TIMEOUT_MS = 29_000;
/** A streamed response lasts at most 15 minutes. */
export const STREAM_MAX_DURATION_MS = 15 * 60_000;
/** A streamed response with nothing sent for 5 minutes ends (regional and private endpoints). */
export const STREAM_IDLE_TIMEOUT_MS = 5 * 60_000;

export interface TokenAuthorizer {
  functionArn: string;
  /** The header holding the token (`method.request.header.Authorization` → `authorization`). */
  header: string;
  /** IdentityValidationExpression: a token it does not match is refused without an invocation. */
  validationExpression?: string;
  /** AuthorizerResultTtlInSeconds (CloudFormation's default 300); 0 disables the cache. */
  ttlSeconds: number;
}

export interface ApiMethod {
  /** `/` or a path with `{name}` / `{proxy+}` segments. */
  resourcePath: string;
  httpMethod: string;
  authorizationType: 'AWS_IAM' | 'NONE' | 'CUSTOM';
  /** The TOKEN authorizer of a CUSTOM method. */
  authorizer?: TokenAuthorizer;
  /** The function of the AWS_PROXY integration. */
  functionArn: string;
  /** The integration's ResponseTransferMode (BUFFERED when absent). */
  responseTransferMode?: 'BUFFERED' | 'STREAM';
  /** The integration's TimeoutInMillis (INTEGRATION_TIMEOUT_MS when absent). */
  timeoutMs?: number;
}

interface AuthorizerAnswer {
  principalId?: unknown;
  policyDocument?: { Statement?: { Effect?: string; Action?: unknown; Resource?: unknown }[] };
  context?: Record<string, unknown>;
}

/** IAM's `*` and `?` wildcards in a policy's Resource, matched against the method ARN. */
const arnMatches = (pattern: string, arn: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(arn);

/** The policy's verdict on the method ARN: Deny wins, then Allow; nothing matching is a refusal too. */
function policyVerdict(answer: AuthorizerAnswer, methodArn: string): 'allow' | 'deny' | 'none' {
  let allowed = false;
  for (const st of answer.policyDocument?.Statement ?? []) {
    const actions = [st.Action].flat().map(String);
    if (!actions.some((a) => a === 'execute-api:Invoke' || a === 'execute-api:*' || a === '*')) continue;
    if (![st.Resource].flat().some((r) => arnMatches(String(r), methodArn))) continue;
    if (st.Effect === 'Deny') return 'deny';
    if (st.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'none';
}

export interface ApiGatewayFrontOptions {
  restApiId: string;
  stageName: string;
  methods: ApiMethod[];
  binaryMediaTypes: string[];
  /** Looks up the secret of an access key (the harness's issued credentials). */
  credentials: (accessKeyId: string) => Credentials | undefined;
  /** Invokes the integration's function synchronously with the proxy event; rejects on a function error. */
  invoke: (functionArn: string, event: string) => Promise<{ functionError?: string; payload: string }>;
  /** InvokeWithResponseStream, for STREAM integrations: the output as written, settling when the function ends. */
  invokeStream?: (
    functionArn: string,
    event: string,
    onChunk: (chunk: Buffer) => void,
    signal: AbortSignal,
  ) => Promise<{ functionError?: string }>;
  /** Every request that reached an integration, in order (tests: how many watches a client opened). */
  requests?: Array<{ method: string; path: string; query: string }>;
  scope?: AwsScope;
  /**
   * Also serve the API over HTTPS with this key and certificate, as API Gateway does (kubectl sends credentials over
   * TLS only — client-go clientcmd sets a bearer token for TLS connections alone).
   */
  tls?: { key: Buffer; cert: Buffer };
}

const apiError = (status: number, errorType: string, message: string | null): WireResponse => ({
  status,
  headers: {
    'content-type': 'application/json',
    'x-amzn-errortype': errorType,
    'x-amzn-requestid': randomUUID(),
  },
  body: JSON.stringify({ message }),
});

function matchResource(resourcePath: string, path: string): Record<string, string> | undefined {
  if (resourcePath === '/') return path === '/' || path === '' ? {} : undefined;
  const pattern = resourcePath
    .split('/')
    .map((seg) => {
      const greedy = /^\{(\w+)\+\}$/.exec(seg);
      if (greedy) return `(?<${greedy[1]}>.+)`;
      const label = /^\{(\w+)\}$/.exec(seg);
      return label ? `(?<${label[1]}>[^/]+)` : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const m = new RegExp(`^${pattern}$`).exec(path);
  return m ? { ...(m.groups ?? {}) } : undefined;
}

const mediaTypeMatches = (types: string[], contentType: string | undefined): boolean =>
  types.some((t) => {
    if (t === '*/*') return true;
    const ct = (contentType ?? '').split(';')[0]!.trim();
    return t.endsWith('/*') ? ct.startsWith(t.slice(0, -1)) : ct === t;
  });

export async function startApiGatewayFront(
  opts: ApiGatewayFrontOptions,
): Promise<EmulatorServer & { invokeUrl: string; tlsInvokeUrl?: string }> {
  const scope = opts.scope ?? DEFAULT_SCOPE;
  for (const m of opts.methods) {
    if (
      !['AWS_IAM', 'NONE', 'CUSTOM'].includes(m.authorizationType) ||
      (m.authorizationType === 'CUSTOM') !== !!m.authorizer
    ) {
      throw new Error(
        `the API Gateway front does not emulate authorization type ${String(m.authorizationType)}`,
      );
    }
  }
  /** Authorizer answers by function and token, until their TTL. */
  const cache = new Map<string, { answer: AuthorizerAnswer; until: number }>();
  const unauthorized = () => apiError(401, 'UnauthorizedException', 'Unauthorized');
  /** Runs a CUSTOM method's authorizer: the answer to pass on, or the refusal to send. */
  const authorizeCustom = async (
    authorizer: TokenAuthorizer,
    token: string | undefined,
    methodArn: string,
  ): Promise<AuthorizerAnswer | WireResponse> => {
    if (!token) return unauthorized();
    if (authorizer.validationExpression && !new RegExp(authorizer.validationExpression).test(token))
      return unauthorized();
    const key = `${authorizer.functionArn} ${token}`;
    let answer = cache.get(key);
    if (!answer || answer.until <= Date.now()) {
      cache.delete(key);
      const result = await opts.invoke(
        authorizer.functionArn,
        JSON.stringify({ type: 'TOKEN', authorizationToken: token, methodArn }),
      );
      if (result.functionError) {
        const message = (() => {
          try {
            return (JSON.parse(result.payload) as { errorMessage?: string }).errorMessage;
          } catch {
            return undefined;
          }
        })();
        if (message === 'Unauthorized') return unauthorized();
        return apiError(500, 'AuthorizerConfigurationException', null);
      }
      let parsed: AuthorizerAnswer;
      try {
        parsed = JSON.parse(result.payload) as AuthorizerAnswer;
      } catch {
        return apiError(500, 'AuthorizerConfigurationException', null);
      }
      if (typeof parsed?.principalId !== 'string' || !Array.isArray(parsed.policyDocument?.Statement))
        return apiError(500, 'AuthorizerConfigurationException', null);
      answer = { answer: parsed, until: Date.now() + authorizer.ttlSeconds * 1000 };
      if (authorizer.ttlSeconds > 0) cache.set(key, answer);
    }
    const verdict = policyVerdict(answer.answer, methodArn);
    if (verdict === 'deny')
      return apiError(
        403,
        'AccessDeniedException',
        'User is not authorized to access this resource with an explicit deny',
      );
    if (verdict === 'none')
      return apiError(403, 'AccessDeniedException', 'User is not authorized to access this resource');
    return answer.answer;
  };
  // Most specific resource first: paths without a greedy segment, then the greedy ones with more literal segments
  // (`/custom/{proxy+}` before `/{proxy+}`).
  const literals = (path: string) =>
    path.split('/').filter((seg) => seg !== '' && !seg.startsWith('{')).length;
  const methods = [...opts.methods].sort(
    (a, b) =>
      Number(a.resourcePath.includes('+')) - Number(b.resourcePath.includes('+')) ||
      literals(b.resourcePath) - literals(a.resourcePath),
  );
  /** A STREAM integration: the prelude's status and headers, then the body as the function writes it. */
  const streamed = async (method: ApiMethod, event: string, requestId: string): Promise<WireResponse> => {
    if (!opts.invokeStream) throw new Error('a STREAM integration needs invokeStream');
    const chunks = new ChunkQueue();
    const reader = new PreludeReader();
    const abort = new AbortController();
    let settlePrelude: (p: Prelude | 'error') => void = () => undefined;
    const prelude = new Promise<Prelude | 'error'>((resolve) => (settlePrelude = resolve));
    const limitMs = Math.min(method.timeoutMs ?? INTEGRATION_TIMEOUT_MS, STREAM_MAX_DURATION_MS);
    let idle: NodeJS.Timeout | undefined;
    const stop = (): void => {
      clearTimeout(idle);
      clearTimeout(deadline);
      abort.abort();
      chunks.end();
    };
    const deadline = setTimeout(stop, limitMs);
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(stop, STREAM_IDLE_TIMEOUT_MS);
    };
    touch();
    void opts
      .invokeStream(
        method.functionArn,
        event,
        (chunk) => {
          touch();
          const body = reader.push(chunk);
          if (!reader.prelude) return;
          settlePrelude(reader.prelude);
          if (body.length > 0) chunks.push(body);
        },
        abort.signal,
      )
      .then(
        // A function that failed, or ended without a prelude, is a 502; one that ended after it ends the stream.
        (r) => settlePrelude(r.functionError || !reader.prelude ? 'error' : reader.prelude),
        () => settlePrelude('error'),
      )
      .finally(() => {
        clearTimeout(idle);
        clearTimeout(deadline);
        chunks.end();
      });
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([
      prelude,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limitMs))),
    ]).finally(() => clearTimeout(timer));
    if (first === 'timeout') {
      stop();
      return apiError(504, 'IntegrationTimeout', 'Endpoint request timed out');
    }
    if (first === 'error' || typeof first.statusCode !== 'number') {
      stop();
      return apiError(502, 'InternalServerErrorException', 'Internal server error');
    }
    const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
    for (const [k, v] of Object.entries(first.headers ?? {})) headers[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(first.multiValueHeaders ?? {}))
      headers[k.toLowerCase()] = v.join(', ');
    if (first.cookies?.length) headers['set-cookie'] = first.cookies.join(', ');
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    return { status: first.statusCode, headers, stream: { chunks, cancel: stop } };
  };
  let port = 0;
  const handle = async (req: WireRequest): Promise<WireResponse> => {
    const stagePrefix = `/${opts.stageName}`;
    if (req.path !== stagePrefix && !req.path.startsWith(`${stagePrefix}/`)) {
      return apiError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const resourceWirePath = req.path.slice(stagePrefix.length) || '/';
    const path = decodeURIComponent(resourceWirePath);
    let params: Record<string, string> | undefined;
    const method = methods.find((m) => {
      if (m.httpMethod !== 'ANY' && m.httpMethod !== req.method) return false;
      params = matchResource(m.resourcePath, path);
      return params !== undefined;
    });
    if (!method) return apiError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (req.body.length > MAX_PAYLOAD_BYTES)
      return apiError(413, 'RequestEntityTooLargeException', 'Request Too Long');
    let accessKey: string | null = null;
    if (method.authorizationType === 'AWS_IAM') {
      const verdict = verifyRequest(
        { method: req.method, path: req.path, query: req.query, headers: req.headers, body: req.body },
        opts.credentials,
        scope.region,
        'execute-api',
      );
      if (!verdict.ok) return apiError(403, verdict.errorType, verdict.message);
      accessKey = verdict.accessKeyId;
    }
    let authorizerContext: Record<string, unknown> | undefined;
    if (method.authorizationType === 'CUSTOM') {
      const methodArn = `arn:${scope.partition}:execute-api:${scope.region}:${scope.account}:${opts.restApiId}/${opts.stageName}/${req.method}${resourceWirePath}`;
      const header = req.headers[method.authorizer!.header];
      const outcome = await authorizeCustom(
        method.authorizer!,
        Array.isArray(header) ? header[0] : header,
        methodArn,
      );
      if ('status' in outcome) return outcome;
      // Context values reach the integration as strings, numbers and booleans; the principal beside them.
      authorizerContext = { ...(outcome.context ?? {}), principalId: outcome.principalId };
    }
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      const values = Array.isArray(v) ? v : [v];
      multiValueHeaders[k] = values;
      headers[k] = values[values.length - 1]!;
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of req.query) {
      (multiQuery[k] ??= []).push(v);
      query[k] = v;
    }
    const hasQuery = req.query.size > 0;
    const binary = mediaTypeMatches(opts.binaryMediaTypes, headers['content-type']);
    const now = Date.now();
    const requestId = randomUUID();
    const event = {
      resource: method.resourcePath,
      path,
      httpMethod: req.method,
      headers,
      multiValueHeaders,
      queryStringParameters: hasQuery ? query : null,
      multiValueQueryStringParameters: hasQuery ? multiQuery : null,
      pathParameters: params && Object.keys(params).length > 0 ? params : null,
      stageVariables: null,
      requestContext: {
        accountId: scope.account,
        apiId: opts.restApiId,
        domainName: headers.host ?? `127.0.0.1:${port}`,
        domainPrefix: opts.restApiId,
        extendedRequestId: requestId,
        httpMethod: req.method,
        ...(authorizerContext ? { authorizer: authorizerContext } : {}),
        identity: {
          accessKey,
          accountId: accessKey ? scope.account : null,
          caller: accessKey,
          user: accessKey,
          userArn: accessKey ? `arn:${scope.partition}:iam::${scope.account}:user/podflow-test` : null,
          sourceIp: '127.0.0.1',
          userAgent: headers['user-agent'] ?? null,
        },
        path: req.path,
        protocol: 'HTTP/1.1',
        requestId,
        requestTime: new Date(now).toUTCString(),
        requestTimeEpoch: now,
        resourceId: method.resourcePath,
        resourcePath: method.resourcePath,
        stage: opts.stageName,
      },
      body: req.body.length === 0 ? null : binary ? req.body.toString('base64') : req.body.toString('utf8'),
      isBase64Encoded: req.body.length > 0 && binary,
    };
    opts.requests?.push({ method: req.method, path, query: req.query.toString() });
    if (method.responseTransferMode === 'STREAM') return streamed(method, JSON.stringify(event), requestId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), method.timeoutMs ?? INTEGRATION_TIMEOUT_MS)),
    );
    const result = await Promise.race([
      opts.invoke(method.functionArn, JSON.stringify(event)),
      timeout,
    ]).finally(() => clearTimeout(timer));
    if (result === 'timeout') return apiError(504, 'IntegrationTimeout', 'Endpoint request timed out');
    if (result.functionError) return apiError(502, 'InternalServerErrorException', 'Internal server error');
    let proxy: {
      statusCode?: number;
      headers?: Record<string, string>;
      multiValueHeaders?: Record<string, string[]>;
      body?: string;
      isBase64Encoded?: boolean;
    };
    try {
      proxy = JSON.parse(result.payload) as typeof proxy;
    } catch {
      return apiError(502, 'InternalServerErrorException', 'Internal server error');
    }
    if (typeof proxy?.statusCode !== 'number')
      return apiError(502, 'InternalServerErrorException', 'Internal server error');
    const out: Record<string, string> = { 'x-amzn-requestid': requestId };
    for (const [k, v] of Object.entries(proxy.headers ?? {})) out[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(proxy.multiValueHeaders ?? {})) out[k.toLowerCase()] = v.join(', ');
    delete out['content-length'];
    delete out['transfer-encoding'];
    const body =
      proxy.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(proxy.body, proxy.isBase64Encoded ? 'base64' : 'utf8');
    return { status: proxy.statusCode, headers: out, body };
  };
  const server = await startWireServer(handle);
  port = Number(new URL(server.url).port);
  const secure = opts.tls ? await startWireServer(handle, undefined, opts.tls) : undefined;
  return {
    url: server.url,
    invokeUrl: `${server.url}/${opts.stageName}/`,
    ...(secure ? { tlsInvokeUrl: `${secure.url}/${opts.stageName}/` } : {}),
    close: async () => {
      await server.close();
      await secure?.close();
    },
  };
}

/** Chunks handed from the function to the client connection, in order. */
class ChunkQueue implements AsyncIterable<Buffer> {
  readonly #items: Buffer[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  push(chunk: Buffer): void {
    if (this.#ended) return;
    this.#items.push(chunk);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const next = this.#items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
