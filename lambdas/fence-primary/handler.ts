/**
 * fence-primary: makes sure the old primary can take no more writes, even if it comes back.
 * The method is `failover.fenceMethod` (Aurora clusters always use revoke-ingress):
 *  - isolate (default): swaps the instance's VPC security groups for the deny-all isolation group
 *    of its VPC (found by name, or created, tagged), the original groups kept first in the fence
 *    record `FENCE#<incidentId>` so a failback can restore them; waits until DescribeDBInstances
 *    shows only the isolation group, `active` (the swap is asynchronous); then cuts the sessions
 *    already open (security groups are stateful): reboots the instance;
 *  - stop: the same isolation, then stops the instance instead of rebooting it where RDS allows
 *    (not a replica, no replicas), else reboots it;
 *  - revoke-ingress: revokes every ingress rule of the site's dedicated `securityGroupIds` by rule
 *    id (DescribeSecurityGroupRules, then RevokeSecurityGroupIngress SecurityGroupRuleIds; the
 *    rules are kept in the fence record BEFORE they are revoked), describes the group again and
 *    counts it closed only when no ingress rule is left (a refused revoke revoked nothing: it is
 *    looked at again, never taken as "already revoked"), then reboots the instance (the Aurora
 *    writer). See docs/aws-behaviour.md "Revoking ingress rules".
 * The fence record is the workflow's to keep (lambdas/shared/fence-record.ts): the function gets
 * it as `saved` and, before a swap or a revoke whose originals it does not hold, throws
 * RecordOriginalsFirst with them, having changed nothing; the workflow has record-fence keep them
 * and invokes the function again with the merged record.
 * An instance already down in a state where RDS takes no connection and refuses changes (failed,
 * stopped, ...) counts as fenced (nothing is changed, so nothing is recorded); the failback fences
 * the original site again before anything else. With `site: 'standby'` the other site of the given view is
 * fenced. Never deletes anything. Failures are recorded as `failed` actions and make the fence
 * unconfirmed (the workflow applies the fencing policy); throttling is thrown (retried), and so is
 * an isolation still being applied after the polls (ResourceBusyError: retried, then escalated).
 * See docs/aws-behaviour.md "Security groups: connection tracking and asynchronous changes".
 *
 * Clients: EC2 and RDS in the fenced site's Region (no DynamoDB: the record is record-fence's).
 */
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { regional } from '../shared/clients.js';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { isAurora } from '../shared/config-values.js';
import { fenceInput, fenceOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { ResourceBusyError, TransientAwsError } from '../shared/errors.js';
import { emptyFenceRecord, RecordOriginalsFirst, type FenceRecord } from '../shared/fence-record.js';
import { logger } from '../shared/logger.js';
import { currentRoles } from '../shared/roles.js';
import {
  ISOLATION_GROUP_NAME,
  ISOLATION_TAG,
  closeStep,
  closingStarted,
  clusterWriter,
  createdMeanwhile,
  fenceErrorDecision,
  fenceMethodOf,
  fenceOutcome,
  ingressRulesOf,
  isolationEntry,
  isolationGroupSource,
  isolationGroupVerdict,
  isolationOf,
  isolationPlanOf,
  isolationStep,
  isolationToRecord,
  notIsolated,
  planAfterRefusedSwap,
  rebootRefused,
  rebooted,
  refusedForState,
  revokeAnswered,
  revokeRefused,
  unsavedIngress,
  sessionsDecision,
  sessionsTarget,
  stopRefused,
  stopped,
  unconfiguredIngress,
  unconfiguredIsolation,
  type FenceActs,
  type FenceAction,
  type InstanceFacts,
  type IsolationActs,
  type IsolationPlan,
  type InstanceToCut,
  type IsolationStep,
  type SessionsCut,
  type SessionsSettled,
} from './core.js';

/** The isolation swap is asynchronous: DescribeDBInstances is read up to this many times, this far apart. */
const ISOLATION_POLLS = 10;
const ISOLATION_POLL_MS = 3000;

/** Carries out the core's decision about an error: the failed action to record, or TransientAwsError thrown (retried). */
function failedOrThrow(err: unknown, action: string, operation: string): FenceAction {
  const decision = fenceErrorDecision(err, action, operation);
  if (decision.kind === 'record') return decision.action;
  throw new TransientAwsError(decision.message, { operation, awsError: decision.awsError }, { cause: err });
}

export const handler = defineHandler('fence-primary', { input: fenceInput, output: fenceOutput }, async (input) => {
  // The site to fence, as the primary of the view (the standby: the roles swapped, see roles.ts).
  const db = input.site === 'standby' ? currentRoles(input.database, 'standby') : input.database;
  const ec2 = regional(EC2Client, db.primary.region);
  const rds = regional(RDSClient, db.primary.region);

  // What the fence record holds (the workflow's, from record-fence): nothing is changed before its original is in it.
  const state: FenceRecord = input.saved ?? emptyFenceRecord();
  const method = fenceMethodOf(isAurora(db.engine), db.failover.fenceMethod);

  let acts: FenceActs;
  if (method === 'revoke-ingress') {
    const ingress = await revokeIngress(ec2, db, state);
    const { action: sessions, instanceStatus } = await cutSessions(rds, db);
    acts = { method, ingress, sessions, instanceStatus };
  } else {
    const r = await isolate(ec2, rds, db, state, method === 'stop');
    acts = { method, isolation: r.isolation, sessions: r.sessions, plan: r.plan, instanceStatus: r.instanceStatus };
  }
  const output = fenceOutcome(acts, state);
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
    rules.push(...ingressRulesOf(groupId, out.SecurityGroupRules ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  return rules;
}

/** A group's ingress rules as first listed, or why they could not be. */
type Listing = { rules: SecurityGroupRule[] } | { error: unknown };

async function listing(ec2: EC2Client, groupId: string): Promise<Listing> {
  try {
    return { rules: await ingressRules(ec2, groupId) };
  } catch (error) {
    return { error };
  }
}

/**
 * revoke-ingress: every ingress rule of the site's dedicated groups is kept, then revoked by its
 * rule id; the group is closed only when a describe after the revoke shows no ingress rule. The
 * groups are listed first and their rules not in the record kept in one round for all of them
 * (RecordOriginalsFirst), so a fence of several groups asks once; each group's first listing is
 * then the one it closes from.
 */
async function revokeIngress(ec2: EC2Client, db: DatabaseConfig, state: FenceRecord): Promise<FenceAction[]> {
  const groups = db.primary.securityGroupIds ?? [];
  const ingress = unconfiguredIngress(groups);
  const listed = new Map<string, Listing>();
  for (const groupId of groups) listed.set(groupId, await listing(ec2, groupId));
  const unsaved = unsavedIngress(
    state.revoked,
    [...listed].flatMap(([groupId, l]) => ('rules' in l ? [{ groupId, rules: l.rules }] : [])),
  );
  if (unsaved.length > 0) throw new RecordOriginalsFirst({ revoked: unsaved, isolated: [] });
  for (const groupId of groups) ingress.push(await closeGroup(ec2, state, groupId, listed.get(groupId)!));
  return ingress;
}

async function closeGroup(ec2: EC2Client, state: FenceRecord, groupId: string, first: Listing): Promise<FenceAction> {
  let closing = closingStarted(groupId);
  if ('error' in first) return failedOrThrow(first.error, closing.action, 'DescribeSecurityGroupRules');
  // A rule listing filtered by an unknown group id is just empty: make sure the group exists (a
  // configured group that does not is InvalidGroup.NotFound here, never "no ingress rules left").
  try {
    await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  } catch (err) {
    return failedOrThrow(err, closing.action, 'DescribeSecurityGroups');
  }
  let rules: SecurityGroupRule[] | undefined = first.rules;
  for (;;) {
    if (!rules) {
      try {
        rules = await ingressRules(ec2, groupId);
      } catch (err) {
        return failedOrThrow(err, closing.action, 'DescribeSecurityGroupRules');
      }
    }
    const step = closeStep(closing, rules, state.revoked);
    rules = undefined; // every later round describes the group again
    if (step.kind === 'settled') return step.action;
    // The rules are kept BEFORE they are revoked: nothing is revoked until the record holds them all.
    if (step.kind === 'record') throw new RecordOriginalsFirst({ revoked: [step.record], isolated: [] });
    try {
      const out = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: step.ruleIds }));
      closing = revokeAnswered(closing, step.ruleIds.length, out);
    } catch (err) {
      const refused = revokeRefused(closing, err);
      if (!refused) return failedOrThrow(err, closing.action, 'RevokeSecurityGroupIngress');
      closing = refused;
    }
  }
}

async function describeInstance(rds: RDSClient, instanceId: string): Promise<InstanceFacts> {
  const i = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }))).DBInstances?.[0];
  return {
    status: i?.DBInstanceStatus,
    vpcId: i?.DBSubnetGroup?.VpcId,
    groups: (i?.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId ? [{ id: g.VpcSecurityGroupId, status: g.Status ?? 'active' }] : [])),
  };
}

