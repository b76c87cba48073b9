import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RDSServiceException,
  RebootDBInstanceCommand,
  StopDBInstanceCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.TABLE_NAME = 'failover-state';
process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/fence-primary/handler.js');

const ddb = mockClient(DynamoDBClient);
const ec2 = mockClient(EC2Client);
const rds = mockClient(RDSClient);

const VPC = 'vpc-0e0e0e0e0e0e0e0e0';
const ISO = 'sg-0150150150150150a';
const APP = 'sg-0a1b2c3d4e5f60718';
const SHARED = 'sg-0cccccccccccccccc';
const FILTERS = [
  { Name: 'vpc-id', Values: [VPC] },
  { Name: 'group-name', Values: ['rds-failover-isolation'] },
];
const rdsError = (name: string, message = name) => new RDSServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
const ec2Error = (name: string, message = name) => new EC2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

/** The database without any security group listed (the contract example's shape). */
const noGroups = (method?: string) =>
  hotDb((r) => {
    delete (r.primary as { securityGroupIds?: string[] }).securityGroupIds;
    delete (r.standby as { securityGroupIds?: string[] }).securityGroupIds;
    if (method) Object.assign(r.failover as object, { fenceMethod: method });
  });
const event = (database = noGroups()) => ({ database, epoch: 3, incidentId: 'inc-7' });
const shape = (status: string, groups: Array<[string, string]>, id = 'orders-primary'): DBInstance => ({
  DBInstanceIdentifier: id,
  DBInstanceStatus: status,
  DBSubnetGroup: { DBSubnetGroupName: 'orders-subnets', VpcId: VPC },
  VpcSecurityGroups: groups.map(([VpcSecurityGroupId, Status]) => ({ VpcSecurityGroupId, Status })),
});
/** DescribeDBInstances answers these shapes one after the other (the last one sticks). */
const describes = (...shapes: DBInstance[]) => {
  let i = 0;
  rds.on(DescribeDBInstancesCommand).callsFake(() => {
    order.push('describe');
    return { DBInstances: [shapes[Math.min(i++, shapes.length - 1)]] };
  });
};
const saved = () => ddb.commandCalls(UpdateItemCommand).map((c) => unmarshall(c.args[0].input.ExpressionAttributeValues!));

