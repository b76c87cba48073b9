import 'aws-sdk-client-mock-vitest/extend';
import {
  CreateDBInstanceReadReplicaCommand,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/rebuild-replica/handler.js');
const rds = mockClient(RDSClient);
const view = currentRoles(hotDb(), 'standby');
const SOURCE_ARN = 'arn:aws:rds:us-west-2:123456789012:db:orders-replica';
const event = (over: Record<string, unknown> = {}) => ({ database: view, site: 'standby', epoch: 8, incidentId: 'inc-1-failback', ...over });

/** Instances by (Region, id). */
function instances(byKey: Record<string, Record<string, unknown>>) {
  rds.on(DescribeDBInstancesCommand).callsFake(async (input: { DBInstanceIdentifier: string }, getClient: () => RDSClient) => {
    const region = await getClient().config.region();
    const found = byKey[`${region}/${input.DBInstanceIdentifier}`];
    if (!found) throw new DBInstanceNotFoundFault({ message: `DBInstance ${input.DBInstanceIdentifier} not found.`, $metadata: {} });
    return { DBInstances: [{ DBInstanceIdentifier: input.DBInstanceIdentifier, ...found }] };
  });
}
const current = { DBInstanceArn: SOURCE_ARN, DBInstanceStatus: 'available', DBInstanceClass: 'db.r6g.large', StorageEncrypted: true, Engine: 'postgres' };
const preserved = {
  DBInstanceStatus: 'stopped',
  DBSubnetGroup: { DBSubnetGroupName: 'orders-db-subnets' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0aaaaaaaaaaaaaaa1' }],
  DBParameterGroups: [{ DBParameterGroupName: 'orders-pg15' }],
  MultiAZ: false,
  KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
  Endpoint: { Port: 5432 },
  DeletionProtection: false,
};

beforeEach(() => {
  rds.reset();
  rds.on(CreateDBInstanceReadReplicaCommand).resolves({ DBInstance: { DBInstanceIdentifier: 'orders-primary', DBInstanceStatus: 'creating' } });
});

describe('rebuild-replica', () => {
  it('creates the original site as a cross-Region replica: called in its Region, source by ARN, the source class, the old network settings', async () => {
    instances({ 'us-west-2/orders-replica': current, 'us-east-1/orders-primary-old-8': preserved });
    await expect(handler(event())).resolves.toMatchObject({ started: true, replica: { region: 'us-east-1', id: 'orders-primary' }, sourceArn: SOURCE_ARN });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(CreateDBInstanceReadReplicaCommand, {
      DBInstanceIdentifier: 'orders-primary',
      SourceDBInstanceIdentifier: SOURCE_ARN,
      DBInstanceClass: 'db.r6g.large',
      VpcSecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
      DBSubnetGroupName: 'orders-db-subnets',
      MultiAZ: false,
      KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
      Port: 5432,
      DeletionProtection: false,
    });
    expect(await regionsOf(rds, CreateDBInstanceReadReplicaCommand)).toEqual(['us-east-1']);
  });

  it("no groups configured for the site: the replica gets the originals the fence recorded, not the preserved instance's isolation group", async () => {
    const noGroups = currentRoles(
      hotDb((r) => {
        delete (r.primary as { securityGroupIds?: string[] }).securityGroupIds;
      }),
      'standby',
    );
    const isolatedPreserved = { ...preserved, VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0150150150150150a' }] };
    instances({ 'us-west-2/orders-replica': current, 'us-east-1/orders-primary-old-8': isolatedPreserved });
    await handler(
      event({ database: noGroups, restore: { groups: [], instances: [], detail: 'x', securityGroupIds: ['sg-0aaaaaaaaaaaaaaa1', 'sg-0bbbbbbbbbbbbbbb2'] } }),
    );
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceReadReplicaCommand, {
      VpcSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaa1', 'sg-0bbbbbbbbbbbbbbb2'],
      DBSubnetGroupName: 'orders-db-subnets',
    });
  });

  it('configured groups win over the recorded originals', async () => {
    instances({ 'us-west-2/orders-replica': current, 'us-east-1/orders-primary-old-8': preserved });
    await handler(event({ restore: { securityGroupIds: ['sg-0bbbbbbbbbbbbbbb2'] } }));
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceReadReplicaCommand, { VpcSecurityGroupIds: ['sg-0a1b2c3d4e5f60718'] });
  });

  it('PostgreSQL: no DBParameterGroupName at creation (AWS refuses it); MySQL: the old parameter group at creation', async () => {
    instances({ 'us-west-2/orders-replica': current, 'us-east-1/orders-primary-old-8': preserved });
    await handler(event());
    expect(rds.commandCalls(CreateDBInstanceReadReplicaCommand)[0]!.args[0].input).not.toHaveProperty('DBParameterGroupName');
    rds.resetHistory();
    instances({ 'us-west-2/orders-replica': { ...current, Engine: 'mysql' }, 'us-east-1/orders-primary-old-8': preserved });
    await handler(event());
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceReadReplicaCommand, { DBParameterGroupName: 'orders-pg15' });
  });

  describe('settle: the parameter group after creation, one step per call', () => {
    const replica = (status: string, group: string, apply: string) => ({
      DBInstanceStatus: status,
      ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN,
      DBParameterGroups: [{ DBParameterGroupName: group, ParameterApplyStatus: apply }],
    });
    beforeEach(() => {
      rds.on(ModifyDBInstanceCommand).resolves({});
      rds.on(RebootDBInstanceCommand).resolves({});
    });

    it('available with the default group: ModifyDBInstance with the preserved group, in the replica Region; not settled yet', async () => {
      instances({ 'us-east-1/orders-primary': replica('available', 'default.postgres16', 'in-sync'), 'us-east-1/orders-primary-old-8': preserved });
      await expect(handler(event({ action: 'settle' }))).resolves.toMatchObject({
        settled: false,
        started: false,
        replica: { region: 'us-east-1', id: 'orders-primary' },
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBInstanceCommand, {
        DBInstanceIdentifier: 'orders-primary',
        DBParameterGroupName: 'orders-pg15',
        ApplyImmediately: true,
      });
      expect(await regionsOf(rds, ModifyDBInstanceCommand)).toEqual(['us-east-1']);
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
      expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
    });

    it('pending-reboot: RebootDBInstance; in sync: settled, nothing sent', async () => {
      instances({ 'us-east-1/orders-primary': replica('available', 'orders-pg15', 'pending-reboot'), 'us-east-1/orders-primary-old-8': preserved });
      await expect(handler(event({ action: 'settle' }))).resolves.toMatchObject({ settled: false });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(RebootDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
      rds.resetHistory();
      instances({ 'us-east-1/orders-primary': replica('available', 'orders-pg15', 'in-sync'), 'us-east-1/orders-primary-old-8': preserved });
      await expect(handler(event({ action: 'settle' }))).resolves.toMatchObject({ settled: true });
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    });

    it('a retried call repeats nothing: while modifying or rebooting it only waits; a busy instance is a wait, not an error', async () => {
      for (const [status, apply] of [
        ['creating', 'in-sync'],
        ['modifying', 'applying'],
        ['rebooting', 'pending-reboot'],
      ] as const) {
        instances({
          'us-east-1/orders-primary': replica(status, status === 'creating' ? 'default.postgres16' : 'orders-pg15', apply),
          'us-east-1/orders-primary-old-8': preserved,
        });
        await expect(handler(event({ action: 'settle' }))).resolves.toMatchObject({ settled: false });
      }
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
      rds.on(RebootDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'busy', $metadata: {} }));
      instances({ 'us-east-1/orders-primary': replica('available', 'orders-pg15', 'pending-reboot'), 'us-east-1/orders-primary-old-8': preserved });
      await expect(handler(event({ action: 'settle' }))).resolves.toMatchObject({ settled: false, detail: expect.stringContaining('InvalidDBInstanceState') });
    });

    it('the replica gone is FailbackStepFailedError', async () => {
      instances({ 'us-east-1/orders-primary-old-8': preserved });
      await expect(handler(event({ action: 'settle' }))).rejects.toMatchObject({ name: 'FailbackStepFailedError' });
    });
  });

  it('a replica of the current primary already there is success, nothing created', async () => {
    instances({
      'us-west-2/orders-replica': current,
      'us-east-1/orders-primary': { DBInstanceStatus: 'creating', ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN },
    });
    await expect(handler(event())).resolves.toMatchObject({ started: false });
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
  });

  it('never overwrites: the old primary still under its name is FailbackStepFailedError', async () => {
    instances({ 'us-west-2/orders-replica': current, 'us-east-1/orders-primary': { DBInstanceStatus: 'available' } });
    await expect(handler(event())).rejects.toMatchObject({
      name: 'FailbackStepFailedError',
      message: expect.stringContaining('must be preserved (renamed) first'),
    });
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
  });

  it('DBInstanceAlreadyExists from a retried call: looks again, and our replica is success', async () => {
    let created = false;
    rds.on(DescribeDBInstancesCommand).callsFake(async (input: { DBInstanceIdentifier: string }, getClient: () => RDSClient) => {
      const region = await getClient().config.region();
      if (region === 'us-west-2') return { DBInstances: [{ DBInstanceIdentifier: 'orders-replica', ...current }] };
      if (input.DBInstanceIdentifier === 'orders-primary' && created)
        return { DBInstances: [{ DBInstanceIdentifier: 'orders-primary', DBInstanceStatus: 'creating', ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN }] };
      if (input.DBInstanceIdentifier === 'orders-primary-old-8') return { DBInstances: [{ DBInstanceIdentifier: 'orders-primary-old-8', ...preserved }] };
      throw new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} });
    });
    rds.on(CreateDBInstanceReadReplicaCommand).callsFake(() => {
      created = true;
      throw new DBInstanceAlreadyExistsFault({ message: 'DB instance already exists', $metadata: {} });
    });
    await expect(handler(event())).resolves.toMatchObject({ started: false });
  });

  it('an encrypted source with no preserved instance (no key known in the Region) is FailbackStepFailedError', async () => {
    instances({ 'us-west-2/orders-replica': current });
    await expect(handler(event())).rejects.toMatchObject({ name: 'FailbackStepFailedError', message: expect.stringContaining('encrypted') });
  });

  it('rebuilds the other side (site primary) in its own Region from the new primary', async () => {
    instances({ 'us-east-1/orders-primary': { ...current, DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-primary', StorageEncrypted: false } });
    await expect(handler(event({ site: 'primary' }))).resolves.toMatchObject({ started: true, replica: { region: 'us-west-2', id: 'orders-replica' } });
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceReadReplicaCommand, {
      DBInstanceIdentifier: 'orders-replica',
      SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:orders-primary',
    });
    expect(await regionsOf(rds, CreateDBInstanceReadReplicaCommand)).toEqual(['us-west-2']);
  });
});
