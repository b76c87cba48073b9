import 'aws-sdk-client-mock-vitest/extend';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  UpdateStackCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import {
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  GlobalClusterNotFoundFault,
  InvalidDBInstanceStateFault,
  InvalidGlobalClusterStateFault,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { auroraDb, coldDb, EAST_ARN, hotDb, regionsOf, warmDb, WEST_ARN } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/promote-standby/handler.js');

const rds = mockClient(RDSClient);
const cfn = mockClient(CloudFormationClient);
const SOURCE = 'arn:aws:rds:us-east-1:123456789012:db:orders-primary';

const event = (over: Record<string, unknown> = {}) => ({ database: hotDb(), epoch: 3, incidentId: 'inc-7', ...over });
const replica = (over: Record<string, unknown> = {}) =>
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'orders-replica',
        DBInstanceStatus: 'available',
        ReadReplicaSourceDBInstanceIdentifier: SOURCE,
        DBInstanceClass: 'db.r6g.large',
        ...over,
      },
    ],
  });
const rdsError = (name: string, message = name) => new RDSServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
const cfnError = (message: string) =>
  new CloudFormationServiceException({ name: 'ValidationError', message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  rds.reset();
  cfn.reset();
  replica();
  rds.on(PromoteReadReplicaCommand).resolves({ DBInstance: { DBInstanceIdentifier: 'orders-replica', DBInstanceStatus: 'modifying' } });
  rds.on(ModifyDBInstanceCommand).resolves({});
});

describe('promote-standby: hot/warm promote', () => {
  it('promotes the replica in the standby Region with backups turned on', async () => {
    expect(await handler(event())).toEqual({
      action: 'PromoteReadReplica',
      started: true,
      target: { region: 'us-west-2', id: 'orders-replica' },
      detail: `promoting orders-replica (replica of ${SOURCE}, status available)`,
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-replica' });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(PromoteReadReplicaCommand, { DBInstanceIdentifier: 'orders-replica', BackupRetentionPeriod: 7 });
    expect(await regionsOf(rds, PromoteReadReplicaCommand)).toEqual(['us-west-2']);
  });

  it('a warm standby is promoted the same way', async () => {
    expect(await handler(event({ database: warmDb() }))).toMatchObject({ action: 'PromoteReadReplica', started: true });
  });

  it('re-run after promotion: not a replica any more -> started false, no call', async () => {
    replica({ ReadReplicaSourceDBInstanceIdentifier: undefined, DBInstanceStatus: 'modifying' });
    expect(await handler(event())).toEqual({
      action: 'PromoteReadReplica',
      started: false,
      target: { region: 'us-west-2', id: 'orders-replica' },
      detail: 'orders-replica is already promoted (no longer a read replica; status modifying)',
    });
    expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
  });

  it.each(['backing-up', 'modifying'])('a replica that is %s -> ResourceBusyError, no call', async (status) => {
    replica({ DBInstanceStatus: status });
    await expect(handler(event())).rejects.toMatchObject({ name: 'ResourceBusyError' });
    expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
  });

  it('a failed replica -> PromotionFailedError, no call', async () => {
    replica({ DBInstanceStatus: 'failed' });
    await expect(handler(event())).rejects.toMatchObject({ name: 'PromotionFailedError', message: 'orders-replica is failed: it cannot be promoted' });
    expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
  });

  it('"not a read replica" from PromoteReadReplica (a race) -> looks again: promoted -> started false', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: SOURCE }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'modifying' }] });
    rds.on(PromoteReadReplicaCommand).rejects(new InvalidDBInstanceStateFault({ message: 'DB Instance is not a read replica.', $metadata: {} }));
    expect(await handler(event())).toMatchObject({ action: 'PromoteReadReplica', started: false });
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 2);
  });

  it('"not a read replica" while RDS still reports a source -> PromotionFailedError', async () => {
    rds.on(PromoteReadReplicaCommand).rejects(new InvalidDBInstanceStateFault({ message: 'DB Instance is not a read replica.', $metadata: {} }));
    await expect(handler(event())).rejects.toMatchObject({ name: 'PromotionFailedError' });
  });

  it('InvalidDBInstanceState for another reason -> ResourceBusyError (retried)', async () => {
    rds.on(PromoteReadReplicaCommand).rejects(new InvalidDBInstanceStateFault({ message: 'DB Instance is not in available state.', $metadata: {} }));
    await expect(handler(event())).rejects.toMatchObject({ name: 'ResourceBusyError' });
  });

  it.each([
    [
      'missing standby',
      () => rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'DBInstance orders-replica not found.', $metadata: {} })),
      'PromotionFailedError',
    ],
    [
      'access denied',
      () => rds.on(PromoteReadReplicaCommand).rejects(rdsError('AccessDenied', 'not authorized to perform: rds:PromoteReadReplica')),
      'PromotionFailedError',
    ],
    ['throttling', () => rds.on(PromoteReadReplicaCommand).rejects(rdsError('Throttling', 'Rate exceeded')), 'TransientAwsError'],
    ['timeout', () => rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), 'TransientAwsError'],
  ])('%s -> %s', async (_name, arrange, error) => {
    arrange();
    await expect(handler(event())).rejects.toMatchObject({ name: error });
  });

  it('a standby without instanceId -> PromotionFailedError', async () => {
    const database = hotDb((r) => {
      delete (r.standby as { instanceId?: string }).instanceId;
    });
    await expect(handler(event({ database }))).rejects.toMatchObject({ name: 'PromotionFailedError' });
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});

