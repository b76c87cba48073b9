/**
 * Fencing decisions: what an instance status means for open sessions, how revoked rules and
 * isolated instances are merged into the fence record, how an error is recorded, and when the
 * fence counts as confirmed.
 *
 * A fence is confirmed only when both halves hold: new connections are refused (isolate/stop: only
 * the deny-all isolation group is active on the instance; revoke-ingress: every configured group
 * has no ingress left) AND open sessions are gone (the instance was rebooted, stopped or is down).
 * Security groups are stateful, so changing them alone leaves tracked sessions writing
 * (docs/aws-behaviour.md).
 */
import { awsErrorName, isThrottling, isUnreachable, type AwsErrorLike } from '../shared/aws-errors.js';
import type { FenceMethod } from '../shared/config-schema.js';
import type { FenceOutput } from '../shared/contracts.js';

export type FenceAction = FenceOutput['actions'][number];
export type RevokedRules = FenceOutput['revoked'][number];

/** Instance states in which no client session can be open: nothing to cut. */
const DOWN_STATUSES = new Set(['failed', 'stopped', 'stopping', 'rebooting', 'storage-full', 'deleting', 'restore-error']);
const DOWN_PREFIXES = ['incompatible-', 'inaccessible-'];

export type SessionPlan = 'reboot' | 'down' | 'busy';

/**
 * What to do about open sessions on an instance in `status`: `reboot` it (available), nothing
 * (`down`: no session can be open), or nothing possible now (`busy`: mid-change, sessions may
 * remain, the fence is not confirmed). fenceMethod `stop` stops the instance instead where RDS
 * allows it (never a replica or an instance with replicas).
 */
export function sessionPlan(status: string): SessionPlan {
  if (status === 'available') return 'reboot';
  if (DOWN_STATUSES.has(status) || DOWN_PREFIXES.some((p) => status.startsWith(p))) return 'down';
  return 'busy';
}

/** How an AWS error is recorded in a fence action. Throttling is the only error the function throws. */
export type FenceErrorKind = 'throttled' | 'unreachable' | 'denied' | 'rejected';

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthFailure', 'UnrecognizedClientException']);

export function classifyFenceError(err: unknown): FenceErrorKind {
  if (isThrottling(err)) return 'throttled';
  if (isUnreachable(err)) return 'unreachable';
  if (DENIED.has(awsErrorName(err))) return 'denied';
  return 'rejected';
}

const KIND_TEXT: Record<Exclude<FenceErrorKind, 'throttled'>, string> = {
  unreachable: 'the primary Region did not answer',
  denied: 'access denied',
  rejected: 'the call failed',
};

/** A `failed` action for an error that is not throttling. */
export function failedAction(action: string, operation: string, err: unknown): FenceAction {
  const kind = classifyFenceError(err);
  const text = kind === 'throttled' ? 'throttled' : KIND_TEXT[kind];
  return { action, result: 'failed', detail: `${operation}: ${text} (${awsErrorName(err)}: ${(err as AwsErrorLike)?.message ?? String(err)})` };
}

/** JSON with sorted keys, so equal rules compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Adds the rules about to be revoked from `groupId` to the saved ones (no duplicates), so a
 * re-run that finds fewer (or no) rules never loses what an earlier run revoked.
 */
export function mergeRevoked(saved: readonly RevokedRules[], groupId: string, permissions: readonly unknown[]): { revoked: RevokedRules[]; changed: boolean } {
  const revoked = saved.map((r) => ({ groupId: r.groupId, permissions: [...r.permissions] }));
  let entry = revoked.find((r) => r.groupId === groupId);
  if (!entry) {
    entry = { groupId, permissions: [] };
    revoked.push(entry);
  }
  const known = new Set(entry.permissions.map(stableJson));
  let changed = false;
  for (const p of permissions) {
    const key = stableJson(p);
    if (!known.has(key)) {
      known.add(key);
      entry.permissions.push(p);
      changed = true;
    }
  }
  return { revoked, changed };
}

/** One ingress rule as DescribeSecurityGroupRules returns it (one source per rule). */
export interface SecurityGroupRuleLike {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupInfo?: { GroupId?: string; UserId?: string };
  Description?: string;
}

