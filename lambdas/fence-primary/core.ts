/**
 * Fencing decisions, from the facts the handler reads (plain data) to what it sends next or
 * returns: what an instance status means for open sessions and whose sessions are cut, which
 * ingress rules are revoked and when a group counts as closed, where the isolation group comes from
 * and what comes after the swap, which originals the fence record must keep before a change (the
 * record itself: lambdas/shared/fence-record.ts), whether an error is recorded or retried, and when
 * the fence counts as confirmed. The
 * handler only carries these out (decide, then settle).
 *
 * A fence is confirmed only when both halves hold: new connections are refused (isolate/stop: only
 * the deny-all isolation group is active on the instance; revoke-ingress: every configured group
 * has no ingress left) AND open sessions are gone (the instance was rebooted, stopped or is down).
 * Security groups are stateful, so changing them alone leaves tracked sessions writing
 * (docs/aws-behaviour.md).
 */
import { awsErrorName, isThrottling, isTransient, isUnreachable, type AwsErrorLike } from '../shared/aws-errors.js';
import type { FenceMethod } from '../shared/config-schema.js';
import type { FenceOutput } from '../shared/contracts.js';
import {
  firstPermissions,
  firstRevoked,
  mergeIsolated,
  mergeRevoked,
  type FenceRecord,
  type IsolationRecord,
  type RevokedRules,
} from '../shared/fence-record.js';

export type FenceAction = FenceOutput['actions'][number];
export { mergeIsolated, mergeRevoked, stableJson, type FenceRecord, type IsolationRecord, type RevokedRules } from '../shared/fence-record.js';

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

/**
 * What becomes of an AWS error: recorded as a `failed` action, or retried by the workflow (thrown
 * as TransientAwsError) when the call may succeed if tried again: throttling, or a 5xx from a
 * Region that answers. A Region that does not answer (timeouts, refused connections) is recorded:
 * the fence may be deferred or retried by its loop, not by retries that would hold the run.
 */
export type FenceErrorDecision = { kind: 'record'; action: FenceAction } | { kind: 'retry'; message: string; awsError: string };

export function fenceErrorDecision(err: unknown, action: string, operation: string): FenceErrorDecision {
  const awsError = awsErrorName(err);
  if (classifyFenceError(err) === 'throttled') return { kind: 'retry', message: `${operation} was throttled: ${awsError}`, awsError };
  if (isTransient(err) && !isUnreachable(err)) return { kind: 'retry', message: `${operation} failed with a server error: ${awsError}`, awsError };
  return { kind: 'record', action: failedAction(action, operation, err) };
}

const INVALID_STATE = new Set(['InvalidDBInstanceState', 'InvalidDBInstanceStateFault']);

/** RDS refused a change for the instance's state now (InvalidDBInstanceState): look again and decide from what is there. */
export const refusedForState = (err: unknown): boolean => INVALID_STATE.has(awsErrorName(err));

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

// ---------------------------------------------------------------- revoke-ingress

/** No security group configured: the fence blocks no new connection (recorded, never confirmed). */
export const unconfiguredIngress = (groupIds: readonly string[]): FenceAction[] =>
  groupIds.length > 0
    ? []
    : [{ action: 'revoke-ingress', result: 'skipped', detail: 'no securityGroupIds configured for the primary: new connections are not blocked' }];

/** One rule as DescribeSecurityGroupRules lists it: its group, direction and id, and its source. */
export interface ListedRule extends SecurityGroupRuleLike {
  GroupId?: string;
  IsEgress?: boolean;
  SecurityGroupRuleId?: string;
}

/** The ingress rules of `groupId` among those listed (egress rules, other groups' and rules without an id left out). */
export const ingressRulesOf = <R extends ListedRule>(groupId: string, listed: readonly R[]): R[] =>
  listed.filter((r) => r.GroupId === groupId && !r.IsEgress && r.SecurityGroupRuleId);

/**
 * Revokes per group before giving up: each names the rules seen just before by id; one that was
 * changed meanwhile makes EC2 refuse the whole request, so the group is described again.
 */
export const REVOKE_ROUNDS = 3;

/** How far the closing of one group got: the revokes asked for, the rules revoked, and EC2's refusals (each revoked nothing). */
export interface Closing {
  groupId: string;
  action: string;
  round: number;
  revoked: number;
  refusals: string[];
}

