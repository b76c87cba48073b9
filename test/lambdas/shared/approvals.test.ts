import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { InvalidToken, SendTaskSuccessCommand, SFNClient, SFNServiceException, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_REVERIFICATIONS,
  MAX_REVERIFICATIONS_BY_OWN_PROBES,
  decideApproval,
  getApproval,
  listPendingApprovals,
  refusalFor,
  supersedeVerdictApprovals,
  type ApprovalRecord,
} from '../../../lambdas/shared/approvals.js';
import { ApprovalRefusedError } from '../../../lambdas/shared/errors.js';

const ddbMock = mockClient(DynamoDBClient);
const sfnMock = mockClient(SFNClient);
const deps = { ddb: new DynamoDBClient({ region: 'us-west-2' }), sfn: new SFNClient({ region: 'us-west-2' }), tableName: 'failover-state' };
const NOW = new Date('2026-03-01T12:10:00.000Z');
const ID = 'aBcD_efGh-1234567890aBcD_efGh-1234567890ab';
const TOKEN = 'task-token-0123456789';
const KEY = { pk: { S: `APPROVAL#${ID}` }, sk: { S: 'APPROVAL' } };

const record = (over: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  pk: `APPROVAL#${ID}`,
  sk: 'APPROVAL',
  approvalId: ID,
  taskToken: TOKEN,
  database: 'orders',
  incidentId: 'inc-42',
  step: 'failover',
  decision: 'promote',
  reasons: ['ambiguous verdict'],
  facts: { verdict: 'ambiguous' },
  status: 'pending',
  pendingDatabase: 'orders',
  createdAt: '2026-03-01T12:00:00.000Z',
  expiresAt: '2026-03-01T12:30:00.000Z',
  ttl: 1_777_777_777,
  ...over,
});
const stored = (r: ApprovalRecord | undefined) => ddbMock.on(GetItemCommand).resolves(r ? { Item: marshall(r, { removeUndefinedValues: true }) } : {});

const refusedWith = async (p: Promise<unknown>, why: string): Promise<ApprovalRefusedError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApprovalRefusedError);
  expect(err).toMatchObject({ name: 'ApprovalRefusedError', why });
  return err as ApprovalRefusedError;
};

beforeEach(() => {
  ddbMock.reset();
  sfnMock.reset();
  stored(record());
  ddbMock.on(UpdateItemCommand).resolves({ Attributes: marshall(record()) });
  sfnMock.on(SendTaskSuccessCommand).resolves({});
});

describe('refusalFor', () => {
  it.each([
    [undefined, 'not-found'],
    [{ status: 'pending', expiresAt: '2026-03-01T12:30:00.000Z' }, null],
    [{ status: 'pending', expiresAt: '2026-03-01T12:10:00.000Z' }, 'expired'],
    [{ status: 'pending', expiresAt: '2026-03-01T12:00:00.000Z' }, 'expired'],
    [{ status: 'approved', expiresAt: '2026-03-01T12:30:00.000Z' }, 'already-decided'],
    [{ status: 'rejected', expiresAt: '2026-03-01T12:30:00.000Z' }, 'already-decided'],
    [{ status: 'expired', expiresAt: '2026-03-01T12:30:00.000Z' }, 'expired'],
    [{ status: 'abandoned', expiresAt: '2026-03-01T12:30:00.000Z' }, 'expired'],
  ] as const)('%j -> %s', (r, why) => expect(refusalFor(r, NOW)).toBe(why));
});

