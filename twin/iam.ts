/**
 * Identity-policy evaluation for the twin (docs/aws-behaviour.md §9). Supports Allow/Deny statements with
 * Action/NotAction and Resource/NotResource (wildcards `*` and `?`, case-insensitive actions,
 * case-sensitive resources) and the condition operators StringEquals, StringNotEquals,
 * StringLike, StringNotLike, StringEqualsIgnoreCase, ArnEquals, ArnLike, Bool (with ...IfExists),
 * each also with the set qualifiers `ForAllValues:` and `ForAnyValue:` for multivalued request keys
 * (`dynamodb:LeadingKeys`, `route53:ChangeResourceRecordSetsNormalizedRecordNames`, ...). An
 * explicit Deny wins; otherwise any Allow allows; otherwise the call is implicitly denied.
 *
 * Set qualifiers, as IAM evaluates them (docs/aws-behaviour.md "IAM condition keys of the narrowed
 * policies"): `ForAllValues:` holds when every value of the request's key matches one of the
 * policy's values, and also when the key is missing or empty; `ForAnyValue:` holds when at least one
 * value matches, never when the key is missing. A multivalued key under a single-valued operator
 * never matches in the twin (IAM asks for a set qualifier there).
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
  /** Request (and resource) condition keys; an array is a multivalued key. */
  readonly context?: Record<string, ContextValue>;
}

/** A condition key's value in the request: single-valued, or multivalued (an array). */
export type ContextValue = string | boolean | readonly string[] | undefined;

const SUPPORTED_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
  'Bool',
  'StringEqualsIgnoreCase',
  'ArnLike',
  'ArnEquals',
]);

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
      const base = op.replace(/^(ForAllValues|ForAnyValue):/, '').replace(/IfExists$/, '');
      if (!SUPPORTED_OPERATORS.has(base)) throw new Error(`IAM policy: condition operator ${op} is not modelled by the twin`);
    }
  }
}

/** Does one request value match the operator against the policy's values? */
function matches(op: string, a: string, expected: readonly string[]): boolean {
  switch (op) {
    case 'StringEquals':
    case 'ArnEquals':
    case 'Bool':
      return expected.includes(a);
    case 'StringEqualsIgnoreCase':
      return expected.some((e) => e.toLowerCase() === a.toLowerCase());
    case 'StringNotEquals':
      return !expected.includes(a);
    case 'StringLike':
    case 'ArnLike':
      return expected.some((e) => globMatch(e, a));
    case 'StringNotLike':
      return !expected.some((e) => globMatch(e, a));
    default:
      return false;
  }
}

function conditionHolds(cond: PolicyStatement['Condition'], ctx: Record<string, ContextValue>): boolean {
  if (!cond) return true;
  for (const [opRaw, entries] of Object.entries(cond)) {
    const qualifier = /^(ForAllValues|ForAnyValue):/.exec(opRaw)?.[1];
    const unqualified = qualifier ? opRaw.slice(qualifier.length + 1) : opRaw;
    const ifExists = unqualified.endsWith('IfExists');
    const op = unqualified.replace(/IfExists$/, '');
    for (const [key, expectedRaw] of Object.entries(entries)) {
      const actual = ctx[key] ?? ctx[Object.keys(ctx).find((k) => k.toLowerCase() === key.toLowerCase()) ?? ''];
      const expected = arr(expectedRaw).map(String);
      const values = actual === undefined ? [] : Array.isArray(actual) ? (actual as readonly string[]).map(String) : [String(actual)];
      if (qualifier === 'ForAllValues') {
        // Every value of the request must match; a missing or empty key matches (IAM's own rule).
        if (!values.every((v) => matches(op, v, expected))) return false;
        continue;
      }
      if (qualifier === 'ForAnyValue') {
        if (!values.some((v) => matches(op, v, expected))) return false;
        continue;
      }
      if (actual === undefined) {
        if (ifExists) continue;
        if (op.startsWith('StringNot')) continue; // negated operators match a missing key
        return false;
      }
      if (Array.isArray(actual)) return false; // a multivalued key needs a set qualifier
      if (!matches(op, String(actual), expected)) return false;
    }
  }
  return true;
}

function statementApplies(st: PolicyStatement, action: string, resource: string, ctx: Record<string, ContextValue>): boolean {
  const actionMatch = st.Action ? arr(st.Action).some((p) => globMatch(p, action, true)) : !arr(st.NotAction).some((p) => globMatch(p, action, true));
  if (!actionMatch) return false;
  const resMatch = st.Resource ? arr(st.Resource).some((p) => globMatch(p, resource)) : !arr(st.NotResource).some((p) => globMatch(p, resource));
  if (!resMatch) return false;
  return conditionHolds(st.Condition, ctx);
}

export type Decision = { allowed: true } | { allowed: false; explicit: boolean; resource: string };

/** Evaluates the principal's identity policies for every resource the command touches. */
export function evaluate(principal: Principal, auth: Authorization): Decision {
  const ctx: Record<string, ContextValue> = { 'aws:PrincipalArn': principal.arn, ...(auth.context ?? {}) };
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
  fis: { name: 'AccessDeniedException', status: 403 },
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