export const closingStarted = (groupId: string): Closing => ({ groupId, action: `revoke-ingress ${groupId}`, round: 0, revoked: 0, refusals: [] });

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * What the ingress rules listed now mean for a group being closed: none left (closed: `already-done`
 * when there were none to begin with), still some after every revoke (`failed`), else revoke them
 * by id, or, when some of them are not in the fence record `saved` yet, keep those first (`record`:
 * the group and its rules not saved yet, at most {@link firstPermissions}' share; rules are kept
 * BEFORE they are revoked, and nothing is revoked until all of them are).
 */
export type CloseStep = { kind: 'settled'; action: FenceAction } | { kind: 'revoke'; ruleIds: string[] } | { kind: 'record'; record: RevokedRules };

export function closeStep(closing: Closing, rules: readonly ListedRule[], saved: readonly RevokedRules[]): CloseStep {
  const { action, round, refusals } = closing;
  if (rules.length === 0) {
    if (round === 0) return { kind: 'settled', action: { action, result: 'already-done', detail: 'no ingress rules left' } };
    const after = refusals.length ? ` (after ${refusals.join('; ')})` : '';
    return { kind: 'settled', action: { action, result: 'done', detail: `revoked ${plural(closing.revoked, 'ingress rule')}; no ingress rule left${after}` } };
  }
  if (round === REVOKE_ROUNDS) {
    const ids = rules.map((r) => r.SecurityGroupRuleId).join(', ');
    const why = refusals.length ? `: ${refusals.join('; ')}` : '';
    const detail = `${plural(rules.length, 'ingress rule')} still on the group after ${plural(REVOKE_ROUNDS, 'revoke')} (${ids})${why}`;
    return { kind: 'settled', action: { action, result: 'failed', detail } };
  }
  const merged = mergeRevoked(saved, closing.groupId, rules.map(permissionOfRule));
  if (merged.changed) return { kind: 'record', record: { groupId: closing.groupId, permissions: firstPermissions(merged.added) } };
  return { kind: 'revoke', ruleIds: rules.map((r) => r.SecurityGroupRuleId!) };
}

/**
 * The rules of every group, listed before any is revoked, that the fence record `saved` does not
 * hold yet: kept in one round for all the groups (at most {@link firstRevoked}'s share), so a
 * fence of several groups asks once, not once per group. Empty: every rule is kept.
 */
export function unsavedIngress(saved: readonly RevokedRules[], listed: ReadonlyArray<{ groupId: string; rules: readonly ListedRule[] }>): RevokedRules[] {
  const parts = listed.map(({ groupId, rules }) => ({ groupId, permissions: mergeRevoked(saved, groupId, rules.map(permissionOfRule)).added }));
  return firstRevoked(parts.filter((p) => p.permissions.length > 0));
}

/** EC2 answered a revoke of `asked` rules: `Return: false` revoked nothing; else the rules it lists (all asked, when it lists none). */
export function revokeAnswered(closing: Closing, asked: number, answer: { Return?: boolean; RevokedSecurityGroupRules?: readonly unknown[] }): Closing {
  const next = { ...closing, round: closing.round + 1 };
  if (answer.Return === false) return { ...next, refusals: [...closing.refusals, 'RevokeSecurityGroupIngress returned false'] };
  return { ...next, revoked: closing.revoked + (answer.RevokedSecurityGroupRules?.length ?? asked) };
}

/** EC2's answers to a revoke naming a rule that is not (or no longer) there: NO rule of the request was revoked. */
const REVOKE_NOT_FOUND = new Set(['InvalidPermission.NotFound', 'InvalidSecurityGroupRuleId.NotFound']);

/**
 * EC2 refused a revoke. Not found: the request named a rule that changed meanwhile and revoked
 * nothing: the group is looked at again. Any other error is the caller's to record or retry (undefined).
 */
export function revokeRefused(closing: Closing, err: unknown): Closing | undefined {
  const name = awsErrorName(err);
  if (!REVOKE_NOT_FOUND.has(name)) return undefined;
  return { ...closing, round: closing.round + 1, refusals: [...closing.refusals, `RevokeSecurityGroupIngress refused: ${name}, nothing revoked`] };
}

// ---------------------------------------------------------------- open sessions

/** What was done about open sessions, and the instance (or cluster) status it leaves. */
export interface SessionsCut {
  action: FenceAction;
  instanceStatus: string | null;
}

/** The members of a cluster as DescribeDBClusters gives them. */
export interface ClusterFacts {
  Status?: string;
  DBClusterMembers?: { DBInstanceIdentifier?: string; IsClusterWriter?: boolean }[];
}

/**
 * Whose sessions are cut: the site's instance; for Aurora the writer of its cluster, once the
 * cluster is described. Nothing configured to cut: failed.
 */
