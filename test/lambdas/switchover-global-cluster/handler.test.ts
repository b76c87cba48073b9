import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  InvalidGlobalClusterStateFault,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { decideSwitchover } from '../../../lambdas/switchover-global-cluster/core.js';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { auroraDb, EAST_ARN, hotDb, regionsOf, WEST_ARN } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/switchover-global-cluster/handler.js');
const rds = mockClient(RDSClient);
// After the failover: orders-west writes; the failback switches back to orders-east (the view's standby).
const view = currentRoles(auroraDb(), 'standby');
const event = (over: Record<string, unknown> = {}) => ({ database: view, epoch: 8, incidentId: 'inc-1-failback', ...over });
const global = (over: Record<string, unknown> = {}) =>
  rds.on(DescribeGlobalClustersCommand).resolves({
    GlobalClusters: [
      {
        GlobalClusterIdentifier: 'orders-global',
        GlobalClusterMembers: [
          { DBClusterArn: WEST_ARN, IsWriter: true },
          { DBClusterArn: EAST_ARN, IsWriter: false },
        ],
        ...over,
      },
    ],
  });

beforeEach(() => {
  rds.reset();
  rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-east', DBClusterArn: EAST_ARN, Status: 'available' }] });
  rds.on(SwitchoverGlobalClusterCommand).resolves({});
});

describe('switchover-global-cluster', () => {
  it('switches the global cluster over to the original cluster (by ARN), never a data-loss failover', async () => {
    global();
    await expect(handler(event())).resolves.toEqual({
      started: true,
      target: { region: 'us-east-1', id: 'orders-east' },
      detail: `switching orders-global over to ${EAST_ARN}`,
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(SwitchoverGlobalClusterCommand, {
      GlobalClusterIdentifier: 'orders-global',
      TargetDbClusterIdentifier: EAST_ARN,
    });
    expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
    expect(await regionsOf(rds, SwitchoverGlobalClusterCommand)).toEqual(['us-east-1']);
  });

  it.each([
    ['a switchover to it already runs', { FailoverState: { Status: 'switching-over', ToDbClusterArn: EAST_ARN } }],
    [
      'it is already the writer',
      {
        GlobalClusterMembers: [
          { DBClusterArn: EAST_ARN, IsWriter: true },
          { DBClusterArn: WEST_ARN, IsWriter: false },
        ],
      },
    ],
  ])('idempotent: %s', async (_label, over) => {
    global(over);
    await expect(handler(event())).resolves.toMatchObject({ started: false });
    expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
  });

  it('a busy global cluster is ResourceBusyError; an operation towards another cluster is FailbackStepFailedError', async () => {
    global();
    rds.on(SwitchoverGlobalClusterCommand).rejects(new InvalidGlobalClusterStateFault({ message: 'busy', $metadata: {} }));
    await expect(handler(event())).rejects.toMatchObject({ name: 'ResourceBusyError' });
    global({ FailoverState: { Status: 'failing-over', ToDbClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:x' } });
    await expect(handler(event())).rejects.toMatchObject({ name: 'FailbackStepFailedError' });
  });

  it('refuses instance engines', async () => {
    await expect(handler(event({ database: hotDb() }))).rejects.toMatchObject({ name: 'InvalidInputError' });
  });

  it('the decision reads like a switchover', () => {
    expect(decideSwitchover({ id: 'g', members: [{ arn: 'a', isWriter: false }] }, 'a')).toEqual({ kind: 'call', detail: 'switching g over to a' });
    expect(decideSwitchover({ id: 'g', members: [] }, 'a').kind).toBe('fail');
  });
});
