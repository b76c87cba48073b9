/**
 * restore-ingress: undoes a fence on one site, from the fence record `FENCE#<fenceIncidentId>`:
 *  - revoked ingress rules (fenceMethod revoke-ingress) go back on the site's configured groups;
 *  - an isolated instance (isolate, stop) at the site's identifier gets its original VPC security
 *    groups back (ModifyDBInstance VpcSecurityGroupIds, applied asynchronously); when no instance
 *    is there now (the old one was preserved under another name), nothing is modified and the
 *    originals are returned in `securityGroupIds` for the replica rebuilt at the site.
 * Used when the failback rebuilds a site under its original identifier (the old instance renamed,
 * stopped and left isolated), and to undo a fence when a planned switchover is called off. Rules
 * and groups already in place are left alone (idempotent).
 *
 * Env: TABLE_NAME (fence records), AWS_REGION (control Region, for the table).
 * Clients: EC2 and RDS in the site's Region (explicit), each loaded when the record needs it (a
 * fence either revoked rules or isolated instances), so a cold start loads neither.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { IpPermission } from '@aws-sdk/client-ec2';
import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type * as z from 'zod/mini';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { restoreIngressInput, restoreIngressOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { lazy } from '../shared/lazy.js';
import { ResourceBusyError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { recordOfItem } from '../shared/fence-record.js';
import { fenceRecordKey } from '../shared/names.js';
import { isolationRestorePlan, missingRules, type IsolatedInstance, type Permission } from './core.js';

type RestoreOutput = z.output<typeof restoreIngressOutput>;
type GroupResult = RestoreOutput['groups'][number];
type InstanceResult = RestoreOutput['instances'][number];

const ec2Sdk = lazy(() => import('@aws-sdk/client-ec2'));
const rdsSdk = lazy(() => import('@aws-sdk/client-rds'));

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const REGION = ownRegion();

interface FenceRecord {
  revoked: Array<{ groupId: string; permissions: Permission[] }>;
  isolated: IsolatedInstance[];
}

async function readRecord(incidentId: string): Promise<FenceRecord> {
  const ddb = regional(DynamoDBClient, REGION);
  try {
    const out = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(fenceRecordKey(incidentId)), ConsistentRead: true }));
    // The permissions and entries are what fence-primary kept, in the shapes restore-ingress authorizes again.
    return recordOfItem(out.Item ? unmarshall(out.Item) : undefined) as FenceRecord;
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (fence record)');
  }
}

const NOT_FOUND = new Set(['DBInstanceNotFoundFault', 'DBInstanceNotFound']);

/** Puts the original VPC security groups back on the isolated instance at the site's identifier. */
async function restoreInstance(rds: RDSClient, entry: IsolatedInstance): Promise<InstanceResult> {
  const { DescribeDBInstancesCommand, ModifyDBInstanceCommand } = await rdsSdk();
  let inst: DBInstance | undefined;
  try {
    inst = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: entry.instanceId }))).DBInstances?.[0];
  } catch (err) {
    if (!NOT_FOUND.has(awsErrorName(err))) throw toFailoverError(err, `DescribeDBInstances ${entry.instanceId}`);
  }
  const groups = (inst?.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId ? [{ id: g.VpcSecurityGroupId, status: g.Status ?? 'active' }] : []));
  const plan = isolationRestorePlan(inst ? (inst.DBInstanceStatus ?? 'unknown') : undefined, groups, entry);
  const base = { instanceId: entry.instanceId, groupIds: entry.originalGroupIds };
  switch (plan.kind) {
    case 'busy':
      throw new ResourceBusyError(`${entry.instanceId}: ${plan.detail}`, { instanceId: entry.instanceId });
    case 'skip':
      return { ...base, result: 'skipped', detail: plan.detail };
    case 'done':
      return { ...base, result: 'already-done', detail: plan.detail };
    case 'modify':
      try {
        await rds.send(
          new ModifyDBInstanceCommand({ DBInstanceIdentifier: entry.instanceId, VpcSecurityGroupIds: entry.originalGroupIds, ApplyImmediately: true }),
        );
      } catch (err) {
        if (['InvalidDBInstanceState', 'InvalidDBInstanceStateFault'].includes(awsErrorName(err)))
          throw new ResourceBusyError(`ModifyDBInstance ${entry.instanceId}: ${awsErrorName(err)}`, { instanceId: entry.instanceId }, { cause: err });
        throw toFailoverError(err, `ModifyDBInstance ${entry.instanceId}`);
      }
      return {
        ...base,
        result: 'done',
        detail: `original groups ${entry.originalGroupIds.join(', ')} requested in place of ${entry.isolationGroupId} (applied asynchronously)`,
      };
  }
}

