/**
 * fence-primary: makes sure the old primary can take no more writes, even if it comes back.
 *  1. revokes every ingress rule of the primary's dedicated security groups (the rules are saved
 *     in the fence record `FENCE#<incidentId>` BEFORE they are revoked, so a failback can restore
 *     them and a re-run never loses them);
 *  2. cuts the sessions already open (security groups are stateful): reboots the instance (the
 *     Aurora writer) if it is available; an instance already down needs nothing.
 * With `site: 'standby'` the other site of the given view is fenced (the failback fences the
 * original site when it answers again). Never deletes or stops anything for good. Failures are recorded as `failed` actions and make
 * the fence unconfirmed (the workflow applies the fencing policy); only throttling is thrown.
 *
 * Env: TABLE_NAME (fence record), AWS_REGION (control Region, for the table).
 * Clients: EC2 and RDS in the primary's Region.
 */
import { DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand, type IpPermission } from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { isAurora, type DatabaseConfig } from '../shared/config-schema.js';
import { fenceInput, type FenceOutput } from '../shared/contracts.js';
import { InvalidInputError, TransientAwsError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { currentRoles } from '../shared/roles.js';
import { classifyFenceError, failedAction, fenceConfirmed, mergeRevoked, sessionPlan, type FenceAction, type RevokedRules } from './core.js';

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const REGION = ownRegion();

/** Key of the fence record of an incident. */
export const fenceKey = (incidentId: string): { pk: string; sk: string } => ({ pk: `FENCE#${incidentId}`, sk: 'FENCE' });

type FenceInput = z.output<typeof fenceInput>;

/** Records the failure, or throws when it is throttling (the workflow retries with backoff). */
function failedOrThrow(err: unknown, action: string, operation: string): FenceAction {
  if (classifyFenceError(err) === 'throttled') {
    throw new TransientAwsError(`${operation} was throttled: ${awsErrorName(err)}`, { operation, awsError: awsErrorName(err) });
  }
  return failedAction(action, operation, err);
}

export const handler = async (event: unknown): Promise<FenceOutput> => {
  const parsed = fenceInput.safeParse(event);
  if (!parsed.success) throw new InvalidInputError(`fence-primary: invalid input: ${z.prettifyError(parsed.error)}`);
  const input = parsed.data;
  // The site to fence, as the primary of the view (the standby: the roles swapped, see roles.ts).
  const db = input.site === 'standby' ? currentRoles(input.database, 'standby') : input.database;
  const ddb = regional<DynamoDBClient>(DynamoDBClient as never, REGION);
  const ec2 = regional<EC2Client>(EC2Client as never, db.primary.region);
  const rds = regional<RDSClient>(RDSClient as never, db.primary.region);

  let revoked = await readRevoked(ddb, input.incidentId);

  // 1. No new connections: revoke ingress, saving every rule first.
  const ingress: FenceAction[] = [];
  const groups = db.primary.securityGroupIds ?? [];
  if (groups.length === 0) {
    ingress.push({ action: 'revoke-ingress', result: 'skipped', detail: 'no securityGroupIds configured for the primary: new connections are not blocked' });
  }
  for (const groupId of groups) {
    const action = `revoke-ingress ${groupId}`;
    let permissions: IpPermission[];
    try {
      const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
      permissions = out.SecurityGroups?.find((g) => g.GroupId === groupId)?.IpPermissions ?? out.SecurityGroups?.[0]?.IpPermissions ?? [];
    } catch (err) {
      ingress.push(failedOrThrow(err, action, 'DescribeSecurityGroups'));
      continue;
    }
    if (permissions.length === 0) {
      ingress.push({ action, result: 'already-done', detail: 'no ingress rules left' });
      continue;
    }
    const merged = mergeRevoked(revoked, groupId, permissions);
    if (merged.changed) {
      revoked = merged.revoked;
      await saveFence(ddb, input, revoked, new Date());
    }
    try {
      const out = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: permissions }));
      ingress.push(
        out.Return === false
          ? { action, result: 'failed', detail: 'RevokeSecurityGroupIngress returned false: rules may remain' }
          : { action, result: 'done', detail: `revoked ${permissions.length} ingress rule${permissions.length === 1 ? '' : 's'}` },
      );
    } catch (err) {
      ingress.push(
        awsErrorName(err) === 'InvalidPermission.NotFound'
          ? { action, result: 'already-done', detail: 'rules already revoked' }
          : failedOrThrow(err, action, 'RevokeSecurityGroupIngress'),
      );
    }
  }

  // 2. No open sessions: reboot the writer instance (or find it already down).
  const { action: sessions, instanceStatus } = await cutSessions(rds, db);

  const confirmed = fenceConfirmed(ingress, sessions);
  const output: FenceOutput = { confirmed, actions: [...ingress, sessions], revoked, instanceStatus };
  await saveFence(ddb, input, revoked, new Date(), output);
  logger.info('fence applied', { database: db.name, site: input.site, incidentId: input.incidentId, epoch: input.epoch, confirmed, actions: output.actions });
  return output;
};

async function readRevoked(ddb: DynamoDBClient, incidentId: string): Promise<RevokedRules[]> {
  try {
    const out = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(fenceKey(incidentId)), ConsistentRead: true }));
    const item = out.Item ? unmarshall(out.Item) : undefined;
    return Array.isArray(item?.revoked) ? (item.revoked as RevokedRules[]) : [];
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (fence record)');
  }
}

/** Writes the fence record: the revoked rules (always), and the outcome once known. */
async function saveFence(ddb: DynamoDBClient, input: FenceInput, revoked: RevokedRules[], now: Date, outcome?: FenceOutput): Promise<void> {
  const values: Record<string, unknown> = {
    ':revoked': revoked,
    ':database': input.database.name,
    ':epoch': input.epoch,
    ':now': now.toISOString(),
  };
  let set = 'revoked = :revoked, #database = :database, epoch = :epoch, updatedAt = :now, createdAt = if_not_exists(createdAt, :now)';
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
          action: { action: `reboot ${clusterId}`, result: 'already-done', detail: `cluster ${clusterId} (${cluster?.Status ?? 'unknown'}) has no writer instance: no write sessions` },
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
    return { action: { action, result: 'failed', detail: `instance is ${status}: it cannot be rebooted now, open sessions may remain` }, instanceStatus: status };
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
    : { action: { action, result: 'failed', detail: `RebootDBInstance refused (InvalidDBInstanceState) and the instance is ${status}: open sessions may remain` }, instanceStatus: status };
}
