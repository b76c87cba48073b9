import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { awsError, hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.TABLE_NAME = 'failover-state';
process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/restore-ingress/handler.js');
const ddb = mockClient(DynamoDBClient);
const ec2 = mockClient(EC2Client);
const SG = 'sg-0a1b2c3d4e5f60718';
const RULE = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16' }] };
const view = currentRoles(hotDb(), 'standby');
const event = (over: Record<string, unknown> = {}) => ({
  database: view,
  site: 'standby',
  fenceIncidentId: 'inc-1',
  incidentId: 'inc-1-failback',
  epoch: 8,
  ...over,
});
const fenceRecord = (revoked: unknown[]) => ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'FENCE#inc-1', sk: 'FENCE', revoked }) });

beforeEach(() => {
  ddb.reset();
  ec2.reset();
  ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
});

describe('restore-ingress', () => {
  it("puts the failover's revoked rules back on the original site's groups, in its Region", async () => {
    fenceRecord([{ groupId: SG, permissions: [RULE] }]);
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: SG, IpPermissions: [] }] });
    await expect(handler(event())).resolves.toMatchObject({ groups: [{ groupId: SG, result: 'done', rules: 1 }] });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: 'failover-state',
      Key: { pk: { S: 'FENCE#inc-1' }, sk: { S: 'FENCE' } },
      ConsistentRead: true,
    });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(AuthorizeSecurityGroupIngressCommand, { GroupId: SG, IpPermissions: [RULE] });
    expect(await regionsOf(ec2, AuthorizeSecurityGroupIngressCommand)).toEqual(['us-east-1']);
  });

  it('is idempotent: rules already there are not sent again', async () => {
    fenceRecord([{ groupId: SG, permissions: [RULE] }]);
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: SG, IpPermissions: [RULE] }] });
    await expect(handler(event())).resolves.toMatchObject({ groups: [{ result: 'already-done', rules: 0 }] });
    expect(ec2).not.toHaveReceivedCommand(AuthorizeSecurityGroupIngressCommand);
  });

  it('a duplicate from a race is already done', async () => {
    fenceRecord([{ groupId: SG, permissions: [RULE] }]);
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: SG, IpPermissions: [] }] });
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError('InvalidPermission.Duplicate'));
    await expect(handler(event())).resolves.toMatchObject({ groups: [{ result: 'already-done' }] });
  });

  it('never touches a group that is not configured for that site', async () => {
    fenceRecord([{ groupId: 'sg-0fffffffffffffff1', permissions: [RULE] }]);
    await expect(handler(event())).resolves.toMatchObject({ groups: [{ groupId: 'sg-0fffffffffffffff1', result: 'skipped' }] });
    expect(ec2).not.toHaveReceivedAnyCommand();
  });

  it('no fence record (best-effort fencing, nothing revoked): nothing to restore', async () => {
    ddb.on(GetItemCommand).resolves({});
    await expect(handler(event())).resolves.toEqual({
      groups: [],
      instances: [],
      securityGroupIds: [],
      detail: 'nothing was revoked or isolated on the standby by incident inc-1: nothing to restore',
    });
    expect(ec2).not.toHaveReceivedAnyCommand();
  });

  it('an unknown group is a terminal error', async () => {
    fenceRecord([{ groupId: SG, permissions: [RULE] }]);
    ec2.on(DescribeSecurityGroupsCommand).rejects(awsError('InvalidGroup.NotFound'));
    await expect(handler(event())).rejects.toMatchObject({ name: 'AwsCallFailedError' });
  });
});