describe('promote-standby: warm scale-up', () => {
  it('scales the promoted standby to its production class, at once', async () => {
    replica({ ReadReplicaSourceDBInstanceIdentifier: undefined });
    expect(await handler(event({ database: warmDb(), phase: 'scale-up' }))).toEqual({
      action: 'ModifyDBInstance',
      started: true,
      target: { region: 'us-west-2', id: 'orders-replica' },
      detail: 'scaling orders-replica from db.r6g.large to db.r6g.xlarge',
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'orders-replica',
      DBInstanceClass: 'db.r6g.xlarge',
      ApplyImmediately: true,
    });
    expect(await regionsOf(rds, ModifyDBInstanceCommand)).toEqual(['us-west-2']);
  });

  it.each([
    ['already at the class', { DBInstanceClass: 'db.r6g.xlarge' }],
    ['the change already pending', { DBInstanceStatus: 'modifying', PendingModifiedValues: { DBInstanceClass: 'db.r6g.xlarge' } }],
  ])('%s -> started false, no call', async (_name, over) => {
    replica({ ReadReplicaSourceDBInstanceIdentifier: undefined, ...over });
    expect(await handler(event({ database: warmDb(), phase: 'scale-up' }))).toMatchObject({ action: 'ModifyDBInstance', started: false });
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('InvalidDBInstanceState while modifying -> ResourceBusyError', async () => {
    rds.on(ModifyDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'DB instance is not in available state.', $metadata: {} }));
    await expect(handler(event({ database: warmDb(), phase: 'scale-up' }))).rejects.toMatchObject({ name: 'ResourceBusyError' });
  });

  it.each([
    ['a hot standby', hotDb()],
    [
      'a warm standby without promotedInstanceClass',
      hotDb((r) => {
        r.standby = { ...r.standby, readiness: 'warm' };
      }),
    ],
  ])('%s -> action none, no call', async (_name, database) => {
    expect(await handler(event({ database, phase: 'scale-up' }))).toMatchObject({ action: 'none', started: false });
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});

describe('promote-standby: Aurora global database', () => {
  const global = (over: Record<string, unknown> = {}) =>
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'orders-global',
          GlobalClusterMembers: [
            { DBClusterArn: EAST_ARN, IsWriter: true },
            { DBClusterArn: WEST_ARN, IsWriter: false },
          ],
          ...over,
        },
      ],
    });
  beforeEach(() => {
    rds
      .on(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-west' })
      .resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-west', DBClusterArn: WEST_ARN }] });
    global();
    rds.on(FailoverGlobalClusterCommand).resolves({});
  });

  it.each([true, false])('fails the global cluster over to the standby cluster ARN (AllowDataLoss %s), in the standby Region', async (allowDataLoss) => {
    const out = await handler(event({ database: auroraDb(), allowDataLoss }));
    expect(out).toMatchObject({ action: 'FailoverGlobalCluster', started: true, target: { region: 'us-west-2', id: 'orders-west' } });
    expect(rds).toHaveReceivedCommandWith(DescribeGlobalClustersCommand, { GlobalClusterIdentifier: 'orders-global' });
    // Never AllowDataLoss and Switchover together (InvalidParameterCombination): AllowDataLoss=true
    // for a failover that may lose data, Switchover=true otherwise (docs/aws-behaviour.md).
    expect(rds).toHaveReceivedCommandExactlyOnceWith(
      FailoverGlobalClusterCommand,
      allowDataLoss
        ? { GlobalClusterIdentifier: 'orders-global', TargetDbClusterIdentifier: WEST_ARN, AllowDataLoss: true }
        : { GlobalClusterIdentifier: 'orders-global', TargetDbClusterIdentifier: WEST_ARN, Switchover: true },
    );
    const sent = rds.commandCalls(FailoverGlobalClusterCommand)[0]!.args[0].input;
    expect(sent.AllowDataLoss !== undefined && sent.Switchover !== undefined).toBe(false);
    expect(await regionsOf(rds, FailoverGlobalClusterCommand)).toEqual(['us-west-2']);
    expect(await regionsOf(rds, DescribeGlobalClustersCommand)).toEqual(['us-west-2']);
  });

  it.each([
    [
      'the standby already writes',
      {
        GlobalClusterMembers: [
          { DBClusterArn: EAST_ARN, IsWriter: false },
          { DBClusterArn: WEST_ARN, IsWriter: true },
        ],
      },
    ],
    [
      'a failover to it is running',
      { FailoverState: { Status: 'failing-over', FromDbClusterArn: EAST_ARN, ToDbClusterArn: WEST_ARN, IsDataLossAllowed: true } },
    ],
  ])('%s -> started false, no call', async (_name, over) => {
    global(over);
    expect(await handler(event({ database: auroraDb() }))).toMatchObject({ action: 'FailoverGlobalCluster', started: false });
    expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
  });

  it('a missing global cluster -> PromotionFailedError', async () => {
    rds.on(DescribeGlobalClustersCommand).rejects(new GlobalClusterNotFoundFault({ message: 'GlobalCluster orders-global not found', $metadata: {} }));
    await expect(handler(event({ database: auroraDb() }))).rejects.toMatchObject({ name: 'PromotionFailedError' });
  });

  it('InvalidGlobalClusterStateFault -> ResourceBusyError', async () => {
    rds.on(FailoverGlobalClusterCommand).rejects(new InvalidGlobalClusterStateFault({ message: 'busy', $metadata: {} }));
    await expect(handler(event({ database: auroraDb() }))).rejects.toMatchObject({ name: 'ResourceBusyError' });
  });

  it('scale-up has nothing to do for Aurora', async () => {
    expect(await handler(event({ database: auroraDb(), phase: 'scale-up' }))).toMatchObject({ action: 'none', started: false });
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});

describe('promote-standby: cold standby', () => {
  const stack = (mode: string, status = 'CREATE_COMPLETE') =>
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'orders-cold',
          StackStatus: status as StackStatus,
          CreationTime: new Date(0),
          Parameters: [
            { ParameterKey: 'InstanceClass', ParameterValue: 'db.r6g.large' },
            { ParameterKey: 'Mode', ParameterValue: mode },
            { ParameterKey: 'SnapshotArn', ParameterValue: 'arn:snap' },
          ],
        },
      ],
    });
  beforeEach(() => {
    stack('dormant');
    cfn.on(UpdateStackCommand).resolves({ StackId: 'arn:aws:cloudformation:us-west-2:123456789012:stack/orders-cold/1' });
  });

  it('updates the stack with the previous template, every other parameter kept, Mode=active', async () => {
    expect(await handler(event({ database: coldDb() }))).toEqual({
      action: 'UpdateStack',
      started: true,
      target: { region: 'us-west-2', id: 'orders-cold' },
      detail: 'updating stack orders-cold: Mode dormant -> active',
    });
    expect(cfn).toHaveReceivedCommandExactlyOnceWith(UpdateStackCommand, {
      StackName: 'orders-cold',
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: 'InstanceClass', UsePreviousValue: true },
        { ParameterKey: 'Mode', ParameterValue: 'active' },
        { ParameterKey: 'SnapshotArn', UsePreviousValue: true },
      ],
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      // The update restores the database as the stack's service role, not as this function.
      RoleARN: 'arn:aws:iam::123456789012:role/orders-cold-cloudformation',
    });
    expect(await regionsOf(cfn, UpdateStackCommand)).toEqual(['us-west-2']);
  });

  it('already active (the restored instance is standalone) -> started false, no update', async () => {
    stack('active', 'UPDATE_COMPLETE');
    replica({ DBInstanceIdentifier: 'orders-cold-db', ReadReplicaSourceDBInstanceIdentifier: undefined });
    expect(await handler(event({ database: coldDb() }))).toMatchObject({ action: 'UpdateStack', started: false });
    expect(cfn).not.toHaveReceivedCommand(UpdateStackCommand);
    expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
  });

  it('already active and its instance a replica again (a failback rebuilt it as the new standby) -> promotes that replica', async () => {
    stack('active', 'UPDATE_COMPLETE');
    replica({ DBInstanceIdentifier: 'orders-cold-db', ReadReplicaSourceDBInstanceIdentifier: SOURCE });
    expect(await handler(event({ database: coldDb() }))).toMatchObject({
      action: 'PromoteReadReplica',
      started: true,
      target: { region: 'us-west-2', id: 'orders-cold-db' },
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(PromoteReadReplicaCommand, { DBInstanceIdentifier: 'orders-cold-db', BackupRetentionPeriod: 7 });
    expect(cfn).not.toHaveReceivedCommand(UpdateStackCommand);
  });

  it('"No updates are to be performed." -> started false', async () => {
    cfn.on(UpdateStackCommand).rejects(cfnError('No updates are to be performed.'));
    expect(await handler(event({ database: coldDb() }))).toMatchObject({ action: 'UpdateStack', started: false });
  });

  it('an update racing another one -> ResourceBusyError', async () => {
    cfn
      .on(UpdateStackCommand)
      .rejects(cfnError('Stack:arn:aws:cloudformation:us-west-2:123456789012:stack/orders-cold/1 is in UPDATE_IN_PROGRESS state and can not be updated.'));
    await expect(handler(event({ database: coldDb() }))).rejects.toMatchObject({ name: 'ResourceBusyError' });
  });

  it('a missing stack -> PromotionFailedError', async () => {
    cfn.on(DescribeStacksCommand).rejects(cfnError('Stack with id orders-cold does not exist'));
    await expect(handler(event({ database: coldDb() }))).rejects.toMatchObject({ name: 'PromotionFailedError' });
  });

  it('a stack that cannot be updated -> PromotionFailedError, no update', async () => {
    stack('dormant', 'UPDATE_ROLLBACK_FAILED');
    await expect(handler(event({ database: coldDb() }))).rejects.toMatchObject({ name: 'PromotionFailedError' });
    expect(cfn).not.toHaveReceivedCommand(UpdateStackCommand);
  });
});

it('refuses a malformed input before doing anything', async () => {
  await expect(handler(event({ phase: 'explode' }))).rejects.toMatchObject({ name: 'InvalidInputError' });
  expect(rds).not.toHaveReceivedAnyCommand();
  expect(cfn).not.toHaveReceivedAnyCommand();
});