export const handler = defineHandler('restore-ingress', { input: restoreIngressInput, output: restoreIngressOutput }, async (input) => {
  const site = input.database[input.site];
  const record = await readRecord(input.fenceIncidentId);
  const isolated = record.isolated.filter((e) => e.region === site.region && e.instanceId === site.instanceId);
  const securityGroupIds = [...new Set(isolated.flatMap((e) => e.originalGroupIds))];
  const instances: InstanceResult[] = [];
  if (isolated.length > 0) {
    const rds = regional((await rdsSdk()).RDSClient, site.region);
    for (const entry of isolated) instances.push(await restoreInstance(rds, entry));
  }
  const revoked = record.revoked;
  if (revoked.length === 0) {
    const out: RestoreOutput = {
      groups: [],
      instances,
      securityGroupIds,
      detail:
        isolated.length === 0
          ? `nothing was revoked or isolated on the ${input.site} by incident ${input.fenceIncidentId}: nothing to restore`
          : instances.map((i) => `${i.instanceId}: ${i.detail}`).join('; '),
    };
    logger.info('ingress restored', { database: input.database.name, incidentId: input.incidentId, epoch: input.epoch, ...out });
    return out;
  }

  const { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } = await ec2Sdk();
  const ec2 = regional(EC2Client, site.region);
  const configured = new Set(site.securityGroupIds ?? []);
  const groups: GroupResult[] = [];
  for (const entry of revoked) {
    if (!configured.has(entry.groupId)) {
      groups.push({ groupId: entry.groupId, result: 'skipped', rules: 0, detail: `not one of the ${input.site}'s configured security groups: left alone` });
      continue;
    }
    let current: IpPermission[];
    try {
      const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [entry.groupId] }));
      current = out.SecurityGroups?.find((g) => g.GroupId === entry.groupId)?.IpPermissions ?? [];
    } catch (err) {
      throw toFailoverError(err, `DescribeSecurityGroups ${entry.groupId}`);
    }
    const missing = missingRules(entry.permissions ?? [], current as Permission[]);
    if (missing.length === 0) {
      groups.push({ groupId: entry.groupId, result: 'already-done', rules: 0, detail: 'every revoked rule is in place' });
      continue;
    }
    try {
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: entry.groupId, IpPermissions: missing as IpPermission[] }));
      groups.push({
        groupId: entry.groupId,
        result: 'done',
        rules: missing.length,
        detail: `restored ${missing.length} ingress rule${missing.length === 1 ? '' : 's'}`,
      });
    } catch (err) {
      if (awsErrorName(err) !== 'InvalidPermission.Duplicate') throw toFailoverError(err, `AuthorizeSecurityGroupIngress ${entry.groupId}`);
      groups.push({ groupId: entry.groupId, result: 'already-done', rules: 0, detail: 'the rules were restored meanwhile' });
    }
  }
  const restored = groups.reduce((n, g) => n + g.rules, 0);
  const out: RestoreOutput = {
    groups,
    instances,
    securityGroupIds,
    detail: `${restored} rule${restored === 1 ? '' : 's'} restored on the ${input.site} (${site.region}) from incident ${input.fenceIncidentId}${instances.map((i) => `; ${i.instanceId}: ${i.detail}`).join('')}`,
  };
  logger.info('ingress restored', { database: input.database.name, incidentId: input.incidentId, epoch: input.epoch, ...out });
  return out;
});
