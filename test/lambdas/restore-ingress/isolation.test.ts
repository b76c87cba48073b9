import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, InvalidDBInstanceStateFault, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { isolationRestorePlan } from '../../../lambdas/restore-ingress/core.js';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.TABLE_NAME = 'failover-state';
process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/restore-ingress/handler.js');
const ddb = mockClient(DynamoDBClient);
const ec2 = mockClient(EC2Client);
const rds = mockClient(RDSClient);

const ISO = 'sg-0150150150150150a';
const APP = 'sg-0a1b2c3d4e5f60718';
const noGroups = () =>
  hotDb((r) => {
    delete (r.primary as { securityGroupIds?: string[] }).securityGroupIds;
    delete (r.standby as { securityGroupIds?: string[] }).securityGroupIds;
  });
const entry = { region: 'us-east-1', instanceId: 'orders-primary', vpcId: 'vpc-0e0e0e0e0e0e0e0e0', isolationGroupId: ISO, originalGroupIds: [APP] };
const record = (isolated: unknown[]) => ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'FENCE#inc-1', sk: 'FENCE', revoked: [], isolated }) });
const instance = (status: string, groups: string[]) =>
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'orders-primary',
        DBInstanceStatus: status,
        VpcSecurityGroups: groups.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
      },
    ],
  });

beforeEach(() => {
  ddb.reset();
  ec2.reset();
  rds.reset();
  rds.on(ModifyDBInstanceCommand).resolves({});
});

describe('restore-ingress: isolated instances', () => {
  // The failback's view: orders-replica writes, the original site orders-primary is the standby.
  const failback = { database: currentRoles(noGroups(), 'standby'), site: 'standby', fenceIncidentId: 'inc-1', incidentId: 'inc-1-failback', epoch: 8 };

  it('the fenced instance was preserved under another name: nothing modified, the originals returned for the rebuilt replica', async () => {
    record([entry]);
    rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'DBInstance orders-primary not found.', $metadata: {} }));
    const out = await handler(failback);
    expect(out.securityGroupIds).toEqual([APP]);
    expect(out.instances).toEqual([
      { instanceId: 'orders-primary', groupIds: [APP], result: 'skipped', detail: expect.stringContaining('preserved under another name') },
    ]);
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    expect(ec2).not.toHaveReceivedAnyCommand();
  });

  it('undoing a fence (switchover called off): the isolated instance gets its original groups back, in its Region', async () => {
    record([entry]);
    instance('available', [ISO]);
    const out = await handler(failback);
    expect(out.instances[0]).toMatchObject({ result: 'done', groupIds: [APP] });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'orders-primary',
      VpcSecurityGroupIds: [APP],
      ApplyImmediately: true,
    });
    expect(await regionsOf(rds, ModifyDBInstanceCommand)).toEqual(['us-east-1']);
  });

  it('is idempotent: an instance with its original groups is left alone', async () => {
    record([entry]);
    instance('available', [APP]);
    const out = await handler(failback);
    expect(out.instances[0]).toMatchObject({ result: 'already-done' });
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('only the entries of the requested site are touched', async () => {
    record([{ ...entry, region: 'us-west-2', instanceId: 'orders-replica' }]);
    const out = await handler(failback);
    expect(out).toMatchObject({ instances: [], securityGroupIds: [] });
    expect(rds).not.toHaveReceivedAnyCommand();
  });

  it('a busy instance is retried (ResourceBusyError), as is ModifyDBInstance refused mid-change', async () => {
    record([entry]);
    instance('modifying', [ISO]);
    await expect(handler(failback)).rejects.toMatchObject({ name: 'ResourceBusyError' });
    instance('available', [ISO]);
    rds.on(ModifyDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'DB Instance is not in available state.', $metadata: {} }));
    await expect(handler(failback)).rejects.toMatchObject({ name: 'ResourceBusyError' });
  });
});

describe('isolationRestorePlan', () => {
  const g = (id: string) => ({ id, status: 'active' });
  it.each([
    ['no instance at the identifier', undefined, [], 'skip'],
    ['isolated and available', 'available', [g(ISO)], 'modify'],
    [
      'isolated, the swap still being applied',
      'available',
      [
        { id: APP, status: 'removing' },
        { id: ISO, status: 'adding' },
      ],
      'modify',
    ],
    ['isolated and stopped (a stopped instance cannot be modified)', 'stopped', [g(ISO)], 'skip'],
    ['isolated and rebooting', 'rebooting', [g(ISO)], 'busy'],
    ['original groups back', 'available', [g(APP)], 'done'],
    ['a rebuilt replica with other groups', 'creating', [g('sg-0dddddddddddddddd')], 'done'],
  ] as const)('%s -> %s', (_, status, groups, kind) => expect(isolationRestorePlan(status, groups, entry).kind).toBe(kind));

  it('no originals recorded: skip', () => expect(isolationRestorePlan('available', [g(ISO)], { ...entry, originalGroupIds: [] }).kind).toBe('skip'));
});
