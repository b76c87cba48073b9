/**
 * fence-primary: makes sure the old primary can take no more writes, even if it comes back.
 * The method is `failover.fenceMethod` (Aurora clusters always use revoke-ingress):
 *  - isolate (default): swaps the instance's VPC security groups for the deny-all isolation group
 *    of its VPC (found by name, or created, tagged), the original groups saved first in the fence
 *    record `FENCE#<incidentId>` so a failback can restore them; waits until DescribeDBInstances
 *    shows only the isolation group, `active` (the swap is asynchronous); then cuts the sessions
 *    already open (security groups are stateful): reboots the instance;
 *  - stop: the same isolation, then stops the instance instead of rebooting it where RDS allows
 *    (not a replica, no replicas), else reboots it;
 *  - revoke-ingress: revokes every ingress rule of the site's dedicated `securityGroupIds` by rule
 *    id (DescribeSecurityGroupRules, then RevokeSecurityGroupIngress SecurityGroupRuleIds; the
 *    rules are saved in the fence record BEFORE they are revoked), describes the group again and
 *    counts it closed only when no ingress rule is left (a refused revoke revoked nothing: it is
 *    looked at again, never taken as "already revoked"), then reboots the instance (the Aurora
 *    writer). See docs/aws-behaviour.md "Revoking ingress rules".
 * An instance already down in a state where RDS takes no connection and refuses changes (failed,
 * stopped, ...) counts as fenced; its originals are recorded and the failback fences the original
 * site again before anything else. With `site: 'standby'` the other site of the given view is
 * fenced. Never deletes anything. Failures are recorded as `failed` actions and make the fence
 * unconfirmed (the workflow applies the fencing policy); throttling is thrown (retried), and so is
 * an isolation still being applied after the polls (ResourceBusyError: retried, then escalated).
 * See docs/aws-behaviour.md "Security groups: connection tracking and asynchronous changes".
 *
 * Env: TABLE_NAME (fence record), AWS_REGION (control Region, for the table).
 * Clients: EC2 and RDS in the fenced site's Region.
 */
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
  StopDBInstanceCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type * as z from 'zod/mini';
