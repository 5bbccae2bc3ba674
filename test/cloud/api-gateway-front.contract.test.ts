// Contract of the API Gateway front (test/cloud/emulators/api-gateway.ts) and its SigV4 verification: requests
// signed by the signer the AWS SDKs use (@smithy/signature-v4) verify, the documented example of the IAM user guide
// verifies, anything else is refused with API Gateway's 403 error types; an allowed request reaches the integration's
// function as the REST proxy event (payload 1.0), and the function's answer comes back.
import { createHash, createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiGatewayFront } from './emulators/api-gateway.ts';
import type { EmulatorServer } from './emulators/aws-wire.ts';
import { OffsetClock } from './emulators/emulator-clock.ts';
import { LambdaEmulator } from './emulators/lambda.ts';
import { signRequest, verifyRequest, type Credentials } from './emulators/sigv4.ts';

const creds: Credentials = { accessKeyId: 'AKIDPODFLOWFRONT', secretAccessKey: 'front-secret' };
const lookup = (id: string) => (id === creds.accessKeyId ? creds : undefined);

/** node:crypto as the Checksum @smithy/signature-v4 wants. */
class NodeSha256 {
  readonly #h;
  constructor(secret?: string | Uint8Array) {
    this.#h = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data: string | Uint8Array): void {
    this.#h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#h.digest());
  }
  reset(): void {}
}

describe('SigV4 verification', () => {
  it('accepts the IAM user guide`s example request (AKIDEXAMPLE, 20150830T123600Z)', () => {
    const result = verifyRequest(
      {
        method: 'GET',
        path: '/',
        query: new URLSearchParams('Action=ListUsers&Version=2010-05-08'),
        headers: {
          host: 'iam.amazonaws.com',
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'x-amz-date': '20150830T123600Z',
          authorization:
            'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
        },
        body: Buffer.alloc(0),
      },
      (id) =>
        id === 'AKIDEXAMPLE'
          ? { accessKeyId: id, secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
          : undefined,
      'us-east-1',
      'iam',
      Date.UTC(2015, 7, 30, 12, 36),
    );
    expect(result).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
  });

  it('accepts what @smithy/signature-v4 (the AWS SDKs` signer) signs, and refuses it once tampered with', async () => {
    const signer = new SignatureV4({
      credentials: creds,
      region: 'us-east-1',
      service: 'execute-api',
      sha256: NodeSha256 as never,
    });
    const body = JSON.stringify({ kind: 'Pod' });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8080,
      path: '/prod/api/v1/namespaces/default/pods',
      query: { fieldManager: 'kubectl client-side apply', dryRun: 'All' },
      headers: { host: '127.0.0.1:8080', 'content-type': 'application/json' },
      body,
    });
    const request = (overrides: { body?: string; path?: string } = {}) => ({
      method: 'POST',
      path: overrides.path ?? '/prod/api/v1/namespaces/default/pods',
      query: new URLSearchParams({ fieldManager: 'kubectl client-side apply', dryRun: 'All' }),
      headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v])),
      body: Buffer.from(overrides.body ?? body),
    });
    expect(verifyRequest(request(), lookup, 'us-east-1', 'execute-api')).toEqual({
      ok: true,
      accessKeyId: creds.accessKeyId,
    });
    expect(
      verifyRequest(request({ body: '{"kind":"Secret"}' }), lookup, 'us-east-1', 'execute-api'),
    ).toMatchObject({
      ok: false,
      errorType: 'InvalidSignatureException',
    });
    expect(
      verifyRequest(
        request({ path: '/prod/api/v1/namespaces/kube-system/pods' }),
        lookup,
        'us-east-1',
        'execute-api',
      ),
    ).toMatchObject({
      ok: false,
      errorType: 'InvalidSignatureException',
    });
    expect(verifyRequest(request(), () => undefined, 'us-east-1', 'execute-api')).toMatchObject({
      ok: false,
      errorType: 'UnrecognizedClientException',
    });
    expect(
      verifyRequest(request(), lookup, 'us-east-1', 'execute-api', Date.now() + 10 * 60_000),
    ).toMatchObject({
      ok: false,
      errorType: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature expired/),
    });
    expect(verifyRequest(request(), lookup, 'eu-west-1', 'execute-api')).toMatchObject({
      ok: false,
      errorType: 'InvalidSignatureException',
    });
  });
});