describe('decideApproval', () => {
  it('approves once: conditional update pending -> approved, then SendTaskSuccess with the result', async () => {
    const out = await decideApproval(deps, { approvalId: ID, decision: 'approve', approver: 'alice@example.com', reason: 'primary is gone', now: NOW });
    expect(out.result).toEqual({ decision: 'approve', approver: 'alice@example.com', reason: 'primary is gone', approvalId: ID });
    expect(out.approval).toEqual({
      id: ID,
      database: 'orders',
      incidentId: 'inc-42',
      step: 'failover',
      decision: 'promote',
      reasons: ['ambiguous verdict'],
      createdAt: '2026-03-01T12:00:00.000Z',
      expiresAt: '2026-03-01T12:30:00.000Z',
    });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(ddbMock).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'failover-state', Key: KEY, ConsistentRead: true });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'failover-state',
      Key: KEY,
      UpdateExpression: 'SET #status = :decided, decidedAt = :now, approver = :approver, #reason = :reason REMOVE pendingDatabase, taskToken',
      ConditionExpression: '#status = :pending AND expiresAt > :now',
      ExpressionAttributeValues: marshall({
        ':decided': 'approved',
        ':now': '2026-03-01T12:10:00.000Z',
        ':approver': 'alice@example.com',
        ':reason': 'primary is gone',
        ':pending': 'pending',
      }),
    });
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ decision: 'approve', approver: 'alice@example.com', reason: 'primary is gone', approvalId: ID }),
    });
  });

  it('a rejection is also a SendTaskSuccess (the workflow branches on decision)', async () => {
    await decideApproval(deps, { approvalId: ID, decision: 'reject', approver: 'bob', reason: 'partition, wait', now: NOW });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, { ExpressionAttributeValues: expect.objectContaining({ ':decided': { S: 'rejected' } }) });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      output: JSON.stringify({ decision: 'reject', approver: 'bob', reason: 'partition, wait', approvalId: ID }),
    });
  });

  it('refuses an unknown id without writing', async () => {
    stored(undefined);
    const err = await refusedWith(decideApproval(deps, { approvalId: 'nope', decision: 'approve', approver: 'alice', now: NOW }), 'not-found');
    expect(err.message).toContain('does not exist');
    expect(ddbMock).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses an expired request and marks it expired (token dropped)', async () => {
    stored(record({ expiresAt: '2026-03-01T12:05:00.000Z' }));
    const err = await refusedWith(decideApproval(deps, { approvalId: ID, decision: 'approve', approver: 'alice', now: NOW }), 'expired');
    expect(err.message).toContain('has expired');
    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(UpdateItemCommand, {
      UpdateExpression: 'SET #status = :expired, expiredAt = :now REMOVE pendingDatabase, taskToken',
      ConditionExpression: '#status = :from',
      ExpressionAttributeValues: marshall({ ':expired': 'expired', ':now': NOW.toISOString(), ':from': 'pending' }),
    });
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it.each(['approved', 'rejected'] as const)('refuses a request already %s, naming who answered', async (status) => {
    stored(record({ status, approver: 'carol', decidedAt: '2026-03-01T12:02:00.000Z', taskToken: undefined, pendingDatabase: undefined }));
    const err = await refusedWith(decideApproval(deps, { approvalId: ID, decision: 'approve', approver: 'alice', now: NOW }), 'already-decided');
    expect(err.message).toContain(`already answered (${status} by carol at 2026-03-01T12:02:00.000Z)`);
    expect(ddbMock).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('loses a race cleanly: the conditional write fails -> already-decided, no SendTaskSuccess', async () => {
    ddbMock.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: marshall(record({ status: 'approved', approver: 'carol' }), { removeUndefinedValues: true }),
      }),
    );
    const err = await refusedWith(decideApproval(deps, { approvalId: ID, decision: 'reject', approver: 'alice', now: NOW }), 'already-decided');
    expect(err.message).toContain('by carol');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('loses a race without the old item in the error: reads it again', async () => {
    ddbMock.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    ddbMock
      .on(GetItemCommand)
      .resolvesOnce({ Item: marshall(record(), { removeUndefinedValues: true }) })
      .resolves({ Item: marshall(record({ status: 'rejected', approver: 'dave', taskToken: undefined }), { removeUndefinedValues: true }) });
    const err = await refusedWith(decideApproval(deps, { approvalId: ID, decision: 'approve', approver: 'alice', now: NOW }), 'already-decided');
    expect(err.message).toContain('rejected by dave');
    expect(ddbMock).toHaveReceivedCommandTimes(GetItemCommand, 2);
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: 'Invalid token', $metadata: {} })],
  ])('%s from SendTaskSuccess: the workflow stopped waiting -> marked expired and refused', async (_name, error) => {
    sfnMock.on(SendTaskSuccessCommand).rejects(error);
    await refusedWith(decideApproval(deps, { approvalId: ID, decision: 'approve', approver: 'alice', now: NOW }), 'expired');
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(ddbMock).toHaveReceivedNthCommandWith(UpdateItemCommand, 2, {
      UpdateExpression: 'SET #status = :expired, expiredAt = :now REMOVE pendingDatabase, taskToken',
      ExpressionAttributeValues: marshall({ ':expired': 'expired', ':now': NOW.toISOString(), ':from': 'approved' }),
    });
  });

  it('puts the answer back to pending when Step Functions could not be told, and reports it transient', async () => {
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    await expect(decideApproval(deps, { approvalId: ID, decision: 'approve', approver: 'alice', now: NOW })).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    expect(ddbMock).toHaveReceivedNthCommandWith(UpdateItemCommand, 2, {
      UpdateExpression: 'SET #status = :pending, taskToken = :token, pendingDatabase = :database REMOVE decidedAt, approver, #reason',
      ConditionExpression: '#status = :decided AND approver = :approver',
      ExpressionAttributeValues: marshall({ ':pending': 'pending', ':token': TOKEN, ':database': 'orders', ':decided': 'approved', ':approver': 'alice' }),
    });
  });

  it('requires an approver and a valid decision', async () => {
    await expect(decideApproval(deps, { approvalId: ID, decision: 'approve', approver: '  ', now: NOW })).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(decideApproval(deps, { approvalId: ID, decision: 'maybe' as 'approve', approver: 'alice', now: NOW })).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });

  it('wraps a DynamoDB failure', async () => {
    ddbMock.on(GetItemCommand).rejects(Object.assign(new Error('timeout'), { name: 'TimeoutError' }));
    await expect(decideApproval(deps, { approvalId: ID, decision: 'approve', approver: 'alice', now: NOW })).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});

