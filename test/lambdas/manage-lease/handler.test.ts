import 'aws-sdk-client-mock-vitest/extend';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { exampleDatabase } from '../shared/database-fixture.js';

process.env.TABLE_NAME = 'failover-state';
process.env.AWS_REGION = 'us-west-2';
const ddb = mockClient(DynamoDBClient);
let handler: (event: unknown) => Promise<unknown>;
beforeAll(async () => {
  ({ handler } = await import('../../../lambdas/manage-lease/handler.js'));
});

const NOW = new Date('2026-04-01T12:00:00.000Z');
beforeEach(() => {
  ddb.reset();
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
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, ...(item ? { Item: marshall(item) } : {}) });
const serviceError = (name: string, status: number) =>
  new DynamoDBServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} happened` });

describe('manage-lease acquire', () => {
  it('takes a free lease with one conditional UpdateItem and returns the new epoch', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ pk: 'DB#orders', sk: 'STATE', holder: me, epoch: 7, writer: 'primary' }) });
    await expect(handler(input('acquire'))).resolves.toEqual({ acquired: true, outcome: 'acquired', epoch: 7, writer: 'primary' });
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
    await expect(handler(input('acquire'))).resolves.toEqual({ acquired: true, outcome: 'reentered', epoch: 7, writer: 'primary' });
  });

  it('held by another execution: already-handled, with who holds it', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: other, epoch: 7, writer: 'primary' }));
    await expect(handler(input('acquire'))).resolves.toEqual({ acquired: false, outcome: 'already-handled', heldBy: other, epoch: 7, writer: 'primary' });
  });

  it('in the cooldown, read back with a consistent GetItem when the error carries no item', async () => {
    ddb.on(UpdateItemCommand).rejects(ccf());
    ddb.on(GetItemCommand).resolves({ Item: marshall({ epoch: 2, writer: 'standby', lastChangeAt: '2026-04-01T11:30:00.000Z', lastFailoverAt: '2026-04-01T11:30:00.000Z' }) });
    await expect(handler(input('acquire'))).resolves.toEqual({
      acquired: false,
      outcome: 'cooldown',
      epoch: 2,
      writer: 'standby',
      lastFailoverAt: '2026-04-01T11:30:00.000Z',
    });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'failover-state', Key, ConsistentRead: true });
  });

  it('throttling after the SDK retries is TransientAwsError', async () => {
    ddb.on(UpdateItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));
    await expect(handler(input('acquire'))).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('dynamodb:UpdateItem failed: ProvisionedThroughputExceededException') });
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
    await expect(handler(input('release'))).resolves.toEqual({ acquired: false, outcome: 'released', epoch: 7, writer: 'primary' });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'failover-state',
      Key,
      UpdateExpression: 'REMOVE #holder, #incidentId',
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder', '#incidentId': 'incidentId' },
      ExpressionAttributeValues: { ':holder': { S: me } },
    });
  });

  it("is idempotent and never releases someone else's lease", async () => {
    ddb.on(UpdateItemCommand).rejects(ccf({ holder: other, epoch: 8 }));
    await expect(handler(input('release'))).resolves.toEqual({ acquired: false, outcome: 'released', heldBy: other, epoch: 8, writer: 'primary' });
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
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ epoch: 7, writer: 'standby', lastFailoverAt: '2026-04-01T12:00:00.000Z', lastIncidentId: 'run-1' }) });
    await expect(handler(input('record-failover'))).resolves.toEqual({
      acquired: false,
      outcome: 'recorded',
      epoch: 7,
      writer: 'standby',
      lastFailoverAt: '2026-04-01T12:00:00.000Z',
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'failover-state',
      Key,
      ConditionExpression: '#holder = :holder',
      UpdateExpression: 'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId REMOVE #holder, #incidentId',
      ExpressionAttributeValues: { ':holder': { S: me }, ':writer': { S: 'standby' }, ':now': { S: '2026-04-01T12:00:00.000Z' }, ':incidentId': { S: 'run-1' } },
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