describe('the API Gateway front', () => {
  const clock = new OffsetClock();
  let lambda: LambdaEmulator;
  let front: EmulatorServer & { invokeUrl: string };
  const fn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

  beforeAll(async () => {
    lambda = new LambdaEmulator({ clock });
    for (const [name, handler] of [
      ['proxy', 'index.proxy'],
      ['fail', 'index.fail'],
      ['authorizer', 'index.tokenAuthorizer'],
    ]) {
      lambda.register({
        name: name!,
        arn: fn(name!),
        codeDir: fileURLToPath(new URL('./fixtures/functions', import.meta.url)),
        handler: handler!,
        environment: {},
        timeoutSeconds: 10,
        memoryMb: 256,
        logGroup: `/aws/lambda/${name}`,
      });
    }
    front = await startApiGatewayFront({
      restApiId: 'abc123',
      stageName: 'prod',
      methods: [
        { resourcePath: '/', httpMethod: 'ANY', authorizationType: 'AWS_IAM', functionArn: fn('proxy') },
        {
          resourcePath: '/{proxy+}',
          httpMethod: 'ANY',
          authorizationType: 'AWS_IAM',
          functionArn: fn('proxy'),
        },
        { resourcePath: '/public', httpMethod: 'GET', authorizationType: 'NONE', functionArn: fn('proxy') },
        { resourcePath: '/broken', httpMethod: 'GET', authorizationType: 'NONE', functionArn: fn('fail') },
        {
          resourcePath: '/custom/{proxy+}',
          httpMethod: 'ANY',
          authorizationType: 'CUSTOM',
          authorizer: {
            functionArn: fn('authorizer'),
            header: 'authorization',
            validationExpression: '^Bearer [a-z-]+$',
            ttlSeconds: 300,
          },
          functionArn: fn('proxy'),
        },
      ],
      binaryMediaTypes: ['*/*'],
      credentials: lookup,
      invoke: (arn, event) => lambda.invoke(arn, event),
    });
  });

  afterAll(async () => {
    await front.close();
    await lambda.close();
  });

  const signedFetch = async (method: string, path: string, body?: string) => {
    const url = new URL(path, front.url);
    const headers: Record<string, string | string[] | undefined> = {
      host: url.host,
      'content-type': 'application/json',
    };
    signRequest(
      { method, path: url.pathname, query: url.searchParams, headers, body: Buffer.from(body ?? '') },
      creds,
      'us-east-1',
      'execute-api',
    );
    const { host: _host, ...rest } = headers;
    return fetch(url, { method, headers: rest as Record<string, string>, ...(body ? { body } : {}) });
  };

  it('hands a signed request to the integration as the REST proxy event (payload 1.0), binary body base64-encoded', async () => {
    const res = await signedFetch(
      'POST',
      '/prod/api/v1/namespaces/default/pods?dryRun=All',
      '{"kind":"Pod"}',
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('proxy');
    const event = (await res.json()) as Record<string, unknown>;
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      path: '/api/v1/namespaces/default/pods',
      httpMethod: 'POST',
      queryStringParameters: { dryRun: 'All' },
      multiValueQueryStringParameters: { dryRun: ['All'] },
      pathParameters: { proxy: 'api/v1/namespaces/default/pods' },
      isBase64Encoded: true,
      body: Buffer.from('{"kind":"Pod"}').toString('base64'),
      requestContext: {
        apiId: 'abc123',
        stage: 'prod',
        resourcePath: '/{proxy+}',
        path: '/prod/api/v1/namespaces/default/pods',
        identity: { accessKey: creds.accessKeyId, accountId: '123456789012' },
      },
    });
    const root = await signedFetch('GET', '/prod/');
    expect(((await root.json()) as { resource: string }).resource).toBe('/');
  });

  it.each([
    {
      name: 'an unsigned request to an AWS_IAM method',
      path: '/prod/api',
      status: 403,
      type: 'MissingAuthenticationTokenException',
    },
    {
      name: 'a path outside the stage',
      path: '/other/api',
      status: 403,
      type: 'MissingAuthenticationTokenException',
    },
    { name: 'a function error', path: '/prod/broken', status: 502, type: 'InternalServerErrorException' },
  ])('answers $name with $status $type', async ({ path, status, type }) => {
    const res = await fetch(new URL(path, front.url));
    expect(res.status).toBe(status);
    expect(res.headers.get('x-amzn-errortype')).toBe(type);
  });

  it('lets an unsigned request through to a method without authorization', async () => {
    const res = await fetch(new URL('/prod/public', front.url));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { resource: string }).resource).toBe('/public');
  });

  describe('a CUSTOM method (Lambda TOKEN authorizer)', () => {
    const authorizerCalls = () =>
      lambda.invocations.filter((i) => i.function === 'authorizer' && i.type !== 'injected').length;
    const call = (token: string | undefined, method = 'GET', path = '/prod/custom/things') =>
      fetch(new URL(path, front.url), { method, ...(token ? { headers: { authorization: token } } : {}) });

    it('passes an allowed request on with the authorizer’s principal and context, and caches the answer per token', async () => {
      const before = authorizerCalls();
      const res = await call('Bearer allow-alice');
      expect(res.status).toBe(200);
      const event = (await res.json()) as { requestContext: { authorizer: Record<string, unknown> } };
      expect(event.requestContext.authorizer).toEqual({
        principalId: 'allow-alice',
        who: 'alice',
        invokedWith: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/custom/things',
      });
      expect((await call('Bearer allow-alice', 'DELETE', '/prod/custom/other')).status).toBe(200);
      expect(authorizerCalls()).toBe(before + 1);
    });

    it.each([
      {
        name: 'no Authorization header',
        token: undefined,
        status: 401,
        type: 'UnauthorizedException',
        invoked: 0,
      },
      {
        name: 'a header the validation expression refuses',
        token: 'Basic x',
        status: 401,
        type: 'UnauthorizedException',
        invoked: 0,
      },
      {
        name: 'an authorizer throwing "Unauthorized"',
        token: 'Bearer unauthorized',
        status: 401,
        type: 'UnauthorizedException',
        invoked: 1,
      },
      {
        name: 'an authorizer failing otherwise',
        token: 'Bearer broken',
        status: 500,
        type: 'AuthorizerConfigurationException',
        invoked: 1,
      },
      {
        name: 'an explicit Deny',
        token: 'Bearer deny',
        status: 403,
        type: 'AccessDeniedException',
        invoked: 1,
      },
      {
        name: 'an Allow that does not cover the method',
        token: 'Bearer get-only',
        method: 'POST',
        status: 403,
        type: 'AccessDeniedException',
        invoked: 1,
      },
    ])('answers $name with $status $type', async ({ token, method, status, type, invoked }) => {
      const before = authorizerCalls();
      const res = await call(token, method);
      expect(res.status).toBe(status);
      expect(res.headers.get('x-amzn-errortype')).toBe(type);
      if (status === 401) expect(await res.json()).toEqual({ message: 'Unauthorized' });
      expect(authorizerCalls() - before).toBe(invoked);
    });
  });
});