describe('listPendingApprovals', () => {
  const older = record({ approvalId: 'old', createdAt: '2026-03-01T11:00:00.000Z', expiresAt: '2026-03-01T11:30:00.000Z' });
  const newer = record({ approvalId: 'new', createdAt: '2026-03-01T12:00:00.000Z' });
  const publicItem = (r: ApprovalRecord) => {
    const { taskToken: _t, pk: _p, sk: _s, pendingDatabase: _d, ttl: _ttl, ...rest } = r;
    return marshall(rest);
  };

  it('queries the sparse GSI for one database, pages through, never reads the token', async () => {
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [publicItem(newer)], LastEvaluatedKey: { pk: { S: 'x' } } })
      .resolves({ Items: [publicItem(older)] });
    const list = await listPendingApprovals(deps, 'orders');
    expect(list.map((a) => a.id)).toEqual(['old', 'new']);
    expect(list[0]).toEqual({
      id: 'old',
      database: 'orders',
      incidentId: 'inc-42',
      step: 'failover',
      decision: 'promote',
      reasons: ['ambiguous verdict'],
      createdAt: '2026-03-01T11:00:00.000Z',
      expiresAt: '2026-03-01T11:30:00.000Z',
    });
    expect(ddbMock).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 1, {
      TableName: 'failover-state',
      IndexName: 'pending',
      KeyConditionExpression: 'pendingDatabase = :database',
      ExpressionAttributeValues: { ':database': { S: 'orders' } },
    });
    expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: { pk: { S: 'x' } } });
    const projection = ddbMock.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(Object.values(projection.ExpressionAttributeNames!)).not.toContain('taskToken');
  });

  it('scans with a filter when no database is given, and can leave out expired requests', async () => {
    ddbMock.on(ScanCommand).resolves({ Items: [publicItem(newer), publicItem(older), publicItem(record({ approvalId: 'done', status: 'approved' }))] });
    expect((await listPendingApprovals(deps)).map((a) => a.id)).toEqual(['old', 'new']);
    expect((await listPendingApprovals(deps, undefined, { now: NOW })).map((a) => a.id)).toEqual(['new']);
    expect(ddbMock).toHaveReceivedCommandWith(ScanCommand, {
      TableName: 'failover-state',
      FilterExpression: 'begins_with(pk, :prefix) AND #status = :pending',
      ExpressionAttributeValues: { ':prefix': { S: 'APPROVAL#' }, ':pending': { S: 'pending' } },
    });
    expect(ddbMock).not.toHaveReceivedCommand(QueryCommand);
  });
});

describe('getApproval', () => {
  it('returns the page view without the token, or null', async () => {
    stored(record({ facts: { verdict: 'ambiguous' } }));
    const view = await getApproval(deps, ID);
    expect(view).toMatchObject({ id: ID, status: 'pending', facts: { verdict: 'ambiguous' } });
    expect(JSON.stringify(view)).not.toContain(TOKEN);
    stored(undefined);
    expect(await getApproval(deps, 'nope')).toBeNull();
  });
});

