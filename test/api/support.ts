// Test harnesses for the API.
// - createTestApi: the api handler fed API Gateway proxy events (no network), over the real engine use cases on an
//   in-memory store. No worker runs: a fake "kubelet" step makes deletes and status patches visible the way the
//   worker would (deletionTimestamp, conditions), so the API's own behaviour is what is tested.
// - startTestServe: `podflow serve` in-process (the local engine, the gateway on a free port, a temporary data dir).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import { NoopProber } from '../../src/adapters/noop/noop-prober.ts';
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.ts';
import { MemoryPodStore } from '../../src/adapters/memory/memory-pod-store.ts';
import { MemoryRevision } from '../../src/adapters/memory/memory-revision.ts';
import { createApiGatewayHandler, type ApiGatewayProxyEvent } from '../../src/api/api-gateway-handler.ts';
import type { ApiDeps } from '../../src/api/api-deps.ts';
import { createApiApp, type ApiApp } from '../../src/api/create-api-app.ts';
import { MAX_BACKOFF_MS, BACKOFF_RESET_MS } from '../../src/core/backoff.ts';
import { DEFAULT_WORKER_SETTINGS } from '../../src/engine/engine-deps.ts';
import { toRfc3339 } from '../../src/core/time.ts';
import { startServe, type ServeHandle, type ServeOptions } from '../../src/cli/commands/serve.ts';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { createEngine } from '../../src/engine/create-engine.ts';
import { ObservablePodStore } from '../../src/engine/observable-pod-store.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { SYSTEM_NAMESPACES } from '../../src/core/manifest/api-objects.ts';
import { ObjectStoreConfigSource } from '../../src/engine/object-config-source.ts';
import { ObservableObjectStore } from '../../src/engine/observable-object-store.ts';
import { endEverythingUnder } from '../support/runtime-cleanup.ts';
import { deletionGraceSeconds } from '../../src/core/grace.ts';

export interface TestResponse {
  status: number;
  headers: Record<string, string[]>;
  body: string;
  /** The body as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> & { [k: string]: never | unknown };
}

export interface RequestOptions {
  /** A Buffer is sent as is, base64-encoded (a binary body: protobuf). */
  body?: string | object | Buffer;
  headers?: Record<string, string | string[]>;
  query?: Record<string, string | string[] | undefined>;
  base64?: boolean;
  /**
   * `requestContext.authorizer` as the token authorizer leaves it (api/token-authorizer.ts). Default: a principal
   * with write access to every namespace.
   */
  authorizer?: Record<string, unknown>;
}

export const TEST_PRINCIPAL = 'arn:aws:iam::123456789012:user/test';

/** An HTTP request as API Gateway's REST API proxy integration would deliver it. */
export function proxyEvent(method: string, path: string, o: RequestOptions = {}): ApiGatewayProxyEvent {
  const multiValueHeaders: Record<string, string[]> = { host: ['podflow.test'] };
  for (const [k, v] of Object.entries(o.headers ?? {}))
    multiValueHeaders[k.toLowerCase()] = Array.isArray(v) ? v : [v];
  if (o.body !== undefined && !multiValueHeaders['content-type'])
    multiValueHeaders['content-type'] = ['application/json'];
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v[v.length - 1]]));
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(o.query ?? {}))
    if (v !== undefined) multiQuery[k] = Array.isArray(v) ? v : [v];
  const hasQuery = Object.keys(multiQuery).length > 0;
  if (Buffer.isBuffer(o.body)) {
    const binary = proxyEvent(method, path, { ...o, body: '' });
    return { ...binary, body: o.body.toString('base64'), isBase64Encoded: true };
  }
  const text = o.body === undefined ? null : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery
      ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1]]))
      : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      authorizer: o.authorizer ?? {
        principalId: TEST_PRINCIPAL,
        user: TEST_PRINCIPAL,
        grant: '{"*":"write"}',
      },
      domainName: 'podflow.test',
      domainPrefix: 'podflow',
      extendedRequestId: randomUUID(),
      httpMethod: method,
      identity: { sourceIp: '127.0.0.1' },
      path,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: '',
      requestTimeEpoch: 0,
      resourcePath: '/{proxy+}',
      stage: 'test',
    },
    body: text === null ? null : o.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: o.base64 === true,
  };
}

