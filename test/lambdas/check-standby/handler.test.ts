import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand, type StackStatus } from '@aws-sdk/client-cloudformation';
import {
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { auroraDb, coldDb, EAST_ARN, hotDb, regionsOf, warmDb, WEST_ARN } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/check-standby/handler.js');

const rds = mockClient(RDSClient);
const cfn = mockClient(CloudFormationClient);
const HOST = 'orders-replica.c9akciq32.us-west-2.rds.amazonaws.com';
const SOURCE = 'arn:aws:rds:us-east-1:123456789012:db:orders-primary';

const instance = (over: Record<string, unknown> = {}) =>
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'orders-replica',
        DBInstanceStatus: 'available',
        DBInstanceClass: 'db.r6g.large',
        Endpoint: { Address: HOST, Port: 5432 },
        ...over,
      },
    ],
  });

beforeEach(() => {
  rds.reset();
  cfn.reset();
  instance();
});

describe('check-standby: hot/warm', () => {
  it('ready once promoted and available; the endpoint comes from RDS in the standby Region', async () => {
    expect(await handler({ database: hotDb() })).toEqual({ ready: true, status: 'available', endpoint: HOST, needsScaleUp: false, writable: true });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-replica' });
    expect(await regionsOf(rds, DescribeDBInstancesCommand)).toEqual(['us-west-2']);
  });

  it.each([
    ['still a replica', { ReadReplicaSourceDBInstanceIdentifier: SOURCE }, 'available'],
    ['rebooting after promotion', { DBInstanceStatus: 'rebooting' }, 'rebooting'],
    ['modifying', { DBInstanceStatus: 'modifying', ReadReplicaSourceDBInstanceIdentifier: SOURCE }, 'modifying'],
  ])('not ready while %s (no error)', async (_name, over, status) => {
    instance(over);
    expect(await handler({ database: hotDb() })).toMatchObject({ ready: false, status, writable: false });
  });

  it('writable, not yet ready, while RDS backs the promoted instance up (no longer a replica): DNS may follow it', async () => {
    instance({ DBInstanceStatus: 'backing-up' });
    expect(await handler({ database: hotDb() })).toEqual({ ready: false, status: 'backing-up', endpoint: HOST, needsScaleUp: false, writable: true });
  });

  it('warm after promotion: ready, and tells that a scale-up is needed', async () => {
    expect(await handler({ database: warmDb() })).toEqual({ ready: true, status: 'available', endpoint: HOST, needsScaleUp: true, writable: true });
  });

  it('warm scale-up: ready only at the promoted class with nothing pending', async () => {
    instance({ DBInstanceStatus: 'modifying', PendingModifiedValues: { DBInstanceClass: 'db.r6g.xlarge' } });
    expect(await handler({ database: warmDb(), phase: 'scale-up' })).toMatchObject({ ready: false, needsScaleUp: true, writable: true });
    instance({ DBInstanceClass: 'db.r6g.xlarge' });
    expect(await handler({ database: warmDb(), phase: 'scale-up' })).toEqual({
      ready: true,
      status: 'available',
      endpoint: HOST,
      needsScaleUp: false,
      writable: true,
    });
  });

  it.each([
    ['a missing standby', new DBInstanceNotFoundFault({ message: 'DBInstance orders-replica not found.', $metadata: {} }), 'PromotionFailedError'],
    [
      'throttling',
      new RDSServiceException({ name: 'Throttling', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
      'TransientAwsError',
    ],
    [
      'access denied',
      new RDSServiceException({ name: 'AccessDenied', message: 'denied', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
      'AwsCallFailedError',
    ],
  ])('%s -> %s', async (_name, error, name) => {
    rds.on(DescribeDBInstancesCommand).rejects(error);
    await expect(handler({ database: hotDb() })).rejects.toMatchObject({ name });
  });
});

describe('check-standby: Aurora', () => {
  const arrange = (westWriter: boolean, over: Record<string, unknown> = {}, clusterStatus = 'available') => {
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-west' }).resolves({
      DBClusters: [
        { DBClusterIdentifier: 'orders-west', DBClusterArn: WEST_ARN, Status: clusterStatus, Endpoint: 'orders-west.cluster-xyz.us-west-2.rds.amazonaws.com' },
      ],
    });
    rds.on(DescribeGlobalClustersCommand, { GlobalClusterIdentifier: 'orders-global' }).resolves({
      GlobalClusters: [
        {
          GlobalClusterMembers: [
            { DBClusterArn: EAST_ARN, IsWriter: !westWriter },
            { DBClusterArn: WEST_ARN, IsWriter: westWriter },
          ],
          ...over,
        },
      ],
    });
  };

  it('ready when the standby cluster writes, no failover runs and the cluster is available', async () => {
    arrange(true);
    expect(await handler({ database: auroraDb() })).toEqual({
      ready: true,
      status: 'available',
      endpoint: 'orders-west.cluster-xyz.us-west-2.rds.amazonaws.com',
      needsScaleUp: false,
      writable: true,
    });
    expect(await regionsOf(rds, DescribeGlobalClustersCommand)).toEqual(['us-west-2']);
  });

  it.each([
    ['not the writer yet', false, {}, 'available'],
    ['failover still running', true, { FailoverState: { Status: 'failing-over', ToDbClusterArn: WEST_ARN } }, 'available'],
    ['cluster not available', true, {}, 'modifying'],
  ])('not ready: %s', async (_name, westWriter, over, status) => {
    arrange(westWriter, over, status);
    expect(await handler({ database: auroraDb() })).toMatchObject({ ready: false });
  });
});

describe('check-standby: cold', () => {
  const stack = (status: string, mode = 'active', reason?: string) =>
    cfn.on(DescribeStacksCommand, { StackName: 'orders-cold' }).resolves({
      Stacks: [
        {
          StackName: 'orders-cold',
          StackStatus: status as StackStatus,
          StackStatusReason: reason,
          CreationTime: new Date(0),
          Parameters: [{ ParameterKey: 'Mode', ParameterValue: mode }],
        },
      ],
    });

  it('waits for the stack, then for the instance', async () => {
    stack('UPDATE_IN_PROGRESS');
    expect(await handler({ database: coldDb() })).toEqual({ ready: false, status: 'UPDATE_IN_PROGRESS', endpoint: null, needsScaleUp: false, writable: false });
    expect(rds).not.toHaveReceivedAnyCommand();

    stack('UPDATE_COMPLETE');
    instance({ DBInstanceIdentifier: 'orders-cold-db', DBInstanceStatus: 'available', Endpoint: { Address: 'orders-cold-db.x.us-west-2.rds.amazonaws.com' } });
    expect(await handler({ database: coldDb() })).toEqual({
      ready: true,
      status: 'available',
      endpoint: 'orders-cold-db.x.us-west-2.rds.amazonaws.com',
      needsScaleUp: false,
      writable: true,
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-cold-db' });
    expect(await regionsOf(cfn, DescribeStacksCommand)).toEqual(['us-west-2', 'us-west-2']);
  });

  it('an active stack whose instance is a read replica (rebuilt by a failback) is not writable until promoted', async () => {
    stack('UPDATE_COMPLETE');
    instance({
      DBInstanceIdentifier: 'orders-cold-db',
      DBInstanceStatus: 'available',
      ReadReplicaSourceDBInstanceIdentifier: SOURCE,
      Endpoint: { Address: 'orders-cold-db.x.us-west-2.rds.amazonaws.com' },
    });
    expect(await handler({ database: coldDb() })).toEqual({
      ready: false,
      status: 'available (still a read replica)',
      endpoint: 'orders-cold-db.x.us-west-2.rds.amazonaws.com',
      needsScaleUp: false,
      writable: false,
    });
  });

  it('a complete stack whose instance is still starting is not ready', async () => {
    stack('UPDATE_COMPLETE');
    instance({ DBInstanceStatus: 'backing-up' });
    expect(await handler({ database: coldDb() })).toMatchObject({ ready: false, status: 'backing-up' });
  });

  it('a stack not switched to active yet is waiting', async () => {
    stack('CREATE_COMPLETE', 'dormant');
    expect(await handler({ database: coldDb() })).toMatchObject({ ready: false, status: 'CREATE_COMPLETE (Mode not yet active)' });
  });

  it.each(['UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED', 'UPDATE_FAILED'])(
    '%s -> PromotionFailedError',
    async (status) => {
      stack(status, 'dormant', 'Resource handler returned message: "Cannot restore from snapshot"');
      await expect(handler({ database: coldDb() })).rejects.toMatchObject({
        name: 'PromotionFailedError',
        message: expect.stringContaining('Cannot restore from snapshot'),
      });
    },
  );

  it('a missing stack -> PromotionFailedError', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        message: 'Stack with id orders-cold does not exist',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(handler({ database: coldDb() })).rejects.toMatchObject({ name: 'PromotionFailedError' });
  });

  it('throttling -> TransientAwsError', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(new CloudFormationServiceException({ name: 'Throttling', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    await expect(handler({ database: coldDb() })).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

it('refuses a malformed input before doing anything', async () => {
  await expect(handler({ database: hotDb(), phase: 'later' })).rejects.toMatchObject({ name: 'InvalidInputError' });
  expect(rds).not.toHaveReceivedAnyCommand();
});
