import 'aws-sdk-client-mock-vitest/extend';
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
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emptyFenceRecord, mergeFenceRecord, type FenceRecord, type IsolationRecord } from '../../../lambdas/shared/fence-record.js';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';
import { fenceLikeTheWorkflow } from './fence-loop.js';

// The function runs in the control Region; it fences in the primary's (us-east-1). It keeps no table: no TABLE_NAME.
process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/fence-primary/handler.js');

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
/**
 * DescribeDBInstances answers these shapes one after the other (the last one sticks), over every
 * call of a test: where the originals are kept first, the first call describes once and stops, so
 * the instance as it was is given twice.
 */
const describes = (...shapes: DBInstance[]) => {
  let i = 0;
  rds.on(DescribeDBInstancesCommand).callsFake(() => {
    order.push('describe');
    return { DBInstances: [shapes[Math.min(i++, shapes.length - 1)]] };
  });
};
/** The isolation record of orders-primary once its original groups are kept. */
const entry = (originalGroupIds: string[]): IsolationRecord => ({
  region: 'us-east-1',
  instanceId: 'orders-primary',
  vpcId: VPC,
  isolationGroupId: ISO,
  originalGroupIds,
});

let order: string[];
/** The fence record in the table (FENCE#inc-7), as record-fence keeps it, and every whole record it returned, in order. */
let record: FenceRecord;
let saves: FenceRecord[];
/** record-fence, as the workflow runs it after a RecordOriginalsFirst: the part carried merged into the table's record, the whole record returned. */
const keep = (unsaved: FenceRecord): FenceRecord => {
  order.push('save');
  record = mergeFenceRecord(record, unsaved).record;
  saves.push(record);
  return record;
};
/** The fence as the workflow runs it: first without `saved` (unless the event has one), then again with the kept record while it asks to keep originals. */
const fence = (ev: object) => fenceLikeTheWorkflow(handler, ev, keep);