import { awsErrorName, isTransient, isUnreachable, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { isAurora } from '../shared/config-values.js';
import { fenceInput, type FenceOutput, fenceOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { ResourceBusyError, TransientAwsError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { currentRoles } from '../shared/roles.js';
import {
  ISOLATION_GROUP_NAME,
  ISOLATION_TAG,
  classifyFenceError,
  fenceMethodOf,
  fenceOutcome,
  type FenceActs,
  failedAction,
  isolationOf,
  isolationPlan,
  mergeIsolated,
  mergeRevoked,
  originalGroups,
  permissionOfRule,
  sessionPlan,
  type FenceAction,
  type IsolationPlan,
  type IsolationRecord,
  type RevokedRules,
  type VpcGroup,
} from './core.js';

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const REGION = ownRegion();
/** The isolation swap is asynchronous: DescribeDBInstances is read up to this many times, this far apart. */
const ISOLATION_POLLS = 10;
const ISOLATION_POLL_MS = 3000;
const INVALID_STATE = new Set(['InvalidDBInstanceState', 'InvalidDBInstanceStateFault']);
/**
 * Revokes per group before giving up: each names the rules seen just before by id; one that was
 * changed meanwhile makes EC2 refuse the whole request, so the group is described again.
 */
const REVOKE_ROUNDS = 3;
/** EC2's answers to a revoke naming a rule that is not (or no longer) there: NO rule of the request was revoked. */
const REVOKE_NOT_FOUND = new Set(['InvalidPermission.NotFound', 'InvalidSecurityGroupRuleId.NotFound']);

/** What the fence record keeps: revoked rules (revoke-ingress) and isolated instances (isolate, stop). */
interface FenceState {
  revoked: RevokedRules[];
  isolated: IsolationRecord[];
}

/** Key of the fence record of an incident. */
export const fenceKey = (incidentId: string): { pk: string; sk: string } => ({ pk: `FENCE#${incidentId}`, sk: 'FENCE' });

type FenceInput = z.output<typeof fenceInput>;

/**
 * Records the failure, or throws when the call may succeed if tried again: throttling, or a 5xx
 * from a Region that answers (the workflow retries with backoff). A Region that does not answer
 * (timeouts, refused connections) is recorded: the fence may be deferred or retried by its loop,
 * not by retries that would hold the run.
 */
function failedOrThrow(err: unknown, action: string, operation: string): FenceAction {
  if (classifyFenceError(err) === 'throttled') {
    throw new TransientAwsError(`${operation} was throttled: ${awsErrorName(err)}`, { operation, awsError: awsErrorName(err) }, { cause: err });
  }
  if (isTransient(err) && !isUnreachable(err)) {
    throw new TransientAwsError(`${operation} failed with a server error: ${awsErrorName(err)}`, { operation, awsError: awsErrorName(err) }, { cause: err });
  }
  return failedAction(action, operation, err);
}

export const handler = defineHandler('fence-primary', { input: fenceInput, output: fenceOutput }, async (input) => {
  // The site to fence, as the primary of the view (the standby: the roles swapped, see roles.ts).
  const db = input.site === 'standby' ? currentRoles(input.database, 'standby') : input.database;
  const ddb = regional(DynamoDBClient, REGION);
  const ec2 = regional(EC2Client, db.primary.region);
  const rds = regional(RDSClient, db.primary.region);

  const state = await readState(ddb, input.incidentId);
  const method = fenceMethodOf(isAurora(db.engine), db.failover.fenceMethod);

  let acts: FenceActs;
  if (method === 'revoke-ingress') {
    const ingress = await revokeIngress(ec2, ddb, input, db, state);
    const { action: sessions, instanceStatus } = await cutSessions(rds, db);
    acts = { method, ingress, sessions, instanceStatus };
  } else {
    const r = await isolate(ec2, rds, ddb, input, db, state, method === 'stop');
    acts = { method, isolation: r.isolation, sessions: r.sessions, plan: r.plan, instanceStatus: r.instanceStatus };
  }
  const output = fenceOutcome(acts, { revoked: state.revoked, isolated: state.isolated });
  await saveFence(ddb, input, state, new Date(), output);
  logger.info('fence applied', {
    database: db.name,
    site: input.site,
    method,
    incidentId: input.incidentId,
    epoch: input.epoch,
    confirmed: output.confirmed,
    actions: output.actions,
  });
  return output;
});

/** The ingress rules of a group now, one per source, with their rule ids. */
async function ingressRules(ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  const rules: SecurityGroupRule[] = [];
  let NextToken: string | undefined;
  do {
    const out = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }], NextToken }));
    rules.push(...(out.SecurityGroupRules ?? []).filter((r) => r.GroupId === groupId && !r.IsEgress && r.SecurityGroupRuleId));
    NextToken = out.NextToken;
  } while (NextToken);
  return rules;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * revoke-ingress: every ingress rule of the site's dedicated groups is saved, then revoked by its
 * rule id; the group is closed only when a describe after the revoke shows no ingress rule.
 */
async function revokeIngress(ec2: EC2Client, ddb: DynamoDBClient, input: FenceInput, db: DatabaseConfig, state: FenceState): Promise<FenceAction[]> {
  const ingress: FenceAction[] = [];
  const groups = db.primary.securityGroupIds ?? [];
  if (groups.length === 0) {
    ingress.push({ action: 'revoke-ingress', result: 'skipped', detail: 'no securityGroupIds configured for the primary: new connections are not blocked' });
  }
  for (const groupId of groups) ingress.push(await closeGroup(ec2, ddb, input, state, groupId));
  return ingress;
}

