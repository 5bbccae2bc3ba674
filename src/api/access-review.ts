// Access reviews (authorization.k8s.io/v1 SelfSubjectAccessReview and SelfSubjectRulesReview), so that
// `kubectl auth can-i` and `kubectl auth can-i --list` tell the truth. podflow has one kind of caller: whoever got
// past the API's authentication — the local gateway's bearer token (or no token), API Gateway's IAM authorization in
// the cloud — may do everything podflow serves, in every namespace. So a review allows exactly the verbs the API
// serves on each resource (discovery.ts), and nothing on what it does not serve (a Deployment, a Service), with the
// reason said.
import type { Context } from 'hono';
import { authorize, type Grant } from '../core/access.ts';
import { bodyFormat, parseObjectBody } from './decode-pod.ts';
import {
  type ApiResource,
  BATCH_V1_RESOURCES,
  METRICS_V1BETA1_RESOURCES,
  V1_RESOURCES,
} from './discovery.ts';
import { METRICS_GROUP } from '../core/pod-metrics.ts';
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from './protobuf.ts';
import { readBody, readBodyBytes, requestMediaType } from './request.ts';
import { ApiError, badRequest } from './status.ts';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const GROUP_VERSION = `${AUTHORIZATION_GROUP}/v1`;

/** authorization.k8s.io/v1 as podflow serves it: the two self reviews, create only (as upstream). */
export const AUTHORIZATION_RESOURCES: readonly ApiResource[] = [
  {
    name: 'selfsubjectaccessreviews',
    singularName: 'selfsubjectaccessreview',
    namespaced: false,
    kind: 'SelfSubjectAccessReview',
    verbs: ['create'],
  },
  {
    name: 'selfsubjectrulesreviews',
    singularName: 'selfsubjectrulesreview',
    namespaced: false,
    kind: 'SelfSubjectRulesReview',
    verbs: ['create'],
  },
];

/** The non-resource paths every caller may GET: discovery, OpenAPI, version and health. */
const NON_RESOURCE_URLS = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/openapi/*',
  '/version',
  '/healthz',
  '/livez',
  '/readyz',
];

/** Every served (group, resource) → its verbs; batch only where Jobs are served (`withBatch`). */
function servedVerbs(group: string, resource: string, withBatch: boolean): readonly string[] | undefined {
  const served =
    group === ''
      ? V1_RESOURCES
      : group === AUTHORIZATION_GROUP
        ? AUTHORIZATION_RESOURCES
        : group === 'batch' && withBatch
          ? BATCH_V1_RESOURCES
          : group === METRICS_GROUP
            ? METRICS_V1BETA1_RESOURCES
            : [];
  return served.find((r) => r.name === resource)?.verbs;
}

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

/** Whether the caller may do it, and why not. */
function decide(
  grant: Grant,
  attrs: ResourceAttributes | undefined,
  nonResource: { path?: string; verb?: string } | undefined,
  withBatch: boolean,
): { allowed: boolean; reason?: string } {
  const granted = (verb: string, group: string, resource: string) =>
    authorize(grant, { verb, group, resource, ...(attrs?.namespace ? { namespace: attrs.namespace } : {}) });
  if (attrs) {
    const group = attrs.group ?? '';
    const verb = attrs.verb ?? '';
    const resource = `${attrs.resource ?? ''}${attrs.subresource ? `/${attrs.subresource}` : ''}`;
    const qualified = group === '' ? resource : `${resource}.${group}`;
    // Every resource (of every group): the caller may do everything podflow serves.
    if (verb === '') return { allowed: false, reason: 'no verb' };
    // Every resource (of every group), or every verb: what the grant allows for any verb.
    if (resource === '*' || group === '*' || verb === '*') {
      if (resource !== '*' && group !== '*' && !servedVerbs(group, resource, withBatch))
        return { allowed: false, reason: `podflow does not serve ${qualified}` };
      return granted(verb === '*' ? 'delete' : verb, group, resource);
    }
    const verbs = servedVerbs(group, resource, withBatch);
    if (!verbs) return { allowed: false, reason: `podflow does not serve ${qualified}` };
    if (verbs.includes(verb)) return granted(verb, group, resource);
    return { allowed: false, reason: `podflow serves ${qualified} for ${verbs.join(', ')}, not ${verb}` };
  }
  const path = nonResource?.path ?? '';
  const allowed =
    (nonResource?.verb === 'get' || nonResource?.verb === '*') &&
    NON_RESOURCE_URLS.some((u) => (u.endsWith('/*') ? path.startsWith(u.slice(0, -1)) : path === u));
  return allowed
    ? { allowed }
    : { allowed, reason: `podflow serves no ${nonResource?.verb ?? ''} on ${path}` };
}

