// TEST DOUBLE support — identity-based IAM authorization as the emulators apply it to the requests the template's
// functions (and the state machine) send: each principal's Allow statements, from the AWS::IAM::Policy resources
// attached to its role and the role's inline policies, matched on Action and Resource with the `*` and `?`
// wildcards (IAM user guide, "IAM JSON policy elements: Action", "Resource"). A request no statement allows is an
// AccessDeniedException worded as AWS words it.
//
// Condition blocks are evaluated with the operators the template uses — StringEquals, StringLike, ArnEquals, ArnLike
// (and their Not… forms) — against the request context the emulator supplies (`ecs:cluster`, `ecs:CreateAction`,
// `iam:PassedToService`): a key the request does not carry does not match, as in IAM ("IAM JSON policy elements:
// Condition operators"); any other operator denies, so a policy the harness cannot evaluate fails loudly.
//
// Not evaluated: Deny statements and permission boundaries (the template has none), managed policies (the functions' roles have none; a role that has one is reported by `unevaluated`),
// resource-based policies (Lambda permissions for API Gateway and EventBridge), and callers the harness did not
// issue credentials for (the tests' own clients act as an administrator).
import { AwsError } from './aws-wire.ts';

export interface PolicyStatement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The request context keys of one request (`ecs:cluster`, `iam:PassedToService`, …). */
export type RequestContext = Record<string, string>;

export interface Principal {
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as AWS names the caller in a denial. */
  arn: string;
  statements: PolicyStatement[];
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

const wildcard = (pattern: string, caseInsensitive: boolean): RegExp =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    caseInsensitive ? 'i' : '',
  );

function conditionsMet(s: PolicyStatement, context: RequestContext): boolean {
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    const negated = operator.includes('Not');
    const base = operator.replace('Not', '');
    const like = base === 'StringLike' || base === 'ArnLike';
    if (!['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'].includes(base)) return false;
    for (const [key, expected] of Object.entries(keys)) {
      // Condition keys are case-insensitive; an absent key matches nothing (and so satisfies only a Not… operator).
      const entry = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase());
      const matches =
        entry !== undefined &&
        list(expected).some((e) =>
          like || base === 'ArnEquals' ? wildcard(e, false).test(entry[1]) : e === entry[1],
        );
      if (matches === negated) return false;
    }
  }
  return true;
}

/** Action names are case-insensitive, resources case-sensitive. */
export function statementAllows(
  s: PolicyStatement,
  action: string,
  resource: string,
  context: RequestContext = {},
): boolean {
  if (s.Effect !== 'Allow') return false;
  const actionOk =
    s.Action !== undefined
      ? list(s.Action).some((a) => wildcard(a, true).test(action))
      : !list(s.NotAction).some((a) => wildcard(a, true).test(action));
  const resourceOk =
    s.Resource !== undefined
      ? list(s.Resource).some((r) => wildcard(r, false).test(resource))
      : !list(s.NotResource).some((r) => wildcard(r, false).test(resource));
  return actionOk && resourceOk && conditionsMet(s, context);
}

export class IamAuthorizer {
  readonly #principals = new Map<string, Principal>();

  /** The credentials (access key id) a principal signs with. */
  addPrincipal(accessKeyId: string, principal: Principal): void {
    this.#principals.set(accessKeyId, principal);
  }

  /** The ARN of the principal an access key belongs to (undefined: a key the authorizer does not know). */
  principalArn(accessKeyId: string | undefined): string | undefined {
    return accessKeyId === undefined ? undefined : this.#principals.get(accessKeyId)?.arn;
  }

  /**
   * Throws AccessDeniedException unless the principal of `accessKeyId` may perform `action` on `resource`. A caller
   * the authorizer does not know (no access key, or one it did not issue) is allowed: those are the tests' clients.
   */
  authorize(
    accessKeyId: string | undefined,
    action: string,
    resource: string,
    status = 400,
    context: RequestContext = {},
  ): void {
    const principal = accessKeyId === undefined ? undefined : this.#principals.get(accessKeyId);
    if (!principal) return;
    if (principal.statements.some((s) => statementAllows(s, action, resource, context))) return;
    throw new AwsError(
      'AccessDeniedException',
      `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
      status,
    );
  }
}