async function closeGroup(ec2: EC2Client, ddb: DynamoDBClient, input: FenceInput, state: FenceState, groupId: string): Promise<FenceAction> {
  const action = `revoke-ingress ${groupId}`;
  // A rule listing filtered by an unknown group id is just empty: make sure the group exists (a
  // configured group that does not is InvalidGroup.NotFound here, never "no ingress rules left").
  try {
    await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  } catch (err) {
    return failedOrThrow(err, action, 'DescribeSecurityGroups');
  }
  let revoked = 0;
  const refusals: string[] = [];
  for (let round = 0; ; round++) {
    let rules: SecurityGroupRule[];
    try {
      rules = await ingressRules(ec2, groupId);
    } catch (err) {
      return failedOrThrow(err, action, 'DescribeSecurityGroupRules');
    }
    if (rules.length === 0) {
      if (round === 0) return { action, result: 'already-done', detail: 'no ingress rules left' };
      const after = refusals.length ? ` (after ${refusals.join('; ')})` : '';
      return { action, result: 'done', detail: `revoked ${plural(revoked, 'ingress rule')}; no ingress rule left${after}` };
    }
    if (round === REVOKE_ROUNDS) {
      return {
        action,
        result: 'failed',
        detail: `${plural(rules.length, 'ingress rule')} still on the group after ${plural(REVOKE_ROUNDS, 'revoke')} (${rules.map((r) => r.SecurityGroupRuleId).join(', ')})${refusals.length ? `: ${refusals.join('; ')}` : ''}`,
      };
    }
    const merged = mergeRevoked(state.revoked, groupId, rules.map(permissionOfRule));
    if (merged.changed) {
      state.revoked = merged.revoked;
      await saveFence(ddb, input, state, new Date()); // the rules are kept BEFORE they are revoked
    }
    try {
      const out = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: rules.map((r) => r.SecurityGroupRuleId!) }));
      if (out.Return === false) refusals.push('RevokeSecurityGroupIngress returned false');
      else revoked += out.RevokedSecurityGroupRules?.length ?? rules.length;
    } catch (err) {
      // Not found: the request named a rule that changed meanwhile, and NO rule was revoked. Look again.
      if (!REVOKE_NOT_FOUND.has(awsErrorName(err))) return failedOrThrow(err, action, 'RevokeSecurityGroupIngress');
      refusals.push(`RevokeSecurityGroupIngress refused: ${awsErrorName(err)}, nothing revoked`);
    }
  }
}

const vpcGroups = (i: DBInstance | undefined): VpcGroup[] =>
  (i?.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId ? [{ id: g.VpcSecurityGroupId, status: g.Status ?? 'active' }] : []));

async function describeInstance(rds: RDSClient, instanceId: string): Promise<DBInstance | undefined> {
  return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }))).DBInstances?.[0];
}

/**
 * The deny-all isolation group of a VPC: found by name, else created (tagged). A group of that
 * name with any ingress rule is refused: it would not isolate.
 */
async function ensureIsolationGroup(ec2: EC2Client, vpcId: string): Promise<string> {
  const find = async () =>
    (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: [ISOLATION_GROUP_NAME] },
          ],
        }),
      )
    ).SecurityGroups?.[0];
  let group = await find();
  if (!group) {
    try {
      const out = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: ISOLATION_GROUP_NAME,
          Description: 'rds-failover fence: no inbound rule; a fenced database instance gets only this group',
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: ISOLATION_TAG.key, Value: ISOLATION_TAG.value }] }],
        }),
      );
      if (!out.GroupId) throw new Error('CreateSecurityGroup returned no GroupId');
      return out.GroupId;
    } catch (err) {
      if (awsErrorName(err) !== 'InvalidGroup.Duplicate') throw err;
      group = await find(); // created meanwhile by another run
    }
  }
  if (!group?.GroupId) throw Object.assign(new Error(`no group ${ISOLATION_GROUP_NAME} in ${vpcId}`), { name: 'InvalidGroup.NotFound' });
  if ((group.IpPermissions ?? []).length > 0) {
    throw Object.assign(
      new Error(`${group.GroupId} (${ISOLATION_GROUP_NAME}) has ${group.IpPermissions!.length} ingress rule(s): it would not isolate; remove them`),
      { name: 'IsolationGroupNotDenyAll' },
    );
  }
  return group.GroupId;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * isolate / stop: the instance gets only the isolation group (originals saved first), observed
 * `active`; then its open sessions are cut (stop where RDS allows and `stop`, else reboot).
 */
