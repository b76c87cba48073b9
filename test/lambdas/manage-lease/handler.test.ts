import 'aws-sdk-client-mock-vitest/extend';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { exampleDatabase } from '../shared/database-fixture.js';

process.env.TABLE_NAME = 'failover-state';
process.env.AWS_REGION = 'us-west-2';
const ddb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const rds = mockClient(RDSClient);
let handler: (event: unknown) => Promise<unknown>;
beforeAll(async () => {
  ({ handler } = await import('../../../lambdas/manage-lease/handler.js'));
});

const NOW = new Date('2026-04-01T12:00:00.000Z');
beforeEach(() => {
  ddb.reset();
  sfn.reset();
  rds.reset();
  rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('no such instance'), { name: 'DBInstanceNotFoundFault' }));
  sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterAll(() => vi.useRealTimers());

const db = exampleDatabase();
const me = 'arn:aws:states:us-west-2:123456789012:execution:failover:run-1';
const other = 'arn:aws:states:us-west-2:123456789012:execution:failover:run-0';
const input = (action: string, extra: object = {}) => ({ database: db, action, holder: me, incidentId: 'run-1', ...extra });
const Key = { pk: { S: 'DB#orders' }, sk: { S: 'STATE' } };
const ccf = (item?: object) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(item ? { Item: marshall(item) } : {}),
  });