async function reviewBody(c: Context, kind: string): Promise<Record<string, unknown>> {
  const mediaType = requestMediaType(c);
  // kubectl's typed client sends the reviews as protobuf.
  const raw =
    mediaType === PROTOBUF_MEDIA_TYPE
      ? decodeProtobufObject(await readBodyBytes(c), kind)
      : parseObjectBody(await readBody(c), bodyFormat(mediaType), kind);
  if (raw.kind !== undefined && raw.kind !== kind)
    throw badRequest(
      `the object provided is unrecognized (must be of type ${kind}): kind ${String(raw.kind)}`,
    );
  return raw;
}

/** POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: the review with its status (201, as upstream). */
export async function selfSubjectAccessReview(
  c: Context,
  grant: Grant,
  withBatch = false,
): Promise<Record<string, unknown>> {
  const raw = await reviewBody(c, 'SelfSubjectAccessReview');
  const spec = (raw.spec ?? {}) as {
    resourceAttributes?: ResourceAttributes;
    nonResourceAttributes?: { path?: string; verb?: string };
  };
  if (!spec.resourceAttributes === !spec.nonResourceAttributes) {
    // authorization/validation ValidateSelfSubjectAccessReviewSpec.
    const detail = 'exactly one of nonResourceAttributes or resourceAttributes must be specified';
    throw new ApiError(
      422,
      'Invalid',
      `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": ${detail}`,
      {
        group: AUTHORIZATION_GROUP,
        kind: 'SelfSubjectAccessReview',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "null": ${detail}`,
            field: 'spec.resourceAttributes',
          },
        ],
      },
    );
  }
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: GROUP_VERSION,
    metadata: { creationTimestamp: null },
    spec,
    status: decide(grant, spec.resourceAttributes, spec.nonResourceAttributes, withBatch),
  };
}

/**
 * POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews: every served resource with the verbs the grant allows
 * in the review's namespace.
 */
export async function selfSubjectRulesReview(
  c: Context,
  grant: Grant,
  withBatch = false,
): Promise<Record<string, unknown>> {
  const raw = await reviewBody(c, 'SelfSubjectRulesReview');
  const namespace = (raw.spec as { namespace?: string } | undefined)?.namespace || undefined;
  const rules = (group: string, resources: readonly ApiResource[]) =>
    resources.flatMap((r) => {
      const verbs = r.verbs.filter(
        (verb) =>
          authorize(grant, { verb, group, resource: r.name, ...(namespace ? { namespace } : {}) }).allowed,
      );
      return verbs.length > 0 ? [{ verbs, apiGroups: [group], resources: [r.name] }] : [];
    });
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: GROUP_VERSION,
    metadata: { creationTimestamp: null },
    spec: raw.spec ?? {},
    status: {
      resourceRules: [
        ...rules('', V1_RESOURCES),
        ...(withBatch ? rules('batch', BATCH_V1_RESOURCES) : []),
        ...rules(AUTHORIZATION_GROUP, AUTHORIZATION_RESOURCES),
        ...rules(METRICS_GROUP, METRICS_V1BETA1_RESOURCES),
      ],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: NON_RESOURCE_URLS }],
      incomplete: false,
    },
  };
}