async function isolate(
  ec2: EC2Client,
  rds: RDSClient,
  ddb: DynamoDBClient,
  input: FenceInput,
  db: DatabaseConfig,
  state: FenceState,
  stop: boolean,
): Promise<{ isolation: FenceAction; sessions: FenceAction; instanceStatus: string | null; plan: IsolationPlan }> {
  const instanceId = db.primary.instanceId;
  const region = db.primary.region;
  const notCut = (detail: string): FenceAction => ({ action: `reboot ${instanceId ?? ''}`.trim(), result: 'skipped', detail });
  if (!instanceId)
    return {
      isolation: { action: 'isolate', result: 'failed', detail: 'no instanceId configured for the site' },
      sessions: notCut('nothing to reboot'),
      instanceStatus: null,
      plan: 'busy',
    };
  const action = `isolate ${instanceId}`;
  let inst: DBInstance | undefined;
  try {
    inst = await describeInstance(rds, instanceId);
  } catch (err) {
    return {
      isolation: failedOrThrow(err, action, 'DescribeDBInstances'),
      sessions: notCut('the instance could not be described'),
      instanceStatus: null,
      plan: 'busy',
    };
  }
  const status = inst?.DBInstanceStatus ?? 'unknown';
  const vpcId = inst?.DBSubnetGroup?.VpcId;
  const saved = isolationOf(state.isolated, region, instanceId);
  let groupId = saved?.isolationGroupId;
  if (!groupId) {
    if (!vpcId) {
      return {
        isolation: { action, result: 'failed', detail: `DescribeDBInstances shows no DBSubnetGroup.VpcId for ${instanceId}: no VPC to isolate it in` },
        sessions: notCut('not isolated'),
        instanceStatus: status,
        plan: 'busy',
      };
    }
    try {
      groupId = await ensureIsolationGroup(ec2, vpcId);
    } catch (err) {
      return {
        isolation: failedOrThrow(err, action, `the isolation group of ${vpcId}`),
        sessions: notCut('not isolated'),
        instanceStatus: status,
        plan: 'busy',
      };
    }
  }
  const groups = vpcGroups(inst);
  const entry: IsolationRecord = {
    region,
    instanceId,
    vpcId: vpcId ?? saved?.vpcId ?? '',
    isolationGroupId: groupId,
    originalGroupIds: originalGroups(saved, groups, groupId),
  };
  const merged = mergeIsolated(state.isolated, entry);
  if (merged.changed) {
    state.isolated = merged.isolated;
    await saveFence(ddb, input, state, new Date()); // the originals are kept BEFORE the swap
  }

  let plan = isolationPlan(status, groups, groupId);
  if (plan === 'swap') {
    try {
      await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: instanceId, VpcSecurityGroupIds: [groupId], ApplyImmediately: true }));
      plan = 'applying';
    } catch (err) {
      if (!INVALID_STATE.has(awsErrorName(err)))
        return { isolation: failedOrThrow(err, action, 'ModifyDBInstance'), sessions: notCut('not isolated'), instanceStatus: status, plan: 'busy' };
      // The state changed under us: decide again from what is there now.
      try {
        inst = await describeInstance(rds, instanceId);
      } catch (err2) {
        return { isolation: failedOrThrow(err2, action, 'DescribeDBInstances'), sessions: notCut('not isolated'), instanceStatus: status, plan: 'busy' };
      }
      plan = isolationPlan(inst?.DBInstanceStatus ?? 'unknown', vpcGroups(inst), groupId);
      if (plan === 'swap') plan = 'busy';
    }
  }
  for (let poll = 0; plan === 'applying' && poll < ISOLATION_POLLS; poll++) {
    if (poll > 0) await pause(ISOLATION_POLL_MS);
    try {
      inst = await describeInstance(rds, instanceId);
    } catch (err) {
      return {
        isolation: failedOrThrow(err, action, 'DescribeDBInstances'),
        sessions: notCut('the isolation could not be observed'),
        instanceStatus: null,
        plan: 'busy',
      };
    }
    plan = isolationPlan(inst?.DBInstanceStatus ?? 'unknown', vpcGroups(inst), groupId);
  }
  if (plan === 'applying') {
    throw new ResourceBusyError(
      `${instanceId}: the isolation group ${groupId} is still being applied (${vpcGroups(inst)
        .map((g) => `${g.id} ${g.status}`)
        .join(', ')})`,
      { instanceId, groupId },
    );
  }
  const nowStatus = inst?.DBInstanceStatus ?? status;
  if (plan === 'busy') {
    return {
      isolation: { action, result: 'failed', detail: `instance is ${nowStatus}: it cannot be isolated now` },
      sessions: notCut(`instance is ${nowStatus}: not isolated, sessions not cut`),
      instanceStatus: nowStatus,
      plan,
    };
  }
  if (plan === 'down') {
    const { action: sessions, instanceStatus } = await cutSessions(rds, db);
    return {
      isolation: {
        action,
        result: 'skipped',
        detail: `instance is ${nowStatus}: RDS takes no connection and refuses changes; original groups ${entry.originalGroupIds.join(', ') || '(none)'} recorded, isolated in ${groupId} when it answers again`,
      },
      sessions,
      instanceStatus,
      plan,
    };
  }
  const isolation: FenceAction = {
    action,
    result: saved && groups.length === 1 && groups[0]!.id === groupId ? 'already-done' : 'done',
    detail: `only ${groupId} (${ISOLATION_GROUP_NAME}, no inbound rule) is active; originals ${entry.originalGroupIds.join(', ') || '(none)'} kept`,
  };
  if (stop) {
    const stopped = await stopInstance(rds, instanceId);
    if (stopped.action) return { isolation, sessions: stopped.action, instanceStatus: stopped.status, plan };
    const { action: sessions, instanceStatus } = await cutSessions(rds, db);
    return { isolation, sessions: { ...sessions, detail: `${sessions.detail} (StopDBInstance refused: ${stopped.why})` }, instanceStatus, plan };
  }
  const { action: sessions, instanceStatus } = await cutSessions(rds, db);
  return { isolation, sessions, instanceStatus, plan };
}

