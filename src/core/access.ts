// Who may do what through the cloud API: access entries map an IAM principal (a user or a role, as STS names the
// caller of a token — aws-token.ts canonicalArn) to namespaces, each read-only or read-write, as EKS access entries
// with the AmazonEKSViewPolicy / AmazonEKSEditPolicy scoped to namespaces do. The API asks `authorize` before
// serving a request and `kubectl auth can-i` gets the same answer (api/access-review.ts). The local gateway has one
// caller with everything (`FULL_ACCESS`).
import type { FieldError } from './field-errors.ts';

export type Access = 'read' | 'write';

/** Every namespace, and what belongs to none (Namespaces themselves, lists across namespaces). */
export const ALL_NAMESPACES = '*';

export interface AccessEntry {
  /** An IAM user or role ARN (`arn:aws:iam::123456789012:role/Dev`); an assumed-role session matches its role. */
  principal: string;
  /** Namespace names, or `*` for all of them and for what is not namespaced. */
  namespaces: string[];
  access: Access;
}

/** What one caller may do: a name for messages and the access per namespace (`*` for all). */
export interface Grant {
  user: string;
  namespaces: Readonly<Record<string, Access>>;
}

export const FULL_ACCESS: Grant = { user: 'podflow', namespaces: { [ALL_NAMESPACES]: 'write' } };

/** A caller the API cannot name (no authorizer context): nothing. */
export const NO_ACCESS: Grant = { user: 'system:anonymous', namespaces: {} };

/** The verbs a read-only entry allows (the `view` ClusterRole's verbs: get, list, watch). */
export const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

const ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$|^arn:aws(-[a-z]+)*:iam::\d{12}:root$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Access entries from configuration (JSON), each field checked, every error reported with its path. */
export function parseAccessEntries(value: unknown): { entries: AccessEntry[] } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!Array.isArray(value))
    return { errors: [{ field: 'access', type: 'FieldValueInvalid', detail: 'must be a list' }] };
  const entries = value.flatMap((raw: unknown, i): AccessEntry[] => {
    const at = `access[${i}]`;
    const e = (raw ?? {}) as Record<string, unknown>;
    const before = errors.length;
    if (typeof e.principal !== 'string' || !ARN.test(e.principal))
      errors.push({
        field: `${at}.principal`,
        type: 'FieldValueInvalid',
        value: e.principal,
        detail: 'must be the ARN of an IAM user or role, or an account root',
      });
    if (!Array.isArray(e.namespaces) || e.namespaces.length === 0)
      errors.push({
        field: `${at}.namespaces`,
        type: 'FieldValueRequired',
        detail: 'a list of namespaces, or ["*"]',
      });
    else
      e.namespaces.forEach((ns: unknown, j) => {
        if (ns !== ALL_NAMESPACES && (typeof ns !== 'string' || ns.length > 63 || !NAMESPACE.test(ns)))
          errors.push({
            field: `${at}.namespaces[${j}]`,
            type: 'FieldValueInvalid',
            value: ns,
            detail: 'must be a namespace name (RFC 1123 label) or "*"',
          });
      });
    if (e.access !== 'read' && e.access !== 'write')
      errors.push({
        field: `${at}.access`,
        type: 'FieldValueNotSupported',
        value: e.access,
        detail: '"read" or "write"',
      });
    return errors.length === before ? [e as unknown as AccessEntry] : [];
  });
  return errors.length > 0 ? { errors } : { entries };
}

/** The caller's grant: the union of the entries naming it, write winning over read. */
export function grantFor(entries: readonly AccessEntry[], principal: string): Grant {
  const namespaces: Record<string, Access> = {};
  for (const e of entries) {
    if (e.principal !== principal) continue;
    for (const ns of e.namespaces) if (namespaces[ns] !== 'write') namespaces[ns] = e.access;
  }
  return { user: principal, namespaces };
}

export interface RequestAttributes {
  verb: string;
  /** The request's namespace; none for cluster-scoped resources and lists across namespaces. */
  namespace?: string;
  group: string;
  resource: string;
}

/**
 * Whether the grant allows the request. The access of the request's namespace (or `*`) must cover the verb; a
 * request without a namespace needs the `*` entry. Two requests every authenticated caller may make, as the API
 * server's default roles allow them: discovery (system:discovery — not a resource request, never asked here) and
 * the self access reviews (system:basic-user), so that `kubectl auth can-i` works for everyone.
 */
export function authorize(grant: Grant, r: RequestAttributes): { allowed: boolean; reason: string } {
  if (r.group === 'authorization.k8s.io' && r.verb === 'create' && r.resource.startsWith('selfsubject'))
    return { allowed: true, reason: 'every authenticated caller may review its own access' };
  const here = r.namespace === undefined ? undefined : grant.namespaces[r.namespace];
  const anywhere = grant.namespaces[ALL_NAMESPACES];
  const covers = (a: Access | undefined) => a === 'write' || (a === 'read' && READ_VERBS.has(r.verb));
  if (covers(here) || covers(anywhere)) {
    const scope = covers(here) ? `namespace "${r.namespace}"` : 'all namespaces';
    return { allowed: true, reason: `${covers(here) ? here : anywhere} access in ${scope}` };
  }
  const inNamespace = `namespace "${r.namespace}"`;
  if (here) return { allowed: false, reason: `${here} access in ${inNamespace} does not allow ${r.verb}` };
  if (anywhere)
    return { allowed: false, reason: `${anywhere} access in all namespaces does not allow ${r.verb}` };
  return {
    allowed: false,
    reason: `no access entry for ${r.namespace === undefined ? 'all namespaces' : inNamespace}`,
  };
}
