import 'aws-sdk-client-mock-vitest/extend';
import {
  CreateDBSnapshotCommand,
  DBInstanceNotFoundFault,
  DBSnapshotNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  ModifyDBInstanceCommand,
  RDSClient,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { auroraDb, hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/preserve-old-primary/handler.js');
const rds = mockClient(RDSClient);
const view = currentRoles(hotDb(), 'standby');
const event = (over: Record<string, unknown> = {}) => ({ database: view, site: 'standby', epoch: 8, incidentId: 'inc-1-failback', ...over });
const notFound = () => new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} });

/** The old primary in a given state: `orders-primary` and/or `orders-primary-old-8`, and the snapshot. */
function world(o: { original?: string; preserved?: string; snapshot?: string }) {
  rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    const status =
      input.DBInstanceIdentifier === 'orders-primary' ? o.original : input.DBInstanceIdentifier === 'orders-primary-old-8' ? o.preserved : undefined;
    if (!status) throw notFound();
    return { DBInstances: [{ DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: status }] };
  });
  rds.on(DescribeDBSnapshotsCommand).callsFake(() => {
    if (!o.snapshot) throw new DBSnapshotNotFoundFault({ message: 'not found', $metadata: {} });
    return { DBSnapshots: [{ DBSnapshotIdentifier: 'orders-primary-pre-failback-8', Status: o.snapshot }] };
  });
}

beforeEach(() => {
  rds.reset();
  rds.on(CreateDBSnapshotCommand).resolves({});
  rds.on(ModifyDBInstanceCommand).resolves({});
  rds.on(StopDBInstanceCommand).resolves({});
});

describe('preserve-old-primary', () => {
  it('snapshots the old primary first, in its own Region, named after the epoch', async () => {
    world({ original: 'available' });
    await expect(handler(event())).resolves.toMatchObject({
      done: false,
      action: 'CreateDBSnapshot',
      snapshotId: 'orders-primary-pre-failback-8',
      preservedId: 'orders-primary-old-8',
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(CreateDBSnapshotCommand, {
      DBInstanceIdentifier: 'orders-primary',
      DBSnapshotIdentifier: 'orders-primary-pre-failback-8',
    });
    expect(await regionsOf(rds, CreateDBSnapshotCommand)).toEqual(['us-east-1']);
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('renames it once the snapshot is available (applied immediately)', async () => {
    world({ original: 'available', snapshot: 'available' });
    await expect(handler(event())).resolves.toMatchObject({ done: false, action: 'ModifyDBInstance' });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: 'orders-primary',
      NewDBInstanceIdentifier: 'orders-primary-old-8',
      ApplyImmediately: true,
    });
  });

  it('stops the renamed instance, and is done once it is stopped; never deletes', async () => {
    world({ preserved: 'available' });
    await expect(handler(event())).resolves.toMatchObject({ action: 'StopDBInstance', done: false });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(StopDBInstanceCommand, { DBInstanceIdentifier: 'orders-primary-old-8' });
    rds.reset();
    world({ preserved: 'stopped' });
    await expect(handler(event())).resolves.toMatchObject({ done: true, action: 'none', status: 'stopped' });
    expect(rds).not.toHaveReceivedCommand(StopDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
  });

  it('waits (no call) while the snapshot is being created', async () => {
    world({ original: 'backing-up', snapshot: 'creating' });
    await expect(handler(event())).resolves.toMatchObject({ done: false, action: 'none' });
    expect(rds).not.toHaveReceivedCommand(CreateDBSnapshotCommand);
    expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    expect(rds).not.toHaveReceivedCommand(StopDBInstanceCommand);
  });

  it('a busy instance is ResourceBusyError (the workflow retries)', async () => {
    world({ original: 'available' });
    rds.on(CreateDBSnapshotCommand).rejects(new InvalidDBInstanceStateFault({ message: 'busy', $metadata: {} }));
    await expect(handler(event())).rejects.toMatchObject({ name: 'ResourceBusyError' });
  });

  it('an old primary that cannot be snapshotted (failed) is FailbackStepFailedError: nothing is touched', async () => {
    world({ original: 'failed' });
    await expect(handler(event())).rejects.toMatchObject({ name: 'FailbackStepFailedError', message: expect.stringContaining('orders-primary is failed') });
    expect(rds).not.toHaveReceivedCommand(CreateDBSnapshotCommand);
  });

  it('the other side after a failback (site primary) is preserved in its own Region', async () => {
    rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
      if (input.DBInstanceIdentifier !== 'orders-replica') throw notFound();
      return { DBInstances: [{ DBInstanceIdentifier: 'orders-replica', DBInstanceStatus: 'available' }] };
    });
    rds.on(DescribeDBSnapshotsCommand).rejects(new DBSnapshotNotFoundFault({ message: 'x', $metadata: {} }));
    await expect(handler(event({ site: 'primary' }))).resolves.toMatchObject({ action: 'CreateDBSnapshot', snapshotId: 'orders-replica-pre-failback-8' });
    expect(await regionsOf(rds, CreateDBSnapshotCommand)).toEqual(['us-west-2']);
  });

  it('refuses Aurora and malformed input without calling anything', async () => {
    await expect(handler(event({ database: auroraDb() }))).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(handler(event({ epoch: 'x' }))).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(rds).not.toHaveReceivedAnyCommand();
  });
});