/** Stops the instance (sessions dropped); undefined action when RDS refuses (a replica, has replicas, not available). */
async function stopInstance(rds: RDSClient, instanceId: string): Promise<{ action?: FenceAction; status: string | null; why?: string }> {
  const action = `stop ${instanceId}`;
  try {
    const out = await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: instanceId }));
    return {
      action: { action, result: 'done', detail: 'stopped: open sessions dropped; it stays isolated if it starts again' },
      status: out.DBInstance?.DBInstanceStatus ?? 'stopping',
    };
  } catch (err) {
    if (INVALID_STATE.has(awsErrorName(err))) return { status: null, why: (err as Error).message };
    return { action: failedOrThrow(err, action, 'StopDBInstance'), status: null };
  }
}

async function readState(ddb: DynamoDBClient, incidentId: string): Promise<FenceState> {
  try {
    const out = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(fenceKey(incidentId)), ConsistentRead: true }));
    const item = out.Item ? unmarshall(out.Item) : undefined;
    return {
      revoked: Array.isArray(item?.revoked) ? (item.revoked as RevokedRules[]) : [],
      isolated: Array.isArray(item?.isolated) ? (item.isolated as IsolationRecord[]) : [],
    };
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (fence record)');
  }
}

/** Writes the fence record: the revoked rules and isolated instances (always), and the outcome once known. */
async function saveFence(ddb: DynamoDBClient, input: FenceInput, state: FenceState, now: Date, outcome?: FenceOutput): Promise<void> {
  const values: Record<string, unknown> = {
    ':revoked': state.revoked,
    ':isolated': state.isolated,
    ':database': input.database.name,
    ':epoch': input.epoch,
    ':now': now.toISOString(),
  };
  let set = 'revoked = :revoked, isolated = :isolated, #database = :database, epoch = :epoch, updatedAt = :now, createdAt = if_not_exists(createdAt, :now)';
  if (outcome) {
    set += ', confirmed = :confirmed, actions = :actions, instanceStatus = :instanceStatus';
    Object.assign(values, { ':confirmed': outcome.confirmed, ':actions': outcome.actions, ':instanceStatus': outcome.instanceStatus });
  }
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: marshall(fenceKey(input.incidentId)),
        UpdateExpression: `SET ${set}`,
        ExpressionAttributeNames: { '#database': 'database' },
        ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true, convertClassInstanceToMap: true }),
      }),
    );
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB UpdateItem (fence record)');
  }
}