let order: string[];
beforeEach(() => {
  ddb.reset();
  ec2.reset();
  rds.reset();
  order = [];
  ddb.on(GetItemCommand).resolves({});
  ddb.on(UpdateItemCommand).callsFake(() => {
    order.push('save');
    return {};
  });
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
  ec2.on(CreateSecurityGroupCommand).callsFake(() => {
    order.push('create-group');
    return { GroupId: ISO };
  });
  rds.on(ModifyDBInstanceCommand).callsFake(() => {
    order.push('modify');
    return {};
  });
  rds.on(RebootDBInstanceCommand).callsFake(() => {
    order.push('reboot');
    return { DBInstance: { DBInstanceStatus: 'rebooting' } };
  });
  rds.on(StopDBInstanceCommand).callsFake(() => {
    order.push('stop');
    return { DBInstance: { DBInstanceStatus: 'stopping' } };
  });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('fence-primary handler: isolation (no hand-kept list)', () => {
  it('creates the isolation group in the instance VPC, saves the originals, swaps, waits for active, reboots: confirmed', async () => {
    describes(
      shape('available', [
        [APP, 'active'],
        [SHARED, 'active'],
      ]),
      shape('available', [[ISO, 'active']]),
      shape('available', [[ISO, 'active']]),
    );
    const out = await handler(event());
    expect(out.confirmed).toBe(true);
    expect(out.actions).toEqual([
      {
        action: 'isolate orders-primary',
        result: 'done',
        detail: `only ${ISO} (rds-failover-isolation, no inbound rule) is active; originals ${APP}, ${SHARED} kept`,
      },
      { action: 'reboot orders-primary', result: 'done', detail: 'rebooted: open sessions dropped' },
    ]);
    expect(out.isolated).toEqual([{ region: 'us-east-1', instanceId: 'orders-primary', vpcId: VPC, isolationGroupId: ISO, originalGroupIds: [APP, SHARED] }]);
    expect(ec2).toHaveReceivedCommandWith(DescribeSecurityGroupsCommand, { Filters: FILTERS });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(CreateSecurityGroupCommand, {
      GroupName: 'rds-failover-isolation',
      Description: expect.stringContaining('no inbound rule'),
      VpcId: VPC,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'rds-failover:purpose', Value: 'fence-isolation' }] }],
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'orders-primary',
      VpcSecurityGroupIds: [ISO],
      ApplyImmediately: true,
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(RebootDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
    // The originals are in the record BEFORE the swap; the reboot only once the isolation is observed.
    expect(order).toEqual(['describe', 'create-group', 'save', 'modify', 'describe', 'describe', 'reboot', 'save']);
    expect(saved()[0]).toMatchObject({ ':isolated': [{ instanceId: 'orders-primary', originalGroupIds: [APP, SHARED], isolationGroupId: ISO }] });
    expect(ec2).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
    expect(await regionsOf(rds, ModifyDBInstanceCommand)).toEqual(['us-east-1']);
    expect(await regionsOf(ec2, CreateSecurityGroupCommand)).toEqual(['us-east-1']);
  });

  it('uses the isolation group already in the VPC (no CreateSecurityGroup)', async () => {
    ec2
      .on(DescribeSecurityGroupsCommand, { Filters: FILTERS })
      .resolves({ SecurityGroups: [{ GroupId: ISO, GroupName: 'rds-failover-isolation', VpcId: VPC, IpPermissions: [] }] });
    describes(shape('available', [[APP, 'active']]), shape('available', [[ISO, 'active']]));
    const out = await handler(event());
    expect(out.confirmed).toBe(true);
    expect(ec2).not.toHaveReceivedCommand(CreateSecurityGroupCommand);
    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { VpcSecurityGroupIds: [ISO] });
  });

  it('another run created the group meanwhile (InvalidGroup.Duplicate): finds it', async () => {
    let n = 0;
    ec2.on(DescribeSecurityGroupsCommand).callsFake(() => ({ SecurityGroups: n++ === 0 ? [] : [{ GroupId: ISO, IpPermissions: [] }] }));
    ec2.on(CreateSecurityGroupCommand).rejects(ec2Error('InvalidGroup.Duplicate', "The security group 'rds-failover-isolation' already exists for VPC"));
    describes(shape('available', [[APP, 'active']]), shape('available', [[ISO, 'active']]));
    const out = await handler(event());
    expect(out.confirmed).toBe(true);
    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { VpcSecurityGroupIds: [ISO] });
  });

  it('refuses an isolation group that has ingress rules: not confirmed, nothing swapped, nothing rebooted', async () => {
    ec2
      .on(DescribeSecurityGroupsCommand, { Filters: FILTERS })
      .resolves({ SecurityGroups: [{ GroupId: ISO, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }] });
    describes(shape('available', [[APP, 'active']]));
    const out = await handler(event());
    expect(out.confirmed).toBe(false);
    expect(out.actions[0]).toMatchObject({ action: 'isolate orders-primary', result: 'failed', detail: expect.stringContaining('it would not isolate') });
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it('a failed (crashed) instance cannot be modified: originals recorded, no swap, no reboot, confirmed as down', async () => {
    describes(shape('failed', [[APP, 'active']]));
    const out = await handler(event());
    expect(out.confirmed).toBe(true);
    expect(out.actions[0]).toMatchObject({ action: 'isolate orders-primary', result: 'skipped', detail: expect.stringContaining('instance is failed') });
    expect(out.actions[1]).toMatchObject({ action: 'reboot orders-primary', result: 'already-done' });
    expect(out.isolated).toEqual([{ region: 'us-east-1', instanceId: 'orders-primary', vpcId: VPC, isolationGroupId: ISO, originalGroupIds: [APP] }]);
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it('a re-run finds the isolation in place: keeps the recorded originals (never the isolation group), no second swap', async () => {
    const record = { region: 'us-east-1', instanceId: 'orders-primary', vpcId: VPC, isolationGroupId: ISO, originalGroupIds: [APP] };
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'FENCE#inc-7', sk: 'FENCE', revoked: [], isolated: [record] }) });
    describes(shape('available', [[ISO, 'active']]));
    const out = await handler(event());
    expect(out.confirmed).toBe(true);
    expect(out.actions[0]).toMatchObject({ result: 'already-done' });
    expect(out.isolated).toEqual([record]);
    expect(ec2).not.toHaveReceivedAnyCommand();
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('the swap is still being applied after every poll: ResourceBusyError (the workflow retries), no reboot', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    describes(
      shape('available', [[APP, 'active']]),
      shape('available', [
        [APP, 'removing'],
        [ISO, 'adding'],
      ]),
    );
    const run = handler(event());
    const check = expect(run).rejects.toMatchObject({ name: 'ResourceBusyError', message: expect.stringContaining('still being applied') });
    await vi.runAllTimersAsync();
    await check;
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 11);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it('ModifyDBInstance refused (InvalidDBInstanceState) and the instance is mid-change: not confirmed', async () => {
    rds.on(ModifyDBInstanceCommand).rejects(rdsError('InvalidDBInstanceStateFault', 'DB Instance is not in available state.'));
    describes(shape('available', [[APP, 'active']]), shape('modifying', [[APP, 'active']]));
    const out = await handler(event());
    expect(out.confirmed).toBe(false);
    expect(out.actions[0]).toEqual({ action: 'isolate orders-primary', result: 'failed', detail: 'instance is modifying: it cannot be isolated now' });
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it("site 'standby' in the failback: isolates the current roles' other site in its own Region", async () => {
    describes(shape('available', [[APP, 'active']], 'orders-primary'), shape('available', [[ISO, 'active']], 'orders-primary'));
    const out = await handler({ ...event(currentRoles(noGroups(), 'standby')), site: 'standby' });
    expect(out.confirmed).toBe(true);
    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
    expect(await regionsOf(rds, ModifyDBInstanceCommand)).toEqual(['us-east-1']);
  });

  describe('what cannot be isolated is recorded as failed (never assumed fenced), the sessions left alone', () => {
    const timeout = () => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });
    const TIMED_OUT = 'the primary Region did not answer (TimeoutError: Connection timed out after 3000 ms)';

    it('the instance cannot be described', async () => {
      rds.on(DescribeDBInstancesCommand).rejects(timeout());
      const out = await handler(event());
      expect(out).toMatchObject({ confirmed: false, deferred: false, instanceStatus: null, isolated: [] });
      expect(out.actions).toEqual([
        { action: 'isolate orders-primary', result: 'failed', detail: `DescribeDBInstances: ${TIMED_OUT}` },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'the instance could not be described' },
      ]);
      expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    });

    it('the instance shows no VPC (and no isolation was recorded)', async () => {
      describes({ ...shape('available', [[APP, 'active']]), DBSubnetGroup: undefined });
      const out = await handler(event());
      expect(out).toMatchObject({ confirmed: false, instanceStatus: 'available', isolated: [] });
      expect(out.actions).toEqual([
        {
          action: 'isolate orders-primary',
          result: 'failed',
          detail: 'DescribeDBInstances shows no DBSubnetGroup.VpcId for orders-primary: no VPC to isolate it in',
        },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'not isolated' },
      ]);
      expect(ec2).not.toHaveReceivedAnyCommand();
    });

    it('the isolation group cannot be found or created (access denied): recorded with the VPC it was for', async () => {
      ec2.on(CreateSecurityGroupCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
      describes(shape('available', [[APP, 'active']]));
      const out = await handler(event());
      expect(out.actions).toEqual([
        {
          action: 'isolate orders-primary',
          result: 'failed',
          detail: `the isolation group of ${VPC}: access denied (UnauthorizedOperation: You are not authorized to perform this operation.)`,
        },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'not isolated' },
      ]);
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    });

    it('a server error creating the isolation group is thrown (TransientAwsError: retried)', async () => {
      ec2
        .on(CreateSecurityGroupCommand)
        .rejects(
          new EC2ServiceException({ name: 'InternalError', message: 'An internal error has occurred', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
        );
      describes(shape('available', [[APP, 'active']]));
      await expect(handler(event())).rejects.toMatchObject({
        name: 'TransientAwsError',
        message: `the isolation group of ${VPC} failed with a server error: InternalError`,
      });
    });

    it('ModifyDBInstance denied: failed, the originals stay recorded, no reboot', async () => {
      rds.on(ModifyDBInstanceCommand).rejects(rdsError('AccessDenied', 'not authorized to perform: rds:ModifyDBInstance'));
      describes(shape('available', [[APP, 'active']]));
      const out = await handler(event());
      expect(out).toMatchObject({ confirmed: false, instanceStatus: 'available' });
      expect(out.isolated).toEqual([{ region: 'us-east-1', instanceId: 'orders-primary', vpcId: VPC, isolationGroupId: ISO, originalGroupIds: [APP] }]);
      expect(out.actions).toEqual([
        {
          action: 'isolate orders-primary',
          result: 'failed',
          detail: 'ModifyDBInstance: access denied (AccessDenied: not authorized to perform: rds:ModifyDBInstance)',
        },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'not isolated' },
      ]);
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    });

    it('ModifyDBInstance refused (InvalidDBInstanceState) and the instance cannot be described again', async () => {
      rds.on(ModifyDBInstanceCommand).rejects(rdsError('InvalidDBInstanceStateFault', 'DB Instance is not in available state.'));
      let n = 0;
      rds.on(DescribeDBInstancesCommand).callsFake(() => {
        if (n++ > 0) throw timeout();
        return { DBInstances: [shape('available', [[APP, 'active']])] };
      });
      const out = await handler(event());
      expect(out).toMatchObject({ confirmed: false, instanceStatus: 'available' });
      expect(out.actions).toEqual([
        { action: 'isolate orders-primary', result: 'failed', detail: `DescribeDBInstances: ${TIMED_OUT}` },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'not isolated' },
      ]);
    });

    it('ModifyDBInstance refused (InvalidDBInstanceState) and the instance is now failed: down, confirmed while it stays down', async () => {
      rds.on(ModifyDBInstanceCommand).rejects(rdsError('InvalidDBInstanceStateFault', 'DB Instance is not in available state.'));
      describes(shape('available', [[APP, 'active']]), shape('failed', [[APP, 'active']]));
      const out = await handler(event());
      expect(out).toMatchObject({ confirmed: true, deferred: true, instanceStatus: 'failed' });
      expect(out.actions).toEqual([
        {
          action: 'isolate orders-primary',
          result: 'skipped',
          detail: `instance is failed: RDS takes no connection and refuses changes; original groups ${APP} recorded, isolated in ${ISO} when it answers again`,
        },
        { action: 'reboot orders-primary', result: 'already-done', detail: 'instance is failed: no open sessions' },
      ]);
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    });

    it('the swap cannot be observed (the Region stops answering while it is applied)', async () => {
      let n = 0;
      rds.on(DescribeDBInstancesCommand).callsFake(() => {
        if (n++ > 0) throw timeout();
        return { DBInstances: [shape('available', [[APP, 'active']])] };
      });
      const out = await handler(event());
      expect(out).toMatchObject({ confirmed: false, instanceStatus: null });
      expect(out.actions).toEqual([
        { action: 'isolate orders-primary', result: 'failed', detail: `DescribeDBInstances: ${TIMED_OUT}` },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'the isolation could not be observed' },
      ]);
      expect(rds).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
    });

    it('a recorded isolation group is used again without looking for it (a re-run after the swap was asked)', async () => {
      const record = { region: 'us-east-1', instanceId: 'orders-primary', vpcId: VPC, isolationGroupId: ISO, originalGroupIds: [APP] };
      ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'FENCE#inc-7', sk: 'FENCE', revoked: [], isolated: [record] }) });
      describes(
        shape('available', [
          [APP, 'removing'],
          [ISO, 'adding'],
        ]),
        shape('available', [[ISO, 'active']]),
      );
      const out = await handler(event());
      expect(out.confirmed).toBe(true);
      expect(out.actions[0]).toEqual({
        action: 'isolate orders-primary',
        result: 'done',
        detail: `only ${ISO} (rds-failover-isolation, no inbound rule) is active; originals ${APP} kept`,
      });
      expect(ec2).not.toHaveReceivedAnyCommand();
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
      // Described: the facts, the poll that sees the isolation active, then before the reboot.
      expect(order).toEqual(['describe', 'describe', 'describe', 'reboot', 'save']);
    });
  });

  describe('fenceMethod stop', () => {
    it('isolates, then stops the instance instead of rebooting it', async () => {
      describes(shape('available', [[APP, 'active']]), shape('available', [[ISO, 'active']]));
      const out = await handler(event(noGroups('stop')));
      expect(out.confirmed).toBe(true);
      expect(out.actions[1]).toEqual({
        action: 'stop orders-primary',
        result: 'done',
        detail: 'stopped: open sessions dropped; it stays isolated if it starts again',
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(StopDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
      expect(order.indexOf('modify')).toBeLessThan(order.indexOf('stop'));
    });

    it('StopDBInstance denied: the stop is recorded as failed, no reboot instead', async () => {
      rds.on(StopDBInstanceCommand).rejects(rdsError('AccessDenied', 'not authorized to perform: rds:StopDBInstance'));
      describes(shape('available', [[APP, 'active']]), shape('available', [[ISO, 'active']]));
      const out = await handler(event(noGroups('stop')));
      expect(out).toMatchObject({ confirmed: false, instanceStatus: null });
      expect(out.actions[1]).toEqual({
        action: 'stop orders-primary',
        result: 'failed',
        detail: 'StopDBInstance: access denied (AccessDenied: not authorized to perform: rds:StopDBInstance)',
      });
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    });

    it('RDS refuses to stop an instance with read replicas: reboots instead, still confirmed', async () => {
      rds.on(StopDBInstanceCommand).rejects(rdsError('InvalidDBInstanceStateFault', 'Cannot stop DB instance orders-primary because it has read replicas.'));
      describes(shape('available', [[APP, 'active']]), shape('available', [[ISO, 'active']]));
      const out = await handler(event(noGroups('stop')));
      expect(out.confirmed).toBe(true);
      expect(out.actions[1]).toMatchObject({
        action: 'reboot orders-primary',
        result: 'done',
        detail: expect.stringContaining('StopDBInstance refused: Cannot stop DB instance orders-primary because it has read replicas.'),
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(RebootDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
    });
  });
});
