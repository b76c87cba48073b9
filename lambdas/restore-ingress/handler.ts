/**
 * restore-ingress: puts back the ingress rules a fence revoked (kept in the fence record
 * `FENCE#<fenceIncidentId>`) on the security groups of one site: when the failback rebuilds a site
 * under its original identifier (the old instance renamed and stopped), and to undo a fence when a
 * planned switchover is called off. Only groups configured for that site are touched; rules that
 * exist already are left alone (idempotent).
 *
 * Env: TABLE_NAME (fence records), AWS_REGION (control Region, for the table).
 * Clients: EC2 in the site's Region (explicit).
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { restoreIngressInput, type restoreIngressOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { fenceRecordKey } from '../shared/names.js';
import { missingRules, type Permission } from './core.js';

type RestoreOutput = z.output<typeof restoreIngressOutput>;
type GroupResult = RestoreOutput['groups'][number];

const TABLE_NAME = process.env.TABLE_NAME ?? '';
const REGION = ownRegion();

async function readRevoked(incidentId: string): Promise<Array<{ groupId: string; permissions: Permission[] }>> {
  const ddb = regional<DynamoDBClient>(DynamoDBClient as never, REGION);
  try {
    const out = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(fenceRecordKey(incidentId)), ConsistentRead: true }));
    const item = out.Item ? unmarshall(out.Item) : undefined;
    return Array.isArray(item?.revoked) ? (item.revoked as Array<{ groupId: string; permissions: Permission[] }>) : [];
  } catch (err) {
    throw toFailoverError(err, 'DynamoDB GetItem (fence record)');
  }
}

export const handler = async (event: unknown): Promise<RestoreOutput> => {
  const parsed = restoreIngressInput.safeParse(event);
  if (!parsed.success) throw new InvalidInputError(`restore-ingress: invalid input: ${z.prettifyError(parsed.error)}`);
  const input = parsed.data;
  const site = input.database[input.site];
  const revoked = await readRevoked(input.fenceIncidentId);
  if (revoked.length === 0) return { groups: [], detail: `no ingress rules were revoked by incident ${input.fenceIncidentId}: nothing to restore` };

  const ec2 = regional<EC2Client>(EC2Client as never, site.region);
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
      groups.push({ groupId: entry.groupId, result: 'done', rules: missing.length, detail: `restored ${missing.length} ingress rule${missing.length === 1 ? '' : 's'}` });
    } catch (err) {
      if (awsErrorName(err) !== 'InvalidPermission.Duplicate') throw toFailoverError(err, `AuthorizeSecurityGroupIngress ${entry.groupId}`);
      groups.push({ groupId: entry.groupId, result: 'already-done', rules: 0, detail: 'the rules were restored meanwhile' });
    }
  }
  const restored = groups.reduce((n, g) => n + g.rules, 0);
  const out: RestoreOutput = { groups, detail: `${restored} rule${restored === 1 ? '' : 's'} restored on the ${input.site} (${site.region}) from incident ${input.fenceIncidentId}` };
  logger.info('ingress restored', { database: input.database.name, incidentId: input.incidentId, epoch: input.epoch, ...out });
  return out;
};