export type SessionsTarget = InstanceToCut | { kind: 'cluster'; clusterId: string } | SessionsSettled;
export type InstanceToCut = { kind: 'instance'; instanceId: string };
export type SessionsSettled = { kind: 'settled'; cut: SessionsCut };

const unconfigured = (what: string): SessionsSettled => ({
  kind: 'settled',
  cut: { action: { action: 'reboot', result: 'failed', detail: `no ${what} configured for the primary` }, instanceStatus: null },
});

export function sessionsTarget(aurora: boolean, site: { instanceId?: string; clusterId?: string }): SessionsTarget {
  if (aurora) return site.clusterId ? { kind: 'cluster', clusterId: site.clusterId } : unconfigured('clusterId');
  return site.instanceId ? { kind: 'instance', instanceId: site.instanceId } : unconfigured('instanceId');
}

/** The writer instance of a cluster; a cluster without one has no write sessions (nothing to cut). */
export function clusterWriter(clusterId: string, cluster: ClusterFacts | undefined): InstanceToCut | SessionsSettled {
  const writer = cluster?.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
  if (writer) return { kind: 'instance', instanceId: writer };
  const status = cluster?.Status;
  return {
    kind: 'settled',
    cut: {
      action: {
        action: `reboot ${clusterId}`,
        result: 'already-done',
        detail: `cluster ${clusterId} (${status ?? 'unknown'}) has no writer instance: no write sessions`,
      },
      instanceStatus: status ?? null,
    },
  };
}

const noOpenSessions = (instanceId: string, status: string): SessionsCut => ({
  action: { action: `reboot ${instanceId}`, result: 'already-done', detail: `instance is ${status}: no open sessions` },
  instanceStatus: status,
});

/** Reboot an available instance; one that is down has no open session; one mid-change cannot be rebooted now (failed). */
export function sessionsDecision(instanceId: string, status: string): { kind: 'reboot' } | { kind: 'settled'; cut: SessionsCut } {
  const plan = sessionPlan(status);
  if (plan === 'reboot') return { kind: 'reboot' };
  if (plan === 'down') return { kind: 'settled', cut: noOpenSessions(instanceId, status) };
  return {
    kind: 'settled',
    cut: {
      action: { action: `reboot ${instanceId}`, result: 'failed', detail: `instance is ${status}: it cannot be rebooted now, open sessions may remain` },
      instanceStatus: status,
    },
  };
}

/** Rebooted: the open sessions are dropped (the status RebootDBInstance answered, `rebooting` if none). */
export const rebooted = (instanceId: string, status: string | undefined): SessionsCut => ({
  action: { action: `reboot ${instanceId}`, result: 'done', detail: 'rebooted: open sessions dropped' },
  instanceStatus: status ?? 'rebooting',
});

/** RebootDBInstance was refused for the instance's state, and it is `status` now: down holds, anything else may keep sessions. */
export function rebootRefused(instanceId: string, status: string): SessionsCut {
  if (sessionPlan(status) === 'down') return noOpenSessions(instanceId, status);
  return {
    action: {
      action: `reboot ${instanceId}`,
      result: 'failed',
      detail: `RebootDBInstance refused (InvalidDBInstanceState) and the instance is ${status}: open sessions may remain`,
    },
    instanceStatus: status,
  };
}

const HOLDS = new Set<FenceAction['result']>(['done', 'already-done']);

/** Confirmed: at least one security group, all of them closed, and open sessions cut. */
export function fenceConfirmed(ingress: readonly FenceAction[], sessions: FenceAction): boolean {
  return ingress.length > 0 && ingress.every((a) => HOLDS.has(a.result)) && HOLDS.has(sessions.result);
}

// ---------------------------------------------------------------- isolation (fenceMethod isolate | stop)

import { ISOLATION_GROUP_NAME, ISOLATION_TAG } from '../shared/names.js';

export { ISOLATION_GROUP_NAME, ISOLATION_TAG };

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

/**
 * The isolation record to keep before the swap: the instance's entry, when a swap is asked now
 * (ModifyDBInstance replaces its groups) and the record the fence was given does not hold it as
 * is. Nothing when no swap is asked (the instance is down, busy, isolated or being isolated):
 * nothing is changed then, the entry is kept by the call that swaps.
 */
export function isolationToRecord(saved: readonly IsolationRecord[], entry: IsolationRecord, first: InstanceFacts): IsolationRecord | undefined {
  if (isolationPlanOf(first, entry.isolationGroupId) !== 'swap') return undefined;
  return mergeIsolated(saved, entry).changed ? entry : undefined;
}