/** The deny-all isolation group of a VPC: found by name, else created (tagged); one the core refuses is thrown as its named error. */
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
      if (!createdMeanwhile(err)) throw err;
      group = await find(); // created meanwhile by another run
    }
  }
  const verdict = isolationGroupVerdict(vpcId, group);
  if ('refusal' in verdict) throw Object.assign(new Error(verdict.refusal.message), { name: verdict.refusal.name });
  return verdict.groupId;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * isolate / stop: the instance gets only the isolation group (originals saved first), observed
 * `active`; then its open sessions are cut (stop where RDS allows and `stop`, else reboot).
 */
async function isolate(ec2: EC2Client, rds: RDSClient, db: DatabaseConfig, state: FenceRecord, stop: boolean): Promise<IsolationActs> {
  const { instanceId, region } = db.primary;
  if (!instanceId) return unconfiguredIsolation();
  const action = `isolate ${instanceId}`;
  let first: InstanceFacts;
  try {
    first = await describeInstance(rds, instanceId);
  } catch (err) {
    return notIsolated(instanceId, failedOrThrow(err, action, 'DescribeDBInstances'), 'the instance could not be described', null);
  }
  const status = first.status ?? 'unknown';
  const saved = isolationOf(state.isolated, region, instanceId);
  const source = isolationGroupSource(instanceId, first, saved);
  if (source.kind === 'settled') return source.acts;
  let groupId: string;
  try {
    groupId = source.kind === 'recorded' ? source.groupId : await ensureIsolationGroup(ec2, source.vpcId);
  } catch (err) {
    return notIsolated(instanceId, failedOrThrow(err, action, `the isolation group of ${first.vpcId}`), 'not isolated', status);
  }
  const entry = isolationEntry(region, instanceId, first, saved, groupId);
  // The originals are kept BEFORE the swap: nothing is swapped until the record holds them.
  const unsaved = isolationToRecord(state.isolated, entry, first);
  if (unsaved) throw new RecordOriginalsFirst({ revoked: [], isolated: [unsaved] });

  const seen = await swapAndObserve(rds, instanceId, groupId, first);
  if ('acts' in seen) return seen.acts;
  const { last, plan } = seen;
  const step = isolationStep({ instanceId, groupId, entry, first, last, plan, stop });
  if (step.kind === 'still-applying') throw new ResourceBusyError(step.message, { instanceId, groupId });
  if (step.kind === 'settled') return step.acts;
  const cut = await sessionsAfterIsolation(rds, db, instanceId, step);
  return { isolation: step.isolation, sessions: cut.action, instanceStatus: cut.instanceStatus, plan: step.plan };
}