describe('supersedeVerdictApprovals: a new trigger withdraws the pending verdict question', () => {
  const publicItem = (r: ApprovalRecord) => {
    const { taskToken: _t, pk: _p, sk: _s, pendingDatabase: _d, ttl: _ttl, ...rest } = r;
    return marshall(rest);
  };
  const pending = (...records: ApprovalRecord[]) => ddbMock.on(QueryCommand).resolves({ Items: records.map(publicItem) });
  const req = { database: 'orders', trigger: 'RDS event RDS-EVENT-0031 on orders-primary', now: NOW };
  /** `records` pending, each withdrawn when tried: the update succeeds and the run takes the answer. */
  const withdrawable = (...records: ApprovalRecord[]) => {
    pending(...records);
    ddbMock.on(UpdateItemCommand).resolves({ Attributes: marshall(record()) });
    sfnMock.on(SendTaskSuccessCommand).resolves({});
  };

  it('withdraws a pending "promote" question of the failover (single use, conditioned on an ambiguous verdict and the count) and resumes the run with "reverify"', async () => {
    withdrawable(record());
    await expect(supersedeVerdictApprovals(deps, req)).resolves.toEqual([ID]);
    const update = ddbMock.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.Key).toEqual(KEY);
    expect(update.ConditionExpression).toBe(
      '#status = :pending AND expiresAt > :now AND ((#decision = :promote AND #facts.#verdict = :ambiguous AND (attribute_not_exists(#facts.#reverifications) OR #facts.#reverifications < :max)))',
    );
    expect(update.UpdateExpression).toContain('REMOVE pendingDatabase, taskToken');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':superseded': { S: 'superseded' },
      ':ambiguous': { S: 'ambiguous' },
      ':max': { N: String(MAX_REVERIFICATIONS) },
    });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN });
    expect(JSON.parse(sfnMock.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!)).toEqual({
      decision: 'reverify',
      approver: 'automation',
      reason: 'New evidence: RDS event RDS-EVENT-0031 on orders-primary',
      approvalId: ID,
    });
  });

  it("a real trigger outranks a drill's question: it may withdraw it past the count (the watch may not)", async () => {
    withdrawable(record());
    await expect(supersedeVerdictApprovals(deps, { ...req, outranksDrills: true })).resolves.toEqual([ID]);
    const update = ddbMock.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.ConditionExpression).toBe(
      '#status = :pending AND expiresAt > :now AND ((#decision = :promote AND #facts.#verdict = :ambiguous AND (attribute_not_exists(#facts.#reverifications) OR #facts.#reverifications < :max OR attribute_type(#facts.#drill, :map))))',
    );
    expect(update.ExpressionAttributeNames).toMatchObject({ '#drill': 'drill', '#decision': 'decision' });
    expect(update.ExpressionAttributeValues).toMatchObject({ ':map': { S: 'M' }, ':promote': { S: 'promote' } });
  });

  it("the run's own probes may withdraw it once more than new triggers (MAX_REVERIFICATIONS_BY_OWN_PROBES)", async () => {
    withdrawable(record());
    await expect(supersedeVerdictApprovals(deps, { ...req, byOwnProbes: true })).resolves.toEqual([ID]);
    const update = ddbMock.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.ExpressionAttributeValues).toMatchObject({ ':max': { N: String(MAX_REVERIFICATIONS_BY_OWN_PROBES) } });
    expect(MAX_REVERIFICATIONS_BY_OWN_PROBES).toBe(MAX_REVERIFICATIONS + 1);
  });

  it("an RDS failure event also tries a drill's data-loss and unfenced-promotion questions (the condition keeps a real run's, and counts), never the failback's", async () => {
    withdrawable(
      record({ approvalId: 'a', decision: 'accept-data-loss' }),
      record({ approvalId: 'b', decision: 'promote-unfenced' }),
      record({ approvalId: 'c', step: 'failback', decision: 'fail-back' }),
    );
    await expect(supersedeVerdictApprovals(deps, { ...req, outranksDrills: true, failureEvent: true })).resolves.toEqual(['a', 'b']);
    const updates = ddbMock.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(updates.map((u) => u.Key)).toEqual([
      { pk: { S: 'APPROVAL#a' }, sk: { S: 'APPROVAL' } },
      { pk: { S: 'APPROVAL#b' }, sk: { S: 'APPROVAL' } },
    ]);
    const few = 'attribute_not_exists(#facts.#reverifications) OR #facts.#reverifications < :max';
    expect(updates[0]!.ConditionExpression).toBe(
      `#status = :pending AND expiresAt > :now AND ((#decision = :promote AND #facts.#verdict = :ambiguous AND (${few} OR attribute_type(#facts.#drill, :map)))` +
        ` OR (#decision IN (:dataLoss, :unfenced) AND attribute_type(#facts.#drill, :map) AND (${few})))`,
    );
    expect(updates[0]!.ExpressionAttributeValues).toMatchObject({ ':dataLoss': { S: 'accept-data-loss' }, ':unfenced': { S: 'promote-unfenced' } });
  });

  it('a run whose fence is confirmed now withdraws its own unfenced question only (any run, drill or not; counted like its own probes)', async () => {
    withdrawable(
      record({ approvalId: 'mine', decision: 'promote-unfenced' }),
      record({ approvalId: 'other', incidentId: 'another-run', decision: 'promote-unfenced' }),
      record({ approvalId: 'loss', decision: 'accept-data-loss' }),
      record({ approvalId: 'verdict', decision: 'promote' }),
    );
    const mine = record().incidentId;
    await expect(supersedeVerdictApprovals(deps, { ...req, byOwnProbes: true, unfencedOf: mine })).resolves.toEqual(['mine']);
    const updates = ddbMock.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(updates).toHaveLength(1);
    const few = 'attribute_not_exists(#facts.#reverifications) OR #facts.#reverifications < :max';
    expect(updates[0]!.ConditionExpression).toBe(`#status = :pending AND expiresAt > :now AND (#decision = :unfenced AND incidentId = :incident AND (${few}))`);
    // Exactly the names and values the condition and the update use (DynamoDB refuses unused ones).
    expect(Object.keys(updates[0]!.ExpressionAttributeNames!).sort()).toEqual(['#decision', '#facts', '#reason', '#reverifications', '#status']);
    expect(Object.keys(updates[0]!.ExpressionAttributeValues!).sort()).toEqual([
      ':approver',
      ':incident',
      ':max',
      ':now',
      ':pending',
      ':reason',
      ':superseded',
      ':unfenced',
    ]);
    expect(updates[0]!.ExpressionAttributeValues).toMatchObject({
      ':unfenced': { S: 'promote-unfenced' },
      ':incident': { S: mine },
      ':max': { N: String(MAX_REVERIFICATIONS_BY_OWN_PROBES) },
    });
  });

  it('leaves every other question alone: data loss, an unfenced promotion, the failback (never even tried)', async () => {
    pending(
      record({ approvalId: 'a', decision: 'accept-data-loss' }),
      record({ approvalId: 'b', decision: 'promote-unfenced' }),
      record({ approvalId: 'c', step: 'failback', decision: 'fail-back' }),
    );
    await expect(supersedeVerdictApprovals(deps, req)).resolves.toEqual([]);
    expect(ddbMock).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('a question the condition refuses (answered meanwhile, not about an ambiguous verdict, withdrawn 3 times already) stands', async () => {
    pending(record());
    ddbMock.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(supersedeVerdictApprovals(deps, req)).resolves.toEqual([]);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('a run that no longer waits (TaskTimedOut): the record is marked expired, nothing else', async () => {
    pending(record());
    ddbMock
      .on(UpdateItemCommand)
      .resolvesOnce({ Attributes: marshall(record()) })
      .resolves({});
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    await expect(supersedeVerdictApprovals(deps, req)).resolves.toEqual([]);
    const second = ddbMock.commandCalls(UpdateItemCommand)[1]!.args[0].input;
    expect(second.ExpressionAttributeValues).toMatchObject({ ':expired': { S: 'expired' }, ':from': { S: 'superseded' } });
  });

  it('a run that could not be told: the question goes back to pending for a human, and the error surfaces', async () => {
    pending(record());
    ddbMock
      .on(UpdateItemCommand)
      .resolvesOnce({ Attributes: marshall(record()) })
      .resolves({});
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(new SFNServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'unavailable', $metadata: {} }));
    await expect(supersedeVerdictApprovals(deps, req)).rejects.toThrow();
    const back = ddbMock.commandCalls(UpdateItemCommand)[1]!.args[0].input;
    expect(back.ExpressionAttributeValues).toMatchObject({
      ':pending': { S: 'pending' },
      ':token': { S: TOKEN },
      ':decided': { S: 'superseded' },
      ':approver': { S: 'automation' },
    });
  });
});