/** The saved isolation record of an instance, if any. */
export const isolationOf = (saved: readonly IsolationRecord[], region: string, instanceId: string): IsolationRecord | undefined =>
  saved.find((r) => r.region === region && r.instanceId === instanceId);

/** What DescribeDBInstances shows of an instance (status undefined: not shown). */
export interface InstanceFacts {
  status?: string;
  vpcId?: string;
  groups: VpcGroup[];
}

const statusOf = (facts: InstanceFacts): string => facts.status ?? 'unknown';

/** What the isolation did, what was done about the sessions, and what the isolation needed last. */
export interface IsolationActs {
  isolation: FenceAction;
  sessions: FenceAction;
  instanceStatus: string | null;
  plan: IsolationPlan;
}

/** Not isolated (`isolation` says why): the sessions are left alone (`why`), the fence not confirmed. */
export const notIsolated = (instanceId: string | undefined, isolation: FenceAction, why: string, instanceStatus: string | null): IsolationActs => ({
  isolation,
  sessions: { action: `reboot ${instanceId ?? ''}`.trim(), result: 'skipped', detail: why },
  instanceStatus,
  plan: 'busy',
});

/** No instance configured for the site: nothing to isolate, nothing to reboot. */
export const unconfiguredIsolation = (): IsolationActs =>
  notIsolated(undefined, { action: 'isolate', result: 'failed', detail: 'no instanceId configured for the site' }, 'nothing to reboot', null);

/**
 * Where the isolation group comes from: the one an earlier run of this incident recorded, else the
 * instance's VPC (found there by name, or created); no VPC shown and none recorded: not isolated.
 */
export type IsolationGroupSource = { kind: 'recorded'; groupId: string } | { kind: 'vpc'; vpcId: string } | { kind: 'settled'; acts: IsolationActs };

export function isolationGroupSource(instanceId: string, facts: InstanceFacts, saved: IsolationRecord | undefined): IsolationGroupSource {
  if (saved?.isolationGroupId) return { kind: 'recorded', groupId: saved.isolationGroupId };
  if (facts.vpcId) return { kind: 'vpc', vpcId: facts.vpcId };
  const detail = `DescribeDBInstances shows no DBSubnetGroup.VpcId for ${instanceId}: no VPC to isolate it in`;
  return { kind: 'settled', acts: notIsolated(instanceId, { action: `isolate ${instanceId}`, result: 'failed', detail }, 'not isolated', statusOf(facts)) };
}

/** A security group as DescribeSecurityGroups gives it. */
export interface SecurityGroupFacts {
  GroupId?: string;
  IpPermissions?: readonly unknown[];
}

/**
 * The isolation group found by name in a VPC, or why it cannot be used (the error's name and
 * message): none there, or one with ingress rules (it would not isolate).
 */
export function isolationGroupVerdict(
  vpcId: string,
  group: SecurityGroupFacts | undefined,
): { groupId: string } | { refusal: { name: string; message: string } } {
  if (!group?.GroupId) return { refusal: { name: 'InvalidGroup.NotFound', message: `no group ${ISOLATION_GROUP_NAME} in ${vpcId}` } };
  const rules = group.IpPermissions?.length ?? 0;
  if (rules > 0) {
    const message = `${group.GroupId} (${ISOLATION_GROUP_NAME}) has ${rules} ingress rule(s): it would not isolate; remove them`;
    return { refusal: { name: 'IsolationGroupNotDenyAll', message } };
  }
  return { groupId: group.GroupId };
}

/** CreateSecurityGroup refused because the group exists: another run created it meanwhile (look it up again). */
export const createdMeanwhile = (err: unknown): boolean => awsErrorName(err) === 'InvalidGroup.Duplicate';

/** The isolation record of an instance: where it is, its isolation group, and the originals to restore. */
export function isolationEntry(region: string, instanceId: string, facts: InstanceFacts, saved: IsolationRecord | undefined, groupId: string): IsolationRecord {
  return {
    region,
    instanceId,
    vpcId: facts.vpcId ?? saved?.vpcId ?? '',
    isolationGroupId: groupId,
    originalGroupIds: originalGroups(saved, facts.groups, groupId),
  };
}

/** What the isolation needs from the facts described now. */
export const isolationPlanOf = (facts: InstanceFacts, groupId: string): IsolationPlan => isolationPlan(statusOf(facts), facts.groups, groupId);

