import 'aws-sdk-client-mock-vitest/extend';
import {
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { auroraDb, EAST_ARN, hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/check-original-site/handler.js');
const rds = mockClient(RDSClient);
const view = currentRoles(hotDb(), 'standby');
const event = (over: Record<string, unknown> = {}) => ({ database: view, site: 'standby', attempt: 0, waitingSince: '2026-04-01T00:00:00.000Z', ...over });

beforeEach(() => {
  rds.reset();
  vi.useFakeTimers({ now: new Date('2026-04-01T06:00:00.000Z'), toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

describe('check-original-site', () => {
  it('asks the RDS API of the original Region about the old primary, and reports it ready once available', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'orders-primary', DBInstanceStatus: 'available' }] });
    await expect(handler(event())).resolves.toEqual({
      answered: true,
      ready: true,
      status: 'available',
      detail: 'orders-primary is available again',
      attempt: 1,
      waitingSince: '2026-04-01T00:00:00.000Z',
      nextWaitSeconds: 300,
      giveUp: false,
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-primary' });
    expect(await regionsOf(rds, DescribeDBInstancesCommand)).toEqual(['us-east-1']);
  });

  it('a Region that times out does not answer: not ready, the backoff grows', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }));
    await expect(handler(event({ attempt: 3 }))).resolves.toMatchObject({ answered: false, ready: false, attempt: 4, nextWaitSeconds: 1512, giveUp: false });
  });

  it('gives up once failback.maxWaitHours have passed without the site answering', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'orders-primary', DBInstanceStatus: 'failed' }] });
    await expect(handler(event({ waitingSince: '2026-03-20T00:00:00.000Z' }))).resolves.toMatchObject({
      answered: true,
      ready: false,
      status: 'failed',
      giveUp: true,
    });
  });

  it('an old primary that no longer exists leaves nothing to preserve: ready', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'DBInstance orders-primary not found.', $metadata: {} }));
    await expect(handler(event())).resolves.toMatchObject({ answered: true, ready: true, status: 'absent' });
  });

  it('access denied is a terminal error (not "the Region is down")', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .rejects(new RDSServiceException({ name: 'AccessDenied', message: 'not authorized', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
    await expect(handler(event())).rejects.toMatchObject({ name: 'AwsCallFailedError' });
  });

  it('Aurora: ready once the old primary cluster is an available secondary of the global cluster', async () => {
    const aurora = currentRoles(auroraDb(), 'standby');
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-east', DBClusterArn: EAST_ARN, Status: 'available' }] });
    rds
      .on(DescribeGlobalClustersCommand)
      .resolves({ GlobalClusters: [{ GlobalClusterMembers: [{ DBClusterArn: EAST_ARN, IsWriter: false, SynchronizationStatus: 'connected' }] }] });
    await expect(handler(event({ database: aurora }))).resolves.toMatchObject({ ready: true, status: 'available' });
    expect(rds).toHaveReceivedCommandWith(DescribeGlobalClustersCommand, { GlobalClusterIdentifier: 'orders-global' });
    expect(await regionsOf(rds, DescribeDBClustersCommand)).toEqual(['us-east-1']);
  });

  it('refuses a malformed input without calling anything', async () => {
    await expect(handler({ database: view })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});