/**
 * Asks for the swap where the core says so (ModifyDBInstance: only the isolation group) and reads
 * the instance until the core sees it applied, or ISOLATION_POLLS reads have passed.
 */
async function swapAndObserve(
  rds: RDSClient,
  instanceId: string,
  groupId: string,
  first: InstanceFacts,
): Promise<{ last: InstanceFacts; plan: IsolationPlan } | { acts: IsolationActs }> {
  const action = `isolate ${instanceId}`;
  const status = first.status ?? 'unknown';
  let last = first;
  let plan = isolationPlanOf(first, groupId);
  if (plan === 'swap') {
    try {
      await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: instanceId, VpcSecurityGroupIds: [groupId], ApplyImmediately: true }));
      plan = 'applying';
    } catch (err) {
      if (!refusedForState(err)) return { acts: notIsolated(instanceId, failedOrThrow(err, action, 'ModifyDBInstance'), 'not isolated', status) };
      // The state changed under us: decide again from what is there now.
      try {
        last = await describeInstance(rds, instanceId);
      } catch (err2) {
        return { acts: notIsolated(instanceId, failedOrThrow(err2, action, 'DescribeDBInstances'), 'not isolated', status) };
      }
      plan = planAfterRefusedSwap(last, groupId);
    }
  }
  for (let poll = 0; plan === 'applying' && poll < ISOLATION_POLLS; poll++) {
    if (poll > 0) await pause(ISOLATION_POLL_MS);
    try {
      last = await describeInstance(rds, instanceId);
    } catch (err) {
      return { acts: notIsolated(instanceId, failedOrThrow(err, action, 'DescribeDBInstances'), 'the isolation could not be observed', null) };
    }
    plan = isolationPlanOf(last, groupId);
  }
  return { last, plan };
}