/**
 * The IpPermission of one rule, in the shape DescribeSecurityGroups gives (all traffic, `-1`,
 * without ports), which is what the fence record keeps and restore-ingress authorizes again.
 */
export function permissionOfRule(rule: SecurityGroupRuleLike): Record<string, unknown> {
  const protocol = rule.IpProtocol ?? '-1';
  const base = protocol === '-1' ? { IpProtocol: '-1' } : { IpProtocol: protocol, FromPort: rule.FromPort, ToPort: rule.ToPort };
  const d = rule.Description ? { Description: rule.Description } : {};
  if (rule.CidrIpv4) return { ...base, IpRanges: [{ CidrIp: rule.CidrIpv4, ...d }] };
  if (rule.CidrIpv6) return { ...base, Ipv6Ranges: [{ CidrIpv6: rule.CidrIpv6, ...d }] };
  if (rule.PrefixListId) return { ...base, PrefixListIds: [{ PrefixListId: rule.PrefixListId, ...d }] };
  const g = rule.ReferencedGroupInfo;
  return { ...base, UserIdGroupPairs: [{ GroupId: g?.GroupId, ...(g?.UserId ? { UserId: g.UserId } : {}), ...d }] };
}

const HOLDS = new Set<FenceAction['result']>(['done', 'already-done']);

/** Confirmed: at least one security group, all of them closed, and open sessions cut. */
export function fenceConfirmed(ingress: readonly FenceAction[], sessions: FenceAction): boolean {
  return ingress.length > 0 && ingress.every((a) => HOLDS.has(a.result)) && HOLDS.has(sessions.result);
}

// ---------------------------------------------------------------- isolation (fenceMethod isolate | stop)

export { ISOLATION_GROUP_NAME, ISOLATION_TAG } from '../shared/names.js';

/** One instance isolated by a fence: its original groups, kept so the failback can restore them. */
export interface IsolationRecord {
  region: string;
  instanceId: string;
  vpcId: string;
  isolationGroupId: string;
  originalGroupIds: string[];
}

export interface VpcGroup {
  id: string;
  status: string;
}

/**
 * What the isolation needs now, from the instance's VPC security groups as DescribeDBInstances
 * shows them:
 *  - `isolated`: only the isolation group, `active` (the fence holds for new connections);
 *  - `applying`: the swap was asked for and is still being applied (groups adding/removing);
 *  - `swap`: call ModifyDBInstance now (the instance can be modified);
 *  - `down`: the instance cannot be modified now and takes no connection (failed, stopped, ...);
 *  - `busy`: it cannot be modified now (mid-change): try again later.
 */
export type IsolationPlan = 'isolated' | 'applying' | 'swap' | 'down' | 'busy';

/** Statuses in which RDS refuses changes and the database takes no connection. */
const UNMODIFIABLE_DOWN = new Set(['failed', 'stopped', 'stopping', 'deleting', 'restore-error']);
const MODIFIABLE = new Set(['available', 'storage-optimization']);

export function isolationPlan(status: string, groups: readonly VpcGroup[], isolationGroupId: string | undefined): IsolationPlan {
  const hasIsolation = isolationGroupId !== undefined && groups.some((g) => g.id === isolationGroupId);
  if (hasIsolation && groups.length === 1 && groups[0]!.status === 'active') return 'isolated';
  const onlyIsolationWanted = hasIsolation && groups.every((g) => g.id === isolationGroupId || g.status === 'removing');
  if (onlyIsolationWanted) return 'applying';
  if (MODIFIABLE.has(status)) return 'swap';
  if (UNMODIFIABLE_DOWN.has(status) || DOWN_PREFIXES.some((p) => status.startsWith(p))) return 'down';
  return 'busy';
}

/**
 * The groups to restore: those recorded by an earlier run of this incident (a re-run sees the
 * isolation group and must not record it as original), else the instance's groups now.
 */
export function originalGroups(saved: IsolationRecord | undefined, groups: readonly VpcGroup[], isolationGroupId: string | undefined): string[] {
  if (saved && saved.originalGroupIds.length > 0) return [...saved.originalGroupIds];
  return groups.filter((g) => g.id !== isolationGroupId && g.status !== 'adding').map((g) => g.id);
}

