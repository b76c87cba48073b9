/**
 * Identity-policy evaluation for the twin (docs/aws-behaviour.md §9). Supports Allow/Deny statements with
 * Action/NotAction and Resource/NotResource (wildcards `*` and `?`, case-insensitive actions,
 * case-sensitive resources) and the condition operators StringEquals, StringNotEquals,
 * StringLike, StringNotLike, Bool (with ...IfExists). An explicit Deny wins; otherwise any Allow
 * allows; otherwise the call is implicitly denied.
 *
 * Deliberately not modelled: resource-based policies, permission boundaries, SCPs, session
 * policies, other condition operators (a policy using one fails loudly at registration).
 */
import { awsError, type ServiceKey } from './errors.js';

export const ACCOUNT_ID = '123456789012';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | boolean | readonly (string | boolean)[]>>;
}
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** An IAM identity: the ARN that appears in denial messages and its identity policies. */
export interface Principal {
  /** e.g. arn:aws:sts::123456789012:assumed-role/failover-promote/promote-standby */
  readonly arn: string;
  readonly policies: readonly PolicyDocument[];
}

/** What a command needs: one action on one or more resources, with request condition keys. */
export interface Authorization {
  readonly action: string;
  readonly resources: readonly string[];
  readonly context?: Record<string, string | boolean | undefined>;
}

const SUPPORTED_OPERATORS = new Set(['StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike', 'Bool', 'StringEqualsIgnoreCase', 'ArnLike', 'ArnEquals']);

const arr = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/** Compiled globs (policies are checked on every call; compiling each time dominated a drill's IAM cost). */
const globCache = new Map<string, RegExp>();

/** IAM glob: `*` any run of characters, `?` one character. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let compiled = globCache.get(key);
  if (!compiled) {
    let re = '^';
    for (const ch of pattern) {
      if (ch === '*') re += '.*';
      else if (ch === '?') re += '.';
      else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    compiled = new RegExp(`${re}$`, ignoreCase ? 'is' : 's');
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(key, compiled);
  }
  return compiled.test(value);
}

/** Validates a policy up front: unknown condition operators are an error, not a silent allow. */
export function validatePolicy(doc: PolicyDocument): void {
  for (const st of arr(doc.Statement)) {
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw new Error(`IAM policy: Effect must be Allow or Deny, got ${String(st.Effect)}`);
    if (!st.Action && !st.NotAction) throw new Error('IAM policy: a statement needs Action or NotAction');
    if (!st.Resource && !st.NotResource) throw new Error('IAM policy: a statement needs Resource or NotResource');
    for (const op of Object.keys(st.Condition ?? {})) {
      const base = op.replace(/IfExists$/, '');
      if (!SUPPORTED_OPERATORS.has(base)) throw new Error(`IAM policy: condition operator ${op} is not modelled by the twin`);
    }
  }
}

function conditionHolds(cond: PolicyStatement['Condition'], ctx: Record<string, string | boolean | undefined>): boolean {
  if (!cond) return true;
  for (const [opRaw, entries] of Object.entries(cond)) {
    const ifExists = opRaw.endsWith('IfExists');
    const op = opRaw.replace(/IfExists$/, '');
    for (const [key, expectedRaw] of Object.entries(entries)) {
      const actual = ctx[key] ?? ctx[Object.keys(ctx).find((k) => k.toLowerCase() === key.toLowerCase()) ?? ''];
      const expected = arr(expectedRaw).map(String);
      if (actual === undefined) {
        if (ifExists) continue;
        if (op.startsWith('StringNot')) continue; // negated operators match a missing key
        return false;
      }
      const a = String(actual);
      let ok: boolean;
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
        case 'Bool':
          ok = expected.includes(a);
          break;
        case 'StringEqualsIgnoreCase':
          ok = expected.some((e) => e.toLowerCase() === a.toLowerCase());
          break;
        case 'StringNotEquals':
          ok = !expected.includes(a);
          break;
        case 'StringLike':
        case 'ArnLike':
          ok = expected.some((e) => globMatch(e, a));
          break;
        case 'StringNotLike':
          ok = !expected.some((e) => globMatch(e, a));
          break;
        default:
          ok = false;
      }
      if (!ok) return false;
    }
  }
  return true;
}