export interface TestApi {
  api: ApiApp;
  store: ObservablePodStore;
  /** ConfigMaps, Secrets and Namespaces; the system namespaces exist before the first request. */
  objects: ObservableObjectStore;
  clock: ManualClock;
  request(method: string, path: string, o?: RequestOptions): Promise<TestResponse>;
  /** Creates a pod through the API; throws unless 201. */
  createPod(pod: object, namespace?: string): Promise<Record<string, unknown>>;
  close(): void;
}

/** A minimal valid pod. */
export function podManifest(
  name: string,
  extra: { labels?: Record<string, string>; spec?: object } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '60'] }],
      ...extra.spec,
    },
  } as Pod;
}

export function createTestApi(overrides: Partial<ApiDeps> = {}): TestApi {
  const clock = new ManualClock(Date.parse('2026-11-28T00:00:00Z'));
  const revision = new MemoryRevision();
  const store = new ObservablePodStore(new MemoryPodStore({ clock, revision }));
  const objects = new ObservableObjectStore(new MemoryObjectStore({ revision }));
  const engine = createEngine({
    store,
    objects,
    configs: new ObjectStoreConfigSource(objects),
    // No worker runs here; creating a pod asks the runtime only what its sandbox would be refused.
    runtime: { admitSandbox: async () => [] } as never,
    scheduler: { scheduleAt: async () => {}, cancel: async () => {} },
    workflow: { startExecution: async () => {}, sendTaskSuccess: async () => {} },
    prober: new NoopProber(),
    hooks: { run: async () => {} },
    clock,
    settings: {
      ...DEFAULT_WORKER_SETTINGS,
      backoff: { initialMs: 10_000, maxMs: MAX_BACKOFF_MS, resetMs: BACKOFF_RESET_MS },
    },
  });
  // What the worker would commit for these requests (no worker runs here).
  const markDeleted = async (key: PodKey, grace?: number): Promise<void> => {
    const s = await store.get(key);
    if (!s) return;
    const seconds = deletionGraceSeconds(s.state.pod.spec, grace);
    const pod = {
      ...s.state.pod,
      metadata: {
        ...s.state.pod.metadata,
        deletionTimestamp: toRfc3339(clock.now() + seconds * 1000),
        deletionGracePeriodSeconds: seconds,
      },
    };
    await store.update(key, s.resourceVersion, { ...s.state, pod });
  };
  const setConditions = async (key: PodKey, conditions: PodCondition[]): Promise<void> => {
    const s = await store.get(key);
    if (!s) return;
    const existing = (s.state.pod.status?.conditions ?? []).filter(
      (c) => !conditions.some((n) => n.type === c.type),
    );
    const pod = {
      ...s.state.pod,
      status: { ...s.state.pod.status, conditions: [...existing, ...conditions] },
    };
    await store.update(key, s.resourceVersion, { ...s.state, pod });
  };
  let uid = 0;
  // The system namespaces, as a composition root creates them at start.
  const ready = engine.ensureNamespaces(
    SYSTEM_NAMESPACES,
    () => `00000000-0000-4000-9000-${String(++uid).padStart(12, '0')}`,
  );
  const api = createApiApp({
    engine: { ...engine, deletePod: markDeleted, patchConditions: setConditions },
    store,
    changes: store,
    objects,
    objectChanges: objects,
    clock,
    newUid: () => `00000000-0000-4000-8000-${String(++uid).padStart(12, '0')}`,
    onError: (err) => {
      throw err;
    },
    settleTimeoutMs: 100,
    ...overrides,
  });
  const handler = createApiGatewayHandler(api.app, (err) => {
    throw err;
  });
  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<TestResponse> => {
    await ready;
    const result = await handler(proxyEvent(method, path, o));
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = [v];
    let json: TestResponse['json'];
    try {
      json = JSON.parse(result.body) as TestResponse['json'];
    } catch {
      json = undefined as never;
    }
    return { status: result.statusCode, headers, body: result.body, json };
  };
  return {
    api,
    store,
    objects,
    clock,
    request,
    async createPod(pod, namespace = 'default') {
      const res = await request('POST', `/api/v1/namespaces/${namespace}/pods`, { body: pod });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`);
      return res.json;
    },
    close: () => api.close(),
  };
}

/** A CliIo that collects output. */
export function testIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    readStdin: async () => '',
    now: () => Date.now(),
    newUid: () => randomUUID(),
  };
}

export interface TestServe extends ServeHandle {
  io: ReturnType<typeof testIo>;
  /** Stops the server and removes its data directory. */
  dispose(): Promise<void>;
}

/** `podflow serve` in this process: temporary data directory, DynamoDB in memory, a free port. */
export async function startTestServe(
  options: {
    token?: string;
    jobBackoffInitial?: number;
    jobBackoffMax?: number;
    cronClock?: ServeOptions['cronClock'];
  } = {},
): Promise<TestServe> {
  const dataDir = await mkdtemp(join(tmpdir(), 'podflow-api-'));
  const io = testIo();
  const serve = await startServe(
    {
      port: 0,
      dataDir,
      inMemory: true,
      crashBackoffMax: MAX_BACKOFF_MS,
      crashBackoffReset: BACKOFF_RESET_MS,
      ...(options.token ? { token: options.token } : {}),
      ...(options.jobBackoffInitial !== undefined ? { jobBackoffInitial: options.jobBackoffInitial } : {}),
      ...(options.jobBackoffMax !== undefined ? { jobBackoffMax: options.jobBackoffMax } : {}),
      ...(options.cronClock ? { cronClock: options.cronClock } : {}),
    },
    io,
  );
  return {
    ...serve,
    io,
    async dispose() {
      // Containers outlive `serve` by design (the next serve re-adopts them): delete the pods first.
      await deleteAllPods(serve.url, options.token);
      await serve.stop();
      // A delete with grace 0 is a force delete: the pods leave the API before their containers and sandboxes are
      // gone, so the engine may stop with them still running.
      await endEverythingUnder(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deletes every pod immediately (grace 0) and waits until none is left. */
export async function deleteAllPods(url: string, token?: string): Promise<void> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const list = async (): Promise<Pod[]> =>
    ((await (await fetch(`${url}/api/v1/pods`, { headers })).json()) as { items: Pod[] }).items;
  for (const p of await list()) {
    await fetch(
      `${url}/api/v1/namespaces/${p.metadata!.namespace}/pods/${p.metadata!.name}?gracePeriodSeconds=0`,
      {
        method: 'DELETE',
        headers,
      },
    );
  }
  const deadline = Date.now() + 20_000;
  while ((await list()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** The environment the CDK stack gives the api function (infra/podflow-stack.ts), with stand-in names and ARNs. */
export const API_FUNCTION_ENV: Record<string, string> = {
  TABLE_NAME: 'podflow-test',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:pod-worker',
  SCHEDULE_GROUP: 'podflow',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
  WAKEUP_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:wakeup',
  TIMERS_DLQ_ARN: 'arn:aws:sqs:eu-west-1:123456789012:podflow-timers-dlq',
  HOOK_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:hook',
  CONTROLLERS_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:controllers',
  AWS_REGION: 'eu-west-1',
  FARGATE_CLUSTER_ARN: 'arn:aws:ecs:eu-west-1:123456789012:cluster/podflow',
  FARGATE_SUBNETS: 'subnet-1,subnet-2',
  FARGATE_SECURITY_GROUPS: 'sg-1',
  FARGATE_LOG_GROUP: '/podflow/pods',
  FARGATE_EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/execution',
  FARGATE_TASK_ROLE_ARN: 'arn:aws:iam::123456789012:role/task',
};