/** The isolated (or down) instance's sessions: stopped where `stop` and RDS allows it, else cut by a reboot. */
async function sessionsAfterIsolation(
  rds: RDSClient,
  db: DatabaseConfig,
  instanceId: string,
  step: IsolationStep & { kind: 'cut' | 'stop' },
): Promise<SessionsCut> {
  if (step.kind === 'cut') return cutSessions(rds, db);
  try {
    const out = await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: instanceId }));
    return stopped(instanceId, out.DBInstance?.DBInstanceStatus);
  } catch (err) {
    if (!refusedForState(err)) return { action: failedOrThrow(err, `stop ${instanceId}`, 'StopDBInstance'), instanceStatus: null };
    return stopRefused(await cutSessions(rds, db), (err as Error).message);
  }
}

async function describeStatus(rds: RDSClient, instanceId: string): Promise<string> {
  const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
  return out.DBInstances?.[0]?.DBInstanceStatus ?? 'unknown';
}

/** The site's instance to reboot: the configured one, or the writer of the configured Aurora cluster. */
async function sessionsInstance(rds: RDSClient, db: DatabaseConfig): Promise<InstanceToCut | SessionsSettled> {
  const target = sessionsTarget(isAurora(db.engine), db.primary);
  if (target.kind !== 'cluster') return target;
  try {
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: target.clusterId }));
    return clusterWriter(target.clusterId, out.DBClusters?.[0]);
  } catch (err) {
    return { kind: 'settled', cut: { action: failedOrThrow(err, `reboot ${target.clusterId}`, 'DescribeDBClusters'), instanceStatus: null } };
  }
}

/** Cuts the open sessions of the site: reboots its (writer) instance where the core says so, looks again when RDS refuses for its state. */
async function cutSessions(rds: RDSClient, db: DatabaseConfig): Promise<SessionsCut> {
  const target = await sessionsInstance(rds, db);
  if (target.kind === 'settled') return target.cut;
  const { instanceId } = target;
  const action = `reboot ${instanceId}`;
  let status: string;
  try {
    status = await describeStatus(rds, instanceId);
  } catch (err) {
    return { action: failedOrThrow(err, action, 'DescribeDBInstances'), instanceStatus: null };
  }
  const decision = sessionsDecision(instanceId, status);
  if (decision.kind === 'settled') return decision.cut;
  try {
    const out = await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: instanceId }));
    return rebooted(instanceId, out.DBInstance?.DBInstanceStatus);
  } catch (err) {
    if (!refusedForState(err)) return { action: failedOrThrow(err, action, 'RebootDBInstance'), instanceStatus: status };
  }
  // The state changed under us: look again.
  try {
    status = await describeStatus(rds, instanceId);
  } catch (err) {
    return { action: failedOrThrow(err, action, 'DescribeDBInstances'), instanceStatus: null };
  }
  return rebootRefused(instanceId, status);
}