/** ModifyDBInstance was refused for the instance's state: what it needs now, where a swap is still needed it is busy (not asked twice). */
export function planAfterRefusedSwap(facts: InstanceFacts, groupId: string): IsolationPlan {
  const plan = isolationPlanOf(facts, groupId);
  return plan === 'swap' ? 'busy' : plan;
}

/** The isolation as observed after the swap (or without one). */
export interface IsolationSeen {
  instanceId: string;
  groupId: string;
  entry: IsolationRecord;
  /** The instance as first described, and as described last. */
  first: InstanceFacts;
  last: InstanceFacts;
  plan: IsolationPlan;
  /** fenceMethod stop: stop the isolated instance instead of rebooting it. */
  stop: boolean;
}

/**
 * What comes after the isolation: still being applied after every poll (thrown as
 * ResourceBusyError: retried, then escalated); isolated: cut the sessions (`stop` or `cut`); down:
 * the originals recorded, the sessions looked at (`cut`); anything else: not isolated now.
 */
export type IsolationStep =
  | { kind: 'still-applying'; message: string }
  | { kind: 'settled'; acts: IsolationActs }
  | { kind: 'cut' | 'stop'; isolation: FenceAction; plan: IsolationPlan };

export function isolationStep(seen: IsolationSeen): IsolationStep {
  const { instanceId, groupId, plan } = seen;
  if (plan === 'applying') {
    const groups = seen.last.groups.map((g) => `${g.id} ${g.status}`).join(', ');
    return { kind: 'still-applying', message: `${instanceId}: the isolation group ${groupId} is still being applied (${groups})` };
  }
  const action = `isolate ${instanceId}`;
  const now = seen.last.status ?? statusOf(seen.first);
  const originals = seen.entry.originalGroupIds.join(', ') || '(none)';
  if (plan === 'down') {
    const detail = `instance is ${now}: RDS takes no connection and refuses changes; nothing changed (its groups ${originals} are kept when it is isolated), isolated in ${groupId} when it answers again`;
    return { kind: 'cut', isolation: { action, result: 'skipped', detail }, plan };
  }
  if (plan !== 'isolated') {
    const isolation: FenceAction = { action, result: 'failed', detail: `instance is ${now}: it cannot be isolated now` };
    return { kind: 'settled', acts: notIsolated(instanceId, isolation, `instance is ${now}: not isolated, sessions not cut`, now) };
  }
  const before = seen.first.groups;
  // Isolated before this call looked (an earlier attempt or run): nothing done now; its originals are in the record of the run that swapped.
  const already = before.length === 1 && before[0]!.id === groupId;
  const result = already ? 'already-done' : 'done';
  const kept =
    seen.entry.originalGroupIds.length > 0 || !already
      ? `originals ${originals} kept`
      : 'isolated before this attempt (its originals are kept by the attempt that swapped)';
  const detail = `only ${groupId} (${ISOLATION_GROUP_NAME}, no inbound rule) is active; ${kept}`;
  return { kind: seen.stop ? 'stop' : 'cut', isolation: { action, result, detail }, plan };
}

/** Stopped: the open sessions are dropped (the status StopDBInstance answered, `stopping` if none). */
export const stopped = (instanceId: string, status: string | undefined): SessionsCut => ({
  action: { action: `stop ${instanceId}`, result: 'done', detail: 'stopped: open sessions dropped; it stays isolated if it starts again' },
  instanceStatus: status ?? 'stopping',
});

/** RDS refused to stop the instance (a replica, has replicas, not available): its sessions were cut otherwise, and the refusal said. */
export const stopRefused = (cut: SessionsCut, why: string): SessionsCut => ({
  ...cut,
  action: { ...cut.action, detail: `${cut.action.detail} (StopDBInstance refused: ${why})` },
});

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
    const confirmed = fenceConfirmed(acts.ingress, acts.sessions);
    return {
      confirmed,
      deferred: false,
      cutPending: !confirmed && acts.ingress.length > 0 && acts.ingress.every((a) => HOLDS.has(a.result)) && acts.sessions.result === 'failed',
      actions: [...acts.ingress, acts.sessions],
      ...record,
      instanceStatus: acts.instanceStatus,
    };
  }
  const confirmed = isolationConfirmed(acts.isolation, acts.sessions, acts.plan);
  return {
    confirmed,
    deferred: isolationDeferred(confirmed, acts.plan),
    cutPending: !confirmed && acts.plan !== 'down' && HOLDS.has(acts.isolation.result) && acts.sessions.result === 'failed',
    actions: [acts.isolation, acts.sessions],
    ...record,
    instanceStatus: acts.instanceStatus,
  };
}
