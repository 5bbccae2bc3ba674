// The Kubernetes-compatible API (docs/architecture.md §8): one Hono app, served in the cloud by the api Lambda behind
// API Gateway (lambdas/api.ts) and locally by `podflow serve` through the local gateway (local/gateway.ts) — the same
// routes, handlers and Status errors in both. Decisions: docs/decisions/0004-api.md.
//
// Every failure is a Status: handlers throw ApiError for what the API server refuses (400, 404, 405, 409, 413, 415,
// 422, …); engine errors are translated at the edge (status.ts); anything else is an internal fault, answered 500
// and reported through deps.onError — never a crash.
import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { ApiContext } from './api-context.ts';
import { DEFAULT_SETTLE_TIMEOUT_MS } from './api-context.ts';
import type { ApiDeps } from './api-deps.ts';
import { AUTHORIZATION_RESOURCES, selfSubjectAccessReview, selfSubjectRulesReview } from './access-review.ts';
import {
  apiGroupList,
  apiVersions,
  batchApiGroup,
  batchV1ResourceList,
  JOBS_NOT_SERVED,
  metricsApiGroup,
  metricsV1beta1ResourceList,
  v1ResourceList,
  versionInfo,
} from './discovery.ts';
import { getEvent, listEvents } from './events.ts';
import { getPodMetrics, listPodMetrics, nodeMetrics } from './metrics.ts';
import { podLogs } from './logs.ts';
import { openApiV2Document, openApiV3Document, openApiV3Paths } from './openapi.ts';
import {
  checkNamespace,
  createPod,
  deletePod,
  EPHEMERAL_CONTAINERS_WRITER,
  getPod,
  listPods,
  patchPod,
  patchPodStatus,
  podKey,
  replacePod,
  replacePodStatus,
  requirePod,
} from './pods.ts';
import { respondStatus, respondText } from './respond.ts';
import {
  badRequest,
  ApiError,
  methodNotAllowed,
  notAcceptable,
  notImplemented,
  pathNotFound,
  toApiError,
  requestForbidden,
  unauthorized,
} from './status.ts';
import { servedStore } from './served-store.ts';
import { getPodTimeline } from './timeline.ts';
import { requestInfo } from './request-info.ts';
import { authorize, FULL_ACCESS } from '../core/access.ts';
import { isPublicUiPath, serveUiAsset, UI_PATH } from './ui-routes.ts';
import { PodWatchHub, PollingChangeSource, WatchHub } from './watch-hub.ts';
import { OBJECT_RESOURCE_DEFS } from './object-kinds.ts';
import {
  createObject,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  replaceObject,
  type ResourceDef,
} from './object-resources.ts';
import { objectWatchSource } from './object-watch.ts';
import { DEFAULT_CHANGE_LOG_WATCH_SETTINGS } from './change-log-watch.ts';
import { OBJECT_KINDS, type ApiObject, type ObjectKind } from '../ports/object-store.ts';

export interface ApiApp {
  app: Hono;
  hub: PodWatchHub;
  /** Ends every open watch (graceful shutdown). */
  close(): void;
}