async function describeStatus(rds: RDSClient, instanceId: string): Promise<string> {
  const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
  return out.DBInstances?.[0]?.DBInstanceStatus ?? 'unknown';
}

async function cutSessions(rds: RDSClient, db: DatabaseConfig): Promise<{ action: FenceAction; instanceStatus: string | null }> {
  let instanceId = db.primary.instanceId;
  if (isAurora(db.engine)) {
    const clusterId = db.primary.clusterId;
    if (!clusterId) return { action: { action: 'reboot', result: 'failed', detail: 'no clusterId configured for the primary' }, instanceStatus: null };
    try {
      const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }));
      const cluster = out.DBClusters?.[0];
      instanceId = cluster?.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
      if (!instanceId) {
        return {
          action: {
            action: `reboot ${clusterId}`,
            result: 'already-done',
            detail: `cluster ${clusterId} (${cluster?.Status ?? 'unknown'}) has no writer instance: no write sessions`,
          },
          instanceStatus: cluster?.Status ?? null,
        };
      }
    } catch (err) {
      return { action: failedOrThrow(err, `reboot ${clusterId}`, 'DescribeDBClusters'), instanceStatus: null };
    }
  }
  if (!instanceId) return { action: { action: 'reboot', result: 'failed', detail: 'no instanceId configured for the primary' }, instanceStatus: null };

  const action = `reboot ${instanceId}`;
  let status: string;
  try {
    status = await describeStatus(rds, instanceId);
  } catch (err) {
    return { action: failedOrThrow(err, action, 'DescribeDBInstances'), instanceStatus: null };
  }
  const plan = sessionPlan(status);
  if (plan === 'down') return { action: { action, result: 'already-done', detail: `instance is ${status}: no open sessions` }, instanceStatus: status };
  if (plan === 'busy') {
    return {
      action: { action, result: 'failed', detail: `instance is ${status}: it cannot be rebooted now, open sessions may remain` },
      instanceStatus: status,
    };
  }
  try {
    const out = await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: instanceId }));
    return { action: { action, result: 'done', detail: 'rebooted: open sessions dropped' }, instanceStatus: out.DBInstance?.DBInstanceStatus ?? 'rebooting' };
  } catch (err) {
    if (!['InvalidDBInstanceState', 'InvalidDBInstanceStateFault'].includes(awsErrorName(err))) {
      return { action: failedOrThrow(err, action, 'RebootDBInstance'), instanceStatus: status };
    }
  }
  // The state changed under us: look again.
  try {
    status = await describeStatus(rds, instanceId);
  } catch (err) {
    return { action: failedOrThrow(err, action, 'DescribeDBInstances'), instanceStatus: null };
  }
  return sessionPlan(status) === 'down'
    ? { action: { action, result: 'already-done', detail: `instance is ${status}: no open sessions` }, instanceStatus: status }
    : {
        action: {
          action,
          result: 'failed',
          detail: `RebootDBInstance refused (InvalidDBInstanceState) and the instance is ${status}: open sessions may remain`,
        },
        instanceStatus: status,
      };
}