/** Adds or keeps the isolation record of one instance (the first originals recorded win). */
export function mergeIsolated(saved: readonly IsolationRecord[], entry: IsolationRecord): { isolated: IsolationRecord[]; changed: boolean } {
  const isolated = saved.map((r) => ({ ...r, originalGroupIds: [...r.originalGroupIds] }));
  const i = isolated.findIndex((r) => r.region === entry.region && r.instanceId === entry.instanceId);
  if (i < 0) return { isolated: [...isolated, entry], changed: true };
  const old = isolated[i]!;
  const merged: IsolationRecord = {
    ...old,
    vpcId: entry.vpcId,
    isolationGroupId: entry.isolationGroupId,
    originalGroupIds: old.originalGroupIds.length > 0 ? old.originalGroupIds : entry.originalGroupIds,
  };
  const changed = stableJson(merged) !== stableJson(old);
  isolated[i] = merged;
  return { isolated, changed };
}

/** The saved isolation record of an instance, if any. */
export const isolationOf = (saved: readonly IsolationRecord[], region: string, instanceId: string): IsolationRecord | undefined =>
  saved.find((r) => r.region === region && r.instanceId === instanceId);

/**
 * Confirmed (isolate/stop): the isolation observed (only the isolation group, active) and open
 * sessions cut; or the instance down in a state where RDS takes no connection and refuses every
 * change (the isolation is applied when it answers again: the failback fences the original site
 * before anything else).
 */
/**
 * A confirmed isolation that holds only while the instance stays down (plan `down`: RDS refuses to
 * change a failed or stopped instance): if it recovers it comes back with its own groups, so the
 * failover fences it again as soon as it answers.
 */
export const isolationDeferred = (confirmed: boolean, plan: IsolationPlan): boolean => confirmed && plan === 'down';

export function isolationConfirmed(isolation: FenceAction, sessions: FenceAction, plan: IsolationPlan): boolean {
  if (plan === 'down') return HOLDS.has(sessions.result);
  return HOLDS.has(isolation.result) && HOLDS.has(sessions.result);
}

// ---------------------------------------------------------------- the decision

/** How a site is fenced: Aurora clusters always by revoking ingress; instances by `failover.fenceMethod` (default isolate). */
export const fenceMethodOf = (aurora: boolean, configured: FenceMethod | undefined): FenceMethod => (aurora ? 'revoke-ingress' : (configured ?? 'isolate'));

/** What the fence record holds after this call (revoked rules and isolated instances, all calls together). */
export interface FenceRecord {
  revoked: RevokedRules[];
  isolated: IsolationRecord[];
}

/** What the fence did: revoke-ingress (`ingress` per group, then the sessions), or isolate/stop (the isolation, then the sessions). */
export type FenceActs =
  | { method: 'revoke-ingress'; ingress: FenceAction[]; sessions: FenceAction; instanceStatus: string | null }
  | { method: 'isolate' | 'stop'; isolation: FenceAction; sessions: FenceAction; plan: IsolationPlan; instanceStatus: string | null };

/**
 * The fence's outcome: confirmed when new connections are refused and live sessions cut
 * ({@link fenceConfirmed}, {@link isolationConfirmed}); deferred when that holds only while the
 * instance stays down ({@link isolationDeferred}).
 */
export function fenceOutcome(acts: FenceActs, record: FenceRecord): FenceOutput {
  if (acts.method === 'revoke-ingress') {
    return {
      confirmed: fenceConfirmed(acts.ingress, acts.sessions),
      deferred: false,
      actions: [...acts.ingress, acts.sessions],
      ...record,
      instanceStatus: acts.instanceStatus,
    };
  }
  const confirmed = isolationConfirmed(acts.isolation, acts.sessions, acts.plan);
  return {
    confirmed,
    deferred: isolationDeferred(confirmed, acts.plan),
    actions: [acts.isolation, acts.sessions],
    ...record,
    instanceStatus: acts.instanceStatus,
  };
}