const serviceError = (name: string, status: number) =>
  new DynamoDBServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} happened` });

describe('manage-lease acquire', () => {
  it('takes a free lease with one conditional UpdateItem and returns the new epoch', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ pk: 'DB#orders', sk: 'STATE', holder: me, epoch: 7, writer: 'primary' }) });
    await expect(handler(input('acquire'))).resolves.toEqual({
      acquired: true,
      outcome: 'acquired',
      epoch: 7,
      writer: 'primary',
      lastIncidentId: '',
      standbyReady: true,
      current: db,
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'failover-state',
      Key,
      ConditionExpression: '(attribute_not_exists(#holder)) AND (attribute_not_exists(#lastChangeAt) OR #lastChangeAt < :cooldownStart)',
      UpdateExpression: 'SET #holder = :holder, #incidentId = :incidentId, #acquiredAt = :now, #writer = if_not_exists(#writer, :primary) ADD #epoch :one',
      ExpressionAttributeValues: {
        ':holder': { S: me },
        ':incidentId': { S: 'run-1' },
        ':now': { S: '2026-04-01T12:00:00.000Z' },
        ':primary': { S: 'primary' },
        ':one': { N: '1' },
        ':cooldownStart': { S: '2026-04-01T11:00:00.000Z' },
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(ddb).not.toHaveReceivedCommand(GetItemCommand);
  });

  it('an operator request (ignoreCooldown) drops the cooldown condition', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ holder: me, epoch: 1 }) });
    await handler(input('acquire', { ignoreCooldown: true }));
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, { ConditionExpression: 'attribute_not_exists(#holder)' });
  });

  it('re-entered by the same execution (redrive): same epoch, nothing changed', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: me, epoch: 7, writer: 'primary' }));
    await expect(handler(input('acquire'))).resolves.toEqual({
      acquired: true,
      outcome: 'reentered',
      epoch: 7,
      writer: 'primary',
      lastIncidentId: '',
      standbyReady: true,
      current: db,
    });
  });

  it('held by another execution: already-handled, with who holds it', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: other, epoch: 7, writer: 'primary' }));
    await expect(handler(input('acquire'))).resolves.toEqual({
      acquired: false,
      outcome: 'already-handled',
      heldBy: other,
      epoch: 7,
      writer: 'primary',
      lastIncidentId: '',
      standbyReady: true,
      current: db,
    });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: other });
  });

  const trigger = { kind: 'alarm', source: 'failover-orders-heartbeat-in-region', at: '2026-04-01T11:59:30.000Z', summary: 'Alarm went to ALARM', rounds: [] };
  const kept = { kind: 'alarm', source: 'failover-orders-heartbeat-in-region', at: '2026-04-01T11:59:30.000Z', summary: 'Alarm went to ALARM' };

  it('held by another execution, with a trigger: the trigger is kept on the lease item while that run holds it (one conditional write)', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(ccf({ holder: other, epoch: 7, writer: 'primary' }))
      .resolves({ Attributes: marshall({ holder: other, epoch: 7 }) });
    await expect(handler(input('acquire', { trigger }))).resolves.toMatchObject({ acquired: false, outcome: 'already-handled', heldBy: other });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(UpdateItemCommand, 2, {
      Key,
      UpdateExpression: 'SET #pendingTrigger = :trigger',
      ConditionExpression: '#holder = :heldBy',
      ExpressionAttributeValues: marshall({ ':heldBy': other, ':trigger': { ...kept, stoodDownAt: '2026-04-01T12:00:00.000Z', heldBy: other } }),
    });
  });

  it('the holder released between the refusal and the write: ResourceBusyError (the acquisition is tried again, never a lost trigger)', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(ccf({ holder: other, epoch: 7 }))
      .rejects(ccf({ epoch: 7 }));
    await expect(handler(input('acquire', { trigger }))).rejects.toMatchObject({ name: 'ResourceBusyError' });
  });

  it("a drill's trigger is never kept: it just stands down", async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: other, epoch: 7 }));
    await expect(handler(input('acquire', { trigger: { ...trigger, kind: 'drill', drill: { requestedFor: 'orders' } } }))).resolves.toMatchObject({
      outcome: 'already-handled',
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('a trigger refused by the cooldown is not kept (nobody holds the lease to hand it back)', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ epoch: 7, lastChangeAt: '2026-04-01T11:50:00.000Z' }));
    await expect(handler(input('acquire', { trigger }))).resolves.toMatchObject({ outcome: 'cooldown' });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('held by a run that has stopped, asked by an alarm: held-by-stopped-run, nothing taken', async () => {
    for (const status of ['ABORTED', 'FAILED', 'TIMED_OUT', 'SUCCEEDED'] as const) {
      ddb.reset();
      ddb.on(UpdateItemCommand).rejects(ccf({ holder: other, epoch: 7, writer: 'primary' }));
      sfn.on(DescribeExecutionCommand).resolves({ status });
      await expect(handler(input('acquire'))).resolves.toEqual({
        acquired: false,
        outcome: 'held-by-stopped-run',
        heldBy: other,
        holderStatus: status,
        epoch: 7,
        writer: 'primary',
        lastIncidentId: '',
        standbyReady: true,
        current: db,
      });
      expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    }
  });

  it('held by a stopped run of the same incident (a failback started again): NOT taken over (it would start over on a half-done failback)', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: other, incidentId: 'run-1', epoch: 7 }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    await expect(handler(input('acquire', { ignoreCooldown: true }))).resolves.toMatchObject({
      acquired: false,
      outcome: 'held-by-stopped-run',
      heldBy: other,
      holderStatus: 'ABORTED',
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('read: a lease held by a stopped run says so (held-by-stopped-run), one held by a running run or by the reader is a plain read', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: other, epoch: 7, writer: 'primary' }) });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    await expect(handler(input('read'))).resolves.toMatchObject({
      acquired: false,
      outcome: 'held-by-stopped-run',
      heldBy: other,
      holderStatus: 'ABORTED',
      epoch: 7,
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    await expect(handler(input('read'))).resolves.toMatchObject({ outcome: 'read', heldBy: other });
    sfn.reset();
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: me, epoch: 7 }) });
    await expect(handler(input('read'))).resolves.toMatchObject({ outcome: 'read', heldBy: me });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('read: a free lease, or one held by a holder that is not an execution ARN, asks Step Functions nothing', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ epoch: 7, writer: 'standby' }) });
    await expect(handler(input('read'))).resolves.toMatchObject({ outcome: 'read', epoch: 7, writer: 'standby' });
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: 'someone-by-hand', epoch: 7 }) });
    await expect(handler(input('read'))).resolves.toMatchObject({ outcome: 'read', heldBy: 'someone-by-hand' });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('read: a lease held by a run Step Functions no longer knows is held by a stopped run (GONE)', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: other, epoch: 7 }) });
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    await expect(handler(input('read'))).resolves.toMatchObject({ outcome: 'held-by-stopped-run', heldBy: other, holderStatus: 'GONE' });
  });

  it('a redrive under way (PENDING_REDRIVE) counts as running', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: other, epoch: 7 }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'PENDING_REDRIVE' });
    await expect(handler(input('acquire', { ignoreCooldown: true, takeOverStopped: true }))).resolves.toMatchObject({
      acquired: false,
      outcome: 'already-handled',
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('held by a stopped run, asked by an operator: taken over only if that run still holds it, epoch + 1', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(ccf({ holder: other, epoch: 7, writer: 'standby' }))
      .resolvesOnce({ Attributes: marshall({ holder: me, epoch: 8, writer: 'standby', takenOverFrom: other }) });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    await expect(handler(input('acquire', { ignoreCooldown: true, takeOverStopped: true }))).resolves.toEqual({
      acquired: true,
      outcome: 'taken-over',
      takenOverFrom: other,
      holderStatus: 'ABORTED',
      epoch: 8,
      writer: 'standby',
      lastIncidentId: '',
      standbyReady: true,
      current: currentRoles(db, 'standby'),
    });
    expect(ddb).toHaveReceivedNthCommandWith(UpdateItemCommand, 2, {
      ConditionExpression: '#holder = :stopped',
      UpdateExpression:
        'SET #holder = :holder, #incidentId = :incidentId, #acquiredAt = :now, #takenOverFrom = :stopped, #writer = if_not_exists(#writer, :primary) ADD #epoch :one',
    });
  });

  it('a holder Step Functions no longer knows is gone (taken over by an operator); one that is not an execution ARN is never asked about', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(ccf({ holder: other, epoch: 7 }))
      .resolvesOnce({ Attributes: marshall({ holder: me, epoch: 8 }) });
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    await expect(handler(input('acquire', { ignoreCooldown: true, takeOverStopped: true }))).resolves.toMatchObject({
      outcome: 'taken-over',
      holderStatus: 'GONE',
    });
    sfn.reset();
    ddb.reset();
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: 'someone-by-hand', epoch: 7 }));
    await expect(handler(input('acquire', { ignoreCooldown: true, takeOverStopped: true }))).resolves.toMatchObject({
      outcome: 'already-handled',
      heldBy: 'someone-by-hand',
    });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('a take-over that loses the race to another taker reports that taker', async () => {
    const third = 'arn:aws:states:us-west-2:123456789012:execution:failover:run-2';
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(ccf({ holder: other, epoch: 7 }))
      .rejectsOnce(ccf({ holder: third, epoch: 8 }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    await expect(handler(input('acquire', { ignoreCooldown: true, takeOverStopped: true }))).resolves.toMatchObject({
      acquired: false,
      outcome: 'already-handled',
      heldBy: third,
      epoch: 8,
    });
  });

  it('in the cooldown, read back with a consistent GetItem when the error carries no item', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf());
    ddb
      .on(GetItemCommand)
      .resolves({ Item: marshall({ epoch: 2, writer: 'standby', lastChangeAt: '2026-04-01T11:30:00.000Z', lastFailoverAt: '2026-04-01T11:30:00.000Z' }) });
    await expect(handler(input('acquire'))).resolves.toEqual({
      acquired: false,
      outcome: 'cooldown',
      epoch: 2,
      writer: 'standby',
      lastFailoverAt: '2026-04-01T11:30:00.000Z',
      lastIncidentId: '',
      standbyReady: true,
      current: currentRoles(db, 'standby'),
    });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'failover-state', Key, ConsistentRead: true });
  });

  it('throttling after the SDK retries is TransientAwsError', async () => {
    ddb.on(UpdateItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));
    await expect(handler(input('acquire'))).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('dynamodb:UpdateItem failed: ProvisionedThroughputExceededException'),
    });
  });

  it('access denied is AwsCallFailedError', async () => {
    ddb.on(UpdateItemCommand).rejects(serviceError('AccessDeniedException', 400));
    await expect(handler(input('acquire'))).rejects.toMatchObject({ name: 'AwsCallFailedError', message: expect.stringContaining('AccessDeniedException') });
  });

  it('an unexplained condition failure is ResourceBusyError (retried)', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ epoch: 1 }));
    await expect(handler(input('acquire'))).rejects.toMatchObject({ name: 'ResourceBusyError' });
  });
});

describe('manage-lease release', () => {
  it('removes our holder', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ epoch: 7, writer: 'primary' }) });
    await expect(handler(input('release'))).resolves.toEqual({
      acquired: false,
      outcome: 'released',
      epoch: 7,
      writer: 'primary',
      lastIncidentId: '',
      standbyReady: true,
      current: db,
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'failover-state',
      Key,
      UpdateExpression: 'REMOVE #holder, #incidentId, #pendingTrigger',
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder', '#incidentId': 'incidentId', '#pendingTrigger': 'pendingTrigger' },
      ExpressionAttributeValues: { ':holder': { S: me } },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('hands back the trigger that waited while we held it, cleared in the same write', async () => {
    const waiting = {
      kind: 'rds-event',
      source: 'RDS-EVENT-0031',
      at: '2026-04-01T11:58:00.000Z',
      summary: 'RDS event RDS-EVENT-0031 on orders-primary',
      stoodDownAt: '2026-04-01T11:58:01.000Z',
      heldBy: me,
    };
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ holder: me, incidentId: 'run-1', epoch: 7, writer: 'primary', pendingTrigger: waiting }) });
    await expect(handler(input('release'))).resolves.toMatchObject({ outcome: 'released', epoch: 7, pendingTrigger: waiting });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it("is idempotent and never releases someone else's lease", async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: other, epoch: 8 }));
    await expect(handler(input('release'))).resolves.toEqual({
      acquired: false,
      outcome: 'released',
      heldBy: other,
      epoch: 8,
      writer: 'primary',
      lastIncidentId: '',
      standbyReady: true,
      current: db,
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('throttling is TransientAwsError', async () => {
    ddb.on(UpdateItemCommand).rejects(serviceError('ThrottlingException', 400));
    await expect(handler(input('release'))).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('manage-lease record-failover', () => {
  it('moves the writer to the standby, restarts the cooldown and releases the lease', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: me, incidentId: 'run-1', epoch: 7, writer: 'primary' }) });
    ddb
      .on(UpdateItemCommand)
      .resolves({ Attributes: marshall({ epoch: 7, writer: 'standby', lastFailoverAt: '2026-04-01T12:00:00.000Z', lastIncidentId: 'run-1' }) });
    await expect(handler(input('record-failover'))).resolves.toEqual({
      acquired: false,
      outcome: 'recorded',
      epoch: 7,
      writer: 'standby',
      lastFailoverAt: '2026-04-01T12:00:00.000Z',
      lastIncidentId: 'run-1',
      standbyReady: true,
      current: currentRoles(db, 'standby'),
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'failover-state',
      Key,
      ConditionExpression: '#holder = :holder',
      UpdateExpression:
        'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId, #standbyNotReadySince = :now REMOVE #holder, #incidentId, #pendingTrigger',
      ExpressionAttributeValues: {
        ':holder': { S: me },
        ':writer': { S: 'standby' },
        ':now': { S: '2026-04-01T12:00:00.000Z' },
        ':incidentId': { S: 'run-1' },
      },
    });
  });

  it('already recorded for this incident: recorded, nothing written', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ epoch: 7, writer: 'standby', lastIncidentId: 'run-1', lastFailoverAt: '2026-04-01T11:59:00.000Z' }) });
    await expect(handler(input('record-failover'))).resolves.toMatchObject({ outcome: 'recorded', writer: 'standby' });
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('a lost race where our first attempt had already written: recorded', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: me, epoch: 7, writer: 'primary' }) });
    ddb.on(UpdateItemCommand).rejects(ccf({ epoch: 7, writer: 'standby', lastIncidentId: 'run-1' }));
    await expect(handler(input('record-failover'))).resolves.toMatchObject({ outcome: 'recorded', writer: 'standby' });
  });

  it('without the lease: LeaseNotHeldError, nothing written', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: other, epoch: 8 }) });
    await expect(handler(input('record-failover'))).rejects.toMatchObject({ name: 'LeaseNotHeldError', message: expect.stringContaining(`held by ${other}`) });
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('access denied on the read is AwsCallFailedError', async () => {
    ddb.on(GetItemCommand).rejects(serviceError('AccessDeniedException', 400));
    await expect(handler(input('record-failover'))).rejects.toMatchObject({ name: 'AwsCallFailedError', message: expect.stringContaining('dynamodb:GetItem') });
  });
});

describe('manage-lease read', () => {
  it('reports the lease, the roles and the last incident with one consistent GetItem, changing nothing', async () => {
    ddb
      .on(GetItemCommand)
      .resolves({ Item: marshall({ holder: other, epoch: 9, writer: 'standby', lastIncidentId: 'inc-4', lastFailoverAt: '2026-04-01T10:00:00.000Z' }) });
    await expect(handler(input('read'))).resolves.toEqual({
      acquired: false,
      outcome: 'read',
      heldBy: other,
      epoch: 9,
      writer: 'standby',
      lastIncidentId: 'inc-4',
      standbyReady: true,
      lastFailoverAt: '2026-04-01T10:00:00.000Z',
      current: currentRoles(db, 'standby'),
    });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'failover-state', Key, ConsistentRead: true });
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('a database never failed over: writer primary, the config as is', async () => {
    ddb.on(GetItemCommand).resolves({});
    await expect(handler(input('read'))).resolves.toEqual({
      acquired: false,
      outcome: 'read',
      epoch: 0,
      writer: 'primary',
      lastIncidentId: '',
      standbyReady: true,
      current: db,
    });
  });
});

describe('manage-lease current roles', () => {
  it('after a failover the view swaps the sites: the configured standby is the primary, the configured primary a hot standby', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ holder: me, epoch: 8, writer: 'standby', lastIncidentId: 'inc-3' }) });
    const out = (await handler(input('acquire'))) as { current: typeof db; writer: string };
    expect(out.writer).toBe('standby');
    expect(out.current.primary).toEqual({ region: 'us-west-2', instanceId: 'orders-replica', securityGroupIds: db.standby.securityGroupIds });
    expect(out.current.standby).toEqual({ region: 'us-east-1', instanceId: 'orders-primary', securityGroupIds: db.primary.securityGroupIds, readiness: 'hot' });
    expect(out.current.dns).toEqual(db.dns);
  });
});

describe('manage-lease record-failover keeping the lease (failback)', () => {
  it('flips the writer but keeps the holder', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: me, incidentId: 'run-1', epoch: 9, writer: 'standby', lastIncidentId: 'inc-3' }) });
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ holder: me, epoch: 9, writer: 'primary', lastIncidentId: 'run-1' }) });
    await expect(handler(input('record-failover', { keepLease: true }))).resolves.toMatchObject({
      outcome: 'recorded',
      writer: 'primary',
      lastIncidentId: 'run-1',
      current: db,
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression:
        'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId, #standbyNotReadySince = :now REMOVE #pendingTrigger',
      ExpressionAttributeValues: {
        ':holder': { S: me },
        ':writer': { S: 'primary' },
        ':now': { S: '2026-04-01T12:00:00.000Z' },
        ':incidentId': { S: 'run-1' },
      },
    });
  });

  it('a re-run after the record (lease still held) changes nothing: the writer is never flipped twice', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: me, epoch: 9, writer: 'primary', lastIncidentId: 'run-1' }) });
    await expect(handler(input('record-failover', { keepLease: true }))).resolves.toMatchObject({ outcome: 'recorded', writer: 'primary' });
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });
});

describe('manage-lease invalid input', () => {
  it.each([
    ['an unknown action', input('steal')],
    ['no holder', { database: db, action: 'acquire', incidentId: 'x' }],
    ['an empty incidentId', input('acquire', { incidentId: '' })],
    ['no database', { action: 'acquire', holder: me, incidentId: 'x' }],
  ])('%s: InvalidInputError, nothing sent', async (_label, event) => {
    await expect(handler(event)).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});

describe('manage-lease standby readiness', () => {
  const notReady = {
    epoch: 7,
    writer: 'standby',
    lastIncidentId: 'inc-1',
    lastFailoverAt: '2026-04-01T10:00:00.000Z',
    standbyNotReadySince: '2026-04-01T10:00:00.000Z',
  };
  const replica = (source: string, status = 'available', replication = 'replicating') => ({
    DBInstances: [
      {
        DBInstanceIdentifier: 'orders-primary',
        DBInstanceStatus: status,
        ReadReplicaSourceDBInstanceIdentifier: source,
        StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: replication }],
      },
    ],
  });
  it.each([
    ['a replica of the writer (by ARN): a standby after all', replica('arn:aws:rds:us-west-2:123456789012:db:orders-replica'), true],
    ['a replica of the writer (by id)', replica('orders-replica'), true],
    ['a replica of another instance: no standby', replica('arn:aws:rds:us-west-2:123456789012:db:orders-other'), false],
    ['a replica still being created: no standby yet', replica('orders-replica', 'creating'), false],
    ['a replica whose replication broke: no standby', replica('orders-replica', 'available', 'error'), false],
    ['not a replica (the former writer, never rebuilt)', { DBInstances: [{ DBInstanceIdentifier: 'orders-primary', DBInstanceStatus: 'available' }] }, false],
  ])('the record says no standby, RDS is asked: %s', async (_label, answer, ready) => {
    ddb.on(GetItemCommand).resolves({ Item: marshall(notReady) });
    rds.on(DescribeDBInstancesCommand).resolves(answer);
    const out = (await handler(input('read'))) as Record<string, unknown>;
    expect(out.standbyReady).toBe(ready);
    expect(out.standbyDetail === undefined).toBe(ready);
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-primary' });
  });

  it('the other site cannot be described (its Region does not answer): the record stands', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall(notReady) });
    rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    await expect(handler(input('read'))).resolves.toMatchObject({ standbyReady: false, standbyNotReadySince: '2026-04-01T10:00:00.000Z' });
  });

  it('after a failover, every output says the former primary is no standby, and why (naming what promoting it would lose)', async () => {
    ddb.on(GetItemCommand).resolves({
      Item: marshall({
        epoch: 7,
        writer: 'standby',
        lastIncidentId: 'inc-1',
        lastFailoverAt: '2026-04-01T10:00:00.000Z',
        standbyNotReadySince: '2026-04-01T10:00:00.000Z',
      }),
    });
    const out = (await handler(input('read'))) as Record<string, unknown>;
    expect(out).toMatchObject({ standbyReady: false, standbyNotReadySince: '2026-04-01T10:00:00.000Z', current: currentRoles(db, 'standby') });
    expect(out.standbyDetail).toMatch(
      /orders-primary \(us-east-1\) is a former writer, not a standby: it has not replicated from orders-replica \(us-west-2\), the writer since 2026-04-01T10:00:00.000Z.*about 2 h of writes would be lost/,
    );
  });

  it('record-standby: the failback that rebuilt it removes the mark under its lease (conditional on holding it)', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: me, epoch: 8, writer: 'standby', standbyNotReadySince: '2026-04-01T10:00:00.000Z' }) });
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ holder: me, epoch: 8, writer: 'standby' }) });
    await expect(handler(input('record-standby'))).resolves.toMatchObject({ outcome: 'standby-recorded', standbyReady: true });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, { UpdateExpression: 'REMOVE #standbyNotReadySince', ConditionExpression: '#holder = :holder' });
  });

  it('record-standby when already a standby: nothing written', async () => {
    ddb.on(GetItemCommand).resolves({ Item: marshall({ holder: me, epoch: 8, writer: 'standby' }) });
    await expect(handler(input('record-standby'))).resolves.toMatchObject({ outcome: 'standby-recorded', standbyReady: true });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 0);
  });
});