function statementApplies(st: PolicyStatement, action: string, resource: string, ctx: Record<string, string | boolean | undefined>): boolean {
  const actionMatch = st.Action
    ? arr(st.Action).some((p) => globMatch(p, action, true))
    : !arr(st.NotAction).some((p) => globMatch(p, action, true));
  if (!actionMatch) return false;
  const resMatch = st.Resource
    ? arr(st.Resource).some((p) => globMatch(p, resource))
    : !arr(st.NotResource).some((p) => globMatch(p, resource));
  if (!resMatch) return false;
  return conditionHolds(st.Condition, ctx);
}

export type Decision = { allowed: true } | { allowed: false; explicit: boolean; resource: string };

/** Evaluates the principal's identity policies for every resource the command touches. */
export function evaluate(principal: Principal, auth: Authorization): Decision {
  const ctx = { 'aws:PrincipalArn': principal.arn, ...(auth.context ?? {}) };
  for (const resource of auth.resources) {
    let allowed = false;
    for (const doc of principal.policies) {
      for (const st of arr(doc.Statement)) {
        if (!statementApplies(st, auth.action, resource, ctx)) continue;
        if (st.Effect === 'Deny') return { allowed: false, explicit: true, resource };
        allowed = true;
      }
    }
    if (!allowed) return { allowed: false, explicit: false, resource };
  }
  return { allowed: true };
}

/** The access-denied error code of each service (docs/aws-behaviour.md §9). */
const DENIED: Record<ServiceKey, { name: string; status: number }> = {
  rds: { name: 'AccessDenied', status: 403 },
  route53: { name: 'AccessDenied', status: 403 },
  cloudwatch: { name: 'AccessDenied', status: 403 },
  cloudformation: { name: 'AccessDenied', status: 403 },
  dynamodb: { name: 'AccessDeniedException', status: 400 },
  sfn: { name: 'AccessDeniedException', status: 400 },
  events: { name: 'AccessDeniedException', status: 400 },
  lambda: { name: 'AccessDeniedException', status: 403 },
  secretsmanager: { name: 'AccessDeniedException', status: 400 },
  sns: { name: 'AuthorizationError', status: 403 },
  ec2: { name: 'UnauthorizedOperation', status: 403 },
};

/** The denial message AWS returns (IAM user guide, troubleshoot_access-denied). */
export function deniedMessage(principalArn: string, action: string, resource: string, explicit: boolean): string {
  return explicit
    ? `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in an identity-based policy`
    : `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
}

/** Throws the service's access-denied error when the principal may not make the call. */
export function authorize(service: ServiceKey, principal: Principal, auth: Authorization): void {
  const d = evaluate(principal, auth);
  if (d.allowed) return;
  const { name, status } = DENIED[service];
  const message = service === 'ec2' ? 'You are not authorized to perform this operation.' : deniedMessage(principal.arn, auth.action, d.resource, d.explicit);
  throw awsError(service, name, message, { status });
}

/** The role name of an IAM role ARN (`arn:aws:iam::<a>:role/<path/>name`), or undefined for anything else. */
export function roleNameOfArn(roleArn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(roleArn);
  return m?.[1];
}

/** Roles known to the twin: name -> identity policies. */
export class IamRegistry {
  private readonly roles = new Map<string, PolicyDocument[]>();

  /** Registers (or replaces) a role's identity policies. */
  putRole(roleName: string, policies: readonly PolicyDocument[]): void {
    policies.forEach(validatePolicy);
    this.roles.set(roleName, [...policies]);
  }

  /** Whether a role of that name is registered. */
  hasRole(roleName: string): boolean {
    return this.roles.has(roleName);
  }

  /** The principal of a session of that role: arn:aws:sts::<acct>:assumed-role/<role>/<session>. */
  assumeRole(roleName: string, sessionName: string = roleName): Principal {
    const policies = this.roles.get(roleName);
    if (!policies) throw new Error(`IAM: role ${roleName} is not registered in the twin`);
    return { arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleName}/${sessionName}`, policies };
  }
}