type Handler = (c: Context) => Promise<Response> | Response;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `Authorization: Bearer <token>`, compared in constant time. */
export function isAuthorized(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function createApiApp(given: ApiDeps): ApiApp {
  const deps: ApiDeps = { ...given, store: servedStore(given.store) };
  const hub = new PodWatchHub({
    store: deps.store,
    source:
      deps.changes ??
      new PollingChangeSource(deps.store, deps.pollIntervalMs, (err) => deps.onError(err, 'watch poll')),
    keepAlive: deps.changes !== undefined,
  });
  // A pushed change stream is cheap to follow from the start: watches can then resume from any version since.
  if (deps.changes) hub.start().catch((err: unknown) => deps.onError(err, 'watch hub'));
  const objectHubs = Object.fromEntries(
    OBJECT_KINDS.map((kind) => {
      const objectHub = new WatchHub<ApiObject>({
        source: objectWatchSource({
          objects: deps.objects,
          kind,
          ...(deps.objectChanges ? { changes: deps.objectChanges } : {}),
          ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
          onError: (err) => deps.onError(err, `${kind} watch poll`),
        }),
        keepAlive: deps.objectChanges !== undefined,
      });
      if (deps.objectChanges)
        objectHub.start().catch((err: unknown) => deps.onError(err, `${kind} watch hub`));
      return [kind, objectHub];
    }),
  ) as Record<ObjectKind, WatchHub<ApiObject>>;
  const x: ApiContext = {
    deps,
    storeWithRemoved: given.store,
    hub,
    objectHubs,
    settleTimeoutMs: deps.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS,
    maxStreamMs: (deps.maxStreamSeconds ?? Infinity) * 1000,
    ...(deps.changeLog
      ? {
          logWatch: {
            log: deps.changeLog,
            settings: { ...DEFAULT_CHANGE_LOG_WATCH_SETTINGS, ...deps.watchSettings },
          },
        }
      : {}),
  };
  const app = new Hono({ strict: true });

  app.onError((err, c) =>
    respondStatus(toApiError(err, (e) => deps.onError(e, `${c.req.method} ${c.req.path}`))),
  );
  app.notFound(() => respondStatus(pathNotFound()));

  const token = deps.token;
  if (token) {
    app.use('*', async (c, next) => {
      // The web UI's static files hold no data; the page's every data request carries the token.
      if (c.req.method === 'GET' && isPublicUiPath(c.req.path)) return next();
      if (!isAuthorized(c.req.header('authorization'), token)) return respondStatus(unauthorized());
      await next();
    });
  }
  const grantOf = deps.grantOf;
  if (grantOf) {
    app.use('*', async (c, next) => {
      const info = requestInfo(c.req.method, c.req.path, new URL(c.req.url).searchParams);
      if (info.resourceRequest) {
        const grant = grantOf(c);
        const verdict = authorize(grant, info);
        if (!verdict.allowed) return respondStatus(requestForbidden(grant.user, info, verdict.reason));
      }
      await next();
    });
  }

  /**
   * Registers a path's verbs; any other verb on it is 405 MethodNotAllowed. One handler per path (it picks the verb):
   * a request that matches one handler skips Hono's middleware composition.
   */
  const route = (path: string, handlers: Partial<Record<Method, Handler>>): void => {
    const byMethod = new Map<string, Handler>(Object.entries(handlers));
    app.all(path, (c) => {
      // Hono answers HEAD with the GET route's response, headers only.
      const handler = byMethod.get(c.req.method === 'HEAD' ? 'GET' : c.req.method);
      if (!handler) throw methodNotAllowed();
      return handler(c);
    });
  };

  const json = (c: Context, body: unknown): Response =>
    respondText(c, 200, 'application/json', JSON.stringify(body));

  route('/version', { GET: (c) => json(c, versionInfo()) });
  route('/api', { GET: (c) => json(c, apiVersions(new URL(c.req.url).host)) });
  route('/api/v1', { GET: (c) => json(c, v1ResourceList()) });
  /** batch/v1 (Jobs) is served where a Job controller runs (`podflow serve`), not by the cloud API. */
  const withBatch = deps.jobs !== undefined;
  route('/apis', { GET: (c) => json(c, apiGroupList(withBatch)) });
  route('/apis/authorization.k8s.io/v1', {
    GET: (c) =>
      json(c, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'authorization.k8s.io/v1',
        resources: AUTHORIZATION_RESOURCES,
      }),
  });
  route('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    POST: async (c) =>
      respondText(
        c,
        201,
        'application/json',
        JSON.stringify(await selfSubjectAccessReview(c, deps.grantOf?.(c) ?? FULL_ACCESS, withBatch)),
      ),
  });
  route('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
    POST: async (c) =>
      respondText(
        c,
        201,
        'application/json',
        JSON.stringify(await selfSubjectRulesReview(c, deps.grantOf?.(c) ?? FULL_ACCESS, withBatch)),
      ),
  });
  route('/openapi/v3', { GET: (c) => json(c, openApiV3Paths(withBatch)) });
  const openApiV3 =
    (path: string): Handler =>
    (c) => {
      const doc = openApiV3Document(path, withBatch);
      if (!doc) throw pathNotFound();
      return json(c, doc);
    };
  route('/openapi/v3/api/:version', { GET: (c) => openApiV3(`api/${c.req.param('version')}`)(c) });
  route('/openapi/v3/apis/:group/:version', {
    GET: (c) => openApiV3(`apis/${c.req.param('group')}/${c.req.param('version')}`)(c),
  });
  // v2 in JSON only: a request that accepts only the protobuf form (client-go's) is told so (openapi.ts).
  route('/openapi/v2', {
    GET: (c) => {
      const accept = c.req.header('accept') ?? '';
      const ranges = accept.split(',').map((r) => r.split(';')[0]!.trim().toLowerCase());
      if (
        accept.trim() !== '' &&
        !ranges.some((r) => ['application/json', 'application/*', '*/*'].includes(r))
      )
        throw notAcceptable('only the following media types are accepted: application/json');
      return json(c, openApiV2Document(withBatch));
    },
  });

  route('/api/v1/pods', { GET: (c) => listPods(x, c, undefined) });
  route('/api/v1/namespaces/:ns/pods', {
    GET: (c) => listPods(x, c, c.req.param('ns') ?? ''),
    POST: (c) => createPod(x, c, c.req.param('ns') ?? ''),
  });
  route('/api/v1/namespaces/:ns/pods/:name', {
    GET: (c) => getPod(x, c, podKey(c)),
    PUT: (c) => replacePod(x, c, podKey(c)),
    PATCH: (c) => patchPod(x, c, podKey(c)),
    DELETE: (c) => deletePod(x, c, podKey(c)),
  });
  route('/api/v1/namespaces/:ns/pods/:name/status', {
    GET: (c) => getPod(x, c, podKey(c)),
    PUT: (c) => replacePodStatus(x, c, podKey(c)),
    PATCH: (c) => patchPodStatus(x, c, podKey(c)),
  });
  // `kubectl debug`: ephemeral containers are added through their own subresource (a strategic-merge patch of
  // spec.ephemeralContainers from kubectl), never by an update of the pod (ephemeral-containers-update.ts).
  const ephemeralWrite =
    (write: typeof replacePod): Handler =>
    async (c) => {
      const key = podKey(c);
      checkNamespace(key.namespace);
      if (deps.ephemeralContainersUnavailable) {
        await requirePod(x, key);
        throw notImplemented(deps.ephemeralContainersUnavailable);
      }
      return write(x, c, key, EPHEMERAL_CONTAINERS_WRITER);
    };
  route('/api/v1/namespaces/:ns/pods/:name/ephemeralcontainers', {
    GET: (c) => getPod(x, c, podKey(c)),
    PUT: ephemeralWrite(replacePod),
    PATCH: ephemeralWrite(patchPod),
  });
  route('/api/v1/namespaces/:ns/pods/:name/log', { GET: (c) => podLogs(x, c, podKey(c)) });
  route('/api/v1/namespaces/:ns/pods/:name/timeline', { GET: (c) => getPodTimeline(x, c, podKey(c)) });
  // Exec is a WebSocket upgrade the local gateway takes over before the app sees it (local/exec-websocket.ts); what
  // reaches the app is a request that did not upgrade.
  const exec: Handler = async (c) => {
    const key = podKey(c);
    checkNamespace(key.namespace);
    if (!deps.exec) {
      if (deps.execUnavailable) {
        const stored = await requirePod(x, key);
        throw notImplemented(deps.execUnavailable(stored.state.pod, c.req.query('container') || undefined));
      }
      throw notImplemented(
        'exec is not available from this podflow API: the cloud deployment has no container runtime attached',
      );
    }
    await requirePod(x, key);
    throw badRequest('Upgrade request required');
  };
  route('/api/v1/namespaces/:ns/pods/:name/exec', { GET: exec, POST: exec });
  // Attach likewise (local/attach-websocket.ts): where exec is not served, neither is attach.
  route('/api/v1/namespaces/:ns/pods/:name/attach', { GET: exec, POST: exec });
  // Port-forward likewise (local/port-forward.ts). The cloud API reaches no pod's network: the Fargate tasks run in
  // the VPC's private subnets, with no route from the API Gateway or Lambda to their ports.
  const portForward: Handler = async (c) => {
    const key = podKey(c);
    checkNamespace(key.namespace);
    await requirePod(x, key);
    if (!deps.portForward)
      throw notImplemented(
        'port-forward is not available from this podflow API: the cloud deployment runs pods as ECS Fargate tasks, which the API cannot connect to',
      );
    throw badRequest('Upgrade request required');
  };
  route('/api/v1/namespaces/:ns/pods/:name/portforward', { GET: portForward, POST: portForward });

  route('/api/v1/events', { GET: (c) => listEvents(x, c, undefined) });
  route('/api/v1/namespaces/:ns/events', { GET: (c) => listEvents(x, c, c.req.param('ns') ?? '') });
  route('/api/v1/namespaces/:ns/events/:name', {
    GET: (c) => getEvent(x, c, c.req.param('ns') ?? '', c.req.param('name') ?? ''),
  });

  // ConfigMaps and Secrets (namespaced), Namespaces (cluster-scoped), Jobs (batch/v1): object-resources.ts.
  const objectRoutes = (def: ResourceDef): void => {
    const base = def.apiVersion === 'v1' ? '/api/v1' : `/apis/${def.apiVersion}`;
    const ns = (c: Context): string => c.req.param('ns') ?? '';
    const name = (c: Context): string => c.req.param('name') ?? '';
    const item = {
      GET: (c: Context) => getObject(x, c, def, ns(c), name(c)),
      PUT: (c: Context) => replaceObject(x, c, def, ns(c), name(c)),
      PATCH: (c: Context) => patchObject(x, c, def, ns(c), name(c)),
      DELETE: (c: Context) => deleteObject(x, c, def, ns(c), name(c)),
    };
    if (!def.namespaced) {
      route(`${base}/${def.resource}`, {
        GET: (c) => listObjects(x, c, def, undefined),
        POST: (c) => createObject(x, c, def, ''),
      });
      route(`${base}/${def.resource}/:name`, item);
      return;
    }
    route(`${base}/${def.resource}`, { GET: (c) => listObjects(x, c, def, undefined) });
    route(`${base}/namespaces/:ns/${def.resource}`, {
      GET: (c) => listObjects(x, c, def, ns(c)),
      POST: (c) => createObject(x, c, def, ns(c)),
    });
    route(`${base}/namespaces/:ns/${def.resource}/:name`, item);
    if (def.admitStatusUpdate) {
      route(`${base}/namespaces/:ns/${def.resource}/:name/status`, {
        GET: (c: Context) => getObject(x, c, def, ns(c), name(c)),
        PUT: (c: Context) => replaceObject(x, c, def, ns(c), name(c), 'status'),
        PATCH: (c: Context) => patchObject(x, c, def, ns(c), name(c), 'status'),
      });
    }
  };
  for (const def of Object.values(OBJECT_RESOURCE_DEFS)) {
    if (def.apiVersion === 'batch/v1' && !deps.jobs) continue;
    objectRoutes(def);
  }
  if (deps.jobs) {
    route('/apis/batch', { GET: (c) => json(c, batchApiGroup()) });
    route('/apis/batch/v1', { GET: (c) => json(c, batchV1ResourceList()) });
  } else {
    // No Job controller runs behind this API (the cloud): say so rather than store Jobs nothing would run.
    const refused = () =>
      respondStatus(new ApiError(404, 'NotFound', JOBS_NOT_SERVED, { group: 'batch', kind: 'jobs' }));
    app.all('/apis/batch/*', refused);
    app.all('/apis/batch', refused);
  }

  // metrics.k8s.io (kubectl top): discovery everywhere, the PodMetrics themselves where a runtime is measured
  // (metrics.ts answers 501 otherwise).
  route('/apis/metrics.k8s.io', { GET: (c) => json(c, metricsApiGroup()) });
  route('/apis/metrics.k8s.io/v1beta1', { GET: (c) => json(c, metricsV1beta1ResourceList()) });
  route('/apis/metrics.k8s.io/v1beta1/pods', { GET: (c) => listPodMetrics(x, c, undefined) });
  route('/apis/metrics.k8s.io/v1beta1/namespaces/:ns/pods', {
    GET: (c) => listPodMetrics(x, c, c.req.param('ns') ?? ''),
  });
  route('/apis/metrics.k8s.io/v1beta1/namespaces/:ns/pods/:name', {
    GET: (c) => getPodMetrics(x, c, podKey(c)),
  });
  route('/apis/metrics.k8s.io/v1beta1/nodes', { GET: nodeMetrics });
  route('/apis/metrics.k8s.io/v1beta1/nodes/:name', { GET: nodeMetrics });

  route(UI_PATH, { GET: serveUiAsset });
  route(`${UI_PATH}/`, { GET: serveUiAsset });
  route(`${UI_PATH}/:file`, { GET: serveUiAsset });

  return {
    app,
    hub,
    close: () => {
      hub.close();
      for (const objectHub of Object.values(objectHubs)) objectHub.close();
    },
  };
}