beforeEach(() => {
  ec2.reset();
  rds.reset();
  order = [];
  record = emptyFenceRecord();
  saves = [];
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
  const before = shape('available', [[APP, 'active']]);
  const isolated = shape('available', [[ISO, 'active']]);
  /** The isolation group is already in the VPC (an earlier run created it). */
  const groupInVpc = () =>
    ec2
      .on(DescribeSecurityGroupsCommand, { Filters: FILTERS })
      .resolves({ SecurityGroups: [{ GroupId: ISO, GroupName: 'rds-failover-isolation', VpcId: VPC, IpPermissions: [] }] });

  it('creates the isolation group in the instance VPC, keeps the originals, swaps, waits for active, reboots: confirmed', async () => {
    const groups = shape('available', [
      [APP, 'active'],
      [SHARED, 'active'],
    ]);
    describes(groups, groups, isolated);
    const out = await fence(event());
    expect(out.confirmed).toBe(true);
    expect(out.actions).toEqual([
      {
        action: 'isolate orders-primary',
        result: 'done',
        detail: `only ${ISO} (rds-failover-isolation, no inbound rule) is active; originals ${APP}, ${SHARED} kept`,
      },
      { action: 'reboot orders-primary', result: 'done', detail: 'rebooted: open sessions dropped' },
    ]);
    expect(out.isolated).toEqual([entry([APP, SHARED])]);
    expect(saves).toEqual([{ revoked: [], isolated: [entry([APP, SHARED])] }]);
    // Looked up by name once: the second call takes the group from the kept record.
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DescribeSecurityGroupsCommand, { Filters: FILTERS });
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
    // The originals are kept BEFORE the swap (the first call stops there); the reboot only once the isolation is observed.
    expect(order).toEqual(['describe', 'create-group', 'save', 'describe', 'modify', 'describe', 'describe', 'reboot']);
    expect(ec2).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
    expect(await regionsOf(rds, ModifyDBInstanceCommand)).toEqual(['us-east-1']);
    expect(await regionsOf(ec2, CreateSecurityGroupCommand)).toEqual(['us-east-1']);
  });

  it('an available instance: the first call asks to keep its originals and swaps nothing; given them kept, it swaps', async () => {
    describes(before, before, isolated);
    // One call, as the workflow's first fence state makes it (no record given).
    const err = await handler(event()).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RecordOriginalsFirst' });
    const unsaved = JSON.parse((err as Error).message) as FenceRecord;
    expect(unsaved).toEqual({
      revoked: [],
      isolated: [{ region: 'us-east-1', instanceId: 'orders-primary', vpcId: VPC, isolationGroupId: ISO, originalGroupIds: [APP] }],
    });
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    expect(order).toEqual(['describe', 'create-group']);
    // The second call, given that record: swaps, asks for nothing more, returns the record as given.
    const out = await handler({ ...event(), saved: unsaved });
    expect(out).toMatchObject({ confirmed: true, isolated: unsaved.isolated });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary', VpcSecurityGroupIds: [ISO] });
    expect(order).toEqual(['describe', 'create-group', 'describe', 'modify', 'describe', 'describe', 'reboot']);
  });

  it('uses the isolation group already in the VPC (no CreateSecurityGroup)', async () => {
    groupInVpc();
    describes(before, before, isolated);
    const out = await fence(event());
    expect(out.confirmed).toBe(true);
    expect(ec2).not.toHaveReceivedCommand(CreateSecurityGroupCommand);
    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { VpcSecurityGroupIds: [ISO] });
    expect(saves).toEqual([{ revoked: [], isolated: [entry([APP])] }]);
  });

  it('another run created the group meanwhile (InvalidGroup.Duplicate): finds it', async () => {
    let n = 0;
    ec2.on(DescribeSecurityGroupsCommand).callsFake(() => ({ SecurityGroups: n++ === 0 ? [] : [{ GroupId: ISO, IpPermissions: [] }] }));
    ec2.on(CreateSecurityGroupCommand).rejects(ec2Error('InvalidGroup.Duplicate', "The security group 'rds-failover-isolation' already exists for VPC"));
    describes(before, before, isolated);
    const out = await fence(event());
    expect(out.confirmed).toBe(true);
    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { VpcSecurityGroupIds: [ISO] });
    expect(record.isolated).toEqual([entry([APP])]);
  });

  it('refuses an isolation group that has ingress rules: not confirmed, nothing kept, nothing swapped, nothing rebooted', async () => {
    ec2
      .on(DescribeSecurityGroupsCommand, { Filters: FILTERS })
      .resolves({ SecurityGroups: [{ GroupId: ISO, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }] });
    describes(before);
    const out = await fence(event());
    expect(out.confirmed).toBe(false);
    expect(out.actions[0]).toMatchObject({ action: 'isolate orders-primary', result: 'failed', detail: expect.stringContaining('it would not isolate') });
    expect(saves).toEqual([]);
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it('a failed (crashed) instance cannot be modified: nothing changed so nothing to keep, no swap, no reboot, confirmed as down', async () => {
    describes(shape('failed', [[APP, 'active']]));
    // One call with no record: it does not ask to keep anything (a swap is what would need the originals kept).
    const out = await handler(event());
    expect(out).toMatchObject({ confirmed: true, deferred: true, instanceStatus: 'failed', isolated: [] });
    expect(out.actions[0]).toMatchObject({ action: 'isolate orders-primary', result: 'skipped', detail: expect.stringContaining('instance is failed') });
    expect(out.actions[1]).toMatchObject({ action: 'reboot orders-primary', result: 'already-done' });
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it('a re-run finds the isolation in place: asks to keep nothing (the kept originals are never replaced by the isolation group), no second swap', async () => {
    record = { revoked: [], isolated: [entry([APP])] };
    groupInVpc();
    describes(isolated);
    const out = await fence(event());
    expect(out.confirmed).toBe(true);
    // The call was given no record and changed nothing: it says so, and the table's record is as it was.
    expect(out.isolated).toEqual([]);
    expect(saves).toEqual([]);
    expect(record).toEqual({ revoked: [], isolated: [entry([APP])] });
    expect(ec2).not.toHaveReceivedCommand(CreateSecurityGroupCommand);
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    // Given the record (a retry of the fence state that had it): already done, the recorded originals returned.
    const again = await fence({ ...event(), saved: record });
    expect(again).toMatchObject({ confirmed: true, isolated: [entry([APP])] });
    expect(again.actions[0]).toMatchObject({ result: 'already-done' });
    expect(saves).toEqual([]);
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('the swap is still being applied after every poll: ResourceBusyError (the workflow retries), no reboot', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    describes(
      before,
      before,
      shape('available', [
        [APP, 'removing'],
        [ISO, 'adding'],
      ]),
    );
    const run = fence(event());
    const check = expect(run).rejects.toMatchObject({ name: 'ResourceBusyError', message: expect.stringContaining('still being applied') });
    await vi.runAllTimersAsync();
    await check;
    // The first call's look, then the second call's, then its 10 polls after the swap.
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 12);
    expect(rds).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    expect(record.isolated).toEqual([entry([APP])]);
  });

  it('ModifyDBInstance refused (InvalidDBInstanceState) and the instance is mid-change: not confirmed', async () => {
    rds.on(ModifyDBInstanceCommand).rejects(rdsError('InvalidDBInstanceStateFault', 'DB Instance is not in available state.'));
    describes(before, before, shape('modifying', [[APP, 'active']]));
    const out = await fence(event());
    expect(out.confirmed).toBe(false);
    expect(out.actions[0]).toEqual({ action: 'isolate orders-primary', result: 'failed', detail: 'instance is modifying: it cannot be isolated now' });
    expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
  });

  it("site 'standby' in the failback: isolates the current roles' other site in its own Region", async () => {
    describes(
      shape('available', [[APP, 'active']], 'orders-primary'),
      shape('available', [[APP, 'active']], 'orders-primary'),
      shape('available', [[ISO, 'active']], 'orders-primary'),
    );
    const out = await fence({ ...event(currentRoles(noGroups(), 'standby')), site: 'standby' });
    expect(out.confirmed).toBe(true);
    expect(rds).toHaveReceivedCommandWith(ModifyDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
    expect(await regionsOf(rds, ModifyDBInstanceCommand)).toEqual(['us-east-1']);
    expect(saves).toEqual([{ revoked: [], isolated: [entry([APP])] }]);
  });

  describe('what cannot be isolated is recorded as failed (never assumed fenced), the sessions left alone', () => {
    const timeout = () => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });
    const TIMED_OUT = 'the primary Region did not answer (TimeoutError: Connection timed out after 3000 ms)';

    it('the instance cannot be described', async () => {
      rds.on(DescribeDBInstancesCommand).rejects(timeout());
      const out = await fence(event());
      expect(out).toMatchObject({ confirmed: false, deferred: false, instanceStatus: null, isolated: [] });
      expect(out.actions).toEqual([
        { action: 'isolate orders-primary', result: 'failed', detail: `DescribeDBInstances: ${TIMED_OUT}` },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'the instance could not be described' },
      ]);
      expect(saves).toEqual([]);
    });

    it('the instance shows no VPC (and no isolation was recorded)', async () => {
      describes({ ...before, DBSubnetGroup: undefined });
      const out = await fence(event());
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
      expect(saves).toEqual([]);
    });

    it('the isolation group cannot be found or created (access denied): recorded with the VPC it was for', async () => {
      ec2.on(CreateSecurityGroupCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
      describes(before);
      const out = await fence(event());
      expect(out.actions).toEqual([
        {
          action: 'isolate orders-primary',
          result: 'failed',
          detail: `the isolation group of ${VPC}: access denied (UnauthorizedOperation: You are not authorized to perform this operation.)`,
        },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'not isolated' },
      ]);
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
      expect(saves).toEqual([]);
    });

    it('a server error creating the isolation group is thrown (TransientAwsError: retried)', async () => {
      ec2
        .on(CreateSecurityGroupCommand)
        .rejects(
          new EC2ServiceException({ name: 'InternalError', message: 'An internal error has occurred', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
        );
      describes(before);
      await expect(fence(event())).rejects.toMatchObject({
        name: 'TransientAwsError',
        message: `the isolation group of ${VPC} failed with a server error: InternalError`,
      });
      expect(saves).toEqual([]);
    });

    it('ModifyDBInstance denied: failed, the originals stay kept, no reboot', async () => {
      rds.on(ModifyDBInstanceCommand).callsFake(() => {
        order.push('modify');
        throw rdsError('AccessDenied', 'not authorized to perform: rds:ModifyDBInstance');
      });
      describes(before);
      const out = await fence(event());
      expect(out).toMatchObject({ confirmed: false, instanceStatus: 'available' });
      expect(out.isolated).toEqual([entry([APP])]);
      expect(record.isolated).toEqual([entry([APP])]);
      expect(out.actions).toEqual([
        {
          action: 'isolate orders-primary',
          result: 'failed',
          detail: 'ModifyDBInstance: access denied (AccessDenied: not authorized to perform: rds:ModifyDBInstance)',
        },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'not isolated' },
      ]);
      expect(order).toEqual(['describe', 'create-group', 'save', 'describe', 'modify']);
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    });

    // Below, the first two descriptions are each call's first look (the first call stops there to keep the originals).
    it('ModifyDBInstance refused (InvalidDBInstanceState) and the instance cannot be described again', async () => {
      rds.on(ModifyDBInstanceCommand).rejects(rdsError('InvalidDBInstanceStateFault', 'DB Instance is not in available state.'));
      let n = 0;
      rds.on(DescribeDBInstancesCommand).callsFake(() => {
        if (n++ > 1) throw timeout();
        return { DBInstances: [before] };
      });
      const out = await fence(event());
      expect(out).toMatchObject({ confirmed: false, instanceStatus: 'available' });
      expect(out.actions).toEqual([
        { action: 'isolate orders-primary', result: 'failed', detail: `DescribeDBInstances: ${TIMED_OUT}` },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'not isolated' },
      ]);
      expect(rds).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
    });

    it('ModifyDBInstance refused (InvalidDBInstanceState) and the instance is now failed: down, confirmed while it stays down', async () => {
      rds.on(ModifyDBInstanceCommand).rejects(rdsError('InvalidDBInstanceStateFault', 'DB Instance is not in available state.'));
      describes(before, before, shape('failed', [[APP, 'active']]));
      const out = await fence(event());
      expect(out).toMatchObject({ confirmed: true, deferred: true, instanceStatus: 'failed' });
      expect(out.actions).toEqual([
        {
          action: 'isolate orders-primary',
          result: 'skipped',
          detail: `instance is failed: RDS takes no connection and refuses changes; nothing changed (its groups ${APP} are kept when it is isolated), isolated in ${ISO} when it answers again`,
        },
        { action: 'reboot orders-primary', result: 'already-done', detail: 'instance is failed: no open sessions' },
      ]);
      // Kept before the swap was asked, they stay kept.
      expect(record.isolated).toEqual([entry([APP])]);
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
    });

    it('the swap cannot be observed (the Region stops answering while it is applied)', async () => {
      let n = 0;
      rds.on(DescribeDBInstancesCommand).callsFake(() => {
        if (n++ > 1) throw timeout();
        return { DBInstances: [before] };
      });
      const out = await fence(event());
      expect(out).toMatchObject({ confirmed: false, instanceStatus: null });
      expect(out.actions).toEqual([
        { action: 'isolate orders-primary', result: 'failed', detail: `DescribeDBInstances: ${TIMED_OUT}` },
        { action: 'reboot orders-primary', result: 'skipped', detail: 'the isolation could not be observed' },
      ]);
      expect(rds).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
    });

    it('a recorded isolation group is used again without looking for it (a retry of the fence given the record, after the swap was asked)', async () => {
      record = { revoked: [], isolated: [entry([APP])] };
      describes(
        shape('available', [
          [APP, 'removing'],
          [ISO, 'adding'],
        ]),
        isolated,
      );
      const out = await fence({ ...event(), saved: record });
      expect(out.confirmed).toBe(true);
      expect(out.actions[0]).toEqual({
        action: 'isolate orders-primary',
        result: 'done',
        detail: `only ${ISO} (rds-failover-isolation, no inbound rule) is active; originals ${APP} kept`,
      });
      expect(out.isolated).toEqual([entry([APP])]);
      expect(ec2).not.toHaveReceivedAnyCommand();
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
      // Described: the facts, the poll that sees the isolation active, then before the reboot; nothing more to keep.
      expect(order).toEqual(['describe', 'describe', 'describe', 'reboot']);
    });
  });

  describe('fenceMethod stop', () => {
    it('isolates, then stops the instance instead of rebooting it', async () => {
      describes(before, before, isolated);
      const out = await fence(event(noGroups('stop')));
      expect(out.confirmed).toBe(true);
      expect(out.actions[1]).toEqual({
        action: 'stop orders-primary',
        result: 'done',
        detail: 'stopped: open sessions dropped; it stays isolated if it starts again',
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(StopDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary' });
      expect(rds).not.toHaveReceivedCommand(RebootDBInstanceCommand);
      expect(order).toEqual(['describe', 'create-group', 'save', 'describe', 'modify', 'describe', 'stop']);
    });

    it('StopDBInstance denied: the stop is recorded as failed, no reboot instead', async () => {
      rds.on(StopDBInstanceCommand).rejects(rdsError('AccessDenied', 'not authorized to perform: rds:StopDBInstance'));
      describes(before, before, isolated);
      const out = await fence(event(noGroups('stop')));
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
      describes(before, before, isolated);
      const out = await fence(event(noGroups('stop')));
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
